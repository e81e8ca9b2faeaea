"""Stripe card payments: PaymentIntents on our own checkout page, a signed webhook, refunds.

The flow:

1. ``GET /o/<token>/pay/card`` creates (or reuses) a PaymentIntent for what the order still
   owes, in VND — a zero-decimal currency, so the amount is whole đồng as stored — with an
   idempotency key derived from the order and the amount, and records it as a *pending*
   ``Payment`` (external id = the PaymentIntent id). The page mounts the Payment Element.
2. The buyer pays in the browser; Stripe calls ``POST /stripe/webhook``. The view verifies the
   ``Stripe-Signature`` header, records the event id in ``StripeEvent`` (a replay finds it and
   changes nothing), re-fetches the PaymentIntent from the API — the event's copy is not trusted
   — and only when Stripe says ``succeeded`` marks the order paid through
   ``operations.record_payment``: the pending row of that intent becomes the succeeded payment.
3. ``refund(payment)`` (called by ``operations.refund_order`` through the card provider) gives
   the money back through the Refunds API, with an idempotency key per payment.

Only the webhook marks an order paid: the browser's word that a payment went through is not
proof. Configuration: STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY, STRIPE_WEBHOOK_SECRET,
STRIPE_API_BASE (unset: api.stripe.com; the tests point it at localstripe) and STRIPE_JS_URL.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import stripe
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import DataRequired, Regexp

from eventday.extensions import csrf, db
from eventday.permissions import public
from ticketing import operations as ops
from ticketing.models import Order, Payment, StripeEvent
from ticketing.util import order_from_token
from ticketing.views import bp

log = logging.getLogger("eventday.stripe")

CURRENCY = "vnd"  # zero-decimal at Stripe: amount 150000 means 150.000 ₫
DEFAULT_JS_URL = "https://js.stripe.com/v3/"
API_TIMEOUT_S = 20
# PaymentIntent states in which the buyer can still pay with this intent.
PAYABLE_STATES = frozenset({"requires_payment_method", "requires_confirmation", "requires_action"})
# States in which the money is on its way or there: never start a second intent then.
IN_FLIGHT_STATES = frozenset({"processing", "requires_capture", "succeeded"})


class StripeUnavailable(ops.TicketingError):
    """Stripe is not configured, or its API could not be reached."""


class CardDeclined(ops.TicketingError):
    """The card issuer (or Stripe) refused the payment; the buyer may try another card."""


class CardRefundFailed(ops.TicketingError):
    """Stripe did not accept the refund; nothing was changed here."""


# --------------------------------------------------------------------------- the API client


def is_configured() -> bool:
    config = current_app.config
    return bool(config.get("STRIPE_SECRET_KEY") and config.get("STRIPE_PUBLISHABLE_KEY"))


def client() -> stripe.StripeClient:
    """A StripeClient for this app's keys (no global ``stripe.api_key``: tests run two apps)."""
    key = current_app.config.get("STRIPE_SECRET_KEY")
    if not key:
        raise StripeUnavailable("STRIPE_SECRET_KEY is not set")
    base = current_app.config.get("STRIPE_API_BASE") or None
    cache = current_app.extensions.setdefault("eventday_stripe", {})
    api = cache.get((key, base))
    if api is None:
        api = stripe.StripeClient(
            key,
            base_addresses={"api": base} if base else None,
            # Retries are safe: every POST carries an idempotency key.
            max_network_retries=2,
            http_client=stripe.RequestsClient(timeout=API_TIMEOUT_S),
        )
        cache[(key, base)] = api
    return api


def intent_idempotency_key(order: Order, amount_vnd: int, attempt: int) -> str:
    """The same order, amount and attempt always name the same PaymentIntent at Stripe, so a
    double click, a reload or a retried request never creates a second one. The order code (random)
    keeps keys of a reset development database from meeting old intents."""
    return f"eventday-pi-{order.id}-{order.code}-{amount_vnd}-{attempt}"


def refund_idempotency_key(payment: Payment) -> str:
    return f"eventday-refund-{payment.external_id}"


