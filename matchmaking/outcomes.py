"""A festival's matchmaking outcomes: meetings scheduled, held, no-shows and cancelled,
follow-ups wanted, indicated investment (the figure a district reports upward), ratings, per
participant kind and per session; and the per-meeting rows of the XLSX export.

Only published meetings count (drafts of a batch run are nobody's meetings yet).
Indicated investment of a meeting is the investor side's feedback (a fund, angel, bank,
enterprise, association or expert) with interest "yes" or "maybe": its amount range, a single
figure counting as both ends. When both parties are investor kinds, the larger range counts;
a meeting counts once."""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from babel.numbers import format_decimal
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from eventday.extensions import db
from eventday.festivals.models import Festival
from eventday.i18n import current_lang, format_date, format_time, format_vnd
from eventday.xlsx import append_row
from matchmaking.models import (
    PROFILE_KINDS,
    MatchSession,
    Meeting,
    MeetingFeedback,
    MeetingSeat,
)
from matchmaking.taxonomy import KIND_LABELS

BILLION = 1_000_000_000
MILLION = 1_000_000


@dataclass
class Figures:
    scheduled: int = 0  # published and not cancelled (held + no-show + not closed yet)
    held: int = 0
    no_show: int = 0
    open: int = 0  # still "scheduled": not both seats marked
    cancelled: int = 0
    follow_ups: int = 0  # meetings where at least one side wants a follow-up
    invest_yes: int = 0
    invest_maybe: int = 0
    amount_min_vnd: int = 0
    amount_max_vnd: int = 0
    rating_sum: int = 0
    rating_count: int = 0

    @property
    def average_rating(self) -> float | None:
        return round(self.rating_sum / self.rating_count, 2) if self.rating_count else None


@dataclass
class KindFigures:
    kind: str
    participants: int = 0  # profiles with at least one published live meeting
    meetings: int = 0  # their seats in published live meetings
    held: int = 0
    absences: int = 0  # seats marked absent
    follow_ups: int = 0  # their feedback wanting a follow-up
    rating_sum: int = 0
    rating_count: int = 0

    @property
    def average_rating(self) -> float | None:
        return round(self.rating_sum / self.rating_count, 2) if self.rating_count else None


@dataclass
class SessionFigures:
    session: MatchSession
    figures: Figures


@dataclass
class Outcomes:
    total: Figures
    by_kind: list[KindFigures]
    by_session: list[SessionFigures]
    meetings: list[Meeting] = field(default_factory=list)
    feedback: dict[tuple[int, int], MeetingFeedback] = field(default_factory=dict)


def _range_of(fb: MeetingFeedback) -> tuple[int, int]:
    low = fb.amount_min_vnd if fb.amount_min_vnd is not None else fb.amount_max_vnd
    high = fb.amount_max_vnd if fb.amount_max_vnd is not None else fb.amount_min_vnd
    return low or 0, high or 0


def indicated(meeting: Meeting, feedback: dict[tuple[int, int], MeetingFeedback]):
    """The investor side's feedback that counts for ``meeting`` (interest yes/maybe), or None."""
    best = None
    for seat in meeting.seats:
        fb = feedback.get((meeting.id, seat.profile_id))
        if fb is None or not seat.profile.is_investor or fb.invest_interest == "none":
            continue
        if best is None or _range_of(fb)[1] > _range_of(best)[1]:
            best = fb
    return best


def _add_meeting(fig: Figures, meeting: Meeting, feedback) -> None:
    if meeting.state == "cancelled":
        fig.cancelled += 1
        return
    fig.scheduled += 1
    if meeting.state == "held":
        fig.held += 1
    elif meeting.state == "no_show":
        fig.no_show += 1
    else:
        fig.open += 1
    rows = [feedback.get((meeting.id, s.profile_id)) for s in meeting.seats]
    rows = [r for r in rows if r is not None]
    if any(r.follow_up for r in rows):
        fig.follow_ups += 1
    for r in rows:
        fig.rating_sum += r.rating
        fig.rating_count += 1
    chosen = indicated(meeting, feedback)
    if chosen is not None:
        if chosen.invest_interest == "yes":
            fig.invest_yes += 1
        else:
            fig.invest_maybe += 1
        low, high = _range_of(chosen)
        fig.amount_min_vnd += low
        fig.amount_max_vnd += high


def festival_meetings(festival: Festival) -> list[Meeting]:
    return list(
        db.session.scalars(
            sa.select(Meeting)
            .where(Meeting.festival_id == festival.id, Meeting.published.is_(True))
            .options(
                selectinload(Meeting.seats).selectinload(MeetingSeat.profile),
                selectinload(Meeting.table),
                selectinload(Meeting.session),
                selectinload(Meeting.request),
            )
            .order_by(Meeting.starts_at, Meeting.table_id, Meeting.id)
        )
    )


