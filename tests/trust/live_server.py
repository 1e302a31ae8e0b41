"""A real Sulh installation in a scratch folder, for the reliability tests and the load bench.

Everything runs as separate processes, as in production: Django tasks (migrate,
load programs, create staff, register, read back) run in a child Python with
``SULH_DATA_DIR`` and ``DATABASE_URL`` set for that installation, and the site
runs under gunicorn (``sulh serve``) in its own process group so that a test can
SIGKILL the whole server at once. Only loopback addresses are used.

``python -m tests.trust.live_server TASK JSON`` runs one Django task and prints
its answer as JSON on the last line of standard output.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import http.client
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PROGRAMS_DIR = ROOT / "programs"
HOST = "127.0.0.1"
PG_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"
PROGRAM = "aleppo-2016-amnesty"
WHEN = dt.datetime(2016, 8, 10, 9, tzinfo=dt.UTC)
TASK_TIMEOUT = 600


# --- PostgreSQL scratch databases ------------------------------------------------


def pg_server_url() -> str:
    """The PostgreSQL server to create scratch databases on (never the test database itself)."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        base, _, _ = url.rpartition("/")
        return f"{base}/postgres"
    return PG_SERVER


def pg_reachable() -> bool:
    try:
        import psycopg

        with psycopg.connect(pg_server_url(), connect_timeout=3):
            return True
    except Exception:
        return False


