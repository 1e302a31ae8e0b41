"""The public card verifier page (/verify/): every check runs in the browser.

The page (static/web/verify.js) verifies cards with WebCrypto against the signed
trust and status lists, which it keeps in the browser's storage; its service worker
(/verify/sw.js) keeps the page itself, so that it works with no network once loaded.
No card is ever sent to the server, and nothing here logs.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language, gettext, pgettext
from django.views.decorators.http import require_safe

from sulh.accounts.models import Station
from sulh.cards.pinning import PinError, root_parse
from sulh.cards.verify import Verdict
from sulh.keys.services import root_find
from sulh.keys.signing import b64u
from sulh.programs.services import program_get_definition, programs_all
from sulh.web.templatetags.sulh_dates import ZONE_NAMES

SERVICE_WORKER = Path(__file__).resolve().parent / "static" / "web" / "verify-sw.js"

# No inline script or style anywhere; the camera and images of QR codes need blob:.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' blob: data:",
        "media-src 'self' blob: mediastream:",
        "connect-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


def _verdict_labels() -> dict[str, str]:
    # One pgettext call a verdict, spelled out, so that makemessages finds the strings.
    labels = {
        Verdict.VALID: pgettext("card verdict", "VALID"),
        Verdict.EXPIRED: pgettext("card verdict", "EXPIRED"),
        Verdict.NOT_YET_VALID: pgettext("card verdict", "NOT YET VALID"),
        Verdict.REVOKED: pgettext("card verdict", "REVOKED"),
        Verdict.SUSPENDED: pgettext("card verdict", "SUSPENDED"),
        Verdict.UNKNOWN_KEY: pgettext("card verdict", "UNKNOWN KEY"),
        Verdict.FORGED: pgettext("card verdict", "FORGED"),
        # An unreadable or damaged code is refused in plain words; the reason follows.
        Verdict.MALFORMED: pgettext("card verdict", "DO NOT ACCEPT"),
        Verdict.UNTRUSTED_ROOT: pgettext("card verdict", "UNTRUSTED ROOT"),
        Verdict.TRUST_STALE: pgettext("card verdict", "TRUST STALE"),
        Verdict.STATUS_UNKNOWN: pgettext("card verdict", "STATUS UNKNOWN"),
        Verdict.STATUS_STALE: pgettext("card verdict", "STATUS STALE"),
    }
    shown = {f"verdict:{verdict.value}": label for verdict, label in labels.items()}
    # VALID under a status list older than the program's freshness rule (amber).
    shown["verdict:VALID_OLD_LIST"] = pgettext("card verdict", "VALID, BUT THE LIST IS OLD")
    return shown


def _place_names() -> dict[str, str]:
    """The stations' and programs' names in the page's language, for the card's facts: a
    checkpoint compares them with the printed card. Labels only: the card's signature
    covers the codes, and a code without a name here is shown as it is."""
    arabic = get_language() == "ar"
    names = {
        f"station:{station.code}": station.name_ar if arabic else station.name_en
        for station in Station.objects.all()
    }
    for program in programs_all():
        title = program_get_definition(code=program.code).title
        names[f"program:{program.code}"] = title.ar if arabic else title.en
    return names


def verifier_messages() -> dict[str, str]:
    """Every sentence verify.js shows, in the request's language; ``{name}`` is filled in there."""
    return {
        **_verdict_labels(),
        # zones named as the staff pages name them ("Damascus time")
        **{f"zone:{zone}": str(name) for zone, name in ZONE_NAMES.items()},
        **_place_names(),
        # Verdict messages: the reasons verify.py gives, one for one.
        "too_long": gettext("Longer than {n} characters: not a Sulh card."),
        "bad_prefix": gettext("Not a Sulh card: the text does not start with SULH1:"),
        "other_scheme": gettext("Not a Sulh card: this is a {scheme}: code, another scheme."),
        "b45_char": gettext("Not Base45: the character {char} is not allowed."),
        "b45_length": gettext("Not Base45: the length is not a valid Base45 length."),
        "b45_triple": gettext("Not Base45: a group of three encodes more than two bytes."),
        "b45_pair": gettext("Not Base45: the final pair encodes more than one byte."),
        "zlib_damaged": gettext("The compressed data is damaged or truncated."),
        "zlib_bomb": gettext("Decompresses to more than {n} bytes (refused)."),
        "not_cbor": gettext("Not a CBOR message."),
        "not_cose_message": gettext("Not a COSE_Sign1 message."),
        "not_cose": gettext("Not a COSE_Sign1 structure."),
        "header_damaged": gettext("The protected header is damaged."),
        "not_es256": gettext("The signature algorithm is not ES256."),
        "unknown_key": gettext("Signed by a key that is not in the trust list."),
        "bad_signature": gettext(
            "The signature does not match the card: it was altered or forged."
        ),
        "not_claims": gettext("The signed claims are not a Sulh card."),
        "outside_key": gettext("Issued outside the validity of its signing key."),
        "valid_from": gettext("Valid from {date}."),
        "expired_on": gettext("Expired on {date}."),
        "index_missing": gettext("The card's status index is not in the status list."),
        "unknown_state": gettext("The status list gives an unknown state for this card."),
        "revoked": gettext("The card was revoked."),
        "suspended": gettext("The card is suspended."),
        "valid_until": gettext("Valid until {date}."),
        "valid_until_extended": gettext(
            "Valid until {date}: the program extended the validity of its cards."
        ),
        "status_unknown": gettext(
            "No status list is loaded: whether the card was revoked is not known."
        ),
        "status_expired": gettext(
            "The status list expired on {date}: update the lists before relying on the card."
        ),
        "trust_expired": gettext(
            "The trust list expired on {date}: update the lists before checking cards."
        ),
        # The page.
        "checking": gettext("Checking…"),
        "enter_text": gettext("Scan a QR code or paste the card text first."),
        "trust_first": gettext("Load a trust list first."),
        "unexpected": gettext("Something went wrong while checking. Try again."),
        "no_webcrypto": gettext(
            "This browser cannot check signatures here: open the page over HTTPS "
            "in a recent browser."
        ),
        "no_decompression": gettext(
            "This browser is too old to read cards: use a recent Chrome, Firefox or Safari."
        ),
        "scan_camera": gettext("Scan with the camera"),
        "stop_camera": gettext("Stop the camera"),
        "camera_failed": gettext(
            "The camera could not be opened. Choose a photo of the QR code instead."
        ),
        "no_qr_reader": gettext("The QR code reader did not load."),
        "not_an_image": gettext("This file is not an image."),
        "no_qr_found": gettext("No QR code was found in the image."),
        # The lists.
        "no_trust": gettext("No trust list is loaded: cards cannot be checked."),
        "no_status": gettext("No status list is loaded: revocation is not checked."),
        "trust_state": gettext(
            "Trust list of {date} ({source}), number {sequence}, valid until {until}; "
            "station keys: {n}."
        ),
        "status_state": gettext(
            "Status list of {date} ({source}), {age} old, number {sequence}, valid until {until}."
        ),
        "status_list_old": gettext("It is older than the {max} this program allows: update it."),
        "status_list_expired": gettext("It has expired: update it before relying on any card."),
        "age_hours": gettext("{n} hours"),
        "age_days": gettext("{d} days {h} hours"),
        "age_days_only": gettext("{d} days"),
        "status_old_note": gettext(
            "Check with care: the status list is {age} old, older than the {max} this program "
            "allows. A card revoked since then still shows as valid here. Update the lists."
        ),
        "status_age_note": gettext("The status list is {age} old."),
        "do_not_accept_note": gettext(
            "Do not accept this card: its code cannot be read as a Sulh card. Ask for the "
            "card again, or check it with the issuing office."
        ),
        "from_server": gettext("from the server"),
        "from_file": gettext("from a file"),
        "lists_updated": gettext("The lists were updated from the server."),
        "trust_loaded": gettext("The trust list was loaded."),
        "status_loaded": gettext("The status list was loaded."),
        "server_unreachable": gettext(
            "The server could not be reached and no lists are stored: load them from files."
        ),
        "server_unreachable_stored": gettext(
            "The server could not be reached: the stored lists are used."
        ),
        "trust_refused": gettext("The trust list was refused: {reason}"),
        "status_refused": gettext("The status list was refused: {reason}"),
        "not_json": gettext("the file is not JSON."),
        "list_malformed": gettext("it is damaged or not in the expected format."),
        "list_bad_signature": gettext("its signature does not verify."),
        "status_bad_signature": gettext(
            "its signature does not verify with the trust list's root key."
        ),
        "trust_not_sulh": gettext("it is not a Sulh trust list."),
        "status_too_large": gettext("it is larger than allowed."),
        "untrusted_root": gettext(
            "it is signed by another root key than the one this verifier is built with."
        ),
        "no_pinned_root": gettext(
            "This verifier has no root key built in: it cannot check cards. The site must "
            "configure its program's root public key."
        ),
        "list_older": gettext(
            "it is older (number {n}) than a list this device has already seen (number {m})."
        ),
        "kept_newer": gettext("The lists in use here are as new or newer: they were kept."),
        "status_set_aside": gettext(
            "The stored status list is not signed by this root key and was set aside."
        ),
    }


def pinned_root() -> str:
    """The root the page is built with: the deployment's SULH_ROOT_PUBLIC_KEY, else the root
    this site records; '' when there is none (the page then checks nothing)."""
    if settings.SULH_ROOT_PUBLIC_KEY:
        try:
            return b64u(root_parse(settings.SULH_ROOT_PUBLIC_KEY, where="SULH_ROOT_PUBLIC_KEY"))
        except PinError:
            return ""
    root = root_find()
    return root.public_point if root is not None else ""


@require_safe
def verify_page(request: HttpRequest) -> HttpResponse:
    response = render(
        request,
        "web/verify.html",
        {"verifier_messages": verifier_messages(), "root_public_key": pinned_root()},
    )
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response["Permissions-Policy"] = "camera=(self), microphone=(), geolocation=()"
    return response


@require_safe
def verify_service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, from under /verify/ so that its scope covers the page."""
    return service_worker_response()


def service_worker_response() -> HttpResponse:
    """verify-sw.js, never cached by the browser (so that a new one is picked up)."""
    response = HttpResponse(
        SERVICE_WORKER.read_bytes(), content_type="text/javascript; charset=utf-8"
    )
    response["Cache-Control"] = "no-cache"
    return response
