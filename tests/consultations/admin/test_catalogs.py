"""The clinic admin: catalogs, CSV import, the directory, read-only consultations."""

from __future__ import annotations

import importlib

import pytest
from axes.models import AccessAttempt
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.messages import ERROR, get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from consultations.models import (
    Consultation,
    ConsultationType,
    Duration,
    MedicalSpecialty,
    Patient,
    ProfessionalType,
    Provider,
)
from tests.errors import form_error_codes
from tests.factories import (
    ConsultationFactory,
    PatientFactory,
    ProviderFactory,
    SpecialistFactory,
    UserFactory,
)

CATALOG_MODELS = (ProfessionalType, MedicalSpecialty, ConsultationType, Duration)
CATALOG_IDS = [model._meta.model_name for model in CATALOG_MODELS]


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:consultations_{model._meta.model_name}_{view}", args=args)


def has_error_message(response) -> bool:
    return any(message.level == ERROR for message in get_messages(response.wsgi_request))


# --- Every catalog's pages -----------------------------------------------------------------


@pytest.mark.parametrize("model", CATALOG_MODELS, ids=CATALOG_IDS)
def test_catalog_changelist_add_and_change_pages_render(clinic_admin_client, model):
    row = model.objects.first()

    for url in (
        admin_url(model, "changelist"),
        admin_url(model, "changelist") + "?q=a&is_active__exact=1",
        admin_url(model, "add"),
        admin_url(model, "change", row.pk),
    ):
        response = clinic_admin_client.get(url)
        assert response.status_code == 200, url


@pytest.mark.parametrize("model", CATALOG_MODELS, ids=CATALOG_IDS)
def test_catalog_changelist_shows_the_active_flag_and_offers_import(clinic_admin_client, model):
    response = clinic_admin_client.get(admin_url(model, "changelist"))

    assert "is_active" in response.context["cl"].list_display
    assert response.context["can_import"] is True
    assert admin_url(model, "import").encode() in response.content


@pytest.mark.parametrize("model", CATALOG_MODELS[:3], ids=CATALOG_IDS[:3])
def test_catalog_entries_show_whether_they_are_confirmed(clinic_admin_client, model):
    response = clinic_admin_client.get(admin_url(model, "changelist") + "?is_confirmed__exact=0")

    assert "is_confirmed" in response.context["cl"].list_display
    assert all(not row.is_confirmed for row in response.context["cl"].result_list)


def test_catalog_search_finds_by_code(clinic_admin_client):
    response = clinic_admin_client.get(admin_url(MedicalSpecialty, "changelist") + "?q=CA003")

    assert [row.code for row in response.context["cl"].result_list] == ["CA003"]


def test_a_catalog_row_can_be_added_from_the_admin(clinic_admin_client):
    response = clinic_admin_client.post(
        admin_url(ConsultationType, "add"),
        {"code": "ConsultaNutricion", "name": "Consulta de nutrición", "is_active": "on"},
    )

    assert response.status_code == 302
    assert ConsultationType.objects.filter(code="ConsultaNutricion").exists()


def test_a_code_with_spaces_is_refused_by_the_admin_form(clinic_admin_client):
    response = clinic_admin_client.post(
        admin_url(ConsultationType, "add"), {"code": "Consulta Nutricion", "name": "X"}
    )

    assert response.status_code == 200
    assert form_error_codes(response.context["adminform"].form)["code"][0] == "invalid_code"


@pytest.mark.parametrize(("action", "active"), [("activate", True), ("deactivate", False)])
def test_active_toggle_actions(clinic_admin_client, action, active):
    rows = ConsultationType.objects.filter(code__in=["ConsultaControl", "ConsultaEspecializada"])
    rows.update(is_active=not active)

    response = clinic_admin_client.post(
        admin_url(ConsultationType, "changelist"),
        {"action": action, "_selected_action": [row.pk for row in rows]},
    )

    assert response.status_code == 302
    assert {row.is_active for row in rows.all()} == {active}


def test_mark_confirmed_action(clinic_admin_client):
    row = MedicalSpecialty.objects.get(code="PE001")
    assert row.is_confirmed is False

    clinic_admin_client.post(
        admin_url(MedicalSpecialty, "changelist"),
        {"action": "mark_confirmed", "_selected_action": [row.pk]},
    )

    row.refresh_from_db()
    assert row.is_confirmed is True


