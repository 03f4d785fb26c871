"""Reading the audit trail in tests: the one row an act wrote, and that it carries no
personal data (the whole row serialized, searched for each value)."""

from __future__ import annotations

from django.core import serializers

from consultations.models import AuditEntry, Consultation, Patient

# The client address the audit tests send their requests from.
ADDRESS = "203.0.113.9"


def only_row(action: str) -> AuditEntry:
    rows = list(AuditEntry.objects.filter(action=action))
    assert len(rows) == 1, rows
    return rows[0]


def personal_values(*, patient: Patient | None = None, consultation: Consultation | None = None):
    """What no audit row may hold: the patient's name, document, phone and email; the
    consultation's PIN, Kairo's room links and the clinic's join-link tokens."""
    if consultation is not None:
        patient = patient or consultation.patient
    values = []
    if patient is not None:
        values += [patient.name, patient.document_number, str(patient.phone), patient.email]
        values += patient.name.split()
    if consultation is not None:
        values += [
            consultation.access_pin,
            consultation.patient_join_url,
            consultation.provider_join_url,
            *consultation.join_links.values_list("token", flat=True),
        ]
    return [value for value in values if value and len(value) >= 4]


def assert_no_personal_data(entry: AuditEntry, values: list[str]) -> None:
    text = serializers.serialize("json", [entry])
    # The json serializer escapes non-ASCII: compare with the same escaping, and plain.
    escaped = serializers.serialize("json", [entry], ensure_ascii=False)
    for value in values:
        assert value not in text and value not in escaped, value


def assert_row(
    entry: AuditEntry,
    *,
    actor,
    object_type: str,
    object_id,
    patient_id: int | None,
    address: str = ADDRESS,
) -> None:
    assert (entry.actor_id, entry.actor_username) == (actor.pk, actor.get_username())
    assert (entry.object_type, entry.object_id) == (object_type, str(object_id))
    assert entry.patient_id == patient_id
    assert entry.address == address
