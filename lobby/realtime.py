"""Re-exports of lobby.events and lobby.sockets while importers move (issue 12)."""

from lobby.events import *  # noqa: F403
from lobby.events import _EACH_ROOM, _RESYNC_ROOM  # noqa: F401
from lobby.sockets import resync_local_clients, start_message_queue  # noqa: F401
