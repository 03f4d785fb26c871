"""Email deliveries: scheduled with the booking, sent after the commit, claimed once,
retried with backoff, resent, resumed after a lost task, and the new-time messages of a
time change from Kairo."""

from __future__ import annotations

import datetime as dt
import json
import smtplib
import uuid

import icalendar
import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from consultations import services
from consultations.emails import calendar_file_build
from consultations.models import Consultation, ConsultationEvent, ConsultationStatus, Delivery
from consultations.services import deliveries
from consultations.services.booking import outcomes as booking_outcomes
from consultations.services.kairo_mapping import remote_apply
from tests.consultations.conftest import race
from tests.consultations.mail import clinic_link
from tests.factories import ConsultationFactory, future, org_zone, remote_consultation

pytestmark = pytest.mark.django_db

Status = ConsultationStatus
State = Delivery.State
EMAIL = ConsultationEvent.Kind.EMAIL


@pytest.fixture
def book(book_consultation, django_capture_on_commit_callbacks):
    """A booking whose on-commit work (the send tasks) runs, as after a real commit."""

    def call(**overrides) -> Consultation:
        with django_capture_on_commit_callbacks(execute=True):
            consultation = book_consultation(**overrides)
        return consultation

    return call


@pytest.fixture
def booked_quietly(book_consultation, django_capture_on_commit_callbacks):
    """A booking (30 hours ahead) whose send tasks were *not* run: its deliveries wait,
    queued."""
    with django_capture_on_commit_callbacks(execute=False):
        return book_consultation(scheduled_for=future(hours=30))


def email_events(consultation: Consultation) -> list[dict]:
    return list(consultation.events.filter(kind=EMAIL).values_list("detail", flat=True))


def assert_nothing_personal(consultation: Consultation, text: str) -> None:
    for secret in (
        consultation.patient.email,
        consultation.provider.email,
        consultation.patient_join_url,
        consultation.provider_join_url,
        consultation.access_pin,
    ):
        assert secret not in text


class RefusingBackend(BaseEmailBackend):
    """A mail server that refuses every recipient, naming the address (as real ones do)."""

    def send_messages(self, messages):
        address = messages[0].to[0]
        raise smtplib.SMTPRecipientsRefused({address: (451, f"<{address}> try later".encode())})


class BrokenBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise KeyError("a bug, not the mail server")


# --- Scheduling with the booking -------------------------------------------------------


def test_a_booking_emails_the_patient_and_the_provider_after_the_commit(book):
    consultation = book()

    assert consultation.status == Status.BOOKED
    sent = {d.recipient: d for d in consultation.deliveries.all()}
    assert set(sent) == {"patient", "provider"}
    for delivery in sent.values():
        assert delivery.kind == "booking"
        assert delivery.state == State.SENT
        assert delivery.attempts == 1
        assert delivery.sent_at is not None
        assert delivery.next_attempt_at is None
    assert sent["patient"].to_address == consultation.patient.email
    assert sent["provider"].to_address == consultation.provider.email
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [consultation.patient.email, consultation.provider.email]
    )
    patient_mail = next(m for m in mail.outbox if m.to == [consultation.patient.email])
    assert clinic_link(consultation, "patient") in patient_mail.body
    assert clinic_link(consultation, "provider") not in patient_mail.body
    # Kairo's room links stay behind the clinic's page (EMAIL_KAIRO_ROOM_LINK is off).
    assert consultation.patient_join_url not in patient_mail.body
    assert consultation.provider_join_url not in patient_mail.body
    provider_mail = next(m for m in mail.outbox if m.to == [consultation.provider.email])
    assert clinic_link(consultation, "provider") in provider_mail.body
    assert consultation.provider_join_url not in provider_mail.body
    events = email_events(consultation)
    assert sorted((e["recipient"], e["state"]) for e in events) == [
        ("patient", "sent"),
        ("provider", "sent"),
    ]
    assert_nothing_personal(consultation, json.dumps(events))