def test_duration_minutes_cannot_be_edited_once_created(clinic_admin_client):
    duration = Duration.objects.get(minutes=30)

    response = clinic_admin_client.get(admin_url(Duration, "change", duration.pk))

    assert "minutes" not in response.context["adminform"].form.fields
    assert "recommended_use" in response.context["adminform"].form.fields


# --- Rows in use are deactivated, never deleted ---------------------------------------------


@pytest.fixture
def provider_in_use():
    return SpecialistFactory()  # uses MedicoEspecialista and CA003


def test_deleting_a_catalog_row_in_use_is_refused_with_a_message(
    clinic_admin_client, provider_in_use
):
    specialty = provider_in_use.specialty
    url = admin_url(MedicalSpecialty, "delete", specialty.pk)

    shown = clinic_admin_client.get(url)
    posted = clinic_admin_client.post(url, {"post": "yes"})

    for response in (shown, posted):
        assert response.status_code == 302
        assert response.url == admin_url(MedicalSpecialty, "change", specialty.pk)
        assert has_error_message(response)
    assert MedicalSpecialty.objects.filter(pk=specialty.pk).exists()


def test_deleting_a_duration_used_by_a_consultation_is_refused(clinic_admin_client):
    consultation = ConsultationFactory()
    duration = consultation.duration

    response = clinic_admin_client.post(admin_url(Duration, "delete", duration.pk), {"post": "yes"})

    assert response.status_code == 302
    assert has_error_message(response)
    assert Duration.objects.filter(pk=duration.pk).exists()


def test_bulk_delete_with_a_row_in_use_deletes_nothing(clinic_admin_client, provider_in_use):
    unused = ConsultationType.objects.create(code="Sobrante", name="Sobrante")
    in_use = ConsultationFactory().consultation_type
    selected = [unused.pk, in_use.pk]

    response = clinic_admin_client.post(
        admin_url(ConsultationType, "changelist"),
        {"action": "delete_selected", "_selected_action": selected, "post": "yes"},
    )

    assert response.status_code == 302
    assert has_error_message(response)
    assert ConsultationType.objects.filter(pk__in=selected).count() == 2


def test_an_unused_catalog_row_can_still_be_deleted(clinic_admin_client):
    unused = ConsultationType.objects.create(code="Sobrante", name="Sobrante")

    confirm = clinic_admin_client.get(admin_url(ConsultationType, "delete", unused.pk))
    response = clinic_admin_client.post(
        admin_url(ConsultationType, "delete", unused.pk), {"post": "yes"}
    )

    assert confirm.status_code == 200
    assert response.status_code == 302
    assert not ConsultationType.objects.filter(pk=unused.pk).exists()


def test_requires_specialty_is_read_only_once_providers_use_the_type(
    clinic_admin_client, provider_in_use
):
    used = provider_in_use.professional_type
    unused = ProfessionalType.objects.get(code="Psicologo")

    used_form = clinic_admin_client.get(admin_url(ProfessionalType, "change", used.pk))
    unused_form = clinic_admin_client.get(admin_url(ProfessionalType, "change", unused.pk))

    assert "requires_specialty" not in used_form.context["adminform"].form.fields
    assert "requires_specialty" in unused_form.context["adminform"].form.fields


# --- Import from the admin --------------------------------------------------------------------


