"""What the "Needs attention" page lists, and the badge's total."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from consultations.models import (
    Consultation,
    ConsultationEvent,
    ConsultationStatus,
    Delivery,
    WebhookDelivery,
)
from consultations.selectors.attention import (
    BADGE_CAP,
    attention_counts,
    attention_total,
    failed_deliveries_pending,
    unconfirmed_pending,
    unconfirmed_rows,
    webhook_deliveries_pending,
    webhook_delivery_rows,
)
from tests.factories import (
    ConsultationFactory,
    DeliveryFactory,
    UserFactory,
    WebhookDeliveryFactory,
    future,
)

pytestmark = pytest.mark.django_db

Status = ConsultationStatus
Outcome = WebhookDelivery.Outcome


def _booked_ago(consultation: Consultation, minutes: int) -> Consultation:
    Consultation.objects.filter(pk=consultation.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=minutes)
    )
    return consultation


# --- Webhook deliveries ----------------------------------------------------------------------


def test_only_deliveries_that_did_not_apply_and_are_not_handled_are_pending():
    unmatched = WebhookDeliveryFactory(outcome=Outcome.UNMATCHED, candidates=[4, 7])
    unknown_event = WebhookDeliveryFactory(
        event="consultation.teleported", outcome=Outcome.UNKNOWN_EVENT
    )
    unknown = WebhookDeliveryFactory()
    WebhookDeliveryFactory(outcome=Outcome.APPLIED)
    WebhookDeliveryFactory(outcome=Outcome.HEALED)
    WebhookDeliveryFactory(handled_at=timezone.now(), handled_by=UserFactory())
    assert set(webhook_deliveries_pending()) == {unmatched, unknown_event, unknown}


def test_a_row_reads_kairo_id_and_candidates_from_what_is_stored_never_guessing():
    kairo_id = str(uuid.uuid4())
    WebhookDeliveryFactory(
        outcome=Outcome.UNMATCHED, kairo_id=kairo_id, candidates=[3, "x", True, 5]
    )
    WebhookDeliveryFactory(payload={"data": "not a dict"}, candidates="odd")
    odd, unmatched = webhook_delivery_rows(limit=10)
    assert (unmatched.kairo_consultation_id, unmatched.candidate_ids) == (kairo_id, [3, 5])
    assert (odd.kairo_consultation_id, odd.candidate_ids) == ("", [])


# --- Unconfirmed bookings --------------------------------------------------------------------


def test_unconfirmed_and_stuck_bookings_past_the_setting_are_pending(settings):
    settings.KAIRO_UNCONFIRMED_ATTENTION_MINUTES = 30
    no_id = _booked_ago(ConsultationFactory(status=Status.UNCONFIRMED), 45)
    with_id = _booked_ago(
        ConsultationFactory(status=Status.UNCONFIRMED, kairo_consultation_id=uuid.uuid4()), 60
    )
    stuck = _booked_ago(ConsultationFactory(status=Status.SENDING), 90)
    _booked_ago(ConsultationFactory(status=Status.UNCONFIRMED), 10)  # too recent
    _booked_ago(ConsultationFactory(status=Status.BOOKED), 120)  # resolved
    assert list(unconfirmed_pending()) == [stuck, with_id, no_id]


def test_an_unconfirmed_row_carries_the_requestid_of_its_outcome_else_the_last_one():
    outcome = _booked_ago(ConsultationFactory(status=Status.UNCONFIRMED), 50)
    ConsultationEvent.objects.create(
        consultation=outcome, kind=ConsultationEvent.Kind.UNCONFIRMED, kairo_request_id="req_out"
    )
    last = _booked_ago(
        ConsultationFactory(status=Status.UNCONFIRMED, kairo_last_request_id="req_last"), 40
    )
    nothing = _booked_ago(ConsultationFactory(status=Status.UNCONFIRMED), 35)
    rows = unconfirmed_rows(limit=10)
    assert [(row.pk, row.attention_request_id) for row in rows] == [
        (outcome.pk, "req_out"),
        (last.pk, "req_last"),
        (nothing.pk, None),
    ]


# --- Failed emails ---------------------------------------------------------------------------


def test_failed_emails_of_consultations_still_to_come_are_pending():
    failed = DeliveryFactory()
    DeliveryFactory(state=Delivery.State.SENT, last_error="")
    DeliveryFactory(consultation=ConsultationFactory(status=Status.CANCELLED))
    DeliveryFactory(consultation=ConsultationFactory(status=Status.COMPLETED))
    over = ConsultationFactory(starts_at=timezone.now() - dt.timedelta(hours=2))
    DeliveryFactory(consultation=over)
    DeliveryFactory(last_error="Skipped: consultation already started")
    assert list(failed_deliveries_pending()) == [failed]


def test_a_successful_resend_settles_a_failed_email_of_that_recipient_only():
    consultation = ConsultationFactory(starts_at=future(hours=5))
    patient = DeliveryFactory(consultation=consultation)
    provider = DeliveryFactory(consultation=consultation, recipient=Delivery.Recipient.PROVIDER)
    DeliveryFactory(
        consultation=consultation,
        kind=Delivery.Kind.RESEND,
        state=Delivery.State.SENT,
        last_error="",
        created_at=timezone.now() + dt.timedelta(seconds=1),
    )
    assert patient.pk not in {d.pk for d in failed_deliveries_pending()}
    assert list(failed_deliveries_pending()) == [provider]


# --- Counts ----------------------------------------------------------------------------------


def test_the_counts_and_the_total_agree_with_the_lists(settings):
    settings.KAIRO_UNCONFIRMED_ATTENTION_MINUTES = 30
    WebhookDeliveryFactory.create_batch(2)
    _booked_ago(ConsultationFactory(status=Status.UNCONFIRMED), 40)
    DeliveryFactory.create_batch(3)
    counts = attention_counts()
    assert (counts.webhooks, counts.unconfirmed, counts.emails, counts.total) == (2, 1, 3, 6)
    assert attention_total() == 6


def test_the_total_is_one_query_and_stops_counting_past_the_cap():
    WebhookDeliveryFactory.create_batch(BADGE_CAP + 5)
    with CaptureQueriesContext(connection) as queries:
        total = attention_total()
    assert total == BADGE_CAP + 1
    assert len(queries) == 1
    assert "COUNT(" not in queries[0]["sql"].upper()


def test_the_total_follows_the_clock_and_the_setting_with_its_statement_compiled_once(settings):
    """The badge's statement is compiled once; each call binds its own moments, so an
    unconfirmed booking joins the total when it has waited long enough, and a failed
    email leaves it once its consultation is over, exactly as the lists say."""
    settings.KAIRO_UNCONFIRMED_ATTENTION_MINUTES = 30
    now = timezone.now()
    _booked_ago(ConsultationFactory(status=Status.UNCONFIRMED), 20)
    failed = DeliveryFactory()
    ends_in = failed.consultation.ends_at - now
    for later in (dt.timedelta(0), dt.timedelta(minutes=15), ends_in + dt.timedelta(minutes=1)):
        moment = now + later
        expected = (
            unconfirmed_pending(now=moment).count() + failed_deliveries_pending(now=moment).count()
        )
        assert attention_total(now=moment) == expected
    assert attention_total(now=now) == 1
    assert attention_total(now=now + dt.timedelta(minutes=15)) == 2
    assert attention_total(now=now + ends_in + dt.timedelta(minutes=1)) == 1
    settings.KAIRO_UNCONFIRMED_ATTENTION_MINUTES = 10
    assert attention_total(now=now) == 2
