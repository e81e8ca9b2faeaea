"""Done when (issue 5, 2): an exhibitor picks a booth on the SVG plan and applies; an organizer
approves; the booth shows booked on the public map; the staff passes arrive by mail.

The mail goes to a real SMTP server on loopback (aiosmtpd, the ``live_smtp`` fixture of
``test_free_registration``). Screenshots of the plan, the directory and a product page go to
``docs/screenshots/`` for the README.
"""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from eventday.demo import DEMO_PASSWORD, DEMO_SLUG
from tests.browser.test_free_registration import (  # noqa: F401 - the fixture
    MAIL_WAIT_S,
    SCREENSHOTS,
    live_smtp,
)

pytestmark = pytest.mark.browser

ORGANIZER = "tochuc.donggiang@eventday.vn"
EXHIBITOR_EMAIL = "htx.tralangdong@example.vn"
EXHIBITOR_NAME = "HTX Trà thảo mộc Lăng (thử)"
PRODUCT = "Trà thảo mộc Lăng"
BOOTH = "S06"  # free in the demo: "Gian OCOP Sông Kôn – Avương", not kept for an area
PHONE = {"width": 412, "height": 860}


@pytest.fixture
def exhibitor(live_server):
    """A user whose co-operative has an exhibitor profile and one product (made once)."""
    from booths.models import ExhibitorProfile, Product
    from eventday.accounts import operations as account_ops
    from eventday.accounts.models import Organisation
    from eventday.extensions import db
    from eventday.i18n import fold

    with live_server.app.app_context():
        user = account_ops.find_user_by_email(EXHIBITOR_EMAIL)
        if user is None:
            user = account_ops.create_user(
                EXHIBITOR_EMAIL, DEMO_PASSWORD, "Bling Thị Lăng", verified=True
            )
            org = account_ops.create_organisation(user, EXHIBITOR_NAME, "cooperative")
            profile = ExhibitorProfile(
                organisation_id=org.id,
                kind="cooperative",
                display_name=EXHIBITOR_NAME,
                name_folded=fold(EXHIBITOR_NAME),
                contact_name="Bling Thị Lăng",
                contact_email=EXHIBITOR_EMAIL,
            )
            db.session.add(profile)
            db.session.flush()
            db.session.add(
                Product(
                    exhibitor_id=profile.id,
                    name_vi=PRODUCT,
                    name_en="Lăng herbal tea",
                    name_folded=fold(PRODUCT),
                    ocop_group="I.5.b",
                    unit="hộp",
                    price_min_vnd=60_000,
                    price_max_vnd=90_000,
                )
            )
            db.session.commit()
        org_id = db.session.scalar(
            sa.select(Organisation.id).where(Organisation.name_folded == fold(EXHIBITOR_NAME))
        )
        db.session.remove()
    return org_id


