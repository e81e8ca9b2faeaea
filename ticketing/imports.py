"""Attendee import from an XLSX list: read, validate every row, then place one free order
per row through ``ticketing.operations.place_order(source="import")``.

All or nothing: every row is checked first and the report names the row and column of each
bad cell; if any row is bad nothing is imported. The orders are placed inside a savepoint
that is rolled back if a row still fails there (sold out, sales closed), so a failing file
leaves no order behind. The caller commits once when ``report.ok``.

Idempotent: a row whose person (same folded name and same phone or email) already holds a
ticket of that type is skipped and reported as such, so importing the same file twice
creates nothing the second time.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from eventday.areas.models import Area
from eventday.extensions import db
from eventday.festivals.models import Festival
from eventday.i18n import LOCAL_TZ, PhoneError, fold, format_vnd, localized, normalize_phone
from eventday.xlsx import open_workbook
from ticketing import operations as ops
from ticketing.models import HOLDING_TICKET_STATES, Order, Ticket, TicketType

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_ROWS = 500  # one order per row, about 30 ms each: keep a request under 30 s
HEADER_SEARCH_ROWS = 10  # the header may sit below a title line or two


@dataclass(frozen=True)
class Column:
    key: str
    label: Any  # lazy string, shown in the current language
    aliases: tuple[str, ...]  # folded header texts also accepted (Vietnamese and English)
    required: bool = False


COLUMNS: tuple[Column, ...] = (
    Column(
        "full_name",
        _l("Full name"),
        ("full name", "name", "ho va ten", "ho ten", "ten", "ten nguoi tham du"),
        required=True,
    ),
    Column(
        "phone",
        _l("Phone"),
        ("phone", "phone number", "mobile", "so dien thoai", "dien thoai", "sdt", "so dt"),
    ),
    Column("email", _l("Email"), ("email", "e-mail", "e mail", "thu dien tu")),
    Column(
        "group",
        _l("Participant group"),
        ("participant group", "group", "nhom", "nhom tham gia", "doi tuong", "thanh phan"),
    ),
    Column(
        "home_area",
        _l("Home commune"),
        (
            "home commune",
            "commune",
            "home area",
            "xa",
            "xa phuong",
            "xa/phuong",
            "xa, phuong",
            "xa/phuong/dac khu",
            "que quan",
            "dia phuong",
            "noi o",
        ),
    ),
    Column("ticket_type", _l("Ticket type"), ("ticket type", "ticket", "loai ve", "ve"), True),
)

STATUS_READY = "ready"  # valid; would be imported (the file had errors elsewhere)
STATUS_IMPORTED = "imported"
STATUS_SKIPPED = "skipped"
STATUS_ERROR = "error"


class AttendeeImportError(ValueError):
    """The file as a whole cannot be read (not an XLSX, no header, a column missing)."""

    def __init__(self, message: Any) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


@dataclass
class CellIssue:
    column: str  # the column's header text in the file
    letter: str  # its spreadsheet letter, e.g. "C"
    message: Any = None  # translated (lazy) text; None when ``error`` says it
    error: ops.TicketingError | None = None


@dataclass
class ImportRow:
    row: int  # 1-based spreadsheet row number
    name: str
    status: str = STATUS_READY
    issues: list[CellIssue] = field(default_factory=list)
    note: Any = None  # why a row was skipped
    order_code: str | None = None
    ticket_type: str = ""


@dataclass
class ImportReport:
    rows: list[ImportRow] = field(default_factory=list)

    def _count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def errors(self) -> int:
        return self._count(STATUS_ERROR)

    @property
    def imported(self) -> int:
        return self._count(STATUS_IMPORTED)

    @property
    def skipped(self) -> int:
        return self._count(STATUS_SKIPPED)

    @property
    def ready(self) -> int:
        return self._count(STATUS_READY)

    @property
    def ok(self) -> bool:
        return self.errors == 0


@dataclass
class _Parsed:
    report_row: ImportRow
    ticket_type: TicketType
    attendee: ops.AttendeeData
    type_cell: tuple[str, str]  # header text and letter of the ticket type column


# --------------------------------------------------------------------------- reading


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return " ".join(str(value).split())


def read_sheet(data: bytes) -> list[tuple[int, list[Any]]]:
    """(row number, cell values) of the first sheet's non-empty rows. Checked by content:
    a ZIP container that openpyxl can open, whatever the file is called."""
    workbook = open_workbook(data, AttendeeImportError, MAX_IMPORT_BYTES)
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # files from other programs often carry a wrong dimension
        rows: list[tuple[int, list[Any]]] = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if all(_cell_text(v) == "" for v in values):
                continue
            rows.append((number, list(values)))
            if len(rows) > MAX_ROWS + HEADER_SEARCH_ROWS:
                raise AttendeeImportError(
                    _l("The file has more than %(max)s rows: split it.", max=MAX_ROWS)
                )
        return rows
    finally:
        workbook.close()


def _header_keys(text: str) -> set[str]:
    """Folded forms of a header cell: 'Họ và tên (Full name) *' -> {'ho va ten', 'full name',
    'ho va ten (full name)'}."""
    folded = fold(text).replace("*", "").replace(":", "").strip()
    keys = {folded}
    match = re.fullmatch(r"(.*?)\s*\((.*)\)\s*", folded)
    if match:
        keys.update(part.strip() for part in match.groups() if part.strip())
    return keys


def _column_aliases() -> dict[str, set[str]]:
    aliases = {c.key: {*c.aliases, fold(str(c.label))} for c in COLUMNS}
    for locale in ("vi", "en"):
        with force_locale(locale):
            for c in COLUMNS:
                aliases[c.key].add(fold(str(c.label)))
    return aliases


def find_columns(
    rows: list[tuple[int, list[Any]]],
) -> tuple[int, dict[str, int], dict[str, str]]:
    """The header row's position, the index of each known column and its header text."""
    aliases = _column_aliases()
    for position, (_number, values) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        index: dict[str, int] = {}
        headers: dict[str, str] = {}
        for i, value in enumerate(values):
            text = _cell_text(value)
            keys = _header_keys(text)
            for column in COLUMNS:
                if column.key not in index and keys & aliases[column.key]:
                    index[column.key] = i
                    headers[column.key] = text
                    break
        if "full_name" in index:
            missing = [c for c in COLUMNS if c.required and c.key not in index]
            if missing:
                raise AttendeeImportError(
                    _l("Column “%(column)s” is missing.", column=str(missing[0].label))
                )
            return position, index, headers
    raise AttendeeImportError(
        _l(
            "No header row found: the first row must name the columns, "
            "e.g. “%(column)s” (download the template).",
            column=str(COLUMNS[0].label),
        )
    )


