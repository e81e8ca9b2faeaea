"""Prizes and provincial nominations: create prizes, give each to an application that pitched
(one prize per application; awarding moves it to "awarded"), finalise (the others that pitched
become "not selected"), mark nominations, and export them with scores and documents."""

from __future__ import annotations

import io
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from eventday.extensions import db
from eventday.festivals.models import Festival
from eventday.xlsx import append_row
from pitches.models import (
    PRIZE_KINDS,
    Assignment,
    Criterion,
    PitchApplication,
    Prize,
    ProgrammeItem,
    Round,
    Score,
)
from pitches.stage import STARTUP_STAGE_LABELS, _change_application_state

DEFAULT_NAMES = {
    "first": "Giải Nhất",
    "second": "Giải Nhì",
    "third": "Giải Ba",
    "consolation": "Giải Khuyến khích",
}
KIND_LABELS = {
    "first": _l("First prize"),
    "second": _l("Second prize"),
    "third": _l("Third prize"),
    "consolation": _l("Consolation prize"),
    "custom": _l("Custom prize"),
}
KIND_ORDER = {kind: n for n, kind in enumerate(PRIZE_KINDS)}
AWARDABLE_STATES = ("pitched",)
MAX_AMOUNT_VND = 10_000_000_000


class AwardError(Exception):
    """``reason``: bad_kind, no_name, bad_amount, taken, holds_prize, not_pitched,
    not_yours, no_winner."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def prizes(festival: Festival) -> list[Prize]:
    return list(
        db.session.scalars(
            sa.select(Prize)
            .where(Prize.festival_id == festival.id)
            .options(selectinload(Prize.application).selectinload(PitchApplication.organisation))
            .order_by(Prize.position, Prize.id)
        )
    )


def _lock_prizes(festival: Festival) -> list[Prize]:
    """Lock all of the festival's prizes in id order: the one-prize-per-application check and
    the write that follows cannot interleave with another organizer's."""
    return list(
        db.session.scalars(
            sa.select(Prize)
            .where(Prize.festival_id == festival.id)
            .order_by(Prize.id)
            .with_for_update()
        )
    )


def create_prize(
    festival: Festival, kind: str, name: str = "", amount_vnd: int = 0, note: str = ""
) -> Prize:
    if kind not in PRIZE_KINDS:
        raise AwardError("bad_kind")
    name = " ".join((name or "").split()) or DEFAULT_NAMES.get(kind, "")
    if not name:
        raise AwardError("no_name")
    if amount_vnd is None or not 0 <= int(amount_vnd) <= MAX_AMOUNT_VND:
        raise AwardError("bad_amount")
    existing = _lock_prizes(festival)
    position = max((p.position for p in existing), default=-1) + 1
    prize = Prize(
        festival_id=festival.id,
        kind=kind,
        name=name[:120],
        position=position,
        amount_vnd=int(amount_vnd),
        note=note or "",
    )
    db.session.add(prize)
    db.session.flush()
    return prize


def candidates(festival: Festival) -> list[PitchApplication]:
    """Applications that pitched (or already won), by title."""
    return list(
        db.session.scalars(
            sa.select(PitchApplication)
            .where(
                PitchApplication.festival_id == festival.id,
                PitchApplication.state.in_(("pitched", "awarded")),
            )
            .options(selectinload(PitchApplication.organisation))
            .order_by(PitchApplication.title_folded)
        )
    )


def assign_prize(prize: Prize, application: PitchApplication, user) -> None:
    """Give ``prize`` to ``application``: it must have pitched, hold no other prize, and the
    prize must be free (an award is mailed at once and cannot be taken back)."""
    if application.festival_id != prize.festival_id:
        raise AwardError("not_yours")
    festival = db.session.get(Festival, prize.festival_id)
    locked = _lock_prizes(festival)
    db.session.refresh(prize)
    db.session.refresh(application)
    if prize.application_id == application.id:
        return
    if prize.application_id is not None:
        raise AwardError("taken")
    if any(p.application_id == application.id for p in locked):
        raise AwardError("holds_prize")
    if application.state not in AWARDABLE_STATES:
        raise AwardError("not_pitched")
    prize.application_id = application.id
    _change_application_state(application, "awarded", user)
    db.session.flush()


