"""Applying Kairo Connect's webhooks (docs/kairo-connect-api.md "Webhooks", "Lifecycle").

One delivery, one transaction: the `WebhookDelivery` row (unique on Kairo's delivery id)
and its effects commit together, so a delivery seen before, even ten copies at once,
has its effect once. Events may come late, twice or out of order: a status only moves
forward (`kairo_mapping.PROGRESS`), a local cancellation stays, and the final statuses
(completed, expired) never move again.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from consultations.kairo import client as kairo
from consultations.kairo import contract
from consultations.kairo.webhook_body import WebhookEnvelope
from consultations.models import (
    Consultation,
    ConsultationEvent,
    ConsultationStatus,
    WebhookDelivery,
)
from consultations.models.consultations import ConsultationQuerySet
from consultations.services.audit import booking_recorded_late
from consultations.services.booking.outcomes import booking_confirm
from consultations.services.deliveries import booking_deliveries_schedule
from consultations.services.events import event_record, status_detail
from consultations.services.kairo_mapping import KAIRO_PROGRESS, PROGRESS, kairo_client

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger("consultations.webhooks")

Status = ConsultationStatus
Outcome = WebhookDelivery.Outcome

# What each event says of the consultation, in our statuses and in Kairo's.
_EVENT_STATUS: dict[str, tuple[str, str]] = {
    contract.EVENT_CONSULTATION_CREATED: (Status.BOOKED, contract.STATUS_PENDING),
    contract.EVENT_SESSION_STARTED: (Status.IN_PROGRESS, contract.STATUS_IN_PROGRESS),
    # A participant left: the session existed, so the consultation is at least in
    # progress; only consultation.completed closes it (contract "Lifecycle").
    contract.EVENT_SESSION_ENDED: (Status.IN_PROGRESS, contract.STATUS_IN_PROGRESS),
    contract.EVENT_CONSULTATION_COMPLETED: (Status.COMPLETED, contract.STATUS_COMPLETED),
    contract.EVENT_CONSULTATION_EXPIRED: (Status.EXPIRED, contract.STATUS_EXPIRED),
}
_SESSION_EVENTS = (contract.EVENT_SESSION_STARTED, contract.EVENT_SESSION_ENDED)


def _stored_payload(body: dict[str, Any]) -> dict[str, Any]:
    """The body as stored: without the join links (`data.participantAccess`), which
    staff must never see outside the consultation's own page."""
    data = body.get("data")
    if isinstance(data, dict) and "participantAccess" in data:
        data = {key: value for key, value in data.items() if key != "participantAccess"}
        return {**body, "data": data}
    return body


def webhook_event_apply(
    *, delivery_id: str, envelope: WebhookEnvelope, client: kairo.KairoClient | None = None
) -> WebhookDelivery:
    """Record delivery `delivery_id` and apply its event, in one transaction.

    A delivery id seen before returns the stored row and does nothing else. Unknown
    event names and consultation ids are stored with their outcome for staff, nothing
    else changes. Otherwise the consultation's status moves forward to what the event
    says, session events record who joined or left and when, and a `webhook` timeline
    event is written.

    A `consultation.created` for a Kairo id we do not know heals the booking whose
    create answer was lost (`_heal`): Kairo's detail is read first (GET, before the
    transaction, only when some booking could be it) for the duration, PIN, expiry and
    links.
    """
    client = client or kairo_client()
    created = envelope.event == contract.EVENT_CONSULTATION_CREATED
    # A repeated consultation.created costs Kairo no request (the only event that may
    # ask Kairo anything); a repeat of any other is found by the insert below.
    remote = None
    if created and not WebhookDelivery.objects.filter(delivery_id=delivery_id).exists():
        remote = _detail_for_healing(envelope, client)
    delivery = WebhookDelivery(
        delivery_id=delivery_id,
        event=envelope.event[:100],
        payload=_stored_payload(envelope.body),
        outcome=Outcome.APPLIED,
    )
    with transaction.atomic():
        consultation = None
        if envelope.event not in _EVENT_STATUS:
            delivery.outcome = Outcome.UNKNOWN_EVENT
        else:
            # Locked before the delivery is written: deliveries for one consultation,
            # and concurrent copies of one delivery, take their turns here.
            consultation = _consultation_locked(envelope.consultation_id)
            if consultation is not None:
                delivery.consultation = consultation
            elif not created:
                delivery.outcome = Outcome.UNKNOWN_CONSULTATION
        # The row goes in with its outcome known (one statement, no savepoint); a copy
        # of a delivery already stored inserts nothing and changes nothing.
        if not delivery.insert_if_new():
            logger.info("kairo webhook delivery=%s seen before: not applied again", delivery_id)
            return WebhookDelivery.objects.get(delivery_id=delivery_id)
        if consultation is not None:
            _apply(consultation, envelope, client)
        elif created:
            _heal(delivery, envelope, remote, client)
            delivery.save(update_fields=["outcome", "consultation", "candidates"])
    logger.info(
        "kairo webhook %s delivery=%s -> %s",
        envelope.event if envelope.event in _EVENT_STATUS else "(unknown event)",
        delivery_id,
        delivery.outcome,
    )
    return delivery


