"""A second submission of one booking form that meets the first's booking at each point
of its way: before the form's checks, after them (the first committed in between), or
still with Kairo (it waits for the answer). It never books again and never shows the
form's errors that the first's booking makes it fail."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.contrib import messages
from django.urls import reverse
from django.utils import timezone

from consultations.models import AuditEntry, Consultation, ConsultationStatus
from consultations.selectors import booking as booking_selectors
from consultations.views import booking_send

pytestmark = pytest.mark.django_db

Status = ConsultationStatus
NEW = reverse("consultation_new")


@pytest.fixture
def first_click(reception_client, booking_data, sandbox):
    """The form's data and the booking its first submission made."""
    data = booking_data()
    reception_client.post(NEW, data)
    return data, Consultation.objects.get(booking_token=uuid.UUID(data["booking_token"]))


def test_a_second_submission_that_passes_the_form_is_found_by_the_service(
    reception_client, first_click, sandbox, monkeypatch
):
    """The same form sent again passes the form's checks (they leave the slot to the
    service): the view looks nothing up, the service finds the token's booking (the
    first's) inside its transaction, and the page is that booking's, said to be the
    first submission's, not the form's errors; nothing is sent or recorded again."""
    data, booked = first_click
    looks = []

    def not_yet(token):
        looks.append(token)
        return None

    monkeypatch.setattr(booking_send, "consultation_for_token", not_yet)
    audits = AuditEntry.objects.count()
    response = reception_client.post(NEW, data, follow=True)
    assert response.redirect_chain[0][0] == reverse("consultation_result", args=[booked.pk])
    assert looks == []
    # "This form had already been sent; here is the booking it made."
    assert [message.level for message in response.context["messages"]] == [messages.INFO]
    assert sandbox.stats()["createsReceived"] == 1
    # No second "booked" row: only the result page's view is audited.
    assert AuditEntry.objects.filter(action=AuditEntry.Action.BOOKED).count() == 1
    assert AuditEntry.objects.count() == audits + 1


def test_a_form_that_fails_for_itself_is_shown_with_its_errors(
    reception_client, booking_data, monkeypatch
):
    looks = []
    monkeypatch.setattr(booking_send, "consultation_for_token", lambda token: looks.append(1))
    response = reception_client.post(NEW, booking_data(email="not-an-email"))
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert len(looks) == 1  # looked for a first submission's booking, found none


def test_a_booking_still_sending_is_waited_for(reception_client, first_click, monkeypatch):
    """The first is still with Kairo: the second reads the booking again until Kairo's
    answer is recorded (here, on its second look), then shows its result."""
    data, booked = first_click
    Consultation.objects.filter(pk=booked.pk).update(status=Status.SENDING)
    pauses = []

    def pause(seconds):
        # Kairo's answer is recorded while the second click waits.
        pauses.append(seconds)
        if len(pauses) == 2:
            Consultation.objects.filter(pk=booked.pk).update(status=Status.BOOKED)

    monkeypatch.setattr(booking_selectors.time, "sleep", pause)
    response = reception_client.post(NEW, data)
    assert response["Location"] == reverse("consultation_result", args=[booked.pk])
    assert len(pauses) == 2
    assert all(0 < seconds <= booking_selectors.SENDING_POLL_SECONDS for seconds in pauses)


def test_a_booking_a_dead_request_left_sending_is_not_waited_for(
    reception_client, first_click, monkeypatch
):
    data, booked = first_click
    long_ago = timezone.now() - dt.timedelta(minutes=10)
    Consultation.objects.filter(pk=booked.pk).update(status=Status.SENDING, created_at=long_ago)
    pauses = []
    monkeypatch.setattr(booking_selectors.time, "sleep", pauses.append)
    response = reception_client.post(NEW, data)
    assert response["Location"] == reverse("consultation_result", args=[booked.pk])
    assert pauses == []