def set_nomination(prize: Prize, nominated: bool) -> None:
    if nominated and prize.application_id is None:
        raise AwardError("no_winner")
    prize.nominated_for_province = nominated
    db.session.flush()


def delete_prize(prize: Prize) -> None:
    if prize.application_id is not None:
        raise AwardError("taken")
    db.session.delete(prize)
    db.session.flush()


def finalise(festival: Festival, user) -> list[PitchApplication]:
    """Every application that pitched and holds no prize becomes "not selected"."""
    _lock_prizes(festival)
    rows = list(
        db.session.scalars(
            sa.select(PitchApplication)
            .where(
                PitchApplication.festival_id == festival.id,
                PitchApplication.state == "pitched",
            )
            .order_by(PitchApplication.id)
            .with_for_update()
        )
    )
    winners = set(
        db.session.scalars(
            sa.select(Prize.application_id).where(
                Prize.festival_id == festival.id, Prize.application_id.is_not(None)
            )
        )
    )
    moved = []
    for application in rows:
        if application.id not in winners and _change_application_state(
            application, "not_selected", user
        ):
            moved.append(application)
    db.session.flush()
    return moved


# --------------------------------------------------------------------------- ranking


def last_round(festival: Festival) -> Round | None:
    return db.session.scalar(
        sa.select(Round)
        .where(Round.festival_id == festival.id)
        .order_by(Round.position.desc(), Round.id.desc())
        .limit(1)
    )


def _application_id_of(row) -> int | None:
    for getter in (
        lambda r: r.application_id,
        lambda r: r.application.id,
        lambda r: r["application_id"],
        lambda r: r[0] if isinstance(r[0], int) else r[0].id,
    ):
        try:
            value = getter(row)
        except (AttributeError, KeyError, TypeError, IndexError):
            continue
        if isinstance(value, int):
            return value
    if isinstance(row, PitchApplication):
        return row.id
    return None


def ranked_ids(festival: Festival) -> list[int]:
    """Application ids in the judges' ranking of the last round (normalised), best first, from
    the judging module; empty when it is not there or has nothing to say."""
    round_ = last_round(festival)
    if round_ is None:
        return []
    try:
        from pitches.judging import ranking
    except ImportError:
        return []
    try:
        result = ranking(round_, True)
    except Exception:  # noqa: BLE001 - a suggestion only: the organizer chooses by hand
        return []
    ids = []
    for row in getattr(result, "rows", result) or ():
        app_id = _application_id_of(row)
        if app_id is not None and app_id not in ids:
            ids.append(app_id)
    return ids


def suggestions(festival: Festival, prize_list: list[Prize]) -> dict[int, int]:
    """prize id -> suggested application id: free prizes in order (Nhất, Nhì, Ba, Khuyến
    khích, then custom) take the best ranked applications that pitched and hold no prize."""
    ranked = ranked_ids(festival)
    if not ranked:
        return {}
    pitched = {a.id for a in candidates(festival) if a.state == "pitched"}
    taken = {p.application_id for p in prize_list if p.application_id}
    queue = [i for i in ranked if i in pitched and i not in taken]
    out = {}
    for prize in sorted(prize_list, key=lambda p: (KIND_ORDER[p.kind], p.position, p.id)):
        if prize.application_id is None and queue:
            out[prize.id] = queue.pop(0)
    return out


# --------------------------------------------------------------------------- nominations


@dataclass
class ScoreSummary:
    criteria: list[Criterion]
    means: dict[int, dict[int, float]]  # application id -> criterion id -> mean score
    totals: dict[int, float]  # application id -> weighted total over 100


