"""Bank statement import: read a CSV/XLSX statement with a column mapping, then match the
incoming transfers to orders by the order code in the memo and the amount.

Reading is all-or-nothing: one bad row raises ``StatementError`` naming the row and column,
and nothing is imported. Importing is idempotent: each line gets a fingerprint stored in
``bank_statement_rows`` under a unique (festival_id, fingerprint) constraint, so importing
the same statement again changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from eventday.extensions import db
from eventday.i18n import fold
from ticketing.codes import ALPHABET, ORDER_PREFIX
from ticketing.models import BankStatementRow, Order

if TYPE_CHECKING:
    from eventday.festivals.models import Festival

MAX_ROWS = 50_000
PAYING_STATUSES = ("matched", "partial", "overpaid")
STATUSES = ("matched", "partial", "overpaid", "unknown", "duplicate")
ALREADY_IMPORTED = "already_imported"
REFERENCE_MAX = 500  # BankStatementRow.reference


# ---------------------------------------------------------------------------------------------
# Data


@dataclass(frozen=True)
class ColumnMapping:
    """Which header cells hold the booking date, the credited amount and the memo."""

    date: str
    amount: str
    reference: str
    header_row: int = 1  # 1-based row of the header cells


@dataclass(frozen=True)
class StatementLine:
    row: int  # 1-based row number in the file, as a spreadsheet shows it
    booked_on: dt.date
    amount_vnd: int  # incoming money, always > 0
    reference: str


class StatementError(ValueError):
    """A statement that cannot be read; ``row`` and ``column`` say where when known.

    ``column`` is the mapping field ("date", "amount", "reference") or None; ``header`` the
    header text of that column in the file; ``reason`` a translated message.
    """

    def __init__(
        self,
        reason: Any,
        *,
        row: int | None = None,
        column: str | None = None,
        header: str | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.row = row
        self.column = column
        self.header = header

    @property
    def message(self) -> str:
        """The whole translated message, e.g. 'Row 7, column “Số tiền”: not an amount …'."""
        if self.row is not None and self.column is not None:
            return str(
                _l(
                    "Row %(row)s, column “%(column)s”: %(reason)s",
                    row=self.row,
                    column=self.header or self.column,
                    reason=self.reason,
                )
            )
        if self.row is not None:
            return str(_l("Row %(row)s: %(reason)s", row=self.row, reason=self.reason))
        return str(self.reason)

    def __str__(self) -> str:
        return self.message


class ReportRow(NamedTuple):
    row: int
    status: str  # one of STATUSES or ALREADY_IMPORTED
    order_code: str | None
    amount_vnd: int


@dataclass
class ImportReport:
    matched: int = 0
    partial: int = 0
    overpaid: int = 0
    unknown: int = 0
    duplicate: int = 0
    already_imported: int = 0
    rows: list[ReportRow] = field(default_factory=list)

    @property
    def imported(self) -> int:
        """Lines stored by this import (everything but the already imported ones)."""
        return self.matched + self.partial + self.overpaid + self.unknown + self.duplicate

    @property
    def paid_vnd(self) -> int:
        """Money recorded as payments by this import."""
        return sum(r.amount_vnd for r in self.rows if r.status in PAYING_STATUSES)

    def counts(self) -> dict[str, int]:
        return {status: getattr(self, status) for status in (*STATUSES, ALREADY_IMPORTED)}

    def add(self, row: ReportRow) -> None:
        setattr(self, row.status, getattr(self, row.status) + 1)
        self.rows.append(row)


# ---------------------------------------------------------------------------------------------
# Reading files


def _is_xlsx(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


def _csv_rows(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise StatementError(
            _l("The file is not UTF-8 text: save the CSV as “CSV UTF-8” or upload the XLSX.")
        ) from exc
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [line for line in text.split("\n") if line.strip()]
    sample = "\n".join(lines[:50])
    delimiter = _sniff_delimiter(sample)
    return [list(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _sniff_delimiter(sample: str) -> str:
    """';', ',' or tab: the one that splits the sample's lines most consistently."""
    best, best_score = ",", -1
    for candidate in (";", ",", "\t"):
        widths = [len(r) for r in csv.reader(io.StringIO(sample), delimiter=candidate) if r]
        if not widths:
            continue
        width, lines = Counter(widths).most_common(1)[0]
        # Prefer many lines of the same width > 1 column; the width breaks ties.
        score = lines * 1000 + width if width > 1 else 0
        if score > best_score:
            best, best_score = candidate, score
    return best


