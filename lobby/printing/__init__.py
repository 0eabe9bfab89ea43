"""Printing: slips as data (slips), drawn off the loop (render), print jobs on the database and
the printer lease (store), printer_status (status), the print agents' side (agents), and class
Printing, the PrintQueue port's implementation with its workers (service).

Features reach the printer only through ctx().printing (lobby.context.PrintQueue). The modules
import each other directly, never this package; importers name the module that holds a name,
so importing this package imports nothing.
"""
