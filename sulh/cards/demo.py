"""A demo card for a generated holder, with its trust list and status list, for trying verifiers."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sulh.cards.format import CardClaims, Holder, encode_card, new_card_id
from sulh.cards.keys import StationKey, new_private_key, trust_list_sign
from sulh.cards.qr import write_png
from sulh.cards.status import StatusList

DEMO_PROGRAM = (1, "aleppo-2024-defectors")
DEMO_HOLDER = Holder(name_ar="سامر وائل الدرويش", name_lat="Samer Wael al-Darwish", birth_year=1988)


def issue_demo(*, out: Path, now: dt.datetime) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    root = new_private_key()
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
    paths = {
        name: out / name for name in ("card.txt", "card.png", "trust-list.json", "status.json")
    }
    paths["card.txt"].write_text(text + "\n", encoding="utf-8")
    write_png(text, paths["card.png"])
    trust = trust_list_sign(root=root, keys=[station], issued_at=now, programs=dict([DEMO_PROGRAM]))
    paths["trust-list.json"].write_text(
        json.dumps(trust, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    status = StatusList().signed(root=root, issued_at=now, uri="status.json")
    paths["status.json"].write_text(json.dumps(status, indent=2), encoding="utf-8")
    return list(paths.values())
