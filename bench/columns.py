"""The columns `bench.generate` writes, per table, and the constant values for any
column it does not know (one a later migration added): the model field's default, as
`save()` would store it, so the COPY keeps working on a schema that has grown."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

PROVIDER = (
    "id", "document_type", "document_number", "phone", "email", "created_at", "updated_at",
    "name", "requires_specialty", "professional_license", "is_active", "professional_type_id",
    "specialty_id", "name_search",
)  # fmt: skip
PATIENT = (
    "id", "document_type", "document_number", "phone", "email", "created_at", "updated_at",
    "name", "preferred_language", "data_processing_authorized", "data_processing_authorized_at",
    "data_processing_policy_version", "data_processing_recorded_by_id", "name_search",
    "anonymized_at", "data_processing_withdrawn_at", "data_processing_withdrawn_by_id",
)  # fmt: skip
CONSULTATION = (
    "id", "scheduled_for", "starts_at", "ends_at", "status", "kairo_consultation_id",
    "access_pin", "patient_join_url", "provider_join_url", "kairo_expires_at", "kairo_status",
    "kairo_last_request_id", "kairo_request", "created_at", "updated_at", "booked_by_id",
    "consultation_type_id", "duration_minutes", "patient_id", "provider_id", "booking_token",
    "call_quality", "cancellation_reason", "cancelled_at", "cancelled_by_id", "kairo_checked_at",
    "patient_joined_at", "provider_joined_at", "session_started_at", "calendar_sequence",
    "reconcile_claimed_at",
)  # fmt: skip
EVENT = ("id", "kind", "created_at", "kairo_request_id", "detail", "actor_id", "consultation_id")


def _text(value: Any) -> str:
    """A value in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dict | list):
        value = json.dumps(value)
    if isinstance(value, dt.datetime | dt.date):
        value = value.isoformat()
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def copy_plan(connection: Any, model: Any, listed: tuple[str, ...]) -> tuple[str, str]:
    """(the COPY statement, the text to append to every row) for `model`'s table: the
    listed columns, then each NOT NULL column without a database default that is not
    listed, with its field's default. Run on the ORM connection before any COPY."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
            "AND is_nullable = 'NO' AND column_default IS NULL",
            [table],
        )
        required = {row[0] for row in cursor.fetchall()}
    extra_columns, extra_values = [], []
    for field in model._meta.concrete_fields:
        if field.column in required and field.column not in listed:
            value = field.get_db_prep_save(field.get_default(), connection)
            if value is None:
                raise ValueError(f"{table}.{field.column}: NOT NULL without a default")
            extra_columns.append(field.column)
            extra_values.append(_text(getattr(value, "adapted", value)))
    columns = ", ".join((*listed, *extra_columns))
    suffix = "".join("\t" + value for value in extra_values)
    return f"COPY {table} ({columns}) FROM STDIN", suffix
