"""XLSX import of exhibitors and their products: read, validate every cell of both sheets, then
write — or nothing at all.

Sheet "Exhibitors": organisation name, kind, home area code, contact name, phone, email,
website, description vi/en. Sheet "Products": exhibitor (organisation name), product name
vi/en, OCOP group code, stars, score, decision number, decision date, issuing body, valid until,
price min/max, unit. Headers are matched without diacritics, in Vietnamese or English.

Every bad cell is reported by sheet, row and column; a file with any bad cell imports nothing.
Organisations are found by folded name or created; their exhibitor profile is created or
updated; a product is matched by its exhibitor and folded Vietnamese name, so importing the same
file twice updates instead of duplicating. Empty optional cells leave what is stored unchanged.

Imported exhibitors are not exhibitors of the festival yet: that takes a booth application
(``booths.operations``), which issues staff passes, fees and mails.
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
from sqlalchemy.orm import selectinload

from booths.exhibitors import CERTIFICATE_FIELDS
from booths.labels import EXHIBITOR_KIND_LABELS
from booths.models import EXHIBITOR_KINDS, BoothApplication, ExhibitorProfile, Product
from booths.ocop import default_valid_until, normalize_group, stars_for_score
from eventday.accounts.models import Organisation, OrganisationMember
from eventday.areas.models import Area
from eventday.extensions import db
from eventday.i18n import LOCAL_TZ, PhoneError, fold, normalize_phone
from eventday.xlsx import open_workbook

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_ROWS = 2000  # per sheet
ADVISORY_LOCK_KEY = 0x426F6F7468  # "Booth": one exhibitor import at a time on PostgreSQL

# Vietnamese words people write for the kinds (folded).
KIND_ALIASES = {
    "ocop_producer": ("ocop", "chu the ocop", "nha san xuat ocop", "co so san xuat"),
    "cooperative": ("htx", "hop tac xa", "to hop tac"),
    "startup": ("khoi nghiep", "du an khoi nghiep"),
    "enterprise": ("doanh nghiep", "cong ty", "dn"),
    "household_business": ("ho kinh doanh", "ho san xuat", "hkd"),
    "union": ("hoi", "doan the", "hoi doan"),
    "school": ("truong", "truong hoc"),
    "other": ("khac",),
}
# The organisation kind an exhibitor kind implies when the organisation is created.
ORGANISATION_KIND = {
    "ocop_producer": "household_business",
    "cooperative": "cooperative",
    "startup": "startup",
    "enterprise": "enterprise",
    "household_business": "household_business",
    "union": "union",
    "school": "school",
    "other": "enterprise",
}


@dataclass(frozen=True)
class Column:
    key: str
    label_vi: str
    label_en: str
    aliases: tuple[str, ...] = ()
    required: bool = False

    @property
    def header(self) -> str:
        return f"{self.label_vi} ({self.label_en})" + (" *" if self.required else "")


EXHIBITOR_COLUMNS = (
    Column("name", "Tên tổ chức", "Organisation name", ("ten", "ten don vi", "name"), True),
    Column("kind", "Loại hình", "Kind", ("loai", "type"), True),
    Column("area", "Mã địa bàn", "Home area code", ("ma xa", "ma dia phuong", "area code")),
    Column("contact_name", "Người liên hệ", "Contact name", ("lien he", "contact")),
    Column("phone", "Điện thoại", "Phone", ("so dien thoai", "sdt", "phone number")),
    Column("email", "Email", "Email", ("e-mail", "thu dien tu")),
    Column("website", "Trang web", "Website", ("web", "website")),
    Column("description_vi", "Giới thiệu tiếng Việt", "Description vi", ("gioi thieu",)),
    Column("description_en", "Giới thiệu tiếng Anh", "Description en", ("description",)),
)
PRODUCT_COLUMNS = (
    Column("exhibitor", "Tên tổ chức", "Exhibitor", ("organisation name", "don vi"), True),
    Column("name_vi", "Tên sản phẩm", "Product name vi", ("san pham", "ten sp"), True),
    Column("name_en", "Tên tiếng Anh", "Product name en", ("english name",)),
    Column("group", "Mã nhóm OCOP", "OCOP group code", ("nhom", "nhom ocop", "group")),
    Column("stars", "Số sao", "Stars", ("sao", "hang sao")),
    Column("score", "Điểm", "Score", ("diem danh gia",)),
    Column("decision_number", "Số quyết định", "Decision number", ("so qd", "quyet dinh")),
    Column("decision_date", "Ngày quyết định", "Decision date", ("ngay qd", "ngay cap")),
    Column("issuing_body", "Cơ quan cấp", "Issuing body", ("noi cap", "co quan ban hanh")),
    Column("valid_until", "Hiệu lực đến", "Valid until", ("het han", "ngay het han")),
    Column("price_min", "Giá thấp nhất (đồng)", "Price min", ("gia tu", "gia thap nhat")),
    Column("price_max", "Giá cao nhất (đồng)", "Price max", ("gia den", "gia cao nhat")),
    Column("unit", "Đơn vị tính", "Unit", ("dvt", "don vi tinh")),
)
SHEETS = {
    "exhibitors": ("Exhibitors", EXHIBITOR_COLUMNS, ("don vi trung bay", "don vi", "to chuc")),
    "products": ("Products", PRODUCT_COLUMNS, ("san pham",)),
}
SHEET_LABELS = {"exhibitors": _l("Exhibitors"), "products": _l("Products")}


class ExhibitorImportError(ValueError):
    """The file as a whole cannot be read (not an XLSX, a sheet or a column missing)."""

    def __init__(self, message: Any) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


@dataclass
class CellIssue:
    sheet: str  # "exhibitors" or "products"
    row: int  # 1-based spreadsheet row
    letter: str  # spreadsheet column letter, e.g. "C"
    column: str  # the column's header text in the file
    message: Any  # lazy translated text

    @property
    def sheet_label(self) -> str:
        return str(SHEET_LABELS[self.sheet])


@dataclass
class ImportReport:
    issues: list[CellIssue] = field(default_factory=list)
    exhibitor_rows: int = 0
    product_rows: int = 0
    organisations_created: int = 0
    exhibitors_created: int = 0
    exhibitors_updated: int = 0
    products_created: int = 0
    products_updated: int = 0
    imported: bool = False

    @property
    def ok(self) -> bool:
        return not self.issues


# --------------------------------------------------------------------------- reading


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return " ".join(str(value).split())


def _header_keys(text: str) -> set[str]:
    """'Tên tổ chức (Organisation name) *' -> {'ten to chuc', 'organisation name', …}."""
    folded = fold(text).replace("*", "").replace(":", "").strip()
    keys = {folded}
    match = re.fullmatch(r"(.*?)\s*\(([^()]*)\)\s*", folded)
    if match:
        keys.update(part.strip() for part in match.groups() if part.strip())
    return keys


def read_workbook(data: bytes) -> dict[str, list[tuple[int, list[Any]]]]:
    """Each known sheet's non-empty rows as (row number, values); checked by content."""
    workbook = open_workbook(data, ExhibitorImportError, MAX_IMPORT_BYTES)
    try:
        by_title = {fold(ws.title).strip(): ws for ws in workbook.worksheets}
        out: dict[str, list[tuple[int, list[Any]]]] = {}
        for key, (title, _columns, aliases) in SHEETS.items():
            sheet = None
            for name in (fold(title), fold(str(SHEET_LABELS[key])), *aliases):
                sheet = by_title.get(name)
                if sheet is not None:
                    break
            if sheet is None:
                if key == "products":
                    out[key] = []
                    continue
                raise ExhibitorImportError(
                    _l(
                        "The workbook has no sheet “%(sheet)s” (download the template).",
                        sheet=title,
                    )
                )
            sheet.reset_dimensions()  # files from other programs often carry a wrong dimension
            rows: list[tuple[int, list[Any]]] = []
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                if all(_cell_text(v) == "" for v in values):
                    continue
                rows.append((number, list(values)))
                if len(rows) > MAX_ROWS + 1:
                    raise ExhibitorImportError(
                        _l(
                            "Sheet “%(sheet)s” has more than %(max)s rows: split the file.",
                            sheet=title,
                            max=MAX_ROWS,
                        )
                    )
            out[key] = rows
        return out
    finally:
        workbook.close()


