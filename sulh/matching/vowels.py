"""Names of one consonant skeleton told apart by their vowels: محمد / محمود (Mohammed /
Mahmoud), حسن / حسين (Hassan / Hussein), أحمد / حامد (Ahmad / Hamed), عمر / عمرو, سعد /
سعيد. The skeleton drops the vowels on purpose (spellings vary most there), so these
pairs share one; what tells them apart is where a vowel is written and which.

Each token is read into **vowel slots**, aligned to its skeleton: the vowels before the
first consonant, then those after each skeleton consonant. Arabic writes the long vowels
only (ا و ي, ة at the end); Latin writes every vowel, long (ou, oo, ee, ei, ai, aa...) or
short (a, i, o, u, e). Two tokens of one skeleton are **different names** when their slots
disagree by 1 or more, counting per slot:

- a vowel of one class against one of another (a against u; in Latin ``e`` stands for any
  short vowel, across scripts for a or i, never for و): 1;
- a written vowel against none: Arabic against Arabic 1 (محمد / محمود); a Latin long vowel
  against none 1 (Mahmoud / محمد); a Latin short vowel against none: 0 across scripts
  (Arabic does not write it: Mohamed / محمد) and 0.5 in Latin (Fatima / Fatma, Mhamed /
  Mohamed agree; Mahmoud / Mohammed, with a against o too, do not);
- a slot holding ع counts nothing (Saad / سعد: the Latin vowels there spell the ʿayn).

The letters are read as ``normalize.skeleton`` reads them (digraphs, و and ي inside a word
as vowels, a final -ah/-eh or ه as ta marbuta, consonants repeated as one), so the slots
align; tokens whose slots do not align are not judged.
"""

from __future__ import annotations

from functools import lru_cache

from sulh.matching.normalize import (
    _ARABIC_SKELETON,
    _LATIN_DIGRAPHS,
    _LATIN_SKELETON,
    script_of,
)

NONE, ANY, SEAT = "", "*", "'"  # SEAT: an initial alif or hamza (a vowel is read there)
# the skeleton's own tables: its consonant digraphs (those it marks in upper case; the
# vowel digraphs are read here as vowels) and its letters
_LATIN_CONSONANT_DIGRAPHS = tuple(
    (digraph, _LATIN_SKELETON[marker]) for digraph, marker in _LATIN_DIGRAPHS if marker.isupper()
)
_LATIN_VOWELS = set("aeiou")
# Latin vowel clusters by class: a, u, i; "e" alone stands for any short vowel.
_LATIN_CLASS = {
    "a": "a", "aa": "a", "o": "u", "u": "u", "ou": "u", "oo": "u", "uu": "u", "w": "u",
    "ow": "u", "aw": "u", "i": "i", "y": "i", "ee": "i", "ei": "i", "ai": "i", "ay": "i",
    "ey": "i", "ie": "i", "iy": "i", "ii": "i", "e": ANY,
}  # fmt: skip
_ARABIC_LONG = {"ا": "a", "آ": "a", "ى": "a", "ة": "a", "و": "u", "ي": "i"}
_SILENT_WAW = {"عمرو"}  # the و of Amr is written, not read


@lru_cache(maxsize=200_000)
def slots(token: str) -> tuple[str, ...]:
    """The token's vowel slots: len(skeleton) + 1 strings, the vowels written before the
    first consonant and after each one (Latin letters, or Arabic a/u/i; ``*`` where an
    Arabic ع stands, whose Latin spelling is vowels)."""
    if script_of(token) == "ar":
        return _arabic_slots(token)
    return _latin_slots(token.lower())


def _latin_slots(text: str) -> tuple[str, ...]:
    out: list[str] = []
    cluster, last, i = "", "", 0
    while i < len(text):
        consonant = ""
        for digraph, single in _LATIN_CONSONANT_DIGRAPHS:
            if text.startswith(digraph, i):
                consonant, i = single, i + len(digraph)
                break
        else:
            letter = text[i]
            i += 1
            if letter in _LATIN_VOWELS or (letter in "wy" and i > 1):
                cluster += letter
                continue
            if letter == "h" and i == len(text) and i > 2 and text[i - 2] in _LATIN_VOWELS:
                continue  # -ah / -eh: ta marbuta
            consonant = _LATIN_SKELETON.get(letter, "")
            if not consonant:
                continue
        if consonant == last:
            continue  # one consonant written twice (or again after a vowel): one slot
        out.append(cluster)
        cluster, last = "", consonant
    out.append(cluster)
    return tuple(out)


