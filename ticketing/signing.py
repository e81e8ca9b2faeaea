"""Signed ticket QR codes (format "EDT1", see docs/ticket-qr-format.md) and festival keys.

A QR holds ``"EDT1:" + base32(message || signature)``: a 21-byte big-endian message (version,
key id, festival id, ticket id, ticket type id, admitted days) and its 64-byte Ed25519
signature. No personal data. A scanner verifies it offline with the festival's public keys and
checks the ticket id against the revocation list.

Each festival has one active Ed25519 key pair (``FestivalKey``) with a random 32-bit key id;
the private key is stored AES-GCM-encrypted under a key derived from the app's SECRET_KEY.
Retired keys stay listed so tickets they signed keep verifying.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import re
import secrets
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy.exc import IntegrityError

from eventday.db import utcnow
from eventday.extensions import db
from ticketing.models import FestivalKey, Ticket

if TYPE_CHECKING:
    from eventday.festivals.models import Festival

VERSION = 1
PREFIX = "EDT1:"
EPOCH = dt.date(2020, 1, 1)  # first_day counts days from here
MAX_DAYS = 16  # bits in day_mask
MESSAGE_FORMAT = ">BIIIIHH"  # version, key_id, festival_id, ticket_id, ticket_type_id, day, mask
MESSAGE_LENGTH = struct.calcsize(MESSAGE_FORMAT)  # 21
SIGNATURE_LENGTH = 64
BLOB_LENGTH = MESSAGE_LENGTH + SIGNATURE_LENGTH  # 85 bytes -> exactly 136 base32 characters
TEXT_LENGTH = len(PREFIX) + BLOB_LENGTH * 8 // 5  # 141
U32_MAX = 2**32 - 1

REVOKED_STATES = ("cancelled", "refunded")
KEY_INFO = b"eventday festival key v1"
NONCE_LENGTH = 12
KEY_CREATE_ATTEMPTS = 5

_PREFIX_RE = re.compile(r"EDT([0-9]+):")
_BASE32_RE = re.compile(r"[A-Z2-7]*")

REASONS = frozenset({"format", "version", "unknown_key", "signature", "festival"})


class TicketCodeError(ValueError):
    """A QR text that is not a valid ticket; ``reason`` is one of ``REASONS``."""

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(message or reason)
        self.reason = reason


class FestivalKeyError(RuntimeError):
    """A stored private key that cannot be decrypted (SECRET_KEY changed, or tampering)."""


@dataclass(frozen=True)
class TicketClaims:
    version: int
    key_id: int
    festival_id: int
    ticket_id: int
    ticket_type_id: int
    days: tuple[dt.date, ...]


# --- The format: pure functions ------------------------------------------------------------


def _pack_days(days: tuple[dt.date, ...]) -> tuple[int, int]:
    if not days:
        raise ValueError("a ticket must admit at least one day")
    ordered = sorted(set(days))
    first = (ordered[0] - EPOCH).days
    if not 0 <= first <= 0xFFFF:
        raise ValueError(f"first day {ordered[0]} is outside the format's range")
    mask = 0
    for day in ordered:
        offset = (day - ordered[0]).days
        if offset >= MAX_DAYS:
            raise ValueError(f"admitted days span more than {MAX_DAYS} days")
        mask |= 1 << offset
    return first, mask


def _unpack_days(first: int, mask: int) -> tuple[dt.date, ...]:
    start = EPOCH + dt.timedelta(days=first)
    return tuple(start + dt.timedelta(days=i) for i in range(MAX_DAYS) if mask >> i & 1)


def pack_message(claims: TicketClaims) -> bytes:
    """The 21 signed bytes for ``claims``; ValueError if they do not fit the format."""
    if claims.version != VERSION:
        raise ValueError(f"unsupported version {claims.version}")
    ids = (claims.key_id, claims.festival_id, claims.ticket_id, claims.ticket_type_id)
    if not all(0 <= value <= U32_MAX for value in ids):
        raise ValueError("ids must fit in 32 bits")
    first, mask = _pack_days(claims.days)
    return struct.pack(MESSAGE_FORMAT, VERSION, *ids, first, mask)


def encode_claims(claims: TicketClaims, private_key: Ed25519PrivateKey) -> str:
    """The QR text: ``"EDT1:" + base32(message || Ed25519 signature)``, no padding."""
    message = pack_message(claims)
    blob = message + private_key.sign(message)
    return PREFIX + base64.b32encode(blob).decode("ascii").rstrip("=")


@dataclass(frozen=True)
class ParsedCode:
    """A QR text taken apart, not yet verified."""

    claims: TicketClaims
    message: bytes
    signature: bytes


def parse_code(text: str) -> ParsedCode:
    """Take a QR text apart. Raises TicketCodeError with reason "format" or "version"."""
    match = _PREFIX_RE.match(text)
    if match is None:
        raise TicketCodeError("format", "not an EventDay ticket code")
    if match.group(1) != str(VERSION):
        raise TicketCodeError("version", "unsupported ticket code version")
    body = text[match.end() :]
    if len(body) != TEXT_LENGTH - len(PREFIX) or not _BASE32_RE.fullmatch(body):
        raise TicketCodeError("format", "malformed ticket code")
    try:
        blob = base64.b32decode(body + "=" * (-len(body) % 8))
    except binascii.Error as exc:  # pragma: no cover - the checks above exclude it
        raise TicketCodeError("format", "malformed ticket code") from exc
    if blob[0] != VERSION:
        raise TicketCodeError("version", "unsupported ticket payload version")
    if len(blob) != BLOB_LENGTH:  # pragma: no cover - implied by the text length
        raise TicketCodeError("format", "malformed ticket code")
    message, signature = blob[:MESSAGE_LENGTH], blob[MESSAGE_LENGTH:]
    version, key_id, festival_id, ticket_id, type_id, first, mask = struct.unpack(
        MESSAGE_FORMAT, message
    )
    if mask == 0:
        raise TicketCodeError("format", "ticket admits no day")
    claims = TicketClaims(
        version=version,
        key_id=key_id,
        festival_id=festival_id,
        ticket_id=ticket_id,
        ticket_type_id=type_id,
        days=_unpack_days(first, mask),
    )
    return ParsedCode(claims, message, signature)


# Building the key object costs a quarter of a verification: keep the festivals' few keys.
_public_key = functools.lru_cache(maxsize=256)(Ed25519PublicKey.from_public_bytes)


def verify_parsed(parsed: ParsedCode, public_keys: Mapping[int, bytes]) -> TicketClaims:
    """The claims of a parsed code whose signature one of the raw 32-byte public keys (by key
    id) verifies. Raises TicketCodeError with reason "unknown_key" or "signature"."""
    raw_key = public_keys.get(parsed.claims.key_id)
    if raw_key is None:
        raise TicketCodeError("unknown_key", "ticket signed with an unknown key")
    try:
        _public_key(bytes(raw_key)).verify(parsed.signature, parsed.message)
    except (InvalidSignature, ValueError) as exc:
        raise TicketCodeError("signature", "ticket signature is not valid") from exc
    return parsed.claims


def decode_and_verify(text: str, public_keys: Mapping[int, bytes]) -> TicketClaims:
    """Parse and verify a QR text against raw 32-byte public keys by key id.

    Raises TicketCodeError with reason "format", "version", "unknown_key" or "signature".
    """
    return verify_parsed(parse_code(text), public_keys)


def raw_public_key(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


# --- Festival keys ---------------------------------------------------------------------------


def _wrapping_key() -> AESGCM:
    secret = current_app.config["SECRET_KEY"]
    if not secret:
        raise FestivalKeyError("SECRET_KEY is not set")
    if isinstance(secret, str):
        secret = secret.encode("utf-8")
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=KEY_INFO).derive(secret)
    return AESGCM(derived)


def _associated_data(key_id: int, festival_id: int) -> bytes:
    return struct.pack(">II", key_id, festival_id)


def _encrypt_private_key(raw: bytes, key_id: int, festival_id: int) -> bytes:
    nonce = secrets.token_bytes(NONCE_LENGTH)
    return nonce + _wrapping_key().encrypt(nonce, raw, _associated_data(key_id, festival_id))


def private_key_for(key: FestivalKey) -> Ed25519PrivateKey:
    """Decrypt a festival key's private half; FestivalKeyError if SECRET_KEY changed."""
    blob = key.private_key_encrypted
    nonce, ciphertext = blob[:NONCE_LENGTH], blob[NONCE_LENGTH:]
    try:
        raw = _wrapping_key().decrypt(
            nonce, ciphertext, _associated_data(key.key_id, key.festival_id)
        )
    except InvalidTag as exc:
        raise FestivalKeyError(
            f"cannot decrypt festival key {key.key_id}: SECRET_KEY changed or data altered"
        ) from exc
    private_key = Ed25519PrivateKey.from_private_bytes(raw)
    if raw_public_key(private_key) != key.public_key:
        raise FestivalKeyError(f"festival key {key.key_id}: private and public halves differ")
    return private_key


