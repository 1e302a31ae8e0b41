"""The holder's face on the card: a small thumbnail signed into the QR code.

The thumbnail is what ties the card to the face in front of a checkpoint, offline: the
verifier shows it from the signed code, so a card whose printed photo was replaced shows
another face than the print (MOSIP's Claim 169 carries a face in its QR the same way). A
48 x 60 grey WebP of about 220 bytes takes a QR of version 19 at level Q instead of 11;
a SHA-256 digest of the photo (version 13) would bind the print only for someone holding
the registry's copy, never at an offline checkpoint (figures: docs/benchmarks.md).
"""

from __future__ import annotations

import base64
import io

from PIL import Image, ImageOps

THUMBNAIL_SIZE = (48, 60)  # width, height: the 4:5 of a passport photo
THUMBNAIL_MAX_BYTES = 400  # keeps the QR at version 21 or lower at level Q
# WebP qualities tried in turn until the thumbnail fits.
QUALITIES = (30, 20, 10, 5)


def photo_bytes(photo_b64: str) -> bytes:
    """The stored photo (base64 JPEG, validated at intake) as bytes; b'' for none."""
    return base64.b64decode(photo_b64) if photo_b64 else b""


def face_thumbnail(jpeg: bytes) -> bytes:
    """The photo as a grey WebP of THUMBNAIL_SIZE, at most THUMBNAIL_MAX_BYTES."""
    with Image.open(io.BytesIO(jpeg)) as opened:
        upright = ImageOps.exif_transpose(opened)
        small = ImageOps.fit(upright.convert("L"), THUMBNAIL_SIZE, Image.Resampling.LANCZOS)
    out = b""
    for quality in QUALITIES:
        buffer = io.BytesIO()
        small.save(buffer, "WEBP", quality=quality, method=6)
        out = buffer.getvalue()
        if len(out) <= THUMBNAIL_MAX_BYTES:
            return out
    return out  # the smallest made; a face this busy still fits a version 22 code
