"""Normalisation of names in Arabic and Latin script, and a comparison form shared by both.

Arabic orthographic folding follows the rules CAMeL Tools documents for its
normaliser (camel_tools.utils.normalize: alef variants أ إ آ ٱ → ا, alef maqsura
ى → ي, ta marbuta ة → ه, and dediacritisation of the harakat, tanwin, shadda,
sukun and dagger alef), plus the hamza carriers ؤ → و, ئ → ي and tatweel removal.
We implement the rules here rather than depend on the package, which pulls in
torch and transformers.

Across scripts, names are reduced to a *skeleton*: the consonants, in classes
that Arabic letters and their usual Latin spellings share (ح/ه and h; خ and kh;
ص/س and s; ق/ك and q/k/c; ج/غ and j/g/gh ...). Unvowelled Arabic writes no short
vowels and Latin spellings disagree on them (Mohammed/Muhammad), so vowels are
dropped on both sides; long-vowel letters inside a word (و ي / ou, ee) are
vowels too. Doubled consonants collapse (Arabic rarely writes the shadda).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

ARABIC_RANGE = re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]")
LATIN_RANGE = re.compile(r"[A-Za-z\u00C0-\u024F]")
_DIACRITICS = re.compile(r"[\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06ED]")
_FOLD = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ة": "ه",
        "ؤ": "و",
        "ئ": "ي",
        "ـ": None,  # tatweel
        "ی": "ي",  # Persian yeh
        "ک": "ك",  # Persian kaf
        "٠": "0", "١": "1", "٢": "2", "٣": "3", "٤": "4",
        "٥": "5", "٦": "6", "٧": "7", "٨": "8", "٩": "9",
    }
)  # fmt: skip
_CONTROL = re.compile(r"[\u0000-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF]")

# Consonant classes of the skeleton (one character each).
_ARABIC_SKELETON = {
    "ب": "b", "ت": "t", "ث": "t", "ج": "j", "ح": "h", "خ": "x", "د": "d", "ذ": "d",
    "ر": "r", "ز": "z", "س": "s", "ش": "c", "ص": "s", "ض": "d", "ط": "t", "ظ": "z",
    "ع": "", "غ": "j", "ف": "f", "ق": "k", "ك": "k", "ل": "l", "م": "m", "ن": "n",
    "ه": "h", "و": "w", "ي": "y", "ا": "", "ء": "", "پ": "b", "چ": "c", "گ": "k", "ڤ": "f",
}  # fmt: skip
# Digraphs become upper-case markers, so the single-letter table below leaves them alone.
_LATIN_DIGRAPHS = (
    ("sch", "C"), ("kh", "X"), ("gh", "J"), ("sh", "C"), ("ch", "C"), ("th", "T"),
    ("dh", "D"), ("ph", "F"), ("ck", "K"), ("ou", "u"), ("oo", "u"), ("ee", "i"),
    ("ie", "i"), ("ei", "i"), ("ai", "i"), ("ay", "i"), ("aw", "u"), ("dj", "J"), ("zh", "J"),
)  # fmt: skip
_LATIN_SKELETON = {
    "b": "b", "c": "k", "d": "d", "f": "f", "g": "j", "h": "h", "j": "j", "k": "k",
    "l": "l", "m": "m", "n": "n", "p": "b", "q": "k", "r": "r", "s": "s", "t": "t",
    "v": "f", "w": "w", "x": "x", "y": "y", "z": "z",
    "C": "c", "X": "x", "J": "j", "T": "t", "D": "d", "F": "f", "K": "k",
}  # fmt: skip
_VOWELS = set("aeiou")
_ARABIC_VOCALIC = {
    "ا": "a", "آ": "a", "أ": "a", "إ": "i", "ى": "a", "ة": "a", "و": "u", "ي": "i", "ؤ": "u",
    "ئ": "i", "ب": "b", "ت": "t", "ث": "t", "ج": "j", "ح": "h", "خ": "k", "د": "d", "ذ": "d",
    "ر": "r", "ز": "z", "س": "s", "ش": "s", "ص": "s", "ض": "d", "ط": "t", "ظ": "z", "غ": "g",
    "ف": "f", "ق": "k", "ك": "k", "ل": "l", "م": "m", "ن": "n", "ه": "h", "پ": "b", "چ": "c",
    "گ": "g", "ڤ": "f",
}  # fmt: skip
_LATIN_VOCALIC = str.maketrans(
    {"e": "i", "o": "u", "y": "i", "q": "k", "c": "k", "x": "ks", "p": "b", "v": "f", "w": "u"}
)

# Particles: kept apart from the name they introduce.
ARTICLE_PREFIXES = (
    "al-",
    "el-",
    "al ",
    "el ",
    "ul-",
    "as-",
    "ash-",
    "ad-",
    "ar-",
    "az-",
    "at-",
    "an-",
)
PARTICLES_LATIN = {
    "al",
    "el",
    "ul",
    "bin",
    "ibn",
    "ben",
    "bint",
    "binte",
    "abu",
    "abou",
    "abo",
    "bu",
}
PARTICLES_ARABIC = {"بن", "ابن", "بنت", "ابو", "ال"}


# Legal forms of companies on lists, written out or abbreviated, to one spelling.
LEGAL_PHRASES = (
    ("public joint stock company", "pjsc"),
    ("open joint stock company", "ojsc"),
    ("closed joint stock company", "cjsc"),
    ("joint stock company", "jsc"),
    ("limited liability company", "llc"),
    ("aktiengesellschaft", "ag"),
    ("aktiengeselschaft", "ag"),
    ("gesellschaft mit beschrankter haftung", "gmbh"),
    ("corporation", "corp"),
    ("incorporated", "inc"),
    ("limited", "ltd"),
    ("international", "intl"),
    ("int l", "intl"),
    ("oao", "ojsc"),
    ("pao", "pjsc"),
    ("zao", "cjsc"),
    ("ooo", "llc"),
)


_LEGAL_SHORT = dict(LEGAL_PHRASES)
_LEGAL = re.compile("|".join(rf"\b{re.escape(phrase)}\b" for phrase, _ in LEGAL_PHRASES))
# an article after the start or a space; the space before it is kept (words split on it)
_ARTICLE = re.compile("(?:^|(?<=\\s))(?:" + "|".join(re.escape(p) for p in ARTICLE_PREFIXES) + ")")


# Arabic-Indic (٠-٩) and Extended Arabic-Indic (۰-۹, Persian and Urdu) digits to ASCII.
_DIGITS = str.maketrans(
    {**{chr(0x0660 + i): str(i) for i in range(10)}, **{chr(0x06F0 + i): str(i) for i in range(10)}}
)


def ascii_digits(text: str) -> str:
    """Dates and numbers written in Arabic-Indic digits, in ASCII digits (``١٩٩٥-٠١-٠١`` →
    ``1995-01-01``), so that a value agrees with itself whichever digits a desk typed."""
    return text if text.isascii() else text.translate(_DIGITS)


# A kunya: "father of" / "mother of" a name (Abu Husain, أبو احمد, Umm Ali), often with the
# family name; a by-name many men of a family share, not the person's own given name.
_KUNYA_LATIN = {"abu", "abou", "abo", "umm", "um", "oum", "omm", "om"}
_KUNYA_ARABIC = {"ابو", "ام"}


@lru_cache(maxsize=100_000)
def is_kunya(text: str) -> bool:
    """Whether the name is a kunya: Abu/Umm/أبو/أم and a name, with or without a family name."""
    if script_of(text) == "ar":
        words = fold_arabic(text).split()
        return len(words) >= 2 and words[0] in _KUNYA_ARABIC
    words = [w for w in re.split(r"[\s\-]+", fold_latin(text)) if w]
    return len(words) >= 2 and words[0] in _KUNYA_LATIN


# Syrian places whose usual Latin name is not a spelling of the Arabic one (exonyms: the
# consonants differ), written as the Arabic name so that either script compares alike.
PLACE_EXONYMS = {
    "aleppo": "حلب", "alep": "حلب", "alepo": "حلب", "haleb": "حلب",
    "damascus": "دمشق", "damas": "دمشق", "damasco": "دمشق", "damaskus": "دمشق",
    "rural damascus": "ريف دمشق", "damascus countryside": "ريف دمشق",
    "latakia": "اللاذقية", "lattakia": "اللاذقية", "lattaquie": "اللاذقية",
    "latakiya": "اللاذقية", "latakieh": "اللاذقية",
    "palmyra": "تدمر", "palmyre": "تدمر",
    "kobani": "عين العرب", "kobane": "عين العرب",
}  # fmt: skip


def place_name(text: str) -> str:
    """A birth place as compared: an exonym (Aleppo, Damas, Latakia) as its Arabic name."""
    if script_of(text) != "lat":
        return text
    key = " ".join(re.split(r"[\s\-]+", fold_latin(text))).strip()
    return PLACE_EXONYMS.get(key, text)


def clean(text: str) -> str:
    """NFC, no control or bidi characters, single spaces."""
    text = _CONTROL.sub("", unicodedata.normalize("NFC", text or ""))
    return re.sub(r"\s+", " ", text).strip()


def script_of(text: str) -> str:
    """ "ar", "lat", "mixed" or "" (no letters)."""
    arabic = bool(ARABIC_RANGE.search(text))
    latin = bool(LATIN_RANGE.search(text))
    if arabic and latin:
        return "mixed"
    return "ar" if arabic else ("lat" if latin else "")


def fold_arabic(text: str) -> str:
    text = _DIACRITICS.sub("", clean(text)).translate(_FOLD)
    # عبد ال… is written joined or split: always split; "ال" as a separate word joins its noun.
    text = re.sub(r"عبد\s*ال", "عبد ال", text)
    text = re.sub(r"(^|\s)ال\s+", r"\1ال", text)
    return text


def fold_latin(text: str) -> str:
    text = unicodedata.normalize("NFKD", clean(text).lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[’'`ʿʾ‘]", "", text)
    text = re.sub(r"\b(abd)[\s\-]?(al|el|ul)[\s\-]?", r"abd al-", text)
    text = re.sub(r"\b(abdul|abdel|abdal)[\s\-]?", "abd al-", text)
    text = re.sub(r"\b(mhd|mohd|md)\b\.?", "muhammad", text)
    return re.sub(r"[^a-z0-9\s\-]", " ", text)


@lru_cache(maxsize=400_000)
def tokens(text: str) -> tuple[str, ...]:
    """Folded name tokens with articles split off and particles dropped."""
    return tuple(_tokens(text))


@lru_cache(maxsize=100_000)
def tokens_keeping_joined_article(text: str) -> tuple[str, ...]:
    """``tokens`` of a Latin name without cutting al/el from the start of long words:
    *Alegre*, *Almodovar* and *Elliott* are names, not the article before *Egre*."""
    return tuple(_tokens(text, cut_joined=False))


def _tokens(text: str, cut_joined: bool = True) -> list[str]:
    out: list[str] = []
    if script_of(text) == "ar":
        words = fold_arabic(text).split()
        # أل / إل / آل begin foreign names (Albright, Elsa), never the article ال
        written = re.sub(r"عبد\s*ال", "عبد ال", _DIACRITICS.sub("", clean(text))).split()
        foreign = [w[:1] in {"أ", "إ", "آ"} for w in written]
        for index, word in enumerate(words):
            if word in PARTICLES_ARABIC:
                continue
            kept = index < len(foreign) and foreign[index]
            if word.startswith("ال") and len(word) > 3 and word != "الله" and not kept:
                word = word[2:]
            out.append(word)
        return out
    # names written glued in camel case (RamiMakhlouf) are two names
    folded = fold_latin(re.sub(r"(?<=[a-z])(?=[A-Z][a-z])", " ", clean(text)))
    folded = _LEGAL.sub(lambda m: _LEGAL_SHORT[m.group(0)], folded)
    folded = _ARTICLE.sub(" ", folded)
    for word in re.split(r"[\s\-]+", folded):
        if cut_joined and word[:2] in {"al", "el"} and len(word) >= 6:
            word = word[2:]  # article written joined: Alkassem, Elmasri
        if word.startswith("abd") and len(word) > 5:
            out.append("abd")
            rest = word[3:]
            # Abdullah, Abdulah, Abdallah: the name of God; otherwise drop the article.
            word = (
                "lah"
                if re.fullmatch(r"[aeiou]?l+ah?", rest)
                else re.sub(r"^(al|el|ul|ol)", "", rest)
            )
        if word and word not in PARTICLES_LATIN:
            out.append(word)
    return out


@lru_cache(maxsize=200_000)
def skeleton(token: str) -> str:
    """The consonant skeleton of one folded token, in either script."""
    if not token:
        return ""
    if ARABIC_RANGE.search(token):
        return _arabic_skeleton(token)
    return _latin_skeleton(token)


def _collapse(chars: list[str]) -> str:
    out: list[str] = []
    for ch in chars:
        if ch and (not out or out[-1] != ch):
            out.append(ch)
    return "".join(out)


def vocalic(token: str) -> str:
    """The token with its written vowels, in one spelling for both scripts (a, i, u):
    Arabic writes long vowels (ا و ي) and Latin writes all, so the two can be compared
    beyond the consonants, e.g. to rank Asensio above Assuncao for آسينسيو."""
    if script_of(token) == "ar":
        token = token.replace("تش", "ش")
        out = []
        for i, letter in enumerate(token):
            mapped = _ARABIC_VOCALIC.get(letter, "")
            if i == 0 and letter in {"و", "ي"}:
                mapped = "w" if letter == "و" else "y"
            out.append(mapped)
        return "".join(out)
    return token.lower().translate(_LATIN_VOCALIC)


def _arabic_skeleton(token: str) -> str:
    token = token.replace("تش", "ش")  # the ch of foreign names (Archie: أرتشي)
    chars = []
    for i, letter in enumerate(token):
        mapped = _ARABIC_SKELETON.get(letter, "")
        if mapped in {"w", "y"} and i > 0:
            mapped = ""  # و and ي inside a word are long vowels (or glides written as such)
        if letter == "ه" and i == len(token) - 1 and i > 0:
            mapped = ""  # folded ta marbuta / final h: Fatima, Hamadeh
        chars.append(mapped)
    return _collapse(chars)


def _latin_skeleton(token: str) -> str:
    text = token.lower()
    for digraph, single in _LATIN_DIGRAPHS:
        text = text.replace(digraph, single)
    chars = []
    for i, letter in enumerate(text):
        if letter in _VOWELS:
            continue
        mapped = _LATIN_SKELETON.get(letter, "")
        if mapped in {"w", "y"} and i > 0:
            mapped = ""
        if letter == "h" and i == len(text) - 1 and i > 1 and text[i - 1] in _VOWELS:
            mapped = ""  # -ah/-eh endings: ta marbuta
        chars.append(mapped)
    return _collapse(chars)


@lru_cache(maxsize=400_000)
def name_skeletons(text: str) -> tuple[str, ...]:
    return tuple(s for s in (skeleton(t) for t in tokens(text)) if s)
