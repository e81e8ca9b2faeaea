"""No double booking of a person (issue 7, Done-when 5): two acceptances racing for one
investor's last free slot on PostgreSQL book it once.

The investor has two slots; the first is taken by a meeting already, the second is the last
free one. Two startups asked the investor; the investor accepts both requests at the same
moment — two real threads, each with its own app context, session and connection, released
together by a barrier — each through ``requests.accept`` (which books instantly). Every run
widens the window between finding the slot free and writing the meeting the same way
(``scheduler.earliest`` sleeps 300 ms after it finds a place), so the runs compare fairly:

- festival and person row locks and the unique indexes on: exactly one meeting in that slot;
  the other request is accepted and waits for the organizers' batch run (no meeting);
- each defence alone (the locks without the indexes, the indexes without the locks) still
  gives one meeting — an index turns the late insert into "nothing free";
- negative control, both off (``booking._LOCK = False``; ``uq_meeting_seats_person_start``
  and ``uq_meetings_table_start`` dropped): the same race books the investor twice in the
  same slot, which proves the test can fail.
"""

from __future__ import annotations

import datetime as dt
import secrets
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
from tests.scratch_db import scratch_app

pytestmark = [pytest.mark.postgres, pytest.mark.committing]

WINDOW_S = 0.3  # pause after a free slot was found, before the meeting is written
RACERS = 2
INDEXES = ("uq_meeting_seats_person_start", "uq_meetings_table_start")


@pytest.fixture(scope="module")
def race_app(tmp_path_factory):
    """An app on its own new database next to the test database; dropped afterwards."""
    pool = {"poolclass": QueuePool, "pool_size": RACERS + 3, "max_overflow": 0, "pool_timeout": 60}
    with scratch_app(tmp_path_factory.mktemp("mm-race"), "mm_race", pool) as app:
        yield app


def _investor_with_one_free_slot(app) -> dict:
    """A festival with one session of two 20-minute slots and two tables; an investor whose
    first slot is taken; two startups whose requests to the investor wait for an answer."""
    from eventday.accounts import operations as account_ops
    from eventday.festivals import operations as festival_ops
    from eventday.i18n import fold
    from matchmaking import booking, slots
    from matchmaking.models import (
        MatchProfile,
        MatchSession,
        MatchSettings,
        MatchTable,
        MeetingRequest,
    )
    from tests.conftest import area

    tag = uuid.uuid4().hex[:6]
    with app.app_context():
        organizer = account_ops.create_user(
            f"mm{tag}@example.vn", PASSWORD, "Bríu Thị Gian", verified=True
        )
        start = utcnow().astimezone(LOCAL_TZ).date() + dt.timedelta(days=10)
        festival = festival_ops.create_festival(
            organizer,
            festival_ops.FestivalData(
                name_vi="Ngày hội kết nối",
                host_area_ids=[area("commune", "20467").id],
                start_date=start,
                end_date=start,
                day_starts=dt.time(8),
                day_ends=dt.time(17),
                venue_name="Nhà văn hóa xã",
                slug=f"ket-noi-{tag}",
            ),
        )
        festival_ops.change_state(festival, "published")
        db.session.add(MatchSettings(festival_id=festival.id, is_open=True, instant_booking=True))

        def at(h, m):
            return dt.datetime.combine(start, dt.time(h, m), LOCAL_TZ).astimezone(dt.UTC)

        session = MatchSession(
            festival_id=festival.id,
            name_vi="Phiên kết nối",
            starts_at=at(9, 0),
            ends_at=at(9, 40),
            slot_minutes=20,
        )
        db.session.add(session)
        db.session.add_all(
            [MatchTable(festival_id=festival.id, number=n, label=f"Bàn {n}") for n in (1, 2)]
        )
        db.session.flush()

        def person(kind, n):
            user = account_ops.create_user(
                f"mm{tag}-{kind}{n}@example.vn", PASSWORD, f"Người {n}", verified=True
            )
            name = f"{kind} {tag} {n}"
            profile = MatchProfile(
                festival_id=festival.id,
                user_id=user.id,
                kind=kind,
                display_name=name,
                name_folded=fold(name),
                search_folded=fold(name),
                feed_token=secrets.token_urlsafe(32),
            )
            db.session.add(profile)
            db.session.flush()
            return profile

        def request(sender, recipient, state):
            r = MeetingRequest(
                festival_id=festival.id,
                sender_id=sender.id,
                recipient_id=recipient.id,
                pair_low=min(sender.id, recipient.id),
                pair_high=max(sender.id, recipient.id),
                state=state,
                expires_at=utcnow() + dt.timedelta(hours=48),
            )
            db.session.add(r)
            db.session.flush()
            return r

        investor = person("fund", 0)
        filler = person("startup", 0)
        racers = [person("startup", n) for n in range(1, RACERS + 1)]
        first = booking.book_instant(request(filler, investor, "accepted"))
        grid = slots.session_slots(session)
        assert first.starts_at == grid[0].start  # the investor's first slot is taken
        pending = [request(s, investor, "pending") for s in racers]
        db.session.commit()
        return {
            "festival_id": festival.id,
            "investor_id": investor.id,
            "investor_user_id": investor.user_id,
            "request_ids": [r.id for r in pending],
            "last_slot_start": grid[1].start,
        }


