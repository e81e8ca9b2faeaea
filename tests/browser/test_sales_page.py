"""The organizer's sales page over the demo orders, on a desktop screen; saved for the README."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from eventday.demo import DEMO_PASSWORD, DEMO_SLUG

pytestmark = pytest.mark.browser
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def test_sales_page_shows_the_demo_figures(live_server, new_context):
    page = new_context(viewport={"width": 1100, "height": 900}).new_page()
    page.goto(f"{live_server.url}/login")
    page.fill("input[name=email]", "tochuc.donggiang@eventday.vn")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main form button[type=submit]")
    expect(page.locator('header form[action$="/logout"]')).to_be_visible()
    response = page.goto(f"{live_server.url}/f/{DEMO_SLUG}/manage/sales")
    assert response.status == 200
    # The demo's resident tickets are on the page with a count above zero.
    table_text = page.locator("main").inner_text()
    assert "Vé cư dân" in table_text
    assert page.locator("main table").count() >= 3
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "sales.png"), full_page=True)
