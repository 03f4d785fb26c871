"""The desk's acts in the audit trail: one row per act, naming who, what, which patient
and from where, and none of the patient's data."""

from __future__ import annotations

import pytest
from django.urls import reverse

from consultations.models import AuditEntry, Consultation, Patient, Provider
from tests.consultations.audit_rows import (
    ADDRESS,
    assert_no_personal_data,
    assert_row,
    only_row,
    personal_values,
)
from tests.consultations.views.test_directory import patient_data, provider_data
from tests.factories import ConsultationFactory, PatientFactory

pytestmark = pytest.mark.django_db
Action = AuditEntry.Action


def _consultation_row(action: str, consultation: Consultation, actor) -> AuditEntry:
    consultation.refresh_from_db()
    entry = only_row(action)
    assert_row(
        entry,
        actor=actor,
        object_type="consultation",
        object_id=consultation.pk,
        patient_id=consultation.patient_id,
    )
    assert_no_personal_data(entry, personal_values(consultation=consultation))
    return entry


# --- Seeing a consultation's PIN and links ------------------------------------------------


def test_the_detail_page_records_who_saw_the_pin_and_links(reception_client, receptionist, booked):
    assert booked.access_pin and booked.join_links.exists()
    response = reception_client.get(
        reverse("consultation_detail", args=[booked.pk]), REMOTE_ADDR=ADDRESS
    )
    assert response.status_code == 200
    entry = _consultation_row(Action.CONSULTATION_VIEWED, booked, receptionist)
    assert entry.detail == {"page": "detail", "shown": ["pin", "kairo_links", "join_links"]}


def test_the_result_page_records_who_saw_the_pin(reception_client, receptionist, booked):
    reception_client.get(reverse("consultation_result", args=[booked.pk]), REMOTE_ADDR=ADDRESS)
    entry = _consultation_row(Action.CONSULTATION_VIEWED, booked, receptionist)
    # The result page has no clinic join links section.
    assert entry.detail == {"page": "result", "shown": ["pin", "kairo_links"]}


def test_a_missing_consultation_records_nothing(reception_client):
    assert reception_client.get(reverse("consultation_detail", args=[999999])).status_code == 404
    assert not AuditEntry.objects.filter(action=Action.CONSULTATION_VIEWED).exists()


# --- Booking -------------------------------------------------------------------------------


def test_booking_records_who_booked(reception_client, receptionist, booking_data):
    data = booking_data()
    response = reception_client.post(reverse("consultation_new"), data, REMOTE_ADDR=ADDRESS)
    consultation = Consultation.objects.get()
    assert response.status_code == 302
    entry = _consultation_row(Action.BOOKED, consultation, receptionist)
    assert entry.detail == {"status": "booked"}
    # Nor what was typed into the form.
    assert_no_personal_data(entry, [data["name"], data["document_number"], data["email"]])


def test_a_booking_kairo_refused_records_no_booking(reception_client, booking_data, sandbox):
    sandbox.arm_fault("429")
    reception_client.post(reverse("consultation_new"), booking_data())
    assert Consultation.objects.get().status == "rejected"
    assert not AuditEntry.objects.filter(action=Action.BOOKED).exists()


def test_a_booking_a_rule_refused_records_no_booking(reception_client, booking_data, sandbox):
    # No Ley 1581 authorization for a new patient: refused before anything is written.
    response = reception_client.post(reverse("consultation_new"), booking_data(authorization=""))
    assert response.status_code == 200
    assert not Consultation.objects.exists()
    assert sandbox.stats()["createsReceived"] == 0
    assert not AuditEntry.objects.filter(action=Action.BOOKED).exists()


def test_the_same_form_sent_twice_records_one_booking(reception_client, booking_data):
    data = booking_data()
    reception_client.post(reverse("consultation_new"), data)
    reception_client.post(reverse("consultation_new"), data)
    assert AuditEntry.objects.filter(action=Action.BOOKED).count() == 1


def _on_file(data: dict[str, str], **changes: str) -> Patient:
    """The booking form's patient already on file (with `changes` from what it sends)."""
    fields = ("document_type", "document_number", "name", "phone", "email")
    values = {field: data[field] for field in (*fields, "preferred_language")}
    return PatientFactory(**{**values, **changes})


def _assert_patient_row(entry: AuditEntry, actor, patient: Patient) -> None:
    assert_row(
        entry, actor=actor, object_type="patient", object_id=patient.pk, patient_id=patient.pk
    )


def test_a_booking_for_a_new_patient_records_the_patient_created(
    reception_client, receptionist, booking_data
):
    data = booking_data()
    reception_client.post(reverse("consultation_new"), data, REMOTE_ADDR=ADDRESS)
    patient = Patient.objects.get()
    entry = only_row(Action.PATIENT_CREATED)
    _assert_patient_row(entry, receptionist, patient)
    assert entry.detail["page"] == "booking"
    assert_no_personal_data(entry, personal_values(patient=patient))