def _find_columns(key: str, rows) -> tuple[dict[str, int], dict[str, str]]:
    """Index and header text of each known column; the header is the sheet's first row."""
    title, columns, _aliases = SHEETS[key]
    if not rows:
        if key == "products":
            return {}, {}
        raise ExhibitorImportError(_l("Sheet “%(sheet)s” is empty.", sheet=title))
    aliases = {c.key: {fold(c.label_vi), fold(c.label_en), *c.aliases} for c in columns}
    index: dict[str, int] = {}
    headers: dict[str, str] = {}
    for i, value in enumerate(rows[0][1]):
        text = _cell_text(value)
        keys = _header_keys(text)
        for column in columns:
            if column.key not in index and keys & aliases[column.key]:
                index[column.key] = i
                headers[column.key] = text
                break
    missing = [c for c in columns if c.required and c.key not in index]
    if missing:
        raise ExhibitorImportError(
            _l(
                "Sheet “%(sheet)s”: column “%(column)s” is missing.",
                sheet=title,
                column=missing[0].header,
            )
        )
    return index, headers


# --------------------------------------------------------------------------- values


def _kind_lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for kind in EXHIBITOR_KINDS:
        table[fold(kind)] = kind
        table[fold(kind.replace("_", " "))] = kind
        for alias in KIND_ALIASES.get(kind, ()):
            table[alias] = kind
        for locale in ("vi", "en"):
            with force_locale(locale):
                table[fold(str(EXHIBITOR_KIND_LABELS[kind]))] = kind
    return table


