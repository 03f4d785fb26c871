"""Creating deliveries: the booking messages, "new time" messages, Resend and due
reminders. Each is a queued `Delivery` written in the caller's transaction, its send
task enqueued after the commit (see the package docstring)."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consultations.models import (
    Consultation,
    ConsultationEvent,
    ConsultationStatus,
    Delivery,
)
from consultations.services.deliveries.sending import LINK_STATUSES
from consultations.services.events import delivery_detail, event_record
from consultations.tasks import delivery_send_enqueue_on_commit

logger = logging.getLogger("consultations.email")

Status = ConsultationStatus
Recipient = Delivery.Recipient
DeliveryKind = Delivery.Kind


def booking_deliveries_schedule(
    *, consultation: Consultation, previous_status: str, first: bool = False
) -> list[Delivery]:
    """Queue the booking messages if `consultation` has just become booked.

    Call inside the transaction that saved the change (`previous_status` is the status
    before it). When the consultation moved from sending/unconfirmed to booked (or
    straight to in progress) and has join links, creates the patient's booking delivery
    and the provider's (unless EMAIL_PROVIDER_MESSAGES is off), records nothing else,
    and schedules their send tasks for after the commit. A recipient that already has
    its booking delivery gets no second one. Returns the deliveries created.

    `first` True: the caller knows neither exists yet (it moved the row from *sending*
    under its lock) and writes them without a savepoint; should one exist after all,
    the IntegrityError leaves the caller's transaction to be rolled back whole.
    """
    if previous_status in LINK_STATUSES or consultation.status not in LINK_STATUSES:
        return []
    recipients = [recipient for recipient in _recipients() if consultation.join_url_for(recipient)]
    rows = [
        Delivery(consultation=consultation, recipient=recipient, kind=DeliveryKind.BOOKING)
        for recipient in recipients
    ]
    if not rows:
        return []
    if first:
        written = Delivery.objects.bulk_create(rows)
        for row in written:
            delivery_send_enqueue_on_commit(row.pk)
        return written
    try:
        # All at once, in one savepoint: the usual case, neither written before.
        with transaction.atomic():
            created = Delivery.objects.bulk_create(rows)
    except IntegrityError:
        # One of them exists already: each on its own, the existing one left alone.
        return [
            delivery
            for recipient in recipients
            if (
                delivery := _insert_once(
                    consultation=consultation, recipient=recipient, kind=DeliveryKind.BOOKING
                )
            )
            is not None
        ]
    for delivery in created:
        delivery_send_enqueue_on_commit(delivery.pk)
    return created


def time_change_deliveries_schedule(
    *,
    consultation: Consultation,
    previous_sequence: int,
    actor: User | None = None,
) -> list[Delivery]:
    """Queue the "new time" messages if Kairo has just moved `consultation`.

    Call inside the transaction that saved the change, holding the consultation's row
    lock, before `booking_deliveries_schedule` (`previous_sequence` is its
    `calendar_sequence` before the change; `remote_apply` raises it when the time moves).
    When the time changed and the consultation is still booked or in progress, each
    recipient who has a join link and was already written to (any earlier delivery,
    sent or still queued) gets a `time_changed` delivery: the patient, and the provider
    unless EMAIL_PROVIDER_MESSAGES is off. Records an `email` event for each (by
    `actor`) and schedules their send tasks for after the commit. Returns the deliveries
    created.

    A recipient with only a queued booking message still gets one: that message may be
    built by a worker right now, from the time before this transaction commits. A
    recipient never written to gets nothing: their first message will carry the new
    time. Each change is a new delivery (the row lock makes one refresh see it), so a
    time moved twice is announced twice.
    """
    if consultation.calendar_sequence == previous_sequence:
        return []
    if consultation.status not in LINK_STATUSES:
        return []
    written_to = set(
        Delivery.objects.filter(consultation=consultation).values_list("recipient", flat=True)
    )
    created = []
    for recipient in _recipients():
        if recipient not in written_to or not consultation.join_url_for(recipient):
            continue
        delivery = Delivery.objects.create(
            consultation=consultation, recipient=recipient, kind=DeliveryKind.TIME_CHANGED
        )
        event_record(
            consultation,
            ConsultationEvent.Kind.EMAIL,
            actor=actor,
            detail=delivery_detail(delivery, calendar_sequence=consultation.calendar_sequence),
        )
        delivery_send_enqueue_on_commit(delivery.pk)
        created.append(delivery)
    return created


def cancellation_deliveries_schedule(
    *, consultation: Consultation, actor: User | None = None
) -> list[Delivery]:
    """Queue the cancellation messages of `consultation`, just cancelled here.

    Call inside the transaction that cancelled it, holding its row lock, after raising
    its `calendar_sequence` (the cancelling calendar file must outrank every file sent
    before). Creates a `cancelled` delivery for the patient, and for the provider unless
    EMAIL_PROVIDER_MESSAGES is off, whether or not they were written to before (a
    booking never confirmed was still agreed with the patient), records an `email`
    event for each (by `actor`) and schedules their send tasks for after the commit.
    A recipient who already has one gets no second. Returns the deliveries created.
    Raises ValueError unless the consultation is cancelled.
    """
    if consultation.status != Status.CANCELLED:
        raise ValueError("only a cancelled consultation gets cancellation messages")
    created = []
    for recipient in _recipients():
        delivery = _insert_once(
            consultation=consultation, recipient=recipient, kind=DeliveryKind.CANCELLED
        )
        if delivery is None:
            continue
        event_record(
            consultation,
            ConsultationEvent.Kind.EMAIL,
            actor=actor,
            detail=delivery_detail(delivery, calendar_sequence=consultation.calendar_sequence),
        )
        created.append(delivery)
    return created


def delivery_resend(*, consultation: Consultation, recipient: str, actor: User) -> Delivery:
    """ "Resend": queue a new message with the join link to `recipient`, on behalf of
    `actor`, sent to the address on file when it goes out.

    Raises ValueError for an unknown recipient, and the ValidationError of
    `_resend_refusal` (checked on the locked row): `not_confirmed` while Kairo has not
    confirmed the booking, `not_active` for a consultation that is over, cancelled or
    rejected, `no_join_link` when it has no link for that recipient,
    `provider_messages_off` for the provider when EMAIL_PROVIDER_MESSAGES is off.
    Records an `email` event and enqueues the send after the commit.
    """
    if recipient not in Recipient.values:
        raise ValueError(f"unknown recipient {recipient!r}")
    with transaction.atomic():
        current = Consultation.objects.select_for_update().get(pk=consultation.pk)
        refusal = _resend_refusal(current, recipient)
        if refusal is not None:
            raise refusal
        delivery = Delivery.objects.create(
            consultation=current,
            recipient=recipient,
            kind=DeliveryKind.RESEND,
            requested_by=actor,
        )
        event_record(
            current,
            ConsultationEvent.Kind.EMAIL,
            actor=actor,
            detail=delivery_detail(delivery, requested=True),
        )
        delivery_send_enqueue_on_commit(delivery.pk)
    return delivery


def delivery_resend_allowed(*, consultation: Consultation, recipient: str) -> bool:
    """Whether "Resend" to `recipient` would be accepted for `consultation` as it is now:
    the checks `delivery_resend` makes (it makes them again on the locked row), for
    pages deciding which Resend buttons to offer. Permissions are the caller's.
    Raises ValueError for an unknown recipient."""
    if recipient not in Recipient.values:
        raise ValueError(f"unknown recipient {recipient!r}")
    return _resend_refusal(consultation, recipient) is None


def _resend_refusal(consultation: Consultation, recipient: str) -> ValidationError | None:
    """Why a Resend to `recipient` is refused now (see `delivery_resend`), or None."""
    if recipient not in _recipients():
        return ValidationError(
            _("This clinic does not email providers; give the provider the link another way."),
            code="provider_messages_off",
        )
    if consultation.status in (Status.SENDING, Status.UNCONFIRMED):
        return ValidationError(
            _("Kairo Connect has not confirmed this booking yet: there is no link to send."),
            code="not_confirmed",
        )
    if consultation.status not in LINK_STATUSES:
        return ValidationError(
            _("A consultation that is %(status)s gets no more emails."),
            code="not_active",
            params={"status": consultation.get_status_display()},
        )
    if not consultation.join_url_for(recipient):
        return ValidationError(
            _("There is no join link to send yet: the booking is not confirmed by Kairo."),
            code="no_join_link",
        )
    return None


def reminders_send_due(*, now: dt.datetime | None = None) -> int:
    """Queue the reminders that are due; return how many were created.

    For each offset in REMINDER_OFFSETS_MINUTES, a scheduled consultation still booked
    (not started, cancelled, expired or completed) gets one patient reminder once
    `starts_at - offset` has passed, if it was booked before that moment (a booking made
    inside the window gets no such reminder: its booking message is fresher). A late run
    still sends, until the next smaller offset is due: then only that one goes out (two
    reminders in the same minute help nobody), and none once the consultation starts.
    Exactly once per offset, also when runs overlap: the database refuses a second row.
    Safe to run every minute.
    """
    now = now or timezone.now()
    created = 0
    offsets = sorted(set(settings.REMINDER_OFFSETS_MINUTES))
    # Each offset owns the window (next smaller offset, offset] before the start.
    for smaller, offset in zip([0, *offsets], offsets, strict=False):
        before = dt.timedelta(minutes=offset)
        already = Delivery.objects.filter(
            consultation=OuterRef("pk"),
            kind=DeliveryKind.REMINDER,
            reminder_offset_minutes=offset,
        )
        due = (
            Consultation.objects.filter(
                status=Status.BOOKED,
                scheduled_for__isnull=False,
                starts_at__gt=now + dt.timedelta(minutes=smaller),
                starts_at__lte=now + before,
                created_at__lt=F("starts_at") - before,
            )
            .exclude(patient_join_url="")
            .filter(~Exists(already))
            .order_by("starts_at", "pk")
        )
        for consultation in due:
            # _insert_once opens its own transaction (a savepoint inside a caller's).
            delivery = _insert_once(
                consultation=consultation,
                recipient=Recipient.PATIENT,
                kind=DeliveryKind.REMINDER,
                reminder_offset_minutes=offset,
            )
            if delivery is not None:
                created += 1
    if created:
        logger.info("Queued %s reminder(s)", created)
    return created


def _recipients() -> list[str]:
    """Who is emailed about a consultation: the patient, and the provider unless
    EMAIL_PROVIDER_MESSAGES is off."""
    if settings.EMAIL_PROVIDER_MESSAGES:
        return [Recipient.PATIENT, Recipient.PROVIDER]
    return [Recipient.PATIENT]


def _insert_once(
    *,
    consultation: Consultation,
    recipient: str,
    kind: str,
    reminder_offset_minutes: int | None = None,
) -> Delivery | None:
    """Insert a delivery the uniqueness constraints allow once; None if it exists.

    Inside a savepoint, so a duplicate leaves the caller's transaction usable. The send
    is enqueued when the outer transaction commits.
    """
    try:
        with transaction.atomic():
            delivery = Delivery.objects.create(
                consultation=consultation,
                recipient=recipient,
                kind=kind,
                reminder_offset_minutes=reminder_offset_minutes,
            )
    except IntegrityError:
        return None
    delivery_send_enqueue_on_commit(delivery.pk)
    return delivery