def compute(festival: Festival) -> Outcomes:
    meetings = festival_meetings(festival)
    ids = [m.id for m in meetings]
    feedback: dict[tuple[int, int], MeetingFeedback] = {}
    if ids:
        for fb in db.session.scalars(
            sa.select(MeetingFeedback).where(MeetingFeedback.meeting_id.in_(ids))
        ):
            feedback[(fb.meeting_id, fb.profile_id)] = fb
    total = Figures()
    per_session: dict[int, Figures] = defaultdict(Figures)
    kinds = {k: KindFigures(k) for k in PROFILE_KINDS}
    people: dict[str, set[int]] = defaultdict(set)
    for meeting in meetings:
        _add_meeting(total, meeting, feedback)
        _add_meeting(per_session[meeting.session_id], meeting, feedback)
        if meeting.state == "cancelled":
            continue
        for seat in meeting.seats:
            k = kinds[seat.profile.kind]
            people[k.kind].add(seat.profile_id)
            k.meetings += 1
            if meeting.state == "held":
                k.held += 1
            if seat.attended is False:
                k.absences += 1
            fb = feedback.get((meeting.id, seat.profile_id))
            if fb is not None:
                k.follow_ups += int(fb.follow_up)
                k.rating_sum += fb.rating
                k.rating_count += 1
    for kind, ids_ in people.items():
        kinds[kind].participants = len(ids_)
    sessions = db.session.scalars(
        sa.select(MatchSession)
        .where(MatchSession.festival_id == festival.id)
        .order_by(MatchSession.starts_at, MatchSession.id)
    ).all()
    return Outcomes(
        total=total,
        by_kind=[k for k in kinds.values() if k.meetings],
        by_session=[SessionFigures(s, per_session.get(s.id, Figures())) for s in sessions],
        meetings=meetings,
        feedback=feedback,
    )


# --------------------------------------------------------------------------- presentation


def _number(value: float, locale: str) -> str:
    return format_decimal(value, format="#,##0.#", locale="vi_VN" if locale == "vi" else "en_US")


def short_amount(amount: int, locale: str | None = None) -> tuple[str, str]:
    """(number, unit) — 1_200_000_000 -> ('1,2', 'billion'); below a million: the full sum."""
    locale = locale or current_lang()
    if amount >= BILLION:
        return _number(amount / BILLION, locale), "billion"
    if amount >= MILLION:
        return _number(amount / MILLION, locale), "million"
    return format_vnd(amount, locale), ""


def amount_range_text(low: int, high: int, locale: str | None = None) -> str:
    """'1,2–3,5 tỷ đồng' / '1.2–3.5 billion đồng', '350 triệu – 1,2 tỷ đồng', '0 đồng'."""
    locale = locale or current_lang()
    (lo_n, lo_u), (hi_n, hi_u) = short_amount(low, locale), short_amount(high, locale)
    units = {"billion": _("%(amount)s billion"), "million": _("%(amount)s million")}
    if low == high:
        if not lo_u:
            return lo_n
        return _("%(amount)s đồng", amount=units[lo_u] % {"amount": lo_n})
    if lo_u == hi_u and lo_u:
        return _("%(amount)s đồng", amount=units[lo_u] % {"amount": f"{lo_n}–{hi_n}"})
    lo_text = units[lo_u] % {"amount": lo_n} if lo_u else lo_n
    hi_text = units[hi_u] % {"amount": hi_n} if hi_u else hi_n
    return _("%(amount)s đồng", amount=f"{lo_text} – {hi_text}")


def state_labels() -> dict[str, str]:
    return {
        "scheduled": _("Scheduled"),
        "held": _("Took place"),
        "no_show": _("No-show"),
        "cancelled": _("Cancelled"),
    }


def xlsx_bytes(festival: Festival, outcomes: Outcomes | None = None) -> bytes:
    """One row per published meeting with both parties' attendance and feedback."""
    from openpyxl import Workbook

    from matchmaking.feedback import INTEREST_LABELS

    outcomes = outcomes or compute(festival)
    labels = state_labels()
    book = Workbook()
    sheet = book.active
    sheet.title = _("Meetings")[:31]
    side = [
        _("Party %(n)s"),
        _("Party %(n)s kind"),
        _("Party %(n)s attended"),
        _("Party %(n)s rating"),
        _("Party %(n)s follow-up"),
        _("Party %(n)s investment interest"),
        _("Party %(n)s amount from (đồng)"),
        _("Party %(n)s amount to (đồng)"),
        _("Party %(n)s note"),
    ]
    header = [
        _("Meeting"),
        _("Session"),
        _("Date"),
        _("Start"),
        _("End"),
        _("Table"),
        _("State"),
    ]
    for n in (1, 2):
        header += [h % {"n": n} for h in side]
    header += [_("Indicated from (đồng)"), _("Indicated to (đồng)")]
    append_row(sheet, header)
    yes, no = _("Yes"), _("No")
    lang = current_lang()
    for m in outcomes.meetings:
        session_name = (m.session.name_en if lang == "en" and m.session.name_en else None) or (
            m.session.name_vi
        )
        row = [
            m.id,
            session_name,
            format_date(m.starts_at),
            format_time(m.starts_at),
            format_time(m.ends_at),
            m.table.number if m.table else None,
            labels.get(m.state, m.state),
        ]
        seats = list(m.seats)[:2]
        while len(seats) < 2:
            seats.append(None)
        for seat in seats:
            if seat is None:
                row += [None] * len(side)
                continue
            fb = outcomes.feedback.get((m.id, seat.profile_id))
            attended = {True: yes, False: no, None: ""}[seat.attended]
            row += [
                seat.profile.display_name,
                str(KIND_LABELS.get(seat.profile.kind, seat.profile.kind)),
                attended,
                fb.rating if fb else None,
                (yes if fb.follow_up else no) if fb else "",
                str(INTEREST_LABELS[fb.invest_interest]) if fb else "",
                fb.amount_min_vnd if fb else None,
                fb.amount_max_vnd if fb else None,
                fb.note if fb else "",
            ]
        chosen = indicated(m, outcomes.feedback) if m.state != "cancelled" else None
        low, high = _range_of(chosen) if chosen else (None, None)
        row += [low, high]
        append_row(sheet, row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
