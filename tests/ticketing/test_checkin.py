"""Check-in at the gate (issue 4, section 5 and Done-when 5): ``scan_ticket`` and the scanner
device API through the Flask test client.

Every answer a gate can get (ok, already checked in — when and where —, unpaid, revoked, wrong
day, wrong list, invalid), short codes typed instead of the QR, exits and re-entry, offline
uploads that keep their times and resolve duplicates across devices (the earliest admission
wins), nonce replays, clock skew, and every failure the scanner meets (revoked token, another
list, malformed scans, a bad item in a batch) answered clearly without losing a queued scan.

The festival runs from yesterday to tomorrow in Vietnam's time, so "now" is a festival day.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa

from eventday.db import utcnow
from eventday.extensions import db
from eventday.festivals import operations as festival_ops
from eventday.i18n import LOCAL_TZ
from ticketing import operations as ticket_ops
from ticketing import signing
from ticketing.checkin import operations as ops
from ticketing.checkin.models import CheckinList, Gate, Scan
from ticketing.models import Ticket, TicketType

# --------------------------------------------------------------------------- fixtures


def local_today() -> dt.date:
    return utcnow().astimezone(LOCAL_TZ).date()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def iso(value: dt.datetime) -> str:
    return value.isoformat()


def parse(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def nonce() -> str:
    return uuid.uuid4().hex


class World:
    """A running festival with gates, lists, paired devices and tickets of every kind."""

    def __init__(self, create_user, create_festival, create_ticket_type):
        self.organizer = create_user()
        self.staff = create_user(name="Hồ Thị Soát Vé")
        start = local_today() - dt.timedelta(days=1)
        self.festival = create_festival(
            organizer=self.organizer, state="published", start=start, days=3
        )
        festival_ops.grant_role(self.festival, self.staff, "staff")
        settings = ticket_ops.payment_settings(self.festival)
        settings.bank_bin = "970436"
        settings.account_number = "1234567890"
        settings.account_name = "UBND XA DONG GIANG"
        db.session.commit()
        days = {d.day: d for d in self.festival.days}
        self.tomorrow = days[local_today() + dt.timedelta(days=1)]

        self.resident = create_ticket_type(
            self.festival, name_vi="Vé cư dân", name_en="Resident", quota=50
        )
        self.investor = create_ticket_type(
            self.festival, name_vi="Thẻ nhà đầu tư", name_en="Investor", quota=10
        )
        self.supporter = create_ticket_type(self.festival, name_vi="Vé ủng hộ", price_vnd=150_000)
        self.tomorrow_only = create_ticket_type(self.festival, name_vi="Vé ngày mai")
        self.tomorrow_only.days = [self.tomorrow]

        fid = self.festival.id
        self.main_gate = Gate(festival_id=fid, name="Cổng chính")
        self.ocop_gate = Gate(festival_id=fid, name="Khu OCOP", position=1)
        self.entrance = CheckinList(festival_id=fid, name="Vào cổng")
        self.investors = CheckinList(festival_id=fid, name="Phòng nhà đầu tư")
        self.investors.ticket_types = [self.investor]
        self.hall = CheckinList(festival_id=fid, name="Hội trường", allow_reentry=True)
        self.tracked = CheckinList(
            festival_id=fid, name="Khu triển lãm", allow_reentry=True, track_exits=True
        )
        self.day3 = CheckinList(festival_id=fid, name="Ngày cuối")
        self.day3.days = [self.tomorrow]
        db.session.add_all(
            [
                self.main_gate,
                self.ocop_gate,
                self.entrance,
                self.investors,
                self.hall,
                self.tracked,
                self.day3,
            ]
        )
        db.session.commit()
        self.tokens = {}
        self.devices = {}
        for name, checkin_list, gate in (
            ("main", self.entrance, self.main_gate),
            ("ocop", self.entrance, self.ocop_gate),
            ("investors", self.investors, self.main_gate),
            ("hall", self.hall, None),
            ("tracked", self.tracked, self.ocop_gate),
            ("day3", self.day3, self.main_gate),
        ):
            device, code = ops.create_device(self.festival, checkin_list, f"Máy {name}", gate)
            db.session.commit()
            device, token = ops.pair_device(code)
            db.session.commit()
            self.devices[name], self.tokens[name] = device, token

    def ticket(self, ticket_type=None, name="Alăng Thị Bốn", **kw) -> Ticket:
        order = ticket_ops.place_order(
            ticket_ops.OrderRequest(
                festival=self.festival,
                ticket_type=ticket_type or self.resident,
                attendees=[ticket_ops.AttendeeData(full_name=name, phone="+84905111222")],
                **kw,
            )
        )
        db.session.commit()
        return order.tickets[0]


@pytest.fixture
def world(create_user, create_festival, create_ticket_type) -> World:
    return World(create_user, create_festival, create_ticket_type)


def scan(client, world: World, device: str = "main", **body):
    """POST one scan as ``device``; returns (status code, JSON)."""
    body.setdefault("nonce", nonce())
    response = client.post("/api/v1/checkin/scan", json=body, headers=bearer(world.tokens[device]))
    return response.status_code, response.get_json()


def upload(client, token: str, scans):
    response = client.post("/api/v1/checkin/scans", json={"scans": scans}, headers=bearer(token))
    return response.status_code, response.get_json()


def qr(ticket: Ticket) -> str:
    code = signing.sign_ticket(ticket)
    db.session.commit()
    return code


def scans_of(ticket: Ticket) -> list[Scan]:
    return list(
        db.session.scalars(sa.select(Scan).where(Scan.ticket_id == ticket.id).order_by(Scan.id))
    )


def admissions(checkin_list: CheckinList, ticket: Ticket) -> list[Scan]:
    return list(
        db.session.scalars(
            sa.select(Scan).where(
                Scan.list_id == checkin_list.id, Scan.ticket_id == ticket.id, Scan.admits
            )
        )
    )


def assert_error(response_json, code: str, field: str | None = None) -> None:
    error = response_json["error"]
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"].strip(), error
    if field is not None:
        assert error.get("field") == field, error


# --------------------------------------------------------------------------- every answer


def test_ok_then_already_checked_in_with_first_scan_time_and_gate(client, world):
    ticket = world.ticket(name="Hồ Văn Năm")
    code = qr(ticket)
    status, first = scan(client, world, "main", code=code, list_id=world.entrance.id)
    assert status == 200
    assert first["status"] == "ok"
    assert first["ticket"]["name"] == "Hồ Văn Năm"
    assert first["ticket"]["ticket_type"] == "Vé cư dân"
    assert first["ticket"]["short_code"] == ticket.short_code
    assert first["first_scan"] is None and first["clock_skew"] is False
    assert first["replayed"] is False

    # The same ticket at the other gate of the same list: amber, with when and where.
    status, again = scan(client, world, "ocop", code=code)
    assert status == 200
    assert again["status"] == "already_checked_in"
    assert again["ticket"]["name"] == "Hồ Văn Năm"
    assert again["first_scan"]["gate"] == "Cổng chính"
    assert parse(again["first_scan"]["at"]) == parse(first["scanned_at"])
    assert [s.status for s in scans_of(ticket)] == ["ok", "already_checked_in"]
    assert len(admissions(world.entrance, ticket)) == 1


def test_unpaid_reserved_ticket_is_refused(client, world):
    ticket = world.ticket(world.supporter, payment_method="vietqr")
    assert ticket.state == "reserved" and ticket.order.state == "pending"
    status, body = scan(client, world, code=qr(ticket))
    assert (status, body["status"]) == (200, "unpaid")
    assert body["ticket"]["state"] == "reserved"
    assert admissions(world.entrance, ticket) == []


def test_cancelled_ticket_is_revoked(client, world):
    ticket = world.ticket()
    code = qr(ticket)  # the QR was issued while the ticket was valid
    ticket_ops.cancel_order(ticket.order, by_organizer=True)
    db.session.commit()
    assert ticket.state == "cancelled"
    status, body = scan(client, world, code=code)
    assert (status, body["status"]) == (200, "revoked")
    # Typing the short code does not get round it.
    assert scan(client, world, code=ticket.short_code)[1]["status"] == "revoked"


def test_refunded_ticket_is_revoked(client, world):
    ticket = world.ticket()
    ticket.state = "refunded"
    db.session.commit()
    assert scan(client, world, short_code=ticket.short_code)[1]["status"] == "revoked"


def test_wrong_day_by_ticket_type_days(client, world):
    ticket = world.ticket(world.tomorrow_only)
    status, body = scan(client, world, code=qr(ticket))
    assert (status, body["status"]) == (200, "wrong_day")
    # A device that claims it is tomorrow already does not get round it.
    tomorrow_noon = dt.datetime.combine(world.tomorrow.day, dt.time(12), tzinfo=LOCAL_TZ)
    result = ops.scan_ticket(
        ops.ScanRequest(
            checkin_list=world.entrance,
            code=qr(ticket),
            scanned_at=tomorrow_noon,
            offline=True,
        )
    )
    # Tomorrow is in the future: more than 5 minutes ahead is clock skew, the server's time
    # is used, and today is still the wrong day.
    assert result.clock_skew is True
    assert result.status == "wrong_day"


def test_wrong_day_by_list_days(client, world):
    ticket = world.ticket()  # all festival days
    status, body = scan(client, world, "day3", code=qr(ticket))
    assert (status, body["status"]) == (200, "wrong_day")


def test_wrong_day_for_a_scan_made_before_the_festival(client, world):
    """An offline scan whose time falls on no festival day (the device's queue is old)."""
    ticket = world.ticket()
    three_days_ago = utcnow() - dt.timedelta(days=3)
    status, body = upload(
        client,
        world.tokens["main"],
        [{"code": qr(ticket), "scanned_at": iso(three_days_ago), "nonce": nonce()}],
    )
    assert status == 200
    [result] = body["results"]
    assert result["status"] == "wrong_day"
    assert parse(result["scanned_at"]) == three_days_ago  # the original time was kept


def test_wrong_day_outside_the_list_time_window(client, world):
    world.entrance.ends_at = utcnow() - dt.timedelta(hours=1)
    world.entrance.starts_at = utcnow() - dt.timedelta(hours=5)
    db.session.commit()
    ticket = world.ticket()
    assert scan(client, world, code=qr(ticket))[1]["status"] == "wrong_day"
    earlier = utcnow() - dt.timedelta(hours=2)
    status, body = upload(
        client,
        world.tokens["main"],
        [{"code": qr(ticket), "scanned_at": iso(earlier), "nonce": nonce()}],
    )
    assert body["results"][0]["status"] == "ok"  # inside the window, offline


def test_wrong_list_for_another_ticket_type(client, world):
    resident = world.ticket()
    investor = world.ticket(world.investor, name="Trần Văn Vốn")
    assert scan(client, world, "investors", code=qr(resident))[1]["status"] == "wrong_list"
    assert scan(client, world, "investors", code=qr(investor))[1]["status"] == "ok"
    # A list without ticket types admits every type.
    assert scan(client, world, "main", code=qr(investor))[1]["status"] == "ok"


@pytest.mark.parametrize(
    "make_code",
    [
        pytest.param(lambda code: code[:-1] + ("A" if code[-1] != "A" else "B"), id="forged"),
        pytest.param(lambda code: code[:10] + code[11:] + "Q", id="shifted"),
        pytest.param(lambda code: code[:30], id="truncated"),
        pytest.param(lambda code: "EDT1:" + "A" * 136, id="garbage-body"),
        pytest.param(lambda code: "EDT2:" + code[5:], id="unknown-version"),
        pytest.param(lambda code: "edt1:" + code[5:].lower(), id="lower-case"),
        pytest.param(lambda code: "QQQQQQQQ", id="unknown-short-code"),
        pytest.param(lambda code: "K7QX", id="short-code-too-short"),
        pytest.param(lambda code: "💥 ' OR 1=1 --", id="junk"),
    ],
)
def test_invalid_codes_are_red(client, world, make_code):
    ticket = world.ticket()
    code = make_code(qr(ticket))
    status, body = scan(client, world, code=code)
    assert (status, body["status"]) == (200, "invalid")
    assert body["ticket"] is None
    assert admissions(world.entrance, ticket) == []
    # Recorded all the same: the organizer sees forged attempts.
    assert db.session.scalar(sa.select(Scan).where(Scan.nonce == body["nonce"])).status == (
        "invalid"
    )


def test_genuine_ticket_of_another_festival_is_invalid(client, world, create_festival):
    other = create_festival(state="published")
    other_type = TicketType(festival_id=other.id, name_vi="Vé khác", price_vnd=0)
    db.session.add(other_type)
    db.session.commit()
    order = ticket_ops.place_order(
        ticket_ops.OrderRequest(
            festival=other,
            ticket_type=other_type,
            attendees=[ticket_ops.AttendeeData(full_name="Khách lạ", phone="+84905000111")],
        )
    )
    db.session.commit()
    foreign = order.tickets[0]
    assert scan(client, world, code=qr(foreign))[1]["status"] == "invalid"
    # Its short code does not exist at this festival either.
    assert scan(client, world, short_code=foreign.short_code)[1]["status"] == "invalid"


def test_short_code_typed_instead_of_the_qr(client, world):
    one, two = world.ticket(name="Một"), world.ticket(name="Hai")
    spaced = f" {one.short_code[:4].lower()}-{one.short_code[4:].lower()} "
    status, body = scan(client, world, code=spaced)  # keyboard-wedge or a person typing
    assert (status, body["status"], body["ticket"]["name"]) == (200, "ok", "Một")
    status, body = scan(client, world, short_code=two.short_code)
    assert (body["status"], body["ticket"]["name"]) == ("ok", "Hai")
    # Then its QR is a second entry.
    assert scan(client, world, code=qr(one))[1]["status"] == "already_checked_in"


# --------------------------------------------------------------------------- exits, re-entry


def test_exit_scans_and_reentry_with_tracked_exits(client, world):
    ticket = world.ticket()
    code = qr(ticket)
    steps = [
        ("entry", "ok"),
        ("entry", "already_checked_in"),  # inside already: this ticket is being passed on
        ("exit", "ok"),
        ("entry", "ok"),  # re-entry after leaving
        ("exit", "ok"),
    ]
    for kind, expected in steps:
        status, body = scan(client, world, "tracked", code=code, type=kind)
        assert (status, body["status"]) == (200, expected), (kind, body)
    assert [s.type for s in scans_of(ticket) if s.status == "ok"] == [
        "entry",
        "exit",
        "entry",
        "exit",
    ]
    # A re-entry list admits no one permanently: no admission row is kept.
    assert admissions(world.tracked, ticket) == []


def test_reentry_list_without_exit_tracking_admits_every_time(client, world):
    code = qr(world.ticket())
    assert [scan(client, world, "hall", code=code)[1]["status"] for _ in range(3)] == ["ok"] * 3


def test_exit_on_a_single_entry_list_does_not_reopen_it(client, world):
    ticket = world.ticket()
    code = qr(ticket)
    assert scan(client, world, code=code)[1]["status"] == "ok"
    assert scan(client, world, code=code, type="exit")[1]["status"] == "ok"
    assert scan(client, world, code=code)[1]["status"] == "already_checked_in"
    assert len(admissions(world.entrance, ticket)) == 1


# --------------------------------------------------------------------------- offline, replay


def test_replayed_nonce_returns_the_first_answer_and_changes_nothing(client, world):
    ticket = world.ticket()
    code = qr(ticket)
    same = nonce()
    first = scan(client, world, code=code, nonce=same)[1]
    again = scan(client, world, code=code, nonce=same)[1]
    assert first["status"] == again["status"] == "ok"
    assert (first["replayed"], again["replayed"]) == (False, True)
    assert again["scanned_at"] == first["scanned_at"]
    assert len(scans_of(ticket)) == 1

    # A replayed amber answer still says when and where.
    late = nonce()
    amber = scan(client, world, "ocop", code=code, nonce=late)[1]
    amber_again = scan(client, world, "ocop", code=code, nonce=late)[1]
    assert amber_again["status"] == "already_checked_in" and amber_again["replayed"]
    assert amber_again["first_scan"] == amber["first_scan"]
    assert amber_again["first_scan"]["gate"] == "Cổng chính"


def test_uploading_the_same_queue_twice_records_it_once(client, world):
    tickets = [world.ticket(name=f"Người {i}") for i in range(3)]
    base = utcnow() - dt.timedelta(minutes=40)
    queue = [
        {"code": qr(t), "scanned_at": iso(base + dt.timedelta(minutes=i)), "nonce": nonce()}
        for i, t in enumerate(tickets)
    ]
    first = upload(client, world.tokens["main"], queue)[1]["results"]
    # The connection dropped before the answer arrived: the phone sends the queue again.
    again = upload(client, world.tokens["main"], queue)[1]["results"]
    assert [r["status"] for r in first] == ["ok"] * 3
    assert [r["status"] for r in again] == ["ok"] * 3
    assert [r["replayed"] for r in again] == [True] * 3
    assert [r["nonce"] for r in again] == [q["nonce"] for q in queue]
    count = db.session.scalar(
        sa.select(sa.func.count(Scan.id)).where(Scan.nonce.in_([q["nonce"] for q in queue]))
    )
    assert count == 3


def test_offline_upload_keeps_the_original_times(client, world):
    ticket = world.ticket()
    happened = (utcnow() - dt.timedelta(hours=2)).replace(microsecond=0)
    status, body = upload(
        client,
        world.tokens["ocop"],
        [{"code": qr(ticket), "scanned_at": happened.isoformat().replace("+00:00", "Z")}],
    )
    assert status == 200
    [result] = body["results"]
    assert result["status"] == "ok" and result["clock_skew"] is False
    assert parse(result["scanned_at"]) == happened
    [row] = scans_of(ticket)
    assert row.offline is True
    assert row.scanned_at == happened
    assert row.received_at > happened + dt.timedelta(hours=1)
    assert row.gate_id == world.ocop_gate.id
    assert row.device_id == world.devices["ocop"].id


def test_earliest_admission_wins_across_devices(client, world):
    """Gate A admitted the ticket online; gate B, offline, had admitted it an hour earlier.
    After B's upload, B's scan is the admission and A's is listed as a duplicate after sync."""
    ticket = world.ticket()
    code = qr(ticket)
    online = scan(client, world, "main", code=code)[1]
    assert online["status"] == "ok"
    earlier = utcnow() - dt.timedelta(hours=1)
    [offline] = upload(
        client, world.tokens["ocop"], [{"code": code, "scanned_at": iso(earlier), "nonce": nonce()}]
    )[1]["results"]
    assert offline["status"] == "ok"

    [admission] = admissions(world.entrance, ticket)
    assert admission.nonce == offline["nonce"] and admission.gate_id == world.ocop_gate.id
    duplicates = ops.duplicates_after_sync(world.festival)
    assert [d.nonce for d in duplicates] == [online["nonce"]]
    assert duplicates[0].duplicate_of_id == admission.id
    assert duplicates[0].gate_id == world.main_gate.id

    # Now a third scan is amber and names the earliest admission.
    third = scan(client, world, "main", code=code)[1]
    assert third["status"] == "already_checked_in"
    assert third["first_scan"]["gate"] == "Khu OCOP"
    assert parse(third["first_scan"]["at"]) == earlier


def test_later_offline_admission_is_a_duplicate_after_sync(client, world):
    ticket = world.ticket()
    code = qr(ticket)
    first_at = utcnow() - dt.timedelta(hours=2)
    later_at = utcnow() - dt.timedelta(hours=1)
    # Both gates were offline; the second uploads first — order of upload does not matter.
    _status, body = upload(
        client, world.tokens["main"], [{"code": code, "scanned_at": iso(later_at)}]
    )
    [late] = body["results"]
    _status, body = upload(
        client, world.tokens["ocop"], [{"code": code, "scanned_at": iso(first_at)}]
    )
    [early] = body["results"]
    assert (late["status"], early["status"]) == ("ok", "ok")
    [admission] = admissions(world.entrance, ticket)
    assert admission.scanned_at == first_at
    assert [d.nonce for d in ops.duplicates_after_sync(world.festival)] == [late["nonce"]]
    # A further offline scan, later still, is amber and listed too.
    [third] = upload(
        client,
        world.tokens["main"],
        [{"code": code, "scanned_at": iso(utcnow() - dt.timedelta(minutes=30))}],
    )[1]["results"]
    assert third["status"] == "already_checked_in"
    assert {d.nonce for d in ops.duplicates_after_sync(world.festival)} == {
        late["nonce"],
        third["nonce"],
    }


def test_online_second_scan_is_not_a_sync_duplicate(client, world):
    code = qr(world.ticket())
    scan(client, world, code=code)
    assert scan(client, world, code=code)[1]["status"] == "already_checked_in"
    assert ops.duplicates_after_sync(world.festival) == []  # the gate saw amber at once


@pytest.mark.parametrize(
    ("offset", "skewed"),
    [
        (dt.timedelta(days=2), True),  # device clock two days ahead
        (dt.timedelta(hours=1), True),
        (dt.timedelta(minutes=2), False),  # a little drift is fine
        (-dt.timedelta(days=45), True),  # older than any plausible offline queue
    ],
)
def test_clock_skew_uses_the_server_time(client, world, offset, skewed):
    ticket = world.ticket()
    before = utcnow()
    device_time = before + offset
    status, body = scan(client, world, code=qr(ticket), scanned_at=iso(device_time))
    assert status == 200
    assert body["clock_skew"] is skewed
    recorded = parse(body["scanned_at"])
    if skewed:
        assert before <= recorded <= utcnow()
        assert body["status"] == "ok"  # the scan itself is still answered
    else:
        assert recorded == device_time


def test_naive_scan_time_is_read_as_utc(client, world):
    ticket = world.ticket()
    at = (utcnow() - dt.timedelta(minutes=10)).replace(microsecond=0)
    body = scan(client, world, code=qr(ticket), scanned_at=at.replace(tzinfo=None).isoformat())[1]
    assert parse(body["scanned_at"]) == at


# --------------------------------------------------------------------------- failures


def test_revoked_device_gets_401_on_both_endpoints_and_keeps_its_queue(client, world):
    ticket = world.ticket()
    queued = [{"code": qr(ticket), "scanned_at": iso(utcnow() - dt.timedelta(minutes=5))}]
    queued[0]["nonce"] = nonce()
    ops.revoke_device(world.devices["main"])
    db.session.commit()

    status, body = scan(client, world, "main", code=queued[0]["code"])
    assert status == 401
    assert_error(body, "invalid_device")
    status, body = upload(client, world.tokens["main"], queued)
    assert status == 401
    assert_error(body, "invalid_device")
    response = client.get("/api/v1/checkin/sync", headers=bearer(world.tokens["main"]))
    assert response.status_code == 401 and "Bearer" in response.headers["WWW-Authenticate"]
    assert scans_of(ticket) == []  # nothing recorded: the phone keeps its queue

    # Paired again (a new device for the same list), the same queue uploads intact.
    device, code = ops.create_device(world.festival, world.entrance, "Máy mới", world.main_gate)
    db.session.commit()
    _device, token = ops.pair_device(code)
    db.session.commit()
    status, body = upload(client, token, queued)
    assert status == 200
    assert body["results"][0]["status"] == "ok"
    assert parse(body["results"][0]["scanned_at"]) == parse(queued[0]["scanned_at"])


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer eds_not-a-real-token"},
        {"Authorization": "Bearer something-else"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
    ],
)
def test_unknown_credentials_are_refused(client, world, headers):
    for path in ("/api/v1/checkin/scan", "/api/v1/checkin/scans"):
        response = client.post(path, json={"code": "X", "scans": []}, headers=headers)
        assert response.status_code == 401, path
        assert response.get_json()["error"]["code"] in ("invalid_device", "unauthorized")
    assert client.get("/api/v1/checkin/sync", headers=headers).status_code == 401


