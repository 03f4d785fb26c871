"""End to end over real HTTP, as `make run` works: a receptionist logs in to the app
served by `live_server`, books, and rehearses the consultation with the simulate
buttons; the in-process sandbox's signed webhooks reach the app's own receiver over
HTTP and carry the consultation from booked to in progress to completed."""

from __future__ import annotations

import re

import pytest
import requests
from django.conf import settings
from django.urls import reverse

from consultations.models import Consultation, ConsultationStatus, WebhookDelivery
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

Status = ConsultationStatus


def _csrf(page: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    return match.group(1)


@pytest.fixture
def browser_session(live_server, receptionist):
    session = requests.Session()
    login = live_server.url + reverse("login")
    page = session.get(login, timeout=10)
    response = session.post(
        login,
        data={
            "username": receptionist.username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": _csrf(page.text),
        },
        headers={"Referer": login},
        timeout=10,
    )
    assert response.ok and "/login/" not in response.url
    yield session
    session.close()


def test_book_then_rehearse_the_whole_life_over_http(
    seeded_catalogs, sandbox, live_server, browser_session, booking_data
):
    sandbox.configure_webhooks(
        live_server.url + reverse("kairo_webhook"), settings.KAIRO_SANDBOX_WEBHOOK_SECRET
    )
    new = live_server.url + reverse("consultation_new")
    form = browser_session.get(new, timeout=10)
    booked = browser_session.post(
        new,
        data={**booking_data(), "csrfmiddlewaretoken": _csrf(form.text)},
        headers={"Referer": new},
        timeout=30,
    )
    assert booked.status_code == 200
    consultation = Consultation.objects.get()
    assert sandbox.wait_for_webhooks()
    consultation.refresh_from_db()
    assert consultation.status == Status.BOOKED

    detail = live_server.url + reverse("consultation_detail", args=[consultation.pk])
    simulate = live_server.url + reverse("consultation_simulate", args=[consultation.pk])
    seen = []
    for action in ("patient_joins", "provider_joins", "call_ends"):
        page = browser_session.get(detail, timeout=10)
        assert f'data-simulate="{action}"' in page.text
        answer = browser_session.post(
            simulate,
            data={"action": action, "csrfmiddlewaretoken": _csrf(page.text)},
            headers={"Referer": detail},
            timeout=30,
        )
        assert answer.status_code == 200 and answer.url == detail
        # The webhook did it, not the refresh fallback (Spanish: the desk's default).
        assert "su webhook actualizó esta consulta" in answer.text
        assert sandbox.wait_for_webhooks()
        consultation.refresh_from_db()
        seen.append(consultation.status)
    assert seen == [Status.IN_PROGRESS, Status.IN_PROGRESS, Status.COMPLETED]
    assert consultation.patient_joined_at and consultation.provider_joined_at

    deliveries = sandbox.webhook_deliveries()
    assert [d["event"] for d in deliveries] == [
        "consultation.created",
        "session_started",
        "session_started",
        "session_ended",
        "session_ended",
        "consultation.completed",
    ]
    assert all(d["attempts"] == ["200"] for d in deliveries)
    outcomes = set(WebhookDelivery.objects.values_list("outcome", flat=True))
    assert outcomes <= {WebhookDelivery.Outcome.APPLIED, WebhookDelivery.Outcome.HEALED}
    final = browser_session.get(detail, timeout=10)
    assert 'data-simulate="' not in final.text
