"""Video files for Chromium's fake camera (``--use-file-for-fake-video-capture=FILE.y4m``).

A Y4M file is one header line (``YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg``) and frames, each
``FRAME\\n`` + the Y plane (W×H bytes) + the Cb and Cr planes at half width and half height.
Chromium plays the file in a loop, so a few identical frames show a still picture.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

WIDTH, HEIGHT = 640, 480


def frame_with(png: bytes, width: int = WIDTH, height: int = HEIGHT) -> Image.Image:
    """The PNG (e.g. a QR at 8 px per module) centred on a white frame."""
    picture = Image.open(io.BytesIO(png)).convert("RGB")
    if picture.width > width or picture.height > height:
        raise ValueError(f"a {picture.size} picture does not fit a {width}x{height} frame")
    frame = Image.new("RGB", (width, height), "white")
    frame.paste(picture, ((width - picture.width) // 2, (height - picture.height) // 2))
    return frame


def write_y4m(path: Path, frame: Image.Image, frames: int = 5, fps: int = 10) -> Path:
    """Write ``frames`` copies of ``frame`` as a 4:2:0 Y4M video (even width and height)."""
    width, height = frame.size
    if width % 2 or height % 2:
        raise ValueError("4:2:0 needs an even width and height")
    y, cb, cr = frame.convert("YCbCr").split()
    half = (width // 2, height // 2)
    planes = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        for _ in range(frames):
            out.write(b"FRAME\n")
            out.write(planes)
    return path
