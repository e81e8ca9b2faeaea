"""An attendee pays a ticket by card; localstripe's signed webhook marks the order paid.

Done when (issue 3, 2): against localstripe (started here on loopback), an attendee registers for
a paid ticket choosing card, pays on our checkout page through localstripe's mock Stripe.js with
the test card 4242 4242 4242 4242; localstripe's signed webhook reaches the live server, which
re-fetches the PaymentIntent and marks the order paid; the order page then shows it paid and the
tickets are mailed (an outbox row 'ticketing/order_confirmed'). Replaying that webhook changes
nothing; a bad signature gets 400 and changes nothing.

The live server is this file's own (not tests/browser/conftest.py's): it needs the STRIPE_*
settings from the start, and its WSGI app is wrapped to keep a copy of each webhook request as
it arrived, so the test can replay localstripe's delivery byte for byte.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect
from werkzeug.serving import make_server

from tests.conftest import base_config
from tests.ticketing.stripe_server import Delivery, require_localstripe, sign

pytestmark = pytest.mark.browser

WEBHOOK_SECRET = "whsec_eventday_browser_test"
PRICE = 200_000
BUYER = "Alăng Thị Thẻ"
EMAIL = "alang.the@example.vn"
PAID_WAIT_S = 20


class WebhookTap:
    """WSGI middleware: keeps each POST /stripe/webhook request (raw body, signature) and the
    status the app answered, then lets the app handle it as usual."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self.deliveries: list[tuple[Delivery, str]] = []
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != "/stripe/webhook" or environ["REQUEST_METHOD"] != "POST":
            return self.wsgi_app(environ, start_response)
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        try:
            event = json.loads(body)
        except ValueError:
            event = {}
        delivery = Delivery(
            "/stripe/webhook", environ.get("HTTP_STRIPE_SIGNATURE", ""), body, event
        )

        def recording_start_response(status, headers, exc_info=None):
            with self._lock:
                self.deliveries.append((delivery, status))
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, recording_start_response)

    def succeeded(self, intent_id: str) -> list[tuple[Delivery, str]]:
        with self._lock:
            return [
                (d, status)
                for d, status in self.deliveries
                if d.event.get("type") == "payment_intent.succeeded" and d.intent_id == intent_id
            ]


@dataclass
class CardServer:
    url: str
    app: object
    tap: WebhookTap
    slug: str
    type_id: int


@pytest.fixture(scope="module")
def localstripe(tmp_path_factory):
    server = require_localstripe(tmp_path_factory.mktemp("localstripe-browser"))
    yield server
    server.stop()


def _seed(app) -> tuple[str, int]:
    """A published festival with a paid ticket type; card payments on by default."""
    from eventday.accounts import operations as account_ops
    from eventday.areas.models import Area
    from eventday.areas.operations import import_bundled
    from eventday.extensions import db
    from eventday.festivals import operations as festival_ops
    from ticketing.models import TicketType

    with app.app_context():
        import_bundled()
        organizer = account_ops.create_user(
            "tochuc.the@example.vn", "correct-horse-battery", "Bhling Mai", verified=True
        )
        host = db.session.scalar(
            sa.select(Area).where(
                Area.level == "commune", Area.code == "20455", Area.valid_to.is_(None)
            )
        )
        start = dt.date.today() + dt.timedelta(days=20)
        festival = festival_ops.create_festival(
            organizer,
            festival_ops.FestivalData(
                name_vi="Ngày hội khởi nghiệp xã Tây Giang (thẻ)",
                name_en="Tây Giang startup festival (card)",
                slug="ngay-hoi-the-tay-giang",
                host_area_ids=[host.id],
                start_date=start,
                end_date=start + dt.timedelta(days=1),
                day_starts=dt.time(8, 0),
                day_ends=dt.time(17, 0),
                venue_name="Nhà văn hóa xã Tây Giang",
                groups=["youth", "farmers"],
            ),
        )
        festival_ops.change_state(festival, "published")
        ticket_type = TicketType(
            festival_id=festival.id,
            name_vi="Vé ủng hộ",
            name_en="Supporter ticket",
            price_vnd=PRICE,
            quota=50,
        )
        db.session.add(ticket_type)
        db.session.commit()
        result = festival.slug, ticket_type.id
        db.session.remove()
    return result


