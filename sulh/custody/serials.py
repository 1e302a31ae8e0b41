"""A serial number as read and as compared.

The record keeps the serial *as read* (original script, Arabic-Indic digits kept) and
compares the *normalised* form: Arabic-Indic and Eastern Arabic-Indic digits to ASCII,
compatibility forms folded, separators dropped, letters upper-cased. Pure.
"""

from __future__ import annotations

import re
import unicodedata

_DIGITS = str.maketrans(
    "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669"
    "\u06f0\u06f1\u06f2\u06f3\u06f4\u06f5\u06f6\u06f7\u06f8\u06f9",
    "01234567890123456789",
)
_SEPARATORS = re.compile(r"[\s\-_./\\:|\u2010-\u2015\u0640]+")


def serial_as_read(value: str) -> str:
    """What the officer read, in its own script: only spacing tidied (NFC, one space)."""
    return " ".join(unicodedata.normalize("NFC", value or "").split())


def serial_normalise(value: str) -> str:
    """The form two readings of one serial share: ``"AK-٤٧ ١٢٣"`` → ``"AK47123"``."""
    folded = unicodedata.normalize("NFKC", value or "").translate(_DIGITS)
    return _SEPARATORS.sub("", folded).upper()
