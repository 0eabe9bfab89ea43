"""The JSON API, version 1 (docs/api.md): the blueprint create_app() registers, with every
route module of api/ imported so that their routes are on it."""

from api import (  # noqa: F401  (their routes register on bp)
    bookings,
    dossier_import,
    dossiers,
    feedback,
    openapi,
    print_agent,
    reception,
    tickets,
)
from api.http import bp  # noqa: F401  (create_app registers api.views.bp)
