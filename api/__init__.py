"""JSON API v1."""

# Importing the route modules here registers their routes on the api blueprint before
# create_app() registers it.
from api import dossiers as _dossiers  # noqa: F401
from api import print_agent as _print_agent  # noqa: F401
