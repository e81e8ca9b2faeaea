"""Administrative areas: a hierarchy with validity periods and old -> new lineage."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventday.db import Base, IdMixin, enum_check
from eventday.i18n import fold

LEVELS = ("province", "district", "commune")
KINDS = ("tinh", "thanh_pho", "huyen", "thi_xa", "xa", "phuong", "thi_tran", "dac_khu")
OFFICIAL_KIND_NAMES = {
    "tinh": "tỉnh",
    "thanh_pho": "thành phố",
    "huyen": "huyện",
    "thi_xa": "thị xã",
    "xa": "xã",
    "phuong": "phường",
    "thi_tran": "thị trấn",
    "dac_khu": "đặc khu",
}


class Area(IdMixin, Base):
    """A province, district or commune, valid from one date to another (or still valid).

    Codes are reused after the 2025 reform, so a code is unique only together with its level
    and the start of its validity.
    """

    __tablename__ = "areas"
    __table_args__ = (
        sa.UniqueConstraint("level", "code", "valid_from"),
        enum_check("level", LEVELS),
        enum_check("kind", KINDS),
        sa.CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="validity_ordered"),
    )

    level: Mapped[str] = mapped_column(sa.String(16))
    kind: Mapped[str] = mapped_column(sa.String(16))
    code: Mapped[str] = mapped_column(sa.String(16), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    name_folded: Mapped[str] = mapped_column(sa.String(200), index=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("areas.id"), index=True)
    valid_from: Mapped[dt.date] = mapped_column(sa.Date)
    valid_to: Mapped[dt.date | None] = mapped_column(sa.Date)

    parent: Mapped[Area | None] = relationship(remote_side="Area.id", back_populates="children")
    children: Mapped[list[Area]] = relationship(back_populates="parent")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.name_folded = fold(self.name)

    @property
    def is_current(self) -> bool:
        return self.valid_to is None or self.valid_to >= dt.date.today()

    def is_valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or self.valid_to >= day)

    @property
    def kind_label(self) -> str:
        from eventday.areas.util import KIND_LABELS

        return str(KIND_LABELS[self.kind])

    @property
    def full_name(self) -> str:
        """'xã Tây Giang' / 'huyện Đông Giang': the official Vietnamese name, in every UI
        language (it is a proper name, as on official documents and maps)."""
        return f"{OFFICIAL_KIND_NAMES[self.kind]} {self.name}"

    @property
    def path_name(self) -> str:
        """'xã Tây Giang, thành phố Đà Nẵng' — the unit with its parents, as on a letter."""
        names = [self.full_name]
        node = self.parent
        while node is not None:
            names.append(node.full_name)
            node = node.parent
        return ", ".join(names)

    def __repr__(self) -> str:
        return f"<Area {self.level}:{self.code} {self.name}>"


class AreaLineage(IdMixin, Base):
    """An old unit (fully or partly) became a new unit on ``effective_on``."""

    __tablename__ = "area_lineages"
    __table_args__ = (
        sa.UniqueConstraint("old_area_id", "new_area_id"),
        sa.CheckConstraint("old_area_id <> new_area_id", name="not_self"),
    )

    old_area_id: Mapped[int] = mapped_column(
        sa.ForeignKey("areas.id", ondelete="CASCADE"), index=True
    )
    new_area_id: Mapped[int] = mapped_column(
        sa.ForeignKey("areas.id", ondelete="CASCADE"), index=True
    )
    effective_on: Mapped[dt.date] = mapped_column(sa.Date)

    old_area: Mapped[Area] = relationship(foreign_keys=[old_area_id])
    new_area: Mapped[Area] = relationship(foreign_keys=[new_area_id])
