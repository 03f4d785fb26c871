"""PostgreSQL's constraints on consultations: no overlapping active windows, sane times."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from consultations.models import Consultation, ConsultationStatus
from tests.factories import (
    ConsultationFactory,
    ConsultationTypeFactory,
    PatientFactory,
    ProviderFactory,
)

pytestmark = pytest.mark.django_db


@pytest.mark.postgres
@pytest.mark.parametrize("party", ["provider", "patient"])
def test_postgres_refuses_overlapping_active_windows(party):
    assert connection.vendor == "postgresql"
    provider, patient = ProviderFactory(), PatientFactory()
    start = timezone.now() + dt.timedelta(days=1)
    ConsultationFactory(provider=provider, patient=patient, starts_at=start)
    other_provider = provider if party == "provider" else ProviderFactory()
    other_patient = patient if party == "patient" else PatientFactory()
    with pytest.raises(IntegrityError) as exc, transaction.atomic():
        ConsultationFactory(
            provider=other_provider,
            patient=other_patient,
            starts_at=start + dt.timedelta(minutes=29),
        )
    assert f"consultation_{party}_no_overlap" in str(exc.value)
    # Adjacent windows are fine.
    ConsultationFactory(
        provider=other_provider,
        patient=other_patient,
        starts_at=start + dt.timedelta(minutes=30),
    )


@pytest.mark.postgres
def test_postgres_overlap_ignores_inactive_consultations():
    provider, patient = ProviderFactory(), PatientFactory()
    start = timezone.now() + dt.timedelta(days=1)
    for status in (
        ConsultationStatus.CANCELLED,
        ConsultationStatus.EXPIRED,
        ConsultationStatus.COMPLETED,
        ConsultationStatus.REJECTED,
    ):
        ConsultationFactory(provider=provider, patient=patient, starts_at=start, status=status)
    ConsultationFactory(provider=provider, patient=patient, starts_at=start)  # the slot is free
    assert Consultation.objects.active().count() == 1


@pytest.mark.postgres
def test_postgres_check_constraints_on_consultation():
    provider, patient = ProviderFactory(), PatientFactory()
    start = timezone.now() + dt.timedelta(days=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Consultation.objects.create(
            provider=provider,
            patient=patient,
            consultation_type=ConsultationTypeFactory(),
            duration_id=30,
            starts_at=start,
            ends_at=start,
        )
