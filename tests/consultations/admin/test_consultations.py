"""Consultations and their emails in the clinic admin: read-only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from consultations.models import Consultation
from tests.consultations.admin.pages import admin_url
from tests.consultations.pages import page_text
from tests.factories import ConsultationFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_admin_shows_deliveries_read_only(client, booked):
    admin_user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    listing = client.get(reverse("admin:consultations_delivery_changelist"))
    assert listing.status_code == 200
    delivery = booked.deliveries.get(recipient="patient")
    detail = client.get(reverse("admin:consultations_delivery_change", args=[delivery.pk]))
    assert detail.status_code == 200
    assert booked.patient.email not in page_text(detail)
    assert "j***@correo.example" in page_text(detail)
    consultation_page = client.get(
        reverse("admin:consultations_consultation_change", args=[booked.pk])
    )
    assert consultation_page.status_code == 200
    assert "j***@correo.example" in page_text(consultation_page)
    assert (
        client.post(
            reverse("admin:consultations_delivery_change", args=[delivery.pk]), {"state": "queued"}
        ).status_code
        == 403
    )


def test_clinic_admins_see_deliveries_in_the_admin_through_their_group(
    clinic_admin_client, clinic_admin, booked
):
    assert not clinic_admin.is_superuser
    listing = clinic_admin_client.get(reverse("admin:consultations_delivery_changelist"))
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == booked.deliveries.count() == 2


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
