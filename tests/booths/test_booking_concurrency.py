"""No double booking (issue 5, Done-when 1): 50 exhibitors try to hold the same booth at the
same moment on PostgreSQL; exactly one gets it, the 49 others are told it was taken.

Real threads, each with its own app context and session (its own connection and transaction),
released together by a barrier, call ``booths.operations.hold_booths`` on a scratch database.
Every run widens the window between the availability check and the INSERT of the booking the
same way (``taken_booth_ids`` sleeps 300 ms when it finds the booth free; answers that find
it taken are not slowed), so the runs compare fairly:

- row lock and partial unique index on: exactly one hold;
- each defence alone (the lock without the index, the index without the lock) still gives
  exactly one hold — the index turns a late insert into ``BoothError("taken")``;
- negative control, both off (``lock_booths`` a plain SELECT, ``uq_booth_bookings_one_active``
  dropped): the same race books the booth several times, which proves the test can fail.
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

EXHIBITORS = 50
WINDOW_S = 0.3  # pause after the booth was found free, before the booking is written
CONNECTION_MARGIN = 12  # left free for the test's own reads and anything else on the server
MIN_CONNECTIONS = 20
INDEX = "uq_booth_bookings_one_active"


@pytest.fixture(scope="module")
def race_app(tmp_path_factory):
    """An app on its own new database next to the test database; dropped afterwards."""
    free = free_connections(CONNECTION_MARGIN)
    connections = min(EXHIBITORS, free)
    if connections < MIN_CONNECTIONS:
        pytest.fail(f"only {free} PostgreSQL connections free: too few for a real race")
    pool = {
        "poolclass": QueuePool,
        "pool_size": connections,
        "max_overflow": 0,
        "pool_timeout": 120,
    }
    tmp = tmp_path_factory.mktemp("booth-race")
    with scratch_app(tmp, "booth_race", pool, RACE_CONNECTIONS=connections) as app:
        yield app


def _one_booth_and_fifty_exhibitors(app) -> dict:
    """A published festival with one free booth, and EXHIBITORS exhibitor profiles."""
    from booths.models import Booth, ExhibitorProfile, Hall
    from eventday.accounts import operations as account_ops
    from eventday.accounts.models import Organisation
    from eventday.festivals import operations as festival_ops
    from eventday.i18n import fold
    from tests.conftest import area

    tag = uuid.uuid4().hex[:6]
    with app.app_context():
        organizer = account_ops.create_user(
            f"booth{tag}@example.vn", PASSWORD, "Bríu Thị Gian", verified=True
        )
        start = utcnow().astimezone(LOCAL_TZ).date() + dt.timedelta(days=10)
        festival = festival_ops.create_festival(
            organizer,
            festival_ops.FestivalData(
                name_vi="Ngày hội gian hàng",
                host_area_ids=[area("commune", "20467").id],
                start_date=start,
                end_date=start + dt.timedelta(days=1),
                day_starts=dt.time(8),
                day_ends=dt.time(17),
                venue_name="Nhà văn hóa xã",
                slug=f"gian-hang-{tag}",
            ),
        )
        festival_ops.change_state(festival, "published")
        hall = Hall(festival_id=festival.id, name="Nhà văn hóa")
        db.session.add(hall)
        db.session.flush()
        booth = Booth(festival_id=festival.id, hall_id=hall.id, code="A01", price_vnd=500_000)
        db.session.add(booth)
        exhibitors = []
        for n in range(EXHIBITORS):
            name = f"HTX thử {tag} số {n}"
            org = Organisation(kind="cooperative")
            org.set_name(name)
            db.session.add(org)
            db.session.flush()
            profile = ExhibitorProfile(
                organisation_id=org.id,
                kind="cooperative",
                display_name=name,
                name_folded=fold(name),
            )
            db.session.add(profile)
            exhibitors.append(profile)
        db.session.commit()
        return {
            "festival_id": festival.id,
            "booth_id": booth.id,
            "exhibitor_ids": [e.id for e in exhibitors],
        }


def _race(app, world: dict) -> tuple[collections.Counter, int]:
    """Every exhibitor holds the booth at the same moment. Returns (answers, active
    bookings of the booth in the database)."""
    from booths import operations as ops
    from booths.models import BoothBooking, ExhibitorProfile
    from eventday.festivals.models import Festival

    answers: list[str] = []
    record = threading.Lock()
    barrier = threading.Barrier(EXHIBITORS)

    def attempt(n: int) -> None:
        barrier.wait(timeout=60)
        with app.app_context():
            try:
                festival = db.session.get(Festival, world["festival_id"])
                exhibitor = db.session.get(ExhibitorProfile, world["exhibitor_ids"][n])
                ops.hold_booths(festival, exhibitor, [world["booth_id"]], None)
                db.session.commit()
                answer = "held"
            except ops.BoothError as exc:
                db.session.rollback()
                answer = exc.reason
            except Exception as exc:  # noqa: BLE001 - any other failure is a test failure
                db.session.rollback()
                answer = f"error: {type(exc).__name__}: {exc}"[:300]
            finally:
                db.session.remove()
        with record:
            answers.append(answer)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(EXHIBITORS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a hold hung"
    with app.app_context():
        active = db.session.scalar(
            sa.select(sa.func.count(BoothBooking.id)).where(
                BoothBooking.booth_id == world["booth_id"], BoothBooking.active
            )
        )
        db.session.remove()
    return collections.Counter(answers), active


def _widen_window(monkeypatch) -> None:
    """The availability check pauses when it finds the booth free: every exhibitor who checks
    before the first booking is written sees the booth free (a slow request in production)."""
    from booths import operations as ops

    original = ops.taken_booth_ids

    def slow_check(booth_ids):
        taken = original(booth_ids)
        if not taken:
            time.sleep(WINDOW_S)
        return taken

    monkeypatch.setattr(ops, "taken_booth_ids", slow_check)


def _lock_off(monkeypatch) -> None:
    """``lock_booths`` as a plain SELECT: no ``FOR UPDATE``."""
    from booths import operations as ops
    from booths.models import Booth

    def unlocked(booth_ids):
        return list(
            db.session.scalars(
                sa.select(Booth)
                .where(Booth.id.in_(sorted(booth_ids)))
                .order_by(Booth.id)
                .execution_options(populate_existing=True)
            )
        )

    monkeypatch.setattr(ops, "lock_booths", unlocked)


class _IndexOff:
    """Drop the partial unique index for the block; afterwards put it back (first ending the
    double bookings the race made, or the unique index could not be built)."""

    def __init__(self, app, world):
        self.app, self.world = app, world

    def _execute(self, sql: str, **params) -> None:
        with self.app.app_context(), db.engine.begin() as conn:
            conn.execute(sa.text(sql), params)

    def __enter__(self):
        self._execute(f"DROP INDEX {INDEX}")
        return self

    def __exit__(self, *exc):
        self._execute(
            "UPDATE booth_bookings SET active = false WHERE booth_id = :booth AND active",
            booth=self.world["booth_id"],
        )
        from booths.models import BoothBooking

        index = next(i for i in BoothBooking.__table__.indexes if i.name == INDEX)
        with self.app.app_context(), db.engine.begin() as conn:
            index.create(conn)
        return False


def test_race_uses_many_connections(race_app):
    """The race is real: at least MIN_CONNECTIONS transactions can run at once."""
    connections = race_app.config["RACE_CONNECTIONS"]
    print(f"{EXHIBITORS} exhibitors over {connections} PostgreSQL connections")  # with -rP
    assert connections >= MIN_CONNECTIONS


def test_fifty_exhibitors_one_booth_exactly_one_hold(race_app, monkeypatch):
    _widen_window(monkeypatch)
    world = _one_booth_and_fifty_exhibitors(race_app)
    answers, active = _race(race_app, world)
    assert answers == {"held": 1, "taken": EXHIBITORS - 1}, answers
    assert active == 1


def test_the_row_lock_alone_gives_one_hold(race_app, monkeypatch):
    _widen_window(monkeypatch)
    world = _one_booth_and_fifty_exhibitors(race_app)
    with _IndexOff(race_app, world):
        answers, active = _race(race_app, world)
    assert answers == {"held": 1, "taken": EXHIBITORS - 1}, answers
    assert active == 1


def test_the_unique_index_alone_gives_one_hold(race_app, monkeypatch):
    _lock_off(monkeypatch)
    _widen_window(monkeypatch)
    world = _one_booth_and_fifty_exhibitors(race_app)
    answers, active = _race(race_app, world)
    assert answers == {"held": 1, "taken": EXHIBITORS - 1}, answers
    assert active == 1


def test_negative_control_without_lock_and_index_the_booth_is_booked_twice(race_app, monkeypatch):
    _lock_off(monkeypatch)
    _widen_window(monkeypatch)
    world = _one_booth_and_fifty_exhibitors(race_app)
    with _IndexOff(race_app, world):
        answers, active = _race(race_app, world)
        print(f"negative control: {dict(answers)}, {active} active bookings")  # with -rP
    assert set(answers) <= {"held", "taken"}, answers
    assert answers["held"] > 1, f"no double booking without lock and index: {answers}"
    assert active == answers["held"] > 1  # this is the failure the lock and index prevent
