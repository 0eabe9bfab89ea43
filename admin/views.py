"""The staff pages' blueprint, with its routes: admin/blueprint.py (the blueprint, its guard and
helpers), admin/dossier_pages.py (dossiers, the report, the printed forms), admin/setup_pages.py
(the office, procedures, staff and devices, the working calendar)."""

from admin import dossier_pages, reception_pages, setup_pages  # noqa: F401  (they add routes)
from admin.blueprint import bp

__all__ = ["bp"]