def _xlsx_rows(data: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise StatementError(_l("The XLSX file cannot be opened.")) from exc
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # exports often carry a wrong dimension record
        rows = []
        for values in sheet.iter_rows(values_only=True):
            rows.append(list(values))
            if len(rows) > MAX_ROWS:
                break
        return rows
    finally:
        workbook.close()


def read_rows(data: bytes, filename: str = "") -> list[list[Any]]:
    """All rows of the file (first sheet of an XLSX), cells as str/int/float/date/None.

    The content decides the format, not the file name: a zip is read as XLSX, the rest as CSV.
    """
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise StatementError(_l("Old Excel files (.xls) are not supported: save as XLSX or CSV."))
    rows = _xlsx_rows(data) if _is_xlsx(data) else _csv_rows(data)
    if len(rows) > MAX_ROWS:
        raise StatementError(
            _l("The statement has more than %(max)s rows: split it.", max=f"{MAX_ROWS:,}")
        )
    return rows


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def read_headers(data: bytes, filename: str = "", header_row: int = 1) -> list[str]:
    """The header cells of ``header_row`` (for a mapping form)."""
    rows = read_rows(data, filename)
    if header_row < 1 or header_row > len(rows):
        return []
    return [_cell_text(v) for v in rows[header_row - 1]]


def read_statement(data: bytes, filename: str, mapping: ColumnMapping) -> list[StatementLine]:
    """The incoming transfers of a statement; debit and empty rows are left out.

    Raises StatementError for a missing column or the first bad row: nothing is imported then.
    """
    rows = read_rows(data, filename)
    if mapping.header_row < 1 or mapping.header_row > len(rows):
        raise StatementError(
            _l("The header row %(row)s is not in the file.", row=mapping.header_row),
            row=mapping.header_row,
        )
    headers = [fold(_cell_text(v)) for v in rows[mapping.header_row - 1]]
    index: dict[str, int] = {}
    for column in ("date", "amount", "reference"):
        wanted = getattr(mapping, column)
        try:
            index[column] = headers.index(fold(wanted))
        except ValueError:
            raise StatementError(
                _l("No column “%(header)s” in the header row.", header=wanted),
                row=mapping.header_row,
                column=column,
                header=wanted,
            ) from None

    def cell(values: Sequence[Any], column: str) -> Any:
        i = index[column]
        return values[i] if i < len(values) else None

    lines: list[StatementLine] = []
    for number, values in enumerate(rows[mapping.header_row :], start=mapping.header_row + 1):
        raw_date, raw_amount = cell(values, "date"), cell(values, "amount")
        reference = _cell_text(cell(values, "reference"))
        if _blank(raw_amount):
            continue  # an empty line, or a debit row with an empty credit column
        try:
            amount = parse_amount(raw_amount)
        except ValueError as exc:
            raise StatementError(
                exc.args[0], row=number, column="amount", header=mapping.amount
            ) from None
        if amount <= 0:
            continue  # money going out (or nothing): not a payment
        try:
            booked_on = parse_date(raw_date)
        except ValueError as exc:
            if _is_summary(values):
                continue  # "Tổng cộng" / "Total": the statement's own summary line
            raise StatementError(
                exc.args[0], row=number, column="date", header=mapping.date
            ) from None
        lines.append(StatementLine(number, booked_on, amount, reference))
    return lines


_SUMMARY_RE = re.compile(
    r"(tong cong(?! ty)|tong so|tong phat sinh|cong phat sinh|so du|total|closing balance)\b"
)


def _is_summary(values: Sequence[Any]) -> bool:
    return any(isinstance(v, str) and _SUMMARY_RE.match(fold(v)) for v in values)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() in ("", "-"))


_CURRENCY_RE = re.compile(r"(vnd|vnđ|đồng|dong|đ|₫)", re.IGNORECASE)
_GROUPED_RE = re.compile(r"\d{1,3}(?:([.,\s'\u202f])\d{3})+")


