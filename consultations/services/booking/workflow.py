"""`consultation_book`: the three steps of a booking in order (see the package
docstring), each database step retried if PostgreSQL aborted it as a deadlock victim, and
the recording of Kairo's answer (step 3) also after a dropped database connection."""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from functools import partial
from typing import TypeVar

from django.conf import settings
from django.contrib.auth.models import User
from django.db import Error, InterfaceError, OperationalError

from consultations import database
from consultations.kairo import client as kairo
from consultations.models import Consultation, ConsultationType, Duration, Patient, Provider
from consultations.services.booking import answer_spool, outcomes, start
from consultations.services.events import error_detail
from consultations.services.kairo_mapping import kairo_client

logger = logging.getLogger("consultations.booking")


class BookingRefused(Exception):
    """Kairo refused the booking (rejected, or the credentials/address are wrong).

    The consultation is kept, *rejected*, for the record; its slot is free again.
    `error` carries Kairo's code, requestId and field errors for the form.
    """

    def __init__(self, *, consultation: Consultation, error: kairo.KairoError) -> None:
        super().__init__(str(error))
        self.consultation = consultation
        self.error = error


class BookingNotSent(Exception):
    """The database failed before the booking reached Kairo Connect (step 1): nothing
    was sent, and nothing was kept unless its commit went through unanswered."""


class BookingUnrecorded(Exception):
    """Kairo Connect was called, but its answer could not be recorded: the database
    stayed unreachable through every reconnection (BOOKING_DB_RETRY_*). The booking
    is left *sending*, never sent again; when Kairo gave its id, the id and requestId are
    kept on local disk and the sweep records the booking from them once the database is
    back (`answer_spool`); otherwise the sweep moves it to *unconfirmed*, and Kairo's
    `consultation.created` webhook may heal it (`webhooks._heal`).
    `consultation_id` is our booking's id."""

    def __init__(self, *, consultation_id: int) -> None:
        super().__init__(f"consultation {consultation_id}: Kairo's answer not recorded")
        self.consultation_id = consultation_id


def consultation_book(
    *,
    patient: Patient,
    authorization_given: bool,
    provider: Provider,
    consultation_type: ConsultationType,
    duration: Duration,
    scheduled_for: dt.datetime | None,
    actor: User,
    booking_token: uuid.UUID,
    client: kairo.KairoClient | None = None,
    name_change_confirmed: bool = False,
) -> Consultation:
    """Book one consultation with Kairo Connect; return it *booked* or *unconfirmed*.

    `patient` carries the submitted details: an existing patient (corrected in place) or
    a new one; whoever holds its document by the time of the transaction is the one
    updated, through `directory.patient_save`: their name only with
    `name_change_confirmed` (else ValidationError `name_change_unconfirmed` on `name`,
    nothing written, Kairo not called). `authorization_given` True records the Ley 1581 authorization now; False
    leaves it as it is. `scheduled_for` None means now (immediate).

    A `booking_token` already used returns that booking as it stands, without calling
    Kairo again. Raises ValidationError (keyed `authorization_given`, `name`, `provider`,
    `patient`, `scheduled_for`; codes from `rules.py`) when a rule fails, with nothing
    written; `BookingRefused` when Kairo refuses (the consultation is kept *rejected*).
    An unknown outcome is not an exception: the booking comes back *unconfirmed* and is
    never re-sent.

    The database failing before Kairo is called raises `BookingNotSent`; failing while
    Kairo's answer is recorded, reconnections included, raises `BookingUnrecorded`.
    """
    consultation, _earlier = consultation_book_sent(
        patient=patient,
        authorization_given=authorization_given,
        provider=provider,
        consultation_type=consultation_type,
        duration=duration,
        scheduled_for=scheduled_for,
        actor=actor,
        booking_token=booking_token,
        client=client,
        name_change_confirmed=name_change_confirmed,
    )
    return consultation


def consultation_book_sent(
    *,
    patient: Patient,
    authorization_given: bool,
    provider: Provider,
    consultation_type: ConsultationType,
    duration: Duration,
    scheduled_for: dt.datetime | None,
    actor: User,
    booking_token: uuid.UUID,
    client: kairo.KairoClient | None = None,
    name_change_confirmed: bool = False,
) -> tuple[Consultation, bool]:
    """`consultation_book`, also saying whether the booking returned is one an earlier
    submission of `booking_token` made (True: nothing was done now), so that the form
    sent twice shows the first's booking as such."""
    # A used token is found inside the transaction, first: a look out here would not
    # make it any more correct (the view looks only when its form fails).
    client = client or kairo_client()
    try:
        consultation, request = _retrying(
            partial(
                start.booking_start,
                patient=patient,
                authorization_given=authorization_given,
                provider=provider,
                consultation_type=consultation_type,
                duration=duration,
                scheduled_for=scheduled_for,
                actor=actor,
                booking_token=booking_token,
                client=client,
                name_change_confirmed=name_change_confirmed,
            )
        )
    except (OperationalError, InterfaceError) as exc:
        # Step 1 is never run again on a new connection: a commit lost with its
        # connection cannot be told from one never made, and a second run that found
        # this token's row could not tell ours (never sent) from a twin's (with Kairo).
        raise BookingNotSent from exc
    if request is None:
        return consultation, True  # the same form, submitted twice: its booking as it stands
    return _sent(consultation, request, client), False


