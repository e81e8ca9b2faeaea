"""VietQR (NAPAS, EMVCo merchant-presented QR) payloads for bank transfers.

See docs in shared/domain/vietqr.md: every field is ID (2 digits) + length (2 digits) + value,
and the payload ends with a CRC-16/CCITT-FALSE over everything up to and including "6304".
"""

from __future__ import annotations

import re
import unicodedata

from flask_babel import lazy_gettext as _l

from ticketing.codes import normalize_code

NAPAS_GUID = "A000000727"
SERVICE_TO_ACCOUNT = "QRIBFTTA"
SERVICE_TO_CARD = "QRIBFTTC"
CURRENCY_VND = "704"
COUNTRY_VN = "VN"
PURPOSE_MAX = 25
ACCOUNT_MAX = 19
AMOUNT_MAX_DIGITS = 13

# BIN -> short bank name (the banks listed in vietqr.md).
BANKS: dict[str, str] = {
    "970436": "Vietcombank",
    "970405": "Agribank",
    "970418": "BIDV",
    "970415": "VietinBank",
    "970422": "MB",
    "970423": "TPBank",
    "970407": "Techcombank",
    "970416": "ACB",
    "970432": "VPBank",
    "970403": "Sacombank",
    "970454": "BVBank",
}

_BIN_RE = re.compile(r"\d{6}")
_ACCOUNT_RE = re.compile(r"[A-Za-z0-9]{1,19}")
# Free text that every banking app keeps: ASCII letters, digits and single spaces.
_PURPOSE_DROP_RE = re.compile(r"[^A-Za-z0-9 ]+")


class VietQRError(ValueError):
    """A payload cannot be built or parsed; ``reason`` is a translated message."""

    def __init__(self, reason: object) -> None:
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return str(self.reason)


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no xor-out."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def _field(tag: str, value: str) -> str:
    if len(value) > 99:
        raise VietQRError(_l("A QR field is longer than 99 characters."))
    return f"{tag}{len(value):02d}{value}"


def ascii_purpose(text: str) -> str:
    """'Vé ngày hội Đà Nẵng!' -> 'Ve ngay hoi Da Nang' (ASCII letters, digits, spaces; ≤ 25)."""
    text = (text or "").replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    kept = _PURPOSE_DROP_RE.sub(" ", stripped)
    return " ".join(kept.split())[:PURPOSE_MAX].rstrip()


def build_payload(
    bank_bin: str,
    account: str,
    amount_vnd: int | None = None,
    purpose: str = "",
    *,
    to_card: bool = False,
) -> str:
    """The VietQR text for a transfer: dynamic ("12") with an amount, static ("11") without."""
    bank_bin = (bank_bin or "").strip()
    account = (account or "").strip()
    if not _BIN_RE.fullmatch(bank_bin):
        raise VietQRError(_l("The bank BIN must be 6 digits."))
    if not _ACCOUNT_RE.fullmatch(account):
        raise VietQRError(_l("The account number must be 1 to 19 letters or digits."))
    if amount_vnd is not None:
        if isinstance(amount_vnd, bool) or not isinstance(amount_vnd, int):
            raise VietQRError(_l("The amount must be a whole number of đồng."))
        if amount_vnd <= 0:
            raise VietQRError(_l("The amount must be positive."))
        if len(str(amount_vnd)) > AMOUNT_MAX_DIGITS:
            raise VietQRError(_l("The amount is too large for a VietQR code."))

    beneficiary = _field("00", bank_bin) + _field("01", account)
    merchant = (
        _field("00", NAPAS_GUID)
        + _field("01", beneficiary)
        + _field("02", SERVICE_TO_CARD if to_card else SERVICE_TO_ACCOUNT)
    )
    parts = [
        _field("00", "01"),
        _field("01", "12" if amount_vnd is not None else "11"),
        _field("38", merchant),
        _field("53", CURRENCY_VND),
    ]
    if amount_vnd is not None:
        parts.append(_field("54", str(amount_vnd)))
    parts.append(_field("58", COUNTRY_VN))
    memo = ascii_purpose(purpose)
    if memo:
        parts.append(_field("62", _field("08", memo)))
    body = "".join(parts) + "6304"
    return body + f"{crc16_ccitt_false(body.encode('ascii')):04X}"


def _parse_tlv(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    pos = 0
    while pos < len(text):
        head = text[pos : pos + 4]
        if len(head) < 4 or not head.isdigit():
            raise VietQRError(_l("Malformed QR field at position %(pos)s.", pos=pos))
        tag, length = head[:2], int(head[2:])
        value = text[pos + 4 : pos + 4 + length]
        if len(value) != length:
            raise VietQRError(_l("QR field %(tag)s is truncated.", tag=tag))
        fields[tag] = value
        pos += 4 + length
    return fields


def parse_payload(text: str) -> dict:
    """Parse and check a VietQR text; raises VietQRError on a bad structure or CRC.

    Returns ``{"fields": {tag: raw value}, "format", "initiation" ("static"/"dynamic"),
    "guid", "bank_bin", "bank", "account", "service", "currency", "amount_vnd" (int or None),
    "country", "additional": {subtag: value}, "purpose", "crc"}``.
    """
    text = (text or "").strip()
    if len(text) < 8 or text[-8:-4] != "6304":
        raise VietQRError(_l("The QR text does not end with a CRC field."))
    expected = f"{crc16_ccitt_false(text[:-4].encode('utf-8')):04X}"
    if text[-4:].upper() != expected:
        raise VietQRError(
            _l(
                "Bad CRC: expected %(expected)s, found %(found)s.",
                expected=expected,
                found=text[-4:],
            )
        )
    fields = _parse_tlv(text)
    merchant = _parse_tlv(fields.get("38", ""))
    beneficiary = _parse_tlv(merchant.get("01", ""))
    additional = _parse_tlv(fields.get("62", ""))
    initiation = {"11": "static", "12": "dynamic"}.get(fields.get("01", ""), "")
    amount = fields.get("54")
    bank_bin = beneficiary.get("00", "")
    return {
        "fields": fields,
        "format": fields.get("00", ""),
        "initiation": initiation,
        "guid": merchant.get("00", ""),
        "bank_bin": bank_bin,
        "bank": BANKS.get(bank_bin, ""),
        "account": beneficiary.get("01", ""),
        "service": merchant.get("02", ""),
        "currency": fields.get("53", ""),
        "amount_vnd": int(amount) if amount and amount.isdigit() else None,
        "country": fields.get("58", ""),
        "additional": additional,
        "purpose": additional.get("08", ""),
        "crc": fields.get("63", ""),
    }


def order_memo(order_code: str) -> str:
    """The transfer memo for an order: just its code, e.g. 'DH4KQ7XA'.

    Banks truncate memos and strip punctuation, so nothing else goes in; the statement import
    finds the code again even when the bank lower-cases it or adds spaces or dashes.
    """
    return normalize_code(order_code)
