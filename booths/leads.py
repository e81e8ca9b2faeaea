"""Lead capture at the booth: an exhibitor's staff scan a visitor's ticket QR (or type its short
code) and save the visitor as a lead with a note — only when the visitor agreed, when
registering, to share their contact with exhibitors (``Ticket.share_with_exhibitors``).

Who may capture: members of the organisation of an exhibitor with an approved application at
the festival. A refusal never tells who the ticket belongs to. One lead per exhibitor and ticket
(unique constraint): scanning again updates the note.
"""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from booths.models import BoothApplication, ExhibitorProfile, Lead
from eventday.accounts.models import OrganisationMember
from eventday.extensions import db
from eventday.festivals.models import Festival
from eventday.i18n import format_phone, localized, to_local
from ticketing import signing
from ticketing.codes import ALPHABET, normalize_code
from ticketing.models import Ticket

MAX_NOTE = 2000

REFUSALS = {
    "format": _l("This is not a ticket code of this festival. Scan the QR again or type the code."),
    "festival": _l("This ticket is for another festival."),
    "unknown": _l("No ticket of this festival has this code."),
    "not_valid": _l("This ticket is not valid (cancelled, refunded or not paid)."),
    "no_consent": _l(
        "This visitor did not agree to share their contact with exhibitors. "
        "Ask them to leave it with you if they wish."
    ),
}


class LeadError(Exception):
    """A scan that gives no lead; ``reason`` is a key of ``REFUSALS``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def message(self) -> str:
        return str(REFUSALS[self.reason])


def staff_exhibitors(user, festival: Festival) -> list[ExhibitorProfile]:
    """The exhibitors the user works for (a member of their organisation) that have an approved
    application at the festival, by name. Site admins get none: leads are the exhibitor's."""
    if user is None or not user.is_authenticated:
        return []
    approved = (
        sa.select(BoothApplication.exhibitor_id)
        .where(
            BoothApplication.festival_id == festival.id,
            BoothApplication.state == "approved",
        )
        .scalar_subquery()
    )
    return list(
        db.session.scalars(
            sa.select(ExhibitorProfile)
            .join(
                OrganisationMember,
                OrganisationMember.organisation_id == ExhibitorProfile.organisation_id,
            )
            .where(OrganisationMember.user_id == user.id, ExhibitorProfile.id.in_(approved))
            .order_by(ExhibitorProfile.name_folded)
        )
    )


def find_ticket(festival: Festival, text: str) -> Ticket:
    """The festival's ticket a scanned QR text or a typed short code names; LeadError if none.

    A QR is verified with the festival's public keys; a short code is looked up in the
    festival only (codes are unique per festival)."""
    text = (text or "").strip()
    if text.upper().startswith("EDT"):
        try:
            claims = signing.verify_for_festival(text, festival)
        except signing.TicketCodeError as exc:
            raise LeadError(_code_refusal(text, festival, exc)) from exc
        ticket = db.session.get(Ticket, claims.ticket_id)
        if ticket is None or ticket.festival_id != festival.id:
            raise LeadError("unknown")
        return ticket
    code = normalize_code(text)
    if len(code) != 8 or any(ch not in ALPHABET for ch in code):
        raise LeadError("format")
    ticket = db.session.scalar(
        sa.select(Ticket).where(Ticket.festival_id == festival.id, Ticket.short_code == code)
    )
    if ticket is None:
        raise LeadError("unknown")
    return ticket


def _code_refusal(text: str, festival: Festival, exc: signing.TicketCodeError) -> str:
    """ "festival" for a well-formed code naming another festival (signed with a key this
    festival does not have), "format" for anything else that does not verify."""
    if exc.reason == "festival":
        return "festival"
    if exc.reason == "unknown_key":
        try:
            parsed = signing.parse_code(text)
        except signing.TicketCodeError:  # pragma: no cover - it parsed a moment ago
            return "format"
        if parsed.claims.festival_id != festival.id:
            return "festival"
    return "format"