def test_no_provider_message_when_switched_off(book, settings):
    settings.EMAIL_PROVIDER_MESSAGES = False
    consultation = book()
    assert list(consultation.deliveries.values_list("recipient", flat=True)) == ["patient"]
    assert [m.to for m in mail.outbox] == [[consultation.patient.email]]


def test_nothing_is_sent_inside_the_booking_transaction(booked_quietly):
    """Until the commit, the deliveries only wait: the request never meets the mail server."""
    deliveries_ = list(booked_quietly.deliveries.all())
    assert len(deliveries_) == 2
    assert {d.state for d in deliveries_} == {State.QUEUED}
    assert {d.to_address for d in deliveries_} == {""}
    assert mail.outbox == []


def test_a_booking_whose_transaction_rolls_back_sends_nothing(
    book_consultation, django_capture_on_commit_callbacks, monkeypatch
):
    real_event_record = booking_outcomes.event_record

    def fail_when_booked(consultation, kind, **kwargs):
        # The last write of the transaction that records Kairo's answer, after the
        # deliveries were inserted and their tasks registered: it all rolls back.
        if kind == ConsultationEvent.Kind.BOOKED:
            raise RuntimeError("the database went away")
        return real_event_record(consultation, kind, **kwargs)

    monkeypatch.setattr(booking_outcomes, "event_record", fail_when_booked)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError):
            book_consultation()

    assert Consultation.objects.get().status == Status.SENDING  # the first step committed
    assert Delivery.objects.count() == 0
    assert callbacks == []
    assert mail.outbox == []


def test_booking_messages_exist_once_per_recipient(booked_quietly):
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(consultation=booked_quietly, recipient="patient", kind="booking")


def test_a_refresh_that_confirms_an_unconfirmed_booking_sends_the_messages(
    receptionist, django_capture_on_commit_callbacks
):
    consultation = ConsultationFactory(
        status=Status.UNCONFIRMED, kairo_consultation_id=uuid.uuid4()
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.consultation_refresh(
            consultation=consultation, actor=receptionist, client=FixedClient(consultation)
        )
    assert consultation.deliveries.filter(kind="booking", state=State.SENT).count() == 2
    assert len(mail.outbox) == 2

    # A later refresh of the booked consultation sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        services.consultation_refresh(
            consultation=consultation, actor=receptionist, client=FixedClient(consultation)
        )
    assert consultation.deliveries.count() == 2
    assert len(mail.outbox) == 2


# --- One attempt ---------------------------------------------------------------------------


def test_a_delivery_is_sent_once_however_often_its_task_runs(booked_quietly):
    delivery = booked_quietly.deliveries.get(recipient="patient")
    first = services.delivery_send(delivery_id=delivery.pk)
    again = services.delivery_send(delivery_id=delivery.pk)
    assert first.state == again.state == State.SENT
    assert again.attempts == 1
    assert len(mail.outbox) == 1


def test_a_delivery_not_due_yet_is_left_alone(booked_quietly):
    delivery = booked_quietly.deliveries.get(recipient="patient")
    Delivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() + dt.timedelta(minutes=5)
    )
    assert services.delivery_send(delivery_id=delivery.pk).state == State.QUEUED
    assert mail.outbox == []


def test_a_missing_delivery_is_no_error():
    assert services.delivery_send(delivery_id=987654) is None


