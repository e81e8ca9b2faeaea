"""Short codes people read aloud and type: no 0/O, 1/I/L, 2/Z, 5/S, 8/B confusion."""

from __future__ import annotations

import secrets

# 23 symbols: digits and capitals without the look-alikes 0 O 1 I L 2 Z 5 S 8 B U V.
# 23^8 ≈ 7.8e10 short codes: guessing one that exists at a festival of 5,000 is hopeless.
ALPHABET = "34679ACDEFGHJKMNPQRTWXY"
ORDER_PREFIX = "DH"  # "đơn hàng"; makes the code easy to find in a bank transfer memo


def random_code(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def ticket_short_code() -> str:
    """8 characters, e.g. 'K7QX3MPA': typed at the gate when a QR will not scan."""
    return random_code(8)


def order_code() -> str:
    """'DH' + 6 characters, e.g. 'DH4KQ7XA'; it goes into the transfer memo."""
    return ORDER_PREFIX + random_code(6)


def normalize_code(raw: str) -> str:
    """Upper-case and drop spaces and dashes: ' k7qx-3mpa ' -> 'K7QX3MPA'."""
    return "".join(ch for ch in raw.upper() if ch.isalnum())
