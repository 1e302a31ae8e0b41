"""A learned Arabic-script → Latin spelling model: how likely a Latin token is as the
spelling of a folded Arabic token.

The model is a small letter-to-letter-group transducer (a pair HMM without
memory beyond the Arabic letter and its place in the word). Every Arabic letter
writes a Latin group of 0 to 3 letters (ب → b, ش → sh or ch, ي → i, y, ee or
nothing), and every gap between Arabic letters writes 0 to 2 Latin letters (the
vowels Arabic does not write: the e of *Gellner*, after the letter before it).
P(latin | arabic) sums over all the ways the Latin letters split into such groups.
The probabilities were learned by expectation-maximisation from the *train* split
of Google's Arabic → English name transliteration pairs (Apache-2.0, see
``translit_build.py``), and ship in ``data/translit_ar_lat.json``.

``deficit(arabic, latin)`` is how much less likely the Latin spelling is than the
model's own most likely spelling, in nats per Arabic letter: about 0 for the
usual spelling, 1 to 2 for a plausible variant, more for a different name.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "translit_ar_lat.json"
MAX_EMIT = 3
MAX_INSERT = 2
_SHARE = tuple(26.0**-n for n in range(MAX_EMIT + 1))  # an unseen group: any letters


class _Model:
    def __init__(self, path: Path = DATA) -> None:
        raw = json.loads(path.read_text(encoding="utf-8"))
        self.letter_floor: float = raw["letter_floor"]
        # key -> ({latin group: probability}, probability of an unseen group per letter)
        self.emit: dict[str, tuple[dict[str, float], float]] = {
            key: ({y: math.exp(lp) for y, lp in table["p"].items()}, math.exp(table["u"]))
            for key, table in raw["emit"].items()
        }
        self.insert: dict[str, tuple[dict[str, float], float]] = {
            key: ({y: math.exp(lp) for y, lp in table["p"].items()}, math.exp(table["u"]))
            for key, table in raw["insert"].items()
        }
        self.default = ({"": 0.5}, math.exp(self.letter_floor))

    def _emit(self, letter: str, where: str) -> tuple[dict[str, float], float]:
        return self.emit.get(letter + where) or self.emit.get(letter) or self.default

    def _insert(self, context: str) -> tuple[dict[str, float], float]:
        return self.insert.get(context) or self.insert.get("*") or self.default

    @lru_cache(maxsize=50_000)  # noqa: B019 - one model per process
    def units(self, arabic: str) -> tuple[tuple[tuple[dict[str, float], float], ...], float]:
        """The emission and gap tables along the Arabic token: gap, letter, gap, letter,
        ..., gap; and the log probability of the model's most likely spelling."""
        n = len(arabic)
        out = [self._insert("^")]
        for i, letter in enumerate(arabic):
            where = "^" if i == 0 else ("$" if i == n - 1 else "-")
            out.append(self._emit(letter, where))
            out.append(self._insert(letter + "$" if i == n - 1 else letter))
        best = sum(math.log(max(max(table.values(), default=0.0), 1e-300)) for table, _ in out)
        return tuple(out), best

    @lru_cache(maxsize=50_000)  # noqa: B019 - one model per process
    def entropy(self, arabic: str) -> float:
        """The expected surprise of a spelling of ``arabic`` (nats; the groups' entropies)."""
        units, _ = self.units(arabic)
        return -sum(p * math.log(p) for table, _ in units for p in table.values() if p > 0)

    def log_prob(self, arabic: str, latin: str) -> float:
        """log P(latin | arabic), summed over the ways to split the Latin letters."""
        units, _ = self.units(arabic)
        m = len(latin)
        # forward[j]: probability of having written latin[:j] after the units so far
        forward = [0.0] * (m + 1)
        forward[0] = 1.0
        for k, (table, unseen) in enumerate(units):
            longest = MAX_INSERT if k % 2 == 0 else MAX_EMIT
            nxt = [0.0] * (m + 1)
            for j in range(m + 1):
                here = forward[j]
                if here == 0.0:
                    continue
                for step in range(min(longest, m - j) + 1):
                    group = latin[j : j + step]
                    p = table.get(group)
                    if p is None:
                        p = unseen * _SHARE[step]
                    if p:
                        nxt[j + step] += here * p
            forward = nxt
        return math.log(forward[m]) if forward[m] > 0.0 else -1e9


_MODEL: _Model | None = None


def model() -> _Model:
    global _MODEL
    if _MODEL is None:
        _MODEL = _Model()
    return _MODEL


@lru_cache(maxsize=500_000)
def deficit(arabic: str, latin: str) -> float:
    """How much less likely ``latin`` is than the model's best spelling of ``arabic``
    (both folded tokens), in nats per Arabic letter; 0 for the best spelling."""
    if not arabic or not latin:
        return 50.0
    found = model()
    _, best = found.units(arabic)
    return max(0.0, (best - found.log_prob(arabic, latin)) / len(arabic))


@lru_cache(maxsize=500_000)
def surprise(arabic: str, latin: str) -> float:
    """How much more surprising ``latin`` is as a spelling of ``arabic`` than the
    model's spellings are on average, in nats per Arabic letter: below 0 for the usual
    spellings, about 0 for typical variants, higher for a different name."""
    if not arabic or not latin:
        return 50.0
    found = model()
    return (-found.log_prob(arabic, latin) - found.entropy(arabic)) / len(arabic)
