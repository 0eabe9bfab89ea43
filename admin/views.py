"""The staff pages' blueprint, with its routes: admin/blueprint.py (the blueprint, its guard and
helpers), admin/dossier_pages.py (dossiers, the report, the printed forms), admin/setup_pages.py
(the office, procedures, staff and devices, the working calendar), admin/feedback_pages.py
(citizens' feedback), admin/audit_pages.py (the audit view)."""

from admin import audit_pages, dossier_pages, feedback_pages, reception_pages, setup_pages  # noqa: F401  (they add their routes to bp)
from admin.blueprint import bp

__all__ = ["bp"]
