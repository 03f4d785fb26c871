"""`reconcile_consultations`: its summary, its exit status, a standalone sandbox over real
HTTP, and the unconfirmed bookings without Kairo's id it lists for staff."""

from __future__ import annotations

import datetime as dt
import io
import socket
import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from consultations.kairo.client import KairoClient
from consultations.models import Consultation, ConsultationEvent, ConsultationStatus
from tests.consultations.kairo.conftest import BOGOTA, booking
from tests.factories import ConsultationFactory

pytestmark = pytest.mark.django_db

Status = ConsultationStatus


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("reconcile_consultations", *args, stdout=out)
    return out.getvalue()


def _started() -> Consultation:
    return ConsultationFactory(
        starts_at=timezone.now() - dt.timedelta(minutes=10), kairo_consultation_id=uuid.uuid4()
    )


def test_nothing_to_do():
    output = _run()
    assert "Asked Kairo Connect about 0 consultation(s)" in output
    assert "stopped" not in output


def _client_of(server) -> KairoClient:
    return KairoClient(
        base_url=server.base_url,
        api_key="sandbox-key",
        api_secret="sandbox-secret",
        timezone=BOGOTA,
        connect_timeout=2,
        read_timeout=5,
    )


def test_against_a_standalone_sandbox_over_http(settings, sandbox, sandbox_server):
    """An unconfirmed booking Kairo did create is confirmed by the run, over real HTTP."""
    with _client_of(sandbox_server) as setup:
        request = booking()
        remote = setup.create_consultation(request)
    assert request.scheduled_at is not None
    consultation = ConsultationFactory(
        status=Status.UNCONFIRMED,
        starts_at=request.scheduled_at,
        kairo_consultation_id=remote.consultation_id,
    )
    received = sandbox.stats()["requestsReceived"]
    settings.KAIRO_BASE_URL = sandbox_server.base_url

    output = _run()

    assert sandbox.stats()["requestsReceived"] == received + 1
    assert "about 1 consultation(s) (unconfirmed 1); 1 changed status" in output
    consultation.refresh_from_db()
    assert consultation.status == Status.BOOKED
    assert consultation.access_pin == remote.access_pin
    # No personal data in what cron mails an operator.
    for private in (consultation.patient.name, consultation.patient.document_number):
        assert private not in output
    assert remote.access_pin not in output


def test_the_cap_option(sandbox):
    for _ in range(3):
        _started()
    output = _run("--max-requests", "2")
    assert "about 2 consultation(s) (started 2)" in output
    assert "request budget is spent" in output


def test_a_429_stops_the_run_but_is_not_a_failure(settings, sandbox, sandbox_server):
    _started()
    with _client_of(sandbox_server) as other_desk:
        other_desk.organization_profile()
    sandbox.rate_limit = 1  # the hour's one request is spent
    settings.KAIRO_BASE_URL = sandbox_server.base_url
    output = _run()
    assert "429 RATE_LIMITED" in output
    assert "requests left this hour: 0" in output


def test_unreachable_kairo_exits_non_zero(settings):
    _started()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.KAIRO_BASE_URL = f"http://127.0.0.1:{port}"
    settings.KAIRO_CONNECT_TIMEOUT = 1
    with pytest.raises(CommandError) as caught:
        _run()
    assert caught.value.returncode == 1
    assert "could not be reached" in str(caught.value)


def test_refused_credentials_exit_non_zero(settings, sandbox_server):
    _started()
    settings.KAIRO_BASE_URL = sandbox_server.base_url
    settings.KAIRO_API_KEY = "someone-else"
    with pytest.raises(CommandError) as caught:
        _run()
    assert "refused the credentials" in str(caught.value)


def test_unconfirmed_without_an_id_is_listed_with_its_request_id(settings):
    settings.KAIRO_UNCONFIRMED_ATTENTION_MINUTES = 30
    consultation = ConsultationFactory(status=Status.UNCONFIRMED)
    ConsultationEvent.objects.create(
        consultation=consultation,
        kind=ConsultationEvent.Kind.UNCONFIRMED,
        kairo_request_id="req_lost_answer",
        detail={"code": "TIMEOUT"},
    )
    Consultation.objects.filter(pk=consultation.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=1)
    )
    for _ in range(2):
        output = _run()
        assert f"Needs attention: consultation {consultation.pk}" in output
        assert "requestId req_lost_answer" in output
        assert "Ask Kairo Connect support" in output
    assert consultation.events.filter(kind=ConsultationEvent.Kind.NEEDS_ATTENTION).count() == 1


def test_a_negative_cap_is_refused():
    with pytest.raises(CommandError):
        _run("--max-requests", "-1")


def test_an_interval_under_a_minute_is_refused(settings):
    settings.KAIRO_RECONCILE_INTERVAL_MINUTES = 0
    with pytest.raises(CommandError) as caught:
        _run()
    assert "KAIRO_RECONCILE_INTERVAL_MINUTES" in str(caught.value)


def test_the_reserve_against_a_standalone_sandbox(settings, sandbox, sandbox_server):
    """X-RateLimit-Remaining read off real answers (here refusals: Kairo does not know
    these ids) stops the run below the reserve."""
    for _ in range(3):
        _started()
    settings.KAIRO_BASE_URL = sandbox_server.base_url
    settings.KAIRO_RECONCILE_RESERVE = sandbox.rate_limit - 1
    output = _run()
    assert "about 2 consultation(s) (started 2); 0 changed status, 2 failed" in output
    assert f"requests left this hour: {sandbox.rate_limit - 2}" in output
    assert "below KAIRO_RECONCILE_RESERVE" in output
    assert sandbox.stats()["requestsReceived"] == 2
