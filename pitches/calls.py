"""The call for pitches and the startups' applications.

Every write about calls, tracks and applications goes through here. Functions take objects
and plain data, flush, never commit, and raise ``PitchError`` (with a ``reason``, the form
``field`` it concerns, and a translated ``message()``) that views turn into text.

- Call times are entered and shown in Vietnam's time and stored in UTC.
- One application per organisation and festival, withdrawn ones aside: ``submit_application``
  locks the organisation's row (``SELECT … FOR UPDATE``) around the check and the insert, so
  two members of one startup sending at once queue up and the second is refused.
- ``change_state`` follows ``models.TRANSITIONS`` under a row lock on the application and
  mails the startup in the application's language; the judging, schedule and stage pages call
  it too.
- Decks are PDFs checked by content (``%PDF-`` at the start, a ``startxref``/``%%EOF``
  trailer at the end), at most ``PITCH_DECK_MAX_BYTES``; a replaced deck's file is removed
  only once the transaction commits, and a new file is removed again if it rolls back.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from eventday import uploads
from eventday.accounts.models import Organisation, OrganisationMember, User
from eventday.areas.models import Area
from eventday.db import utcnow
from eventday.extensions import db
from eventday.festivals.models import Festival, Stage
from eventday.i18n import LOCAL_TZ, fold, format_vnd
from pitches.models import (
    APPLICATION_STATES,
    STARTUP_STAGES,
    TRANSITIONS,
    PitchApplication,
    PitchCall,
    ProgrammeItem,
    Track,
)

DEFAULT_DECK_MAX_BYTES = 20 * 1024 * 1024
DECK_FOLDER = "decks"
MAX_FUNDING_VND = 10**15  # a typo guard far above any festival's prize fund
# States in which the startup may still edit (and only until the call closes).
EDITABLE_STATES = ("submitted", "in_review")
# Leaving "scheduled" for one of these takes the pitch off the programme ("pitched" keeps it).
LEAVES_SCHEDULE = frozenset(t for t in TRANSITIONS["scheduled"] if t != "pitched")

# (name_vi, name_en) of the tracks a new call starts with.
DEFAULT_TRACKS = (
    ("Nông nghiệp và dược liệu", "Agriculture and medicinal herbs"),
    ("Du lịch", "Tourism"),
    ("Thủ công mỹ nghệ và OCOP", "Handicrafts and OCOP"),
    ("Công nghệ", "Technology"),
    ("Học sinh, sinh viên", "Students and high-school students"),
)

STATE_LABELS = {
    "submitted": _l("Submitted"),
    "in_review": _l("In review"),
    "shortlisted": _l("Shortlisted"),
    "scheduled": _l("Scheduled"),
    "pitched": _l("Pitched"),
    "awarded": _l("Awarded"),
    "not_selected": _l("Not selected"),
    "withdrawn": _l("Withdrawn"),
}
STAGE_LABELS = {
    "idea": _l("Idea"),
    "prototype": _l("Prototype"),
    "first_revenue": _l("First revenue"),
    "growth": _l("Growth"),
}
assert set(STATE_LABELS) == set(APPLICATION_STATES)  # noqa: S101 - a definition-time check
assert set(STAGE_LABELS) == set(STARTUP_STAGES)  # noqa: S101

# --------------------------------------------------------------------------- errors


class PitchError(Exception):
    """Something about a call or an application that cannot be done.

    Reasons: no_call, not_open_yet, call_closed, bad_dates, bad_minutes, bad_judges,
    track_name, track_taken, track_in_use, bad_stage_ref, not_member, duplicate, not_allowed,
    not_editable, bad_track, bad_stage, bad_area, bad_funding, bad_video, consent_required,
    title_required, deck_required, not_pdf, too_large, bad_transition.
    """

    FIELDS = {
        "bad_dates": "closes_at",
        "bad_minutes": "pitch_minutes",
        "bad_judges": "min_judges",
        "track_name": "name_vi",
        "track_taken": "name_vi",
        "bad_stage_ref": "stage_id",
        "not_member": "organisation_id",
        "duplicate": "organisation_id",
        "bad_track": "track_id",
        "bad_stage": "stage",
        "bad_area": "home_area_id",
        "bad_funding": "funding",
        "bad_video": "video_url",
        "consent_required": "consent",
        "title_required": "title",
        "deck_required": "deck",
        "not_pdf": "deck",
        "too_large": "deck",
    }

    def __init__(self, reason: str, *, limit: int | None = None, when: dt.datetime | None = None):
        super().__init__(reason)
        self.reason = reason
        self.limit = limit
        self.when = when

    @property
    def field(self) -> str | None:
        return self.FIELDS.get(self.reason)

    def message(self) -> str:
        from eventday.i18n import format_datetime

        r = self.reason
        if r == "no_call":
            return _("This festival has no call for pitches.")
        if r == "not_open_yet":
            return _("The call for pitches opens at %(time)s.", time=format_datetime(self.when))
        if r == "call_closed":
            return _("The call for pitches closed at %(time)s.", time=format_datetime(self.when))
        if r == "bad_dates":
            return _("The call must close after it opens.")
        if r == "bad_minutes":
            return _("Pitch minutes must be at least 1; Q&A and buffer minutes 0 or more.")
        if r == "bad_judges":
            return _("Each application needs at least one judge.")
        if r == "track_name":
            return _("Give the track a Vietnamese name.")
        if r == "track_taken":
            return _("This festival already has a track with that name.")
        if r == "track_in_use":
            return _("Applications are in this track: move them to another track first.")
        if r == "bad_stage_ref":
            return _("Pick one of this festival's stages.")
        if r == "not_member":
            return _("Pick an organisation you are a member of.")
        if r == "duplicate":
            return _(
                "Your organisation has already applied to this festival. "
                "Edit that application instead."
            )
        if r == "not_allowed":
            return _("Only members of the startup's organisation can change its application.")
        if r == "not_editable":
            return _("This application can no longer be changed.")
        if r == "bad_track":
            return _("Pick one of the call's tracks.")
        if r == "bad_stage":
            return _("Pick the startup's stage.")
        if r == "bad_area":
            return _("Unknown area. Pick one from the list.")
        if r == "bad_funding":
            return _("Enter the amount in đồng, e.g. 50.000.000.")
        if r == "bad_video":
            return _("Enter a web address starting with http:// or https://.")
        if r == "consent_required":
            return _("Tick the consent box to send the application.")
        if r == "title_required":
            return _("Give the project a name.")
        if r == "deck_required":
            return _("Attach the pitch deck as a PDF file.")
        if r == "not_pdf":
            return _(
                "The pitch deck must be a PDF file. This file is not a PDF, whatever its name: "
                "export or save your slides as PDF and attach that."
            )
        if r == "too_large":
            return _(
                "The pitch deck is too large: at most %(limit)s. Compress the PDF "
                "(e.g. smaller pictures) and attach it again.",
                limit=format_size(self.limit or deck_max_bytes()),
            )
        if r == "bad_transition":
            return _("This application cannot move to that state from its current one.")
        return _("This cannot be done.")


# --------------------------------------------------------------------------- settings


def deck_max_bytes() -> int:
    return int(current_app.config.get("PITCH_DECK_MAX_BYTES", DEFAULT_DECK_MAX_BYTES))


def format_size(n: int) -> str:
    """20971520 -> '20 MB', 1536 -> '1.5 KB' (binary units, one decimal when needed)."""
    for unit, size in (("MB", 1024 * 1024), ("KB", 1024)):
        if n >= size:
            value = n / size
            text = f"{value:.1f}".rstrip("0").rstrip(".")
            return f"{text} {unit}"
    return f"{n} B"


def to_utc(local: dt.datetime) -> dt.datetime:
    """A wall-clock time in Vietnam (naive or aware) as an aware UTC datetime."""
    if local.tzinfo is None:
        local = local.replace(tzinfo=LOCAL_TZ)
    return local.astimezone(dt.UTC)


def get_call(festival: Festival) -> PitchCall | None:
    return db.session.scalar(sa.select(PitchCall).where(PitchCall.festival_id == festival.id))


def tracks_of(festival: Festival) -> list[Track]:
    return list(
        db.session.scalars(
            sa.select(Track)
            .where(Track.festival_id == festival.id)
            .order_by(Track.position, Track.id)
        )
    )


def call_status(call: PitchCall | None, now: dt.datetime | None = None) -> str:
    """'none', 'not_open_yet', 'open' or 'closed'."""
    now = now or utcnow()
    if call is None:
        return "none"
    if now < call.opens_at:
        return "not_open_yet"
    return "open" if call.is_open(now) else "closed"


# --------------------------------------------------------------------------- the call


@dataclass
class CallData:
    opens_at: dt.datetime  # Vietnam's time (naive means Vietnam)
    closes_at: dt.datetime
    description_vi: str = ""
    description_en: str = ""
    min_judges: int = 3
    pitch_minutes: int = 8
    qa_minutes: int = 10
    buffer_minutes: int = 2
    audience_vote_open: bool = False
    audience_vote_on_projector: bool = False


def save_call(festival: Festival, data: CallData) -> PitchCall:
    """Create the festival's call (with the default tracks if it has none) or update it."""
    opens_at, closes_at = to_utc(data.opens_at), to_utc(data.closes_at)
    if closes_at <= opens_at:
        raise PitchError("bad_dates")
    if data.pitch_minutes < 1 or data.qa_minutes < 0 or data.buffer_minutes < 0:
        raise PitchError("bad_minutes")
    if data.min_judges < 1:
        raise PitchError("bad_judges")
    call = db.session.scalar(
        sa.select(PitchCall).where(PitchCall.festival_id == festival.id).with_for_update()
    )
    created = call is None
    if call is None:
        call = PitchCall(festival_id=festival.id)
        db.session.add(call)
    call.opens_at, call.closes_at = opens_at, closes_at
    call.description_vi = data.description_vi.strip()
    call.description_en = data.description_en.strip()
    call.min_judges = data.min_judges
    call.pitch_minutes = data.pitch_minutes
    call.qa_minutes = data.qa_minutes
    call.buffer_minutes = data.buffer_minutes
    call.audience_vote_open = data.audience_vote_open
    call.audience_vote_on_projector = data.audience_vote_on_projector
    db.session.flush()
    if created and not tracks_of(festival):
        add_default_tracks(festival)
    return call


