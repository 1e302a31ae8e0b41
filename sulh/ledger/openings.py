"""The monitor tier: an accredited monitor's keys, the packages of openings encrypted to
them (HPKE, RFC 9180), and the monitor's signed attestations.

Pure (no Django, no database): the site writes packages with it, and a monitor opens them
and signs attestations on their own machine with nothing but these files.

- A monitor's keys (``sulh.keys.monitors``): X25519 for HPKE (the openings are
  encrypted to it) and Ed25519 for attestations.
- A package is JSON: a clear header (``format``, ``monitor``, ``tree_head`` {size,
  root_hash}, ``first`` and ``size``: the leaves whose openings it holds, ``suite``) and
  ``ciphertext``: HPKE base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM,
  single shot, ``info`` = ``"sulh-monitor-package/1" || 0x00 || canonical header``, over
  zlib-compressed JSON lines, one opening a line: ``{"index", "record", "salt" (hex)}``;
  the first line is ``{"disclosure": {program: {"secret": b64u}}}``, the keys of the
  published disclosure method.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Iterator
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric import x25519

from sulh.keys.monitors import MonitorKeys, signing_public
from sulh.keys.signing import b64u, canonical, unb64u

PACKAGE_FORMAT = "sulh-monitor-package/1"
ATTESTATION_FORMAT = "sulh-attestation/1"
SUITE_NAME = "DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM"
_SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
_INFO = PACKAGE_FORMAT.encode() + b"\x00"
_ATTEST = ATTESTATION_FORMAT.encode() + b"\x00"


def encryption_public(document: dict[str, str]) -> x25519.X25519PublicKey:
    return x25519.X25519PublicKey.from_public_bytes(unb64u(document["encryption_key"]))


def hpke_seal(plain: bytes, monitor_public: dict[str, str], *, info: bytes) -> bytes:
    """HPKE base mode, single shot, in this module's suite, to the monitor's X25519 key."""
    return _SUITE.encrypt(plain, encryption_public(monitor_public), info=info)


def hpke_open(ciphertext: bytes, keys: MonitorKeys, *, info: bytes) -> bytes:
    """``hpke_seal`` undone with the monitor's private key (InvalidTag when it does not)."""
    return _SUITE.decrypt(ciphertext, keys.encryption, info=info)


def package_header(
    *, monitor: str, tree_head: dict[str, Any], first: int, size: int
) -> dict[str, Any]:
    return {
        "format": PACKAGE_FORMAT,
        "monitor": monitor,
        "tree_head": {"size": tree_head["size"], "root_hash": tree_head["root_hash"]},
        "first": first,
        "size": size,
        "suite": SUITE_NAME,
    }


def package_seal(
    *,
    header: dict[str, Any],
    disclosure: dict[str, bytes],
    openings: Iterable[dict[str, Any] | bytes],
    monitor_public: dict[str, str],
) -> dict[str, Any]:
    """Encrypt the openings (and the disclosure keys) to the monitor: nothing in clear.
    An opening is a dict, or its canonical JSON line already rendered."""
    first = {"disclosure": {p: {"secret": b64u(s)} for p, s in sorted(disclosure.items())}}
    lines = [canonical(first)]
    lines += [o if isinstance(o, bytes) else canonical(o) for o in openings]
    plain = zlib.compress(b"\n".join(lines) + b"\n", 6)
    ciphertext = hpke_seal(plain, monitor_public, info=_INFO + canonical(header))
    return {**header, "ciphertext": b64u(ciphertext)}


def opening_line(index: int, opened: str) -> bytes:
    """The package line of leaf ``index`` from its sealed opening's canonical JSON
    ``{"record", "salt"}``: ``{"index", "record", "salt"}``, still canonical (keys sorted)."""
    return b'{"index":%d,' % index + opened[1:].encode()


class PackageError(ValueError):
    """A package that does not open or is not what it says."""


def package_open(
    document: Any, keys: MonitorKeys
) -> tuple[dict[str, Any], dict[str, bytes], Iterator[dict[str, Any]]]:
    """(header, disclosure keys per program, openings): only with the monitor's key; a
    header changed after sealing does not open (it is bound as HPKE ``info``)."""
    if not isinstance(document, dict) or document.get("format") != PACKAGE_FORMAT:
        raise PackageError(f"not a {PACKAGE_FORMAT} document")
    header = {k: document.get(k) for k in ("format", "monitor", "tree_head", "first", "size")}
    header["suite"] = document.get("suite")
    try:
        plain = hpke_open(
            unb64u(str(document.get("ciphertext", ""))), keys, info=_INFO + canonical(header)
        )
        lines = zlib.decompress(plain).splitlines()
        first = json.loads(lines[0])["disclosure"]
        disclosure = {program: unb64u(value["secret"]) for program, value in first.items()}
    except (InvalidTag, ValueError, KeyError, IndexError, zlib.error) as exc:
        raise PackageError(
            "the package does not open with this monitor's key (another monitor's package, "
            "or it was altered)"
        ) from exc
    return header, disclosure, (json.loads(line) for line in lines[1:] if line)


def attestation_body(
    *,
    monitor: str,
    program: str,
    bulletin_sha256: str,
    tree_head: dict[str, Any],
    checked: int,
    at: str,
) -> dict[str, Any]:
    return {
        "format": ATTESTATION_FORMAT,
        "monitor": monitor,
        "program": program,
        "bulletin_sha256": bulletin_sha256,
        "tree_head": {"size": tree_head["size"], "root_hash": tree_head["root_hash"]},
        "checked": checked,
        "result": "agrees",
        "at": at,
    }


def attestation_sign(body: dict[str, Any], keys: MonitorKeys) -> dict[str, Any]:
    return {**body, "signature": b64u(keys.signing.sign(_ATTEST + canonical(body)))}


def attestation_verify(document: Any, monitor_public: dict[str, str]) -> bool:
    """True when the attestation is signed by this monitor's key (and says so)."""
    if not isinstance(document, dict) or document.get("format") != ATTESTATION_FORMAT:
        return False
    body = {k: v for k, v in document.items() if k != "signature"}
    if body.get("monitor") != monitor_public["name"]:
        return False
    try:
        signing_public(monitor_public).verify(
            unb64u(str(document.get("signature", ""))), _ATTEST + canonical(body)
        )
    except (InvalidSignature, ValueError):
        return False
    return True
