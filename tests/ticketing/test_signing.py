"""Signed ticket QR codes: the EDT1 format (fixed by test vectors), festival keys, revocation."""

from __future__ import annotations

import base64
import datetime as dt
import io
import itertools
import json
import re
import secrets
import threading
import uuid
from pathlib import Path

import pytest
import segno
import sqlalchemy as sa
import zxingcpp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image

from eventday.extensions import db
from ticketing import signing
from ticketing.codes import ticket_short_code
from ticketing.models import FestivalKey, Order, OrderLine, Ticket, TicketType
from ticketing.signing import (
    TicketClaims,
    TicketCodeError,
    decode_and_verify,
    encode_claims,
    festival_signing_key,
    private_key_for,
    public_keys,
    revocation_list,
    rotate_key,
    sign_ticket,
    ticket_claims,
    verify_for_festival,
)

VECTORS = json.loads((Path(__file__).parent / "vectors.json").read_text(encoding="utf-8"))
SEED = bytes(range(1, 33))
KEY = Ed25519PrivateKey.from_private_bytes(SEED)
PUBLIC = signing.raw_public_key(KEY)
QR_ALPHANUMERIC = re.compile(r"[0-9A-Z $%*+\-./:]*")

CLAIMS = TicketClaims(
    version=1,
    key_id=0x12345678,
    festival_id=7,
    ticket_id=1001,
    ticket_type_id=3,
    days=(dt.date(2026, 12, 5), dt.date(2026, 12, 6)),
)
KEYS = {CLAIMS.key_id: PUBLIC}


def vector_claims(data: dict) -> TicketClaims:
    return TicketClaims(
        version=data["version"],
        key_id=data["key_id"],
        festival_id=data["festival_id"],
        ticket_id=data["ticket_id"],
        ticket_type_id=data["ticket_type_id"],
        days=tuple(dt.date.fromisoformat(day) for day in data["days"]),
    )


def vector_keys() -> dict[int, bytes]:
    return {
        int(key_id): base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4))
        for key_id, b64 in VECTORS["public_keys"].items()
    }


def blob_of(text: str) -> bytes:
    body = text.removeprefix("EDT1:")
    return base64.b32decode(body + "=" * (-len(body) % 8))


def text_of(blob: bytes) -> str:
    return "EDT1:" + base64.b32encode(blob).decode().rstrip("=")


def reason_of(text: str, keys: dict[int, bytes] = KEYS) -> str:
    with pytest.raises(TicketCodeError) as caught:
        decode_and_verify(text, keys)
    return caught.value.reason


# --- The format ------------------------------------------------------------------------------


def test_round_trip():
    text = encode_claims(CLAIMS, KEY)
    assert text.startswith("EDT1:")
    assert decode_and_verify(text, KEYS) == CLAIMS


def test_unsorted_and_repeated_days_come_back_sorted():
    days = (dt.date(2026, 12, 6), dt.date(2026, 12, 5), dt.date(2026, 12, 6))
    text = encode_claims(TicketClaims(1, 1, 2, 3, 4, days), KEY)
    assert decode_and_verify(text, {1: PUBLIC}).days == (dt.date(2026, 12, 5), dt.date(2026, 12, 6))


def test_text_is_short_and_qr_alphanumeric():
    for vector in VECTORS["valid"]:
        text = vector["qr_text"]
        assert len(text) == signing.TEXT_LENGTH == 141 < 160
        assert QR_ALPHANUMERIC.fullmatch(text)
        assert segno.make(text, error="m").mode == "alphanumeric"


