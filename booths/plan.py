"""Floor plans: halls, zones and booths on a grid of metres; a row of booths at once; CSV export
and import (all or nothing, every bad cell reported); the plan's data for the SVG map.

Operations flush and never commit; they raise :class:`PlanError` (``.field`` names the input it
is about, ``.message()`` is translated). A booth must lie inside its hall and overlap no other
booth of the hall; the check runs under a row lock on the hall (PostgreSQL), so two organizers
placing booths at once cannot both win the same floor.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l
from werkzeug.routing import BuildError

from booths import operations as booking_ops
from booths.labels import BOOTH_KIND_LABELS, BOOTH_STATE_LABELS
from booths.models import BOOTH_KINDS, Booth, BoothBooking, ExhibitorProfile, Hall, Zone
from booths.search import today_local
from booths.states import booth_occupants
from eventday.areas.models import Area
from eventday.extensions import db
from eventday.festivals.models import Festival, ParticipantGroup
from eventday.i18n import format_vnd, localized

DIRECTIONS = ("right", "down")
CODE_RE = re.compile(r"^[A-Z]{1,4}-?[0-9]{1,4}$")
COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_SIZE_M = 500  # a hall or an outdoor ground, in metres
MAX_BOOTH_M = 50
MAX_ROW = 100
MAX_IMPORT_ROWS = 2000

CSV_COLUMNS = (
    "code",
    "hall",
    "zone",
    "x",
    "y",
    "width_m",
    "depth_m",
    "corner",
    "kind",
    "price_vnd",
    "reserved_group",
    "reserved_area_code",
    "blocked",
    "staff_passes",
    "blocked_reason",  # optional, last: why a blocked booth is blocked
)
REQUIRED_COLUMNS = ("code", "hall", "x", "y", "width_m", "depth_m")

_MESSAGES = {
    "code_format": _l(
        "A booth code is 1 to 4 capital letters and 1 to 4 digits, like A01 or OCOP-12."
    ),
    "code_taken": _l("Booth %(code)s exists already in this festival."),
    "code_twice": _l("Booth %(code)s is given twice."),
    "outside_hall": _l(
        "Booth %(code)s does not fit inside %(hall)s (%(width)s × %(depth)s m): "
        "it reaches %(right)s × %(bottom)s m."
    ),
    "zone_outside_hall": _l("The zone does not fit inside %(hall)s (%(width)s × %(depth)s m)."),
    "overlap": _l("Booth %(code)s would overlap booth %(other)s."),
    "hall_too_small": _l(
        "%(hall)s cannot shrink to %(width)s × %(depth)s m: %(what)s would stick out."
    ),
    "size": _l("Sizes are whole metres from 1 to %(max)s."),
    "position": _l("Positions are whole metres from 0."),
    "kind": _l("Unknown booth type."),
    "price": _l("The price is a whole number of đồng, 0 or more."),
    "staff_passes": _l("Staff passes are a whole number from 0 to 50."),
    "direction": _l("The direction is right or down."),
    "count": _l("A row has 1 to %(max)s booths."),
    "name": _l("Give a name (at most 120 characters)."),
    "hall_name_taken": _l("A hall with this name exists already."),
    "zone_name_taken": _l("This hall has a zone with this name already."),
    "color": _l("The colour is written like #e8f1ea."),
    "zone_hall": _l("This zone is in another hall."),
    "unknown_hall": _l("No hall named “%(value)s” in this festival."),
    "unknown_zone": _l("No zone named “%(value)s” in this hall."),
    "unknown_group": _l("No participant group named “%(value)s” in this festival."),
    "unknown_area": _l("No current area with code “%(value)s”."),
    "required": _l("This value is required."),
    "number": _l("“%(value)s” is not a whole number."),
    "boolean": _l("Write yes or no (1 or 0)."),
    "reserved_both": _l("Keep a booth for a group or for a home area, not both."),
    "blocked_reason": _l("Give the reason in at most 200 characters."),
    "booth_in_use": _l("Booth %(code)s is held or booked: free it before deleting it."),
    "csv_header": _l("The first line must name the columns; missing: %(columns)s."),
    "csv_unknown_columns": _l("Unknown columns: %(columns)s."),
    "csv_empty": _l("The file has no booths."),
    "csv_too_long": _l("At most %(max)s booths per file."),
    "csv_encoding": _l("The file is not a UTF-8 CSV file."),
}


class PlanError(Exception):
    """A refused change to the plan: ``reason`` (a key of the messages), ``field`` (the input
    it is about, or None) and the values the message shows."""

    def __init__(self, reason: str, field: str | None = None, **values):
        super().__init__(reason)
        self.reason = reason
        self.field = field
        self.values = values

    def message(self) -> str:
        return (
            str(_MESSAGES[self.reason]) % self.values
            if self.values
            else str(_MESSAGES[self.reason])
        )


# --- halls and zones -----------------------------------------------------------------------


def _name(value: str, field: str = "name") -> str:
    name = " ".join((value or "").split())
    if not name or len(name) > 120:
        raise PlanError("name", field)
    return name


def _size(value, field: str, maximum: int = MAX_SIZE_M) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= maximum:
        raise PlanError("size", field, max=maximum)
    return value


def _pos(value, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_SIZE_M:
        raise PlanError("position", field)
    return value


def _lock_hall(hall: Hall) -> None:
    """Serialise changes to one hall's floor (a no-op on SQLite, which locks the database)."""
    if hall.id is not None:
        db.session.execute(sa.select(Hall.id).where(Hall.id == hall.id).with_for_update())


