"""Dossiers (hồ sơ): accepted at the counter, followed through their states, looked up by the
citizen, rated.

  lookup.py      finding a dossier (by token, code, ticket) and its public link — a leaf the
                 queue may import
  rules.py       the office's dossier settings, channels, input parsing, the due moment
  views.py       read models: public and staff dossier views, due lists, the public ticket view
  changes.py     what a change leaves and tells: control-sheet row, dossier_updated, webhook
  pins.py        the lookup PIN: made and hashed, the public lookup with its lock, the reissue
  ratings.py     satisfaction ratings: the scale, the phone's rating, the counter tablet
  operations.py  use cases: accept at the counter, follow through (apply_event)

Submodules import each other directly, never this package. The names below are the ones
importers used from the single module this package replaces.
"""

from lobby.dossiers.lookup import (  # noqa: F401  re-export until the sweep
    dossier_by_code,
    dossier_by_token,
    dossier_of_ticket,
    dossier_url,
)
from lobby.dossiers.operations import (  # noqa: F401  re-export until the sweep
    accept_dossier,
    apply_event,
)
from lobby.dossiers.pins import (  # noqa: F401  re-export until the sweep
    LOOKUP_SCOPE,
    LookupLocked,
    LookupNoMatch,
    public_lookup,
    reissue_pin,
)
from lobby.dossiers.ratings import (  # noqa: F401  re-export until the sweep
    rate_at_counter,
    rate_ticket,
    rating_choices,
    rating_scale,
    tablet_state,
)
from lobby.dossiers.rules import (  # noqa: F401  re-export until the sweep
    CHANNELS,
    DEFAULT_SETTINGS,
    parse_components,
    setting,
)
from lobby.dossiers.views import (  # noqa: F401  re-export until the sweep
    due_lists,
    public_dossier_view,
    staff_dossier_view,
)