# --------------------------------------------------------------------------- resolving


class _CommuneFinder:
    """A commune by code ('20455') or by name ('Tây Giang', 'xã Tây Giang', 'Tây Giang, Đà
    Nẵng'), diacritics ignored; units valid on the festival's first day are preferred."""

    KIND_WORDS = ("xa", "phuong", "thi tran", "dac khu")

    def __init__(self, on: dt.date) -> None:
        self.on = on
        self.cache: dict[str, Area | Any] = {}

    def _valid(self, stmt):
        return stmt.where(
            Area.valid_from <= self.on, sa.or_(Area.valid_to.is_(None), Area.valid_to >= self.on)
        )

    def _pick(self, stmt) -> list[Area]:
        found = list(db.session.scalars(self._valid(stmt)))
        return found or list(db.session.scalars(stmt))

    def find(self, raw: Any) -> Area | Any:
        """The area, or a lazy error message."""
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            text = str(int(raw)).zfill(5)
        else:
            text = _cell_text(raw)
        if text not in self.cache:
            self.cache[text] = self._find(text)
        return self.cache[text]

    def _find(self, text: str) -> Area | Any:
        base = sa.select(Area).where(Area.level == "commune")
        if text.isdigit():
            found = self._pick(base.where(Area.code == text))
            return found[0] if found else _l("No commune has the code %(code)s.", code=text)
        name, _sep, rest = fold(text).partition(",")
        name = name.strip()
        for word in self.KIND_WORDS:
            if name.startswith(word + " ") and len(name) > len(word) + 1:
                name = name[len(word) + 1 :]
                break
        candidates = self._pick(base.where(Area.name_folded == name))
        if len(candidates) > 1 and rest.strip():
            wanted = rest.strip()
            candidates = [a for a in candidates if wanted in fold(a.path_name)]
        if len(candidates) == 1:
            return candidates[0]
        if not candidates:
            return _l("No commune of this name: check the spelling or give its code.")
        return _l(
            "Several communes have this name: add the province "
            "(e.g. “Tây Giang, Đà Nẵng”) or give the code."
        )


def _names(items) -> str:
    return ", ".join(localized(i, "name") for i in items)


def _festival_types(festival: Festival) -> list[TicketType]:
    return list(
        db.session.scalars(
            sa.select(TicketType)
            .where(TicketType.festival_id == festival.id)
            .order_by(TicketType.position, TicketType.id)
        )
    )


def _lookup(items, *, extra=lambda _item: ()) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for item in items:
        for key in (item.name_vi, item.name_en, *extra(item)):
            if key:
                table.setdefault(fold(key), item)
    return table


