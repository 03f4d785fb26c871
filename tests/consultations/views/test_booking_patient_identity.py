"""A patient's identity is never overwritten by accident: a known document with another
name needs an explicit confirmation on every entry point (booking form, patient page,
admin, service), each change is recorded on the patient's history with its values
masked, and document numbers typed with dots, spaces or hyphens are stored normalized."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse

from consultations import services
from consultations.models import Consultation, Patient, PatientChange, Provider
from consultations.models.patient_changes import masked_email, masked_name, masked_phone
from tests.errors import error_codes, form_error_codes
from tests.factories import (
    PatientFactory,
    ProfessionalTypeFactory,
    ProviderFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

NEW = "/consultations/new/"
STORED_NAME = "Jorge Iván Pérez"
TYPED_NAME = "Juan Camilo Gómez"


@pytest.fixture
def known(patient) -> Patient:
    """An authorized patient on file as Jorge Iván Pérez, CC 1020304050."""
    patient.name = STORED_NAME
    patient.document_number = "1020304050"
    patient.email = "jorge.perez@correo.example"
    patient.phone = "+573001112233"
    patient.save()
    return patient


def snapshot(patient: Patient) -> tuple:
    patient.refresh_from_db()
    return (
        patient.name,
        str(patient.phone),
        patient.email,
        patient.preferred_language,
        patient.updated_at,
    )


def typed_for(known: Patient, **overrides) -> Patient:
    values = {
        "document_type": known.document_type,
        "document_number": known.document_number,
        "name": TYPED_NAME,
        "phone": known.phone,
        "email": known.email,
        "preferred_language": known.preferred_language,
    }
    return Patient(**(values | overrides))


# --- The service (booking) ------------------------------------------------------------------


def test_booking_a_known_document_with_another_name_is_refused_and_changes_nothing(
    book_consultation, known, sandbox
):
    before = snapshot(known)
    with pytest.raises(ValidationError) as refused:
        book_consultation(patient=typed_for(known), authorization_given=False)
    assert error_codes(refused.value)["name"] == ["name_change_unconfirmed"]
    assert snapshot(known) == before
    assert not Consultation.objects.exists()
    assert not PatientChange.objects.exists()
    assert sandbox.stats()["createsReceived"] == 0


def test_a_patient_submitted_by_id_with_another_name_is_refused_too(
    book_consultation, known, sandbox
):
    known.name = TYPED_NAME  # the form's instance, edited in memory
    with pytest.raises(ValidationError) as refused:
        book_consultation(patient=known, authorization_given=False)
    assert error_codes(refused.value)["name"] == ["name_change_unconfirmed"]
    known.refresh_from_db()
    assert known.name == STORED_NAME
    assert sandbox.stats()["createsReceived"] == 0


def test_booking_with_the_confirmation_renames_and_records_it(
    book_consultation, known, receptionist, sandbox
):
    consultation = book_consultation(
        patient=typed_for(known), authorization_given=False, name_change_confirmed=True
    )
    assert consultation.patient_id == known.pk
    known.refresh_from_db()
    assert known.name == TYPED_NAME
    change = known.changes.get()
    assert (change.field, change.old_value, change.new_value) == ("name", "J. I. P.", "J. C. G.")
    assert (change.changed_by, change.source) == (receptionist, PatientChange.Source.BOOKING)
    assert change.changed_at is not None
    assert sandbox.stats()["createsReceived"] == 1
    assert consultation.kairo_request["patient"]["name"] == TYPED_NAME


def test_contact_changes_on_booking_are_recorded_masked(book_consultation, known, receptionist):
    book_consultation(
        patient=typed_for(
            known,
            name=STORED_NAME,
            phone="+573109998877",
            email="otra.direccion@nuevo.example",
            preferred_language="en",
        ),
        authorization_given=False,
    )
    changes = {c.field: c for c in known.changes.all()}
    assert set(changes) == {"phone", "email", "preferred_language"}
    assert (changes["phone"].old_value, changes["phone"].new_value) == ("•••233", "•••877")
    assert (changes["email"].old_value, changes["email"].new_value) == (
        "j***@c***.example",
        "o***@n***.example",
    )
    assert (changes["preferred_language"].old_value, changes["preferred_language"].new_value) == (
        "es",
        "en",
    )
    assert {c.changed_by for c in changes.values()} == {receptionist}
    # The old values themselves are kept nowhere in the history.
    stored = " ".join(PatientChange.objects.values_list("old_value", flat=True))
    assert "jorge.perez" not in stored and "1112233" not in stored


def test_an_unchanged_patient_leaves_no_history(book_consultation, known):
    book_consultation(patient=typed_for(known, name=STORED_NAME), authorization_given=False)
    assert not known.changes.exists()


# --- The booking form and page --------------------------------------------------------------


def post_for(booking_data, known: Patient, **overrides) -> dict:
    values = {
        "document_number": known.document_number,
        "name": TYPED_NAME,
        "phone": str(known.phone),
        "email": known.email,
        "authorization": None,
    }
    return booking_data(**(values | overrides))


def test_the_booking_page_refuses_a_rename_and_offers_the_confirmation(
    reception_client, booking_data, known, sandbox
):
    before = snapshot(known)
    response = reception_client.post(NEW, post_for(booking_data, known))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.has_error("name", "name_change_unconfirmed")
    page = response.content.decode()
    assert 'id="patient-on-file"' in page
    assert 'name="name_change_confirmed"' in page
    assert f"«{STORED_NAME}»" in page and f"«{TYPED_NAME}»" in page
    assert snapshot(known) == before
    assert not Consultation.objects.exists()
    assert sandbox.stats()["requestsReceived"] == 0


def test_the_booking_page_with_the_box_ticked_renames_the_patient(
    reception_client, booking_data, known, receptionist
):
    response = reception_client.post(NEW, post_for(booking_data, known, name_change_confirmed="on"))
    assert response.status_code == 302
    known.refresh_from_db()
    assert known.name == TYPED_NAME
    change = known.changes.get()
    assert (change.field, change.old_value, change.changed_by) == ("name", "J. I. P.", receptionist)


def test_the_booking_page_shows_what_sending_would_update(reception_client, booking_data, known):
    response = reception_client.post(
        NEW,
        post_for(
            booking_data,
            known,
            name=STORED_NAME,
            email="nueva@correo.example",
            provider="",  # refused for another reason: the page comes back
        ),
    )
    form = response.context["form"]
    assert form.has_error("provider")
    assert form.on_file.changes == ("email",)
    page = response.content.decode()
    assert 'data-field="email" data-change="updates"' in page
    assert 'name="name_change_confirmed"' not in page  # the name is the one on file


def test_the_booking_page_prefilled_with_a_patient_shows_their_record(reception_client, known):
    page = reception_client.get(NEW, {"patient": known.pk}).content.decode()
    assert 'id="patient-on-file"' in page
    assert "jorge.perez@correo.example" in page
    assert "data-change=" not in page


def test_the_booking_page_without_a_patient_has_an_empty_hidden_block(reception_client):
    page = reception_client.get(NEW).content.decode()
    assert 'id="patient-on-file"' in page
    assert 'aria-live="polite" hidden' in page


def test_the_on_file_block_for_the_script(reception_client, known):
    response = reception_client.post(
        reverse("patient_on_file"),
        {
            "document_type": "CC",
            "document_number": "1.020.304.050",
            "name": TYPED_NAME,
            "phone": "300 111 2233",
            "email": "otra@correo.example",
            "preferred_language": "es",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-field="name" data-change="needs_confirmation"' in page
    assert 'data-field="email" data-change="updates"' in page
    assert 'data-field="phone" data-change' not in page  # the same number, typed locally
    assert f"«{STORED_NAME}»" in page


def test_the_on_file_block_for_an_unknown_document_is_empty(reception_client):
    response = reception_client.post(
        reverse("patient_on_file"), {"document_type": "CC", "document_number": "99999999"}
    )
    assert response.status_code == 200
    assert "<table" not in response.content.decode()


def test_the_on_file_block_is_a_post_for_staff_only(reception_client, known):
    assert reception_client.get(reverse("patient_on_file")).status_code == 405
    outsider = Client()
    outsider.force_login(UserFactory(username="sin-permisos"))
    data = {"document_type": "CC", "document_number": known.document_number}
    assert outsider.post(reverse("patient_on_file"), data).status_code == 403
    assert Client().post(reverse("patient_on_file"), data).status_code == 302  # to login


# --- The patient page ---------------------------------------------------------------------


def patient_page_data(known: Patient, **overrides) -> dict:
    data = {
        "document_type": known.document_type,
        "document_number": known.document_number,
        "name": known.name,
        "phone": str(known.phone),
        "email": known.email,
        "preferred_language": known.preferred_language,
        "authorization": "on",
    }
    return data | overrides


def test_the_patient_page_refuses_a_rename_without_the_confirmation(reception_client, known):
    url = reverse("patient_edit", args=[known.pk])
    assert 'name="name_change_confirmed"' not in reception_client.get(url).content.decode()
    before = snapshot(known)
    response = reception_client.post(url, patient_page_data(known, name=TYPED_NAME))
    assert response.status_code == 200
    assert response.context["form"].has_error("name", "name_change_unconfirmed")
    page = response.content.decode()
    assert 'name="name_change_confirmed"' in page
    assert f"«{TYPED_NAME}»" in page
    assert snapshot(known) == before
    assert not known.changes.exists()


def test_the_patient_page_renames_with_the_confirmation_and_shows_the_history(
    reception_client, known, receptionist
):
    url = reverse("patient_edit", args=[known.pk])
    response = reception_client.post(
        url,
        patient_page_data(known, name=TYPED_NAME, name_change_confirmed="on", phone="310 999 8877"),
    )
    assert response.status_code == 302
    known.refresh_from_db()
    assert known.name == TYPED_NAME
    changes = {c.field: c for c in known.changes.all()}
    assert set(changes) == {"name", "phone"}
    assert {c.source for c in changes.values()} == {PatientChange.Source.PATIENT_PAGE}
    page = reception_client.get(reverse("patient_detail", args=[known.pk])).content.decode()
    assert 'id="patient-changes"' in page
    assert "J. I. P." in page and "•••877" in page
    assert receptionist.username in page
    assert "+573001112233" not in page  # the old phone is not kept
    # In the staff's language (Spanish by default): headings, fields and where.
    assert "Cambios en este registro" in page
    assert "Teléfono" in page and "página del paciente" in page


def test_a_patient_without_changes_says_so(reception_client, known):
    page = reception_client.get(reverse("patient_detail", args=[known.pk])).content.decode()
    assert 'id="patient-changes-none"' in page


# --- The admin ----------------------------------------------------------------------------


def admin_data(known: Patient, **overrides) -> dict:
    data = {
        "name": known.name,
        "document_type": known.document_type,
        "document_number": known.document_number,
        "phone": str(known.phone),
        "email": known.email,
        "preferred_language": known.preferred_language,
        "data_processing_authorized": "on",
    }
    return data | overrides


def admin_change(known: Patient) -> str:
    return reverse("admin:consultations_patient_change", args=[known.pk])


def test_the_admin_refuses_a_rename_without_the_confirmation(clinic_admin_client, known):
    before = snapshot(known)
    response = clinic_admin_client.post(admin_change(known), admin_data(known, name=TYPED_NAME))
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form_error_codes(form)["name"] == ["name_change_unconfirmed"]
    assert snapshot(known) == before


def test_the_admin_renames_with_the_confirmation_and_records_it(
    clinic_admin_client, known, clinic_admin
):
    response = clinic_admin_client.post(
        admin_change(known), admin_data(known, name=TYPED_NAME, name_change_confirmed="on")
    )
    assert response.status_code == 302
    known.refresh_from_db()
    assert known.name == TYPED_NAME
    change = known.changes.get()
    assert (change.source, change.changed_by) == (PatientChange.Source.ADMIN, clinic_admin)
    page = clinic_admin_client.get(admin_change(known)).content.decode()
    assert "J. I. P." in page


def test_an_admin_save_that_lost_a_race_to_another_desk_is_refused_not_a_500(
    clinic_admin_client, known, monkeypatch
):
    """Another desk renames the patient after the admin's form passed: the service,
    checking the row it locks, refuses; the admin says so and keeps nothing."""
    real_save = services.patient_save

    def another_desk_renames_first(**kwargs):
        Patient.objects.filter(pk=known.pk).update(name="Otro Nombre Guardado")
        return real_save(**kwargs)

    monkeypatch.setattr(services, "patient_save", another_desk_renames_first)
    response = clinic_admin_client.post(
        admin_change(known), admin_data(known, phone="+573155554444"), follow=True
    )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == admin_change(known)
    shown = [str(m) for m in response.context["messages"]]
    assert any("«Otro Nombre Guardado»" in m for m in shown)
    known.refresh_from_db()
    # The whole admin save was undone, the other desk's rename included (one transaction
    # in this test: in real life that desk's commit stands).
    assert str(known.phone) != "+573155554444"
    assert not known.changes.exists()


# --- Document numbers as people type them ---------------------------------------------------

TYPED_DOCUMENTS = [
    "1.020.304.050",
    "1020 304 050",
    "1020-304-050",
    "1 020.304-050",
    "１０２０３０４０５０",  # full-width digits (an East Asian keyboard)
    "1020\u200b304\u00a0050",  # a zero-width and a no-break space, pasted from a document
]


@pytest.mark.parametrize("typed", TYPED_DOCUMENTS)
def test_booking_page_stores_the_document_normalized(reception_client, booking_data, typed):
    response = reception_client.post(NEW, booking_data(document_number=typed))
    assert response.status_code == 302
    assert Patient.objects.get().document_number == "1020304050"


def new_patient_post(document_number: str) -> dict:
    """A new patient's form POST with `document_number` as typed."""
    return {
        "document_type": "CC",
        "document_number": document_number,
        "name": TYPED_NAME,
        "phone": "300 123 4567",
        "email": "juan@correo.example",
        "preferred_language": "es",
    }


