"""Sending deliveries: one attempt at a time, failures retried with backoff, and the
deliveries whose task was lost enqueued again (see the package docstring). Also the
event and log records that scheduling shares."""

from __future__ import annotations

import datetime as dt
import logging
import re
import smtplib

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from consultations.models import (
    ConsultationEvent,
    ConsultationStatus,
    Delivery,
)
from consultations.services.events import delivery_detail, event_record
from consultations.tasks import delivery_send_enqueue

logger = logging.getLogger("consultations.email")

Status = ConsultationStatus
Recipient = Delivery.Recipient
DeliveryKind = Delivery.Kind
State = Delivery.State

# A queued delivery this far past its due time has lost its task (an in-process timer
# that died with a restart, an enqueue that failed): `deliveries_resume` enqueues it
# again. Sooner would race the task that is about to run it (harmless, the claim stops a
# second send, but wasteful).
OVERDUE_GRACE = dt.timedelta(minutes=2)
# A delivery *sending* for this long was abandoned by a worker that died mid-attempt (an
# attempt is bounded by EMAIL_TIMEOUT per SMTP step). Whether the message left is
# unknown; a second copy is better than none, so it is retried.
ABANDONED_AFTER = dt.timedelta(minutes=15)

# The consultation statuses in which a message with the join link still makes sense.
LINK_STATUSES = (Status.BOOKED, Status.IN_PROGRESS)


def delivery_send(*, delivery_id: int) -> Delivery | None:
    """Make one attempt at delivery `delivery_id`; return it afterwards (None if gone).

    Does nothing unless the delivery is queued and due, which it claims atomically, so
    a task run twice (or by two workers) sends once. Reads the recipient's current
    address and records it on the delivery. A consultation no longer waiting for this
    message (cancelled, over; for a reminder: no longer booked, or started; for a
    cancellation: over) fails the delivery without sending. A mail-server or network failure is never raised: it is
    recorded (attempts, a safe `last_error`) and retried after the next delay in
    EMAIL_RETRY_DELAYS_SECONDS, enqueued with `run_after`; after the last one the
    delivery is *failed*. Records an `email` event when it is sent or fails for good.
    """
    # Imported here: the messages module imports the models, and builds nothing at import.
    from consultations.emails import message_build

    now = timezone.now()
    claimed = Delivery.objects.filter(
        pk=delivery_id, state=State.QUEUED, next_attempt_at__lte=now
    ).update(state=State.SENDING, attempts=F("attempts") + 1, attempt_started_at=now)
    delivery = (
        Delivery.objects.select_related("consultation__patient", "consultation__provider")
        .filter(pk=delivery_id)
        .first()
    )
    if not claimed:
        # Sent, failed, not due yet, or another worker has it: not ours to send.
        return delivery
    assert delivery is not None
    consultation = delivery.consultation

    skip = _skip_reason(delivery, now=now)
    if skip:
        delivery.attempts -= 1  # nothing was attempted
        return _fail(delivery, error=skip, final=True)

    party = (
        consultation.patient if delivery.recipient == Recipient.PATIENT else consultation.provider
    )
    address = party.email
    if not address:
        return _fail(delivery, error="No email address on file", final=True)
    delivery.to_address = address
    delivery.save(update_fields=["to_address"])
    try:
        message = message_build(
            consultation=consultation,
            recipient=delivery.recipient,
            kind=delivery.kind,
            to_address=address,
            reminder_offset_minutes=delivery.reminder_offset_minutes,
        )
    except ValueError as exc:
        # No link or PIN for this recipient, an unusable address: retrying cannot help.
        # (message_build's error text never holds the address, link or PIN.)
        return _fail(delivery, error=f"Not sent: {exc}", final=True)
    try:
        message.send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as exc:
        return _fail(delivery, error=safe_error(exc, address=address), final=False)
    except Exception as exc:
        # A bug, not the mail server: record the attempt (retried like any failure),
        # then let the task report it with its traceback.
        _fail(delivery, error=type(exc).__name__, final=False)
        raise

    delivery.state = State.SENT
    delivery.sent_at = timezone.now()
    delivery.next_attempt_at = None
    delivery.save(update_fields=["state", "sent_at", "next_attempt_at"])
    event_record(consultation, ConsultationEvent.Kind.EMAIL, detail=delivery_detail(delivery))
    _log(delivery)
    return delivery


def _skip_reason(delivery: Delivery, *, now: dt.datetime) -> str:
    """Why this message must not go out any more ("" when it should)."""
    consultation = delivery.consultation
    if delivery.kind == DeliveryKind.CANCELLED:
        if consultation.status != Status.CANCELLED:
            return f"Skipped: consultation {consultation.status}"
        if now >= consultation.ends_at:
            return "Skipped: consultation already over"
        return ""
    if delivery.kind == DeliveryKind.REMINDER:
        if consultation.status != Status.BOOKED:
            return f"Skipped: consultation {consultation.status}"
        if now >= consultation.starts_at:
            return "Skipped: consultation already started"
        return ""
    if consultation.status not in LINK_STATUSES:
        return f"Skipped: consultation {consultation.status}"
    if now >= consultation.ends_at:
        return "Skipped: consultation already over"
    return ""


