"""No double booking under real concurrency (PostgreSQL): threads with their own
connections race through `consultation_book`; the exclusion constraints and the
one-time token make exactly one win, and Kairo hears about it once."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from consultations import services
from consultations.models import (
    Consultation,
    ConsultationStatus,
    ConsultationType,
    Duration,
    Patient,
)
from tests.consultations.conftest import race
from tests.errors import error_codes
from tests.factories import ProviderFactory, future

# Real commits, seen across connections. pytest-django runs transactional tests last,
# after others (the browser tests) may have flushed the database: the catalogs are
# seeded again by the fixture below rather than restored by serialized_rollback (which
# collides with the content types a flush re-creates).
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 20


def summary(results: list[Any]) -> list[str]:
    """What each thread got, for a failure message."""
    return [
        f"{type(result).__name__}: {getattr(result, 'status', None) or result!r}"[:200]
        for result in results
    ]


def new_patient(number: int | str) -> Patient:
    return Patient(
        document_type="CC",
        document_number=f"{number}".rjust(10, "7"),
        name=f"Paciente Concurrente {number}",
        phone="+573109876543",
        email=f"p{number}@correo.example",
    )


@pytest.fixture
def catalogs(seeded_catalogs):
    return {
        "consultation_type": ConsultationType.objects.get(code="ConsultaGeneral"),
        "duration": Duration.objects.get(minutes=30),
    }


def booking_call(*, actor, token=None, **values) -> Callable[[], Consultation]:
    token = token or uuid.uuid4()

    def call() -> Consultation:
        return services.consultation_book(
            authorization_given=True, actor=actor, booking_token=token, **values
        )

    return call


def busy_codes(results: list[Any], key: str) -> list[str]:
    codes = []
    for result in results:
        if isinstance(result, ValidationError):
            codes.extend(error_codes(result)[key])
        elif not isinstance(result, Consultation):
            raise AssertionError(f"unexpected outcome: {result!r}")
    return codes


def test_twenty_overlapping_bookings_for_one_provider_make_one(receptionist, catalogs, sandbox):
    provider = ProviderFactory()
    start = future(hours=3)
    calls = [
        booking_call(
            actor=receptionist,
            patient=new_patient(i),
            provider=provider,
            scheduled_for=start + dt.timedelta(minutes=i),  # every window overlaps the others
            **catalogs,
        )
        for i in range(THREADS)
    ]
    results = race(calls)

    booked = [r for r in results if isinstance(r, Consultation)]
    assert len(booked) == 1, summary(results)
    assert booked[0].status == ConsultationStatus.BOOKED
    assert busy_codes(results, "provider") == ["provider_busy"] * (THREADS - 1)
    assert Consultation.objects.count() == 1
    assert sandbox.stats()["createsReceived"] == 1


def test_one_patient_with_two_providers_at_once_makes_one(receptionist, catalogs, sandbox):
    start = future(hours=3)
    providers = [ProviderFactory() for _ in range(THREADS)]
    # The same new patient (same document) from every thread: also races its creation.
    calls = [
        booking_call(
            actor=receptionist,
            patient=new_patient("4242"),
            provider=provider,
            scheduled_for=start,
            **catalogs,
        )
        for provider in providers
    ]
    results = race(calls)

    booked = [r for r in results if isinstance(r, Consultation)]
    assert len(booked) == 1, summary(results)
    assert busy_codes(results, "patient") == ["patient_busy"] * (THREADS - 1)
    assert Patient.objects.count() == 1
    assert Consultation.objects.count() == 1
    assert sandbox.stats()["createsReceived"] == 1


def test_the_same_token_twice_at_once_books_once(receptionist, catalogs, sandbox):
    """Ten double clicks at once (each its own provider and token): each pair gets one
    booking, both requests see it, and Kairo gets one create per pair."""
    start = future(hours=3)
    pairs = [(ProviderFactory(), uuid.uuid4()) for _ in range(THREADS // 2)]
    calls = [
        booking_call(
            actor=receptionist,
            token=token,
            patient=new_patient(f"{index}{click}"),
            provider=provider,
            scheduled_for=start,
            **catalogs,
        )
        for index, (provider, token) in enumerate(pairs)
        for click in range(2)
    ]
    results = race(calls)

    assert all(isinstance(result, Consultation) for result in results), results
    for index in range(len(pairs)):
        first, second = results[2 * index], results[2 * index + 1]
        assert first.pk == second.pk
    assert Consultation.objects.count() == len(pairs)
    assert sandbox.stats()["createsReceived"] == len(pairs)


def test_adjacent_windows_all_succeed_concurrently(receptionist, catalogs, sandbox):
    provider = ProviderFactory()
    start = future(hours=3)
    calls = [
        booking_call(
            actor=receptionist,
            patient=new_patient(i),
            provider=provider,
            scheduled_for=start + dt.timedelta(minutes=30 * i),
            **catalogs,
        )
        for i in range(5)
    ]
    results = race(calls)
    assert all(isinstance(result, Consultation) for result in results), results
    assert sandbox.stats()["createsReceived"] == 5