# --- Healing a booking whose create answer was lost -------------------------------------


def _kairo_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _candidates(envelope: WebhookEnvelope, client: kairo.KairoClient) -> ConsultationQuerySet:
    """Our bookings that a `consultation.created` could be: still sending or
    unconfirmed, with no Kairo id, same provider (by name: the event carries no
    document) and the patient's document type and last four digits (all the masked event
    carries, contract "Webhooks"), and the same start. An immediate consultation has no
    `scheduledAt`: it starts when Kairo creates it (contract "Create a consultation"), so
    it matches an immediate booking of ours begun shortly before Kairo's `createdAt`.
    None when the event lacks any of them."""
    none = Consultation.objects.none()
    data = envelope.data
    provider = data.get("provider")
    patient = data.get("patient")
    if not (isinstance(provider, dict) and isinstance(patient, dict)):
        return none
    name, document_type = provider.get("name"), patient.get("documentType")
    digits = patient.get("documentLastDigits")
    if not (isinstance(name, str) and isinstance(document_type, str) and isinstance(digits, str)):
        return none
    if len(digits) != contract.WEBHOOK_PATIENT_DOCUMENT_DIGITS or not digits.isascii():
        return none
    start = _start_filter(data.get("scheduledAt"), data.get("createdAt"), client)
    if start is None:
        return none
    return Consultation.objects.filter(
        start,
        status__in=(Status.SENDING, Status.UNCONFIRMED),
        kairo_consultation_id__isnull=True,
        provider__name=name,
        patient__document_type=document_type,
        patient__document_number__endswith=digits,
    )


# How long before Kairo's `createdAt` an immediate booking of ours may have begun (our
# start is taken before the request leaves; one request, never re-sent), and how far
# after it: `createdAt` may be cut to the minute (contract "Dates and times"), and
# clocks disagree a little.
IMMEDIATE_MATCH_BEFORE = dt.timedelta(minutes=5)
IMMEDIATE_MATCH_AFTER = dt.timedelta(minutes=2)


def _start_filter(scheduled: Any, created: Any, client: kairo.KairoClient) -> Q | None:
    """The start condition of a candidate: the same `scheduledAt`, or for an immediate
    consultation (`scheduledAt` null) an immediate booking begun around `createdAt`.
    None when the event's times cannot be read (contract "Dates and times")."""
    try:
        if isinstance(scheduled, str):
            return Q(scheduled_for=client.parse_datetime(scheduled))
        if scheduled is None and isinstance(created, str):
            moment = client.parse_datetime(created)
            return Q(
                scheduled_for__isnull=True,
                starts_at__gte=moment - IMMEDIATE_MATCH_BEFORE,
                starts_at__lte=moment + IMMEDIATE_MATCH_AFTER,
            )
    except (ValueError, OverflowError):
        return None
    return None


def _detail_for_healing(
    envelope: WebhookEnvelope, client: kairo.KairoClient
) -> kairo.Consultation | None:
    """Kairo's detail of a created consultation we do not know, when some booking of
    ours could be it; None otherwise or when Kairo cannot answer (then the delivery is
    left for staff). Called outside any transaction: no lock is held across HTTP."""
    if envelope.event != contract.EVENT_CONSULTATION_CREATED:
        return None
    kairo_id = _kairo_uuid(envelope.consultation_id)
    if kairo_id is None or Consultation.objects.filter(kairo_consultation_id=kairo_id).exists():
        return None
    if not _candidates(envelope, client).exists():
        return None
    try:
        return client.get_consultation(kairo_id)
    except kairo.KairoError as error:
        logger.warning(
            "kairo webhook: detail for healing failed (%s, requestId=%s)",
            error.code,
            error.request_id or "-",
        )
        return None


def _heal(
    delivery: WebhookDelivery,
    envelope: WebhookEnvelope,
    remote: kairo.Consultation | None,
    client: kairo.KairoClient,
) -> None:
    """Exactly one candidate of the right duration: linked, booked, Kairo's detail
    applied (PIN, expiry, links), and its join-link emails queued as for any booking.
    Zero or several, or no detail to check the duration with: left for staff with the
    candidates' ids, never guessed."""
    candidates = list(_candidates(envelope, client).select_for_update().order_by("pk"))
    # The booking's own answer may have linked it while this waited for the lock: then
    # the event simply applies to it.
    known = _consultation_locked(envelope.consultation_id)
    if known is not None:
        _apply(known, envelope, client)
        delivery.consultation = known
        return
    if remote is not None:
        matching = [c for c in candidates if c.duration_id == remote.duration_minutes]
    else:
        matching = []
    if len(matching) != 1 or remote is None:
        delivery.outcome = Outcome.UNMATCHED
        delivery.candidates = [c.pk for c in candidates]
        return
    (consultation,) = matching
    before = booking_confirm(consultation, remote)
    event_record(
        consultation,
        ConsultationEvent.Kind.WEBHOOK,
        request_id=remote.request_id,
        detail=status_detail(
            before, consultation, event=envelope.event, healed=True, kairo_status=remote.status
        ),
    )
    # The database was down, so the receptionist saw no result page: no audit row yet.
    booking_recorded_late(consultation, healed_by="webhook")
    delivery.outcome = Outcome.HEALED
    delivery.consultation = consultation