@pytest.fixture(scope="module")
def card_server(tmp_path_factory, localstripe):
    from eventday import create_app
    from eventday.extensions import db

    tmp = tmp_path_factory.mktemp("eventday-card")
    previous_instance = os.environ.get("EVENTDAY_INSTANCE")
    os.environ["EVENTDAY_INSTANCE"] = str(tmp / "instance")
    try:
        config = base_config(tmp, "sqlite:///" + str(tmp / "card.sqlite3"))
        config["WTF_CSRF_ENABLED"] = True
        config.update(localstripe.app_config(WEBHOOK_SECRET))
        app = create_app(config)
    finally:
        if previous_instance is None:
            os.environ.pop("EVENTDAY_INSTANCE", None)
        else:
            os.environ["EVENTDAY_INSTANCE"] = previous_instance
    with app.app_context():
        db.create_all()
    slug, type_id = _seed(app)

    tap = WebhookTap(app.wsgi_app)
    app.wsgi_app = tap
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = url
    thread = threading.Thread(target=server.serve_forever, name="eventday-card", daemon=True)
    thread.start()
    # localstripe signs every event with this secret and posts it to the live server.
    localstripe.register_webhook("eventday-live", f"{url}/stripe/webhook", WEBHOOK_SECRET)
    try:
        yield CardServer(url=url, app=app, tap=tap, slug=slug, type_id=type_id)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def post_webhook(url: str, body: bytes, signature: str) -> tuple[int, dict]:
    request = urllib.request.Request(  # noqa: S310 - the live server on loopback
        f"{url}/stripe/webhook",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "Stripe-Signature": signature},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, {}


def snapshot(app, order_id: int) -> dict:
    from eventday.extensions import db
    from eventday.mail import OutboxMail
    from ticketing.models import Order, Payment, StripeEvent

    with app.app_context():
        order = db.session.get(Order, order_id)
        result = {
            "state": order.state,
            "paid_vnd": order.paid_vnd,
            "payments": [
                (p.provider, p.state, p.amount_vnd, p.external_id)
                for p in db.session.scalars(
                    sa.select(Payment).where(Payment.order_id == order_id).order_by(Payment.id)
                )
            ],
            "tickets": [t.state for t in order.tickets],
            "confirmations": db.session.scalar(
                sa.select(sa.func.count(OutboxMail.id)).where(
                    OutboxMail.recipient == EMAIL,
                    OutboxMail.template == "ticketing/order_confirmed",
                )
            ),
            "mails": db.session.scalar(sa.select(sa.func.count(OutboxMail.id))),
            "events": db.session.scalar(sa.select(sa.func.count()).select_from(StripeEvent)),
        }
        db.session.remove()
    return result


def test_attendee_pays_by_card_and_the_signed_webhook_confirms_the_order(
    card_server, localstripe, new_context
):
    from eventday.extensions import db
    from ticketing.util import order_from_token

    base = card_server.url
    page = new_context(viewport={"width": 390, "height": 844}, locale="en-US").new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))

    # --- Registration for the paid ticket, choosing card.
    page.goto(f"{base}/f/{card_server.slug}/register/{card_server.type_id}?n=1")
    page.fill("input[name='attendees-0-full_name']", BUYER)
    page.fill("input[name='attendees-0-email']", EMAIL)
    page.check("input[name=payment_method][value=stripe]")
    page.check("input[name=consent]")
    page.locator("main form.form > button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/o/[^/]+$"))
    token = page.url.rsplit("/o/", 1)[1]
    expect(page.locator(".badge[data-state]")).to_have_attribute("data-state", "pending")
    with card_server.app.app_context():
        order = order_from_token(token)
        order_id, total = order.id, order.total_vnd
        assert order.payment_method == "stripe" and total == PRICE
        db.session.remove()

    # --- Our checkout page, with localstripe's mock Stripe.js and its card Element.
    page.locator(f'a[href="/o/{token}/pay/card"]').click()
    expect(page).to_have_url(f"{base}/o/{token}/pay/card")
    (payment,) = snapshot(card_server.app, order_id)["payments"]
    assert payment[:3] == ("stripe", "pending", PRICE)
    intent_id = payment[3]
    intent = localstripe.intent(intent_id)
    assert (intent["amount"], intent["currency"]) == (PRICE, "vnd")
    assert intent["metadata"]["order_id"] == str(order_id)

    card = page.locator("#payment-element")
    expect(card).to_contain_text("localstripe")
    card.locator("input[placeholder=number]").fill("4242424242424242")
    card.locator("input[placeholder=exp_month]").fill("12")
    card.locator("input[placeholder=exp_year]").fill("30")
    card.locator("input[placeholder=cvc]").fill("123")
    card.locator("input[placeholder=postal_code]").fill("70000")
    expect(page.locator("#card-submit")).to_be_enabled()
    page.locator("#card-submit").click()

    # --- Back on the order page; localstripe's webhook (sent ~1 s later) confirms it.
    expect(page).to_have_url(f"{base}/o/{token}")
    deadline = time.monotonic() + PAID_WAIT_S
    while page.locator(".badge[data-state]").get_attribute("data-state") != "paid":
        assert time.monotonic() < deadline, (
            f"order not paid within {PAID_WAIT_S} s; webhooks seen: {card_server.tap.deliveries}"
        )
        time.sleep(0.5)
        page.reload()
    expect(page.locator("article.ticket-row")).to_have_count(1)
    expect(page.locator("article.ticket-row").first).to_contain_text(BUYER)
    expect(page.locator(f'article.ticket-row a[href^="/o/{token}/t/"]').first).to_be_visible()
    assert page_errors == []

    # It was the signed webhook from localstripe that did it, answered 200, and the intent
    # is paid at Stripe.
    ((delivery, status),) = card_server.tap.succeeded(intent_id)
    assert status.startswith("200"), status
    assert delivery.signature.startswith("t=") and ",v1=" in delivery.signature
    assert localstripe.intent(intent_id)["status"] == "succeeded"
    paid = snapshot(card_server.app, order_id)
    assert paid["state"] == "paid" and paid["paid_vnd"] == PRICE
    assert paid["payments"] == [("stripe", "succeeded", PRICE, intent_id)]
    assert paid["tickets"] == ["valid"]
    assert paid["confirmations"] == 1  # the tickets were mailed
    assert paid["events"] == 1

    # --- Replaying the webhook, byte for byte: accepted, and nothing changes.
    status, answer = post_webhook(base, delivery.body, delivery.signature)
    assert (status, answer.get("result")) == (200, "duplicate")
    assert snapshot(card_server.app, order_id) == paid

    # --- A bad signature: 400, and nothing changes.
    timestamp = int(delivery.signature.split(",")[0].removeprefix("t="))
    for signature in (
        sign(delivery.body, "whsec_not_ours", timestamp),
        delivery.signature.replace(",v1=", ",v1=00"),
    ):
        status, _ = post_webhook(base, delivery.body, signature)
        assert status == 400
    forged = json.loads(delivery.body)
    forged["id"] = "evt_forgedWithoutTheSecret"
    body = json.dumps(forged).encode()
    status, _ = post_webhook(base, body, sign(body, "whsec_not_ours"))
    assert status == 400
    assert snapshot(card_server.app, order_id) == paid


