"""The join page's queries: a token's link (unknown and revoked alike), and what the
page shows for a link at a given moment."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from consultations.models import ConsultationStatus
from consultations.selectors.join_links import (
    JoinState,
    join_link_by_token,
    join_links_live,
    join_page_state,
)
from consultations.services.join_links import join_link_issue, join_links_reissue
from tests.factories import ConsultationFactory

pytestmark = pytest.mark.django_db

Status = ConsultationStatus
ROOM = "https://meet.kairo.example/room/z9?type=patient"


def booked(**fields):
    fields.setdefault("access_pin", "120934")
    fields.setdefault("patient_join_url", ROOM)
    fields.setdefault("provider_join_url", "https://meet.kairo.example/room/z9?type=provider")
    fields.setdefault("kairo_consultation_id", uuid.uuid4())
    return ConsultationFactory(**fields)


def test_a_live_token_finds_its_link():
    link = join_link_issue(consultation=booked(), recipient="patient")
    assert join_link_by_token(link.token) == link


def test_unknown_and_revoked_tokens_take_the_same_single_query(
    django_assert_num_queries, receptionist
):
    """The timing argument, tested: both answers are one query by the unique token and
    a check in memory, so nothing measurable tells them apart."""
    consultation = booked()
    old = join_link_issue(consultation=consultation, recipient="patient")
    join_links_reissue(consultation=consultation, actor=receptionist)
    with django_assert_num_queries(1):
        assert join_link_by_token(old.token) is None
    with django_assert_num_queries(1):
        assert join_link_by_token("y" * len(old.token)) is None
    with django_assert_num_queries(1):
        assert join_link_by_token("with\x00nul") is None


def test_live_links_by_recipient(receptionist):
    consultation = booked()
    join_link_issue(consultation=consultation, recipient="patient")
    assert set(join_links_live(consultation=consultation)) == {"patient"}
    join_links_reissue(consultation=consultation, actor=receptionist)
    assert set(join_links_live(consultation=consultation)) == {"patient", "provider"}


def test_a_scheduled_consultation_opens_the_set_minutes_before_its_start(settings):
    settings.JOIN_OPENS_MINUTES_BEFORE = 15
    start = timezone.now().replace(microsecond=0) + dt.timedelta(hours=3)
    link = join_link_issue(consultation=booked(starts_at=start), recipient="patient")
    opens = start - dt.timedelta(minutes=15)

    before = join_page_state(link, now=opens - dt.timedelta(seconds=1))
    assert (before.state, before.joinable, before.opens_at) == (JoinState.READY, False, opens)
    assert before.seconds_until_open(opens - dt.timedelta(seconds=1)) == 2
    assert before.room_url == ROOM
    at = join_page_state(link, now=opens)
    assert at.joinable and at.seconds_until_open(opens) == 0


def test_an_immediate_consultation_opens_at_once(settings):
    settings.JOIN_OPENS_MINUTES_BEFORE = 60
    link = join_link_issue(consultation=booked(immediate=True), recipient="patient")
    page = join_page_state(link, now=timezone.now())
    assert (page.state, page.joinable, page.opens_at) == (JoinState.READY, True, None)


@pytest.mark.parametrize(
    ("status", "minutes_from_now", "state"),
    [
        (Status.IN_PROGRESS, -20, JoinState.READY),
        (Status.BOOKED, -60, JoinState.EXPIRED),
        (Status.CANCELLED, 5, JoinState.CANCELLED),
        (Status.COMPLETED, -60, JoinState.COMPLETED),
        (Status.EXPIRED, -60, JoinState.EXPIRED),
        (Status.REJECTED, 60, JoinState.NOT_AVAILABLE),
        (Status.SENDING, 60, JoinState.NOT_CONFIRMED),
        (Status.UNCONFIRMED, 60, JoinState.NOT_CONFIRMED),
    ],
)
def test_each_status_has_its_state_and_only_ready_has_the_room(status, minutes_from_now, state):
    start = timezone.now() + dt.timedelta(minutes=minutes_from_now)
    link = join_link_issue(consultation=booked(status=status, starts_at=start), recipient="patient")
    page = join_page_state(link, now=timezone.now())
    assert page.state == state
    assert page.joinable is (state == JoinState.READY)
    assert (page.room_url == ROOM) is (state == JoinState.READY)


def test_booked_without_a_room_yet_is_not_confirmed():
    link = join_link_issue(consultation=booked(patient_join_url=""), recipient="patient")
    page = join_page_state(link, now=timezone.now())
    assert (page.state, page.room_url) == (JoinState.NOT_CONFIRMED, "")
