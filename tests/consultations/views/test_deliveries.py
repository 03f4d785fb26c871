"""The consultation page's emails: each delivery's state, and "Resend" (POST only, with
the permission, a new delivery to the address on file now; history kept)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse

from consultations.models import ConsultationEvent, ConsultationStatus, Delivery
from tests.consultations.pages import html, page_text
from tests.factories import ConsultationFactory, UserFactory

pytestmark = pytest.mark.django_db

State = Delivery.State


@pytest.fixture
def resend(reception_client, django_capture_on_commit_callbacks):
    """resend(consultation, **post) -> the response, the send task run after the commit."""

    def post(consultation, follow: bool = False, **data):
        with django_capture_on_commit_callbacks(execute=True):
            return reception_client.post(
                reverse("consultation_resend", args=[consultation.pk]), data, follow=follow
            )

    return post


def levels(response) -> list[str]:
    """The page's flash messages, by level (tests check outcomes, not wording)."""
    return [message.level_tag for message in response.context["messages"]]


def test_the_detail_page_lists_each_delivery_with_a_masked_address(reception_client, booked):
    response = reception_client.get(reverse("consultation_detail", args=[booked.pk]))
    page = page_text(response)
    section = page[page.index('id="emails"') :]
    assert section.count('data-state="sent"') == 2
    assert "j***@correo.example" in section
    assert booked.patient.email not in page
    assert booked.provider.email not in page
    assert 'id="resend-patient"' in section
    assert 'id="resend-provider"' in section
    assert "csrfmiddlewaretoken" in section


def test_the_result_page_shows_the_emails_too(reception_client, booked):
    page = page_text(reception_client.get(reverse("consultation_result", args=[booked.pk])))
    assert page.count('data-state="sent"') == 2
    assert 'name="next" value="result"' in page


def test_a_failed_delivery_shows_its_safe_error(reception_client, booked):
    booked.deliveries.filter(recipient="patient").update(
        state=State.FAILED, last_error="SMTPRecipientsRefused 550"
    )
    page = page_text(reception_client.get(reverse("consultation_detail", args=[booked.pk])))
    assert 'data-state="failed"' in page
    assert "SMTPRecipientsRefused 550" in page


def test_resend_uses_the_changed_address_and_keeps_the_old_one_on_record(
    booked, resend, receptionist
):
    first = booked.deliveries.get(recipient="patient", kind="booking")
    booked.patient.email = "otra.direccion@correo.example"
    booked.patient.save()

    response = resend(booked, recipient="patient")

    assert response.status_code == 302
    assert response.url == reverse("consultation_detail", args=[booked.pk])
    new = booked.deliveries.get(kind="resend")
    assert (new.recipient, new.requested_by, new.state) == ("patient", receptionist, State.SENT)
    assert new.to_address == "otra.direccion@correo.example"
    first.refresh_from_db()
    assert first.to_address == "juan.gomez@correo.example"
    assert mail.outbox[-1].to == ["otra.direccion@correo.example"]
    event = booked.events.filter(kind=ConsultationEvent.Kind.EMAIL, actor=receptionist).get()
    assert event.detail["kind"] == "resend"
    assert "otra.direccion" not in str(event.detail)


def test_resend_to_the_provider(booked, resend):
    response = resend(booked, recipient="provider", follow=True)
    assert booked.deliveries.filter(kind="resend", recipient="provider").count() == 1
    assert levels(response) == ["success"]


def test_resend_from_the_result_page_goes_back_there(booked, resend):
    response = resend(booked, recipient="patient", next="result")
    assert response.url == reverse("consultation_result", args=[booked.pk])


def test_resend_is_post_only(reception_client, booked):
    response = reception_client.get(reverse("consultation_resend", args=[booked.pk]))
    assert response.status_code == 405
    assert not booked.deliveries.filter(kind="resend").exists()


def test_resend_needs_the_permission(client, booked, staff_groups):
    viewer = UserFactory(username="viewer")
    viewer.user_permissions.add(Permission.objects.get(codename="view_consultation"))
    client.force_login(viewer)
    response = client.post(
        reverse("consultation_resend", args=[booked.pk]), {"recipient": "patient"}
    )
    assert response.status_code == 403
    assert not booked.deliveries.filter(kind="resend").exists()
    page = page_text(client.get(reverse("consultation_detail", args=[booked.pk])))
    assert 'id="resend-patient"' not in page


