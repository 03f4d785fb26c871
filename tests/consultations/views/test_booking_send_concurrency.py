"""A double click over real HTTP (PostgreSQL, the app served by `live_server`): two
POSTs of the same booking form at once. Kairo is asked once; the click that finds the
other's booking still with Kairo waits for its answer; both end on the same result page,
with no error. The order is forced: Kairo's answer is held until the second click is
waiting for it."""

from __future__ import annotations

import re
import threading

import pytest
import requests
from django.urls import reverse

from consultations.kairo.client import KairoClient
from consultations.models import Consultation, ConsultationStatus
from consultations.views import booking_send
from tests.factories import PASSWORD

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _csrf(page: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    return match.group(1)


@pytest.fixture
def desk(live_server, receptionist):
    """A logged-in browser: its cookies, for both clicks."""
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


@pytest.fixture
def kairo_held(monkeypatch):
    """Kairo's create answer is held until `release` is set; `creates` counts the calls."""
    release = threading.Event()
    creates: list[int] = []
    real = KairoClient.create_consultation

    def create(client, request):
        creates.append(1)
        assert release.wait(timeout=30)
        return real(client, request)

    monkeypatch.setattr(KairoClient, "create_consultation", create)
    yield release, creates
    release.set()


@pytest.fixture
def second_click_waiting(monkeypatch):
    """Set once a click is waiting for the other's booking to leave *sending*."""
    waiting = threading.Event()
    real = booking_send.consultation_after_sending

    def wait(**kwargs):
        assert kwargs["consultation"].status == ConsultationStatus.SENDING
        waiting.set()
        return real(**kwargs)

    monkeypatch.setattr(booking_send, "consultation_after_sending", wait)
    return waiting


def test_a_double_click_books_once_and_both_clicks_show_the_result(
    seeded_catalogs, live_server, desk, booking_data, sandbox, kairo_held, second_click_waiting
):
    release, creates = kairo_held
    new = live_server.url + reverse("consultation_new")
    form = desk.get(new, timeout=10)
    data = {**booking_data(), "csrfmiddlewaretoken": _csrf(form.text)}
    clicks = []
    for _ in range(2):
        click = requests.Session()
        click.cookies.update(desk.cookies)  # one browser: the same session for both
        clicks.append(click)
    barrier = threading.Barrier(2)
    responses: list = [None, None]

    def send(index: int) -> None:
        barrier.wait(timeout=30)
        try:
            responses[index] = clicks[index].post(
                new, data=data, headers={"Referer": new}, timeout=60
            )
        except Exception as exc:  # noqa: BLE001 - reported to the test as a result
            responses[index] = exc

    threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    try:
        assert second_click_waiting.wait(timeout=30), "no click waited for the other's answer"
    finally:
        release.set()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)

    consultation = Consultation.objects.get()
    assert consultation.status == ConsultationStatus.BOOKED
    assert len(creates) == 1
    assert sandbox.stats()["createsReceived"] == 1
    result = live_server.url + reverse("consultation_result", args=[consultation.pk])
    for response in responses:
        assert isinstance(response, requests.Response), response
        assert response.status_code == 200
        assert response.url == result
        assert 'class="alert alert-danger"' not in response.text
        assert 'id="outcome-booked"' in response.text
    for click in clicks:
        click.close()
