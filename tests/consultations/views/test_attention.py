"""The "Needs attention" page and marking a webhook delivery handled."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from consultations.models import Consultation, ConsultationStatus, WebhookDelivery
from tests.factories import (
    ConsultationFactory,
    DeliveryFactory,
    PatientFactory,
    UserFactory,
    WebhookDeliveryFactory,
)

pytestmark = pytest.mark.django_db

URL = "/attention/"
Outcome = WebhookDelivery.Outcome


def _handled_url(delivery: WebhookDelivery) -> str:
    return reverse("webhook_delivery_handled", args=[delivery.pk])


def _unconfirmed(minutes_ago: int = 60, **fields) -> Consultation:
    consultation = ConsultationFactory(status=ConsultationStatus.UNCONFIRMED, **fields)
    Consultation.objects.filter(pk=consultation.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=minutes_ago)
    )
    return consultation


def test_every_section_says_it_is_empty(reception_client):
    response = reception_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    for section in ("webhooks", "unconfirmed", "emails"):
        assert f'id="attention-{section}-empty"' in html
        assert f'id="attention-{section}-count">0<' in html


def test_unmatched_webhooks_link_their_candidates_or_say_there_is_none(reception_client):
    candidate = ConsultationFactory()
    kairo_id = str(uuid.uuid4())
    WebhookDeliveryFactory(
        event="consultation.created",
        outcome=Outcome.UNMATCHED,
        kairo_id=kairo_id,
        candidates=[candidate.pk],
    )
    WebhookDeliveryFactory(event="consultation.created", outcome=Outcome.UNMATCHED)
    WebhookDeliveryFactory(event="consultation.teleported", outcome=Outcome.UNKNOWN_EVENT)
    html = reception_client.get(URL).content.decode()
    assert 'id="attention-webhooks-count">3<' in html
    assert kairo_id in html
    assert reverse("consultation_detail", args=[candidate.pk]) in html
    assert "Ninguna candidata." in html
    assert "consultation.teleported" in html
    # The stored body's masked patient data stays in the admin.
    assert "4050" not in html


def test_unconfirmed_bookings_show_request_id_names_and_what_to_do(reception_client):
    patient = PatientFactory(name="Lucía Unconfirmada")
    no_id = _unconfirmed(patient=patient, kairo_last_request_id="req_abc")
    with_id = _unconfirmed(kairo_consultation_id=uuid.uuid4())
    _unconfirmed(minutes_ago=5)
    response = reception_client.get(URL)
    html = response.content.decode()
    assert 'id="attention-unconfirmed-count">2<' in html
    assert "Lucía Unconfirmada" in html and no_id.provider.name in html
    assert "req_abc" in html
    assert reverse("consultation_detail", args=[with_id.pk]) in html
    assert "entréguele el requestId al soporte de Kairo Connect" in html
    assert "Verificar de nuevo" in html


def test_failed_emails_link_where_to_resend_and_say_why(reception_client):
    delivery = DeliveryFactory(last_error="SMTPServerDisconnected")
    html = reception_client.get(URL).content.decode()
    assert 'id="attention-emails-count">1<' in html
    assert "El servidor de correo no lo aceptó o no se pudo contactar." in html
    assert reverse("consultation_detail", args=[delivery.consultation_id]) + "#emails" in html


def test_staff_without_the_view_permission_are_refused(client):
    client.force_login(UserFactory())
    assert client.get(URL).status_code == 403


def test_marking_handled_records_who_and_when_and_the_delivery_leaves(
    reception_client, receptionist
):
    delivery = WebhookDeliveryFactory()
    response = reception_client.post(_handled_url(delivery))
    assert response.status_code == 302 and response.url == URL
    delivery.refresh_from_db()
    assert delivery.handled_by == receptionist
    assert delivery.handled_at is not None
    assert 'id="attention-webhooks-empty"' in reception_client.get(URL).content.decode()


def test_marking_handled_again_keeps_the_first_who_and_when(reception_client, clinic_admin):
    first = timezone.now() - dt.timedelta(hours=1)
    delivery = WebhookDeliveryFactory(handled_at=first, handled_by=clinic_admin)
    assert reception_client.post(_handled_url(delivery)).status_code == 302
    delivery.refresh_from_db()
    assert (delivery.handled_at, delivery.handled_by) == (first, clinic_admin)


def test_marking_handled_needs_csrf(receptionist):
    client = Client(enforce_csrf_checks=True)
    client.force_login(receptionist)
    delivery = WebhookDeliveryFactory()
    assert client.post(_handled_url(delivery)).status_code == 403
    delivery.refresh_from_db()
    assert delivery.handled_at is None


def test_marking_handled_needs_the_change_permission(client):
    viewer = UserFactory()
    viewer.user_permissions.add(Permission.objects.get(codename="view_consultation"))
    client.force_login(viewer)
    delivery = WebhookDeliveryFactory()
    assert client.get(URL).status_code == 200
    assert client.post(_handled_url(delivery)).status_code == 403
    delivery.refresh_from_db()
    assert delivery.handled_at is None


def test_marking_handled_is_refused_for_what_applied_missing_or_a_get(reception_client):
    applied = WebhookDeliveryFactory(outcome=Outcome.APPLIED)
    assert reception_client.post(_handled_url(applied)).status_code == 404
    assert reception_client.post("/attention/webhooks/999999/handled/").status_code == 404
    assert reception_client.post("/attention/webhooks/abc/handled/").status_code == 404
    pending = WebhookDeliveryFactory()
    assert reception_client.get(_handled_url(pending)).status_code == 405
    pending.refresh_from_db()
    assert pending.handled_at is None
