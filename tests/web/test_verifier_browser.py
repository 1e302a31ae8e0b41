"""The card verifier page (/verify/) in the system's Chromium: demo card, tampering, other
schemes, a QR image, revocation, every shipped vector, and going offline.

Playwright drives /usr/bin/chromium (never a downloaded browser). Any console error or
uncaught exception on the page fails the test: the page runs under a CSP without
'unsafe-inline', so an inline script or style would show up here as a console error.
Screenshots go to tests/screenshots/verify-<lang>-<case>.png (git-ignored).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sulh.accounts.models import Station
from sulh.cards.demo import DEMO_HOLDER, issue_demo
from sulh.cards.format import CardClaims, Holder, encode_card, new_card_id
from sulh.cards.pinning import root_parse
from sulh.cards.services import status_list_forget
from sulh.cards.status import CardStatus, StatusList
from sulh.cards.trust import StationKey, trust_list_sign
from sulh.keys.services import private_key_of, root_find, root_online_create
from sulh.keys.signing import b64u, new_private_key
from sulh.programs.models import Program
from sulh.programs.services import program_get_definition
from tests.web.conftest import BROWSER_TEST, CHROMIUM

TESTS = Path(__file__).resolve().parents[1]
SCREENSHOTS = TESTS / "screenshots"
VECTORS = TESTS / "cards" / "vectors"
PHONE = {"width": 360, "height": 780}

pytestmark = BROWSER_TEST


class Verifier:
    """One browser context on /verify/, failing on any console error or page error."""

    def __init__(self, browser: Any, base_url: str, lang: str) -> None:
        self.base_url, self.lang = base_url, lang
        self.context = browser.new_context(viewport=PHONE, locale="en-US")
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.closed = False
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _console(self, message: Any) -> None:
        # The browser asks for /favicon.ico by itself; the site has none (not this page's doing).
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            self.errors.append(f"{message.text} ({message.location.get('url')})")

    def open(self) -> None:
        self.page.goto(f"{self.base_url}/verify/")
        if self.lang == "ar":  # through the site's own language switch
            self.page.click("button[name=language][value=ar]")
        self.page.wait_for_selector(f"html[lang={self.lang}]")
        self.ready()

    def ready(self) -> None:
        self.page.wait_for_selector("#verifier[data-ready=true]")

    def load_lists(self, trust: Path, status: Path) -> None:
        self.page.set_input_files("#trust-file", str(trust))
        self.page.wait_for_selector("#verifier[data-trust-source=file]")
        self.page.set_input_files("#status-file", str(status))
        self.page.wait_for_selector("#verifier[data-status-source=file]")

    def verdict(self) -> str:
        self.page.wait_for_selector("#result[data-verdict]")
        return self.page.get_attribute("#result", "data-verdict") or ""

    def paste(self, text: str) -> str:
        self.page.fill("#card-text", text)
        self.page.click("#verify-button")
        return self.verdict()

    def upload(self, image: Path) -> str:
        self.page.set_input_files("#card-image", str(image))
        return self.verdict()

    def shot(self, case: str) -> None:
        SCREENSHOTS.mkdir(exist_ok=True)
        self.page.screenshot(
            path=str(SCREENSHOTS / f"verify-{self.lang}-{case}.png"), full_page=True
        )

    def text(self, selector: str) -> str:
        return self.page.inner_text(selector)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.context.close()
        assert self.errors == [], self.errors


@pytest.fixture
def verifier(browser: Any, live_server: Any) -> Iterator[Any]:
    root_online_create()  # the site serves its lists once its root exists (else 503)
    opened: list[Verifier] = []

    def open_verifier(lang: str, in_browser: Any = None) -> Verifier:
        page = Verifier(in_browser or browser, live_server.url, lang)
        opened.append(page)
        page.open()
        return page

    yield open_verifier
    for page in opened:
        page.close()


def _site_root() -> Any:
    """The site's online root: lists it signs are the ones the page (which pins it) accepts."""
    root = root_find()
    assert root is not None
    return private_key_of(root)


def _ahead() -> dt.datetime:
    """When lists handed to the page are signed: a minute ahead, so that their sequence is
    above that of the site's lists the page fetched on opening (else refused as older)."""
    return dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)


def _demo(out: Path) -> None:
    issue_demo(out=out, now=dt.datetime.now(dt.UTC), root=_site_root(), lists_at=_ahead())


