"""Area operations: search, CSV import with lineage."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from eventday.areas.models import KINDS, LEVELS, Area, AreaLineage
from eventday.extensions import db
from eventday.i18n import fold

DATA_DIR = Path(__file__).parent / "data"
CSV_COLUMNS = ("level", "code", "name", "kind", "parent_code", "valid_from", "valid_to", "replaces")
LEVEL_DEPTH = {"province": 0, "district": 1, "commune": 2}


IMPORT_MESSAGES = {
    "missing_columns": _l("missing columns: %(value)s"),
    "unknown_level": _l("unknown level %(value)s"),
    "unknown_kind": _l("unknown kind %(value)s"),
    "required": _l("code and name are required"),
    "bad_date": _l("%(value)s is not a date (YYYY-MM-DD)"),
    "no_valid_from": _l("valid_from is required"),
    "ends_before_start": _l("valid_to is before valid_from"),
    "parent_missing": _l("parent %(value)s not found (import it first)"),
    "needs_parent": _l("a district or commune needs a parent_code"),
    "bad_replaces": _l("replaces item %(value)s is not level:code"),
    "predecessor_missing": _l("predecessor %(value)s not found on the day before valid_from"),
}


class AreaImportError(ValueError):
    """A CSV row is not acceptable; nothing of the file is imported."""

    def __init__(self, line: int, code: str, value: str = ""):
        super().__init__(f"line {line}: {code} {value}".strip())
        self.line = line
        self.code = code
        self.value = value

    @property
    def message(self) -> str:
        """The reason in the current language."""
        return str(IMPORT_MESSAGES[self.code]).replace("%(value)s", repr(self.value))


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    lineages: int = 0
    errors: list[str] = field(default_factory=list)


def search_areas(
    query: str, *, on: dt.date | None = None, levels: tuple[str, ...] | None = None, limit: int = 20
) -> list[Area]:
    """Areas whose folded name contains every word of the folded query ('tay giang')."""
    words = fold(query).split()
    stmt = sa.select(Area)
    for word in words:
        stmt = stmt.where(Area.name_folded.contains(word, autoescape=True))
    if on is not None:
        stmt = stmt.where(
            Area.valid_from <= on, sa.or_(Area.valid_to.is_(None), Area.valid_to >= on)
        )
    if levels:
        stmt = stmt.where(Area.level.in_(levels))
    # Current units first; then whole-name matches, then names starting with the query
    # ("la ee" puts La Êê before La Dêê); then by level and name.
    folded = " ".join(words)
    closeness = sa.case(
        (Area.name_folded == folded, 0),
        (Area.name_folded.startswith(folded, autoescape=True), 1),
        else_=2,
    )
    depth = sa.case(LEVEL_DEPTH, value=Area.level)
    stmt = stmt.order_by(
        Area.valid_to.is_not(None), closeness, depth, Area.name_folded, Area.id
    ).limit(limit)
    return list(db.session.scalars(stmt))


def _parse_date(value: str, line: int, column: str) -> dt.date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise AreaImportError(line, "bad_date", f"{column}={value}") from exc


def _find(level: str | None, code: str, on: dt.date, below_depth: int | None = None) -> Area | None:
    stmt = sa.select(Area).where(
        Area.code == code,
        Area.valid_from <= on,
        sa.or_(Area.valid_to.is_(None), Area.valid_to >= on),
    )
    if level:
        stmt = stmt.where(Area.level == level)
    candidates = list(db.session.scalars(stmt))
    if below_depth is not None:
        candidates = [a for a in candidates if LEVEL_DEPTH[a.level] < below_depth]
        # The nearest level above wins (district before province for a pre-2025 commune).
        candidates.sort(key=lambda a: -LEVEL_DEPTH[a.level])
    return candidates[0] if candidates else None


def import_areas_csv(text: str) -> ImportResult:
    """Import areas from CSV text (columns: ``CSV_COLUMNS``). Idempotent: a row whose
    (level, code, valid_from) exists updates it. Validates every row before anything is kept:
    on the first error nothing is written (the caller's transaction is rolled back)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise AreaImportError(1, "missing_columns", ", ".join(missing))
    result = ImportResult()
    lineage_rows: list[tuple[int, Area, str]] = []
    for line, row in enumerate(reader, start=2):
        level = (row["level"] or "").strip()
        kind = (row["kind"] or "").strip()
        code = (row["code"] or "").strip()
        name = " ".join((row["name"] or "").split())
        if level not in LEVELS:
            raise AreaImportError(line, "unknown_level", level)
        if kind not in KINDS:
            raise AreaImportError(line, "unknown_kind", kind)
        if not code or not name:
            raise AreaImportError(line, "required")
        valid_from = _parse_date(row["valid_from"], line, "valid_from")
        if valid_from is None:
            raise AreaImportError(line, "no_valid_from")
        valid_to = _parse_date(row["valid_to"], line, "valid_to")
        if valid_to is not None and valid_to < valid_from:
            raise AreaImportError(line, "ends_before_start")
        parent = None
        parent_code = (row["parent_code"] or "").strip()
        if parent_code:
            parent = _find(None, parent_code, valid_from, below_depth=LEVEL_DEPTH[level])
            if parent is None:
                raise AreaImportError(line, "parent_missing", parent_code)
        elif level != "province":
            raise AreaImportError(line, "needs_parent")
        area = db.session.scalar(
            sa.select(Area).where(
                Area.level == level, Area.code == code, Area.valid_from == valid_from
            )
        )
        if area is None:
            area = Area(
                level=level,
                kind=kind,
                code=code,
                name=name,
                parent=parent,
                valid_from=valid_from,
                valid_to=valid_to,
            )
            db.session.add(area)
            result.created += 1
        elif (area.kind, area.name, area.parent_id, area.valid_to) != (
            kind,
            name,
            parent.id if parent else None,
            valid_to,
        ):
            area.kind, area.name, area.parent, area.valid_to = kind, name, parent, valid_to
            area.name_folded = fold(name)
            result.updated += 1
        else:
            result.unchanged += 1
        db.session.flush()
        if (row["replaces"] or "").strip():
            lineage_rows.append((line, area, row["replaces"]))

    for line, area, replaces in lineage_rows:
        day_before = area.valid_from - dt.timedelta(days=1)
        for item in replaces.split(";"):
            item = item.strip()
            if not item:
                continue
            old_level, _, old_code = item.partition(":")
            if old_level not in LEVELS or not old_code:
                raise AreaImportError(line, "bad_replaces", item)
            old = _find(old_level, old_code, day_before)
            if old is None:
                raise AreaImportError(line, "predecessor_missing", item)
            exists = db.session.scalar(
                sa.select(AreaLineage.id).where(
                    AreaLineage.old_area_id == old.id, AreaLineage.new_area_id == area.id
                )
            )
            if exists is None:
                db.session.add(
                    AreaLineage(old_area=old, new_area=area, effective_on=area.valid_from)
                )
                result.lineages += 1
    db.session.flush()
    return result


def import_bundled() -> ImportResult:
    """Load the area data shipped with EventDay (Quảng Nam before 2025, Đà Nẵng after)."""
    total = ImportResult()
    for path in sorted(DATA_DIR.glob("*.csv")):
        r = import_areas_csv(path.read_text(encoding="utf-8"))
        total.created += r.created
        total.updated += r.updated
        total.unchanged += r.unchanged
        total.lineages += r.lineages
    return total


def successors(area: Area) -> list[Area]:
    return list(
        db.session.scalars(
            sa.select(Area)
            .join(AreaLineage, AreaLineage.new_area_id == Area.id)
            .where(AreaLineage.old_area_id == area.id)
            .order_by(Area.name_folded)
        )
    )


def predecessors(area: Area) -> list[Area]:
    return list(
        db.session.scalars(
            sa.select(Area)
            .join(AreaLineage, AreaLineage.old_area_id == Area.id)
            .where(AreaLineage.new_area_id == area.id)
            .order_by(Area.name_folded)
        )
    )


def areas_covering(area: Area) -> list[Area]:
    """The area and every area it was made from or became, and their descendants.

    Filtering festivals by 'former Tây Giang district' then also finds festivals hosted by
    the post-2025 communes that cover it, and the other way round.
    """
    seen: dict[int, Area] = {}
    frontier = [area]
    while frontier:
        node = frontier.pop()
        if node.id in seen:
            continue
        seen[node.id] = node
        frontier.extend(node.children)
        if node.level != "province":
            frontier.extend(successors(node))
    return list(seen.values())