def _race(app, world: dict) -> tuple[list[str], list, list[str]]:
    """The investor accepts both requests at the same moment. Returns (answers, the
    investor's live meetings as (start, request id), the requests' states)."""
    from eventday.accounts.models import User
    from matchmaking import requests as reqs
    from matchmaking.models import Meeting, MeetingRequest, MeetingSeat

    answers: list[str] = []
    record = threading.Lock()
    barrier = threading.Barrier(RACERS)

    def attempt(n: int) -> None:
        barrier.wait(timeout=30)
        with app.app_context():
            try:
                request = reqs.lock_request(world["request_ids"][n])
                user = db.session.get(User, world["investor_user_id"])
                meeting = reqs.accept(request, user)
                db.session.commit()
                answer = "booked" if meeting is not None else "accepted"
            except Exception as exc:  # noqa: BLE001 - any failure is a test failure
                db.session.rollback()
                answer = f"error: {type(exc).__name__}: {exc}"[:300]
            finally:
                db.session.remove()
        with record:
            answers.append(answer)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(RACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "an acceptance hung"
    with app.app_context():
        meetings = list(
            db.session.execute(
                sa.select(Meeting.starts_at, Meeting.request_id)
                .join(MeetingSeat, MeetingSeat.meeting_id == Meeting.id)
                .where(
                    MeetingSeat.profile_id == world["investor_id"],
                    MeetingSeat.active,
                    Meeting.state != "cancelled",
                )
                .order_by(Meeting.starts_at, Meeting.request_id)
            )
        )
        states = [db.session.get(MeetingRequest, rid).state for rid in world["request_ids"]]
        db.session.remove()
    return sorted(answers), meetings, states


def _widen_window(monkeypatch) -> None:
    """``earliest`` pauses after finding a place: the other acceptance, if not held back by
    a lock, looks at the same free slot meanwhile (a slow request in production)."""
    from matchmaking import scheduler

    original = scheduler.earliest

    def slow(instance, request):
        placement = original(instance, request)
        if placement is not None:
            time.sleep(WINDOW_S)
        return placement

    monkeypatch.setattr(scheduler, "earliest", slow)


def _lock_off(monkeypatch) -> None:
    from matchmaking import booking

    monkeypatch.setattr(booking, "_LOCK", False)


class _IndexesOff:
    """Drop the partial unique indexes for the block; afterwards cancel the double bookings
    the race made and build the indexes again."""

    def __init__(self, app, world):
        self.app, self.world = app, world

    def __enter__(self):
        with self.app.app_context(), db.engine.begin() as conn:
            for name in INDEXES:
                conn.execute(sa.text(f"DROP INDEX {name}"))
        return self

    def __exit__(self, *exc):
        from matchmaking.models import Meeting, MeetingSeat

        with self.app.app_context(), db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "UPDATE meeting_seats SET active = false WHERE meeting_id IN "
                    "(SELECT id FROM meetings WHERE festival_id = :f)"
                ),
                {"f": self.world["festival_id"]},
            )
            conn.execute(
                sa.text("UPDATE meetings SET state = 'cancelled' WHERE festival_id = :f"),
                {"f": self.world["festival_id"]},
            )
            for table in (MeetingSeat.__table__, Meeting.__table__):
                for index in table.indexes:
                    if index.name in INDEXES:
                        index.create(conn)
        return False


def _assert_one_booking(answers, meetings, states, world):
    assert answers == ["accepted", "booked"], answers
    last = [m for m in meetings if m.starts_at == world["last_slot_start"]]
    assert len(last) == 1, meetings
    assert len(meetings) == 2  # the earlier meeting and the one in the last slot
    assert states == ["accepted", "accepted"]


def test_two_acceptances_for_the_last_slot_book_it_once(race_app, monkeypatch):
    _widen_window(monkeypatch)
    world = _investor_with_one_free_slot(race_app)
    answers, meetings, states = _race(race_app, world)
    _assert_one_booking(answers, meetings, states, world)


