"""A vehicle's sealed manifest: who was on it at departure, the hash the log holds, and
the copy encrypted to a monitor (HPKE, as the monitor packages are).

Pure (no Django, no database): the site writes manifests and copies with it, and a
monitor opens a copy and checks it against the log with nothing but these files.

- A manifest is JSON: ``format`` ``sulh-manifest/1``, ``program``, ``convoy``,
  ``vehicle`` (its number), ``plate``, ``destination``, ``departed_at``, ``salt`` (32
  random bytes, hex: the hash of a short list cannot be guessed from known names) and
  ``travellers``, one per person placed on the vehicle: ``traveller`` and ``order``
  (keys), ``serial`` (the case's), ``relation`` (``person`` or the family relation),
  ``name_ar``, ``name_lat``, ``sex``, ``birth``, ``child``, ``wounded`` and ``status``
  (``boarded`` or ``no_show``).
- Its hash: SHA-256("sulh-manifest/1" || 0x00 || canonical manifest), hex. The log's
  ``vehicle_departed`` record carries it as ``manifest``.
- A copy (``sulh-manifest-copy/1``): a clear header (``format``, ``monitor``, ``convoy``,
  ``vehicle``, ``leaf_index``, ``manifest_sha256``, ``suite``) and ``ciphertext``: HPKE
  base mode like the monitor packages, ``info`` = ``"sulh-manifest-copy/1" || 0x00 ||
  canonical header``, over canonical JSON ``{"manifest", "opening": {"record", "salt"}}``
  (the opening of the log leaf that commits to the record holding the hash).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence
from typing import Any

from cryptography.exceptions import InvalidTag

from sulh.keys.monitors import MonitorKeys
from sulh.keys.signing import b64u, canonical, unb64u
from sulh.ledger.leaves import commitment_of
from sulh.ledger.openings import SUITE_NAME, hpke_open, hpke_seal

MANIFEST_FORMAT = "sulh-manifest/1"
COPY_FORMAT = "sulh-manifest-copy/1"
_DOMAIN = MANIFEST_FORMAT.encode() + b"\x00"
_INFO = COPY_FORMAT.encode() + b"\x00"
SALT_BYTES = 32


class ManifestError(ValueError):
    """A manifest or copy that does not open or does not agree with the log."""


def manifest_document(
    *,
    program: str,
    convoy: int,
    vehicle: int,
    plate: str,
    destination: str,
    departed_at: str,
    travellers: Sequence[dict[str, Any]],
    salt: str | None = None,
) -> dict[str, Any]:
    return {
        "format": MANIFEST_FORMAT,
        "program": program,
        "convoy": convoy,
        "vehicle": vehicle,
        "plate": plate,
        "destination": destination,
        "departed_at": departed_at,
        "salt": salt or secrets.token_bytes(SALT_BYTES).hex(),
        "travellers": list(travellers),
    }


def manifest_sha256(manifest: dict[str, Any]) -> str:
    return hashlib.sha256(_DOMAIN + canonical(manifest)).hexdigest()


def copy_header(
    *, monitor: str, convoy: int, vehicle: int, leaf_index: int, sha256: str
) -> dict[str, Any]:
    return {
        "format": COPY_FORMAT,
        "monitor": monitor,
        "convoy": convoy,
        "vehicle": vehicle,
        "leaf_index": leaf_index,
        "manifest_sha256": sha256,
        "suite": SUITE_NAME,
    }


def copy_seal(
    *,
    header: dict[str, Any],
    manifest: dict[str, Any],
    opening: dict[str, Any],
    monitor_public: dict[str, str],
) -> dict[str, Any]:
    """The manifest and its log opening, encrypted to the monitor: nothing in clear."""
    plain = canonical({"manifest": manifest, "opening": opening})
    ciphertext = hpke_seal(plain, monitor_public, info=_INFO + canonical(header))
    return {**header, "ciphertext": b64u(ciphertext)}


_HEADER = ("format", "monitor", "convoy", "vehicle", "leaf_index", "manifest_sha256", "suite")


def copy_open(document: Any, keys: MonitorKeys) -> tuple[dict[str, Any], dict[str, Any], dict]:
    """(header, manifest, opening): only with the monitor's key; a header changed after
    sealing does not open (it is bound as HPKE ``info``)."""
    if not isinstance(document, dict) or document.get("format") != COPY_FORMAT:
        raise ManifestError(f"not a {COPY_FORMAT} document")
    header = {name: document.get(name) for name in _HEADER}
    try:
        plain = hpke_open(
            unb64u(str(document.get("ciphertext", ""))), keys, info=_INFO + canonical(header)
        )
        body = json.loads(plain)
        return header, body["manifest"], body["opening"]
    except (InvalidTag, ValueError, KeyError, TypeError) as exc:
        raise ManifestError(
            "the copy does not open with this monitor's key (another monitor's copy, or it "
            "was altered)"
        ) from exc


def manifest_verify(
    manifest: dict[str, Any],
    opening: dict[str, Any],
    *,
    leaf: dict[str, Any] | None = None,
    sha256: str | None = None,
) -> str:
    """Check that ``manifest`` is the one the log committed to: its hash is the record's
    ``manifest``, and the record and salt give the leaf's commitment (when ``leaf``, the
    public leaf at the copy's index, is given). Returns the hash; raises ManifestError."""
    digest = manifest_sha256(manifest)
    record = opening.get("record") if isinstance(opening, dict) else None
    if not isinstance(record, dict) or record.get("event") != "vehicle_departed":
        raise ManifestError("the opening is not of a vehicle_departed record")
    if record.get("manifest") != digest:
        raise ManifestError("the manifest's hash is not the one the log's record holds")
    if sha256 is not None and sha256 != digest:
        raise ManifestError("the manifest's hash is not the one its copy names")
    for name in ("convoy", "vehicle"):
        if record.get(name) != manifest.get(name):
            raise ManifestError(f"the record is of another {name}")
    if leaf is not None:
        try:
            commitment = commitment_of(bytes.fromhex(str(opening.get("salt", ""))), record)
        except ValueError as exc:
            raise ManifestError(f"the opening's salt is not valid: {exc}") from exc
        if leaf.get("commitment") != commitment:
            raise ManifestError("the record and salt do not give the log leaf's commitment")
    return digest