# --------------------------------------------------------------------------- checkout


@dataclass
class Checkout:
    payment: Payment
    intent: Any  # stripe.PaymentIntent

    @property
    def in_flight(self) -> bool:
        return self.intent.status in IN_FLIGHT_STATES

    @property
    def needs_action(self) -> bool:
        return self.intent.status == "requires_action"


def due_vnd(order: Order) -> int:
    return max(0, order.total_vnd - order.paid_vnd)


def _stripe_payments(order: Order, state: str) -> list[Payment]:
    return [p for p in order.payments if p.provider == "stripe" and p.state == state]


def start_checkout(order: Order) -> Checkout:
    """The PaymentIntent the buyer pays now: the order's open one if it still fits, otherwise
    a new one for the amount due, recorded as a pending payment. Flushes, never commits."""
    if order.state != "pending" or order.payment_method != "stripe":
        raise ops.OrderNotOpen()
    amount = due_vnd(order)
    if amount <= 0:
        raise ops.OrderNotOpen()
    api = client()
    try:
        for payment in reversed(_stripe_payments(order, "pending")):
            intent = api.v1.payment_intents.retrieve(payment.external_id)
            if intent.status in IN_FLIGHT_STATES:
                return Checkout(payment, intent)
            if (
                intent.status in PAYABLE_STATES
                and intent.amount == amount
                and intent.currency == CURRENCY
            ):
                return Checkout(payment, intent)
            # Cancelled at Stripe, or for an amount the order no longer owes: this attempt is over.
            if intent.status in PAYABLE_STATES:
                api.v1.payment_intents.cancel(intent.id)
            payment.state = "failed"
        db.session.flush()
        attempt = len(_stripe_payments(order, "failed"))
        intent = api.v1.payment_intents.create(
            {
                "amount": amount,
                "currency": CURRENCY,
                "payment_method_types": ["card"],
                "metadata": {"order_id": str(order.id), "order_code": order.code},
            },
            {"idempotency_key": intent_idempotency_key(order, amount, attempt)},
        )
    except stripe.StripeError as exc:
        log.warning("Stripe checkout for order %s failed: %s", order.code, exc)
        raise StripeUnavailable(str(exc)) from exc
    return Checkout(_pending_payment(order, intent), intent)


