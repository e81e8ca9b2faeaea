"""Organizer reports on booths: occupancy by zone, booth type and home area, fee revenue, and
the XLSX export of booths with their exhibitor and the products they show.

Every report reads a fixed number of queries, whatever the number of booths (no N+1): the
booths' derived states come from ``booths.states.booth_occupants`` in one query.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from booths.labels import APPLICATION_STATE_LABELS, BOOTH_KIND_LABELS, BOOTH_STATE_LABELS
from booths.models import (
    BOOTH_KINDS,
    BOOTH_STATES,
    Booth,
    BoothApplication,
    BoothBooking,
    BoothFeeWaiver,
    ExhibitorProfile,
    Hall,
    Product,
    Zone,
)
from booths.search import today_local
from booths.states import booth_occupants
from eventday.areas.models import Area
from eventday.extensions import db
from eventday.festivals.models import Festival
from eventday.i18n import LOCAL_TZ, localized
from eventday.xlsx import text_cell
from ticketing.models import Order

OCCUPYING_STATES = ("held", "pending", "booked")


# --------------------------------------------------------------------------- occupancy


@dataclass
class OccupancyRow:
    key: Any
    label: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BOOTH_STATES, 0))

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def taken(self) -> int:
        """Booths kept by an exhibitor (held, pending approval or booked)."""
        return sum(self.counts[s] for s in OCCUPYING_STATES)


@dataclass
class Occupancy:
    by_zone: list[OccupancyRow]
    by_kind: list[OccupancyRow]
    by_area: list[OccupancyRow]
    total: OccupancyRow


def _add(table: dict, key, label: str, state: str) -> None:
    row = table.get(key)
    if row is None:
        row = table[key] = OccupancyRow(key, label)
    row.counts[state] += 1


def occupancy(festival: Festival, now: dt.datetime | None = None) -> Occupancy:
    """Booths per state, by zone, by booth type and by home area, in three queries.

    A booth held, pending or booked counts under its exhibitor's home area; an available or
    blocked booth under the area it is reserved for (booths kept for "OCOP Tây Giang"), or
    under "No home area"."""
    states = booth_occupants(festival.id, now)  # 1: every booth's state and occupant
    booths = db.session.execute(  # 2: the booths with zone, hall and reserved area
        sa.select(
            Booth.id,
            Booth.kind,
            Booth.zone_id,
            Zone.name,
            Hall.name,
            Booth.reserved_area_id,
            Area.name,
        )
        .join(Hall, Hall.id == Booth.hall_id)
        .outerjoin(Zone, Zone.id == Booth.zone_id)
        .outerjoin(Area, Area.id == Booth.reserved_area_id)
        .where(Booth.festival_id == festival.id)
        .order_by(Hall.position, Hall.name, Zone.position, Zone.name, Booth.code)
    ).all()
    exhibitor_ids = {occupant for _s, _a, occupant in states.values() if occupant is not None}
    homes: dict[int, tuple[int | None, str | None]] = {}
    if exhibitor_ids:  # 3: the occupants' home areas
        homes = {
            exhibitor_id: (area_id, area_name)
            for exhibitor_id, area_id, area_name in db.session.execute(
                sa.select(ExhibitorProfile.id, ExhibitorProfile.home_area_id, Area.name)
                .outerjoin(Area, Area.id == ExhibitorProfile.home_area_id)
                .where(ExhibitorProfile.id.in_(exhibitor_ids))
            )
        }

    by_zone: dict = {}
    by_kind: dict = {kind: OccupancyRow(kind, str(BOOTH_KIND_LABELS[kind])) for kind in BOOTH_KINDS}
    by_area: dict = {}
    total = OccupancyRow("total", _("All booths"))
    no_zone, no_area = _("No zone"), _("No home area")
    for booth_id, kind, zone_id, zone_name, hall_name, reserved_id, reserved_name in booths:
        state, _application, exhibitor_id = states.get(booth_id, ("available", None, None))
        zone_label = f"{hall_name} · {zone_name}" if zone_id is not None else no_zone
        _add(by_zone, zone_id, zone_label, state)
        by_kind[kind].counts[state] += 1
        if exhibitor_id is not None:
            area_id, area_name = homes.get(exhibitor_id, (None, None))
        else:
            area_id, area_name = reserved_id, reserved_name
        _add(by_area, area_id, area_name or no_area, state)
        total.counts[state] += 1
    areas = sorted(by_area.values(), key=lambda r: (r.key is None, r.label))
    return Occupancy(
        by_zone=list(by_zone.values()),
        by_kind=[row for row in by_kind.values() if row.total],
        by_area=areas,
        total=total,
    )


# --------------------------------------------------------------------------- fees


@dataclass
class FeeRevenue:
    approved: int = 0  # approved applications
    invoiced_vnd: int = 0  # fees of approved applications that are not waived
    paid_vnd: int = 0  # of those, fees whose ticketing order is paid
    waived_vnd: int = 0  # fees waived (a group's support programme pays)
    waived: int = 0  # approved applications with the fee waived
    unpaid: int = 0  # approved, fee due, order not paid (or no order yet)

    @property
    def outstanding_vnd(self) -> int:
        return self.invoiced_vnd - self.paid_vnd


def fee_revenue(festival: Festival) -> FeeRevenue:
    """Fees of the approved applications: invoiced, paid (their order is paid) and waived.

    A waived application's fee is its ``fee_vnd``, or the price of its booths when the fee was
    recorded as 0 because of the waiver. Two queries."""
    rows = db.session.execute(
        sa.select(
            BoothApplication.id,
            BoothApplication.fee_vnd,
            BoothApplication.fee_waived,
            Order.state,
        )
        .outerjoin(Order, Order.id == BoothApplication.order_id)
        .where(
            BoothApplication.festival_id == festival.id,
            BoothApplication.state == "approved",
        )
    ).all()
    zero_waived = [app_id for app_id, fee, waived, _o in rows if waived and not fee]
    booth_prices: dict[int, int] = {}
    if zero_waived:
        booth_prices = dict(
            db.session.execute(
                sa.select(BoothBooking.application_id, sa.func.sum(Booth.price_vnd))
                .join(Booth, Booth.id == BoothBooking.booth_id)
                .where(BoothBooking.application_id.in_(zero_waived))
                .group_by(BoothBooking.application_id)
            ).all()
        )
    out = FeeRevenue(approved=len(rows))
    for app_id, fee, waived, order_state in rows:
        if waived:
            out.waived += 1
            out.waived_vnd += fee or int(booth_prices.get(app_id) or 0)
            continue
        out.invoiced_vnd += fee
        if order_state == "paid":
            out.paid_vnd += fee
        elif fee:
            out.unpaid += 1
    return out


def waivers(festival: Festival) -> list[BoothFeeWaiver]:
    return list(
        db.session.scalars(
            sa.select(BoothFeeWaiver)
            .where(BoothFeeWaiver.festival_id == festival.id)
            .options(selectinload(BoothFeeWaiver.group))
            .order_by(BoothFeeWaiver.id)
        )
    )


# --------------------------------------------------------------------------- counts


def home_counts(festival: Festival) -> dict[str, Any]:
    """What the booths home page shows: booths per state and applications waiting."""
    states = booth_occupants(festival.id)
    by_state = dict.fromkeys(BOOTH_STATES, 0)
    for state, _app, _exhibitor in states.values():
        by_state[state] += 1
    waiting = db.session.scalar(
        sa.select(sa.func.count(BoothApplication.id)).where(
            BoothApplication.festival_id == festival.id, BoothApplication.state == "pending"
        )
    )
    return {"booths": len(states), "by_state": by_state, "waiting": waiting or 0}


# --------------------------------------------------------------------------- XLSX export


def export_headers() -> list[str]:
    return [
        _("Booth"),
        _("Hall"),
        _("Zone"),
        _("Type"),
        _("Size (m)"),
        _("Corner"),
        _("Price (đồng)"),
        _("State"),
        _("Exhibitor"),
        _("Home area"),
        _("Contact"),
        _("Phone"),
        _("Email"),
        _("Application"),
        _("Fee (đồng)"),
        _("Fee waived"),
        _("Products shown"),
    ]


def _product_label(product: Product, today: dt.date) -> str:
    """The name, with the stars only while the certificate is valid: an expired one is said."""
    status = product.ocop_status(today)
    if status == "current":
        return f"{product.name_vi} ({product.stars}★)"
    if status == "expired":
        return "{} ({})".format(product.name_vi, _("OCOP certificate expired"))
    return product.name_vi


def export_rows(festival: Festival, now: dt.datetime | None = None) -> list[list[Any]]:
    """One row per booth, with the exhibitor keeping it and the products it shows. Three
    queries (states, booths with hall and zone, applications with exhibitor and products)."""
    states = booth_occupants(festival.id, now)
    booths = db.session.scalars(
        sa.select(Booth)
        .where(Booth.festival_id == festival.id)
        .options(selectinload(Booth.hall), selectinload(Booth.zone))
        .order_by(Booth.code)
    ).all()
    application_ids = {app_id for _s, app_id, _e in states.values() if app_id is not None}
    applications: dict[int, BoothApplication] = {}
    if application_ids:
        applications = {
            a.id: a
            for a in db.session.scalars(
                sa.select(BoothApplication)
                .where(BoothApplication.id.in_(application_ids))
                .options(
                    selectinload(BoothApplication.exhibitor).selectinload(
                        ExhibitorProfile.home_area
                    ),
                    selectinload(BoothApplication.products),
                )
            )
        }
    today = now.astimezone(LOCAL_TZ).date() if now is not None else today_local()
    yes, no = _("yes"), _("no")
    rows = []
    for booth in booths:
        state, app_id, _exhibitor = states.get(booth.id, ("available", None, None))
        application = applications.get(app_id) if app_id else None
        exhibitor = application.exhibitor if application else None
        products = ""
        if application is not None:
            products = "; ".join(_product_label(p, today) for p in application.products)
        rows.append(
            [
                booth.code,
                booth.hall.name,
                booth.zone.name if booth.zone else "",
                str(BOOTH_KIND_LABELS[booth.kind]),
                f"{booth.width_m}×{booth.depth_m}",
                yes if booth.corner else no,
                booth.price_vnd,
                str(BOOTH_STATE_LABELS[state]),
                exhibitor.display_name if exhibitor else "",
                exhibitor.home_area.name if exhibitor and exhibitor.home_area else "",
                exhibitor.contact_name or "" if exhibitor else "",
                exhibitor.contact_phone or "" if exhibitor else "",
                exhibitor.contact_email or "" if exhibitor else "",
                str(APPLICATION_STATE_LABELS[application.state]) if application else "",
                application.fee_vnd if application else None,
                (yes if application.fee_waived else no) if application else "",
                products,
            ]
        )
    return rows


def export_xlsx(festival: Festival) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Booths"))
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for text in export_headers():
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    money_columns = {6, 14}
    for row in export_rows(festival):
        cells = []
        for i, value in enumerate(row):
            cell = text_cell(sheet, value)
            if i in money_columns:
                cell.number_format = "#,##0"
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def group_name(waiver: BoothFeeWaiver) -> str:
    return localized(waiver.group, "name")