def _person_keys(type_id: int, name_folded: str, phone: str | None, email: str | None):
    keys = []
    if phone:
        keys.append((type_id, name_folded, "p", phone))
    if email:
        keys.append((type_id, name_folded, "e", email.lower()))
    return keys


def _existing_people(festival: Festival) -> dict[tuple, str]:
    """Person keys of the tickets already held in the festival -> their order code."""
    rows = db.session.execute(
        sa.select(Ticket.ticket_type_id, Ticket.name_folded, Ticket.phone, Ticket.email, Order.code)
        .join(Order, Order.id == Ticket.order_id)
        .where(Ticket.festival_id == festival.id, Ticket.state.in_(HOLDING_TICKET_STATES))
    )
    known: dict[tuple, str] = {}
    for type_id, name_folded, phone, email, code in rows:
        for key in _person_keys(type_id, name_folded, phone, email):
            known.setdefault(key, code)
    return known


# --------------------------------------------------------------------------- checking


def check_rows(
    festival: Festival, rows: list[tuple[int, list[Any]]], *, locale: str = "vi"
) -> tuple[ImportReport, list[_Parsed]]:
    """Validate every data row; nothing is written."""
    from openpyxl.utils import get_column_letter

    header_position, index, headers = find_columns(rows)
    types = _festival_types(festival)
    type_by_name = _lookup(types)
    groups = list(festival.groups)
    group_by_name = _lookup(groups, extra=lambda g: (g.kind,))
    communes = _CommuneFinder(festival.first_day or dt.datetime.now(LOCAL_TZ).date())
    known = _existing_people(festival)
    seen_in_file: dict[tuple, int] = {}

    report = ImportReport()
    parsed: list[_Parsed] = []
    for number, values in rows[header_position + 1 :]:

        def raw(key: str, values=values) -> Any:
            i = index.get(key)
            return values[i] if i is not None and i < len(values) else None

        def issue(key: str, message: Any, row: ImportRow) -> None:
            row.issues.append(
                CellIssue(headers[key], get_column_letter(index[key] + 1), message=message)
            )

        name = _cell_text(raw("full_name"))
        row = ImportRow(row=number, name=name)
        report.rows.append(row)

        if not name:
            issue("full_name", _l("The name is empty."), row)
        elif len(name) > 200:
            issue("full_name", _l("The name is longer than 200 characters."), row)

        phone = None
        raw_phone = raw("phone")
        if isinstance(raw_phone, int | float) and not isinstance(raw_phone, bool):
            raw_phone = str(int(raw_phone))  # Excel turned 0905… into the number 905…
        phone_text = _cell_text(raw_phone)
        if phone_text:
            try:
                phone = normalize_phone(phone_text)
            except PhoneError:
                issue(
                    "phone", _l("“%(value)s” is not a valid phone number.", value=phone_text), row
                )

        email = None
        email_text = _cell_text(raw("email"))
        if email_text:
            try:
                email = validate_email(email_text, check_deliverability=False).normalized.lower()
            except EmailNotValidError:
                issue(
                    "email", _l("“%(value)s” is not a valid email address.", value=email_text), row
                )
        if not phone_text and not email_text:
            key = "phone" if "phone" in index else "email" if "email" in index else "full_name"
            issue(key, _l("Give a phone number or an email (at least one)."), row)

        ticket_type = None
        type_text = _cell_text(raw("ticket_type"))
        if not type_text:
            issue("ticket_type", _l("The ticket type is empty."), row)
        else:
            ticket_type = type_by_name.get(fold(type_text))
            if ticket_type is None:
                issue(
                    "ticket_type",
                    _l(
                        "No ticket type “%(value)s”; this festival has: %(names)s.",
                        value=type_text,
                        names=_names(types),
                    ),
                    row,
                )
            elif ticket_type.price_vnd > 0:
                issue(
                    "ticket_type",
                    _l(
                        "Only free tickets can be imported; “%(value)s” costs %(price)s.",
                        value=type_text,
                        price=format_vnd(ticket_type.price_vnd),
                    ),
                    row,
                )
            else:
                row.ticket_type = localized(ticket_type, "name")

        group = None
        group_text = _cell_text(raw("group"))
        if group_text:
            group = group_by_name.get(fold(group_text))
            if group is None:
                issue(
                    "group",
                    _l(
                        "No participant group “%(value)s”; this festival has: %(names)s.",
                        value=group_text,
                        names=_names(groups),
                    ),
                    row,
                )
        unknown_group = bool(group_text) and group is None  # reported above
        allowed = {g.id for g in ticket_type.groups} if ticket_type is not None else set()
        if allowed and not unknown_group and (group is None or group.id not in allowed):
            issue(
                "group" if "group" in index else "ticket_type",
                _l(
                    "This ticket is only for these groups: %(names)s.",
                    names=_names(ticket_type.groups),
                ),
                row,
            )

        area = None
        area_value = raw("home_area")
        if _cell_text(area_value):
            found = communes.find(area_value)
            if isinstance(found, Area):
                area = found
            else:
                issue("home_area", found, row)

        if row.issues:
            row.status = STATUS_ERROR
            continue
        keys = _person_keys(ticket_type.id, fold(name), phone, email)
        earlier = next((known[k] for k in keys if k in known), None)
        if earlier is not None:
            row.status = STATUS_SKIPPED
            row.order_code = earlier
            row.note = _l("Already has this ticket (order %(code)s).", code=earlier)
            continue
        twin = next((seen_in_file[k] for k in keys if k in seen_in_file), None)
        if twin is not None:
            row.status = STATUS_SKIPPED
            row.note = _l("The same person as row %(row)s.", row=twin)
            continue
        for k in keys:
            seen_in_file[k] = number
        parsed.append(
            _Parsed(
                row,
                ticket_type,
                ops.AttendeeData(
                    full_name=name,
                    email=email,
                    phone=phone,
                    participant_group_id=group.id if group else None,
                    home_area_id=area.id if area else None,
                    locale=locale,
                ),
                (headers["ticket_type"], get_column_letter(index["ticket_type"] + 1)),
            )
        )
    return report, parsed


