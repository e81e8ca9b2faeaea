"""Matchmaking settings and participants' profiles: read, validate and save them, parse amounts
in đồng as people type them, and prefill a startup's or exhibitor's profile from what its
organisation already told the festival (its exhibitor profile, its pitch application)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from booths.models import ExhibitorProfile, Product
from eventday.accounts.models import Organisation, OrganisationMember
from eventday.areas.models import OFFICIAL_KIND_NAMES, Area
from eventday.extensions import db
from eventday.festivals.models import Festival
from eventday.i18n import fold
from matchmaking import taxonomy
from matchmaking.models import (
    LIVE_REQUEST_STATES,
    PROFILE_KINDS,
    MatchProfile,
    MatchSettings,
    Meeting,
    MeetingRequest,
    MeetingSeat,
)
from matchmaking.recommend import AreaTree
from pitches.models import PitchApplication

MAX_TICKET_VND = 10**15  # a million billion đồng: anything above is a typo
MAX_AREAS = 20
# Field lengths of MatchProfile.
LIMITS = {
    "display_name": 255,
    "title": 200,
    "headline_vi": 300,
    "headline_en": 300,
    "description": 5000,
}


class ProfileError(Exception):
    """A profile that cannot be saved; ``field`` names the form field to mark (or None)."""

    def __init__(self, reason: str, field: str | None = None, **values):
        super().__init__(reason)
        self.reason = reason
        self.field = field
        self.values = values

    def message(self) -> str:
        messages = {
            "closed": _("Matchmaking is not open for this festival."),
            "bad_kind": _("Choose what kind of participant you are."),
            "name_required": _("Give the name people will see."),
            "too_long": _("This text is too long (at most %(max)s characters)."),
            "bad_choice": _("Choose from the list."),
            "bad_organisation": _("Choose one of your organisations."),
            "bad_area": _("Unknown area. Pick areas from the list."),
            "too_many_areas": _("Choose at most %(max)s areas."),
            "bad_range": _("The maximum must not be below the minimum."),
            "bad_cap": _("Choose between 1 and %(max)s meetings."),
            "exists": _("You already have a matchmaking profile for this festival."),
        }
        return messages[self.reason] % self.values if self.values else messages[self.reason]


# --------------------------------------------------------------------------- amounts


_UNITS = {
    # folded unit -> multiplier
    "ty": 10**9,
    "ti": 10**9,
    "billion": 10**9,
    "bn": 10**9,
    "trieu": 10**6,
    "tr": 10**6,
    "million": 10**6,
    "m": 10**6,
    "nghin": 10**3,
    "ngan": 10**3,
    "k": 10**3,
}
_CURRENCY = ("vnd", "dong", "d", "₫")
_GROUPED = re.compile(r"\d{1,3}([., ])\d{3}(?:\1\d{3})*")
_WITH_UNIT = re.compile(r"(\d+(?:[.,]\d+)*)\s*([a-z]+)")


def parse_vnd(raw: str | None) -> int | None:
    """An amount in đồng as typed: '50.000.000', '50 000 000 đ', '50000000', '50 triệu',
    '1,5 tỷ', '2 tỷ đồng', '500tr', '1.5 billion'. None for an empty value; ValueError with a
    translated message when unreadable."""
    text = fold(raw or "")
    for unit in _CURRENCY:
        if text.endswith(unit):
            text = text[: -len(unit)].strip()
            break
    if not text:
        return None
    value = None
    if re.fullmatch(r"\d+", text) or _GROUPED.fullmatch(text):
        value = int(re.sub(r"\D", "", text))
    elif match := _WITH_UNIT.fullmatch(text):
        number, unit = match.groups()
        if unit in _UNITS:
            scale = _UNITS[unit]
            if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", number):  # "1.500 tỷ": grouped
                value = int(re.sub(r"\D", "", number)) * scale
            else:  # "1,5 tỷ", "1.5 billion": a decimal
                whole, _sep, frac = number.replace(",", ".").partition(".")
                value = int(whole) * scale + (int(frac) * scale // 10 ** len(frac) if frac else 0)
    if value is None or value > MAX_TICKET_VND:
        raise ValueError(_("Write the amount in đồng, e.g. 50.000.000 or 50 triệu or 1,5 tỷ."))
    return value


# --------------------------------------------------------------------------- reading


def get_settings(festival: Festival) -> MatchSettings:
    """The festival's matchmaking settings; a default row (closed) is added if missing, not
    committed."""
    settings = db.session.scalar(
        sa.select(MatchSettings).where(MatchSettings.festival_id == festival.id)
    )
    if settings is None:
        settings = MatchSettings(festival_id=festival.id, is_open=False)
        db.session.add(settings)
        db.session.flush()
    return settings


def find_settings(festival: Festival) -> MatchSettings | None:
    """The settings row if there is one (read-only pages do not create it)."""
    return db.session.scalar(
        sa.select(MatchSettings).where(MatchSettings.festival_id == festival.id)
    )


def accepting_profiles(festival: Festival, settings: MatchSettings | None) -> bool:
    """Profiles may be created and changed: matchmaking open, festival published."""
    return bool(settings and settings.is_open and festival.state == "published")


def profile_for(user, festival: Festival, *, lock: bool = False) -> MatchProfile | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    query = sa.select(MatchProfile).where(
        MatchProfile.festival_id == festival.id, MatchProfile.user_id == user.id
    )
    if lock:
        query = query.with_for_update()
    return db.session.scalar(query)


def user_organisations(user) -> list[Organisation]:
    return list(
        db.session.scalars(
            sa.select(Organisation)
            .join(OrganisationMember, OrganisationMember.organisation_id == Organisation.id)
            .where(OrganisationMember.user_id == user.id)
            .order_by(Organisation.name, Organisation.id)
        )
    )


# --------------------------------------------------------------------------- writing


@dataclass
class ProfileData:
    kind: str
    display_name: str
    title: str = ""
    organisation_id: int | None = None
    headline_vi: str = ""
    headline_en: str = ""
    description: str = ""
    sectors: list[str] = field(default_factory=list)
    stages: list[str] = field(default_factory=list)
    offers: list[str] = field(default_factory=list)
    seeks: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    area_ids: list[int] = field(default_factory=list)
    ticket_min_vnd: int | None = None
    ticket_max_vnd: int | None = None
    visible: bool = True
    max_meetings: int | None = None


def _codes(values, allowed: dict, name: str) -> list[str]:
    values = list(dict.fromkeys(values or ()))
    if any(v not in allowed for v in values):
        raise ProfileError("bad_choice", name)
    return [code for code in allowed if code in values]  # the taxonomy's order


def validate(user, festival: Festival, settings: MatchSettings, data: ProfileData) -> ProfileData:
    """Normalised data, or ProfileError naming the field."""
    if data.kind not in PROFILE_KINDS:
        raise ProfileError("bad_kind", "kind")
    clean = ProfileData(kind=data.kind, display_name=" ".join((data.display_name or "").split()))
    if not clean.display_name:
        raise ProfileError("name_required", "display_name")
    for name, limit in LIMITS.items():
        value = getattr(data, name) if name != "display_name" else clean.display_name
        value = (value or "").strip()
        if len(value) > limit:
            raise ProfileError("too_long", name, max=limit)
        setattr(clean, name, value)
    if data.organisation_id is not None:
        member = db.session.scalar(
            sa.select(OrganisationMember.id).where(
                OrganisationMember.organisation_id == data.organisation_id,
                OrganisationMember.user_id == user.id,
            )
        )
        if member is None:
            raise ProfileError("bad_organisation", "organisation_id")
        clean.organisation_id = data.organisation_id
    clean.sectors = _codes(data.sectors, taxonomy.SECTORS, "sectors")
    clean.stages = _codes(data.stages, taxonomy.STAGES, "stages")
    clean.offers = _codes(data.offers, taxonomy.OFFERS, "offers")
    clean.seeks = _codes(data.seeks, taxonomy.SEEKS, "seeks")
    clean.languages = _codes(data.languages, taxonomy.LANGUAGES, "languages")
    area_ids = list(dict.fromkeys(int(a) for a in data.area_ids or ()))
    if len(area_ids) > MAX_AREAS:
        raise ProfileError("too_many_areas", "area_ids", max=MAX_AREAS)
    if area_ids:
        known = set(db.session.scalars(sa.select(Area.id).where(Area.id.in_(area_ids))))
        if known != set(area_ids):
            raise ProfileError("bad_area", "area_ids")
    clean.area_ids = area_ids
    low, high = data.ticket_min_vnd, data.ticket_max_vnd
    for value, name in ((low, "ticket_min"), (high, "ticket_max")):
        if value is not None and not 0 <= value <= MAX_TICKET_VND:
            raise ProfileError("bad_choice", name)
    if low is not None and high is not None and high < low:
        raise ProfileError("bad_range", "ticket_max")
    clean.ticket_min_vnd, clean.ticket_max_vnd = low, high
    clean.visible = bool(data.visible)
    if data.max_meetings is not None and not 1 <= data.max_meetings <= settings.max_meetings:
        raise ProfileError("bad_cap", "max_meetings", max=settings.max_meetings)
    clean.max_meetings = data.max_meetings
    return clean


def search_text(profile: MatchProfile, organisation_name: str = "") -> str:
    return fold(
        " ".join(
            [
                profile.display_name or "",
                profile.title or "",
                organisation_name,
                profile.headline_vi or "",
                profile.headline_en or "",
                profile.description or "",
            ]
        )
    )


def save_profile(
    profile: MatchProfile | None, user, festival: Festival, data: ProfileData
) -> MatchProfile:
    """Create or update ``user``'s profile for ``festival`` (flushes, never commits). The
    caller holds the profile's row lock when updating (``profile_for(..., lock=True)``)."""
    settings = get_settings(festival)
    if not accepting_profiles(festival, settings):
        raise ProfileError("closed")
    if profile is not None and (profile.user_id != user.id or profile.festival_id != festival.id):
        raise ProfileError("bad_choice")
    clean = validate(user, festival, settings, data)
    if profile is None:
        if profile_for(user, festival) is not None:
            raise ProfileError("exists")
        profile = MatchProfile(
            festival_id=festival.id,
            user_id=user.id,
            feed_token=secrets.token_urlsafe(32),
            kind=clean.kind,
            display_name=clean.display_name,
            name_folded="",
        )
        db.session.add(profile)
    for name in (
        "kind",
        "display_name",
        "title",
        "organisation_id",
        "headline_vi",
        "headline_en",
        "description",
        "sectors",
        "stages",
        "offers",
        "seeks",
        "languages",
        "area_ids",
        "ticket_min_vnd",
        "ticket_max_vnd",
        "visible",
        "max_meetings",
    ):
        setattr(profile, name, getattr(clean, name))
    organisation_name = ""
    if clean.organisation_id is not None:
        organisation_name = db.session.get(Organisation, clean.organisation_id).name
    profile.name_folded = fold(clean.display_name)[:255]
    profile.search_folded = search_text(profile, organisation_name)
    db.session.flush()
    return profile


