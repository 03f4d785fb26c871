"""Field and row rules of providers and patients, at their boundaries; the name search
key; the data migrations that fill and normalize them."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from consultations.models import Patient, Provider, name_search_key
from tests.errors import error_codes, refusal_codes
from tests.factories import (
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


def test_masked_document_shows_only_last_four():
    patient = PatientFactory.build(document_type="CC", document_number="1020304050")
    assert patient.masked_document == "CC •••4050"
    assert "102030" not in patient.masked_document


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


@pytest.mark.parametrize("model", [Patient, Provider])
def test_a_stored_document_left_alone_is_not_looked_up_again_and_a_changed_one_is(model):
    factory = PatientFactory if model is Patient else ProviderFactory
    first, second = factory(), factory()

    def duplicate_lookups(instance) -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            try:
                instance.full_clean()
            except ValidationError as exc:
                assert "duplicate_document" in error_codes(exc)["document_number"]
        return [q["sql"] for q in queries if '"document_number" =' in q["sql"]]

    stored = model.objects.get(pk=second.pk)
    stored.name = stored.name + " Segundo"
    assert duplicate_lookups(stored) == []  # unchanged document: no look-up

    stored.document_number = first.document_number
    stored.document_type = first.document_type
    assert len(duplicate_lookups(stored)) == 1  # changed to someone else's: refused
    with pytest.raises(ValidationError):
        stored.full_clean()

    deferred = model.objects.only("pk", "name").get(pk=second.pk)
    assert len(duplicate_lookups(deferred)) == 1  # not read with the row: checked


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


# --- Numbers stored before normalization (migration 0015) ----------------------------------


def _store_raw(patient: Patient, number: str) -> None:
    """Write a document number as an earlier version stored it, past the field's
    normalization."""
    table = Patient._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET document_number = %s WHERE id = %s",  # noqa: S608
            [number, patient.pk],
        )


def test_the_migration_normalizes_stored_numbers_unless_they_would_clash():
    migration = importlib.import_module("consultations.migrations.0015_patient_changes")
    hyphenated, clashing, short = PatientFactory(), PatientFactory(), PatientFactory()
    PatientFactory(document_type="CC", document_number="12345678")
    _store_raw(hyphenated, "AB-1234-5678")
    _store_raw(clashing, "1234-5678")  # normalized, it would be the patient above
    _store_raw(short, "123-4567")  # normalized, 7 characters: too short
    migration.normalize_stored_documents(django_apps, None)
    stored = dict(
        Patient.objects.filter(pk__in=[hyphenated.pk, clashing.pk, short.pk]).values_list(
            "pk", "document_number"
        )
    )
    assert stored == {hyphenated.pk: "AB12345678", clashing.pk: "1234-5678", short.pk: "123-4567"}