def _int(value: Any) -> int | None:
    """An integer from a number or a text like '50.000' or '50,000 đ'; ValueError if not."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(value)
        return int(value)
    text = _cell_text(value).lower()
    text = re.sub(r"(đồng|đ|vnd|vnđ)$", "", text).strip()
    text = text.replace(".", "").replace(",", "").replace(" ", "")
    if not re.fullmatch(r"-?[0-9]+", text):
        raise ValueError(value)
    return int(text)


def _date(value: Any) -> dt.date:
    """A date cell, or a text '31/12/2024', '31-12-2024' or '2024-12-31'; ValueError if not."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _cell_text(value)
    for pattern in ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a plain date
        except ValueError:
            continue
    raise ValueError(value)


class _AreaFinder:
    """Areas by code, among the units valid on ``on`` (codes are reused after the 2025
    reform). A code Excel turned into a number ('01' -> 1) is padded back."""

    def __init__(self, on: dt.date) -> None:
        self.on = on
        self.cache: dict[str, Area | None] = {}

    def find(self, raw: Any) -> Area | None:
        numeric = isinstance(raw, int | float) and not isinstance(raw, bool)
        text = _cell_text(raw)
        candidates = [text]
        if numeric or text.isdigit():
            candidates += [text.zfill(n) for n in (2, 3, 5) if len(text) < n]
        for code in candidates:
            if code not in self.cache:
                self.cache[code] = db.session.scalar(
                    sa.select(Area)
                    .where(
                        Area.code == code,
                        Area.valid_from <= self.on,
                        sa.or_(Area.valid_to.is_(None), Area.valid_to >= self.on),
                    )
                    .order_by(Area.level, Area.id)
                    .limit(1)
                )
            if self.cache[code] is not None:
                return self.cache[code]
        return None


@dataclass
class _Exhibitor:
    row: int
    name: str
    kind: str
    values: dict[str, Any]  # profile fields given (empty cells left out)
    area: Area | None = None


