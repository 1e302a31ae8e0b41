"""The keyring: the data keys that seal personal fields and the index key behind keyed
hashes, each wrapped by the key-encryption key.

The key-encryption key comes from ``SULH_MASTER_KEY`` (base64, 32 bytes) or from the file
``SULH_MASTER_KEY_FILE`` on another medium than the data (refused inside the data or keys
folder); only a development site keeps it in ``SULH_KEYS_DIR/master.key``, and a production
site refuses that file. ``sulh keyring split`` gives m-of-n shares of it for recovery
(``sulh.keys.recovery``). Loading the keyring never makes
one: a site without keys says so, naming the command (``sulh keyring init``), so a process
that finds an empty keys folder can never start sealing under keys nobody kept.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from sulh.core.errors import SulhError

NONCE_BYTES = 12
_lock = threading.Lock()


class SealError(SulhError):
    """A sealed value that cannot be opened: wrong field, tampered, or its key destroyed."""

    status = 500
    code = "sealed_value"


class KeysMissing(SealError):
    """The site has no keys (yet, or any more after site abandon): they are made by an
    explicit command, never by a read."""

    status = 503
    code = "keys_missing"


@dataclass(frozen=True)
class Keyring:
    active: str
    data_keys: dict[str, bytes]
    index_key: bytes


def keys_dir() -> Path:
    return Path(settings.SULH_KEYS_DIR)


def _keyring_path() -> Path:
    return keys_dir() / "keyring.json"


def _master_path() -> Path:
    return keys_dir() / "master.key"


def _decode_master(raw: str, *, field: str) -> bytes:
    try:
        key = base64.b64decode(raw.strip(), validate=True)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise SealError(f"{field} must hold 32 bytes, base64-encoded", field=field)
    return key


def master_key_file() -> Path | None:
    """``SULH_MASTER_KEY_FILE``: the key-encryption key on another medium than the data
    (a removable key, a secrets mount); refused inside the data or keys folder, where a
    thief who copies the data folder would take it along."""
    raw = os.environ.get("SULH_MASTER_KEY_FILE")
    if not raw:
        return None
    path = Path(raw).resolve()
    refuse_beside_data(path, field="SULH_MASTER_KEY_FILE")
    if settings.SULH_PRODUCTION and path.exists():
        refuse_same_filesystem(path, field="SULH_MASTER_KEY_FILE")
    return path


def _device(path: Path) -> int:
    """The filesystem ``path`` is on (its nearest existing folder's, if it is not made yet)."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return os.stat(path).st_dev


def refuse_same_filesystem(path: Path, *, field: str) -> None:
    """In production, a key-encryption key on the data's own filesystem (another folder of
    the same disk, a hard link) goes with a copy of that disk: refused, unless the operator
    says in ``SULH_MASTER_KEY_SAME_FILESYSTEM=accept`` that they take that risk."""
    if os.environ.get("SULH_MASTER_KEY_SAME_FILESYSTEM") == "accept":
        return
    data = Path(settings.SULH_DATA_DIR).resolve()
    if _device(path) == _device(data):
        raise KeysMissing(
            f"{field}: {path} is on the same filesystem as the data in {data}; keep the "
            "key-encryption key on another medium (a removable key, a secrets mount), or "
            "set SULH_MASTER_KEY_SAME_FILESYSTEM=accept to take that risk",
            field=field,
        )


def refuse_beside_data(path: Path, *, field: str) -> None:
    """A key-encryption key is never kept in the data or keys folder (or a backup of them)."""
    for folder in (Path(settings.SULH_DATA_DIR).resolve(), keys_dir().resolve()):
        if path.resolve().is_relative_to(folder):
            raise KeysMissing(
                f"{field}: {path} is inside {folder}; keep the key-encryption key on "
                "another medium than the data it protects",
                field=field,
            )


def _master_key() -> bytes:
    """The key-encryption key: from ``SULH_MASTER_KEY``, from ``SULH_MASTER_KEY_FILE``, or
    (development sites only) from ``master.key`` in the keys folder."""
    raw = os.environ.get("SULH_MASTER_KEY")
    if raw:
        return _decode_master(raw, field="SULH_MASTER_KEY")
    file = master_key_file()
    if file is not None:
        if not file.is_file():
            raise KeysMissing(
                f"SULH_MASTER_KEY_FILE: {file} is not there (is its medium mounted?)",
                field="SULH_MASTER_KEY_FILE",
            )
        return _decode_master(file.read_text(), field="SULH_MASTER_KEY_FILE")
    path = _master_path()
    if settings.SULH_PRODUCTION:
        found = f"; move {path} off this disk" if path.exists() else ""
        raise KeysMissing(
            "a production site takes its key-encryption key from SULH_MASTER_KEY or "
            "SULH_MASTER_KEY_FILE (outside the data folder), never from the keys folder" + found,
            field="SULH_MASTER_KEY",
        )
    if not path.exists():
        raise KeysMissing(
            "no key-encryption key: set SULH_MASTER_KEY or SULH_MASTER_KEY_FILE, or run "
            "'sulh keyring init' on a development site",
            field="SULH_MASTER_KEY",
        )
    return base64.b64decode(path.read_bytes())


def master_key() -> bytes:
    """The key-encryption key as the keyring is opened with it (``sulh keyring split``)."""
    return _master_key()


def master_key_opens_keyring(candidate: bytes) -> bool:
    """Whether ``candidate`` opens this site's keyring (a recombined key is checked so)."""
    document = json.loads(_keyring_path().read_text())
    try:
        _unwrap(candidate, document["index_key"], "index")
    except SealError:
        return False
    return True


def write_private(path: Path, content: bytes) -> None:
    """Replace ``path`` with ``content`` (mode 0600), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def create_private(path: Path, content: bytes) -> bool:
    """Create ``path`` only if it does not exist yet, atomically: when two processes create
    the keys of a fresh site at once, one file wins and both use it. True if this call
    made it."""
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
        return False
    finally:
        tmp.unlink()
    return True


def _wrap(master: bytes, key: bytes, kid: str) -> str:
    nonce = secrets.token_bytes(NONCE_BYTES)
    return base64.b64encode(nonce + AESGCM(master).encrypt(nonce, key, kid.encode())).decode()


def _unwrap(master: bytes, wrapped: str, kid: str) -> bytes:
    blob = base64.b64decode(wrapped)
    try:
        return AESGCM(master).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], kid.encode())
    except InvalidTag:
        raise SealError(
            "the key-encryption key does not open the keyring", field="keyring"
        ) from None


def _new_kid() -> str:
    return secrets.token_hex(4)


def _abandoned_path() -> Path:
    return keys_dir() / "ABANDONED"


def keyring_abandoned() -> bool:
    """The site was abandoned (``sulh site abandon``): one stat, cheap enough per request."""
    return _abandoned_path().exists()


def _abandoned_error() -> KeysMissing:
    return KeysMissing(
        "site abandoned: its keys were destroyed; new keys are made only by "
        "'sulh keyring init --after-abandon'",
        field="keyring",
    )


def _load() -> Keyring:
    path = _keyring_path()
    if keyring_abandoned():
        raise _abandoned_error()
    if not path.exists():
        raise KeysMissing(
            f"this site has no keyring in {keys_dir()}: run 'sulh keyring init' "
            "(or restore the keys folder from its backup)",
            field="keyring",
        )
    master = _master_key()
    document = json.loads(path.read_text())
    return Keyring(
        active=document["active"],
        data_keys={kid: _unwrap(master, w, kid) for kid, w in document["data_keys"].items()},
        index_key=_unwrap(master, document["index_key"], "index"),
    )


_cache: dict[str, Keyring] = {}
_stamps: dict[str, tuple[str, int]] = {}


def keyring() -> Keyring:
    """The keyring of this installation, loaded once per process and keys folder, and
    checked on each use to be still on disk: once site abandon destroys it, every running
    process stops opening sealed values at once."""
    folder = str(settings.SULH_KEYS_DIR)  # cheap: building the path costs more than AES-GCM
    found = _cache.get(folder)
    if found is not None:
        stamp = _stamps.get(folder)
        path = stamp[0] if stamp else os.path.join(folder, "keyring.json")
        try:
            inode = os.stat(path).st_ino
        except FileNotFoundError:
            _cache.pop(folder, None)
            found = None
        else:
            if stamp is None or stamp[1] != inode:  # rotated by another process: read again
                found = None
    if found is None:
        with _lock:
            found = _load()
            _cache[folder] = found
            _stamps[folder] = (str(_keyring_path()), _keyring_path().stat().st_ino)
    return found


def keyring_reload() -> Keyring:
    """The keyring read again from disk: another process rotated it (a value sealed under a
    key id this process has not seen yet)."""
    folder = str(settings.SULH_KEYS_DIR)
    with _lock:
        _cache.pop(folder, None)
        _stamps.pop(folder, None)
    return keyring()


_forgetters: list[Callable[[], None]] = []


def forget_on_abandon(forget: Callable[[], None]) -> None:
    """Register ``forget`` (a cache of opened records, e.g. matching's) to run with
    ``keyring_forget``: a worker that sees the site abandoned drops what it had opened."""
    if forget not in _forgetters:
        _forgetters.append(forget)


def keyring_forget() -> None:
    """Drop the keys this process loaded and every registered cache of opened records
    (after site abandon: nothing stays to open with, nothing opened stays)."""
    with _lock:
        _cache.clear()
        _stamps.clear()
    for forget in _forgetters:
        forget()


_watching: dict[str, int] = {}


def abandon_watch_start(*, every: float = 1.0) -> None:
    """Look for the abandon mark every ``every`` seconds in a thread of this process, and
    forget what the process opened as soon as it appears: a worker that gets no request
    after ``sulh site abandon`` does not keep opened records until it stops. One thread per
    process (a forked worker starts its own)."""
    with _lock:
        if _watching.get("pid") == os.getpid():
            return
        _watching["pid"] = os.getpid()

    def watch() -> None:
        while True:
            time.sleep(every)
            try:
                abandoned = keyring_abandoned()
            except Exception:  # settings torn down at exit: stop quietly
                return
            if abandoned:
                keyring_forget()

    threading.Thread(target=watch, name="sulh-abandon-watch", daemon=True).start()


def keyring_exists() -> bool:
    return _keyring_path().exists()


def keyring_create(*, after_abandon: bool = False) -> bool:
    """Make the site's keyring (and, without ``SULH_MASTER_KEY``, the development
    key-encryption key) unless it exists. True if this call made it. After site abandon
    only with ``after_abandon`` (``sulh keyring init --after-abandon``): a process that
    finds the keys gone never starts sealing under new ones by itself."""
    if keyring_abandoned():
        if not after_abandon:
            raise _abandoned_error()
        _abandoned_path().unlink()
    external = os.environ.get("SULH_MASTER_KEY") or master_key_file()
    if not external and not settings.SULH_PRODUCTION:
        create_private(_master_path(), base64.b64encode(secrets.token_bytes(32)))
    master = _master_key()  # in production, from outside the data folder or refused
    kid = _new_kid()
    document = {
        "active": kid,
        "data_keys": {kid: _wrap(master, secrets.token_bytes(32), kid)},
        "index_key": _wrap(master, secrets.token_bytes(32), "index"),
    }
    return create_private(_keyring_path(), json.dumps(document, indent=1).encode())


def keyring_rotate() -> str:
    """Make a new data key active; old keys stay to read what they sealed."""
    with _lock:
        path = _keyring_path()
        _load()
        master = _master_key()
        document = json.loads(path.read_text())
        kid = _new_kid()
        document["data_keys"][kid] = _wrap(master, secrets.token_bytes(32), kid)
        document["active"] = kid
        write_private(path, json.dumps(document, indent=1).encode())
        _cache.pop(str(settings.SULH_KEYS_DIR), None)
    return kid


def keyring_destroy() -> list[Path]:
    """Site abandon: first record it (every process checks the mark on each use and each
    request), then overwrite and delete every file of the keys folder — the keyring, the
    development key-encryption key, drafts and copies left by rotation; sealed data becomes
    unreadable. The files destroyed."""
    destroyed: list[Path] = []
    with _lock:
        folder = keys_dir()
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        create_private(_abandoned_path(), b"abandoned\n")
        for path in sorted(folder.rglob("*"), reverse=True):
            if path == _abandoned_path() or path.is_symlink() or not path.is_file():
                continue
            size = path.stat().st_size
            with path.open("r+b") as handle:
                handle.write(secrets.token_bytes(size))
                handle.flush()
                os.fsync(handle.fileno())
            path.unlink()
            destroyed.append(path)
        _cache.clear()
        _stamps.clear()
    return destroyed
