"""ICS files and versioned publishing: files parse with ``icalendar``, UID and UTC times are
right, a republication after a move keeps the UID and raises SEQUENCE and mails the startup and
the judges with the updated ICS; a removed item becomes a CANCELLED event."""

# The fixtures come from test_schedule.py (imported below); their parameters re-bind the names.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from eventday.extensions import db
from eventday.mail import ATTACHMENT_BUILDERS, OutboxMail
from pitches import publishing
from pitches import schedule as ops
from pitches.models import ProgrammeItem, ProgrammeVersion
from tests.pitches.test_schedule import (  # noqa: F401 - fixtures
    DAY,
    assign,
    english,
    festival,
    judges,
    local,
    make_application,
    organizer,
)


def events(data: bytes) -> list:
    return [c for c in Calendar.from_ical(data).walk() if c.name == "VEVENT"]


def mails(template: str) -> list[OutboxMail]:
    return list(
        db.session.scalars(
            sa.select(OutboxMail).where(OutboxMail.template == template).order_by(OutboxMail.id)
        )
    )


@pytest.fixture
def scheduled(festival, organizer, make_application, judges):
    """Two pitches (the same two judges) on the main stage, and an opening."""
    apps = [make_application(festival, "Trà dược liệu"), make_application(festival, "Gốm Cơ Tu")]
    assign(festival, apps, judges[:2])
    ops.create_item(
        festival,
        ops.ItemData(
            "opening",
            festival.stages[0].id,
            local(DAY, 8),
            local(DAY, 8, 30),
            "Khai mạc",
            "Opening",
            speakers="Chủ tịch UBND huyện",
        ),
    )
    ops.apply_auto_schedule(festival, DAY, [festival.stages[0].id], organizer)
    db.session.commit()
    items = db.session.scalars(
        sa.select(ProgrammeItem).where(ProgrammeItem.kind == "pitch").order_by("starts_at")
    ).all()
    return apps, items


