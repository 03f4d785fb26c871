"""Kairo's webhook deliveries in the admin: clinic admins read them, nobody edits them."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from consultations.models import WebhookDelivery
from tests.consultations.pages import page_text
from tests.factories import ConsultationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def deliveries():
    consultation = ConsultationFactory(kairo_consultation_id=uuid.uuid4())
    applied = WebhookDelivery.objects.create(
        delivery_id="d-applied",
        event="session_started",
        payload={"event": "session_started", "data": {"participant": "patient"}},
        consultation=consultation,
        outcome=WebhookDelivery.Outcome.APPLIED,
    )
    unknown = WebhookDelivery.objects.create(
        delivery_id="d-unknown",
        event="consultation.completed",
        payload={"event": "consultation.completed", "data": {"consultationId": "x"}},
        outcome=WebhookDelivery.Outcome.UNKNOWN_CONSULTATION,
    )
    return applied, unknown


def test_clinic_admins_list_and_read_deliveries_in_spanish(clinic_admin_client, deliveries):
    listing = clinic_admin_client.get(reverse("admin:consultations_webhookdelivery_changelist"))
    assert listing.status_code == 200
    text = page_text(listing)
    assert "Consulta desconocida" in text
    assert "Aplicado" in text
    unknown = deliveries[1]
    detail = clinic_admin_client.get(
        reverse("admin:consultations_webhookdelivery_change", args=[unknown.pk])
    )
    assert detail.status_code == 200
    assert "d-unknown" in page_text(detail)


def test_nobody_adds_changes_or_deletes_them(clinic_admin_client, deliveries):
    applied = deliveries[0]
    add = clinic_admin_client.get(reverse("admin:consultations_webhookdelivery_add"))
    assert add.status_code == 403
    change = reverse("admin:consultations_webhookdelivery_change", args=[applied.pk])
    assert clinic_admin_client.post(change, {"outcome": "unknown_event"}).status_code == 403
    delete = reverse("admin:consultations_webhookdelivery_delete", args=[applied.pk])
    assert clinic_admin_client.post(delete, {"post": "yes"}).status_code == 403
    applied.refresh_from_db()
    assert applied.outcome == WebhookDelivery.Outcome.APPLIED


def test_reception_does_not_see_them(client, receptionist, deliveries):
    receptionist.is_staff = True
    receptionist.save()
    client.force_login(receptionist)
    listing = client.get(reverse("admin:consultations_webhookdelivery_changelist"))
    assert listing.status_code == 403
