"""Row rules of the catalogs: the durations the contract allows, a professional type in
use, rows that providers use."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from consultations.kairo import contract
from consultations.models import Duration, Patient, Provider
from tests.errors import error_codes
from tests.factories import ProfessionalTypeFactory, ProviderFactory

pytestmark = pytest.mark.django_db


def test_requires_specialty_cannot_change_while_providers_use_the_type():
    used = ProviderFactory().professional_type
    used.requires_specialty = True
    with pytest.raises(ValidationError) as exc:
        used.full_clean()
    assert "requires_specialty_in_use" in error_codes(exc.value)["requires_specialty"]
    # Other edits of a type in use, and any edit of an unused type, are fine.
    used.refresh_from_db()
    used.name = "Médico general"
    used.full_clean()
    unused = ProfessionalTypeFactory(code="Nutricionista")
    unused.requires_specialty = True
    unused.full_clean()


def test_durations_are_exactly_the_ten_allowed():
    assert list(Duration.objects.values_list("minutes", flat=True)) == list(
        contract.ALLOWED_DURATIONS
    )
    assert 55 not in contract.ALLOWED_DURATIONS
    with pytest.raises(IntegrityError), transaction.atomic():
        Duration.objects.create(minutes=55)


def test_protected_catalog_rows_cannot_be_deleted():
    from django.db.models import ProtectedError

    provider = ProviderFactory()
    with pytest.raises(ProtectedError):
        provider.professional_type.delete()
    assert Provider.objects.filter(pk=provider.pk).exists()
    assert Patient.objects.count() == 0
