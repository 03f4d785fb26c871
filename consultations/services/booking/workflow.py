"""`consultation_book`: the three steps of a booking in order (see the package
docstring), each database step retried if PostgreSQL aborted it as a deadlock victim."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from functools import partial
from typing import TypeVar

from django.contrib.auth.models import User
from django.db import OperationalError

from consultations.kairo import client as kairo
from consultations.models import Consultation, ConsultationType, Duration, Patient, Provider
from consultations.services.booking import outcomes, start
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
    """
    # A used token is found inside the transaction (the view also looks first, to skip
    # the form's checks): one more look out here would not make it any more correct.
    client = client or kairo_client()
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
    if request is None:
        return consultation  # the same form, submitted twice: its booking as it stands

    # Outside any transaction: the Kairo call may take seconds, or never answer.
    try:
        result = client.create_consultation(request)
    except kairo.KairoError as error:
        if error.outcome == kairo.KairoOutcome.UNKNOWN:
            return _retrying(
                partial(
                    outcomes.unknown_record,
                    consultation,
                    detail=error_detail(error),
                    request_id=error.request_id,
                )
            )
        refused = _retrying(partial(outcomes.refused_record, consultation, error))
        raise BookingRefused(consultation=refused, error=error) from None
    except Exception:
        # Anything else (a bug, a library surprise) after the request may have left:
        # treat it as unknown, never as "not sent".
        logger.exception("Kairo create failed unexpectedly for consultation %s", consultation.pk)
        return _retrying(
            partial(
                outcomes.unknown_record,
                consultation,
                detail={"code": "UNEXPECTED_ERROR"},
                request_id="",
            )
        )
    return _retrying(partial(outcomes.booked_record, consultation, result))


_ATTEMPTS = 3
# PostgreSQL's deadlock_detected and serialization_failure: the transaction was rolled
# back whole, so running it again is safe.
_TRANSIENT_SQLSTATES = ("40P01", "40001")

T = TypeVar("T")


def _retrying(step: Callable[[], T]) -> T:
    """Run one transactional step, again if the database aborted it as a deadlock
    victim. No Kairo call happens inside a step, so nothing is ever sent twice."""
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            return step()
        except OperationalError as exc:
            sqlstate = getattr(exc.__cause__, "sqlstate", None) or ""
            if attempt == _ATTEMPTS or sqlstate not in _TRANSIENT_SQLSTATES:
                raise
            logger.info("Booking transaction aborted (%s); retrying", sqlstate)
    raise AssertionError("unreachable")  # pragma: no cover