@pytest.mark.parametrize("vector", VECTORS["valid"], ids=lambda v: v["name"])
def test_vectors_are_recomputed_byte_for_byte(vector):
    assert bytes.fromhex(VECTORS["private_key_seed_hex"]) == SEED
    assert PUBLIC.hex() == VECTORS["public_key_hex"]
    assert signing.b64url(PUBLIC) == VECTORS["public_key_b64url"]
    claims = vector_claims(vector["claims"])
    message = signing.pack_message(claims)
    assert message.hex() == vector["message_hex"]
    assert KEY.sign(message).hex() == vector["signature_hex"]
    assert encode_claims(claims, KEY) == vector["qr_text"]
    assert blob_of(vector["qr_text"]) == message + KEY.sign(message)
    assert decode_and_verify(vector["qr_text"], vector_keys()) == claims


def test_first_vector_layout_by_hand():
    message = bytes.fromhex(VECTORS["valid"][0]["message_hex"])
    assert len(message) == 21
    assert message[0] == 1  # version
    assert int.from_bytes(message[1:5]) == 0x12345678  # key id
    assert int.from_bytes(message[5:9]) == 7  # festival id
    assert int.from_bytes(message[9:13]) == 1001  # ticket id
    assert int.from_bytes(message[13:17]) == 3  # ticket type id
    assert int.from_bytes(message[17:19]) == (dt.date(2026, 12, 5) - dt.date(2020, 1, 1)).days
    assert int.from_bytes(message[19:21]) == 0b11  # 5 and 6 December


@pytest.mark.parametrize("vector", VECTORS["invalid"], ids=lambda v: v["name"])
def test_invalid_vectors_are_rejected_with_their_reason(vector):
    assert reason_of(vector["qr_text"], vector_keys()) == vector["reason"]


def test_every_rejection_reason_is_covered_by_the_vectors():
    assert {v["reason"] for v in VECTORS["invalid"]} == {
        "format",
        "version",
        "unknown_key",
        "signature",
    }


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "format"),
        ("EDT1:", "format"),
        ("https://example.vn/t/123", "format"),
        ("edt1:" + "A" * 136, "format"),
        ("EDT1:" + "A" * 135 + "=", "format"),
        ("EDT9:" + "A" * 136, "version"),
    ],
)
def test_malformed_texts(text, reason):
    assert reason_of(text) == reason


def test_unknown_key_and_wrong_key():
    text = encode_claims(CLAIMS, KEY)
    assert reason_of(text, {}) == "unknown_key"
    assert reason_of(text, {CLAIMS.key_id + 1: PUBLIC}) == "unknown_key"
    other = signing.raw_public_key(Ed25519PrivateKey.generate())
    assert reason_of(text, {CLAIMS.key_id: other}) == "signature"
    assert reason_of(text, {CLAIMS.key_id: b"\x00" * 31}) == "signature"


def test_tampering_with_any_byte_fails():
    blob = blob_of(encode_claims(CLAIMS, KEY))
    assert len(blob) == 85
    for index, flip in itertools.product(range(len(blob)), (0x01, 0x80, 0xFF)):
        tampered = bytearray(blob)
        tampered[index] ^= flip
        with pytest.raises(TicketCodeError):
            decode_and_verify(text_of(bytes(tampered)), KEYS)


def test_tampering_with_any_character_fails():
    text = encode_claims(CLAIMS, KEY)
    for index in range(len(text)):
        replacement = "B" if text[index] != "B" else "C"
        with pytest.raises(TicketCodeError):
            decode_and_verify(text[:index] + replacement + text[index + 1 :], KEYS)


@pytest.mark.parametrize(
    "claims",
    [
        TicketClaims(2, 1, 1, 1, 1, (dt.date(2026, 1, 1),)),  # unknown version
        TicketClaims(1, 2**32, 1, 1, 1, (dt.date(2026, 1, 1),)),  # key id over 32 bits
        TicketClaims(1, 1, -1, 1, 1, (dt.date(2026, 1, 1),)),
        TicketClaims(1, 1, 1, 1, 1, ()),  # no day
        TicketClaims(1, 1, 1, 1, 1, (dt.date(2026, 1, 1), dt.date(2026, 1, 17))),  # 17-day span
        TicketClaims(1, 1, 1, 1, 1, (dt.date(2019, 12, 31),)),  # before the epoch
    ],
)
def test_claims_that_do_not_fit_are_refused(claims):
    with pytest.raises(ValueError, match=r".") as caught:
        encode_claims(claims, KEY)
    assert not isinstance(caught.value, TicketCodeError)