# --------------------------------------------------------------------------- prefill


def prefill(user, festival: Festival, organisation_id: int | None = None) -> dict:
    """Values for a new startup's or exhibitor's profile from an organisation of ``user``:
    its pitch application to this festival (stage, funding sought, summary, home area) and
    its exhibitor profile (name, description, home area, OCOP groups of its products).
    Picks the organisation given, else the first one with an application or exhibitor
    profile. Empty dict when there is nothing to take."""
    organisations = user_organisations(user)
    if organisation_id is not None:
        organisations = [o for o in organisations if o.id == organisation_id]
    if not organisations:
        return {}
    ids = [o.id for o in organisations]
    applications = {
        a.organisation_id: a
        for a in db.session.scalars(
            sa.select(PitchApplication)
            .where(
                PitchApplication.festival_id == festival.id,
                PitchApplication.organisation_id.in_(ids),
                PitchApplication.state != "withdrawn",
            )
            .order_by(PitchApplication.created_at)
        )
    }
    exhibitors = {
        e.organisation_id: e
        for e in db.session.scalars(
            sa.select(ExhibitorProfile).where(ExhibitorProfile.organisation_id.in_(ids))
        )
    }
    chosen = next(
        (o for o in organisations if o.id in applications or o.id in exhibitors),
        organisations[0] if organisation_id is not None else None,
    )
    if chosen is None:
        return {}
    application, exhibitor = applications.get(chosen.id), exhibitors.get(chosen.id)
    values: dict = {
        "organisation_id": chosen.id,
        "kind": "startup" if application or not exhibitor else "exhibitor",
        "display_name": (exhibitor.display_name if exhibitor else "") or chosen.name,
    }
    areas = []
    if application is not None:
        values["headline_vi"] = (application.summary_vi or "")[:300]
        values["headline_en"] = (application.summary_en or "")[:300]
        values["description"] = "\n\n".join(
            part for part in (application.problem, application.solution) if part
        )[:5000]
        values["stages"] = [application.stage]
        if application.funding_vnd:
            values["ticket_min_vnd"] = values["ticket_max_vnd"] = application.funding_vnd
            values["seeks"] = ["funding"]
        if application.home_area_id:
            areas.append(application.home_area_id)
    if exhibitor is not None:
        if not values.get("description"):
            values["description"] = (exhibitor.description_vi or "")[:5000]
        if exhibitor.home_area_id:
            areas.append(exhibitor.home_area_id)
        groups = db.session.scalars(
            sa.select(Product.ocop_group).where(
                Product.exhibitor_id == exhibitor.id, Product.ocop_group.is_not(None)
            )
        )
        sectors = {taxonomy.sector_for_ocop_group(g) for g in groups} - {None}
        if sectors:
            values["sectors"] = [c for c in taxonomy.SECTORS if c in sectors]
    if not areas and chosen.area_id:
        areas.append(chosen.area_id)
    if areas:
        values["area_ids"] = list(dict.fromkeys(areas))
    return values


