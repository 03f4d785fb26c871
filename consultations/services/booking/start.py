"""Step 1 of a booking: the one short transaction that claims the slot (the patient
upserted, the rules checked again, the consultation inserted *sending* with the exact
body for Kairo)."""

from __future__ import annotations

import datetime as dt
import uuid
from functools import partial

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
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
from consultations.rules import overlap_party
from consultations.selectors.booking import patient_by_document
from consultations.services.booking.kairo_request import kairo_request_build
from consultations.services.directory import patient_save
from consultations.services.events import event_record

Status = ConsultationStatus
Kind = ConsultationEvent.Kind


def booking_start(
    *,
    patient: Patient,
    authorization_given: bool,
    provider: Provider,
    consultation_type: ConsultationType,
    duration: Duration,
    scheduled_for: dt.datetime | None,
    actor: User,
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
            # inserts can deadlock). The patient is locked next (`_stored`): provider
            # first, then patient, in every booking, so no lock cycle.
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
            # must not reach Kairo on a caller's word that some form checked it. The row is
            # read once, locked (provider first, then patient, in every booking).
            stored = _stored(patient, lock=True)
            try:
                rules.patient_anonymized_check(patient=stored)
            except ValidationError as error:
                raise ValidationError({"patient": error}) from None
            _authorization_check(stored, authorization_given)
            saved_patient, inserted = _patient_upsert(
                patient=patient,
                stored=stored,
                authorization_given=authorization_given,
                actor=actor,
                name_change_confirmed=name_change_confirmed,
            )
            # Again on the row as saved: the upsert keeps the stored authorization.
            _authorization_check(saved_patient, authorization_given)
            now = timezone.now()
            rules.booking_check(
                provider=provider,
                patient=saved_patient,
                scheduled_for=scheduled_for,
                duration_minutes=duration.minutes,
                now=now,
                # Inserted by this transaction: no committed booking can name it yet.
                patient_new=inserted,
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
            request = kairo_request_build(consultation)
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


def _authorization_check(patient: Patient | None, authorization_given: bool) -> None:
    try:
        rules.patient_authorization_check(patient=patient, authorization_given=authorization_given)
    except ValidationError as error:
        raise ValidationError({"authorization_given": error}) from None


def _patient_upsert(
    *,
    patient: Patient,
    stored: Patient | None,
    authorization_given: bool,
    actor: User,
    name_change_confirmed: bool,
) -> tuple[Patient, bool]:
    """Save the patient, matched by document type + number inside the transaction
    (`stored`, the row as `_stored` read and locked it); return it and whether it was
    inserted now.

    Two bookings for the same new patient may race (PostgreSQL, READ COMMITTED): the
    loser's insert meets the winner's row once committed (`patient_save` reports it as
    `duplicate_document`, its savepoint leaving us usable). It then updates that row
    instead, as if it had been there all along (and, like any booking for a registered
    patient, renames it only with `name_change_confirmed`).
    """
    authorization = True if authorization_given else None
    save = partial(
        patient_save,
        actor=actor,
        authorization_given=authorization,
        source=PatientChange.Source.BOOKING,
        name_change_confirmed=name_change_confirmed,
    )
    if patient.pk is not None:
        return save(patient=patient, stored=stored), False
    current = stored
    if current is None:
        try:
            return save(patient=patient, stored=None), True
        except (IntegrityError, ValidationError):
            current = _on_file(patient)
            if current is None:
                raise
    # Submitted as new, but the document is on file by now (a race): that row is
    # updated, read again by `patient_save` (locked) to compare with.
    for name in _PATIENT_FIELDS:
        setattr(current, name, getattr(patient, name))
    return save(patient=current), False


_PATIENT_FIELDS = ("name", "phone", "email", "preferred_language")


def _on_file(patient: Patient, *, lock: bool = False) -> Patient | None:
    """The stored patient with the same document as `patient`, if any."""
    return patient_by_document(
        document_type=patient.document_type,
        document_number=patient.document_number,
        lock=lock,
    )


def _stored(patient: Patient, *, lock: bool = False) -> Patient | None:
    """The patient as stored now (by id, or by document for one submitted as new), as a
    separate instance from `patient`, which carries the submitted details; with `lock`,
    locked until the transaction ends."""
    if patient.pk is not None:
        patients = Patient.objects.filter(pk=patient.pk)
        return (patients.select_for_update() if lock else patients).first()
    return _on_file(patient, lock=lock)


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
