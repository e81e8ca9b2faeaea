"""ICS (iCalendar) files of matchmaking meetings: one event per meeting with the meeting's
stable UID and its SEQUENCE (raised on every move or cancellation), so a calendar app updates
the event it holds rather than adding a second one; a cancelled meeting is a CANCELLED event,
so calendars remove it.

``meeting_ics`` is the file a mail carries (METHOD REQUEST, or CANCEL once cancelled);
``agenda_ics`` is a person's subscription feed (METHOD PUBLISH): every published meeting of
theirs, cancelled ones included. Unpublished (draft) meetings are never in a participant's file.
"""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText
from sqlalchemy.orm import selectinload

from eventday.extensions import db
from eventday.util import external_url
from matchmaking.models import MatchProfile, Meeting, MeetingSeat

PRODID = "-//EventDay//matchmaking//VI"


def _locale_of(profile: MatchProfile | None) -> str:
    locale = getattr(getattr(profile, "user", None), "locale", None) or "vi"
    return locale if locale in ("vi", "en") else "vi"


def _utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _pick(vi: str | None, en: str | None, locale: str) -> str:
    return (en if locale == "en" and en else vi) or ""


def other_party(meeting: Meeting, viewer: MatchProfile | None) -> MatchProfile | None:
    """The profile across the table from ``viewer`` (None when the viewer is not a party)."""
    if viewer is None:
        return None
    others = [s.profile for s in meeting.seats if s.profile_id != viewer.id]
    return others[0] if others and len(others) < len(meeting.seats) else None


def headline(profile: MatchProfile, locale: str) -> str:
    return _pick(profile.headline_vi, profile.headline_en, locale)


def table_place(meeting: Meeting) -> str:
    """'Bàn 3 – Sảnh A' (the label), or 'Table 3' translated when the table has no label."""
    table = meeting.table
    if table is None:
        return ""
    if table.label:
        return table.label
    return _("Table %(number)s", number=table.number)


def table_extra(table) -> str:
    """What a table's label adds to its number, shown under a big "Table N": "Sảnh A" for
    "Bàn 3 – Sảnh A", nothing for "Bàn 3" or "3"; a label that does not start with the number
    ("Sảnh A") is kept whole."""
    if table is None:
        return ""
    label = (table.label or "").strip()
    prefix = rf"^(?:(?:bàn|ban|table)\s*(?:số\s*|so\s*|no\.?\s*)?)?#?\s*{table.number}(?!\w)"
    match = re.match(prefix, label, flags=re.IGNORECASE)
    if match is None:
        return label
    return label[match.end() :].lstrip(" \t-–—:·,.|/").strip()