def test_the_address_on_file_at_sending_time_is_used_and_kept(booked_quietly):
    delivery = booked_quietly.deliveries.get(recipient="patient")
    booked_quietly.patient.email = "nueva.direccion@correo.example"
    booked_quietly.patient.save()
    services.delivery_send(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.to_address == "nueva.direccion@correo.example"
    assert mail.outbox[0].to == ["nueva.direccion@correo.example"]
    assert delivery.masked_address == "n***@correo.example"


@pytest.mark.parametrize("status", [Status.CANCELLED, Status.EXPIRED, Status.COMPLETED])
def test_no_booking_message_for_a_consultation_no_longer_waiting(booked_quietly, status):
    Consultation.objects.filter(pk=booked_quietly.pk).update(status=status)
    delivery = services.delivery_send(
        delivery_id=booked_quietly.deliveries.get(recipient="patient").pk
    )
    assert delivery.state == State.FAILED
    assert delivery.attempts == 0
    assert delivery.last_error == f"Skipped: consultation {status}"
    assert mail.outbox == []


def test_failures_are_retried_with_backoff_then_failed(booked_quietly, settings):
    settings.EMAIL_BACKEND = "tests.consultations.services.test_deliveries.RefusingBackend"
    delivery = booked_quietly.deliveries.get(recipient="patient")
    address = booked_quietly.patient.email
    waits = []
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for attempt in range(1, 6):
            delivery = services.delivery_send(delivery_id=delivery.pk)
            assert delivery.attempts == attempt
            assert delivery.last_error == "SMTPRecipientsRefused 451"
            assert address not in delivery.last_error
            if delivery.state == State.QUEUED:
                waits.append((delivery.next_attempt_at - timezone.now()).total_seconds())
                # Not before its time...
                assert services.delivery_send(delivery_id=delivery.pk).attempts == attempt
                clock.shift(dt.timedelta(seconds=waits[-1]))
    assert waits == [60, 300, 1800, 7200]
    assert delivery.state == State.FAILED
    assert delivery.next_attempt_at is None
    (event,) = email_events(booked_quietly)
    assert event == {
        "recipient": "patient",
        "kind": "booking",
        "state": "failed",
        "attempts": 5,
        "error": "SMTPRecipientsRefused 451",
    }
    assert mail.outbox == []


def test_a_retry_goes_to_the_address_on_file_at_the_retry(booked_quietly, settings):
    """The patient's address is corrected after a refused attempt: the retry uses (and
    records) the new one, not the address the failed attempt used."""
    settings.EMAIL_BACKEND = "tests.consultations.services.test_deliveries.RefusingBackend"
    delivery = booked_quietly.deliveries.get(recipient="patient")
    old_address = booked_quietly.patient.email
    with time_machine.travel(timezone.now(), tick=False) as clock:
        delivery = services.delivery_send(delivery_id=delivery.pk)
        assert (delivery.state, delivery.attempts) == (State.QUEUED, 1)
        assert delivery.to_address == old_address

        booked_quietly.patient.email = "corregida@correo.example"
        booked_quietly.patient.save()
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        clock.shift(delivery.next_attempt_at - timezone.now())
        delivery = services.delivery_send(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (State.SENT, 2)
    assert delivery.to_address == "corregida@correo.example"
    assert [m.to for m in mail.outbox] == [["corregida@correo.example"]]


def test_a_bug_while_sending_is_recorded_and_raised(booked_quietly, settings):
    settings.EMAIL_BACKEND = "tests.consultations.services.test_deliveries.BrokenBackend"
    delivery = booked_quietly.deliveries.get(recipient="patient")
    with pytest.raises(KeyError):
        services.delivery_send(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_error) == (State.QUEUED, 1, "KeyError")


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            smtplib.SMTPRecipientsRefused({"ana@x.example": (550, b"<ana@x.example> unknown")}),
            "SMTPRecipientsRefused 550",
        ),
        (
            smtplib.SMTPDataError(451, b"4.7.1 <ana@x.example>: see https://mx.example/why"),
            "SMTPDataError 451 4.7.1 <address>: see <link>",
        ),
        (
            ConnectionRefusedError(111, "Connection refused"),
            "ConnectionRefusedError [Errno 111] Connection refused",
        ),
        (TimeoutError("timed out"), "TimeoutError timed out"),
        (
            smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
            "SMTPServerDisconnected Connection unexpectedly closed",
        ),
    ],
)
def test_errors_are_recorded_without_addresses_or_links(error, expected):
    assert deliveries.safe_error(error, address="ana@x.example") == expected


