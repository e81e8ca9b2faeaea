"""Stripe card payments against a real localstripe: the checkout's PaymentIntent, the signed
webhook (paid once, replays harmless, bad signatures refused, the intent re-fetched before
trusting an event) and refunds. The webhooks here are the ones localstripe signs and sends,
caught on loopback and handed to the app's test client byte for byte."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa
import stripe

from eventday.extensions import db
from eventday.mail import OutboxMail
from tests.conftest import csrf_token
from tests.ticketing.stripe_server import (
    Delivery,
    require_localstripe,
    sign,
    webhook_inbox,
)
from ticketing import operations as ops
from ticketing import stripe_payments
from ticketing.models import Order, Payment, StripeEvent
from ticketing.util import order_token

WEBHOOK_SECRET = "whsec_eventday_unit_tests"
PRICE = 150_000
EN = {"Accept-Language": "en"}


@pytest.fixture(scope="module")
def localstripe(tmp_path_factory):
    server = require_localstripe(tmp_path_factory.mktemp("localstripe"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def inbox(localstripe):
    with webhook_inbox() as inbox:
        localstripe.register_webhook("unit-tests", inbox.url, WEBHOOK_SECRET)
        yield inbox


@pytest.fixture(autouse=True)
def stripe_config(app, localstripe, inbox, monkeypatch):
    for key, value in localstripe.app_config(WEBHOOK_SECRET).items():
        monkeypatch.setitem(app.config, key, value)


@pytest.fixture
def card_order(create_festival, create_ticket_type):
    """make(quantity=1) -> a pending order to be paid by card."""

    def make(quantity: int = 1) -> Order:
        festival = create_festival(state="published")
        ticket_type = create_ticket_type(festival, price_vnd=PRICE)
        order = ops.place_order(
            ops.OrderRequest(
                festival=festival,
                ticket_type=ticket_type,
                attendees=[
                    ops.AttendeeData(full_name=f"Hồ Văn Thẻ {n}", email=f"the{n}@example.vn")
                    for n in range(quantity)
                ],
                payment_method="stripe",
                locale="en",
            )
        )
        db.session.commit()
        assert order.state == "pending" and order.payment_method == "stripe"
        return order

    return make


def checkout_path(order: Order) -> str:
    return f"/o/{order_token(order)}/pay/card"


def is_order_page(location: str) -> bool:
    # The private link carries a timestamp: compare the shape, not the exact token.
    return re.fullmatch(r"(http://localhost)?/o/[\w.-]+", location) is not None


def stripe_rows(order: Order) -> list[Payment]:
    db.session.expire_all()
    return db.session.scalars(
        sa.select(Payment).where(Payment.order_id == order.id).order_by(Payment.id)
    ).all()


def open_checkout(client, order: Order) -> Payment:
    response = client.get(checkout_path(order), headers=EN)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    (payment,) = [p for p in stripe_rows(order) if p.state == "pending"]
    return payment


def pay_by_card(client, localstripe, order: Order, number: str = "4242424242424242"):
    """What the checkout page does with localstripe's mock Stripe.js: tokenise the card at
    Stripe with the publishable key, post the card id to our server, which confirms."""
    path = checkout_path(order)
    token = csrf_token(client, path)
    card = localstripe.card_token(number)
    return client.post(
        path, data={"csrf_token": token, "payment_method": card["card"]["id"]}, headers=EN
    )


def succeeded_webhook(inbox, intent_id: str) -> Delivery:
    return inbox.wait_for(
        lambda d: d.intent_id == intent_id and d.event.get("type") == "payment_intent.succeeded"
    )


def post_webhook(client, body: bytes, signature: str):
    return client.post(
        "/stripe/webhook",
        data=body,
        headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
    )


def snapshot(order: Order) -> dict:
    db.session.expire_all()
    fresh = db.session.get(Order, order.id)
    return {
        "state": fresh.state,
        "paid_vnd": fresh.paid_vnd,
        "payments": [(p.state, p.amount_vnd, p.external_id) for p in stripe_rows(order)],
        "tickets": [t.state for t in fresh.tickets],
        "mails": db.session.scalar(sa.select(sa.func.count(OutboxMail.id))),
        "events": db.session.scalar(sa.select(sa.func.count()).select_from(StripeEvent)),
    }


# --------------------------------------------------------------------------- checkout


def test_checkout_creates_one_intent_for_the_due_amount(
    client, localstripe, card_order, monkeypatch
):
    sent = []
    original = stripe.HTTPClient.request_with_retries

    def recording(self, method, url, headers, *args, **kwargs):
        sent.append((method, url, dict(headers)))
        return original(self, method, url, headers, *args, **kwargs)

    monkeypatch.setattr(stripe.HTTPClient, "request_with_retries", recording)
    order = card_order(quantity=2)

    response = client.get(checkout_path(order), headers=EN)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    payment = open_checkout(client, order)  # a reload reuses the same intent
    assert payment.provider == "stripe" and payment.amount_vnd == 2 * PRICE
    intent = localstripe.intent(payment.external_id)
    assert intent["amount"] == 2 * PRICE == order.total_vnd  # VND is zero-decimal: whole đồng
    assert intent["currency"] == "vnd"
    assert intent["metadata"] == {"order_id": str(order.id), "order_code": order.code}
    assert intent["status"] == "requires_payment_method"

    creates = [h for m, u, h in sent if m == "post" and u.endswith("/v1/payment_intents")]
    assert len(creates) == 1, sent
    key = creates[0].get("Idempotency-Key")
    assert key == stripe_payments.intent_idempotency_key(order, 2 * PRICE, 0)
    assert str(order.id) in key and str(2 * PRICE) in key

    # The page mounts Stripe.js (here localstripe's mock) with the intent's client secret.
    assert f'src="{localstripe.js_url}"' in html
    assert f'data-client-secret="{intent["client_secret"]}"' in html
    assert f'data-publishable-key="{localstripe.publishable_key}"' in html
    assert "Pay ₫300,000" in html


def test_checkout_only_for_pending_card_orders(client, app, card_order, monkeypatch):
    order = card_order()
    ops.cancel_order(order)
    db.session.commit()
    response = client.get(checkout_path(order))
    assert response.status_code == 302 and is_order_page(response.headers["Location"])
    assert stripe_rows(order) == []
    assert client.get("/o/not-a-token/pay/card").status_code == 404
    other = card_order()
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", None)
    assert client.get(checkout_path(other)).status_code == 404


def test_declined_card_leaves_the_order_pending(client, localstripe, card_order):
    order = card_order()
    payment = open_checkout(client, order)
    response = pay_by_card(client, localstripe, order, number="4000000000000341")
    assert response.status_code == 302 and response.headers["Location"].endswith("/pay/card")
    page = client.get(checkout_path(order), headers=EN).get_data(as_text=True)
    assert "The payment did not go through" in page
    assert snapshot(order)["state"] == "pending"
    assert localstripe.intent(payment.external_id)["status"] == "requires_payment_method"


def test_three_d_secure_step_after_server_confirmation(client, localstripe, inbox, card_order):
    order = card_order()
    intent_id = open_checkout(client, order).external_id
    response = pay_by_card(client, localstripe, order, number="4000002760003184")
    assert response.status_code == 302 and response.headers["Location"].endswith("/pay/card")
    page = client.get(checkout_path(order), headers=EN).get_data(as_text=True)
    assert 'data-next-action="1"' in page
    assert [p.external_id for p in stripe_rows(order)] == [intent_id]
    # The buyer completes 3-D Secure (what the mock's confirmCardPayment() does in the page).
    intent = localstripe.intent(intent_id)
    localstripe.call(
        "POST",
        f"/v1/payment_intents/{intent['id']}/_authenticate?success=true",
        {"client_secret": intent["client_secret"], "key": localstripe.publishable_key},
        auth=False,
    )
    delivery = succeeded_webhook(inbox, intent_id)
    assert post_webhook(client, delivery.body, delivery.signature).status_code == 200
    assert snapshot(order)["state"] == "paid"


# --------------------------------------------------------------------------- webhook


def test_signed_webhook_marks_paid_and_mails_tickets_once(client, localstripe, inbox, card_order):
    order = card_order()
    intent_id = open_checkout(client, order).external_id
    response = pay_by_card(client, localstripe, order)
    assert response.status_code == 302 and is_order_page(response.headers["Location"])
    # Only the webhook marks the order paid, not the browser coming back.
    assert snapshot(order)["state"] == "pending"
    page = client.get(checkout_path(order), headers=EN).get_data(as_text=True)
    assert "is being confirmed" in page and "data-client-secret" not in page

    delivery = succeeded_webhook(inbox, intent_id)
    response = post_webhook(client, delivery.body, delivery.signature)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json["result"] == "paid"

    after = snapshot(order)
    assert after["state"] == "paid" and after["paid_vnd"] == PRICE
    # The pending row of the intent became the succeeded payment; no second row.
    assert after["payments"] == [("succeeded", PRICE, intent_id)]
    assert after["tickets"] == ["valid"]
    assert db.session.get(StripeEvent, delivery.event["id"]) is not None
    mails = db.session.scalars(
        sa.select(OutboxMail).where(
            OutboxMail.recipient == order.buyer_email,
            OutboxMail.template == "ticketing/order_confirmed",
        )
    ).all()
    assert len(mails) == 1
    assert any(a["kind"] == "ticket_qr" for a in mails[0].attachments)

    # Stripe delivers again (a retry, or an attacker replaying it): nothing changes.
    replay = post_webhook(client, delivery.body, delivery.signature)
    assert replay.status_code == 200 and replay.json["result"] == "duplicate"
    assert snapshot(order) == after


def test_bad_signature_is_refused_and_changes_nothing(client, localstripe, inbox, card_order):
    order = card_order()
    intent_id = open_checkout(client, order).external_id
    pay_by_card(client, localstripe, order)
    delivery = succeeded_webhook(inbox, intent_id)
    before = snapshot(order)

    timestamp = int(delivery.signature.split(",")[0].removeprefix("t="))
    forged = [
        sign(delivery.body, "whsec_someone_else", timestamp),  # wrong secret
        delivery.signature.replace("v1=", "v1=0"),  # tampered signature
        "",  # none at all
    ]
    for signature in forged:
        assert post_webhook(client, delivery.body, signature).status_code == 400
    # A changed body under the genuine signature.
    tampered = delivery.body.replace(b'"payment_intent.succeeded"', b'"payment_intent.succeedeD"')
    assert tampered != delivery.body
    assert post_webhook(client, tampered, delivery.signature).status_code == 400
    assert snapshot(order) == before
    assert snapshot(order)["state"] == "pending"

    # The genuine delivery still works: the refusals above were the signature's doing.
    assert post_webhook(client, delivery.body, delivery.signature).status_code == 200
    assert snapshot(order)["state"] == "paid"


def test_event_is_not_trusted_without_refetching_the_intent(client, localstripe, card_order):
    """A correctly signed ``payment_intent.succeeded`` whose intent Stripe says is unpaid."""
    order = card_order()
    payment = open_checkout(client, order)
    intent = localstripe.intent(payment.external_id)
    assert intent["status"] == "requires_payment_method"
    claimed = dict(intent, status="succeeded", amount_received=intent["amount"])
    event = {
        "id": "evt_eventdayForgedButSigned",
        "object": "event",
        "type": "payment_intent.succeeded",
        "created": 1_800_000_000,
        "livemode": False,
        "api_version": "2017-08-15",
        "data": {"object": claimed},
    }
    body = json.dumps(event).encode()
    before = snapshot(order)

    response = post_webhook(client, body, sign(body, WEBHOOK_SECRET))
    assert response.status_code == 200 and response.json["result"] == "ignored"
    assert snapshot(order) == before
    assert db.session.get(StripeEvent, event["id"]) is None  # not marked processed either


def test_claim_event_is_race_safe(app, card_order):
    """The second claim of an event id (another worker's delivery) loses without an error."""
    assert stripe_payments.claim_event("evt_race", "payment_intent.succeeded") is True
    db.session.commit()
    assert stripe_payments.claim_event("evt_race", "payment_intent.succeeded") is False
    # The transaction is still usable after the failed insert inside its SAVEPOINT.
    order = card_order()
    assert db.session.get(Order, order.id) is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StripeEvent)) == 1