@dataclass
class _Product:
    row: int
    exhibitor_key: str  # folded organisation name
    values: dict[str, Any]


class _Sheet:
    """Reading one sheet's cells, collecting issues with their row and column."""

    def __init__(self, key: str, rows, report: ImportReport) -> None:
        from openpyxl.utils import get_column_letter

        self.key = key
        self.rows = rows
        self.report = report
        self.index, self.headers = _find_columns(key, rows)
        self.letters = {k: get_column_letter(i + 1) for k, i in self.index.items()}

    def data_rows(self):
        return self.rows[1:]

    def raw(self, values: list[Any], key: str) -> Any:
        i = self.index.get(key)
        return values[i] if i is not None and i < len(values) else None

    def text(self, values: list[Any], key: str) -> str:
        return _cell_text(self.raw(values, key))

    def issue(self, row: int, key: str, message: Any) -> None:
        self.report.issues.append(
            CellIssue(self.key, row, self.letters[key], self.headers[key], message)
        )

    def bounded(self, row: int, values, key: str, limit: int) -> str:
        text = self.text(values, key)
        if len(text) > limit:
            self.issue(row, key, _l("Longer than %(max)s characters.", max=limit))
        return text


def _check_exhibitors(sheet: _Sheet, today: dt.date) -> dict[str, _Exhibitor]:
    kinds = _kind_lookup()
    areas = _AreaFinder(today)
    found: dict[str, _Exhibitor] = {}
    for number, values in sheet.data_rows():
        sheet.report.exhibitor_rows += 1
        name = sheet.bounded(number, values, "name", 255)
        if not name:
            sheet.issue(number, "name", _l("The organisation name is empty."))
        elif fold(name) in found:
            sheet.issue(
                number,
                "name",
                _l("The same organisation as row %(row)s.", row=found[fold(name)].row),
            )
        kind_text = sheet.text(values, "kind")
        kind = kinds.get(fold(kind_text)) if kind_text else None
        if not kind_text:
            sheet.issue(number, "kind", _l("The kind is empty."))
        elif kind is None:
            sheet.issue(
                number,
                "kind",
                _l(
                    "Unknown kind “%(value)s”; use one of: %(kinds)s.",
                    value=kind_text,
                    kinds=", ".join(str(EXHIBITOR_KIND_LABELS[k]) for k in EXHIBITOR_KINDS),
                ),
            )
        fields: dict[str, Any] = {}
        area = None
        area_raw = sheet.raw(values, "area")
        if _cell_text(area_raw):
            area = areas.find(area_raw)
            if area is None:
                sheet.issue(
                    number,
                    "area",
                    _l(
                        "No administrative unit valid today has the code %(code)s.",
                        code=_cell_text(area_raw),
                    ),
                )
        contact = sheet.bounded(number, values, "contact_name", 200)
        if contact:
            fields["contact_name"] = contact
        raw_phone = sheet.raw(values, "phone")
        if isinstance(raw_phone, int | float) and not isinstance(raw_phone, bool):
            raw_phone = "0" + str(int(raw_phone))  # Excel turned 0905… into the number 905…
        phone_text = _cell_text(raw_phone)
        if phone_text:
            try:
                fields["contact_phone"] = normalize_phone(phone_text)
            except PhoneError:
                sheet.issue(
                    number,
                    "phone",
                    _l("“%(value)s” is not a valid phone number.", value=phone_text),
                )
        email_text = sheet.text(values, "email")
        if email_text:
            try:
                fields["contact_email"] = validate_email(
                    email_text, check_deliverability=False
                ).normalized.lower()
            except EmailNotValidError:
                sheet.issue(
                    number,
                    "email",
                    _l("“%(value)s” is not a valid email address.", value=email_text),
                )
        website = sheet.bounded(number, values, "website", 255)
        if website:
            url = website if re.match(r"(?i)https?://", website) else "https://" + website
            if " " in url or not re.fullmatch(r"(?i)https?://[^/\s]+\.[^/\s]+(/.*)?", url):
                sheet.issue(
                    number, "website", _l("“%(value)s” is not a web address.", value=website)
                )
            else:
                fields["website"] = url
        for key in ("description_vi", "description_en"):
            text = sheet.raw(values, key)
            if text is not None and str(text).strip():
                fields[key] = str(text).strip()
        if name and kind:
            found.setdefault(fold(name), _Exhibitor(number, name, kind, fields, area))
    return found


