"""The audit trail (issue 14): who did what and when at the counters and on the admin pages,
and each officer's pause and serving time per day. Importers name the module that holds a name:
models.py (the audit_entries table), log.py (what is recorded), views.py (the read model),
export.py (the Excel and CSV files)."""
