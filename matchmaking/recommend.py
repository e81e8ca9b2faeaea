"""Explainable recommendations, filters and search over matchmaking profiles — pure functions.

The caller loads the festival's profiles (one query) and the areas they mention (an
``AreaTree``); everything here works on plain attributes, so it is tested without a database.

The score is a sum of points, each with a reason the person reads:

=========  ======  ============================================================================
reason     points  when
=========  ======  ============================================================================
sectors    3 each  a sector both name (at most 3 counted)
stage      2       the investor's stages contain the startup's stage
ticket     3       the investor's ticket range overlaps the funding the startup seeks
area       2       an investor's area of interest is a startup's area, or its parent or child
offers     2 each  the other offers what you look for (at most 3 counted)
seeks      2 each  the other looks for what you offer (at most 3 counted)
language   1       a language both speak
=========  ======  ============================================================================

Investors and experts are matched with startups and exhibitors, never with their own side.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from babel.numbers import format_decimal
from flask_babel import gettext as _

from eventday.i18n import current_lang, fold, format_vnd
from matchmaking import taxonomy
from matchmaking.models import INVESTOR_KINDS, PROFILE_KINDS

POINTS = {
    "sectors": 3,
    "stage": 2,
    "ticket": 3,
    "area": 2,
    "offers": 2,
    "seeks": 2,
    "language": 1,
}
MAX_COUNTED = 3  # items of one list that earn points
LIMIT = 50  # suggestions shown


# --------------------------------------------------------------------------- areas


@dataclass(frozen=True)
class AreaTree:
    """The areas the profiles mention with their ancestors: id -> parent id, id -> name."""

    parents: Mapping[int, int | None] = field(default_factory=dict)
    names: Mapping[int, str] = field(default_factory=dict)

    def ancestors(self, area_id: int) -> list[int]:
        chain, seen = [], {area_id}
        node = self.parents.get(area_id)
        while node is not None and node not in seen:
            chain.append(node)
            seen.add(node)
            node = self.parents.get(node)
        return chain

    def related(self, a: int, b: int) -> bool:
        """Same area, or one contains the other (a commune and its province)."""
        return a == b or a in self.ancestors(b) or b in self.ancestors(a)

    def name(self, area_id: int) -> str:
        return self.names.get(area_id, "")


# --------------------------------------------------------------------------- money


def _number(value: Decimal) -> str:
    return format_decimal(
        value, format="#,##0.##", locale="vi_VN" if current_lang() == "vi" else "en_US"
    )


def short_vnd(amount: int | None) -> str:
    """2_000_000_000 -> '2 tỷ' / '2 billion'; 500_000_000 -> '500 triệu' / '500 million';
    smaller amounts in full ('50.000 ₫')."""
    if amount is None:
        return ""
    if amount >= 10**9:
        return _("%(n)s billion", n=_number(Decimal(amount) / 10**9))
    if amount >= 10**6:
        return _("%(n)s million", n=_number(Decimal(amount) / 10**6))
    return format_vnd(amount)


def ticket_text(low: int | None, high: int | None) -> str:
    """'500 million–2 billion', 'from 500 million', 'up to 2 billion', '1 billion'."""
    if low is not None and high is not None:
        if low == high:
            return short_vnd(low)
        return f"{short_vnd(low)}–{short_vnd(high)}"
    if low is not None:
        return _("from %(amount)s", amount=short_vnd(low))
    if high is not None:
        return _("up to %(amount)s", amount=short_vnd(high))
    return ""


# --------------------------------------------------------------------------- scoring


def is_investor(profile) -> bool:
    return profile.kind in INVESTOR_KINDS


def opposite_sides(a, b) -> bool:
    """Investors, banks, associations and experts meet startups and exhibitors."""
    return is_investor(a) != is_investor(b)


@dataclass(frozen=True)
class Reason:
    """One reason of a score: ``values`` are taxonomy codes, area names, or for ``ticket`` the
    investor's (min, max) and the startup's (min, max)."""

    code: str
    points: int
    values: tuple = ()

    @property
    def text(self) -> str:
        if self.code == "sectors":
            return _(
                "Same sector: %(names)s",
                names=", ".join(taxonomy.labels(taxonomy.SECTORS, self.values)),
            )
        if self.code == "stage":
            return _(
                "Stage fits: %(names)s",
                names=", ".join(taxonomy.labels(taxonomy.STAGES, self.values)),
            )
        if self.code == "ticket":
            inv_min, inv_max, need_min, need_max = self.values
            return _(
                "Ticket %(ticket)s fits the need of %(need)s",
                ticket=ticket_text(inv_min, inv_max),
                need=ticket_text(need_min, need_max),
            )
        if self.code == "area":
            return _("Area of interest: %(names)s", names=", ".join(self.values))
        if self.code == "offers":
            return _(
                "Offers what you look for: %(names)s",
                names=", ".join(taxonomy.labels(taxonomy.OFFERS, self.values)),
            )
        if self.code == "seeks":
            return _(
                "Looks for what you offer: %(names)s",
                names=", ".join(taxonomy.labels(taxonomy.SEEKS, self.values)),
            )
        if self.code == "language":
            return _(
                "Shared language: %(names)s",
                names=", ".join(taxonomy.labels(taxonomy.LANGUAGES, self.values)),
            )
        return self.code


@dataclass(frozen=True)
class Suggestion:
    profile: object
    score: int
    reasons: tuple[Reason, ...]


def _shared(mine: Iterable[str], theirs: Iterable[str], order: Mapping) -> tuple[str, ...]:
    common = set(mine or ()) & set(theirs or ())
    return tuple(code for code in order if code in common)


def _need(profile) -> tuple[int, int] | None:
    low, high = profile.ticket_min_vnd, profile.ticket_max_vnd
    if low is None and high is None:
        return None
    return (low if low is not None else high, high if high is not None else low)


def ticket_fits(investor, seeker) -> bool:
    """The investor's ticket range overlaps the funding the seeker looks for (both given)."""
    need = _need(seeker)
    if need is None or (investor.ticket_min_vnd is None and investor.ticket_max_vnd is None):
        return False
    low = investor.ticket_min_vnd or 0
    high = investor.ticket_max_vnd
    return low <= need[1] and (high is None or need[0] <= high)