def _tampered(text: str) -> str:
    middle = len(text) // 2
    swap = "B" if text[middle] != "B" else "C"
    return text[:middle] + swap + text[middle + 1 :]


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_demo_card_verifies_and_bad_input_is_named(verifier, tmp_path, lang):
    _demo(tmp_path)
    card = (tmp_path / "card.txt").read_text(encoding="utf-8").strip()
    page = verifier(lang)
    assert page.page.get_attribute("html", "dir") == ("rtl" if lang == "ar" else "ltr")
    page.load_lists(tmp_path / "trust-list.json", tmp_path / "status.json")

    assert page.paste(card) == "VALID"
    assert page.text("#fact-name-lat") == DEMO_HOLDER.name_lat
    assert page.text("#fact-name-ar") == DEMO_HOLDER.name_ar
    assert page.text("#fact-birth-year") == str(DEMO_HOLDER.birth_year)
    # named as the printed card names them, where the site knows the station and program
    station = Station.objects.filter(code="alp-police-1").first()
    named = station and (station.name_ar if lang == "ar" else station.name_en)
    assert page.text("#fact-station") == (named or "alp-police-1")
    program = Program.objects.filter(code="aleppo-2024-defectors").first()
    title = program and program_get_definition(code=program.code).title
    assert page.text("#fact-program") == (
        (title.ar if lang == "ar" else title.en) if title else "aleppo-2024-defectors"
    )
    label = page.text("#verdict-label")
    assert label == ("VALID" if lang == "en" else "صالحة")
    # Nothing wider than a 360 px phone.
    assert page.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.shot("valid")

    assert page.paste(_tampered(card)) in {"FORGED", "MALFORMED"}
    assert page.page.is_hidden("#verdict-facts")
    page.shot("tampered")

    assert page.paste("HC1:ABC") == "MALFORMED"
    assert "HC1" in page.text("#verdict-message")
    page.shot("other-scheme")

    page.page.fill("#card-text", "")
    assert page.upload(tmp_path / "card.png") == "VALID"  # read by the vendored jsQR
    assert page.page.input_value("#card-text") == card
    assert page.text("#fact-name-lat") == DEMO_HOLDER.name_lat
    page.shot("qr-image")


def test_a_revoked_card_is_shown_revoked(verifier, tmp_path):
    now = dt.datetime.now(dt.UTC)
    root = _site_root()
    station = StationKey(
        "alp-police-1", new_private_key(), now - dt.timedelta(days=1), now + dt.timedelta(days=30)
    )
    holder = Holder(name_ar="عمر خالد النجار", name_lat="Omar Khaled al-Najjar", birth_year=1991)
    claims = CardClaims(new_card_id(), 1, now, now, now + dt.timedelta(days=20), 9, holder)
    text = encode_card(claims, key=station.private, kid=station.kid)
    trust = trust_list_sign(root=root, keys=[station], issued_at=_ahead(), programs={1: "demo"})
    status = StatusList()
    status.set(9, CardStatus.REVOKED)
    (tmp_path / "trust-list.json").write_text(json.dumps(trust), encoding="utf-8")
    (tmp_path / "status.json").write_text(
        json.dumps(status.signed(root=root, issued_at=_ahead(), uri="status.json")),
        encoding="utf-8",
    )
    page = verifier("en")
    page.load_lists(tmp_path / "trust-list.json", tmp_path / "status.json")
    assert page.paste(text) == "REVOKED"
    assert page.text("#fact-name-lat") == holder.name_lat
    page.shot("revoked")


def test_a_status_list_from_another_root_is_refused(verifier, tmp_path):
    _demo(tmp_path / "a")
    issue_demo(out=tmp_path / "b", now=dt.datetime.now(dt.UTC))
    page = verifier("en")
    page.page.set_input_files("#trust-file", str(tmp_path / "a" / "trust-list.json"))
    page.page.wait_for_selector("#verifier[data-trust-source=file]")
    page.page.set_input_files("#status-file", str(tmp_path / "b" / "status.json"))
    page.page.wait_for_selector("#list-note.bad")
    assert "signature" in page.text("#list-note")
    assert page.page.get_attribute("#verifier", "data-status-source") != "file"