def _pending_payment(order: Order, intent) -> Payment:
    """Record the intent as a pending payment. Two requests racing with the same idempotency key
    get the same intent from Stripe: the unique (provider, external_id) lets one row win."""
    payment = Payment(
        order_id=order.id,
        provider="stripe",
        state="pending",
        amount_vnd=intent.amount,
        external_id=intent.id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(payment)
            db.session.flush()
    except sa.exc.IntegrityError:
        payment = db.session.scalar(
            sa.select(Payment).where(Payment.provider == "stripe", Payment.external_id == intent.id)
        )
    db.session.expire(order, ["payments"])
    return payment


def confirm_on_server(order: Order, payment_method: str) -> Checkout:
    """Confirm the order's open PaymentIntent with a card the browser tokenised.

    Only the fallback for a Stripe.js without the Payment Element (localstripe's mock, see the
    checkout template); the real Stripe.js confirms in the browser. The intent is updated, then
    confirmed without parameters: localstripe implements that pair, not
    ``confirm(payment_method=…)``.
    """
    checkout = start_checkout(order)
    if checkout.intent.status not in PAYABLE_STATES:
        return checkout
    api = client()
    try:
        api.v1.payment_intents.update(checkout.intent.id, {"payment_method": payment_method})
        checkout.intent = api.v1.payment_intents.confirm(checkout.intent.id)
    except stripe.CardError as exc:
        log.info("card declined for order %s: %s", order.code, exc.user_message)
        raise CardDeclined(exc.user_message or "") from exc
    except stripe.StripeError as exc:
        log.warning("Stripe confirmation for order %s failed: %s", order.code, exc)
        raise StripeUnavailable(str(exc)) from exc
    return checkout


# --------------------------------------------------------------------------- webhook


def claim_event(event_id: str, event_type: str) -> bool:
    """Record a processed event id; False if it already was. The primary key settles a race
    between two deliveries of one event: the second insert fails inside its SAVEPOINT (on
    PostgreSQL it waits for the first transaction), and the transaction goes on."""
    try:
        with db.session.begin_nested():
            db.session.add(StripeEvent(id=event_id, type=event_type[:80]))
            db.session.flush()
    except sa.exc.IntegrityError:
        return False
    return True


def handle_event(event) -> str:
    """Apply one verified webhook event. Returns what happened (for the log and the response).
    Flushes, never commits; raises ``stripe.StripeError`` if the API could not be asked."""
    event_id, event_type = event.id, event.type
    if db.session.get(StripeEvent, event_id) is not None:
        return "duplicate"
    if event_type not in ("payment_intent.succeeded", "payment_intent.canceled"):
        return "ignored"
    intent_id = getattr(event.data.object, "id", None)
    if not isinstance(intent_id, str) or not intent_id.startswith("pi_"):
        return "ignored"
    # Never trust the event's copy: ask Stripe for the intent as it is now.
    intent = client().v1.payment_intents.retrieve(intent_id)
    expected = event_type.rsplit(".", 1)[1]
    if intent.status != expected:
        # Not recorded as processed: a later delivery of the same event is looked at again.
        log.warning(
            "event %s says %s but intent %s is %s: ignored",
            event_id,
            event_type,
            intent_id,
            intent.status,
        )
        return "ignored"
    if not claim_event(event_id, event_type):
        return "duplicate"
    if expected == "succeeded":
        return _record_succeeded(intent)
    return _record_canceled(intent)


def _intent_payment(intent_id: str) -> Payment | None:
    return db.session.scalar(
        sa.select(Payment).where(Payment.provider == "stripe", Payment.external_id == intent_id)
    )


def _intent_order(intent, payment: Payment | None) -> Order | None:
    order_id = payment.order_id if payment is not None else None
    if order_id is None:
        metadata = getattr(intent, "metadata", None)  # a StripeObject, not a dict
        raw = metadata["order_id"] if metadata is not None and "order_id" in metadata else ""
        order_id = int(raw) if str(raw).isdigit() else None
    if order_id is None:
        return None
    # Serialise with an organizer marking the same order paid or cancelling it.
    return db.session.get(Order, order_id, with_for_update=True, populate_existing=True)


def _record_succeeded(intent) -> str:
    payment = _intent_payment(intent.id)
    if payment is not None and payment.state in ("succeeded", "refunded"):
        return "already recorded"
    order = _intent_order(intent, payment)
    if order is None:
        log.error("succeeded intent %s names no order of ours", intent.id)
        return "unknown order"
    if intent.currency != CURRENCY:
        log.error(
            "intent %s for order %s is in %s, not VND", intent.id, order.code, intent.currency
        )
        return "wrong currency"
    amount = getattr(intent, "amount_received", None) or intent.amount
    if order.state in ("cancelled", "refunded"):
        return _refund_late_payment(order, payment, intent, amount)
    # record_payment turns the pending row of this intent into the succeeded payment.
    ops.record_payment(order, amount, intent.id, provider="stripe")
    log.info("order %s paid by card: %s đồng (%s)", order.code, amount, intent.id)
    return "paid"


def _refund_late_payment(order: Order, payment: Payment | None, intent, amount: int) -> str:
    """The money arrived for an order cancelled meanwhile: give it back at once."""
    client().v1.refunds.create(
        {"payment_intent": intent.id, "amount": amount},
        {"idempotency_key": f"eventday-refund-{intent.id}"},
    )
    if payment is None:
        payment = Payment(order_id=order.id, provider="stripe", external_id=intent.id)
        db.session.add(payment)
    payment.state = "refunded"
    payment.amount_vnd = amount
    payment.note = "late_refund"  # shown translated (ticketing.util.NOTE_LABELS)
    db.session.flush()
    log.warning("order %s was %s when its card payment arrived: refunded", order.code, order.state)
    return "refunded"


def _record_canceled(intent) -> str:
    payment = _intent_payment(intent.id)
    if payment is not None and payment.state == "pending":
        payment.state = "failed"
        db.session.flush()
    return "canceled"


def refund(payment: Payment) -> None:
    """Give a card payment back through Stripe (``operations.refund_order`` marks the rows)."""
    if not payment.external_id:
        raise CardRefundFailed("payment without a PaymentIntent id")
    try:
        client().v1.refunds.create(
            {"payment_intent": payment.external_id, "amount": payment.amount_vnd},
            {"idempotency_key": refund_idempotency_key(payment)},
        )
    except stripe.StripeError as exc:
        log.warning("refund of %s failed: %s", payment.external_id, exc)
        raise CardRefundFailed(str(exc)) from exc


# --------------------------------------------------------------------------- views


class CardConfirmForm(FlaskForm):
    """The server-confirmation fallback: the id of the card the browser tokenised."""

    payment_method = HiddenField(
        validators=[DataRequired(), Regexp(r"^(pm|card|src)_[A-Za-z0-9]{1,64}$")]
    )


def _card_order_or_404(token: str) -> Order:
    order = order_from_token(token)
    if order is None or not is_configured():
        abort(404)
    return order


@bp.route("/o/<token>/pay/card", methods=["GET", "POST"])
@public
def stripe_checkout(token: str):
    """Our checkout page (GET); POST is the server confirmation of a tokenised card."""
    order = _card_order_or_404(token)
    back = url_for("ticketing.show_order", token=token)
    if ops.release_expired(order.festival):
        db.session.commit()
    if order.state != "pending" or order.payment_method != "stripe":
        if order.state == "paid":
            flash(_("This order is paid."), "info")
        return redirect(back)
    form = CardConfirmForm()
    try:
        if request.method == "POST":
            if not form.validate_on_submit():
                abort(400)
            checkout = confirm_on_server(order, form.payment_method.data)
            db.session.commit()
            if checkout.needs_action:
                return redirect(url_for("ticketing.stripe_checkout", token=token))
            flash(_("Thank you. We are confirming your payment with the bank."), "success")
            return redirect(back)
        checkout = start_checkout(order)
    except CardDeclined:
        db.session.rollback()
        flash(
            _("The payment did not go through. Check the card details or use another card."),
            "danger",
        )
        return redirect(url_for("ticketing.stripe_checkout", token=token))
    except (StripeUnavailable, ops.OrderNotOpen):
        db.session.rollback()
        flash(
            _("Card payment is not available right now. Please try again in a few minutes."),
            "danger",
        )
        return redirect(back)
    db.session.commit()
    config = current_app.config
    return render_template(
        "ticketing/stripe_checkout.html",
        order=order,
        festival=order.festival,
        token=token,
        checkout=checkout,
        amount=checkout.intent.amount,
        form=form,
        publishable_key=config["STRIPE_PUBLISHABLE_KEY"],
        stripe_js_url=config.get("STRIPE_JS_URL") or DEFAULT_JS_URL,
        return_url=url_for("ticketing.show_order", token=token, _external=True),
    )


@bp.post("/stripe/webhook")
@public
def stripe_webhook():
    """Stripe's calls; authenticated by the signature, not by a session (so no CSRF token)."""
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    if not secret or not current_app.config.get("STRIPE_SECRET_KEY"):
        abort(404)
    payload = request.get_data()  # the raw bytes: the signature covers them exactly
    try:
        event = client().construct_event(payload, request.headers.get("Stripe-Signature"), secret)
    except (ValueError, stripe.SignatureVerificationError) as exc:
        log.warning("Stripe webhook refused: %s", exc)
        return {"error": "invalid signature or payload"}, 400
    try:
        outcome = handle_event(event)
    except stripe.StripeError as exc:
        db.session.rollback()
        log.warning("Stripe webhook %s could not be handled now: %s", event.id, exc)
        return {"error": "Stripe API unavailable; retry later"}, 503
    db.session.commit()
    log.info("Stripe webhook %s (%s): %s", event.id, event.type, outcome)
    return {"received": event.id, "result": outcome}


csrf.exempt(stripe_webhook)
