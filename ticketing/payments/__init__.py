"""Payment providers behind one interface: free, VietQR bank transfer, Stripe card, cash."""

from __future__ import annotations

from ticketing.payments.base import PaymentProvider


def provider_for(name: str) -> PaymentProvider:
    from ticketing.payments import bank_transfer, card, cash, free

    providers = {
        "free": free.FreeProvider(),
        "vietqr": bank_transfer.BankTransferProvider(),
        "stripe": card.StripeProvider(),
        "cash": cash.CashProvider(),
    }
    return providers[name]


__all__ = ["PaymentProvider", "provider_for"]
