"""Printable name badges with the ticket's signed QR: A6 one per page, or four per A4 sheet.

The organizer picks ticket types (printed with a role band such as "Investor" when the types
make up a role group) and/or types ticket codes, order codes or ticket numbers from the order
list. Only valid tickets get a badge; the QR is the same signed code as on the ticket, so the
badge is scanned at the gate like the ticket itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from flask import render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.orm import selectinload
from wtforms import RadioField, SelectField, TextAreaField
from wtforms.validators import Length

from eventday.accounts.models import Organisation, OrganisationMember, User
from eventday.extensions import db
from eventday.festivals.models import Festival
from eventday.i18n import localized
from eventday.permissions import organizer_required
from ticketing import codes as ticket_codes
from ticketing import signing
from ticketing.checkin.views import MultiCheckboxField
from ticketing.forms import choices
from ticketing.models import Order, Ticket, TicketType
from ticketing.qrimage import svg_text
from ticketing.views import bp

# Drawing a QR symbol takes about 10 ms (segno tries all eight masks): print in batches.
BATCH = 200
MAX_CODES = 500
LAYOUTS = {"a6": 1, "a4": 4}  # badges per printed page
ROLE_LABELS = {
    "investor": _l("Investor"),
    "exhibitor": _l("Exhibitor"),
    "judge": _l("Judge"),
    "guest": _l("Guest"),
}
_SPLIT = re.compile(r"[\s,;]+")


class BadgeForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form: it only chooses what to print

    ticket_types = MultiCheckboxField(_l("Ticket types"), coerce=int, choices=[])
    role = SelectField(_l("Role band printed on the badges"), choices=[], validate_choice=False)
    codes = TextAreaField(
        _l("Ticket codes, order codes or ticket numbers"),
        description=_l("From the order list; separated by spaces, commas or new lines."),
        validators=[Length(max=10_000)],
    )
    layout = RadioField(
        _l("Layout"),
        choices=choices(
            [("a6", _l("A6, one badge per page")), ("a4", _l("A4, four badges per page"))]
        ),
        default="a6",
    )


@dataclass
class Badge:
    ticket: Ticket
    type_name: str
    organisation: str | None
    qr_svg: str


@dataclass
class Selection:
    tickets: list[Ticket]  # the valid ones from ``start``, at most BATCH
    valid: int  # all valid tickets selected
    not_valid: int  # selected tickets left out because they are not valid
    start: int = 0

    @property
    def next_start(self) -> int | None:
        end = self.start + len(self.tickets)
        return end if end < self.valid else None


def parse_codes(raw: str | None) -> list[str]:
    tokens = [ticket_codes.normalize_code(t) for t in _SPLIT.split(raw or "")]
    return list(dict.fromkeys(t for t in tokens if t))[:MAX_CODES]


def select_tickets(
    festival: Festival, type_ids: list[int], codes: list[str], start: int = 0
) -> Selection:
    """Tickets of the chosen types, plus those named by ticket code, order code or number;
    the valid ones in print order, BATCH at a time from ``start``."""
    wanted = []
    if type_ids:
        wanted.append(Ticket.ticket_type_id.in_(type_ids))
    if codes:
        numbers = [int(c) for c in codes if c.isdigit() and len(c) < 10]
        wanted.append(Ticket.short_code.in_(codes))
        wanted.append(
            Ticket.order_id.in_(
                sa.select(Order.id).where(Order.festival_id == festival.id, Order.code.in_(codes))
            )
        )
        if numbers:
            wanted.append(Ticket.id.in_(numbers))
    if not wanted:
        return Selection([], 0, 0)
    chosen = sa.and_(Ticket.festival_id == festival.id, sa.or_(*wanted))
    is_valid = Ticket.state == "valid"
    valid, not_valid = db.session.execute(
        sa.select(
            sa.func.sum(sa.case((is_valid, 1), else_=0)),
            sa.func.sum(sa.case((is_valid, 0), else_=1)),
        ).where(chosen)
    ).one()
    tickets = db.session.scalars(
        sa.select(Ticket)
        .join(TicketType, TicketType.id == Ticket.ticket_type_id)
        .where(chosen, is_valid)
        .options(selectinload(Ticket.ticket_type))
        .order_by(TicketType.position, TicketType.id, Ticket.name_folded, Ticket.id)
        .offset(start)
        .limit(BATCH)
    ).all()
    return Selection(list(tickets), int(valid or 0), int(not_valid or 0), start)


def organisations(tickets: list[Ticket]) -> dict[int, str]:
    """The organisation of each attendee who has an account (same e-mail) in one, if known."""
    ids = [t.id for t in tickets if t.email]
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Ticket.id, sa.func.min(Organisation.name))
        .join(User, User.email == Ticket.email)
        .join(OrganisationMember, OrganisationMember.user_id == User.id)
        .join(Organisation, Organisation.id == OrganisationMember.organisation_id)
        .where(Ticket.id.in_(ids))
        .group_by(Ticket.id)
    ).all()
    return dict(rows)


def make_badges(tickets: list[Ticket]) -> list[Badge]:
    """One badge per ticket with its signed QR (creates the festival's key if needed: flushes,
    the caller commits)."""
    orgs = organisations(tickets)
    return [
        Badge(
            ticket=t,
            type_name=localized(t.ticket_type, "name"),
            organisation=orgs.get(t.id),
            qr_svg=svg_text(signing.sign_ticket(t)),
        )
        for t in tickets
    ]


@bp.get("/f/<slug>/manage/badges")
@organizer_required
def print_badges(festival: Festival):
    form = BadgeForm(request.args)
    types = db.session.scalars(
        sa.select(TicketType)
        .where(TicketType.festival_id == festival.id)
        .order_by(TicketType.position, TicketType.id)
    ).all()
    form.ticket_types.choices = choices((t.id, localized(t, "name")) for t in types)
    form.role.choices = choices([("", _l("— none —"))] + list(ROLE_LABELS.items()))
    selection = badges = None
    start = request.args.get("start", "0")
    start = int(start) if start.isdigit() else 0
    if request.args and form.validate():
        selection = select_tickets(
            festival, form.ticket_types.data or [], parse_codes(form.codes.data), start
        )
        badges = make_badges(selection.tickets)
        db.session.commit()  # a festival's first signed ticket creates its signing key
    layout = form.layout.data if form.layout.data in LAYOUTS else "a6"
    return render_template(
        "ticketing/badges.html",
        festival=festival,
        form=form,
        selection=selection,
        badges=badges,
        layout=layout,
        per_page=LAYOUTS[layout],
        role=form.role.data if form.role.data in ROLE_LABELS else None,
        role_labels=ROLE_LABELS,
    )
