"""Issue #22 item 10: the holder's photo, taken at intake (the program's setting), sealed at
rest, printed on the card with what the card grants, and its face thumbnail signed into the
QR code, which the checkpoint's verifier shows beside the verdict. Arabic first, phone width
(390 x 844). The photo reaches no public output."""

from __future__ import annotations

import base64
import io
import json
import logging
import subprocess
import zlib
from pathlib import Path

import cbor2
import pytest
from django.db import connection
from PIL import Image

from bench.cards_photo_qr import portrait
from sulh.audit.models import AuditEntry
from sulh.cards import services as card_services
from sulh.cards.base45 import b45decode
from sulh.cards.format import CLAIM_CARD, PREFIX
from sulh.cards.pdf import card_html
from sulh.cards.qr import card_qr
from sulh.cases import services as case_services
from sulh.cases.models import Case
from sulh.ledger.models import LedgerLeaf
from tests.web.test_staff_browser import SCREENSHOTS, Desk
from tests.web.test_verifier_browser import Verifier
from tests.web.test_verifier_browser import pytestmark as pytestmark

PHONE = {"width": 390, "height": 844}
PERSON = {
    "given_name_ar": "باسل", "father_name_ar": "ماهر", "family_name_ar": "القصاب",
    "given_name_lat": "Basel", "family_name_lat": "al-Qassab", "birth_date": "١٢/٠٥/١٩٨٥",
}  # fmt: skip
CHOICES = {"affiliation": "army", "document_type": "military_id"}
ITEMS = {"document_number": "M-40817", "item-0-weapon_type": "rifle",
         "item-0-serial_number": "KB90311"}  # fmt: skip


def _natural(page, image_id: str) -> list[int]:
    """The pixel size of the image the page shows (once it has decoded it)."""
    return page.evaluate(
        "async (id) => { const i = document.getElementById(id); await i.decode();"
        " return [i.naturalWidth, i.naturalHeight]; }",
        image_id,
    )


def _register(desk: Desk, photo: Path) -> str:
    page = desk.page
    desk.go("/intake/")
    page.wait_for_selector("#intake")
    for field, value in PERSON.items():
        page.fill(f"#{field}", value)
    page.wait_for_selector("#candidates[data-duplicates='0']")
    for field, value in CHOICES.items():
        page.select_option(f"#{field}", value)
    for field, value in ITEMS.items():
        page.fill(f"#{field}", value)
    assert page.get_attribute("#photo-input", "capture") == "user"
    page.set_input_files("#photo-input", str(photo))
    page.wait_for_selector("#photo-preview:not([hidden])")
    assert _natural(page, "photo-preview") == [300, 375]
    # The photo's part of the form fits the phone (the rest of the form is another item's).
    box = page.locator("#photo-field").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    page.screenshot(
        path=str(SCREENSHOTS / f"walk-card-{desk.lang}-intake-photo.png"), full_page=True
    )
    page.check("#pledge_signed")
    page.click("#register")
    page.wait_for_selector("#serial")
    return page.inner_text("#serial").strip()


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_the_card_carries_the_holders_face_and_the_checkpoint_shows_it(
    lang, browser, live_server, personas, open_program, tmp_path, caplog
):
    caplog.set_level(logging.DEBUG)
    SCREENSHOTS.mkdir(exist_ok=True)
    assert open_program.card.photo == "optional"
    clerk = Desk(browser, live_server.url, lang, personas["clerk"])
    clerk.page.set_viewport_size(PHONE)
    (tmp_path / "portrait.jpg").write_bytes(portrait())  # made up: no real person
    serial = _register(clerk, tmp_path / "portrait.jpg")
    clerk.close()

    case = Case.objects.select_related("intake__person").get(intake__serial=serial)
    photo = case.intake.person.photo
    jpeg = base64.b64decode(photo)
    with Image.open(io.BytesIO(jpeg)) as stored:
        assert (stored.format, stored.size) == ("JPEG", (300, 375))
    with connection.cursor() as cursor:  # sealed at rest: the raw row holds no JPEG
        cursor.execute("SELECT photo FROM registry_person WHERE id = %s", [case.intake.person_id])
        raw = str(cursor.fetchone()[0])
    assert photo[:40] not in raw and photo[-200:-160] not in raw

    case_services.decision_record(
        case=case, user=personas["decider"], outcome="amnesty", reason="settled"
    )
    card = card_services.card_issue(case=case, user=personas["card_officer"])
    # The face is signed into the code: the card body's sixth element, a small WebP.
    message = cbor2.loads(zlib.decompress(b45decode(card.text[len(PREFIX) :])))
    body = cbor2.loads(message.value[2])[CLAIM_CARD]
    face = body[5]
    assert face[:4] == b"RIFF" and face[8:12] == b"WEBP" and len(face) <= 400
    assert card_qr(card.text).version <= 21

    printed = card_services.card_printed(card=card)
    html = card_html(printed)
    assert "data:image/jpeg;base64," in html
    assert "ترفع الملاحقة القانونية" in html and "Lifts legal prosecution" in html
    pdf = card_services.card_print(card=card, user=personas["card_officer"])
    folder = tmp_path / "print"
    folder.mkdir()
    (folder / "card.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "300", "-png", str(folder / "card.pdf"), str(folder / "card")],
        check=True,
    )
    assert not (folder / "card-2.png").exists()  # photo and grants fit the one ID-1 face
    (SCREENSHOTS / f"walk-card-{lang}-printed.png").write_bytes(
        (folder / "card-1.png").read_bytes()
    )

    # The checkpoint scans the printed card: the verdict, and the face from the signed code.
    checkpoint = Verifier(browser, live_server.url, lang)
    checkpoint.page.set_viewport_size(PHONE)
    checkpoint.open()
    assert checkpoint.upload(folder / "card-1.png") == "VALID"
    checkpoint.page.wait_for_selector("#fact-face:not([hidden])")
    assert _natural(checkpoint.page, "fact-face-img") == [48, 60]
    caption = checkpoint.text("#fact-face figcaption")
    assert ("قارن" if lang == "ar" else "Compare it with the person") in caption
    grants = checkpoint.text("#fact-grants")
    assert grants.startswith("ترفع الملاحقة" if lang == "ar" else "Lifts legal prosecution")
    # station and program by the names the printed card gives them, not their codes
    station = personas["clerk"].station
    assert checkpoint.text("#fact-station") == (
        station.name_ar if lang == "ar" else station.name_en
    )
    title = open_program.title.ar if lang == "ar" else open_program.title.en
    assert checkpoint.text("#fact-program") == title
    assert checkpoint.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    checkpoint.shot("walk-face")
    checkpoint.page.fill("#card-text", "HC1:ABC")  # another card: the face goes with the verdict
    checkpoint.page.click("#verify-button")
    checkpoint.page.wait_for_selector("#result[data-verdict=MALFORMED]")
    assert checkpoint.page.is_hidden("#fact-face")
    checkpoint.close()

    # Never in a public output, nor in the audit trail or the server's log.
    thumb = base64.b64encode(face).decode()
    pieces = (photo[1000:1040], photo[-300:-260], thumb[10:40])
    public = [
        json.dumps(card_services.status_list_document()),
        json.dumps(card_services.trust_list_document()),
        json.dumps(list(LedgerLeaf.objects.values()), default=str),
        json.dumps(list(AuditEntry.objects.values()), default=str),
        caplog.text,
    ]
    for text in public:
        for piece in pieces:
            assert piece not in text
