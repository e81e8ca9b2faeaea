"""Free tickets: confirmed at once, nothing to pay or refund."""

from ticketing.payments.base import PaymentProvider


class FreeProvider(PaymentProvider):
    name = "free"
