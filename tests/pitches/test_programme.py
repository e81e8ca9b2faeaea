"""The public programme (published items only, per day and stage), the projector's JSON (now /
next, ended items, delays), the projector page (polling script, no meta refresh), and the stage
manager (who may use it; start, end — a pitch moves to "pitched" —, delay)."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest
from flask_babel import force_locale

from eventday.accounts.models import Organisation
from eventday.db import utcnow
from eventday.extensions import db
from eventday.festivals import operations as festival_ops
from eventday.festivals.models import Stage
from eventday.i18n import LOCAL_TZ, fold
from pitches import publishing
from pitches.models import PitchApplication, PitchCall, ProgrammeItem, ProgrammeVersion, Track
from tests.conftest import csrf_token, vi

_uid = itertools.count(1)


@pytest.fixture(autouse=True)
def english(app):
    with app.test_request_context(), force_locale("en"):
        yield


def local_today() -> dt.date:
    return utcnow().astimezone(LOCAL_TZ).date()


def at(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    local = dt.datetime.combine(day, dt.time(hh), tzinfo=LOCAL_TZ) + dt.timedelta(minutes=mm)
    return local.astimezone(dt.UTC)


class World:
    def __init__(self, create_user, create_festival):
        self.organizer = create_user(locale="en")
        self.today = local_today()
        self.tomorrow = self.today + dt.timedelta(days=1)
        self.festival = create_festival(
            organizer=self.organizer, state="published", start=self.today, days=3
        )
        self.main = self.festival.stages[0]
        self.hall = Stage(festival_id=self.festival.id, name_vi="Hội trường B", position=1)
        db.session.add(self.hall)
        now = utcnow()
        db.session.add(
            PitchCall(
                festival_id=self.festival.id,
                opens_at=now - dt.timedelta(days=30),
                closes_at=now - dt.timedelta(days=5),
            )
        )
        self.track = Track(festival_id=self.festival.id, name_vi="Nông nghiệp", name_en="Farming")
        db.session.add(self.track)
        db.session.flush()

    def application(self, title, org_name, state="scheduled"):
        org = Organisation(kind="cooperative")
        org.set_name(org_name)
        db.session.add(org)
        db.session.flush()
        application = PitchApplication(
            festival_id=self.festival.id,
            organisation_id=org.id,
            track_id=self.track.id,
            title=title,
            title_folded=fold(title),
            state=state,
        )
        db.session.add(application)
        db.session.flush()
        return application

    def item(self, stage, starts, minutes=20, kind="pitch", title=None, application=None, **kw):
        item = ProgrammeItem(
            festival_id=self.festival.id,
            stage_id=stage.id,
            kind=kind,
            title_vi=title or (application.title if application else "Mục"),
            application_id=application.id if application else None,
            starts_at=starts,
            ends_at=starts + dt.timedelta(minutes=minutes),
            uid=f"test-{next(_uid)}@eventday",
            **kw,
        )
        db.session.add(item)
        db.session.flush()
        return item

    def publish(self, items, number=1):
        db.session.add(
            ProgrammeVersion(
                festival_id=self.festival.id,
                number=number,
                snapshot={i.uid: publishing.entry(i) for i in items},
            )
        )
        db.session.commit()


@pytest.fixture
def world(create_user, create_festival):
    return World(create_user, create_festival)


@pytest.fixture
def stage_day(world):
    """Tomorrow on the main stage: an opening, then three pitches, all published."""
    day = world.tomorrow
    apps = [
        world.application("Trà dược liệu Tây Giang", "HTX Dược liệu Tây Giang"),
        world.application("Du lịch cộng đồng Cơ Tu", "Tổ hợp tác Du lịch Bhơ Hôồng"),
        world.application("Gạo hữu cơ Đông Giang", "HTX Nông nghiệp Sông Kôn"),
    ]
    opening = world.item(world.main, at(day, 8, 0), 30, kind="opening", title="Khai mạc")
    pitches = [
        world.item(world.main, at(day, 8, 30 + 20 * n), 18, application=a)
        for n, a in enumerate(apps)
    ]
    world.publish([opening, *pitches])
    return day, opening, pitches, apps


def now_json(client, world, stage=None):
    stage = stage or world.main
    response = client.get(f"/f/{world.festival.slug}/stage/{stage.id}/now.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_json()


# --------------------------------------------------------------------------- programme


def test_programme_is_empty_before_publication(client, world):
    world.item(world.main, at(world.tomorrow, 9), title="Diễn đàn chưa công bố", kind="forum")
    db.session.commit()
    html = client.get(f"/f/{world.festival.slug}/programme").get_data(as_text=True)
    assert 'id="programme-empty"' in html
    assert "Diễn đàn chưa công bố" not in html


def test_programme_shows_only_published_items_per_day_and_stage(client, world, stage_day):
    day, opening, pitches, apps = stage_day
    # After publication: an item added but not published, and one published the day after on
    # the second stage with speakers.
    world.item(world.main, at(day, 15), title="Tọa đàm chưa công bố", kind="forum")
    later = world.item(
        world.hall,
        at(day + dt.timedelta(days=1), 9),
        60,
        kind="workshop",
        title="Hội thảo gọi vốn",
        speakers="Lê Văn Tư\nTrần Thị Mai",
    )
    world.publish([opening, *pitches, later], number=2)

    response = client.get(f"/f/{world.festival.slug}/programme")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Tọa đàm chưa công bố" not in html
    for title in ("Khai mạc", "Trà dược liệu Tây Giang", "Hội thảo gọi vốn"):
        assert title in html
    # Per day, then per stage: two day sections, the workshop under the second day and stage.
    sections = re.findall(r'data-day="([0-9-]+)"', html)
    assert sections == [day.isoformat(), (day + dt.timedelta(days=1)).isoformat()]
    second_day = html.split(f'data-day="{(day + dt.timedelta(days=1)).isoformat()}"')[1]
    assert f'data-stage-id="{world.hall.id}"' in second_day
    assert "Hội thảo gọi vốn" in second_day and "Khai mạc" not in second_day
    # Vietnam time, the startup and track, speakers, the ICS links when P3's endpoints exist.
    assert "08:30" in html and "HTX Dược liệu Tây Giang" in html and "Nông nghiệp" in html
    assert "Lê Văn Tư, Trần Thị Mai" in html
    assert f"/f/{world.festival.slug}/programme/{opening.uid}.ics" in html
    assert f"/f/{world.festival.slug}/programme.ics" in html


def test_programme_and_projector_show_the_published_version_not_later_edits(
    client, auth, world, stage_day
):
    day, opening, pitches, _apps = stage_day
    # Unpublished edits: a pitch renamed and moved to the other stage, the opening retimed.
    pitches[0].title_vi = "Tên mới chưa công bố"
    pitches[0].stage_id = world.hall.id
    opening.starts_at += dt.timedelta(hours=3)
    opening.ends_at += dt.timedelta(hours=3)
    db.session.commit()
    html = client.get(f"/f/{world.festival.slug}/programme").get_data(as_text=True)
    assert "Tên mới chưa công bố" not in html and "Trà dược liệu Tây Giang" in html
    assert "08:00" in html and "11:00" not in html
    assert f'data-stage-id="{world.hall.id}"' not in html
    data = now_json(client, world)  # the main stage, as published
    assert data["now"]["id"] == opening.id and data["now"]["start"] == "08:00"
    assert data["next"]["id"] == pitches[0].id
    assert data["next"]["title"] == "Trà dược liệu Tây Giang"
    # The live status and delay still show: the stage manager starts the opening, late.
    auth.login(world.organizer)
    path = f"/f/{world.festival.slug}/manage/pitches/stage/{world.main.id}?day={day.isoformat()}"
    token = csrf_token(client, path)
    body = {"csrf_token": token, "item_id": opening.id, "action": "delay", "minutes": "5"}
    assert client.post(path, data=body).status_code == 302
    data = now_json(client, world)
    assert data["now"]["start"] == "08:05" and data["now"]["delay_minutes"] == 5
    body = {"csrf_token": token, "item_id": opening.id, "action": "start"}
    assert client.post(path, data=body).status_code == 302
    assert now_json(client, world)["live"] is True


def test_programme_of_a_draft_festival_is_not_found(client, create_festival):
    festival = create_festival(state="draft")
    assert client.get(f"/f/{festival.slug}/programme").status_code == 404


# --------------------------------------------------------------------------- projector


def test_projector_page_polls_json_and_never_reloads(client, world, stage_day):
    response = client.get(f"/f/{world.festival.slug}/stage/{world.main.id}/now")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "pitches/projector.js" in html
    assert f'data-url="/f/{world.festival.slug}/stage/{world.main.id}/now.json"' in html
    assert 'data-poll-ms="3000"' in html
    assert not re.search(r"<meta[^>]+http-equiv=[\"']?refresh", html, re.I)
    assert "Khai mạc" in html  # first item planned, shown before anything starts
    script = client.get("/static/pitches/projector.js").get_data(as_text=True)
    assert "fetch(" in script and "setTimeout" in script and "location.reload" not in script


def test_projector_of_a_stage_of_another_festival_is_not_found(client, world, create_festival):
    other = create_festival(state="published")
    assert client.get(f"/f/{world.festival.slug}/stage/{other.stages[0].id}/now").status_code == 404
    assert (
        client.get(f"/f/{world.festival.slug}/stage/{other.stages[0].id}/now.json").status_code
        == 404
    )


def test_now_json_moves_to_the_next_pitch_and_reflects_a_delay(client, auth, world, stage_day):
    day, opening, pitches, _apps = stage_day
    data = now_json(client, world)
    assert data["now"]["id"] == opening.id and data["live"] is False
    assert data["next"]["id"] == pitches[0].id

    auth.login(world.organizer)
    path = f"/f/{world.festival.slug}/manage/pitches/stage/{world.main.id}?day={day.isoformat()}"

    def act(item, action, **extra):
        body = {"csrf_token": csrf_token(client, path), "item_id": item.id, "action": action}
        body.update(extra)
        return client.post(path, data=body)

    assert act(pitches[0], "start").status_code == 302
    data = now_json(client, world)
    assert data["live"] is True
    assert data["now"]["id"] == pitches[0].id
    assert data["now"]["startup"] == "HTX Dược liệu Tây Giang"
    assert data["now"]["track"] == "Farming"
    assert data["next"]["id"] == pitches[1].id

    assert act(pitches[0], "end").status_code == 302
    data = now_json(client, world)
    assert data["now"]["id"] == pitches[1].id and data["live"] is False
    assert data["next"]["id"] == pitches[2].id

    assert act(pitches[1], "delay", minutes="10").status_code == 302
    data = now_json(client, world)
    assert data["now"]["start"] == "09:00" and data["now"]["delay_minutes"] == 10
    assert data["now"]["end"] == "09:18"
    assert data["next"]["start"] == "09:20" and data["next"]["delay_minutes"] == 10
    assert data["now"]["planned_start"] == "08:50"


def test_projector_shows_live_votes_only_when_the_call_allows(client, world, stage_day):
    call = db.session.query(PitchCall).filter_by(festival_id=world.festival.id).one()
    assert now_json(client, world)["votes"] is None
    call.audience_vote_on_projector = True
    db.session.commit()
    votes = now_json(client, world)["votes"]
    assert [v["title"] for v in votes] == [a.title for a in stage_day[3]]
    assert all(v["votes"] == 0 for v in votes)


# --------------------------------------------------------------------------- stage manager


def test_stage_manager_is_for_organizers_and_staff_only(
    client, auth, world, stage_day, create_user
):
    path = f"/f/{world.festival.slug}/manage/pitches/stage/{world.main.id}"
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    judge, staff, stranger = create_user(), create_user(), create_user()
    festival_ops.grant_role(world.festival, judge, "judge")
    festival_ops.grant_role(world.festival, staff, "staff")
    db.session.commit()
    for user, expected in ((stranger, 403), (judge, 403), (staff, 200), (world.organizer, 200)):
        auth.login(user)
        assert client.get(f"{path}?day={world.tomorrow}").status_code == expected
        auth.logout()
    # A stage of the festival is required.
    auth.login(world.organizer)
    assert client.get(f"/f/{world.festival.slug}/manage/pitches/stage/999999").status_code == 404


def test_stage_manager_start_end_and_delay(client, auth, world, stage_day, create_user):
    day, opening, pitches, apps = stage_day
    staff = create_user()
    festival_ops.grant_role(world.festival, staff, "staff")
    db.session.commit()
    auth.login(staff)
    path = f"/f/{world.festival.slug}/manage/pitches/stage/{world.main.id}?day={day.isoformat()}"
    html = client.get(path).get_data(as_text=True)
    assert all(f'id="item-{i.id}"' in html for i in (opening, *pitches))

    def act(item, action, **extra):
        body = {"csrf_token": csrf_token(client, path), "item_id": item.id, "action": action}
        body.update(extra)
        return client.post(path, data=body)

    # No CSRF token: refused, nothing changes.
    assert client.post(path, data={"item_id": opening.id, "action": "start"}).status_code == 400
    db.session.refresh(opening)
    assert opening.status == "planned"

    assert act(opening, "start").status_code == 302
    assert act(pitches[0], "start").status_code == 302  # starting the next ends the opening
    db.session.refresh(opening)
    db.session.refresh(pitches[0])
    assert opening.status == "ended" and opening.ended_at is not None
    assert pitches[0].status == "started" and pitches[0].started_at is not None

    # Ending a pitch moves its application to "pitched" (and mails it, through calls).
    assert act(pitches[0], "end").status_code == 302
    db.session.refresh(apps[0])
    assert apps[0].state == "pitched"
    # Ending it again is refused with a clear message.
    response = act(pitches[0], "end")
    assert response.status_code == 400
    assert vi("This item has already ended.") in response.get_data(as_text=True)

    # Delay: this and the later items that day move; the ended ones and other days stay.
    other_day = world.item(world.main, at(day + dt.timedelta(days=1), 8), title="Hôm sau")
    db.session.commit()
    assert act(pitches[1], "delay", minutes="15").status_code == 302
    for item in (opening, *pitches, other_day):
        db.session.refresh(item)
    assert [p.delay_minutes for p in pitches] == [0, 15, 15]
    assert pitches[1].status == "delayed" and pitches[2].status == "delayed"
    assert opening.delay_minutes == 0 and other_day.delay_minutes == 0
    assert pitches[1].starts_at == at(day, 8, 50)  # the plan is kept; the delay is on top

    # A bad delay is refused and changes nothing.
    response = act(pitches[2], "delay", minutes="0")
    assert response.status_code == 400
    db.session.refresh(pitches[2])
    assert pitches[2].delay_minutes == 15


def test_stage_manager_cannot_touch_another_festivals_item(
    client, auth, world, stage_day, create_festival
):
    other = create_festival(state="published")
    foreign = ProgrammeItem(
        festival_id=other.id,
        stage_id=other.stages[0].id,
        title_vi="Của lễ hội khác",
        starts_at=at(world.tomorrow, 9),
        ends_at=at(world.tomorrow, 10),
        uid=f"test-{next(_uid)}@eventday",
    )
    db.session.add(foreign)
    db.session.commit()
    auth.login(world.organizer)
    path = f"/f/{world.festival.slug}/manage/pitches/stage/{world.main.id}"
    response = client.post(
        path,
        data={"csrf_token": csrf_token(client, path), "item_id": foreign.id, "action": "start"},
    )
    assert response.status_code == 404
    db.session.refresh(foreign)
    assert foreign.status == "planned"
