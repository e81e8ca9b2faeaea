"""VietQR payloads (the NAPAS test vectors, byte for byte) and QR images read back by zxing."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image

from ticketing import qrimage
from ticketing.vietqr import (
    BANKS,
    VietQRError,
    ascii_purpose,
    build_payload,
    crc16_ccitt_false,
    order_memo,
    parse_payload,
)

VECTOR_ACB = (
    "00020101021238530010A0000007270123000697041601092576788590208QRIBFTTA"
    "53037045405100005802VN62150811Chuyen tien630453E6"
)
VECTOR_VCB = (
    "00020101021238540010A00000072701240006970436011012345678900208QRIBFTTA"
    "530370454061500005802VN62270823VE NGAYHOI DG2025 T000163042925"
)


def decode_png(png: bytes) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def test_crc_check_value():
    # The catalogue check value of CRC-16/CCITT-FALSE.
    assert crc16_ccitt_false(b"123456789") == 0x29B1
    assert crc16_ccitt_false(b"") == 0xFFFF


def test_vector_acb():
    assert build_payload("970416", "257678859", 10_000, "Chuyen tien") == VECTOR_ACB


def test_vector_vietcombank():
    payload = build_payload("970436", "1234567890", 150_000, "VE NGAYHOI DG2025 T0001")
    assert payload == VECTOR_VCB


@pytest.mark.parametrize("vector", [VECTOR_ACB, VECTOR_VCB])
def test_vectors_parse(vector):
    parsed = parse_payload(vector)
    assert parsed["format"] == "01"
    assert parsed["initiation"] == "dynamic"
    assert parsed["guid"] == "A000000727"
    assert parsed["service"] == "QRIBFTTA"
    assert parsed["currency"] == "704"
    assert parsed["country"] == "VN"
    assert parsed["crc"] == vector[-4:]


def test_parse_fields():
    parsed = parse_payload(VECTOR_VCB)
    assert parsed["bank_bin"] == "970436"
    assert parsed["bank"] == "Vietcombank"
    assert parsed["account"] == "1234567890"
    assert parsed["amount_vnd"] == 150_000
    assert parsed["purpose"] == "VE NGAYHOI DG2025 T0001"


def test_static_payload_has_no_amount():
    payload = build_payload("970422", "0123456789")
    assert payload.startswith("000201010211")
    parsed = parse_payload(payload)
    assert parsed["initiation"] == "static"
    assert parsed["amount_vnd"] is None
    assert "54" not in parsed["fields"]
    assert "62" not in parsed["fields"]  # no purpose, no additional data field


def test_to_card():
    parsed = parse_payload(build_payload("970418", "9704180000000001", 50_000, to_card=True))
    assert parsed["service"] == "QRIBFTTC"
    assert parsed["account"] == "9704180000000001"


def test_purpose_is_ascii_folded_and_short():
    payload = build_payload("970405", "123", 20_000, "Vé Ngày hội Đà Nẵng — đợt 2, năm 2025!")
    purpose = parse_payload(payload)["purpose"]
    assert purpose == "Ve Ngay hoi Da Nang dot 2"
    assert len(purpose) <= 25
    assert purpose.isascii()
    assert ascii_purpose("  đồng   ĐỒNG  ") == "dong DONG"
    assert ascii_purpose("!!!") == ""


def test_purpose_truncation_drops_trailing_space():
    assert ascii_purpose("A" * 24 + " B") == "A" * 24


@pytest.mark.parametrize(
    ("bank_bin", "account", "amount"),
    [
        ("97043", "123", 1000),  # BIN too short
        ("97043A", "123", 1000),  # BIN not digits
        ("970436", "", 1000),  # no account
        ("970436", "1" * 20, 1000),  # account too long
        ("970436", "12-34", 1000),  # account not alphanumeric
        ("970436", "123", 0),
        ("970436", "123", -5),
        ("970436", "123", 10**13),  # 14 digits
        ("970436", "123", 1500.0),
        ("970436", "123", True),
    ],
)
def test_invalid_input(bank_bin, account, amount):
    with pytest.raises(VietQRError) as info:
        build_payload(bank_bin, account, amount)
    assert str(info.value)  # a reason is given


def test_largest_amount():
    amount = 10**13 - 1
    assert parse_payload(build_payload("970436", "1", amount))["amount_vnd"] == amount


def test_bad_crc_refused():
    broken = VECTOR_ACB[:-4] + "0000"
    with pytest.raises(VietQRError):
        parse_payload(broken)
    tampered = VECTOR_ACB.replace("10000", "90000")
    with pytest.raises(VietQRError):
        parse_payload(tampered)
    with pytest.raises(VietQRError):
        parse_payload("hello")


def test_banks():
    assert BANKS["970436"] == "Vietcombank"
    assert BANKS["970416"] == "ACB"
    assert len(BANKS) == 11
    assert all(len(b) == 6 and b.isdigit() for b in BANKS)


def test_order_memo():
    assert order_memo("DH4KQ7XA") == "DH4KQ7XA"
    assert order_memo(" dh-4kq7xa ") == "DH4KQ7XA"
    payload = build_payload("970436", "1234567890", 150_000, order_memo("DH4KQ7XA"))
    assert parse_payload(payload)["purpose"] == "DH4KQ7XA"


def test_vietqr_png_decodes_to_payload():
    assert decode_png(qrimage.png_bytes(VECTOR_VCB)) == [VECTOR_VCB]


def test_png_unicode_text_and_small_scale():
    text = "Vé ngày hội — K7QX3MPA"
    assert decode_png(qrimage.png_bytes(text, scale=3, border=2)) == [text]


def test_png_is_png():
    png = qrimage.png_bytes("abc")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    small = Image.open(io.BytesIO(qrimage.png_bytes("abc", scale=2)))
    assert image.size[0] == 4 * small.size[0]


def test_svg():
    svg = qrimage.svg_text(VECTOR_ACB)
    assert svg.startswith("<svg") and "<?xml" not in svg
    uri = qrimage.svg_data_uri(VECTOR_ACB)
    assert uri.startswith("data:image/svg+xml")
