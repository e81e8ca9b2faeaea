"""An organizer creates and publishes an inter-commune festival; a visitor finds it.

Done when: the organizer logs in, creates a festival hosted by two communes of the former Nam
Giang district (xã Thạnh Mỹ and xã La Êê) with the area picker, and publishes it; an anonymous
visitor filters the public list by xã La Êê, finds it there (and not the demo festivals, hosted
elsewhere), sees it labelled "Ngày hội liên xã", switches to English and sees
"Inter-commune festival". The Vietnamese festival page (390 px wide, as on a phone) is saved
as docs/screenshots/festival-page.png for the README.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from eventday.demo import DEMO_PASSWORD, DEMO_SLUG, PAST_SLUG

pytestmark = pytest.mark.browser

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "festival-page.png"
ORGANIZER = "tochuc.donggiang@eventday.vn"
SLUG = "ngay-hoi-khoi-nghiep-lien-xa-thanh-my-la-ee"
NAME_VI = "Ngày hội Khởi nghiệp liên xã Thạnh Mỹ – La Êê"
NAME_EN = "Thạnh Mỹ – La Êê Inter-commune Startup Festival"
DESCRIPTION_VI = """Ngày hội của thanh niên, nông dân và hợp tác xã **xã Thạnh Mỹ và xã La Êê**.

- Gian hàng sản phẩm OCOP: sâm Ngọc Linh, ba kích, mật ong rừng
- Thi ý tưởng khởi nghiệp của học sinh, sinh viên
- Kết nối hợp tác xã với doanh nghiệp du lịch
"""
DESCRIPTION_EN = """A festival of the youth, farmers and co-operatives of **Thạnh Mỹ and La Êê**.

