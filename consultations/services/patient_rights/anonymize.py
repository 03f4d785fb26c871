"""Withdrawing a patient's authorization, and anonymizing a patient (Ley 1581 de 2012,
art. 8 e and art. 15)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from consultations import rules
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
from consultations.services.audit import audit_record

Action = AuditEntry.Action


def anonymized_label(patient_id: int) -> str:
    """The name an anonymized patient keeps, in the clinic's language: "Paciente
    anonimizado #42"."""
    with translation.override(settings.LANGUAGE_CODE):
        return _("Anonymized patient #%(id)s") % {"id": patient_id}


def anonymized_document_number(patient_id: int) -> str:
    """The placeholder document of an anonymized patient: "ANON00000042" (8 to 20
    letters or digits, valid for the field)."""
    return f"ANON{patient_id:08d}"


def _free_placeholder(patient: Patient) -> str:
    """The patient's placeholder, lengthened ("ANON00000042X", ...) in the unlikely case
    that a real passport already holds it, so the unique document constraint never
    refuses an anonymization."""
    placeholder = anonymized_document_number(patient.pk)
    taken = set(
        Patient.objects.filter(
            document_type=patient.document_type, document_number__startswith=placeholder
        )
        .exclude(pk=patient.pk)
        .values_list("document_number", flat=True)
    )
    while placeholder in taken:
        placeholder += "X"
    return placeholder


def patient_authorization_withdraw(
    *, patient: Patient, actor: User | None, request: HttpRequest | None = None
) -> Patient:
    """Record that the patient withdrew their authorization to process their data, now,
    by `actor`; audited (`AUTHORIZATION_WITHDRAWN`).

    From then on the patient is not booked (`rules.patient_authorization_check`, code
    `authorization_withdrawn`) until they give a new authorization, which staff record by
    ticking the box when booking or on the patient's page. Consultations already booked
    stay as they are. What had been given (when, which policy version) stays on the row,
    for the record. A withdrawal already standing is left as it is, with no second audit
    row. Raises ValidationError `patient_anonymized` for an anonymized patient.
    """
    with transaction.atomic():
        locked = Patient.objects.select_for_update().get(pk=patient.pk)
        rules.patient_anonymized_check(patient=locked)
        if locked.authorization_withdrawn:
            return locked
        locked.data_processing_authorized = False
        locked.data_processing_withdrawn_at = timezone.now()
        locked.data_processing_withdrawn_by = actor if _is_account(actor) else None
        locked.save(
            update_fields=[
                "data_processing_authorized",
                "data_processing_withdrawn_at",
                "data_processing_withdrawn_by",
                "updated_at",
            ]
        )
        audit_record(Action.AUTHORIZATION_WITHDRAWN, request=request, actor=actor, target=locked)
    return locked


def patient_anonymize(
    *, patient: Patient, actor: User | None, request: HttpRequest | None = None
) -> Patient:
    """Replace the patient's identity for good and scrub every copy of it; audited
    (`ANONYMIZED`), all in one transaction.

    Refused while a consultation of theirs is not over yet (ValidationError
    `consultation_ahead`, `rules.patient_anonymize_check`). The row and their
    consultations stay (countable in lists and exports, shown under the anonymized
    label); what goes is listed in `anonymized_scrub`. Anonymizing an anonymized patient
    changes nothing and writes no second audit row.
    """
    with transaction.atomic():
        locked = Patient.objects.select_for_update().get(pk=patient.pk)
        if locked.is_anonymized:
            return locked
        rules.patient_anonymize_check(patient=locked)
        counts = anonymized_scrub(locked)
        audit_record(Action.ANONYMIZED, request=request, actor=actor, target=locked, detail=counts)
    return locked


