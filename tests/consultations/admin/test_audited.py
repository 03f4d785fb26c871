"""The admin's acts in the audit trail: adds, changes and deletions of patients,
providers, catalog rows and accounts (field names, never values), opening a patient's
page, catalog actions and imports."""

from __future__ import annotations

import pytest

from consultations.models import AuditEntry, ConsultationType, MedicalSpecialty, Patient
from tests.consultations.admin.pages import admin_url, upload
from tests.consultations.admin.test_directory import _patient_post
from tests.consultations.audit_rows import (
    ADDRESS,
    assert_no_personal_data,
    assert_row,
    only_row,
    personal_values,
)
from tests.consultations.provider_forms import provider_post
from tests.factories import PatientFactory, ProviderFactory, UserFactory

pytestmark = pytest.mark.django_db
Action = AuditEntry.Action


# --- Patients -----------------------------------------------------------------------------


def test_opening_a_patients_admin_page_is_recorded(clinic_admin_client, clinic_admin):
    patient = PatientFactory()
    response = clinic_admin_client.get(
        admin_url(Patient, "change", patient.pk), REMOTE_ADDR=ADDRESS
    )
    assert response.status_code == 200
    entry = only_row(Action.PATIENT_VIEWED)
    assert_row(
        entry,
        actor=clinic_admin,
        object_type="patient",
        object_id=patient.pk,
        patient_id=patient.pk,
    )
    assert entry.detail == {"source": "admin"}
    assert_no_personal_data(entry, personal_values(patient=patient))


def test_a_missing_patients_admin_page_records_nothing(clinic_admin_client):
    clinic_admin_client.get(admin_url(Patient, "change", 999999))
    assert not AuditEntry.objects.filter(action=Action.PATIENT_VIEWED).exists()


def test_changing_a_patient_in_the_admin_records_the_fields(clinic_admin_client, clinic_admin):
    patient = PatientFactory()
    old = personal_values(patient=patient)
    response = clinic_admin_client.post(
        admin_url(Patient, "change", patient.pk),
        _patient_post(patient, email="otra.direccion@example.test", phone="+573001230000"),
        REMOTE_ADDR=ADDRESS,
    )
    assert response.status_code == 302
    entry = only_row(Action.PATIENT_CHANGED)
    assert_row(
        entry,
        actor=clinic_admin,
        object_type="patient",
        object_id=patient.pk,
        patient_id=patient.pk,
    )
    assert entry.detail == {"source": "admin", "fields": ["email", "phone"]}
    patient.refresh_from_db()
    assert_no_personal_data(entry, [*old, *personal_values(patient=patient)])


def test_adding_a_patient_in_the_admin_is_recorded(clinic_admin_client, clinic_admin):
    response = clinic_admin_client.post(
        admin_url(Patient, "add"), _patient_post(PatientFactory.build()), REMOTE_ADDR=ADDRESS
    )
    assert response.status_code == 302
    patient = Patient.objects.get()
    entry = only_row(Action.PATIENT_CREATED)
    assert_row(
        entry,
        actor=clinic_admin,
        object_type="patient",
        object_id=patient.pk,
        patient_id=patient.pk,
    )
    assert entry.detail["added"] is True and "name" in entry.detail["fields"]
    assert_no_personal_data(entry, personal_values(patient=patient))


def test_a_patient_save_the_admin_refuses_records_nothing(clinic_admin_client):
    patient = PatientFactory()
    response = clinic_admin_client.post(
        admin_url(Patient, "change", patient.pk), _patient_post(patient, email="no-es-correo")
    )
    assert response.status_code == 200  # the form again, with its error
    assert not AuditEntry.objects.filter(action=Action.PATIENT_CHANGED).exists()


def test_deleting_a_patient_in_the_admin_is_recorded(clinic_admin_client, clinic_admin):
    patient = PatientFactory()
    values = personal_values(patient=patient)
    response = clinic_admin_client.post(
        admin_url(Patient, "delete", patient.pk), {"post": "yes"}, REMOTE_ADDR=ADDRESS
    )
    assert response.status_code == 302
    entry = only_row(Action.ADMIN_DELETED)
    assert_row(
        entry,
        actor=clinic_admin,
        object_type="patient",
        object_id=patient.pk,
        patient_id=patient.pk,
    )
    assert_no_personal_data(entry, values)


def test_opening_a_consultation_in_the_admin_is_recorded(clinic_admin_client, clinic_admin, booked):
    # Its page shows the PIN and the room links.
    response = clinic_admin_client.get(
        admin_url(type(booked), "change", booked.pk), REMOTE_ADDR=ADDRESS
    )
    assert booked.access_pin in response.content.decode()
    entry = only_row(Action.CONSULTATION_VIEWED)
    assert_row(
        entry,
        actor=clinic_admin,
        object_type="consultation",
        object_id=booked.pk,
        patient_id=booked.patient_id,
    )
    assert entry.detail == {"source": "admin"}
    assert_no_personal_data(entry, personal_values(consultation=booked))


# --- Providers ----------------------------------------------------------------------------


