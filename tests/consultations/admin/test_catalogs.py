"""The catalogs in the clinic admin: their pages, rows in use, CSV import."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import ERROR, get_messages

from consultations.models import ConsultationType, Duration, MedicalSpecialty, ProfessionalType
from tests.consultations.admin.pages import admin_url, upload
from tests.errors import form_error_codes
from tests.factories import ConsultationFactory, SpecialistFactory, UserFactory

CATALOG_MODELS = (ProfessionalType, MedicalSpecialty, ConsultationType, Duration)
CATALOG_IDS = [model._meta.model_name for model in CATALOG_MODELS]


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
