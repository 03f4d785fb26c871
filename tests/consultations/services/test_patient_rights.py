"""A patient's data rights (Ley 1581): the export holds every section, the withdrawal
stops bookings, anonymizing leaves no trace of the identity anywhere yet keeps the
consultations; each act audited once."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import uuid
import zipfile

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.utils import timezone

from consultations import services
from consultations.kairo import contract
from consultations.kairo.webhook_body import webhook_envelope_parse
from consultations.models import (
    AuditEntry,
    Consultation,
    ConsultationEvent,
    ConsultationStatus,
    Delivery,
    JoinLink,
    Patient,
    PatientChange,
    WebhookDelivery,
    name_search_key,
)
from consultations.services.patient_rights import EXPORT_SECTIONS, anonymized_document_number
from consultations.services.webhooks import webhook_event_apply
from tests.consultations.patient_data import found_in_database, found_in_export
from tests.consultations.webhook_posts import envelope
from tests.errors import code_of, error_codes
from tests.factories import ConsultationFactory, PatientFactory, future

pytestmark = pytest.mark.django_db

Action = AuditEntry.Action
Status = ConsultationStatus
NAME, DOCUMENT = "Juan Camilo Gómez", "1020304050"
PHONE, EMAIL = "+573109876543", "juan.gomez@correo.example"
NEW_EMAIL = "juanca.gomez@otro.example"


def audits(action: str, patient: Patient) -> int:
    return AuditEntry.objects.filter(action=action, patient_id=patient.pk).count()


def completed_by_webhook(consultation: Consultation, event: str) -> None:
    body = envelope(event, consultation.kairo_consultation_id)
    webhook_event_apply(
        delivery_id=str(uuid.uuid4()), envelope=webhook_envelope_parse(json.dumps(body).encode())
    )


@pytest.fixture
def history(book_consultation, receptionist, clinic_admin, django_capture_on_commit_callbacks):
    """Juan Camilo Gómez with a whole history: two bookings (emails sent), one completed
    by Kairo's webhooks, one cancelled with his name in the reason, an email corrected
    on his record, a line in the admin's history, an unmatched webhook naming his
    consultation, and a timeline line holding his name (as an older version could)."""
    with django_capture_on_commit_callbacks(execute=True):
        first = book_consultation()
        second = book_consultation(scheduled_for=future(hours=6))
    patient = first.patient
    assert second.patient == patient
    completed_by_webhook(first, contract.EVENT_SESSION_STARTED)
    completed_by_webhook(first, contract.EVENT_CONSULTATION_COMPLETED)
    with django_capture_on_commit_callbacks(execute=True):
        services.consultation_cancel(
            consultation=second, actor=receptionist, reason=f"{NAME} llamó para cancelar"
        )
    patient.refresh_from_db()
    patient.email = NEW_EMAIL
    services.patient_save(
        patient=patient, actor=receptionist, source=PatientChange.Source.PATIENT_PAGE
    )
    LogEntry.objects.create(
        user=clinic_admin,
        content_type=ContentType.objects.get_for_model(Patient),
        object_id=str(patient.pk),
        object_repr=NAME,
        action_flag=CHANGE,
        change_message="[]",
    )
    WebhookDelivery.objects.create(
        delivery_id=str(uuid.uuid4()),
        event=contract.EVENT_CONSULTATION_CREATED,
        payload={"data": {"patient": {"nameInitials": "JCG"}, "note": f"{DOCUMENT}"}},
        outcome=WebhookDelivery.Outcome.UNMATCHED,
        candidates=[second.pk],
    )
    ConsultationEvent.objects.create(
        consultation=first, kind=ConsultationEvent.Kind.EMAIL, detail={"to": EMAIL}
    )
    first.refresh_from_db()
    assert first.status == Status.COMPLETED
    return patient


def test_the_export_holds_every_section_and_is_audited(history, clinic_admin):
    document = services.patient_data_export(patient=history, actor=clinic_admin)

    assert set(EXPORT_SECTIONS) <= set(document)
    assert document["patient"]["name"] == NAME
    assert document["patient"]["document_number"] == DOCUMENT
    assert document["authorization"]["authorized"] is True
    assert len(document["consultations"]) == 2
    assert {c["status"] for c in document["consultations"]} == {Status.COMPLETED, Status.CANCELLED}
    assert document["deliveries"] and all(
        d["sent_to"].startswith("j***@") for d in document["deliveries"]
    )
    assert {e["kind"] for e in document["events"]} >= {"booked", "webhook", "cancelled"}
    assert [c["field"] for c in document["changes"]] == ["email"]
    assert document["join_links"] and all("token" not in link for link in document["join_links"])
    # Never a key to a room.
    text = json.dumps(document)
    for consultation in history.consultations.exclude(access_pin=""):
        assert consultation.access_pin not in text
    assert "/j/" not in text
    entry = AuditEntry.objects.get(action=Action.DATA_EXPORTED, patient_id=history.pk)
    assert entry.actor_id == clinic_admin.pk
    assert entry.detail["rows"]["consultations"] == 2
    # The next export tells who reached the data (the address left out).
    again = services.patient_data_export(patient=history, actor=clinic_admin)
    assert again["access_log"][-1] == {
        "at": again["access_log"][-1]["at"],
        "action": Action.DATA_EXPORTED,
        "by": clinic_admin.username,
        "object_type": "patient",
        "object_id": str(history.pk),
    }


def test_the_csv_export_is_one_parsable_file_per_section(history, clinic_admin):
    document = services.patient_data_export(patient=history, actor=clinic_admin, file_format="csv")
    archive = zipfile.ZipFile(io.BytesIO(services.patient_data_export_zip(document)))

    assert sorted(archive.namelist()) == sorted(f"{name}.csv" for name in EXPORT_SECTIONS)
    sections = {
        name: list(csv.DictReader(io.StringIO(archive.read(f"{name}.csv").decode("utf-8-sig"))))
        for name in EXPORT_SECTIONS
    }
    assert sections["patient"][0]["name"] == NAME
    assert len(sections["consultations"]) == 2
    assert len(sections["events"]) == len(document["events"])
    assert json.loads(sections["events"][0]["detail"]) == document["events"][0]["detail"]
    assert AuditEntry.objects.get(action=Action.DATA_EXPORTED).detail["format"] == "csv"


def test_export_and_anonymize_round_trip(history, clinic_admin):
    """After anonymizing, neither the export nor any row of any table holds the name,
    the document, a phone or an email the patient had; the consultations stay."""
    needles = [
        NAME,
        name_search_key(NAME),  # "juan camilo gomez", as the name search keeps it
        DOCUMENT,
        PHONE,
        PHONE.removeprefix("+57"),
        EMAIL,
        NEW_EMAIL,
    ]
    before = services.patient_data_export(patient=history, actor=clinic_admin)
    assert found_in_export(before, needles)
    assert found_in_database(needles)
    count = Consultation.objects.filter(patient=history).count()

    services.patient_anonymize(patient=history, actor=clinic_admin)
    after = services.patient_data_export(patient=history, actor=clinic_admin)

    assert found_in_export(after, needles) == []
    assert found_in_database(needles) == {}
    assert Consultation.objects.filter(patient=history).count() == count == 2
    assert len(after["consultations"]) == 2
    history.refresh_from_db()
    assert history.is_anonymized and history.name == f"Paciente anonimizado #{history.pk}"
    assert history.document_number == f"ANON{history.pk:08d}"
    assert not history.data_processing_authorized
    assert not JoinLink.objects.filter(consultation__patient=history, revoked_at=None).exists()
    assert not Delivery.objects.filter(
        consultation__patient=history, recipient=Delivery.Recipient.PATIENT
    ).exclude(to_address="")
    assert LogEntry.objects.get(object_id=str(history.pk)).object_repr == history.name
    # The webhooks' masked patient is gone too (initials and last digits).
    for webhook in WebhookDelivery.objects.all():
        assert "patient" not in webhook.payload.get("data", {})
    # Every act audited, once each.
    assert audits(Action.DATA_EXPORTED, history) == 2
    assert audits(Action.ANONYMIZED, history) == 1


def test_anonymizing_twice_changes_nothing_more(history, clinic_admin):
    services.patient_anonymize(patient=history, actor=clinic_admin)
    history.refresh_from_db()
    first = history.anonymized_at

    services.patient_anonymize(patient=history, actor=clinic_admin)

    history.refresh_from_db()
    assert history.anonymized_at == first
    assert audits(Action.ANONYMIZED, history) == 1


def test_anonymizing_is_refused_while_a_consultation_is_ahead(book_consultation, clinic_admin):
    consultation = book_consultation()
    patient = consultation.patient

    assert (
        code_of(lambda: services.patient_anonymize(patient=patient, actor=clinic_admin))
        == "consultation_ahead"
    )

    patient.refresh_from_db()
    assert patient.name == NAME and not patient.is_anonymized
    assert audits(Action.ANONYMIZED, patient) == 0


@pytest.mark.parametrize("status", [Status.IN_PROGRESS, Status.UNCONFIRMED, Status.SENDING])
def test_anonymizing_waits_for_every_consultation_not_over(status, clinic_admin):
    started = timezone.now() - dt.timedelta(minutes=10)
    consultation = ConsultationFactory(status=status, starts_at=started)
    assert (
        code_of(
            lambda: services.patient_anonymize(patient=consultation.patient, actor=clinic_admin)
        )
        == "consultation_ahead"
    )


def test_a_consultation_over_or_cancelled_does_not_hold_anonymizing(clinic_admin):
    patient = PatientFactory()
    ConsultationFactory(patient=patient, status=Status.CANCELLED)
    past = timezone.now() - dt.timedelta(days=3)
    ConsultationFactory(patient=patient, status=Status.BOOKED, starts_at=past)  # stale

    services.patient_anonymize(patient=patient, actor=clinic_admin)

    patient.refresh_from_db()
    assert patient.is_anonymized


def test_an_anonymized_patient_is_neither_changed_nor_booked(
    history, clinic_admin, receptionist, book_consultation
):
    services.patient_anonymize(patient=history, actor=clinic_admin)
    history.refresh_from_db()

    history.name = NAME
    refused = error_codes(
        _refusal(
            lambda: services.patient_save(
                patient=history, actor=receptionist, source=PatientChange.Source.PATIENT_PAGE
            )
        )
    )
    assert refused == {"document_number": ["patient_anonymized"]}

    history.refresh_from_db()
    refused = error_codes(_refusal(lambda: book_consultation(patient=history)))
    assert refused == {"patient": ["patient_anonymized"]}
    # The person, back with their real document, is a new patient.
    again = book_consultation(scheduled_for=future(hours=10))
    assert again.patient.pk != history.pk and again.patient.name == NAME


def test_a_withdrawal_stops_bookings_until_a_new_authorization(
    patient, receptionist, clinic_admin, book_consultation
):
    services.patient_authorization_withdraw(patient=patient, actor=clinic_admin)
    patient.refresh_from_db()
    assert patient.authorization_withdrawn
    assert patient.data_processing_withdrawn_by == clinic_admin
    assert patient.data_processing_authorized_at is not None  # what had been given stays
    assert audits(Action.AUTHORIZATION_WITHDRAWN, patient) == 1

    refused = error_codes(
        _refusal(lambda: book_consultation(patient=patient, authorization_given=False))
    )
    assert refused == {"authorization_given": ["authorization_withdrawn"]}

    consultation = book_consultation(patient=patient, authorization_given=True)
    patient.refresh_from_db()
    assert consultation.patient == patient
    assert patient.data_processing_authorized and not patient.authorization_withdrawn
    assert patient.data_processing_authorized_at > patient.data_processing_withdrawn_at


def test_a_withdrawal_stands_against_a_booking_that_loaded_the_patient_before(
    patient, clinic_admin, book_consultation
):
    """The booking saw the authorization; the withdrawal committed after: refused."""
    stale = Patient.objects.get(pk=patient.pk)
    services.patient_authorization_withdraw(patient=patient, actor=clinic_admin)

    refused = error_codes(
        _refusal(lambda: book_consultation(patient=stale, authorization_given=False))
    )

    assert refused == {"authorization_given": ["authorization_withdrawn"]}
    patient.refresh_from_db()
    assert patient.authorization_withdrawn


def test_a_withdrawal_keeps_the_consultations_booked(book_consultation, clinic_admin):
    consultation = book_consultation()

    services.patient_authorization_withdraw(patient=consultation.patient, actor=clinic_admin)

    consultation.refresh_from_db()
    assert consultation.status == Status.BOOKED


def test_a_second_withdrawal_is_not_recorded_again(patient, clinic_admin):
    services.patient_authorization_withdraw(patient=patient, actor=clinic_admin)
    first = Patient.objects.get(pk=patient.pk).data_processing_withdrawn_at

    services.patient_authorization_withdraw(patient=patient, actor=clinic_admin)

    assert Patient.objects.get(pk=patient.pk).data_processing_withdrawn_at == first
    assert audits(Action.AUTHORIZATION_WITHDRAWN, patient) == 1


def _refusal(call):
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value


def test_a_passport_holding_the_placeholder_does_not_stop_an_anonymization(clinic_admin):
    patient = PatientFactory()
    placeholder = anonymized_document_number(patient.pk)
    holder = PatientFactory(document_type=patient.document_type, document_number=placeholder)

    services.patient_anonymize(patient=patient, actor=clinic_admin)

    patient.refresh_from_db()
    holder.refresh_from_db()
    assert patient.is_anonymized
    assert patient.document_number.startswith(placeholder)
    assert holder.document_number == placeholder != patient.document_number