def test_every_shipped_vector_gets_the_python_verdict(verifier):
    """The browser's rules are verify.py's: tests/cards/vectors/expected.json, one by one."""
    expected = json.loads((VECTORS / "expected.json").read_text())
    texts = {
        name: (VECTORS / f"{name}.txt").read_bytes().decode("utf-8") for name in expected["vectors"]
    }
    now_ms = dt.datetime.fromisoformat(expected["now"]).timestamp() * 1000
    page = verifier("en")
    got = page.page.evaluate(
        """async ([trustDoc, statusDoc, texts, now, rootKey]) => {
            const m = await import("/static/web/verify.js");
            const trust = await m.loadTrustList(trustDoc, m.unb64u(rootKey));
            const status = await m.loadStatusList(statusDoc, trust.statusSigner);
            const out = {};
            for (const [name, text] of Object.entries(texts)) {
                out[name] = (await m.verifyCard(text, { trust, status, now })).verdict;
            }
            return out;
        }""",
        [
            json.loads((VECTORS / "trust-list.json").read_text()),
            json.loads((VECTORS / "status.json").read_text()),
            texts,
            now_ms,
            b64u(root_parse((VECTORS / "root.pub").read_text(), where="root.pub")),
        ],
    )
    assert got == expected["vectors"]


def test_the_page_works_offline_once_loaded(verifier, tmp_path):
    _demo(tmp_path)
    card = (tmp_path / "card.txt").read_text(encoding="utf-8").strip()
    page = verifier("ar")
    page.load_lists(tmp_path / "trust-list.json", tmp_path / "status.json")
    page.page.wait_for_selector("#verifier[data-offline=ready]")

    page.context.set_offline(True)
    page.page.reload()
    page.ready()
    assert page.page.get_attribute("html", "lang") == "ar"
    assert page.page.get_attribute("#verifier", "data-trust-source") == "file"
    assert page.paste(card) == "VALID"
    assert page.text("#fact-name-ar") == DEMO_HOLDER.name_ar
    page.shot("offline")