def check_shareable(ticket: Ticket) -> None:
    if ticket.state != "valid" or ticket.revoked_at is not None:
        raise LeadError("not_valid")
    if not ticket.share_with_exhibitors:
        raise LeadError("no_consent")


def capture_lead(
    festival: Festival,
    exhibitor: ExhibitorProfile,
    text: str,
    user,
    note: str | None = None,
) -> tuple[Lead, bool]:
    """Save the visitor as the exhibitor's lead; (lead, created). A second scan of the same
    ticket returns the same lead, with the note replaced when one is given.

    Safe when two staff scan the same visitor at once: the unique (exhibitor, ticket) index
    decides, and the loser updates the winner's lead. Flushes, never commits."""
    ticket = find_ticket(festival, text)
    check_shareable(ticket)
    note = (note or "").strip()[:MAX_NOTE]
    lead = _existing(exhibitor.id, ticket.id)
    created = False
    if lead is None:
        lead = Lead(
            festival_id=festival.id,
            exhibitor_id=exhibitor.id,
            ticket_id=ticket.id,
            note=note,
            created_by_id=user.id if user is not None else None,
        )
        try:
            with db.session.begin_nested():
                db.session.add(lead)
                db.session.flush()
            created = True
        except sa.exc.IntegrityError:
            lead = _existing(exhibitor.id, ticket.id)
            if lead is None:  # pragma: no cover - the index said it exists
                raise
    if not created and note:
        lead.note = note
        db.session.flush()
    return lead, created


def _existing(exhibitor_id: int, ticket_id: int) -> Lead | None:
    return db.session.scalar(
        sa.select(Lead)
        .where(Lead.exhibitor_id == exhibitor_id, Lead.ticket_id == ticket_id)
        .with_for_update()
    )


def update_note(lead: Lead, note: str) -> None:
    lead.note = (note or "").strip()[:MAX_NOTE]
    db.session.flush()


def exhibitor_lead(exhibitor: ExhibitorProfile, festival: Festival, lead_id: int) -> Lead | None:
    lead = db.session.get(Lead, lead_id)
    if lead is None or lead.exhibitor_id != exhibitor.id or lead.festival_id != festival.id:
        return None
    return lead


def leads_for(exhibitor: ExhibitorProfile, festival: Festival) -> list[Lead]:
    """The exhibitor's leads at the festival, newest first, tickets with group and area loaded."""
    return list(
        db.session.scalars(
            sa.select(Lead)
            .where(Lead.exhibitor_id == exhibitor.id, Lead.festival_id == festival.id)
            .options(
                selectinload(Lead.ticket).selectinload(Ticket.participant_group),
                selectinload(Lead.ticket).selectinload(Ticket.home_area),
            )
            .order_by(Lead.created_at.desc(), Lead.id.desc())
        )
    )


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str | None) -> str:
    """Free text for a CSV cell that Excel will never run as a formula."""
    if not value:
        return ""
    return "'" + value if value.startswith(_FORMULA_START) else value


def leads_csv(exhibitor: ExhibitorProfile, festival: Festival) -> bytes:
    """The exhibitor's leads as CSV, UTF-8 with a byte order mark so Excel shows Vietnamese."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(
        [
            _("Name"),
            _("Email"),
            _("Phone"),
            _("Participant group"),
            _("Home area"),
            _("Note"),
            _("Time"),
        ]
    )
    for lead in leads_for(exhibitor, festival):
        ticket = lead.ticket
        writer.writerow(
            [
                _cell(ticket.attendee_name),
                _cell(ticket.email),
                format_phone(ticket.phone),
                localized(ticket.participant_group, "name") if ticket.participant_group else "",
                ticket.home_area.name if ticket.home_area else "",
                _cell(lead.note),
                to_local(lead.created_at).strftime("%Y-%m-%d %H:%M"),
            ]
        )
    return out.getvalue().encode("utf-8")
