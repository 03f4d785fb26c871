"""The client logs what support needs (endpoint, status, duration, requestId, remaining
rate limit) and never the secret headers, PIN, join URLs or personal data."""

from __future__ import annotations

import logging

import pytest

from consultations.kairo.client import KairoError
from consultations.kairo.sandbox import KairoSandbox, SandboxHTTPServer
from tests.consultations.kairo.conftest import (
    BOGOTA,
    FAULT_READ_TIMEOUT,
    START,
    booking,
    patient_data,
    provider_data,
)

API_KEY = "key-7c1e55d0a4"
API_SECRET = "secret-9f8e7d6c5b4a"


@pytest.fixture
def private_server(clock):
    sandbox = KairoSandbox(api_key=API_KEY, api_secret=API_SECRET, timezone=BOGOTA, clock=clock)
    with SandboxHTTPServer(sandbox, port=0).start_in_thread() as server:
        yield server


def _everything_logged(caplog) -> str:
    parts = [caplog.text]
    for record in caplog.records:
        parts.append(record.getMessage())
        parts.extend(str(value) for value in record.__dict__.values())
    return "\n".join(parts)


def test_logs_carry_request_ids_and_no_private_data(make_client, private_server, caplog):
    caplog.set_level(logging.DEBUG)  # every logger, urllib3's included
    client = make_client(base_url=private_server.base_url, api_key=API_KEY, api_secret=API_SECRET)
    provider = provider_data(
        document_number="80111222333",
        phone="+573151112233",
        email="dra.private@clinica.example",
    )
    patient = patient_data(
        document_number="1099887766",
        name="Valentina Ríos Zapata",
        phone="+573204445566",
        email="valentina.private@correo.example",
    )
    created = client.create_consultation(booking(provider=provider, patient=patient))
    detail = client.get_consultation(created.consultation_id)
    with pytest.raises(KairoError) as conflict:  # a 409, and a 400 with field errors
        client.create_consultation(booking(provider=provider, patient=patient))
    with pytest.raises(KairoError) as invalid:
        client.create_consultation(
            booking(
                patient=patient_data(
                    email="valentina.private@correo", document_number="1099887766"
                ),
                scheduled_at=START,
            )
        )
    with pytest.raises(KairoError):  # and an unknown outcome
        make_client(
            base_url=private_server.base_url,
            api_key=API_KEY,
            api_secret=API_SECRET,
            extra_headers={"X-Sandbox-Fault": "timeout"},
            read_timeout=FAULT_READ_TIMEOUT,
        ).create_consultation(booking(provider=provider_data(document_number="80111222444")))

    logged = _everything_logged(caplog)
    for request_id in (created.request_id, detail.request_id, conflict.value.request_id):
        assert request_id and request_id in logged
    assert invalid.value.request_id in logged
    assert "rateLimitRemaining=" in logged
    assert "POST /consultations -> 200" in logged
    forbidden = [
        API_KEY,
        API_SECRET,
        created.access_pin,
        created.patient_url,
        created.provider_url,
        created.patient_url.split("?")[0],  # the room token itself
        detail.consultation_link,
        "80111222333",
        "1099887766",
        "+573151112233",
        "+573204445566",
        "dra.private@clinica.example",
        "valentina.private",
        "Valentina",
    ]
    for value in forbidden:
        assert value not in logged, f"{value!r} leaked into the logs"


def test_errors_do_not_carry_secrets_in_their_text(make_client, private_server):
    client = make_client(base_url=private_server.base_url, api_key=API_KEY, api_secret="wrong")
    with pytest.raises(KairoError) as caught:
        client.organization_profile()
    for text in (str(caught.value), repr(caught.value), caught.value.message):
        assert API_KEY not in text and "wrong" not in text
