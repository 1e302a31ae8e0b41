"""Personas and factories shared by every test.

Names in payloads are generated from short tables of common given and family
names combined at random; they describe nobody. The randomness is seeded from
the test's own id (and how many payloads it drew before), never from what other
tests ran: a test sees the same people in any order, alone or in the whole suite.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import random
import uuid
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

from sulh.accounts.models import Role, Station, User

PASSWORD = "correct horse battery staple 7"

# Property tests draw the same examples on every run (derived from each test's code) and
# keep no example database under .hypothesis/ to replay into the next run, and no example
# fails on a busy machine for taking long: a red run is a bug, not bad luck. For a
# fuzzing session that explores new examples: HYPOTHESIS_PROFILE=explore.
hypothesis_settings.register_profile("sulh", derandomize=True, database=None, deadline=None)
hypothesis_settings.register_profile("explore", deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "sulh"))

_GIVEN_AR = ["محمد", "أحمد", "خالد", "عمر", "ياسر", "حسن", "علي", "مصطفى", "إبراهيم", "عبد الرحمن"]
_GIVEN_LAT = [
    "Mohammed",
    "Ahmad",
    "Khaled",
    "Omar",
    "Yaser",
    "Hasan",
    "Ali",
    "Mustafa",
    "Ibrahim",
    "Abdulrahman",
]
_FAMILY_AR = [
    "الحلبي",
    "الأحمد",
    "الخطيب",
    "السيد",
    "العلي",
    "النجار",
    "الحسين",
    "الشامي",
    "الجاسم",
    "القاسم",
]
_FAMILY_LAT = [
    "al-Halabi",
    "al-Ahmad",
    "al-Khatib",
    "al-Sayed",
    "al-Ali",
    "al-Najjar",
    "al-Hussein",
    "al-Shami",
    "al-Jasem",
    "al-Qasem",
]
_MOTHER_AR = ["فاطمة", "عائشة", "مريم", "خديجة", "زينب", "سعاد", "هدى", "نور", "رنا", "ليلى"]


def seed_for(nodeid: str, *parts: object) -> int:
    """A stable 64-bit seed for a test id (and a draw within it): the same on every run."""
    text = "\x1f".join([nodeid, *(str(part) for part in parts)])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


class _Draws:
    """The running test's id and how many payloads it has drawn (reset for every test)."""

    nodeid = ""
    count = 0

    @classmethod
    def next_seed(cls) -> int:
        cls.count += 1
        return seed_for(cls.nodeid, "intake", cls.count)


@pytest.fixture(autouse=True)
def _seeds_from_the_test_id(request: pytest.FixtureRequest) -> Iterator[None]:
    _Draws.nodeid, _Draws.count = request.node.nodeid, 0
    yield
    _Draws.nodeid, _Draws.count = "", 0


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> random.Random:
    """Randomness for this test alone, seeded from its id."""
    return random.Random(seed_for(request.node.nodeid))


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Personas are created in every test; production hashing strength is not under test here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def stations(db: None) -> dict[str, Station]:
    from sulh.accounts.services import station_create

    return {
        "alp1": station_create(code="alp1", name_ar="مركز حلب الأول", name_en="Aleppo centre 1"),
        "alp2": station_create(code="alp2", name_ar="مركز حلب الثاني", name_en="Aleppo centre 2"),
    }


def _persona(username: str, role: str, station: Station | None = None) -> User:
    from sulh.accounts.services import user_create

    return user_create(username=username, password=PASSWORD, role=role, station=station)


def serve_everything() -> None:
    """Every program-bound account (officers, managers) serves every loaded program, at
    every station where the program is served by station: the personas' default; a test
    about scoping narrows it."""
    from sulh.accounts.models import Service
    from sulh.accounts.policy import program_bound
    from sulh.programs.models import Program

    officers = [user for user in User.objects.all() if program_bound(user)]
    stations = list(Station.objects.all())
    for program in Program.objects.all():
        by_station = program.definition.get("officer_scope") == "station"
        for officer in officers:
            for station in stations if by_station else [None]:
                Service.objects.get_or_create(user=officer, program=program, station=station)


