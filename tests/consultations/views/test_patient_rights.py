"""The patient page's data-protection section (Ley 1581), for clinic admins only: the
downloads, the withdrawal and the anonymizing, each confirmed by a POST and audited."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from django.urls import reverse

from consultations import services
from consultations.models import AuditEntry, ConsultationStatus, Patient
from consultations.services.patient_rights import EXPORT_SECTIONS
from tests.errors import form_error_codes
from tests.factories import ConsultationFactory, PatientFactory

pytestmark = pytest.mark.django_db

Action = AuditEntry.Action
NAMES = ("patient_data_json", "patient_data_csv", "patient_withdraw", "patient_anonymize")


@pytest.fixture
def patient_on_file(db):
    return PatientFactory(name="Lucía Fernanda Ortiz", document_number="52000111")


def test_only_clinic_admins_see_the_section(
    reception_client, client, clinic_admin, patient_on_file
):
    page = reception_client.get(reverse("patient_detail", args=[patient_on_file.pk]))
    assert b'id="data-rights"' not in page.content
    client.force_login(clinic_admin)
    page = client.get(reverse("patient_detail", args=[patient_on_file.pk]))
    assert b'id="data-rights"' in page.content
    assert reverse("patient_data_json", args=[patient_on_file.pk]).encode() in page.content


@pytest.mark.parametrize("name", NAMES)
def test_reception_is_refused_every_act(reception_client, patient_on_file, name):
    url = reverse(name, args=[patient_on_file.pk])
    assert reception_client.get(url).status_code == 403
    if name in ("patient_withdraw", "patient_anonymize"):
        assert reception_client.post(url).status_code == 403
    patient_on_file.refresh_from_db()
    assert not patient_on_file.is_anonymized and not patient_on_file.authorization_withdrawn
    assert not AuditEntry.objects.filter(patient_id=patient_on_file.pk).exists()


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("pk", [0, 987654, 99999999999999999999])
def test_an_unknown_patient_is_not_found(clinic_admin_client, name, pk):
    assert clinic_admin_client.get(reverse(name, args=[pk])).status_code == 404


def test_the_json_download(clinic_admin_client, clinic_admin, patient_on_file):
    response = clinic_admin_client.get(reverse("patient_data_json", args=[patient_on_file.pk]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    document = json.loads(response.content)
    assert set(EXPORT_SECTIONS) <= set(document)
    assert document["patient"]["name"] == "Lucía Fernanda Ortiz"
    entry = AuditEntry.objects.get(action=Action.DATA_EXPORTED)
    assert (entry.patient_id, entry.actor_id) == (patient_on_file.pk, clinic_admin.pk)
    assert entry.address == "127.0.0.1"


def test_the_csv_download(clinic_admin_client, patient_on_file):
    response = clinic_admin_client.get(reverse("patient_data_csv", args=[patient_on_file.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "no-store" in response["Cache-Control"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    rows = list(csv.DictReader(io.StringIO(archive.read("patient.csv").decode("utf-8-sig"))))
    assert rows[0]["document_number"] == "52000111"
    assert AuditEntry.objects.get(action=Action.DATA_EXPORTED).detail["format"] == "csv"


def test_the_downloads_are_not_posts(clinic_admin_client, patient_on_file):
    url = reverse("patient_data_json", args=[patient_on_file.pk])
    assert clinic_admin_client.post(url).status_code == 405


def test_recording_a_withdrawal(clinic_admin_client, patient_on_file):
    url = reverse("patient_withdraw", args=[patient_on_file.pk])
    confirm = clinic_admin_client.get(url)
    assert confirm.status_code == 200 and b'id="withdraw-confirm"' in confirm.content
    patient_on_file.refresh_from_db()
    assert not patient_on_file.authorization_withdrawn  # the GET changes nothing

    response = clinic_admin_client.post(url)

    assert response.status_code == 302
    assert response["Location"] == reverse("patient_detail", args=[patient_on_file.pk])
    patient_on_file.refresh_from_db()
    assert patient_on_file.authorization_withdrawn
    assert AuditEntry.objects.filter(action=Action.AUTHORIZATION_WITHDRAWN).count() == 1
    page = clinic_admin_client.get(response["Location"])
    assert b'id="authorization-withdrawn"' in page.content


def test_the_booking_form_refuses_a_withdrawn_patient_on_the_authorization(
    clinic_admin_client, booking_data, patient_on_file
):
    clinic_admin_client.post(reverse("patient_withdraw", args=[patient_on_file.pk]))
    data = booking_data(
        document_number=patient_on_file.document_number,
        name=patient_on_file.name,
        phone=str(patient_on_file.phone),
        email=patient_on_file.email,
        authorization="None",
    )

    response = clinic_admin_client.post(reverse("consultation_new"), data)

    assert response.status_code == 200
    assert form_error_codes(response.context["form"]) == {
        "authorization": ["authorization_withdrawn"]
    }


def test_anonymizing(clinic_admin_client, patient_on_file):
    url = reverse("patient_anonymize", args=[patient_on_file.pk])
    confirm = clinic_admin_client.get(url)
    assert confirm.status_code == 200 and b'id="anonymize-warning"' in confirm.content
    assert b'id="anonymize-errors"' not in confirm.content

    response = clinic_admin_client.post(url)

    assert response.status_code == 302
    patient_on_file.refresh_from_db()
    assert patient_on_file.is_anonymized
    assert AuditEntry.objects.filter(action=Action.ANONYMIZED).count() == 1
    page = clinic_admin_client.get(reverse("patient_detail", args=[patient_on_file.pk]))
    assert b'id="patient-anonymized"' in page.content
    assert b'id="patient-book"' not in page.content and b'id="patient-edit"' not in page.content
    assert b'id="data-anonymize"' not in page.content
    again = clinic_admin_client.get(url)
    assert b'id="already-anonymized"' in again.content


def test_anonymizing_is_refused_with_the_reason_while_a_consultation_is_ahead(
    clinic_admin_client, patient_on_file
):
    ConsultationFactory(patient=patient_on_file, status=ConsultationStatus.BOOKED)
    url = reverse("patient_anonymize", args=[patient_on_file.pk])

    confirm = clinic_admin_client.get(url)
    assert b'data-codes="consultation_ahead"' in confirm.content
    response = clinic_admin_client.post(url)

    assert response.status_code == 409
    assert b'data-codes="consultation_ahead"' in response.content
    assert not Patient.objects.get(pk=patient_on_file.pk).is_anonymized
    assert not AuditEntry.objects.filter(action=Action.ANONYMIZED).exists()


def test_the_state_changes_need_the_csrf_token(client, clinic_admin, patient_on_file):
    from django.test import Client

    guarded = Client(enforce_csrf_checks=True)
    guarded.force_login(clinic_admin)
    for name in ("patient_withdraw", "patient_anonymize"):
        assert guarded.post(reverse(name, args=[patient_on_file.pk])).status_code == 403
    patient_on_file.refresh_from_db()
    assert not patient_on_file.is_anonymized and not patient_on_file.authorization_withdrawn


def test_the_booking_form_refuses_an_anonymized_patient_on_the_document(
    clinic_admin_client, booking_data, patient_on_file
):
    clinic_admin_client.post(reverse("patient_anonymize", args=[patient_on_file.pk]))
    patient_on_file.refresh_from_db()
    data = booking_data(document_number=patient_on_file.document_number, name=patient_on_file.name)

    response = clinic_admin_client.post(reverse("consultation_new"), data)

    assert response.status_code == 200
    assert form_error_codes(response.context["form"]) == {"document_number": ["patient_anonymized"]}
    assert patient_on_file.consultations.count() == 0


def test_an_anonymized_patient_s_pages_still_answer(clinic_admin_client, clinic_admin):
    consultation = ConsultationFactory(status=ConsultationStatus.COMPLETED)
    patient = consultation.patient
    services.patient_anonymize(patient=patient, actor=clinic_admin)
    label = f"Paciente anonimizado #{patient.pk}".encode()
    for url in (
        reverse("patient_detail", args=[patient.pk]),
        reverse("patient_edit", args=[patient.pk]),
        f"{reverse('consultation_new')}?patient={patient.pk}",
        reverse("consultation_detail", args=[consultation.pk]),
        f"{reverse('consultation_list')}?patient={patient.pk}",
        f"{reverse('consultation_export')}?patient={patient.pk}",
        f"{reverse('patient_list')}?q=anonimizado",
        f"{reverse('patient_search')}?q=anonimizado",
        reverse("admin:consultations_patient_changelist"),
        reverse("admin:consultations_consultation_change", args=[consultation.pk]),
    ):
        response = clinic_admin_client.get(url)
        assert response.status_code == 200, url
        if response.streaming:
            assert b"".join(response.streaming_content)
    page = clinic_admin_client.get(reverse("consultation_detail", args=[consultation.pk]))
    assert label in page.content
    refused = clinic_admin_client.post(
        reverse("patient_edit", args=[patient.pk]),
        {
            "document_type": "CC",
            "document_number": "1020304050",
            "name": "Juan Camilo Gómez",
            "phone": "+573109876543",
            "email": "juan@correo.example",
            "preferred_language": "es",
            "name_change_confirmed": "on",
        },
    )
    assert refused.status_code == 200
    assert form_error_codes(refused.context["form"]) == {"document_number": ["patient_anonymized"]}
    patient.refresh_from_db()
    assert patient.is_anonymized and patient.document_number == f"ANON{patient.pk:08d}"