@pytest.mark.parametrize("typed", TYPED_DOCUMENTS)
def test_patient_page_stores_the_document_normalized(reception_client, typed):
    data = new_patient_post(typed)
    response = reception_client.post(reverse("patient_new"), data)
    assert response.status_code == 302
    assert Patient.objects.get().document_number == "1020304050"


def provider_post(typed: str) -> dict:
    return {
        "name": "Dr. Camilo Andrés Torres",
        "document_type": "CC",
        "document_number": typed,
        "professional_type": ProfessionalTypeFactory().pk,
        "specialty": "",
        "phone": "+57 310 555 0101",
        "email": "camilo@clinic.test",
        "professional_license": "",
        "is_active": "on",
    }


@pytest.mark.parametrize("typed", TYPED_DOCUMENTS)
def test_provider_page_stores_the_document_normalized(clinic_admin_client, typed):
    response = clinic_admin_client.post(reverse("provider_new"), provider_post(typed))
    assert response.status_code == 302
    assert Provider.objects.get().document_number == "1020304050"


@pytest.mark.parametrize("typed", TYPED_DOCUMENTS[:2])
def test_admin_stores_patient_and_provider_documents_normalized(clinic_admin_client, typed):
    patient = new_patient_post(typed)
    added = clinic_admin_client.post(reverse("admin:consultations_patient_add"), patient)
    assert added.status_code == 302
    assert Patient.objects.get().document_number == "1020304050"
    added = clinic_admin_client.post(
        reverse("admin:consultations_provider_add"), provider_post(typed)
    )
    assert added.status_code == 302
    assert Provider.objects.get().document_number == "1020304050"


