"""Organizer figures and exports: sales per ticket type and day, revenue per payment method,
attendees per participant group and home area (each one GROUP BY query), and the ticket list
as CSV or XLSX.

Days are Asia/Ho_Chi_Minh dates computed in SQL (``local_date``); Vietnam keeps UTC+7 all
year, so SQLite shifts by seven hours and PostgreSQL converts with the zone name.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from eventday.areas.models import OFFICIAL_KIND_NAMES, Area
from eventday.extensions import db
from eventday.festivals.models import Festival, ParticipantGroup
from eventday.i18n import current_lang, format_phone, to_local
from eventday.xlsx import text_cell
from ticketing.models import Order, OrderLine, Payment, Ticket, TicketType
from ticketing.util import ORDER_STATE_LABELS, PAYMENT_METHOD_LABELS, TICKET_STATE_LABELS

SOLD_STATE = "valid"


class local_date(FunctionElement):  # noqa: N801 - used like an SQL function
    """The Asia/Ho_Chi_Minh calendar date of a UTC timestamp column, computed by the database."""

    type = sa.Date()
    name = "local_date"
    inherit_cache = True


@compiles(local_date)
def _local_date_sqlite(element, compiler, **kw) -> str:
    # SQLite stores UTCDateTime naive in UTC; Vietnam has no daylight saving time.
    return f"date({compiler.process(element.clauses, **kw)}, '+7 hours')"


@compiles(local_date, "postgresql")
def _local_date_postgresql(element, compiler, **kw) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"CAST(({column}) AT TIME ZONE 'Asia/Ho_Chi_Minh' AS DATE)"


# --------------------------------------------------------------------------- sales figures


@dataclass
class TypeSales:
    ticket_type: TicketType
    sold: int
    revenue_vnd: int  # face value of the valid tickets (unit price of their order line)


@dataclass
class DaySales:
    day: dt.date
    by_type: dict[int, int]  # ticket_type_id -> tickets

    @property
    def total(self) -> int:
        return sum(self.by_type.values())


@dataclass
class MethodRevenue:
    method: str
    payments: int
    received_vnd: int  # every payment that succeeded, refunded or not
    refunded_vnd: int

    @property
    def net_vnd(self) -> int:
        return self.received_vnd - self.refunded_vnd


@dataclass
class CountRow:
    label: str
    count: int
    key: int | None = None


@dataclass
class SalesReport:
    types: list[TypeSales] = field(default_factory=list)
    days: list[DaySales] = field(default_factory=list)
    methods: list[MethodRevenue] = field(default_factory=list)
    groups: list[CountRow] = field(default_factory=list)
    areas: list[CountRow] = field(default_factory=list)

    @property
    def sold(self) -> int:
        return sum(t.sold for t in self.types)

    @property
    def net_vnd(self) -> int:
        return sum(m.net_vnd for m in self.methods)


def sales_by_type_and_day(festival: Festival) -> tuple[list[TypeSales], list[DaySales]]:
    """Valid tickets per ticket type and per local day they were issued (one query)."""
    day = local_date(sa.func.coalesce(Ticket.issued_at, Ticket.created_at))
    rows = db.session.execute(
        sa.select(
            Ticket.ticket_type_id,
            day.label("day"),
            sa.func.count(Ticket.id),
            sa.func.coalesce(sa.func.sum(OrderLine.unit_price_vnd), 0),
        )
        .join(OrderLine, OrderLine.id == Ticket.order_line_id)
        .where(Ticket.festival_id == festival.id, Ticket.state == SOLD_STATE)
        .group_by(Ticket.ticket_type_id, day)
        .order_by(day)
    ).all()
    types = db.session.scalars(
        sa.select(TicketType)
        .where(TicketType.festival_id == festival.id)
        .order_by(TicketType.position, TicketType.id)
    ).all()
    sold: dict[int, int] = {}
    revenue: dict[int, int] = {}
    days: dict[dt.date, DaySales] = {}
    for type_id, on, count, amount in rows:
        sold[type_id] = sold.get(type_id, 0) + count
        revenue[type_id] = revenue.get(type_id, 0) + int(amount)
        days.setdefault(on, DaySales(on, {})).by_type[type_id] = count
    return (
        [TypeSales(t, sold.get(t.id, 0), revenue.get(t.id, 0)) for t in types],
        sorted(days.values(), key=lambda d: d.day),
    )


def revenue_by_method(festival: Festival) -> list[MethodRevenue]:
    """Money per payment method: received (succeeded or later refunded), refunded, net."""
    received = sa.func.sum(
        sa.case((Payment.state.in_(("succeeded", "refunded")), Payment.amount_vnd), else_=0)
    )
    refunded = sa.func.sum(sa.case((Payment.state == "refunded", Payment.amount_vnd), else_=0))
    rows = db.session.execute(
        sa.select(Payment.provider, sa.func.count(Payment.id), received, refunded)
        .join(Order, Order.id == Payment.order_id)
        .where(
            Order.festival_id == festival.id,
            Payment.state.in_(("succeeded", "refunded")),
        )
        .group_by(Payment.provider)
        .order_by(Payment.provider)
    ).all()
    return [MethodRevenue(m, n, int(r or 0), int(f or 0)) for m, n, r, f in rows]


def attendees_by_group(festival: Festival) -> list[CountRow]:
    """Valid tickets per participant group; tickets without a group come last."""
    rows = db.session.execute(
        sa.select(
            Ticket.participant_group_id,
            ParticipantGroup.name_vi,
            ParticipantGroup.name_en,
            sa.func.count(Ticket.id),
        )
        .outerjoin(ParticipantGroup, ParticipantGroup.id == Ticket.participant_group_id)
        .where(Ticket.festival_id == festival.id, Ticket.state == SOLD_STATE)
        .group_by(Ticket.participant_group_id, ParticipantGroup.name_vi, ParticipantGroup.name_en)
    ).all()
    english = current_lang() == "en"
    result = [
        CountRow((name_en if english and name_en else name_vi), count, group_id)
        for group_id, name_vi, name_en, count in rows
        if group_id is not None
    ]
    result.sort(key=lambda r: (-r.count, r.label))
    missing = sum(count for group_id, _vi, _en, count in rows if group_id is None)
    if missing:
        result.append(CountRow(_("Not given"), missing))
    return result


def attendees_by_area(festival: Festival, limit: int = 25) -> list[CountRow]:
    """Valid tickets per home area, the ``limit`` largest; the rest and 'not given' summed."""
    rows = db.session.execute(
        sa.select(Ticket.home_area_id, sa.func.count(Ticket.id).label("n"))
        .where(Ticket.festival_id == festival.id, Ticket.state == SOLD_STATE)
        .group_by(Ticket.home_area_id)
        .order_by(sa.desc("n"), Ticket.home_area_id)
    ).all()
    given = [(area_id, n) for area_id, n in rows if area_id is not None]
    top, rest = given[:limit], given[limit:]
    areas = {
        a.id: a
        for a in db.session.scalars(sa.select(Area).where(Area.id.in_([i for i, _n in top])))
    }
    result = [CountRow(areas[i].path_name, n, i) for i, n in top]
    if rest:
        result.append(CountRow(_("Other areas"), sum(n for _i, n in rest)))
    missing = sum(n for area_id, n in rows if area_id is None)
    if missing:
        result.append(CountRow(_("Not given"), missing))
    return result


def sales_report(festival: Festival) -> SalesReport:
    types, days = sales_by_type_and_day(festival)
    return SalesReport(
        types=types,
        days=days,
        methods=revenue_by_method(festival),
        groups=attendees_by_group(festival),
        areas=attendees_by_area(festival),
    )


# --------------------------------------------------------------------------- exports

EXPORT_LIMIT = 200_000


def export_headers() -> list[str]:
    return [
        _("Order code"),
        _("Order state"),
        _("Ticket code"),
        _("Ticket state"),
        _("Attendee"),
        _("Phone"),
        _("Email"),
        _("Participant group"),
        _("Home area"),
        _("Home area code"),
        _("Ticket type"),
        _("Price (đồng)"),
        _("Payment method"),
        _("Paid at"),
    ]


def _localized_name(vi: str | None, en: str | None) -> str:
    return (en if current_lang() == "en" and en else vi) or ""


def export_rows(festival: Festival) -> Iterator[list]:
    """One row per ticket, in order of purchase: plain values (int price, local naive paid-at
    datetime) that the CSV and XLSX writers format."""
    stmt = (
        sa.select(
            Order.code,
            Order.state,
            Ticket.short_code,
            Ticket.state,
            Ticket.attendee_name,
            Ticket.phone,
            Ticket.email,
            ParticipantGroup.name_vi,
            ParticipantGroup.name_en,
            Area.kind,
            Area.name,
            Area.code,
            TicketType.name_vi,
            TicketType.name_en,
            OrderLine.unit_price_vnd,
            Order.payment_method,
            Order.paid_at,
        )
        .select_from(Ticket)
        .join(Order, Order.id == Ticket.order_id)
        .join(TicketType, TicketType.id == Ticket.ticket_type_id)
        .join(OrderLine, OrderLine.id == Ticket.order_line_id)
        .outerjoin(ParticipantGroup, ParticipantGroup.id == Ticket.participant_group_id)
        .outerjoin(Area, Area.id == Ticket.home_area_id)
        .where(Ticket.festival_id == festival.id)
        .order_by(Order.created_at, Order.id, Ticket.id)
        .limit(EXPORT_LIMIT)
    )
    for row in db.session.execute(stmt).yield_per(1000):
        (
            code,
            order_state,
            short_code,
            ticket_state,
            name,
            phone,
            email,
            group_vi,
            group_en,
            area_kind,
            area_name,
            area_code,
            type_vi,
            type_en,
            price,
            method,
            paid_at,
        ) = row
        yield [
            code,
            str(ORDER_STATE_LABELS[order_state]),
            short_code,
            str(TICKET_STATE_LABELS[ticket_state]),
            name,
            format_phone(phone),
            email or "",
            _localized_name(group_vi, group_en),
            f"{OFFICIAL_KIND_NAMES[area_kind]} {area_name}" if area_name else "",
            area_code or "",
            _localized_name(type_vi, type_en),
            int(price),
            str(PAYMENT_METHOD_LABELS[method]),
            to_local(paid_at).replace(tzinfo=None, microsecond=0) if paid_at else None,
        ]


# Spreadsheet programs run a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Columns whose text comes from attendees (names, addresses); only they can carry a formula.
_FREE_TEXT_COLUMNS = (4, 6)


def _defuse(row: list) -> list:
    row = list(row)
    for i in _FREE_TEXT_COLUMNS:
        if isinstance(row[i], str) and row[i].startswith(_FORMULA_START):
            row[i] = "'" + row[i]
    return row


def export_csv(festival: Festival) -> bytes:
    """UTF-8 with a byte order mark, so Excel shows Vietnamese names right."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(export_headers())
    for row in export_rows(festival):
        row = _defuse(row)
        if row[-1] is not None:
            row[-1] = row[-1].strftime("%Y-%m-%d %H:%M")
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue().encode("utf-8")


def export_xlsx(festival: Festival) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Tickets"))
    sheet.freeze_panes = "A2"
    headers = export_headers()
    bold = Font(bold=True)
    header_cells = []
    for text in headers:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    price_col, paid_col = len(headers) - 3, len(headers) - 1
    for row in export_rows(festival):
        cells = []
        for i, value in enumerate(row):
            cell = text_cell(sheet, value)
            if i == price_col:
                cell.number_format = "#,##0"
            elif i == paid_col and value is not None:
                cell.number_format = "yyyy-mm-dd hh:mm"
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
