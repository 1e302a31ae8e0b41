"""How much a photo costs the card's QR code: none, a signed SHA-256 digest, or a face
thumbnail signed in the code (MOSIP Claim 169's way), in characters, QR version at level Q,
modules and millimetres a module on the card's 33 mm code; and whether zxing-cpp reads each
from a PNG at the card's print size.

python -m bench cards_photo_qr
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import random
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

from sulh.cards.demo import DEMO_HOLDER
from sulh.cards.format import CardClaims, Holder, encode_card, new_card_id
from sulh.cards.photo import THUMBNAIL_SIZE, face_thumbnail
from sulh.cards.qr import card_qr, read_png, write_png
from sulh.keys.signing import key_id, new_private_key

QR_MM = 33  # the printed code's side (sulh/cards/pdf.py)


def portrait() -> bytes:
    """A made-up portrait with sensor noise (no real person): a harder case than most photos."""
    rng = random.Random(1)
    image = Image.new("RGB", (300, 375), (180, 190, 200))
    draw = ImageDraw.Draw(image)
    draw.ellipse((20, 250, 280, 520), fill=(60, 70, 90))
    draw.ellipse((85, 60, 215, 230), fill=(200, 160, 130))
    draw.ellipse((80, 40, 220, 120), fill=(40, 30, 25))
    for x in (115, 165):
        draw.ellipse((x, 125, x + 22, 140), fill=(50, 40, 35))
    draw.arc((120, 185, 180, 210), 0, 180, fill=(120, 60, 60), width=4)
    pixels = image.load()
    assert pixels is not None
    for y in range(375):
        for x in range(300):
            r, g, b = pixels[x, y]  # type: ignore[misc]
            n = rng.randint(-12, 12)
            pixels[x, y] = (r + n, g + n, b + n)
    out = io.BytesIO()
    image.filter(ImageFilter.GaussianBlur(1)).save(out, "JPEG", quality=85)
    return out.getvalue()


def main(argv: list[str]) -> int:
    now = dt.datetime(2026, 12, 6, tzinfo=dt.UTC)
    key = new_private_key()
    jpeg = portrait()
    variants: list[tuple[str, bytes]] = [
        ("no photo", b""),
        ("SHA-256 digest of the photo", hashlib.sha256(jpeg).digest()),
        ("SHA-256 digest, first 16 bytes", hashlib.sha256(jpeg).digest()[:16]),
        (f"face {THUMBNAIL_SIZE[0]}x{THUMBNAIL_SIZE[1]} grey WebP (Sulh's)", face_thumbnail(jpeg)),
    ]
    small = Image.open(io.BytesIO(jpeg)).convert("L").resize(THUMBNAIL_SIZE)
    for quality in (40, 60):
        out = io.BytesIO()
        small.save(out, "JPEG", quality=quality, optimize=True)
        variants.append(
            (f"face {THUMBNAIL_SIZE[0]}x{THUMBNAIL_SIZE[1]} grey JPEG q{quality}", out.getvalue())
        )
    print(
        "| card | photo bytes | QR characters | version (Q) | modules | mm a module "
        "| zxing reads PNG |"
    )
    print("|---|---:|---:|---:|---:|---:|---|")
    with tempfile.TemporaryDirectory() as folder:
        for label, extra in variants:
            holder = Holder(
                DEMO_HOLDER.name_ar, DEMO_HOLDER.name_lat, DEMO_HOLDER.birth_year, extra
            )
            claims = CardClaims(new_card_id(), 1, now, now, now + dt.timedelta(days=90), 0, holder)
            text = encode_card(claims, key=key, kid=key_id(key.public_key()))
            qr = card_qr(text)
            modules = qr.symbol_size(border=0)[0]
            png = Path(folder) / "card.png"
            write_png(text, png, scale=4)
            read = read_png(png) == text
            print(
                f"| {label} | {len(extra)} | {len(text)} | {qr.version} | {modules} "
                f"| {QR_MM / modules:.2f} | {'yes' if read else 'no'} |"
            )
    return 0