def test_sixteen_day_span_fits():
    days = (dt.date(2026, 1, 1), dt.date(2026, 1, 16))
    text = encode_claims(TicketClaims(1, 1, 1, 1, 1, days), KEY)
    assert decode_and_verify(text, {1: PUBLIC}).days == days


def test_qr_png_decodes_with_zxing_and_verifies():
    text = VECTORS["valid"][1]["qr_text"]
    buf = io.BytesIO()
    segno.make(text, error="m").save(buf, kind="png", scale=8, border=4)
    buf.seek(0)
    results = zxingcpp.read_barcodes(Image.open(buf))
    assert [r.text for r in results] == [text]
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode
    assert decode_and_verify(results[0].text, vector_keys()) == vector_claims(
        VECTORS["valid"][1]["claims"]
    )


# --- Festival keys and tickets (database) ----------------------------------------------------

_numbers = itertools.count(1)


def make_ticket(festival, *, state="valid", type_days=None, ticket_type=None) -> Ticket:
    n = next(_numbers)
    if ticket_type is None:
        ticket_type = TicketType(
            festival_id=festival.id, name_vi=f"Vé thử {n}", price_vnd=0, days=type_days or []
        )
        db.session.add(ticket_type)
    order = Order(
        festival_id=festival.id,
        code=f"DHT{uuid.uuid4().hex[:9].upper()}",
        payment_method="free",
        state="paid",
        buyer_name="Trần Văn An",
        buyer_email="an@example.vn",
    )
    line = OrderLine(
        order=order,
        kind="ticket",
        ticket_type=ticket_type,
        description="Vé",
        quantity=1,
        unit_price_vnd=0,
    )
    db.session.add_all([order, line])
    db.session.flush()
    ticket = Ticket(
        festival_id=festival.id,
        order=order,
        order_line_id=line.id,
        ticket_type=ticket_type,
        state=state,
        secret=secrets.token_urlsafe(32),
        short_code=ticket_short_code(),
        attendee_name="Trần Văn An",
        name_folded="tran van an",
        email="an@example.vn",
    )
    db.session.add(ticket)
    db.session.flush()
    return ticket


def test_festival_signing_key_is_created_once_and_encrypted_at_rest(create_festival):
    festival = create_festival()
    key = festival_signing_key(festival)
    assert festival_signing_key(festival) is key
    assert 0 < key.key_id < 2**32
    assert key.retired_at is None
    assert len(key.public_key) == 32
    private_key = private_key_for(key)
    raw = private_key.private_bytes_raw()
    assert raw not in key.private_key_encrypted
    assert len(key.private_key_encrypted) == 12 + 32 + 16  # nonce, ciphertext, tag
    assert signing.raw_public_key(private_key) == key.public_key
    count = db.session.scalar(
        sa.select(sa.func.count()).where(FestivalKey.festival_id == festival.id)
    )
    assert count == 1
    # Each festival gets its own key.
    assert festival_signing_key(create_festival()).key_id != key.key_id


def test_private_key_needs_the_same_secret_key(app, create_festival, monkeypatch):
    key = festival_signing_key(create_festival())
    private_key_for(key)
    monkeypatch.setitem(app.config, "SECRET_KEY", "another-secret")
    with pytest.raises(signing.FestivalKeyError):
        private_key_for(key)


def test_encrypted_key_is_bound_to_its_key_id(create_festival):
    key = festival_signing_key(create_festival())
    key.key_id ^= 1  # associated data no longer matches
    with pytest.raises(signing.FestivalKeyError):
        private_key_for(key)


