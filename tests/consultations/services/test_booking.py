"""consultation_book against the in-process sandbox: every Kairo outcome, the one-time
token, the rules checked again, the timeline."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import OperationalError
from django.utils import timezone

from consultations import clock, rules, services
from consultations.kairo import contract
from consultations.kairo.client import KairoClient, KairoOutcome
from consultations.models import (
    Consultation,
    ConsultationEvent,
    ConsultationStatus,
    ConsultationType,
    Duration,
    Patient,
    PatientChange,
)
from consultations.services.booking import outcomes as booking_outcomes
from tests.consultations.services.privacy import assert_no_personal_data_in_events
from tests.errors import error_codes
from tests.factories import ConsultationFactory, PatientFactory, ProviderFactory, future, org_zone

pytestmark = pytest.mark.django_db

Status = ConsultationStatus
Kind = ConsultationEvent.Kind


def kinds(consultation: Consultation) -> list[str]:
    return list(consultation.events.order_by("created_at", "id").values_list("kind", flat=True))


# --- Success -------------------------------------------------------------------------------


def test_a_booking_is_stored_sent_once_and_booked(book, sandbox, receptionist):
    consultation = book()
    assert consultation.status == Status.BOOKED
    assert consultation.kairo_consultation_id is not None
    assert len(consultation.access_pin) == contract.ACCESS_PIN_LENGTH
    assert consultation.patient_join_url.endswith("?type=patient")
    assert consultation.provider_join_url.endswith("?type=provider")
    assert consultation.kairo_expires_at == consultation.ends_at
    assert consultation.kairo_status == contract.STATUS_PENDING
    assert consultation.kairo_last_request_id.startswith("req_")
    assert consultation.booked_by == receptionist
    assert sandbox.stats()["createsReceived"] == 1
    assert kinds(consultation) == [Kind.BOOKING_STARTED, Kind.BOOKED]
    booked_event = consultation.events.get(kind=Kind.BOOKED)
    assert booked_event.kairo_request_id == consultation.kairo_last_request_id
    assert_no_personal_data_in_events(consultation)


def test_the_exact_request_is_stored_before_sending(book):
    scheduled = future(hours=3)
    consultation = book(scheduled_for=scheduled)
    body = consultation.kairo_request
    wire = scheduled.astimezone(clock.organization_zone()).strftime(contract.WIRE_DATETIME_FORMAT)
    assert body["scheduledAt"] == wire
    assert body["durationMinutes"] == 30
    assert body["patient"]["documentNumber"] == "1020304050"
    assert body["provider"]["professionalType"] == "MedicoGeneral"
    assert "medicalSpecialtyCode" not in body["provider"]


def test_an_immediate_booking_sends_no_scheduled_at(book):
    consultation = book(scheduled_for=None)
    assert consultation.status == Status.BOOKED
    assert "scheduledAt" not in consultation.kairo_request
    assert consultation.is_immediate
    assert consultation.starts_at <= timezone.now()


def test_a_new_patient_is_created_with_the_authorization_recorded(book, receptionist, settings):
    consultation = book()
    patient = consultation.patient
    assert patient.data_processing_authorized
    assert patient.data_processing_recorded_by == receptionist
    assert patient.data_processing_policy_version == settings.DATA_PROCESSING_POLICY_VERSION


def test_an_existing_patient_is_corrected_in_place(book, patient, receptionist):
    patient.name = "Jorge Iván Pérez"
    patient.save()
    submitted = Patient(
        document_type=patient.document_type,
        document_number=patient.document_number,
        name="Nombre Corregido",
        phone=patient.phone,
        email="corregido@correo.example",
    )
    consultation = book(patient=submitted, authorization_given=False, name_change_confirmed=True)
    assert consultation.patient_id == patient.pk
    patient.refresh_from_db()
    assert (patient.name, patient.email) == ("Nombre Corregido", "corregido@correo.example")
    assert patient.data_processing_authorized  # not withdrawn by an unticked box
    assert Patient.objects.count() == 1
    changes = {c.field: c for c in patient.changes.all()}
    assert set(changes) == {"name", "email"}
    assert (changes["name"].old_value, changes["name"].new_value) == ("J. I. P.", "N. C.")
    assert changes["email"].new_value == "c***@c***.example"
    assert {c.source for c in changes.values()} == {PatientChange.Source.BOOKING}
    assert {c.changed_by for c in changes.values()} == {receptionist}


# --- The one-time token ----------------------------------------------------------------------


def test_a_resubmitted_token_returns_the_booking_without_calling_kairo_again(book, sandbox):
    token = uuid.uuid4()
    first = book(booking_token=token)
    again = book(booking_token=token, scheduled_for=future(hours=5))
    assert again.pk == first.pk
    assert Consultation.objects.count() == 1
    assert sandbox.stats()["createsReceived"] == 1


def test_a_resubmitted_token_of_a_refused_booking_does_not_resend(book, sandbox):
    token = uuid.uuid4()
    sandbox.arm_fault("429")
    with pytest.raises(services.BookingRefused):
        book(booking_token=token)
    again = book(booking_token=token)
    assert again.status == Status.REJECTED
    assert sandbox.stats()["createsReceived"] == 1


# --- Rules inside the transaction -----------------------------------------------------------


def test_rules_are_checked_again_and_nothing_is_written(book, provider):
    taken = ConsultationFactory(provider=provider)
    with pytest.raises(ValidationError) as caught:
        book(scheduled_for=taken.starts_at)
    assert error_codes(caught.value)["provider"][0] == "provider_busy"
    assert not Patient.objects.filter(document_number="1020304050").exists()
    assert Consultation.objects.count() == 1


@pytest.mark.parametrize("party", ["provider", "patient"])
def test_a_window_kairo_still_holds_is_refused_here_without_calling_kairo(
    book, sandbox, receptionist, party
):
    """Kairo has no cancel operation: the cancelled room keeps its window there until it
    expires, so rebooking over it is refused here, with no create sent."""
    cancelled = services.consultation_cancel(
        consultation=book(), actor=receptionist, reason="El paciente no puede"
    )
    other = {"provider": ProviderFactory()} if party == "patient" else {}
    if party == "provider":
        other["patient"] = PatientFactory.build(document_number="99887766")
    creates = sandbox.stats()["createsReceived"]
    with pytest.raises(ValidationError) as caught:
        book(scheduled_for=cancelled.starts_at + dt.timedelta(minutes=10), **other)
    assert error_codes(caught.value)[party][0] == f"{party}_held_by_kairo"
    assert sandbox.stats()["createsReceived"] == creates
    assert Consultation.objects.count() == 1


def test_back_to_back_with_a_cancelled_window_is_booked(book, sandbox, receptionist):
    cancelled = services.consultation_cancel(
        consultation=book(), actor=receptionist, reason="El paciente no puede"
    )
    again = book(scheduled_for=cancelled.ends_at)
    assert again.status == Status.BOOKED


def test_a_busy_patient_is_refused_under_patient(book, patient):
    taken = ConsultationFactory(patient=patient)
    submitted = Patient.objects.get(pk=patient.pk)
    with pytest.raises(ValidationError) as caught:
        book(patient=submitted, scheduled_for=taken.starts_at)
    assert error_codes(caught.value)["patient"][0] == "patient_busy"


def test_too_little_notice_is_refused_under_scheduled_for(book):
    with pytest.raises(ValidationError) as caught:
        book(scheduled_for=future(hours=0, minutes=5))
    assert error_codes(caught.value)["scheduled_for"][0] == "too_soon"


def test_a_start_beyond_the_horizon_is_refused_under_scheduled_for(book, settings, sandbox):
    """Checked again inside the transaction: a caller that skipped the form is refused
    before anything is written or sent."""
    settings.BOOKING_HORIZON_DAYS = 10
    with pytest.raises(ValidationError) as caught:
        book(scheduled_for=future(hours=11 * 24))
    assert error_codes(caught.value)["scheduled_for"] == ["beyond_horizon"]
    assert not Consultation.objects.exists()


def test_the_year_9999_is_refused_not_overflowed(book):
    with pytest.raises(ValidationError) as caught:
        book(scheduled_for=dt.datetime(9999, 12, 31, 23, 0, tzinfo=org_zone()))
    assert error_codes(caught.value)["scheduled_for"] == ["beyond_horizon"]


def test_an_inactive_provider_is_refused(book, provider):
    provider.is_active = False
    provider.save()
    with pytest.raises(ValidationError) as caught:
        book()
    assert error_codes(caught.value)["provider"][0] == "provider_inactive"


# --- Unknown outcomes: unconfirmed, slot held, never re-sent ----------------------------------


@pytest.mark.parametrize(
    ("fault", "code", "has_request_id"),
    [
        ("timeout", "TIMEOUT", False),
        ("drop", "CONNECTION_LOST", False),
        ("500", "INTERNAL_ERROR", True),
        ("502", "SERVER_ERROR", False),
        ("malformed", "MALFORMED_RESPONSE", False),
    ],
)
def test_unknown_outcomes_leave_the_booking_unconfirmed(
    book, sandbox, provider, fault, code, has_request_id
):
    sandbox.arm_fault(fault)
    consultation = book()
    assert consultation.status == Status.UNCONFIRMED
    assert consultation.kairo_consultation_id is None
    assert consultation.access_pin == ""
    assert sandbox.stats()["createsReceived"] == 1
    event = consultation.events.get(kind=Kind.UNCONFIRMED)
    assert event.detail["code"] == code
    assert bool(event.kairo_request_id) == has_request_id
    # The slot stays held: Kairo may well have created it.
    with pytest.raises(ValidationError) as caught:
        rules.provider_free_check(
            provider=provider, starts_at=consultation.starts_at, ends_at=consultation.ends_at
        )
    assert caught.value.code == "provider_busy"
    assert_no_personal_data_in_events(consultation)


def test_an_unexpected_failure_of_the_call_is_unknown_too(book, sandbox, monkeypatch):
    def explode(self, request):
        raise RuntimeError("a bug in a library")

    monkeypatch.setattr(KairoClient, "create_consultation", explode)
    consultation = book()
    assert consultation.status == Status.UNCONFIRMED
    assert consultation.events.get(kind=Kind.UNCONFIRMED).detail["code"] == "UNEXPECTED_ERROR"


def test_a_late_success_after_a_sweep_still_books(book, monkeypatch):
    """The sweep may mark a slow booking unconfirmed before Kairo answers: the answer wins."""
    real_create = KairoClient.create_consultation

    def slow_create(self, request):
        Consultation.objects.filter(status=Status.SENDING).update(status=Status.UNCONFIRMED)
        return real_create(self, request)

    monkeypatch.setattr(KairoClient, "create_consultation", slow_create)
    assert book().status == Status.BOOKED


# --- Refusals: rejected, kept for the record, slot released -----------------------------------


def test_a_409_from_kairo_is_a_rejection_naming_the_provider(book, sandbox, provider):
    scheduled = future(hours=4)
    # Kairo already has a consultation for this provider that we do not know about.
    with KairoClient.from_settings() as client:
        client.create_consultation(
            services.booking.kairo_request_build(
                Consultation(
                    provider=provider,
                    patient=PatientFactory.build(document_number="77777777"),
                    consultation_type=ConsultationType.objects.get(code="ConsultaGeneral"),
                    duration=Duration.objects.get(minutes=30),
                    scheduled_for=scheduled,
                )
            )
        )
    with pytest.raises(services.BookingRefused) as caught:
        book(scheduled_for=scheduled + dt.timedelta(minutes=10))
    refused = caught.value
    assert refused.error.code == contract.ERROR_PROVIDER_NOT_AVAILABLE
    assert refused.error.party == "provider"
    assert refused.error.request_id
    consultation = refused.consultation
    assert consultation.status == Status.REJECTED
    assert kinds(consultation) == [Kind.BOOKING_STARTED, Kind.REJECTED]
    event = consultation.events.get(kind=Kind.REJECTED)
    assert event.detail["code"] == contract.ERROR_PROVIDER_NOT_AVAILABLE
    assert event.detail["party"] == "provider"
    assert event.kairo_request_id == refused.error.request_id
    assert sandbox.stats()["createsReceived"] == 2
    # Released: the slot is free again here.
    rules.provider_free_check(
        provider=provider, starts_at=consultation.starts_at, ends_at=consultation.ends_at
    )


def test_a_validation_error_from_kairo_keeps_field_paths_not_messages(book, sandbox):
    # A record stored before the dotted-domain rule (migration 0007): Kairo refuses it.
    odd = ProviderFactory(email="doctor@localhost")
    with pytest.raises(services.BookingRefused) as caught:
        book(provider=odd)
    assert caught.value.error.code == contract.ERROR_VALIDATION
    assert "provider.email" in caught.value.error.field_errors
    event = caught.value.consultation.events.get(kind=Kind.REJECTED)
    assert event.detail["fields"] == ["provider.email"]
    assert sandbox.stats()["createsReceived"] == 1


def test_a_rate_limit_is_a_rejection(book, sandbox):
    sandbox.arm_fault("429")
    with pytest.raises(services.BookingRefused) as caught:
        book()
    assert caught.value.error.code == contract.ERROR_RATE_LIMITED
    assert caught.value.consultation.status == Status.REJECTED


def test_wrong_credentials_leave_nothing_that_looks_booked(book, sandbox, settings):
    settings.KAIRO_API_SECRET = "not-the-secret"
    with pytest.raises(services.BookingRefused) as caught:
        book()
    assert caught.value.error.outcome == KairoOutcome.CONFIGURATION
    consultation = Consultation.objects.get()
    assert consultation.status == Status.REJECTED
    assert not consultation.is_active
    assert consultation.kairo_consultation_id is None
    assert consultation.access_pin == ""
    assert kinds(consultation) == [Kind.BOOKING_STARTED, Kind.CONFIGURATION_ERROR]
    # Refused at the door: the sandbox counted the request but no create.
    assert sandbox.stats()["requestsReceived"] == 1
    assert sandbox.stats()["createsReceived"] == 0


# --- A PostgreSQL deadlock between racing inserts ------------------------------------------


class Deadlock(Exception):
    sqlstate = "40P01"


def test_a_deadlocked_start_is_retried(book, sandbox, monkeypatch):
    """Two inserts racing on the token's unique index and an exclusion constraint can
    deadlock; PostgreSQL aborts one. Nothing was written, so it is simply tried again."""
    real_check = rules.booking_check
    calls = []

    def deadlock_once(**kwargs):
        # The rules' queries run inside the transaction that claims the slot.
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("deadlock detected") from Deadlock()
        return real_check(**kwargs)

    monkeypatch.setattr(rules, "booking_check", deadlock_once)
    assert book().status == Status.BOOKED
    assert len(calls) == 2
    assert sandbox.stats()["createsReceived"] == 1


def test_other_database_errors_are_not_retried(book, sandbox, monkeypatch):
    """Nor is a start whose connection dropped (its commit may have gone through): the
    booking is refused as not sent, and Kairo is never called."""
    calls = []

    def locked(**kwargs):
        calls.append(1)
        raise OperationalError("database is locked")

    monkeypatch.setattr(rules, "booking_check", locked)
    with pytest.raises(services.BookingNotSent) as refused:
        book()
    assert isinstance(refused.value.__cause__, OperationalError)
    assert len(calls) == 1
    assert sandbox.stats()["createsReceived"] == 0


def test_the_fault_header_works_through_a_client_given_to_the_service(book, sandbox):
    """The other way to inject a fault: a client that sends X-Sandbox-Fault itself."""
    with KairoClient.from_settings(extra_headers={"X-Sandbox-Fault": "drop"}) as client:
        consultation = book(client=client)
    assert consultation.status == Status.UNCONFIRMED
    assert consultation.events.get(kind=Kind.UNCONFIRMED).detail["code"] == "CONNECTION_LOST"
    assert sandbox.stats()["createsReceived"] == 1


def test_a_deadlocked_outcome_recording_is_retried_not_lost(book, sandbox, monkeypatch):
    """After Kairo said yes, losing the recording to a deadlock would leave the booking
    'sending' although it exists in Kairo: the recording step is retried too."""
    real_record = booking_outcomes.booked_record
    calls = []

    def deadlock_once(consultation, result):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("deadlock detected") from Deadlock()
        return real_record(consultation, result)

    monkeypatch.setattr(booking_outcomes, "booked_record", deadlock_once)
    consultation = book()
    assert consultation.status == Status.BOOKED
    assert consultation.access_pin
    assert sandbox.stats()["createsReceived"] == 1
    assert len(calls) == 2  # the seam was taken: the service records through it
