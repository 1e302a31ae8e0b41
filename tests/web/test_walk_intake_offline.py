"""Losing the network on submit loses nothing (issue #22, item 5): the intake form keeps a
sealed draft on the device (AES-GCM under a non-extractable key in IndexedDB, nothing in
plaintext, nothing in localStorage), says in the page's language that it will send the
registration when the network returns, sends it then with the same idempotency key, and
deletes the draft once the receipt arrives; a reload before that restores the draft."""

from __future__ import annotations

from typing import Any

import pytest

from sulh.cases.models import Case
from tests.web.conftest import BROWSER_TEST
from tests.web.test_staff_browser import Desk
from tests.web.test_walk_intake import PHONE, _fill, _hint

pytestmark = BROWSER_TEST

OFFLINE = {"ar": "لا توجد شبكة", "en": "No network"}

# everything the page keeps on the device, as stored (the draft sealed, the key an object)
STORED = """async () => {
  const db = await new Promise((ok, no) => {
    const r = indexedDB.open("sulh-intake", 1);
    r.onupgradeneeded = () => r.result.createObjectStore("sealed");
    r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error);
  });
  const get = (k) => new Promise((ok) => {
    const q = db.transaction("sealed").objectStore("sealed").get(k);
    q.onsuccess = () => ok(q.result);
  });
  const draft = await get("draft"), key = await get("key");
  db.close();
  return {
    draft: draft ? Array.from(new Uint8Array(draft.sealed)).join(",") : null,
    extractable: key ? key.extractable : null,
    algorithm: key ? key.algorithm.name : null,
    local: JSON.stringify(Object.assign({}, localStorage)),
    session: JSON.stringify(Object.assign({}, sessionStorage)),
  };
}"""


def _type_a_registration(page: Any) -> None:
    page.click("button[data-add=item]")
    _fill(page, {
        "given_name_ar": "سامر", "family_name_ar": "الدرويش", "given_name_lat": "Samer",
        "family_name_lat": "al-Darwish", "birth_date": "03/04/1988",
        "family-0-name_ar": "ريم", "item-3-weapon_type": "rifle",
        "item-3-serial_number": "AK771204",
    })  # fmt: skip
    _hint(page, 0)
    page.check("#pledge_signed")


def _sealed(page: Any) -> dict[str, Any]:
    page.wait_for_selector("#intake[data-draft=saved]", state="attached")
    stored = page.evaluate(STORED)
    assert stored["draft"] and stored["extractable"] is False and stored["algorithm"] == "AES-GCM"
    text = " ".join(str(value) for value in stored.values())
    for typed in ("Samer", "AK771204", "Darwish"):
        assert typed not in text  # never in plaintext, not even as bytes of the draft
    sealed = bytes(int(b) for b in stored["draft"].split(","))
    assert b"AK771204" not in sealed and "سامر".encode() not in sealed
    assert stored["local"] == "{}" and stored["session"] == "{}"
    return stored


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_a_registration_sent_without_network_is_sent_when_it_returns(
    lang, browser, live_server, personas, open_program
):
    desk = Desk(browser, live_server.url, lang, personas["clerk"])
    page = desk.page
    page.set_viewport_size(PHONE)
    desk.go("/intake/")
    page.wait_for_selector("#intake")
    _type_a_registration(page)
    key = page.input_value("input[name=idempotency_key]")
    _sealed(page)
    posted: list[str] = []
    page.on("request", lambda r: posted.append(r.post_data or "") if r.method == "POST"
            and r.url.endswith("/intake/") else None)  # fmt: skip
    desk.context.set_offline(True)
    page.click("#register")
    page.wait_for_selector("#offline", state="visible")
    assert OFFLINE[lang] in page.inner_text("#offline")
    desk.shot("intake-offline")
    assert page.input_value("#item-3-serial_number") == "AK771204"  # the form is all there
    assert Case.objects.count() == 0
    desk.context.set_offline(False)  # the network returns: sent by itself, once
    page.wait_for_selector("#serial", timeout=30000)
    assert Case.objects.count() == 1
    assert len(posted) == 2 and all(key in body for body in posted)
    assert page.evaluate(STORED)["draft"] is None  # the receipt arrived: the draft is gone
    desk.errors = [e for e in desk.errors if "ERR_INTERNET_DISCONNECTED" not in e]
    desk.close()


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_a_reload_before_sending_restores_the_sealed_draft(
    lang, browser, live_server, personas, open_program
):
    desk = Desk(browser, live_server.url, lang, personas["clerk"])
    page = desk.page
    desk.go("/intake/")
    page.wait_for_selector("#intake")
    _type_a_registration(page)
    key = page.input_value("input[name=idempotency_key]")
    _sealed(page)
    page.reload()
    page.wait_for_selector("#intake[data-restored]", state="attached")
    assert page.is_visible("#draft-restored")
    assert page.input_value("#given_name_ar") == "سامر"
    assert page.input_value("#item-3-serial_number") == "AK771204"
    assert page.input_value("#family-0-name_ar") == "ريم"
    assert page.is_checked("#pledge_signed")
    assert page.input_value("input[name=idempotency_key]") == key  # registers once
    desk.shot("intake-draft-restored")
    page.click("#register")
    page.wait_for_selector("#serial")
    assert Case.objects.count() == 1
    assert page.evaluate(STORED)["draft"] is None
    desk.close()