@pytest.mark.parametrize("typed", TYPED_DOCUMENTS)
def test_the_service_stores_the_document_normalized(receptionist, typed):
    patient = PatientFactory.build(document_number=typed)
    services.patient_save(
        patient=patient, actor=receptionist, source=PatientChange.Source.PATIENT_PAGE
    )
    assert Patient.objects.get().document_number == "1020304050"


def test_a_passport_keeps_its_letters_and_loses_only_separators(receptionist):
    patient = PatientFactory.build(document_type="PAS", document_number="ab-12.34 567")
    services.patient_save(
        patient=patient, actor=receptionist, source=PatientChange.Source.PATIENT_PAGE
    )
    assert Patient.objects.get().document_number == "AB1234567"


def test_a_document_that_is_too_short_once_normalized_is_refused(reception_client):
    data = {
        "document_type": "CC",
        "document_number": "1.234.567",  # 9 characters typed, 7 digits
        "name": TYPED_NAME,
        "phone": "300 123 4567",
        "email": "juan@correo.example",
        "preferred_language": "es",
    }
    response = reception_client.post(reverse("patient_new"), data)
    assert response.status_code == 200
    codes = form_error_codes(response.context["form"])["document_number"]
    assert codes == ["min_length"]


@pytest.mark.parametrize(
    ("typed", "code", "says"),
    [("1.234.567", "min_length", "at least 8"), ("1" * 21, "max_length", "at most 20")],
)
def test_document_length_errors_are_the_desks_own_words(reception_client, typed, code, says):
    reception_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    data = new_patient_post(typed)
    form = reception_client.post(reverse("patient_new"), data).context["form"]
    (error,) = form.errors.as_data()["document_number"]
    assert error.code == code
    assert says in error.messages[0] and "document number" in error.messages[0]


