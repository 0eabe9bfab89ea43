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

Submodules import each other directly, never this package. Until every importer names the
submodule, the old names resolve lazily (below), so importing this package imports nothing.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOMES = {
    "CHANNELS": "lobby.dossiers.rules",
    "DEFAULT_SETTINGS": "lobby.dossiers.rules",
    "LOOKUP_SCOPE": "lobby.dossiers.pins",
    "LookupLocked": "lobby.dossiers.pins",
    "LookupNoMatch": "lobby.dossiers.pins",
    "accept_dossier": "lobby.dossiers.operations",
    "apply_event": "lobby.dossiers.operations",
    "dossier_by_code": "lobby.dossiers.lookup",
    "dossier_by_token": "lobby.dossiers.lookup",
    "dossier_of_ticket": "lobby.dossiers.lookup",
    "dossier_url": "lobby.dossiers.lookup",
    "due_lists": "lobby.dossiers.views",
    "parse_components": "lobby.dossiers.rules",
    "public_dossier_view": "lobby.dossiers.views",
    "public_lookup": "lobby.dossiers.pins",
    "rate_at_counter": "lobby.dossiers.ratings",
    "rate_ticket": "lobby.dossiers.ratings",
    "rating_choices": "lobby.dossiers.ratings",
    "rating_scale": "lobby.dossiers.ratings",
    "reissue_pin": "lobby.dossiers.pins",
    "setting": "lobby.dossiers.rules",
    "staff_dossier_view": "lobby.dossiers.views",
    "tablet_state": "lobby.dossiers.ratings",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:  # a name of the old single module: read from its submodule on first use
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(name)
