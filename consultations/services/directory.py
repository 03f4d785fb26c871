"""Directory workflows: saving patients and providers with their rules."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from consultations.models import Patient, Provider


def patient_save(
    *, patient: Patient, actor: AbstractBaseUser | None, authorization_given: bool | None = None
) -> Patient:
    """Validate and save a patient; record a change of Ley 1581 authorization.

    `authorization_given` None leaves the authorization as it is; True or False records
    it now, by `actor`, under the current policy version (unchanged if already so).
    Raises ValidationError (field errors; `duplicate_document` on `document_number`,
    also when another desk saved the same document after our check).
    """
    if (
        authorization_given is not None
        and authorization_given != patient.data_processing_authorized
    ):
        patient.record_authorization(
            given=authorization_given,
            policy_version=settings.DATA_PROCESSING_POLICY_VERSION,
            recorded_by=actor,
        )
    patient.full_clean()
    _save_checked(patient)
    return patient


def provider_save(*, provider: Provider, actor: AbstractBaseUser | None) -> Provider:
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
