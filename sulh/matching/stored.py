"""Registered people and list entries read back as the records the matcher compares, and
their keyed blocking keys: what the online check, list re-screening and key rebuilds share.

Registered people are read from the registry by case id (the case is named by its id,
never imported: matching sits below cases). Both readers keep a bounded per-process
cache: list entries never change, and a person is opened again only when their sealed
values did.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence

from sulh.keys.fields import open_column, open_rows, read_sealed
from sulh.keys.keyring import forget_on_abandon
from sulh.keys.sealing import derived_key
from sulh.matching.index import blocking_keys
from sulh.matching.models import ListEntry
from sulh.matching.record import PersonRecord
from sulh.registry.models import Person

LIST_CACHE_SIZE = 50_000  # decrypted list entries kept per process (list versions never change)
CASE_CACHE_SIZE = 50_000  # registered people's records kept per process, by sealed digest
PERSON_FIELDS = (
    *(
        f"{part}_name_{suffix}"
        for suffix in ("ar", "lat")
        for part in ("given", "father", "grandfather", "family", "mother")
    ),
    "birth_date",
    "birth_place",
    "national_id",
)
_entry_cache: OrderedDict[int, PersonRecord] = OrderedDict()
_case_cache: OrderedDict[int, tuple[bytes, list[PersonRecord]]] = OrderedDict()
_lock = threading.Lock()


def matching_key() -> bytes:
    """The key of registered people's blocking keys (``MatchKey``)."""
    return derived_key(purpose="matching-keys")


def list_matching_key() -> bytes:
    """The key of list entries' blocking keys (``ListKey``): another key than the registry's,
    so that a thief who holds a list's text and labels its stored keys learns nothing of
    the registry's. The two sides are compared in memory, each under its own key."""
    return derived_key(purpose="list-matching-keys")


def person_records(*, person: Person, record_id: str) -> list[PersonRecord]:
    """The person as recorded, once per script the desk used."""
    return records_from_fields({f: getattr(person, f) for f in PERSON_FIELDS}, record_id=record_id)


def records_from_fields(fields: dict[str, str], *, record_id: str) -> list[PersonRecord]:
    """``person_records`` from the person's fields (``PERSON_FIELDS``) as plain text."""
    records = []
    for suffix in ("ar", "lat"):
        given = fields[f"given_name_{suffix}"]
        family = fields[f"family_name_{suffix}"]
        father = fields[f"father_name_{suffix}"]
        if not (given or family or father):
            continue
        records.append(
            PersonRecord(
                record_id=record_id,
                given_name=given,
                father_name=father,
                grandfather_name=fields[f"grandfather_name_{suffix}"],
                family_name=family,
                mother_name=fields[f"mother_name_{suffix}"],
                birth_date=fields["birth_date"],
                birth_place=fields["birth_place"],
                national_id=fields["national_id"],
            )
        )
    return records


def record_keys(records: Iterable[PersonRecord]) -> set[str]:
    """The registry-side keyed blocking keys of one person (all its records), as stored in
    and looked up from ``MatchKey``."""
    key = matching_key()
    return set().union(*(blocking_keys(r, key=key) for r in records))


def list_record_keys(records: Iterable[PersonRecord]) -> set[str]:
    """The list-side keyed blocking keys of the same records, as stored in and looked up
    from ``ListKey``."""
    key = list_matching_key()
    return set().union(*(blocking_keys(r, key=key) for r in records))


def registered_records(case_ids: Sequence[int]) -> list[tuple[int, list[PersonRecord]]]:
    """The cases' people as records, by case id. The sealed fields are read as stored and a
    case is decrypted only when its sealed values differ from those this process opened
    last (a digest of them is kept beside the records): a person corrected or erased since
    has new sealed values."""
    if not case_ids:
        return []
    people = Person.objects.filter(intake__case__pk__in=case_ids).order_by("intake__case__pk")
    rows = [(row.key, row) for row in read_sealed(people, PERSON_FIELDS, key="intake__case__pk")]
    found: dict[int, list[PersonRecord]] = {}
    missing = []
    with _lock:
        for pk, sealed in rows:
            digest = hashlib.blake2b("\n".join(sealed.tokens).encode(), digest_size=16).digest()
            cached = _case_cache.get(pk)
            if cached is not None and cached[0] == digest:
                _case_cache.move_to_end(pk)
                found[pk] = cached[1]
            else:
                missing.append((pk, digest, sealed))
    fresh = {}
    opened = open_rows(Person, PERSON_FIELDS, (sealed for _, _, sealed in missing))
    for (pk, digest, _), values in zip(missing, opened, strict=True):
        plain = dict(zip(PERSON_FIELDS, values, strict=True))
        found[pk] = records_from_fields(plain, record_id=str(pk))
        fresh[pk] = (digest, found[pk])
    if fresh:
        with _lock:
            _case_cache.update(fresh)
            while len(_case_cache) > CASE_CACHE_SIZE:
                _case_cache.popitem(last=False)
    return [(pk, found[pk]) for pk, _ in rows]


def caches_clear() -> None:
    """Forget every opened record, as a new process would (tests: primary keys are reused
    after each test's rollback, so a cached entry could be another test's)."""
    with _lock:
        _case_cache.clear()
        _entry_cache.clear()


def entry_record(pk: int, sealed_json: str) -> PersonRecord:
    """A list entry's record from its stored JSON (opened)."""
    fields = json.loads(sealed_json)
    fields["aliases"] = tuple(fields.get("aliases", ()))
    return PersonRecord(**{**fields, "record_id": str(pk)})


def list_entry_records(entry_ids: Iterable[int]) -> dict[int, PersonRecord]:
    """The list entries decrypted, through a bounded per-process cache (entries never change)."""
    found: dict[int, PersonRecord] = {}
    missing = []
    with _lock:
        for pk in entry_ids:
            record = _entry_cache.get(pk)
            if record is None:
                missing.append(pk)
            else:
                _entry_cache.move_to_end(pk)
                found[pk] = record
    if missing:
        fetched = {
            pk: entry_record(pk, text)
            for pk, text in open_column(ListEntry, "record", missing).items()
        }
        found.update(fetched)
        with _lock:
            _entry_cache.update(fetched)
            while len(_entry_cache) > LIST_CACHE_SIZE:
                _entry_cache.popitem(last=False)
    return found


forget_on_abandon(caches_clear)  # a worker that sees the site abandoned drops what it opened