def score(viewer, other, areas: AreaTree | None = None) -> tuple[int, tuple[Reason, ...]]:
    """How well ``other`` fits ``viewer`` and why (reasons worded from the viewer's side)."""
    areas = areas or AreaTree()
    reasons: list[Reason] = []

    def add(code: str, values: tuple, counted: int = 1) -> None:
        if values:
            reasons.append(Reason(code, POINTS[code] * min(counted, MAX_COUNTED), values))

    sectors = _shared(viewer.sectors, other.sectors, taxonomy.SECTORS)
    add("sectors", sectors, len(sectors))
    if opposite_sides(viewer, other):
        investor, seeker = (viewer, other) if is_investor(viewer) else (other, viewer)
        add("stage", _shared(investor.stages, seeker.stages, taxonomy.STAGES))
        if ticket_fits(investor, seeker):
            need = _need(seeker)
            add("ticket", (investor.ticket_min_vnd, investor.ticket_max_vnd, *need))
        matched = [
            b
            for b in dict.fromkeys(seeker.area_ids or ())
            if any(areas.related(a, b) for a in investor.area_ids or ())
        ]
        add("area", tuple(areas.name(b) or str(b) for b in matched))
    offers = _shared(viewer.seeks, other.offers, taxonomy.OFFERS)
    add("offers", offers, len(offers))
    seeks = _shared(viewer.offers, other.seeks, taxonomy.SEEKS)
    add("seeks", seeks, len(seeks))
    add("language", _shared(viewer.languages, other.languages, taxonomy.LANGUAGES))
    return sum(r.points for r in reasons), tuple(reasons)


