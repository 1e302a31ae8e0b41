"""Load program files into the database, and read definitions back (cached per version)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.db import transaction
from django.db.models import QuerySet

from sulh.core.errors import NotFound
from sulh.programs.definition import ProgramDefinition
from sulh.programs.loader import load_program
from sulh.programs.models import Program, ProgramVersion


def program_sync(*, directory: Path) -> list[Program]:
    """Load every program file; a changed file records a new version. Idempotent."""
    loaded = []
    for path in sorted(Path(directory).glob("*.yaml")):
        definition = load_program(path)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        loaded.append(_program_store(definition=definition, digest=digest))
    return loaded


def _program_store(*, definition: ProgramDefinition, digest: str) -> Program:
    document = definition.model_dump(mode="json", by_alias=True)
    with transaction.atomic():
        program, created = Program.objects.select_for_update().get_or_create(
            code=definition.id,
            defaults={
                "version": definition.version,
                "content_sha256": digest,
                "definition": document,
            },
        )
        if not created and program.content_sha256 != digest:
            program.version = definition.version
            program.content_sha256 = digest
            program.definition = document
            program.save(update_fields=["version", "content_sha256", "definition", "loaded_at"])
        ProgramVersion.objects.get_or_create(
            program=program,
            content_sha256=digest,
            defaults={"version": definition.version, "definition": document},
        )
    return program


def programs_all() -> QuerySet[Program]:
    return Program.objects.order_by("code")


def program_get(*, code: str) -> Program:
    program = Program.objects.filter(code=code).first()
    if program is None:
        raise NotFound(f"no program {code!r}", field="program")
    return program


_definitions: dict[tuple[str, str], ProgramDefinition] = {}


def program_get_definition(*, code: str) -> ProgramDefinition:
    """The definition of the loaded version, parsed once per process and version."""
    program = program_get(code=code)
    key = (program.code, program.content_sha256)
    definition = _definitions.get(key)
    if definition is None:
        definition = ProgramDefinition.model_validate(program.definition)
        _definitions[key] = definition
    return definition


def program_definition_at(*, code: str, version: str) -> ProgramDefinition:
    """The definition as loaded at ``version`` (the latest load of it), e.g. the pledge an
    intake signed; the current definition when that version was never stored."""
    stored = (
        ProgramVersion.objects.filter(program__code=code, version=version)
        .order_by("-loaded_at")
        .values_list("definition", flat=True)
        .first()
    )
    if stored is None:
        return program_get_definition(code=code)
    return ProgramDefinition.model_validate(stored)
