"""After the booking: refresh from Kairo (statuses forward only, a new time that clashes
here) and cancel."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.exceptions import ValidationError

from consultations import rules, services
from consultations.kairo import contract
from consultations.kairo.client import KairoError
from consultations.models import Consultation, ConsultationEvent, ConsultationStatus, Delivery
from consultations.services import lifecycle
from tests.consultations.fake_kairo import MovingKairo
from tests.consultations.services.privacy import assert_no_personal_data_in_events
from tests.errors import error_codes
from tests.factories import ConsultationFactory, future, remote_consultation

pytestmark = pytest.mark.django_db

Status = ConsultationStatus
Kind = ConsultationEvent.Kind


# --- Refresh -----------------------------------------------------------------------------------


def test_refresh_follows_the_session(book, sandbox, receptionist):
    consultation = book(scheduled_for=None)
    sandbox.trigger(consultation.kairo_consultation_id, "session_started", participant="patient")
    refreshed = services.consultation_refresh(consultation=consultation, actor=receptionist)
    assert refreshed.status == Status.IN_PROGRESS
    assert refreshed.kairo_status == contract.STATUS_IN_PROGRESS
    assert refreshed.patient_joined_at is not None
    assert refreshed.session_started_at is not None
    event = refreshed.events.filter(kind=Kind.REFRESHED).get()
    assert event.actor == receptionist
    assert event.detail["to"] == Status.IN_PROGRESS
    assert event.kairo_request_id

    sandbox.trigger(consultation.kairo_consultation_id, "consultation.completed")
    done = services.consultation_refresh(consultation=refreshed, actor=receptionist)
    assert done.status == Status.COMPLETED
    assert done.call_quality
    assert_no_personal_data_in_events(done)


class FixedClient:
    """Answers GET detail with a fixed remote consultation."""

    def __init__(self, status: str) -> None:
        self.status = status

    def get_consultation(self, consultation_id):
        return remote_consultation(
            consultation_id=consultation_id, status=self.status, expires_in=dt.timedelta(hours=1)
        )


@pytest.mark.parametrize(
    ("local", "remote", "expected"),
    [
        (Status.UNCONFIRMED, "Pending", Status.BOOKED),
        (Status.BOOKED, "InProgress", Status.IN_PROGRESS),
        (Status.BOOKED, "Expired", Status.EXPIRED),
        (Status.IN_PROGRESS, "Completed", Status.COMPLETED),
        (Status.IN_PROGRESS, "Pending", Status.IN_PROGRESS),  # never backwards
        (Status.COMPLETED, "InProgress", Status.COMPLETED),
        (Status.CANCELLED, "InProgress", Status.CANCELLED),  # our cancellation stays
        (Status.BOOKED, "Paused", Status.BOOKED),  # unknown: kept raw, status unchanged
    ],
)
def test_refresh_maps_remote_statuses_forward_only(receptionist, local, remote, expected):
    consultation = ConsultationFactory(status=local, kairo_consultation_id=uuid.uuid4())
    refreshed = services.consultation_refresh(
        consultation=consultation, actor=receptionist, client=FixedClient(remote)
    )
    assert refreshed.status == expected
    assert refreshed.kairo_status == remote
    assert refreshed.kairo_last_request_id == "req_fixed"


def test_refresh_of_an_unknown_kairo_id_records_the_failure(receptionist):
    consultation = ConsultationFactory(kairo_consultation_id=uuid.uuid4())
    with pytest.raises(KairoError) as caught:
        services.consultation_refresh(consultation=consultation, actor=receptionist)
    assert caught.value.code == contract.ERROR_CONSULTATION_NOT_FOUND
    event = consultation.events.get()
    assert event.kind == Kind.REFRESH_FAILED
    assert event.detail["code"] == contract.ERROR_CONSULTATION_NOT_FOUND
    assert event.kairo_request_id == caught.value.request_id
    consultation.refresh_from_db()
    assert consultation.status == Status.BOOKED


def test_refresh_without_a_kairo_id_is_refused_before_any_call(sandbox):
    consultation = ConsultationFactory(status=Status.UNCONFIRMED)
    with pytest.raises(ValueError):
        services.consultation_refresh(consultation=consultation, actor=None)
    assert sandbox.stats()["requestsReceived"] == 0


# --- Cancel ------------------------------------------------------------------------------------


def test_cancel_records_who_and_why_and_kairo_keeps_the_window(receptionist, sandbox):
    consultation = ConsultationFactory()
    cancelled = services.consultation_cancel(
        consultation=consultation, actor=receptionist, reason="  El paciente   llamó  "
    )
    assert cancelled.status == Status.CANCELLED
    assert cancelled.cancelled_by == receptionist
    assert cancelled.cancelled_at is not None
    assert cancelled.cancellation_reason == "El paciente llamó"
    event = cancelled.events.get(kind=Kind.CANCELLED)
    assert (event.actor, event.detail["kairo_notified"]) == (receptionist, False)
    # The patient and the provider are told (consultations/services/deliveries).
    assert sorted(cancelled.deliveries.values_list("recipient", "kind")) == [
        ("patient", "cancelled"),
        ("provider", "cancelled"),
    ]
    assert sandbox.stats()["requestsReceived"] == 0  # Kairo has no cancel
    with pytest.raises(ValidationError) as caught:
        rules.provider_free_check(
            provider=consultation.provider,
            starts_at=consultation.starts_at,
            ends_at=consultation.ends_at,
        )
    assert caught.value.code == "provider_held_by_kairo"


@pytest.mark.parametrize(
    "status",
    [Status.SENDING, Status.IN_PROGRESS, Status.COMPLETED, Status.EXPIRED, Status.CANCELLED],
)
def test_only_unconfirmed_and_booked_can_be_cancelled(receptionist, status):
    consultation = ConsultationFactory(status=status)
    with pytest.raises(ValidationError) as caught:
        services.consultation_cancel(consultation=consultation, actor=receptionist, reason="x")
    assert caught.value.code == "not_cancellable"


def test_cancel_needs_a_reason(receptionist):
    consultation = ConsultationFactory()
    with pytest.raises(ValidationError) as caught:
        services.consultation_cancel(consultation=consultation, actor=receptionist, reason="   ")
    assert error_codes(caught.value)["reason"][0] == "reason_required"
    consultation.refresh_from_db()
    assert consultation.status == Status.BOOKED


def test_an_unconfirmed_booking_can_be_cancelled(receptionist):
    consultation = ConsultationFactory(status=Status.UNCONFIRMED)
    cancelled = services.consultation_cancel(
        consultation=consultation, actor=receptionist, reason="Sin confirmar"
    )
    assert cancelled.status == Status.CANCELLED


# --- Refresh: Kairo reports a time that clashes here --------------------------------------------


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
