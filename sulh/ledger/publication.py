"""Publication on a schedule: pad the batch, commit the exact totals, sign a tree head,
publish each due program's bulletin under the disclosure method, and write a package of
openings for every enrolled monitor. Exports of what was published, and monitors'
attestations.

``sulh ledger publish`` runs from a timer (hourly, say); each program is published when
its ``bulletin.every_hours`` (default 24) have passed since its last bulletin. Nothing
here is served live: proofs and exports name published heads only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives import serialization
from django.db import transaction
from django.utils import timezone

from sulh.accounts.models import Station
from sulh.accounts.policy import Action, require
from sulh.audit.services import audit_record
from sulh.core.errors import NotFound, ValidationFailed
from sulh.keys.models import MonitorKey
from sulh.keys.sealing import derived_key
from sulh.keys.services import public_key_of, publication_key
from sulh.keys.signing import canonical
from sulh.ledger.disclosure import (
    ADULT_BANDS,
    EARLIER,
    LATER,
    SEXES,
    Method,
    Rows,
    bulletin_sections,
)
from sulh.ledger.leaves import totals_leaf
from sulh.ledger.models import (
    Attestation,
    Bulletin,
    LedgerHead,
    LedgerLeaf,
    MonitorPackage,
    TreeHead,
)
from sulh.ledger.openings import attestation_verify, opening_line, package_header, package_seal
from sulh.ledger.render import bulletin_html, bulletin_pdf
from sulh.ledger.services import (
    ledger_append_public,
    ledger_opened,
    ledger_pad,
    tree_head_document,
    tree_head_sign,
)
from sulh.programs.services import program_get_definition, programs_all

BULLETIN_FORMAT = "sulh-bulletin/2"
PAD_MULTIPLE = 8  # each head's growth is rounded up to a multiple of this many leaves
SLACK = dt.timedelta(minutes=10)  # a timer a little early still publishes


def disclosure_secret(program: str) -> bytes:
    """The key of a program's cell-key perturbation; a monitor receives it in its package."""
    return derived_key(purpose=f"disclosure:{program}")


def disclosure_method(program: str) -> Method:
    policy = program_get_definition(code=program).bulletin
    options: dict[str, Any] = {"min_cell": policy.min_cell, "exact": tuple(policy.exact)}
    if policy.epsilon is not None:
        options["epsilon"] = policy.epsilon
    return Method(**options)


def bulletin_rows(program: str, now: dt.datetime) -> Rows:
    """The rows a program's bulletin publishes on ``now``, whoever is in them: every station
    of the site, both sexes, every adult age band and ``unknown``, and every day (UTC, as
    the records' days are) from the program's opening to its deadline that has begun, with
    ``earlier`` and, once the deadline has passed, ``later`` for the days outside; the
    tables run through the end of yesterday (UTC)."""
    definition = program_get_definition(code=program)
    first, last = (t.astimezone(dt.UTC).date() for t in (definition.opens_at, definition.deadline))
    today = now.astimezone(dt.UTC).date()
    days = [EARLIER]
    day = first
    while day <= min(last, today):
        days.append(day.isoformat())
        day += dt.timedelta(days=1)
    if today > last:
        days.append(LATER)
    return Rows(
        station=tuple(Station.objects.order_by("code").values_list("code", flat=True)),
        sex=SEXES,
        age_band=ADULT_BANDS,
        day=tuple(days),
        through=(today - dt.timedelta(days=1)).isoformat(),
    )


def records_of(opened: list[str]) -> list[dict[str, Any] | None]:
    """The records of sealed openings as ``ledger_opened`` gives them; None for a totals
    leaf."""
    return [json.loads(text)["record"] if text else None for text in opened]


def _live_size() -> int:
    head = LedgerHead.objects.filter(name="default").first()
    return head.size if head else 0


def live_records() -> list[dict[str, Any] | None]:
    """Every event record so far, aligned to the log: for the exact figures program
    managers see (``disclosure.figures_exact``), never published."""
    return records_of(ledger_opened(first=0, size=_live_size()))


def _due(program: str, now: dt.datetime) -> bool:
    last = Bulletin.objects.filter(program=program).order_by("-pk").first()
    if last is None:
        return True
    hours = program_get_definition(code=program).bulletin.every_hours
    return last.published_at <= now - dt.timedelta(hours=hours) + SLACK


