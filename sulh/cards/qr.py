"""QR codes of cards: alphanumeric mode at error correction Q; decoding with zxing-cpp."""

from __future__ import annotations

from pathlib import Path

import segno

from sulh.core.errors import SulhError

QR_EXTRA_MISSING = (
    "reading a card from a PNG needs the qr extra (zxing-cpp and Pillow), not in the runtime"
    " lock: pip install 'sulh[qr]', or install requirements-dev.lock; or pass the card text"
    " (SULH1:...) instead of the image"
)


def card_qr(text: str) -> segno.QRCode:
    return segno.make(text, error="q", mode="alphanumeric", boost_error=False)


def write_png(text: str, path: Path, *, scale: int = 6) -> int:
    """Write the QR as PNG; returns the QR version."""
    qr = card_qr(text)
    qr.save(str(path), kind="png", scale=scale, border=4)
    return int(qr.version)


def read_png(path: Path) -> str | None:
    """The text of the first QR code in the image, or None."""
    # Imported here: printing and verifying text cards must work without the qr extra.
    try:
        import zxingcpp
        from PIL import Image
    except ImportError as exc:
        raise SulhError(QR_EXTRA_MISSING, field="card", code="missing_extra") from exc
    with Image.open(path) as image:
        found = zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    return found[0].text if found else None
