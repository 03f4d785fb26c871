"""Providers and patients in the clinic admin: pages, search, filters, the
authorization."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from consultations import services
from consultations.models import Patient, ProfessionalType, Provider
from tests.consultations.admin.pages import admin_url
from tests.consultations.provider_forms import provider_post
from tests.factories import (
    ConsultationFactory,
    PatientFactory,
    ProviderFactory,
    SpecialistFactory,
    UserFactory,
    future,
)
from tests.untranslated import english_fragments, page_text

pytestmark = pytest.mark.django_db


# --- Directory ----------------------------------------------------------------------------


@pytest.mark.parametrize("model", [Provider, Patient], ids=["provider", "patient"])
def test_directory_pages_render(clinic_admin_client, model):
    row = ProviderFactory() if model is Provider else PatientFactory()

    for url in (
        admin_url(model, "changelist"),
        admin_url(model, "add"),
        admin_url(model, "change", row.pk),
    ):
        response = clinic_admin_client.get(url)
        assert response.status_code == 200, url


@pytest.mark.parametrize("model", [Provider, Patient], ids=["provider", "patient"])
def test_directory_search_by_name_and_document(clinic_admin_client, model):
    make = ProviderFactory if model is Provider else PatientFactory
    wanted = make(name="Gloria Esperanza Quintero Núñez", document_number="99887766")
    make(name="Otro Nombre Cualquiera", document_number="11223344")

    for term in ("Quintero", "99887766", "nunez"):
        response = clinic_admin_client.get(admin_url(model, "changelist") + f"?q={term}")
        assert list(response.context["cl"].result_list) == [wanted], term


def test_provider_filters(clinic_admin_client):
    specialist = SpecialistFactory()
    ProviderFactory(is_active=False)

    by_type = clinic_admin_client.get(
        admin_url(Provider, "changelist")
        + f"?professional_type__id__exact={specialist.professional_type_id}"
    )
    by_specialty = clinic_admin_client.get(
        admin_url(Provider, "changelist") + f"?specialty__id__exact={specialist.specialty_id}"
    )
    active = clinic_admin_client.get(admin_url(Provider, "changelist") + "?is_active__exact=1")

    for response in (by_type, by_specialty, active):
        assert list(response.context["cl"].result_list) == [specialist]


def test_patient_filters(clinic_admin_client):
    english = PatientFactory(preferred_language="en")
    PatientFactory(preferred_language="es")

    response = clinic_admin_client.get(
        admin_url(Patient, "changelist")
        + "?preferred_language__exact=en&data_processing_authorized__exact=0"
    )

    assert list(response.context["cl"].result_list) == [english]


def test_provider_form_offers_active_catalog_rows_and_the_current_one(clinic_admin_client):
    provider = ProviderFactory()  # a Médico General
    ProfessionalType.objects.filter(code__in=["MedicoGeneral", "Enfermero"]).update(is_active=False)

    add = clinic_admin_client.get(admin_url(Provider, "add"))
    change = clinic_admin_client.get(admin_url(Provider, "change", provider.pk))

    def offered(response):
        field = response.context["adminform"].form.fields["professional_type"]
        return set(field.queryset.values_list("code", flat=True))

    assert "MedicoGeneral" not in offered(add)
    assert "Enfermero" not in offered(add)
    assert "Psicologo" in offered(add)
    assert "MedicoGeneral" in offered(change)
    assert "Enfermero" not in offered(change)


def test_patient_authorization_from_the_admin_records_when_and_who(
    clinic_admin_client, clinic_admin
):
    patient = PatientFactory()
    data = {
        "name": patient.name,
        "document_type": patient.document_type,
        "document_number": patient.document_number,
        "phone": str(patient.phone),
        "email": patient.email,
        "preferred_language": "es",
        "data_processing_authorized": "on",
        "data_processing_policy_version": "2025-01",
    }

    response = clinic_admin_client.post(admin_url(Patient, "change", patient.pk), data)

    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.data_processing_authorized is True
    assert patient.data_processing_authorized_at is not None
    assert patient.data_processing_recorded_by == clinic_admin
    # The same service as the desk: the current policy version, never a typed one.
    assert patient.data_processing_policy_version == settings.DATA_PROCESSING_POLICY_VERSION


def _patient_post(patient, **changes) -> dict:
    data = {
        "name": patient.name,
        "document_type": patient.document_type,
        "document_number": patient.document_number,
        "phone": str(patient.phone),
        "email": patient.email,
        "preferred_language": patient.preferred_language,
    }
    if patient.data_processing_authorized:
        data["data_processing_authorized"] = "on"
    data.update(changes)
    return data


def test_patient_admin_records_the_authorization_only_when_it_changes(
    clinic_admin_client, clinic_admin
):
    recorded_by = UserFactory()
    patient = PatientFactory()
    patient.record_authorization(given=True, policy_version="2024-06", recorded_by=recorded_by)
    patient.save()
    recorded_at = patient.data_processing_authorized_at
    url = admin_url(Patient, "change", patient.pk)

    kept = clinic_admin_client.post(url, _patient_post(patient, email="nuevo@correo.example"))
    patient.refresh_from_db()
    assert kept.status_code == 302
    assert patient.email == "nuevo@correo.example"
    assert (
        patient.data_processing_policy_version,
        patient.data_processing_authorized_at,
        patient.data_processing_recorded_by,
    ) == ("2024-06", recorded_at, recorded_by)

    data = _patient_post(patient)
    del data["data_processing_authorized"]
    withdrawn = clinic_admin_client.post(url, data)
    patient.refresh_from_db()
    assert withdrawn.status_code == 302
    assert patient.data_processing_authorized is False
    assert patient.data_processing_policy_version == ""
    assert patient.data_processing_recorded_by == clinic_admin


def test_patient_added_in_the_admin_with_authorization_records_it(
    clinic_admin_client, clinic_admin
):
    data = _patient_post(PatientFactory.build(), data_processing_authorized="on")

    response = clinic_admin_client.post(admin_url(Patient, "add"), data)

    assert response.status_code == 302
    patient = Patient.objects.get(document_number=data["document_number"])
    assert patient.data_processing_authorized is True
    assert patient.data_processing_recorded_by == clinic_admin
    assert patient.data_processing_policy_version == settings.DATA_PROCESSING_POLICY_VERSION


def test_patient_admin_policy_version_is_read_only(clinic_admin_client):
    patient = PatientFactory()
    response = clinic_admin_client.get(admin_url(Patient, "change", patient.pk))
    form = response.context["adminform"].form
    assert "data_processing_authorized" in form.fields
    assert "data_processing_policy_version" not in form.fields


def test_provider_admin_page_lists_no_inactive_catalog_row(clinic_admin_client):
    ProfessionalType.objects.filter(code="Enfermero").update(is_active=False)
    enfermero = ProfessionalType.objects.get(code="Enfermero")
    psicologo = ProfessionalType.objects.get(code="Psicologo")

    html = clinic_admin_client.get(admin_url(Provider, "add")).content.decode()
    select = html[html.index('name="professional_type"') :]
    select = select[: select.index("</select>")]

    assert f'<option value="{psicologo.pk}">' in select
    assert f'<option value="{enfermero.pk}">' not in select


# --- Deactivating a provider with consultations ahead ------------------------------------


def test_the_admin_lists_consultations_ahead_after_deactivating(clinic_admin_client, provider):
    ahead = ConsultationFactory(provider=provider, starts_at=future(hours=30))
    url = reverse("admin:consultations_provider_change", args=[provider.pk])
    response = clinic_admin_client.post(url, provider_post(provider), follow=True)
    provider.refresh_from_db()
    assert not provider.is_active
    warnings = [m.message for m in response.context["messages"] if m.level_tag == "warning"]
    assert len(warnings) == 1
    assert ahead.patient.name in warnings[0]
    assert f"#{ahead.pk}" in warnings[0]


def test_an_anonymized_patient_is_shown_read_only(clinic_admin_client, clinic_admin):
    patient = PatientFactory()
    services.patient_anonymize(patient=patient, actor=clinic_admin)
    url = reverse("admin:consultations_patient_change", args=[patient.pk])

    page = clinic_admin_client.get(url)
    assert page.status_code == 200
    assert b'name="document_number"' not in page.content  # no editable field
    # Nor the name-change confirmation, which only a form has (it read "None" in English).
    assert b"name_change_confirmed" not in page.content
    assert english_fragments(page_text(page.content.decode())) == []
    refused = clinic_admin_client.post(url, {"name": "Otra Persona", "document_type": "CC"})
    assert refused.status_code == 403
    patient.refresh_from_db()
    assert patient.name == f"Paciente anonimizado #{patient.pk}"
