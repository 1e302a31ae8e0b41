"""The keyring is made and rotated on purpose, from the command line."""

from __future__ import annotations

import pytest

from sulh.cli import main
from sulh.keys.keyring import KeysMissing, _cache, keyring
from sulh.keys.sealing import open_sealed, seal


@pytest.fixture
def own_keys(settings, tmp_path, monkeypatch):
    """This test's own keys folder, never the developer's var/keys."""
    monkeypatch.delenv("SULH_MASTER_KEY", raising=False)
    settings.SULH_KEYS_DIR = tmp_path / "keys"
    return tmp_path / "keys"


def test_it_refuses_to_seal_before_the_keyring_is_made(own_keys):
    with pytest.raises(KeysMissing, match="sulh keyring init"):
        seal("x", context="tests.Sample.value")
    assert not own_keys.exists() or not any(own_keys.iterdir())


def test_it_makes_the_keyring_once(own_keys, capsys):
    assert main(["keyring", "init"]) == 0
    first = (own_keys / "keyring.json").read_bytes()
    assert main(["keyring", "init"]) == 0
    assert "nothing changed" in capsys.readouterr().out
    assert (own_keys / "keyring.json").read_bytes() == first


def test_it_rotates_the_data_key_and_still_opens_what_the_old_one_sealed(own_keys):
    assert main(["keyring", "init"]) == 0
    old_kid = keyring().active
    sealed_before = seal("سامر", context="tests.Sample.value")
    assert main(["keyring", "rotate"]) == 0
    assert keyring().active != old_kid
    sealed_after = seal("سامر", context="tests.Sample.value")
    assert sealed_after.split(":")[1] == keyring().active
    assert sealed_before.split(":")[1] == old_kid
    assert open_sealed(sealed_before, context="tests.Sample.value") == "سامر"
    assert open_sealed(sealed_after, context="tests.Sample.value") == "سامر"


def test_a_process_that_loaded_the_keyring_before_a_rotation_opens_what_is_sealed_after(
    own_keys,
):
    """Workers keep the keyring in memory: one that loaded it before another process rotated
    it still opens the values sealed under the new key."""
    assert main(["keyring", "init"]) == 0
    before = keyring()
    assert main(["keyring", "rotate"]) == 0
    sealed_after = seal("ريم", context="tests.Sample.value")
    _cache[str(own_keys)] = before  # as a worker that has not seen the rotation
    assert open_sealed(sealed_after, context="tests.Sample.value") == "ريم"