# --------------------------------------------------------------------------- loading for pages


def festival_profiles(festival: Festival) -> list[MatchProfile]:
    """Every profile of the festival with its organisation, in one query and one more for the
    organisations (the pages filter and score them in Python)."""
    return list(
        db.session.scalars(
            sa.select(MatchProfile)
            .where(MatchProfile.festival_id == festival.id)
            .options(selectinload(MatchProfile.organisation))
            .order_by(MatchProfile.name_folded, MatchProfile.id)
        )
    )


def area_tree(area_ids) -> AreaTree:
    """The areas and all their ancestors: one query per level of the hierarchy (at most three),
    however many profiles mention them."""
    parents: dict[int, int | None] = {}
    names: dict[int, str] = {}
    todo = {int(a) for a in area_ids or () if a is not None}
    while todo:
        rows = db.session.execute(
            sa.select(Area.id, Area.parent_id, Area.kind, Area.name).where(Area.id.in_(todo))
        ).all()
        for row in rows:
            parents[row.id] = row.parent_id
            names[row.id] = f"{OFFICIAL_KIND_NAMES[row.kind]} {row.name}"
        todo = {r.parent_id for r in rows if r.parent_id is not None and r.parent_id not in parents}
    return AreaTree(parents=parents, names=names)


def live_requests(profile: MatchProfile | None) -> dict[int, MeetingRequest]:
    """The other party's profile id -> the live (pending or accepted) request between them."""
    if profile is None:
        return {}
    rows = db.session.scalars(
        sa.select(MeetingRequest).where(
            sa.or_(
                MeetingRequest.sender_id == profile.id, MeetingRequest.recipient_id == profile.id
            ),
            MeetingRequest.state.in_(LIVE_REQUEST_STATES),
        )
    )
    return {(r.recipient_id if r.sender_id == profile.id else r.sender_id): r for r in rows}


