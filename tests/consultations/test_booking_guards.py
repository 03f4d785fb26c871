"""The booking service checks its rules again, whoever calls it: a form may have been
filled long ago, by another desk, or not at all."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from consultations import services
from consultations.forms.booking import BookingForm
from consultations.models import Consultation, ConsultationEvent, Patient, Provider
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def codes(error: ValidationError, key: str) -> list[str]:
    return [item.code for item in error.error_dict.get(key, [])]


def assert_nothing_written(sandbox, *, patients: int) -> None:
    assert not Consultation.objects.exists()
    assert not ConsultationEvent.objects.exists()
    assert Patient.objects.count() == patients
    assert sandbox.stats()["requestsReceived"] == 0


# --- Ley 1581: the patient's authorization ------------------------------------------------------


def test_a_new_patient_without_authorization_is_refused_before_anything_is_sent(
    book_consultation, sandbox
):
    with pytest.raises(ValidationError) as refused:
        book_consultation(authorization_given=False)
    assert codes(refused.value, "authorization_given") == ["authorization_required"]
    assert_nothing_written(sandbox, patients=0)


def test_a_patient_who_never_authorized_is_refused(book_consultation, sandbox):
    stored = PatientFactory(data_processing_authorized=False)
    with pytest.raises(ValidationError) as refused:
        book_consultation(patient=stored, authorization_given=False)
    assert codes(refused.value, "authorization_given") == ["authorization_required"]
    assert_nothing_written(sandbox, patients=1)


def test_a_patient_submitted_as_new_is_matched_by_document_for_the_authorization(
    book_consultation, sandbox
):
    """A form built before the patient was registered elsewhere, unauthorized."""
    stored = PatientFactory(data_processing_authorized=False)
    submitted = Patient(
        document_type=stored.document_type,
        document_number=stored.document_number,
        name=stored.name,
        phone=stored.phone,
        email=stored.email,
    )
    with pytest.raises(ValidationError) as refused:
        book_consultation(patient=submitted, authorization_given=False)
    assert codes(refused.value, "authorization_given") == ["authorization_required"]
    assert_nothing_written(sandbox, patients=1)


def test_an_authorization_withdrawn_after_the_form_was_filled_is_refused(
    book_consultation, patient, sandbox
):
    # The form loaded the patient authorized; the patient page withdrew it since.
    Patient.objects.filter(pk=patient.pk).update(
        data_processing_authorized=False,
        data_processing_authorized_at=None,
        data_processing_policy_version="",
    )
    with pytest.raises(ValidationError) as refused:
        book_consultation(patient=patient, authorization_given=False)
    assert codes(refused.value, "authorization_given") == ["authorization_required"]
    assert_nothing_written(sandbox, patients=1)


def test_an_authorized_patient_needs_no_new_tick(book_consultation, patient):
    consultation = book_consultation(patient=patient, authorization_given=False)
    assert consultation.patient_id == patient.pk


def test_the_form_shows_the_services_authorization_error_on_its_box(booking_data):
    form = BookingForm(booking_data())
    assert form.is_valid(), form.errors
    form.add_service_errors(
        ValidationError(
            {"authorization_given": ValidationError("no", code="authorization_required")}
        )
    )
    assert form.has_error("authorization", "authorization_required")


# --- The provider, as locked --------------------------------------------------------------------


def test_a_provider_deactivated_after_the_form_was_loaded_is_refused(
    book_consultation, provider, sandbox
):
    # The form loaded `provider` active; an administrator deactivates them meanwhile.
    Provider.objects.filter(pk=provider.pk).update(is_active=False)
    assert provider.is_active  # the stale instance the service is handed
    with pytest.raises(ValidationError) as refused:
        book_consultation(provider=provider)
    assert codes(refused.value, "provider") == ["provider_inactive"]
    assert_nothing_written(sandbox, patients=0)


def test_the_form_then_the_service_with_a_provider_deactivated_in_between(
    booking_data, provider, receptionist, sandbox
):
    form = BookingForm(booking_data())
    assert form.is_valid(), form.errors
    Provider.objects.filter(pk=provider.pk).update(is_active=False)
    with pytest.raises(ValidationError) as refused:
        services.consultation_book(
            patient=form.instance,
            authorization_given=form.cleaned_data["authorization"],
            provider=form.cleaned_data["provider"],
            consultation_type=form.cleaned_data["consultation_type"],
            duration=form.cleaned_data["duration"],
            scheduled_for=form.cleaned_data["scheduled_for"],
            actor=receptionist,
            booking_token=form.cleaned_data["booking_token"],
        )
    form.add_service_errors(refused.value)
    assert form.has_error("provider", "provider_inactive")
    assert_nothing_written(sandbox, patients=0)
