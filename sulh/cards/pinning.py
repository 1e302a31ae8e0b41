"""What a verifier holds on its own: the pinned root public key, and the highest list
sequence it has seen for that root (so that an older, replayed list is refused).

``root.pub`` is the root's public key as PEM (SubjectPublicKeyInfo) or as the base64url
uncompressed P-256 point the trust list carries. The state file is small JSON, one entry
per root: ``{"roots": {"<root b64u>": {"trust": N, "status": M}}}``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from sulh.keys.signing import b64u, public_bytes, public_from_bytes, unb64u

ROOT_ENV = "SULH_ROOT_PUBLIC_KEY"  # the key itself (PEM or base64url point)
ROOT_FILE_ENV = "SULH_ROOT_PUBLIC_KEY_FILE"  # or a file holding it


class PinError(ValueError):
    pass


def root_pem(public: ec.EllipticCurvePublicKey) -> str:
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def root_parse(text: str, *, where: str) -> bytes:
    """The uncompressed point of the root key in ``text``; PinError naming ``where``."""
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode())
            if not isinstance(key, ec.EllipticCurvePublicKey):
                raise ValueError("not a P-256 key")
            return public_bytes(key)
        return public_bytes(public_from_bytes(unb64u(text)))
    except ValueError as exc:
        raise PinError(f"{where}: not a P-256 public key ({exc})") from None


def root_configured(path: Path | None) -> bytes:
    """The pin: ``--root FILE``, else SULH_ROOT_PUBLIC_KEY(_FILE); none is an error."""
    if path is None and os.environ.get(ROOT_ENV):
        return root_parse(os.environ[ROOT_ENV], where=ROOT_ENV)
    if path is None and os.environ.get(ROOT_FILE_ENV):
        path = Path(os.environ[ROOT_FILE_ENV])
    if path is None:
        raise PinError(
            f"root: no root key is pinned: pass --root FILE (the program's root.pub) or set "
            f"{ROOT_ENV}"
        )
    try:
        return root_parse(path.read_text(encoding="utf-8"), where=f"root ({path})")
    except OSError as exc:
        raise PinError(f"root ({path}): {exc.strerror}") from None


def state_default() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "sulh" / "verifier-state.json"


class SeenLists:
    """The highest sequences seen per root, read from and written back to ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raw = '{"roots": {}}'
        except OSError as exc:
            raise PinError(f"state ({path}): {exc.strerror}") from None
        try:
            document = json.loads(raw)
            roots = document["roots"]
            self.roots = {
                str(root): {str(kind): int(n) for kind, n in seen.items()}
                for root, seen in roots.items()
            }
        except (ValueError, KeyError, TypeError, AttributeError):
            # Never start again from nothing silently: that would accept old lists again.
            raise PinError(f"state ({path}): damaged; move it aside only on purpose") from None

    def highest(self, root: bytes, kind: str) -> int:
        return self.roots.get(b64u(root), {}).get(kind, -1)

    def check(self, root: bytes, kind: str, sequence: int) -> str:
        """'' when ``sequence`` is not older than the highest seen; else why it is refused."""
        seen = self.highest(root, kind)
        if sequence < seen:
            return (
                f"the {kind} list (sequence {sequence}) is older than one this verifier has "
                f"already seen (sequence {seen}): refused, get the current one"
            )
        return ""

    def note(self, root: bytes, kind: str, sequence: int) -> None:
        entry = self.roots.setdefault(b64u(root), {})
        entry[kind] = max(entry.get(kind, -1), sequence)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + ".partial")
        partial.write_text(json.dumps({"roots": self.roots}, indent=1) + "\n", encoding="utf-8")
        partial.replace(self.path)