def _camera_feed(png: Path, out: Path) -> Path:
    """The QR code as a Y4M video, which Chromium plays as its fake camera."""
    from PIL import Image

    width, height, side = 640, 480, 440
    with Image.open(png) as image:
        code = image.convert("L").resize((side, side), Image.Resampling.NEAREST)
    frame = Image.new("L", (width, height), 255)
    frame.paste(code, ((width - side) // 2, (height - side) // 2))
    grey = bytes([128]) * (width * height // 4)  # no colour: U and V planes at the midpoint
    with out.open("wb") as video:
        video.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(5):
            video.write(b"FRAME\n" + frame.tobytes() + grey + grey)
    return out


def test_the_camera_reads_the_card(playwright, verifier, tmp_path):
    _demo(tmp_path)
    feed = _camera_feed(tmp_path / "card.png", tmp_path / "camera.y4m")
    camera = playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        args=[
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={feed}",
        ],
    )
    page = verifier("en", camera)
    try:
        page.load_lists(tmp_path / "trust-list.json", tmp_path / "status.json")
        page.page.click("#camera-button")
        assert page.verdict() == "VALID"
        assert page.text("#fact-name-lat") == DEMO_HOLDER.name_lat
        assert page.page.is_hidden("#camera-video")  # the camera is given back
        page.shot("camera")
    finally:
        page.close()  # before its browser goes
        camera.close()


# ---------------------------------------------------------------------------
# Finding 14 of issue #16: the page pins the site's root and keeps the newest lists.


def _station(now: dt.datetime) -> StationKey:
    return StationKey(
        "alp-police-1", new_private_key(), now - dt.timedelta(days=1), now + dt.timedelta(days=30)
    )


def _card_text(station: StationKey, index: int, now: dt.datetime) -> str:
    holder = Holder(name_ar="عمر خالد النجار", name_lat="Omar Khaled al-Najjar", birth_year=1991)
    claims = CardClaims(new_card_id(), 1, now, now, now + dt.timedelta(days=20), index, holder)
    return encode_card(claims, key=station.private, kid=station.kid)


def test_a_self_made_root_and_trust_list_are_refused_and_the_forged_card_is_not_valid(
    verifier, tmp_path
):
    issue_demo(out=tmp_path, now=dt.datetime.now(dt.UTC), lists_at=_ahead())  # its own root
    forged = (tmp_path / "card.txt").read_text(encoding="utf-8").strip()
    page = verifier("en")
    page.page.set_input_files("#trust-file", str(tmp_path / "trust-list.json"))
    page.page.wait_for_selector("#list-note.bad")
    assert "another root key" in page.text("#list-note")
    assert page.page.get_attribute("#verifier", "data-trust-source") == "server"
    assert page.paste(forged) == "UNKNOWN KEY"  # the site's list does not know the forger
    page.shot("untrusted-root")
    # Even straight through the module: a list under another root than the pin is refused.
    refused = page.page.evaluate(
        """async ([doc, pin]) => {
            const m = await import("/static/web/verify.js");
            try { await m.loadTrustList(doc, m.unb64u(pin)); return "loaded"; }
            catch (e) { return e.key; }
        }""",
        [json.loads((tmp_path / "trust-list.json").read_text()), root_find().public_point],
    )
    assert refused == "untrusted_root"


def test_an_old_status_list_does_not_make_a_revoked_card_valid_again(verifier, tmp_path):
    now, root = dt.datetime.now(dt.UTC), _site_root()
    station = _station(now)
    trust = trust_list_sign(root=root, keys=[station], issued_at=_ahead(), programs={1: "d"})
    (tmp_path / "trust.json").write_text(json.dumps(trust))
    revoked = StatusList()
    revoked.set(9, CardStatus.REVOKED)
    late = _ahead() + dt.timedelta(minutes=1)
    (tmp_path / "before.json").write_text(
        json.dumps(StatusList().signed(root=root, issued_at=_ahead(), uri="s"))
    )
    (tmp_path / "after.json").write_text(
        json.dumps(revoked.signed(root=root, issued_at=late, uri="s"))
    )
    page = verifier("en")
    page.load_lists(tmp_path / "trust.json", tmp_path / "after.json")
    card = _card_text(station, 9, now)
    assert page.paste(card) == "REVOKED"
    page.page.set_input_files("#status-file", str(tmp_path / "before.json"))
    page.page.wait_for_selector("#list-note.bad")
    assert "older" in page.text("#list-note")
    assert page.paste(card) == "REVOKED"
    page.page.reload()  # the highest sequence seen survives a reload
    page.ready()
    page.page.set_input_files("#status-file", str(tmp_path / "before.json"))
    page.page.wait_for_selector("#list-note.bad")
    assert page.paste(card) != "VALID"


def test_no_status_list_or_an_expired_one_is_its_own_verdict(verifier):
    now, root = dt.datetime.now(dt.UTC), _site_root()
    station = _station(now)
    trust = trust_list_sign(root=root, keys=[station], issued_at=now, programs={1: "d"})
    expired = StatusList().signed(
        root=root, issued_at=now - dt.timedelta(days=3), uri="s",
        expires_at=now - dt.timedelta(hours=1),
    )  # fmt: skip
    page = verifier("en")
    got = page.page.evaluate(
        """async ([trustDoc, expiredDoc, pin, text]) => {
            const m = await import("/static/web/verify.js");
            const trust = await m.loadTrustList(trustDoc, m.unb64u(pin));
            const stale = await m.loadStatusList(expiredDoc, trust.statusSigner);
            return [
                (await m.verifyCard(text, { trust, status: null })).verdict,
                (await m.verifyCard(text, { trust, status: stale })).verdict,
            ];
        }""",
        [trust, expired, root_find().public_point, _card_text(station, 3, now)],
    )
    assert got == ["STATUS UNKNOWN", "STATUS STALE"]


def test_a_list_loaded_from_a_file_does_not_stop_the_page_refreshing(verifier, tmp_path):
    page = verifier("en")
    # Signed after the page fetched the site's lists, so taken over them by sequence.
    issue_demo(out=tmp_path, now=dt.datetime.now(dt.UTC), root=_site_root())
    page.load_lists(tmp_path / "trust-list.json", tmp_path / "status.json")
    # The site signs its next status list anew (as when a card's state changes, or its list
    # is ten minutes old), so with a higher sequence than the files'.
    status_list_forget()
    page.page.reload()
    page.ready()
    assert page.page.get_attribute("#verifier", "data-trust-source") == "server"
    assert page.page.get_attribute("#verifier", "data-status-source") == "server"
