"""Two reconciliation runs at once (PostgreSQL, threads with their own connections): each
consultation is claimed by one of them, so Kairo is asked about it once."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter

import pytest
from django.utils import timezone

from consultations import services
from consultations.models import ConsultationEvent, ConsultationStatus
from tests.consultations.conftest import race
from tests.consultations.fake_kairo import CountingKairo
from tests.factories import ConsultationFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RUNS = 4


def test_concurrent_runs_never_ask_about_the_same_consultation(seeded_catalogs):
    started = timezone.now() - dt.timedelta(minutes=10)
    consultations = [
        ConsultationFactory(starts_at=started, kairo_consultation_id=uuid.uuid4())
        for _ in range(12)
    ]
    # A small delay per answer keeps every run busy while the others claim.
    kairo = CountingKairo(delay=0.02)

    def run() -> services.ReconcileReport:
        return services.consultations_reconcile(
            max_requests=30,
            reserve=0,
            interval=dt.timedelta(minutes=15),
            attention_after=dt.timedelta(minutes=30),
            client=kairo,
        )

    reports = race([run] * RUNS)
    assert all(isinstance(report, services.ReconcileReport) for report in reports), reports
    asked = Counter(str(cid) for cid in kairo.asked)
    assert asked == Counter(str(c.kairo_consultation_id) for c in consultations)
    assert sum(report.requests for report in reports) == len(consultations)
    refreshed = ConsultationEvent.objects.filter(kind=ConsultationEvent.Kind.REFRESHED)
    assert refreshed.count() == len(consultations)
    assert all(c.status == ConsultationStatus.BOOKED for c in consultations)


def test_concurrent_runs_surface_a_booking_once(seeded_catalogs):
    consultation = ConsultationFactory(status=ConsultationStatus.UNCONFIRMED)
    type(consultation).objects.filter(pk=consultation.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=1)
    )

    def run() -> services.ReconcileReport:
        return services.consultations_reconcile(
            max_requests=0,
            reserve=0,
            interval=dt.timedelta(minutes=15),
            attention_after=dt.timedelta(minutes=30),
            client=CountingKairo(),
        )

    reports = race([run] * RUNS)
    assert all(len(report.attention) == 1 for report in reports), reports
    events = consultation.events.filter(kind=ConsultationEvent.Kind.NEEDS_ATTENTION)
    assert events.count() == 1