# --- Resend --------------------------------------------------------------------------------


def test_resend_adds_a_delivery_asked_by_someone(
    book, receptionist, django_capture_on_commit_callbacks
):
    consultation = book()
    with django_capture_on_commit_callbacks(execute=True):
        resent = services.delivery_resend(
            consultation=consultation, recipient="patient", actor=receptionist
        )
    resent.refresh_from_db()
    assert (resent.kind, resent.state, resent.requested_by) == ("resend", State.SENT, receptionist)
    assert consultation.deliveries.count() == 3
    assert len(mail.outbox) == 3
    requested = consultation.events.filter(kind=EMAIL, actor=receptionist).get()
    assert requested.detail == {
        "recipient": "patient",
        "kind": "resend",
        "state": "queued",
        "attempts": 0,
        "requested": True,
    }


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"status": Status.CANCELLED}, "not_active"),
        ({"status": Status.COMPLETED}, "not_active"),
        ({"status": Status.UNCONFIRMED}, "not_confirmed"),
        ({"patient_join_url": ""}, "no_join_link"),
    ],
)
def test_resend_is_refused_when_there_is_nothing_to_send(receptionist, changes, code):
    values = {
        "access_pin": "123456",
        "patient_join_url": "https://meet.example/r?type=patient",
        "provider_join_url": "https://meet.example/r?type=provider",
        **changes,
    }
    consultation = ConsultationFactory(**values)
    with pytest.raises(ValidationError) as refused:
        services.delivery_resend(consultation=consultation, recipient="patient", actor=receptionist)
    assert refused.value.code == code
    assert not consultation.deliveries.exists()


@pytest.mark.parametrize("provider_messages", [True, False])
@pytest.mark.parametrize("recipient", ["patient", "provider"])
@pytest.mark.parametrize("has_link", [True, False])
@pytest.mark.parametrize("status", Status.values)
def test_resend_is_offered_exactly_when_it_would_be_accepted(
    receptionist, settings, provider_messages, recipient, has_link, status
):
    settings.EMAIL_PROVIDER_MESSAGES = provider_messages
    consultation = ConsultationFactory(
        status=status,
        access_pin="123456",
        patient_join_url="https://meet.example/r?type=patient" if has_link else "",
        provider_join_url="https://meet.example/r?type=provider" if has_link else "",
    )
    offered = services.delivery_resend_allowed(consultation=consultation, recipient=recipient)
    try:
        services.delivery_resend(consultation=consultation, recipient=recipient, actor=receptionist)
    except ValidationError:
        accepted = False
    else:
        accepted = True
    assert offered == accepted
    assert offered == (
        status in (Status.BOOKED, Status.IN_PROGRESS)
        and has_link
        and (recipient == "patient" or provider_messages)
    )


def test_resend_allowed_refuses_an_unknown_recipient():
    with pytest.raises(ValueError):
        services.delivery_resend_allowed(consultation=ConsultationFactory(), recipient="staff")


def test_resend_to_the_provider_is_refused_when_providers_get_no_email(
    booked_quietly, receptionist, settings
):
    settings.EMAIL_PROVIDER_MESSAGES = False
    with pytest.raises(ValidationError) as refused:
        services.delivery_resend(
            consultation=booked_quietly, recipient="provider", actor=receptionist
        )
    assert refused.value.code == "provider_messages_off"


# --- Resuming lost tasks -----------------------------------------------------------------------


def test_a_queued_delivery_whose_task_was_lost_is_sent_by_the_next_run(booked_quietly):
    """The in-process timer died with a restart: the reminder command's run sends it."""
    assert services.deliveries_resume() == 0  # due, but its task may still be coming
    later = timezone.now() + deliveries.OVERDUE_GRACE + dt.timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        assert services.deliveries_resume() == 2
    assert set(booked_quietly.deliveries.values_list("state", flat=True)) == {State.SENT}
    assert len(mail.outbox) == 2