def test_concurrent_first_key_uses_the_winner(create_festival, monkeypatch):
    """The other request inserted the active key after our read: the unique index refuses
    ours inside a SAVEPOINT, the session stays usable and we return the winner."""
    festival = create_festival()
    winner = festival_signing_key(festival)
    real_active_key = signing._active_key
    calls = []

    def stale_first_read(festival_id, **kwargs):
        calls.append(festival_id)
        return None if len(calls) == 1 else real_active_key(festival_id, **kwargs)

    monkeypatch.setattr(signing, "_active_key", stale_first_read)
    assert festival_signing_key(festival) is winner
    assert len(calls) == 2
    assert db.session.scalars(
        sa.select(FestivalKey.key_id).where(FestivalKey.festival_id == festival.id)
    ).all() == [winner.key_id]


def test_sign_ticket_round_trip_with_type_days(create_festival):
    festival = create_festival(days=3)
    first, _, third = festival.days
    ticket = make_ticket(festival, type_days=[third, first])
    text = sign_ticket(ticket)
    claims = verify_for_festival(text, festival)
    assert claims == ticket_claims(ticket)
    assert claims == TicketClaims(
        version=1,
        key_id=festival_signing_key(festival).key_id,
        festival_id=festival.id,
        ticket_id=ticket.id,
        ticket_type_id=ticket.ticket_type_id,
        days=(first.day, third.day),
    )
    assert re.fullmatch(r"[0-9A-Z:]+", text)
    assert "Trần" not in text
    assert "an@example.vn" not in text


def test_type_without_days_admits_every_festival_day(create_festival):
    festival = create_festival(days=2)
    ticket = make_ticket(festival)
    assert ticket_claims(ticket).days == tuple(day.day for day in festival.days)


def test_rotate_key_keeps_old_tickets_verifiable(create_festival):
    festival = create_festival()
    old_key = festival_signing_key(festival)
    ticket = make_ticket(festival)
    old_text = sign_ticket(ticket)

    new_key = rotate_key(festival)
    assert new_key.key_id != old_key.key_id
    assert old_key.retired_at is not None
    assert new_key.retired_at is None
    assert festival_signing_key(festival) is new_key

    new_text = sign_ticket(ticket)
    assert new_text != old_text
    assert verify_for_festival(old_text, festival).key_id == old_key.key_id
    assert verify_for_festival(new_text, festival).key_id == new_key.key_id

    listed = public_keys(festival)
    assert listed == [
        {
            "key_id": old_key.key_id,
            "public_key": signing.b64url(old_key.public_key),
            "alg": "Ed25519",
            "active": False,
        },
        {
            "key_id": new_key.key_id,
            "public_key": signing.b64url(new_key.public_key),
            "alg": "Ed25519",
            "active": True,
        },
    ]
    # What the API serves is enough for a scanner to verify offline.
    offline_keys = {
        entry["key_id"]: base64.urlsafe_b64decode(entry["public_key"] + "=") for entry in listed
    }
    assert decode_and_verify(old_text, offline_keys) == verify_for_festival(old_text, festival)


def test_rotate_key_without_a_key_creates_one(create_festival):
    festival = create_festival()
    key = rotate_key(festival)
    assert public_keys(festival) == [
        {
            "key_id": key.key_id,
            "public_key": signing.b64url(key.public_key),
            "alg": "Ed25519",
            "active": True,
        }
    ]


def test_verify_for_festival_rejects_other_festivals(create_festival):
    festival, other = create_festival(), create_festival()
    text = sign_ticket(make_ticket(festival))
    with pytest.raises(TicketCodeError) as caught:
        verify_for_festival(text, other)
    assert caught.value.reason == "unknown_key"
    # Signed with the other festival's own key but naming this festival.
    other_key = festival_signing_key(other)
    forged = encode_claims(
        TicketClaims(1, other_key.key_id, festival.id, 1, 1, (dt.date(2026, 12, 5),)),
        private_key_for(other_key),
    )
    with pytest.raises(TicketCodeError) as caught:
        verify_for_festival(forged, other)
    assert caught.value.reason == "festival"


