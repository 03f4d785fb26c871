"""The sandbox in process: the same answers and faults without a socket, and
`KairoClient.from_settings()` choosing it when no base URL is set."""

from __future__ import annotations

import datetime as dt

import pytest

from consultations.kairo.client import KairoClient, KairoError, KairoOutcome
from consultations.kairo.sandbox import (
    SANDBOX_BASE_URL,
    SandboxAdapter,
    default_sandbox,
    reset_default_sandbox,
)
from tests.consultations.kairo.conftest import BOGOTA, booking, in_process_client

# --- In process ----------------------------------------------------------------------------


@pytest.fixture
def in_process(sandbox):
    made = in_process_client(sandbox)
    yield made
    made.close()


def test_in_process_round_trip(in_process, sandbox):
    created = in_process.create_consultation(booking())
    assert in_process.get_consultation(created.consultation_id).access_pin == created.access_pin
    assert sandbox.stats()["consultations"] == 1


@pytest.mark.parametrize(("fault", "code"), [("timeout", "TIMEOUT"), ("drop", "CONNECTION_LOST")])
def test_in_process_faults_look_like_the_network(in_process, sandbox, fault, code):
    sandbox.arm_fault(fault)
    with pytest.raises(KairoError) as caught:
        in_process.create_consultation(booking())
    assert (caught.value.code, caught.value.outcome) == (code, KairoOutcome.UNKNOWN)
    assert sandbox.stats()["createsReceived"] == 1
    assert sandbox.stats()["consultations"] == 1


def test_in_process_latency_beyond_the_read_timeout_is_a_timeout(sandbox):
    sandbox.latency_ms = 200
    with KairoClient(
        base_url=SANDBOX_BASE_URL,
        api_key="sandbox-key",
        api_secret="sandbox-secret",
        timezone=BOGOTA,
        connect_timeout=1,
        read_timeout=0.05,
        transport=SandboxAdapter(sandbox),
        get_retries=0,
    ) as client:
        with pytest.raises(KairoError) as caught:
            client.organization_profile()
    assert caught.value.code == "TIMEOUT"


def test_from_settings_uses_the_process_sandbox_without_a_socket(settings, monkeypatch):
    settings.KAIRO_BASE_URL = ""
    reset_default_sandbox()

    def no_sockets(*args, **kwargs):
        raise AssertionError("the in-process sandbox must not open a socket")

    monkeypatch.setattr("socket.socket.connect", no_sockets)
    try:
        with KairoClient.from_settings() as client:
            assert client.uses_in_process_sandbox
            created = client.create_consultation(
                booking(
                    scheduled_at=dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
                    + dt.timedelta(hours=1)
                )
            )
        assert default_sandbox().stats()["consultations"] == 1
        assert created.status == "Pending"
    finally:
        reset_default_sandbox()


def test_from_settings_with_a_base_url_talks_http(settings, sandbox_server):
    settings.KAIRO_BASE_URL = sandbox_server.base_url
    with KairoClient.from_settings() as client:
        assert not client.uses_in_process_sandbox
        assert client.organization_profile().name
