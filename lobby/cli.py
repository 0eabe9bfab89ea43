"""`flask --app server ...` commands (API.md "Command line")."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
from flask import Flask, current_app
from sqlalchemy import select

from core.errors import DomainError
from lobby.accounts import create_device, create_user, pairing_url
from lobby.auth import USER_TOKEN_PREFIX, new_token, token_hash
from lobby.extensions import db
from lobby.models import ApiToken, Device, Office, StaffUser


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


def register(app: Flask) -> None:
    @app.cli.command("demo")
    @click.option("--json", "as_json", is_flag=True, help="Print users and devices as JSON.")
    def demo(as_json: bool) -> None:
        """Load the demo office into an empty database."""
        from lobby.demo import load_demo

        try:
            data = load_demo()
        except RuntimeError as exc:
            raise click.ClickException(str(exc)) from None
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

    @app.cli.group("users")
    def users() -> None:
        """Staff accounts."""

    @users.command("create")
    @click.argument("username")
    @click.option("--role", type=click.Choice(["admin", "leader", "officer"]), required=True)
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
        data = {
            "username": user.username,
            "role": role,
            "counter": counter,
            "password": generated,
        }
        _emit(
            data,
            as_json,
            [f"created {user.username} ({role})"]
            + ([f"password: {generated}"] if generated else []),
        )

    @users.command("token")
    @click.argument("username")
    @click.option("--json", "as_json", is_flag=True)
    def users_token(username: str, as_json: bool) -> None:
        """Print a new API token for that user (integrations such as a counter keypad)."""
        from lobby.services import ctx

        user = db.session.scalar(select(StaffUser).where(StaffUser.username == username))
        if user is None:
            raise click.ClickException(f"no user {username!r}")
        token = new_token(USER_TOKEN_PREFIX)
        db.session.add(
            ApiToken(user_id=user.id, token_hash=token_hash(token), created_at=ctx().clock.now())
        )
        db.session.commit()
        _emit({"username": username, "token": token}, as_json, [token])

    @app.cli.group("devices")
    def devices() -> None:
        """Kiosks, boards and counter tablets."""

    @devices.command("create")
    @click.argument("kind", type=click.Choice(["kiosk", "board", "tablet"]))
    @click.argument("name")
    @click.option("--printer", default=None, help="Printer URL, e.g. network://192.168.1.50:9100")
    @click.option("--counter", type=int, default=None, help="For a tablet: its counter number.")
    @click.option("--json", "as_json", is_flag=True)
    def devices_create(
        kind: str, name: str, printer: str | None, counter: int | None, as_json: bool
    ) -> None:
        """Print the device token and its pairing link."""
        with _domain_errors():
            _device, token = create_device(kind, name, printer=printer, counter=counter)
        data = {"kind": kind, "name": name, "token": token, "pairing_url": pairing_url(token)}
        _emit(data, as_json, [f"token: {token}", f"pairing link: {data['pairing_url']}"])

    @app.cli.command("expire")
    def expire() -> None:
        """Close tickets left open from earlier service days."""
        from lobby.services import expire_stale_tickets

        click.echo(f"expired {expire_stale_tickets()} tickets")

    @app.cli.group("calendar")
    def calendar() -> None:
        """The office's calendar: days off, make-up working days, local closures."""

    @calendar.command("list")
    @click.option("--year", type=int, default=None)
    def calendar_list(year: int | None) -> None:
        """Every dated entry of a year (national ones generated, the office's own marked *)."""
        from lobby.services import ctx
        from lobby.workcal import year_days

        for d in year_days(year or ctx().clock.today().year):
            mark = "*" if d["id"] else " "
            click.echo(
                f"{mark} {d['day']}  {d['kind_label']:<22} {d['name']}  {d['note']}".rstrip()
            )

    @calendar.command("add")
    @click.argument("day")
    @click.argument(
        "kind",
        type=click.Choice(
            ["holiday", "compensatory_off", "swap_off", "swap_workday", "local_closure"]
        ),
    )
    @click.argument("name")
    @click.option("--note", default="")
    def calendar_add(day: str, kind: str, name: str, note: str) -> None:
        """Add a day, e.g. `calendar add 2026-12-31 local_closure "Kiểm kê cuối năm"`."""
        from core.errors import DomainError
        from lobby.workcal import add_day

        try:
            row = add_day(day, kind, name, note)
        except DomainError as exc:
            raise click.ClickException(exc.message) from None
        click.echo(f"added {row['day']} {row['kind']}: {row['name']}")

    @calendar.command("remove")
    @click.argument("day")
    @click.argument("kind")
    def calendar_remove(day: str, kind: str) -> None:
        """Remove one of the office's own entries."""
        from lobby.models import CalendarDay
        from lobby.services import office
        from lobby.workcal import remove_day

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

    @app.cli.command("print-test")
    @click.option("--printer", "printer_url", default=None, help="Printer URL; else the kiosk's.")
    @click.option("--out", "out", default=None, help="Write the raster as a PNG instead.")
    @click.option("--priority", is_flag=True, help="A priority ticket (marked ƯU TIÊN).")
    def print_test(printer_url: str | None, out: str | None, priority: bool) -> None:
        """Print a sample ticket (marked as a sample), or write its image with --out FILE.png."""
        import dataclasses
        from zoneinfo import ZoneInfo

        from lobby.services import ctx
        from printers import backends
        from printers.escpos_out import slip_bytes
        from printers.layout import WIDTH_80MM, render_ticket
        from printers.sample import sample_ticket_slip, write_png

        if printer_url:
            try:
                printer_url = backends.validate_printer_url(printer_url)
            except backends.PrinterConfigError as exc:
                raise click.ClickException(str(exc)) from None
        elif out is None:
            printer_url = _only_printer()
        o = db.session.scalar(select(Office).order_by(Office.id).limit(1))
        tz = ZoneInfo(o.timezone if o else current_app.config["LOBBY_TIMEZONE"])
        slip = sample_ticket_slip(ctx().clock.now().astimezone(tz))
        if priority:
            slip = dataclasses.replace(slip, priority=True)
        if o is not None:
            # The office's own header, so the operator sees what its tickets will look like.
            slip = dataclasses.replace(
                slip, office_name=o.name, parent_authority=o.parent_authority or ""
            )
        width = backends.width_dots(printer_url) if printer_url else WIDTH_80MM
        image = render_ticket(slip, width)
        if out is not None:
            path = write_png(image, out)
            click.echo(f"wrote {path} ({image.width}x{image.height} dots)")
            return
        assert printer_url is not None
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
