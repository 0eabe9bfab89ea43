"""Citizen reception (tiếp công dân): the published schedule, the leader on duty, the reception
book. Importers name the module that holds a name (this file imports nothing)."""
