"""The cancel page and its confirmation: what cancelling does, who is told, what Kairo
keeps."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from consultations.models import Consultation
from tests.consultations.pages import html
from tests.factories import ConsultationFactory

pytestmark = pytest.mark.django_db


# --- Pages -------------------------------------------------------------------------------


def test_the_cancel_page_says_what_cancelling_does(reception_client, settings):
    settings.ORGANIZATION_TIME_ZONE = "America/Bogota"
    start = dt.datetime(2027, 3, 10, 15, 0, tzinfo=dt.UTC)  # 10:00 in Bogotá
    consultation = ConsultationFactory(starts_at=start)
    url = reverse("consultation_cancel", args=[consultation.pk])
    reception_client.post(reverse("set_language"), {"language": "en", "next": url})

    page = html(reception_client.get(url))
    assert "The patient and the provider are emailed that it is cancelled" in page
    assert "Wednesday, March 10, 2027, 10:00–10:30 (America/Bogota)" in page
    assert consultation.provider.name in page and consultation.patient.name in page
    assert "cannot be booked through Kairo Connect at an overlapping time" in page
    assert "free" not in page.lower().split("cancel-warning", 1)[1].split("</div>", 1)[0]

    settings.EMAIL_PROVIDER_MESSAGES = False
    page = html(reception_client.get(url))
    assert "The patient is emailed that it is cancelled" in page
    assert "This clinic does not email providers: tell the provider yourself." in page


def test_the_cancel_page_promises_a_calendar_file_only_for_a_scheduled_consultation(
    reception_client,
):
    reception_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    scheduled = ConsultationFactory()
    immediate = ConsultationFactory()
    Consultation.objects.filter(pk=immediate.pk).update(scheduled_for=None)
    calendar = "a calendar file that removes it"
    for consultation, promised in ((scheduled, True), (immediate, False)):
        page = html(reception_client.get(reverse("consultation_cancel", args=[consultation.pk])))
        emails = page.split('id="cancel-emails"', 1)[1].split("</li>", 1)[0]
        assert (calendar in emails) is promised
        assert "neither the link nor the PIN" in emails


@pytest.mark.parametrize("provider_messages", [True, False])
def test_the_confirmation_says_who_is_told_and_what_kairo_keeps(
    reception_client,
    settings,
    django_capture_on_commit_callbacks,
    provider_messages,
):
    settings.EMAIL_PROVIDER_MESSAGES = provider_messages
    start = dt.datetime(2027, 3, 10, 15, 0, tzinfo=dt.UTC)
    consultation = ConsultationFactory(starts_at=start)
    url = reverse("consultation_cancel", args=[consultation.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = reception_client.post(
            url, {"reason": "El paciente no puede"}, follow=True, HTTP_ACCEPT_LANGUAGE="es"
        )
    page = html(response)

    if provider_messages:
        assert "Se está enviando un correo al paciente y al profesional" in page
    else:
        assert "este centro no envía correos a los profesionales" in page
    assert "miércoles, 10 de marzo de 2027, 10:00–10:30 (America/Bogota)" in page
    assert "libre" not in page
    # The email section lists the cancellation deliveries.
    assert page.count("Cancelación") == (2 if provider_messages else 1)
