"""The booking service checks its rules again, whoever calls it: a form may have been
filled long ago, by another desk, or not at all."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from consultations import rules, services
from consultations.forms.booking import BookingForm
from consultations.models import Consultation, ConsultationEvent, Patient, Provider
from tests.errors import error_codes
from tests.factories import ConsultationFactory, PatientFactory, ProviderFactory, future

pytestmark = pytest.mark.django_db


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
    assert error_codes(refused.value)["authorization_given"] == ["authorization_required"]
    assert_nothing_written(sandbox, patients=0)


def test_a_patient_who_never_authorized_is_refused(book_consultation, sandbox):
    stored = PatientFactory(data_processing_authorized=False)
    with pytest.raises(ValidationError) as refused:
        book_consultation(patient=stored, authorization_given=False)
    assert error_codes(refused.value)["authorization_given"] == ["authorization_required"]
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
    assert error_codes(refused.value)["authorization_given"] == ["authorization_required"]
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
    assert error_codes(refused.value)["authorization_given"] == ["authorization_required"]
    assert_nothing_written(sandbox, patients=1)


def test_an_authorized_patient_needs_no_new_tick(book_consultation, patient):
    consultation = book_consultation(patient=patient, authorization_given=False)
    assert consultation.patient_id == patient.pk


# --- The provider, as locked --------------------------------------------------------------------


def test_a_provider_deactivated_after_the_form_was_loaded_is_refused(
    book_consultation, provider, sandbox
):
    # The form loaded `provider` active; an administrator deactivates them meanwhile.
    Provider.objects.filter(pk=provider.pk).update(is_active=False)
    assert provider.is_active  # the stale instance the service is handed
    with pytest.raises(ValidationError) as refused:
        book_consultation(provider=provider)
    assert error_codes(refused.value)["provider"] == ["provider_inactive"]
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


def test_a_used_token_returns_its_booking_before_any_rule_is_checked_again(
    book_consultation, provider, sandbox
):
    """The service looks the token up once, in its transaction, before the rules: a
    resubmission gets its booking even though the provider is inactive by now and
    the slot is taken (by that booking itself)."""
    first = book_consultation()
    Provider.objects.filter(pk=provider.pk).update(is_active=False)
    again = book_consultation(booking_token=first.booking_token, authorization_given=False)
    assert again.pk == first.pk
    assert Consultation.objects.count() == 1
    assert sandbox.stats()["createsReceived"] == 1


# --- PostgreSQL's exclusion constraints, when the check missed the clash ------------------------


@pytest.fixture
def check_misses_once(monkeypatch):
    """The service's rules check passes once, as if the clash committed just after it;
    later calls (naming who is busy) run the real rules."""
    real = rules.booking_check
    calls: list[dict] = []

    def first_misses(**values) -> None:
        calls.append(values)
        if len(calls) > 1:
            real(**values)

    monkeypatch.setattr(rules, "booking_check", first_misses)
    return calls


@pytest.mark.postgres
def test_the_provider_constraint_is_a_friendly_error_naming_the_provider(
    book_consultation, provider, sandbox, check_misses_once
):
    start = future(hours=3)
    taken = ConsultationFactory(provider=provider, starts_at=start)
    with pytest.raises(ValidationError) as refused:
        book_consultation(scheduled_for=start + dt.timedelta(minutes=10))  # a new patient

    (error,) = refused.value.error_dict["provider"]
    assert error.code == "provider_busy"
    assert error.params["provider"] == provider.name
    assert len(check_misses_once) == 2  # the missed check, then the one naming who
    assert list(Consultation.objects.values_list("pk", flat=True)) == [taken.pk]
    assert not ConsultationEvent.objects.exists()
    assert Patient.objects.count() == 1  # the new patient's upsert was rolled back too
    assert sandbox.stats()["requestsReceived"] == 0


@pytest.mark.postgres
def test_the_patient_constraint_is_a_friendly_error_naming_the_patient(
    book_consultation, patient, sandbox, check_misses_once
):
    start = future(hours=3)
    elsewhere = ProviderFactory()
    taken = ConsultationFactory(provider=elsewhere, patient=patient, starts_at=start)
    with pytest.raises(ValidationError) as refused:
        book_consultation(patient=patient, scheduled_for=start + dt.timedelta(minutes=15))

    (error,) = refused.value.error_dict["patient"]
    assert error.code == "patient_busy"
    assert error.params["patient"] == patient.name
    assert error.params["provider"] == elsewhere.name
    assert "provider" not in refused.value.error_dict  # our provider is free
    assert list(Consultation.objects.values_list("pk", flat=True)) == [taken.pk]
    assert not ConsultationEvent.objects.exists()
    assert sandbox.stats()["requestsReceived"] == 0


@pytest.mark.postgres
def test_a_clash_gone_again_is_still_refused_on_the_constraints_party(
    book_consultation, provider, sandbox, monkeypatch
):
    start = future(hours=3)
    ConsultationFactory(provider=provider, starts_at=start)
    monkeypatch.setattr(rules, "booking_check", lambda **values: None)  # never sees it
    with pytest.raises(ValidationError) as refused:
        book_consultation(scheduled_for=start)

    assert error_codes(refused.value)["provider"] == ["provider_busy"]
    assert Consultation.objects.count() == 1
    assert sandbox.stats()["requestsReceived"] == 0