def test_the_locks_alone_book_it_once(race_app, monkeypatch):
    _widen_window(monkeypatch)
    world = _investor_with_one_free_slot(race_app)
    with _IndexesOff(race_app, world):
        answers, meetings, states = _race(race_app, world)
    _assert_one_booking(answers, meetings, states, world)


def test_the_unique_indexes_alone_book_it_once(race_app, monkeypatch):
    _lock_off(monkeypatch)
    _widen_window(monkeypatch)
    world = _investor_with_one_free_slot(race_app)
    answers, meetings, states = _race(race_app, world)
    _assert_one_booking(answers, meetings, states, world)


def test_negative_control_without_locks_and_indexes_the_investor_is_booked_twice(
    race_app, monkeypatch
):
    _lock_off(monkeypatch)
    _widen_window(monkeypatch)
    world = _investor_with_one_free_slot(race_app)
    with _IndexesOff(race_app, world):
        answers, meetings, states = _race(race_app, world)
        print(f"negative control: {answers}, investor's meetings {meetings}")  # with -rP
    assert answers == ["booked", "booked"], answers
    last = [m for m in meetings if m.starts_at == world["last_slot_start"]]
    assert len(last) == 2  # this is the double booking the locks and indexes prevent


# --- lock order: a participant's cancel and an organizer's cancel of the same meeting ---------


def _one_meeting(app) -> dict:
    """The filler's published meeting with the investor (from the race world), committed."""
    from matchmaking.models import Meeting, MeetingRequest

    world = _investor_with_one_free_slot(app)
    with app.app_context():
        meeting = db.session.scalar(
            sa.select(Meeting).where(
                Meeting.festival_id == world["festival_id"], Meeting.state == "scheduled"
            )
        )
        request = db.session.get(MeetingRequest, meeting.request_id)
        out = {
            "meeting_id": meeting.id,
            "request_id": request.id,
            "user_id": request.sender.user_id,
        }
        db.session.remove()
    return out


def _two_cancels(app, world: dict) -> tuple[list[str], str, str]:
    """The participant cancels the request (its view locks the request first, then calls
    ``requests.cancel`` a moment later) while the organizer cancels the meeting
    (``booking.cancel_meeting``). Returns (outcomes, request state, meeting state)."""
    from eventday.accounts.models import User
    from matchmaking import booking
    from matchmaking import requests as reqs
    from matchmaking.models import Meeting, MeetingRequest

    outcomes: list[str] = []
    record = threading.Lock()
    barrier = threading.Barrier(2)

    def run(name, work):
        barrier.wait(timeout=30)
        with app.app_context():
            try:
                work()
                db.session.commit()
                outcome = "ok"
            except Exception as exc:  # noqa: BLE001 - reported, the test decides
                db.session.rollback()
                outcome = type(exc).__name__
            finally:
                db.session.remove()
        with record:
            outcomes.append(f"{name}: {outcome}")

    def participant():
        request = reqs.lock_request(world["request_id"])  # as the view does
        time.sleep(WINDOW_S)  # the organizer starts meanwhile
        reqs.cancel(request, db.session.get(User, world["user_id"]))

    def organizer():
        time.sleep(WINDOW_S / 3)  # after the participant's view locked the request
        meeting = db.session.get(Meeting, world["meeting_id"])
        booking.cancel_meeting(meeting, reason="Ban tổ chức hủy", actor=None)

    threads = [
        threading.Thread(target=run, args=("participant", participant)),
        threading.Thread(target=run, args=("organizer", organizer)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a cancel hung"
    with app.app_context():
        request_state = db.session.get(MeetingRequest, world["request_id"]).state
        meeting_state = db.session.get(Meeting, world["meeting_id"]).state
        db.session.remove()
    return sorted(outcomes), request_state, meeting_state


def test_participant_and_organizer_cancelling_at_once_do_not_deadlock(race_app):
    """Both take the request, the festival, then the meeting: the organizer waits for the
    participant and then finds the meeting cancelled already."""
    world = _one_meeting(race_app)
    outcomes, request_state, meeting_state = _two_cancels(race_app, world)
    assert outcomes == ["organizer: ok", "participant: ok"], outcomes
    assert (request_state, meeting_state) == ("cancelled", "cancelled")


def test_negative_control_cancels_in_opposite_lock_orders_deadlock(race_app, monkeypatch):
    """With ``booking``'s locks off the organizer's cancel locks the meeting and then writes
    the request (the order before the fix) while the participant holds the request and wants
    the meeting: PostgreSQL breaks the deadlock by failing one of them."""
    _lock_off(monkeypatch)
    world = _one_meeting(race_app)
    outcomes, _request_state, _meeting_state = _two_cancels(race_app, world)
    assert any(o.endswith("OperationalError") for o in outcomes), outcomes
