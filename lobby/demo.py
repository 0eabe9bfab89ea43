"""Moved to lobby/setup/demo.py (issue 12); load_demo stays here for its importers."""

from lobby.setup.demo import load_demo  # noqa: F401  re-export until the sweep (cli, startup)
