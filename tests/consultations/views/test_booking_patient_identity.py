"""A patient's identity on the booking page: a known document with another name needs an
explicit confirmation; what sending would update is shown; documents typed with dots,
spaces or hyphens are stored normalized."""

from __future__ import annotations

import pytest
from django.urls import reverse

from consultations.models import Consultation, Patient
from tests.consultations.patient_identity import STORED_NAME, TYPED_DOCUMENTS, TYPED_NAME, snapshot

pytestmark = pytest.mark.django_db

NEW = "/consultations/new/"


# --- The booking form and page --------------------------------------------------------------


def post_for(booking_data, known: Patient, **overrides) -> dict:
    values = {
        "document_number": known.document_number,
        "name": TYPED_NAME,
        "phone": str(known.phone),
        "email": known.email,
        "authorization": None,
    }
    return booking_data(**(values | overrides))


def test_the_booking_page_refuses_a_rename_and_offers_the_confirmation(
    reception_client, booking_data, known, sandbox
):
    before = snapshot(known)
    response = reception_client.post(NEW, post_for(booking_data, known))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.has_error("name", "name_change_unconfirmed")
    page = response.content.decode()
    assert 'id="patient-on-file"' in page
    assert 'name="name_change_confirmed"' in page
    assert f"«{STORED_NAME}»" in page and f"«{TYPED_NAME}»" in page
    assert snapshot(known) == before
    assert not Consultation.objects.exists()
    assert sandbox.stats()["requestsReceived"] == 0


def test_the_booking_page_with_the_box_ticked_renames_the_patient(
    reception_client, booking_data, known, receptionist
):
    response = reception_client.post(NEW, post_for(booking_data, known, name_change_confirmed="on"))
    assert response.status_code == 302
    known.refresh_from_db()
    assert known.name == TYPED_NAME
    change = known.changes.get()
    assert (change.field, change.old_value, change.changed_by) == ("name", "J. I. P.", receptionist)


def test_the_booking_page_shows_what_sending_would_update(reception_client, booking_data, known):
    response = reception_client.post(
        NEW,
        post_for(
            booking_data,
            known,
            name=STORED_NAME,
            email="nueva@correo.example",
            provider="",  # refused for another reason: the page comes back
        ),
    )
    form = response.context["form"]
    assert form.has_error("provider")
    assert form.on_file.changes == ("email",)
    page = response.content.decode()
    assert 'data-field="email" data-change="updates"' in page
    assert 'name="name_change_confirmed"' not in page  # the name is the one on file


def test_the_booking_page_prefilled_with_a_patient_shows_their_record(reception_client, known):
    page = reception_client.get(NEW, {"patient": known.pk}).content.decode()
    assert 'id="patient-on-file"' in page
    assert "jorge.perez@correo.example" in page
    assert "data-change=" not in page


def test_the_booking_page_without_a_patient_has_an_empty_hidden_block(reception_client):
    page = reception_client.get(NEW).content.decode()
    assert 'id="patient-on-file"' in page
    assert 'aria-live="polite" hidden' in page


# --- Document numbers as people type them ---------------------------------------------------


@pytest.mark.parametrize("typed", TYPED_DOCUMENTS)
def test_booking_page_stores_the_document_normalized(reception_client, booking_data, typed):
    response = reception_client.post(NEW, booking_data(document_number=typed))
    assert response.status_code == 302
    assert Patient.objects.get().document_number == "1020304050"


def test_a_known_document_typed_with_dots_books_the_same_patient(
    reception_client, booking_data, known
):
    response = reception_client.post(
        NEW, post_for(booking_data, known, document_number="1.020.304.050", name=STORED_NAME)
    )
    assert response.status_code == 302
    assert Patient.objects.count() == 1
    assert Consultation.objects.get().patient_id == known.pk


def test_search_and_lookups_use_the_same_normalizer(reception_client, known):
    found = reception_client.get(reverse("patient_search"), {"q": "1020-304-050"}).json()
    assert [row["id"] for row in found["results"]] == [known.pk]
    assert Patient.objects.filter(document_number="1.020.304.050").get() == known
