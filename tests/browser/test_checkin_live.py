"""The live arrivals page over the demo's morning of arrivals, on a desktop screen; saved for
the README. It also checks that the page redraws itself from its JSON endpoint."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from eventday.demo import DEMO_PASSWORD, DEMO_SLUG

pytestmark = pytest.mark.browser
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def test_live_arrivals_page_shows_the_demo_morning(live_server, new_context):
    page = new_context(viewport={"width": 1100, "height": 900}).new_page()
    page.goto(f"{live_server.url}/login")
    page.fill("input[name=email]", "tochuc.donggiang@eventday.vn")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main form button[type=submit]")
    expect(page.locator('header form[action$="/logout"]')).to_be_visible()

    # The demo festival is three weeks ahead: the page opens on its first day.
    with page.expect_response(lambda r: "/manage/checkin/live.json" in r.url) as update:
        response = page.goto(f"{live_server.url}/f/{DEMO_SLUG}/manage/checkin/live")
        assert response.status == 200
        page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    assert update.value.status == 200
    arrivals = int(page.locator("#live-arrivals").inner_text())
    assert arrivals > 0
    assert page.locator("#live-chart rect").count() >= 16  # 07:30 to 17:00 in quarter hours
    main = page.locator("main").inner_text()
    assert "Cổng chính" in main and "Phòng kết nối đầu tư" in main
    # After the redraw from live.json the figures are the same as the server rendered them.
    expect(page.locator("#live-arrivals")).to_have_text(str(arrivals))
    expect(page.locator("#live-status")).not_to_have_class("stale")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "checkin-live.png"), full_page=True)


def test_investor_badges_print_one_a6_page_each_with_a_readable_qr(live_server, new_context):
    import io
    import re

    import sqlalchemy as sa
    import zxingcpp
    from PIL import Image

    from eventday.extensions import db
    from eventday.festivals.models import Festival
    from ticketing import signing
    from ticketing.models import Ticket, TicketType

    with live_server.app.app_context():
        festival = db.session.scalar(sa.select(Festival).where(Festival.slug == DEMO_SLUG))
        investor = db.session.scalar(
            sa.select(TicketType).where(
                TicketType.festival_id == festival.id, TicketType.name_vi == "Thẻ nhà đầu tư"
            )
        )
        valid = db.session.scalar(
            sa.select(sa.func.count(Ticket.id)).where(
                Ticket.ticket_type_id == investor.id, Ticket.state == "valid"
            )
        )
        db.session.remove()
    assert valid > 0

    page = new_context(viewport={"width": 1100, "height": 900}).new_page()
    page.goto(f"{live_server.url}/login")
    page.fill("input[name=email]", "tochuc.donggiang@eventday.vn")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main form button[type=submit]")
    expect(page.locator('header form[action$="/logout"]')).to_be_visible()
    page.goto(f"{live_server.url}/f/{DEMO_SLUG}/manage/badges")
    page.check(f"input[name=ticket_types][value='{investor.id}']")
    page.select_option("select[name=role]", "investor")
    page.click("form.badge-form button[type=submit]")
    expect(page.locator(".name-badge")).to_have_count(valid)

    # Printed: one A6 page (105 × 148 mm = 298 × 420 pt) per badge, nothing more.
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) == valid
    assert set(re.findall(rb"/MediaBox\s*\[0 0 ([\d.]+) ([\d.]+)\]", pdf)) == {
        (b"298.07999", b"420")
    }

    # The QR on the badge reads as the ticket's signed code, as a phone at the gate sees it.
    shot = page.locator(".name-badge .nb-qr").first.screenshot()
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))
    assert len(found) == 1
    ticket_id = int(page.locator(".name-badge").first.get_attribute("data-ticket"))
    with live_server.app.app_context():
        festival = db.session.get(Festival, festival.id)
        assert signing.verify_for_festival(found[0].text, festival).ticket_id == ticket_id
        db.session.remove()
