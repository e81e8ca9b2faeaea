"""Cash at the venue: the place is held until the festival ends; gate staff mark it paid."""

from ticketing.payments.base import PaymentProvider


class CashProvider(PaymentProvider):
    name = "cash"

    def checkout_context(self, order) -> dict:
        return {"pay_at_gate": True, "due_vnd": order.total_vnd - order.paid_vnd}
