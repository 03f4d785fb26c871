"""PostgreSQL: the directory's searches use their indexes."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.db import connection

from consultations.models import Consultation, ConsultationStatus, Patient
from consultations.selectors.consultations import consultation_filtered
from consultations.selectors.directory import patient_search
from consultations.selectors.paging import PAGE_SIZE
from tests.factories import ConsultationFactory, PatientFactory

pytestmark = pytest.mark.django_db

BOGOTA = zoneinfo.ZoneInfo("America/Bogota")


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BOGOTA)


# --- PostgreSQL: the name search uses the trigram index ------------------------------------


def _directory_of(count: int) -> Patient:
    """`count` patients, each with a past consultation, and one findable "Ana Lucía Beltrán".

    The patients go in with bulk_create, whose inserts fill `name_search` too.
    """
    seed = ConsultationFactory(starts_at=at(2025, 1, 1, 9))
    patients = Patient.objects.bulk_create(
        Patient(
            name=f"Paciente Genérico {n}",
            document_type="CC",
            document_number=f"{70000000 + n}",
            phone="+573001234567",
            email=f"p{n}@example.test",
        )
        for n in range(count)
    )
    target = PatientFactory(name="Ana Lucía Beltrán", document_number="1020304050")
    start = at(2025, 1, 2, 0)
    Consultation.objects.bulk_create(
        Consultation(
            provider=seed.provider,
            patient=patient,
            consultation_type=seed.consultation_type,
            duration_id=30,
            scheduled_for=start + dt.timedelta(minutes=30 * n),
            starts_at=start + dt.timedelta(minutes=30 * n),
            ends_at=start + dt.timedelta(minutes=30 * n + 30),
            status=ConsultationStatus.COMPLETED,
        )
        for n, patient in enumerate([*patients, target])
    )
    with connection.cursor() as cursor:
        # Rows inserted since the index was built wait in GIN's pending list, which the
        # planner prices high; autovacuum flushes it in real life, this test by hand.
        cursor.execute("SELECT gin_clean_pending_list('patient_name_search_trgm'::regclass)")
        cursor.execute("ANALYZE consultations_patient")
        cursor.execute("ANALYZE consultations_consultation")
        # Sequential scans off: the plan must be able to use the index, whatever the
        # planner's taste for small tables.
        cursor.execute("SET LOCAL enable_seqscan = off")
    return target


@pytest.mark.postgres
def test_patient_name_search_uses_the_trigram_index():
    target = _directory_of(2000)
    queryset = patient_search(name_fragment="LUCIA")
    # The column the index covers, as Django writes it for `contains` (text cast to text).
    assert '"consultations_patient"."name_search"::text LIKE' in str(queryset.query)
    assert "patient_name_search_trgm" in queryset[: PAGE_SIZE + 1].explain()
    assert list(queryset) == [target]


@pytest.mark.postgres
def test_consultation_list_name_search_uses_the_trigram_index():
    target = _directory_of(2000)
    queryset = consultation_filtered(name_fragment="beltrán")
    assert "patient_name_search_trgm" in queryset[: PAGE_SIZE + 1].explain()
    assert [c.patient_id for c in queryset] == [target.pk]


@pytest.mark.postgres
def test_only_the_name_search_trigram_index_remains():
    """Migration 0013 moved the trigram index from UPPER(name) to the search column."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'consultations_patient'"
            " AND indexdef LIKE '%gin_trgm_ops%'"
        )
        rows = cursor.fetchall()
    assert [name for name, _ in rows] == ["patient_name_search_trgm"]
    assert "(name_search gin_trgm_ops)" in rows[0][1]


@pytest.mark.postgres
def test_document_search_uses_the_unique_document_index():
    target = _directory_of(2000)
    queryset = patient_search(document_number="1020304050")
    assert "patient_unique_document" in queryset.explain()
    assert list(queryset) == [target]


# --- A provider's upcoming consultations ---------------------------------------------------


def test_upcoming_keeps_the_longest_consultation_still_running_and_drops_ended_ones():
    # provider_upcoming reads only what started at most LONGEST_WINDOW ago (the
    # contract's longest duration): a 60-minute consultation started 59 minutes ago is
    # still running and listed; one that ended just before it began is not.
    from consultations.kairo import contract
    from consultations.selectors.directory import provider_upcoming

    now = at(2030, 6, 12, 10, 0)
    longest = max(contract.ALLOWED_DURATIONS)
    running = ConsultationFactory(
        starts_at=now - dt.timedelta(minutes=longest - 1),
        minutes=longest,
        status=ConsultationStatus.IN_PROGRESS,
    )
    provider = running.provider
    ended = ConsultationFactory(
        provider=provider, starts_at=now - dt.timedelta(minutes=longest + 29), minutes=30
    )
    later = ConsultationFactory(provider=provider, starts_at=now + dt.timedelta(hours=1))
    upcoming = list(provider_upcoming(provider=provider, now=now))
    assert [c.pk for c in upcoming] == [running.pk, later.pk]
    assert ended.pk not in {c.pk for c in upcoming}
