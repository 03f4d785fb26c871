"""A patient's identity on the directory pages: the on-file block, a rename on the patient
page needs the confirmation and shows in the history, documents stored normalized."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from consultations.models import Patient, PatientChange, Provider
from tests.consultations.patient_identity import (
    STORED_NAME,
    TYPED_DOCUMENTS,
    TYPED_NAME,
    new_patient_post,
    provider_post,
    snapshot,
)
from tests.errors import form_error_codes
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


# --- The on-file block --------------------------------------------------------------------


def test_the_on_file_block_for_the_script(reception_client, known):
    response = reception_client.post(
        reverse("patient_on_file"),
        {
            "document_type": "CC",
            "document_number": "1.020.304.050",
            "name": TYPED_NAME,
            "phone": "300 111 2233",
            "email": "otra@correo.example",
            "preferred_language": "es",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-field="name" data-change="needs_confirmation"' in page
    assert 'data-field="email" data-change="updates"' in page
    assert 'data-field="phone" data-change' not in page  # the same number, typed locally
    assert f"«{STORED_NAME}»" in page


def test_the_on_file_block_for_an_unknown_document_is_empty(reception_client):
    response = reception_client.post(
        reverse("patient_on_file"), {"document_type": "CC", "document_number": "99999999"}
    )
    assert response.status_code == 200
    assert "<table" not in response.content.decode()


def test_the_on_file_block_is_a_post_for_staff_only(reception_client, known):
    assert reception_client.get(reverse("patient_on_file")).status_code == 405
    outsider = Client()
    outsider.force_login(UserFactory(username="sin-permisos"))
    data = {"document_type": "CC", "document_number": known.document_number}
    assert outsider.post(reverse("patient_on_file"), data).status_code == 403
    assert Client().post(reverse("patient_on_file"), data).status_code == 302  # to login


# --- The patient page ---------------------------------------------------------------------


def patient_page_data(known: Patient, **overrides) -> dict:
    data = {
        "document_type": known.document_type,
        "document_number": known.document_number,
        "name": known.name,
        "phone": str(known.phone),
        "email": known.email,
        "preferred_language": known.preferred_language,
        "authorization": "on",
    }
    return data | overrides


def test_the_patient_page_refuses_a_rename_without_the_confirmation(reception_client, known):
    url = reverse("patient_edit", args=[known.pk])
    assert 'name="name_change_confirmed"' not in reception_client.get(url).content.decode()
    before = snapshot(known)
    response = reception_client.post(url, patient_page_data(known, name=TYPED_NAME))
    assert response.status_code == 200
    assert response.context["form"].has_error("name", "name_change_unconfirmed")
    page = response.content.decode()
    assert 'name="name_change_confirmed"' in page
    assert f"«{TYPED_NAME}»" in page
    assert snapshot(known) == before
    assert not known.changes.exists()


def test_the_patient_page_renames_with_the_confirmation_and_shows_the_history(
    reception_client, known, receptionist
):
    url = reverse("patient_edit", args=[known.pk])
    response = reception_client.post(
        url,
        patient_page_data(known, name=TYPED_NAME, name_change_confirmed="on", phone="310 999 8877"),
    )
    assert response.status_code == 302
    known.refresh_from_db()
    assert known.name == TYPED_NAME
    changes = {c.field: c for c in known.changes.all()}
    assert set(changes) == {"name", "phone"}
    assert {c.source for c in changes.values()} == {PatientChange.Source.PATIENT_PAGE}
    page = reception_client.get(reverse("patient_detail", args=[known.pk])).content.decode()
    assert 'id="patient-changes"' in page
    assert "J. I. P." in page and "•••877" in page
    assert receptionist.username in page
    assert "+573001112233" not in page  # the old phone is not kept
    # In the staff's language (Spanish by default): headings, fields and where.
    assert "Cambios en este registro" in page
    assert "Teléfono" in page and "página del paciente" in page


def test_a_patient_without_changes_says_so(reception_client, known):
    page = reception_client.get(reverse("patient_detail", args=[known.pk])).content.decode()
    assert 'id="patient-changes-none"' in page


# --- Document numbers as people type them ---------------------------------------------------


@pytest.mark.parametrize("typed", TYPED_DOCUMENTS)
def test_patient_page_stores_the_document_normalized(reception_client, typed):
    data = new_patient_post(typed)
    response = reception_client.post(reverse("patient_new"), data)
    assert response.status_code == 302
    assert Patient.objects.get().document_number == "1020304050"


@pytest.mark.parametrize("typed", TYPED_DOCUMENTS)
def test_provider_page_stores_the_document_normalized(clinic_admin_client, typed):
    response = clinic_admin_client.post(reverse("provider_new"), provider_post(typed))
    assert response.status_code == 302
    assert Provider.objects.get().document_number == "1020304050"


def test_a_document_that_is_too_short_once_normalized_is_refused(reception_client):
    data = {
        "document_type": "CC",
        "document_number": "1.234.567",  # 9 characters typed, 7 digits
        "name": TYPED_NAME,
        "phone": "300 123 4567",
        "email": "juan@correo.example",
        "preferred_language": "es",
    }
    response = reception_client.post(reverse("patient_new"), data)
    assert response.status_code == 200
    codes = form_error_codes(response.context["form"])["document_number"]
    assert codes == ["min_length"]


@pytest.mark.parametrize(
    ("typed", "code", "says"),
    [("1.234.567", "min_length", "at least 8"), ("1" * 21, "max_length", "at most 20")],
)
def test_document_length_errors_are_the_desks_own_words(reception_client, typed, code, says):
    reception_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    data = new_patient_post(typed)
    form = reception_client.post(reverse("patient_new"), data).context["form"]
    (error,) = form.errors.as_data()["document_number"]
    assert error.code == code
    assert says in error.messages[0] and "document number" in error.messages[0]
