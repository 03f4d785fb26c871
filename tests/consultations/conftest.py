"""Fixtures for the consultations tests: a fresh in-process Kairo sandbox, ready-made
catalogs, providers and patients, valid booking form data, and the few ready-made
consultations that the tests of several modules share (consultations in any other state
come from `tests.factories.ConsultationFactory`)."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from consultations import services
from consultations.kairo.client import KairoClient
from consultations.kairo.sandbox import default_sandbox, reset_default_sandbox
from consultations.models import (
    Consultation,
    ConsultationStatus,
    ConsultationType,
    Duration,
    Patient,
)
from tests.consultations.database_outage import DatabaseOutage, HeldWebhooks
from tests.consultations.patient_identity import STORED_NAME
from tests.factories import ConsultationFactory, PatientFactory, ProviderFactory, future, org_zone

Status = ConsultationStatus
DAY = dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def kairo_in_process(settings):
    """Every test talks to a brand-new in-process sandbox, built from the test's settings
    the first time it is used (so a test may change the time zone or credentials first)."""
    settings.KAIRO_BASE_URL = ""
    reset_default_sandbox()
    yield
    reset_default_sandbox()


@pytest.fixture(autouse=True)
def tasks_run_immediately(settings):
    """Background tasks (email deliveries) run in the enqueuing thread, when enqueued:
    after the commit, as in production, but with no thread or worker to wait for. The
    in-process backend has its own tests."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def sandbox():
    """The process-wide sandbox the app's client talks to."""
    return default_sandbox()


@pytest.fixture
def new_york(settings):
    """A non-Bogotá organization time zone, with daylight saving time."""
    settings.ORGANIZATION_TIME_ZONE = "America/New_York"
    settings.TIME_ZONE = "America/New_York"
    return ZoneInfo("America/New_York")


def race(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls at once, one thread and one database connection each; return each
    result or the exception it raised. A barrier, not a sleep, lines them up."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - reported to the test as a result
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


@pytest.fixture
def general_type(db) -> ConsultationType:
    return ConsultationType.objects.get(code="ConsultaGeneral")


@pytest.fixture
def duration_30(db) -> Duration:
    return Duration.objects.get(minutes=30)


@pytest.fixture
def provider(db):
    return ProviderFactory()


@pytest.fixture
def patient(db):
    return PatientFactory(
        data_processing_authorized=True,
        data_processing_authorized_at=timezone.now(),
        data_processing_policy_version="2026-01",
    )


@pytest.fixture
def booking_data(provider, general_type):
    """booking_data(**overrides): a valid POST for the booking form (a new patient,
    scheduled two hours ahead, 30 minutes, authorization given, a fresh token)."""

    def make(**overrides) -> dict[str, str]:
        when = overrides.pop("when_at", None) or future()
        local = when.astimezone(org_zone())
        data = {
            "document_type": "CC",
            "document_number": "1020304050",
            "name": "Juan Camilo Gómez",
            "phone": "+573109876543",
            "email": "juan.gomez@correo.example",
            "preferred_language": "es",
            "authorization": "on",
            "provider": str(provider.pk),
            "consultation_type": str(general_type.pk),
            "duration": "30",
            "when": "scheduled",
            "scheduled_date": local.strftime("%Y-%m-%d"),
            "scheduled_time": local.strftime("%H:%M"),
            "booking_token": str(uuid.uuid4()),
        }
        data.update({key: str(value) for key, value in overrides.items()})
        return {key: value for key, value in data.items() if value != "None"}

    return make


@pytest.fixture
def book_consultation(receptionist, provider, general_type, duration_30):
    """book_consultation(**overrides) -> Consultation: a real booking through the service
    and the sandbox (join links and PIN included), for a new patient two hours ahead."""

    def call(**overrides) -> Consultation:
        values = {
            "patient": Patient(
                document_type="CC",
                document_number="1020304050",
                name="Juan Camilo Gómez",
                phone="+573109876543",
                email="juan.gomez@correo.example",
            ),
            "authorization_given": True,
            "provider": provider,
            "consultation_type": general_type,
            "duration": duration_30,
            "scheduled_for": future(),
            "actor": receptionist,
            "booking_token": uuid.uuid4(),
        }
        values.update(overrides)
        return services.consultation_book(**values)

    return call


@pytest.fixture
def kairo_books_elsewhere(general_type):
    """kairo_books_elsewhere(provider, when): Kairo takes a 30-minute booking of `provider`
    at `when` that this desk never recorded (another desk's, or one lost here), so that
    only Kairo knows of the clash."""

    def book(provider, when: dt.datetime) -> None:
        with KairoClient.from_settings() as client:
            client.create_consultation(
                services.booking.kairo_request_build(
                    Consultation(
                        provider=provider,
                        patient=PatientFactory.build(document_number="77777777"),
                        consultation_type=general_type,
                        duration_id=30,
                        scheduled_for=when,
                    )
                )
            )

    return book


@pytest.fixture
def booked(book_consultation, django_capture_on_commit_callbacks):
    """A booking whose two messages went out."""
    with django_capture_on_commit_callbacks(execute=True):
        return book_consultation()


# --- Consultations that the tests of several modules share ---------------------------------


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


@pytest.fixture
def known(patient) -> Patient:
    """An authorized patient on file as Jorge Iván Pérez, CC 1020304050."""
    patient.name = STORED_NAME
    patient.document_number = "1020304050"
    patient.email = "jorge.perez@correo.example"
    patient.phone = "+573001112233"
    patient.save()
    return patient


@pytest.fixture
def pending():
    """pending(booked_at=..., status=..., **fields) -> a consultation two days ahead,
    with its join links, booked (created) at `booked_at` (default: a week before)."""

    def make(*, booked_at: dt.datetime | None = None, **fields) -> Consultation:
        starts_at = fields.pop("starts_at", None) or future(hours=48)
        values = {
            "patient": PatientFactory(email="ana.perez@correo.example"),
            "access_pin": "123456",
            "patient_join_url": "https://meet.example/room?type=patient",
            "provider_join_url": "https://meet.example/room?type=provider",
            "kairo_consultation_id": None,
            **fields,
        }
        consultation = ConsultationFactory(starts_at=starts_at, **values)
        Consultation.objects.filter(pk=consultation.pk).update(
            created_at=booked_at or starts_at - 7 * DAY
        )
        consultation.refresh_from_db()
        return consultation

    return make


@pytest.fixture
def aged():
    """aged(minutes, status): a consultation last touched `minutes` ago."""

    def make(minutes: float, status: str = Status.SENDING):
        with time_machine.travel(timezone.now() - dt.timedelta(minutes=minutes), tick=False):
            return ConsultationFactory(status=status)

    return make


# --- The database dropping mid-booking (tests/consultations/database_outage.py) ----------


@pytest.fixture
def outage(monkeypatch):
    """A staged database outage after Kairo answers (`DatabaseOutage`)."""
    staged = DatabaseOutage(monkeypatch)
    yield staged
    staged.back()  # before the database is flushed at the test's end


@pytest.fixture
def held_webhooks(sandbox, settings):
    """The sandbox's webhooks to our receiver, held until `.release()`."""
    held = HeldWebhooks(sandbox, settings.KAIRO_WEBHOOK_SECRET)
    yield held
    held.gate.set()
    sandbox.wait_for_webhooks(timeout=30)  # none left to reach a flushed database