def _arabic_slots(token: str) -> tuple[str, ...]:
    token = token.replace("تش", "ش")
    out: list[str] = []
    cluster, last = "", ""
    for i, letter in enumerate(token):
        if letter == "ع":
            cluster += ANY
            continue
        if i == 0 and letter in "اأإآء":
            cluster += SEAT  # a hamza's seat: a vowel is read, not a long one written
            continue
        final = i == len(token) - 1
        if (letter in "وي" and i > 0) or (letter in _ARABIC_LONG and letter not in "وي"):
            if not (final and token in _SILENT_WAW):
                cluster += _ARABIC_LONG[letter]
            continue
        if letter == "ه" and final and i > 0:
            cluster += "a"  # ta marbuta written as ه
            continue
        consonant = _ARABIC_SKELETON.get(letter, "")
        if not consonant or consonant == last:
            continue
        out.append(cluster)
        cluster, last = "", consonant
    out.append(cluster)
    return tuple(out)


def _latin_vowel(cluster: str) -> tuple[str, bool]:
    """(class, long) of a Latin cluster: a, u, i or ANY; long when two letters or more."""
    return _LATIN_CLASS.get(cluster, ANY), len(cluster) > 1


def _arabic_vowel(cluster: str) -> str:
    kinds = set(cluster)
    return ANY if ANY in kinds or len(kinds) != 1 else cluster[0]


def _slot_cost(x: str, y: str, x_arabic: bool, y_arabic: bool) -> float:
    if x_arabic and not y_arabic:
        x, y, x_arabic, y_arabic = y, x, y_arabic, x_arabic
    # x Latin or both Arabic; y Arabic when the scripts differ
    if x_arabic:  # both Arabic: long vowels (and a hamza's seat) only
        if (SEAT in x) != (SEAT in y):
            return 1.0
        x, y = x.replace(SEAT, "").replace(ANY, ""), y.replace(SEAT, "").replace(ANY, "")
        if (x == NONE) != (y == NONE):
            return 1.0
        return 0.0 if x == NONE or _arabic_vowel(x) == _arabic_vowel(y) else 1.0
    if not y_arabic:  # both Latin
        if x == y:
            return 0.0
        if x == NONE or y == NONE:
            return 1.0 if _latin_vowel(x or y)[1] else 0.5
        kx, ky = _latin_vowel(x)[0], _latin_vowel(y)[0]
        return 0.0 if ANY in (kx, ky) or kx == ky else 1.0
    if SEAT in y:  # a vowel is read before the first consonant
        if x == NONE:
            return 1.0
        y = y.replace(SEAT, "")
    if ANY in y:  # across scripts: the Arabic side has ع here
        return 0.0
    if y == NONE:
        return 1.0 if x != NONE and _latin_vowel(x)[1] else 0.0
    if x == NONE:
        return 1.0
    kind, _ = _latin_vowel(x)
    arabic = _arabic_vowel(y)
    if kind == ANY:
        return 1.0 if x == "e" and arabic == "u" else 0.0
    return 0.0 if arabic == ANY or kind == arabic else 1.0


@lru_cache(maxsize=400_000)
def different_vowels(a: str, b: str) -> bool:
    """Whether two tokens of one skeleton are different names by their vowels (above);
    False when their slots do not align."""
    sa, sb = slots(a), slots(b)
    if len(sa) != len(sb):
        return False
    aa, ba = script_of(a) == "ar", script_of(b) == "ar"
    if aa and ba and (a in _SILENT_WAW) != (b in _SILENT_WAW):
        return True  # عمرو / عمر
    return sum(_slot_cost(x, y, aa, ba) for x, y in zip(sa, sb, strict=True)) >= 1.0
