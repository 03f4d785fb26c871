"""Every row of the client's outcome table (consultations/kairo/client/__init__.py),
over real loopback HTTP."""

from __future__ import annotations

import datetime as dt
import json
import socket
import time
import uuid

import pytest
import urllib3.util.connection

from consultations.kairo import client as kairo
from consultations.kairo.client import KairoError, KairoOutcome
from consultations.kairo.client import retries as kairo_retries
from consultations.kairo.sandbox import ManualClock
from tests.consultations.kairo.conftest import (
    FAULT_READ_TIMEOUT,
    READ_TIMEOUT,
    START,
    SleepRecorder,
    booking,
    patient_data,
    provider_data,
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _error(call) -> KairoError:
    with pytest.raises(KairoError) as caught:
        call()
    return caught.value


# --- Nothing sent: retried with backoff, then rejected ------------------------------------


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_connection_refused_is_retried_then_rejected(make_client, sleeps, method):
    client = make_client(base_url=f"http://127.0.0.1:{_free_port()}", backoff_base=0.5)
    call = (
        (lambda: client.create_consultation(booking()))
        if method == "POST"
        else client.organization_profile
    )
    error = _error(call)
    assert error.code == kairo.CONNECTION_FAILED
    assert error.outcome == KairoOutcome.REJECTED
    assert error.known
    assert error.status is None
    # connect_retries=3: three waits, each within its exponential band (equal jitter).
    assert len(sleeps.calls) == 3
    for attempt, delay in enumerate(sleeps.calls, start=1):
        ceiling = 0.5 * 2 ** (attempt - 1)
        assert ceiling / 2 <= delay <= ceiling


def test_connect_retry_delays_follow_the_jittered_backoff(make_client, sleeps, monkeypatch):
    """Equal jitter: attempt n waits ceiling/2 + uniform(0, ceiling/2), ceiling =
    backoff_base * 2**(n-1); so the random draw alone moves a delay within its band."""
    draws: list[tuple[float, float]] = []

    class FixedRandom:
        def __init__(self, pick) -> None:
            self.pick = pick

        def uniform(self, low: float, high: float) -> float:
            draws.append((low, high))
            return self.pick(low, high)

    client = make_client(base_url=f"http://127.0.0.1:{_free_port()}", backoff_base=0.5)
    monkeypatch.setattr(kairo_retries, "random", FixedRandom(lambda low, high: low))
    _error(client.organization_profile)
    assert sleeps.calls == [0.25, 0.5, 1.0]  # the lower edge of each band
    assert draws == [(0, 0.25), (0, 0.5), (0, 1.0)]

    sleeps.calls.clear()
    monkeypatch.setattr(kairo_retries, "random", FixedRandom(lambda low, high: high))
    _error(client.organization_profile)
    assert sleeps.calls == [0.5, 1.0, 2.0]  # the upper edge


def test_dns_failure_is_retried_then_rejected(make_client, sleeps, monkeypatch):
    real = socket.getaddrinfo

    def fake_getaddrinfo(host, *args, **kwargs):
        if host == "kairo.invalid":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    client = make_client(base_url="https://kairo.invalid", connect_retries=2)
    error = _error(lambda: client.create_consultation(booking()))
    assert (error.code, error.outcome) == (kairo.CONNECTION_FAILED, KairoOutcome.REJECTED)
    assert len(sleeps.calls) == 2


def test_connect_timeout_then_success_creates_once(make_client, sandbox, sleeps, monkeypatch):
    """A connect timeout means nothing was sent, so even a POST is retried."""
    real = urllib3.util.connection.create_connection
    failures = iter([TimeoutError("timed out")])

    def flaky_connect(*args, **kwargs):
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return real(*args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", flaky_connect)
    result = make_client().create_consultation(booking())
    assert isinstance(result.consultation_id, uuid.UUID)
    assert len(sleeps.calls) == 1
    assert sandbox.stats()["createsReceived"] == 1
    assert sandbox.stats()["consultations"] == 1


def test_connect_timeout_every_time_is_rejected(make_client, monkeypatch):
    def never_connects(*args, **kwargs):
        raise TimeoutError("timed out")

    monkeypatch.setattr(urllib3.util.connection, "create_connection", never_connects)
    error = _error(make_client(connect_retries=1).organization_profile)
    assert (error.code, error.outcome) == (kairo.CONNECTION_FAILED, KairoOutcome.REJECTED)


# --- Success ------------------------------------------------------------------------------


def test_create_returns_a_typed_result(kairo_client, sandbox):
    request = booking(scheduled_at=START + dt.timedelta(hours=2), duration_minutes=45)
    result = kairo_client.create_consultation(request)
    assert isinstance(result.consultation_id, uuid.UUID)
    assert result.access_pin.isdigit() and len(result.access_pin) == 6
    assert result.status == "Pending" and result.status_known
    assert result.scheduled_at == START + dt.timedelta(hours=2)
    assert result.expires_at == START + dt.timedelta(hours=2, minutes=45)
    assert result.duration_minutes == 45
    assert result.created_at == START
    assert result.request_id.startswith("req_")
    assert kairo_client.last_rate_limit_remaining == sandbox.rate_limit - 1
    # Personal and secret values never appear in repr (tracebacks, log lines).
    for secret in (result.access_pin, result.patient_url, result.provider_url):
        assert secret not in repr(result)


def test_get_consultation_reads_the_detail(kairo_client):
    created = kairo_client.create_consultation(booking())
    detail = kairo_client.get_consultation(str(created.consultation_id))
    assert detail.consultation_id == created.consultation_id
    assert detail.access_pin == created.access_pin
    assert detail.expires_at == created.expires_at
    assert detail.updated_at == START
    assert detail.consultation_link
    assert detail.session_info is None


def test_get_consultation_refuses_a_non_uuid_before_sending(kairo_client, sandbox):
    with pytest.raises(ValueError):
        kairo_client.get_consultation("../providers")
    assert sandbox.stats()["requestsReceived"] == 0


# --- 400 family -----------------------------------------------------------------------------


def test_400_is_rejected_with_code_and_field_errors(kairo_client):
    error = _error(lambda: kairo_client.create_consultation(booking(duration_minutes=55)))
    assert error.status == 400
    assert error.code == "VALIDATION_ERROR"
    assert error.outcome == KairoOutcome.REJECTED
    assert list(error.field_errors) == ["durationMinutes"]
    assert error.request_id.startswith("req_")


# --- 401: configuration, never retried ------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_401_is_configuration_and_never_retried(make_client, sandbox, sleeps, method):
    client = make_client(api_secret="wrong")
    call = (
        (lambda: client.create_consultation(booking()))
        if method == "POST"
        else client.organization_profile
    )
    error = _error(call)
    assert (error.status, error.code) == (401, "API_KEY_INVALID")
    assert error.outcome == KairoOutcome.CONFIGURATION
    assert error.known
    assert sleeps.calls == []
    assert sandbox.stats()["requestsReceived"] == 1
    assert sandbox.stats()["consultations"] == 0


# --- 404 ------------------------------------------------------------------------------------


def test_404_consultation_not_found_is_rejected(kairo_client, sleeps):
    error = _error(lambda: kairo_client.get_consultation(uuid.uuid4()))
    assert (error.status, error.code) == (404, "CONSULTATION_NOT_FOUND")
    assert error.outcome == KairoOutcome.REJECTED
    assert sleeps.calls == []


def test_404_of_a_route_means_the_base_url_is_wrong(make_client, sandbox_server, sandbox):
    client = make_client(base_url=sandbox_server.base_url + "/v2")
    error = _error(lambda: client.create_consultation(booking()))
    assert (error.status, error.code) == (404, kairo.ENDPOINT_NOT_FOUND)
    assert error.outcome == KairoOutcome.CONFIGURATION
    assert sandbox.stats()["createsReceived"] == 0


def test_an_html_404_page_is_configuration(canned):
    _, client = canned((404, {"Content-Type": "text/html"}, b"<html>Not Found</html>"))
    error = _error(client.organization_profile)
    assert (error.code, error.outcome) == (kairo.ENDPOINT_NOT_FOUND, KairoOutcome.CONFIGURATION)
    assert error.request_id == ""


def test_a_redirect_is_configuration_and_not_followed(canned):
    server, client = canned((301, {"Location": "https://elsewhere.example/consultations"}, b""))
    error = _error(lambda: client.create_consultation(booking()))
    assert (error.code, error.outcome) == (kairo.REDIRECTED, KairoOutcome.CONFIGURATION)
    assert len(server.requests) == 1


def test_403_is_configuration(canned):
    _, client = canned((403, {}, b"Forbidden"))
    error = _error(client.organization_profile)
    assert (error.code, error.outcome) == (kairo.FORBIDDEN, KairoOutcome.CONFIGURATION)


# --- 409: which party -----------------------------------------------------------------------


def test_409_provider_not_available_names_the_provider(kairo_client):
    kairo_client.create_consultation(booking())
    other_patient = patient_data(document_number="99999999")
    error = _error(lambda: kairo_client.create_consultation(booking(patient=other_patient)))
    assert (error.status, error.code) == (409, "PROVIDER_NOT_AVAILABLE")
    assert error.party == "provider"
    assert error.outcome == KairoOutcome.REJECTED


def test_409_patient_not_available_names_the_patient(kairo_client):
    kairo_client.create_consultation(booking())
    other_provider = provider_data(document_number="79000111")
    error = _error(lambda: kairo_client.create_consultation(booking(provider=other_provider)))
    assert (error.status, error.code) == (409, "PATIENT_NOT_AVAILABLE")
    assert error.party == "patient"
    assert error.outcome == KairoOutcome.REJECTED


# --- 429 ------------------------------------------------------------------------------------


def test_429_on_post_is_rejected_and_not_retried(make_client, sandbox, sleeps):
    sandbox.rate_limit = 1
    client = make_client()
    client.organization_profile()
    error = _error(lambda: client.create_consultation(booking()))
    assert (error.status, error.code) == (429, "RATE_LIMITED")
    assert error.outcome == KairoOutcome.REJECTED
    assert error.retry_after == 3600
    assert client.last_rate_limit_remaining == 0
    assert sleeps.calls == []
    assert sandbox.stats()["consultations"] == 0


def test_429_on_post_within_the_retry_bound_is_still_not_retried(make_client, sandbox, sleeps):
    """Even a short Retry-After does not make a POST safe to send again."""
    sandbox.fault_retry_after = 1
    sandbox.arm_fault("429")
    client = make_client(max_retry_after=10)
    error = _error(lambda: client.create_consultation(booking()))
    assert (error.status, error.code, error.retry_after) == (429, "RATE_LIMITED", 1)
    assert error.outcome == KairoOutcome.REJECTED
    assert sleeps.calls == []
    assert sandbox.stats()["createsReceived"] == 1
    assert sandbox.stats()["consultations"] == 0


def test_429_on_get_is_retried_after_retry_after(make_client, sandbox, sleeps, clock):
    sandbox.rate_limit = 2
    sleeps.clock = clock  # "sleeping" moves the sandbox's clock: the window slides
    client = make_client(max_retry_after=3600)
    client.organization_profile()
    clock.advance(minutes=10)
    client.organization_profile()
    profile = client.organization_profile()  # 429 with Retry-After 3000, then success
    assert sleeps.calls == [3000.0]
    assert profile.name


def test_429_on_get_beyond_the_bound_is_not_waited_for(make_client, sandbox, sleeps):
    sandbox.rate_limit = 1
    client = make_client(max_retry_after=10)
    client.organization_profile()
    error = _error(client.organization_profile)
    assert (error.code, error.retry_after) == ("RATE_LIMITED", 3600)
    assert sleeps.calls == []


def test_429_fault_on_get_is_retried_and_recovers(make_client, sandbox, sleeps):
    sandbox.arm_fault("429", times=1, scope="any")
    profile = make_client().organization_profile()
    assert profile.name
    assert sleeps.calls == [float(sandbox.fault_retry_after)]


# --- Maybe sent: unknown for POST, never re-sent ---------------------------------------------


@pytest.mark.parametrize("fault", ["timeout", "drop"])
def test_timeout_and_drop_on_post_are_unknown_and_create_exactly_once(
    make_client, sandbox, sleeps, fault
):
    client = make_client(extra_headers={"X-Sandbox-Fault": fault}, read_timeout=FAULT_READ_TIMEOUT)
    error = _error(lambda: client.create_consultation(booking()))
    assert error.outcome == KairoOutcome.UNKNOWN
    assert not error.known
    assert error.code == (kairo.TIMEOUT if fault == "timeout" else kairo.CONNECTION_LOST)
    stats = sandbox.stats()
    assert stats["createsReceived"] == 1
    assert stats["consultations"] == 1
    assert sleeps.calls == []


@pytest.mark.parametrize("fault", ["timeout", "drop"])
def test_armed_timeout_and_drop_behave_like_the_header(make_client, sandbox, fault):
    sandbox.arm_fault(fault)
    client = make_client(read_timeout=FAULT_READ_TIMEOUT)
    error = _error(lambda: client.create_consultation(booking()))
    assert error.outcome == KairoOutcome.UNKNOWN
    assert sandbox.stats()["createsReceived"] == 1
    assert sandbox.stats()["consultations"] == 1
    # The fault was used up: the next create goes through.
    other = booking(
        provider=provider_data(document_number="79000111"),
        patient=patient_data(document_number="88000111"),
    )
    assert client.create_consultation(other).status == "Pending"


@pytest.mark.parametrize(("fault", "status"), [("500", 500), ("502", 502)])
def test_5xx_on_post_is_unknown_and_not_resent(make_client, sandbox, sleeps, fault, status):
    client = make_client(extra_headers={"X-Sandbox-Fault": fault})
    error = _error(lambda: client.create_consultation(booking()))
    assert error.status == status
    assert error.outcome == KairoOutcome.UNKNOWN
    assert sandbox.stats()["createsReceived"] == 1
    assert sleeps.calls == []


def test_malformed_body_on_post_is_unknown(make_client, sandbox):
    client = make_client(extra_headers={"X-Sandbox-Fault": "malformed"})
    error = _error(lambda: client.create_consultation(booking()))
    assert (error.code, error.outcome) == (kairo.MALFORMED_RESPONSE, KairoOutcome.UNKNOWN)
    assert error.status == 200
    assert sandbox.stats()["createsReceived"] == 1
    assert sandbox.stats()["consultations"] == 1


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        ("timeout", kairo.TIMEOUT),
        ("drop", kairo.CONNECTION_LOST),
        ("500", "INTERNAL_ERROR"),
        ("502", kairo.SERVER_ERROR),
    ],
)
def test_get_is_retried_within_a_bound(make_client, sandbox, sleeps, fault, code):
    client = make_client(
        extra_headers={"X-Sandbox-Fault": fault}, get_retries=2, read_timeout=FAULT_READ_TIMEOUT
    )
    error = _error(client.organization_profile)
    assert (error.code, error.outcome) == (code, KairoOutcome.UNKNOWN)
    assert sandbox.stats()["requestsReceived"] == 3
    assert len(sleeps.calls) == 2