@contextlib.contextmanager
def pg_scratch_database(prefix: str) -> Iterator[str]:
    """A fresh database ``<prefix>_<random>`` on the server, dropped afterwards; yields its URL."""
    import psycopg

    name = f"{prefix}_{secrets.token_hex(4)}"
    server = pg_server_url()
    with psycopg.connect(server, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server.rpartition('/')[0]}/{name}"
    finally:
        with psycopg.connect(server, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- One installation ------------------------------------------------------------


@dataclass
class Installation:
    """A data folder (keys, SQLite file) and, optionally, a PostgreSQL database."""

    data_dir: Path
    database_url: str = ""  # empty: SQLite under data_dir
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def backend(self) -> str:
        return "postgresql" if self.database_url else "sqlite"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env.update(
            SULH_DATA_DIR=str(self.data_dir),
            DJANGO_SETTINGS_MODULE="sulh.settings",
            PYTHONPATH=str(ROOT),
            SULH_LOG_LEVEL="ERROR",
            SULH_PROGRAMS_DIR=str(open_programs(self.data_dir / "programs")),
        )
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        return env

    def task(
        self, name: str, args: dict[str, Any] | None = None, timeout: float = TASK_TIMEOUT
    ) -> Any:
        """Run a Django task in a child process against this installation."""
        raw = json.dumps(args or {}, ensure_ascii=False)
        if len(raw) > 64_000:  # too long for one command-line argument
            path = self.data_dir / f"task-{name}-{secrets.token_hex(4)}.json"
            path.write_text(raw)
            raw = f"@{path}"
        done = subprocess.run(
            [sys.executable, "-m", "tests.trust.live_server", name, raw],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"task {name} failed ({done.returncode}):\n{done.stderr[-4000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def sulh(self, *argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run the ``sulh`` command against this installation."""
        return subprocess.run(
            [sys.executable, "-m", "sulh.cli", *argv],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def prepare(self, *, stations: tuple[str, ...] = ("kil1",)) -> dict[str, str]:
        """Migrate, load the programs, create one clerk and API token per station."""
        self.tokens = self.task("prepare", {"stations": list(stations)})
        return self.tokens

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """Read the installation's database directly, bypassing the application."""
        if self.database_url:
            import psycopg

            with psycopg.connect(self.database_url, connect_timeout=5) as conn:
                return [tuple(row) for row in conn.execute(sql).fetchall()]
        import sqlite3

        conn = sqlite3.connect(self.data_dir / "sulh.sqlite3", timeout=20)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class PortTaken(RuntimeError):
    """Another process bound the port between choosing it and the server binding it."""


class Server:
    """``sulh serve`` (gunicorn) in its own process group on a loopback port."""

    def __init__(self, installation: Installation, *, workers: int = 2, port: int = 0) -> None:
        self.installation = installation
        self.workers = workers
        self.port = port or free_port()
        self.port_chosen_here = not port
        self.process: subprocess.Popen[bytes] | None = None
        self.log = installation.data_dir / "server.log"

    def start(self, ready_timeout: float = 60, tries: int = 3) -> Server:
        """Start and wait for /healthz; a free port taken by another process meanwhile
        (the machine is shared) is given up for another one."""
        try:
            return self._start(ready_timeout)
        except PortTaken:
            if not self.port_chosen_here or tries <= 1:
                raise
            self.port = free_port()
            return self.start(ready_timeout, tries - 1)

    def _start(self, ready_timeout: float) -> Server:
        env = self.installation.env()
        logged = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "sulh.cli", "serve", "--host", HOST,
                 "--port", str(self.port), "--workers", str(self.workers)],
                cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                said = self.log.read_bytes()[logged:].decode(errors="replace")
                if "Connection in use" in said:  # gunicorn gave up binding the port
                    raise PortTaken(self.port)
                raise RuntimeError(f"server exited on start:\n{said[-4000:]}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                if get(self.port, "/healthz", timeout=2)[0] == 200:
                    return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(
            f"server not ready in {ready_timeout} s:\n{self.log.read_text()[-4000:]}"
        )

    def kill(self) -> None:
        """SIGKILL the master and every worker at once: no clean-up runs anywhere."""
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self._wait_group_gone()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self._wait_group_gone()

    def _wait_group_gone(self, timeout: float = 10) -> None:
        """Workers are reparented when the master dies; wait until none is left."""
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- HTTP on loopback --------------------------------------------------------------


def request(
    port: int,
    method: str,
    path: str,
    *,
    body: dict[str, Any] | None = None,
    token: str = "",
    timeout: float = 15,
) -> tuple[int, Any]:
    """One request on a new connection (gunicorn's sync workers do not keep connections)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        headers = {"content-type": "application/json"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        if response.headers.get("content-type", "").startswith("application/json"):
            return response.status, json.loads(raw)
        return response.status, raw
    finally:
        conn.close()


def get(port: int, path: str, *, token: str = "", timeout: float = 15) -> tuple[int, Any]:
    return request(port, "GET", path, token=token, timeout=timeout)


def post_intake(
    port: int, payload: dict[str, Any], *, token: str, timeout: float = 15
) -> tuple[int, Any]:
    """Posted as a desk does it now: the server's clock is the registration time, so the
    payload's simulated 2016 ``submitted_at`` is left out (the window is open until now)."""
    body = {k: v for k, v in payload.items() if k != "submitted_at"}
    return request(port, "POST", "/api/intakes", body=body, token=token, timeout=timeout)


def open_programs(directory: Path) -> Path:
    """The seed programs with their deadline moved 30 days from now: the tasks register at
    the payloads' simulated 2016 times, the server over HTTP at its own clock."""
    import re

    directory.mkdir(parents=True, exist_ok=True)
    deadline = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).replace(microsecond=0)
    for source in PROGRAMS_DIR.glob("*.yaml"):
        text = source.read_text(encoding="utf-8")
        if re.search(r"(?m)^window_hours:", text) is None:  # a fixed window stays as it is
            text = re.sub(r"(?m)^deadline: .*$", f"deadline: {deadline.isoformat()}", text)
        (directory / source.name).write_text(text, encoding="utf-8")
    return directory


def simulated_now(payload: dict[str, Any]) -> dt.datetime:
    """The server's clock a task simulates for a payload: its station's claimed time."""
    return dt.datetime.fromisoformat(payload["submitted_at"])


# --- Payloads from generated people (nobody real) ---------------------------------


def intake_payloads(
    n: int, *, seed: int, key_prefix: str, program: str = PROGRAM, people_seed: int | None = None
) -> list[dict[str, Any]]:
    """``n`` valid intakes of generated people for ``program``, each with its own key."""
    from sulh.programs.loader import load_program
    from sulh.synth import generate_people

    definition = load_program(PROGRAMS_DIR / f"{program}.yaml")
    rng = random.Random(seed)
    people = generate_people(n, seed=seed if people_seed is None else people_seed)
    return [
        intake_payload(person, rng=rng, definition=definition, key=f"{key_prefix}-{i:06d}")
        for i, person in enumerate(people)
    ]


def intake_payload(person: Any, *, rng: random.Random, definition: Any, key: str) -> dict[str, Any]:
    submitted = WHEN + dt.timedelta(seconds=rng.randrange(3 * 24 * 3600))
    return {
        "idempotency_key": key,
        "program": definition.id,
        "person": person.as_intake_person(rng=rng),
        "category": definition.eligible_categories[0],
        "affiliation": definition.affiliations[0].id if definition.affiliations else "",
        "origin": "local",
        "items": [
            {
                "kind": "weapon",
                "weapon_type": rng.choice(["rifle", "pistol"]),
                "calibre": rng.choice(["7.62x39", "9x19"]),
                "serial_number": f"{rng.choice('ABKMT')}{rng.randrange(10**7):07d}",
            }
        ],
        "pledge": {"version": definition.pledge.version, "language": "ar", "signed": True},
        "submitted_at": submitted.isoformat(),
    }


# --- Django tasks, run in the child process ---------------------------------------


def _task_prepare(args: dict[str, Any]) -> dict[str, str]:
    from django.conf import settings
    from django.core.management import call_command

    from sulh.accounts.models import Role
    from sulh.accounts.services import station_create, user_create
    from sulh.api.tokens import device_token_create
    from sulh.keys.keyring import keyring_create
    from sulh.programs.services import program_sync

    call_command("migrate", verbosity=0, interactive=False)
    program_sync(directory=settings.SULH_PROGRAMS_DIR)
    keyring_create()  # made once here, on purpose: the server workers only read it
    tokens = {}
    for code in args["stations"]:
        station = station_create(code=code, name_ar="مركز اختبار", name_en=f"Test centre {code}")
        clerk = user_create(
            username=f"clerk-{code}", password=secrets.token_urlsafe(16), role=Role.CLERK,
            station=station,
        )  # fmt: skip
        tokens[code] = device_token_create(
            user=clerk, station=station, device="load-tablet", scopes=["intake"]
        ).raw
    return tokens


def _task_register(args: dict[str, Any]) -> list[str]:
    """Register payloads through the intake service; ``batch`` per transaction (preloading)."""
    from django.db import transaction

    from sulh.accounts.models import User
    from sulh.cases.intake import intake_register
    from sulh.core.validation import parse
    from sulh.registry.schemas import IntakeIn

    clerk = User.objects.get(username=args["clerk"])
    payloads = args["payloads"]
    batch = int(args.get("batch", 1))
    serials = []
    for start in range(0, len(payloads), batch):
        with transaction.atomic():
            for payload in payloads[start : start + batch]:
                result = intake_register(
                    data=parse(IntakeIn, payload), clerk=clerk, now=simulated_now(payload)
                )
                serials.append(result.case.intake.serial)
    return serials


def _task_state(args: dict[str, Any]) -> dict[str, Any]:
    """What the application reads back: counts, serials, and decrypted names."""
    from sulh.cases.models import Case
    from sulh.matching.models import MatchCandidate
    from sulh.registry.models import Intake

    cases = Case.objects.select_related("intake__person").order_by("intake__serial")
    return {
        "intakes": Intake.objects.count(),
        "cases": Case.objects.count(),
        "candidates": MatchCandidate.objects.count(),
        "serials": [case.intake.serial for case in cases],
        "names": {
            case.intake.serial: [
                case.intake.person.given_name_ar,
                case.intake.person.family_name_ar,
                case.intake.person.given_name_lat,
                case.intake.person.birth_date,
            ]
            for case in cases
        },
    }


def _task_sensitive(args: dict[str, Any]) -> list[str]:
    """Write what a seizure must not reveal, through the services: registrations of generated
    people, a decision whose reason names someone, a case read and a search with purposes
    that name someone. Answers the strings that must appear nowhere in the raw files."""
    from django.conf import settings

    from sulh.accounts.models import Role, User
    from sulh.accounts.services import user_create
    from sulh.cases import services as case_services
    from sulh.cases.intake import intake_register
    from sulh.cases.lists import list_import
    from sulh.cases.search import person_search
    from sulh.cases.selectors import case_get_for_user
    from sulh.cases.serving import officer_serve
    from sulh.core.validation import parse
    from sulh.matching.batch import COLUMNS
    from sulh.matching.record import PersonRecord
    from sulh.registry.schemas import IntakeIn
    from sulh.synth import generate_people

    clerk = User.objects.get(username=args["clerk"])
    decider = user_create(
        username="decider-raw", password=secrets.token_urlsafe(16), role=Role.DECIDING_OFFICER
    )
    people = generate_people(len(args["payloads"]) + 1, seed=int(args["seed"]))
    informant = people[-1]
    named = (
        f"{informant.given[1][0]} {informant.family[1][0]}"  # Latin spelling of a generated name
    )
    secrets_out = [named, f"{informant.given[0]} {informant.family[0]}"]
    first = args["payloads"][0]
    first["items"].append(
        {"kind": "id_document", "document_type": "military-id", "document_number": "MZ4471902"}
    )
    first["family"] = [{"relation": "spouse", "name_lat": named, "sex": "female"}]
    secrets_out += ["military-id", "MZ4471902"]
    cases = []
    for payload in args["payloads"]:
        secrets_out += [
            item["serial_number"] for item in payload["items"] if "serial_number" in item
        ]
        result = intake_register(
            data=parse(IntakeIn, payload), clerk=clerk, now=simulated_now(payload)
        )
        cases.append(result.case)
        person = payload["person"]
        secrets_out += [
            f"{person['given_name_ar']} {person['father_name_ar']}".strip(),
            f"{person['given_name_lat']} {person['father_name_lat']}".strip(),
        ]
        if person.get("national_id"):
            secrets_out.append(person["national_id"])
        if len(person.get("birth_date", "")) == 10:
            secrets_out.append(person["birth_date"])
    case = cases[0]
    officer_serve(username=decider.username, program_code=case.program.code)
    case_get_for_user(user=decider, serial=case.intake.serial, purpose=f"tip-off from {named}")
    if case.state == "screened":
        case_services.decision_record(
            case=case, user=decider, outcome="referral", reason=f"informant {named} says so"
        )
    granted = next((c for c in cases[2:] if c.state == "screened"), None)
    if granted is not None:  # a decision that takes effect records its event at once
        case_services.decision_record(
            case=granted, user=decider, outcome=granted.proposed_outcome, reason="the rules say so"
        )
    # a wanted list naming a registrant: which case it hits, under which reference and by
    # what score, must stay sealed
    wanted = args["payloads"][1]["person"]
    path = Path(settings.SULH_DATA_DIR) / "wanted.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerow(
            {
                "record_id": "REF-55012",
                "given_name": wanted["given_name_lat"],
                "father_name": wanted["father_name_lat"],
                "family_name": wanted["family_name_lat"],
                "birth_date": wanted.get("birth_date", ""),
            }
        )
    list_import(path=path, name="wanted", user=decider)
    path.unlink()
    secrets_out.append("REF-55012")
    query = PersonRecord(record_id="query", given_name=informant.given[1][0])
    person_search(user=decider, query=query, purpose=f"asked by {named}")
    return [s for s in secrets_out if len(s.strip()) >= 6]


TASKS = {
    "prepare": _task_prepare,
    "register": _task_register,
    "state": _task_state,
    "sensitive": _task_sensitive,
}


def _main(argv: list[str]) -> int:
    name, raw = argv[0], (argv[1] if len(argv) > 1 else "{}")
    if raw.startswith("@"):
        raw = Path(raw[1:]).read_text()
    from sulh.core.setup import setup_django

    setup_django()
    answer = TASKS[name](json.loads(raw))
    print(json.dumps(answer, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