def _active_key(festival_id: int, *, for_update: bool = False) -> FestivalKey | None:
    query = sa.select(FestivalKey).where(
        FestivalKey.festival_id == festival_id, FestivalKey.retired_at.is_(None)
    )
    if for_update:
        query = query.with_for_update()
    return db.session.scalar(query)


def _unused_key_id() -> int:
    while True:
        key_id = secrets.randbits(32)
        taken = db.session.scalar(sa.select(FestivalKey.id).where(FestivalKey.key_id == key_id))
        if key_id and taken is None:
            return key_id


def _create_key(festival_id: int) -> FestivalKey:
    """Insert a new active key, or return the one a concurrent request inserted first."""
    for _ in range(KEY_CREATE_ATTEMPTS):
        private_key = Ed25519PrivateKey.generate()
        raw = private_key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        key_id = _unused_key_id()
        key = FestivalKey(
            festival_id=festival_id,
            key_id=key_id,
            public_key=raw_public_key(private_key),
            private_key_encrypted=_encrypt_private_key(raw, key_id, festival_id),
        )
        try:
            with db.session.begin_nested():
                db.session.add(key)
                db.session.flush()
            return key
        except IntegrityError:
            # Another transaction made the festival's active key (uq_festival_keys_one_active)
            # or, very rarely, took the same key id: use the winner, or try a fresh key id.
            winner = _active_key(festival_id)
            if winner is not None:
                return winner
    raise RuntimeError(f"could not create a signing key for festival {festival_id}")


