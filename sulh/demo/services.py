"""Set up the demo: programs, stations, one account per role, simulated registrations.

The registrations go through the same intake and decision services a desk uses,
so the demo exercises the real system. People come from the synthetic generator
(sulh.synth): generated names in Arabic and Latin script that describe nobody.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from sulh.accounts import security
from sulh.accounts.models import Role, Station, User
from sulh.accounts.policy import program_bound, program_scope_stations
from sulh.accounts.services import station_create, user_create
from sulh.bulletins.figures import program_figures
from sulh.cards.services import ISSUABLE_OUTCOMES, card_issue
from sulh.cases import services as case_services
from sulh.cases.intake import intake_register
from sulh.cases.models import ADVERSE_OUTCOMES, Case, State
from sulh.cases.serving import officer_serve
from sulh.core.errors import SulhError
from sulh.core.validation import parse
from sulh.custody.log import figures_log, program_weapons
from sulh.departures.manifests import manifest_copies
from sulh.keys.keyring import keyring_create, keys_dir
from sulh.keys.monitors import MonitorKeys
from sulh.keys.services import monitor_enrol, root_find, root_online_create, signer_backend
from sulh.ledger.monitor import monitor_attest, monitor_check
from sulh.ledger.publication import (
    attestation_record,
    bulletin_write,
    ledger_publish,
    monitor_package_write,
)
from sulh.matching.candidates import case_named_by_open_duplicates
from sulh.programs.definition import ProgramDefinition
from sulh.programs.services import program_get_definition, program_sync, programs_all
from sulh.registry.schemas import IntakeIn
from sulh.synth import SynthPerson, generate_people

# Share of the simulated registrations per program, and the stations that serve it.
PROGRAM_SHARE: dict[str, tuple[float, tuple[str, ...]]] = {
    "aleppo-2016-amnesty": (0.35, ("alp-east-1", "alp-east-2", "alp-west-1")),
    "aleppo-2016-evacuation": (0.15, ("alp-east-1", "alp-east-2")),
    "aleppo-2016-safe-passage": (0.20, ("alp-ramouseh", "alp-east-2")),
    "aleppo-2016-48h-withdrawal": (0.10, ("alp-ramouseh",)),
    "aleppo-2024-defectors": (0.20, ("alp-police-1", "alp-police-2", "alp-police-3")),
}
STATIONS: tuple[tuple[str, str, str], ...] = (
    ("alp-east-1", "مركز المصالحة - حلب الشرقية 1", "Reconciliation centre, East Aleppo 1"),
    ("alp-east-2", "مركز المصالحة - حلب الشرقية 2", "Reconciliation centre, East Aleppo 2"),
    ("alp-west-1", "مركز المصالحة - حلب الغربية", "Reconciliation centre, West Aleppo"),
    ("alp-ramouseh", "معبر الراموسة", "Ramouseh crossing"),
    ("alp-police-1", "قسم شرطة العزيزية", "Aziziyeh police station"),
    ("alp-police-2", "قسم شرطة الجميلية", "Jamiliyeh police station"),
    ("alp-police-3", "قسم شرطة الشيخ مقصود", "Sheikh Maqsoud police station"),
)
DUPLICATE_SHARE = 0.03  # people who register twice, to show duplicate review
UNDECIDED_SHARE = 0.12  # a realistic backlog left for the officers


@dataclass
class DemoReport:
    accounts: list[tuple[str, str]] = field(default_factory=list)
    # username -> a one-time code to enrol an authenticator (accounts that need one and
    # have none yet; an account already enrolled keeps its authenticator)
    enrolment_codes: dict[str, str] = field(default_factory=dict)
    bulletins: list[dict[str, Any]] = field(default_factory=list)
    registered: int = 0
    attested: list[str] = field(default_factory=list)


def demo_prepare(
    *, people: int, seed: int, password: str, echo: Callable[[str], None] = print
) -> DemoReport:
    call_command("migrate", verbosity=0, interactive=False)
    if keyring_create():
        echo(f"keyring made in {keys_dir()} (a development key-encryption key on disk)")
    if root_find() is None:
        root_online_create()
        echo("demo signing keys: an online root and publication key on this site"
             " (development only; a real program keeps its root offline)")  # fmt: skip
    echo(f"signer: {signer_backend()}")
    program_sync(directory=settings.SULH_PROGRAMS_DIR)
    # the seed programs are historical: a copy open now lets people try the staff pages
    from sulh.demo.open_program import write_open_copy

    open_dir = settings.SULH_DATA_DIR / "demo-programs"
    write_open_copy(programs_dir=settings.SULH_PROGRAMS_DIR, out_dir=open_dir, now=timezone.now())
    program_sync(directory=open_dir)
    stations = {
        code: station_create(code=code, name_ar=ar, name_en=en) for code, ar, en in STATIONS
    }
    report = DemoReport(accounts=_demo_accounts(stations=stations, password=password))
    _serve_programs(stations=stations)
    report.enrolment_codes = _demo_enrolment_codes(report.accounts)
    clerks = {code: User.objects.get(username=f"clerk-{code}") for code in stations}
    echo(f"simulating {people} registrations across {len(PROGRAM_SHARE)} programs …")
    report.registered = _simulate(people=people, seed=seed, clerks=clerks)
    _decide(seed=seed)
    _issue_cards(seed=seed)
    from sulh.demo.departures import demo_departures

    convoys = demo_departures(seed=seed, programs=list(PROGRAM_SHARE))
    echo(f"convoys built, boarded, departed and arrived: {convoys}")
    # the weapons figures are exact item counts (the published bulletin has none yet)
    report.bulletins = [
        {**program_figures(program_code=code), "weapons": program_weapons(program_code=code)}
        for code in PROGRAM_SHARE
    ]
    report.attested = _publish_and_attest(echo=echo)
    return report


DEMO_MONITOR = "Demo monitor"


def _publish_and_attest(*, echo: Callable[[str], None]) -> list[str]:
    """Publish as the daily schedule would, then play the accredited monitor: its keys
    (kept in the data folder: a real monitor keeps them on its own machine), its package,
    its check with the openings and its attestation, recorded by the demo monitor account.
    """
    folder = settings.SULH_DATA_DIR / "demo-monitor"
    folder.mkdir(parents=True, exist_ok=True)
    key_file = folder / "monitor.key"
    if not key_file.exists():
        key_file.touch(mode=0o600)
        key_file.write_bytes(MonitorKeys.generate().to_pem())
    keys = MonitorKeys.from_pem(key_file.read_bytes())
    monitor_enrol(public=keys.public(DEMO_MONITOR))
    copies = manifest_copies(monitor=DEMO_MONITOR)  # the manifests sealed before it enrolled
    for copy in copies:
        name = f"manifest-{copy['convoy']}-{copy['vehicle']}.json"
        (folder / "manifests").mkdir(exist_ok=True)
        (folder / "manifests" / name).write_text(json.dumps(copy, sort_keys=True, indent=1))
    figures_log()  # the day's weapons figures, as the daily timer writes them
    ledger_publish(force=True)
    monitor_package_write(monitor=DEMO_MONITOR, out=folder / "openings")
    user = User.objects.get(username="monitor")
    attested: list[str] = []
    for code in PROGRAM_SHARE:
        out = folder / code
        bulletin_write(program=code, out=out)
        files = {
            "bulletin": out / f"bulletin-{code}.json",
            "tree_head": out / "tree-head.json",
        }
        report = monitor_check(
            **files, leaves=out / "leaves.jsonl", key=out / "ledger-key.pem",
            openings=folder / "openings", monitor_key=key_file,
        )  # fmt: skip
        if not report.ok:
            echo(f"the demo monitor found differences in {code}: {report.problems[:3]}")
            continue
        document = monitor_attest(
            **files, report=report, monitor_key=key_file, monitor=DEMO_MONITOR,
            at=timezone.now().replace(microsecond=0).isoformat(),
        )  # fmt: skip
        attestation_record(document=document, user=user)
        attested.append(code)
    echo(f"bulletins published and attested by the demo monitor: {len(attested)} programs")
    return attested


def _demo_accounts(*, stations: dict[str, Station], password: str) -> list[tuple[str, str]]:
    wanted: list[tuple[str, str, Station | None]] = [
        (f"clerk-{code}", Role.CLERK, station) for code, station in stations.items()
    ]
    wanted += [
        ("vetting", Role.VETTING_OFFICER, None),
        ("decider", Role.DECIDING_OFFICER, None),
        ("decider2", Role.DECIDING_OFFICER, None),
        ("cards", Role.CARD_OFFICER, None),
        ("evacuation", Role.EVACUATION_COORDINATOR, None),
        ("checkpoint", Role.CHECKPOINT_OFFICER, None),
        ("child-protection", Role.CHILD_PROTECTION, None),
        ("manager", Role.PROGRAM_MANAGER, None),
        ("monitor", Role.MONITOR, None),
        ("admin", Role.ADMINISTRATOR, None),
    ]
    for username, role, station in wanted:
        if not User.objects.filter(username=username).exists():
            user_create(username=username, password=password, role=role, station=station)
    return [(username, role) for username, role, _ in wanted]


def _serve_programs(*, stations: dict[str, Station]) -> None:
    """Every demo officer serves every program; a program served by station (the
    defectors' and its open copy), at each of the demo's stations."""
    officers = [user for user in User.objects.order_by("username") if program_bound(user)]
    for program in programs_all():
        definition = program_get_definition(code=program.code)
        at = list(stations) if program_scope_stations(definition.officer_scope) else [""]
        for officer in officers:
            for station in at:
                officer_serve(
                    username=officer.username, program_code=program.code, station_code=station
                )


def _demo_enrolment_codes(accounts: list[tuple[str, str]]) -> dict[str, str]:
    codes = {}
    for username, _ in accounts:
        user = User.objects.get(username=username)
        if security.needs_second_factor(user) and not security.totp_enrolled(user):
            codes[username] = security.enrolment_code_issue(user=user)
    return codes


def _simulate(*, people: int, seed: int, clerks: dict[str, User]) -> int:
    rng = random.Random(seed)
    persons = generate_people(people, seed=seed)
    registered = 0
    for index, person in enumerate(persons):
        program_code = _pick_program(rng)
        definition = program_get_definition(code=program_code)
        stations = PROGRAM_SHARE[program_code][1]
        visits = 2 if rng.random() < DUPLICATE_SHARE else 1
        for visit in range(visits):
            clerk = clerks[rng.choice(stations)]
            payload = _payload(
                person=person, definition=definition, rng=rng, key=f"demo-{seed}-{index}-{visit}"
            )
            submitted = _submitted_at(definition=definition, rng=rng)
            payload["submitted_at"] = submitted.isoformat()
            try:
                intake_register(data=parse(IntakeIn, payload), clerk=clerk, now=submitted)
            except SulhError:
                continue  # a generated person this program refuses: skip, as a desk would
            registered += 1
    return registered


def _pick_program(rng: random.Random) -> str:
    codes = list(PROGRAM_SHARE)
    return rng.choices(codes, weights=[PROGRAM_SHARE[c][0] for c in codes])[0]


def _submitted_at(*, definition: ProgramDefinition, rng: random.Random) -> dt.datetime:
    span = min(definition.deadline - definition.opens_at, dt.timedelta(days=10))
    return definition.opens_at + dt.timedelta(seconds=rng.uniform(0, span.total_seconds()))


def _payload(
    *, person: SynthPerson, definition: ProgramDefinition, rng: random.Random, key: str
) -> dict[str, Any]:
    affiliations = [a.id for a in definition.affiliations]
    destinations = [d.id for d in definition.destinations]
    categories = list(definition.eligible_categories)
    weapons = [
        {
            "kind": "weapon",
            "weapon_type": rng.choice(["rifle", "pistol", "machine gun"]),
            "calibre": rng.choice(["7.62x39", "9x19", "7.62x54R"]),
            **(
                {"no_serial": True}
                if rng.random() < 0.08
                else {"serial_number": f"{rng.choice('ABKMT')}{rng.randrange(10**7):07d}"}
            ),
        }
        for _ in range(rng.choice([1, 1, 1, 2]))
    ]
    items = [*weapons, {"kind": "id_document", "document_type": "national_id_card"}]
    family = []
    if person.spouse is not None and rng.random() < 0.5:
        name_ar, name_lat = person.spouse_names()
        family.append(
            {"relation": "spouse", "name_ar": name_ar, "name_lat": name_lat, "sex": "female"}
        )
    return {
        "idempotency_key": key,
        "program": definition.id,
        "person": person.as_intake_person(rng=rng),
        "category": rng.choice(categories) if rng.random() < 0.2 else categories[0],
        "affiliation": rng.choice(affiliations) if affiliations else "",
        "origin": "local" if rng.random() < 0.6 else "non_local",
        "requested_destination": rng.choice(destinations)
        if destinations and rng.random() < 0.5
        else "",
        "family": family,
        "items": items,
        "pledge": {
            "version": definition.pledge.version,
            "language": "ar" if rng.random() < 0.9 else "en",
            "signed": rng.random() < 0.98,
        },
    }


def _issue_cards(*, seed: int) -> None:
    """The card officer prints cards for most granted cases."""
    rng = random.Random(seed + 2)
    officer = User.objects.get(username="cards")
    decided = Case.objects.filter(state=State.DECIDED, outcome__in=ISSUABLE_OUTCOMES)
    for case in decided.select_related("intake"):
        if rng.random() < 0.8 and not case_named_by_open_duplicates(case_id=case.pk):
            card_issue(case=case, user=officer)


def _decide(*, seed: int) -> None:
    """Officers work through the screened cases, following the proposals, leaving a backlog."""
    rng = random.Random(seed + 1)
    decider = User.objects.get(username="decider")
    second = User.objects.get(username="decider2")
    for case in Case.objects.filter(state=State.SCREENED, is_child=False).select_related("intake"):
        if rng.random() < UNDECIDED_SHARE or not case.proposed_outcome:
            continue
        if case_named_by_open_duplicates(case_id=case.pk):
            continue  # a later registration of him is in review: vetting resolves it first
        destination = case.proposed_destinations[0] if case.proposed_destinations else ""
        with transaction.atomic():
            decision = case_services.decision_record(
                case=case,
                user=decider,
                outcome=case.proposed_outcome,
                reason="as proposed by the program's rules",
                destination=destination if case.proposed_outcome == "departure" else "",
            )
            if decision.outcome in ADVERSE_OUTCOMES:
                case_services.decision_confirm(decision=decision, user=second, reason="confirmed")
