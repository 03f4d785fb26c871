"""A patient's identity in the admin: a rename needs the confirmation, a save that lost a
race is refused, documents are stored and searched normalized."""

from __future__ import annotations

import pytest
from django.urls import reverse

from consultations import services
from consultations.models import Patient, PatientChange, Provider
from tests.consultations.patient_identity import (
    TYPED_DOCUMENTS,
    TYPED_NAME,
    new_patient_post,
    provider_post,
    snapshot,
)
from tests.errors import form_error_codes
from tests.factories import PatientFactory, ProviderFactory

pytestmark = pytest.mark.django_db


# --- The admin ----------------------------------------------------------------------------


def admin_data(known: Patient, **overrides) -> dict:
    data = {
        "name": known.name,
        "document_type": known.document_type,
        "document_number": known.document_number,
        "phone": str(known.phone),
        "email": known.email,
        "preferred_language": known.preferred_language,
        "data_processing_authorized": "on",
    }
    return data | overrides


def admin_change(known: Patient) -> str:
    return reverse("admin:consultations_patient_change", args=[known.pk])


def test_the_admin_refuses_a_rename_without_the_confirmation(clinic_admin_client, known):
    before = snapshot(known)
    response = clinic_admin_client.post(admin_change(known), admin_data(known, name=TYPED_NAME))
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form_error_codes(form)["name"] == ["name_change_unconfirmed"]
    assert snapshot(known) == before


def test_the_admin_renames_with_the_confirmation_and_records_it(
    clinic_admin_client, known, clinic_admin
):
    response = clinic_admin_client.post(
        admin_change(known), admin_data(known, name=TYPED_NAME, name_change_confirmed="on")
    )
    assert response.status_code == 302
    known.refresh_from_db()
    assert known.name == TYPED_NAME
    change = known.changes.get()
    assert (change.source, change.changed_by) == (PatientChange.Source.ADMIN, clinic_admin)
    page = clinic_admin_client.get(admin_change(known)).content.decode()
    assert "J. I. P." in page


def test_an_admin_save_that_lost_a_race_to_another_desk_is_refused_not_a_500(
    clinic_admin_client, known, monkeypatch
):
    """Another desk renames the patient after the admin's form passed: the service,
    checking the row it locks, refuses; the admin says so and keeps nothing."""
    real_save = services.patient_save

    def another_desk_renames_first(**kwargs):
        Patient.objects.filter(pk=known.pk).update(name="Otro Nombre Guardado")
        return real_save(**kwargs)

    monkeypatch.setattr(services, "patient_save", another_desk_renames_first)
    response = clinic_admin_client.post(
        admin_change(known), admin_data(known, phone="+573155554444"), follow=True
    )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == admin_change(known)
    shown = [str(m) for m in response.context["messages"]]
    assert any("«Otro Nombre Guardado»" in m for m in shown)
    known.refresh_from_db()
    # The whole admin save was undone, the other desk's rename included (one transaction
    # in this test: in real life that desk's commit stands).
    assert str(known.phone) != "+573155554444"
    assert not known.changes.exists()


# --- Document numbers as people type them ---------------------------------------------------


@pytest.mark.parametrize("typed", TYPED_DOCUMENTS[:2])
def test_admin_stores_patient_and_provider_documents_normalized(clinic_admin_client, typed):
    patient = new_patient_post(typed)
    added = clinic_admin_client.post(reverse("admin:consultations_patient_add"), patient)
    assert added.status_code == 302
    assert Patient.objects.get().document_number == "1020304050"
    added = clinic_admin_client.post(
        reverse("admin:consultations_provider_add"), provider_post(typed)
    )
    assert added.status_code == 302
    assert Provider.objects.get().document_number == "1020304050"


@pytest.mark.parametrize("model", [Provider, Patient], ids=["provider", "patient"])
def test_the_admin_search_finds_a_document_typed_with_separators(clinic_admin_client, model):
    make = ProviderFactory if model is Provider else PatientFactory
    wanted = make(document_number="99887766")
    make(document_number="11223344")
    url = reverse(f"admin:consultations_{model._meta.model_name}_changelist")
    for term in ("99.887.766", "99 887 766", "99-887-766"):
        response = clinic_admin_client.get(url, {"q": term})
        assert list(response.context["cl"].result_list) == [wanted], term
