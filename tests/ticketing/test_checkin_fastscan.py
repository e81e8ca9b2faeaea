"""The lean scan path (``ticketing.checkin.fastscan`` and the SQL function ``checkin_scan``)
gives the Flask view's answers, byte for byte in meaning, and hands over what is not its own.

On PostgreSQL every scenario runs twice on twin tickets of one festival — once with the lean
path on, once with it off (``CHECKIN_FAST_PATH``) — and the answers and the stored scans must
be the same; the lean path's counter shows which of the two answered. On SQLite the lean path
never answers (it hands everything to the view), which the last test checks.

The rest of the check-in API tests (``test_checkin.py``) run through the lean path on
PostgreSQL too: the app's test client goes through the middleware, which joins the test's
transaction in a savepoint.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from eventday.db import utcnow
from eventday.extensions import db
from tests.conftest import USE_POSTGRES
from tests.ticketing.test_checkin import World, bearer, nonce, qr
from ticketing import operations as ticket_ops
from ticketing.checkin import fastscan, scan_sql
from ticketing.checkin.models import Scan

postgres_only = pytest.mark.skipif(not USE_POSTGRES, reason="the lean path is PostgreSQL's")


@pytest.fixture
def world(create_user, create_festival, create_ticket_type) -> World:
    return World(create_user, create_festival, create_ticket_type)


def middleware(app) -> fastscan.FastScan:
    layer = app.wsgi_app
    while not isinstance(layer, fastscan.FastScan):
        layer = layer.wsgi_app  # under ProxyFix when TRUSTED_PROXIES is set
    return layer


def post(client, app, token: str, body: dict, *, fast: bool) -> tuple[int, dict, bool]:
    """(HTTP status, JSON, whether the lean path answered)."""
    app.config["CHECKIN_FAST_PATH"] = fast
    layer = middleware(app)
    before = layer.answered
    try:
        response = client.post("/api/v1/checkin/scan", json=body, headers=bearer(token))
    finally:
        app.config["CHECKIN_FAST_PATH"] = True
    return response.status_code, response.get_json(), layer.answered > before


def comparable(answer: dict) -> dict:
    """An answer without what differs between twins (ids, codes, nonces, times)."""
    answer = dict(answer)
    for key in ("nonce", "scanned_at"):
        assert answer.pop(key, None) is not None or "error" in answer
    ticket = answer.get("ticket")
    if ticket:
        answer["ticket"] = {k: v for k, v in ticket.items() if k not in ("id", "short_code")}
    if answer.get("first_scan"):
        answer["first_scan"] = {"gate": answer["first_scan"]["gate"], "at": "…"}
    return answer


def stored(ticket_id: int) -> list[tuple]:
    rows = db.session.execute(
        sa.select(
            Scan.type,
            Scan.status,
            Scan.admits,
            Scan.offline,
            Scan.gate_id,
            Scan.device_id,
            Scan.duplicate_of_id.is_(None),
        )
        .where(Scan.ticket_id == ticket_id)
        .order_by(Scan.id)
    )
    return [tuple(row) for row in rows]


def tickets_pair(world: World, kind: str):
    """Two tickets alike: ('valid' | 'reserved' | 'cancelled' | 'tomorrow' | 'investor')."""

    def one():
        if kind == "reserved":
            return world.ticket(world.supporter, payment_method="vietqr")
        ticket = world.ticket(
            {"tomorrow": world.tomorrow_only, "investor": world.investor}.get(kind)
        )
        if kind == "cancelled":
            code = qr(ticket)
            ticket_ops.cancel_order(ticket.order, by_organizer=True)
            db.session.commit()
            return ticket, code
        return ticket

    pair = []
    for _ in range(2):
        made = one()
        ticket, code = made if isinstance(made, tuple) else (made, qr(made))
        pair.append((ticket, code))
    return pair


# (ticket kind, [(device, extra body), …], whether every step is the lean path's)
SCENARIOS = {
    "ok then amber at another gate": ("valid", [("main", {}), ("ocop", {})], True),
    "unpaid": ("reserved", [("main", {})], True),
    "revoked": ("cancelled", [("main", {})], True),
    "wrong day by type": ("tomorrow", [("main", {})], True),
    "wrong day by list": ("valid", [("day3", {})], True),
    "wrong list": ("valid", [("investors", {})], True),
    "right list": ("investor", [("investors", {}), ("investors", {})], True),
    "exit does not reopen": (
        "valid",
        [("main", {}), ("main", {"type": "exit"}), ("ocop", {})],
        True,
    ),
    "re-entry list": ("valid", [("hall", {}), ("hall", {})], True),
    "tracked exits: the view": (
        "valid",
        [("tracked", {}), ("tracked", {"type": "exit"}), ("tracked", {})],
        None,  # entries hand over, the exit is the lean path's
    ),
    "no list id, no time, no nonce": (
        "valid",
        [("main", {"list_id": None, "scanned_at": None, "nonce": None})],
        True,
    ),
    "clock skew": ("valid", [("main", {"scanned_at": "future"})], True),
    "naive time": ("valid", [("main", {"scanned_at": "naive"})], True),
    "offline upload: the view": ("valid", [("main", {"offline": True})], False),
    "short code: the view": ("valid", [("main", {"short_code": True})], False),
    "another list: the view": ("valid", [("main", {"list_id": "investors"})], False),
}


def body_for(world: World, device: str, code: str, ticket, extra: dict) -> dict:
    lists = {
        "main": world.entrance,
        "ocop": world.entrance,
        "day3": world.day3,
        "investors": world.investors,
        "hall": world.hall,
        "tracked": world.tracked,
    }
    now = utcnow()
    body = {
        "code": code,
        "list_id": lists[device].id,
        "type": "entry",
        "scanned_at": now.isoformat(),
        "nonce": nonce(),
    }
    for key, value in extra.items():
        if value is None:
            body.pop(key)
        elif key == "scanned_at" and value == "future":
            body[key] = (now + dt.timedelta(hours=2)).isoformat()
        elif key == "scanned_at" and value == "naive":
            body[key] = now.replace(tzinfo=None).isoformat()
        elif key == "short_code":
            body.pop("code")
            body["short_code"] = ticket.short_code
        elif key == "list_id":
            body[key] = lists[value].id
        else:
            body[key] = value
    return body


@postgres_only
@pytest.mark.parametrize("name", SCENARIOS)
def test_lean_path_answers_as_the_view(app, client, world, name):
    kind, steps, lean = SCENARIOS[name]
    (fast_ticket, fast_code), (view_ticket, view_code) = tickets_pair(world, kind)
    answered_by = []
    for device, extra in steps:
        token = world.tokens[device]
        status_f, fast, by_lean = post(
            client, app, token, body_for(world, device, fast_code, fast_ticket, extra), fast=True
        )
        status_v, view, by_view_lean = post(
            client, app, token, body_for(world, device, view_code, view_ticket, extra), fast=False
        )
        assert not by_view_lean  # switched off, it never answers
        assert status_f == status_v, (fast, view)
        assert comparable(fast) == comparable(view), (fast, view)
        answered_by.append(by_lean)
    if lean is None:
        assert answered_by == [False, True, False]
    else:
        assert answered_by == [lean] * len(steps)
    assert stored(fast_ticket.id) == stored(view_ticket.id)


@postgres_only
def test_first_scan_time_and_gate_come_from_the_admission(app, client, world):
    ticket = world.ticket()
    code = qr(ticket)
    at = utcnow() - dt.timedelta(minutes=3)
    status, first, lean = post(
        client,
        app,
        world.tokens["main"],
        {"code": code, "list_id": world.entrance.id, "scanned_at": at.isoformat()},
        fast=True,
    )
    assert (status, first["status"], lean) == (200, "ok", True)
    status, again, lean = post(client, app, world.tokens["ocop"], {"code": code}, fast=True)
    assert (status, again["status"], lean) == (200, "already_checked_in", True)
    assert again["first_scan"]["gate"] == "Cổng chính"
    assert dt.datetime.fromisoformat(again["first_scan"]["at"]) == at
    device = db.session.get(type(world.devices["main"]), world.devices["main"].id)
    db.session.refresh(device)
    assert device.last_seen_at is not None


@postgres_only
def test_replay_forgery_and_revoked_device_are_handed_to_the_view(app, client, world):
    ticket = world.ticket()
    code = qr(ticket)
    body = {"code": code, "list_id": world.entrance.id, "nonce": nonce()}
    first = post(client, app, world.tokens["main"], body, fast=True)
    assert first[1]["status"] == "ok" and first[2] is True
    # The same nonce again: the view answers with the first answer and writes nothing.
    status, replay, lean = post(client, app, world.tokens["main"], body, fast=True)
    assert (status, replay["status"], replay["replayed"], lean) == (200, "ok", True, False)
    assert len(stored(ticket.id)) == 1
    # One character changed: the signature fails; the view answers red and records it.
    forged = code[:-3] + ("A" if code[-3] != "A" else "B") + code[-2:]
    status, red, lean = post(
        client, app, world.tokens["main"], {"code": forged, "nonce": nonce()}, fast=True
    )
    assert (status, red["status"], lean) == (200, "invalid", False)
    # A revoked device: 401 from the view, translated.
    from ticketing.checkin import operations as ops

    ops.revoke_device(world.devices["ocop"])
    db.session.commit()
    status, refused, lean = post(client, app, world.tokens["ocop"], {"code": code}, fast=True)
    assert (status, refused["error"]["code"], lean) == (401, "invalid_device", False)
    # Malformed JSON: the view's 422.
    app.config["CHECKIN_FAST_PATH"] = True
    response = client.post(
        "/api/v1/checkin/scan",
        data=b"{not json",
        headers={**bearer(world.tokens["main"]), "Content-Type": "application/json"},
    )
    assert response.status_code == 422


@postgres_only
def test_the_function_exists_with_the_tables(app):
    """``create_all`` made it (the migration test checks ``flask db upgrade`` does too)."""
    found = db.session.execute(
        sa.text("SELECT count(*) FROM pg_proc WHERE proname = 'checkin_scan'")
    ).scalar_one()
    assert found == 1
    assert "FOR UPDATE OF tk" in scan_sql.FUNCTION  # the row lock the race tests rely on


@pytest.mark.skipif(USE_POSTGRES, reason="SQLite: the view answers everything")
def test_on_sqlite_the_view_answers(app, client, world):
    ticket = world.ticket()
    status, body, lean = post(
        client, app, world.tokens["main"], {"code": qr(ticket), "nonce": nonce()}, fast=True
    )
    assert (status, body["status"], lean) == (200, "ok", False)