def save_hall(
    festival: Festival,
    hall: Hall | None,
    *,
    name: str,
    width_m: int,
    depth_m: int,
    outdoor: bool = False,
) -> Hall:
    """Create a hall (``hall`` None) or change one; a hall cannot shrink under its booths or
    zones."""
    name = _name(name)
    width_m = _size(width_m, "width_m")
    depth_m = _size(depth_m, "depth_m")
    taken = db.session.scalar(
        sa.select(Hall.id).where(
            Hall.festival_id == festival.id,
            Hall.name == name,
            Hall.id != (hall.id if hall is not None and hall.id is not None else -1),
        )
    )
    if taken is not None:
        raise PlanError("hall_name_taken", "name")
    if hall is None:
        position = db.session.scalar(
            sa.select(sa.func.count(Hall.id)).where(Hall.festival_id == festival.id)
        )
        hall = Hall(festival_id=festival.id, position=position or 0)
        db.session.add(hall)
    else:
        _lock_hall(hall)
        for booth in db.session.scalars(
            sa.select(Booth).where(Booth.hall_id == hall.id).order_by(Booth.code)
        ):
            if booth.x + booth.width_m > width_m or booth.y + booth.depth_m > depth_m:
                raise PlanError(
                    "hall_too_small",
                    "width_m",
                    hall=name,
                    width=width_m,
                    depth=depth_m,
                    what=booth.code,
                )
        for zone in hall.zones:
            if zone.x + zone.width_m > width_m or zone.y + zone.depth_m > depth_m:
                raise PlanError(
                    "hall_too_small",
                    "width_m",
                    hall=name,
                    width=width_m,
                    depth=depth_m,
                    what=zone.name,
                )
    hall.name, hall.width_m, hall.depth_m, hall.outdoor = name, width_m, depth_m, bool(outdoor)
    db.session.flush()
    return hall


def save_zone(
    hall: Hall,
    zone: Zone | None,
    *,
    name: str,
    x: int,
    y: int,
    width_m: int,
    depth_m: int,
    color: str = "#e8f1ea",
) -> Zone:
    """Create a zone of ``hall`` (``zone`` None) or change one; it must fit inside the hall."""
    name = _name(name)
    x, y = _pos(x, "x"), _pos(y, "y")
    width_m, depth_m = _size(width_m, "width_m"), _size(depth_m, "depth_m")
    color = (color or "").strip() or "#e8f1ea"
    if not COLOR_RE.match(color):
        raise PlanError("color", "color")
    if x + width_m > hall.width_m or y + depth_m > hall.depth_m:
        raise PlanError(
            "zone_outside_hall", "x", hall=hall.name, width=hall.width_m, depth=hall.depth_m
        )
    taken = db.session.scalar(
        sa.select(Zone.id).where(
            Zone.hall_id == hall.id,
            Zone.name == name,
            Zone.id != (zone.id if zone is not None and zone.id is not None else -1),
        )
    )
    if taken is not None:
        raise PlanError("zone_name_taken", "name")
    if zone is None:
        zone = Zone(festival_id=hall.festival_id, hall_id=hall.id, position=len(hall.zones))
        db.session.add(zone)
    zone.hall_id = hall.id
    zone.name, zone.x, zone.y, zone.width_m, zone.depth_m = name, x, y, width_m, depth_m
    zone.color = color.lower()
    db.session.flush()
    return zone


