"""Model fields whose values are sealed at rest (sulh.keys.sealing).

The column holds ``v2:<kid>:<ciphertext>`` (older rows ``v1:``); Python code sees plain text.
Each value is bound to its column and its row (``RowSealedModel``: the row's random seal
id is part of the associated data). Only ``isnull`` and ``=""`` (left blank) lookups make
sense on such a column: equality lookups go through a blind index column beside it.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.core.exceptions import FieldError
from django.db import models
from django.db.models.lookups import Exact

from sulh.keys.sealing import (
    MIN_BUCKET,
    SEALED_PREFIXES,
    SealError,
    open_sealed,
    open_sealed_many,
    seal,
)

ROW_SEAL_FIELD = "seal_row"  # the column of a row's own random id, bound into its seals


def new_seal_row() -> str:
    """A row's seal id: 16 random bytes, base64url (22 characters)."""
    return secrets.token_urlsafe(16)


class SealedToken(str):
    """A value as stored in a sealed column, not opened (a ``values()`` query returns these,
    never plain text); written back as it is."""


def row_context(context: str, seal_row: str) -> str:
    """The associated data of a row-bound value: the column and the row's seal id."""
    return f"{context}@{seal_row}"


class EncryptedTextField(models.TextField):
    """Text sealed at rest, bound to its column and, on a ``RowSealedModel``, to its row:
    a ciphertext moved to another column or another row does not open.

    Values are sealed in ``pre_save`` (the row is known there) and opened when the ORM
    builds the instance (``RowSealedModel.from_db``). A bulk ``QuerySet.update`` can only
    blank a sealed field: any other value must be set on the instance and saved."""

    description = "Text sealed with the installation's data key"

    min_bucket = MIN_BUCKET  # bytes a value pads to at least (see sealing._bucket)

    def __init__(
        self, *args: Any, context: str = "", min_bucket: int | None = None, **kwargs: Any
    ) -> None:
        # The associated data a value is sealed under: the model's label and the field's
        # name, unless the field says otherwise (a model moved between packages keeps the
        # context its values were sealed under).
        self.context = context
        if min_bucket is not None:
            self.min_bucket = min_bucket
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.context:
            kwargs["context"] = self.context
        if self.min_bucket != type(self).min_bucket:
            kwargs["min_bucket"] = self.min_bucket
        return name, path, args, kwargs

    def _context(self) -> str:
        return self.context or f"{self.model._meta.label}.{self.name}"

    @property
    def sealed_under(self) -> str:
        """The column part of the associated data this field's values are sealed under."""
        return self._context()

    @property
    def row_bound(self) -> bool:
        """Whether values are bound to their row (the model has a seal id column; models
        as migrations saw them before that column was added are not)."""
        return any(f.name == ROW_SEAL_FIELD for f in self.model._meta.concrete_fields)

    # Plain text <-> the field's Python value (JSON and numbers override these).
    def decode(self, text: str) -> Any:
        return text

    def encode(self, value: Any) -> str:
        return str(value)

    def blank_value(self, value: str | None) -> Any:
        return value

    def open_token(self, token: str, *, seal_row: str) -> Any:
        """The Python value of a stored ``token`` of the row with seal id ``seal_row``."""
        try:
            return self.decode(open_sealed(token, context=row_context(self._context(), seal_row)))
        except SealError as exc:  # named by its column: a row's seal id says nothing to a reader
            raise SealError(
                exc.message.replace(f"@{seal_row}", ""), field=self._context()
            ) from None

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return self.blank_value(value)
        if self.row_bound:
            return SealedToken(value)  # opened by the model, which knows the row
        return self.decode(open_sealed(value, context=self._context()))

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = getattr(model_instance, self.attname)
        if value is None or value == "" or isinstance(value, SealedToken):
            return value
        context = self._context()
        if self.row_bound:
            context = row_context(context, getattr(model_instance, ROW_SEAL_FIELD))
        return SealedToken(seal(self.encode(value), context=context, min_bucket=self.min_bucket))

    def get_prep_value(self, value: Any) -> Any:
        if value is None or value == "" or isinstance(value, SealedToken):
            return value
        if self.row_bound:
            raise FieldError(
                f"{self.name}: a sealed value is bound to its row: set it on the instance "
                "and save it (a bulk update can only blank it)"
            )
        return seal(self.encode(super().get_prep_value(value)), context=self._context())

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
    # A list's or an explanation's size says what is in it (how many destinations a
    # person may go to, which rule fired): small JSON all pads to one size.
    min_bucket = 1024
    _pyi_private_set_type: Any  # django-stubs: any JSON value in and out
    _pyi_private_get_type: Any

    def decode(self, text: str) -> Any:
        return json.loads(text) if text else None

    def encode(self, value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)

    def blank_value(self, value: str | None) -> Any:
        return None

    def to_python(self, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) and value else value


