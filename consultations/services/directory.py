"""Directory workflows: saving patients and providers with their rules."""

from __future__ import annotations

from contextlib import nullcontext
from typing import cast

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext_lazy as _

from consultations import rules
from consultations.models import AuditEntry, Patient, PatientChange, Provider
from consultations.services.audit import audit_record

Action = AuditEntry.Action

# The fields a patient's history follows (the authorization has its own record).
HISTORY_FIELDS = tuple(PatientChange.Field.values)

# The Ley 1581 record on a patient: written by its own acts (authorization given here,
# `patient_authorization_withdraw`, `patient_anonymize`), never copied from a form.
AUTHORIZATION_FIELDS = (
    "data_processing_authorized",
    "data_processing_authorized_at",
    "data_processing_recorded_by_id",
    "data_processing_policy_version",
    "data_processing_withdrawn_at",
    "data_processing_withdrawn_by_id",
    "anonymized_at",
)
# Who recorded or withdrew the authorization: the acting account (or copied from the
# row as stored), never typed, so `full_clean` need not look each account up again.
_ACTOR_FIELDS = ("data_processing_recorded_by", "data_processing_withdrawn_by")
# `stored` not given: patient_save reads (and locks) the row itself.
_READ = object()


def patient_save(
    *,
    patient: Patient,
    actor: User | None,
    source: str,
    authorization_given: bool | None = None,
    name_change_confirmed: bool = False,
    stored: Patient | None | object = _READ,
) -> Patient:
    """Validate and save a patient; record each changed field and a change of Ley 1581
    authorization.

    The one place that decides how a patient may change, for the booking form, the
    patient page and the admin alike (`source`, a `PatientChange.Source`, says which).
    A registered patient's name changes only with `name_change_confirmed`
    (`rules.patient_name_change_check`); every other field may be corrected. Each field
    that changes leaves a `PatientChange` row (values masked, `actor`, `source`).

    `authorization_given` None leaves the authorization as it is; True or False records
    it now, by `actor`, under the current policy version (unchanged if already so).
    An anonymized patient is refused (`patient_anonymized` on `document_number`).
    Raises ValidationError (field errors; `name_change_unconfirmed` on `name`;
    `duplicate_document` on `document_number`, also when another desk saved the same
    document after our check), with nothing saved.

    `stored` is the row as stored, already read and locked by a caller inside its own
    transaction (a separate instance from `patient`; None for a new patient), so it is
    not read again. Inside a caller's transaction no savepoint of its own is taken:
    every refusal is raised before anything is written, and the write itself is
    `_save_checked`'s savepoint, so a caller that catches a duplicate stays usable.
    """
    outermost = not connection.in_atomic_block
    with transaction.atomic() if outermost else nullcontext():
        if stored is _READ:
            # The row as stored, locked: what the name rule and the history compare with.
            stored = (
                Patient.objects.select_for_update().filter(pk=patient.pk).first()
                if patient.pk is not None
                else None
            )
        stored = cast(Patient | None, stored)
        if stored is not None:
            try:
                rules.patient_anonymized_check(patient=stored)
            except ValidationError as error:
                raise ValidationError({"document_number": error}) from None
            # The authorization changes only by `authorization_given`: as locked now, not
            # as the caller loaded it (a withdrawal recorded meanwhile must stand).
            for field in AUTHORIZATION_FIELDS:
                setattr(patient, field, getattr(stored, field))
        if (
            authorization_given is not None
            and authorization_given != patient.data_processing_authorized
        ):
            patient.record_authorization(
                given=authorization_given,
                policy_version=settings.DATA_PROCESSING_POLICY_VERSION,
                recorded_by=actor,
            )
        # The constraints (the unique document, the authorization's consistency) are the
        # database's to keep: `_save_checked` reports a refusal as the model's own error,
        # without a query per constraint before every save.
        patient.full_clean(exclude=_ACTOR_FIELDS, validate_constraints=False)
        try:
            rules.patient_name_change_check(
                stored=stored, name=patient.name, confirmed=name_change_confirmed
            )
        except ValidationError as error:
            raise ValidationError({"name": error}) from None
        if stored is not None and _unchanged(stored, patient):
            return patient  # nothing to write (a booking for a patient as on file)
        _save_checked(patient)
        changed = (
            _changes_record(stored=stored, saved=patient, actor=actor, source=source)
            if stored is not None
            else None
        )
        if source == PatientChange.Source.BOOKING:
            # The patient page and the admin record their own saves (with the form's
            # field names); a booking's upsert is recorded here, in its transaction.
            _booking_save_audit(patient=patient, actor=actor, changed=changed)
    return patient


def _unchanged(stored: Patient, patient: Patient) -> bool:
    """Whether saving `patient` would write nothing new over `stored` (its row)."""
    return all(
        getattr(stored, field.attname) == getattr(patient, field.attname)
        for field in Patient._meta.concrete_fields
        if field.attname not in _STAMPS
    )


# Set by the save itself, never compared.
_STAMPS = frozenset({"updated_at", "name_search"})


def _booking_save_audit(*, patient: Patient, actor: User | None, changed: list[str] | None) -> None:
    if changed is None:
        audit_record(
            Action.PATIENT_CREATED,
            actor=actor,
            target=patient,
            detail={"fields": list(HISTORY_FIELDS), "page": "booking"},
        )
    elif changed:
        audit_record(
            Action.PATIENT_CHANGED,
            actor=actor,
            target=patient,
            detail={"fields": changed, "page": "booking"},
        )


def _changes_record(
    *, stored: Patient, saved: Patient, actor: User | None, source: str
) -> list[str]:
    """One history row per field that differs between the stored and the saved patient;
    returns those fields' names."""
    changes = []
    for field in HISTORY_FIELDS:
        before, after = getattr(stored, field), getattr(saved, field)
        if str(before or "") == str(after or ""):
            continue
        changes.append(
            PatientChange(
                patient=saved,
                field=field,
                old_value=PatientChange.masked(field, before),
                new_value=PatientChange.masked(field, after),
                changed_by=actor if actor is not None and actor.is_authenticated else None,
                source=source,
            )
        )
    PatientChange.objects.bulk_create(changes)
    return sorted(change.field for change in changes)


def provider_save(*, provider: Provider, actor: User | None) -> Provider:
    """Validate and save a provider. Raises ValidationError (field errors; a duplicate
    document as `duplicate_document` on `document_number`, however late it appears)."""
    provider.full_clean()
    _save_checked(provider)
    return provider


def _save_checked(record: Patient | Provider) -> None:
    """Save a record `full_clean` passed. A duplicate document committed by another desk
    since then meets the unique constraint: report it as the model's own error (its
    `violation_error_code`, on the document field), not as an IntegrityError; any other
    refusal as `integrity_error`."""
    try:
        with transaction.atomic():  # a savepoint: the connection stays usable after
            record.save()
    except IntegrityError:
        record.validate_constraints()
        # A refusal the model's constraints cannot explain (another desk's change in
        # between): still a message on the form, never a 500; nothing was saved.
        raise ValidationError(
            _("The record could not be saved. Check the fields and try again."),
            code="integrity_error",
        ) from None
