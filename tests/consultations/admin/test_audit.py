"""The audit trail's admin: clinic admins read it (receptionists do not), nobody adds,
changes or deletes a row there, and a patient's name or document finds who saw their
data."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from consultations.models import AuditEntry
from consultations.services.audit import audit_record
from tests.consultations.admin.pages import admin_url
from tests.factories import ConsultationFactory, PatientFactory, UserFactory
from tests.untranslated import english_fragments, page_text

pytestmark = pytest.mark.django_db
Action = AuditEntry.Action


@pytest.fixture
def entry() -> AuditEntry:
    return AuditEntry.objects.create(action=Action.LOGIN, actor_username="ana")


def _listed(response) -> set[int]:
    assert response.status_code == 200
    return {row.pk for row in response.context["cl"].result_list}


# --- Who may read it ----------------------------------------------------------------------


def test_clinic_admins_read_the_trail(clinic_admin_client, entry):
    assert entry.pk in _listed(clinic_admin_client.get(admin_url(AuditEntry, "changelist")))
    assert clinic_admin_client.get(admin_url(AuditEntry, "change", entry.pk)).status_code == 200


def test_receptionists_never_reach_it(reception_client, entry):
    # Not staff: the admin sends them to its sign-in page, with nothing of the trail.
    response = reception_client.get(admin_url(AuditEntry, "changelist"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_staff_without_the_permission_are_refused(client, staff_groups, entry):
    # A receptionist who can reach the admin (is_staff) still lacks view_auditentry.
    client.force_login(UserFactory(groups=["Recepción"], is_staff=True))
    assert client.get(admin_url(AuditEntry, "changelist")).status_code == 403
    assert client.get(admin_url(AuditEntry, "change", entry.pk)).status_code == 403


@pytest.mark.parametrize("staff", ["clinic_admin", "superuser"])
def test_nobody_adds_changes_or_deletes_a_row_there(client, clinic_admin, entry, staff):
    user = (
        clinic_admin if staff == "clinic_admin" else UserFactory(is_staff=True, is_superuser=True)
    )
    client.force_login(user)
    add = client.post(admin_url(AuditEntry, "add"), {"action": Action.LOGOUT})
    change = client.post(admin_url(AuditEntry, "change", entry.pk), {"actor_username": "x"})
    delete = client.post(admin_url(AuditEntry, "delete", entry.pk), {"post": "yes"})
    bulk = client.post(
        admin_url(AuditEntry, "changelist"),
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )
    assert (add.status_code, change.status_code, delete.status_code) == (403, 403, 403)
    assert bulk.status_code in (200, 302)  # no such action: the list again
    entry.refresh_from_db()
    assert entry.actor_username == "ana"
    assert AuditEntry.objects.filter(action=Action.LOGOUT).count() == 0


# --- Who has seen this patient's data -----------------------------------------------------


@pytest.fixture
def seen() -> dict[str, AuditEntry]:
    """Ana saw Valentina's consultation and page; Jorge's page was seen by Luis."""
    valentina = PatientFactory(name="Valentina Restrepo Díaz", document_number="1020304050")
    jorge = PatientFactory(name="Jorge Mejía", document_number="79111222")
    ana, luis = UserFactory(username="ana"), UserFactory(username="luis")
    return {
        "consultation": audit_record(
            Action.CONSULTATION_VIEWED, actor=ana, target=ConsultationFactory(patient=valentina)
        ),
        "page": audit_record(Action.PATIENT_VIEWED, actor=ana, target=valentina),
        "other": audit_record(Action.PATIENT_VIEWED, actor=luis, target=jorge),
    }


@pytest.mark.parametrize("term", ["restrepo", "Valentína", "1020304050", "1.020.304.050"])
def test_a_patients_name_or_document_finds_who_saw_their_data(clinic_admin_client, seen, term):
    response = clinic_admin_client.get(admin_url(AuditEntry, "changelist"), {"q": term})
    assert _listed(response) == {seen["consultation"].pk, seen["page"].pk}


def test_an_account_name_still_finds_its_rows(clinic_admin_client, seen):
    response = clinic_admin_client.get(admin_url(AuditEntry, "changelist"), {"q": "luis"})
    assert _listed(response) == {seen["other"].pk}


def test_the_search_costs_the_same_however_many_patients_match(clinic_admin_client):
    url = admin_url(AuditEntry, "changelist")

    def queries_with(count: int) -> int:
        for _ in range(count):
            audit_record(Action.PATIENT_VIEWED, target=PatientFactory(name="Restrepo Uno"))
        clinic_admin_client.get(url, {"q": "restrepo"})  # warm the session, content types
        with CaptureQueriesContext(connection) as queries:
            response = clinic_admin_client.get(url, {"q": "restrepo"})
        assert (
            len(response.context["cl"].result_list)
            == AuditEntry.objects.filter(action=Action.PATIENT_VIEWED).count()
        )
        return len(queries)

    assert queries_with(1) == queries_with(5)


def test_a_patient_id_filters_on_one_patient(clinic_admin_client, seen):
    patient_id = seen["page"].patient_id
    response = clinic_admin_client.get(
        admin_url(AuditEntry, "changelist"), {"patient_id": patient_id}
    )
    assert _listed(response) == {seen["consultation"].pk, seen["page"].pk}


def test_a_malformed_patient_id_is_not_an_error(clinic_admin_client, seen):
    response = clinic_admin_client.get(admin_url(AuditEntry, "changelist"), {"patient_id": "x"})
    assert response.status_code in (200, 302)


def test_each_row_names_its_object_with_a_link_and_no_personal_data(clinic_admin_client, seen):
    consultation_id = seen["consultation"].object_id
    page = clinic_admin_client.get(admin_url(AuditEntry, "changelist")).content.decode()
    link = reverse("consultation_detail", args=[consultation_id])
    assert f'<a href="{link}">Consulta {consultation_id}</a>' in page
    assert "Valentina" not in page and "1020304050" not in page


def test_the_object_filter_names_kinds_in_spanish_and_filters(clinic_admin_client):
    consultation = ConsultationFactory()
    audit_record(Action.CONSULTATION_VIEWED, target=consultation)
    audit_record(Action.PATIENT_VIEWED, target=consultation.patient)
    page = clinic_admin_client.get(admin_url(AuditEntry, "changelist"))
    filters = {
        str(choice["display"])
        for spec in page.context["cl"].filter_specs
        if getattr(spec, "parameter_name", "") == "object_type"
        for choice in spec.choices(page.context["cl"])
    }
    assert {"Consulta", "Paciente"} <= filters
    assert not {"consultation", "patient", "user"} & filters
    assert english_fragments(page_text(page.content.decode())) == []
    only = clinic_admin_client.get(admin_url(AuditEntry, "changelist"), {"object_type": "patient"})
    assert {row.action for row in only.context["cl"].result_list} == {Action.PATIENT_VIEWED}
