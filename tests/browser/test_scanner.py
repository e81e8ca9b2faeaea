"""The gate scanner in a real Chromium: keyboard wedge, camera, offline and sync (issue 4).

Done when 2: keyboard-wedge entry of a ticket → green; again → amber; a forged code → red
(screenshots docs/screenshots/scanner-{green,amber,red}.png at 390×844); the camera path: the
fake camera shows a ticket QR and the scanner admits it, with the jsQR decoder, since Linux
Chromium has no BarcodeDetector.
Done when 3: offline (the app notices by itself), three scans (one forged → red, decided on the
phone), online again: the two good scans reach the server with their original times; a second
device's offline scan of one of those tickets is listed as a duplicate after sync.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.fake_camera import frame_with, write_y4m

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
VECTORS = json.loads(
    (Path(__file__).resolve().parents[1] / "ticketing" / "vectors.json").read_text("utf-8")
)
PHONE = {"viewport": {"width": 390, "height": 844}}
MAIN_GATE = "Cổng chính"
OCOP_GATE = "Khu OCOP"
ANSWER_S = 15_000  # ms: the longest wait for an answer on screen
CACHED_URLS = """async () => {
    const urls = [];
    for (const name of await caches.keys()) {
        const cache = await caches.open(name);
        for (const request of await cache.keys()) urls.push(new URL(request.url).pathname);
    }
    return urls;
}"""
JSQR = "/static/vendor/jsqr/jsQR.js"


@dataclass
class Setup:
    festival_id: int
    list_id: int
    type_id: int
    gates: dict


@pytest.fixture(scope="module")
def gate_setup(live_server) -> Setup:
    """A published festival running today (Việt Nam time), one free ticket type, two gates
    and a single-entry check-in list."""
    from eventday.accounts.models import User
    from eventday.extensions import db
    from eventday.festivals import operations as festival_ops
    from eventday.i18n import LOCAL_TZ
    from ticketing.checkin.models import CheckinList, Gate
    from ticketing.models import TicketType

    today = dt.datetime.now(LOCAL_TZ).date()
    areas = [live_server.area_id("commune", code) for code in ("20467", "20455")]
    with live_server.app.app_context():
        organizer = db.session.scalar(
            sa.select(User).where(User.email == "tochuc.donggiang@eventday.vn")
        )
        festival = festival_ops.create_festival(
            organizer,
            festival_ops.FestivalData(
                name_vi="Ngày hội thử máy quét",
                name_en="Scanner test festival",
                slug=f"may-quet-{secrets.token_hex(3)}",
                host_area_ids=areas,
                # Yesterday to tomorrow: a run across midnight still has "today" among the days.
                start_date=today - dt.timedelta(days=1),
                end_date=today + dt.timedelta(days=1),
                day_starts=dt.time(0, 0),
                day_ends=dt.time(23, 59),
                venue_name="Nhà văn hóa xã Đông Giang",
            ),
        )
        festival_ops.change_state(festival, "published")
        ticket_type = TicketType(
            festival_id=festival.id,
            name_vi="Vé tham quan",
            name_en="Visitor ticket",
            price_vnd=0,
            quota=100,
            max_per_order=5,
        )
        gates = {name: Gate(festival_id=festival.id, name=name) for name in (MAIN_GATE, OCOP_GATE)}
        checkin_list = CheckinList(festival_id=festival.id, name="Lối vào chính")
        db.session.add_all([ticket_type, checkin_list, *gates.values()])
        db.session.commit()
        setup = Setup(
            festival_id=festival.id,
            list_id=checkin_list.id,
            type_id=ticket_type.id,
            gates={name: gate.id for name, gate in gates.items()},
        )
        db.session.remove()
    return setup


def make_tickets(live_server, setup: Setup, *names: str) -> list[dict]:
    """Free tickets (valid at once) and their signed QR texts."""
    from eventday.extensions import db
    from eventday.festivals.models import Festival
    from ticketing import operations as ops
    from ticketing.models import TicketType
    from ticketing.signing import sign_ticket

    with live_server.app.app_context():
        festival = db.session.get(Festival, setup.festival_id)
        ticket_type = db.session.get(TicketType, setup.type_id)
        order = ops.place_order(
            ops.OrderRequest(
                festival=festival,
                ticket_type=ticket_type,
                attendees=[
                    ops.AttendeeData(full_name=name, phone=f"+8490{secrets.randbelow(10**7):07d}")
                    for name in names
                ],
                staff_sale=True,
                source="gate",
            )
        )
        db.session.flush()
        tickets = [
            {"id": t.id, "name": t.attendee_name, "short_code": t.short_code, "qr": sign_ticket(t)}
            for t in order.tickets
        ]
        assert all(t.state == "valid" for t in order.tickets)
        db.session.commit()
        db.session.remove()
    return tickets


def forged(qr: str) -> str:
    """Same length and alphabet, one signature character changed: only the signature fails."""
    i = 120
    return qr[:i] + ("A" if qr[i] != "A" else "B") + qr[i + 1 :]


def pair(live_server, setup: Setup, context, gate: str, name: str):
    """Register a device in the database and pair this browser context with its code."""
    from eventday.extensions import db
    from eventday.festivals.models import Festival
    from ticketing.checkin import operations as checkin_ops
    from ticketing.checkin.models import CheckinList, Gate

    with live_server.app.app_context():
        device, code = checkin_ops.create_device(
            db.session.get(Festival, setup.festival_id),
            db.session.get(CheckinList, setup.list_id),
            name,
            db.session.get(Gate, setup.gates[gate]),
        )
        device_id = device.id
        db.session.commit()
        db.session.remove()
    page = context.new_page()
    page.goto(f"{live_server.url}/scan/pair?code={code}")
    page.locator("main form.form button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}/scan/")  # no second POST of the code on reload
    # Ready: keys, revocations and the ticket list are on the phone.
    expect(page.locator("#scanner")).to_have_attribute("data-ready", "1")
    expect(page.locator("#mode")).to_have_attribute("data-mode", "online")
    return page, device_id


def wedge(page, text: str, seq: int):
    """A handheld scanner types the code and Enter into whatever field has the focus."""
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    result = page.locator("#result")
    expect(result).to_have_attribute("data-seq", str(seq), timeout=ANSWER_S)
    expect(result).to_be_visible()
    return result


def scans_by_nonce(live_server, nonces):
    from eventday.extensions import db
    from ticketing.checkin.models import Scan

    with live_server.app.app_context():
        rows = db.session.scalars(sa.select(Scan).where(Scan.nonce.in_(list(nonces)))).all()
        found = {
            s.nonce: {
                "id": s.id,
                "status": s.status,
                "ticket_id": s.ticket_id,
                "device_id": s.device_id,
                "scanned_at": s.scanned_at,
                "received_at": s.received_at,
                "offline": s.offline,
                "admits": s.admits,
                "duplicate_of_id": s.duplicate_of_id,
            }
            for s in rows
        }
        db.session.remove()
    return found


def browser_time(iso: str) -> dt.datetime:
    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))


def test_keyboard_wedge_green_amber_red_and_search(live_server, new_context, gate_setup):
    ticket, other, searched = make_tickets(
        live_server, gate_setup, "Bling Thị Hương", "Hồ Văn Lâm", "Nguyễn Văn Đức"
    )
    context = new_context(**PHONE)
    page, device_id = pair(live_server, gate_setup, context, MAIN_GATE, "Điện thoại cổng 1")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    # The wedge field has the focus by itself: the scanner "types" the QR text and Enter.
    result = wedge(page, ticket["qr"], 1)
    expect(result).to_have_attribute("data-status", "ok")
    expect(result).to_have_attribute("data-color", "green")
    expect(result).to_have_attribute("data-offline", "0")
    expect(result.locator(".name")).to_have_text(ticket["name"])
    expect(result.locator(".type")).to_have_text("Vé tham quan")
    expect(page.locator("#count")).to_have_text("1")
    page.screenshot(path=str(SCREENSHOTS / "scanner-green.png"))

    result = wedge(page, ticket["qr"], 2)
    expect(result).to_have_attribute("data-status", "already_checked_in")
    expect(result).to_have_attribute("data-color", "amber")
    expect(result.locator(".name")).to_have_text(ticket["name"])
    expect(result.locator(".detail")).to_contain_text(MAIN_GATE)
    page.screenshot(path=str(SCREENSHOTS / "scanner-amber.png"))

    result = wedge(page, forged(other["qr"]), 3)
    expect(result).to_have_attribute("data-status", "invalid")
    expect(result).to_have_attribute("data-color", "red")
    expect(result.locator(".name")).to_have_text("")
    page.screenshot(path=str(SCREENSHOTS / "scanner-red.png"))
    expect(page.locator("#count")).to_have_text("1")

    # Manual search without diacritics ("duc" finds "Đức"), one tap checks the ticket in.
    page.locator("#result").click()
    page.locator("#search-toggle").click()
    page.locator("#search").fill("nguyen van duc")
    hit = page.locator(f'#search-results button[data-short-code="{searched["short_code"]}"]')
    expect(hit).to_have_count(1)
    hit.click()
    expect(result).to_have_attribute("data-seq", "4", timeout=ANSWER_S)
    expect(result).to_have_attribute("data-status", "ok")
    expect(result.locator(".name")).to_have_text(searched["name"])
    expect(page.locator("#pending")).to_have_text("0")

    from eventday.extensions import db
    from ticketing.checkin.models import Scan

    with live_server.app.app_context():
        rows = db.session.scalars(
            sa.select(Scan).where(Scan.device_id == device_id).order_by(Scan.id)
        ).all()
        seen = [(s.ticket_id, s.status, s.admits, s.offline) for s in rows]
        db.session.remove()
    assert seen == [
        (ticket["id"], "ok", True, False),
        (ticket["id"], "already_checked_in", False, False),
        (None, "invalid", False, False),
        (searched["id"], "ok", True, False),
    ]


def test_camera_admits_a_ticket_qr(live_server, chromium, gate_setup, tmp_path):
    from ticketing.qrimage import png_bytes

    (ticket,) = make_tickets(live_server, gate_setup, "A Lăng Thị Mai")
    video = write_y4m(tmp_path / "ticket.y4m", frame_with(png_bytes(ticket["qr"], scale=8)))
    browser = chromium.browser_type.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    try:
        context = browser.new_context(locale="vi-VN", **PHONE)
        context.set_default_timeout(10_000)
        page, device_id = pair(live_server, gate_setup, context, OCOP_GATE, "Điện thoại OCOP")
        assert page.evaluate("'BarcodeDetector' in window") is False  # the jsQR path, for real
        page.locator("#camera-toggle").click()
        expect(page.locator("#scanner")).to_have_attribute("data-camera", "jsqr")
        result = page.locator("#result")
        expect(result).to_have_attribute("data-status", "ok", timeout=ANSWER_S)
        expect(result).to_have_attribute("data-ticket-id", str(ticket["id"]))
        expect(result.locator(".name")).to_have_text(ticket["name"])
        nonce = result.get_attribute("data-nonce")
        # The QR stays in front of the camera: it is not scanned again and again.
        page.wait_for_timeout(1000)
        expect(result).to_have_attribute("data-seq", "1")
        context.close()
    finally:
        browser.close()

    scan = scans_by_nonce(live_server, [nonce])[nonce]
    assert scan["ticket_id"] == ticket["id"] and scan["device_id"] == device_id
    assert scan["status"] == "ok" and scan["admits"] and not scan["offline"]


def test_offline_scans_upload_with_their_times_and_duplicates_are_reported(
    live_server, new_context, gate_setup
):
    from eventday.extensions import db
    from eventday.festivals.models import Festival
    from ticketing.checkin.operations import duplicates_after_sync

    first, second, victim = make_tickets(
        live_server, gate_setup, "Zơrâm Thị Hoa", "Bhling Văn Tuấn", "Alăng Văn Khánh"
    )
    context = new_context(**PHONE)
    page, device_id = pair(live_server, gate_setup, context, MAIN_GATE, "Điện thoại cổng 2")

    # The network goes away: the app notices by itself, no scan needed.
    context.set_offline(True)
    expect(page.locator("#mode")).to_have_attribute("data-mode", "offline")
    recorded = {}
    for seq, (code, status) in enumerate(
        [(first["qr"], "ok"), (second["qr"], "ok"), (forged(victim["qr"]), "invalid")], start=1
    ):
        result = wedge(page, code, seq)
        expect(result).to_have_attribute("data-status", status)
        expect(result).to_have_attribute("data-offline", "1")
        recorded[result.get_attribute("data-nonce")] = (
            status,
            browser_time(result.get_attribute("data-scanned-at")),
        )
    expect(page.locator("#result .name")).to_have_text("")  # the forged one: nobody's ticket
    expect(page.locator("#pending")).to_have_text("3")
    assert scans_by_nonce(live_server, recorded) == {}  # nothing reached the server yet
    page.wait_for_timeout(1500)  # so that upload time and scan time cannot be confused

    context.set_offline(False)
    expect(page.locator("#mode")).to_have_attribute("data-mode", "online", timeout=ANSWER_S)
    expect(page.locator("#pending")).to_have_text("0", timeout=ANSWER_S)
    uploaded = scans_by_nonce(live_server, recorded)
    assert set(uploaded) == set(recorded)
    for nonce, (status, at) in recorded.items():
        scan = uploaded[nonce]
        assert scan["status"] == status and scan["offline"] and scan["device_id"] == device_id
        assert abs(scan["scanned_at"] - at) < dt.timedelta(milliseconds=1), (scan, at)
        assert scan["received_at"] - scan["scanned_at"] >= dt.timedelta(seconds=1.5)
    admitted = {uploaded[n]["ticket_id"] for n, (s, _) in recorded.items() if s == "ok"}
    assert admitted == {first["id"], second["id"]}
    first_admission = next(
        s for s in uploaded.values() if s["ticket_id"] == first["id"] and s["admits"]
    )

    # A second device at another gate, offline too, lets the first ticket in again.
    other = new_context(**PHONE)
    other_page, other_id = pair(live_server, gate_setup, other, OCOP_GATE, "Điện thoại OCOP 2")
    other.set_offline(True)
    expect(other_page.locator("#mode")).to_have_attribute("data-mode", "offline")
    result = wedge(other_page, first["qr"], 1)
    expect(result).to_have_attribute("data-status", "ok")  # it cannot know, offline
    duplicate_nonce = result.get_attribute("data-nonce")
    expect(other_page.locator("#pending")).to_have_text("1")
    other.set_offline(False)
    expect(other_page.locator("#pending")).to_have_text("0", timeout=ANSWER_S)
    # The phone says so: the server found that ticket already inside.
    expect(other_page.locator("#sync-report")).to_have_attribute("data-duplicates", "1")
    expect(other_page.locator("#sync-report")).to_be_visible()

    with live_server.app.app_context():
        festival = db.session.get(Festival, gate_setup.festival_id)
        mine = {first["id"], second["id"], victim["id"]}
        duplicates = [
            (s.nonce, s.device_id, s.gate.name, s.duplicate_of_id, s.status)
            for s in duplicates_after_sync(festival)
            if s.ticket_id in mine
        ]
        db.session.remove()
    # A paired phone has also kept the QR decoder, for the camera without network.
    page.wait_for_function(f"({CACHED_URLS})().then(urls => urls.includes('{JSQR}'))")
    assert duplicates == [
        (duplicate_nonce, other_id, OCOP_GATE, first_admission["id"], "already_checked_in")
    ]


def test_a_revoked_device_keeps_its_queue_until_the_phone_is_paired_again(
    live_server, new_context, gate_setup
):
    from eventday.extensions import db
    from ticketing.checkin import operations as checkin_ops
    from ticketing.checkin.models import ScannerDevice

    (ticket,) = make_tickets(live_server, gate_setup, "Ating Thị Nhung")
    context = new_context(**PHONE)
    page, device_id = pair(live_server, gate_setup, context, MAIN_GATE, "Điện thoại cổng 3")
    context.set_offline(True)
    expect(page.locator("#mode")).to_have_attribute("data-mode", "offline")
    result = wedge(page, ticket["qr"], 1)
    expect(result).to_have_attribute("data-status", "ok")
    nonce = result.get_attribute("data-nonce")
    scanned_at = browser_time(result.get_attribute("data-scanned-at"))
    # Offline, the phone remembers its own scans: the same ticket again is amber, at this gate.
    result = wedge(page, ticket["qr"], 2)
    expect(result).to_have_attribute("data-status", "already_checked_in")
    expect(result.locator(".detail")).to_contain_text(MAIN_GATE)
    expect(result.locator(".name")).to_have_text(ticket["name"])
    repeat_nonce = result.get_attribute("data-nonce")

    # Meanwhile the organizer revokes the phone: back online, the server refuses its token.
    with live_server.app.app_context():
        checkin_ops.revoke_device(db.session.get(ScannerDevice, device_id))
        db.session.commit()
        db.session.remove()
    context.set_offline(False)
    expect(page.locator("#banner")).to_have_attribute("data-kind", "error", timeout=ANSWER_S)
    expect(page.locator("#banner")).to_be_visible()
    expect(page.locator("#unpaired a")).to_be_visible()  # the way to pair again
    expect(page.locator("#mode")).to_have_attribute("data-mode", "online")  # it did answer
    page.wait_for_timeout(1000)
    expect(page.locator("#pending")).to_have_text("2")  # the scans stay on the phone
    assert scans_by_nonce(live_server, [nonce, repeat_nonce]) == {}

    # Paired again (a new device for the same list): the kept scan goes up, with its time.
    page, new_id = pair(live_server, gate_setup, context, MAIN_GATE, "Điện thoại cổng 3 (mới)")
    expect(page.locator("#pending")).to_have_text("0", timeout=ANSWER_S)
    expect(page.locator("#banner")).to_be_hidden()
    uploaded = scans_by_nonce(live_server, [nonce, repeat_nonce])
    scan = uploaded[nonce]
    assert scan["status"] == "ok" and scan["offline"] and scan["device_id"] == new_id
    assert abs(scan["scanned_at"] - scanned_at) < dt.timedelta(milliseconds=1)
    assert uploaded[repeat_nonce]["status"] == "already_checked_in"


def test_scanner_passes_the_ticket_code_vectors(live_server, new_context):
    """The app shell is cached by the service worker and opens offline; there, the browser's
    own EDT1 verifier (WebCrypto Ed25519) passes tests/ticketing/vectors.json."""
    context = new_context()
    page = context.new_page()
    page.goto(f"{live_server.url}/scan/")
    expect(page.locator("#unpaired")).to_be_visible()  # no device on this browser yet
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    cached = page.evaluate(CACHED_URLS)
    assert {"/scan/", "/scan/manifest.webmanifest", "/static/js/scanner.js"} <= set(cached)
    context.set_offline(True)
    page.reload()
    expect(page.locator("#unpaired")).to_be_visible()
    expect(page.locator("#mode")).to_have_attribute("data-mode", "offline")
    outcomes = page.evaluate(
        """async (v) => {
            const out = {valid: [], invalid: []};
            const verify = window.EventDayScanner.verifyTicketCode;
            for (const item of v.valid) {
                const r = await verify(item.qr_text, v.public_keys);
                out.valid.push(r.error ? {error: r.error} : {
                    key_id: r.claims.keyId, festival_id: r.claims.festivalId,
                    ticket_id: r.claims.ticketId, ticket_type_id: r.claims.ticketTypeId,
                    days: r.claims.days});
            }
            for (const item of v.invalid) {
                const r = await verify(item.qr_text, v.public_keys);
                out.invalid.push(r.error || "accepted");
            }
            return out;
        }""",
        VECTORS,
    )
    assert outcomes["valid"] == [
        {
            key: vector["claims"][key]
            for key in ("key_id", "festival_id", "ticket_id", "ticket_type_id", "days")
        }
        for vector in VECTORS["valid"]
    ]
    assert outcomes["invalid"] == [vector["reason"] for vector in VECTORS["invalid"]]
