"""What the catalog import keeps in memory and writes in batches: the rows already stored,
their unique values, and the accepted rows waiting to be saved.

An official table may hold tens of thousands of rows; reading, checking and saving them
one at a time cost a handful of statements each. Here the stored rows are read once,
the unique fields are checked against that copy (kept up to date as rows are
accepted, so a row sees the rows before it, as if they were already saved), and
accepted rows are saved `BATCH_ROWS` at a time. Everything runs inside the import's
one transaction, so all or nothing still holds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Model, UniqueConstraint

from consultations.catalogs.report import ImportReport, Problem, RowOutcome

# Accepted rows saved per statement (and per savepoint).
BATCH_ROWS = 500


def stored_rows(model: type[Model], key: str) -> dict[object, Model]:
    """Every stored row of the catalog by its key (code or minutes), in one query."""
    return {getattr(row, key): row for row in model._default_manager.order_by()}


def python_unique_checks(model: type[Model]) -> bool:
    """Whether `UniqueValues` can check `model`'s uniqueness: single unique fields only
    (no unique_together or unique constraints, which would need the database)."""
    return not model._meta.unique_together and not any(
        isinstance(constraint, UniqueConstraint) for constraint in model._meta.constraints
    )


class UniqueValues:
    """The values of `model`'s unique fields other than the key, as stored and as
    accepted so far in the file, each with the key of the row that holds it."""

    def __init__(self, model: type[Model], rows: dict[object, Model], *, key: str) -> None:
        self.model = model
        self.fields = [
            f
            for f in model._meta.concrete_fields
            if f.unique and not f.primary_key and f.name != key
        ]
        self.holders: dict[str, dict[object, object]] = {
            f.name: {
                getattr(row, f.attname): row_key
                for row_key, row in rows.items()
                if getattr(row, f.attname) is not None
            }
            for f in self.fields
        }

    def errors(self, instance: Model, *, key: object, skip: set[str]) -> ValidationError | None:
        """The "already exists" errors Django's `validate_unique` would raise for
        `instance`, keyed `key`, leaving out the fields in `skip` (already invalid)."""
        errors: dict[str, list[ValidationError]] = {}
        for f in self.fields:
            if f.name in skip:
                continue
            value = getattr(instance, f.attname)
            if _no_value(value):
                continue
            holder = self.holders[f.name].get(value, key)
            if holder != key:
                errors[f.name] = [instance.unique_error_message(self.model, (f.name,))]
        return ValidationError(errors) if errors else None

    def accept(self, instance: Model, *, key: object, before: dict[str, object]) -> None:
        """Record `instance`'s values as held by `key` (its previous ones, in `before`,
        are free again)."""
        for f in self.fields:
            holders = self.holders[f.name]
            old = before.get(f.name)
            if old is not None and holders.get(old) == key:
                del holders[old]
            value = getattr(instance, f.attname)
            if not _no_value(value):
                holders[value] = key


def rows_update(model: type[Model], instances: list[Model]) -> None:
    """Write every field of `instances` (as `save()` does) in one statement.

    On PostgreSQL an `UPDATE ... FROM (VALUES ...)`: Django's `bulk_update` builds a
    CASE of every row for every field, which cost more than the rest of the import.
    Elsewhere (SQLite for development) `bulk_update`.
    """
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    if connection.vendor != "postgresql":
        model._default_manager.bulk_update(instances, [f.name for f in fields])
        return
    quote = connection.ops.quote_name
    pk = model._meta.pk
    assert pk is not None
    columns = [pk, *fields]
    # Typed values (`cast_db_type`, a varchar without its length), as Django casts.
    casts = [f.cast_db_type(connection) for f in columns]  # type: ignore[attr-defined]  # the stubs lack Field.cast_db_type
    row = "(" + ", ".join(f"%s::{cast}" for cast in casts) + ")"
    params = [
        f.get_db_prep_save(getattr(instance, f.attname), connection)
        for instance in instances
        for f in columns
    ]
    table = quote(model._meta.db_table)
    # Only quoted names of the model's own table and columns go into the text; every
    # value is a parameter.
    sql = (
        f"UPDATE {table} SET "  # noqa: S608
        + ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in fields)
        + f" FROM (VALUES {', '.join([row] * len(instances))})"
        + f" AS v({', '.join(quote(f.column) for f in columns)})"
        + f" WHERE {table}.{quote(pk.column)} = v.{quote(pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _no_value(value: object) -> bool:
    # As Django's unique checks: no value, or an empty text where the database keeps none.
    return value is None or (value == "" and connection.features.interprets_empty_strings_as_nulls)


@dataclass
class _Pending:
    outcome: RowOutcome
    instance: Model
    is_new: bool
    changed: tuple[str, ...]


@dataclass
class BatchWriter:
    """Accepted rows, saved `BATCH_ROWS` at a time: changed rows in one UPDATE, new rows
    in one INSERT, their admin history in another. A batch the database refuses (a row
    written meanwhile by someone else) is saved again row by row, so that the refused
    rows are reported by line as before."""

    model: type[Model]
    report: ImportReport
    user: object = None
    pending: list[_Pending] = field(default_factory=list)

    def add(self, outcome: RowOutcome, instance: Model, *, is_new: bool) -> None:
        self.pending.append(_Pending(outcome, instance, is_new, outcome.changed))
        if len(self.pending) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        batch, self.pending = self.pending, []
        if not batch:
            return
        try:
            with transaction.atomic():  # a savepoint: on a refusal, retry row by row
                self._write(batch)
        except IntegrityError:
            batch = self._write_each(batch)
        for row in batch:
            (self.report.created if row.is_new else self.report.updated).append(row.outcome)
        self._history(batch)

    def _write(self, batch: list[_Pending]) -> None:
        manager = self.model._default_manager
        changed = [row.instance for row in batch if not row.is_new]
        if changed:
            rows_update(self.model, changed)
        created = [row.instance for row in batch if row.is_new]
        if created:
            manager.bulk_create(created)

    def _write_each(self, batch: list[_Pending]) -> list[_Pending]:
        saved = []
        for row in batch:
            try:
                with transaction.atomic():
                    row.instance.save()
            except IntegrityError as error:
                if row.is_new:
                    row.instance.pk = None
                self.report.rejected.append(
                    RowOutcome(
                        line=row.outcome.line,
                        key=row.outcome.key,
                        problems=(Problem("integrity_error", str(error)),),
                    )
                )
                continue
            saved.append(row)
        return saved

    def _history(self, batch: list[_Pending]) -> None:
        """An admin history entry for each row, in the form the admin writes its own."""
        if self.user is None or not batch:
            return
        content_type = ContentType.objects.get_for_model(self.model, for_concrete_model=False)
        LogEntry.objects.bulk_create(
            [
                LogEntry(
                    user_id=self.user.pk,  # type: ignore[attr-defined]  # the stubs type user as AbstractBaseUser | AnonymousUser
                    content_type_id=content_type.pk,
                    object_id=str(row.instance.pk),
                    object_repr=str(row.instance)[:200],
                    action_flag=ADDITION if row.is_new else CHANGE,
                    change_message=json.dumps(
                        [{"added": {}}]
                        if row.is_new
                        else [{"changed": {"fields": list(row.changed)}}]
                    ),
                )
                for row in batch
            ]
        )
