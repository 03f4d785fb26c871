"""Patient reminders (24 h and 1 h before by default): each sent exactly once, also when
the job runs twice, late, or concurrently; never for a consultation no longer pending,
nor for a booking made after the reminder's time."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError, connection, transaction

from consultations import services
from consultations.models import Consultation, ConsultationStatus, Delivery
from tests.consultations.conftest import race
from tests.consultations.deliveries import reminders
from tests.consultations.mail import clinic_link
from tests.factories import future

pytestmark = pytest.mark.django_db

Status = ConsultationStatus
State = Delivery.State
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """run(at) -> reminders queued by a run at `at`, their send tasks executed."""

    def call(at: dt.datetime) -> int:
        with time_machine.travel(at, tick=False):
            with django_capture_on_commit_callbacks(execute=True):
                return services.reminders_send_due()

    return call


def test_the_day_before_reminder_is_sent_once_due(pending, run):
    consultation = pending()
    assert run(consultation.starts_at - DAY - dt.timedelta(minutes=1)) == 0
    assert run(consultation.starts_at - DAY) == 1

    assert reminders(consultation) == [(1440, State.SENT)]
    (message,) = mail.outbox
    assert message.to == ["ana.perez@correo.example"]
    assert clinic_link(consultation, "patient") in message.body
    assert consultation.patient_join_url not in message.body
    assert consultation.provider_join_url not in message.body


def test_each_reminder_goes_out_once_however_often_the_job_runs(pending, run):
    consultation = pending()
    day_before = consultation.starts_at - DAY + dt.timedelta(minutes=5)
    assert [run(day_before + dt.timedelta(minutes=m)) for m in range(4)] == [1, 0, 0, 0]
    hour_before = consultation.starts_at - HOUR + dt.timedelta(minutes=1)
    assert [run(hour_before + dt.timedelta(minutes=m)) for m in range(4)] == [1, 0, 0, 0]

    assert reminders(consultation) == [(1440, State.SENT), (60, State.SENT)]
    assert len(mail.outbox) == 2


def test_a_late_run_still_sends_until_the_consultation_starts(pending, run):
    consultation = pending()
    assert run(consultation.starts_at - DAY + 3 * HOUR) == 1  # three hours late
    assert reminders(consultation) == [(1440, State.SENT)]
    assert run(consultation.starts_at + dt.timedelta(minutes=1)) == 0  # started: too late
    assert reminders(consultation) == [(1440, State.SENT)]


def test_a_run_so_late_that_the_next_reminder_is_due_sends_only_that_one(pending, run):
    """The job was down for a day: the patient gets the 1-hour reminder, not both at once."""
    consultation = pending()
    assert run(consultation.starts_at - dt.timedelta(minutes=30)) == 1
    assert run(consultation.starts_at - dt.timedelta(minutes=29)) == 0
    assert reminders(consultation) == [(60, State.SENT)]
    assert len(mail.outbox) == 1


def test_the_offsets_come_from_the_settings(pending, run, settings):
    settings.REMINDER_OFFSETS_MINUTES = [180]
    consultation = pending()
    assert run(consultation.starts_at - HOUR) == 1
    assert reminders(consultation) == [(180, State.SENT)]


@pytest.mark.parametrize(
    "status",
    [
        Status.CANCELLED,
        Status.EXPIRED,
        Status.COMPLETED,
        Status.IN_PROGRESS,
        Status.UNCONFIRMED,
        Status.REJECTED,
    ],
)
def test_no_reminder_for_a_consultation_no_longer_pending(pending, run, status):
    consultation = pending(status=status)
    assert run(consultation.starts_at - HOUR) == 0
    assert not consultation.deliveries.exists()


def test_no_reminder_for_an_immediate_consultation(pending, run):
    consultation = pending()
    Consultation.objects.filter(pk=consultation.pk).update(scheduled_for=None)
    assert run(consultation.starts_at - HOUR) == 0


def test_no_reminder_without_a_join_link(pending, run):
    consultation = pending(patient_join_url="")
    assert run(consultation.starts_at - HOUR) == 0


def test_a_booking_made_after_the_reminder_time_gets_no_such_reminder(pending, run):
    starts_at = future(hours=48)
    # Booked 10 hours ahead: past the 24-hour mark already, before the 1-hour one.
    consultation = pending(starts_at=starts_at, booked_at=starts_at - 10 * HOUR)
    assert run(starts_at - 9 * HOUR) == 0
    assert run(starts_at - HOUR) == 1
    assert reminders(consultation) == [(60, State.SENT)]


def test_a_booking_made_inside_the_last_hour_gets_no_reminder(pending, run):
    starts_at = future(hours=48)
    consultation = pending(starts_at=starts_at, booked_at=starts_at - dt.timedelta(minutes=40))
    assert run(starts_at - dt.timedelta(minutes=30)) == 0
    assert not consultation.deliveries.exists()


def test_a_reminder_queued_before_a_cancellation_is_not_sent(
    pending, receptionist, django_capture_on_commit_callbacks
):
    consultation = pending()
    with time_machine.travel(consultation.starts_at - HOUR, tick=False):
        with django_capture_on_commit_callbacks(execute=False):
            assert services.reminders_send_due() == 1
        services.consultation_cancel(
            consultation=consultation, actor=receptionist, reason="El paciente no puede"
        )
        reminder = consultation.deliveries.get(kind="reminder")
        delivery = services.delivery_send(delivery_id=reminder.pk)
    assert (delivery.state, delivery.last_error) == (
        State.FAILED,
        "Skipped: consultation cancelled",
    )
    assert mail.outbox == []


def test_the_database_keeps_one_reminder_per_offset(pending):
    consultation = pending()
    Delivery.objects.create(
        consultation=consultation, recipient="patient", kind="reminder", reminder_offset_minutes=60
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(
            consultation=consultation,
            recipient="patient",
            kind="reminder",
            reminder_offset_minutes=60,
        )


def test_a_reminder_is_for_the_patient_only(pending):
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(
            consultation=pending(),
            recipient="provider",
            kind="reminder",
            reminder_offset_minutes=60,
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_send_each_reminder_once(seeded_catalogs, pending):
    starts_at = future(hours=48)
    consultations = [pending(starts_at=starts_at) for _ in range(3)]  # three providers
    at = starts_at - DAY + dt.timedelta(minutes=5)  # the 24-hour reminders are due
    connection.close()

    results = race([lambda: services.reminders_send_due(now=at) for _ in range(10)])

    assert all(isinstance(result, int) for result in results), results
    assert sum(results) == 3  # one per consultation, each created by exactly one run
    for consultation in consultations:
        assert reminders(consultation) == [(1440, State.SENT)]
    assert len(mail.outbox) == 3
