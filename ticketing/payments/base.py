"""The interface each payment provider module implements."""

from __future__ import annotations

from typing import Any


class PaymentProvider:
    """A way to pay. ``checkout_context`` tells the order page what to show the buyer;
    ``refund`` gives the money back (or records that the organizer did it by hand)."""

    name = "base"
    refunds_automatically = False

    def checkout_context(self, order) -> dict[str, Any]:
        return {}

    def refund(self, payment) -> None:
        """Default: the organizer returns the money by hand; nothing to call."""
