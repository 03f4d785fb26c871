"""The booking service checks its rules again, whoever calls it: a form may have been
filled long ago, by another desk, or not at all."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from consultations import rules, services
from consultations.forms.booking import BookingForm
from consultations.models import (
    Consultation,
    ConsultationEvent,
    ConsultationStatus,
    Delivery,
    Patient,
    Provider,
)
from consultations.services import lifecycle
from tests.errors import error_codes
from tests.factories import (
    ConsultationFactory,
    PatientFactory,
    ProviderFactory,
    future,
    remote_consultation,
)

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


# --- Refresh: Kairo reports a time that clashes here --------------------------------------------


class MovingKairo:
    """GET detail answers Pending, at `scheduled_at`, for any consultation."""

    def __init__(self, scheduled_at: dt.datetime) -> None:
        self.scheduled_at = scheduled_at

    def get_consultation(self, consultation_id):
        return remote_consultation(consultation_id=consultation_id, scheduled_at=self.scheduled_at)


@pytest.fixture
def two_bookings(provider):
    """The provider is busy at 3 h from now; `later` (theirs too) is at 5 h."""
    start = future(hours=3)
    taken = ConsultationFactory(provider=provider, starts_at=start)
    later = ConsultationFactory(
        provider=provider,
        starts_at=start + dt.timedelta(hours=2),
        kairo_consultation_id=uuid.uuid4(),
    )
    return taken, later


def refresh_events(consultation: Consultation) -> list[dict]:
    return list(
        consultation.events.filter(kind=ConsultationEvent.Kind.REFRESHED).values_list(
            "detail", flat=True
        )
    )


def test_a_new_time_that_clashes_keeps_the_local_window(two_bookings, receptionist):
    taken, later = two_bookings
    window = (later.scheduled_for, later.starts_at, later.ends_at, later.calendar_sequence)
    moved = taken.starts_at + dt.timedelta(minutes=10)

    with pytest.raises(services.RefreshTimeClash) as clash:
        services.consultation_refresh(
            consultation=later, actor=receptionist, client=MovingKairo(moved)
        )

    assert clash.value.kairo_scheduled_for == moved
    assert error_codes(clash.value.error)["provider"] == ["provider_busy"]
    assert clash.value.error.error_dict["provider"][0].params["provider"] == later.provider.name
    later.refresh_from_db()
    assert (later.scheduled_for, later.starts_at, later.ends_at, later.calendar_sequence) == window
    assert later.access_pin == "123456"  # the rest of Kairo's answer was applied
    assert later.kairo_last_request_id == "req_fixed"
    (detail,) = refresh_events(later)
    assert detail["time_clash"] == ["provider_busy"]
    assert dt.datetime.fromisoformat(detail["kairo_scheduled_at"]) == moved
    assert "time_changed" not in detail
    assert not Delivery.objects.filter(kind="time_changed").exists()


def test_a_new_time_that_clashes_for_the_patient_is_refused_on_the_patient(patient, receptionist):
    start = future(hours=3)
    ConsultationFactory(patient=patient, starts_at=start)  # with another provider
    ours = ConsultationFactory(
        patient=patient, starts_at=start + dt.timedelta(hours=2), kairo_consultation_id=uuid.uuid4()
    )
    with pytest.raises(services.RefreshTimeClash) as clash:
        services.consultation_refresh(
            consultation=ours, actor=receptionist, client=MovingKairo(start)
        )
    assert error_codes(clash.value.error)["patient"] == ["patient_busy"]
    assert "provider" not in clash.value.error.error_dict


def test_a_cancelled_consultation_follows_kairo_even_onto_a_busy_time(two_bookings, receptionist):
    taken, later = two_bookings
    Consultation.objects.filter(pk=later.pk).update(status=ConsultationStatus.CANCELLED)
    later.refresh_from_db()
    refreshed = services.consultation_refresh(
        consultation=later, actor=receptionist, client=MovingKairo(taken.starts_at)
    )
    assert refreshed.starts_at == taken.starts_at  # it holds no slot: nothing to clash


def test_the_refresh_page_explains_a_clashing_time_instead_of_failing(
    reception_client, two_bookings, monkeypatch
):
    taken, later = two_bookings
    monkeypatch.setattr(lifecycle, "kairo_client", lambda: MovingKairo(taken.starts_at))
    response = reception_client.post(reverse("consultation_refresh", args=[later.pk]), follow=True)
    assert response.status_code == 200
    (message,) = response.context["messages"]
    assert message.level_tag == "warning"
    assert later.provider.name in str(message)
    later.refresh_from_db()
    assert later.starts_at != taken.starts_at


@pytest.mark.postgres
def test_a_clash_committed_after_the_check_is_caught_by_the_constraint(
    two_bookings, receptionist, monkeypatch
):
    """PostgreSQL: the check saw the new time free, the exclusion constraint did not."""
    taken, later = two_bookings
    real = lifecycle.new_time_clash
    calls: list[Consultation] = []

    def first_misses(consultation):
        calls.append(consultation)
        return None if len(calls) == 1 else real(consultation)

    monkeypatch.setattr(lifecycle, "new_time_clash", first_misses)
    with pytest.raises(services.RefreshTimeClash) as clash:
        services.consultation_refresh(
            consultation=later, actor=receptionist, client=MovingKairo(taken.starts_at)
        )
    assert error_codes(clash.value.error)["provider"] == ["provider_busy"]
    assert len(calls) == 2
    later.refresh_from_db()
    assert later.starts_at != taken.starts_at
    (detail,) = refresh_events(later)
    assert detail["time_clash"] == ["provider_busy"]


@pytest.mark.postgres
def test_a_clash_gone_again_after_the_constraint_is_still_reported(
    two_bookings, receptionist, monkeypatch
):
    taken, later = two_bookings
    monkeypatch.setattr(lifecycle, "new_time_clash", lambda consultation: None)
    with pytest.raises(services.RefreshTimeClash) as clash:
        services.consultation_refresh(
            consultation=later, actor=receptionist, client=MovingKairo(taken.starts_at)
        )
    assert error_codes(clash.value.error)["provider"] == ["provider_busy"]
    later.refresh_from_db()
    assert later.starts_at != taken.starts_at