# --- Applying an event to a known consultation ------------------------------------------


def _consultation_locked(kairo_id: str) -> Consultation | None:
    key = _kairo_uuid(kairo_id)
    if key is None:
        return None
    # Kairo's id is unique: no ordering to plan or sort. Only the columns an event reads
    # or writes are read (`_LOCKED_FIELDS`).
    locked = (
        Consultation.objects.select_for_update()
        .filter(kairo_consultation_id=key)
        .only(*_LOCKED_FIELDS)
    )
    return next(iter(locked.order_by()[:1]), None)


# What an event may change on the consultation (`_apply`, `_joined`).
_EVENT_FIELDS = (
    "status",
    "kairo_status",
    "session_started_at",
    "patient_joined_at",
    "provider_joined_at",
)
# What applying one reads besides: the join links, for the booking emails of a
# consultation the event confirms (`booking_deliveries_schedule`).
_LOCKED_FIELDS = (*_EVENT_FIELDS, "updated_at", "patient_join_url", "provider_join_url")


def _apply(
    consultation: Consultation, envelope: WebhookEnvelope, client: kairo.KairoClient
) -> None:
    before = consultation.status
    was = {name: getattr(consultation, name) for name in _EVENT_FIELDS}
    status, kairo_status = _EVENT_STATUS[envelope.event]
    if consultation.status in PROGRESS and PROGRESS[status] > PROGRESS[consultation.status]:
        consultation.status = status
    # Kairo's own status moves forward too: a cancelled consultation's window is released
    # once Kairo says it is over (`Consultation.held_by_kairo`).
    if KAIRO_PROGRESS[kairo_status] > KAIRO_PROGRESS.get(consultation.kairo_status, 0):
        consultation.kairo_status = kairo_status
    extra: dict[str, Any] = {"event": envelope.event}
    if envelope.event in _SESSION_EVENTS:
        participant = envelope.participant
        moment = envelope.occurred_at(client.parse_datetime) or timezone.now()
        if participant in contract.WEBHOOK_PARTICIPANTS:
            extra["participant"] = participant
        extra["at"] = moment.isoformat()
        if envelope.event == contract.EVENT_SESSION_STARTED:
            _joined(consultation, participant, moment)
    # Only what the event moved is written (a second join, a late event: nothing).
    changed = [name for name in _EVENT_FIELDS if getattr(consultation, name) != was[name]]
    if changed:
        consultation.save(update_fields=[*changed, "updated_at"])
    # A booking confirmed by the event (its create answer lost after Kairo gave its id)
    # gets its join-link emails as any booking does; once only, whatever comes later.
    booking_deliveries_schedule(consultation=consultation, previous_status=before)
    event_record(
        consultation,
        ConsultationEvent.Kind.WEBHOOK,
        detail=status_detail(before, consultation, **extra),
    )


def _joined(consultation: Consultation, participant: str, moment: dt.datetime) -> None:
    """The earliest join of each participant, and of the session, is kept."""
    if consultation.session_started_at is None or moment < consultation.session_started_at:
        consultation.session_started_at = moment
    field = {"patient": "patient_joined_at", "provider": "provider_joined_at"}.get(participant)
    if field is not None:
        current = getattr(consultation, field)
        if current is None or moment < current:
            setattr(consultation, field, moment)


# --- Staff settling a delivery that did not apply ---------------------------------------


def webhook_delivery_handle(*, delivery: WebhookDelivery, actor: User) -> WebhookDelivery:
    """Mark `delivery` (one that did not apply) as handled by `actor`, now: it leaves the
    "Needs attention" page. Marking it again keeps the first who and when. Raises
    ValueError for a delivery that applied (there is nothing to handle)."""
    if delivery.outcome not in WebhookDelivery.NOT_APPLIED:
        raise ValueError(f"delivery {delivery.pk} applied: nothing to handle")
    WebhookDelivery.objects.filter(pk=delivery.pk, handled_at__isnull=True).update(
        handled_at=timezone.now(), handled_by=actor
    )
    delivery.refresh_from_db(fields=["handled_at", "handled_by"])
    logger.info("kairo webhook delivery=%s marked handled", delivery.delivery_id)
    return delivery
