"""No double admission (issue 4, Done-when 1): 100 simultaneous scans of one ticket on a
single-entry list on PostgreSQL give exactly one ``ok`` and 99 ``already_checked_in``.

Real threads, each with its own app context and session (its own connection and transaction)
and its own paired device (100 phones at 4 gates), released together by a barrier, call
``ops.scan_ticket`` with the ticket's signed QR code on a scratch database. Every run widens
the window between an admitting decision and its INSERT the same way (``_decide`` sleeps
300 ms after deciding ``ok``; answers that admit no one are not slowed), so the runs compare
fairly and the locked runs stay short:

- lock and index on: exactly one ``ok``;
- each defence alone (the row lock without the index, the index without the lock) still
  admits exactly once — the index turns a late admission into ``already_checked_in``;
- negative control, lock and index both off (``lock_ticket`` a plain SELECT, the partial
  unique index ``uq_scans_one_admission`` dropped): the same race admits the ticket several
  times, which proves the test can fail.

Connections: a PostgreSQL transaction needs its own connection, and the server allows
``max_connections`` (100 here, shared with whatever else runs). A third of what is free (at
least 20) is the lean scan path's own cap; the rest, minus a margin, is the SQLAlchemy pool
(e.g. 29 and 59 when 100 are free). The 100 scans share them: the first ones race at once and
the rest start as soon as one ends, all while the first winner still holds the lock or has not
committed — every scan runs concurrently with others, and the waiting happens at the pool,
never by running the scans one after another.

The same four runs go through the lean path over HTTP (below): 100 posts at once through the
app's test client, the function's window widened inside PostgreSQL.
"""

from __future__ import annotations

import collections
import datetime as dt
import threading
import time
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import QueuePool

from eventday.db import utcnow
from eventday.extensions import db
from eventday.i18n import LOCAL_TZ
from tests.conftest import PASSWORD
from tests.scratch_db import free_connections, scratch_app

pytestmark = [pytest.mark.postgres, pytest.mark.committing]

SCANS = 100
WINDOW_S = 0.3  # pause after an admitting decision, before the scan is written
CONNECTION_MARGIN = 12  # left free for the test's own reads and anything else on the server
MIN_CONNECTIONS = 20