def test_a_known_document_typed_with_dots_books_the_same_patient(
    reception_client, booking_data, known
):
    response = reception_client.post(
        NEW, post_for(booking_data, known, document_number="1.020.304.050", name=STORED_NAME)
    )
    assert response.status_code == 302
    assert Patient.objects.count() == 1
    assert Consultation.objects.get().patient_id == known.pk


def test_search_and_lookups_use_the_same_normalizer(reception_client, known):
    found = reception_client.get(reverse("patient_search"), {"q": "1020-304-050"}).json()
    assert [row["id"] for row in found["results"]] == [known.pk]
    assert Patient.objects.filter(document_number="1.020.304.050").get() == known


# --- Masks --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mask", "value", "expected"),
    [
        (masked_name, "Juan Camilo Gómez", "J. C. G."),
        (masked_name, "  ana   ruiz ", "A. R."),
        (masked_email, "juan.gomez@correo.example", "j***@c***.example"),
        (masked_email, "x@mail.clinica.example.co", "x***@m***.clinica.example.co"),
        (masked_email, "not-an-address", "***"),
        (masked_phone, "+573001234567", "•••567"),
    ],
)
def test_masks(mask, value, expected):
    assert mask(value) == expected


@pytest.mark.parametrize("model", [Provider, Patient], ids=["provider", "patient"])
def test_the_admin_search_finds_a_document_typed_with_separators(clinic_admin_client, model):
    make = ProviderFactory if model is Provider else PatientFactory
    wanted = make(document_number="99887766")
    make(document_number="11223344")
    url = reverse(f"admin:consultations_{model._meta.model_name}_changelist")
    for term in ("99.887.766", "99 887 766", "99-887-766"):
        response = clinic_admin_client.get(url, {"q": term})
        assert list(response.context["cl"].result_list) == [wanted], term


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