def event(meeting: Meeting, viewer: MatchProfile | None = None, locale: str | None = None) -> Event:
    """One VEVENT for ``meeting`` as ``viewer`` sees it (summary names the other party)."""
    from eventday.festivals.models import Festival

    locale = locale or _locale_of(viewer)
    festival = db.session.get(Festival, meeting.festival_id)
    other = other_party(meeting, viewer)
    with force_locale(locale):
        if other is not None:
            summary = _("Meet %(name)s", name=other.display_name)
        else:
            names = " – ".join(s.profile.display_name for s in meeting.seats)
            summary = _("Matchmaking meeting: %(names)s", names=names)
        place = table_place(meeting)
        lines = [_pick(festival.name_vi, festival.name_en, locale)]
        if place:
            lines.append(_("Table: %(place)s", place=place))
        people = [other] if other is not None else [s.profile for s in meeting.seats]
        for person in people:
            text = person.display_name
            if person.title:
                text += f" ({person.title})"
            lines += ["", text]
            if headline(person, locale):
                lines.append(headline(person, locale))
        if meeting.request is not None and meeting.request.message:
            lines += ["", _("Request message:"), meeting.request.message]
        url = external_url("matchmaking.agenda", slug=festival.slug)
        if url:
            lines += ["", _("Your agenda: %(url)s", url=url)]
    ev = Event()
    ev.add("uid", meeting.uid)
    ev.add("sequence", int(meeting.sequence or 0))
    ev.add("dtstamp", dt.datetime.now(dt.UTC))
    ev.add("dtstart", _utc(meeting.starts_at))
    ev.add("dtend", _utc(meeting.ends_at))
    ev.add("summary", summary)
    where = [festival.venue_name, meeting.session.location if meeting.session else "", place]
    ev.add("location", ", ".join(p for p in where if p))
    ev.add("description", "\n".join(lines))
    if url:
        ev.add("url", url)
    cancelled = meeting.state == "cancelled"
    ev.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    ev.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
    sender = current_app.config.get("MAIL_DEFAULT_SENDER") or "no-reply@eventday.local"
    if isinstance(sender, tuple):
        sender = sender[1]
    address = sender.rsplit("<", 1)[-1].rstrip(">").strip()
    organizer = vCalAddress(f"mailto:{address}")
    organizer.params["cn"] = vText(_pick(festival.name_vi, festival.name_en, locale))
    ev.add("organizer", organizer)
    # Only the viewer as ATTENDEE: the other party's e-mail is theirs to share, not ours.
    user = viewer.user if viewer is not None else None
    if user is not None and user.email:
        attendee = vCalAddress(f"mailto:{user.email}")
        attendee.params["cn"] = vText(viewer.display_name)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        ev.add("attendee", attendee)
    return ev


def _calendar(method: str, name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Asia/Ho_Chi_Minh")
    return cal


def meeting_ics(meeting: Meeting, viewer_profile: MatchProfile | None = None) -> bytes:
    """The ICS file of one meeting (a mail attachment or a download): METHOD REQUEST, or
    CANCEL with a CANCELLED event once the meeting is cancelled."""
    locale = _locale_of(viewer_profile)
    method = "CANCEL" if meeting.state == "cancelled" else "REQUEST"
    with force_locale(locale):
        name = _("Matchmaking")
    cal = _calendar(method, name)
    cal.add_component(event(meeting, viewer_profile, locale))
    return cal.to_ical()


def agenda_loads() -> tuple:
    """What the agenda and the feed show of each meeting, to load with it (a few statements in
    all, not a few per meeting): both seats with their person and organisation, the table, the
    session and the request."""
    return (
        selectinload(Meeting.seats)
        .selectinload(MeetingSeat.profile)
        .selectinload(MatchProfile.organisation),
        selectinload(Meeting.table),
        selectinload(Meeting.session),
        selectinload(Meeting.request),
    )


def agenda_meetings(profile: MatchProfile, *, include_cancelled: bool = False) -> list[Meeting]:
    """The published meetings ``profile`` sits in, in time order (cancelled ones only when
    asked: their seats are inactive but still there). Seats, people, table, session and request
    come loaded."""
    query = (
        sa.select(Meeting)
        .join(MeetingSeat, MeetingSeat.meeting_id == Meeting.id)
        .where(MeetingSeat.profile_id == profile.id, Meeting.published.is_(True))
        .order_by(Meeting.starts_at, Meeting.id)
        .options(*agenda_loads())
    )
    if not include_cancelled:
        query = query.where(Meeting.state != "cancelled")
    return list(db.session.scalars(query).unique())


def agenda_ics(profile: MatchProfile) -> bytes:
    """A person's feed: all their published meetings, cancelled ones as CANCELLED events."""
    from eventday.festivals.models import Festival

    locale = _locale_of(profile)
    festival = db.session.get(Festival, profile.festival_id)
    with force_locale(locale):
        name = _(
            "Matchmaking: %(festival)s", festival=_pick(festival.name_vi, festival.name_en, locale)
        )
    cal = _calendar("PUBLISH", name)
    for meeting in agenda_meetings(profile, include_cancelled=True):
        cal.add_component(event(meeting, profile, locale))
    return cal.to_ical()
