"""patient_save and provider_save: documents stored normalized, a racing duplicate
reported as the model's own error."""

from __future__ import annotations

from functools import partial

import pytest
from django.core.exceptions import ValidationError

from consultations import services
from consultations.models import Patient, PatientChange, Provider
from tests.consultations.patient_identity import TYPED_DOCUMENTS
from tests.consultations.races import validation_misses_duplicates
from tests.errors import error_codes
from tests.factories import PatientFactory, ProviderFactory

pytestmark = pytest.mark.django_db


# --- Two desks saving the same document at once -------------------------------------------


@pytest.mark.parametrize("factory", [PatientFactory, ProviderFactory])
def test_the_service_reports_a_racing_duplicate_as_the_models_own_error(
    factory, monkeypatch, receptionist
):
    stored = factory()
    model = factory._meta.model
    validation_misses_duplicates(monkeypatch, model)
    record = factory.build(
        document_type=stored.document_type,
        document_number=stored.document_number,
        **({"professional_type": stored.professional_type} if model is Provider else {}),
    )
    save = (
        partial(services.patient_save, source=PatientChange.Source.PATIENT_PAGE)
        if model is Patient
        else services.provider_save
    )
    with pytest.raises(ValidationError) as refused:
        save(**{model._meta.model_name: record}, actor=receptionist)
    assert error_codes(refused.value)["document_number"] == ["duplicate_document"]
    assert model.objects.count() == 1


# --- Document numbers as people type them ---------------------------------------------------


@pytest.mark.parametrize("typed", TYPED_DOCUMENTS)
def test_the_service_stores_the_document_normalized(receptionist, typed):
    patient = PatientFactory.build(document_number=typed)
    services.patient_save(
        patient=patient, actor=receptionist, source=PatientChange.Source.PATIENT_PAGE
    )
    assert Patient.objects.get().document_number == "1020304050"


def test_a_passport_keeps_its_letters_and_loses_only_separators(receptionist):
    patient = PatientFactory.build(document_type="PAS", document_number="ab-12.34 567")
    services.patient_save(
        patient=patient, actor=receptionist, source=PatientChange.Source.PATIENT_PAGE
    )
    assert Patient.objects.get().document_number == "AB1234567"
