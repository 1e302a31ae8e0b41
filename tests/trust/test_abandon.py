"""Site abandon on a running site: the workers that were serving names stop at once (503
"site abandoned"), no key file is left, and no later process makes new keys by itself."""

from __future__ import annotations

import json

import pytest

from tests.trust.live_server import Installation, Server, get, intake_payloads, post_intake

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def test_abandon_stops_running_workers_and_nothing_makes_new_keys(tmp_path, programs):
    installation = Installation(tmp_path / "data")
    tokens = installation.prepare()
    [payload] = intake_payloads(1, seed=16, key_prefix="abandon")
    name = payload["person"]["given_name_ar"]
    with Server(installation, workers=2) as server:
        status, answer = post_intake(server.port, payload, token=tokens["kil1"])
        assert status == 201, answer
        serial = answer["serial"]
        status, case = get(server.port, f"/api/cases/{serial}", token=tokens["kil1"])
        assert status == 200
        assert case["serial"] == serial  # the worker serves the case (its page opens names)

        done = installation.sulh("site", "abandon", "--confirm", "DESTROY THE KEYS")
        assert done.returncode == 0, done.stderr

        for _ in range(4):  # both workers, each with the keyring already in memory
            status, body = get(server.port, f"/api/cases/{serial}", token=tokens["kil1"])
            assert status == 503
            text = body if isinstance(body, bytes) else json.dumps(body).encode()
            assert b"site abandoned" in text
            assert name.encode() not in text

    keys = installation.data_dir / "keys"
    assert not (keys / "keyring.json").exists()
    assert not (keys / "master.key").exists()
    assert [p.name for p in keys.rglob("*") if p.is_file() and p.name != "django-secret"] == [
        "ABANDONED"
    ]
    # A fresh process makes no keys without the explicit command ...
    refused = installation.sulh("keyring", "init")
    assert refused.returncode != 0
    assert "--after-abandon" in refused.stdout + refused.stderr
    assert not (keys / "keyring.json").exists()
    # ... and with it starts over under new keys (nothing sealed before opens).
    again = installation.sulh("keyring", "init", "--after-abandon")
    assert again.returncode == 0, again.stderr
    assert (keys / "keyring.json").exists()