def delete_zone(zone: Zone) -> None:
    """Remove a zone; its booths stay, without a zone."""
    db.session.execute(sa.update(Booth).where(Booth.zone_id == zone.id).values(zone_id=None))
    db.session.delete(zone)
    db.session.flush()


# --- booths --------------------------------------------------------------------------------


@dataclasses.dataclass
class BoothData:
    code: str
    x: int
    y: int
    width_m: int = 3
    depth_m: int = 3
    zone_id: int | None = None
    corner: bool = False
    kind: str = "ocop"
    price_vnd: int = 0
    reserved_group_id: int | None = None
    reserved_area_id: int | None = None
    blocked: bool = False
    blocked_reason: str | None = None
    staff_passes: int = 2


def normalize_code(code: str) -> str:
    return "".join((code or "").split()).upper()


def check_code(code: str, field: str = "code") -> str:
    code = normalize_code(code)
    if not CODE_RE.match(code):
        raise PlanError("code_format", field)
    return code


def _overlaps(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    ax, ay, aw, ad = a
    bx, by, bw, bd = b
    return ax < bx + bw and bx < ax + aw and ay < by + bd and by < ay + ad


def _check_fits(hall: Hall, code: str, rect: tuple[int, int, int, int]) -> None:
    x, y, w, d = rect
    if x + w > hall.width_m or y + d > hall.depth_m:
        raise PlanError(
            "outside_hall",
            "x",
            code=code,
            hall=hall.name,
            width=hall.width_m,
            depth=hall.depth_m,
            right=x + w,
            bottom=y + d,
        )


def _others(hall: Hall, exclude_ids: set[int]) -> list[tuple[int, str, tuple[int, int, int, int]]]:
    rows = db.session.execute(
        sa.select(Booth.id, Booth.code, Booth.x, Booth.y, Booth.width_m, Booth.depth_m).where(
            Booth.hall_id == hall.id
        )
    )
    return [(bid, code, (x, y, w, d)) for bid, code, x, y, w, d in rows if bid not in exclude_ids]


def _zone_for(hall: Hall, zone_id: int | None, rect) -> int | None:
    """The given zone (checked to be of the hall), else the zone holding the booth's centre."""
    if zone_id is not None:
        zone = db.session.get(Zone, zone_id)
        if zone is None or zone.hall_id != hall.id:
            raise PlanError("zone_hall", "zone_id")
        return zone.id
    cx, cy = rect[0] + rect[2] / 2, rect[1] + rect[3] / 2
    for zone in hall.zones:
        if zone.x <= cx <= zone.x + zone.width_m and zone.y <= cy <= zone.y + zone.depth_m:
            return zone.id
    return None


def _check_fields(data: BoothData) -> BoothData:
    data.code = check_code(data.code)
    data.x, data.y = _pos(data.x, "x"), _pos(data.y, "y")
    data.width_m = _size(data.width_m, "width_m", MAX_BOOTH_M)
    data.depth_m = _size(data.depth_m, "depth_m", MAX_BOOTH_M)
    if data.kind not in BOOTH_KINDS:
        raise PlanError("kind", "kind")
    if not isinstance(data.price_vnd, int) or data.price_vnd < 0:
        raise PlanError("price", "price_vnd")
    if not isinstance(data.staff_passes, int) or not 0 <= data.staff_passes <= 50:
        raise PlanError("staff_passes", "staff_passes")
    if data.reserved_group_id is not None and data.reserved_area_id is not None:
        raise PlanError("reserved_both", "reserved_group_id")
    reason = " ".join((data.blocked_reason or "").split()) or None
    if reason is not None and len(reason) > 200:
        raise PlanError("blocked_reason", "blocked_reason")
    data.blocked_reason = reason if data.blocked else None
    return data


# What a booth takes from ``BoothData`` as it is (its hall, zone and code are set apart).
BOOTH_FIELDS = (
    "x",
    "y",
    "width_m",
    "depth_m",
    "corner",
    "kind",
    "price_vnd",
    "reserved_group_id",
    "reserved_area_id",
    "blocked",
    "blocked_reason",
    "staff_passes",
)


def _fill(booth: Booth, data: BoothData) -> None:
    for name in BOOTH_FIELDS:
        setattr(booth, name, getattr(data, name))


def save_booth(hall: Hall, booth: Booth | None, data: BoothData) -> Booth:
    """Create a booth in ``hall`` (``booth`` None) or change one (fields, place, size, hall).

    Refused when the code is taken or badly formed, the booth sticks out of the hall, or it
    overlaps another booth."""
    data = _check_fields(data)
    _lock_hall(hall)
    rect = (data.x, data.y, data.width_m, data.depth_m)
    _check_fits(hall, data.code, rect)
    own = {booth.id} if booth is not None and booth.id is not None else set()
    for _id, code, other in _others(hall, own):
        if _overlaps(rect, other):
            raise PlanError("overlap", "x", code=data.code, other=code)
    taken = db.session.scalar(
        sa.select(Booth.id).where(
            Booth.festival_id == hall.festival_id,
            Booth.code == data.code,
            Booth.id != (booth.id if own else -1),
        )
    )
    if taken is not None:
        raise PlanError("code_taken", "code", code=data.code)
    zone_id = _zone_for(hall, data.zone_id, rect)
    if data.reserved_group_id is not None:
        group = db.session.get(ParticipantGroup, data.reserved_group_id)
        if group is None or group.festival_id != hall.festival_id:
            raise PlanError("unknown_group", "reserved_group_id", value=data.reserved_group_id)
    if booth is None:
        booth = Booth(festival_id=hall.festival_id)
        db.session.add(booth)
    booth.hall_id = hall.id
    booth.zone_id = zone_id
    booth.code = data.code
    _fill(booth, data)
    db.session.flush()
    return booth


def move_booth(
    booth: Booth, x: int, y: int, width_m: int | None = None, depth_m: int | None = None
) -> Booth:
    """Move (and optionally resize) a booth within its hall."""
    data = booth_data(booth)
    data.x, data.y = x, y
    if width_m is not None:
        data.width_m = width_m
    if depth_m is not None:
        data.depth_m = depth_m
    data.zone_id = None  # the zone follows the booth's new place
    return save_booth(booth.hall, booth, data)


def booth_data(booth: Booth) -> BoothData:
    return BoothData(**{f.name: getattr(booth, f.name) for f in dataclasses.fields(BoothData)})


def delete_booth(booth: Booth) -> None:
    """Remove a booth that nobody holds or has booked. The booth row is locked first, as a
    hold locks it, so a hold cannot slip in between the check and the delete."""
    booking_ops.lock_booths([booth.id])
    active = db.session.scalar(
        sa.select(BoothBooking.id).where(BoothBooking.booth_id == booth.id, BoothBooking.active)
    )
    if active is not None:
        raise PlanError("booth_in_use", None, code=booth.code)
    db.session.delete(booth)
    db.session.flush()


def add_row(
    hall: Hall,
    zone: Zone | None,
    prefix: str,
    start_number: int,
    count: int,
    x: int,
    y: int,
    width: int,
    depth: int,
    direction: str,
    kind: str,
    price: int,
    *,
    corner_ends: bool = False,
    staff_passes: int = 2,
    digits: int = 2,
) -> list[Booth]:
    """``count`` booths side by side from (x, y) going ``right`` or ``down``, coded
    prefix + number (A01, A02, …). All or nothing: the first refused booth refuses the row.
    ``corner_ends`` marks the two end booths as corner booths (open on two sides)."""
    if direction not in DIRECTIONS:
        raise PlanError("direction", "direction")
    if not isinstance(count, int) or not 1 <= count <= MAX_ROW:
        raise PlanError("count", "count", max=MAX_ROW)
    if not isinstance(start_number, int) or start_number < 0:
        raise PlanError("position", "start_number")
    prefix = normalize_code(prefix)
    if zone is not None and zone.hall_id != hall.id:
        raise PlanError("zone_hall", "zone_id")
    booths = []
    with db.session.begin_nested():
        for i in range(count):
            bx = x + i * width if direction == "right" else x
            by = y + i * depth if direction == "down" else y
            code = f"{prefix}{start_number + i:0{digits}d}"
            booths.append(
                save_booth(
                    hall,
                    None,
                    BoothData(
                        code=code,
                        x=bx,
                        y=by,
                        width_m=width,
                        depth_m=depth,
                        zone_id=zone.id if zone is not None else None,
                        corner=corner_ends and i in (0, count - 1),
                        kind=kind,
                        price_vnd=price,
                        staff_passes=staff_passes,
                    ),
                )
            )
    return booths


# --- CSV -----------------------------------------------------------------------------------


def _yes(value: bool) -> str:
    return "1" if value else "0"


def _safe(text: str | None) -> str:
    """Free text for a spreadsheet: a leading = + - @ would be read as a formula, so it gets a
    quote (which the import takes off again)."""
    text = text or ""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _unsafe(text: str) -> str:
    return text[1:] if text[:2] in ("'=", "'+", "'-", "'@") else text


def export_csv(festival: Festival) -> str:
    """Every booth of the festival as CSV (UTF-8 with a BOM, for Excel), by hall and code."""
    rows = db.session.execute(
        sa.select(Booth, Hall.name, Zone.name, ParticipantGroup.name_vi, Area.code)
        .join(Hall, Hall.id == Booth.hall_id)
        .outerjoin(Zone, Zone.id == Booth.zone_id)
        .outerjoin(ParticipantGroup, ParticipantGroup.id == Booth.reserved_group_id)
        .outerjoin(Area, Area.id == Booth.reserved_area_id)
        .where(Booth.festival_id == festival.id)
        .order_by(Hall.position, Hall.id, Booth.code)
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for booth, hall, zone, group, area_code in rows:
        writer.writerow(
            [
                booth.code,
                _safe(hall),
                _safe(zone),
                booth.x,
                booth.y,
                booth.width_m,
                booth.depth_m,
                _yes(booth.corner),
                booth.kind,
                booth.price_vnd,
                _safe(group),
                area_code or "",
                _yes(booth.blocked),
                booth.staff_passes,
                _safe(booth.blocked_reason),
            ]
        )
    return "\ufeff" + out.getvalue()


@dataclasses.dataclass
class RowIssue:
    row: int  # the line in the file (the header is line 1)
    column: str | None
    message: str


@dataclasses.dataclass
class ImportReport:
    ok: bool
    created: int = 0
    updated: int = 0
    issues: list[RowIssue] = dataclasses.field(default_factory=list)


_TRUE = {"1", "yes", "y", "true", "x", "có", "co", "c"}
_FALSE = {"", "0", "no", "n", "false", "không", "khong", "k"}


def _parse_int(value: str) -> int:
    cleaned = value.replace(".", "").replace(",", "").replace(" ", "").replace("\u00a0", "")
    if not re.fullmatch(r"-?[0-9]+", cleaned):
        raise PlanError("number", value=value)
    return int(cleaned)


def _parse_bool(value: str) -> bool:
    folded = value.strip().lower()
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise PlanError("boolean")


def _read_csv(data: bytes | str) -> list[list[str]]:
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise PlanError("csv_encoding") from exc
    data = data.lstrip("\ufeff")
    first = data.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    return list(csv.reader(io.StringIO(data), delimiter=delimiter))


def import_csv(festival: Festival, data: bytes | str) -> ImportReport:
    """Create or update booths (matched by code) from a CSV file. Every row is checked first —
    each cell, then the whole layout (inside the hall, no overlap, with the booths already on
    the plan); one bad row and nothing is written. Booths missing from the file stay."""
    try:
        rows = _read_csv(data)
    except PlanError as exc:
        return ImportReport(ok=False, issues=[RowIssue(1, None, exc.message())])
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        return ImportReport(ok=False, issues=[RowIssue(1, None, PlanError("csv_empty").message())])
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [h for h in header if h and h not in CSV_COLUMNS]
    issues = []
    if missing:
        issues.append(
            RowIssue(1, None, PlanError("csv_header", columns=", ".join(missing)).message())
        )
    if unknown:
        issues.append(
            RowIssue(
                1, None, PlanError("csv_unknown_columns", columns=", ".join(unknown)).message()
            )
        )
    if issues:
        return ImportReport(ok=False, issues=issues)
    body = rows[1:]
    if not body:
        return ImportReport(ok=False, issues=[RowIssue(1, None, PlanError("csv_empty").message())])
    if len(body) > MAX_IMPORT_ROWS:
        return ImportReport(
            ok=False,
            issues=[RowIssue(1, None, PlanError("csv_too_long", max=MAX_IMPORT_ROWS).message())],
        )

    # Everything the rows may refer to, each in one query.
    halls = {
        h.name.casefold(): h
        for h in db.session.scalars(sa.select(Hall).where(Hall.festival_id == festival.id))
    }
    zones = {
        (z.hall_id, z.name.casefold()): z
        for z in db.session.scalars(sa.select(Zone).where(Zone.festival_id == festival.id))
    }
    groups = {}
    for g in db.session.scalars(
        sa.select(ParticipantGroup).where(ParticipantGroup.festival_id == festival.id)
    ):
        groups[g.name_vi.casefold()] = g
        if g.name_en:
            groups.setdefault(g.name_en.casefold(), g)
    existing = {
        b.code: b
        for b in db.session.scalars(sa.select(Booth).where(Booth.festival_id == festival.id))
    }
    today = today_local()
    area_codes = set()
    index = {name: i for i, name in enumerate(header)}

    def cell(row: list[str], column: str) -> str:
        i = index.get(column)
        return _unsafe(row[i].strip()) if i is not None and i < len(row) else ""

    for row in body:
        if value := cell(row, "reserved_area_code"):
            area_codes.add(value)
    areas = {}
    if area_codes:
        for a in db.session.scalars(
            sa.select(Area)
            .where(
                Area.code.in_(area_codes),
                Area.valid_from <= today,
                sa.or_(Area.valid_to.is_(None), Area.valid_to >= today),
            )
            .order_by(Area.id)
        ):
            areas.setdefault(a.code, a)

    parsed: list[tuple[int, Hall, BoothData]] = []
    seen: dict[str, int] = {}
    for n, row in enumerate(body, start=2):
        row_issues = []

        def fail(column: str | None, error: PlanError, row_issues=row_issues, n=n) -> None:
            row_issues.append(RowIssue(n, column, error.message()))

        values: dict = {}
        for column in REQUIRED_COLUMNS:
            if not cell(row, column):
                fail(column, PlanError("required"))
        code = cell(row, "code")
        if code:
            try:
                code = check_code(code)
            except PlanError as exc:
                fail("code", exc)
            else:
                if code in seen:
                    fail("code", PlanError("code_twice", code=code))
                seen.setdefault(code, n)
        hall = None
        if name := cell(row, "hall"):
            hall = halls.get(" ".join(name.split()).casefold())
            if hall is None:
                fail("hall", PlanError("unknown_hall", value=name))
        zone_id = None
        if (name := cell(row, "zone")) and hall is not None:
            zone = zones.get((hall.id, " ".join(name.split()).casefold()))
            if zone is None:
                fail("zone", PlanError("unknown_zone", value=name))
            else:
                zone_id = zone.id
        for column, default, check in (
            ("x", None, lambda v, c: _pos(v, c)),
            ("y", None, lambda v, c: _pos(v, c)),
            ("width_m", None, lambda v, c: _size(v, c, MAX_BOOTH_M)),
            ("depth_m", None, lambda v, c: _size(v, c, MAX_BOOTH_M)),
            ("price_vnd", 0, None),
            ("staff_passes", 2, None),
        ):
            raw = cell(row, column)
            if not raw:
                values[column] = default
                continue
            try:
                value = _parse_int(raw)
                if check is not None:
                    value = check(value, column)
                elif column == "price_vnd" and value < 0:
                    raise PlanError("price")
                elif column == "staff_passes" and not 0 <= value <= 50:
                    raise PlanError("staff_passes")
            except PlanError as exc:
                fail(column, exc)
            else:
                values[column] = value
        for column in ("corner", "blocked"):
            try:
                values[column] = _parse_bool(cell(row, column))
            except PlanError as exc:
                fail(column, exc)
        kind = cell(row, "kind").lower() or "ocop"
        if kind not in BOOTH_KINDS:
            fail("kind", PlanError("kind"))
        group_id = area_id = None
        if name := cell(row, "reserved_group"):
            group = groups.get(" ".join(name.split()).casefold())
            if group is None:
                fail("reserved_group", PlanError("unknown_group", value=name))
            else:
                group_id = group.id
        if value := cell(row, "reserved_area_code"):
            area = areas.get(value)
            if area is None:
                fail("reserved_area_code", PlanError("unknown_area", value=value))
            else:
                area_id = area.id
        if group_id is not None and area_id is not None:
            fail("reserved_area_code", PlanError("reserved_both"))
        reason = " ".join(cell(row, "blocked_reason").split()) or None
        if reason is not None and len(reason) > 200:
            fail("blocked_reason", PlanError("blocked_reason"))
        if row_issues:
            issues.extend(row_issues)
            continue
        data = BoothData(
            code=code,
            x=values["x"],
            y=values["y"],
            width_m=values["width_m"],
            depth_m=values["depth_m"],
            zone_id=zone_id,
            corner=values["corner"],
            kind=kind,
            price_vnd=values["price_vnd"],
            reserved_group_id=group_id,
            reserved_area_id=area_id,
            blocked=values["blocked"],
            blocked_reason=reason if values["blocked"] else None,
            staff_passes=values["staff_passes"],
        )
        try:
            _check_fits(hall, code, (data.x, data.y, data.width_m, data.depth_m))
        except PlanError as exc:
            fail("x", exc)
            issues.extend(row_issues)
            continue
        parsed.append((n, hall, data))

    # The layout as it would be: booths kept as they are, plus the file's rows.
    in_file = {data.code for _n, _h, data in parsed} | set(seen)
    placed: dict[int, list[tuple[str, tuple[int, int, int, int]]]] = {}
    for booth in existing.values():
        if booth.code not in in_file:
            placed.setdefault(booth.hall_id, []).append(
                (booth.code, (booth.x, booth.y, booth.width_m, booth.depth_m))
            )
    for n, hall, data in parsed:
        rect = (data.x, data.y, data.width_m, data.depth_m)
        clash = next((c for c, r in placed.get(hall.id, []) if _overlaps(rect, r)), None)
        if clash is not None:
            issues.append(
                RowIssue(n, "x", PlanError("overlap", code=data.code, other=clash).message())
            )
        placed.setdefault(hall.id, []).append((data.code, rect))
    if issues:
        issues.sort(key=lambda i: (i.row, CSV_COLUMNS.index(i.column) if i.column else -1))
        return ImportReport(ok=False, issues=issues)

    report = ImportReport(ok=True)
    for hall_id in sorted({hall.id for _n, hall, _d in parsed}):
        db.session.execute(sa.select(Hall.id).where(Hall.id == hall_id).with_for_update())
    with db.session.begin_nested():
        for _n, hall, data in parsed:
            booth = existing.get(data.code)
            if booth is None:
                booth = Booth(festival_id=festival.id, code=data.code)
                db.session.add(booth)
                report.created += 1
            else:
                report.updated += 1
            booth.hall_id = hall.id
            booth.zone_id = (
                data.zone_id
                if data.zone_id is not None
                else _zone_for(hall, None, (data.x, data.y, data.width_m, data.depth_m))
            )
            _fill(booth, data)
        db.session.flush()
    return report


# --- the plan's data -----------------------------------------------------------------------


def _url(endpoint: str, **values) -> str | None:
    try:
        return url_for(endpoint, **values)
    except BuildError:  # the endpoint is not there (yet)
        return None


def plan_data(
    festival: Festival, *, for_organizer: bool, highlight: set[int] | list[int] | None = None
) -> dict:
    """The plan as plan.json serves it. A fixed number of queries whatever the size: halls,
    zones, booths (with their reservations), states, exhibitors' names.

    Visitors see who has a booked booth; organizers also see who holds or awaits one (and the
    organizer-only fields the editor needs)."""
    halls = db.session.scalars(
        sa.select(Hall).where(Hall.festival_id == festival.id).order_by(Hall.position, Hall.id)
    ).all()
    zones = db.session.scalars(
        sa.select(Zone).where(Zone.festival_id == festival.id).order_by(Zone.position, Zone.id)
    ).all()
    booth_rows = db.session.execute(
        sa.select(Booth, ParticipantGroup, Area.name, Area.code)
        .outerjoin(ParticipantGroup, ParticipantGroup.id == Booth.reserved_group_id)
        .outerjoin(Area, Area.id == Booth.reserved_area_id)
        .where(Booth.festival_id == festival.id)
        .order_by(Booth.code)
    ).all()
    occupants = booth_occupants(festival.id)
    shown_states = ("held", "pending", "booked") if for_organizer else ("booked",)
    exhibitor_ids = {ex for state, _app, ex in occupants.values() if ex and state in shown_states}
    names = {}
    if exhibitor_ids:
        names = dict(
            db.session.execute(
                sa.select(ExhibitorProfile.id, ExhibitorProfile.display_name).where(
                    ExhibitorProfile.id.in_(exhibitor_ids)
                )
            ).all()
        )
    highlight = set(highlight or ())
    by_hall: dict[int, list] = {}
    for zone in zones:
        by_hall.setdefault(zone.hall_id, []).append(
            {
                "id": zone.id,
                "name": zone.name,
                "color": zone.color,
                "x": zone.x,
                "y": zone.y,
                "width_m": zone.width_m,
                "depth_m": zone.depth_m,
            }
        )
    booths = []
    for booth, group, area_name, area_code in booth_rows:
        state, application_id, exhibitor_id = occupants.get(booth.id, ("available", None, None))
        exhibitor = None
        if exhibitor_id is not None and exhibitor_id in names and state in shown_states:
            exhibitor = {
                "id": exhibitor_id,
                "name": names[exhibitor_id],
                "url": _url("booths.exhibitor_page", slug=festival.slug, exhibitor_id=exhibitor_id),
            }
        item = {
            "id": booth.id,
            "code": booth.code,
            "hall_id": booth.hall_id,
            "zone_id": booth.zone_id,
            "x": booth.x,
            "y": booth.y,
            "width_m": booth.width_m,
            "depth_m": booth.depth_m,
            "corner": booth.corner,
            "kind": booth.kind,
            "kind_label": str(BOOTH_KIND_LABELS[booth.kind]),
            "price_vnd": booth.price_vnd,
            "price": format_vnd(booth.price_vnd),
            "state": state,
            "state_label": str(BOOTH_STATE_LABELS[state]),
            "reserved": localized(group, "name") if group is not None else area_name,
            "exhibitor": exhibitor,
            "url": _url("booths.booth_page", slug=festival.slug, code=booth.code),
            "highlight": booth.id in highlight,
        }
        if for_organizer:
            item.update(
                reserved_group_id=booth.reserved_group_id,
                reserved_area_id=booth.reserved_area_id,
                reserved_area_code=area_code,
                blocked=booth.blocked,
                blocked_reason=booth.blocked_reason,
                staff_passes=booth.staff_passes,
                application_id=application_id,
            )
        booths.append(item)
    return {
        "halls": [
            {
                "id": hall.id,
                "name": hall.name,
                "width_m": hall.width_m,
                "depth_m": hall.depth_m,
                "outdoor": hall.outdoor,
                "zones": by_hall.get(hall.id, []),
            }
            for hall in halls
        ],
        "booths": booths,
        "states": {k: str(v) for k, v in BOOTH_STATE_LABELS.items()},
        "kinds": {k: str(v) for k, v in BOOTH_KIND_LABELS.items()},
    }
