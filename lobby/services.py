"""Re-exports of lobby.context, lobby.queue and lobby.housekeeping while importers move (issue 12).

New code imports the module that holds a name, never this one."""

from lobby.context import (  # noqa: F401
    LobbyContext,
    ctx,
    iso,
    local_now,
    of_this_office,
    office,
    office_ref,
    office_tz,
    publish_after_commit,
    ticket_url,
    today,
    token_url,
)
from lobby.dossiers.views import public_ticket_view  # noqa: F401
from lobby.housekeeping import expire_stale_tickets, prune_idempotency  # noqa: F401
from lobby.queue.counter_actions import (  # noqa: F401
    CONTRADICT_DOSSIER,
    call_next,
    call_number,
    ensure_counter_free,
    finish,
    hand_back_transfers,
    no_show,
    recall,
    requeue,
    set_counter_state,
    start,
    transfer,
)
from lobby.queue.issuing import issue_ticket  # noqa: F401
from lobby.queue.line import ahead_of as _ahead  # noqa: F401
from lobby.queue.reference import (  # noqa: F401
    board_field_codes,
    counter_by_number,
    counter_for_staff,
    counter_ref,
    field_by_code,
    is_day_off,
    may_operate,
    office_info,
    procedures_by_field,
    procedures_list,
    ticket_by_id,
    ticket_by_token,
    windows,
)
from lobby.queue.views import (  # noqa: F401
    board_snapshot,
    counter_queue,
    counter_view,
    counters_list,
    services_list,
    staff_ticket_view,
)
from lobby.sockets import snapshot_for  # noqa: F401

tx_hooks_publish = publish_after_commit
