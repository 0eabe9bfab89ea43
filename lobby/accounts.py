"""Moved to lobby/setup/accounts.py (issue 12); these names stay here for their importers."""

from lobby.setup.accounts import (  # noqa: F401  re-export until the sweep (cli, startup, web)
    claim_pairing,
    create_device,
    create_user,
    new_device_token,
    pairing_url,
)