def test_get_recovers_when_a_retry_succeeds(make_client, sandbox, sleeps):
    sandbox.arm_fault("500", times=1, scope="any")
    assert make_client().organization_profile().name
    assert len(sleeps.calls) == 1


def test_an_html_200_is_unknown_for_post(canned):
    server, client = canned((200, {"Content-Type": "text/html"}, b"<html>Welcome</html>"))
    error = _error(lambda: client.create_consultation(booking()))
    assert (error.code, error.outcome) == (kairo.MALFORMED_RESPONSE, KairoOutcome.UNKNOWN)
    assert len(server.requests) == 1


def test_success_false_with_200_is_not_taken_for_success(canned):
    body = json.dumps({"success": False, "error": {"code": "X"}}).encode()
    _, client = canned((200, {}, body))
    error = _error(lambda: client.create_consultation(booking()))
    assert (error.code, error.outcome) == (kairo.MALFORMED_RESPONSE, KairoOutcome.UNKNOWN)


def test_urllib3_never_retries_by_itself(kairo_client):
    for prefix in ("http://", "https://"):
        retries = kairo_client.session.get_adapter(prefix + "kairo.example").max_retries
        assert retries.total == 0
        assert retries.read is False


def test_every_call_carries_the_connect_and_read_timeouts_from_settings(
    settings, sandbox_server, monkeypatch
):
    settings.KAIRO_BASE_URL = sandbox_server.base_url
    settings.KAIRO_CONNECT_TIMEOUT = 1.5
    settings.KAIRO_TIMEOUT = 4.0
    timeouts: list[object] = []
    with kairo.KairoClient.from_settings() as client:
        real_request = client.session.request

        def recording_request(method, url, **kwargs):
            timeouts.append(kwargs.get("timeout"))
            return real_request(method, url, **kwargs)

        monkeypatch.setattr(client.session, "request", recording_request)
        created = client.create_consultation(booking())
        client.get_consultation(created.consultation_id)
        client.list_providers()
        client.organization_profile()
    assert timeouts == [(1.5, 4.0)] * 4


