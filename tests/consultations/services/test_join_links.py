"""The clinic's join links: one live link per consultation and recipient, revoke and
reissue, what a resend carries afterwards, the timeline records, the guess counter."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from consultations import services
from consultations.models import ConsultationEvent, JoinLink
from consultations.services.join_links import (
    join_guess_record,
    join_guesses_exceeded,
    join_link_issue,
    join_links_reissue,
    join_page_opened_record,
    join_pressed_record,
)
from tests.factories import ConsultationFactory

pytestmark = pytest.mark.django_db

Kind = ConsultationEvent.Kind
PATIENT_ROOM = "https://meet.kairo.example/room/q1?type=patient"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def booked(**fields):
    fields.setdefault("access_pin", "551204")
    fields.setdefault("patient_join_url", PATIENT_ROOM)
    fields.setdefault("provider_join_url", "https://meet.kairo.example/room/q1?type=provider")
    fields.setdefault("kairo_consultation_id", uuid.uuid4())
    return ConsultationFactory(**fields)


def test_issuing_twice_gives_the_one_live_link():
    consultation = booked()
    first = join_link_issue(consultation=consultation, recipient="patient")
    assert join_link_issue(consultation=consultation, recipient="patient") == first
    other = join_link_issue(consultation=consultation, recipient="provider")
    assert other.token != first.token
    assert len(first.token) >= 43  # secrets.token_urlsafe(32)


def test_the_database_refuses_a_second_live_link():
    consultation = booked()
    join_link_issue(consultation=consultation, recipient="patient")
    with pytest.raises(IntegrityError), transaction.atomic():
        JoinLink.objects.create(consultation=consultation, recipient="patient")


def test_an_unknown_recipient_is_refused():
    with pytest.raises(ValueError):
        join_link_issue(consultation=booked(), recipient="staff")


def test_reissue_revokes_every_live_link_and_issues_new_ones(receptionist):
    consultation = booked()
    old = join_link_issue(consultation=consultation, recipient="patient")
    new = join_links_reissue(consultation=consultation, actor=receptionist)
    old.refresh_from_db()
    assert old.revoked_at is not None
    assert {link.recipient for link in new} == {"patient", "provider"}
    assert all(link.is_live and link.token != old.token for link in new)
    (event,) = consultation.events.filter(kind=Kind.JOIN_LINKS_REISSUED)
    assert (event.actor, event.detail) == (receptionist, {"revoked": 1})


def test_a_resend_after_reissuing_carries_the_new_link(
    receptionist, django_capture_on_commit_callbacks
):
    consultation = booked()

    def resend():
        with django_capture_on_commit_callbacks(execute=True):
            services.delivery_resend(
                consultation=consultation, recipient="patient", actor=receptionist
            )

    resend()
    old = JoinLink.objects.get(consultation=consultation, recipient="patient")
    assert old.url in mail.outbox[-1].body
    join_links_reissue(consultation=consultation, actor=receptionist)
    resend()
    new = JoinLink.objects.get(consultation=consultation, recipient="patient", revoked_at=None)
    body = mail.outbox[-1].body
    assert new.url in body and old.url not in body
    assert PATIENT_ROOM not in body


def test_opening_is_coalesced_per_recipient_for_ten_minutes():
    consultation = booked()
    link = join_link_issue(consultation=consultation, recipient="patient")
    first = join_page_opened_record(link=link)
    assert first is not None and first.detail == {"recipient": "patient"}
    assert join_page_opened_record(link=link) is None
    ConsultationEvent.objects.filter(pk=first.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=10, seconds=1)
    )
    assert join_page_opened_record(link=link) is not None


def test_each_press_is_recorded_with_the_recipient_only():
    consultation = booked()
    link = join_link_issue(consultation=consultation, recipient="provider")
    join_pressed_record(link=link)
    join_pressed_record(link=link)
    events = consultation.events.filter(kind=Kind.JOIN_PRESSED)
    assert [event.detail for event in events] == [{"recipient": "provider"}] * 2


def test_guesses_count_per_address_up_to_the_limit(settings):
    settings.JOIN_GUESS_LIMIT = 3
    for count in (1, 2):
        assert join_guess_record(address="203.0.113.9") == count
        assert not join_guesses_exceeded(address="203.0.113.9")
    join_guess_record(address="203.0.113.9")
    assert join_guesses_exceeded(address="203.0.113.9")
    assert not join_guesses_exceeded(address="203.0.113.10")