def test_a_stopped_worker_does_not_get_the_same_delivery_every_minute(booked_quietly, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    start = timezone.now() + deliveries.OVERDUE_GRACE + dt.timedelta(seconds=1)
    with time_machine.travel(start, tick=False) as clock:
        assert services.deliveries_resume() == 2
        clock.shift(dt.timedelta(minutes=1))
        assert services.deliveries_resume() == 0
        clock.shift(deliveries.OVERDUE_GRACE)
        assert services.deliveries_resume() == 2
    assert set(booked_quietly.deliveries.values_list("state", flat=True)) == {State.QUEUED}


def test_a_delivery_abandoned_mid_send_is_retried(booked_quietly):
    delivery = booked_quietly.deliveries.get(recipient="patient")
    started = timezone.now() - deliveries.ABANDONED_AFTER - dt.timedelta(minutes=1)
    Delivery.objects.filter(pk=delivery.pk).update(
        state=State.SENDING, attempts=1, attempt_started_at=started
    )
    services.deliveries_resume()
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_error) == (
        State.SENT,
        2,
        "Interrupted",
    )
    assert [m.to for m in mail.outbox] == [[booked_quietly.patient.email]]


def test_a_delivery_abandoned_on_its_last_attempt_fails(booked_quietly):
    delivery = booked_quietly.deliveries.get(recipient="patient")
    started = timezone.now() - deliveries.ABANDONED_AFTER - dt.timedelta(minutes=1)
    Delivery.objects.filter(pk=delivery.pk).update(
        state=State.SENDING, attempts=5, attempt_started_at=started
    )
    services.deliveries_resume()
    delivery.refresh_from_db()
    assert (delivery.state, delivery.last_error) == (State.FAILED, "Interrupted")
    assert email_events(booked_quietly)[0]["state"] == "failed"


# --- A time change from Kairo --------------------------------------------------------------


class FixedClient:
    """GET detail answers Pending with this consultation's links, at `scheduled_at`."""

    def __init__(self, consultation: Consultation, scheduled_at: dt.datetime | None = None):
        self.consultation = consultation
        self.scheduled_at = scheduled_at or consultation.scheduled_for

    def get_consultation(self, consultation_id):
        return remote_for(self.consultation, scheduled_at=self.scheduled_at)


def remote_for(consultation: Consultation, *, scheduled_at: dt.datetime | None):
    return remote_consultation(
        consultation_id=consultation.kairo_consultation_id or uuid.uuid4(),
        scheduled_at=scheduled_at,
    )


def test_a_time_change_from_kairo_moves_the_window_and_raises_the_sequence(
    booked_quietly, receptionist
):
    consultation = booked_quietly
    before_ics = icalendar.Calendar.from_ical(calendar_file_build(consultation))
    moved = consultation.scheduled_for + dt.timedelta(hours=1)

    refreshed = services.consultation_refresh(
        consultation=consultation, actor=receptionist, client=FixedClient(consultation, moved)
    )

    refreshed.refresh_from_db()
    assert refreshed.scheduled_for == refreshed.starts_at == moved
    assert refreshed.ends_at == moved + dt.timedelta(minutes=30)
    assert refreshed.calendar_sequence == consultation.calendar_sequence + 1
    after_ics = icalendar.Calendar.from_ical(calendar_file_build(refreshed))
    (before_event,) = before_ics.walk("VEVENT")
    (after_event,) = after_ics.walk("VEVENT")
    assert after_event["UID"] == before_event["UID"]
    assert int(after_event["SEQUENCE"]) == int(before_event["SEQUENCE"]) + 1
    assert after_event.decoded("DTSTART") == moved


def test_the_same_time_from_kairo_changes_no_sequence(booked_quietly):
    consultation = booked_quietly
    remote_apply(consultation, remote_for(consultation, scheduled_at=consultation.scheduled_for))
    assert consultation.calendar_sequence == 0
    remote_apply(consultation, remote_for(consultation, scheduled_at=None))
    assert consultation.calendar_sequence == 0


