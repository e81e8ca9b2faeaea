"""Batch scheduling: a run keeps published meetings exactly, respects blocked times, writes
draft meetings (moving, creating and dropping drafts without tripping the unique indexes),
reports every request left out with its reason, falls back to the greedy schedule, and
publishing mails both parties. The written schedule is checked by the independent checker."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from eventday.extensions import db
from eventday.i18n import LOCAL_TZ
from eventday.mail import OutboxMail
from matchmaking import batch, booking, scheduler
from matchmaking.checker import verify
from matchmaking.models import MatchBlock, MatchSettings, Meeting, MeetingRequest, ScheduleRun
from matchmaking.slots import session_slots
from tests.conftest import csrf_token, vi
from tests.eventday.test_postgres import pg_app, scratch_db  # noqa: F401 - fixtures


@pytest.fixture
def organizer(create_user):
    return create_user(locale="en")


@pytest.fixture
def festival(organizer, create_festival):
    fest = create_festival(organizer, state="published")
    db.session.add(MatchSettings(festival_id=fest.id, is_open=True, instant_booking=False))
    db.session.commit()
    return fest


def local(festival, hh, mm=0, day=0):
    date = festival.days[day].day
    return dt.datetime.combine(date, dt.time(hh, mm), LOCAL_TZ).astimezone(dt.UTC)


def accepted(festival, a, b, priority="want", mutual=False):
    request = MeetingRequest(
        festival_id=festival.id,
        sender_id=a.id,
        recipient_id=b.id,
        pair_low=min(a.id, b.id),
        pair_high=max(a.id, b.id),
        priority=priority,
        mutual=mutual,
        state="accepted",
        expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=2),
    )
    db.session.add(request)
    db.session.flush()
    return request


def block(festival, profile, start, end):
    db.session.add(
        MatchBlock(
            profile_id=profile.id,
            starts_at=local(festival, *start),
            ends_at=local(festival, *end),
        )
    )


def live(festival) -> list[Meeting]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(Meeting)
            .where(Meeting.festival_id == festival.id, Meeting.state != "cancelled")
            .order_by(Meeting.starts_at, Meeting.table_id)
        )
    )


def check_written(festival) -> None:
    """Every live meeting in the database, taken as the schedule, passes the checker."""
    instance, _ctx = booking.load_instance(festival, include_unpublished_as_locked=True)
    placements = list(instance.locked)
    weights = {r.id: r.weight for r in instance.requests}
    result = scheduler.Result(
        placements=placements,
        left_out=scheduler.left_out_reasons(instance, placements),
        objective=sum(weights[p.request_id] for p in placements),
        bound=None,
        optimal=False,
        solver="greedy",
        wall_s=0.0,
        moved=0,
    )
    assert verify(instance, result) == []


@pytest.fixture
def world(festival, create_profile, create_session, create_tables):
    """Session 9:00–11:00, break 10:00–10:20 (slots 9:00, 9:20, 9:40, 10:20, 10:40), two tables.

    - fund × s1 published at 9:00, table 1 (locked);
    - fund × s2 must-meet; bank × s2 mutual; s2 cannot meet before 9:40;
    - bank × s3 and angel × s3, s3 may have one meeting: one is left out for the cap;
    - angel × s4, s4 blocked the whole session: no common slot;
    - angel × s1, s1 free only at 9:00 where the published meeting is: locked conflict.
    """
    fund = create_profile(festival, "fund", name="Quỹ Đầu tư Tỉnh")
    bank = create_profile(festival, "bank", name="Ngân hàng Nông nghiệp")
    angel = create_profile(festival, "angel", name="Nhà đầu tư Lê Minh")
    s1 = create_profile(festival, "startup", name="Trà Shan Tuyết")
    s2 = create_profile(festival, "startup", name="Mật ong Bản Lác")
    s3 = create_profile(festival, "startup", name="Gốm Bát Tràng", max_meetings=1)
    s4 = create_profile(festival, "startup", name="Nấm Linh Chi")
    session = create_session(festival, breaks=[((10, 0), (10, 20))])
    tables = create_tables(festival, n=2)
    slots = session_slots(session)
    locked_request = accepted(festival, fund, s1, priority="must")
    locked = booking.create_meeting(locked_request, slots[0], tables[0].id, published=True)
    requests = {
        "fund_s2": accepted(festival, fund, s2, priority="must"),
        "bank_s2": accepted(festival, bank, s2, mutual=True),
        "bank_s3": accepted(festival, bank, s3),
        "angel_s3": accepted(festival, angel, s3),
        "angel_s4": accepted(festival, angel, s4),
        "angel_s1": accepted(festival, angel, s1),
    }
    block(festival, s2, (9, 0), (9, 40))
    block(festival, s4, (8, 0), (12, 0))
    block(festival, s1, (9, 20), (12, 0))
    db.session.commit()
    return {
        "profiles": {"fund": fund, "bank": bank, "angel": angel, "s1": s1, "s2": s2, "s3": s3},
        "session": session,
        "slots": slots,
        "tables": tables,
        "locked": locked,
        "requests": requests,
    }


def test_run_keeps_published_meetings_respects_blocks_and_reports(festival, organizer, world):
    locked = world["locked"]
    before = (locked.id, locked.starts_at, locked.table_id, locked.sequence, locked.uid)
    run = batch.run_batch(festival, organizer, time_limit=5)
    db.session.commit()

    meetings = live(festival)
    still = db.session.get(Meeting, locked.id)
    assert (still.id, still.starts_at, still.table_id, still.sequence, still.uid) == before
    assert still.published and still.state == "scheduled"
    drafts = [m for m in meetings if not m.published]
    req = world["requests"]
    placed = {m.request_id for m in drafts}
    assert {req["fund_s2"].id, req["bank_s2"].id} <= placed
    assert len(placed & {req["bank_s3"].id, req["angel_s3"].id}) == 1
    s2 = world["profiles"]["s2"]
    for m in drafts:
        if s2.id in {s.profile_id for s in m.seats}:
            assert m.starts_at >= local(festival, 9, 40)  # s2's blocked time
    reasons = {e["request_id"]: e["reason"] for e in run.left_out}
    assert reasons[req["angel_s4"].id] == "no_common_slot"
    assert reasons[req["angel_s1"].id] == "locked_conflict"
    cap_left = ({req["bank_s3"].id, req["angel_s3"].id} - placed).pop()
    assert reasons[cap_left] == "cap"
    assert len(reasons) == 3
    assert run.placed == len(meetings) == 1 + len(drafts)
    assert run.solver == "cpsat" and run.optimal
    assert run.objective == 3 + 3 + 2 + 1  # locked must + must + mutual + one of the s3 pair
    assert run.created_by_id == organizer.id
    check_written(festival)


def test_a_second_run_moves_nothing_and_publish_mails_both(festival, organizer, world):
    batch.run_batch(festival, organizer, time_limit=5)
    db.session.commit()
    first = {(m.id, m.starts_at, m.table_id) for m in live(festival)}
    run = batch.run_batch(festival, organizer, time_limit=5)
    db.session.commit()
    assert {(m.id, m.starts_at, m.table_id) for m in live(festival)} == first
    assert run.moved == 0

    drafts = [m for m in live(festival) if not m.published]
    outbox_before = db.session.scalar(sa.select(sa.func.count(OutboxMail.id)))
    assert batch.publish(festival, organizer) == len(drafts)
    db.session.commit()
    mails = db.session.scalars(
        sa.select(OutboxMail).where(OutboxMail.template == "matchmaking_meeting_confirmed")
    ).all()
    assert db.session.scalar(sa.select(sa.func.count(OutboxMail.id))) == outbox_before + 2 * len(
        drafts
    )
    recipients = [m.recipient for m in mails]
    for meeting in drafts:
        request = db.session.get(MeetingRequest, meeting.request_id)
        assert request.sender.user.email in recipients
        assert request.recipient.user.email in recipients
    assert all(m.published for m in live(festival))
    assert batch.publish(festival, organizer) == 0


def test_drafts_move_when_a_new_request_needs_room(festival, organizer, world, create_profile):
    """A new must-meet request takes the place of drafts; the swap writes cleanly."""
    batch.run_batch(festival, organizer, time_limit=5)
    db.session.commit()
    p = world["profiles"]
    extra = accepted(festival, p["bank"], create_profile(festival, "startup"), priority="must")
    db.session.commit()
    run = batch.run_batch(festival, organizer, time_limit=5)
    db.session.commit()
    assert extra.id in {m.request_id for m in live(festival)}
    assert db.session.get(Meeting, world["locked"].id).starts_at == world["slots"][0].start
    assert run.placed == len(live(festival))
    check_written(festival)


def test_writing_swaps_and_drops_drafts_without_index_trouble(
    festival, organizer, world, monkeypatch
):
    """Two drafts exchange tables in the same slot (each one's target is the other's place)
    and a third is dropped: the unique indexes on table × start and person × start hold at
    every statement."""
    req, slots, tables = world["requests"], world["slots"], world["tables"]
    a = booking.create_meeting(req["fund_s2"], slots[2], tables[0].id, published=False)
    b = booking.create_meeting(req["bank_s3"], slots[2], tables[1].id, published=False)
    c = booking.create_meeting(req["bank_s2"], slots[3], tables[1].id, published=False)
    db.session.commit()
    locked = world["locked"]
    dropped_request = c.request_id

    def fake(instance, time_limit, solver):
        placements = [
            scheduler.Placement(locked.request_id, slots[0].id, tables[0].id),
            scheduler.Placement(a.request_id, slots[2].id, tables[1].id),
            scheduler.Placement(b.request_id, slots[2].id, tables[0].id),
        ]
        return scheduler.Result(
            placements=placements,
            left_out={dropped_request: "full"},
            objective=9,
            bound=None,
            optimal=False,
            solver="greedy",
            wall_s=0.01,
            moved=2,
        )

    monkeypatch.setattr(batch, "_solve", fake)
    run = batch.run_batch(festival, organizer)
    db.session.commit()
    ids = (a.id, b.id, c.id)
    db.session.expire_all()
    a, b = db.session.get(Meeting, ids[0]), db.session.get(Meeting, ids[1])
    assert (a.table_id, b.table_id) == (tables[1].id, tables[0].id)
    assert db.session.get(Meeting, ids[2]) is None  # a dropped draft was never announced
    assert all(s.active for s in a.seats + b.seats)
    assert (run.moved, run.placed, run.solver) == (2, 3, "greedy")
    assert run.left_out == [{"request_id": dropped_request, "reason": "full"}]


def test_greedy_fallback_when_cpsat_fails(festival, organizer, world, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("solver crashed")

    monkeypatch.setattr(scheduler, "solve", boom)
    run = batch.run_batch(festival, organizer, time_limit=5)
    db.session.commit()
    assert run.solver == "greedy"
    assert run.placed >= 3
    check_written(festival)


def _invalid(instance, solver="cpsat"):
    """A result the checker rejects: every accepted request in the first slot at the first
    table, claimed as optimal."""
    first_slot = min(instance.slots, key=lambda s: s.start).id
    placements = list(instance.locked) + [
        scheduler.Placement(r.id, first_slot, instance.tables[0])
        for r in instance.requests
        if r.id not in {p.request_id for p in instance.locked}
    ]
    return scheduler.Result(
        placements=placements,
        left_out={},
        objective=sum(r.weight for r in instance.requests),
        bound=None,
        optimal=True,
        solver=solver,
        wall_s=0.0,
        moved=0,
    )


def test_an_invalid_cpsat_schedule_falls_back_to_the_checked_greedy_one(
    festival, organizer, world, monkeypatch, caplog
):
    monkeypatch.setattr(scheduler, "solve", lambda instance, **kw: _invalid(instance))
    run = batch.run_batch(festival, organizer, time_limit=5)
    db.session.commit()
    assert run.solver == "greedy" and not run.optimal
    assert run.placed >= 3
    assert "the CP-SAT schedule is invalid" in caplog.text
    check_written(festival)


def test_nothing_is_written_when_no_schedule_passes_the_checker(
    festival, organizer, world, monkeypatch, caplog
):
    before = [(m.id, m.starts_at, m.table_id, m.published) for m in live(festival)]
    runs_before = db.session.scalar(sa.select(sa.func.count(ScheduleRun.id)))
    monkeypatch.setattr(scheduler, "solve", lambda instance, **kw: _invalid(instance))
    monkeypatch.setattr(scheduler, "greedy", lambda instance: _invalid(instance, "greedy"))
    with pytest.raises(batch.ScheduleError) as err:
        batch.run_batch(festival, organizer, time_limit=5)
    assert err.value.message == vi(
        "No valid schedule could be computed, so nothing was changed. Please try again; if "
        "it happens again, contact the technical team."
    )
    assert "the greedy schedule is invalid" in caplog.text
    db.session.flush()
    assert [(m.id, m.starts_at, m.table_id, m.published) for m in live(festival)] == before
    assert db.session.scalar(sa.select(sa.func.count(ScheduleRun.id))) == runs_before


def test_schedule_page_runs_and_publishes(client, auth, festival, organizer, world):
    auth.login(organizer)
    base = f"/f/{festival.slug}/manage/matchmaking/schedule"
    token = csrf_token(client, base)
    response = client.post(base + "/run", data={"run-csrf_token": token})
    assert response.status_code == 302
    page = client.get(base).get_data(as_text=True)
    run = db.session.scalar(sa.select(ScheduleRun).where(ScheduleRun.festival_id == festival.id))
    assert f'data-run-id="{run.id}"' in page
    assert 'data-reason="no_common_slot"' in page
    assert 'data-reason="locked_conflict"' in page
    assert "No slot where both are free" in page  # the organizer reads English
    drafts = batch.draft_count(festival)
    assert f'data-drafts="{drafts}"' in page and drafts > 0
    response = client.post(base + "/publish", data={"publish-csrf_token": token})
    assert response.status_code == 302
    assert batch.draft_count(festival) == 0


def test_schedule_page_shows_the_error_when_no_schedule_is_valid(
    client, auth, festival, organizer, world, monkeypatch
):
    monkeypatch.setattr(scheduler, "solve", lambda instance, **kw: _invalid(instance))
    monkeypatch.setattr(scheduler, "greedy", lambda instance: _invalid(instance, "greedy"))
    auth.login(organizer)
    base = f"/f/{festival.slug}/manage/matchmaking/schedule"
    token = csrf_token(client, base)
    response = client.post(base + "/run", data={"run-csrf_token": token}, follow_redirects=True)
    assert response.status_code == 200
    assert "No valid schedule could be computed" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(ScheduleRun.id))) == 0


def test_run_without_sessions_or_tables_leaves_everything_out(festival, organizer, create_profile):
    investor = create_profile(festival, "fund")
    startup = create_profile(festival, "startup")
    request = accepted(festival, investor, startup, priority="must")
    db.session.commit()
    run = batch.run_batch(festival, organizer, time_limit=2)
    db.session.commit()
    assert run.placed == 0
    assert run.left_out == [{"request_id": request.id, "reason": "no_common_slot"}]
    assert batch.publish(festival, organizer) == 0


# --------------------------------------------------------------------------- PostgreSQL race


def _race_world(app) -> tuple[int, int]:
    """A festival with one session, two tables and four accepted requests (committed)."""
    import secrets
    import uuid

    from eventday.accounts import operations as account_ops
    from eventday.festivals import operations as festival_ops
    from eventday.i18n import fold
    from matchmaking.models import MatchProfile, MatchSession, MatchTable
    from tests.conftest import PASSWORD, area

    with app.app_context():
        users = [
            account_ops.create_user(f"r{i}{uuid.uuid4().hex[:6]}@example.vn", PASSWORD, f"U{i}")
            for i in range(5)
        ]
        start = dt.date.today() + dt.timedelta(days=5)
        festival = festival_ops.create_festival(
            users[0],
            festival_ops.FestivalData(
                name_vi="Ngày hội kết nối",
                host_area_ids=[area("commune", "20467").id],
                start_date=start,
                end_date=start,
                day_starts=dt.time(8),
                day_ends=dt.time(17),
                venue_name="Hội trường",
                slug=f"ket-noi-{uuid.uuid4().hex[:6]}",
            ),
        )
        db.session.add(MatchSettings(festival_id=festival.id, is_open=True))
        profiles = []
        for i, user in enumerate(users[1:]):
            name = f"Người {i}"
            profiles.append(
                MatchProfile(
                    festival_id=festival.id,
                    user_id=user.id,
                    kind="fund" if i < 2 else "startup",
                    display_name=name,
                    name_folded=fold(name),
                    feed_token=secrets.token_urlsafe(32),
                )
            )
        db.session.add_all(profiles)
        session = MatchSession(
            festival_id=festival.id,
            name_vi="Phiên",
            starts_at=local(festival, 9),
            ends_at=local(festival, 11),
            slot_minutes=20,
        )
        db.session.add(session)
        db.session.add_all(
            [MatchTable(festival_id=festival.id, number=n, label=f"Bàn {n}") for n in (1, 2)]
        )
        db.session.flush()
        for investor in profiles[:2]:
            for startup in profiles[2:]:
                accepted(festival, investor, startup)
        db.session.commit()
        return festival.id, users[0].id


def _race(app, festival_id: int, user_id: int) -> list[str]:
    import threading

    from eventday.accounts.models import User
    from eventday.festivals.models import Festival

    outcomes: list[str] = []

    def run():
        with app.app_context():
            try:
                batch.run_batch(
                    db.session.get(Festival, festival_id),
                    db.session.get(User, user_id),
                    time_limit=5,
                )
                db.session.commit()
                outcomes.append("ok")
            except Exception as exc:  # the negative control expects a unique-index failure
                db.session.rollback()
                outcomes.append(type(exc).__name__)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return sorted(outcomes)


def _meeting_point(fn, pause: float = 0.0, barrier=None):
    import time

    def wrapper(*args, **kwargs):
        result = fn(*args, **kwargs)
        if barrier is not None:
            barrier.wait()
        time.sleep(pause)
        return result

    return wrapper


@pytest.mark.postgres
@pytest.mark.committing
def test_concurrent_runs_serialise_on_the_festival_lock(pg_app, monkeypatch):  # noqa: F811
    monkeypatch.setattr(booking, "load_instance", _meeting_point(booking.load_instance, 0.5))
    festival_id, user_id = _race_world(pg_app)
    assert _race(pg_app, festival_id, user_id) == ["ok", "ok"]
    with pg_app.app_context():
        runs = db.session.scalars(
            sa.select(ScheduleRun).where(ScheduleRun.festival_id == festival_id)
        ).all()
        meetings = db.session.scalar(
            sa.select(sa.func.count(Meeting.id)).where(
                Meeting.festival_id == festival_id, Meeting.state != "cancelled"
            )
        )
        assert len(runs) == 2 and meetings == 4
        assert sorted(r.moved for r in runs) == [0, 0]  # the second run saw the first's drafts


@pytest.mark.postgres
@pytest.mark.committing
def test_concurrent_runs_without_the_lock_collide(pg_app, monkeypatch):  # noqa: F811
    """Negative control: without the lock both runs load the same empty schedule and both
    write meetings for the same requests; the database refuses one."""
    import threading

    monkeypatch.setattr(batch, "lock_festival", lambda festival: None)
    meet = threading.Barrier(2, timeout=30)
    monkeypatch.setattr(
        booking, "load_instance", _meeting_point(booking.load_instance, barrier=meet)
    )
    festival_id, user_id = _race_world(pg_app)
    outcomes = _race(pg_app, festival_id, user_id)
    # The loser fails on the unique indexes: in create_meeting (BookingConflict), on a flush
    # (IntegrityError), or PostgreSQL breaks the two writers' wait on each other's index
    # entries as a deadlock (OperationalError).
    assert "ok" in outcomes and outcomes != ["ok", "ok"], outcomes
    assert set(outcomes) <= {"ok", "BookingConflict", "IntegrityError", "OperationalError"}


def test_a_request_cancelled_while_the_solver_runs_gets_no_meeting(
    festival, organizer, world, monkeypatch
):
    """The run reads the requests again after the solve: a request cancelled meanwhile (here
    in the same session, standing for a participant's cancel) is not written as a draft, and
    publishing mails nobody about it."""
    req = world["requests"]
    gone = req["fund_s2"]
    fund = world["profiles"]["fund"]
    solve = batch._solve

    def cancelling(instance, time_limit, solver):
        result = solve(instance, time_limit, solver)
        assert gone.id in {p.request_id for p in result.placements}
        from matchmaking import requests as reqs

        reqs.cancel(gone, fund.user)
        return result

    monkeypatch.setattr(batch, "_solve", cancelling)
    run = batch.run_batch(festival, organizer, time_limit=5)
    db.session.commit()
    assert db.session.get(MeetingRequest, gone.id).state == "cancelled"
    assert gone.id not in {m.request_id for m in live(festival)}
    assert req["bank_s2"].id in {m.request_id for m in live(festival)}
    assert run.placed == len(live(festival))
    batch.publish(festival, organizer)
    db.session.commit()
    confirmed = db.session.scalars(
        sa.select(OutboxMail).where(
            OutboxMail.template == "matchmaking_meeting_confirmed",
            OutboxMail.recipient == fund.user.email,
        )
    ).all()
    assert confirmed == []  # the fund's only draft was the cancelled request's
    check_written(festival)