@dataclass(frozen=True)
class Counts:
    incoming: int = 0  # pending requests to answer
    outgoing: int = 0  # pending requests sent
    accepted: int = 0  # accepted requests (scheduled or waiting for a slot)
    meetings: int = 0  # published live meetings


def counts(profile: MatchProfile) -> Counts:
    """The numbers on the participant's home page (two queries)."""

    def n(cond):
        return sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0)

    mine = sa.or_(MeetingRequest.sender_id == profile.id, MeetingRequest.recipient_id == profile.id)
    row = db.session.execute(
        sa.select(
            n(
                sa.and_(
                    MeetingRequest.recipient_id == profile.id, MeetingRequest.state == "pending"
                )
            ),
            n(sa.and_(MeetingRequest.sender_id == profile.id, MeetingRequest.state == "pending")),
            n(MeetingRequest.state == "accepted"),
        ).where(mine)
    ).one()
    meetings = db.session.scalar(
        sa.select(sa.func.count(MeetingSeat.id))
        .join(Meeting, Meeting.id == MeetingSeat.meeting_id)
        .where(
            MeetingSeat.profile_id == profile.id,
            MeetingSeat.active.is_(True),
            Meeting.state != "cancelled",
            Meeting.published.is_(True),
        )
    )
    return Counts(int(row[0]), int(row[1]), int(row[2]), int(meetings or 0))