def test_revocation_list(create_festival):
    festival, other = create_festival(), create_festival()
    valid = make_ticket(festival)
    cancelled = make_ticket(festival, state="cancelled", ticket_type=valid.ticket_type)
    refunded = make_ticket(festival, state="refunded", ticket_type=valid.ticket_type)
    make_ticket(festival, state="reserved", ticket_type=valid.ticket_type)
    make_ticket(other, state="cancelled")
    assert revocation_list(festival) == sorted([cancelled.id, refunded.id])
    assert revocation_list(create_festival()) == []


# --- PostgreSQL: two requests create the first key at once -----------------------------------


@pytest.fixture
def pg_app(tmp_path):
    from eventday import create_app
    from tests.conftest import base_config, require_postgres

    url = sa.engine.make_url(require_postgres())
    name = f"eventday_scratch_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    app = create_app(
        base_config(tmp_path, url.set(database=name).render_as_string(hide_password=False))
    )
    try:
        with app.app_context():
            db.create_all()
            from eventday.areas.operations import import_bundled

            import_bundled()
            db.session.commit()
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _race_first_key(app, monkeypatch, clients: int = 4) -> tuple[list, int]:
    """Every client reads "no key yet" before any inserts. Returns (outcomes, active keys)."""
    from eventday.accounts import operations as account_ops
    from eventday.festivals import operations as ops
    from eventday.festivals.models import Festival
    from tests.conftest import PASSWORD, area

    with app.app_context():
        user = account_ops.create_user(
            f"k{uuid.uuid4().hex[:6]}@example.vn", PASSWORD, "K", verified=True
        )
        start = dt.date.today() + dt.timedelta(days=5)
        festival = ops.create_festival(
            user,
            ops.FestivalData(
                name_vi="Ngày hội đua khóa",
                slug=f"khoa-{uuid.uuid4().hex[:6]}",
                host_area_ids=[area("commune", "20467").id],
                start_date=start,
                end_date=start,
                day_starts=dt.time(8),
                day_ends=dt.time(17),
                venue_name="Hội trường",
            ),
        )
        db.session.commit()
        festival_id = festival.id
    barrier = threading.Barrier(clients)
    first_read = threading.local()
    real_active_key = signing._active_key

    def active_key_then_wait(festival_id, **kwargs):
        found = real_active_key(festival_id, **kwargs)
        if not getattr(first_read, "done", False):
            first_read.done = True
            barrier.wait(timeout=10)
        return found

    monkeypatch.setattr(signing, "_active_key", active_key_then_wait)
    outcomes: list = []

    def request():
        with app.app_context():
            try:
                key = festival_signing_key(db.session.get(Festival, festival_id))
                key_id = key.key_id
                db.session.commit()
                outcomes.append(key_id)
            except Exception as exc:
                db.session.rollback()
                outcomes.append(type(exc).__name__)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=request) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    with app.app_context():
        active = db.session.scalar(
            sa.select(sa.func.count()).where(
                FestivalKey.festival_id == festival_id, FestivalKey.retired_at.is_(None)
            )
        )
    return outcomes, active


@pytest.mark.postgres
@pytest.mark.committing
def test_first_key_race_has_one_winner(pg_app, monkeypatch):
    outcomes, active = _race_first_key(pg_app, monkeypatch)
    assert active == 1
    assert len(outcomes) == 4
    assert len(set(outcomes)) == 1  # everyone got the same key id, nobody failed
    assert isinstance(outcomes[0], int)


@pytest.mark.postgres
@pytest.mark.committing
def test_negative_control_without_the_index_the_race_makes_several_keys(pg_app, monkeypatch):
    with pg_app.app_context():
        db.session.execute(sa.text("DROP INDEX uq_festival_keys_one_active"))
        db.session.commit()
    outcomes, active = _race_first_key(pg_app, monkeypatch)
    assert active > 1  # the failure the partial unique index prevents
    assert len(set(outcomes)) > 1
