"""Field and row rules of the directory and catalogs, at their boundaries."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from consultations.kairo import contract
from consultations.models import (
    Consultation,
    ConsultationStatus,
    Duration,
    Patient,
    Provider,
    name_search_key,
)
from tests.errors import error_codes, refusal_codes
from tests.factories import (
    ConsultationFactory,
    ConsultationTypeFactory,
    MedicalSpecialtyFactory,
    PatientFactory,
    ProfessionalTypeFactory,
    ProviderFactory,
    SpecialistFactory,
    SpecialistTypeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _full_clean(instance) -> None:
    instance.full_clean(validate_unique=False, validate_constraints=False)


@pytest.mark.parametrize(("length", "valid"), [(9, False), (10, True), (50, True), (51, False)])
def test_provider_name_length(length, valid):
    provider = ProviderFactory.build(name="N" * length, professional_type=ProfessionalTypeFactory())
    if valid:
        assert refusal_codes(lambda: _full_clean(provider)) == {}
    else:
        with pytest.raises(ValidationError) as exc:
            _full_clean(provider)
        assert set(error_codes(exc.value)["name"]) & {"min_length", "max_length"}


@pytest.mark.parametrize("model", ["provider", "patient"])
@pytest.mark.parametrize(("length", "valid"), [(7, False), (8, True), (20, True), (21, False)])
def test_document_number_length(model, length, valid):
    if model == "provider":
        instance = ProviderFactory.build(professional_type=ProfessionalTypeFactory())
    else:
        instance = PatientFactory.build()
    instance.document_number = "1" * length
    if valid:
        assert refusal_codes(lambda: _full_clean(instance)) == {}
    else:
        with pytest.raises(ValidationError) as exc:
            _full_clean(instance)
        assert set(error_codes(exc.value)["document_number"]) & {"min_length", "max_length"}


@pytest.mark.parametrize("factory", [ProviderFactory, PatientFactory])
def test_clean_collapses_whitespace_in_names(factory):
    party = factory()
    party.name = "  Ana   María\tRíos  Gómez "
    _full_clean(party)
    assert party.name == "Ana María Ríos Gómez"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("1.234.567.890", "1234567890"),
        ("1234 567 890", "1234567890"),
        ("1234-567-890", "1234567890"),
        ("1234\u2013567\u00a0890", "1234567890"),  # an en dash, a no-break space
        ("pa-123.456", "PA123456"),
    ],
)
def test_document_number_separators_are_removed(typed, stored):
    patient = PatientFactory.build(document_number=typed)
    _full_clean(patient)
    assert patient.document_number == stored


@pytest.mark.parametrize("typed", ["1234/567/890", "1234_567_890", "12345678ñ"])
def test_document_number_refuses_other_characters(typed):
    patient = PatientFactory.build(document_number=typed)
    with pytest.raises(ValidationError) as exc:
        _full_clean(patient)
    assert "invalid_document_number" in error_codes(exc.value)["document_number"]


def test_a_document_saved_without_full_clean_is_stored_normalized():
    patient = PatientFactory(document_number="1.020.304.050")
    patient.refresh_from_db()
    assert patient.document_number == "1020304050"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("+573001234567", "+573001234567"),
        ("300 123 4567", "+573001234567"),  # no +57: Colombia is the default region
        ("+57 (300) 123-4567", "+573001234567"),
        ("+1 212 555 0100", "+12125550100"),
    ],
)
def test_phone_is_normalised_to_international_format(typed, stored):
    patient = PatientFactory(phone=typed)
    patient.refresh_from_db()
    assert str(patient.phone) == stored


@pytest.mark.parametrize("typed", ["12345", "+57 300", "abc", "+99912345678"])
def test_invalid_phones_are_refused(typed):
    patient = PatientFactory.build(phone=typed)
    with pytest.raises(ValidationError) as exc:
        _full_clean(patient)
    assert "phone" in exc.value.error_dict


@pytest.mark.parametrize(
    "email", ["no-at-sign", "a@", "@b.co", "a b@c.co", "a@b..co", "a@localhost"]
)
def test_invalid_emails_are_refused(email):
    patient = PatientFactory.build(email=email)
    with pytest.raises(ValidationError) as exc:
        _full_clean(patient)
    assert "invalid" in error_codes(exc.value)["email"]


def test_specialist_without_specialty_is_refused():
    provider = ProviderFactory.build(professional_type=SpecialistTypeFactory(), specialty=None)
    with pytest.raises(ValidationError) as exc:
        _full_clean(provider)
    assert "specialty_required" in error_codes(exc.value)["specialty"]


def test_non_specialist_with_specialty_is_refused():
    provider = ProviderFactory.build(
        professional_type=ProfessionalTypeFactory(), specialty=MedicalSpecialtyFactory()
    )
    with pytest.raises(ValidationError) as exc:
        _full_clean(provider)
    assert "specialty_not_allowed" in error_codes(exc.value)["specialty"]


def test_specialist_with_specialty_and_generalist_without_are_valid():
    specialist = SpecialistFactory.build(
        professional_type=SpecialistTypeFactory(), specialty=MedicalSpecialtyFactory()
    )
    generalist = ProviderFactory.build(professional_type=ProfessionalTypeFactory())
    assert refusal_codes(lambda: _full_clean(specialist)) == {}
    assert refusal_codes(lambda: _full_clean(generalist)) == {}


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


def test_database_refuses_specialty_mismatch_even_without_clean():
    provider = ProviderFactory(professional_type=ProfessionalTypeFactory())
    provider.specialty = MedicalSpecialtyFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        provider.save()


def test_patients_are_unique_by_document_never_by_email():
    first = PatientFactory(email="shared@example.test")
    PatientFactory(email="shared@example.test")  # same email, another person: fine
    with pytest.raises(IntegrityError), transaction.atomic():
        PatientFactory(document_type=first.document_type, document_number=first.document_number)
    PatientFactory(document_type="TI", document_number=first.document_number)  # other type


def test_providers_are_unique_by_document():
    first = ProviderFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ProviderFactory(document_type=first.document_type, document_number=first.document_number)


def test_patient_authorization_records_when_who_and_version():
    user = UserFactory()
    patient = PatientFactory.build()
    patient.record_authorization(given=True, policy_version="2026-01", recorded_by=user)
    patient.save()
    patient.refresh_from_db()
    assert patient.data_processing_authorized
    assert patient.data_processing_recorded_by == user
    assert patient.data_processing_policy_version == "2026-01"
    assert abs(patient.data_processing_authorized_at - timezone.now()) < dt.timedelta(minutes=1)


def test_authorization_without_policy_version_is_refused():
    patient = PatientFactory.build(data_processing_authorized=True)
    with pytest.raises(ValidationError) as exc:
        _full_clean(patient)
    assert "policy_version_required" in error_codes(exc.value)["data_processing_policy_version"]
    with pytest.raises(IntegrityError), transaction.atomic():
        patient.save()


def test_durations_are_exactly_the_ten_allowed():
    assert list(Duration.objects.values_list("minutes", flat=True)) == list(
        contract.ALLOWED_DURATIONS
    )
    assert 55 not in contract.ALLOWED_DURATIONS
    with pytest.raises(IntegrityError), transaction.atomic():
        Duration.objects.create(minutes=55)


def test_masked_document_shows_only_last_four():
    patient = PatientFactory.build(document_type="CC", document_number="1020304050")
    assert patient.masked_document == "CC •••4050"
    assert "102030" not in patient.masked_document


@pytest.mark.postgres
@pytest.mark.parametrize("party", ["provider", "patient"])
def test_postgres_refuses_overlapping_active_windows(party):
    assert connection.vendor == "postgresql"
    provider, patient = ProviderFactory(), PatientFactory()
    start = timezone.now() + dt.timedelta(days=1)
    ConsultationFactory(provider=provider, patient=patient, starts_at=start)
    other_provider = provider if party == "provider" else ProviderFactory()
    other_patient = patient if party == "patient" else PatientFactory()
    with pytest.raises(IntegrityError) as exc, transaction.atomic():
        ConsultationFactory(
            provider=other_provider,
            patient=other_patient,
            starts_at=start + dt.timedelta(minutes=29),
        )
    assert f"consultation_{party}_no_overlap" in str(exc.value)
    # Adjacent windows are fine.
    ConsultationFactory(
        provider=other_provider,
        patient=other_patient,
        starts_at=start + dt.timedelta(minutes=30),
    )


@pytest.mark.postgres
def test_postgres_overlap_ignores_inactive_consultations():
    provider, patient = ProviderFactory(), PatientFactory()
    start = timezone.now() + dt.timedelta(days=1)
    for status in (
        ConsultationStatus.CANCELLED,
        ConsultationStatus.EXPIRED,
        ConsultationStatus.COMPLETED,
        ConsultationStatus.REJECTED,
    ):
        ConsultationFactory(provider=provider, patient=patient, starts_at=start, status=status)
    ConsultationFactory(provider=provider, patient=patient, starts_at=start)  # the slot is free
    assert Consultation.objects.active().count() == 1


@pytest.mark.postgres
def test_postgres_check_constraints_on_consultation():
    provider, patient = ProviderFactory(), PatientFactory()
    start = timezone.now() + dt.timedelta(days=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Consultation.objects.create(
            provider=provider,
            patient=patient,
            consultation_type=ConsultationTypeFactory(),
            duration_id=30,
            starts_at=start,
            ends_at=start,
        )


def test_protected_catalog_rows_cannot_be_deleted():
    from django.db.models import ProtectedError

    provider = ProviderFactory()
    with pytest.raises(ProtectedError):
        provider.professional_type.delete()
    assert Provider.objects.filter(pk=provider.pk).exists()
    assert Patient.objects.count() == 0


def test_a_specialist_validates_and_saves():
    provider = SpecialistFactory.build(
        professional_type=SpecialistTypeFactory(), specialty=MedicalSpecialtyFactory()
    )
    provider.full_clean()
    provider.save()
    assert Provider.objects.get(pk=provider.pk).requires_specialty


def test_duplicate_document_is_reported_on_the_document_number():
    first = PatientFactory()
    duplicate = PatientFactory.build(
        document_type=first.document_type, document_number=first.document_number
    )
    with pytest.raises(ValidationError) as exc:
        duplicate.full_clean()
    assert "duplicate_document" in error_codes(exc.value)["document_number"]


# --- The name search key --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("María Fernanda Ríos", "maria fernanda rios"),
        ("Jorge Iván PÉREZ", "jorge ivan perez"),
        ("Ñúñez", "nunez"),
        ("  Ana\tLucía \n Beltrán ", "ana lucia beltran"),
        ("Mu\u0308ller", "muller"),  # already decomposed, as some keyboards send it
        ("", ""),
    ],
)
def test_name_search_key_drops_accents_case_and_extra_spaces(name, key):
    assert name_search_key(name) == key


def test_saving_writes_the_name_search_key():
    patient = PatientFactory(name="María Fernanda Ríos")
    provider = ProviderFactory(name="Dr. Jorge Iván Pérez")
    assert Patient.objects.get(pk=patient.pk).name_search == "maria fernanda rios"
    assert Provider.objects.get(pk=provider.pk).name_search == "dr. jorge ivan perez"


def test_saving_only_the_name_also_writes_its_key():
    patient = PatientFactory(name="Nombre Viejo")
    patient.name = "Ñúñez"
    patient.save(update_fields=["name"])
    assert Patient.objects.get(pk=patient.pk).name_search == "nunez"


def test_bulk_create_writes_the_name_search_key():
    [patient] = Patient.objects.bulk_create([PatientFactory.build(name="Jorge Iván Pérez")])
    assert Patient.objects.get(pk=patient.pk).name_search == "jorge ivan perez"


def test_the_data_migration_fills_blank_name_search_keys(monkeypatch):
    migration = importlib.import_module("consultations.migrations.0013_name_search")
    monkeypatch.setattr(migration, "BATCH", 2)  # several batches from five rows
    patients = [
        PatientFactory(name=name)
        for name in ("María Fernanda Ríos", "Jorge Iván Pérez", "Ñúñez", "Ana Beltrán")
    ]
    provider = ProviderFactory(name="Dra. Paula Andrea Ríos")
    # Rows as migration 0013's AddField leaves them, before the data migration.
    Patient.objects.update(name_search="")
    Provider.objects.update(name_search="")

    migration.fill_name_search(apps, connection.schema_editor())

    assert dict(Patient.objects.values_list("pk", "name_search")) == {
        patients[0].pk: "maria fernanda rios",
        patients[1].pk: "jorge ivan perez",
        patients[2].pk: "nunez",
        patients[3].pk: "ana beltran",
    }
    assert Provider.objects.get(pk=provider.pk).name_search == "dra. paula andrea rios"