def _not_yours(name: str):
    return _l("“%(name)s” belongs to an exhibitor you cannot change from here.", name=name)


def _check_products(
    sheet: _Sheet,
    in_file: dict[str, _Exhibitor],
    existing: dict[str, ExhibitorProfile],
    today: dt.date,
    refused: set[str] | frozenset[str] = frozenset(),
) -> list[_Product]:
    out: list[_Product] = []
    seen: dict[tuple[str, str], int] = {}
    for number, values in sheet.data_rows():
        sheet.report.product_rows += 1
        row_issues = len(sheet.report.issues)
        exhibitor = sheet.text(values, "exhibitor")
        key = fold(exhibitor)
        if not exhibitor:
            sheet.issue(number, "exhibitor", _l("The exhibitor is empty."))
        elif key not in in_file and key not in existing:
            sheet.issue(
                number,
                "exhibitor",
                _l(
                    "No exhibitor “%(value)s” on the Exhibitors sheet or already registered.",
                    value=exhibitor,
                ),
            )
        elif key in refused and key not in in_file:  # in_file: reported on Exhibitors
            sheet.issue(number, "exhibitor", _not_yours(exhibitor))
        name_vi = sheet.bounded(number, values, "name_vi", 255)
        if not name_vi:
            sheet.issue(number, "name_vi", _l("The product name is empty."))
        elif (key, fold(name_vi)) in seen:
            sheet.issue(
                number,
                "name_vi",
                _l("The same product as row %(row)s.", row=seen[(key, fold(name_vi))]),
            )
        else:
            seen[(key, fold(name_vi))] = number
        values_out: dict[str, Any] = {"name_vi": name_vi}
        name_en = sheet.bounded(number, values, "name_en", 255)
        if name_en:
            values_out["name_en"] = name_en

        group_text = sheet.text(values, "group")
        if group_text:
            group = normalize_group(group_text)
            if group is None:
                sheet.issue(
                    number,
                    "group",
                    _l(
                        "“%(value)s” is not an OCOP group of Decision 148 "
                        "(write it like I.3.c, II.1 or VI).",
                        value=group_text,
                    ),
                )
            else:
                values_out["ocop_group"] = group

        def number_cell(
            column: str, low: int, high: int | None, message, number=number, values=values
        ) -> int | None:
            raw = sheet.raw(values, column)
            if not _cell_text(raw):
                return None
            try:
                value = _int(raw)
            except ValueError:
                sheet.issue(number, column, message)
                return None
            if value < low or (high is not None and value > high):
                sheet.issue(number, column, message)
                return None
            return value

        stars = number_cell("stars", 1, 5, _l("Stars are a whole number from 1 to 5."))
        score = number_cell("score", 0, 100, _l("The score is a whole number from 0 to 100."))
        if score is not None:
            expected = stars_for_score(score)
            if stars is None and _cell_text(sheet.raw(values, "stars")) == "":
                stars = expected
            elif stars is not None and stars != expected:
                sheet.issue(
                    number,
                    "stars",
                    _l(
                        "A score of %(score)s gives %(expected)s stars, not %(stars)s.",
                        score=score,
                        expected=expected,
                        stars=stars,
                    ),
                )
        decision_number = sheet.bounded(number, values, "decision_number", 60)
        issuing_body = sheet.bounded(number, values, "issuing_body", 255)
        decision_date = valid_until = None
        for column in ("decision_date", "valid_until"):
            raw = sheet.raw(values, column)
            if _cell_text(raw):
                try:
                    parsed = _date(raw)
                except ValueError:
                    sheet.issue(
                        number,
                        column,
                        _l("“%(value)s” is not a date (write 31/12/2024).", value=_cell_text(raw)),
                    )
                else:
                    if column == "decision_date":
                        decision_date = parsed
                    else:
                        valid_until = parsed
        has_date_cell = bool(_cell_text(sheet.raw(values, "decision_date")))
        if stars is not None and not has_date_cell:
            sheet.issue(
                number,
                "decision_date" if "decision_date" in sheet.index else "stars",
                _l("A star rating needs the date of its certificate decision."),
            )
        if decision_date is not None and stars is None and score is None:
            sheet.issue(
                number,
                "stars" if "stars" in sheet.index else "decision_date",
                _l("Give the stars (or the score) of this certificate."),
            )
        if decision_date is not None and decision_date > today:
            sheet.issue(number, "decision_date", _l("The decision date is in the future."))
        if decision_date is not None and valid_until is None:
            valid_until = default_valid_until(decision_date)
        if decision_date is not None and valid_until is not None and valid_until < decision_date:
            sheet.issue(number, "valid_until", _l("Valid until is before the decision date."))
        price_min = number_cell(
            "price_min", 0, None, _l("A price is a whole number of đồng, 0 or more.")
        )
        price_max = number_cell(
            "price_max", 0, None, _l("A price is a whole number of đồng, 0 or more.")
        )
        if price_min is not None and price_max is not None and price_max < price_min:
            sheet.issue(number, "price_max", _l("The highest price is below the lowest."))
        unit = sheet.bounded(number, values, "unit", 40)
        certificate = {
            "stars": stars,
            "score": score,
            "decision_number": decision_number or None,
            "decision_date": decision_date,
            "issuing_body": issuing_body or None,
            "valid_until": valid_until,
        }
        if any(v is not None for v in certificate.values()):
            values_out.update(certificate)  # a certificate is replaced as a whole
        for column, value in (
            ("price_min_vnd", price_min),
            ("price_max_vnd", price_max),
            ("unit", unit or None),
        ):
            if value is not None:
                values_out[column] = value
        if len(sheet.report.issues) == row_issues:
            out.append(_Product(number, key, values_out))
    return out


