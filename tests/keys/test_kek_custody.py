"""The key-encryption key off the data folder (F5): a production site never reads or makes
it there, a key file inside the data folder is refused, and m-of-n shares bring it back."""

from __future__ import annotations

import base64
import io
import itertools
import os
import secrets
import shutil
import tempfile
from pathlib import Path

import pytest

from sulh.cli import main
from sulh.core.errors import ValidationFailed
from sulh.keys.keyring import KeysMissing, _cache, _stamps, keyring_create
from sulh.keys.recovery import kek_combine, kek_split
from sulh.keys.sealing import open_sealed, seal

CONTEXT = "tests.Sample.value"
OTHER_FILESYSTEM = "/dev/shm"  # a tmpfs on Linux: not the filesystem of the test's data


@pytest.fixture
def site(settings, tmp_path, monkeypatch):
    """This test's own data and keys folders, and a medium outside them."""
    monkeypatch.delenv("SULH_MASTER_KEY", raising=False)
    monkeypatch.delenv("SULH_MASTER_KEY_FILE", raising=False)
    monkeypatch.delenv("SULH_MASTER_KEY_SAME_FILESYSTEM", raising=False)
    settings.SULH_DATA_DIR = tmp_path / "data"
    settings.SULH_KEYS_DIR = tmp_path / "data" / "keys"
    # The medium: a folder on another filesystem than the data (a tmpfs, as a secrets
    # mount is), linked in under the test's folder.
    other = Path(tempfile.mkdtemp(dir=OTHER_FILESYSTEM))
    (tmp_path / "medium").symlink_to(other)
    yield tmp_path
    shutil.rmtree(other, ignore_errors=True)
    _cache.clear()
    _stamps.clear()


def _forget() -> None:
    _cache.clear()
    _stamps.clear()


def test_a_production_site_refuses_a_key_encryption_key_in_its_keys_folder(site, settings):
    assert main(["keyring", "init"]) == 0  # a development site: master.key beside the keyring
    assert (site / "data" / "keys" / "master.key").exists()
    sealed = seal("سامر", context=CONTEXT)
    settings.SULH_PRODUCTION = True
    _forget()  # a new production process
    with pytest.raises(KeysMissing, match="SULH_MASTER_KEY_FILE") as caught:
        open_sealed(sealed, context=CONTEXT)
    assert caught.value.field == "SULH_MASTER_KEY" and "move" in str(caught.value)


def test_a_production_site_makes_no_key_encryption_key_by_itself(site, settings, capsys):
    settings.SULH_PRODUCTION = True
    assert main(["keyring", "init"]) == 2
    assert "SULH_MASTER_KEY" in capsys.readouterr().err
    keys = site / "data" / "keys"
    assert not (keys / "master.key").exists() and not (keys / "keyring.json").exists()


def test_a_key_file_inside_the_data_folder_is_refused_naming_the_setting(site, monkeypatch):
    inside = site / "data" / "kek.b64"
    inside.parent.mkdir(parents=True, exist_ok=True)
    inside.write_text(base64.b64encode(secrets.token_bytes(32)).decode())
    monkeypatch.setenv("SULH_MASTER_KEY_FILE", str(inside))
    with pytest.raises(KeysMissing, match="is inside") as caught:
        keyring_create()
    assert caught.value.field == "SULH_MASTER_KEY_FILE"
    assert not (site / "data" / "keys" / "keyring.json").exists()


def test_with_the_key_on_another_medium_the_data_folder_alone_opens_nothing(
    site, settings, monkeypatch
):
    medium = site / "medium" / "kek.b64"
    medium.write_text(base64.b64encode(secrets.token_bytes(32)).decode())
    monkeypatch.setenv("SULH_MASTER_KEY_FILE", str(medium))
    settings.SULH_PRODUCTION = True
    assert main(["keyring", "init"]) == 0
    keys = site / "data" / "keys"
    assert sorted(p.name for p in keys.iterdir()) == ["keyring.json"]
    sealed = seal("ريم الحلبي", context=CONTEXT)
    assert open_sealed(sealed, context=CONTEXT) == "ريم الحلبي"
    # the thief took the data folder; the medium stayed with its custodian
    medium.unlink()
    _forget()
    with pytest.raises(KeysMissing, match="not there"):
        open_sealed(sealed, context=CONTEXT)


def test_any_three_of_five_shares_make_the_key_and_two_do_not():
    key = secrets.token_bytes(32)
    shares = kek_split(key, shares=5, threshold=3)
    assert len(set(shares)) == 5 and not any(key.hex() in s for s in shares)
    for chosen in itertools.combinations(shares, 3):
        assert kek_combine(chosen) == key
    with pytest.raises(ValidationFailed, match="2 shares given, 3 needed") as caught:
        kek_combine(shares[:2])
    assert caught.value.field == "shares"
    tampered = shares[0][:-2] + ("00" if shares[0][-2:] != "00" else "11")
    with pytest.raises(ValidationFailed, match="altered"):
        kek_combine([tampered, *shares[1:3]])
    with pytest.raises(ValidationFailed, match="threshold"):
        kek_split(key, shares=3, threshold=4)


def test_a_lost_key_is_recovered_from_the_custodians_shares(site, settings, monkeypatch, capsys):
    medium = site / "medium" / "kek.b64"
    medium.write_text(base64.b64encode(secrets.token_bytes(32)).decode())
    monkeypatch.setenv("SULH_MASTER_KEY_FILE", str(medium))
    settings.SULH_PRODUCTION = True
    assert main(["keyring", "init"]) == 0
    sealed = seal("سامر الدرويش", context=CONTEXT)
    capsys.readouterr()
    assert main(["keyring", "split", "--shares", "5", "--threshold", "3"]) == 0
    shares = [line for line in capsys.readouterr().out.splitlines() if line.startswith("sulh-kek:")]
    assert len(shares) == 5
    medium.unlink()  # the medium is lost
    _forget()
    restored = site / "medium" / "restored.b64"
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join([shares[4], shares[1], shares[2]])))
    assert main(["keyring", "combine", "--out", str(restored)]) == 0
    monkeypatch.setenv("SULH_MASTER_KEY_FILE", str(restored))
    assert open_sealed(sealed, context=CONTEXT) == "سامر الدرويش"
    # the recovered key is never written beside the data
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(shares[:3])))
    assert main(["keyring", "combine", "--out", str(site / "data" / "k.b64")]) == 2
    assert not (site / "data" / "k.b64").exists()


def test_a_key_file_on_the_datas_own_filesystem_is_refused_in_production(
    site, settings, monkeypatch
):
    """Second red-team review: another folder of the same disk, or a hard link to the key
    from there, passed the check on the path."""
    (site / "data").mkdir(parents=True, exist_ok=True)
    beside = site / "elsewhere" / "kek.b64"  # same disk as the data, not inside its folder
    beside.parent.mkdir()
    beside.write_text(base64.b64encode(secrets.token_bytes(32)).decode())
    linked = site / "linked.b64"
    os.link(beside, linked)
    settings.SULH_PRODUCTION = True
    for path in (beside, linked):
        monkeypatch.setenv("SULH_MASTER_KEY_FILE", str(path))
        _forget()
        with pytest.raises(KeysMissing, match="same filesystem") as caught:
            keyring_create()
        assert caught.value.field == "SULH_MASTER_KEY_FILE"
    assert not (site / "data" / "keys" / "keyring.json").exists()
    monkeypatch.setenv("SULH_MASTER_KEY_SAME_FILESYSTEM", "accept")  # the operator's word
    _forget()
    keyring_create()
    assert (site / "data" / "keys" / "keyring.json").exists()