class EncryptedFloatField(EncryptedTextField):
    """A number (e.g. a match score) sealed like text: Python code sees a float."""

    description = "A number sealed with the installation's data key"
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def decode(self, text: str) -> Any:
        return float(text) if text else None

    def encode(self, value: Any) -> str:
        return repr(float(value))

    def blank_value(self, value: str | None) -> Any:
        return None

    def to_python(self, value: Any) -> Any:
        return float(value) if value not in (None, "") else None


def sealed_fields(model: type[models.Model]) -> list[EncryptedTextField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]


class RowSealedModel(models.Model):
    """A model whose sealed fields are bound to the row: each row has a random seal id,
    bound into the associated data of every value sealed in it, so a ciphertext copied
    into another row (or an older backup's token planted in one) does not open."""

    seal_row = models.CharField(max_length=22, unique=True, editable=False, default=new_seal_row)

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any, **kwargs: Any) -> Any:
        instance = super().from_db(db, field_names, values, **kwargs)
        fields = [
            f
            for f in sealed_fields(cls)
            if isinstance(instance.__dict__.get(f.attname), SealedToken)
        ]
        if fields:
            seal_row = instance.__dict__.get(ROW_SEAL_FIELD)
            if seal_row is None:  # deferred: one more query, never a guess
                seal_row = (
                    cls._base_manager.using(db).filter(pk=instance.pk)
                    .values_list(ROW_SEAL_FIELD, flat=True).get()
                )  # fmt: skip
            for field in fields:
                instance.__dict__[field.attname] = field.open_token(
                    instance.__dict__[field.attname], seal_row=seal_row
                )
        return instance


@dataclass(frozen=True)
class SealedRow:
    """One row's sealed columns as stored (``""`` for a blank one), not yet opened, with
    the row's seal id."""

    key: Any
    tokens: tuple[str, ...]
    seal_row: str = ""


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
        SealedRow(key=row[0], seal_row=row[1], tokens=tuple(t or "" for t in row[2:]))
        for row in queryset.values_list(key, ROW_SEAL_FIELD, *stored)
    ]


def open_rows(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[SealedRow]
) -> list[list[str]]:
    """The plain texts of ``read_sealed`` rows of ``model``, opened in bulk (the keyring
    is looked up once for all of them), each in its own row's context."""
    columns = [cast(EncryptedTextField, model._meta.get_field(f)).sealed_under for f in fields]
    rows = list(rows)
    flat = open_sealed_many(
        [t for row in rows for t in row.tokens],
        [row_context(column, row.seal_row) for row in rows for column in columns],
    )
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


def bind_rows(table: str, contexts: dict[str, str]) -> Any:
    """A migration step that gives every row of ``table`` a seal id and re-seals its
    ``contexts`` columns (column name -> the column's associated data) bound to the row:
    values sealed to the column alone (or still plain) come out bound to their row."""

    def forward(apps: Any, schema_editor: Any) -> None:
        columns = list(contexts)
        with schema_editor.connection.cursor() as cursor:
            listed = ", ".join(columns)
            cursor.execute(f"SELECT id, {listed} FROM {table}")  # noqa: S608 - names from code
            for pk, *values in cursor.fetchall():
                seal_row = new_seal_row()
                bound = []
                for column, value in zip(columns, values, strict=True):
                    text = "" if value is None else str(value)
                    if text.startswith(SEALED_PREFIXES):
                        text = open_sealed(text, context=contexts[column])
                    elif not text:
                        bound.append(value)
                        continue
                    bound.append(seal(text, context=row_context(contexts[column], seal_row)))
                assignments = ", ".join(f"{c} = %s" for c in columns)
                cursor.execute(
                    f"UPDATE {table} SET {ROW_SEAL_FIELD} = %s, {assignments} WHERE id = %s",  # noqa: S608
                    [seal_row, *bound, pk],
                )

    return forward


def row_seal_operations(model_name: str, table: str, contexts: dict[str, str]) -> list[Any]:
    """The migration operations that bind ``model_name``'s sealed values to their rows:
    add the seal id column, fill it and re-seal (``bind_rows``), then make it required."""
    from django.db import migrations

    return [
        migrations.AddField(
            model_name=model_name,
            name=ROW_SEAL_FIELD,
            field=models.CharField(max_length=22, null=True, editable=False),
        ),
        migrations.RunPython(bind_rows(table, contexts), migrations.RunPython.noop),
        migrations.AlterField(
            model_name=model_name,
            name=ROW_SEAL_FIELD,
            field=models.CharField(
                max_length=22, unique=True, editable=False, default=new_seal_row
            ),
        ),
    ]