def _fail(delivery: Delivery, *, error: str, final: bool) -> Delivery:
    """Record a failed attempt: retry after the next delay, or fail for good."""
    delivery.last_error = error[:200]
    if not final and delivery.attempts < _max_attempts():
        delay = settings.EMAIL_RETRY_DELAYS_SECONDS[delivery.attempts - 1]
        delivery.state = State.QUEUED
        delivery.next_attempt_at = timezone.now() + dt.timedelta(seconds=delay)
    else:
        delivery.state = State.FAILED
        delivery.next_attempt_at = None
    delivery.save(update_fields=["state", "attempts", "last_error", "next_attempt_at"])
    _log(delivery)
    if delivery.state == State.QUEUED:
        delivery_send_enqueue(delivery.pk, run_after=delivery.next_attempt_at)
    else:
        _record_failed_event(delivery)
    return delivery


def _max_attempts() -> int:
    return 1 + len(settings.EMAIL_RETRY_DELAYS_SECONDS)


# Anything that looks like an address or a link, in a server's reply text.
_ADDRESS = re.compile(r"<?[^\s<>@]+@[^\s<>@]+>?")
_LINK = re.compile(r"\w+://\S+")


def safe_error(exc: BaseException, *, address: str = "") -> str:
    """A short description of a send failure that is safe to store and show: the
    exception class, the SMTP code and the server's words with addresses and links
    taken out. (SMTPRecipientsRefused's own text is the refused addresses.)"""
    name = type(exc).__name__
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({str(code) for code, _reply in exc.recipients.values()})
        text = f"{name} {','.join(codes)}".strip()
    elif isinstance(exc, smtplib.SMTPResponseException):
        reply = exc.smtp_error
        if isinstance(reply, bytes):
            reply = reply.decode("utf-8", "replace")
        text = f"{name} {exc.smtp_code} {reply}"
    elif isinstance(exc, OSError) and exc.errno is not None:
        text = f"{name} [Errno {exc.errno}] {exc.strerror or ''}"
    else:
        text = f"{name} {exc}"
    text = _ADDRESS.sub("<address>", _LINK.sub("<link>", text))
    if address:
        text = text.replace(address, "<address>")
    return " ".join(text.split())[:200]


def deliveries_resume(*, now: dt.datetime | None = None) -> int:
    """Enqueue again the deliveries whose task was lost; return how many.

    A queued delivery overdue by more than OVERDUE_GRACE (its in-process timer died
    with a restart, or its enqueue failed), and a delivery left *sending* for longer
    than ABANDONED_AFTER (its worker died mid-attempt; that attempt counts as failed and
    is retried, or the delivery fails when no attempt is left). Safe to run
    concurrently: whoever claims a delivery first sends it, once.
    """
    now = now or timezone.now()
    resumed: list[int] = []
    abandoned = Delivery.objects.filter(
        state=State.SENDING, attempt_started_at__lt=now - ABANDONED_AFTER
    ).values_list("pk", flat=True)
    for delivery_id in list(abandoned):
        row = Delivery.objects.filter(
            pk=delivery_id, state=State.SENDING, attempt_started_at__lt=now - ABANDONED_AFTER
        )
        if row.filter(attempts__lt=_max_attempts()).update(
            state=State.QUEUED, next_attempt_at=now, last_error="Interrupted"
        ):
            resumed.append(delivery_id)
        elif row.update(state=State.FAILED, next_attempt_at=None, last_error="Interrupted"):
            failed = Delivery.objects.select_related("consultation").get(pk=delivery_id)
            _log(failed)
            _record_failed_event(failed)
    cutoff = now - OVERDUE_GRACE
    overdue = Delivery.objects.filter(state=State.QUEUED, next_attempt_at__lte=cutoff)
    for delivery_id in list(overdue.values_list("pk", flat=True)):
        # Due again from now: the next run leaves it alone for OVERDUE_GRACE, so a
        # stopped worker does not find the same delivery enqueued every minute; a
        # concurrent run that got here first has already moved it.
        if overdue.filter(pk=delivery_id).update(next_attempt_at=now):
            resumed.append(delivery_id)
    for delivery_id in resumed:
        delivery_send_enqueue(delivery_id)
    if resumed:
        logger.info("Resumed %s delivery(ies) whose task was lost", len(resumed))
    return len(resumed)


# --- Records --------------------------------------------------------------------------


def _record_failed_event(delivery: Delivery) -> None:
    event_record(
        delivery.consultation, ConsultationEvent.Kind.EMAIL, detail=delivery_detail(delivery)
    )


def _log(delivery: Delivery) -> None:
    logger.log(
        logging.WARNING if delivery.state == State.FAILED else logging.INFO,
        "Delivery %s (%s to %s) %s after attempt %s%s",
        delivery.pk,
        delivery.kind,
        delivery.recipient,
        delivery.state,
        delivery.attempts,
        f": {delivery.last_error}" if delivery.last_error and delivery.state != State.SENT else "",
    )
