"""Model fields whose values are sealed at rest (sulh.keys.sealing).

The column holds ``v2:<kid>:<ciphertext>`` (older rows ``v1:``); Python code sees plain text. Only
``isnull`` and ``=""`` (left blank) lookups make sense on such a column: equality lookups go
through a blind index column beside it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.core.exceptions import FieldError
from django.db import models
from django.db.models.lookups import Exact

from sulh.keys.sealing import SEALED_PREFIXES, open_sealed, open_sealed_many, seal


class EncryptedTextField(models.TextField):
    description = "Text sealed with the installation's data key"

    def __init__(self, *args: Any, context: str = "", **kwargs: Any) -> None:
        # The associated data a value is sealed under: the model's label and the field's
        # name, unless the field says otherwise (a model moved between packages keeps the
        # context its values were sealed under).
        self.context = context
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.context:
            kwargs["context"] = self.context
        return name, path, args, kwargs

    def _context(self) -> str:
        return self.context or f"{self.model._meta.label}.{self.name}"

    @property
    def sealed_under(self) -> str:
        """The associated data this field's values are sealed under (for bulk readers)."""
        return self._context()

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return open_sealed(value, context=self._context())

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return seal(str(value), context=self._context())

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "exact":
            return BlankExact
        if lookup_name != "isnull":
            return None
        return super().get_lookup(lookup_name)


class BlankExact(Exact):
    """``field=""``: whether a sealed field was left blank (blank is stored as blank, e.g. for
    a check constraint). Any other value would compare ciphertexts, so it is refused."""

    def get_prep_lookup(self) -> Any:
        if self.rhs not in ("", None):
            raise FieldError(f"{self.lhs.target.name}: a sealed field compares only with blank")
        return self.rhs


class EncryptedJSONField(EncryptedTextField):
    """JSON (e.g. match evidence that quotes names) sealed like text."""

    description = "JSON sealed with the installation's data key"
    _pyi_private_set_type: Any  # django-stubs: any JSON value in and out
    _pyi_private_get_type: Any

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        text = super().from_db_value(value, expression, connection)
        return json.loads(text) if text else None

    def to_python(self, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) and value else value

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
        return seal(text, context=self._context())


class EncryptedFloatField(EncryptedTextField):
    """A number (e.g. a match score) sealed like text: Python code sees a float."""

    description = "A number sealed with the installation's data key"
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        text = super().from_db_value(value, expression, connection)
        return float(text) if text else None

    def to_python(self, value: Any) -> Any:
        return float(value) if value not in (None, "") else None

    def get_prep_value(self, value: Any) -> Any:
        if value is None or value == "":
            return value
        return seal(repr(float(value)), context=self._context())


@dataclass(frozen=True)
class SealedRow:
    """One row's sealed columns as stored (``""`` for a blank one), not yet opened."""

    key: Any
    tokens: tuple[str, ...]


def read_sealed(
    queryset: models.QuerySet[Any], fields: Sequence[str], *, key: str = "pk"
) -> list[SealedRow]:
    """The stored tokens of ``fields`` (sealed fields of the queryset's model) for each row,
    with the row's ``key`` (a field or relation path), read by the ORM without opening
    them: a caller can tell from them whether a row changed before paying to open it."""
    stored = [
        models.ExpressionWrapper(models.F(f), output_field=models.TextField()) for f in fields
    ]
    return [
        SealedRow(key=row[0], tokens=tuple(t or "" for t in row[1:]))
        for row in queryset.values_list(key, *stored)
    ]


def open_rows(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[SealedRow]
) -> list[list[str]]:
    """The plain values of ``read_sealed`` rows of ``model``, opened in bulk (the keyring
    is looked up once for all of them)."""
    contexts = [cast(EncryptedTextField, model._meta.get_field(f)).sealed_under for f in fields]
    rows = list(rows)
    flat = open_sealed_many([t for row in rows for t in row.tokens], contexts * len(rows))
    width = len(fields)
    return [flat[i : i + width] for i in range(0, len(flat), width)]


def open_column(model: type[models.Model], field_name: str, pks: Iterable[Any]) -> dict[Any, str]:
    """pk → the plain value of one sealed field, for the rows of ``model`` with those pks."""
    rows = read_sealed(model._default_manager.filter(pk__in=list(pks)), [field_name])
    opened = open_rows(model, [field_name], rows)
    return {row.key: values[0] for row, values in zip(rows, opened, strict=True)}


def seal_column(table: str, column: str, context: str) -> Any:
    """A migration step that seals a column's existing plain values in place."""

    def forward(apps: Any, schema_editor: Any) -> None:
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(f"SELECT id, {column} FROM {table}")  # noqa: S608 - names from code
            for pk, text in cursor.fetchall():
                if text and not str(text).startswith(SEALED_PREFIXES):
                    cursor.execute(
                        f"UPDATE {table} SET {column} = %s WHERE id = %s",  # noqa: S608
                        [seal(str(text), context=context), pk],
                    )

    return forward