def add_default_tracks(festival: Festival) -> list[Track]:
    tracks = [
        Track(festival_id=festival.id, name_vi=vi, name_en=en, position=i)
        for i, (vi, en) in enumerate(DEFAULT_TRACKS)
    ]
    db.session.add_all(tracks)
    db.session.flush()
    return tracks


def save_track(
    festival: Festival,
    name_vi: str,
    name_en: str = "",
    stage_id: int | None = None,
    track: Track | None = None,
) -> Track:
    """Add a track (``track`` None) or rename it / change its preferred stage."""
    name_vi, name_en = " ".join(name_vi.split()), " ".join((name_en or "").split())
    if not name_vi:
        raise PitchError("track_name")
    if stage_id is not None:
        stage = db.session.get(Stage, stage_id)
        if stage is None or stage.festival_id != festival.id:
            raise PitchError("bad_stage_ref")
    clash = db.session.scalar(
        sa.select(Track.id).where(
            Track.festival_id == festival.id,
            sa.func.lower(Track.name_vi) == name_vi.lower(),
            Track.id != (track.id if track else -1),
        )
    )
    if clash:
        raise PitchError("track_taken")
    if track is None:
        last = db.session.scalar(
            sa.select(sa.func.max(Track.position)).where(Track.festival_id == festival.id)
        )
        track = Track(festival_id=festival.id, position=(last or 0) + 1)
        db.session.add(track)
    track.name_vi, track.name_en, track.stage_id = name_vi, name_en or None, stage_id
    db.session.flush()
    return track