def upload(content: bytes, name: str = "table.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


@pytest.mark.parametrize("model", CATALOG_MODELS, ids=CATALOG_IDS)
def test_import_page_renders_for_every_catalog(clinic_admin_client, model):
    response = clinic_admin_client.get(admin_url(model, "import"))

    assert response.status_code == 200
    assert response.context["report"] is None
    assert response.context["kind"].model is model


def test_import_from_the_admin_saves_rows_and_shows_the_report(clinic_admin_client, clinic_admin):
    content = "código;nombre;id_kairo\nCA003;Cardiología;3\nNE001;Neurología;17\n".encode()

    response = clinic_admin_client.post(
        admin_url(MedicalSpecialty, "import"), {"file": upload(content)}
    )

    assert response.status_code == 200
    report = response.context["report"]
    assert report.applied
    assert [row.key for row in report.created] == ["NE001"]
    assert [row.key for row in report.updated] == ["CA003"]
    assert b'data-outcome="applied"' in response.content
    assert MedicalSpecialty.objects.get(code="NE001").is_confirmed is True


def test_import_from_the_admin_with_bad_rows_changes_nothing(clinic_admin_client):
    content = b"minutes,recommended_use\n30,Nuevo texto\n55,Larga\n"

    response = clinic_admin_client.post(admin_url(Duration, "import"), {"file": upload(content)})

    assert response.status_code == 200
    report = response.context["report"]
    assert [(row.line, [p.code for p in row.problems]) for row in report.rejected] == [
        (3, ["invalid_choice"])
    ]
    assert b'data-outcome="rejected"' in response.content
    assert b"invalid_choice" in response.content
    assert Duration.objects.get(minutes=30).recommended_use != "Nuevo texto"


def test_import_from_the_admin_of_a_broken_file_says_why(clinic_admin_client):
    response = clinic_admin_client.post(
        admin_url(ConsultationType, "import"), {"file": upload(b"\x00\x01\x02garbage\xff")}
    )

    assert response.status_code == 200
    assert response.context["report"].file_error.code == "not_text"
    assert b'data-outcome="broken-file"' in response.content


def test_import_dry_run_from_the_admin_saves_nothing(clinic_admin_client):
    response = clinic_admin_client.post(
        admin_url(MedicalSpecialty, "import"),
        {"file": upload(b"code,name\nNE001,Neurologia\n"), "dry_run": "on"},
    )

    assert response.context["report"].ok
    assert not MedicalSpecialty.objects.filter(code="NE001").exists()


def test_import_without_a_file_shows_the_form_error(clinic_admin_client):
    response = clinic_admin_client.post(admin_url(MedicalSpecialty, "import"), {})

    assert response.status_code == 200
    assert form_error_codes(response.context["form"])["file"][0] == "required"
    assert response.context["report"] is None


def test_import_needs_add_and_change_permission(client, staff_groups):
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.set(
        Permission.objects.filter(codename__in=["view_medicalspecialty", "change_medicalspecialty"])
    )
    client.force_login(viewer)

    changelist = client.get(admin_url(MedicalSpecialty, "changelist"))
    response = client.post(
        admin_url(MedicalSpecialty, "import"), {"file": upload(b"code,name\nNE001,X\n")}
    )

    assert changelist.status_code == 200
    assert changelist.context["can_import"] is False
    assert response.status_code == 403
    assert not MedicalSpecialty.objects.filter(code="NE001").exists()


def test_reception_cannot_reach_the_admin(reception_client):
    for url in (
        reverse("admin:index"),
        admin_url(MedicalSpecialty, "changelist"),
        admin_url(MedicalSpecialty, "import"),
    ):
        response = reception_client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("admin:login")), url

    response = reception_client.post(
        admin_url(MedicalSpecialty, "import"), {"file": upload(b"code,name\nNE001,X\n")}
    )
    assert response.status_code == 302
    assert not MedicalSpecialty.objects.filter(code="NE001").exists()


def test_admin_site_speaks_of_the_clinic(clinic_admin_client):
    response = clinic_admin_client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert "Kairo Connect" in str(response.context["site_header"])


# --- Directory ----------------------------------------------------------------------------


@pytest.mark.parametrize("model", [Provider, Patient], ids=["provider", "patient"])
def test_directory_pages_render(clinic_admin_client, model):
    row = ProviderFactory() if model is Provider else PatientFactory()

    for url in (
        admin_url(model, "changelist"),
        admin_url(model, "add"),
        admin_url(model, "change", row.pk),
    ):
        response = clinic_admin_client.get(url)
        assert response.status_code == 200, url


@pytest.mark.parametrize("model", [Provider, Patient], ids=["provider", "patient"])
def test_directory_search_by_name_and_document(clinic_admin_client, model):
    make = ProviderFactory if model is Provider else PatientFactory
    wanted = make(name="Gloria Esperanza Quintero Núñez", document_number="99887766")
    make(name="Otro Nombre Cualquiera", document_number="11223344")

    for term in ("Quintero", "99887766", "nunez"):
        response = clinic_admin_client.get(admin_url(model, "changelist") + f"?q={term}")
        assert list(response.context["cl"].result_list) == [wanted], term


def test_provider_filters(clinic_admin_client):
    specialist = SpecialistFactory()
    ProviderFactory(is_active=False)

    by_type = clinic_admin_client.get(
        admin_url(Provider, "changelist")
        + f"?professional_type__id__exact={specialist.professional_type_id}"
    )
    by_specialty = clinic_admin_client.get(
        admin_url(Provider, "changelist") + f"?specialty__id__exact={specialist.specialty_id}"
    )
    active = clinic_admin_client.get(admin_url(Provider, "changelist") + "?is_active__exact=1")

    for response in (by_type, by_specialty, active):
        assert list(response.context["cl"].result_list) == [specialist]


