"""QR codes of cards: alphanumeric mode at error correction Q; decoding with zxing-cpp."""

from __future__ import annotations

from pathlib import Path

import segno
import zxingcpp
from PIL import Image


def card_qr(text: str) -> segno.QRCode:
    return segno.make(text, error="q", mode="alphanumeric", boost_error=False)


def write_png(text: str, path: Path, *, scale: int = 6) -> int:
    """Write the QR as PNG; returns the QR version."""
    qr = card_qr(text)
    qr.save(str(path), kind="png", scale=scale, border=4)
    return int(qr.version)


def read_png(path: Path) -> str | None:
    """The text of the first QR code in the image, or None."""
    with Image.open(path) as image:
        found = zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    return found[0].text if found else None
