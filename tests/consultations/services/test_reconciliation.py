"""Reconciliation without webhooks: which consultations are asked about, the request
budget (per-run cap, X-RateLimit-Remaining reserve, 429), Kairo failures, and the
unconfirmed bookings without Kairo's id shown to staff once."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from consultations import services
from consultations.kairo import contract
from consultations.kairo.client import CONNECTION_FAILED, KairoError, KairoOutcome
from consultations.models import Consultation, ConsultationEvent, ConsultationStatus
from consultations.selectors import reconciliation as selection
from consultations.services import reconciliation
from tests.consultations.fake_kairo import CountingKairo
from tests.factories import ConsultationFactory, future

pytestmark = pytest.mark.django_db

Status = ConsultationStatus
Kind = ConsultationEvent.Kind
INTERVAL = dt.timedelta(minutes=15)
MINUTE = dt.timedelta(minutes=1)


def reconcile(client, **overrides) -> services.ReconcileReport:
    values = {
        "max_requests": 30,
        "reserve": 200,
        "interval": INTERVAL,
        "attention_after": dt.timedelta(minutes=30),
        "client": client,
        **overrides,
    }
    return services.consultations_reconcile(**values)


def with_id(**fields) -> Consultation:
    return ConsultationFactory(kairo_consultation_id=uuid.uuid4(), **fields)


def started(**fields) -> Consultation:
    """Booked, with Kairo's id, its start 10 minutes ago."""
    return with_id(starts_at=timezone.now() - 10 * MINUTE, **fields)


def touched(consultation: Consultation, ago: dt.timedelta, **fields) -> Consultation:
    Consultation.objects.filter(pk=consultation.pk).update(
        updated_at=timezone.now() - ago, **fields
    )
    consultation.refresh_from_db()
    return consultation


def candidates() -> set[int]:
    return set(
        selection.reconcile_candidates(now=timezone.now(), interval=INTERVAL).values_list(
            "pk", flat=True
        )
    )


# --- Which consultations are asked about ----------------------------------------------------


def test_each_kind_is_selected_with_its_reason():
    now = timezone.now()
    unconfirmed = with_id(status=Status.UNCONFIRMED)
    expired = with_id(
        starts_at=now - dt.timedelta(hours=2), kairo_expires_at=now - dt.timedelta(hours=1)
    )
    begun = started(kairo_expires_at=now + dt.timedelta(hours=1))
    quiet = touched(started(status=Status.IN_PROGRESS), 20 * MINUTE)
    assert candidates() == {unconfirmed.pk, expired.pk, begun.pk, quiet.pk}
    reasons = {
        c.pk: selection.reconcile_reason(c, now=now) for c in (unconfirmed, expired, begun, quiet)
    }
    assert reasons == {
        unconfirmed.pk: selection.REASON_UNCONFIRMED,
        expired.pk: selection.REASON_EXPIRED,
        begun.pk: selection.REASON_STARTED,
        quiet.pk: selection.REASON_QUIET,
    }


def test_what_is_not_asked_about():
    ConsultationFactory(status=Status.UNCONFIRMED)  # no Kairo id: nothing to look up
    with_id(starts_at=future())  # booked, ahead, not expired
    touched(started(status=Status.IN_PROGRESS), 5 * MINUTE)  # in progress, recent news
    for status in (Status.COMPLETED, Status.EXPIRED, Status.CANCELLED, Status.REJECTED):
        started(status=status)
    started(kairo_checked_at=timezone.now() - 5 * MINUTE)  # refreshed a moment ago
    started(reconcile_claimed_at=timezone.now() - 5 * MINUTE)  # asked by a run just now
    assert candidates() == set()


def test_asked_again_once_the_interval_passed():
    consultation = started(
        kairo_checked_at=timezone.now() - 20 * MINUTE,
        reconcile_claimed_at=timezone.now() - 20 * MINUTE,
    )
    assert candidates() == {consultation.pk}


# --- A run ---------------------------------------------------------------------------------


def test_a_run_refreshes_through_the_refresh_service():
    unconfirmed = with_id(status=Status.UNCONFIRMED)
    begun = started()
    kairo = CountingKairo(status=contract.STATUS_IN_PROGRESS, remaining=900)
    report = reconcile(kairo)
    assert sorted(map(str, kairo.asked)) == sorted(
        str(c.kairo_consultation_id) for c in (unconfirmed, begun)
    )
    assert report.asked == {"started": 1, "unconfirmed": 1}
    assert (report.changed, report.failed, report.stopped) == (2, 0, "")
    assert report.rate_limit_remaining == 898
    for consultation in (unconfirmed, begun):
        consultation.refresh_from_db()
        assert consultation.status == Status.IN_PROGRESS
        assert consultation.reconcile_claimed_at is not None
        event = consultation.events.get(kind=Kind.REFRESHED)
        assert event.actor is None
    # Nothing is due again until the interval passes.
    assert reconcile(kairo).requests == 0


def test_the_run_cap_is_kept_and_the_next_run_goes_on():
    consultations = [started() for _ in range(5)]
    kairo = CountingKairo()
    first = reconcile(kairo, max_requests=3)
    assert (first.requests, first.stopped) == (3, reconciliation.STOP_CAP)
    second = reconcile(kairo, max_requests=3)
    assert (second.requests, second.stopped) == (2, "")
    assert sorted(map(str, kairo.asked)) == sorted(
        str(c.kairo_consultation_id) for c in consultations
    )


