"""Turn schema errors into one SulhError that names the field."""

from __future__ import annotations

import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from sulh.core.errors import ValidationFailed

Schema = TypeVar("Schema", bound=BaseModel)
_FIELD_PREFIX = re.compile(r"^([a-z_][a-z0-9_]*(?: or [a-z_][a-z0-9_]*)?): (.+)$", re.DOTALL)


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
        errors = exc.errors()
        field, message = describe(dict(errors[0]))
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ValidationFailed(f"{message}{more}", field=field) from None