def test_scan_for_another_list_is_403(client, world):
    ticket = world.ticket()
    for list_id in (world.investors.id, 999_999):  # another list, or one that does not exist
        status, body = scan(client, world, "main", code=qr(ticket), list_id=list_id)
        assert status == 403, list_id
        assert_error(body, "wrong_device_list", "list_id")
    for list_id in (str(world.entrance.id), None, True, [world.entrance.id]):
        status, body = scan(client, world, "main", code=qr(ticket), list_id=list_id)
        assert status == 422, list_id
        assert_error(body, "invalid_parameter", "list_id")
    assert scans_of(ticket) == []
    # Without list_id the device's own list is meant.
    assert scan(client, world, "main", code=qr(ticket))[1]["status"] == "ok"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "code"),
        ({"code": ""}, "code"),
        ({"code": "   "}, "code"),
        ({"code": 12345678}, "code"),
        ({"short_code": ["K7QX3MPA"]}, "code"),
        ({"code": "K7QX3MPA", "type": "sideways"}, "type"),
        ({"code": "K7QX3MPA", "type": 1}, "type"),
        ({"code": "K7QX3MPA", "nonce": "n" * 65}, "nonce"),
        ({"code": "K7QX3MPA", "scanned_at": "hôm qua"}, "scanned_at"),
        ({"code": "K7QX3MPA", "scanned_at": 1732770000}, "scanned_at"),
    ],
)
def test_malformed_fields_get_422_with_the_field(client, world, body, field):
    response = client.post("/api/v1/checkin/scan", json=body, headers=bearer(world.tokens["main"]))
    assert response.status_code == 422
    assert_error(response.get_json(), "invalid_parameter", field)
    assert db.session.scalar(sa.select(sa.func.count(Scan.id))) == 0


