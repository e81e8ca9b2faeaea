"""An attendee registers for a free ticket on a phone; the QR ticket arrives by mail.

Done when (issue 3, 1): an attendee registers for a free ticket; the mail arrives at a real SMTP
server on loopback (aiosmtpd); the QR image in it, decoded by zxing-cpp, gives a payload that
verifies with the festival's public key and names that ticket. The ticket page's "save QR image"
link gives the same QR. The filled registration form and the ticket page (390 px wide, as on a
phone) are saved as docs/screenshots/registration.png and docs/screenshots/ticket.png.
"""

from __future__ import annotations

import email
import email.policy
import io
import re
import socket
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from playwright.sync_api import expect

from eventday.demo import DEMO_SLUG

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
TYPE_NAME_VI = "Vé cư dân"
TYPE_NAME_EN = "Resident ticket"
ATTENDEE = "Bling Thị Hương"
PHONE = "0905 123 456"
EMAIL = "bling.huong@example.vn"
TAY_GIANG = "20455"  # xã Tây Giang (since 2025-07-01)
MAIL_WAIT_S = 10


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_smtp(live_server, monkeypatch):
    """aiosmtpd on loopback; the live server's app sends its mail there (restored afterwards)."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    app = live_server.app
    state = app.extensions["mail"]
    monkeypatch.setattr(state, "server", "127.0.0.1")
    monkeypatch.setattr(state, "port", controller.port)
    monkeypatch.setattr(state, "use_tls", False)
    monkeypatch.setattr(state, "use_ssl", False)
    monkeypatch.setattr(state, "username", None)
    monkeypatch.setattr(state, "password", None)
    monkeypatch.setattr(state, "suppress", False)  # Flask-Mail suppresses under TESTING
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "REDIS_URL", None)  # inline sending, no worker needed
    try:
        yield inbox
    finally:
        controller.stop()


def _on_sale(ticket_type, now) -> bool:
    return (ticket_type.sale_starts_at is None or ticket_type.sale_starts_at <= now) and (
        ticket_type.sale_ends_at is None or ticket_type.sale_ends_at > now
    )


@pytest.fixture
def free_type(live_server) -> int:
    """Id of a free, public, unrestricted ticket type of the demo festival (made if missing)."""
    from eventday.db import utcnow
    from eventday.extensions import db
    from eventday.festivals.models import Festival
    from ticketing import operations as ops
    from ticketing.models import TicketType

    with live_server.app.app_context():
        festival = db.session.scalar(sa.select(Festival).where(Festival.slug == DEMO_SLUG))
        types = db.session.scalars(
            sa.select(TicketType)
            .where(TicketType.festival_id == festival.id)
            .order_by(TicketType.position, TicketType.id)
        ).all()
        now = utcnow()
        usable = [
            t
            for t in types
            if t.price_vnd == 0
            and not t.is_hidden
            and not t.groups
            and not t.requires_approval
            and _on_sale(t, now)
            and ops.available(t) > 0
        ]
        if usable:
            type_id = usable[0].id
        else:
            taken = {t.name_vi for t in types}
            ticket_type = TicketType(
                festival_id=festival.id,
                name_vi=TYPE_NAME_VI if TYPE_NAME_VI not in taken else f"{TYPE_NAME_VI} (thử)",
                name_en=TYPE_NAME_EN,
                price_vnd=0,
                quota=200,
            )
            db.session.add(ticket_type)
            db.session.commit()
            type_id = ticket_type.id
        db.session.remove()
    return type_id


def pick_area(page, input_selector, query, area_id):
    """Type a query without diacritics into an area picker and choose the area ``area_id``."""
    page.fill(input_selector, query)
    options = page.locator(f"{input_selector} ~ ul.suggestions li[role=option]")
    wanted = options.and_(page.locator(f'[data-id="{area_id}"]'))
    expect(wanted).to_have_count(1)
    expect(wanted).not_to_have_text(re.compile(r"\)$"))  # the current commune, not a former unit
    wanted.click()
    expect(options).to_have_count(0)


def wait_for_mail(inbox, recipient: str):
    deadline = time.monotonic() + MAIL_WAIT_S
    while time.monotonic() < deadline:
        mine = [m for m in inbox.messages if m["To"] == recipient]
        if mine:
            return mine
        time.sleep(0.1)
    raise AssertionError(
        f"no mail to {recipient} within {MAIL_WAIT_S} s; got {[m['To'] for m in inbox.messages]}"
    )


def decode_qr(png: bytes) -> str:
    import zxingcpp
    from PIL import Image

    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(results) == 1, f"expected one QR code, zxing found {len(results)}"
    return results[0].text


def test_attendee_registers_for_a_free_ticket_and_gets_it_by_mail(
    live_server, new_context, live_smtp, free_type
):
    from eventday.extensions import db
    from eventday.festivals.models import Festival, ParticipantGroup
    from ticketing.models import Ticket
    from ticketing.signing import verify_for_festival
    from ticketing.util import order_from_token

    base = live_server.url
    tay_giang = live_server.area_id("commune", TAY_GIANG)
    with live_server.app.app_context():
        festival_id = db.session.scalar(sa.select(Festival.id).where(Festival.slug == DEMO_SLUG))
        farmers = db.session.scalar(
            sa.select(ParticipantGroup.id).where(
                ParticipantGroup.festival_id == festival_id, ParticipantGroup.kind == "farmers"
            )
        )
        db.session.remove()
    assert farmers is not None

    # --- The attendee finds the festival and its free ticket, on a phone, in Vietnamese.
    context = new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    page = context.new_page()
    page.goto(f"{base}/f/{DEMO_SLUG}")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    page.locator(f'a.button[href="/f/{DEMO_SLUG}/tickets"]').click()
    expect(page).to_have_url(f"{base}/f/{DEMO_SLUG}/tickets")
    offer = page.locator(f'article.ticket-type[data-type-id="{free_type}"]')
    expect(offer.locator(".price")).not_to_have_text(re.compile(r"\d"))  # free: no amount
    offer.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/f/{DEMO_SLUG}/register/{free_type}\?n=1$"))

    # --- The registration form.
    page.fill("input[name='attendees-0-full_name']", ATTENDEE)
    page.fill("input[name='attendees-0-phone']", PHONE)
    page.fill("input[name='attendees-0-email']", EMAIL)
    page.select_option("select[name='attendees-0-participant_group']", str(farmers))
    pick_area(page, "#attendees-0-home_area-filter-input", "tay giang", tay_giang)
    expect(page.locator("input[name='attendees-0-home_area']")).to_have_value(str(tay_giang))
    expect(page.locator("select[name=locale]")).to_have_value("vi")
    page.check("input[name=consent]")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "registration.png"), full_page=True)
    page.locator("main form.form > button[type=submit]").click()

    # --- The order page shows the ticket at once (the mail is only a copy).
    expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/o/[^/]+$"))
    token = page.url.rsplit("/o/", 1)[1]
    expect(page.locator(".badge[data-state]")).to_have_attribute("data-state", "paid")
    rows = page.locator("article.ticket-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(ATTENDEE)
    ticket_id = int(rows.first.get_attribute("data-ticket-id"))

    with live_server.app.app_context():
        order = order_from_token(token)
        assert order is not None and order.state == "paid"
        ticket = db.session.scalar(
            sa.select(Ticket).where(
                Ticket.order_id == order.id, Ticket.email == EMAIL, Ticket.attendee_name == ATTENDEE
            )
        )
        assert ticket is not None and ticket.id == ticket_id
        assert ticket.state == "valid" and ticket.ticket_type_id == free_type
        assert ticket.phone == "+84905123456"
        assert ticket.participant_group_id == farmers and ticket.home_area_id == tay_giang
        short_code = ticket.short_code
        db.session.remove()

    # --- The ticket page: a big QR, the short code, a button to save the QR as an image.
    rows.first.locator(f'a[href="/o/{token}/t/{ticket_id}"]').click()
    expect(page).to_have_url(f"{base}/o/{token}/t/{ticket_id}")
    card = page.locator("article.ticket-card")
    expect(card.locator("h1")).to_have_text(ATTENDEE)
    expect(card.locator(".short-code")).to_have_text(short_code)
    expect(card.locator(".qr-big svg")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "ticket.png"), full_page=True)
    with page.expect_download() as download_info:
        card.locator(f'a[download][href^="/o/{token}/t/{ticket_id}.png"]').click()
    download = download_info.value
    assert download.suggested_filename == f"ve-{short_code}.png"
    saved_png = Path(download.path()).read_bytes()
    assert saved_png.startswith(b"\x89PNG\r\n\x1a\n")

    # --- The confirmation mail, as the SMTP server received it.
    mails = wait_for_mail(live_smtp, EMAIL)
    assert len(mails) == 1, [m["Subject"] for m in mails]
    message = mails[0]
    assert message["To"] == EMAIL
    cid = f"ticket-{ticket_id}@eventday"
    html = message.get_body(preferencelist=("html",))
    assert html is not None and f'src="cid:{cid}"' in html.get_content()
    text = message.get_body(preferencelist=("plain",))
    assert text is not None and short_code in text.get_content()
    parts = list(message.walk())
    inline = [p for p in parts if p["Content-ID"] == f"<{cid}>"]
    assert len(inline) == 1
    assert inline[0].get_content_type() == "image/png"
    assert inline[0].get_content_disposition() == "inline"
    # Also a real attachment (mail clients hide CID-referenced inline parts), to save or forward.
    qr_files = [
        p
        for p in parts
        if p.get_filename() == f"ve-{short_code}.png"
        and p.get_content_disposition() == "attachment"
    ]
    assert len(qr_files) == 1 and qr_files[0].get_content_type() == "image/png", [
        (p.get_content_type(), p.get_content_disposition(), p.get_filename()) for p in parts
    ]
    calendars = [p for p in parts if p.get_content_type() == "text/calendar"]
    assert len(calendars) == 1 and calendars[0].get_filename() == f"{DEMO_SLUG}.ics"
    assert b"BEGIN:VEVENT" in calendars[0].get_payload(decode=True)

    # --- The QR in the mail, read as a phone would, verifies and names this ticket.
    mailed_text = decode_qr(inline[0].get_payload(decode=True))
    assert decode_qr(qr_files[0].get_payload(decode=True)) == mailed_text
    with live_server.app.app_context():
        festival = db.session.get(Festival, festival_id)
        claims = verify_for_festival(mailed_text, festival)
        db.session.remove()
    assert claims.festival_id == festival_id
    assert claims.ticket_id == ticket_id
    assert claims.ticket_type_id == free_type
    # The saved image holds the same ticket code as the mail.
    assert decode_qr(saved_png) == mailed_text
