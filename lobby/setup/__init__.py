"""Setting up the office: its details and hours (office), fields and procedures (catalogue),
counters (counters), staff accounts and devices (accounts), and the demo office (demo).

The administrator's pages (admin/) and the command line (lobby/cli.py) call these use cases and
read models; each change is one transaction through the ORM, so the per-process reference cache
(lobby/refcache.py) forgets the old values at once. Every check raises a DomainError with a
message for people: the page shows it, nothing changes.
"""
