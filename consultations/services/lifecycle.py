"""After booking: refresh from Kairo, cancel here, sweep bookings stuck in *sending*."""

from __future__ import annotations

import datetime as dt
import logging

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consultations import rules
from consultations.kairo import client as kairo
from consultations.models import Consultation, ConsultationEvent, ConsultationStatus
from consultations.rules import overlap_party
from consultations.services.deliveries import (
    booking_deliveries_schedule,
    cancellation_deliveries_schedule,
    time_change_deliveries_schedule,
)
from consultations.services.events import error_detail, event_record, status_detail
from consultations.services.kairo_mapping import kairo_client, remote_apply

logger = logging.getLogger("consultations.booking")

Status = ConsultationStatus
Kind = ConsultationEvent.Kind

# Local cancellation: a booking Kairo holds (or may hold) that nobody has joined yet. A
# *sending* one is still in someone's hands (the sweep makes it unconfirmed first).
CANCELLABLE_STATUSES: tuple[str, ...] = (Status.UNCONFIRMED, Status.BOOKED)


class RefreshTimeClash(Exception):
    """Kairo reported a new time that overlaps another active booking here.

    Raised after the refresh is recorded: everything else Kairo said was applied, the
    consultation kept its local time (no double booking here, no "new time" emails),
    and a `refreshed` event notes the clash. `error` names who is busy and when;
    `kairo_scheduled_for` is the time Kairo reported.
    """

    def __init__(
        self,
        *,
        consultation: Consultation,
        error: ValidationError,
        kairo_scheduled_for: dt.datetime,
    ) -> None:
        super().__init__(str(error))
        self.consultation = consultation
        self.error = error
        self.kairo_scheduled_for = kairo_scheduled_for


def consultation_refresh(
    *,
    consultation: Consultation,
    actor: User | None,
    client: kairo.KairoClient | None = None,
) -> Consultation:
    """Read the consultation back from Kairo (GET detail) and record what changed.

    Updates remote status (unknown values kept raw, local status unchanged), expiry,
    PIN and links, and session info; moves the local status forward only (Pending ->
    booked, InProgress -> in progress, Completed, Expired); a local cancellation stays.
    When Kairo reports another time for a scheduled consultation, moves it, raises its
    calendar SEQUENCE and queues the "new time" messages
    (`time_change_deliveries_schedule`), sent after the commit. A new time that would
    overlap another active booking of the provider or the patient is not taken: the
    rest is recorded and `RefreshTimeClash` raised.
    Raises ValueError when the Kairo id is unknown (nothing to look up), KairoError when
    the call fails (after recording a `refresh_failed` event).
    """
    if consultation.kairo_consultation_id is None:
        raise ValueError("This consultation has no Kairo id to look up.")
    client = client or kairo_client()
    try:
        remote = client.get_consultation(consultation.kairo_consultation_id)
    except kairo.KairoError as error:
        event_record(
            consultation,
            Kind.REFRESH_FAILED,
            actor=actor,
            request_id=error.request_id,
            detail=error_detail(error),
        )
        raise
    with transaction.atomic():
        current = Consultation.objects.select_for_update().get(pk=consultation.pk)
        before = current.status
        sequence_before = current.calendar_sequence
        local_window = (current.scheduled_for, current.starts_at, current.ends_at)
        remote_apply(current, remote)
        moved = current.calendar_sequence != sequence_before
        clash = new_time_clash(current) if moved else None
        if clash is None:
            try:
                with transaction.atomic():  # a savepoint: the constraint may still refuse
                    current.save()
            except IntegrityError as exc:
                # PostgreSQL: a booking committed after our check took the new time.
                party = overlap_party(exc)
                if party is None:
                    raise
                clash = new_time_clash(current) or ValidationError(
                    {
                        party: ValidationError(
                            _("Another booking holds that time."), code=f"{party}_busy"
                        )
                    }
                )
        if clash is not None:
            # Kairo's word cannot double-book anyone here: keep the local window (and
            # the calendar SEQUENCE: nothing moved, nobody is told of a new time).
            current.scheduled_for, current.starts_at, current.ends_at = local_window
            current.calendar_sequence = sequence_before
            current.save()
        # First the new time for whoever already has the old one, then the booking
        # messages a first confirmation calls for (they are built with the new time).
        time_change_deliveries_schedule(
            consultation=current, previous_sequence=sequence_before, actor=actor
        )
        booking_deliveries_schedule(consultation=current, previous_status=before)
        detail = {
            **status_detail(before, current, kairo_status=remote.status),
            "session": remote.session_info is not None,
        }
        if current.calendar_sequence != sequence_before:
            detail["time_changed"] = True
        if clash is not None:
            # A clash is about the time Kairo moved the consultation to.
            assert remote.scheduled_at is not None
            detail["time_clash"] = sorted(
                error.code for errors in clash.error_dict.values() for error in errors
            )
            detail["kairo_scheduled_at"] = remote.scheduled_at.isoformat()
        event_record(
            current,
            Kind.REFRESHED,
            actor=actor,
            request_id=remote.request_id,
            detail=detail,
        )
    if clash is not None:
        assert remote.scheduled_at is not None  # as above
        raise RefreshTimeClash(
            consultation=current, error=clash, kairo_scheduled_for=remote.scheduled_at
        )
    return current


