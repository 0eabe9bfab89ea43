"""`flask --app server ...` commands (API.md "Command line").

Every command is defined here at module level, on the AppGroup `commands` (its commands run in the
app's context); register() adds them, and those of lobby.backup, to the app's `flask` command.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from core.access import DeviceKind, Role
from core.errors import DomainError
from lobby import backup
from lobby.auth import USER_TOKEN_PREFIX, new_token, token_hash
from lobby.context import ctx, office, office_tz
from lobby.dossiers.rules import setting
from lobby.dossiers.search import backfill as search_backfill
from lobby.extensions import db
from lobby.housekeeping import expire_stale_tickets
from lobby.models import ApiToken, CalendarDay, Counter, Device, Field, Office, Procedure, StaffUser
from lobby.notify.settings import new_vapid_key
from lobby.reception.demo import add_reception_demo
from lobby.retention import give_back_space, prune
from lobby.retention import status as read_status
from lobby.setup.accounts import create_device, create_user, new_device_token, pairing_url
from lobby.setup.demo import load_demo
from lobby.setup.history import add_history
from lobby.simulate.client import Http, ServerError
from lobby.simulate.day import OfficeDay, Step
from lobby.simulate.plan import FIELD_MIX
from lobby.stats.daily import keep_day_figures
from lobby.workcal import add_day, remove_day, year_days
from printers import backends

commands = AppGroup("lobby", help="The lobby's own commands (added one by one to `flask`).")

SIMULATION_KIOSK = "Máy lấy số mô phỏng"
CALENDAR_KINDS = ["holiday", "compensatory_off", "swap_off", "swap_workday", "local_closure"]


def register(app: Flask) -> None:
    """Add every command (and lobby.backup's) to `flask --app server`."""
    for command in [*commands.commands.values(), *backup.commands.commands.values()]:
        app.cli.add_command(command)


@contextmanager
def _domain_errors() -> Iterator[None]:
    """A rule's message (Vietnamese, for people) as the command's error, exit code 1."""
    try:
        yield
    except DomainError as exc:
        raise click.ClickException(exc.message) from None


def _emit(data: dict[str, Any], as_json: bool, lines: list[str]) -> None:
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
    else:
        for line in lines:
            click.echo(line)


def _user_token(user: StaffUser) -> str:
    """A new API token for a staff account (stored hashed; the token itself is shown once)."""
    token = new_token(USER_TOKEN_PREFIX)
    db.session.add(
        ApiToken(user_id=user.id, token_hash=token_hash(token), created_at=ctx().clock.now())
    )
    db.session.commit()
    return token


# --- demo -----------------------------------------------------------------------------------


@commands.command("demo")
@click.option("--json", "as_json", is_flag=True, help="Print users and devices as JSON.")
@click.option(
    "--simulate",
    "simulate_day",
    is_flag=True,
    help="Play a whole office day against the running server (kiosk, board, phones come alive).",
)
@click.option(
    "--speed", type=float, default=60.0, show_default=True, help="Times faster than life."
)
@click.option("--url", default=None, help="The running server (default http://127.0.0.1:PORT).")
@click.option("--citizens", type=click.IntRange(1, 5000), default=300, show_default=True)
@click.option("--seed", type=int, default=20261130, show_default=True)
@click.option(
    "--history",
    "history_days",
    type=click.IntRange(1, 3660),
    default=None,
    help="Add this many past days (sample tickets, dossiers, ratings) to the demo office.",
)
@click.option(
    "--per-day",
    type=click.IntRange(1, 20000),
    default=1000,
    show_default=True,
    help="About how many tickets each past working day gets (with --history).",
)
def demo(
    as_json: bool,
    simulate_day: bool,
    speed: float,
    url: str | None,
    citizens: int,
    seed: int,
    history_days: int | None,
    per_day: int,
) -> None:
    """Load the demo office into an empty database, (--history) add past days to it, or
    (--simulate) play a day on it."""
    if history_days is not None:
        _history(history_days, per_day, seed, as_json)
        return
    if simulate_day:
        _simulate_day(
            url or f"http://127.0.0.1:{current_app.config['PORT']}", speed, citizens, seed
        )
        return
    _load_demo(as_json)


def _load_demo(as_json: bool) -> None:
    """Load the demo office; show its users (with their new passwords) and devices once."""
    try:
        data = load_demo()
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
    add_reception_demo()  # the reception desk and schedule: `flask demo` only, not tests' office
    for d in data["devices"]:
        d["pairing_url"] = pairing_url(d["token"])
    lines = [f"Demo office: {data['office']['name']} (sample data)"]
    lines += [
        f"  user {u['username']:<8} password {u['password']}  role {u['role']}"
        + (f"  counter {u['counter']}" if u["counter"] else "")
        for u in data["users"]
    ]
    lines += [f"  {d['kind']:<6} {d['name']}: {d['pairing_url']}" for d in data["devices"]]
    _emit(data, as_json, lines)


def _history(days: int, per_day: int, seed: int, as_json: bool) -> None:
    """The demo office (loaded first into an empty database) with `days` past days added."""
    if db.session.scalar(select(Office).limit(1)) is None:
        _load_demo(as_json)
    started = time.monotonic()
    with _domain_errors():
        added = add_history(days, per_day, seed)
    search_backfill()  # the sample applicants in the blind index, as a real start would do
    # The closed days' figures counted now, so the first report is as quick as the next.
    keep_day_figures(office(), date.fromisoformat(added["from"]), date.fromisoformat(added["to"]))
    added["seconds"] = round(time.monotonic() - started, 1)
    _emit(
        added,
        as_json,
        [
            f"Sample history {added['from']} – {added['to']}: {added['days']} working days, "
            f"{added['tickets']} tickets, {added['dossiers']} dossiers, {added['ratings']} "
            f"ratings ({added['seconds']} s)"
        ],
    )


@commands.command("dossiers-reindex")
@click.option("--json", "as_json", is_flag=True)
def dossiers_reindex(as_json: bool) -> None:
    """Put every applicant not yet indexed (under the current key) in the blind index that
    finds dossiers by name, phone or ID number (the server also does this at start)."""
    started = time.monotonic()
    done = {"indexed": search_backfill(), "seconds": round(time.monotonic() - started, 1)}
    _emit(done, as_json, [f"Indexed {done['indexed']} applicants ({done['seconds']} s)"])


def _officer_tokens(o: Office) -> dict[int, str]:
    """A new API token for the officer assigned to each active counter, by counter number."""
    officers: dict[int, str] = {}
    for c in db.session.scalars(select(Counter).where(Counter.office_id == o.id, Counter.active)):
        user = db.session.scalar(
            select(StaffUser).where(StaffUser.counter_id == c.id, StaffUser.active)
        )
        if user is not None:
            officers[c.number] = _user_token(user)
    if not officers:
        raise click.ClickException("No counter has an officer assigned (/admin/staff).")
    return officers


def _simulation_kiosk_token(o: Office) -> str:
    """The simulation's own kiosk, paired anew each run."""
    kiosk = db.session.scalar(
        select(Device).where(Device.office_id == o.id, Device.name == SIMULATION_KIOSK)
    )
    with _domain_errors():
        if kiosk is None:
            _device, token = create_device(DeviceKind.KIOSK, SIMULATION_KIOSK)
        else:
            _device, token = new_device_token(kiosk.id)
    return token


def _field_mix(o: Office) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Each active field's share of citizens and service times, and its active procedures."""
    fields = db.session.scalars(select(Field).where(Field.office_id == o.id, Field.active)).all()
    mix = {f.code: FIELD_MIX.get(f.code, (10, (3, 10))) for f in fields}
    procedures: dict[str, list[str]] = {f.code: [] for f in fields}
    for p in db.session.scalars(
        select(Procedure).where(Procedure.office_id == o.id, Procedure.active)
    ):
        field = next((f for f in fields if f.id == p.field_id), None)
        if field is not None:
            procedures[field.code].append(p.code)
    return mix, procedures


def _paced(speed: float) -> Any:
    """set_time for the simulation: wait until this moment of the simulated day, `speed` times
    faster than life (counted from the first moment asked for)."""
    began = time.monotonic()
    first: list[datetime] = []

    def set_time(instant: datetime) -> None:
        first[:1] = first[:1] or [instant]
        due = began + (instant - first[0]).total_seconds() / speed
        time.sleep(max(0.0, due - time.monotonic()))

    return set_time


def _simulate_day(url: str, speed: float, citizens: int, seed: int) -> None:
    """Play a seeded office day against the server at `url`, `speed` times faster than life:
    a kiosk of its own (paired anew each run) and the officers assigned to the counters."""
    o = office()
    officers = _officer_tokens(o)
    kiosk_token = _simulation_kiosk_token(o)
    mix, procedures = _field_mix(o)
    levels = int(setting(o, "rating_levels"))
    tz = office_tz(o)

    def show(step: Step) -> None:
        number = step.ticket.number if step.ticket else ""
        where = f" quầy {step.counter}" if step.counter else ""
        click.echo(f"{step.at.astimezone(tz):%H:%M:%S}  {step.what:<9} {number}{where}")

    day = OfficeDay(
        Http(url),
        kiosk_token=kiosk_token,
        officer_tokens=officers,
        day=ctx().clock.today(),
        tz=tz,
        set_time=_paced(speed),
        after_step=show,
        citizens=citizens,
        seed=seed,
        rating_levels=lambda: levels,
        mix=mix,
        procedures=procedures,
    )
    click.echo(f"Simulating {citizens} citizens at {url}, {speed:g}x (Ctrl-C stops)")
    try:
        day.run()
    except ServerError as exc:
        raise click.ClickException(
            f"{exc}. Is the server running at {url}, with LOBBY_OPEN_ALWAYS=1 outside office hours?"
        ) from None
    except OSError as exc:
        raise click.ClickException(f"cannot reach {url}: {exc}") from None
    click.echo(f"Done: {len(day.tickets)} tickets, {day.steps} steps")


# --- users and devices ------------------------------------------------------------------------


@commands.group("users")
def users() -> None:
    """Staff accounts."""


@users.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--counter", type=int, default=None)
@click.option("--password", default=None)
@click.option("--name", "full_name", default="")
@click.option("--json", "as_json", is_flag=True)
def users_create(
    username: str,
    role: str,
    counter: int | None,
    password: str | None,
    full_name: str,
    as_json: bool,
) -> None:
    """Create a staff user; prints a generated password unless --password is given."""
    with _domain_errors():
        user, generated = create_user(
            username, role, counter=counter, full_name=full_name, password=password
        )
    data = {"username": user.username, "role": role, "counter": counter, "password": generated}
    _emit(
        data,
        as_json,
        [f"created {user.username} ({role})"] + ([f"password: {generated}"] if generated else []),
    )


@users.command("token")
@click.argument("username")
@click.option("--json", "as_json", is_flag=True)
def users_token(username: str, as_json: bool) -> None:
    """Print a new API token for that user (integrations such as a counter keypad)."""
    user = db.session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None:
        raise click.ClickException(f"no user {username!r}")
    token = _user_token(user)
    _emit({"username": username, "token": token}, as_json, [token])


@commands.group("devices")
def devices() -> None:
    """Kiosks, boards and counter tablets."""


@devices.command("create")
@click.argument("kind", type=click.Choice([k.value for k in DeviceKind]))
@click.argument("name")
@click.option("--printer", default=None, help="Printer URL, e.g. network://192.168.1.50:9100")
@click.option(
    "--counter",
    type=int,
    default=None,
    help="A tablet's counter, or the counter whose dossier receipts this printer prints.",
)
@click.option("--json", "as_json", is_flag=True)
def devices_create(
    kind: str, name: str, printer: str | None, counter: int | None, as_json: bool
) -> None:
    """Print the device token and its pairing link."""
    with _domain_errors():
        _device, token = create_device(kind, name, printer=printer, counter=counter)
    data = {"kind": kind, "name": name, "token": token, "pairing_url": pairing_url(token)}
    _emit(data, as_json, [f"token: {token}", f"pairing link: {data['pairing_url']}"])


# --- housekeeping -----------------------------------------------------------------------------


@commands.command("expire")
def expire() -> None:
    """Close tickets left open from earlier service days."""
    click.echo(f"expired {expire_stale_tickets()} tickets")


@commands.command("status")
@click.option("--json", "as_json", is_flag=True)
def status(as_json: bool) -> None:
    """The database's size, each table's rows and oldest row, the free disk; warnings."""
    data = read_status()
    lines = [
        f"database  {data['database']['url']}  {data['database']['bytes'] / 1024**2:.1f} MB",
        f"disk      {data['disk']['path']}  {data['disk']['free_bytes'] / 1024**3:.1f} GB free"
        f" of {data['disk']['total_bytes'] / 1024**3:.1f} GB",
        "kept      printed slips {print_jobs:g} days, delivered webhooks {webhooks:g} days".format(
            **data["retention_days"]
        ),
    ]
    lines += [
        f"  {t['table']:<18} {t['rows']:>9} rows  oldest {t['oldest'] or '-'}"
        for t in data["tables"]
    ]
    lines += [f"WARNING: {w}" for w in data["warnings"]]
    _emit(data, as_json, lines)


@commands.command("prune")
def prune_now() -> None:
    """Forget now what has served its time (the server does it every hour by itself)."""
    counts = prune()
    click.echo(", ".join(f"{k}: {v}" for k, v in counts.items()))
    click.echo(f"space: {give_back_space()}")


@commands.command("notify-keys")
def notify_keys() -> None:
    """A new VAPID key pair for web push (LOBBY_NOTIFY=webpush, docs/notifications.md)."""
    private, public = new_vapid_key()
    click.echo(f"LOBBY_VAPID_PRIVATE_KEY={private}\n# public key (the pages read it): {public}")


# --- calendar ---------------------------------------------------------------------------------


@commands.group("calendar")
def calendar() -> None:
    """The office's calendar: days off, make-up working days, local closures."""


@calendar.command("list")
@click.option("--year", type=int, default=None)
def calendar_list(year: int | None) -> None:
    """Every dated entry of a year (national ones generated, the office's own marked *)."""
    for d in year_days(year or ctx().clock.today().year):
        mark = "*" if d["id"] else " "
        click.echo(f"{mark} {d['day']}  {d['kind_label']:<22} {d['name']}  {d['note']}".rstrip())


@calendar.command("add")
@click.argument("day")
@click.argument("kind", type=click.Choice(CALENDAR_KINDS))
@click.argument("name")
@click.option("--note", default="")
def calendar_add(day: str, kind: str, name: str, note: str) -> None:
    """Add a day, e.g. `calendar add 2026-12-31 local_closure "Kiểm kê cuối năm"`."""
    with _domain_errors():
        row = add_day(day, kind, name, note)
    click.echo(f"added {row['day']} {row['kind']}: {row['name']}")


@calendar.command("remove")
@click.argument("day")
@click.argument("kind")
def calendar_remove(day: str, kind: str) -> None:
    """Remove one of the office's own entries."""
    row = db.session.scalar(
        select(CalendarDay).where(
            CalendarDay.office_id == office().id,
            CalendarDay.day == day,
            CalendarDay.kind == kind,
        )
    )
    if row is None:
        raise click.ClickException(f"no office entry {day} {kind}")
    remove_day(row.id)
    click.echo(f"removed {day} {kind}")


# --- print-test -------------------------------------------------------------------------------


@commands.command("print-test")
@click.option("--printer", "printer_url", default=None, help="Printer URL; else the kiosk's.")
@click.option("--out", "out", default=None, help="Write the raster as a PNG instead.")
@click.option("--priority", is_flag=True, help="A priority ticket (marked ƯU TIÊN).")
def print_test(printer_url: str | None, out: str | None, priority: bool) -> None:
    """Print a sample ticket (marked as a sample), or write its image with --out FILE.png."""
    # The printing stack (Pillow, qrcode) is heavy: loaded only by this command.
    from printers.layout import WIDTH_80MM, render_ticket
    from printers.sample import write_png

    if printer_url:
        try:
            printer_url = backends.validate_printer_url(printer_url)
        except backends.PrinterConfigError as exc:
            raise click.ClickException(str(exc)) from None
    elif out is None:
        printer_url = _only_printer()
    width = backends.width_dots(printer_url) if printer_url else WIDTH_80MM
    image = render_ticket(_sample_slip(priority), width)
    if out is not None:
        path = write_png(image, out)
        click.echo(f"wrote {path} ({image.width}x{image.height} dots)")
        return
    assert printer_url is not None
    _send_sample(printer_url, image)


def _sample_slip(priority: bool) -> Any:
    """A sample ticket with the office's own header, so the operator sees what its tickets will
    look like."""
    from printers.sample import sample_ticket_slip  # Pillow: heavy, for print-test only

    o = db.session.scalar(select(Office).order_by(Office.id).limit(1))
    tz = ZoneInfo(o.timezone if o else current_app.config["LOBBY_TIMEZONE"])
    slip = sample_ticket_slip(ctx().clock.now().astimezone(tz))
    if priority:
        slip = dataclasses.replace(slip, priority=True)
    if o is not None:
        slip = dataclasses.replace(
            slip, office_name=o.name, parent_authority=o.parent_authority or ""
        )
    return slip


def _send_sample(printer_url: str, image: Any) -> None:
    """Send the sample to the printer, unless it says it is offline or out of paper."""
    from printers.escpos_out import slip_bytes  # python-escpos, Pillow: heavy, for print-test only

    target = backends.parse_printer_url(printer_url)
    try:
        backends.require_driver(printer_url)
        state = backends.read_status(printer_url)
        if state in ("offline", "paper_out"):
            raise click.ClickException(f"{target.key}: {state}")
        backends.send(printer_url, slip_bytes(image, profile=target.profile))
    except backends.PrinterError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"sent a sample ticket to {target.key} (paper: {state})")


def _only_printer() -> str:
    """The printer URL of the one active device that has a printer; else ask for --printer."""
    urls = sorted(
        {
            url
            for url in db.session.scalars(
                select(Device.printer_url).where(Device.active, Device.printer_url.is_not(None))
            )
            if url
        }
    )
    if len(urls) != 1:
        found = ", ".join(urls) if urls else "none configured"
        raise click.ClickException(
            f"give --printer URL or --out FILE.png (device printers: {found})"
        )
    return urls[0]