def test_public_ics_of_a_published_item_parses_with_the_right_uid_and_utc_times(
    client, festival, organizer, scheduled
):
    _apps, items = scheduled
    item = items[0]
    assert client.get(f"/f/{festival.slug}/programme/{item.uid}.ics").status_code == 404
    publishing.publish(festival, organizer)
    db.session.commit()

    response = client.get(f"/f/{festival.slug}/programme/{item.uid}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    (event,) = events(response.data)
    assert str(event["UID"]) == item.uid
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == local(DAY, 8, 30) == item.starts_at
    assert event.decoded("DTSTART").utcoffset() == dt.timedelta(0)
    assert event.decoded("DTEND") == local(DAY, 8, 48)
    assert "DTSTAMP" in event and str(event["STATUS"]) == "CONFIRMED"
    assert str(event["SUMMARY"]) == "Trà dược liệu"
    assert "Sân khấu chính" in str(event["LOCATION"]) and "Nhà văn hóa xã" in str(event["LOCATION"])
    assert str(event["URL"]).startswith("http://localhost/f/" + festival.slug)

    whole = client.get(f"/f/{festival.slug}/programme.ics")
    assert whole.status_code == 200
    got = events(whole.data)
    assert {str(e["UID"]) for e in got} == {i.uid for i in ops.festival_items(festival)}
    opening = next(e for e in got if "Khai mạc" in str(e["SUMMARY"]))
    assert "Chủ tịch UBND huyện" in str(opening["DESCRIPTION"])
    assert client.get(f"/f/{festival.slug}/programme/nope@eventday.ics").status_code == 404


def test_ics_of_a_draft_festival_is_not_public(client, create_festival):
    draft = create_festival(state="draft")
    assert client.get(f"/f/{draft.slug}/programme.ics").status_code == 404


def test_first_publication_mails_every_startup_and_judge_their_slot(
    festival, organizer, scheduled, judges
):
    apps, items = scheduled
    result = publishing.publish(festival, organizer)
    db.session.commit()
    assert result.version.number == 1 and result.first
    sent = mails("pitches_programme_published")
    expected = {a.applicant.email for a in apps} | {j.email for j in judges[:2]}
    assert {m.recipient for m in sent} == expected == set(result.mailed)
    judge_mail = next(m for m in sent if m.recipient == judges[0].email)
    assert judge_mail.locale == "en" and len(judge_mail.attachments) == 2  # both pitches
    startup_mail = next(m for m in sent if m.recipient == apps[0].applicant.email)
    assert startup_mail.locale == "vi" and "Trà dược liệu" in startup_mail.body_text
    assert "08:30" in startup_mail.body_text  # local time


def test_republishing_after_a_move_keeps_the_uid_raises_sequence_and_mails_the_ics(
    client, festival, organizer, scheduled, judges
):
    apps, items = scheduled
    first, second = items
    publishing.publish(festival, organizer)
    db.session.commit()
    db.session.query(OutboxMail).delete()

    again = publishing.publish(festival, organizer)  # nothing changed: no bump, no mail
    assert again.changed == [] and again.mailed == [] and second.sequence == 0

    ops.move_item(second, festival.stages[1], local(DAY, 14))
    result = publishing.publish(festival, organizer)
    db.session.commit()
    assert result.version.number == 3 and result.changed == [second.uid]
    assert db.session.get(ProgrammeItem, second.id).sequence == 1
    assert db.session.get(ProgrammeItem, first.id).sequence == 0

    sent = mails("pitches_programme_changed")
    assert {m.recipient for m in sent} == {apps[1].applicant.email} | {j.email for j in judges[:2]}
    for mail in sent:
        (spec,) = mail.attachments
        name, content_type, data, _cid = ATTACHMENT_BUILDERS[spec["kind"]](spec)
        assert content_type == "text/calendar" and name.endswith(".ics")
        (event,) = events(data)
        assert str(event["UID"]) == second.uid and int(event["SEQUENCE"]) == 1
        assert event.decoded("DTSTART") == local(DAY, 14)
        assert "Sân khấu phụ" in str(event["LOCATION"])

    (public,) = events(client.get(f"/f/{festival.slug}/programme/{second.uid}.ics").data)
    assert str(public["UID"]) == second.uid and int(public["SEQUENCE"]) == 1


def test_a_new_description_or_speakers_raise_the_sequence_and_mail_those_concerned(
    festival, organizer, scheduled, judges
):
    apps, items = scheduled
    first, second = items
    publishing.publish(festival, organizer)
    db.session.commit()
    db.session.query(OutboxMail).delete()
    first.description = "Trà túi lọc từ sâm Ngọc Linh"
    second.speakers = "Alăng Thị Bốn"
    db.session.commit()
    result = publishing.publish(festival, organizer)
    db.session.commit()
    assert sorted(result.changed) == sorted([first.uid, second.uid])
    assert db.session.get(ProgrammeItem, first.id).sequence == 1
    assert db.session.get(ProgrammeItem, second.id).sequence == 1
    sent = {m.recipient for m in mails("pitches_programme_changed")}
    assert {apps[0].applicant.email, apps[1].applicant.email, judges[0].email} <= sent


def test_a_removed_item_is_published_as_a_cancelled_event_with_a_raised_sequence(
    client, festival, organizer, scheduled, judges
):
    apps, items = scheduled
    publishing.publish(festival, organizer)
    db.session.commit()
    uid = items[0].uid
    ops.delete_item(items[0], organizer)
    result = publishing.publish(festival, organizer)
    db.session.commit()
    assert result.removed == [uid]
    assert apps[0].applicant.email in result.mailed and judges[0].email in result.mailed

    (event,) = events(client.get(f"/f/{festival.slug}/programme/{uid}.ics").data)
    assert str(event["STATUS"]) == "CANCELLED" and int(event["SEQUENCE"]) == 1
    whole = events(client.get(f"/f/{festival.slug}/programme.ics").data)
    assert [str(e["STATUS"]) for e in whole if str(e["UID"]) == uid] == ["CANCELLED"]

    # a later publication keeps it cancelled without announcing it again
    later = publishing.publish(festival, organizer)
    assert later.removed == [] and later.mailed == []
    version = db.session.scalar(
        sa.select(ProgrammeVersion).where(ProgrammeVersion.number == later.version.number)
    )
    assert version.snapshot[uid]["status"] == "cancelled" and version.snapshot[uid]["sequence"] == 1


def test_a_withdrawn_or_unscheduled_startup_leaves_the_programme_and_is_cancelled(
    festival, organizer, scheduled, judges
):
    from pitches import calls

    apps, items = scheduled
    publishing.publish(festival, organizer)
    db.session.commit()
    uids = [i.uid for i in items]
    calls.withdraw(apps[0], apps[0].applicant)  # the startup withdraws
    calls.change_state(apps[1], "shortlisted", organizer)  # an organizer takes it back
    db.session.commit()
    assert (
        db.session.scalars(sa.select(ProgrammeItem).where(ProgrammeItem.kind == "pitch")).all()
        == []
    )
    assert [a.state for a in apps] == ["withdrawn", "shortlisted"]
    result = publishing.publish(festival, organizer)
    db.session.commit()
    assert sorted(result.removed) == sorted(uids)
    assert apps[0].applicant.email in result.mailed and judges[0].email in result.mailed
    assert all(result.version.snapshot[u]["status"] == "cancelled" for u in uids)


def test_publish_page_is_for_organizers_and_publishes(client, auth, festival, organizer, scheduled):
    from tests.conftest import csrf_token

    auth.login(organizer)
    token = csrf_token(client, f"/f/{festival.slug}/manage/pitches/schedule")
    response = client.post(
        f"/f/{festival.slug}/manage/pitches/schedule/publish", data={"csrf_token": token}
    )
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(ProgrammeVersion.id))) == 1
    page = client.get(f"/f/{festival.slug}/manage/pitches/schedule").get_data(as_text=True)
    assert "Published version: 1" in page