def new_time_clash(consultation: Consultation) -> ValidationError | None:
    """Whether the window Kairo moved an active `consultation` to overlaps another
    active booking of its provider or patient: a ValidationError keyed `provider`,
    `patient` (the codes of `rules.provider_free_check` and `patient_free_check`), or
    None. `consultation_refresh` asks before saving the new time, and again when a
    no-overlap constraint refuses it."""
    if not consultation.is_active:
        return None
    starts_at, ends_at, pk = consultation.starts_at, consultation.ends_at, consultation.pk
    errors: dict[str, ValidationError] = {}
    checks = {
        "provider": lambda: rules.provider_free_check(
            provider=consultation.provider, starts_at=starts_at, ends_at=ends_at, exclude_pk=pk
        ),
        "patient": lambda: rules.patient_free_check(
            patient=consultation.patient, starts_at=starts_at, ends_at=ends_at, exclude_pk=pk
        ),
    }
    for party, check in checks.items():
        try:
            check()
        except ValidationError as error:
            errors[party] = error
    return ValidationError(errors) if errors else None


def consultation_cancel(*, consultation: Consultation, actor: User, reason: str) -> Consultation:
    """Cancel here, record who and why, and tell the patient and the provider.

    Kairo Connect has no cancel endpoint (docs/kairo-connect-api.md "Endpoints"), so
    nothing is sent to Kairo: its room stays open (and joinable with the PIN) until it
    expires, and Kairo keeps refusing an overlapping booking of that provider or patient
    until then, so the window stays blocked here too
    (`ConsultationQuerySet.held_by_kairo`).
    Raises the consultation's calendar SEQUENCE and queues the cancellation messages
    (`cancellation_deliveries_schedule`: the patient, and the provider unless
    EMAIL_PROVIDER_MESSAGES is off), sent after the commit; reminders still queued are
    then skipped by the sender. Raises ValidationError `not_cancellable` unless the
    booking is unconfirmed or booked, `reason_required` without a reason.
    """
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError(
            {"reason": ValidationError(_("Say why it is cancelled."), code="reason_required")}
        )
    with transaction.atomic():
        current = Consultation.objects.select_for_update().get(pk=consultation.pk)
        if current.status not in CANCELLABLE_STATUSES:
            raise ValidationError(
                _("A consultation that is %(status)s cannot be cancelled."),
                code="not_cancellable",
                params={"status": current.get_status_display()},
            )
        before = current.status
        current.status = Status.CANCELLED
        current.cancelled_at = timezone.now()
        current.cancelled_by = actor
        current.cancellation_reason = reason[:300]
        # The cancelling calendar file must outrank every file sent before it.
        current.calendar_sequence += 1
        current.save()
        event_record(
            current,
            Kind.CANCELLED,
            actor=actor,
            detail={**status_detail(before, current), "kairo_notified": False},
        )
        cancellation_deliveries_schedule(consultation=current, actor=actor)
    return current


def consultations_sweep_stuck(*, older_than: dt.timedelta) -> int:
    """Move bookings left *sending* for longer than `older_than` to *unconfirmed*.

    A process that died between committing a booking and recording Kairo's answer
    leaves it *sending*; whether Kairo created it is unknown, so it is never re-sent:
    it keeps its slot and waits for a person, a refresh or the webhook. Safe to run
    every minute and concurrently. Returns how many were moved.
    """
    cutoff = timezone.now() - older_than
    with transaction.atomic():
        stuck = list(
            Consultation.objects.select_for_update(skip_locked=True)
            .filter(status=Status.SENDING, updated_at__lt=cutoff)
            .only("pk", "status")
        )
        if not stuck:
            return 0
        ids = [row.pk for row in stuck]
        moved = Consultation.objects.filter(pk__in=ids, status=Status.SENDING).update(
            status=Status.UNCONFIRMED, updated_at=timezone.now()
        )
        ConsultationEvent.objects.bulk_create(
            ConsultationEvent(
                consultation_id=pk,
                kind=Kind.STUCK_SWEPT,
                detail={"from": Status.SENDING, "to": Status.UNCONFIRMED},
            )
            for pk in ids
        )
    if moved:
        logger.warning("Swept %s booking(s) stuck in sending to unconfirmed", moved)
    return moved