# --- The overall budget of one call ---------------------------------------------------------


def _budget_clock() -> tuple[ManualClock, SleepRecorder]:
    """A monotonic clock the test moves by hand, and a sleep that moves it."""
    clock = ManualClock(START)
    return clock, SleepRecorder(clock=clock)


def _monotonic(clock: ManualClock):
    return lambda: clock().timestamp()


def test_get_retries_stop_when_the_next_would_not_fit_in_the_budget(make_client, monkeypatch):
    monkeypatch.setattr(kairo_retries.random, "uniform", lambda low, high: 0.0)
    clock, sleeps = _budget_clock()
    # Waits of 0.5 s, then 1 s, then 2 s (backoff from 1 s, no jitter). After the second
    # failure 1.4 s of the 1.9 s are left: a 1 s wait would leave less than an attempt.
    client = make_client(
        extra_headers={"X-Sandbox-Fault": "502"},
        get_retries=5,
        backoff_base=1.0,
        budget=1.9,
        monotonic=_monotonic(clock),
        sleep=sleeps,
    )
    error = _error(client.organization_profile)
    assert error.code == kairo.SERVER_ERROR
    assert sleeps.calls == [0.5]

    unbounded_clock, unbounded_sleeps = _budget_clock()
    unbounded = make_client(
        extra_headers={"X-Sandbox-Fault": "502"},
        get_retries=5,
        backoff_base=1.0,
        budget=None,
        monotonic=_monotonic(unbounded_clock),
        sleep=unbounded_sleeps,
    )
    _error(unbounded.organization_profile)
    assert len(unbounded_sleeps.calls) == 5  # without a budget, every retry is made


