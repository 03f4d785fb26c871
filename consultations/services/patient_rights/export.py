"""What the clinic holds about one patient, for their right to know (Ley 1581 de 2012,
art. 8 a): as one JSON document, or as a zip of one CSV file per section.

Everything stored about the patient is in it: the record, the authorization and its
withdrawal, their consultations, the emails sent to them (addresses masked, as the desk
shows them), each consultation's timeline, the changes to their record (masked, as
stored), their join links' states, and the audit trail's rows naming them: who at the
clinic reached their data, when, and what for (staff accounts named, their addresses
left out). Never a PIN, a join link or its token: they are keys to a room, not data
about the patient.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from consultations.clock import organization_zone
from consultations.exports import csv_cell
from consultations.models import (
    AuditEntry,
    ConsultationEvent,
    Delivery,
    JoinLink,
    Patient,
    PatientChange,
)
from consultations.services.audit import audit_record

# The export's sections, in order: one key of the JSON document and one CSV file each.
EXPORT_SECTIONS: tuple[str, ...] = (
    "patient",
    "authorization",
    "consultations",
    "deliveries",
    "events",
    "changes",
    "join_links",
    "access_log",
)
EXPORT_FORMAT = "clinic-desk-patient-export/1"


def patient_data_export(
    *,
    patient: Patient,
    actor: User | None,
    request: HttpRequest | None = None,
    file_format: str = "json",
) -> dict[str, Any]:
    """Everything held about `patient` (the sections of `EXPORT_SECTIONS`), as plain
    JSON values (times in ISO 8601 on the organization's clock), and a
    `DATA_EXPORTED` audit row naming `actor`, the `file_format` and the row counts
    (`request` only gives the audit row its address)."""
    with transaction.atomic():
        patient = Patient.objects.select_related(
            "data_processing_recorded_by", "data_processing_withdrawn_by"
        ).get(pk=patient.pk)
        document = _document(patient)
        audit_record(
            AuditEntry.Action.DATA_EXPORTED,
            request=request,
            actor=actor,
            target=patient,
            detail={
                "format": file_format,
                "rows": {
                    name: len(value)
                    for name, value in document.items()
                    if name in EXPORT_SECTIONS and isinstance(value, list)
                },
            },
        )
    return document


def patient_data_export_zip(document: dict[str, Any]) -> bytes:
    """`document` (a `patient_data_export`) as a zip: one CSV per section, its header
    the section's keys, cells a spreadsheet will not run (`exports.csv_cell`)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in EXPORT_SECTIONS:
            value = document[name]
            rows = value if isinstance(value, list) else [value]
            archive.writestr(f"{name}.csv", _csv_text(rows))
    return buffer.getvalue()


def _csv_text(rows: list[dict[str, Any]]) -> str:
    header: list[str] = []
    for row in rows:
        header.extend(key for key in row if key not in header)
    out = io.StringIO()
    # A byte-order mark, so that Excel reads UTF-8 (accents) right.
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_cell(_cell(row.get(key))) for key in header])
    return out.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def _document(patient: Patient) -> dict[str, Any]:
    consultations = list(
        patient.consultations.select_related(
            "provider", "consultation_type", "booked_by", "cancelled_by"
        ).order_by("starts_at", "pk")
    )
    ids = [c.pk for c in consultations]
    return {
        "format": EXPORT_FORMAT,
        "generated_at": _moment(timezone.now()),
        "patient": {
            "id": patient.pk,
            "document_type": patient.document_type,
            "document_number": patient.document_number,
            "name": patient.name,
            "phone": str(patient.phone or ""),
            "email": patient.email,
            "preferred_language": patient.preferred_language,
            "created_at": _moment(patient.created_at),
            "updated_at": _moment(patient.updated_at),
            "anonymized_at": _moment(patient.anonymized_at),
        },
        "authorization": {
            "authorized": patient.data_processing_authorized,
            "authorized_at": _moment(patient.data_processing_authorized_at),
            "policy_version": patient.data_processing_policy_version,
            "recorded_by": _username(patient.data_processing_recorded_by),
            "withdrawn_at": _moment(patient.data_processing_withdrawn_at),
            "withdrawal_recorded_by": _username(patient.data_processing_withdrawn_by),
        },
        "consultations": [
            {
                "id": c.pk,
                "status": c.status,
                "immediate": c.is_immediate,
                "starts_at": _moment(c.starts_at),
                "ends_at": _moment(c.ends_at),
                "duration_minutes": c.duration_id,
                "consultation_type": c.consultation_type.code,
                "provider": c.provider.name,
                "kairo_consultation_id": str(c.kairo_consultation_id or ""),
                "kairo_status": c.kairo_status,
                "session_started_at": _moment(c.session_started_at),
                "patient_joined_at": _moment(c.patient_joined_at),
                "provider_joined_at": _moment(c.provider_joined_at),
                "call_quality": c.call_quality,
                "cancelled_at": _moment(c.cancelled_at),
                "cancellation_reason": c.cancellation_reason,
                "booked_at": _moment(c.created_at),
                "booked_by": _username(c.booked_by),
            }
            for c in consultations
        ],
        "deliveries": [
            {
                "id": d.pk,
                "consultation_id": d.consultation_id,
                "kind": d.kind,
                "reminder_minutes_before": d.reminder_offset_minutes,
                "state": d.state,
                "attempts": d.attempts,
                "sent_to": d.masked_address,
                "sent_at": _moment(d.sent_at),
                "created_at": _moment(d.created_at),
            }
            for d in Delivery.objects.filter(
                consultation_id__in=ids, recipient=Delivery.Recipient.PATIENT
            ).order_by("created_at", "pk")
        ],
        "events": [
            {
                "consultation_id": e.consultation_id,
                "kind": e.kind,
                "at": _moment(e.created_at),
                "by": _username(e.actor),
                "detail": e.detail,
            }
            for e in ConsultationEvent.objects.filter(consultation_id__in=ids)
            .select_related("actor")
            .order_by("created_at", "pk")
        ],
        "changes": [
            {
                "field": change.field,
                "before_masked": change.old_value,
                "after_masked": change.new_value,
                "changed_at": _moment(change.changed_at),
                "changed_by": _username(change.changed_by),
                "where": change.source,
            }
            for change in PatientChange.objects.filter(patient=patient)
            .select_related("changed_by")
            .order_by("changed_at", "pk")
        ],
        "join_links": [
            {
                "consultation_id": link.consultation_id,
                "created_at": _moment(link.created_at),
                "revoked_at": _moment(link.revoked_at),
                "live": link.is_live,
            }
            for link in JoinLink.objects.filter(
                consultation_id__in=ids, recipient=Delivery.Recipient.PATIENT
            ).order_by("created_at", "pk")
        ],
        "access_log": [
            {
                "at": _moment(entry.at),
                "action": entry.action,
                "by": entry.actor_username,
                "object_type": entry.object_type,
                "object_id": entry.object_id,
            }
            for entry in AuditEntry.objects.filter(patient_id=patient.pk).order_by("at", "pk")
        ],
    }


def _moment(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(organization_zone()).isoformat()


def _username(user: Any) -> str:
    return user.get_username() if user is not None else ""
