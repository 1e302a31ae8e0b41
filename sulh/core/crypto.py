"""Envelope encryption of personal fields, and keyed hashes for lookups.

Each value is sealed with AES-256-GCM under the active data key; the field's
context (``registry.Person.given_name_ar``) is bound as associated data, so a
ciphertext moved to another column does not open. Data keys are wrapped by a
key-encryption key (``SULH_MASTER_KEY``, base64, in production; a generated file
under ``SULH_KEYS_DIR`` in development). Every token names its key id, so keys
rotate without re-encrypting at once, and destroying the keyring makes every
sealed value unreadable (site abandon).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from sulh.core.errors import SulhError

TOKEN_VERSION = "v1"  # noqa: S105 - a format marker, not a secret
_NONCE_BYTES = 12
_lock = threading.Lock()


class SealError(SulhError):
    """A sealed value that cannot be opened: wrong field, tampered, or its key destroyed."""

    status = 500
    code = "sealed_value"


@dataclass(frozen=True)
class Keyring:
    active: str
    data_keys: dict[str, bytes]
    index_key: bytes


def _keys_dir() -> Path:
    from django.conf import settings

    return Path(settings.SULH_KEYS_DIR)


def _master_key() -> bytes:
    """The key-encryption key: from the environment, or a development file."""
    raw = os.environ.get("SULH_MASTER_KEY")
    if raw:
        key = base64.b64decode(raw)
        if len(key) != 32:
            raise SealError(
                "SULH_MASTER_KEY must be 32 bytes, base64-encoded", field="SULH_MASTER_KEY"
            )
        return key
    path = _keys_dir() / "master.key"
    if not path.exists():
        _create_private(path, base64.b64encode(secrets.token_bytes(32)))
    return base64.b64decode(path.read_bytes())


def _write_private(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _create_private(path: Path, content: bytes) -> None:
    """Create ``path`` only if it does not exist yet, atomically: when two processes start on
    a fresh site at once, one key file wins and both use it."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    try:
        os.link(tmp, path)  # fails if another process created it first
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


def _wrap(master: bytes, key: bytes, kid: str) -> str:
    nonce = secrets.token_bytes(_NONCE_BYTES)
    return base64.b64encode(nonce + AESGCM(master).encrypt(nonce, key, kid.encode())).decode()


def _unwrap(master: bytes, wrapped: str, kid: str) -> bytes:
    blob = base64.b64decode(wrapped)
    try:
        return AESGCM(master).decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], kid.encode())
    except InvalidTag:
        raise SealError(
            "the key-encryption key does not open the keyring", field="keyring"
        ) from None


def _keyring_path() -> Path:
    return _keys_dir() / "keyring.json"


def _new_kid() -> str:
    return secrets.token_hex(4)


def _load() -> Keyring:
    path = _keyring_path()
    master = _master_key()
    if not path.exists():
        kid = _new_kid()
        document = {
            "active": kid,
            "data_keys": {kid: _wrap(master, secrets.token_bytes(32), kid)},
            "index_key": _wrap(master, secrets.token_bytes(32), "index"),
        }
        _create_private(path, json.dumps(document, indent=1).encode())
    document = json.loads(path.read_text())
    return Keyring(
        active=document["active"],
        data_keys={kid: _unwrap(master, w, kid) for kid, w in document["data_keys"].items()},
        index_key=_unwrap(master, document["index_key"], "index"),
    )


_cache: dict[str, Keyring] = {}


def keyring() -> Keyring:
    """The keyring of this installation, loaded once per process and path."""
    folder = _cache_key()
    found = _cache.get(folder)
    if found is None:
        with _lock:
            found = _cache.get(folder) or _load()
            _cache[folder] = found
    return found


def _cache_key() -> str:
    """The keys folder as configured: cheap, unlike building the keyring's path on every seal
    and open (which cost more than the AES-GCM itself)."""
    from django.conf import settings

    return str(settings.SULH_KEYS_DIR)


def seal(plaintext: str, *, context: str) -> str:
    """Encrypt ``plaintext`` for the column ``context``: ``v1:<kid>:<base64>``."""
    ring = keyring()
    nonce = secrets.token_bytes(_NONCE_BYTES)
    sealed = _cipher(ring.data_keys[ring.active]).encrypt(
        nonce, plaintext.encode(), context.encode()
    )
    body = base64.b64encode(nonce + sealed).decode()
    return f"{TOKEN_VERSION}:{ring.active}:{body}"


def open_sealed(token: str, *, context: str) -> str:
    return _open(keyring(), token, context)


def open_sealed_many(tokens: Sequence[str], contexts: Sequence[str]) -> list[str]:
    """``open_sealed`` of each token in its context, the keyring looked up once; an empty
    token (a field left blank) stays empty."""
    ring = keyring()
    return [
        _open(ring, token, context) if token else ""
        for token, context in zip(tokens, contexts, strict=True)
    ]


def _open(ring: Keyring, token: str, context: str) -> str:
    version, _, rest = token.partition(":")
    kid, _, body = rest.partition(":")
    if version != TOKEN_VERSION or not body:
        raise SealError(f"not a sealed value for {context}", field=context)
    key = ring.data_keys.get(kid)
    if key is None:
        raise SealError(f"the key of a value in {context} is not in the keyring", field=context)
    blob = base64.b64decode(body)
    try:
        return (
            _cipher(key)
            .decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], context.encode())
            .decode()
        )
    except InvalidTag:
        raise SealError(f"a value in {context} was altered or moved", field=context) from None


@lru_cache(maxsize=64)
def _cipher(key: bytes) -> AESGCM:
    return AESGCM(key)


def blind_index(value: str, *, purpose: str) -> str:
    """HMAC-SHA256 under a key derived for ``purpose``: equal in, equal out, no name out."""
    purpose_key = hmac.new(keyring().index_key, purpose.encode(), hashlib.sha256).digest()
    return hmac.new(purpose_key, value.encode(), hashlib.sha256).hexdigest()


def derived_key(*, purpose: str) -> bytes:
    """A 32-byte key for ``purpose`` (e.g. matching keys), derived from the index key."""
    return hmac.new(keyring().index_key, f"derive:{purpose}".encode(), hashlib.sha256).digest()


def keyring_rotate() -> str:
    """Make a new data key active; old keys stay to read what they sealed."""
    with _lock:
        path = _keyring_path()
        keyring()
        master = _master_key()
        document = json.loads(path.read_text())
        kid = _new_kid()
        document["data_keys"][kid] = _wrap(master, secrets.token_bytes(32), kid)
        document["active"] = kid
        _write_private(path, json.dumps(document, indent=1).encode())
        _cache.pop(_cache_key(), None)
    return kid


def keyring_destroy() -> None:
    """Site abandon: overwrite and delete the keys; sealed data becomes unreadable."""
    with _lock:
        for path in (_keyring_path(), _keys_dir() / "master.key"):
            if path.exists():
                size = path.stat().st_size
                with path.open("r+b") as handle:
                    handle.write(secrets.token_bytes(size))
                    handle.flush()
                    os.fsync(handle.fileno())
                path.unlink()
        _cache.clear()