def test_a_booking_that_corrects_a_patient_records_the_fields_changed(
    reception_client, receptionist, booking_data
):
    data = booking_data()
    patient = _on_file(data, phone="+573001112233")
    reception_client.post(reverse("consultation_new"), data, REMOTE_ADDR=ADDRESS)
    assert Consultation.objects.get().patient_id == patient.pk
    entry = only_row(Action.PATIENT_CHANGED)
    _assert_patient_row(entry, receptionist, patient)
    assert entry.detail == {"fields": ["phone"], "page": "booking"}
    assert not AuditEntry.objects.filter(action=Action.PATIENT_CREATED).exists()


def test_a_booking_for_a_patient_unchanged_records_no_patient_change(
    reception_client, booking_data
):
    data = booking_data()
    _on_file(data)
    reception_client.post(reverse("consultation_new"), data)
    assert Consultation.objects.exists()
    assert not AuditEntry.objects.filter(
        action__in=[Action.PATIENT_CREATED, Action.PATIENT_CHANGED]
    ).exists()


def test_a_booking_a_rule_refused_records_no_patient(reception_client, booking_data, provider):
    # The slot's rule fails inside the transaction that saved the patient: both roll back.
    reception_client.post(reverse("consultation_new"), booking_data())
    response = reception_client.post(
        reverse("consultation_new"), booking_data(document_number="5566778899")
    )
    assert response.status_code == 200
    assert Patient.objects.count() == 1
    assert AuditEntry.objects.filter(action=Action.PATIENT_CREATED).count() == 1


# --- Acting on a consultation --------------------------------------------------------------


def test_refresh_is_recorded(reception_client, receptionist, booked):
    response = reception_client.post(
        reverse("consultation_refresh", args=[booked.pk]), REMOTE_ADDR=ADDRESS
    )
    assert response.status_code == 302
    _consultation_row(Action.REFRESHED, booked, receptionist)


def test_cancel_is_recorded_without_its_reason(reception_client, receptionist, booked):
    reason = "Motivo privado del paciente"
    response = reception_client.post(
        reverse("consultation_cancel", args=[booked.pk]), {"reason": reason}, REMOTE_ADDR=ADDRESS
    )
    assert response.status_code == 302
    entry = _consultation_row(Action.CANCELLED, booked, receptionist)
    assert_no_personal_data(entry, [reason])


def test_the_cancel_page_alone_records_no_cancel(reception_client, booked):
    reception_client.get(reverse("consultation_cancel", args=[booked.pk]))
    assert not AuditEntry.objects.filter(action=Action.CANCELLED).exists()