def parse_amount(value: Any) -> int:
    """Whole đồng from a statement cell: 150000, '150.000', '150,000', '+150.000 VND',
    '1.500.000,00', '(150.000)' (negative), '150.000-' (negative). ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(_l("not an amount: %(value)s", value=value))
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(_l("not a whole number of đồng: %(value)s", value=value))
        return int(value)
    text = "" if value is None else str(value)
    original = text.strip()
    if not original:
        raise ValueError(_l("the amount is empty"))
    text = _CURRENCY_RE.sub("", original.lower()).replace("\u00a0", " ").strip()
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1].strip()
    if text and text[0] in "+-":
        negative, text = text[0] == "-", text[1:].strip()
    elif text.endswith("-"):
        negative, text = True, text[:-1].strip()
    number = _parse_number(text)
    if number is None:
        raise ValueError(_l("not an amount: “%(value)s”", value=original))
    return -number if negative else number


def _parse_number(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if text.isdigit():
        return int(text)
    # A decimal part: the last '.' or ',' followed by 1-2 digits ('150.000,00', '150000.5').
    decimals = re.fullmatch(r"(.*\d)[.,](\d{1,2})", text)
    if decimals:
        whole, fraction = decimals.groups()
        if int(fraction) != 0:
            return None  # đồng have no subunit
        if whole.isdigit():
            return int(whole)
        text = whole
    grouped = _GROUPED_RE.fullmatch(text)
    if grouped:
        separator = grouped.group(1)
        if all(sep == separator for sep in re.findall(r"\D", text)):
            return int(re.sub(r"\D", "", text))
    return None


_DATE_FORMATS = (
    "%d/%m/%Y",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%d/%m/%y",
)
_TIME_SUFFIX_RE = re.compile(r"^(\S+?)(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[AP]M)?)?$")


def parse_date(value: Any) -> dt.date:
    """A booking date: a date/datetime cell, '26/03/2025', '2025-03-26', '26/03/2025 10:15:00'.
    Day first for slashes, as Vietnamese banks write it. ValueError otherwise."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and 20000 < value < 80000:
        from openpyxl.utils.datetime import from_excel

        return from_excel(value).date()  # an Excel serial date left unformatted
    text = "" if value is None else " ".join(str(value).split())
    if not text:
        raise ValueError(_l("the date is empty"))
    match = _TIME_SUFFIX_RE.match(text.upper())
    if match:
        for fmt in _DATE_FORMATS:
            try:
                return dt.datetime.strptime(match.group(1), fmt).date()
            except ValueError:
                continue
    raise ValueError(_l("not a date: “%(value)s” (expected dd/mm/yyyy)", value=text))


# Header names seen in Vietnamese bank exports (folded), best first.
_DATE_HEADERS = (
    "ngay giao dich",
    "ngay gd",
    "ngay hach toan",
    "ngay hieu luc",
    "ngay",
    "transaction date",
    "posting date",
    "date",
)
_AMOUNT_HEADERS = (
    "so tien ghi co",
    "ghi co",
    "so tien co",
    "phat sinh co",
    "credit",
    "credit amount",
    "so tien",
    "so tien giao dich",
    "amount",
)
_REFERENCE_HEADERS = (
    "noi dung",
    "noi dung giao dich",
    "noi dung chi tiet",
    "mo ta",
    "dien giai",
    "chi tiet giao dich",
    "description",
    "transaction details",
    "details",
    "remarks",
)
_NOT_AMOUNT = ("ghi no", "debit", "so du", "balance", "phi", "fee", "no)")


def _find_header(
    folded: list[str], wanted: Iterable[str], taken: set[int], exclude: Sequence[str] = ()
) -> int | None:
    def usable(i: int) -> bool:
        return i not in taken and bool(folded[i]) and not any(x in folded[i] for x in exclude)

    wanted = tuple(wanted)
    for name in wanted:  # exact names first, in order of preference
        for i, header in enumerate(folded):
            if header == name and usable(i):
                return i
    for name in wanted:  # then headers that contain a known name: "Ngày giao dịch (GMT+7)"
        for i, header in enumerate(folded):
            if re.search(r"\b" + re.escape(name) + r"\b", header) and usable(i):
                return i
    return None


def guess_mapping(headers: list[str], header_row: int = 1) -> ColumnMapping | None:
    """A mapping for common Vietnamese bank headers, or None when a column is not found."""
    folded = [fold(_cell_text(h)) for h in headers]
    taken: set[int] = set()
    found: dict[str, int] = {}
    for column, names, exclude in (
        ("amount", _AMOUNT_HEADERS, _NOT_AMOUNT),
        ("reference", _REFERENCE_HEADERS, ()),
        ("date", _DATE_HEADERS, ()),
    ):
        i = _find_header(folded, names, taken, exclude)
        if i is None:
            return None
        taken.add(i)
        found[column] = i
    return ColumnMapping(
        date=_cell_text(headers[found["date"]]),
        amount=_cell_text(headers[found["amount"]]),
        reference=_cell_text(headers[found["reference"]]),
        header_row=header_row,
    )


def detect_mapping(data: bytes, filename: str = "", scan_rows: int = 30) -> ColumnMapping | None:
    """Find the header row (bank exports start with a title block) and guess the mapping."""
    for number, values in enumerate(read_rows(data, filename)[:scan_rows], start=1):
        mapping = guess_mapping([_cell_text(v) for v in values], header_row=number)
        if mapping is not None:
            return mapping
    return None


# ---------------------------------------------------------------------------------------------
# Matching and importing

_SEP = r"[\s\-_.]*"
_CODE_RE = re.compile(
    ORDER_PREFIX[0] + _SEP + ORDER_PREFIX[1] + "((?:" + _SEP + f"[{ALPHABET}]){{6}})"
)