@pytest.fixture(scope="module")
def race_app(tmp_path_factory):
    """An app on its own new database next to the test database; dropped afterwards."""
    free = free_connections(CONNECTION_MARGIN)
    if free < MIN_CONNECTIONS:
        pytest.fail(f"only {free} PostgreSQL connections free: too few for a real race")
    # The lean scan path keeps connections of its own: a share of what is free, the
    # rest for the SQLAlchemy pool (the ORM scans, and the view the lean path hands to).
    lean = max(MIN_CONNECTIONS, min(SCANS, free) // 3)
    connections = min(SCANS, free - lean)
    if connections < MIN_CONNECTIONS:
        pytest.fail(f"only {free} PostgreSQL connections free: too few for a real race")
    pool = {
        "poolclass": QueuePool,
        "pool_size": connections,
        "max_overflow": 0,
        "pool_timeout": 120,
    }
    with scratch_app(
        tmp_path_factory.mktemp("checkin-race"),
        "checkin_race",
        pool,
        CHECKIN_FAST_PATH_CONNECTIONS=lean,
        RACE_CONNECTIONS=connections,
    ) as app:
        yield app


def _one_ticket_at_the_gate(app) -> dict:
    """A running festival (yesterday to tomorrow, Vietnam time), a single-entry list, 4 gates,
    a paired device per scan and one valid ticket with its signed QR code.

    Devices are paired (which sets ``last_seen_at``): a scan then does not update its device
    row, and no two scans share a device — a shared device row would be a lock of its own."""
    from eventday.accounts import operations as account_ops
    from eventday.festivals import operations as festival_ops
    from tests.conftest import area
    from ticketing import operations as ticket_ops
    from ticketing import signing
    from ticketing.checkin import operations as ops
    from ticketing.checkin.models import CheckinList, Gate
    from ticketing.models import TicketType

    tag = uuid.uuid4().hex[:6]
    with app.app_context():
        organizer = account_ops.create_user(
            f"gate{tag}@example.vn", PASSWORD, "Bríu Thị Cổng", verified=True
        )
        start = utcnow().astimezone(LOCAL_TZ).date() - dt.timedelta(days=1)
        festival = festival_ops.create_festival(
            organizer,
            festival_ops.FestivalData(
                name_vi="Ngày hội qua cổng",
                host_area_ids=[area("commune", "20467").id],
                start_date=start,
                end_date=start + dt.timedelta(days=2),
                day_starts=dt.time(8),
                day_ends=dt.time(17),
                venue_name="Nhà văn hóa xã",
                slug=f"qua-cong-{tag}",
            ),
        )
        festival_ops.change_state(festival, "published")
        ticket_type = TicketType(festival_id=festival.id, name_vi="Vé cư dân", price_vnd=0)
        checkin_list = CheckinList(festival_id=festival.id, name="Vào cổng")  # single entry
        gates = [Gate(festival_id=festival.id, name=f"Cổng {i}", position=i) for i in range(4)]
        db.session.add_all([ticket_type, checkin_list, *gates])
        db.session.commit()
        devices, tokens = [], []
        for n in range(SCANS):
            gate = gates[n % len(gates)]
            _device, code = ops.create_device(festival, checkin_list, f"Máy {n}", gate)
            device, token = ops.pair_device(code)
            devices.append(device.id)
            tokens.append(token)
        order = ticket_ops.place_order(
            ticket_ops.OrderRequest(
                festival=festival,
                ticket_type=ticket_type,
                attendees=[ticket_ops.AttendeeData(full_name="Hồ Văn Năm", phone="+84905111222")],
            )
        )
        ticket = order.tickets[0]
        code = signing.sign_ticket(ticket)
        db.session.commit()
        assert ticket.state == "valid"
        return {
            "list_id": checkin_list.id,
            "device_ids": devices,
            "tokens": tokens,
            "ticket_id": ticket.id,
            "code": code,
            "tag": tag,
        }


def _race(app, world: dict) -> tuple[collections.Counter, int, int]:
    """SCANS scans of the same ticket at the same moment, one per device.

    Returns (answers by status, admitting scans in the database, all scans of the ticket)."""
    from ticketing.checkin import operations as ops
    from ticketing.checkin.models import CheckinList, Scan, ScannerDevice

    answers: list[str] = []
    record = threading.Lock()
    barrier = threading.Barrier(SCANS)

    def scan(n: int) -> None:
        barrier.wait(timeout=60)
        with app.app_context():
            try:
                checkin_list = db.session.get(CheckinList, world["list_id"])
                device = db.session.get(ScannerDevice, world["device_ids"][n])
                result = ops.scan_ticket(
                    ops.ScanRequest(
                        checkin_list=checkin_list,
                        code=world["code"],
                        nonce=f"race-{world['tag']}-{n}",
                        device=device,
                    )
                )
                db.session.commit()
                answer = result.status
            except Exception as exc:  # noqa: BLE001 - any other failure is a test failure
                db.session.rollback()
                answer = f"error: {type(exc).__name__}: {exc}"[:300]
            finally:
                db.session.remove()
        with record:
            answers.append(answer)

    threads = [threading.Thread(target=scan, args=(n,)) for n in range(SCANS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a scan hung"

    with app.app_context():
        of_ticket = sa.and_(Scan.list_id == world["list_id"], Scan.ticket_id == world["ticket_id"])
        admitting = db.session.scalar(
            sa.select(sa.func.count(Scan.id)).where(of_ticket, Scan.admits)
        )
        total = db.session.scalar(sa.select(sa.func.count(Scan.id)).where(of_ticket))
        db.session.remove()
    return collections.Counter(answers), admitting, total


def _widen_window(monkeypatch) -> None:
    """``_decide`` pauses after deciding ``ok``: every scan that decides before the first
    admission is written sees the ticket as not yet inside (a slow request or a GC pause in
    production)."""
    from ticketing.checkin import operations as ops

    original = ops._decide

    def slow_decide(*args, **kwargs):
        result = original(*args, **kwargs)
        if result[0] == "ok":
            time.sleep(WINDOW_S)
        return result

    monkeypatch.setattr(ops, "_decide", slow_decide)


def _lock_off(monkeypatch) -> None:
    """``lock_ticket`` as a plain SELECT: no ``FOR UPDATE``."""
    from ticketing.checkin import operations as ops
    from ticketing.models import Ticket

    def unlocked(ticket_id: int):
        return db.session.scalar(
            sa.select(Ticket)
            .where(Ticket.id == ticket_id)
            .execution_options(populate_existing=True)
        )

    monkeypatch.setattr(ops, "lock_ticket", unlocked)


class _IndexOff:
    """Drop ``uq_scans_one_admission`` for the block; afterwards put it back (first clearing
    the double admissions the race made, or the unique index could not be built)."""

    def __init__(self, app, world):
        self.app, self.world = app, world

    def _execute(self, sql: str, **params) -> None:
        with self.app.app_context(), db.engine.begin() as conn:
            conn.execute(sa.text(sql), params)

    def __enter__(self):
        self._execute("DROP INDEX uq_scans_one_admission")
        return self

    def __exit__(self, *exc):
        self._execute(
            "UPDATE scans SET admits = false WHERE ticket_id = :ticket AND admits",
            ticket=self.world["ticket_id"],
        )
        from ticketing.checkin.models import Scan

        index = next(i for i in Scan.__table__.indexes if i.name == "uq_scans_one_admission")
        with self.app.app_context(), db.engine.begin() as conn:
            index.create(conn)
        return False


def test_race_uses_many_connections(race_app):
    """The race is real: at least MIN_CONNECTIONS transactions can run at once."""
    connections = race_app.config["RACE_CONNECTIONS"]
    print(f"{SCANS} scans over {connections} PostgreSQL connections")  # shown with -rP
    assert connections >= MIN_CONNECTIONS


def test_hundred_simultaneous_scans_admit_once(race_app, monkeypatch):
    _widen_window(monkeypatch)
    world = _one_ticket_at_the_gate(race_app)
    answers, admitting, total = _race(race_app, world)
    assert answers == {"ok": 1, "already_checked_in": SCANS - 1}, answers
    assert admitting == 1
    assert total == SCANS  # every scan is recorded


def test_the_row_lock_alone_admits_once(race_app, monkeypatch):
    _widen_window(monkeypatch)
    world = _one_ticket_at_the_gate(race_app)
    with _IndexOff(race_app, world):
        answers, admitting, total = _race(race_app, world)
    assert answers == {"ok": 1, "already_checked_in": SCANS - 1}, answers
    assert (admitting, total) == (1, SCANS)


def test_the_unique_index_alone_admits_once(race_app, monkeypatch):
    _lock_off(monkeypatch)
    _widen_window(monkeypatch)
    world = _one_ticket_at_the_gate(race_app)
    answers, admitting, total = _race(race_app, world)
    assert answers == {"ok": 1, "already_checked_in": SCANS - 1}, answers
    assert (admitting, total) == (1, SCANS)


def test_negative_control_without_lock_and_index_the_ticket_gets_in_twice(race_app, monkeypatch):
    _lock_off(monkeypatch)
    _widen_window(monkeypatch)
    world = _one_ticket_at_the_gate(race_app)
    with _IndexOff(race_app, world):
        answers, admitting, total = _race(race_app, world)
    print(f"negative control: {dict(answers)}, {admitting} admitting scans")  # shown with -rP
    assert set(answers) <= {"ok", "already_checked_in"}, answers
    assert total == SCANS
    assert answers["ok"] > 1, f"no double admission without lock and index: {answers}"
    assert admitting == answers["ok"] > 1  # this is the failure the lock and index prevent


# --------------------------------------------------------------------------- the lean path
# The same race over HTTP, through the app's test client, where the lean path
# (``ticketing.checkin.fastscan``) answers: one call of the SQL function ``checkin_scan``,
# which locks the ticket before it reads the admission. Its window is widened inside the
# function (``pg_sleep`` after an admitting decision), and the negative control replaces the
# function with one that does not lock.


def _race_http(app, world: dict) -> tuple[collections.Counter, int, int, int]:
    """SCANS scans of the same ticket posted at once, one per device token. Returns (answers
    by status, admitting scans, all scans of the ticket, scans the lean path answered)."""
    from ticketing.checkin.fastscan import FastScan
    from ticketing.checkin.models import Scan

    layer = app.wsgi_app
    assert isinstance(layer, FastScan)
    before = layer.answered
    answers: list[str] = []
    record = threading.Lock()
    barrier = threading.Barrier(SCANS)

    def scan(n: int) -> None:
        client = app.test_client()
        barrier.wait(timeout=60)
        try:
            response = client.post(
                "/api/v1/checkin/scan",
                json={"code": world["code"], "nonce": f"lean-{world['tag']}-{n}"},
                headers={"Authorization": f"Bearer {world['tokens'][n]}"},
            )
            body = response.get_json() or {}
            answer = body.get("status") or f"error {response.status_code}: {body}"[:300]
        except Exception as exc:  # noqa: BLE001 - any other failure is a test failure
            answer = f"error: {type(exc).__name__}: {exc}"[:300]
        with record:
            answers.append(answer)

    threads = [threading.Thread(target=scan, args=(n,)) for n in range(SCANS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a scan hung"
    with app.app_context():
        of_ticket = sa.and_(Scan.list_id == world["list_id"], Scan.ticket_id == world["ticket_id"])
        admitting = db.session.scalar(
            sa.select(sa.func.count(Scan.id)).where(of_ticket, Scan.admits)
        )
        total = db.session.scalar(sa.select(sa.func.count(Scan.id)).where(of_ticket))
        db.session.remove()
    return collections.Counter(answers), admitting, total, layer.answered - before


class _FunctionVariant:
    """``checkin_scan`` replaced for the block — with the admitting decision slowed by
    WINDOW_S, and without its row lock if ``lock=False`` — then put back."""

    def __init__(self, app, *, lock: bool = True):
        from ticketing.checkin import scan_sql

        self.app, self.original = app, scan_sql.FUNCTION
        insert = "    INSERT INTO scans (festival_id,"
        assert self.original.count(insert) == 1
        text = self.original.replace(
            insert, f"    IF v_admits THEN PERFORM pg_sleep({WINDOW_S}); END IF;\n{insert}"
        )
        if not lock:
            assert text.count("    FOR UPDATE OF tk;") == 1
            text = text.replace("    FOR UPDATE OF tk;", "    ;")
        self.variant = text

    def _execute(self, sql: str) -> None:
        with self.app.app_context(), db.engine.begin() as conn:
            conn.exec_driver_sql(sql)

    def __enter__(self):
        self._execute(self.variant)
        return self

    def __exit__(self, *exc):
        self._execute(self.original)
        return False


def test_lean_path_hundred_simultaneous_scans_admit_once(race_app):
    world = _one_ticket_at_the_gate(race_app)
    with _FunctionVariant(race_app):
        answers, admitting, total, lean = _race_http(race_app, world)
    assert answers == {"ok": 1, "already_checked_in": SCANS - 1}, answers
    assert (admitting, total) == (1, SCANS)
    assert lean == SCANS  # every answer came from the lean path: nothing handed over


def test_lean_path_row_lock_alone_admits_once(race_app):
    world = _one_ticket_at_the_gate(race_app)
    with _IndexOff(race_app, world), _FunctionVariant(race_app):
        answers, admitting, total, lean = _race_http(race_app, world)
    assert answers == {"ok": 1, "already_checked_in": SCANS - 1}, answers
    assert (admitting, total, lean) == (1, SCANS, SCANS)


def test_lean_path_unique_index_alone_admits_once(race_app):
    """Without the lock every scan decides "ok"; the index lets one insert win, and the
    others are handed to the view, which answers "already checked in"."""
    world = _one_ticket_at_the_gate(race_app)
    with _FunctionVariant(race_app, lock=False):
        answers, admitting, total, lean = _race_http(race_app, world)
    assert answers == {"ok": 1, "already_checked_in": SCANS - 1}, answers
    assert (admitting, total) == (1, SCANS)
    assert lean < SCANS  # the losers were handed over


def test_lean_path_negative_control_without_lock_and_index(race_app):
    world = _one_ticket_at_the_gate(race_app)
    with _IndexOff(race_app, world), _FunctionVariant(race_app, lock=False):
        answers, admitting, total, lean = _race_http(race_app, world)
    print(f"lean negative control: {dict(answers)}, {admitting} admitting scans")
    assert set(answers) <= {"ok", "already_checked_in"}, answers
    assert total == SCANS
    assert answers["ok"] > 1, f"no double admission without lock and index: {answers}"
    assert admitting == answers["ok"] > 1
