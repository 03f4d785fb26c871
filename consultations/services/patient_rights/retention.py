"""The retention rule: patients with no activity for `PATIENT_RETENTION_DAYS` days are
anonymized (`python manage.py anonymize_inactive_patients`; off while the setting is 0)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from consultations import rules
from consultations.models import AuditEntry, Consultation, Patient, PatientChange
from consultations.services.audit import audit_record
from consultations.services.patient_rights.anonymize import anonymized_scrub


def patients_inactive(*, days: int, now: dt.datetime | None = None) -> QuerySet[Patient]:
    """Patients not anonymized yet with no activity in the last `days` days: their
    record unchanged (nor created) since, no consultation of theirs booked or starting
    since (nor later), no change recorded to them since, and none not over yet."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=days)
    recent_consultation = Consultation.objects.filter(patient=OuterRef("pk")).filter(
        Q(created_at__gte=cutoff) | Q(starts_at__gte=cutoff)
    )
    recent_change = PatientChange.objects.filter(patient=OuterRef("pk"), changed_at__gte=cutoff)
    ahead = rules.patient_consultations_ahead(patient=OuterRef("pk"), now=now)  # type: ignore[arg-type]  # an outer reference, resolved in the subquery
    return (
        Patient.objects.filter(anonymized_at__isnull=True, updated_at__lt=cutoff)
        .exclude(Exists(recent_consultation))
        .exclude(Exists(recent_change))
        .exclude(Exists(ahead))
        .order_by("pk")
    )


def patients_inactive_anonymize(
    *, days: int, dry_run: bool = False, now: dt.datetime | None = None
) -> int:
    """Anonymize every patient `patients_inactive` finds (each in its own transaction,
    audited `RETENTION_ANONYMIZED` with no account); return how many (with `dry_run`, how
    many would be, changing nothing). Safe to run twice at once: each patient is locked
    and checked again before it is anonymized, so a patient is anonymized, and audited,
    once. `days` of 0 or less does nothing."""
    if days <= 0:
        return 0
    now = now or timezone.now()
    candidates = list(patients_inactive(days=days, now=now).values_list("pk", flat=True))
    if dry_run:
        return len(candidates)
    done = 0
    for patient_id in candidates:
        with transaction.atomic():
            # Locked, then checked again: another run, or new activity, since the list.
            patient = (
                patients_inactive(days=days, now=now)
                .filter(pk=patient_id)
                .select_for_update(of=("self",))
                .first()
            )
            if patient is None:
                continue
            counts = anonymized_scrub(patient)
            audit_record(AuditEntry.Action.RETENTION_ANONYMIZED, target=patient, detail=counts)
            done += 1
    return done
