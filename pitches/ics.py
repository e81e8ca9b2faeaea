"""ICS (iCalendar) files of the programme: one event per item, with the item's stable UID and
its SEQUENCE, so calendar apps update an event they hold rather than add a second one.

``event`` and ``calendar`` take programme items or ``PublishedItem``s (an item as a published
version's snapshot holds it): the public files and the mails show what was published.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event
from werkzeug.routing import BuildError

from eventday.util import external_url

CANCELLED = "cancelled"


@dataclass
class PublishedItem:
    """A programme item as a published version holds it (``status`` "cancelled" once removed)."""

    uid: str
    sequence: int
    kind: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    title_vi: str
    title_en: str | None
    stage_id: int | None
    stage_name_vi: str
    stage_name_en: str | None
    description: str
    speakers: str
    status: str
    application_id: int | None
    judge_ids: list[int]

    @classmethod
    def from_snapshot(cls, uid: str, entry: dict) -> PublishedItem:
        return cls(
            uid=uid,
            sequence=int(entry.get("sequence", 0)),
            kind=entry.get("kind", "other"),
            starts_at=dt.datetime.fromisoformat(entry["starts_at"]),
            ends_at=dt.datetime.fromisoformat(entry["ends_at"]),
            title_vi=entry.get("title", ""),
            title_en=entry.get("title_en"),
            stage_id=entry.get("stage_id"),
            stage_name_vi=entry.get("stage", ""),
            stage_name_en=entry.get("stage_en"),
            description=entry.get("description", ""),
            speakers=entry.get("speakers", ""),
            status=entry.get("status", "planned"),
            application_id=entry.get("application_id"),
            judge_ids=list(entry.get("judge_ids", [])),
        )

    @property
    def cancelled(self) -> bool:
        return self.status == CANCELLED


def programme_url(festival) -> str:
    """The public programme (P4's page), or the festival page while it does not exist."""
    try:
        return external_url("pitches.programme", slug=festival.slug)
    except BuildError:
        return external_url("festivals.show", slug=festival.slug)


def _pick(vi: str | None, en: str | None, locale: str) -> str:
    return (en if locale == "en" and en else vi) or ""


def _stage_names(item) -> tuple[str, str | None]:
    if hasattr(item, "stage_name_vi"):
        return item.stage_name_vi, item.stage_name_en
    stage = getattr(item, "stage", None)
    return (stage.name_vi, stage.name_en) if stage is not None else ("", None)


def _utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def event(item, festival, locale: str = "vi") -> Event:
    """One VEVENT: UID = item.uid, SEQUENCE = item.sequence, times in UTC."""
    locale = locale if locale in ("vi", "en") else "vi"
    stage_vi, stage_en = _stage_names(item)
    festival_name = _pick(festival.name_vi, festival.name_en, locale)
    ev = Event()
    ev.add("uid", item.uid)
    ev.add("sequence", int(item.sequence or 0))
    ev.add("dtstamp", dt.datetime.now(dt.UTC))
    ev.add("dtstart", _utc(item.starts_at))
    ev.add("dtend", _utc(item.ends_at))
    ev.add("summary", _pick(item.title_vi, item.title_en, locale))
    place = [festival.venue_name, _pick(stage_vi, stage_en, locale)]
    ev.add("location", ", ".join(p for p in place if p))
    with force_locale(locale):
        lines = [festival_name]
        if item.description:
            lines += ["", item.description]
        speakers = [s for s in (item.speakers or "").splitlines() if s.strip()]
        if speakers:
            lines += ["", _("Speakers:")] + [f"- {s}" for s in speakers]
    ev.add("description", "\n".join(lines))
    ev.add("url", programme_url(festival))
    cancelled = getattr(item, "status", None) == CANCELLED
    ev.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return ev


def calendar(items: Iterable, festival, locale: str = "vi") -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//EventDay//programme//VI")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", _pick(festival.name_vi, festival.name_en, locale))
    cal.add("x-wr-timezone", "Asia/Ho_Chi_Minh")
    for item in items:
        cal.add_component(event(item, festival, locale))
    return cal


def ics_bytes(items: Iterable, festival, locale: str = "vi") -> bytes:
    return calendar(items, festival, locale).to_ical()