def test_resend_is_recorded_with_its_recipient(
    reception_client, receptionist, booked, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reception_client.post(
            reverse("consultation_resend", args=[booked.pk]),
            {"recipient": "provider"},
            REMOTE_ADDR=ADDRESS,
        )
    entry = _consultation_row(Action.RESENT, booked, receptionist)
    assert entry.detail == {"recipient": "provider"}
    assert_no_personal_data(entry, [booked.provider.email, booked.provider.name])


def test_a_refused_resend_is_not_recorded(reception_client, booked):
    reception_client.post(reverse("consultation_resend", args=[booked.pk]), {"recipient": "x"})
    assert not AuditEntry.objects.filter(action=Action.RESENT).exists()


def test_reissuing_the_join_links_is_recorded(reception_client, receptionist, booked):
    old_tokens = list(booked.join_links.values_list("token", flat=True))
    reception_client.post(
        reverse("consultation_join_links_reissue", args=[booked.pk]), REMOTE_ADDR=ADDRESS
    )
    entry = _consultation_row(Action.JOIN_LINK_REISSUED, booked, receptionist)
    assert_no_personal_data(entry, old_tokens)


# --- Export --------------------------------------------------------------------------------


def test_the_export_records_its_rows_format_and_filter_names_not_values(
    reception_client, receptionist, booked
):
    document = booked.patient.document_number
    response = reception_client.get(
        reverse("consultation_export"), {"q": document, "format": "excel"}, REMOTE_ADDR=ADDRESS
    )
    assert b"".join(response.streaming_content).count(b"\n") == 2  # the header and the row
    entry = only_row(Action.EXPORTED)
    assert_row(entry, actor=receptionist, object_type="consultation", object_id="", patient_id=None)
    assert entry.detail == {"rows": 1, "format": "excel", "filters": ["document_number"]}
    assert_no_personal_data(entry, personal_values(consultation=booked))


def test_an_export_with_bad_filters_records_nothing(reception_client):
    response = reception_client.get(reverse("consultation_export"), {"status": "nonsense"})
    assert response.status_code == 302
    assert not AuditEntry.objects.filter(action=Action.EXPORTED).exists()


# --- Patients and providers ----------------------------------------------------------------


@pytest.mark.parametrize("page, view", [("detail", "patient_detail"), ("edit", "patient_edit")])
def test_a_patients_page_records_who_saw_it(reception_client, receptionist, page, view):
    patient = PatientFactory()
    reception_client.get(reverse(view, args=[patient.pk]), REMOTE_ADDR=ADDRESS)
    entry = only_row(Action.PATIENT_VIEWED)
    assert_row(
        entry,
        actor=receptionist,
        object_type="patient",
        object_id=patient.pk,
        patient_id=patient.pk,
    )
    assert entry.detail == {"page": page}
    assert_no_personal_data(entry, personal_values(patient=patient))


@pytest.mark.parametrize("query", ["patient", "rebook"])
def test_a_booking_form_filled_with_a_patient_records_who_saw_it(
    reception_client, receptionist, query
):
    consultation = ConsultationFactory()
    patient = consultation.patient
    value = patient.pk if query == "patient" else consultation.pk
    response = reception_client.get(
        reverse("consultation_new"), {query: value}, REMOTE_ADDR=ADDRESS
    )
    assert patient.document_number in response.content.decode()
    entry = only_row(Action.PATIENT_VIEWED)
    assert_row(
        entry,
        actor=receptionist,
        object_type="patient",
        object_id=patient.pk,
        patient_id=patient.pk,
    )
    assert entry.detail == {"page": "booking"}
    assert_no_personal_data(entry, personal_values(patient=patient))


def test_an_empty_booking_form_records_nothing(reception_client):
    reception_client.get(reverse("consultation_new"), {"patient": "999999"})
    assert not AuditEntry.objects.filter(action=Action.PATIENT_VIEWED).exists()


def test_creating_a_patient_is_recorded(reception_client, receptionist):
    response = reception_client.post(
        reverse("patient_new"), patient_data(authorization="on"), REMOTE_ADDR=ADDRESS
    )
    assert response.status_code == 302
    patient = Patient.objects.get()
    entry = only_row(Action.PATIENT_CREATED)
    assert_row(
        entry,
        actor=receptionist,
        object_type="patient",
        object_id=patient.pk,
        patient_id=patient.pk,
    )
    assert "name" in entry.detail["fields"]
    assert_no_personal_data(entry, personal_values(patient=patient))


def test_changing_a_patient_records_the_fields_not_the_values(reception_client, receptionist):
    patient = PatientFactory(**patient_data(phone="+573001234567"))
    old_email = patient.email
    response = reception_client.post(
        reverse("patient_edit", args=[patient.pk]),
        patient_data(email="nueva.direccion@example.test"),
        REMOTE_ADDR=ADDRESS,
    )
    assert response.status_code == 302
    entry = only_row(Action.PATIENT_CHANGED)
    assert_row(
        entry,
        actor=receptionist,
        object_type="patient",
        object_id=patient.pk,
        patient_id=patient.pk,
    )
    assert entry.detail == {"fields": ["email"]}
    patient.refresh_from_db()
    assert_no_personal_data(entry, [old_email, *personal_values(patient=patient)])


def test_a_refused_patient_save_records_nothing(reception_client):
    reception_client.post(reverse("patient_new"), patient_data(email="not-an-email"))
    assert not AuditEntry.objects.filter(action=Action.PATIENT_CREATED).exists()


def test_creating_and_changing_a_provider_is_recorded(clinic_admin_client, clinic_admin):
    clinic_admin_client.post(reverse("provider_new"), provider_data(), REMOTE_ADDR=ADDRESS)
    provider = Provider.objects.get()
    created = only_row(Action.PROVIDER_CREATED)
    assert_row(
        created, actor=clinic_admin, object_type="provider", object_id=provider.pk, patient_id=None
    )
    data = provider_data(professional_type=provider.professional_type_id, phone="+57 310 555 0199")
    clinic_admin_client.post(
        reverse("provider_edit", args=[provider.pk]), data, REMOTE_ADDR=ADDRESS
    )
    changed = only_row(Action.PROVIDER_CHANGED)
    assert changed.detail == {"fields": ["phone"]}
    for entry in (created, changed):
        assert_no_personal_data(entry, [provider.name, provider.document_number, provider.email])


def test_the_type_ahead_is_not_recorded(reception_client):
    # A request per keystroke, answering names and masked documents only: the pages a
    # receptionist opens from it are recorded instead.
    PatientFactory(name="Ana Lucía Beltrán")
    response = reception_client.get(reverse("patient_search"), {"q": "Lucía"})
    assert len(response.json()["results"]) == 1
    assert not AuditEntry.objects.exclude(action=Action.LOGIN).exists()


# --- Who has seen this patient's data ------------------------------------------------------


def test_the_patient_page_links_clinic_admins_to_the_patients_audit_rows(clinic_admin_client):
    patient = PatientFactory()
    url = reverse("patient_detail", args=[patient.pk])
    page = clinic_admin_client.get(url).content.decode()
    audit_url = reverse("admin:consultations_auditentry_changelist")
    assert f'href="{audit_url}?patient_id={patient.pk}"' in page


def test_the_patient_page_offers_receptionists_no_audit_link(reception_client):
    patient = PatientFactory()
    page = reception_client.get(reverse("patient_detail", args=[patient.pk])).content.decode()
    assert 'id="patient-audit"' not in page