def recommend(
    viewer,
    profiles: Iterable,
    areas: AreaTree | None = None,
    *,
    exclude: Iterable[int] = (),
    limit: int | None = LIMIT,
) -> list[Suggestion]:
    """The visible profiles on the other side, with a positive score, best first (ties by
    name), without ``viewer`` and the ``exclude``d ids (people already asked)."""
    skip = set(exclude) | {viewer.id}
    found = []
    for other in profiles:
        if other.id in skip or not other.visible or not opposite_sides(viewer, other):
            continue
        if other.festival_id != viewer.festival_id:
            continue
        points, reasons = score(viewer, other, areas)
        if points > 0:
            found.append(Suggestion(other, points, reasons))
    found.sort(key=lambda s: (-s.score, s.profile.name_folded or "", s.profile.id))
    return found[:limit] if limit is not None else found


# --------------------------------------------------------------------------- filters and search


def _int(raw) -> int | None:
    raw = (raw or "").strip() if isinstance(raw, str) else raw
    if isinstance(raw, int):
        return raw
    return int(raw) if raw and raw.isdigit() and len(raw) < 12 else None


@dataclass(frozen=True)
class Filters:
    q: str = ""
    kind: str = ""
    sector: str = ""
    stage: str = ""
    area: int | None = None
    fits: bool = False  # the ticket fits the viewer's (needs a viewer profile)

    @classmethod
    def parse(cls, args: Mapping) -> Filters:
        """From query arguments; unknown values are ignored."""
        kind = args.get("kind", "")
        sector = args.get("sector", "")
        stage = args.get("stage", "")
        return cls(
            q=" ".join((args.get("q") or "").split())[:100],
            kind=kind if kind in PROFILE_KINDS else "",
            sector=sector if sector in taxonomy.SECTORS else "",
            stage=stage if stage in taxonomy.STAGES else "",
            area=_int(args.get("area")),
            fits=args.get("fits") in ("1", "on", "y"),
        )

    @property
    def active(self) -> bool:
        return bool(self.q or self.kind or self.sector or self.stage or self.area or self.fits)

    def args(self) -> dict:
        """Back to query arguments (for links and the pager)."""
        values = {
            "q": self.q,
            "kind": self.kind,
            "sector": self.sector,
            "stage": self.stage,
            "area": self.area,
            "fits": "1" if self.fits else "",
        }
        return {k: v for k, v in values.items() if v}


def haystack(profile, sector_index: Mapping[str, str] | None = None) -> str:
    """What the search looks in: the folded name, title, organisation, headlines and
    description, plus the names of the profile's sectors in both languages."""
    parts = [profile.search_folded or profile.name_folded or ""]
    if sector_index:
        parts.extend(sector_index.get(code, "") for code in profile.sectors or ())
    return " ".join(parts)


def matches(
    profile,
    f: Filters,
    areas: AreaTree | None = None,
    *,
    viewer=None,
    sector_index: Mapping[str, str] | None = None,
) -> bool:
    if f.kind and profile.kind != f.kind:
        return False
    if f.sector and f.sector not in (profile.sectors or ()):
        return False
    if f.stage and f.stage not in (profile.stages or ()):
        return False
    if f.area is not None:
        tree = areas or AreaTree()
        if not any(tree.related(f.area, a) for a in profile.area_ids or ()):
            return False
    if f.fits and viewer is not None:
        if not opposite_sides(viewer, profile):
            return False
        investor, seeker = (viewer, profile) if is_investor(viewer) else (profile, viewer)
        if not ticket_fits(investor, seeker):
            return False
    if f.q:
        text = haystack(profile, sector_index)
        if not all(word in text for word in fold(f.q).split()):
            return False
    return True