def score_summary(festival: Festival, application_ids: list[int]) -> ScoreSummary:
    """Per-criterion means and the weighted total (/100) from the last round's scores."""
    round_ = last_round(festival)
    if round_ is None or not application_ids:
        return ScoreSummary([], {}, {})
    criteria = list(round_.criteria)
    try:  # the judges' ranking, when it is there: complete score sheets only
        from pitches.judging import ranking

        result = ranking(round_, False)
    except Exception:  # noqa: BLE001 - fall back to the plain means below
        result = None
    if result is not None and getattr(result, "rows", None) is not None:
        wanted = set(application_ids)
        means = {
            row.application_id: {k: float(v) for k, v in row.criterion_means.items()}
            for row in result.rows
            if row.application_id in wanted and row.criterion_means
        }
        totals = {
            row.application_id: round(float(row.raw_mean), 2)
            for row in result.rows
            if row.application_id in wanted and row.raw_mean is not None
        }
        return ScoreSummary(criteria, means, totals)
    rows = db.session.execute(
        sa.select(Assignment.application_id, Score.criterion_id, sa.func.avg(Score.value))
        .join(Score, Score.assignment_id == Assignment.id)
        .where(Assignment.round_id == round_.id, Assignment.application_id.in_(application_ids))
        .group_by(Assignment.application_id, Score.criterion_id)
    ).all()
    means: dict[int, dict[int, float]] = {}
    for app_id, criterion_id, mean in rows:
        means.setdefault(app_id, {})[criterion_id] = float(mean)
    weight_sum = sum(float(c.weight) for c in criteria) or 1.0
    totals = {
        app_id: round(
            sum(values.get(c.id, 0.0) / c.max_score * float(c.weight) for c in criteria)
            * 100
            / weight_sum,
            2,
        )
        for app_id, values in means.items()
    }
    return ScoreSummary(criteria, means, totals)


def nominations_workbook(festival: Festival, link_for_deck) -> bytes:
    """The nominated applications as an XLSX workbook; ``link_for_deck(application)`` gives
    the deck's URL (or None)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from eventday.i18n import localized

    nominated = [p for p in prizes(festival) if p.nominated_for_province and p.application]
    app_ids = [p.application_id for p in nominated]
    apps = {
        a.id: a
        for a in db.session.scalars(
            sa.select(PitchApplication)
            .where(PitchApplication.id.in_(app_ids or [-1]))
            .options(
                selectinload(PitchApplication.organisation),
                selectinload(PitchApplication.home_area),
                selectinload(PitchApplication.track),
            )
        )
    }
    stages = dict(
        db.session.execute(
            sa.select(ProgrammeItem.application_id, ProgrammeItem.stage_id).where(
                ProgrammeItem.application_id.in_(app_ids or [-1]), ProgrammeItem.kind == "pitch"
            )
        ).all()
    )
    from eventday.festivals.models import Stage

    stage_names = {
        s.id: localized(s, "name")
        for s in db.session.scalars(sa.select(Stage).where(Stage.festival_id == festival.id))
    }
    summary = score_summary(festival, app_ids)
    from flask_babel import gettext as _

    book = Workbook()
    sheet = book.active
    sheet.title = _("Nominations")[:31]
    header = [
        _("No."),
        _("Startup"),
        _("Organisation"),
        _("Home area"),
        _("Track"),
        _("Startup stage"),
        _("Stage"),
        _("Funding sought (đồng)"),
        *[localized(c, "name") for c in summary.criteria],
        _("Total (/100)"),
        _("Prize"),
        _("Pitch deck"),
        _("Video"),
    ]
    append_row(sheet, header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for n, prize in enumerate(nominated, start=1):
        a = apps[prize.application_id]
        means = summary.means.get(a.id, {})
        append_row(
            sheet,
            [
                n,
                a.title,
                a.organisation.name if a.organisation else "",
                a.home_area.full_name if a.home_area else "",
                localized(a.track, "name") if a.track else "",
                str(STARTUP_STAGE_LABELS.get(a.stage, a.stage)),
                stage_names.get(stages.get(a.id), ""),
                a.funding_vnd,
                *[round(means[c.id], 2) if c.id in means else None for c in summary.criteria],
                summary.totals.get(a.id),
                prize.name,
                link_for_deck(a) or "",
                a.video_url or "",
            ],
        )
    for column, width in zip("ABCDEFGH", (5, 36, 32, 28, 24, 16, 20, 18), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