# --------------------------------------------------------------------------- importing


def _existing_profiles(names: set[str]) -> tuple[dict[str, Organisation], dict[str, Any]]:
    """Organisations by folded name (one with an exhibitor profile first, then the oldest),
    and their exhibitor profiles with their products: two queries."""
    if not names:
        return {}, {}
    rows = db.session.execute(
        sa.select(Organisation, ExhibitorProfile.id)
        .outerjoin(ExhibitorProfile, ExhibitorProfile.organisation_id == Organisation.id)
        .where(Organisation.name_folded.in_(names))
        .order_by(ExhibitorProfile.id.is_(None), Organisation.id)
    ).all()
    organisations: dict[str, Organisation] = {}
    profile_ids: dict[str, int] = {}
    for organisation, profile_id in rows:
        if organisation.name_folded in organisations:
            continue
        organisations[organisation.name_folded] = organisation
        if profile_id is not None:
            profile_ids[organisation.name_folded] = profile_id
    if not profile_ids:
        return organisations, {}
    loaded = {
        p.id: p
        for p in db.session.scalars(
            sa.select(ExhibitorProfile)
            .where(ExhibitorProfile.id.in_(profile_ids.values()))
            .options(selectinload(ExhibitorProfile.products))
        )
    }
    return organisations, {key: loaded[pid] for key, pid in profile_ids.items()}