def test_no_request_at_all_with_a_zero_budget():
    started()
    kairo = CountingKairo()
    report = reconcile(kairo, max_requests=0)
    assert kairo.asked == []
    assert report.requests == 0


def test_rate_limit_remaining_below_the_reserve_stops_the_run():
    for _ in range(4):
        started()
    kairo = CountingKairo(remaining=202)  # answers 201, 200, 199, ...
    report = reconcile(kairo, reserve=200)
    assert len(kairo.asked) == 3
    assert (report.stopped, report.rate_limit_remaining) == (reconciliation.STOP_RESERVE, 199)
    assert not report.kairo_failed


def test_a_low_remaining_on_a_refusal_stops_the_run_too():
    for _ in range(3):
        started()
    unknown = KairoError(
        contract.ERROR_CONSULTATION_NOT_FOUND, "no", outcome=KairoOutcome.REJECTED, status=404
    )
    kairo = CountingKairo(remaining=200, error=unknown)  # answers 199
    report = reconcile(kairo, reserve=200)
    assert (len(kairo.asked), report.stopped) == (1, reconciliation.STOP_RESERVE)


def test_a_429_stops_the_run():
    for _ in range(3):
        started()
    limited = KairoError(
        contract.ERROR_RATE_LIMITED,
        "Too many calls",
        outcome=KairoOutcome.REJECTED,
        status=429,
        request_id="req_429",
        retry_after=3600,
    )
    kairo = CountingKairo(error=limited)
    report = reconcile(kairo)
    assert len(kairo.asked) == 1
    assert (report.stopped, report.failed) == (reconciliation.STOP_RATE_LIMITED, 1)
    assert not report.kairo_failed


def test_a_429_from_the_sandbox_stops_the_run(sandbox, book):
    consultations = [book(), book(scheduled_for=future(hours=5))]
    Consultation.objects.filter(pk__in=[c.pk for c in consultations]).update(
        status=Status.UNCONFIRMED
    )
    sandbox.rate_limit = sandbox.stats()["requestsReceived"]  # the hour is used up
    # Just booked, so just checked: an interval of 0 asks about them all the same.
    report = reconcile(None, interval=dt.timedelta(0))
    assert (report.requests, report.stopped) == (1, reconciliation.STOP_RATE_LIMITED)
    assert report.rate_limit_remaining == 0


def test_unreachable_kairo_stops_the_run_and_says_so():
    for _ in range(3):
        started()
    down = KairoError(CONNECTION_FAILED, "down", outcome=KairoOutcome.REJECTED)
    kairo = CountingKairo(error=down)
    report = reconcile(kairo)
    assert len(kairo.asked) == 1
    assert report.stopped == reconciliation.STOP_UNREACHABLE
    assert report.kairo_failed


def test_refused_credentials_stop_the_run_and_say_so():
    started()
    refused = KairoError(
        contract.ERROR_API_KEY_INVALID, "no", outcome=KairoOutcome.CONFIGURATION, status=401
    )
    report = reconcile(CountingKairo(error=refused))
    assert report.stopped == reconciliation.STOP_CONFIGURATION
    assert report.kairo_failed


def test_a_consultation_kairo_does_not_know_does_not_stop_the_run():
    for _ in range(2):
        started()
    unknown = KairoError(
        contract.ERROR_CONSULTATION_NOT_FOUND, "no", outcome=KairoOutcome.REJECTED, status=404
    )
    kairo = CountingKairo(error=unknown)
    report = reconcile(kairo)
    assert (len(kairo.asked), report.failed, report.stopped) == (2, 2, "")


# --- Unconfirmed without Kairo's id: shown to staff ------------------------------------------


def unconfirmed_without_id(*, minutes_ago: int, request_id: str = "") -> Consultation:
    consultation = ConsultationFactory(status=Status.UNCONFIRMED)
    ConsultationEvent.objects.create(
        consultation=consultation,
        kind=Kind.UNCONFIRMED,
        kairo_request_id=request_id,
        detail={"code": "TIMEOUT"},
    )
    Consultation.objects.filter(pk=consultation.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=minutes_ago)
    )
    return consultation


def test_unresolved_unconfirmed_bookings_are_surfaced_once():
    old = unconfirmed_without_id(minutes_ago=45, request_id="req_lost")
    unconfirmed_without_id(minutes_ago=10)  # young: may still settle
    ConsultationFactory(status=Status.UNCONFIRMED, kairo_consultation_id=uuid.uuid4())
    kairo = CountingKairo()
    for _ in range(3):
        report = reconcile(kairo, max_requests=0)
        assert [(item.consultation_id, item.request_id) for item in report.attention] == [
            (old.pk, "req_lost")
        ]
    event = old.events.get(kind=Kind.NEEDS_ATTENTION)
    assert event.kairo_request_id == "req_lost"
    assert event.actor is None
    assert ConsultationEvent.objects.filter(kind=Kind.NEEDS_ATTENTION).count() == 1


def test_a_resolved_booking_is_no_longer_surfaced():
    old = unconfirmed_without_id(minutes_ago=45)
    reconcile(CountingKairo(), max_requests=0)
    Consultation.objects.filter(pk=old.pk).update(status=Status.CANCELLED)
    assert reconcile(CountingKairo(), max_requests=0).attention == []