def remove_track(track: Track) -> None:
    used = db.session.scalar(
        sa.select(PitchApplication.id).where(PitchApplication.track_id == track.id).limit(1)
    )
    if used:
        raise PitchError("track_in_use")
    db.session.delete(track)
    db.session.flush()


# --------------------------------------------------------------------------- decks


_TRAILER_RE = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
TRAILER_WINDOW = 1024


def read_deck(stream: IO[bytes], max_bytes: int | None = None) -> bytes:
    """The bytes of an uploaded deck if it is a PDF within the limit; PitchError otherwise.

    The size is taken from the (spooled) upload without reading it when the stream can seek;
    otherwise reading stops one byte past the limit. A PDF starts with ``%PDF-`` and ends
    (within the last KB) with ``startxref <offset> %%EOF``, the offset inside the file.
    """
    limit = max_bytes if max_bytes is not None else deck_max_bytes()
    try:
        stream.seek(0, 2)
        size = stream.tell()
        stream.seek(0)
    except (AttributeError, OSError, ValueError):
        size = None
    if size is not None and size > limit:
        raise PitchError("too_large", limit=limit)
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise PitchError("too_large", limit=limit)
    if not is_pdf(data):
        raise PitchError("not_pdf")
    return data


def is_pdf(data: bytes) -> bool:
    if not data.startswith(b"%PDF-"):
        return False
    match = _TRAILER_RE.search(data[-TRAILER_WINDOW:])
    return bool(match) and int(match.group(1)) < len(data)


