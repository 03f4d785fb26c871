"""Two retention runs at once (PostgreSQL, threads with their own connections): each
patient is anonymized, and audited, once."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from consultations import services
from consultations.models import AuditEntry, Patient
from tests.consultations.conftest import race
from tests.factories import PatientFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_runs_anonymize_each_patient_once(seeded_catalogs):
    with time_machine.travel(timezone.now() - dt.timedelta(days=400), tick=False):
        patients = PatientFactory.create_batch(8)

    results = race([lambda: services.patients_inactive_anonymize(days=365)] * 3)

    assert not [r for r in results if isinstance(r, Exception)]
    assert sum(results) == len(patients)
    assert Patient.objects.filter(anonymized_at__isnull=False).count() == len(patients)
    audited = AuditEntry.objects.filter(action=AuditEntry.Action.RETENTION_ANONYMIZED)
    assert sorted(audited.values_list("patient_id", flat=True)) == sorted(p.pk for p in patients)
