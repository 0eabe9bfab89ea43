"""Notifications end to end (docs/notifications.md): the HTTP gateway against a local listener,
Web Push against a local push service that checks the VAPID signature and decrypts the message,
and the default, none."""

from __future__ import annotations

import base64
import http.server
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import pytest
from sqlalchemy import select, text

from core.clock import FixedClock
from tests.integration.helpers import Staff, device_token, issue, kiosk_headers

SECRET = "gateway-s3cret"
PHONE = "0912 345 678"
HINT = "cùng số điện thoại cũng được tính"


class _Listener(http.server.BaseHTTPRequestHandler):
    """The gateway (or push service): records each POST, answers with `status`."""

    got: ClassVar[list[tuple[str, dict[str, str], bytes]]] = []
    status: ClassVar[int] = 201

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Listener.got.append((self.path, self.headers, body))  # type: ignore[arg-type]
        self.send_response(_Listener.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _listening(port: int) -> Iterator[None]:
    _Listener.got, _Listener.status = [], 201
    server = http.server.HTTPServer(("127.0.0.1", port), _Listener)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


def _app(db_url: str, tmp_path: Any, clock: FixedClock, **settings: Any) -> Any:
    from tests.conftest import build_app

    application = build_app(db_url, tmp_path, clock, **settings)
    with application.app_context():
        from lobby.setup.demo import load_demo

        application.demo = load_demo()
    return application


def _wait_for(condition: Callable[[], Any]) -> Any:
    """A condition reached by a background task (no timed assertion: a generous bound)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("the condition was never reached")


def _messages(app: Any) -> list[Any]:
    from lobby.extensions import db
    from lobby.notify.models import NotifyMessage

    with app.app_context():
        try:
            return list(db.session.scalars(select(NotifyMessage).order_by(NotifyMessage.id)))
        finally:
            db.session.remove()


def _issue_with_phone(app: Any, phone: str) -> dict[str, Any]:
    r = app.test_client().post(
        "/api/v1/tickets",
        json={"service": "ho_tich", "phone": phone},
        headers=kiosk_headers(app),
    )
    assert r.status_code == 201, r.get_json()
    return r.get_json()  # type: ignore[no-any-return]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_gateway_texts_near_called_and_recalled_once_each_and_survives_a_restart(
    db_url: str, tmp_path: Any, clock: FixedClock
) -> None:
    from lobby.extensions import db
    from lobby.notify.near import tell_the_near
    from lobby.notify.outbox import NotifySender
    from lobby.retention import prune
    from lobby.webhooks import verify

    port = _free_port()
    app = _app(
        db_url,
        tmp_path,
        clock,
        LOBBY_NOTIFY_ADAPTERS=("gateway",),
        LOBBY_NOTIFY_GATEWAY_URL=f"http://127.0.0.1:{port}/sms",
        LOBBY_NOTIFY_GATEWAY_SECRET=SECRET,
    )
    kiosk = app.test_client()
    for _ in range(4):
        issue(kiosk, app)
    mine = _issue_with_phone(app, PHONE)  # four people ahead
    officer = Staff(app, "canbo1")
    officer.open_counter(1)

    def next_one() -> None:
        tid = officer.call_next(1).get_json()["ticket"]["id"]
        assert officer.post(f"/api/v1/tickets/{tid}/no-show").status_code == 200

    next_one()  # three ahead now: "near" goes (LOBBY_NOTIFY_NEAR = 3)
    _wait_for(lambda: [m for m in _messages(app) if m.event == "ticket.near"])
    next_one()  # two ahead: told already, not again
    with app.app_context():
        field_ids = {t.field_id for t in _tickets(app)}
        assert tell_the_near(field_ids, 1, clock.today()) == 0
    called = officer.post("/api/v1/counters/1/call", {"number": mine["number"]})
    assert called.status_code == 200, called.get_json()
    tid = called.get_json()["ticket"]["id"]
    assert officer.post(f"/api/v1/tickets/{tid}/recall").status_code == 200

    sender = app.extensions["lobby_notify"]
    sender.run_pending()  # the gateway is down: every message waits, none is lost
    assert {(m.status, m.attempts) for m in _messages(app)} == {("pending", 1)}
    clock.advance(seconds=5)  # past the back-off
    with _listening(port):
        NotifySender(app).run_pending()  # as after a restart: the outbox is in the database
    posts = [(h["X-Lobby-Event"], h, json.loads(b), b) for _, h, b in _Listener.got]
    assert [e for e, *_ in posts] == ["ticket.near", "ticket.called", "ticket.recalled"]
    assert all(verify(SECRET, raw, h["X-Lobby-Signature"]) for _, h, _, raw in posts)
    near, call, recall = (body for _, _, body, _ in posts)
    assert near["phone"] == "0912345678" and near["data"]["ahead"] == 3
    assert call["text"] == f"Mời số {mine['number']} đến quầy 1."
    assert recall["text"].startswith("Nhắc lại") and recall["url"] == mine["url"]
    assert all(m.status == "delivered" and m.recipient is None for m in _messages(app))
    with app.app_context():
        stored = db.session.execute(text("SELECT phone FROM notify_contacts")).scalar_one()
        assert "0912345678" not in stored  # encrypted at rest
        clock.advance(days=1)
        assert prune(app)["notify_contacts"] == 1  # the day is over: the number is gone
        assert db.session.execute(text("SELECT count(*) FROM notify_contacts")).scalar() == 0


def _tickets(app: Any) -> list[Any]:
    from lobby.extensions import db
    from lobby.models import Ticket

    return list(db.session.scalars(select(Ticket)))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_dossier_texts_its_applicant_only_with_consent_with_a_zalo_zns_body(
    db_url: str, tmp_path: Any, clock: FixedClock
) -> None:
    from tests.integration.test_dossiers import APPLICANT

    port = _free_port()
    app = _app(
        db_url,
        tmp_path,
        clock,
        LOBBY_NOTIFY_ADAPTERS=("gateway",),
        LOBBY_NOTIFY_GATEWAY_URL=f"http://127.0.0.1:{port}/zalo",
        LOBBY_NOTIFY_ZNS_TEMPLATE="zns-248",
    )
    officer = Staff(app, "canbo1")

    def accept(**extra: Any) -> str:
        body = {"procedure": "HT-XNTTHN", "applicant": APPLICANT, **extra}
        r = officer.post("/api/v1/dossiers", body)
        assert r.status_code == 201, r.get_json()
        return str(r.get_json()["code"])

    silent = accept()  # no consent: never texted
    code = accept(notify_consent=True)
    no_phone = {**APPLICANT, "phone": ""}
    refused = officer.post(
        "/api/v1/dossiers",
        {"procedure": "HT-XNTTHN", "applicant": no_phone, "notify_consent": True},
    )
    assert (
        refused.status_code == 422 and refused.get_json()["details"]["field"] == "applicant.phone"
    )
    for c in (silent, code):
        moved = officer.post(
            f"/api/v1/dossiers/{c}/events",
            {
                "action": "apologise",
                "reason": "Chờ xác minh",
                "new_due_at": "2026-12-10T16:00:00+07:00",
            },
        )
        assert moved.status_code == 200, moved.get_json()
        assert (
            officer.post(f"/api/v1/dossiers/{c}/events", {"action": "result_ready"}).status_code
            == 200
        )
    with _listening(port):
        app.extensions["lobby_notify"].run_pending()
    bodies = [json.loads(b) for _, _, b in _Listener.got]
    assert [b["event"] for b in bodies] == [
        "dossier.received",
        "dossier.apology",
        "dossier.result_ready",
    ]
    assert all(b["data"]["code"] == code for b in bodies)
    assert "10/12/2026" in bodies[1]["text"]
    zns = bodies[2]["zalo_zns"]
    assert zns["phone"] == "84901234567" and zns["template_id"] == "zns-248"
    assert zns["template_data"]["code"] == code


def _vapid_check(auth: str, audience: str, public_key: str) -> dict[str, Any]:
    """What a push service does with the Authorization header (RFC 8292): the JWT is signed
    (ES256) by the key the header names, which is the key the subscription was made with."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    def unb64(part: str) -> bytes:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))

    scheme, _, params = auth.partition(" ")
    assert scheme.lower() == "vapid"
    fields = dict(p.strip().split("=", 1) for p in params.split(","))
    assert fields["k"] == public_key
    head, claims, signature = fields["t"].split(".")
    raw = unb64(signature)
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(fields["k"]))
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    key.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))  # raises if forged
    payload = json.loads(unb64(claims))
    assert payload["aud"] == audience and payload["exp"] > time.time()
    return payload  # type: ignore[no-any-return]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_web_push_reaches_the_browser_signed_with_vapid_and_a_gone_subscription_stops(
    db_url: str, tmp_path: Any, clock: FixedClock
) -> None:
    pytest.importorskip("pywebpush")
    import http_ece
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from lobby.notify.settings import new_vapid_key

    private, public = new_vapid_key()
    port = _free_port()
    app = _app(
        db_url,
        tmp_path,
        clock,
        LOBBY_NOTIFY_ADAPTERS=("webpush",),
        LOBBY_VAPID_PRIVATE_KEY=private,
        LOBBY_VAPID_SUBJECT="mailto:mot-cua@xa.example",
        LOBBY_NOTIFY_PUSH_HOSTS=("127.0.0.1",),  # the test's push service
    )
    ticket = issue(app.test_client(), app)
    page = app.test_client().get(f"/t/{ticket['token']}").get_data(as_text=True)
    assert "Báo cho tôi" in page and public in page
    # The browser's side of a subscription: its key pair and auth secret.
    browser = ec.generate_private_key(ec.SECP256R1())
    browser_public = browser.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    secret = b"sixteen-byte-key"
    subscription = {
        "endpoint": f"http://127.0.0.1:{port}/push/abc",
        "keys": {
            "p256dh": base64.urlsafe_b64encode(browser_public).decode().rstrip("="),
            "auth": base64.urlsafe_b64encode(secret).decode().rstrip("="),
        },
    }
    r = app.test_client().post(f"/api/v1/tickets/{ticket['token']}/push", json=subscription)
    assert r.status_code == 200 and r.get_json() == {"subscribed": True}
    bad = app.test_client().post(f"/api/v1/tickets/{ticket['token']}/push", json={"keys": {}})
    assert bad.status_code == 422
    for elsewhere in ("http://192.168.1.50:9100/", "https://fcm.googleapis.com.evil.example/x"):
        lan = app.test_client().post(
            f"/api/v1/tickets/{ticket['token']}/push", json={**subscription, "endpoint": elsewhere}
        )
        assert lan.status_code == 422, elsewhere  # never a POST into the office's LAN
    officer = Staff(app, "canbo1")
    officer.open_counter(1)
    tid = officer.call_next(1).get_json()["ticket"]["id"]
    with _listening(port):
        app.extensions["lobby_notify"].run_pending()
        _Listener.status = 410  # the citizen turned notifications off
        assert officer.post(f"/api/v1/tickets/{tid}/recall").status_code == 200
        app.extensions["lobby_notify"].run_pending()
    (path, headers, body), _gone = _Listener.got
    assert path == "/push/abc" and headers["Content-Encoding"] == "aes128gcm"
    claims = _vapid_check(headers["Authorization"], f"http://127.0.0.1:{port}", public)
    assert claims["sub"] == "mailto:mot-cua@xa.example"
    shown = json.loads(http_ece.decrypt(body, private_key=browser, auth_secret=secret))
    assert shown["body"] == f"Mời số {ticket['number']} đến quầy 1."
    assert shown["url"] == ticket["url"] and shown["tag"] == "ticket.called"
    done = _messages(app)
    assert [(m.event, m.status) for m in done] == [
        ("ticket.called", "delivered"),
        ("ticket.recalled", "failed"),
    ]
    assert all(m.recipient is None for m in done)