STRIPE_JS_STUB = """
window.stripeCalls = [];
window.Stripe = function (key) {
  stripeCalls.push(['Stripe', key]);
  var attempts = 0;
  return {
    elements: function (options) {
      stripeCalls.push(['elements', options]);
      return {create: function (type) {
        stripeCalls.push(['create', type]);
        return {mount: function (selector) {
          stripeCalls.push(['mount', selector]);
          document.querySelector(selector).textContent = 'Payment Element';
        }};
      }};
    },
    confirmPayment: function (args) {
      attempts += 1;
      stripeCalls.push(['confirmPayment', {
        elements: !!args.elements, return_url: args.confirmParams.return_url,
        redirect: args.redirect}]);
      return Promise.resolve(attempts === 1
        ? {error: {message: 'Stub: your card was declined.'}}
        : {paymentIntent: {status: 'succeeded'}});
    },
  };
};
"""


def test_checkout_uses_the_payment_element_with_real_stripe_js(card_server, new_context):
    """The production branch of the page, against a stub with Stripe.js v3's documented API
    (the real script needs the internet): Payment Element mounted with the intent's client
    secret, confirmPayment() with our return URL; an error is shown, a success goes to the
    order page. Only the webhook marks the order paid, so it stays pending here."""
    from eventday.extensions import db
    from eventday.festivals.models import Festival
    from ticketing import operations as ops
    from ticketing.models import TicketType
    from ticketing.util import order_token

    with card_server.app.app_context():
        festival = db.session.scalar(sa.select(Festival).where(Festival.slug == card_server.slug))
        order = ops.place_order(
            ops.OrderRequest(
                festival=festival,
                ticket_type=db.session.get(TicketType, card_server.type_id),
                attendees=[ops.AttendeeData(full_name="Zơ Râm Thị Element", phone="0905111222")],
                payment_method="stripe",
                locale="vi",
            )
        )
        db.session.commit()
        token, order_id = order_token(order), order.id
        db.session.remove()

    context = new_context()
    context.route(
        re.compile(r".*/js\.stripe\.com/v3/$"),
        lambda route: route.fulfill(content_type="application/javascript", body=STRIPE_JS_STUB),
    )
    page = context.new_page()
    page.goto(f"{card_server.url}/o/{token}/pay/card")
    expect(page.locator("#payment-element")).to_have_text("Payment Element")
    intent_id = snapshot(card_server.app, order_id)["payments"][0][3]
    secret = page.locator("#card-form").get_attribute("data-client-secret")
    assert secret.startswith(f"{intent_id}_secret_")

    page.locator("#card-submit").click()
    expect(page.locator("#card-error")).to_have_text("Stub: your card was declined.")
    calls = page.evaluate("stripeCalls")
    assert calls[:4] == [
        ["Stripe", card_server.app.config["STRIPE_PUBLISHABLE_KEY"]],
        ["elements", {"clientSecret": secret, "locale": "vi"}],
        ["create", "payment"],
        ["mount", "#payment-element"],
    ]
    assert calls[4] == [
        "confirmPayment",
        {
            "elements": True,
            "return_url": f"{card_server.url}/o/{token}",
            "redirect": "if_required",
        },
    ]

    page.locator("#card-submit").click()
    expect(page).to_have_url(f"{card_server.url}/o/{token}")
    expect(page.locator(".badge[data-state]")).to_have_attribute("data-state", "pending")
