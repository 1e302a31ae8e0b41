"""Load and validate program files, with errors that name the file, the line and the field.

YAML is read with the safe loader only (no tags, no objects); the node tree is
kept to map a schema error back to the line it came from.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sulh.programs.definition import ProgramDefinition

MAX_FILE_BYTES = 256 * 1024
Path_ = tuple[str | int, ...]


class ProgramFileError(Exception):
    """``programs/x.yaml:12: rules[2].when.origin: must be one of local, non_local``."""

    def __init__(self, *, file: str, line: int | None, field: str, message: str) -> None:
        self.file, self.line, self.field, self.message = file, line, field, message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}"


def field_name(path: Path_) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(file)"


def _lines(node: yaml.Node, path: Path_, out: dict[Path_, int]) -> None:
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else str(key)
            out[(*path, name)] = key.start_mark.line + 1
            _lines(value, (*path, name), out)
            out[(*path, name)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _lines(item, (*path, index), out)


def _line_of(lines: dict[Path_, int], path: Path_) -> int | None:
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(())


def _read(path: Path) -> tuple[Any, dict[Path_, int]]:
    file = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ProgramFileError(
            file=file, line=None, field="(file)", message=exc.strerror or "unreadable"
        ) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ProgramFileError(file=file, line=None, field="(file)", message="larger than 256 KiB")
    try:
        text = raw.decode("utf-8")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except UnicodeDecodeError:
        raise ProgramFileError(
            file=file, line=None, field="(file)", message="not UTF-8 text"
        ) from None
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise ProgramFileError(
            file=file, line=line, field="(syntax)", message=str(exc.problem)
        ) from None
    except yaml.YAMLError as exc:
        raise ProgramFileError(file=file, line=None, field="(syntax)", message=str(exc)) from None
    if not isinstance(data, dict) or node is None:
        raise ProgramFileError(
            file=file, line=1, field="(file)", message="must be a mapping of fields"
        )
    lines: dict[Path_, int] = {}
    _lines(node, (), lines)
    return data, lines


def _schema_error(file: str, lines: dict[Path_, int], exc: ValidationError) -> ProgramFileError:
    error = exc.errors()[0]
    path = tuple(
        p
        for p in error["loc"]
        if not (isinstance(p, str) and p in {"function-after", "function-before"})
    )
    path = tuple(("in" if p == "in_" else p) for p in path)
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "is not a known field"
    elif error["type"] == "missing":
        message = "is required"
    return ProgramFileError(
        file=file, line=_line_of(lines, path), field=field_name(path), message=message
    )


def _cross_check(definition: ProgramDefinition) -> tuple[Path_, str] | None:
    """References between parts of the file; returns the first wrong field."""
    affiliations = {a.id for a in definition.affiliations}
    destinations = {d.id for d in definition.destinations}
    if definition.deadline <= definition.opens_at:
        return ("deadline",), "must be after opens_at"
    if definition.window_hours is not None:
        span = definition.deadline - definition.opens_at
        if span.total_seconds() != definition.window_hours * 3600:
            return (
                "deadline",
            ), f"must be exactly window_hours ({definition.window_hours} h) after opens_at"
    for i, group in enumerate(definition.affiliations):
        for j, dest in enumerate(group.destinations_only or ()):
            if dest not in destinations:
                return ("affiliations", i, "destinations_only", j), f"unknown destination {dest!r}"
    for i in range(len(definition.rules)):
        found = _check_rule(
            rule_index=i,
            definition=definition,
            affiliations=affiliations,
            destinations=destinations,
        )
        if found:
            return found
    if definition.rules[-1].when:
        return (
            "rules",
            len(definition.rules) - 1,
            "when",
        ), "the last rule must be a catch-all with no conditions"
    ids = [rule.id for rule in definition.rules]
    for i, rule_id in enumerate(ids):
        if ids.index(rule_id) != i:
            return ("rules", i, "id"), f"rule id {rule_id!r} is used twice"
    return None


def _check_rule(
    *,
    rule_index: int,
    definition: ProgramDefinition,
    affiliations: set[str],
    destinations: set[str],
) -> tuple[Path_, str] | None:
    rule = definition.rules[rule_index]
    here: Path_ = ("rules", rule_index)
    known: dict[str, set[object]] = {
        "affiliation": affiliations | {None},
        "category": set(definition.known_categories()),
        "origin": {"local", "non_local"},
        "screening": {"clear", "confirmed_match", "pending"},
        "requested_destination": destinations | {None},
    }
    for fact, test in rule.when.items():
        if fact not in known:
            continue
        values = (
            [test.equals]
            if test.in_ is None and test.not_in is None
            else list(test.in_ or test.not_in or ())
        )
        for value in values:
            if value not in known[fact]:
                return (*here, "when", fact), f"{value!r} is not a known {fact}"
    if rule.outcome == "departure":
        if not destinations:
            return (*here, "outcome"), "a departure needs destinations defined in the program"
        for j, dest in enumerate(rule.destinations or ()):
            if dest not in destinations:
                return (*here, "destinations", j), f"unknown destination {dest!r}"
    elif rule.destinations:
        return (*here, "destinations"), "only a departure rule has destinations"
    return None


def load_program(path: str | Path) -> ProgramDefinition:
    path = Path(path)
    data, lines = _read(path)
    try:
        definition = ProgramDefinition.model_validate(data)
    except ValidationError as exc:
        raise _schema_error(str(path), lines, exc) from None
    wrong = _cross_check(definition)
    if wrong:
        field, message = wrong
        raise ProgramFileError(
            file=str(path), line=_line_of(lines, field), field=field_name(field), message=message
        )
    return definition


def load_program_dir(directory: str | Path) -> dict[str, ProgramDefinition]:
    """Every ``*.yaml`` in ``directory``, by program id; a duplicate id is an error."""
    programs: dict[str, ProgramDefinition] = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        definition = load_program(path)
        if definition.id in programs:
            raise ProgramFileError(
                file=str(path),
                line=None,
                field="id",
                message=f"program {definition.id!r} is defined twice",
            )
        programs[definition.id] = definition
    return programs