def test_intent_without_a_pending_row_is_matched_by_its_metadata(
    client, localstripe, inbox, card_order
):
    order = card_order()
    card = localstripe.card_token()["card"]["id"]
    intent = localstripe.call(
        "POST",
        "/v1/payment_intents",
        {
            "amount": PRICE,
            "currency": "vnd",
            "payment_method": card,
            "confirm": True,
            "metadata": {"order_id": str(order.id), "order_code": order.code},
        },
    )
    delivery = succeeded_webhook(inbox, intent["id"])
    assert post_webhook(client, delivery.body, delivery.signature).json["result"] == "paid"
    after = snapshot(order)
    assert after["state"] == "paid"
    assert after["payments"] == [("succeeded", PRICE, intent["id"])]


def test_payment_arriving_for_a_cancelled_order_is_refunded(client, localstripe, inbox, card_order):
    order = card_order()
    intent_id = open_checkout(client, order).external_id
    pay_by_card(client, localstripe, order)
    ops.cancel_order(db.session.get(Order, order.id))  # in another tab, while paying
    db.session.commit()

    delivery = succeeded_webhook(inbox, intent_id)
    response = post_webhook(client, delivery.body, delivery.signature)
    assert response.status_code == 200 and response.json["result"] == "refunded"
    after = snapshot(order)
    assert after["state"] == "cancelled" and after["paid_vnd"] == 0
    assert after["payments"] == [("refunded", PRICE, intent_id)]
    refunds = localstripe.call("GET", f"/v1/refunds?payment_intent={intent_id}")
    assert [r["amount"] for r in refunds["data"]] == [PRICE]