def test_each_attempt_timeout_shrinks_to_what_is_left_of_the_budget(make_client, monkeypatch):
    monkeypatch.setattr(kairo_retries.random, "uniform", lambda low, high: 0.0)
    clock, sleeps = _budget_clock()
    client = make_client(
        extra_headers={"X-Sandbox-Fault": "502"},
        connect_timeout=2.0,
        read_timeout=5.0,
        get_retries=3,
        backoff_base=0.5,
        budget=10.0,
        monotonic=_monotonic(clock),
        sleep=sleeps,
    )
    real_request = client.session.request
    timeouts: list[object] = []

    def slow_request(method, url, **kwargs):
        timeouts.append(kwargs.get("timeout"))
        clock.advance(3)  # each answer takes 3 s on the test's clock
        return real_request(method, url, **kwargs)

    monkeypatch.setattr(client.session, "request", slow_request)
    _error(client.organization_profile)
    # t=0: 10 s left; t=3.25: 6.75 left; t=6.75: 3.25 left, so the read timeout is cut;
    # at t=9.75 a 1 s wait would leave nothing: no fourth attempt.
    assert timeouts == [(2.0, 5.0), (2.0, 5.0), (2.0, pytest.approx(3.25))]
    assert sleeps.calls == [0.25, 0.5]