@dataclass
class Publication:
    head: TreeHead | None = None
    bulletins: list[Bulletin] = field(default_factory=list)
    packages: list[MonitorPackage] = field(default_factory=list)
    padding: int = 0


def ledger_publish(*, force: bool = False, now: dt.datetime | None = None) -> Publication:
    """Publish every program that is due (every program with ``force``); nothing when none
    is. One transaction, under the log's lock: no event lands between the padding and the
    signature."""
    now = now or timezone.now()
    due = [p.code for p in programs_all() if force or _due(p.code, now)]
    if not due:
        return Publication()
    result = Publication()
    with transaction.atomic():
        LedgerHead.objects.get_or_create(name="default")
        LedgerHead.objects.select_for_update().get(name="default")
        last = TreeHead.objects.order_by("-pk").first()
        result.padding = ledger_pad(since=last.size if last else 0, multiple=PAD_MULTIPLE)
        opened = ledger_opened(first=0, size=_live_size())
        records = records_of(opened)
        # Each due program's sections over the records so far; the totals leaves appended
        # after them are public leaves (None records) and change no figure.
        sections: dict[str, dict[str, Any]] = {}
        for code in due:
            previous = Bulletin.objects.filter(program=code).order_by("-pk").first()
            held = previous.document.get("exact") if previous else None
            sections[code] = bulletin_sections(
                records,
                program=code,
                method=disclosure_method(code),
                secret=disclosure_secret(code),
                previous_exact=held,
                rows=bulletin_rows(code, now),
            )
            block = sections[code]["exact"]
            if block is not None and block != held:
                ledger_append_public(
                    totals_leaf(
                        program=code, as_of_size=block["as_of_size"], exact=block["figures"]
                    )
                )
        head = tree_head_sign()
        opened += [""] * (head.size - len(opened))  # the totals leaves open to nothing
        result.head = head
        document = tree_head_document(head)
        for code in due:
            bulletin = {
                "format": BULLETIN_FORMAT,
                "program": code,
                "day": _local_day(code, now),
                "tree_head": {"size": document["size"], "root_hash": document["root_hash"]},
                **sections[code],
            }
            result.bulletins.append(
                Bulletin.objects.create(
                    program=code, head=head, document=bulletin, published_at=now
                )
            )
        for monitor in MonitorKey.objects.order_by("pk"):
            result.packages.append(_package(monitor, head, opened=opened))
    return result


def _local_day(program: str, now: dt.datetime) -> str:
    zone = ZoneInfo(program_get_definition(code=program).timezone)
    return now.astimezone(zone).date().isoformat()


def _package(
    monitor: MonitorKey, head: TreeHead, *, opened: list[str] | None = None
) -> MonitorPackage:
    """The openings of the leaves this monitor has not had yet, encrypted to it
    (``opened``: every leaf's opening from 0, when the caller has them already)."""
    existing = MonitorPackage.objects.filter(monitor=monitor, head=head).first()
    if existing is not None:
        return existing
    last = MonitorPackage.objects.filter(monitor=monitor).order_by("-size").first()
    first = last.size if last else 0
    document = tree_head_document(head)
    header = package_header(monitor=monitor.name, tree_head=document, first=first, size=head.size)
    if opened is None or len(opened) < head.size:
        texts = ledger_opened(first=first, size=head.size)
    else:
        texts = opened[first : head.size]
    lines = [opening_line(i, t) for i, t in enumerate(texts, start=first) if t]
    secrets = {p.code: disclosure_secret(p.code) for p in programs_all()}
    sealed = package_seal(
        header=header,
        disclosure=secrets,
        openings=lines,
        monitor_public=monitor.public_document(),
    )
    return MonitorPackage.objects.create(
        monitor=monitor, head=head, first=first, size=head.size, document=json.dumps(sealed)
    )


def _latest_head() -> TreeHead:
    """The latest published head; on a log never published, the first is published now."""
    if not TreeHead.objects.exists():
        ledger_publish(force=True)
    return TreeHead.objects.latest("pk")