# --------------------------------------------------------------------------- refunds


def test_refund_goes_through_stripe(client, localstripe, inbox, card_order):
    order = card_order()
    intent_id = open_checkout(client, order).external_id
    pay_by_card(client, localstripe, order)
    delivery = succeeded_webhook(inbox, intent_id)
    assert post_webhook(client, delivery.body, delivery.signature).status_code == 200
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.state == "paid"

    ops.refund_order(order, user_id=None, note="festival cancelled")
    db.session.commit()

    after = snapshot(order)
    assert after["state"] == "refunded"
    assert after["payments"] == [("refunded", PRICE, intent_id)]
    assert after["tickets"] == ["refunded"]
    refunds = localstripe.call("GET", f"/v1/refunds?payment_intent={intent_id}")
    assert [(r["amount"], r["status"]) for r in refunds["data"]] == [(PRICE, "succeeded")]
    charge = localstripe.intent(intent_id)["latest_charge"]
    charge = (
        charge if isinstance(charge, dict) else localstripe.call("GET", f"/v1/charges/{charge}")
    )
    assert charge["refunded"] is True


def test_refund_refused_by_stripe_changes_nothing(client, localstripe, card_order):
    """A payment Stripe cannot refund (the intent was never paid) raises a domain error."""
    order = card_order()
    payment = open_checkout(client, order)
    with pytest.raises(stripe_payments.CardRefundFailed):
        stripe_payments.refund(payment)
    assert isinstance(stripe_payments.CardRefundFailed("x"), ops.TicketingError)
