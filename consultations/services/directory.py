"""Directory workflows: saving patients and providers with their rules."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from consultations.models import Patient, Provider


def patient_save(
    *, patient: Patient, actor: AbstractBaseUser | None, authorization_given: bool | None = None
) -> Patient:
    """Validate and save a patient; record a change of Ley 1581 authorization.

    `authorization_given` None leaves the authorization as it is; True or False records
    it now, by `actor`, under the current policy version (unchanged if already so).
    Raises ValidationError (field errors) or IntegrityError (a racing duplicate document).
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
    with transaction.atomic():
        patient.save()
    return patient


def provider_save(*, provider: Provider, actor: AbstractBaseUser | None) -> Provider:
    """Validate and save a provider. Raises ValidationError or IntegrityError."""
    provider.full_clean()
    with transaction.atomic():
        provider.save()
    return provider
