"""Festival operations: create and edit, state changes, co-organizers, roles, cover image."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app

from eventday import uploads
from eventday.accounts.models import User
from eventday.accounts.util import TokenError, make_token, read_token
from eventday.areas.models import Area
from eventday.db import utcnow
from eventday.extensions import db
from eventday.festivals.models import (
    ROLES,
    TRANSITIONS,
    CoorganizerInvitation,
    Festival,
    FestivalDay,
    FestivalHost,
    FestivalRole,
    ParticipantGroup,
    Stage,
)
from eventday.festivals.util import GROUP_LABELS, slugify
from eventday.mail import queue_mail
from eventday.util import external_url

MAX_DAYS = 14
COVER_SIZE = (1600, 900)


class FestivalError(Exception):
    """Base of festival domain errors; views turn each into a translated message."""


class SlugTaken(FestivalError):
    pass


class UnknownArea(FestivalError):
    pass


class NoHost(FestivalError):
    pass


class InvalidDates(FestivalError):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # 'end_before_start', 'too_long', 'closes_before_opening'


class InvalidStages(FestivalError):
    def __init__(self, line: int):
        super().__init__(line)
        self.line = line


class InvalidTransition(FestivalError):
    pass


class InvitationInvalid(FestivalError):
    def __init__(self, expired: bool = False):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


class LastOrganizer(FestivalError):
    pass


class UnknownUser(FestivalError):
    pass


@dataclass
class FestivalData:
    name_vi: str
    host_area_ids: list[int]
    start_date: dt.date
    end_date: dt.date
    day_starts: dt.time
    day_ends: dt.time
    venue_name: str
    lead_area_id: int | None = None
    name_en: str | None = None
    slug: str | None = None
    venue_address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    description_vi: str = ""
    description_en: str = ""
    groups: list[str] = field(default_factory=list)
    custom_groups: list[str] = field(default_factory=list)
    stages: list[tuple[str, int | None]] = field(default_factory=list)


def parse_stage_lines(text: str | None) -> list[tuple[str, int | None]]:
    """'Sân khấu chính | 500' per line -> [('Sân khấu chính', 500)]; InvalidStages(line)."""
    stages = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        name, _, capacity = line.partition("|")
        name = " ".join(name.split())
        capacity = capacity.strip()
        if not name or len(name) > 120:
            raise InvalidStages(number)
        if capacity:
            if not capacity.isdigit() or int(capacity) > 1_000_000:
                raise InvalidStages(number)
            stages.append((name, int(capacity)))
        else:
            stages.append((name, None))
    return stages


def _resolve_hosts(data: FestivalData) -> tuple[list[Area], Area]:
    ids = list(dict.fromkeys(data.host_area_ids))
    if not ids:
        raise NoHost()
    areas = {a.id: a for a in db.session.scalars(sa.select(Area).where(Area.id.in_(ids)))}
    if len(areas) != len(ids):
        raise UnknownArea()
    lead_id = data.lead_area_id if data.lead_area_id in areas else ids[0]
    if data.lead_area_id is not None and data.lead_area_id not in areas:
        raise UnknownArea()
    return [areas[i] for i in ids], areas[lead_id]


def _check_dates(data: FestivalData) -> None:
    if data.end_date < data.start_date:
        raise InvalidDates("end_before_start")
    if (data.end_date - data.start_date).days + 1 > MAX_DAYS:
        raise InvalidDates("too_long")
    if data.day_ends <= data.day_starts:
        raise InvalidDates("closes_before_opening")


def _slug_free(slug: str, festival: Festival | None) -> bool:
    stmt = sa.select(Festival.id).where(Festival.slug == slug)
    if festival is not None and festival.id is not None:
        stmt = stmt.where(Festival.id != festival.id)
    return db.session.scalar(stmt) is None


def _apply(festival: Festival, data: FestivalData) -> None:
    hosts, lead = _resolve_hosts(data)
    _check_dates(data)
    slug = data.slug or festival.slug or slugify(data.name_vi)
    if not slug or len(slug) < 3:
        slug = (slug + "-ngay-hoi").strip("-")
    if not _slug_free(slug, festival):
        raise SlugTaken(slug)

    festival.slug = slug
    festival.name_vi = " ".join(data.name_vi.split())
    festival.name_en = " ".join((data.name_en or "").split()) or None
    festival.venue_name = data.venue_name.strip()
    festival.venue_address = (data.venue_address or "").strip()
    festival.latitude = data.latitude
    festival.longitude = data.longitude
    festival.description_vi = data.description_vi or ""
    festival.description_en = data.description_en or ""

    # Hosts: keep existing rows (and their historical labels), add new, drop removed.
    existing = {h.area_id: h for h in festival.hosts}
    if festival.id is not None:
        for host in festival.hosts:
            host.is_lead = False
        db.session.flush()  # the one-lead index must never see two leads mid-update
    ordered = []
    for position, area in enumerate(hosts):
        host = existing.get(area.id) or FestivalHost(area=area, area_label=area.path_name)
        host.position = position
        host.is_lead = area.id == lead.id
        ordered.append(host)
    festival.hosts = ordered

    wanted_days = {
        data.start_date + dt.timedelta(days=i)
        for i in range((data.end_date - data.start_date).days + 1)
    }
    kept = []
    for day in festival.days:
        if day.day in wanted_days:
            day.starts_at, day.ends_at = data.day_starts, data.day_ends
            kept.append(day)
    have = {d.day for d in kept}
    for day in sorted(wanted_days - have):
        kept.append(FestivalDay(day=day, starts_at=data.day_starts, ends_at=data.day_ends))
    festival.days = sorted(kept, key=lambda d: d.day)

    groups = []
    by_name = {g.name_vi: g for g in festival.groups}
    for kind in data.groups:
        label = GROUP_LABELS.get(kind)
        if label is None:
            continue
        name_vi, name_en = label[1], label[2]
        groups.append(
            by_name.get(name_vi) or ParticipantGroup(kind=kind, name_vi=name_vi, name_en=name_en)
        )
    for name in data.custom_groups:
        name = " ".join(name.split())[:120]
        if name and name not in {g.name_vi for g in groups}:
            groups.append(by_name.get(name) or ParticipantGroup(kind="custom", name_vi=name))
    for position, group in enumerate(groups):
        group.position = position
    festival.groups = groups

    stages = []
    stage_by_name = {s.name_vi: s for s in festival.stages}
    for position, (name, capacity) in enumerate(dict(data.stages).items()):
        stage = stage_by_name.get(name) or Stage(name_vi=name)
        stage.capacity = capacity
        stage.position = position
        stages.append(stage)
    festival.stages = stages


def _flush_checking_slug(slug: str) -> None:
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError as exc:
        # Two organizers took the same slug at the same moment: the unique index decides.
        raise SlugTaken(slug) from exc


def create_festival(creator: User, data: FestivalData) -> Festival:
    festival = Festival(created_by_id=creator.id, state="draft")
    _apply(festival, data)
    db.session.add(festival)
    _flush_checking_slug(festival.slug)
    lead = festival.lead_host
    db.session.add(
        FestivalRole(festival=festival, user_id=creator.id, role="organizer", area_id=lead.area_id)
    )
    db.session.flush()
    return festival


def update_festival(festival: Festival, data: FestivalData) -> Festival:
    _apply(festival, data)
    _flush_checking_slug(festival.slug)
    return festival


def set_cover(festival: Festival, raw: bytes) -> None:
    """Check the upload by content, resize it and replace the cover. Raises ImageError."""
    data = uploads.process_image(
        raw, max_bytes=current_app.config["COVER_MAX_BYTES"], max_size=COVER_SIZE
    )
    old = festival.cover_image
    festival.cover_image = uploads.store(data, "covers")
    db.session.flush()
    uploads.remove("covers", old)


def change_state(festival: Festival, new_state: str) -> None:
    if new_state not in TRANSITIONS.get(festival.state, ()):
        raise InvalidTransition(f"{festival.state} -> {new_state}")
    if new_state == "published" and not festival.days:
        raise InvalidTransition("no days")
    festival.state = new_state
    if new_state == "published" and festival.published_at is None:
        festival.published_at = utcnow()
    db.session.flush()


def _lock_festival(festival: Festival) -> None:
    """Serialise role changes of one festival (PostgreSQL row lock; no-op on SQLite)."""
    db.session.execute(sa.select(Festival.id).where(Festival.id == festival.id).with_for_update())


def grant_role(festival: Festival, user: User, role: str, area: Area | None = None) -> FestivalRole:
    if role not in ROLES:
        raise ValueError(role)
    existing = db.session.scalar(
        sa.select(FestivalRole).where(
            FestivalRole.festival_id == festival.id,
            FestivalRole.user_id == user.id,
            FestivalRole.role == role,
        )
    )
    if existing is not None:
        if area is not None and existing.area_id is None:
            existing.area_id = area.id
        return existing
    grant = FestivalRole(
        festival=festival, user_id=user.id, role=role, area_id=area.id if area else None
    )
    db.session.add(grant)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError:
        # Granted concurrently by someone else: the result is the same.
        return db.session.scalar(
            sa.select(FestivalRole).where(
                FestivalRole.festival_id == festival.id,
                FestivalRole.user_id == user.id,
                FestivalRole.role == role,
            )
        )
    return grant


def grant_role_by_email(festival: Festival, email: str, role: str) -> FestivalRole:
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise UnknownUser(email)
    return grant_role(festival, user, role)


def revoke_role(festival: Festival, grant: FestivalRole) -> None:
    if grant.festival_id != festival.id:
        raise ValueError("grant of another festival")
    if grant.role == "organizer":
        _lock_festival(festival)
        organizers = db.session.scalar(
            sa.select(sa.func.count()).where(
                FestivalRole.festival_id == festival.id, FestivalRole.role == "organizer"
            )
        )
        if organizers <= 1:
            raise LastOrganizer()
    db.session.delete(grant)
    db.session.flush()


def invite_coorganizer(
    festival: Festival, inviter: User, email: str, area: Area
) -> CoorganizerInvitation:
    if area.id not in {h.area_id for h in festival.hosts}:
        raise UnknownArea()
    invitation = CoorganizerInvitation(
        festival=festival, email=email.strip().lower(), area=area, invited_by_id=inviter.id
    )
    db.session.add(invitation)
    db.session.flush()
    token = make_token("invite", {"id": invitation.id, "email": invitation.email})
    recipient = db.session.scalar(sa.select(User).where(User.email == invitation.email))
    queue_mail(
        invitation.email,
        "festivals/invite",
        recipient.locale if recipient else "vi",
        festival=festival,
        invitation=invitation,
        inviter=inviter,
        link=external_url("festivals.accept_invitation", token=token),
    )
    return invitation


def invitation_from_token(token: str) -> CoorganizerInvitation:
    try:
        data = read_token("invite", token, current_app.config["INVITE_TOKEN_MAX_AGE"])
    except TokenError as exc:
        raise InvitationInvalid(expired=exc.expired) from exc
    invitation = db.session.get(CoorganizerInvitation, data.get("id"))
    if invitation is None or invitation.email != data.get("email") or not invitation.is_open:
        raise InvitationInvalid()
    return invitation


def accept_invitation(token: str, user: User) -> CoorganizerInvitation:
    """Any logged-in account may accept (people often register with another address than
    the one invited); the link is single-use and expires."""
    invitation = invitation_from_token(token)
    # Lock the invitation row so two tabs cannot both accept it.
    db.session.execute(
        sa.select(CoorganizerInvitation.id)
        .where(CoorganizerInvitation.id == invitation.id)
        .with_for_update()
    )
    db.session.refresh(invitation)
    if not invitation.is_open:
        raise InvitationInvalid()
    invitation.accepted_at = utcnow()
    invitation.accepted_by_id = user.id
    grant_role(invitation.festival, user, "organizer", invitation.area)
    db.session.flush()
    return invitation


def revoke_invitation(invitation: CoorganizerInvitation) -> None:
    if invitation.is_open:
        invitation.revoked_at = utcnow()
        db.session.flush()