@pytest.fixture
def personas(stations: dict[str, Station], programs: None) -> dict[str, User]:
    """Named staff: clerks at two stations, two deciders and two card officers (four eyes), one of every other
    role; the officers serve every seed program."""
    staff = {
        "clerk": _persona("clerk-amal", Role.CLERK, stations["alp1"]),
        "clerk2": _persona("clerk-basel", Role.CLERK, stations["alp2"]),
        "vetter": _persona("vetter-dana", Role.VETTING_OFFICER),
        "decider": _persona("decider-fadi", Role.DECIDING_OFFICER),
        "decider2": _persona("decider-ghada", Role.DECIDING_OFFICER),
        "card_officer": _persona("cards-hiba", Role.CARD_OFFICER),
        "card_officer2": _persona("cards-ihab", Role.CARD_OFFICER),
        "coordinator": _persona("evac-issa", Role.EVACUATION_COORDINATOR),
        "checkpoint": _persona("checkpoint-jamil", Role.CHECKPOINT_OFFICER),
        "child_protection": _persona("child-karima", Role.CHILD_PROTECTION),
        "manager": _persona("manager-lina", Role.PROGRAM_MANAGER),
        "monitor": _persona("monitor-maher", Role.MONITOR),
        "admin": _persona("admin-nour", Role.ADMINISTRATOR),
    }
    serve_everything()
    return staff


@pytest.fixture
def programs(db: None) -> None:
    """The seed programs from programs/, loaded into the database."""
    from django.conf import settings

    from sulh.programs.services import program_sync

    program_sync(directory=settings.SULH_PROGRAMS_DIR)


def make_intake(
    program: str,
    *,
    seed: int | None = None,
    person: dict[str, Any] | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """A valid intake payload for ``program``; pass overrides for what a test is about."""
    from sulh.programs.services import program_get_definition

    definition = program_get_definition(code=program)
    rng = random.Random(seed if seed is not None else _Draws.next_seed())
    i, j, k = rng.randrange(10), rng.randrange(10), rng.randrange(10)
    payload: dict[str, Any] = {
        "idempotency_key": uuid.uuid4().hex,
        "program": program,
        "person": {
            "given_name_ar": _GIVEN_AR[i],
            "father_name_ar": _GIVEN_AR[k],
            "family_name_ar": _FAMILY_AR[j],
            "mother_name_ar": _MOTHER_AR[rng.randrange(10)],
            "given_name_lat": _GIVEN_LAT[i],
            "family_name_lat": _FAMILY_LAT[j],
            # adults at the seed programs' dates (2016, 2024): a test about children says so
            "birth_date": f"{rng.randint(1970, 1995)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "birth_place": "حلب",
            "national_id": f"{rng.randrange(10**10, 10**11)}",
            "sex": "male",
        },
        "category": "combatant",
        "origin": "local",
        "items": [
            {
                "kind": "weapon",
                "weapon_type": "rifle",
                "calibre": "7.62x39",
                "serial_number": f"AK{rng.randrange(10**6):06d}",
            }
        ],
        "pledge": {"version": definition.pledge.version, "language": "ar", "signed": True},
        "submitted_at": None,
    }
    if person:
        payload["person"].update(person)
    payload.update(overrides)
    if payload["submitted_at"] is None:
        payload.pop("submitted_at")
    return payload


@pytest.fixture
def server_clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[dt.datetime], None]:
    """Set the server's clock as the intake service reads it (the registration time), for
    tests that register over HTTP into the seed programs, whose windows are historical."""
    from sulh.cases import intake

    def at(when: dt.datetime) -> None:
        monkeypatch.setattr(intake, "timezone", SimpleNamespace(now=lambda: when))

    return at


@pytest.fixture
def intake_payload() -> Callable[..., dict[str, Any]]:
    return make_intake


@pytest.fixture(autouse=True, scope="session")
def _site_keyring() -> None:
    """The test site's keyring, made on purpose as `sulh keyring init` would: reading keys
    never makes them."""
    from sulh.keys.keyring import keyring_create

    keyring_create()


@pytest.fixture(autouse=True)
def _fresh_record_caches() -> None:
    """Each test starts with the matching caches a new process has: empty."""
    from sulh.cards.services import status_list_forget
    from sulh.matching.stored import caches_clear

    caches_clear()
    status_list_forget()
