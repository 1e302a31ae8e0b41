"""Base45 (RFC 9285): the QR-alphanumeric-friendly encoding of card payloads."""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}


class Base45Error(ValueError):
    pass


def b45encode(data: bytes) -> str:
    out = []
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        c, n = n % 45, n // 45
        d, e = n % 45, n // 45
        out += [ALPHABET[c], ALPHABET[d], ALPHABET[e]]
    if len(data) % 2:
        c, d = data[-1] % 45, data[-1] // 45
        out += [ALPHABET[c], ALPHABET[d]]
    return "".join(out)


_ALPHABET_BYTES = ALPHABET.encode()
_TO_VALUE = bytes.maketrans(_ALPHABET_BYTES, bytes(range(45)))


def b45decode(text: str) -> bytes:
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError:
        raw = b"\xff"
    if raw.translate(None, _ALPHABET_BYTES):
        bad = next(ch for ch in text if ch not in _VALUE)
        raise Base45Error(f"character {bad!r} is not Base45")
    if len(raw) % 3 == 1:
        raise Base45Error("length is not a valid Base45 length")
    values = raw.translate(_TO_VALUE)
    full = len(values) - len(values) % 3
    count = full // 3
    # n = a + 45 b + 2025 c for every triple at once: each digit stream is spread into
    # 4-byte little-endian slots of one big integer, so the sums never carry between slots.
    slots = bytearray(4 * count)
    slots[0::4] = values[0:full:3]
    low = int.from_bytes(slots, "little")
    slots[0::4] = values[1:full:3]
    middle = int.from_bytes(slots, "little")
    slots[0::4] = values[2:full:3]
    high = int.from_bytes(slots, "little")
    numbers = (low + 45 * middle + 2025 * high).to_bytes(4 * count, "little")
    if (numbers[2::4] + numbers[3::4]).strip(b"\0"):
        raise Base45Error("a triple encodes more than two bytes")
    out = bytearray(2 * count)
    out[0::2], out[1::2] = numbers[1::4], numbers[0::4]  # big-endian pairs of bytes
    if full < len(values):
        n = values[full] + values[full + 1] * 45
        if n > 0xFF:
            raise Base45Error("a final pair encodes more than one byte")
        out.append(n)
    return bytes(out)