def test_patient_filters(clinic_admin_client):
    english = PatientFactory(preferred_language="en")
    PatientFactory(preferred_language="es")

    response = clinic_admin_client.get(
        admin_url(Patient, "changelist")
        + "?preferred_language__exact=en&data_processing_authorized__exact=0"
    )

    assert list(response.context["cl"].result_list) == [english]


def test_provider_form_offers_active_catalog_rows_and_the_current_one(clinic_admin_client):
    provider = ProviderFactory()  # a Médico General
    ProfessionalType.objects.filter(code__in=["MedicoGeneral", "Enfermero"]).update(is_active=False)

    add = clinic_admin_client.get(admin_url(Provider, "add"))
    change = clinic_admin_client.get(admin_url(Provider, "change", provider.pk))

    def offered(response):
        field = response.context["adminform"].form.fields["professional_type"]
        return set(field.queryset.values_list("code", flat=True))

    assert "MedicoGeneral" not in offered(add)
    assert "Enfermero" not in offered(add)
    assert "Psicologo" in offered(add)
    assert "MedicoGeneral" in offered(change)
    assert "Enfermero" not in offered(change)


def test_patient_authorization_from_the_admin_records_when_and_who(
    clinic_admin_client, clinic_admin
):
    patient = PatientFactory()
    data = {
        "name": patient.name,
        "document_type": patient.document_type,
        "document_number": patient.document_number,
        "phone": str(patient.phone),
        "email": patient.email,
        "preferred_language": "es",
        "data_processing_authorized": "on",
        "data_processing_policy_version": "2025-01",
    }

    response = clinic_admin_client.post(admin_url(Patient, "change", patient.pk), data)

    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.data_processing_authorized is True
    assert patient.data_processing_authorized_at is not None
    assert patient.data_processing_recorded_by == clinic_admin
    # The same service as the desk: the current policy version, never a typed one.
    assert patient.data_processing_policy_version == settings.DATA_PROCESSING_POLICY_VERSION


def _patient_post(patient, **changes) -> dict:
    data = {
        "name": patient.name,
        "document_type": patient.document_type,
        "document_number": patient.document_number,
        "phone": str(patient.phone),
        "email": patient.email,
        "preferred_language": patient.preferred_language,
    }
    if patient.data_processing_authorized:
        data["data_processing_authorized"] = "on"
    data.update(changes)
    return data


def test_patient_admin_records_the_authorization_only_when_it_changes(
    clinic_admin_client, clinic_admin
):
    recorded_by = UserFactory()
    patient = PatientFactory()
    patient.record_authorization(given=True, policy_version="2024-06", recorded_by=recorded_by)
    patient.save()
    recorded_at = patient.data_processing_authorized_at
    url = admin_url(Patient, "change", patient.pk)

    kept = clinic_admin_client.post(url, _patient_post(patient, email="nuevo@correo.example"))
    patient.refresh_from_db()
    assert kept.status_code == 302
    assert patient.email == "nuevo@correo.example"
    assert (
        patient.data_processing_policy_version,
        patient.data_processing_authorized_at,
        patient.data_processing_recorded_by,
    ) == ("2024-06", recorded_at, recorded_by)

    data = _patient_post(patient)
    del data["data_processing_authorized"]
    withdrawn = clinic_admin_client.post(url, data)
    patient.refresh_from_db()
    assert withdrawn.status_code == 302
    assert patient.data_processing_authorized is False
    assert patient.data_processing_policy_version == ""
    assert patient.data_processing_recorded_by == clinic_admin


def test_patient_added_in_the_admin_with_authorization_records_it(
    clinic_admin_client, clinic_admin
):
    data = _patient_post(PatientFactory.build(), data_processing_authorized="on")

    response = clinic_admin_client.post(admin_url(Patient, "add"), data)

    assert response.status_code == 302
    patient = Patient.objects.get(document_number=data["document_number"])
    assert patient.data_processing_authorized is True
    assert patient.data_processing_recorded_by == clinic_admin
    assert patient.data_processing_policy_version == settings.DATA_PROCESSING_POLICY_VERSION


def test_patient_admin_policy_version_is_read_only(clinic_admin_client):
    patient = PatientFactory()
    response = clinic_admin_client.get(admin_url(Patient, "change", patient.pk))
    form = response.context["adminform"].form
    assert "data_processing_authorized" in form.fields
    assert "data_processing_policy_version" not in form.fields