def _sent(
    consultation: Consultation, request: kairo.CreateConsultationRequest, client: kairo.KairoClient
) -> Consultation:
    """Steps 2 and 3: send the request claimed in step 1, once, and record the answer."""
    # Outside any transaction: the Kairo call may take seconds, or never answer.
    try:
        result = client.create_consultation(request)
    except kairo.KairoError as error:
        if error.outcome == kairo.KairoOutcome.UNKNOWN:
            return _recording(
                partial(
                    outcomes.unknown_record,
                    consultation,
                    detail=error_detail(error),
                    request_id=error.request_id,
                ),
                consultation,
                answer="unknown",
                request_id=error.request_id,
            )
        refused = _recording(
            partial(outcomes.refused_record, consultation, error),
            consultation,
            answer="refused",
            request_id=error.request_id,
        )
        raise BookingRefused(consultation=refused, error=error) from None
    except Exception:
        # Anything else (a bug, a library surprise) after the request may have left:
        # treat it as unknown, never as "not sent".
        logger.exception("Kairo create failed unexpectedly for consultation %s", consultation.pk)
        return _recording(
            partial(
                outcomes.unknown_record,
                consultation,
                detail={"code": "UNEXPECTED_ERROR"},
                request_id="",
            ),
            consultation,
            answer="unknown",
            request_id="",
        )
    return _recording(
        partial(outcomes.booked_record, consultation, result),
        consultation,
        answer=f"booked as {result.consultation_id}",
        request_id=result.request_id,
        kairo_id=result.consultation_id,
    )


_ATTEMPTS = 3
# PostgreSQL's deadlock_detected and serialization_failure: the transaction was rolled
# back whole, so running it again is safe.
_TRANSIENT_SQLSTATES = ("40P01", "40001")

T = TypeVar("T")


def _recording(
    step: Callable[[], T],
    consultation: Consultation,
    *,
    answer: str,
    request_id: str,
    kairo_id: uuid.UUID | None = None,
) -> T:
    """Step 3: record Kairo's answer, reconnecting if the database connection drops
    (`_retrying`). Raises `BookingUnrecorded` when the database still fails; Kairo's id
    and requestId are then kept on disk for the sweep to replay (`answer_spool`)."""
    try:
        return _retrying(step, reconnect=True)
    except Error as exc:
        kept = kairo_id is not None and answer_spool.answer_spool_write(
            consultation_pk=consultation.pk, kairo_id=kairo_id, request_id=request_id
        )
        # Kairo's id and requestId (no patient data) let an administrator find it.
        logger.error(
            "Kairo Connect answered consultation %s (%s, requestId=%s) but the database "
            "could not record it (%s); %s",
            consultation.pk,
            answer,
            request_id or "-",
            type(exc).__name__,
            "kept on disk for the sweep to record"
            if kept
            else "left sending for the sweep and the webhook",
        )
        raise BookingUnrecorded(consultation_id=consultation.pk) from exc


def _retrying(step: Callable[[], T], *, reconnect: bool = False) -> T:
    """Run one transactional step, again if the database aborted it as a deadlock
    victim; with `reconnect`, also after the connection dropped, on a new connection,
    at most BOOKING_DB_RETRY_ATTEMPTS times, the waits between them adding up to
    BOOKING_DB_RETRY_SECONDS at most.

    No Kairo call happens inside a step, so nothing is ever sent twice. A step whose
    commit went through while its connection dropped is run again: the recording steps
    lock the row and check its status, so a second run changes nothing that matters
    (a booking already booked is not moved again, nor its emails queued twice)."""
    deadlocks = 0
    waits: Iterator[float] | None = None
    while True:
        try:
            return step()
        except (OperationalError, InterfaceError) as exc:
            sqlstate = getattr(exc.__cause__, "sqlstate", None) or ""
            if sqlstate in _TRANSIENT_SQLSTATES and deadlocks < _ATTEMPTS - 1:
                deadlocks += 1
                logger.info("Booking transaction aborted (%s); retrying", sqlstate)
                continue
            if not (reconnect and database.connection_lost(exc)):
                raise
            if waits is None:
                waits = iter(
                    database.reconnect_waits(
                        attempts=settings.BOOKING_DB_RETRY_ATTEMPTS,
                        total_seconds=settings.BOOKING_DB_RETRY_SECONDS,
                    )
                )
            wait = next(waits, None)
            if wait is None or not database.connection_reset():
                raise
            logger.warning("Database connection lost while recording a booking; reconnecting")
            time.sleep(wait)
