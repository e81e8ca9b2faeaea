"""The stage schedule: slots, the automatic placement (hypothesis properties checked by an
independent checker), conflicts, and the operations and pages (auto-schedule persists items
and moves applications to "scheduled"; a conflicting move is refused with a message)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventday.accounts.models import Organisation, OrganisationMember
from eventday.extensions import db
from eventday.festivals.models import FestivalRole, Stage
from eventday.i18n import fold
from pitches import schedule as ops
from pitches.models import (
    Assignment,
    PitchApplication,
    PitchCall,
    ProgrammeItem,
    Round,
    Track,
    Unavailability,
)
from pitches.schedule import Booked, Pitch, auto_schedule, conflicts, slots
from tests.conftest import csrf_token

VN = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = dt.date(2026, 11, 20)


def local(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hh, mm, tzinfo=VN).astimezone(dt.UTC)


# --------------------------------------------------------------------------- pure: slots


def test_slots_are_pitch_plus_qa_with_buffers_and_skip_breaks():
    lunch = (local(DAY, 11, 30), local(DAY, 13, 0))
    got = slots(DAY, dt.time(8, 0), dt.time(14, 0), 8, 10, 2, [lunch])
    assert got[0] == (local(DAY, 8, 0), local(DAY, 8, 18))
    assert got[1] == (local(DAY, 8, 20), local(DAY, 8, 38))
    assert all(e - s == dt.timedelta(minutes=18) for s, e in got)
    assert all(s.tzinfo is not None and s.utcoffset() == dt.timedelta(0) for s, _e in got)
    assert not any(s < lunch[1] and lunch[0] < e for s, e in got)
    assert (local(DAY, 13, 0), local(DAY, 13, 18)) in got  # resumes when the break ends
    assert got[-1][1] <= local(DAY, 14, 0)


def test_slots_empty_when_the_day_is_shorter_than_a_pitch():
    assert slots(DAY, dt.time(8, 0), dt.time(8, 10), 8, 10, 2) == []


# --------------------------------------------------------------------------- pure: checker


def _minutes(t: dt.datetime) -> int:
    return int(t.timestamp() // 60)


def _clash(a, b) -> bool:
    """Independent overlap test on whole minutes: [a0, a1) and [b0, b1) share a minute."""
    a0, a1, b0, b1 = map(_minutes, (a[0], a[1], b[0], b[1]))
    return max(a0, b0) < min(a1, b1)


def check_schedule(instance: dict, placements, left_out) -> None:
    """Every guarantee of ``auto_schedule``, checked by brute force over all pairs."""
    pitches = {p.id: p for p in instance["pitches"]}
    placed = {p.application_id for p in placements}
    assert len(placed) == len(placements), "a pitch placed twice"
    assert placed.isdisjoint(left_out), "a pitch both placed and left out"
    assert placed | set(left_out) == set(pitches), "a pitch neither placed nor left out"
    assert all(reason in ops.LEFT_OUT_REASONS for reason in left_out.values())
    # what is on stage: the existing items and the placements, as (stage, iv, startup, judges)
    on_stage = [
        (b.stage_id, (b.starts_at, b.ends_at), b.startup_id, set(b.judge_ids))
        for b in instance["existing"]
    ]
    for p in placements:
        assert p.stage_id in instance["stages"]
        assert (p.starts_at, p.ends_at) in instance["slots_by_stage"][p.stage_id]
        judges = set(instance["judges_of"].get(p.application_id, ()))
        iv = (p.starts_at, p.ends_at)
        for bad in instance["unavailable"].get(("application", p.application_id), ()):
            assert not _clash(iv, bad), "startup unavailable"
        for j in judges:
            for bad in instance["unavailable"].get(("judge", j), ()):
                assert not _clash(iv, bad), "judge unavailable"
        for bad in instance["busy"].get(p.application_id, ()):
            assert not _clash(iv, bad), "matchmaking meeting"
        on_stage.append((p.stage_id, iv, pitches[p.application_id].startup_id, judges))
    n_existing = len(instance["existing"])
    for i, a in enumerate(on_stage):
        for k, b in enumerate(on_stage[i + 1 :], start=i + 1):
            if k < n_existing or not _clash(a[1], b[1]):  # the instance's own items aside
                continue
            assert a[0] != b[0], "two items on one stage at once"
            assert a[2] is None or a[2] != b[2], "a startup in two places at once"
            assert not (a[3] & b[3]), "a judge in two places at once"
    # maximality: a pitch left out had no usable slot left
    for app_id in left_out:
        pitch = pitches[app_id]
        judges = set(instance["judges_of"].get(app_id, ()))
        for stage_id in instance["stages"]:
            for iv in instance["slots_by_stage"][stage_id]:
                blocked = (
                    any(
                        _clash(iv, o[1])
                        and (o[0] == stage_id or o[2] == pitch.startup_id or o[3] & judges)
                        for o in on_stage
                    )
                    or any(
                        _clash(iv, bad)
                        for bad in instance["unavailable"].get(("application", app_id), ())
                    )
                    or any(
                        _clash(iv, bad)
                        for j in judges
                        for bad in instance["unavailable"].get(("judge", j), ())
                    )
                    or any(_clash(iv, bad) for bad in instance["busy"].get(app_id, ()))
                )
                assert blocked, f"pitch {app_id} left out though a slot was usable"


def test_checker_catches_a_double_booked_judge():
    """Negative control: the checker fails a schedule that puts one judge in two places."""
    s = (local(DAY, 9), local(DAY, 9, 18))
    instance = {
        "pitches": [Pitch(1, 10), Pitch(2, 20)],
        "stages": [1, 2],
        "slots_by_stage": {1: [s], 2: [s]},
        "unavailable": {},
        "judges_of": {1: {7}, 2: {7}},
        "busy": {},
        "existing": [],
    }
    bad = [ops.Placement(1, 1, *s), ops.Placement(2, 2, *s)]
    with pytest.raises(AssertionError, match="judge in two places"):
        check_schedule(instance, bad, {})
    placements, left_out = auto_schedule(
        instance["pitches"], [1, 2], instance["slots_by_stage"], {}, instance["judges_of"], {}
    )
    check_schedule(instance, placements, left_out)
    assert len(placements) == 1 and list(left_out.values()) == ["no_free_slot"]


# --------------------------------------------------------------------------- pure: properties


@st.composite
def instances(draw):
    n_stages = draw(st.integers(1, 3))
    stages = list(range(1, n_stages + 1))
    minute = st.integers(0, 9 * 60)

    def interval(m0, length):
        start = local(DAY, 8) + dt.timedelta(minutes=m0)
        return (start, start + dt.timedelta(minutes=length))

    intervals = st.builds(interval, minute, st.integers(5, 120))
    slots_by_stage = {}
    for s in stages:
        start_h = draw(st.integers(8, 10))
        end_h = draw(st.integers(start_h + 1, 17))
        breaks = draw(st.lists(intervals, max_size=2))
        slots_by_stage[s] = slots(
            DAY,
            dt.time(start_h),
            dt.time(end_h),
            draw(st.integers(3, 15)),
            draw(st.integers(0, 15)),
            draw(st.integers(0, 5)),
            breaks,
        )
    n_pitches = draw(st.integers(0, 14))
    judges = list(range(100, 100 + draw(st.integers(0, 6))))
    pitches = [
        Pitch(
            i,
            draw(st.integers(1, max(1, n_pitches - 2))),  # some startups pitch twice
            draw(st.one_of(st.none(), st.sampled_from(stages))),
        )
        for i in range(1, n_pitches + 1)
    ]
    judges_of = {
        p.id: set(draw(st.lists(st.sampled_from(judges), max_size=3))) if judges else set()
        for p in pitches
    }
    unavailable = {}
    for p in pitches:
        if draw(st.booleans()):
            unavailable[("application", p.id)] = draw(st.lists(intervals, max_size=2))
    for j in judges:
        if draw(st.booleans()):
            unavailable[("judge", j)] = draw(st.lists(intervals, max_size=2))
    busy = {p.id: draw(st.lists(intervals, min_size=1, max_size=2)) for p in pitches[:2]}
    existing = []
    for _ in range(draw(st.integers(0, 3))):
        start, end = draw(intervals)
        existing.append(
            Booked(
                stage_id=draw(st.sampled_from(stages)),
                starts_at=start,
                ends_at=end,
                startup_id=draw(st.one_of(st.none(), st.integers(1, 5))),
                judge_ids=frozenset(draw(st.lists(st.sampled_from(judges), max_size=2)))
                if judges
                else frozenset(),
            )
        )
    # existing items never overlap on a stage (the database refuses that already)
    kept: list[Booked] = []
    for b in existing:
        if not any(
            k.stage_id == b.stage_id and _clash((k.starts_at, k.ends_at), (b.starts_at, b.ends_at))
            for k in kept
        ):
            kept.append(b)
    return {
        "pitches": pitches,
        "stages": stages,
        "slots_by_stage": slots_by_stage,
        "unavailable": unavailable,
        "judges_of": judges_of,
        "busy": busy,
        "existing": kept,
    }


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_auto_schedule_never_overlaps_and_respects_availability(instance):
    placements, left_out = auto_schedule(
        instance["pitches"],
        instance["stages"],
        instance["slots_by_stage"],
        instance["unavailable"],
        instance["judges_of"],
        instance["busy"],
        existing=instance["existing"],
    )
    check_schedule(instance, placements, left_out)


@settings(max_examples=200, deadline=None)
@given(instances())
def test_conflicts_finds_nothing_in_a_schedule_and_every_forced_overlap(instance):
    placements, _left = auto_schedule(
        instance["pitches"],
        instance["stages"],
        instance["slots_by_stage"],
        instance["unavailable"],
        instance["judges_of"],
        instance["busy"],
        existing=instance["existing"],
    )
    startups = {p.id: p.startup_id for p in instance["pitches"]}
    items = [
        Booked(
            p.stage_id,
            p.starts_at,
            p.ends_at,
            startups[p.application_id],
            frozenset(instance["judges_of"][p.application_id]),
            id=n,
            application_id=p.application_id,
        )
        for n, p in enumerate(placements, start=1)
    ]
    assert conflicts(items, instance["unavailable"], instance["busy"]) == []
    if items:  # a copy of the first item on its own stage is found as a stage conflict
        twin = Booked(items[0].stage_id, items[0].starts_at, items[0].ends_at, id=999)
        found = conflicts([*items, twin])
        assert (
            ops.Conflict("stage", items[0].id, 999) in found
            or ops.Conflict("stage", 999, items[0].id) in found
        )


def test_auto_schedule_prefers_the_track_stage_and_gives_reasons():
    s1 = slots(DAY, dt.time(8), dt.time(9), 8, 10, 2)
    s2 = slots(DAY, dt.time(8), dt.time(9), 8, 10, 2)
    pitches = [Pitch(1, 1, preferred_stage_id=2), Pitch(2, 2), Pitch(3, 3), Pitch(4, 4)]
    unavailable = {("application", 3): [(local(DAY, 7), local(DAY, 12))]}
    busy = {4: [(local(DAY, 7), local(DAY, 12))]}
    placements, left_out = auto_schedule(pitches, [1, 2], {1: s1, 2: s2}, unavailable, {}, busy)
    by_app = {p.application_id: p for p in placements}
    assert by_app[1].stage_id == 2
    assert by_app[2].stage_id == 1 and by_app[2].starts_at == local(DAY, 8)
    assert left_out == {3: "unavailable", 4: "matchmaking"}
    _p, none = auto_schedule([Pitch(5, 5)], [1], {1: []}, {}, {}, {})
    assert none == {5: "no_slots"}


# --------------------------------------------------------------------------- database


@pytest.fixture(autouse=True)
def english(app):
    with app.test_request_context(), force_locale("en"):
        yield


@pytest.fixture
def organizer(create_user):
    return create_user(locale="en")


@pytest.fixture
def festival(create_festival, organizer):
    festival = create_festival(organizer=organizer, state="published", start=DAY)
    db.session.add(Stage(festival_id=festival.id, name_vi="Sân khấu phụ", position=1))
    db.session.add(
        PitchCall(
            festival_id=festival.id,
            opens_at=local(DAY, 8) - dt.timedelta(days=60),
            closes_at=local(DAY, 8) - dt.timedelta(days=20),
            pitch_minutes=8,
            qa_minutes=10,
            buffer_minutes=2,
        )
    )
    db.session.commit()
    db.session.refresh(festival)
    return festival


@pytest.fixture
def make_application(create_user):
    def make(festival, title="Trà dược liệu Tây Giang", *, state="shortlisted", track=None):
        user = create_user(locale="vi")
        org = Organisation(kind="cooperative")
        org.set_name(f"HTX {title}")
        db.session.add(org)
        db.session.flush()
        db.session.add(OrganisationMember(organisation_id=org.id, user_id=user.id, role="owner"))
        application = PitchApplication(
            festival_id=festival.id,
            organisation_id=org.id,
            applicant_id=user.id,
            title=title,
            title_folded=fold(title),
            state=state,
            track_id=track.id if track else None,
        )
        db.session.add(application)
        db.session.commit()
        return application

    return make


@pytest.fixture
def judges(festival, create_user):
    people = [create_user(name=f"Giám khảo {n}", locale="en") for n in range(3)]
    for person in people:
        db.session.add(FestivalRole(festival_id=festival.id, user_id=person.id, role="judge"))
    db.session.commit()
    return people


def assign(festival, applications, judges, round_name="Chung kết", position=2):
    rnd = Round(festival_id=festival.id, name=round_name, position=position)
    db.session.add(rnd)
    db.session.flush()
    for application in applications:
        for judge in judges:
            db.session.add(
                Assignment(round_id=rnd.id, application_id=application.id, judge_id=judge.id)
            )
    db.session.commit()
    return rnd


def test_auto_schedule_persists_items_with_judges_and_schedules_the_applications(
    festival, organizer, make_application, judges
):
    main, side = festival.stages
    track = Track(festival_id=festival.id, name_vi="Du lịch", stage_id=side.id)
    db.session.add(track)
    db.session.commit()
    apps = [make_application(festival, f"Dự án {n}") for n in range(3)]
    toured = make_application(festival, "Homestay Cơ Tu", track=track)
    other = make_application(festival, "Chưa vào vòng", state="in_review")
    assign(festival, apps + [toured], judges[:1], "Sơ khảo", position=1)
    assign(festival, apps + [toured], judges[1:], "Chung kết", position=2)
    opening = ops.create_item(
        festival,
        ops.ItemData("opening", main.id, local(DAY, 8), local(DAY, 9), "Khai mạc"),
    )
    db.session.add(
        Unavailability(
            festival_id=festival.id,
            judge_id=judges[1].id,
            starts_at=local(DAY, 9),
            ends_at=local(DAY, 9, 40),
        )
    )
    db.session.commit()

    result = ops.apply_auto_schedule(festival, DAY, [main.id, side.id], organizer)
    db.session.commit()

    items = db.session.scalars(
        sa.select(ProgrammeItem).where(ProgrammeItem.kind == "pitch").order_by("starts_at")
    ).all()
    assert {i.application_id for i in items} == {a.id for a in apps + [toured]}
    assert result.left_out == {}
    for item in items:
        assert item.uid.endswith("@eventday") and item.sequence == 0
        assert {j.id for j in item.judges} == {judges[1].id, judges[2].id}  # latest round only
        assert not (item.starts_at < local(DAY, 9, 40) and local(DAY, 9) < item.ends_at)
        if item.stage_id == main.id:  # the opening holds the main stage until 9:00
            assert item.starts_at >= local(DAY, 9)
        assert item.ends_at - item.starts_at == dt.timedelta(minutes=18)
        assert item.application.state == "scheduled"
    assert next(i for i in items if i.application_id == toured.id).stage_id == side.id
    # the same judges sit on every pitch: never two at once, whatever the stage
    for a, b in zip(items, items[1:], strict=False):
        assert a.ends_at <= b.starts_at
    assert db.session.get(PitchApplication, other.id).state == "in_review"
    assert opening.starts_at == local(DAY, 8)
    # again: nothing left to place, nothing moves
    again = ops.apply_auto_schedule(festival, DAY, [main.id], organizer)
    assert again.items == [] and again.left_out == {}


def test_auto_schedule_reports_a_pitch_that_cannot_be_placed(festival, organizer, make_application):
    application = make_application(festival)
    db.session.add(
        Unavailability(
            festival_id=festival.id,
            application_id=application.id,
            starts_at=local(DAY, 7),
            ends_at=local(DAY, 18),
        )
    )
    db.session.commit()
    result = ops.apply_auto_schedule(festival, DAY, [festival.stages[0].id], organizer)
    assert result.items == [] and result.left_out == {application.id: "unavailable"}
    assert db.session.get(PitchApplication, application.id).state == "shortlisted"


def _pitch_item(festival, application, stage, start, judges=()):
    item = ProgrammeItem(
        festival_id=festival.id,
        stage_id=stage.id,
        kind="pitch",
        title_vi=application.title,
        application_id=application.id,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=18),
        uid=ops.new_uid(),
    )
    item.judges = list(judges)
    db.session.add(item)
    db.session.commit()
    return item


def test_a_conflicting_move_is_refused_with_a_message_naming_the_conflict(
    festival, make_application, judges
):
    main, side = festival.stages
    a = make_application(festival, "Cà phê Trường Sơn")
    b = make_application(festival, "Gạo hữu cơ")
    first = _pitch_item(festival, a, main, local(DAY, 9), judges[:1])
    second = _pitch_item(festival, b, side, local(DAY, 10), judges[:1])

    with pytest.raises(ops.ScheduleError) as caught:  # same judge at 9:00 on another stage
        ops.move_item(second, side, local(DAY, 9, 5))
    message = caught.value.message()
    assert "Giám khảo 0" in message and "Cà phê Trường Sơn" in message
    assert "at the same time" in message
    db.session.rollback()

    with pytest.raises(ops.ScheduleError, match="conflict"):  # same stage
        ops.move_item(db.session.get(ProgrammeItem, second.id), main, local(DAY, 9, 10))
    db.session.rollback()

    with pytest.raises(ops.ScheduleError) as caught:
        ops.move_item(db.session.get(ProgrammeItem, second.id), main, local(DAY, 18))
    assert caught.value.reason == "outside_day"
    db.session.rollback()

    moved = ops.move_item(db.session.get(ProgrammeItem, second.id), main, local(DAY, 9, 18))
    db.session.commit()
    assert moved.stage_id == main.id and moved.starts_at == local(DAY, 9, 18)
    assert moved.ends_at == local(DAY, 9, 36)
    assert db.session.get(ProgrammeItem, first.id).starts_at == local(DAY, 9)


def _move_queries(item, stage, start) -> int:
    db.session.expire_all()
    statements = []

    def count(*_args):
        statements.append(1)

    engine = db.session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        ops.move_item(db.session.get(ProgrammeItem, item.id), stage, start)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    db.session.rollback()
    return len(statements)


def test_a_move_checks_conflicts_in_a_fixed_number_of_queries(festival, make_application, judges):
    main, side = festival.stages
    moving = _pitch_item(festival, make_application(festival, "Cà phê"), main, local(DAY, 9))
    _pitch_item(festival, make_application(festival, "Gạo"), side, local(DAY, 9), judges[:1])
    few = _move_queries(moving, main, local(DAY, 10))
    for n in range(6):
        app_ = make_application(festival, f"Dự án {n}")
        _pitch_item(festival, app_, side, local(DAY, 10 + n), judges[:2])
    many = _move_queries(moving, main, local(DAY, 10))
    assert many == few, (few, many)


def test_a_hand_made_item_cannot_overlap_another_on_its_stage(festival):
    main = festival.stages[0]
    ops.create_item(
        festival, ops.ItemData("opening", main.id, local(DAY, 8), local(DAY, 9), "Khai mạc")
    )
    with pytest.raises(ops.ScheduleError) as caught:
        ops.create_item(
            festival,
            ops.ItemData("workshop", main.id, local(DAY, 8, 30), local(DAY, 10), "Sở hữu trí tuệ"),
        )
    assert "Khai mạc" in caught.value.message()
    db.session.rollback()
    with pytest.raises(ops.ScheduleError) as caught:
        ops.create_item(
            festival, ops.ItemData("pitch", main.id, local(DAY, 10), local(DAY, 11), "x")
        )
    assert caught.value.reason == "bad_kind"


def test_deleting_a_pitch_item_puts_the_application_back_on_the_shortlist(
    festival, organizer, make_application
):
    application = make_application(festival)
    ops.apply_auto_schedule(festival, DAY, [festival.stages[0].id], organizer)
    db.session.commit()
    item = db.session.scalar(sa.select(ProgrammeItem).where(ProgrammeItem.kind == "pitch"))
    ops.delete_item(item, organizer)
    db.session.commit()
    assert db.session.get(PitchApplication, application.id).state == "shortlisted"
    assert db.session.scalar(sa.select(sa.func.count(ProgrammeItem.id))) == 0


# --------------------------------------------------------------------------- pages


def test_only_organizers_see_the_schedule(client, auth, festival, create_user):
    url = f"/f/{festival.slug}/manage/pitches/schedule"
    assert client.get(url).status_code == 302  # to the login page
    auth.login(create_user())
    assert client.get(url).status_code == 403
    assert client.post(f"/f/{festival.slug}/manage/pitches/schedule/publish").status_code in (
        400,
        403,
    )


def test_organizer_adds_an_item_runs_auto_schedule_and_moves_by_json_and_form(
    client, auth, festival, organizer, make_application, judges
):
    main, side = festival.stages
    apps = [make_application(festival, f"Dự án {n}") for n in range(2)]
    assign(festival, apps, judges[:1])
    auth.login(organizer)
    base = f"/f/{festival.slug}/manage/pitches/schedule"

    token = csrf_token(client, base + "/item/new")
    response = client.post(
        base + "/item/new",
        data={
            "csrf_token": token,
            "kind": "opening",
            "stage_id": str(main.id),
            "day": DAY.isoformat(),
            "start": "08:00",
            "end": "08:45",
            "title_vi": "Khai mạc",
            "title_en": "Opening",
            "speakers": "Chủ tịch UBND huyện\n",
        },
    )
    assert response.status_code == 302
    response = client.post(
        base + "/item/new",
        data={
            "csrf_token": token,
            "kind": "forum",
            "stage_id": str(main.id),
            "day": DAY.isoformat(),
            "start": "08:30",
            "end": "09:30",
            "title_vi": "Diễn đàn",
        },
    )
    assert response.status_code == 400
    assert "Opening (08:00, Sân khấu chính) and Diễn đàn" in response.get_data(as_text=True)

    page = client.get(base).get_data(as_text=True)
    assert "Opening" in page and "Chủ tịch UBND huyện" not in page
    token = csrf_token(client, base)
    prefix = f"auto-{DAY.isoformat()}"
    response = client.post(
        base + "/auto",
        data={
            "day": DAY.isoformat(),
            f"{prefix}-csrf_token": token,
            f"{prefix}-day": DAY.isoformat(),
            f"{prefix}-stage_ids": [str(main.id)],
        },
    )
    assert response.status_code == 302
    items = db.session.scalars(
        sa.select(ProgrammeItem).where(ProgrammeItem.kind == "pitch").order_by("starts_at")
    ).all()
    assert len(items) == 2 and items[0].starts_at == local(DAY, 8, 45)
    assert all(i.application.state == "scheduled" for i in items)
    page = client.get(base).get_data(as_text=True)
    assert f'data-item-id="{items[0].id}"' in page and 'draggable="true"' in page

    # drag and drop: the second pitch onto the side stage at the first one's time
    move = f"{base}/item/{items[1].id}/move"
    conflict = client.post(
        move,
        data={
            "move-csrf_token": token,
            "move-stage_id": str(side.id),
            "move-day": DAY.isoformat(),
            "move-start": "08:50",
        },
        headers={"Accept": "application/json"},
    )
    assert conflict.status_code == 409
    body = conflict.get_json()
    assert body["ok"] is False and "Giám khảo 0" in " ".join(body["conflicts"])
    ok = client.post(
        move,
        data={
            "move-csrf_token": token,
            "move-stage_id": str(side.id),
            "move-day": DAY.isoformat(),
            "move-start": "10:00",
        },
        headers={"Accept": "application/json"},
    )
    assert ok.status_code == 200 and ok.get_json()["ok"] is True
    db.session.expire_all()
    assert db.session.get(ProgrammeItem, items[1].id).stage_id == side.id
    # without JavaScript: the same form, answered with a redirect
    plain = client.post(
        move,
        data={
            "move-csrf_token": token,
            "move-stage_id": str(main.id),
            "move-day": DAY.isoformat(),
            "move-start": "11:00",
        },
    )
    assert plain.status_code == 302
    db.session.expire_all()
    assert db.session.get(ProgrammeItem, items[1].id).starts_at == local(DAY, 11)
