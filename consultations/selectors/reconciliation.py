"""Which consultations reconciliation asks Kairo about, and why
(`services/reconciliation.py` does the asking)."""

from __future__ import annotations

import datetime as dt

from django.db.models import F, Q, QuerySet

from consultations.models import Consultation, ConsultationStatus

Status = ConsultationStatus

# Why a consultation is asked about (the summary counts each).
REASON_UNCONFIRMED = "unconfirmed"  # Kairo's id is known, its answer was not
REASON_EXPIRED = "expired"  # booked, past its expiry: Kairo will say Completed or Expired
REASON_STARTED = "started"  # booked, its start passed: it may be in progress
REASON_QUIET = "quiet"  # in progress, no news for an interval: it may be over


def reconcile_candidates(*, now: dt.datetime, interval: dt.timedelta) -> QuerySet[Consultation]:
    """The consultations due for a question to Kairo, least recently asked first.

    Unconfirmed with Kairo's id; booked past their expiry, or past their start (it may
    be in progress); in progress with no change for `interval` (gone quiet). None asked
    by a run, or refreshed by anyone, in the last `interval`.
    """
    recently = now - interval
    due = (
        Q(status=Status.UNCONFIRMED, kairo_consultation_id__isnull=False)
        | Q(status=Status.BOOKED, kairo_expires_at__lte=now)
        | Q(status=Status.BOOKED, starts_at__lte=now)
        | Q(status=Status.IN_PROGRESS, updated_at__lte=recently)
    )
    return (
        Consultation.objects.filter(due, kairo_consultation_id__isnull=False)
        .filter(not_asked_since(recently))
        # Never claimed first, then the longest waiting: a capped run moves on.
        .order_by(F("reconcile_claimed_at").asc(nulls_first=True), "starts_at", "pk")
    )


def not_asked_since(moment: dt.datetime) -> Q:
    return (Q(reconcile_claimed_at__isnull=True) | Q(reconcile_claimed_at__lt=moment)) & (
        Q(kairo_checked_at__isnull=True) | Q(kairo_checked_at__lt=moment)
    )


def reconcile_reason(consultation: Consultation, *, now: dt.datetime) -> str:
    """Which of `reconcile_candidates`' kinds `consultation` is."""
    if consultation.status == Status.UNCONFIRMED:
        return REASON_UNCONFIRMED
    if consultation.status == Status.IN_PROGRESS:
        return REASON_QUIET
    if consultation.kairo_expires_at is not None and consultation.kairo_expires_at <= now:
        return REASON_EXPIRED
    return REASON_STARTED