def _changeable_profiles(profiles: dict[str, ExhibitorProfile], festival, user) -> set[int]:
    """Ids of the existing profiles this import may update: the importing user is a member of
    the organisation (or a site admin), or the exhibitor applied for a booth at this festival.
    Two queries; none when nothing exists yet."""
    ids = {p.id for p in profiles.values()}
    if not ids:
        return set()
    if user is not None and getattr(user, "is_admin", False):
        return ids
    allowed: set[int] = set()
    if user is not None and getattr(user, "is_authenticated", False):
        allowed |= set(
            db.session.scalars(
                sa.select(ExhibitorProfile.id)
                .join(
                    OrganisationMember,
                    OrganisationMember.organisation_id == ExhibitorProfile.organisation_id,
                )
                .where(ExhibitorProfile.id.in_(ids), OrganisationMember.user_id == user.id)
            )
        )
    if festival is not None:
        allowed |= set(
            db.session.scalars(
                sa.select(BoothApplication.exhibitor_id).where(
                    BoothApplication.festival_id == festival.id,
                    BoothApplication.exhibitor_id.in_(ids),
                )
            )
        )
    return allowed


def import_exhibitors(
    data: bytes, *, festival=None, user=None, today: dt.date | None = None
) -> ImportReport:
    """Check both sheets, then create or update organisations, exhibitor profiles and
    products — or nothing at all. Raises ExhibitorImportError when the file cannot be read.
    Flushes inside a savepoint, never commits: the caller commits when ``report.ok``.

    An existing exhibitor profile is updated only when ``user`` acts for its organisation or
    it applied for a booth at ``festival``; any other is reported as a bad cell (fail closed:
    without a user and a festival, no existing profile can be changed)."""
    today = today or dt.datetime.now(LOCAL_TZ).date()
    sheets = read_workbook(data)
    report = ImportReport()
    exhibitor_sheet = _Sheet("exhibitors", sheets["exhibitors"], report)
    product_sheet = _Sheet("products", sheets["products"], report)
    in_file = _check_exhibitors(exhibitor_sheet, today)

    if db.session.get_bind().dialect.name == "postgresql":
        # Two imports at once would both create an organisation of the same new name.
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": ADVISORY_LOCK_KEY})
    product_owners = {
        fold(product_sheet.text(v, "exhibitor")) for _n, v in product_sheet.data_rows()
    }
    organisations, profiles = _existing_profiles(set(in_file) | product_owners)
    changeable = _changeable_profiles(profiles, festival, user)
    refused = {key for key, p in profiles.items() if p.id not in changeable}
    for key, item in in_file.items():
        if key in refused:
            exhibitor_sheet.issue(item.row, "name", _not_yours(item.name))
    products = _check_products(product_sheet, in_file, profiles, today, refused)
    if not report.ok:
        return report
    if not in_file and not products:
        return report

    savepoint = db.session.begin_nested()
    try:
        for key, item in in_file.items():
            organisation = organisations.get(key)
            if organisation is None:
                organisation = Organisation(
                    kind=ORGANISATION_KIND[item.kind],
                    area_id=item.area.id if item.area else None,
                    website=item.values.get("website"),
                )
                organisation.set_name(item.name)
                db.session.add(organisation)
                db.session.flush()
                organisations[key] = organisation
                report.organisations_created += 1
            profile = profiles.get(key)
            if profile is None:
                profile = ExhibitorProfile(
                    organisation_id=organisation.id,
                    display_name=item.name,
                    name_folded=fold(item.name),
                    description_vi="",
                    description_en="",
                )
                db.session.add(profile)
                profiles[key] = profile
                report.exhibitors_created += 1
            else:
                report.exhibitors_updated += 1
            profile.kind = item.kind
            profile.display_name = " ".join(item.name.split())
            profile.name_folded = fold(item.name)
            if item.area is not None:
                profile.home_area_id = item.area.id
            for column, value in item.values.items():
                setattr(profile, column, value)
        db.session.flush()
        for item in products:
            profile = profiles[item.exhibitor_key]
            folded = fold(item.values["name_vi"])
            # Matched by the Vietnamese name alone, as the form-made products store
            # name_folded from both names (exhibitors._check_product).
            product = next((p for p in profile.products if fold(p.name_vi) == folded), None)
            if product is None:
                product = Product(
                    position=max((p.position for p in profile.products), default=-1) + 1,
                    description_vi="",
                    description_en="",
                )
                profile.products.append(product)
                report.products_created += 1
            else:
                report.products_updated += 1
            new_values = dict(item.values, name_vi=" ".join(item.values["name_vi"].split()))
            # The rule of exhibitors.update_product: a changed certificate is not verified.
            changed = any(
                getattr(product, f) != new_values[f] for f in CERTIFICATE_FIELDS if f in new_values
            )
            for column, value in new_values.items():
                setattr(product, column, value)
            if changed and product.verified_at is not None:
                product.verified_at = None
                product.verified_by_id = None
            name_en = " ".join((product.name_en or "").split())
            product.name_folded = fold(f"{product.name_vi} {name_en}")[:255]
        db.session.flush()
    except Exception:
        savepoint.rollback()
        raise
    savepoint.commit()
    report.imported = True
    return report


