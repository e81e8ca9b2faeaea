"""VietQR bank transfer: the order page shows a VietQR code with the amount and the order code
in the memo; organizers mark orders paid by hand or import the bank statement."""

from __future__ import annotations

from ticketing.payments.base import PaymentProvider


class BankTransferProvider(PaymentProvider):
    name = "vietqr"

    def checkout_context(self, order) -> dict:
        from ticketing import vietqr
        from ticketing.operations import payment_settings

        settings = payment_settings(order.festival)
        due = order.total_vnd - order.paid_vnd
        if not settings.vietqr_enabled or due <= 0:
            return {}
        memo = vietqr.order_memo(order.code)
        payload = vietqr.build_payload(settings.bank_bin, settings.account_number, due, memo)
        return {
            "vietqr_payload": payload,
            "bank_bin": settings.bank_bin,
            "bank_name": vietqr.BANKS.get(settings.bank_bin, settings.bank_bin),
            "account_number": settings.account_number,
            "account_name": settings.account_name,
            "memo": memo,
            "due_vnd": due,
        }
