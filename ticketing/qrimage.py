"""QR images for tickets and VietQR transfers (segno, error correction level M)."""

from __future__ import annotations

import io

import segno

ERROR_LEVEL = "m"


def _qr(text: str) -> segno.QRCode:
    # boost_error=False: the level stays M, so the same text always gives the same symbol size.
    return segno.make_qr(text, error=ERROR_LEVEL, boost_error=False)


def png_bytes(text: str, scale: int = 8, border: int = 4) -> bytes:
    """A PNG of the QR code: ``scale`` pixels per module, ``border`` modules of quiet zone."""
    buffer = io.BytesIO()
    _qr(text).save(buffer, kind="png", scale=scale, border=border)
    return buffer.getvalue()


def svg_text(text: str, scale: int = 4, border: int = 4) -> str:
    """An inline ``<svg>`` element (no XML declaration) to put straight into a page."""
    return _qr(text).svg_inline(scale=scale, border=border, omitsize=True, light="#fff")


def svg_data_uri(text: str, scale: int = 4, border: int = 4) -> str:
    """A ``data:image/svg+xml`` URI, for an ``<img src>`` or a mail."""
    return _qr(text).svg_data_uri(scale=scale, border=border)