def anonymized_scrub(patient: Patient) -> dict[str, int]:
    """Anonymize `patient` (locked by the caller, in its transaction); return how many
    consultations it kept and how many webhook payloads it scrubbed (no personal data).

    - the record: name "Anonymized patient #id" (in the clinic's language), document a
      placeholder (`anonymized_document_number`), phone and email emptied, no
      authorization, `anonymized_at` set;
    - its history (`PatientChange`): the masked values emptied (which field changed,
      when and by whom stay);
    - its consultations: the stored body sent to Kairo gets the placeholder identity, the
      cancellation reason (free text) and the patient's PIN and room link are emptied;
    - the timelines' details, the emails' addresses and errors, Kairo's webhook payloads
      about its consultations (the masked patient dropped): any text still holding the
      name, document, phone or email is replaced;
    - the join links: revoked;
    - the admin's history (`LogEntry`): the record's name replaced by the label.
    The audit trail holds no personal data and is left alone.
    """
    now = timezone.now()
    label = anonymized_label(patient.pk)
    placeholder = _free_placeholder(patient)
    consultation_ids = list(patient.consultations.values_list("pk", flat=True))
    needles = _identities(patient, consultation_ids)

    patient.name = label
    patient.document_number = placeholder
    patient.phone = ""  # PhoneNumberField stores "" as no number
    patient.email = ""
    patient.data_processing_authorized = False
    patient.anonymized_at = now
    patient.save(
        update_fields=[
            "name",
            "document_number",
            "phone",
            "email",
            "data_processing_authorized",
            "anonymized_at",
            "updated_at",
        ]
    )
    PatientChange.objects.filter(patient=patient).update(old_value="", new_value="")

    for consultation in Consultation.objects.filter(pk__in=consultation_ids).only(
        "pk", "kairo_request"
    ):
        body = consultation.kairo_request
        if isinstance(body, dict) and isinstance(body.get("patient"), dict):
            body["patient"].update(
                {"documentNumber": placeholder, "name": label, "phone": "", "email": ""}
            )
        Consultation.objects.filter(pk=consultation.pk).update(
            kairo_request=_scrubbed(body, needles, label)
        )
    Consultation.objects.filter(pk__in=consultation_ids).update(
        cancellation_reason="", access_pin="", patient_join_url=""
    )

    for event in ConsultationEvent.objects.filter(consultation_id__in=consultation_ids):
        detail = _scrubbed(event.detail, needles, label)
        if detail != event.detail:
            ConsultationEvent.objects.filter(pk=event.pk).update(detail=detail)

    Delivery.objects.filter(
        consultation_id__in=consultation_ids, recipient=Delivery.Recipient.PATIENT
    ).update(to_address="")
    for delivery in Delivery.objects.filter(consultation_id__in=consultation_ids).exclude(
        last_error=""
    ):
        error = _scrubbed(delivery.last_error, needles, label)
        if error != delivery.last_error:
            Delivery.objects.filter(pk=delivery.pk).update(last_error=error)

    webhooks = 0
    ours = set(consultation_ids)
    # An unmatched delivery names the consultations it could be (`candidates`).
    deliveries = WebhookDelivery.objects.filter(
        Q(consultation_id__in=consultation_ids) | Q(outcome=WebhookDelivery.Outcome.UNMATCHED)
    )
    for webhook in deliveries:
        if webhook.consultation_id not in ours and not ours.intersection(webhook.candidates or []):
            continue
        payload = webhook.payload
        data = payload.get("data") if isinstance(payload, dict) else None
        if isinstance(data, dict):
            data.pop("patient", None)
        payload = _scrubbed(payload, needles, label)
        WebhookDelivery.objects.filter(pk=webhook.pk).update(payload=payload)
        webhooks += 1

    JoinLink.objects.filter(consultation_id__in=consultation_ids, revoked_at__isnull=True).update(
        revoked_at=now
    )
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Patient), object_id=str(patient.pk)
    ).update(object_repr=label[:200])
    return {"consultations": len(consultation_ids), "webhooks": webhooks}


def _identities(patient: Patient, consultation_ids: list[int]) -> list[str]:
    """Every name, document, phone and email the patient is known to have had here: as
    on the record now, as sent to Kairo with each booking, as each email was sent to."""
    values = {patient.name, patient.document_number, str(patient.phone or ""), patient.email}
    for body in Consultation.objects.filter(pk__in=consultation_ids).values_list(
        "kairo_request", flat=True
    ):
        sent = body.get("patient") if isinstance(body, dict) else None
        if isinstance(sent, dict):
            values.update(
                str(sent.get(key) or "") for key in ("name", "documentNumber", "phone", "email")
            )
    values.update(
        Delivery.objects.filter(
            consultation_id__in=consultation_ids, recipient=Delivery.Recipient.PATIENT
        ).values_list("to_address", flat=True)
    )
    # Too short to be anyone's (and it would match everything).
    return sorted(value for value in values if len(value) >= 4)


def _scrubbed(value: Any, needles: list[str], label: str) -> Any:
    """`value` (JSON: dicts, lists, strings...) with every text holding one of `needles`
    (case-insensitive) replaced by `label`."""
    if isinstance(value, str):
        folded = value.casefold()
        return label if any(n.casefold() in folded for n in needles) else value
    if isinstance(value, dict):
        return {key: _scrubbed(item, needles, label) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrubbed(item, needles, label) for item in value]
    return value


def _is_account(actor: User | None) -> bool:
    return actor is not None and actor.is_authenticated
