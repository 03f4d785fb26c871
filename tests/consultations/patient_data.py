"""A patient's personal data, looked for everywhere it could be left: in an export and
in every text column of the tables that ever hold it."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.admin.models import LogEntry

from consultations.models import (
    AuditEntry,
    Consultation,
    ConsultationEvent,
    Delivery,
    JoinLink,
    Patient,
    PatientChange,
    WebhookDelivery,
)

# Every table a patient's data reaches (the audit trail too: it must never hold any).
TABLES = (
    Patient,
    PatientChange,
    Consultation,
    ConsultationEvent,
    Delivery,
    WebhookDelivery,
    JoinLink,
    LogEntry,
    AuditEntry,
)


def found_in(text: str, needles: list[str]) -> list[str]:
    """The needles `text` holds, case-insensitive."""
    folded = text.casefold()
    return [needle for needle in needles if needle.casefold() in folded]


def found_in_export(document: dict[str, Any], needles: list[str]) -> list[str]:
    return found_in(json.dumps(document, ensure_ascii=False, default=str), needles)


def found_in_database(needles: list[str]) -> dict[str, list[str]]:
    """{"table.column": the needles found there} over every row of `TABLES`."""
    found: dict[str, list[str]] = {}
    for model in TABLES:
        for row in model._default_manager.values():
            for column, value in row.items():
                if value is None:
                    continue
                text = (
                    json.dumps(value, ensure_ascii=False, default=str)
                    if isinstance(value, dict | list)
                    else str(value)
                )
                hits = found_in(text, needles)
                if hits:
                    found.setdefault(f"{model._meta.db_table}.{column}", []).extend(hits)
    return found