@pytest.mark.parametrize(
    "data",
    ["not json", "[1, 2]", '"a string"', "null", "{bad json"],
)
def test_malformed_body_gets_422(client, world, data):
    response = client.post(
        "/api/v1/checkin/scan",
        data=data,
        content_type="application/json",
        headers=bearer(world.tokens["main"]),
    )
    assert response.status_code == 422
    assert_error(response.get_json(), "invalid_body")


@pytest.mark.parametrize(
    "payload",
    [{"scans": "all of them"}, {"scans": {"code": "x"}}, [], {"scans": [{}] * 501}],
)
def test_malformed_batch_gets_422(client, world, payload):
    response = client.post(
        "/api/v1/checkin/scans", json=payload, headers=bearer(world.tokens["main"])
    )
    assert response.status_code == 422
    assert_error(response.get_json(), "invalid_body", "scans")


def test_batch_with_bad_items_still_records_the_others(client, world):
    one, two = world.ticket(name="Một"), world.ticket(name="Hai")
    at = utcnow() - dt.timedelta(minutes=20)
    items = [
        {"code": qr(one), "scanned_at": iso(at), "nonce": "n-one"},
        {"code": qr(two), "scanned_at": "not a time", "nonce": "n-bad-time"},
        {"code": qr(two), "list_id": world.investors.id, "nonce": "n-other-list"},
        "not an object",
        {"nonce": "n-no-code"},
        {"code": qr(two), "type": "sideways", "nonce": "n-bad-type"},
        {"code": qr(two), "scanned_at": iso(at + dt.timedelta(minutes=1)), "nonce": "n-two"},
    ]
    status, body = upload(client, world.tokens["main"], items)
    assert status == 200
    results = body["results"]
    assert len(results) == len(items)  # one answer per item, in order
    assert [r.get("status") for r in results] == ["ok", None, None, None, None, None, "ok"]
    errors = {r["nonce"]: r["error"] for r in results if "error" in r}
    assert errors["n-bad-time"]["code"] == "invalid_parameter"
    assert errors["n-bad-time"]["field"] == "scanned_at"
    assert errors["n-other-list"]["code"] == "wrong_device_list"
    assert errors[None]["code"] == "invalid_body"
    assert errors["n-no-code"]["field"] == "code"
    assert errors["n-bad-type"]["field"] == "type"
    assert all(e["message"] for e in errors.values())
    recorded = db.session.scalars(sa.select(Scan.nonce).order_by(Scan.id)).all()
    assert recorded == ["n-one", "n-two"]
    assert [s.scanned_at for s in scans_of(two)] == [at + dt.timedelta(minutes=1)]