def test_by_default_nothing_is_stored_nor_offered(app: Any) -> None:
    from lobby.extensions import db
    from lobby.notify.models import NotifyContact

    ticket = _issue_with_phone(app, PHONE)  # accepted, and forgotten at once
    page = app.test_client().get(f"/t/{ticket['token']}").get_data(as_text=True)
    assert "Báo cho tôi" not in page
    kiosk = app.test_client()
    kiosk.get(f"/pair/{device_token(app, 'kiosk')}")
    assert 'id="sms-phone"' not in kiosk.get("/kiosk").get_data(as_text=True)
    r = app.test_client().post(
        f"/api/v1/tickets/{ticket['token']}/push",
        json={"endpoint": "https://push.example/x", "keys": {"p256dh": "a", "auth": "b"}},
    )
    assert r.status_code == 404 and r.get_json()["error"] == "not_found"
    bad = app.test_client().post(
        "/api/v1/tickets",
        json={"service": "ho_tich", "phone": "12"},
        headers=kiosk_headers(app),
    )
    assert bad.status_code == 422 and bad.get_json()["details"]["field"] == "phone"
    with app.app_context():
        assert db.session.scalars(select(NotifyContact)).all() == []
    assert "lobby_notify" not in app.extensions


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_with_a_gateway_the_kiosk_asks_for_a_phone_and_intake_for_consent(
    db_url: str, tmp_path: Any, clock: FixedClock
) -> None:
    from lobby.extensions import db
    from lobby.notify.models import NotifyContact

    app = _app(
        db_url,
        tmp_path,
        clock,
        LOBBY_NOTIFY_ADAPTERS=("gateway",),
        LOBBY_NOTIFY_GATEWAY_URL="http://127.0.0.1:9/none",
    )
    kiosk = app.test_client()
    assert kiosk.get(f"/pair/{device_token(app, 'kiosk')}").status_code == 302
    assert 'id="sms-phone"' in kiosk.get("/kiosk").get_data(as_text=True)
    officer = Staff(app, "canbo1")
    form = officer.get("/admin/dossiers/new").get_data(as_text=True)
    assert 'name="notify_consent"' in form
    r = officer.client.post(
        "/admin/dossiers/new",
        data={
            "csrf_token": officer.csrf,
            "once": "x1",
            "procedure": "HT-XNTTHN",
            "full_name": "Trần Thị Bình",
            "phone": "+84 901 234 567",
            "notify_consent": "1",
        },
    )
    assert r.status_code in (200, 302), r.get_data(as_text=True)
    with app.app_context():
        consents = db.session.scalars(select(NotifyContact)).all()
        assert [(c.dossier_id is not None, c.phone) for c in consents] == [(True, None)]
    assert [m.event for m in _messages(app)] == ["dossier.received"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_with_a_gateway_a_booking_s_one_time_code_goes_out_through_it(
    db_url: str, tmp_path: Any, clock: FixedClock
) -> None:
    """The booking page's SMS code (lobby.bookings.sms) uses the office's gateway: signed, its
    own delivery id each time, and the code typed back confirms the booking."""
    from lobby.webhooks import verify
    from tests.conftest import MONDAY_8AM

    port = _free_port()
    app = _app(
        db_url,
        tmp_path,
        clock,
        LOBBY_NOTIFY_ADAPTERS=("gateway",),
        LOBBY_NOTIFY_GATEWAY_URL=f"http://127.0.0.1:{port}/sms",
        LOBBY_NOTIFY_GATEWAY_SECRET=SECRET,
    )
    clock.set(MONDAY_8AM)
    client = app.test_client()

    def book(service: str, phone: str) -> dict[str, Any]:
        slot = {"service": service, "day": "2026-11-30", "slot": "09:00", "phone": phone}
        r = client.post("/api/v1/bookings", json=slot)
        assert r.status_code == 201, r.get_json()
        return r.get_json()  # type: ignore[no-any-return]

    with _listening(port):
        made = book("ho_tich", PHONE)
        assert made["status"] == "pending"
        other = book("chung_thuc", "0987 654 321")
    assert len(_Listener.got) == 2
    bodies = [json.loads(raw) for _, _, raw in _Listener.got]
    assert all(verify(SECRET, raw, h["X-Lobby-Signature"]) for _, h, raw in _Listener.got)
    assert [b["event"] for b in bodies] == ["booking_code", "booking_code"]
    assert [b["phone"] for b in bodies] == ["0912345678", "0987654321"]
    deliveries = {h["X-Lobby-Delivery"] for _, h, _ in _Listener.got}
    assert len(deliveries) == 2  # a gateway that drops repeated delivery ids still sends both
    otp = bodies[0]["text"].rsplit(" ", 1)[1]
    confirmed = client.post(f"/api/v1/bookings/{made['token']}/confirm", json={"otp": otp})
    assert confirmed.status_code == 200, confirmed.get_json()
    assert client.get(f"/api/v1/bookings/{made['token']}").get_json()["status"] == "booked"
    # With the gateway down the number is taken on trust: the booking stands.
    trusted = book("dat_dai", "0987 654 322")
    assert trusted["status"] == "booked" and other["status"] == "pending"


def test_with_a_gateway_a_phone_s_walk_in_tickets_count_in_its_booking_limits(
    db_url: str, tmp_path: Any, clock: FixedClock
) -> None:
    """Per person per day (2, walk-in tickets counted) and per field (1): a walk-in ticket
    given the same phone number at the kiosk is one of them; its keyed hash goes with the day.
    The kiosk never refuses a walk-in ticket for it."""
    from lobby.extensions import db
    from lobby.retention import prune
    from tests.conftest import MONDAY_8AM

    app = _app(
        db_url,
        tmp_path,
        clock,
        LOBBY_NOTIFY_ADAPTERS=("gateway",),
        LOBBY_NOTIFY_GATEWAY_URL=f"http://127.0.0.1:{_free_port()}/sms",  # down: taken on trust
        LOBBY_NOTIFY_GATEWAY_SECRET=SECRET,
    )
    clock.set(MONDAY_8AM)
    client = app.test_client()

    def book(service: str, phone: str = PHONE) -> Any:
        slot = {"service": service, "day": "2026-11-30", "slot": "09:00", "phone": phone}
        return client.post("/api/v1/bookings", json=slot)

    page = client.get("/lay-so?service=ho_tich&day=2026-11-30").get_data(as_text=True)
    assert HINT in page  # the booking page says so
    walk_in = _issue_with_phone(app, "+84 912 345 678")  # the same number, written otherwise
    same_field = book("ho_tich")
    assert same_field.status_code == 409
    assert same_field.get_json()["details"]["reason"] == "field"
    assert book("chung_thuc").status_code == 201  # the second of the day
    over = book("dat_dai")
    assert over.status_code == 409 and over.get_json()["details"]["reason"] == "person"
    assert book("dat_dai", "0987 654 321").status_code == 201  # another person
    _issue_with_phone(app, PHONE)  # a third ticket of the day: walk-ins are never refused
    left = client.post(f"/api/v1/tickets/{walk_in['token']}/leave")
    assert left.status_code == 200, left.get_json()
    assert book("dat_dai").status_code == 409  # the other walk-in ticket still counts
    with app.app_context():
        keys = db.session.execute(text("SELECT phone_key FROM notify_contacts")).scalars().all()
        assert len(keys) == 2 and all(k and "912345678" not in k for k in keys)
        clock.advance(days=1)
        assert prune(app)["notify_contacts"] == 2  # the day is over: number and hash are gone
        assert db.session.execute(text("SELECT count(*) FROM notify_contacts")).scalar() == 0


def test_without_a_gateway_walk_in_tickets_do_not_count_in_booking_limits(app: Any) -> None:
    _issue_with_phone(app, PHONE)  # the number is not kept
    client = app.test_client()
    page = client.get("/lay-so?service=ho_tich&day=2026-11-30").get_data(as_text=True)
    assert "Mỗi người đặt tối đa" in page and HINT not in page
    for service in ("ho_tich", "chung_thuc"):
        slot = {"service": service, "day": "2026-11-30", "slot": "09:00", "phone": PHONE}
        r = client.post("/api/v1/bookings", json=slot)
        assert r.status_code == 201, r.get_json()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_booked_ticket_is_texted_at_the_number_given_at_booking(
    db_url: str, tmp_path: Any, clock: FixedClock
) -> None:
    """The number given at booking follows the ticket its check-in issues (called, recalled…),
    and that ticket counts once in the person's limits: as the booking, not again as a walk-in."""
    from tests.conftest import MONDAY_8AM

    port = _free_port()
    app = _app(
        db_url,
        tmp_path,
        clock,
        LOBBY_NOTIFY_ADAPTERS=("gateway",),
        LOBBY_NOTIFY_GATEWAY_URL=f"http://127.0.0.1:{port}/sms",  # down: the number is trusted
        LOBBY_NOTIFY_GATEWAY_SECRET=SECRET,
    )
    clock.set(MONDAY_8AM)
    client = app.test_client()

    def book(service: str) -> Any:
        slot = {"service": service, "day": "2026-11-30", "slot": "08:30", "phone": PHONE}
        return client.post("/api/v1/bookings", json=slot)

    made = book("ho_tich").get_json()
    assert made["status"] == "booked"
    checked = client.post(
        "/api/v1/bookings/check-in", json={"code": made["code"]}, headers=kiosk_headers(app)
    )
    assert checked.status_code == 201, checked.get_json()
    assert book("chung_thuc").status_code == 201  # the second of the day, not the third
    assert book("dat_dai").get_json()["details"]["reason"] == "person"
    officer = Staff(app, "canbo1")
    officer.open_counter(1)
    called = officer.post("/api/v1/counters/1/call", {"number": checked.get_json()["number"]})
    assert called.status_code == 200, called.get_json()
    with _listening(port):
        app.extensions["lobby_notify"].run_pending()
    bodies = [json.loads(raw) for _, _, raw in _Listener.got]
    assert [(b["event"], b["phone"]) for b in bodies] == [("ticket.called", "0912345678")]
    assert bodies[0]["text"] == f"Mời số {checked.get_json()['number']} đến quầy 1."
