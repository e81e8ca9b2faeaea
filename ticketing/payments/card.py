"""Stripe card payments (on when STRIPE_SECRET_KEY is configured)."""

from __future__ import annotations

from ticketing.payments.base import PaymentProvider


class StripeProvider(PaymentProvider):
    name = "stripe"
    refunds_automatically = True

    def checkout_context(self, order) -> dict:
        return {"stripe_checkout": True}

    def refund(self, payment) -> None:
        from ticketing import stripe_payments

        stripe_payments.refund(payment)
