"""The consultation page's rehearsal panel ("Sandbox — rehearsal only"): shown only on
the built-in sandbox and only with the steps the sandbox allows now; each step changes
the consultation (by the refresh fallback here, webhooks being off in the tests; by the
webhook in tests/consultations/views/test_sandbox_http.py); refusals and bookings
without a Kairo id are explained, never a 500; with a real Kairo Connect: 404."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from consultations import services
from consultations.kairo import contract
from consultations.models import ConsultationStatus
from tests.factories import ConsultationFactory, UserFactory

pytestmark = pytest.mark.django_db

Status = ConsultationStatus


@pytest.fixture
def reception_client(reception_client, receptionist):
    """The receptionist reads the desk in English here (the texts asserted below); the
    Spanish panel has its own test."""
    services.staff_language_save(user=receptionist, language="en")
    return reception_client


def _detail(consultation) -> str:
    return reverse("consultation_detail", args=[consultation.pk])


def _simulate(consultation) -> str:
    return reverse("consultation_simulate", args=[consultation.pk])


def _buttons(page: str) -> list[str]:
    return re.findall(r'data-simulate="([a-z_]+)"', page)


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_a_booked_consultation_offers_joins_and_expire(reception_client, booked):
    page = reception_client.get(_detail(booked)).content.decode()
    assert "Sandbox — rehearsal only" in page
    assert _buttons(page) == ["patient_joins", "provider_joins", "expire"]
    assert "Simulate: patient joins" in page


def test_the_panel_follows_the_sandboxs_state(reception_client, booked, sandbox):
    sandbox.trigger(booked.kairo_consultation_id, contract.EVENT_SESSION_STARTED, "patient")
    page = reception_client.get(_detail(booked)).content.decode()
    assert _buttons(page) == ["provider_joins", "call_ends"]
    sandbox.trigger(booked.kairo_consultation_id, contract.EVENT_CONSULTATION_COMPLETED)
    page = reception_client.get(_detail(booked)).content.decode()
    assert _buttons(page) == []
    assert 'id="sandbox-simulate-none"' in page


def test_no_kairo_id_no_buttons(reception_client):
    consultation = ConsultationFactory(status=Status.UNCONFIRMED, kairo_consultation_id=None)
    page = reception_client.get(_detail(consultation)).content.decode()
    assert "Sandbox — rehearsal only" in page
    assert _buttons(page) == []


def test_real_kairo_mode_has_no_panel_and_the_address_is_404(reception_client, booked, settings):
    settings.KAIRO_BASE_URL = "https://api.kairo.example"
    page = reception_client.get(_detail(booked)).content.decode()
    assert "sandbox-simulate" not in page
    response = reception_client.post(_simulate(booked), {"action": "patient_joins"})
    assert response.status_code == 404


def test_staff_who_cannot_book_see_no_panel_and_get_403(client, staff_groups, booked):
    user = UserFactory(username="mirón")
    user.user_permissions.add(*_permissions("view_consultation"))
    client.force_login(user)
    page = client.get(_detail(booked)).content.decode()
    assert "sandbox-simulate" not in page
    assert client.post(_simulate(booked), {"action": "patient_joins"}).status_code == 403


def _permissions(*codenames):
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(codename__in=codenames)


def test_the_post_needs_the_csrf_token(receptionist, booked):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(receptionist)
    assert strict.post(_simulate(booked), {"action": "patient_joins"}).status_code == 403
    booked.refresh_from_db()
    assert booked.status == Status.BOOKED


def test_get_is_not_allowed(reception_client, booked):
    assert reception_client.get(_simulate(booked)).status_code == 405


@pytest.mark.parametrize("action", ["", "explode", "patient_joins; drop"])
def test_an_unknown_step_is_400(reception_client, booked, action):
    response = reception_client.post(_simulate(booked), {"action": action})
    assert response.status_code == 400


def test_each_step_of_a_whole_life(reception_client, booked):
    response = reception_client.post(_simulate(booked), {"action": "patient_joins"})
    assert response.status_code == 302
    assert response.url == _detail(booked)
    (text,) = _messages(response)
    assert "patient joins" in text and "Webhook delivery is off" in text
    booked.refresh_from_db()
    assert booked.status == Status.IN_PROGRESS
    assert booked.patient_joined_at is not None

    reception_client.post(_simulate(booked), {"action": "provider_joins"})
    booked.refresh_from_db()
    assert booked.provider_joined_at is not None

    response = reception_client.post(_simulate(booked), {"action": "call_ends"}, follow=True)
    booked.refresh_from_db()
    assert booked.status == Status.COMPLETED
    assert "call ends" in response.content.decode()


def test_expire(reception_client, booked, sandbox):
    reception_client.post(_simulate(booked), {"action": "expire"})
    booked.refresh_from_db()
    assert booked.status == Status.EXPIRED
    assert sandbox.session_view(booked.kairo_consultation_id)["status"] == "Expired"


def test_call_ends_closes_the_session_of_whoever_joined(reception_client, booked, sandbox):
    seen: list[tuple[str, str | None]] = []
    real = sandbox.trigger

    def trigger(kairo_id, event, participant=None):
        seen.append((event, participant))
        return real(kairo_id, event, participant)

    sandbox.trigger = trigger
    reception_client.post(_simulate(booked), {"action": "provider_joins"})
    reception_client.post(_simulate(booked), {"action": "call_ends"})
    assert seen == [
        ("session_started", "provider"),
        ("session_ended", "provider"),
        ("consultation.completed", None),
    ]


def test_a_step_the_sandbox_refuses_is_explained(reception_client, booked, sandbox):
    sandbox.trigger(booked.kairo_consultation_id, contract.EVENT_CONSULTATION_EXPIRED)
    response = reception_client.post(_simulate(booked), {"action": "patient_joins"}, follow=True)
    assert response.status_code == 200
    (text,) = _messages(response) or [m.message for m in response.context["messages"]]
    assert "refused" in text
    booked.refresh_from_db()
    assert booked.status == Status.BOOKED  # nothing changed here


def test_a_consultation_the_sandbox_forgot_is_explained(reception_client, booked, sandbox):
    sandbox.reset()
    response = reception_client.post(_simulate(booked), {"action": "expire"}, follow=True)
    assert response.status_code == 200
    assert "does not know this consultation" in response.content.decode()


def test_a_booking_without_a_kairo_id_is_explained(reception_client):
    consultation = ConsultationFactory(status=Status.UNCONFIRMED, kairo_consultation_id=None)
    response = reception_client.post(_simulate(consultation), {"action": "patient_joins"})
    assert response.status_code == 302
    (text,) = _messages(response)
    assert "no Kairo Connect id" in text


def test_an_unknown_consultation_is_404(reception_client, staff_groups):
    response = reception_client.post(
        reverse("consultation_simulate", args=[987654]), {"action": "expire"}
    )
    assert response.status_code == 404


def test_the_panel_speaks_spanish(client, receptionist, booked):
    client.force_login(receptionist)
    page = client.get(_detail(booked)).content.decode()
    assert "Sandbox — solo para ensayar" in page
    assert "Simular: entra el paciente" in page
    assert "Simulate" not in page
    response = client.post(_simulate(booked), {"action": "expire"})
    (text,) = _messages(response)
    assert text.startswith("Sandbox: se simuló «vence»")


# --- The booking page's "lose the answer to the next booking" -------------------------------

LOSE = "/consultations/rehearse-lost-answer/"


def test_the_booking_page_offers_to_lose_the_next_answer_on_the_sandbox(reception_client):
    page = reception_client.get(reverse("consultation_new")).content.decode()
    assert 'id="rehearse-lost-answer"' in page
    assert f'action="{LOSE}"' in page


def test_losing_the_next_answer_makes_the_next_booking_unconfirmed(
    reception_client, sandbox, book_consultation
):
    response = reception_client.post(LOSE)
    assert response.status_code == 302
    assert response["Location"] == reverse("consultation_new")
    assert sandbox.stats()["armedFaults"] == [{"fault": "drop", "times": 1, "scope": "create"}]
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("next booking sent loses Kairo Connect's answer" in text for text in texts)
    lost = book_consultation()
    assert lost.status == Status.UNCONFIRMED
    assert sandbox.stats()["consultations"] == 1  # Kairo created it all the same
    assert book_consultation(scheduled_for=None).status == Status.BOOKED  # only the next one


def test_with_a_real_kairo_there_is_nothing_to_lose(reception_client, settings):
    settings.KAIRO_BASE_URL = "https://api.kairo.example"
    page = reception_client.get(reverse("consultation_new")).content.decode()
    assert "rehearse-lost-answer" not in page
    assert reception_client.post(LOSE).status_code == 404


def test_losing_the_answer_needs_the_booking_permission_and_csrf(
    client, staff_groups, receptionist, sandbox
):
    user = UserFactory(username="mirón")
    client.force_login(user)
    assert client.post(LOSE).status_code == 403
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(receptionist)
    assert strict.post(LOSE).status_code == 403
    assert strict.get(LOSE).status_code == 405
    assert sandbox.stats()["armedFaults"] == []
