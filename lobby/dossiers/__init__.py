"""Dossiers (hồ sơ): accepted at the counter, followed through their states, looked up by the
citizen, rated.

  lookup.py      finding a dossier (by token, code, ticket) and its public link — a leaf the
                 queue may import
  rules.py       the office's dossier settings, channels, the due moment, and the bodies of
                 accepting a dossier and of a dossier event (schemas, declared once)
  views.py       read models: public and staff dossier views, due lists, the public ticket view
  changes.py     what a change leaves and tells: control-sheet row, dossier_updated, webhook
  pins.py        the lookup PIN: made and hashed, the public lookup with its lock, the reissue
  ratings.py     satisfaction ratings: the scale, the phone's rating, the counter tablet
  operations.py  use cases: accept at the counter, follow through (apply_event)
  models.py      the feature's own tables: the applicants' blind index (applicant_index)
  search.py      the blind index: written with each applicant, backfilled, searched
  listing.py     read model: the staff's dossier list, filtered, searched, paged

Submodules import each other directly, never this package; importers name the submodule, so
importing this package imports nothing.
"""