def festival_signing_key(festival: Festival) -> FestivalKey:
    """The festival's active key, created on first use. Flushes, never commits."""
    key = _active_key(festival.id)
    return key if key is not None else _create_key(festival.id)


def rotate_key(festival: Festival) -> FestivalKey:
    """Retire the active key (its tickets keep verifying) and create a new one.

    Two rotations racing end with one new key: the loser finds the winner's key and returns it.
    """
    current = _active_key(festival.id, for_update=True)
    if current is not None:
        current.retired_at = utcnow()
        db.session.flush()
    return _create_key(festival.id)


def _festival_keys(festival_id: int) -> list[FestivalKey]:
    return list(
        db.session.scalars(
            sa.select(FestivalKey)
            .where(FestivalKey.festival_id == festival_id)
            .order_by(FestivalKey.id)
        )
    )


def public_keys(festival: Festival) -> list[dict]:
    """All the festival's public keys, retired ones included, for scanners and the API."""
    return [
        {
            "key_id": key.key_id,
            "public_key": b64url(key.public_key),
            "alg": "Ed25519",
            "active": key.retired_at is None,
        }
        for key in _festival_keys(festival.id)
    ]


def verify_for_festival(text: str, festival: Festival) -> TicketClaims:
    """Verify a QR text with the festival's keys; reason "festival" if it names another one."""
    keys = {key.key_id: key.public_key for key in _festival_keys(festival.id)}
    claims = decode_and_verify(text, keys)
    if claims.festival_id != festival.id:
        raise TicketCodeError("festival", "ticket belongs to another festival")
    return claims


def revocation_list(festival: Festival) -> list[int]:
    """Ids of the festival's cancelled and refunded tickets, ascending."""
    return list(
        db.session.scalars(
            sa.select(Ticket.id)
            .where(Ticket.festival_id == festival.id, Ticket.state.in_(REVOKED_STATES))
            .order_by(Ticket.id)
        )
    )


# --- Tickets ---------------------------------------------------------------------------------


def _claims(ticket: Ticket, key: FestivalKey) -> TicketClaims:
    ticket_type = ticket.ticket_type
    if ticket_type.festival_id != ticket.festival_id:
        raise ValueError(f"ticket {ticket.id}: its type belongs to another festival")
    rows = ticket_type.days or ticket_type.festival.days
    return TicketClaims(
        version=VERSION,
        key_id=key.key_id,
        festival_id=ticket.festival_id,
        ticket_id=ticket.id,
        ticket_type_id=ticket.ticket_type_id,
        days=tuple(sorted(row.day for row in rows)),
    )


def ticket_claims(ticket: Ticket) -> TicketClaims:
    """The claims for a ticket: its type's days (all festival days if the type lists none)
    and the festival's active key id (the key is created if needed)."""
    return _claims(ticket, festival_signing_key(ticket.ticket_type.festival))


def sign_ticket(ticket: Ticket) -> str:
    """The QR text for a ticket, signed with its festival's active key.

    It signs whatever state the ticket is in: issue QR codes only for valid tickets.
    """
    key = festival_signing_key(ticket.ticket_type.festival)
    return encode_claims(_claims(ticket, key), private_key_for(key))
