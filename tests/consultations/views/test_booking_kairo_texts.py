"""Kairo Connect's refusals on the booking pages: by their code, in the staff language,
with Kairo's own message kept in the details."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.exceptions import NON_FIELD_ERRORS
from django.urls import reverse

from consultations.kairo import contract
from consultations.models import Consultation, ConsultationStatus
from tests.factories import ConsultationFactory, ProviderFactory, future

NEW = "/consultations/new/"


# --- Where a refusal reaches staff ---------------------------------------------------------


@pytest.mark.django_db
def test_a_rate_limit_is_explained_in_spanish_with_kairos_message_in_the_details(
    reception_client, booking_data, sandbox
):
    sandbox.arm_fault("429")
    response = reception_client.post(NEW, booking_data())
    form = response.context["form"]
    (summary,) = form.errors.as_data()[NON_FIELD_ERRORS]
    assert summary.code == "kairo_rejected"
    page = response.content.decode()
    assert "Demasiadas solicitudes a Kairo Connect en la última hora" in page
    assert "Mensaje de Kairo Connect" in page
    refusal = form.kairo_refusal
    assert refusal.code == contract.ERROR_RATE_LIMITED
    assert refusal.message in page.replace("&#x27;", "'")  # Kairo's own words, in <details>


@pytest.mark.django_db
def test_a_409_names_the_busy_provider_in_spanish(
    reception_client, booking_data, provider, general_type, kairo_books_elsewhere
):
    when = future(hours=6)
    kairo_books_elsewhere(provider, when)
    response = reception_client.post(NEW, booking_data(when_at=when + dt.timedelta(minutes=15)))
    form = response.context["form"]
    assert form.has_error("provider", contract.ERROR_PROVIDER_NOT_AVAILABLE)
    assert form.errors["provider"] == [
        "Kairo Connect informa que el profesional tiene otra consulta a esa hora."
    ]


@pytest.mark.django_db
def test_a_validation_error_on_the_providers_record_is_spanish_on_the_form(
    reception_client, booking_data
):
    odd = ProviderFactory(email="doctor@localhost")
    response = reception_client.post(NEW, booking_data(provider=odd.pk))
    form = response.context["form"]
    assert form.has_error("provider", contract.ERROR_VALIDATION)
    (text,) = form.errors["provider"]
    assert text.startswith("Kairo Connect no acepta el registro del profesional (provider.email)")
    page = response.content.decode()
    # Kairo's field detail stays available, in the "Kairo Connect's message" details.
    assert "<code>provider.email</code>" in page


@pytest.mark.django_db
def test_the_rejected_detail_page_says_why_in_the_staff_language(
    reception_client, booking_data, sandbox
):
    sandbox.arm_fault("429")
    reception_client.post(NEW, booking_data())
    rejected = Consultation.objects.get(status=ConsultationStatus.REJECTED)
    page = reception_client.get(reverse("consultation_detail", args=[rejected.pk]))
    assert page.context["rejection_reason"] == (
        "Demasiadas solicitudes a Kairo Connect en la última hora; intente de nuevo más tarde."
    )
    assert 'id="outcome-reason"' in page.content.decode()


@pytest.mark.django_db
def test_a_failed_refresh_is_explained_in_spanish(reception_client):
    consultation = ConsultationFactory(kairo_consultation_id=uuid.uuid4())
    response = reception_client.post(
        reverse("consultation_refresh", args=[consultation.pk]), follow=True
    )
    (message,) = [str(m) for m in response.context["messages"]]
    assert "Kairo Connect no conoce esta consulta." in message
    assert contract.ERROR_CONSULTATION_NOT_FOUND in message
    assert "does not know" not in message


@pytest.mark.django_db
def test_the_summary_words_kairos_status(reception_client):
    consultation = ConsultationFactory(kairo_status=contract.STATUS_PENDING)
    page = reception_client.get(reverse("consultation_detail", args=[consultation.pk]))
    assert "Kairo Connect: en espera de iniciar" in page.content.decode()
