"""Live arrivals: the organizer's page for a festival day at the gates, and its JSON twin
that the page fetches every few seconds to redraw itself.

Every figure is one GROUP BY query over the day's scans, selected by the UTC bounds of the
local (Asia/Ho_Chi_Minh) day so the ``ix_scans_festival_scanned`` index applies. Quarter-hour
buckets are counted from local midnight; Vietnam keeps UTC+7 all year, so a bucket is a fixed
number of seconds after that instant on every backend.

An *arrival* is an admitting entry scan: status ``ok`` and type ``entry``, and on a
single-entry list only the scan marked ``admits`` (an offline scan that lost to an earlier
one stays ``ok`` but no longer admits). On a re-entry list every accepted entry counts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.functions import FunctionElement

from eventday.areas.models import Area
from eventday.db import utcnow
from eventday.extensions import db
from eventday.festivals.models import Festival, FestivalDay, ParticipantGroup
from eventday.i18n import LOCAL_TZ, current_lang, format_datetime, format_time
from eventday.permissions import can_manage, festival_role_required
from ticketing.checkin.models import CheckinList, Gate, Scan, ScannerDevice
from ticketing.models import Ticket
from ticketing.reports import CountRow
from ticketing.views import bp

QUARTER = dt.timedelta(minutes=15)
REFRESH_SECONDS = 10
# A device silent for longer than this on the day itself is shown as quiet (offline, or idle).
QUIET_AFTER = dt.timedelta(minutes=10)
AREA_LIMIT = 12


class epoch_seconds(FunctionElement):  # noqa: N801 - used like an SQL function
    """Whole seconds since 1970-01-01 UTC of a UTC timestamp column."""

    type = sa.BigInteger()
    name = "epoch_seconds"
    inherit_cache = True


@compiles(epoch_seconds)
def _epoch_sqlite(element, compiler, **kw) -> str:
    # SQLite stores UTCDateTime as naive UTC text.
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(epoch_seconds, "postgresql")
def _epoch_postgresql(element, compiler, **kw) -> str:
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})) AS BIGINT)"


# --------------------------------------------------------------------------- figures


@dataclass
class Bucket:
    start: dt.datetime  # local, aware
    count: int

    @property
    def label(self) -> str:
        return self.start.strftime("%H:%M")


@dataclass
class ListInside:
    id: int
    name: str
    track_exits: bool
    entries: int  # admitting entries on the day
    exits: int  # accepted exits on the day
    people: int  # distinct tickets admitted on the day

    @property
    def inside(self) -> int:
        """Entries minus exits where exits are scanned; else everyone admitted."""
        if self.track_exits:
            return max(self.entries - self.exits, 0)
        return self.people


@dataclass
class DeviceRow:
    id: int
    name: str
    list_name: str
    gate_name: str | None
    scans: int
    ok: int
    last_scan_at: dt.datetime | None
    last_seen_at: dt.datetime | None
    revoked: bool

    @property
    def refused(self) -> int:
        return self.scans - self.ok

    def quiet(self, now: dt.datetime) -> bool:
        return not self.revoked and (
            self.last_seen_at is None or now - self.last_seen_at > QUIET_AFTER
        )


@dataclass
class LiveFigures:
    day: FestivalDay
    now: dt.datetime
    arrivals: int = 0
    people: int = 0
    buckets: list[Bucket] = field(default_factory=list)
    gates: list[CountRow] = field(default_factory=list)
    groups: list[CountRow] = field(default_factory=list)
    areas: list[CountRow] = field(default_factory=list)
    lists: list[ListInside] = field(default_factory=list)
    devices: list[DeviceRow] = field(default_factory=list)

    @property
    def generated_label(self) -> str:
        return self.now.astimezone(LOCAL_TZ).strftime("%H:%M:%S")

    @property
    def is_today(self) -> bool:
        return self.day.day == self.now.astimezone(LOCAL_TZ).date()

    def to_json(self) -> dict:
        def counts(rows: list[CountRow]) -> list[dict]:
            return [{"label": r.label, "count": r.count} for r in rows]

        return {
            "day": self.day.day.isoformat(),
            "is_today": self.is_today,
            "generated_at": self.now.isoformat(),
            "generated_label": self.generated_label,
            "arrivals": self.arrivals,
            "people": self.people,
            "buckets": [{"start": b.label, "count": b.count} for b in self.buckets],
            "gates": counts(self.gates),
            "groups": counts(self.groups),
            "areas": counts(self.areas),
            "lists": [
                {
                    "id": r.id,
                    "name": r.name,
                    "track_exits": r.track_exits,
                    "entries": r.entries,
                    "exits": r.exits,
                    "people": r.people,
                    "inside": r.inside,
                }
                for r in self.lists
            ],
            "devices": [
                {
                    "id": d.id,
                    "name": d.name,
                    "list": d.list_name,
                    "gate": d.gate_name,
                    "scans": d.scans,
                    "ok": d.ok,
                    "refused": d.refused,
                    "last_scan": format_time(d.last_scan_at) if d.last_scan_at else None,
                    "last_seen_at": d.last_seen_at.isoformat() if d.last_seen_at else None,
                    "last_seen": format_datetime(d.last_seen_at),
                    "quiet": self.is_today and d.quiet(self.now),
                    "revoked": d.revoked,
                }
                for d in self.devices
            ],
        }


def choose_day(festival: Festival, raw: str | None = None) -> FestivalDay | None:
    """The festival day asked for (``YYYY-MM-DD``), else today if it is one, else the first."""
    days = list(festival.days)
    if not days:
        return None
    wanted = None
    if raw:
        try:
            wanted = dt.date.fromisoformat(raw)
        except ValueError:
            wanted = None
    today = dt.datetime.now(LOCAL_TZ).date()
    for candidate in (wanted, today):
        for day in days:
            if day.day == candidate:
                return day
    return days[0]


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """UTC instants of local midnight at the start and at the end of ``day``."""
    start = dt.datetime.combine(day, dt.time(0), LOCAL_TZ)
    return start.astimezone(dt.UTC), (start + dt.timedelta(days=1)).astimezone(dt.UTC)


def _on_day(festival: Festival, day: dt.date):
    start, end = day_bounds(day)
    return sa.and_(Scan.festival_id == festival.id, Scan.scanned_at >= start, Scan.scanned_at < end)


def _is_arrival():
    """Needs CheckinList joined on Scan.list_id."""
    return sa.and_(
        Scan.type == "entry",
        Scan.status == "ok",
        sa.or_(Scan.admits, CheckinList.allow_reentry),
    )


def _arrivals(festival: Festival, day: dt.date, *columns):
    return (
        sa.select(*columns)
        .select_from(Scan)
        .join(CheckinList, CheckinList.id == Scan.list_id)
        .where(_on_day(festival, day), _is_arrival())
    )


def arrival_totals(festival: Festival, day: dt.date) -> tuple[int, int]:
    """(arrivals, distinct people) on the day."""
    arrivals, people = db.session.execute(
        _arrivals(festival, day, sa.func.count(Scan.id), sa.func.count(sa.distinct(Scan.ticket_id)))
    ).one()
    return arrivals or 0, people or 0


def arrivals_by_quarter(festival: Festival, day: FestivalDay) -> list[Bucket]:
    """Arrivals per local quarter hour, from the day's opening (or the first arrival, if
    earlier) to its closing (or the last arrival), empty quarters included."""
    start_utc, _end = day_bounds(day.day)
    offset = int(start_utc.timestamp())
    bucket = ((epoch_seconds(Scan.scanned_at) - offset) // int(QUARTER.total_seconds())).label(
        "bucket"
    )
    rows = db.session.execute(
        _arrivals(festival, day.day, bucket, sa.func.count(Scan.id)).group_by(bucket)
    ).all()
    counts = {int(b): n for b, n in rows}
    midnight = dt.datetime.combine(day.day, dt.time(0), LOCAL_TZ)
    first = (day.starts_at.hour * 60 + day.starts_at.minute) // 15
    last = max(first, (day.ends_at.hour * 60 + day.ends_at.minute - 1) // 15)
    if counts:
        first, last = min(first, min(counts)), max(last, max(counts))
    return [Bucket(midnight + i * QUARTER, counts.get(i, 0)) for i in range(first, last + 1)]


def arrivals_by_gate(festival: Festival, day: dt.date) -> list[CountRow]:
    rows = db.session.execute(
        _arrivals(festival, day, Scan.gate_id, Gate.name, sa.func.count(Scan.id).label("n"))
        .outerjoin(Gate, Gate.id == Scan.gate_id)
        .group_by(Scan.gate_id, Gate.name)
        .order_by(sa.desc("n"), Gate.name)
    ).all()
    result = [CountRow(name, n, gate_id) for gate_id, name, n in rows if gate_id is not None]
    missing = sum(n for gate_id, _name, n in rows if gate_id is None)
    if missing:
        result.append(CountRow(_("No gate"), missing))
    return result


def people_by_group(festival: Festival, day: dt.date) -> list[CountRow]:
    """Distinct people admitted on the day per participant group; 'not given' last."""
    people = sa.func.count(sa.distinct(Scan.ticket_id))
    rows = db.session.execute(
        _arrivals(
            festival,
            day,
            Ticket.participant_group_id,
            ParticipantGroup.name_vi,
            ParticipantGroup.name_en,
            people,
        )
        .join(Ticket, Ticket.id == Scan.ticket_id)
        .outerjoin(ParticipantGroup, ParticipantGroup.id == Ticket.participant_group_id)
        .group_by(Ticket.participant_group_id, ParticipantGroup.name_vi, ParticipantGroup.name_en)
    ).all()
    english = current_lang() == "en"
    result = [
        CountRow((name_en if english and name_en else name_vi), n, group_id)
        for group_id, name_vi, name_en, n in rows
        if group_id is not None
    ]
    result.sort(key=lambda r: (-r.count, r.label))
    missing = sum(n for group_id, _vi, _en, n in rows if group_id is None)
    if missing:
        result.append(CountRow(_("Not given"), missing))
    return result


def people_by_area(festival: Festival, day: dt.date, limit: int = AREA_LIMIT) -> list[CountRow]:
    """Distinct people admitted on the day per home area: the largest, the rest summed."""
    people = sa.func.count(sa.distinct(Scan.ticket_id)).label("n")
    rows = db.session.execute(
        _arrivals(festival, day, Ticket.home_area_id, people)
        .join(Ticket, Ticket.id == Scan.ticket_id)
        .group_by(Ticket.home_area_id)
        .order_by(sa.desc("n"), Ticket.home_area_id)
    ).all()
    given = [(area_id, n) for area_id, n in rows if area_id is not None]
    top, rest = given[:limit], given[limit:]
    areas = {
        a.id: a
        for a in db.session.scalars(
            sa.select(Area)
            .where(Area.id.in_([i for i, _n in top]))
            .options(selectinload(Area.parent).selectinload(Area.parent))
        )
    }
    result = [CountRow(areas[i].path_name, n, i) for i, n in top]
    if rest:
        result.append(CountRow(_("Other areas"), sum(n for _i, n in rest)))
    missing = sum(n for area_id, n in rows if area_id is None)
    if missing:
        result.append(CountRow(_("Not given"), missing))
    return result


def inside_by_list(festival: Festival, day: dt.date) -> list[ListInside]:
    """Per check-in list: admitting entries, accepted exits and people admitted on the day."""
    start, end = day_bounds(day)
    admitting = _is_arrival()
    entries = sa.func.sum(sa.case((admitting, 1), else_=0))
    exits = sa.func.sum(sa.case((sa.and_(Scan.type == "exit", Scan.status == "ok"), 1), else_=0))
    people = sa.func.count(sa.distinct(sa.case((admitting, Scan.ticket_id))))
    rows = db.session.execute(
        sa.select(
            CheckinList.id,
            CheckinList.name,
            CheckinList.track_exits,
            CheckinList.allow_reentry,
            entries,
            exits,
            people,
        )
        .select_from(CheckinList)
        .outerjoin(
            Scan,
            sa.and_(
                Scan.list_id == CheckinList.id, Scan.scanned_at >= start, Scan.scanned_at < end
            ),
        )
        .where(CheckinList.festival_id == festival.id)
        .group_by(
            CheckinList.id, CheckinList.name, CheckinList.track_exits, CheckinList.allow_reentry
        )
        .order_by(CheckinList.id)
    ).all()
    return [
        ListInside(list_id, name, bool(track), int(n_in or 0), int(n_out or 0), int(n_people or 0))
        for list_id, name, track, _reentry, n_in, n_out, n_people in rows
    ]


def scans_by_device(festival: Festival, day: dt.date) -> list[DeviceRow]:
    """Each device's scans on the day (all answers, and the accepted ones) and its last
    contact with the server; revoked devices only if they scanned that day."""
    counts = (
        sa.select(
            Scan.device_id.label("device_id"),
            sa.func.count(Scan.id).label("scans"),
            sa.func.sum(sa.case((Scan.status == "ok", 1), else_=0)).label("ok"),
            sa.func.max(Scan.scanned_at).label("last_scan_at"),
        )
        .where(_on_day(festival, day), Scan.device_id.is_not(None))
        .group_by(Scan.device_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(
            ScannerDevice.id,
            ScannerDevice.name,
            CheckinList.name.label("list_name"),
            Gate.name.label("gate_name"),
            counts.c.scans,
            counts.c.ok,
            counts.c.last_scan_at,
            ScannerDevice.last_seen_at,
            ScannerDevice.revoked_at,
        )
        .join(CheckinList, CheckinList.id == ScannerDevice.list_id)
        .outerjoin(Gate, Gate.id == ScannerDevice.gate_id)
        .outerjoin(counts, counts.c.device_id == ScannerDevice.id)
        .where(
            ScannerDevice.festival_id == festival.id,
            sa.or_(ScannerDevice.revoked_at.is_(None), counts.c.scans > 0),
        )
        .order_by(ScannerDevice.id)
    ).all()
    return [
        DeviceRow(
            id=r.id,
            name=r.name,
            list_name=r.list_name,
            gate_name=r.gate_name,
            scans=int(r.scans or 0),
            ok=int(r.ok or 0),
            last_scan_at=r.last_scan_at,
            last_seen_at=r.last_seen_at,
            revoked=r.revoked_at is not None,
        )
        for r in rows
    ]


def live_figures(festival: Festival, day: FestivalDay, now: dt.datetime | None = None):
    arrivals, people = arrival_totals(festival, day.day)
    return LiveFigures(
        day=day,
        now=now or utcnow(),
        arrivals=arrivals,
        people=people,
        buckets=arrivals_by_quarter(festival, day),
        gates=arrivals_by_gate(festival, day.day),
        groups=people_by_group(festival, day.day),
        areas=people_by_area(festival, day.day),
        lists=inside_by_list(festival, day.day),
        devices=scans_by_device(festival, day.day),
    )


# --------------------------------------------------------------------------- views


@bp.get("/f/<slug>/manage/checkin/live")
@festival_role_required("organizer", "staff")
def show_live_arrivals(festival: Festival):
    day = choose_day(festival, request.args.get("day"))
    figures = live_figures(festival, day) if day else None
    return render_template(
        "ticketing/checkin_live.html",
        festival=festival,
        day=day,
        figures=figures,
        is_organizer=can_manage(current_user, festival),
        refresh_seconds=REFRESH_SECONDS,
    )


@bp.get("/f/<slug>/manage/checkin/live.json")
@festival_role_required("organizer", "staff")
def live_arrivals_json(festival: Festival):
    day = choose_day(festival, request.args.get("day"))
    if day is None:
        return jsonify({"day": None})
    response = jsonify(live_figures(festival, day).to_json())
    response.headers["Cache-Control"] = "no-store"
    return response