def test_scan_by_a_device_of_another_festival_is_invalid(client, world, create_festival):
    other = create_festival(state="published")
    other_list = CheckinList(festival_id=other.id, name="Cổng")
    db.session.add(other_list)
    db.session.commit()
    _device, code = ops.create_device(other, other_list, "Máy lạ")
    _device, token = ops.pair_device(code)
    db.session.commit()
    ticket = world.ticket()
    response = client.post("/api/v1/checkin/scan", json={"code": qr(ticket)}, headers=bearer(token))
    assert response.get_json()["status"] == "invalid"
    response = client.post(
        "/api/v1/checkin/scan", json={"short_code": ticket.short_code}, headers=bearer(token)
    )
    assert response.get_json()["status"] == "invalid"


# --------------------------------------------------------------------------- devices, pairing


def test_pairing_code_works_once(client, world):
    device, code = ops.create_device(world.festival, world.entrance, "Điện thoại cổng 2")
    db.session.commit()
    assert device.token_hash is None and not device.is_active
    paired, token = ops.pair_device(code.lower())  # read aloud, typed in lower case
    db.session.commit()
    assert paired.id == device.id and paired.is_active and token.startswith("eds_")
    with pytest.raises(ops.CheckinError) as info:
        ops.pair_device(code)
    assert info.value.reason == "pairing_invalid"
    db.session.rollback()
    ticket = world.ticket()
    response = client.post("/api/v1/checkin/scan", json={"code": qr(ticket)}, headers=bearer(token))
    assert response.get_json()["status"] == "ok"