def refresh_at(consultation, when, *, actor, capture) -> Consultation:
    """Refresh `consultation` from a Kairo that reports `when`, running the on-commit
    work (the send tasks) as after a real commit."""
    with capture(execute=True):
        refreshed = services.consultation_refresh(
            consultation=consultation, actor=actor, client=FixedClient(consultation, when)
        )
    refreshed.refresh_from_db()
    return refreshed


def local_window(consultation: Consultation) -> str:
    """The window as the messages print it ("10:00–10:30"), in the organization's zone."""
    start, end = (
        timezone.localtime(moment, org_zone())
        for moment in (consultation.starts_at, consultation.ends_at)
    )
    return f"{start:%H:%M}–{end:%H:%M}"


def test_a_new_time_from_kairo_is_emailed_to_the_patient_and_the_provider(
    book, receptionist, django_capture_on_commit_callbacks
):
    consultation = book(scheduled_for=future(hours=30))
    old_window = local_window(consultation)
    (booking_event,) = icalendar.Calendar.from_ical(calendar_file_build(consultation)).walk(
        "VEVENT"
    )
    mail.outbox.clear()
    moved = consultation.scheduled_for + dt.timedelta(hours=1)

    refreshed = refresh_at(
        consultation, moved, actor=receptionist, capture=django_capture_on_commit_callbacks
    )

    changed = {d.recipient: d for d in refreshed.deliveries.filter(kind="time_changed")}
    assert set(changed) == {"patient", "provider"}
    assert {d.state for d in changed.values()} == {State.SENT}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [refreshed.patient.email, refreshed.provider.email]
    )
    patient_mail = next(m for m in mail.outbox if m.to == [refreshed.patient.email])
    html = patient_mail.alternatives[0][0]
    for text in (patient_mail.body, html):
        assert local_window(refreshed) in text
        assert old_window not in text
        assert clinic_link(refreshed, "patient") in text
        assert refreshed.patient_join_url not in text
    assert f"{timezone.localtime(moved, org_zone()):%H:%M}" in patient_mail.subject
    (attachment,) = patient_mail.attachments
    (event,) = icalendar.Calendar.from_ical(attachment.get_payload()).walk("VEVENT")
    assert int(event["SEQUENCE"]) == 1
    assert event["UID"] == booking_event["UID"]
    assert event.decoded("DTSTART") == moved
    raw = patient_mail.message().as_bytes().decode("utf-8", "replace")
    assert refreshed.provider_join_url not in raw
    assert "type=provider" not in raw
    queued = [e for e in email_events(refreshed) if e["state"] == "queued"]
    assert sorted((e["recipient"], e["kind"]) for e in queued) == [
        ("patient", "time_changed"),
        ("provider", "time_changed"),
    ]
    assert_nothing_personal(refreshed, json.dumps(email_events(refreshed)))
    refreshed_event = refreshed.events.filter(kind=ConsultationEvent.Kind.REFRESHED).get()
    assert refreshed_event.detail["time_changed"] is True


def test_a_new_time_reaches_a_recipient_whose_booking_message_still_waits(
    booked_quietly, receptionist, django_capture_on_commit_callbacks
):
    """A queued booking message may be built right now with the old time: the new
    time gets its own message."""
    moved = booked_quietly.scheduled_for + dt.timedelta(minutes=45)
    refreshed = refresh_at(
        booked_quietly, moved, actor=receptionist, capture=django_capture_on_commit_callbacks
    )
    assert sorted(
        refreshed.deliveries.filter(kind="time_changed").values_list("recipient", flat=True)
    ) == ["patient", "provider"]


