"""Turn schema errors into one SulhError that names the field, and keeps them all."""

from __future__ import annotations

import dataclasses
import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from sulh.core.errors import ValidationFailed

Schema = TypeVar("Schema", bound=BaseModel)
_FIELD_PREFIX = re.compile(r"^([a-z_][a-z0-9_]*(?: or [a-z_][a-z0-9_]*)?): (.+)$", re.DOTALL)


@dataclasses.dataclass(frozen=True)
class Problem:
    """One schema error: the field's path, a stable code, the English message and the
    limits the message speaks of (``ge``, ``max_length``), for a form to translate."""

    field: str
    code: str
    message: str
    context: dict[str, Any] = dataclasses.field(default_factory=dict)


class SchemaInvalid(ValidationFailed):
    """Named for the first wrong field, with every problem found in ``problems``."""

    def __init__(self, message: str, *, field: str, problems: list[Problem]) -> None:
        super().__init__(message, field=field)
        self.problems = problems


def field_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def describe(error: dict[str, Any]) -> tuple[str, str]:
    """The field and message of one pydantic error, in a clerk's words."""
    path = field_path(tuple(error.get("loc", ())))
    message = str(error.get("msg", "is invalid"))
    message = message.removeprefix("Value error, ")
    match = _FIELD_PREFIX.match(message)
    if match:
        inner, message = match.groups()
        inner = inner.split(" or ")[0]
        path = f"{path}.{inner}" if path else inner
    if error.get("type") == "missing":
        message = "is required"
    elif error.get("type") == "extra_forbidden":
        message = "is not a known field"
    return path or "body", message


def parse(schema: type[Schema], data: Any) -> Schema:
    """Validate ``data`` or raise ValidationFailed naming the first wrong field."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        errors = [dict(error) for error in exc.errors()]
        problems = []
        for error in errors:
            path, message = describe(error)
            code = str(error.get("type", ""))
            problems.append(Problem(path, code, message, _context(error)))
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        first = problems[0]
        raise SchemaInvalid(
            f"{first.message}{more}", field=first.field, problems=problems
        ) from None


def _context(error: dict[str, Any]) -> dict[str, Any]:
    context = error.get("ctx") or {}
    return {k: v for k, v in context.items() if isinstance(v, str | int | float)}


REASON_MAX = 2000


def reason_clean(reason: str, *, required: bool, most: int = REASON_MAX) -> str:
    """An officer's stated reason, stripped: refused when required and empty, or too long."""
    reason = (reason or "").strip()
    if required and not reason:
        raise ValidationFailed("a reason is required", field="reason")
    if len(reason) > most:
        raise ValidationFailed(f"must be at most {most} characters", field="reason")
    return reason