def test_a_kairo_that_does_not_answer_is_given_up_on_within_the_budget(
    make_client, sandbox, sleeps
):
    """Over real loopback HTTP: Kairo withholds its answer far longer than the read
    timeout; the budget, not the read timeout and the retries, decides when to stop."""
    client = make_client(
        extra_headers={"X-Sandbox-Fault": "timeout"},
        read_timeout=READ_TIMEOUT,
        get_retries=2,
        budget=FAULT_READ_TIMEOUT,
    )
    started = time.monotonic()
    error = _error(client.organization_profile)
    elapsed = time.monotonic() - started
    assert (error.code, error.outcome) == (kairo.TIMEOUT, KairoOutcome.UNKNOWN)
    assert sandbox.stats()["requestsReceived"] == 1
    assert sleeps.calls == []
    assert elapsed < READ_TIMEOUT  # without the budget: 3 attempts of 5 s


def test_a_create_is_sent_once_however_generous_the_budget(make_client, sandbox, sleeps):
    client = make_client(
        extra_headers={"X-Sandbox-Fault": "timeout"}, read_timeout=FAULT_READ_TIMEOUT, budget=60.0
    )
    error = _error(lambda: client.create_consultation(booking()))
    assert (error.code, error.outcome) == (kairo.TIMEOUT, KairoOutcome.UNKNOWN)
    assert sandbox.stats()["createsReceived"] == 1
    assert sleeps.calls == []


def test_the_budget_comes_from_settings(settings, sandbox_server):
    settings.KAIRO_BASE_URL = sandbox_server.base_url
    settings.KAIRO_REQUEST_BUDGET_SECONDS = 7.5
    with kairo.KairoClient.from_settings() as client:
        assert client.budget == 7.5


# --- Settings that cannot work ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"api_key": "clave-€"}, kairo.INVALID_CREDENTIALS),
        ({"api_secret": "line\nbreak"}, kairo.INVALID_CREDENTIALS),
        ({"base_url": "kairo.example.com/v1"}, kairo.INVALID_BASE_URL),
        ({"base_url": "ftp://kairo.example.com"}, kairo.INVALID_BASE_URL),
    ],
)
def test_unusable_settings_are_configuration_and_send_nothing(
    make_client, sandbox, sleeps, overrides, code
):
    error = _error(make_client(**overrides).organization_profile)
    assert (error.code, error.outcome) == (code, KairoOutcome.CONFIGURATION)
    assert sleeps.calls == []
    assert sandbox.stats()["requestsReceived"] == 0
