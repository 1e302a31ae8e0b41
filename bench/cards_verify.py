"""Card verification speed against the physical limit: a bare ES256 verify loop in the same run.

python -m bench cards_verify [--seconds 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from sulh.cards.demo import DEMO_HOLDER
from sulh.cards.format import CardClaims, encode_card, new_card_id
from sulh.cards.qr import read_png, write_png
from sulh.cards.status import StatusList
from sulh.cards.trust import StationKey, trust_list_load, trust_list_sign
from sulh.cards.verify import Verdict, verify_card
from sulh.keys.signing import new_private_key, public_bytes


def _rate(work: Callable[[], object], seconds: float) -> float:
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for _ in range(50):
            work()
        done += 50
    return done / (time.perf_counter() - started)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench cards_verify")
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args(argv)
    now = dt.datetime.now(dt.UTC)
    root = new_private_key()
    station = StationKey(
        "alp-police-1", new_private_key(), now - dt.timedelta(days=1), now + dt.timedelta(days=99)
    )
    trusted = trust_list_load(
        trust_list_sign(root=root, keys=[station], issued_at=now),
        root_public_key=public_bytes(root.public_key()),
    )
    status = StatusList()
    holder = DEMO_HOLDER
    claims = CardClaims(
        new_card_id(),
        1,
        now,
        now,
        now + dt.timedelta(days=90),
        0,
        holder,
    )
    text = encode_card(claims, key=station.private, kid=station.kid)
    assert verify_card(text, trusted=trusted, status=status).verdict == Verdict.VALID
    message = b"x" * 250
    der = station.private.sign(message, ec.ECDSA(hashes.SHA256()))
    public = station.private.public_key()
    es256 = ec.ECDSA(hashes.SHA256())
    # Interleaved rounds, median of each: the machine is shared and its speed drifts.
    rounds: list[tuple[float, float]] = []
    for _ in range(7):
        rounds.append(
            (
                _rate(lambda: public.verify(der, message, es256), args.seconds / 7),
                _rate(lambda: verify_card(text, trusted=trusted, status=status), args.seconds / 7),
            )
        )
    bare = statistics.median(b for b, _ in rounds)
    ours = statistics.median(o for _, o in rounds)
    ratio = statistics.median(o / b for b, o in rounds)
    with tempfile.TemporaryDirectory() as folder:
        png = Path(folder) / "card.png"
        version = write_png(text, png)
        from_png = _rate(
            lambda: verify_card(read_png(png) or "", trusted=trusted, status=status),
            args.seconds / 2,
        )
    print(f"{'what':<34} {'per second':>11} {'ratio':>7}")
    print(f"{'bare ES256 verify (peer)':<34} {bare:>11.0f} {'1.00':>7}")
    print(f"{'verify_card from text':<34} {ours:>11.0f} {ratio:>7.2f}  (target ≥ 0.80)")
    each = f"({1000 / from_png:.2f} ms each)"
    print(f"{'verify_card from a clean PNG':<34} {from_png:>11.0f} {from_png / bare:>7.2f}  {each}")
    print(f"card text: {len(text)} characters, QR version {version} at level Q (target ≤ 11)")
    return 0
