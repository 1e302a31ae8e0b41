"""A demo card for a generated holder, with its trust list and status list, for trying verifiers."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec

from sulh.cards.format import CardClaims, Holder, encode_card, new_card_id
from sulh.cards.pdf import PrintedCard, card_pdf
from sulh.cards.pinning import root_pem
from sulh.cards.qr import write_png
from sulh.cards.status import StatusList
from sulh.cards.trust import StationKey, trust_list_sign
from sulh.keys.signing import new_private_key

DEMO_PROGRAM = (1, "aleppo-2024-defectors")
DEMO_HOLDER = Holder(name_ar="سامر وائل الدرويش", name_lat="Samer Wael al-Darwish", birth_year=1988)


def issue_demo(
    *,
    out: Path,
    now: dt.datetime,
    root: ec.EllipticCurvePrivateKey | None = None,
    lists_at: dt.datetime | None = None,
) -> list[Path]:
    """A demo card and its lists under a new root (or ``root``, e.g. a development site's
    online root, so that the site's verifier page accepts them), the lists signed at
    ``lists_at`` (default ``now``; their sequence follows it)."""
    out.mkdir(parents=True, exist_ok=True)
    root = root or new_private_key()
    station = StationKey(
        "alp-police-1", new_private_key(), now - dt.timedelta(days=1), now + dt.timedelta(days=120)
    )
    claims = CardClaims(
        card_id=new_card_id(),
        program=DEMO_PROGRAM[0],
        issued_at=now,
        valid_from=now,
        valid_until=now + dt.timedelta(days=90),
        status_index=0,
        holder=DEMO_HOLDER,
    )
    text = encode_card(claims, key=station.private, kid=station.kid)
    names = ("card.txt", "card.png", "card.pdf", "trust-list.json", "status.json", "root.pub")
    paths = {name: out / name for name in names}
    paths["card.txt"].write_text(text + "\n", encoding="utf-8")
    write_png(text, paths["card.png"])
    printed = PrintedCard(
        text=text,
        holder=DEMO_HOLDER,
        card_id=claims.card_id.hex(),
        program_ar="برنامج تسوية أوضاع المنشقين، حلب 2024 (بطاقة تجريبية)",
        program_en="Aleppo 2024 defectors' settlement (demo card)",
        office_ar="مخفر شرطة حلب 1",
        office_en="Aleppo police station 1",
        valid_from=claims.valid_from.date(),
        valid_until=claims.valid_until.date(),
    )
    paths["card.pdf"].write_bytes(card_pdf(printed))
    signed_at = lists_at or now
    trust = trust_list_sign(
        root=root, keys=[station], issued_at=signed_at, programs=dict([DEMO_PROGRAM])
    )
    paths["trust-list.json"].write_text(
        json.dumps(trust, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    status = StatusList().signed(root=root, issued_at=signed_at, uri="status.json")
    paths["status.json"].write_text(json.dumps(status, indent=2), encoding="utf-8")
    # The demo root's public key, to pin: sulh card verify --root DIR/root.pub
    paths["root.pub"].write_text(root_pem(root.public_key()), encoding="utf-8")
    return list(paths.values())