def find_order_codes(reference: str) -> list[str]:
    """Order codes in a memo, tolerant to what banks do: 'dh 4kq7xa', 'DH-4KQ7XA',
    'CT DEN:123 DH4KQ7XA FT25' -> ['DH4KQ7XA']. Candidates overlap on purpose; the caller keeps
    the ones that are real orders."""
    text = reference.upper()
    codes: list[str] = []
    for start in (m.start() for m in re.finditer(ORDER_PREFIX[0], text)):
        match = _CODE_RE.match(text, start)
        if match:
            code = ORDER_PREFIX + re.sub(r"[^" + ALPHABET + "]", "", match.group(1))
            if code not in codes:
                codes.append(code)
    return codes


def normalize_reference(reference: str) -> str:
    return fold(reference)


def fingerprints(festival_id: int, lines: Sequence[StatementLine]) -> list[str]:
    """sha256 of festival, date, amount, memo and the line's occurrence among identical lines
    of this file: two identical transfers are two rows, the same file twice the same rows."""
    seen: Counter[tuple[str, int, str]] = Counter()
    result = []
    for line in lines:
        key = (line.booked_on.isoformat(), line.amount_vnd, normalize_reference(line.reference))
        occurrence = seen[key]
        seen[key] += 1
        raw = "\x1f".join((str(festival_id), key[0], str(key[1]), key[2], str(occurrence)))
        result.append(hashlib.sha256(raw.encode("utf-8")).hexdigest())
    return result


def _chunks(items: Sequence[str], size: int = 500) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def import_statement(
    festival: Festival,
    lines: list[StatementLine],
    *,
    batch: str,
    record_payment: Callable[[Order, int, str], None],
) -> ImportReport:
    """Store each new statement line with a status and record payments for the matched ones.

    ``record_payment(order, amount_vnd, fingerprint)`` must add the payment and update
    ``order.paid_vnd`` (and the state); it is called inside a SAVEPOINT together with the row
    insert, so a line claimed by a concurrent import records nothing. The orders concerned are
    locked (FOR UPDATE, by id) before any status is decided. Flushes, never commits.
    """
    report = ImportReport()
    prints = fingerprints(festival.id, lines)

    existing: set[str] = set()
    for chunk in _chunks(list(set(prints))):
        existing.update(
            db.session.scalars(
                sa.select(BankStatementRow.fingerprint).where(
                    BankStatementRow.festival_id == festival.id,
                    BankStatementRow.fingerprint.in_(chunk),
                )
            )
        )

    candidates = [find_order_codes(line.reference) for line in lines]
    all_codes = sorted({code for codes in candidates for code in codes})
    orders: dict[str, Order] = {}
    for chunk in _chunks(all_codes):
        for order in db.session.scalars(
            sa.select(Order)
            .where(Order.festival_id == festival.id, Order.code.in_(chunk))
            .order_by(Order.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ):
            orders[order.code] = order

    matched_in_file: set[int] = set()
    for line, fingerprint, codes in zip(lines, prints, candidates, strict=True):
        found = [orders[code] for code in codes if code in orders]
        order = found[0] if len(found) == 1 else None  # two different orders: a person decides
        code = order.code if order else next(iter(codes), None)
        if fingerprint in existing:
            report.add(ReportRow(line.row, ALREADY_IMPORTED, code, line.amount_vnd))
            continue

        status = _status(order, line.amount_vnd, matched_in_file)
        row = BankStatementRow(
            festival_id=festival.id,
            fingerprint=fingerprint,
            booked_on=line.booked_on,
            amount_vnd=line.amount_vnd,
            reference=line.reference[:REFERENCE_MAX],
            status=status,
            order_id=order.id if order else None,
            batch=batch,
        )
        savepoint = db.session.begin_nested()
        try:
            db.session.add(row)
            db.session.flush()
        except IntegrityError:
            savepoint.rollback()  # a concurrent import stored this line first
            report.add(ReportRow(line.row, ALREADY_IMPORTED, code, line.amount_vnd))
            continue
        try:
            if status in PAYING_STATUSES and order is not None:
                record_payment(order, line.amount_vnd, fingerprint)
                db.session.flush()
        except BaseException:
            savepoint.rollback()
            raise
        savepoint.commit()
        existing.add(fingerprint)
        if status == "matched" and order is not None:
            matched_in_file.add(order.id)
        report.add(ReportRow(line.row, status, code, line.amount_vnd))
    return report


def _status(order: Order | None, amount: int, matched_in_file: set[int]) -> str:
    if order is None:
        return "unknown"
    remaining = order.total_vnd - order.paid_vnd
    if remaining <= 0 or order.id in matched_in_file:
        return "duplicate"
    if amount == remaining:
        return "matched"
    if amount < remaining:
        return "partial"
    return "overpaid"