# --------------------------------------------------------------------------- template


def template_xlsx() -> bytes:
    """An empty workbook with both sheets' headers, a drop-down of kinds, an example row each,
    and a sheet listing the kinds and the OCOP groups of Decision 148."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    from booths.ocop import GROUPS

    workbook = Workbook()
    exhibitors = workbook.active
    exhibitors.title = SHEETS["exhibitors"][0]
    products = workbook.create_sheet(SHEETS["products"][0])
    lists = workbook.create_sheet("Lists")
    for sheet, columns in ((exhibitors, EXHIBITOR_COLUMNS), (products, PRODUCT_COLUMNS)):
        sheet.append([c.header for c in columns])
        for i, _column in enumerate(columns, start=1):
            sheet.cell(row=1, column=i).font = Font(bold=True)
            sheet.column_dimensions[get_column_letter(i)].width = 24
        sheet.freeze_panes = "A2"
    exhibitors.append(
        [
            "HTX Nông nghiệp và Dược liệu Tây Giang",
            "cooperative",
            "20455",
            "Bh'riu Liếc",
            "0905 123 456",
            "htx.taygiang@example.vn",
            "",
            "Trà đẳng sâm và dược liệu vùng cao Tây Giang.",
            "Codonopsis tea and mountain herbs from Tây Giang.",
        ]
    )
    products.append(
        [
            "HTX Nông nghiệp và Dược liệu Tây Giang",
            "Trà đẳng sâm",
            "Codonopsis tea",
            "I.5.b",
            4,
            78,
            "1234/QĐ-UBND",
            dt.date(2024, 6, 12),
            "UBND tỉnh Quảng Nam",
            None,
            120000,
            150000,
            "hộp",
        ]
    )
    # Phones and area codes are text: Excel would drop their leading 0.
    for letter in ("C", "E"):
        for row in range(2, MAX_ROWS + 2):
            exhibitors[f"{letter}{row}"].number_format = "@"
    for row in range(2, MAX_ROWS + 2):
        products[f"H{row}"].number_format = "dd/mm/yyyy"
        products[f"J{row}"].number_format = "dd/mm/yyyy"

    lists.append(["Loại hình (Kind)", "", "Mã nhóm OCOP (OCOP group)", "Tên nhóm", "Group"])
    groups = list(GROUPS.items())
    for i in range(max(len(EXHIBITOR_KINDS), len(groups))):
        kind = EXHIBITOR_KINDS[i] if i < len(EXHIBITOR_KINDS) else None
        code, (name_vi, name_en) = groups[i] if i < len(groups) else (None, (None, None))
        lists.append([kind, None, code, name_vi, name_en])
    for letter, width in (("A", 22), ("C", 14), ("D", 44), ("E", 40)):
        lists.column_dimensions[letter].width = width
    validation = DataValidation(
        type="list", formula1=f"=Lists!$A$2:$A${len(EXHIBITOR_KINDS) + 1}", allow_blank=True
    )
    exhibitors.add_data_validation(validation)
    validation.add(f"B2:B{MAX_ROWS + 1}")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