# --------------------------------------------------------------------------- importing


def import_attendees(festival: Festival, data: bytes, *, locale: str = "vi") -> ImportReport:
    """Check the whole file, then place one free order per good row — or nothing at all.

    Raises AttendeeImportError when the file cannot be read. Flushes, never commits."""
    rows = read_sheet(data)
    report, parsed = check_rows(festival, rows, locale=locale)
    if not report.ok or not parsed:
        return report
    savepoint = db.session.begin_nested()
    for item in parsed:
        # place_order raises its domain errors before writing the order, so the next rows can
        # still be tried (to report them all); the savepoint is rolled back as a whole anyway.
        try:
            order = ops.place_order(
                ops.OrderRequest(
                    festival=festival,
                    ticket_type=item.ticket_type,
                    attendees=[item.attendee],
                    payment_method="free",
                    locale=locale,
                    source="import",
                    staff_sale=True,
                )
            )
            if order.state == "awaiting_approval":
                ops.approve_order(order)  # the organizer importing the list approves it
        except ops.TicketingError as exc:
            item.report_row.status = STATUS_ERROR
            item.report_row.issues.append(CellIssue(*item.type_cell, message=None, error=exc))
        else:
            item.report_row.status = STATUS_IMPORTED
            item.report_row.order_code = order.code
    if report.ok:
        savepoint.commit()
    else:
        savepoint.rollback()
        for item in parsed:
            if item.report_row.status == STATUS_IMPORTED:
                item.report_row.status = STATUS_READY
                item.report_row.order_code = None
    return report


# --------------------------------------------------------------------------- template


def template_xlsx(festival: Festival) -> bytes:
    """An empty list with the header row, drop-down lists of the festival's groups and free
    ticket types, and a sheet with the accepted values."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(_l("Attendees"))
    sheet.append([str(c.label) for c in COLUMNS])
    for i, _column in enumerate(COLUMNS, start=1):
        sheet.cell(row=1, column=i).font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(i)].width = 28
    sheet.freeze_panes = "A2"
    # Phones are text: Excel would drop the leading 0 of a number.
    phone_letter = get_column_letter(1 + [c.key for c in COLUMNS].index("phone"))
    for row in range(2, MAX_ROWS + 2):
        sheet[f"{phone_letter}{row}"].number_format = "@"

    lists = workbook.create_sheet(str(_l("Accepted values")))
    groups = [localized(g, "name") for g in festival.groups]
    types = [localized(t, "name") for t in _festival_types(festival) if t.price_vnd == 0]
    lists.append([str(_l("Participant group")), str(_l("Ticket type"))])
    for i in range(max(len(groups), len(types))):
        lists.append([groups[i] if i < len(groups) else None, types[i] if i < len(types) else None])
    lists.column_dimensions["A"].width = 32
    lists.column_dimensions["B"].width = 32
    for key, letter, values in (("group", "A", groups), ("ticket_type", "B", types)):
        if not values:
            continue
        target = get_column_letter(1 + [c.key for c in COLUMNS].index(key))
        quoted = lists.title.replace("'", "''")
        validation = DataValidation(
            type="list",
            formula1=f"='{quoted}'!${letter}$2:${letter}${len(values) + 1}",
            allow_blank=True,
        )
        sheet.add_data_validation(validation)
        validation.add(f"{target}2:{target}{MAX_ROWS + 1}")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