def test_pairing_code_expires(world):
    device, code = ops.create_device(world.festival, world.entrance, "Máy hết hạn")
    device.pairing_expires_at = utcnow() - dt.timedelta(seconds=1)
    db.session.commit()
    with pytest.raises(ops.CheckinError):
        ops.pair_device(code)


def test_revoked_device_cannot_pair(world):
    device, code = ops.create_device(world.festival, world.entrance, "Máy bị thu hồi")
    ops.revoke_device(device)
    db.session.commit()
    with pytest.raises(ops.CheckinError):
        ops.pair_device(code)


@pytest.mark.parametrize("code", ["", "WRONGCODE1", "x" * 300])
def test_unknown_pairing_code(world, code):
    with pytest.raises(ops.CheckinError):
        ops.pair_device(code)


def test_pairing_page_gives_the_token_once(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    device, code = ops.create_device(world.festival, world.entrance, "Máy qua liên kết")
    db.session.commit()
    assert client.get(f"/scan/pair?code={code}").status_code == 200
    response = client.post("/scan/pair", data={"code": code})
    assert response.status_code == 200
    db.session.refresh(device)
    assert device.is_active and device.paired_at is not None
    again = client.post("/scan/pair", data={"code": code})
    assert again.status_code == 200
    assert "eds_" not in again.get_data(as_text=True)  # no token the second time


def test_staff_device_rotates_its_token(client, world):
    ticket = world.ticket()
    device, old = ops.staff_device(world.staff, world.festival, world.entrance)
    db.session.commit()
    again, new = ops.staff_device(world.staff, world.festival, world.entrance)
    db.session.commit()
    assert again.id == device.id and new != old
    response = client.post("/api/v1/checkin/scan", json={"code": qr(ticket)}, headers=bearer(old))
    assert response.status_code == 401
    assert_error(response.get_json(), "invalid_device")
    response = client.post("/api/v1/checkin/scan", json={"code": qr(ticket)}, headers=bearer(new))
    assert response.get_json()["status"] == "ok"
    [row] = scans_of(ticket)
    assert row.device_id == device.id


def test_staff_scanner_page_pairs_the_logged_in_staff(client, world, auth):
    auth.login(world.staff)
    response = client.get(f"/f/{world.festival.slug}/scan/{world.entrance.id}")
    assert response.status_code == 200
    assert client.get(f"/f/{world.festival.slug}/scan/{world.investors.id + 1000}").status_code == (
        404
    )


# --------------------------------------------------------------------------- sync


def test_sync_gives_keys_revocations_and_tickets_incrementally(client, world):
    valid = world.ticket(name="Còn hiệu lực")
    cancelled = world.ticket(name="Đã hủy")
    code = qr(valid)
    ticket_ops.cancel_order(cancelled.order, by_organizer=True)
    db.session.commit()
    response = client.get("/api/v1/checkin/sync", headers=bearer(world.tokens["main"]))
    assert response.status_code == 200
    data = response.get_json()
    assert data["list"]["id"] == world.entrance.id and data["list"]["single_entry"] is True
    assert data["device"]["gate"] == "Cổng chính"
    assert data["revoked"] == [cancelled.id]
    assert {t["short_code"] for t in data["tickets"]} >= {valid.short_code, cancelled.short_code}
    # The keys verify the ticket's QR offline, as the phone does.
    keys = {k["key_id"]: k for k in data["keys"]}
    import base64

    raw = {
        key_id: base64.urlsafe_b64decode(k["public_key"] + "=" * (-len(k["public_key"]) % 4))
        for key_id, k in keys.items()
    }
    assert signing.decode_and_verify(code, raw).ticket_id == valid.id

    # synced_at may lie a little in the past (an overlap): never after the answer was made.
    assert parse(data["synced_at"]) <= utcnow()
    since = iso(utcnow())
    later = client.get(
        "/api/v1/checkin/sync", query_string={"since": since}, headers=bearer(world.tokens["main"])
    ).get_json()
    assert later["tickets"] == []
    valid.attendee_name = "Đổi tên"
    db.session.commit()
    later = client.get(
        "/api/v1/checkin/sync", query_string={"since": since}, headers=bearer(world.tokens["main"])
    ).get_json()
    assert [t["name"] for t in later["tickets"]] == ["Đổi tên"]


def test_sync_of_a_restricted_list_has_only_its_types(client, world):
    world.ticket()
    investor = world.ticket(world.investor)
    data = client.get("/api/v1/checkin/sync", headers=bearer(world.tokens["investors"])).get_json()
    assert [t["id"] for t in data["tickets"]] == [investor.id]
    assert data["list"]["ticket_type_ids"] == [world.investor.id]


def test_sync_rejects_a_bad_since(client, world):
    response = client.get(
        "/api/v1/checkin/sync",
        query_string={"since": "last week"},
        headers=bearer(world.tokens["main"]),
    )
    assert response.status_code == 422
    assert_error(response.get_json(), "invalid_parameter", "since")


# --------------------------------------------------------------------------- last line of defence


def test_unique_index_turns_a_missed_admission_into_already_checked_in(client, world, monkeypatch):
    """If the decision missed the admission (what the row lock prevents on PostgreSQL), the
    partial unique index refuses the second one and the gate gets amber, not an error."""
    ticket = world.ticket()
    code = qr(ticket)
    first = scan(client, world, "main", code=code)[1]
    real = ops._replay_and_admission
    monkeypatch.setattr(ops, "_replay_and_admission", lambda n, lst, t: (real(n, lst, t)[0], None))
    status, body = scan(client, world, "ocop", code=code)
    assert (status, body["status"]) == (200, "already_checked_in")
    assert body["first_scan"]["gate"] == "Cổng chính"
    assert parse(body["first_scan"]["at"]) == parse(first["scanned_at"])
    assert len(admissions(world.entrance, ticket)) == 1
    assert len(scans_of(ticket)) == 2  # the refused scan is recorded all the same


def test_same_nonce_uploaded_twice_at_once_is_a_replay(client, world, monkeypatch):
    """Two uploads of one queued scan racing (a retry while the first is still running): the
    nonce's unique constraint keeps one row and the second answer is the first's."""
    ticket = world.ticket()
    same = nonce()
    first = scan(client, world, code=qr(ticket), nonce=same)[1]
    real = ops._replay_and_admission
    monkeypatch.setattr(ops, "_replay_and_admission", lambda n, lst, t: (None, real(n, lst, t)[1]))
    status, body = scan(client, world, code=qr(ticket), nonce=same)
    assert status == 200
    assert body["replayed"] is True
    assert (body["status"], body["scanned_at"]) == ("ok", first["scanned_at"])
    assert len(scans_of(ticket)) == 1
