"""Slots of a session (breaks skipped, stable ids, the partial last slot dropped) and the times
a participant cannot meet (blocked times, their published pitch, the pitches they judge)."""

import datetime as dt

from eventday.extensions import db
from eventday.i18n import LOCAL_TZ
from matchmaking import slots
from matchmaking.models import MatchBlock
from matchmaking.scheduler import Slot


def local(festival, hm, day=0):
    return dt.datetime.combine(festival.days[day].day, dt.time(*hm), LOCAL_TZ).astimezone(dt.UTC)


def hm(value):
    return value.astimezone(LOCAL_TZ).strftime("%H:%M")


def test_slots_skip_breaks_and_drop_the_partial_last_slot(mm_festival, create_session):
    festival = mm_festival()
    session = create_session(
        festival, start=(9, 0), end=(11, 10), slot_minutes=20, breaks=[((9, 50), (10, 10))]
    )
    got = slots.session_slots(session)
    # 9:00, 9:20 fit before the break; 9:40 would run into it; after it 10:10, 10:30;
    # 10:50–11:10 fits exactly; nothing partial left.
    assert [(hm(s.start), hm(s.end)) for s in got] == [
        ("09:00", "09:20"),
        ("09:20", "09:40"),
        ("10:10", "10:30"),
        ("10:30", "10:50"),
        ("10:50", "11:10"),
    ]
    assert [s.id for s in got] == [session.id * 1000 + i for i in range(5)]
    assert all(s.session_id == session.id for s in got)
    session.ends_at = local(festival, (11, 5))
    assert [hm(s.start) for s in slots.session_slots(session)][-1] == "10:30"


def test_festival_slots_in_time_order_and_slot_by_id(mm_festival, create_session):
    festival = mm_festival()
    late = create_session(festival, day=1, start=(14, 0), end=(15, 0))
    early = create_session(festival, day=0, start=(9, 0), end=(10, 0))
    got = slots.festival_slots(festival)
    assert [s.session_id for s in got] == [early.id] * 3 + [late.id] * 3
    assert slots.slot_by_id(festival, late.id * 1000 + 2).start == local(festival, (14, 40), 1)
    assert slots.slot_by_id(festival, late.id * 1000 + 3) is None
    other = mm_festival()
    assert slots.slot_by_id(other, early.id * 1000) is None


def test_blocked_intervals_come_from_blocks(mm_festival, create_profile):
    festival = mm_festival()
    profile = create_profile(festival, "fund")
    block = (local(festival, (9, 0)), local(festival, (10, 0)))
    db.session.add(MatchBlock(profile_id=profile.id, starts_at=block[0], ends_at=block[1]))
    db.session.flush()
    assert slots.blocked_intervals(profile) == [block]
    assert slots.blocked_intervals(create_profile(festival)) == []


def _published_pitch(festival, organisation_id, judge, start, end):
    """A pitch application of the organisation on the published programme, judged by judge."""
    from pitches.models import PitchApplication, ProgrammeItem
    from pitches.publishing import publish

    application = PitchApplication(
        festival_id=festival.id,
        organisation_id=organisation_id,
        title="Máy sấy nông sản",
        title_folded="may say nong san",
        state="scheduled",
    )
    db.session.add(application)
    db.session.flush()
    item = ProgrammeItem(
        festival_id=festival.id,
        stage_id=festival.stages[0].id,
        kind="pitch",
        title_vi="Máy sấy",
        application_id=application.id,
        starts_at=start,
        ends_at=end,
        uid=f"pitch-{application.id}@test",
    )
    item.judges = [judge]
    db.session.add(item)
    db.session.flush()
    return item, publish


def test_published_pitch_slots_block_the_startup_and_its_judges(
    mm_festival, create_profile, create_user
):
    festival = mm_festival()
    startup = create_profile(festival, "startup")
    judge_user = create_user()
    judge = create_profile(festival, "expert", user=judge_user)
    bystander = create_profile(festival, "angel")
    start, end = local(festival, (9, 30)), local(festival, (9, 40))
    item, publish = _published_pitch(festival, startup.organisation_id, judge_user, start, end)
    # Not published yet: not blocked.
    assert slots.blocked_intervals(startup) == []
    publish(festival, None)
    assert slots.blocked_intervals(startup) == [(start, end)]
    assert slots.blocked_intervals(judge) == [(start, end)]
    assert slots.blocked_intervals(bystander) == []
    session_slots = [
        Slot(1, local(festival, (9, 20)), local(festival, (9, 40)), 1),
        Slot(2, local(festival, (9, 40)), local(festival, (10, 0)), 1),
    ]
    assert slots.unavailable_slots(session_slots, [(start, end)]) == {1}
