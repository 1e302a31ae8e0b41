"""The online check of one intake against a large registry and a large list, per database.

python -m bench matching_online [--records 1000000] [--list-size 1500000] [--intakes 1000]
                                [--peer-records 10000] [--backends sqlite,postgresql]

For each database (SQLite in a scratch data folder; PostgreSQL in a scratch database
``sulh_bench_<random>`` on 127.0.0.1:5432, dropped afterwards), in a child process of
its own: a fresh installation (migrations, programs, a station and a clerk), then a
registry of generated people (sulh.synth) and a list of other generated people,
built in bulk. The set-up bypasses the HTTP layer, the intake service and its
per-row audit, but stores what the service stores: ``Person`` rows through the ORM
(so every personal field is sealed by the field itself, AES-GCM under the
installation's keyring), their ``Intake`` and ``Case``, and the case's keyed blocking
keys computed by ``services.record_keys``, written with COPY (PostgreSQL) or
executemany (SQLite); the list goes through ``services.list_entries_store``, the
function ``sulh lists import`` uses (sealed entries, keyed list keys).

Then ``--intakes`` fresh intakes (one in ten a registered person written again by
another clerk, one in ten a listed person, the rest new people) are checked with
``services.online_check``, what ``case_screen`` runs inside the intake transaction
(keys, candidate cases and list entries by key, decryption, scoring); its writes
(the intake's rows, its keys, the candidates) are left out: they are the same at any
size and ``bench intake_load`` measures them. 100 intakes warm the process first, as
a long-lived server worker is. Peers measured in the same run: the same check when
the registry held only ``--peer-records`` (and the list in proportion), and the bare
blocking-key SELECTs of each intake (the two bounded look-ups, nothing decrypted).

``--keep DIR`` (SQLite) builds the installation in DIR and keeps it; a later run with the
same sizes and seed measures on it without building again (the full size only: the
smaller registry is not there any more). Delete DIR when the stored keys or records change.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pickle
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PROGRAM = "aleppo-2016-amnesty"
TARGET_P99_MS = 50.0
CHUNK = 10_000
WARMUP = 100
BUILT = "bench-built.json"  # in a kept installation: what was built there
KEPT = "bench-kept.pickle"  # the generated people the intakes register again


# --- In the child: one database -------------------------------------------------------


def _percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] * 1000


class _Builder:
    def __init__(self, seed: int) -> None:
        import datetime as dt

        from django.conf import settings
        from django.core.management import call_command

        from sulh.accounts.models import Role, Station, User
        from sulh.accounts.services import station_create, user_create
        from sulh.matching.models import ScreeningList
        from sulh.programs.models import Program
        from sulh.programs.services import program_sync

        call_command("migrate", verbosity=0, interactive=False)
        if not Program.objects.filter(code=PROGRAM).exists():
            program_sync(directory=settings.SULH_PROGRAMS_DIR)
        self.program = Program.objects.get(code=PROGRAM)
        self.station = Station.objects.filter(code="bench").first() or station_create(
            code="bench", name_ar="مركز", name_en="Bench centre"
        )
        self.clerk = User.objects.filter(username="clerk-bench").first() or user_create(
            username="clerk-bench", password=secrets.token_urlsafe(16), role=Role.CLERK,
            station=self.station,
        )  # fmt: skip
        self.screening_list = ScreeningList.objects.get_or_create(
            name="bench-list", version=1, defaults={"source": "generated", "entry_count": 0}
        )[0]
        self.when = dt.datetime(2016, 8, 10, 9, tzinfo=dt.UTC)
        self.rng = random.Random(seed)
        self.seed = seed
        self.records = 0
        self.listed = 0
        self.kept_registered: list[Any] = []  # people registered, to register again
        self.kept_listed: list[Any] = []  # listed people, to register
        self.seconds = 0.0

    def _chunk_people(self, n: int, salt: int) -> list[Any]:
        from sulh.synth import generate_people

        return generate_people(n, seed=self.seed * 1_000_003 + salt)

    def add_registry(self, n: int) -> None:
        from django.db import connection, transaction

        from sulh.cases.models import Case
        from sulh.keys.sealing import blind_index
        from sulh.matching.stored import record_keys, records_from_fields
        from sulh.registry.models import Intake, Person
        from sulh.registry.services import age_at, age_band

        version = self.program.version
        pledge = self.program.definition.get("pledge", {}).get("version", "1")
        people = self._chunk_people(n, salt=self.records)
        persons, keys = [], []
        for person in people:
            fields = person.as_intake_person(rng=self.rng)
            sex = fields.pop("sex")
            age = age_at(birth_date=fields["birth_date"], when=self.when.date())
            full = {
                **fields,
                "grandfather_name_lat": "",
                "father_name_lat": fields["father_name_lat"],
                "mother_name_lat": "",
            }
            keys.append(record_keys(records_from_fields(full, record_id="")))
            persons.append(
                Person(
                    **full,
                    national_id_index=(
                        blind_index(fields["national_id"], purpose="national_id")
                        if fields["national_id"]
                        else ""
                    ),
                    sex=sex,
                    age_band=age_band(age),
                    is_child=age is not None and age < 18,
                )
            )
        if len(self.kept_registered) < 200:
            self.kept_registered += people[: 200 - len(self.kept_registered)]
        with transaction.atomic():
            Person.objects.bulk_create(persons, batch_size=2000)
            intakes = Intake.objects.bulk_create(
                [
                    Intake(
                        serial=f"BENCH-{self.records + i:08d}",
                        idempotency_key=f"bench-{self.records + i:08d}",
                        payload_sha256="0" * 64,
                        program=self.program,
                        program_version=version,
                        station=self.station,
                        clerk=self.clerk,
                        person=p,
                        category="combatant",
                        origin="local",
                        pledge_version=pledge,
                        pledge_language="ar",
                        pledge_signed=True,
                        submitted_at=self.when,
                    )
                    for i, p in enumerate(persons)
                ],
                batch_size=2000,
            )
            cases = Case.objects.bulk_create(
                [
                    Case(
                        intake=intake,
                        program=self.program,
                        station=self.station,
                        state="screened",
                        is_child=intake.person.is_child,
                    )
                    for intake in intakes
                ],
                batch_size=2000,
            )
            rows = [(c.pk, k) for c, ks in zip(cases, keys, strict=True) for k in ks]
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    raw = cursor.cursor
                    with raw.copy("COPY matching_matchkey (case_id, key) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                else:
                    cursor.executemany(
                        "INSERT INTO matching_matchkey (case_id, key) VALUES (%s, %s)", rows
                    )
        self.records += n

    def add_list(self, n: int) -> None:
        from django.db import transaction

        from sulh.matching.lists import list_entries_store
        from sulh.matching.record import PersonRecord
        from sulh.synth import render_registration

        people = self._chunk_people(n, salt=10**9 + self.listed)
        entries = []
        for i, person in enumerate(people):
            row = render_registration(person, rng=self.rng, noise=0.2)
            aliases: tuple[str, ...] = ()
            if self.rng.random() < 0.3:  # a nickname, as lists carry
                aliases = (f"Abu {self.rng.choice(person.father[1])}",)
            entries.append(
                PersonRecord(record_id=f"L{self.listed + i:08d}", aliases=aliases, **row)
            )
        if len(self.kept_listed) < 200:
            self.kept_listed += people[: 200 - len(self.kept_listed)]
        with transaction.atomic():
            list_entries_store(screening_list=self.screening_list, entries=entries)
        self.listed += n

    def grow(self, records: int, listed: int) -> None:
        started = time.perf_counter()

        def report() -> None:
            print(
                f"  built {self.records:,} registered, {self.listed:,} listed "
                f"({time.perf_counter() - started + self.seconds:.0f} s)",
                file=sys.stderr,
                flush=True,
            )

        while self.records < records:
            self.add_registry(min(CHUNK, records - self.records))
            want = listed * self.records // records
            while self.listed < want:
                self.add_list(min(CHUNK, want - self.listed))
            if self.records % (10 * CHUNK) == 0 or self.records == records:
                report()
        while self.listed < listed:
            self.add_list(min(CHUNK, listed - self.listed))
        report()
        self.seconds += time.perf_counter() - started
        _analyze()


def _analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _intakes(builder: _Builder, n: int, seed: int) -> list[tuple[str, dict[str, str]]]:
    """(kind, person fields): 'again' a registered person, 'listed' a listed one, 'new'."""
    from sulh.synth import generate_people

    rng = random.Random(seed)
    fresh = iter(generate_people(n, seed=seed + 7))
    out = []
    for i in range(n):
        kind = ("again", "listed", *["new"] * 8)[i % 10]
        if kind == "again":
            person = rng.choice(builder.kept_registered)
        elif kind == "listed":
            person = rng.choice(builder.kept_listed)
        else:
            person = next(fresh)
        fields = person.as_intake_person(rng=rng)
        fields.pop("sex")
        if rng.random() < 0.5:  # a desk writing one script only
            blank = "_ar" if rng.random() < 0.5 else "_lat"
            fields = {k: ("" if k.endswith(blank) else v) for k, v in fields.items()}
        fields.update(grandfather_name_lat="", mother_name_lat="")
        out.append((kind, fields))
    return out


def _without_prefilter(records: list[Any], keys: set[str]) -> float:
    """The same check with every candidate compared (the peer for the pre-filter)."""
    from sulh.matching import online
    from sulh.matching.score import compare

    saved = online.compare_reaching

    def compare_all(a: Any, b: Any, *, threshold: float, screening: bool = False) -> Any:
        result = compare(a, b, screening=screening)
        return result if result.score >= threshold else None

    online.compare_reaching = compare_all  # type: ignore[assignment]
    try:
        started = time.perf_counter()
        online.online_check(records, keys=keys)
        return time.perf_counter() - started
    finally:
        online.compare_reaching = saved


def _measure(intakes: list[tuple[str, dict[str, str]]]) -> dict[str, Any]:
    from sulh.matching.models import ListKey, MatchKey, ScreeningList
    from sulh.matching.online import bounded_blocks, online_check
    from sulh.matching.stored import list_record_keys, record_keys, records_from_fields

    lists = [sl.pk for sl in ScreeningList.objects.filter(active=True)]
    checks, selects, plain = [], [], []
    found = {"again": 0, "listed": 0, "new_dup": 0, "new_list": 0}
    counts = {"again": 0, "listed": 0, "new": 0}
    for i, (kind, fields) in enumerate(intakes):
        records = records_from_fields(fields, record_id="intake")
        # A new intake's names are new to the caches: every time kept is a first check. Even
        # intakes time the check as it runs; odd ones time it without the pre-filter (the
        # peer), then run it untimed for the counts below.
        cold = not i % 2
        if not cold:
            unfiltered = _without_prefilter(records, record_keys(records))
        started = time.perf_counter()
        keys = record_keys(records)
        check = online_check(records, keys=keys)
        took = time.perf_counter() - started
        list_keys = list_record_keys(records)
        started = time.perf_counter()
        bounded_blocks(table=MatchKey._meta.db_table, member="case_id", keys=keys)
        bounded_blocks(
            table=ListKey._meta.db_table, member="entry_id", keys=list_keys, scopes=lists
        )
        bare = time.perf_counter() - started
        if i < WARMUP:
            continue
        if cold:
            checks.append(took)
        else:
            plain.append(unfiltered)
        selects.append(bare)
        counts[kind] += 1
        if kind == "again":
            found["again"] += bool(check.duplicates)
        elif kind == "listed":
            found["listed"] += bool(check.list_hits)
        else:
            found["new_dup"] += bool(check.duplicates)
            found["new_list"] += bool(check.list_hits)
    return {
        "n": len(checks),
        "p50": _percentile(checks, 50),
        "p99": _percentile(checks, 99),
        "plain_p50": _percentile(plain, 50),
        "plain_p99": _percentile(plain, 99),
        "select_p50": _percentile(selects, 50),
        "select_p99": _percentile(selects, 99),
        "found": found,
        "counts": counts,
    }


def _child(args: argparse.Namespace) -> int:
    from sulh.core.setup import setup_django

    setup_django()
    folder = Path(os.environ["SULH_DATA_DIR"])
    built = {"records": args.records, "list_size": args.list_size, "seed": args.seed}
    kept = args.keep and (folder / BUILT).exists()
    if kept and json.loads((folder / BUILT).read_text()) != built:
        print(f"{folder} holds another build: delete it or change --keep", file=sys.stderr)
        return 2
    builder = _Builder(args.seed)
    sizes = sorted({min(args.peer_records, args.records), args.records})
    if kept:  # measured on what an earlier run built and kept
        builder.kept_registered, builder.kept_listed = pickle.loads((folder / KEPT).read_bytes())  # noqa: S301 - written by this benchmark, in its folder
        builder.records, builder.listed = args.records, args.list_size
        sizes = [args.records]
    intakes: list[tuple[str, dict[str, str]]] = []
    results = []
    for size in sizes:
        listed = round(args.list_size * size / args.records)
        builder.grow(size, listed)
        if not intakes:  # the same intakes at every size
            intakes = _intakes(builder, args.intakes + WARMUP, seed=args.seed + 1)
        print(f"  checking {len(intakes)} intakes …", file=sys.stderr, flush=True)
        results.append(
            {
                "records": size, "listed": listed, "build_s": builder.seconds, "kept": bool(kept),
                **_measure(intakes),
            }
        )  # fmt: skip
    if args.keep and not kept:
        (folder / KEPT).write_bytes(pickle.dumps((builder.kept_registered, builder.kept_listed)))
        (folder / BUILT).write_text(json.dumps(built))
    print(json.dumps(results))
    return 0


# --- In the parent -------------------------------------------------------------------


def _run_backend(backend: str, args: argparse.Namespace, argv: list[str]) -> list[dict[str, Any]]:
    from tests.trust.live_server import pg_scratch_database

    scratch = pg_scratch_database("sulh_bench") if backend == "postgresql" else None
    keep = args.keep and backend == "sqlite"
    if keep:
        Path(args.keep).mkdir(parents=True, exist_ok=True)
    with (
        contextlib.nullcontext(str(Path(args.keep).resolve()))
        if keep
        else tempfile.TemporaryDirectory(prefix="sulh-bench-", dir=args.tmp) as folder,
        scratch or contextlib.nullcontext("") as database_url,
    ):
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env.update(
            SULH_DATA_DIR=folder, DJANGO_SETTINGS_MODULE="sulh.settings",
            PYTHONPATH=str(ROOT), SULH_LOG_LEVEL="ERROR",
        )  # fmt: skip
        if database_url:
            env["DATABASE_URL"] = database_url
        child = argv if keep else _without_keep(argv)
        done = subprocess.run(
            [sys.executable, "-m", "bench.matching_online", "--child", *child],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"[{backend}] the measuring process failed ({done.returncode})")
        return list(json.loads(done.stdout.strip().splitlines()[-1]))


def _without_keep(argv: list[str]) -> list[str]:
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--keep":
            skip = True
        elif not arg.startswith("--keep="):
            out.append(arg)
    return out


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bench matching_online")
    parser.add_argument("--records", type=int, default=1_000_000, help="registered people")
    parser.add_argument("--list-size", type=int, default=1_500_000, help="list entries")
    parser.add_argument("--intakes", type=int, default=1000, help="intakes checked per size")
    parser.add_argument("--peer-records", type=int, default=10_000, help="the smaller registry")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--tmp", default=None, help="folder for the SQLite scratch installation")
    parser.add_argument("--seed", type=int, default=2016)
    parser.add_argument("--keep", default="", help="SQLite: build in this folder and keep it")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if args.child:
        return _child(args)
    from tests.trust.live_server import pg_reachable

    runs = []
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        if backend not in {"sqlite", "postgresql"}:
            print(f"unknown backend {backend!r}; known: sqlite, postgresql")
            return 2
        if backend == "postgresql" and not pg_reachable():
            print("[postgresql] skipped: the server on 127.0.0.1:5432 is not reachable")
            continue
        print(f"[{backend}] building and measuring …", flush=True)
        started = time.perf_counter()
        results = _run_backend(backend, args, argv)
        runs.append((backend, results, time.perf_counter() - started))
    print(
        f"\nonline check (keys, candidates by key, decryption, scoring) of "
        f"{args.intakes} intakes after {WARMUP} warm-up, each timed once on its first check "
        "(half with the pre-filter, half without); SELECT = the bare blocking-key look-ups"
    )
    print(
        f"{'database':<11} {'registry':>9} {'list':>9} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'SELECT p50':>10} {'SELECT p99':>10} {'again':>7} {'listed':>7} {'new→cand':>8}"
    )
    status = 0
    for backend, results, seconds in runs:
        for r in results:
            found, counts = r["found"], r["counts"]
            print(
                f"{backend:<11} {r['records']:>9,} {r['listed']:>9,} {r['p50']:>7.1f} "
                f"{r['p99']:>7.1f} {r['select_p50']:>10.2f} {r['select_p99']:>10.2f} "
                f"{found['again']:>3}/{counts['again']:<3} "
                f"{found['listed']:>3}/{counts['listed']:<3} "
                f"{found['new_dup'] + found['new_list']:>4}/{counts['new']:<3}"
            )
            print(
                f"{'':<11} {'':>9} {'':>9} {r['plain_p50']:>7.1f} {r['plain_p99']:>7.1f}"
                "  (the other half of the intakes, every candidate compared: no pre-filter)"
            )
        small, large = results[0], results[-1]
        growth = (
            f"p99 at {large['records']:,} ÷ p99 at {small['records']:,}: "
            f"{large['p99'] / small['p99']:.2f}; "
            if len(results) > 1
            else ("measured on a kept installation; " if large["kept"] else "")
        )
        print(
            f"{backend}: built in {large['build_s']:.0f} s, {seconds:.0f} s in all; {growth}"
            f"check p50 ÷ SELECT p50: {large['p50'] / large['select_p50']:.1f}"
        )
        met = large["p99"] <= TARGET_P99_MS
        print(
            f"{backend}: target p99 ≤ {TARGET_P99_MS:.0f} ms at {large['records']:,} / "
            f"{large['listed']:,}: {'met' if met else 'NOT met'}"
        )
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