def test_changing_and_deleting_providers_in_the_admin_is_recorded(
    clinic_admin_client, clinic_admin
):
    provider, other = ProviderFactory(), ProviderFactory()
    clinic_admin_client.post(
        admin_url(type(provider), "change", provider.pk),
        provider_post(provider, phone="+573105550199", is_active="on"),
        REMOTE_ADDR=ADDRESS,
    )
    changed = only_row(Action.PROVIDER_CHANGED)
    assert_row(
        changed, actor=clinic_admin, object_type="provider", object_id=provider.pk, patient_id=None
    )
    assert changed.detail == {"source": "admin", "fields": ["phone"]}
    # "Delete selected": one row per record deleted.
    clinic_admin_client.post(
        admin_url(type(provider), "changelist"),
        {"action": "delete_selected", "_selected_action": [provider.pk, other.pk], "post": "yes"},
        REMOTE_ADDR=ADDRESS,
    )
    deleted = AuditEntry.objects.filter(action=Action.ADMIN_DELETED)
    assert sorted(deleted.values_list("object_id", flat=True)) == sorted(
        [str(provider.pk), str(other.pk)]
    )
    for entry in (changed, *deleted):
        assert_no_personal_data(entry, [provider.name, provider.document_number, other.name])


# --- Catalogs -----------------------------------------------------------------------------


def test_a_catalog_row_added_changed_and_deleted_in_the_admin(clinic_admin_client, clinic_admin):
    clinic_admin_client.post(
        admin_url(ConsultationType, "add"),
        {"code": "ConsultaNutricion", "name": "Consulta de nutrición", "is_active": "on"},
        REMOTE_ADDR=ADDRESS,
    )
    row = ConsultationType.objects.get(code="ConsultaNutricion")
    clinic_admin_client.post(
        admin_url(ConsultationType, "change", row.pk),
        {"code": row.code, "name": "Nutrición", "is_active": "on"},
    )
    clinic_admin_client.post(admin_url(ConsultationType, "delete", row.pk), {"post": "yes"})
    added, changed = AuditEntry.objects.filter(action=Action.CATALOG_CHANGED).order_by("pk")
    assert_row(
        added, actor=clinic_admin, object_type="consultationtype", object_id=row.pk, patient_id=None
    )
    assert added.detail["added"] is True
    assert changed.detail == {"source": "admin", "fields": ["name"]}
    assert only_row(Action.ADMIN_DELETED).object_id == str(row.pk)


def test_a_catalog_action_records_each_row_it_changed(clinic_admin_client, clinic_admin):
    rows = list(
        ConsultationType.objects.filter(code__in=["ConsultaControl", "ConsultaEspecializada"])
    )
    clinic_admin_client.post(
        admin_url(ConsultationType, "changelist"),
        {"action": "deactivate", "_selected_action": [row.pk for row in rows]},
        REMOTE_ADDR=ADDRESS,
    )
    entries = AuditEntry.objects.filter(action=Action.CATALOG_CHANGED)
    assert sorted(entries.values_list("object_id", flat=True)) == sorted(str(r.pk) for r in rows)
    assert {tuple(entry.detail["fields"]) for entry in entries} == {("is_active",)}


def test_a_catalog_import_records_its_counts(clinic_admin_client, clinic_admin):
    content = "código;nombre;id_kairo\nCA003;Cardiología;3\nNE001;Neurología;17\n".encode()
    clinic_admin_client.post(
        admin_url(MedicalSpecialty, "import"), {"file": upload(content)}, REMOTE_ADDR=ADDRESS
    )
    entry = only_row(Action.CATALOG_IMPORTED)
    assert_row(
        entry, actor=clinic_admin, object_type="medicalspecialty", object_id="", patient_id=None
    )
    assert entry.detail == {"created": 1, "updated": 1, "unchanged": 0}


def test_a_dry_run_or_a_refused_import_records_nothing(clinic_admin_client):
    url = admin_url(MedicalSpecialty, "import")
    clinic_admin_client.post(
        url, {"file": upload(b"code,name\nNE001,Neurologia\n"), "dry_run": "on"}
    )
    clinic_admin_client.post(url, {"file": upload(b"code,name\n")})
    assert not AuditEntry.objects.filter(action=Action.CATALOG_IMPORTED).exists()


# --- Accounts -----------------------------------------------------------------------------


def test_an_accounts_password_set_in_the_admin_is_recorded_without_it(client):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    account = UserFactory(username="recepcion2")
    client.force_login(superuser)
    password = "Una-Clave-Muy-Larga-2026"
    response = client.post(
        f"/admin/auth/user/{account.pk}/password/",
        {"password1": password, "password2": password, "usable_password": "true"},
        REMOTE_ADDR=ADDRESS,
    )
    assert response.status_code == 302
    entry = only_row(Action.ADMIN_CHANGED)
    assert_row(entry, actor=superuser, object_type="user", object_id=account.pk, patient_id=None)
    assert entry.detail["fields"] == ["password"]
    assert_no_personal_data(entry, [password])


def test_lifting_a_lock_out_is_recorded(clinic_admin_client, clinic_admin):
    from axes.models import AccessAttempt

    attempt = AccessAttempt.objects.create(
        username="recepcion", ip_address="198.51.100.9", failures_since_start=5
    )
    response = clinic_admin_client.post(
        f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"}, REMOTE_ADDR=ADDRESS
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    entry = only_row(Action.ADMIN_DELETED)
    assert_row(
        entry,
        actor=clinic_admin,
        object_type="accessattempt",
        object_id=attempt.pk,
        patient_id=None,
    )


def test_changing_a_groups_permissions_is_recorded(client):
    from django.contrib.auth.models import Group, Permission

    superuser = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(superuser)
    group = Group.objects.create(name="Auditoría")
    permission = Permission.objects.get(codename="view_auditentry")
    response = client.post(
        f"/admin/auth/group/{group.pk}/change/",
        {"name": "Auditoría", "permissions": [permission.pk]},
        REMOTE_ADDR=ADDRESS,
    )
    assert response.status_code == 302
    entry = only_row(Action.ADMIN_CHANGED)
    assert_row(entry, actor=superuser, object_type="group", object_id=group.pk, patient_id=None)
    assert entry.detail["fields"] == ["permissions"]
