"""Uploaded images: checked by content (not name), size-limited, re-encoded and resized."""

from __future__ import annotations

import io
import secrets
from pathlib import Path

from flask import current_app
from PIL import Image, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
MAX_PIXELS = 40_000_000  # refuse decompression bombs long before they hurt


class ImageError(ValueError):
    """Base for upload problems; ``reason`` is one of 'too_large', 'not_image'."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def process_image(data: bytes, *, max_bytes: int, max_size: tuple[int, int]) -> bytes:
    """Return a re-encoded JPEG no larger than ``max_size``; raise ImageError otherwise.

    Re-encoding drops EXIF (phone photos carry GPS positions) and anything hidden in the file.
    """
    if len(data) > max_bytes:
        raise ImageError("too_large")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ALLOWED_FORMATS:
                raise ImageError("not_image")
            if probe.width * probe.height > MAX_PIXELS:
                raise ImageError("too_large")
            probe.verify()
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            from PIL import ImageOps

            img = ImageOps.exif_transpose(img)
            img = img.convert("RGB")
            img.thumbnail(max_size, Image.Resampling.LANCZOS)
            out = io.BytesIO()
            img.save(out, "JPEG", quality=82, optimize=True, progressive=True)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ImageError("not_image") from exc


def store(data: bytes, folder: str, suffix: str = ".jpg") -> str:
    """Write ``data`` under UPLOAD_DIR/folder with a random name; return the name."""
    base = Path(current_app.config["UPLOAD_DIR"]) / folder
    base.mkdir(parents=True, exist_ok=True)
    name = secrets.token_urlsafe(16) + suffix
    (base / name).write_bytes(data)
    return name


def remove(folder: str, name: str | None) -> None:
    if not name:
        return
    path = Path(current_app.config["UPLOAD_DIR"]) / folder / name
    path.unlink(missing_ok=True)