def test_the_same_time_from_kairo_queues_no_new_time_message(
    book, receptionist, django_capture_on_commit_callbacks
):
    consultation = book(scheduled_for=future(hours=30))
    mail.outbox.clear()

    refreshed = refresh_at(
        consultation,
        consultation.scheduled_for,
        actor=receptionist,
        capture=django_capture_on_commit_callbacks,
    )

    assert refreshed.calendar_sequence == 0
    assert not refreshed.deliveries.filter(kind="time_changed").exists()
    assert refreshed.deliveries.count() == 2
    assert mail.outbox == []
    refreshed_event = refreshed.events.filter(kind=ConsultationEvent.Kind.REFRESHED).get()
    assert "time_changed" not in refreshed_event.detail


def test_a_cancelled_consultation_gets_no_new_time_message(
    book, receptionist, django_capture_on_commit_callbacks
):
    consultation = book(scheduled_for=future(hours=30))
    services.consultation_cancel(
        consultation=consultation, actor=receptionist, reason="The patient called"
    )
    mail.outbox.clear()

    refreshed = refresh_at(
        consultation,
        consultation.scheduled_for + dt.timedelta(hours=1),
        actor=receptionist,
        capture=django_capture_on_commit_callbacks,
    )

    assert refreshed.status == Status.CANCELLED
    # Raised by the cancellation (1), then by the new time (2): the time did change...
    assert refreshed.calendar_sequence == 2
    assert not refreshed.deliveries.filter(kind="time_changed").exists()  # ...quietly
    assert mail.outbox == []


def test_a_new_time_goes_to_the_patient_only_when_provider_messages_are_off(
    book, receptionist, django_capture_on_commit_callbacks, settings
):
    consultation = book(scheduled_for=future(hours=30))  # both were written to
    settings.EMAIL_PROVIDER_MESSAGES = False
    mail.outbox.clear()

    refreshed = refresh_at(
        consultation,
        consultation.scheduled_for + dt.timedelta(hours=1),
        actor=receptionist,
        capture=django_capture_on_commit_callbacks,
    )

    assert list(
        refreshed.deliveries.filter(kind="time_changed").values_list("recipient", flat=True)
    ) == ["patient"]
    assert [m.to for m in mail.outbox] == [[refreshed.patient.email]]


def test_a_recipient_never_written_to_gets_no_new_time_message(
    booked_quietly, receptionist, django_capture_on_commit_callbacks
):
    """Their first message, whenever it goes, carries the new time anyway."""
    booked_quietly.deliveries.filter(recipient="provider").delete()
    refreshed = refresh_at(
        booked_quietly,
        booked_quietly.scheduled_for + dt.timedelta(hours=1),
        actor=receptionist,
        capture=django_capture_on_commit_callbacks,
    )
    assert list(
        refreshed.deliveries.filter(kind="time_changed").values_list("recipient", flat=True)
    ) == ["patient"]


def test_each_change_of_time_is_emailed(book, receptionist, django_capture_on_commit_callbacks):
    consultation = book(scheduled_for=future(hours=30))
    first = consultation.scheduled_for + dt.timedelta(hours=1)
    refresh_at(consultation, first, actor=receptionist, capture=django_capture_on_commit_callbacks)
    refreshed = refresh_at(
        consultation,
        first + dt.timedelta(hours=1),
        actor=receptionist,
        capture=django_capture_on_commit_callbacks,
    )
    assert refreshed.calendar_sequence == 2
    assert refreshed.deliveries.filter(kind="time_changed", state=State.SENT).count() == 4


# --- PostgreSQL: ten workers, one delivery -------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_workers_racing_for_one_delivery_send_it_once(seeded_catalogs, book_consultation):
    consultation = book_consultation()  # its booking messages go out at the commit
    mail.outbox.clear()
    delivery = Delivery.objects.create(
        consultation=consultation, recipient="patient", kind="resend"
    )
    connection.close()

    results = race([lambda: services.delivery_send(delivery_id=delivery.pk) for _ in range(10)])

    assert all(isinstance(result, Delivery) for result in results), results
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (State.SENT, 1)
    assert len(mail.outbox) == 1