def ledger_export(*, out: Path, head: TreeHead | None = None) -> list[Path]:
    """The public tier of a published head (the latest; the first is published if there is
    none): leaves.jsonl, tree-head.json (signed) and ledger-key.pem."""
    head = head or _latest_head()
    out.mkdir(parents=True, exist_ok=True)
    leaves = out / "leaves.jsonl"
    with leaves.open("w", encoding="utf-8") as handle:
        rows = LedgerLeaf.objects.filter(index__lt=head.size).order_by("index")
        for leaf in rows.values_list("leaf", flat=True).iterator(chunk_size=20_000):
            handle.write(leaf + "\n")
    tree_head = out / "tree-head.json"
    tree_head.write_text(json.dumps(tree_head_document(head), indent=2), encoding="utf-8")
    key = out / "ledger-key.pem"
    key.write_bytes(
        public_key_of(publication_key()).public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return [leaves, tree_head, key]


def bulletin_latest(*, program: str) -> Bulletin:
    """The program's latest bulletin; for a program never published, every program is
    published now."""
    program_get_definition(code=program)
    if not Bulletin.objects.filter(program=program).exists():
        ledger_publish(force=True)
    return Bulletin.objects.filter(program=program).latest("pk")


def bulletin_write(*, program: str, out: Path) -> list[Path]:
    """The program's latest published bulletin (JSON, HTML, PDF) and the public tier of
    the head it names, in ``out``."""
    row = bulletin_latest(program=program)
    definition = program_get_definition(code=program)
    paths = ledger_export(out=out, head=row.head)
    target = out / f"bulletin-{program}.json"
    document = row.in_order()
    target.write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
    html = bulletin_html(document, title_en=definition.title.en, title_ar=definition.title.ar)
    page = out / f"bulletin-{program}.html"
    page.write_text(html, encoding="utf-8")
    pdf = out / f"bulletin-{program}.pdf"
    pdf.write_bytes(bulletin_pdf(html))
    return [*paths, target, page, pdf]


def monitor_package_write(*, monitor: str, out: Path) -> list[Path]:
    """Every package written for ``monitor`` (one per head, each with the openings of the
    leaves added since the one before), up to the latest head."""
    row = MonitorKey.objects.filter(name=monitor).first()
    if row is None:
        raise NotFound(f"no monitor {monitor!r} is enrolled", field="monitor")
    _package(row, _latest_head())
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for package in MonitorPackage.objects.filter(monitor=row).order_by("first"):
        path = out / f"package-{package.first:010d}-{package.size:010d}.json"
        path.write_text(package.document, encoding="utf-8")
        paths.append(path)
    return paths


# --- Monitors ---------------------------------------------------------------------------


def bulletin_digest(document: dict[str, Any]) -> str:
    """What an attestation names: SHA-256 over the bulletin's canonical JSON."""
    return hashlib.sha256(canonical(document)).hexdigest()


def attestation_record(*, document: Any, user: Any) -> Attestation:
    """A monitor's attestation, kept only when its signature verifies with the enrolled key
    and it names a bulletin this site published, exactly."""
    require(user, Action.RECORD_ATTESTATION)
    if not isinstance(document, dict):
        raise ValidationFailed("an attestation is a JSON object", field="attestation")
    monitor = MonitorKey.objects.filter(name=str(document.get("monitor", ""))).first()
    if monitor is None:
        raise ValidationFailed("names no enrolled monitor", field="monitor")
    if not attestation_verify(document, monitor.public_document()):
        raise ValidationFailed(
            "the signature does not verify with the monitor's key", field="signature"
        )
    head = document.get("tree_head") or {}
    if not isinstance(head, dict) or not isinstance(head.get("size"), int):
        raise ValidationFailed("names no tree head", field="tree_head")
    bulletin = Bulletin.objects.filter(
        program=str(document.get("program", "")),
        head__size=head["size"],
        head__root_hash=str(head.get("root_hash", "")),
    ).first()
    if bulletin is None or bulletin_digest(bulletin.document) != document.get("bulletin_sha256"):
        raise ValidationFailed("names no bulletin this site published", field="bulletin_sha256")
    with transaction.atomic():
        row = Attestation.objects.create(
            monitor=monitor, bulletin=bulletin, document=document, recorded_at=timezone.now()
        )
        details = {"monitor": monitor.name, "program": bulletin.program}
        audit_record(
            actor=user, action="attestation_recorded", obj_type="bulletin",
            obj_id=str(bulletin.pk), details={**details, "size": bulletin.head.size},
        )  # fmt: skip
    return row


def bulletins_published(*, program: str) -> list[Bulletin]:
    """The program's bulletins, latest first, with their attestations."""
    return list(
        Bulletin.objects.filter(program=program)
        .select_related("head")
        .prefetch_related("attestations__monitor")
        .order_by("-pk")
    )