- OCOP product booths: Ngọc Linh ginseng, morinda root, wild honey
- Startup idea contest for students
- Co-operatives meet tourism businesses
"""


def card(page, slug):
    return page.locator(f'.festival-card:has(a[href="/f/{slug}"])')


def pick_area(page, input_selector, query, area_id):
    """Type a query without diacritics into an area picker and choose the area ``area_id``."""
    page.fill(input_selector, query)
    options = page.locator(f"{input_selector} ~ ul.suggestions li[role=option]")
    wanted = options.and_(page.locator(f'[data-id="{area_id}"]'))
    expect(wanted).to_have_count(1)
    # Current (post-2025) units are offered before the former ones, which are marked "(…)".
    rows = options.evaluate_all("els => els.map(e => [e.dataset.id, e.textContent])")
    ids = [row[0] for row in rows]
    first_former = next((i for i, (_, text) in enumerate(rows) if text.endswith(")")), len(rows))
    assert ids.index(str(area_id)) < first_former, rows
    wanted.click()
    expect(options).to_have_count(0)


def test_organizer_publishes_inter_commune_festival_visitor_finds_it(live_server, new_context):
    base = live_server.url
    thanh_my = live_server.area_id("commune", "20695")
    la_ee = live_server.area_id("commune", "20698")
    start = dt.date.today() + dt.timedelta(days=30)

    # --- The organizer logs in, creates the festival and publishes it.
    organizer = new_context().new_page()
    organizer.goto(f"{base}/login")
    organizer.fill("input[name=email]", ORGANIZER)
    organizer.fill("input[name=password]", DEMO_PASSWORD)
    organizer.click("main form button[type=submit]")
    expect(organizer.locator('header form[action$="/logout"]')).to_be_visible()

    organizer.goto(f"{base}/festivals/new")
    organizer.fill("input[name=name_vi]", NAME_VI)
    organizer.fill("input[name=name_en]", NAME_EN)
    organizer.fill("input[name=slug]", SLUG)
    pick_area(organizer, "#host-picker-input", "thanh my", thanh_my)
    pick_area(organizer, "#host-picker-input", "la ee", la_ee)
    chips = organizer.locator("#host-picker .chip.picked")
    expect(chips).to_have_count(2)
    expect(chips.first).to_have_class(re.compile(r"\blead\b"))
    expect(organizer.locator("#host_areas")).to_have_value(f"{thanh_my},{la_ee}")
    expect(organizer.locator("#lead_area")).to_have_value(str(thanh_my))
    organizer.fill("input[name=start_date]", start.isoformat())
    organizer.fill("input[name=end_date]", (start + dt.timedelta(days=1)).isoformat())
    organizer.fill("input[name=day_starts]", "07:30")
    organizer.fill("input[name=day_ends]", "17:00")
    organizer.fill("input[name=venue_name]", "Nhà văn hóa xã Thạnh Mỹ")
    organizer.fill("input[name=venue_address]", "Xã Thạnh Mỹ, thành phố Đà Nẵng")
    organizer.fill("textarea[name=description_vi]", DESCRIPTION_VI)
    organizer.fill("textarea[name=description_en]", DESCRIPTION_EN)
    organizer.fill("textarea[name=stages]", "Sân khấu chính | 400\nHội trường UBND xã | 120")
    organizer.click("main form.form > button[type=submit]")
    expect(organizer).to_have_url(f"{base}/f/{SLUG}/manage")
    expect(organizer.locator(".badge-draft")).to_be_visible()

    organizer.click(f'form[action$="/f/{SLUG}/state/published"] button')
    expect(organizer.locator(".badge-published")).to_be_visible()
    expect(organizer.locator(f'form[action$="/f/{SLUG}/state/published"]')).to_have_count(0)

    # --- An anonymous visitor finds it by host commune.
    visitor = new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2).new_page()
    visitor.goto(f"{base}/")
    expect(visitor.locator("html")).to_have_attribute("lang", "vi")
    # Unfiltered, both upcoming festivals are listed: the filter below is what hides the demo one.
    expect(card(visitor, SLUG)).to_have_count(1)
    expect(card(visitor, DEMO_SLUG)).to_have_count(1)

    pick_area(visitor, "#area-filter-input", "la ee", la_ee)
    expect(visitor.locator("#area")).to_have_value(str(la_ee))
    visitor.select_option("select[name=when]", "all")
    visitor.click("form.filters button[type=submit]")
    expect(visitor).to_have_url(re.compile(rf"[?&]area={la_ee}(&|$)"))
    expect(visitor).to_have_url(re.compile(r"[?&]when=all(&|$)"))
    expect(visitor.locator(".festival-card")).to_have_count(1)
    expect(card(visitor, SLUG)).to_have_count(1)
    expect(card(visitor, DEMO_SLUG)).to_have_count(0)
    expect(card(visitor, PAST_SLUG)).to_have_count(0)
    expect(card(visitor, SLUG).locator(".scope")).to_have_text("Ngày hội liên xã")
    # The picker shows the chosen commune again after the reload.
    expect(visitor.locator(".area-picker .chip.picked")).to_have_attribute("data-id", str(la_ee))

    card(visitor, SLUG).locator("h2 a").click()
    expect(visitor).to_have_url(f"{base}/f/{SLUG}")
    expect(visitor.locator("article.festival h1")).to_have_text(NAME_VI)
    expect(visitor.locator("article.festival .scope")).to_have_text("Ngày hội liên xã")
    hosts = visitor.locator("dl.facts > dd").first.locator(".chip")
    expect(hosts).to_have_count(2)
    expect(hosts.first).to_have_class(re.compile(r"\blead\b"))
    expect(hosts.first).to_contain_text("xã Thạnh Mỹ, thành phố Đà Nẵng")
    expect(hosts.nth(1)).to_contain_text("xã La Êê, thành phố Đà Nẵng")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    visitor.screenshot(path=str(SCREENSHOT), full_page=True)

    # --- Switching to English keeps the visitor on the page, now in English.
    visitor.click("button[data-lang=en]")
    expect(visitor.locator("html")).to_have_attribute("lang", "en")
    expect(visitor).to_have_url(f"{base}/f/{SLUG}")
    expect(visitor.locator("article.festival h1")).to_have_text(NAME_EN)
    expect(visitor.locator("article.festival .scope")).to_have_text("Inter-commune festival")