@dataclass
class Deck:
    """An uploaded deck: its stream and the name it was sent with."""

    stream: IO[bytes]
    filename: str = ""


_ON_COMMIT = "pitches_remove_on_commit"
_ON_ROLLBACK = "pitches_remove_on_rollback"


def deck_path(name: str) -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / DECK_FOLDER / name


def _attach_deck(application: PitchApplication, deck: Deck) -> None:
    data = read_deck(deck.stream)
    old = application.deck_file
    name = uploads.store(data, DECK_FOLDER, ".pdf")
    info = db.session.info
    info.setdefault(_ON_ROLLBACK, []).append(str(deck_path(name)))
    if old:
        info.setdefault(_ON_COMMIT, []).append(str(deck_path(old)))
    application.deck_file = name
    application.deck_name = (Path(deck.filename or "deck.pdf").name or "deck.pdf")[:200]
    application.deck_bytes = len(data)


def _after_commit(session: Session) -> None:
    session.info.pop(_ON_ROLLBACK, None)
    for path in session.info.pop(_ON_COMMIT, []):
        Path(path).unlink(missing_ok=True)


def _after_transaction_end(session: Session, transaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended without a commit
        session.info.pop(_ON_COMMIT, None)
        for path in session.info.pop(_ON_ROLLBACK, []):
            Path(path).unlink(missing_ok=True)


if not sa.event.contains(Session, "after_commit", _after_commit):
    sa.event.listen(Session, "after_commit", _after_commit)
    sa.event.listen(Session, "after_transaction_end", _after_transaction_end)


# --------------------------------------------------------------------------- applications


@dataclass
class ApplicationData:
    title: str
    organisation_id: int | None = None  # only read when submitting
    team: str = ""
    home_area_id: int | None = None
    track_id: int | None = None
    stage: str = "idea"
    summary_vi: str = ""
    summary_en: str = ""
    problem: str = ""
    solution: str = ""
    market: str = ""
    funding_vnd: int = 0
    video_url: str = ""
    consent: bool = False
    locale: str = "vi"


def is_member(user: User | None, organisation_id: int) -> bool:
    if user is None or not getattr(user, "is_authenticated", True) or user.id is None:
        return False
    return bool(
        db.session.scalar(
            sa.select(OrganisationMember.id).where(
                OrganisationMember.organisation_id == organisation_id,
                OrganisationMember.user_id == user.id,
            )
        )
    )


def can_edit(user: User | None, application: PitchApplication) -> bool:
    """The applicant or a member of the application's organisation."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return application.applicant_id == user.id or is_member(user, application.organisation_id)


def _check_open(call: PitchCall | None, now: dt.datetime) -> PitchCall:
    if call is None:
        raise PitchError("no_call")
    if now < call.opens_at:
        raise PitchError("not_open_yet", when=call.opens_at)
    if not call.is_open(now):
        raise PitchError("call_closed", when=call.closes_at)
    return call


def parse_funding(raw: str | None) -> int:
    """'50.000.000', '50,000,000', '50 000 000 đ', '50000000' -> 50000000; '' -> 0."""
    text = (raw or "").strip().lower()
    for unit in ("vnđ", "vnd", "đồng", "đ", "₫"):
        text = text.replace(unit, "")
    text = text.strip()
    if not text:
        return 0
    compact = re.sub(r"\s+", " ", text)
    if re.fullmatch(r"\d+", compact) or re.fullmatch(r"\d{1,3}([., ])\d{3}(?:\1\d{3})*", compact):
        value = int(re.sub(r"\D", "", compact))
        if value <= MAX_FUNDING_VND:
            return value
    raise PitchError("bad_funding")


def _validate(festival: Festival, data: ApplicationData) -> None:
    if not data.title.strip():
        raise PitchError("title_required")
    if data.stage not in STARTUP_STAGES:
        raise PitchError("bad_stage")
    tracks = tracks_of(festival)
    if data.track_id is None:
        if tracks:
            raise PitchError("bad_track")
    elif data.track_id not in {t.id for t in tracks}:
        raise PitchError("bad_track")
    if data.home_area_id is not None and db.session.get(Area, data.home_area_id) is None:
        raise PitchError("bad_area")
    if not 0 <= data.funding_vnd <= MAX_FUNDING_VND:
        raise PitchError("bad_funding")
    video = data.video_url.strip()
    if video and not re.fullmatch(r"https?://[^\s/]+\.[^\s]+", video, re.I):
        raise PitchError("bad_video")


def _apply_fields(application: PitchApplication, data: ApplicationData) -> None:
    title = " ".join(data.title.split())[:200]
    application.title = title
    application.title_folded = fold(title)[:200]
    application.team = data.team.strip()
    application.home_area_id = data.home_area_id
    application.track_id = data.track_id
    application.stage = data.stage
    application.summary_vi = data.summary_vi.strip()
    application.summary_en = data.summary_en.strip()
    application.problem = data.problem.strip()
    application.solution = data.solution.strip()
    application.market = data.market.strip()
    application.funding_vnd = data.funding_vnd
    application.video_url = data.video_url.strip() or None
    application.locale = data.locale if data.locale in ("vi", "en") else "vi"


def submit_application(
    festival: Festival,
    user: User,
    data: ApplicationData,
    deck: Deck | None,
    *,
    now: dt.datetime | None = None,
) -> PitchApplication:
    """A new application from ``user`` for their organisation, while the call is open."""
    now = now or utcnow()
    _check_open(get_call(festival), now)
    if data.organisation_id is None or not is_member(user, data.organisation_id):
        raise PitchError("not_member")
    _validate(festival, data)
    if not data.consent:
        raise PitchError("consent_required")
    if deck is None:
        raise PitchError("deck_required")
    # One application per organisation and festival: check and insert under the
    # organisation's row lock (PostgreSQL; SQLite serialises writers anyway).
    lock_organisation(data.organisation_id)
    existing = db.session.scalar(
        sa.select(PitchApplication.id).where(
            PitchApplication.festival_id == festival.id,
            PitchApplication.organisation_id == data.organisation_id,
            PitchApplication.state != "withdrawn",
        )
    )
    if existing:
        raise PitchError("duplicate")
    application = PitchApplication(
        festival_id=festival.id,
        organisation_id=data.organisation_id,
        applicant_id=user.id,
        state="submitted",
        consent_at=now,
    )
    _apply_fields(application, data)
    _attach_deck(application, deck)
    # The partial unique index is the last line of defence behind the lock.
    try:
        with db.session.begin_nested():
            db.session.add(application)
            db.session.flush()
    except sa.exc.IntegrityError as exc:
        raise PitchError("duplicate") from exc
    return application


def lock_organisation(organisation_id: int) -> None:
    """Serialise the startup's applications: its organisation's row under a lock."""
    db.session.scalar(
        sa.select(Organisation.id).where(Organisation.id == organisation_id).with_for_update()
    )


def lock_application(application: PitchApplication) -> None:
    """Re-read the application under a row lock (PostgreSQL) before changing it."""
    if application.id is not None:
        db.session.refresh(application, with_for_update=True)


def check_editable(
    application: PitchApplication, user: User | None, now: dt.datetime | None = None
) -> None:
    now = now or utcnow()
    if not can_edit(user, application):
        raise PitchError("not_allowed")
    call = get_call(application.festival)
    if call is None:
        raise PitchError("no_call")
    if now >= call.closes_at:
        raise PitchError("call_closed", when=call.closes_at)
    if application.state not in EDITABLE_STATES:
        raise PitchError("not_editable")


def update_application(
    application: PitchApplication,
    user: User,
    data: ApplicationData,
    deck: Deck | None = None,
    *,
    now: dt.datetime | None = None,
) -> PitchApplication:
    """Change an application until the call closes; a new deck replaces the old file. The
    organisation does not change (that would step around the one-per-organisation rule)."""
    lock_application(application)
    check_editable(application, user, now)
    _validate(application.festival, data)
    _apply_fields(application, data)
    if deck is not None:
        _attach_deck(application, deck)
    db.session.flush()
    return application


def withdraw(application: PitchApplication, user: User) -> PitchApplication:
    """The startup withdraws (mailed like any state change)."""
    if not can_edit(user, application):
        raise PitchError("not_allowed")
    return change_state(application, "withdrawn", user)


def change_state(
    application: PitchApplication, new_state: str, user: User | None = None
) -> PitchApplication:
    """Move the application per ``TRANSITIONS`` (row-locked) and mail the startup.

    ``user`` is who decided (None for the system); permission checks are the caller's.
    An application leaving "scheduled" (withdrawn, or back to the shortlist) loses its pitch
    items, as ``schedule.delete_item`` does: the next publication cancels them.
    """
    leaving = new_state in LEAVES_SCHEDULE
    if leaving:
        from pitches import schedule  # late: schedule calls back into change_state

        # The schedule's lock order: festival, its items, then the application.
        schedule.lock_items(application.festival)
    lock_application(application)
    if new_state not in TRANSITIONS.get(application.state, ()):
        raise PitchError("bad_transition")
    old_state = application.state
    application.state = new_state
    if leaving and old_state == "scheduled":
        for item in db.session.scalars(
            sa.select(ProgrammeItem).where(
                ProgrammeItem.application_id == application.id, ProgrammeItem.kind == "pitch"
            )
        ):
            db.session.delete(item)
    db.session.flush()
    _mail_state(application, old_state)
    return application


# --------------------------------------------------------------------------- mail


def application_url(application: PitchApplication) -> str:
    from eventday.util import external_url

    return external_url(
        "pitches.edit_application",
        slug=application.festival.slug,
        application_id=application.id,
    )


def recipients(application: PitchApplication) -> list[str]:
    """The applicant; when there is none any more, the organisation's members."""
    if application.applicant is not None:
        return [application.applicant.email]
    return sorted(
        db.session.scalars(
            sa.select(User.email)
            .join(OrganisationMember, OrganisationMember.user_id == User.id)
            .where(OrganisationMember.organisation_id == application.organisation_id)
        )
    )


def _mail_state(application: PitchApplication, old_state: str) -> None:
    from eventday.mail import queue_mail

    locale = application.locale if application.locale in ("vi", "en") else "vi"
    for email in recipients(application):
        queue_mail(
            email,
            "pitches_state",
            locale,
            application=application,
            festival=application.festival,
            organisation=application.organisation,
            old_state=old_state,
            state=application.state,
            state_labels=STATE_LABELS,
            link=application_url(application),
            funding=format_vnd(application.funding_vnd, locale),
        )


# --------------------------------------------------------------------------- summaries


def counts_by_state(festival: Festival) -> dict[str, int]:
    return dict(
        db.session.execute(
            sa.select(PitchApplication.state, sa.func.count(PitchApplication.id))
            .where(PitchApplication.festival_id == festival.id)
            .group_by(PitchApplication.state)
        ).all()
    )
