"""`anonymize_inactive_patients`: off by default; with PATIENT_RETENTION_DAYS, only the
patients with no activity for that long are anonymized, each audited; a dry run counts;
the output names nobody."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from consultations import services
from consultations.models import AuditEntry, ConsultationStatus, Patient, PatientChange
from tests.factories import ConsultationFactory, PatientFactory

pytestmark = pytest.mark.django_db

Action = AuditEntry.Action
Status = ConsultationStatus
DAYS = 365


def long_ago(days: int = DAYS + 30):
    return time_machine.travel(timezone.now() - dt.timedelta(days=days), tick=False)


@pytest.fixture
def patients(receptionist):
    """Four patients: one inactive for over a year, one registered recently, one whose
    record was corrected recently, and one with a consultation booked long ago that is
    still ahead."""
    with long_ago():
        inactive = PatientFactory(name="Inés Inactiva Rojas")
        ConsultationFactory(
            patient=inactive,
            status=Status.COMPLETED,
            starts_at=timezone.now() + dt.timedelta(hours=1),
        )
        corrected = PatientFactory(name="Carlos Corregido Peña")
        ahead = PatientFactory(name="Ana Adelante Gil")
        ConsultationFactory(patient=ahead, starts_at=timezone.now() + dt.timedelta(days=DAYS + 60))
    recent = PatientFactory(name="Rosa Reciente León")
    PatientChange.objects.create(
        patient=corrected,
        field="email",
        old_value="c***@x.example",
        new_value="c***@y.example",
        source=PatientChange.Source.PATIENT_PAGE,
    )
    return {"inactive": inactive, "recent": recent, "corrected": corrected, "ahead": ahead}


def anonymized() -> set[str]:
    return set(Patient.objects.filter(anonymized_at__isnull=False).values_list("pk", flat=True))


def test_off_by_default(patients, settings):
    assert settings.PATIENT_RETENTION_DAYS == 0
    out = StringIO()
    call_command("anonymize_inactive_patients", stdout=out)
    assert "off" in out.getvalue()
    assert anonymized() == set()
    assert services.patients_inactive_anonymize(days=0) == 0


def test_only_the_inactive_are_anonymized_and_audited(patients, settings):
    settings.PATIENT_RETENTION_DAYS = DAYS
    out = StringIO()

    call_command("anonymize_inactive_patients", stdout=out)

    assert anonymized() == {patients["inactive"].pk}
    assert out.getvalue().startswith("1 ")
    for patient in patients.values():
        assert patient.name not in out.getvalue()
    entry = AuditEntry.objects.get(action=Action.RETENTION_ANONYMIZED)
    assert entry.patient_id == patients["inactive"].pk
    assert entry.actor_id is None and entry.actor_username == ""
    # A second run finds nobody more, and audits nothing more.
    again = StringIO()
    call_command("anonymize_inactive_patients", stdout=again)
    assert again.getvalue().startswith("0 ")
    assert AuditEntry.objects.filter(action=Action.RETENTION_ANONYMIZED).count() == 1


def test_a_dry_run_counts_and_changes_nothing(patients, settings):
    settings.PATIENT_RETENTION_DAYS = DAYS
    out = StringIO()

    call_command("anonymize_inactive_patients", "--dry-run", stdout=out)

    assert out.getvalue().startswith("1 ")
    assert "dry run" in out.getvalue()
    assert anonymized() == set()
    assert not AuditEntry.objects.filter(action=Action.RETENTION_ANONYMIZED).exists()


def test_a_shorter_period_reaches_more_patients(patients):
    with time_machine.travel(timezone.now() + dt.timedelta(days=40), tick=False):
        count = services.patients_inactive_anonymize(days=30)
    # Recent and corrected are now 40 days quiet; the one ahead still is not.
    assert count == 3
    assert patients["ahead"].pk not in anonymized()


def test_a_booking_made_recently_counts_as_activity(patients, settings):
    settings.PATIENT_RETENTION_DAYS = DAYS
    inactive = patients["inactive"]
    ConsultationFactory(
        patient=inactive,
        status=Status.CANCELLED,
        starts_at=timezone.now() - dt.timedelta(days=DAYS + 10),
    )  # created now, for a time long past
    call_command("anonymize_inactive_patients", stdout=StringIO())
    assert anonymized() == set()
