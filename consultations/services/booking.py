"""Booking a consultation with Kairo Connect: `consultation_book`.

The shape of `consultation_book` (issue 4, "The booking service"):

1. One short transaction (IMMEDIATE on SQLite, so check-then-insert cannot interleave;
   on PostgreSQL the exclusion constraints refuse what slips through): upsert the
   patient, check the rules again, insert the consultation in state *sending* with the
   exact body for Kairo, and a timeline event. Commit.
2. Call Kairo with no transaction open and no lock held.
3. Record the outcome with its requestId in a second short transaction.

A POST that may have reached Kairo is never re-sent: an unknown outcome leaves the
booking *unconfirmed* with its slot held, for a person, the webhook or a refresh to
settle. `lifecycle.consultations_sweep_stuck` finds bookings a crashed process left
*sending*.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consultations import rules
from consultations.kairo import client as kairo
from consultations.models import (
    Consultation,
    ConsultationEvent,
    ConsultationStatus,
    ConsultationType,
    Duration,
    Patient,
    PatientChange,
    Provider,
)
from consultations.selectors.booking import patient_by_document
from consultations.services.deliveries import booking_deliveries_schedule
from consultations.services.directory import patient_save
from consultations.services.kairo_sync import (
    error_detail,
    event_record,
    kairo_client,
    overlap_party,
    remote_apply,
    status_detail,
)

logger = logging.getLogger("consultations.booking")

Status = ConsultationStatus
Kind = ConsultationEvent.Kind


class BookingRefused(Exception):
    """Kairo refused the booking (rejected, or the credentials/address are wrong).

    The consultation is kept, *rejected*, for the record; its slot is free again.
    `error` carries Kairo's code, requestId and field errors for the form.
    """

    def __init__(self, *, consultation: Consultation, error: kairo.KairoError) -> None:
        super().__init__(str(error))
        self.consultation = consultation
        self.error = error


# --- Booking ---------------------------------------------------------------------------


def consultation_book(
    *,
    patient: Patient,
    authorization_given: bool,
    provider: Provider,
    consultation_type: ConsultationType,
    duration: Duration,
    scheduled_for: dt.datetime | None,
    actor: AbstractBaseUser,
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
            _booking_start,
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
                    _record_unknown,
                    consultation,
                    detail=error_detail(error),
                    request_id=error.request_id,
                )
            )
        refused = _retrying(partial(_record_refused, consultation, error))
        raise BookingRefused(consultation=refused, error=error) from None
    except Exception:
        # Anything else (a bug, a library surprise) after the request may have left:
        # treat it as unknown, never as "not sent".
        logger.exception("Kairo create failed unexpectedly for consultation %s", consultation.pk)
        return _retrying(
            partial(
                _record_unknown, consultation, detail={"code": "UNEXPECTED_ERROR"}, request_id=""
            )
        )
    return _retrying(partial(_record_booked, consultation, result))


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


def _booking_start(
    *,
    patient: Patient,
    authorization_given: bool,
    provider: Provider,
    consultation_type: ConsultationType,
    duration: Duration,
    scheduled_for: dt.datetime | None,
    actor: AbstractBaseUser,
    booking_token: uuid.UUID,
    client: kairo.KairoClient,
    name_change_confirmed: bool,
) -> tuple[Consultation, kairo.CreateConsultationRequest | None]:
    """Step 1: the one transaction that claims the slot; returns the new booking and
    the request to send, or the booking an earlier submission of `booking_token` made
    and None."""
    try:
        with transaction.atomic():
            # One booking at a time per provider. SQLite: the IMMEDIATE write lock taken
            # at BEGIN already serializes every writer. PostgreSQL: the provider's row
            # lock makes a rival wait here, then see our committed row in the checks
            # below, instead of racing us into the exclusion constraints (where two
            # inserts can deadlock). The patient is locked next, by its upsert (always a
            # write): provider first, then patient, in every booking, so no lock cycle.
            locked = (
                Provider.objects.select_for_update().only("pk", "is_active").get(pk=provider.pk)
            )
            # Whether the provider may still be booked is read from the row just locked,
            # not from the instance the form loaded: someone may have deactivated them since.
            provider.is_active = locked.is_active
            existing = Consultation.objects.filter(booking_token=booking_token).first()
            if existing is not None:
                return existing, None
            # Ley 1581, checked again here, before anything is written: the patient's data
            # must not reach Kairo on a caller's word that some form checked it.
            try:
                rules.patient_authorization_check(
                    patient=_stored(patient), authorization_given=authorization_given
                )
            except ValidationError as error:
                raise ValidationError({"authorization_given": error}) from None
            saved_patient = _patient_upsert(
                patient=patient,
                authorization_given=authorization_given,
                actor=actor,
                name_change_confirmed=name_change_confirmed,
            )
            now = timezone.now()
            rules.booking_check(
                provider=provider,
                patient=saved_patient,
                scheduled_for=scheduled_for,
                duration_minutes=duration.minutes,
                now=now,
            )
            starts_at, ends_at = rules.consultation_window(
                scheduled_for=scheduled_for, duration_minutes=duration.minutes, now=now
            )
            consultation = Consultation(
                provider=provider,
                patient=saved_patient,
                consultation_type=consultation_type,
                duration=duration,
                scheduled_for=scheduled_for,
                starts_at=starts_at,
                ends_at=ends_at,
                status=Status.SENDING,
                booking_token=booking_token,
                booked_by=actor,
            )
            request = _kairo_request(consultation)
            # The exact body create_consultation will send, stored before sending.
            consultation.kairo_request = client.payload_for(request)
            consultation.save()
            event_record(
                consultation,
                Kind.BOOKING_STARTED,
                actor=actor,
                detail={"immediate": scheduled_for is None},
            )
            return consultation, request
    except (IntegrityError, ValidationError) as exc:
        # A double click whose twin committed first fails here: on the token's
        # uniqueness, or on the slot the twin just took. The twin's booking is ours.
        twin = Consultation.objects.filter(booking_token=booking_token).first()
        if twin is not None:
            return twin, None
        if isinstance(exc, ValidationError):
            raise
        party = overlap_party(exc)
        if party is None:
            raise
        # PostgreSQL refused an overlap our check did not see: one committed after it
        # (the provider lock orders bookings per provider, not per patient, whose clash
        # may come from a booking with another provider).
        raise _overlap_error(
            party=party,
            provider=provider,
            patient=patient,
            duration=duration,
            scheduled_for=scheduled_for,
        ) from None


def _patient_upsert(
    *,
    patient: Patient,
    authorization_given: bool,
    actor: AbstractBaseUser,
    name_change_confirmed: bool,
) -> Patient:
    """Save the patient, matching by document type + number inside the transaction.

    Two bookings for the same new patient may race (PostgreSQL, READ COMMITTED): the
    loser's insert, or its uniqueness check, meets the winner's row once committed. It
    then updates that row instead, as if it had been there all along (and, like any
    booking for a registered patient, renames it only with `name_change_confirmed`).
    """
    authorization = True if authorization_given else None
    save = partial(
        patient_save,
        actor=actor,
        authorization_given=authorization,
        source=PatientChange.Source.BOOKING,
        name_change_confirmed=name_change_confirmed,
    )
    if patient.pk is None:
        current = _on_file(patient)
        if current is None:
            try:
                with transaction.atomic():  # a savepoint: a lost race leaves us usable
                    return save(patient=patient)
            except (IntegrityError, ValidationError):
                current = _on_file(patient)
                if current is None:
                    raise
        for name in _PATIENT_FIELDS:
            setattr(current, name, getattr(patient, name))
        patient = current
    return save(patient=patient)


_PATIENT_FIELDS = ("name", "phone", "email", "preferred_language")


def _on_file(patient: Patient) -> Patient | None:
    """The stored patient with the same document as `patient`, if any."""
    return patient_by_document(
        document_type=patient.document_type, document_number=patient.document_number
    )


def _stored(patient: Patient) -> Patient | None:
    """The patient as stored now (by id, or by document for one submitted as new)."""
    if patient.pk is not None:
        return Patient.objects.filter(pk=patient.pk).first()
    return _on_file(patient)


def _overlap_error(
    *,
    party: str,
    provider: Provider,
    patient: Patient,
    duration: Duration,
    scheduled_for: dt.datetime | None,
) -> ValidationError:
    """The rules, run again now that the clash is committed, name who is busy and when;
    if it has gone again meanwhile, `party` (the constraint's) is refused generically."""
    try:
        rules.booking_check(
            provider=provider,
            patient=_stored(patient) or patient,
            scheduled_for=scheduled_for,
            duration_minutes=duration.minutes,
        )
    except ValidationError as error:
        return error
    return ValidationError(
        {
            party: ValidationError(
                _("Another booking took this time a moment ago. Check the agenda and try again."),
                code=f"{party}_busy",
            )
        }
    )


def _kairo_request(consultation: Consultation) -> kairo.CreateConsultationRequest:
    """Our rows as the client's typed request (the Kairo package knows no models)."""
    provider = consultation.provider
    patient = consultation.patient
    return kairo.CreateConsultationRequest(
        provider=kairo.ProviderData(
            name=provider.name,
            document_type=provider.document_type,
            document_number=provider.document_number,
            professional_type=provider.professional_type.code,
            phone=str(provider.phone),
            email=provider.email,
            medical_specialty_code=provider.specialty.code if provider.specialty_id else None,
            professional_license=provider.professional_license or None,
        ),
        patient=kairo.PatientData(
            document_type=patient.document_type,
            document_number=patient.document_number,
            name=patient.name,
            phone=str(patient.phone),
            email=patient.email,
        ),
        consultation_type=consultation.consultation_type.code,
        duration_minutes=consultation.duration_id,
        scheduled_at=consultation.scheduled_for,
    )


# --- Recording Kairo's answer ------------------------------------------------------------


def _record_booked(consultation: Consultation, result: kairo.Consultation) -> Consultation:
    with transaction.atomic():
        current = Consultation.objects.select_for_update().get(pk=consultation.pk)
        before = current.status
        remote_apply(current, result)
        if current.status in (Status.SENDING, Status.UNCONFIRMED):
            current.status = Status.BOOKED
        current.save()
        booking_deliveries_schedule(consultation=current, previous_status=before)
        event_record(
            current,
            Kind.BOOKED,
            request_id=result.request_id,
            detail=status_detail(before, current, kairo_status=result.status),
        )
    return current


def _record_refused(consultation: Consultation, error: kairo.KairoError) -> Consultation:
    configuration = error.outcome == kairo.KairoOutcome.CONFIGURATION
    with transaction.atomic():
        current = Consultation.objects.select_for_update().get(pk=consultation.pk)
        before = current.status
        # Kairo made nothing: the attempt stays on record, the slot is free again.
        if current.status in (Status.SENDING, Status.UNCONFIRMED):
            current.status = Status.REJECTED
        current.kairo_last_request_id = error.request_id
        current.save()
        event_record(
            current,
            Kind.CONFIGURATION_ERROR if configuration else Kind.REJECTED,
            request_id=error.request_id,
            detail={
                **status_detail(before, current),
                **error_detail(error),
            },
        )
    if configuration:
        logger.error(
            "Kairo refused the clinic's configuration (%s, requestId=%s): check KAIRO_* settings",
            error.code,
            error.request_id or "-",
        )
    return current


def _record_unknown(
    consultation: Consultation, *, detail: dict[str, Any], request_id: str
) -> Consultation:
    with transaction.atomic():
        current = Consultation.objects.select_for_update().get(pk=consultation.pk)
        before = current.status
        if current.status == Status.SENDING:
            current.status = Status.UNCONFIRMED
        if request_id:
            current.kairo_last_request_id = request_id
        current.save()
        event_record(
            current,
            Kind.UNCONFIRMED,
            request_id=request_id,
            detail={**status_detail(before, current), **detail},
        )
    return current