def login(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main form button[type=submit]")
    expect(page.locator('header form[action$="/logout"]')).to_be_visible()


def test_exhibitor_picks_on_the_plan_organizer_approves_map_shows_booked_passes_mailed(
    live_server,
    new_context,
    exhibitor,
    live_smtp,  # noqa: F811 - the fixture
):
    base = live_server.url
    festival_url = f"{base}/f/{DEMO_SLUG}"

    # --- The exhibitor picks the booth on the SVG plan (a phone-sized screen) and holds it.
    page = new_context(viewport=PHONE).new_page()
    login(page, base, EXHIBITOR_EMAIL)
    page.goto(f"{festival_url}/booths/pick")
    booth = page.locator(f'#plan svg [data-code="{BOOTH}"]')
    expect(booth).to_have_attribute("data-state", "available")
    booked = page.locator('#plan svg [data-code="T01"]')
    expect(booked).to_have_attribute("data-state", "booked")
    booth.click()
    # The plan keeps the form in step: the picked booth's id is what the form will send.
    picked = page.locator("#booth-pick-form input[name=booth_id]:checked")
    expect(picked).to_have_count(1)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "booth-plan-pick.png"), full_page=False)
    page.click("#booth-pick-form button[type=submit]")

    # --- The application: the product to show and the needs, then send.
    expect(page.locator("#apply-form")).to_be_visible()
    page.get_by_label(PRODUCT).check()
    page.fill("input[name=tables]", "2")
    page.fill("textarea[name=note]", "Cần ổ điện cho tủ mát.")
    page.click("#apply-form button[type=submit]")
    expect(page.locator("body")).to_contain_text(BOOTH)
    expect(page.locator("#apply-form")).to_have_count(0)  # sent: no longer editable

    # Held no longer: the public plan shows the booth as pending approval.
    visitor = new_context().new_page()
    visitor.goto(f"{festival_url}/map")
    expect(visitor.locator(f'#plan svg [data-code="{BOOTH}"]')).to_have_attribute(
        "data-state", "pending"
    )

    # --- The organizer approves it in the queue.
    organizer = new_context().new_page()
    login(organizer, base, ORGANIZER)
    organizer.goto(f"{festival_url}/manage/booths/applications?state=pending")
    card = organizer.locator("article.application", has_text=EXHIBITOR_NAME)
    expect(card).to_have_count(1)
    card.locator("button[value=approve]").click()
    organizer.goto(f"{festival_url}/manage/booths/applications?state=approved")
    approved = organizer.locator("article.application", has_text=EXHIBITOR_NAME)
    expect(approved).to_have_attribute("data-state", "approved")

    # --- The public map shows the booth booked, with the exhibitor.
    visitor.goto(f"{festival_url}/map")
    shown = visitor.locator(f'#plan svg [data-code="{BOOTH}"]')
    expect(shown).to_have_attribute("data-state", "booked")
    visitor.goto(f"{festival_url}/booths/{BOOTH}")
    expect(visitor.locator("main")).to_contain_text(EXHIBITOR_NAME)

    # --- The staff passes arrive by mail: real tickets with their QR codes attached.
    deadline = time.monotonic() + MAIL_WAIT_S
    while time.monotonic() < deadline:
        to_exhibitor = [m for m in live_smtp.messages if EXHIBITOR_EMAIL in str(m["To"])]
        qr_images = [
            part
            for m in to_exhibitor
            for part in m.iter_attachments()
            if part.get_content_type() == "image/png"
        ]
        if len(qr_images) >= 2:
            break
        time.sleep(0.2)
    assert to_exhibitor, [str(m["To"]) for m in live_smtp.messages]
    # S06 carries 2 staff passes: two ticket QR codes reach the exhibitor.
    assert len(qr_images) >= 2, [m["Subject"] for m in to_exhibitor]
    subjects = " | ".join(str(m["Subject"]) for m in to_exhibitor)
    assert BOOTH in "".join(m.get_body(("plain",)).get_content() for m in to_exhibitor), subjects

    # --- Pictures for the README: the directory and a product page on a phone.
    phone = new_context(viewport=PHONE).new_page()
    phone.goto(f"{festival_url}/exhibitors?q=dang+sam")
    expect(phone.locator("main")).to_contain_text("đẳng sâm")
    phone.screenshot(path=str(SCREENSHOTS / "booth-directory.png"), full_page=False)
    phone.locator("main a", has_text="Trà đẳng sâm").first.click()
    expect(phone.locator("main")).to_contain_text("OCOP ★★★★")
    phone.screenshot(path=str(SCREENSHOTS / "booth-product.png"), full_page=False)
    wide = new_context(viewport={"width": 1280, "height": 900}).new_page()
    wide.goto(f"{festival_url}/map?q=dang+sam")
    expect(wide.locator("#plan svg [data-booth-id]").first).to_be_visible()
    wide.screenshot(path=str(SCREENSHOTS / "booth-map.png"), full_page=False)