# --- Consultations: read-only ---------------------------------------------------------------


def test_consultation_pages_render_read_only(clinic_admin_client):
    consultation = ConsultationFactory()

    changelist = clinic_admin_client.get(admin_url(Consultation, "changelist"))
    detail = clinic_admin_client.get(admin_url(Consultation, "change", consultation.pk))

    assert changelist.status_code == 200
    assert detail.status_code == 200
    assert detail.context["has_change_permission"] is False
    assert detail.context["adminform"].form.fields == {}
    assert "status" in detail.context["adminform"].readonly_fields
    assert changelist.context["action_form"] is None  # not even "delete selected"


def test_consultations_cannot_be_added_changed_or_deleted(clinic_admin_client):
    consultation = ConsultationFactory()

    add = clinic_admin_client.get(admin_url(Consultation, "add"))
    change = clinic_admin_client.post(
        admin_url(Consultation, "change", consultation.pk), {"status": "cancelled"}
    )
    delete = clinic_admin_client.post(
        admin_url(Consultation, "delete", consultation.pk), {"post": "yes"}
    )
    bulk = clinic_admin_client.post(
        admin_url(Consultation, "changelist"),
        {"action": "delete_selected", "_selected_action": [consultation.pk], "post": "yes"},
    )

    assert add.status_code == 403
    assert change.status_code == 403
    assert delete.status_code == 403
    assert bulk.status_code in (200, 302)
    consultation.refresh_from_db()
    assert consultation.status == "booked"


@pytest.mark.parametrize("attribute", ["name", "document_number"])
def test_consultations_searchable_by_patient(clinic_admin_client, attribute):
    wanted = ConsultationFactory(
        patient=PatientFactory(name="Rosalba Cárdenas Mejía", document_number="70707070")
    )
    ConsultationFactory()
    term = {"name": "Rosalba", "document_number": "70707070"}[attribute]

    response = clinic_admin_client.get(admin_url(Consultation, "changelist") + f"?q={term}")

    assert list(response.context["cl"].result_list) == [wanted]


def test_provider_admin_page_lists_no_inactive_catalog_row(clinic_admin_client):
    ProfessionalType.objects.filter(code="Enfermero").update(is_active=False)
    enfermero = ProfessionalType.objects.get(code="Enfermero")
    psicologo = ProfessionalType.objects.get(code="Psicologo")

    html = clinic_admin_client.get(admin_url(Provider, "add")).content.decode()
    select = html[html.index('name="professional_type"') :]
    select = select[: select.index("</select>")]

    assert f'<option value="{psicologo.pk}">' in select
    assert f'<option value="{enfermero.pk}">' not in select


# --- Lock-outs (django-axes) ----------------------------------------------------------------


def test_a_clinic_admin_lifts_a_lock_out_in_the_admin(client, clinic_admin, settings):
    UserFactory(username="bloqueada")
    login = reverse("login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(login, {"username": "bloqueada", "password": "wrong-password"})
    right = {"username": "bloqueada", "password": "correct-horse-battery"}
    assert client.post(login, right).status_code != 302  # locked out
    attempt = AccessAttempt.objects.get(username="bloqueada")

    assert not clinic_admin.is_superuser
    client.force_login(clinic_admin)
    index = client.get(reverse("admin:index"))
    changelist = client.get(reverse("admin:axes_accessattempt_changelist"))
    confirm = client.get(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]))
    deleted = client.post(
        reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"}
    )

    assert reverse("admin:axes_accessattempt_changelist") in index.content.decode()
    assert changelist.status_code == 200
    assert list(changelist.context["cl"].result_list) == [attempt]
    assert confirm.status_code == 200
    assert deleted.status_code == 302
    assert not AccessAttempt.objects.exists()
    client.logout()
    assert client.post(login, right).status_code == 302  # the lock-out is lifted


def test_the_migration_gives_clinic_admins_the_lock_out_permissions(db):
    migration = importlib.import_module("consultations.migrations.0014_staff_groups_axes")
    Group.objects.all().delete()

    migration.update_groups(apps, None)

    granted = {
        f"{permission.content_type.app_label}.{permission.codename}"
        for permission in Group.objects.get(name="Administración clínica").permissions.all()
    }
    assert {"axes.view_accessattempt", "axes.delete_accessattempt"} <= granted
    reception = Group.objects.get(name="Recepción").permissions
    assert not reception.filter(content_type__app_label="axes").exists()