def test_resend_of_a_cancelled_consultation_is_a_clear_message(booked, resend):
    booked.__class__.objects.filter(pk=booked.pk).update(status=ConsultationStatus.CANCELLED)
    response = resend(booked, recipient="patient", follow=True)
    assert response.status_code == 200
    assert levels(response) == ["error"]
    assert not booked.deliveries.filter(kind="resend").exists()
    assert 'id="resend-patient"' not in page_text(response)


def test_resend_without_links_is_a_clear_message(resend):
    consultation = ConsultationFactory(status=ConsultationStatus.UNCONFIRMED)
    response = resend(consultation, recipient="patient", follow=True)
    assert response.status_code == 200
    assert levels(response) == ["error"]
    assert not consultation.deliveries.exists()


def test_resend_to_nobody_in_particular_is_refused(booked, resend):
    response = resend(booked, recipient="everyone", follow=True)
    assert response.status_code == 200
    assert levels(response) == ["error"]
    assert not booked.deliveries.filter(kind="resend").exists()


def test_resend_of_an_unknown_consultation_is_404(reception_client):
    response = reception_client.post(reverse("consultation_resend", args=[999999]))
    assert response.status_code == 404


def test_no_emails_yet_says_so(reception_client):
    consultation = ConsultationFactory(status=ConsultationStatus.UNCONFIRMED)
    page = page_text(reception_client.get(reverse("consultation_detail", args=[consultation.pk])))
    section = page[page.index('id="emails"') :]
    assert 'id="no-deliveries"' in section
    assert not re.search(r'id="resend-(patient|provider)"', section)


def test_a_new_time_message_shows_as_such(reception_client, booked):
    """Its kind's label (the desk speaks the clinic's language, Spanish)."""
    Delivery.objects.create(consultation=booked, recipient="patient", kind="time_changed")
    page = page_text(reception_client.get(reverse("consultation_detail", args=[booked.pk])))
    section = page[page.index('id="emails"') :]
    row = section[section.index('data-state="queued"') :].split("</tr>")[0]
    assert "Nueva hora" in row


# --- The email status endpoint -----------------------------------------------------------


def test_the_email_status_endpoint_words_its_cells_as_the_page_does(reception_client):
    """The live update must not change what the table says: local time, staff wording."""
    consultation = ConsultationFactory()
    sent_at = dt.datetime(2030, 6, 12, 19, 11, tzinfo=dt.UTC)  # 14:11 in Bogotá
    Delivery.objects.create(
        consultation=consultation,
        recipient="patient",
        kind="booking",
        state="sent",
        sent_at=sent_at,
        attempts=1,
    )
    Delivery.objects.create(
        consultation=consultation,
        recipient="provider",
        kind="booking",
        state="failed",
        attempts=1,
        last_error="Skipped: consultation cancelled",
    )
    rows = reception_client.get(
        reverse("consultation_emails_status", args=[consultation.pk])
    ).json()["deliveries"]
    by_state = {row["state"]: row for row in rows}
    page = html(reception_client.get(reverse("consultation_detail", args=[consultation.pk])))
    assert by_state["sent"]["detail"].endswith("2030-06-12 14:11")
    assert by_state["sent"]["detail"] in page
    assert "Skipped" not in by_state["failed"]["error"]
    assert by_state["failed"]["error"] in page


def test_the_email_status_endpoint_reports_pending(reception_client):
    consultation = ConsultationFactory()
    Delivery.objects.create(consultation=consultation, recipient="patient", kind="booking")
    data = reception_client.get(
        reverse("consultation_emails_status", args=[consultation.pk])
    ).json()
    assert data["pending"] is True
    assert [row["state"] for row in data["deliveries"]] == ["queued"]


def test_the_email_status_endpoint_needs_login_and_permission(client):
    consultation = ConsultationFactory()
    url = reverse("consultation_emails_status", args=[consultation.pk])

    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("login"))

    client.force_login(UserFactory(username="sin-permisos"))
    assert client.get(url).status_code == 403


def test_the_email_status_endpoint_is_get_only_and_404s_unknown(reception_client):
    assert (
        reception_client.get(reverse("consultation_emails_status", args=[999999])).status_code
        == 404
    )
    assert reception_client.post(reverse("consultation_emails_status", args=[1])).status_code == 405
