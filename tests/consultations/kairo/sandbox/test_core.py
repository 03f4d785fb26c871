"""The sandbox follows the contract's shapes, auth, overlaps, rate limit and controls
(docs/kairo-connect-api.md)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from consultations.kairo import contract
from consultations.kairo.client import KairoError, KairoOutcome
from consultations.kairo.sandbox import KairoSandbox, SandboxError
from tests.consultations.kairo.conftest import (
    FAULT_READ_TIMEOUT,
    READ_TIMEOUT,
    START,
    booking,
    patient_data,
    provider_data,
)

AUTH = {"X-API-Key": "sandbox-key", "X-API-Secret": "sandbox-secret"}


def _get(server, path, headers=AUTH) -> requests.Response:
    return requests.get(server.base_url + path, headers=headers, timeout=5)


def _post(server, path, body=None, headers=AUTH) -> requests.Response:
    return requests.post(server.base_url + path, json=body, headers=headers, timeout=5)


# --- Auth -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "API Key required"),
        ({"X-API-Secret": "sandbox-secret"}, "API Key required"),
        ({"X-API-Key": "sandbox-key"}, "API Secret required"),
        ({"X-API-Key": "sandbox-key", "X-API-Secret": "nope"}, "API Key or Secret invalid"),
        ({"X-API-Key": "nope", "X-API-Secret": "sandbox-secret"}, "API Key or Secret invalid"),
    ],
)
def test_auth_messages(sandbox_server, headers, message):
    response = _get(sandbox_server, "/organizations/profile", headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == "API_KEY_INVALID"
    assert body["error"]["message"] == message
    assert body["metadata"]["requestId"]


def test_control_endpoints_need_auth_too(sandbox_server):
    assert _post(sandbox_server, "/_sandbox/reset", headers={}).status_code == 401


# --- Envelope, headers ----------------------------------------------------------------------


def test_success_envelope_and_metadata(sandbox_server):
    body = _get(sandbox_server, "/organizations/profile").json()
    assert body["success"] is True
    assert body["metadata"]["version"] == "v1"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["metadata"]["timestamp"])
    assert body["metadata"]["timestamp"] == "2030-03-14T15:00:00Z"  # 10:00 Bogotá


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("GET", "/organizations/profile", AUTH),
        ("GET", "/organizations/profile", {}),
        ("GET", f"/consultations/{uuid.uuid4()}", AUTH),
        ("POST", "/consultations", AUTH),
        ("GET", "/nowhere", AUTH),
        ("GET", "/_sandbox/stats", AUTH),
    ],
)
def test_every_response_carries_the_remaining_rate_limit(sandbox_server, method, path, headers):
    response = requests.request(
        method, sandbox_server.base_url + path, headers=headers, json={}, timeout=5
    )
    assert int(response.headers["X-RateLimit-Remaining"]) >= 0


def test_rate_limit_counts_down_and_then_refuses(sandbox_server, sandbox, clock):
    sandbox.rate_limit = 3
    remaining = [
        int(_get(sandbox_server, "/organizations/profile").headers["X-RateLimit-Remaining"])
        for _ in range(3)
    ]
    assert remaining == [2, 1, 0]
    clock.advance(minutes=20)
    refused = _get(sandbox_server, "/organizations/profile")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "RATE_LIMITED"
    assert refused.headers["Retry-After"] == str(40 * 60)
    clock.advance(minutes=40)  # the first request leaves the hour's window
    assert _get(sandbox_server, "/organizations/profile").status_code == 200


def test_the_default_limit_is_the_contracts():
    assert KairoSandbox().rate_limit == contract.RATE_LIMIT_PER_HOUR == 1000


@pytest.mark.parametrize(
    ("latency_ms", "read_timeout", "times_out"),
    [(50, READ_TIMEOUT, False), (600, FAULT_READ_TIMEOUT, True)],
)
def test_latency_over_http(make_client, sandbox, latency_ms, read_timeout, times_out):
    sandbox.latency_ms = latency_ms
    client = make_client(get_retries=0, read_timeout=read_timeout)
    if times_out:
        with pytest.raises(KairoError) as caught:
            client.organization_profile()
        assert caught.value.code == "TIMEOUT"
    else:
        assert client.organization_profile().name


def test_unknown_route_and_wrong_method(sandbox_server):
    assert _get(sandbox_server, "/consultations").status_code == 405
    assert _get(sandbox_server, "/v2/consultations").status_code == 404


# --- Create and detail shapes --------------------------------------------------------------


def test_create_shape(kairo_client, sandbox_server):
    body = kairo_client.payload_for(booking(duration_minutes=45))
    data = _post(sandbox_server, "/consultations", body).json()["data"]
    uuid.UUID(data["consultationId"])
    assert re.fullmatch(r"\d{6}", data["accessPin"])
    patient_url = urlsplit(data["participantAccess"]["patientUrl"])
    provider_url = urlsplit(data["participantAccess"]["providerUrl"])
    assert patient_url.path == provider_url.path  # one room token
    assert parse_qs(patient_url.query) == {"type": ["patient"]}
    assert parse_qs(provider_url.query) == {"type": ["provider"]}
    assert data["expiredAt"] == "2030-03-14 11:45"
    assert "expiresAt" not in data
    assert data["scheduledAt"] == "2030-03-14 11:00"
    assert data["createdAt"] == "2030-03-14 10:00"
    assert data["status"] == "Pending"
    assert data["durationMinutes"] == 45
    assert data["provider"] == {
        "name": "Dra. Ana María Pérez",
        "professionalType": "Médico General",
    }
    assert data["patient"] == {
        "documentType": "CC",
        "documentNumber": "1020304050",
        "name": "Juan Camilo Gómez",
    }


def test_specialist_provider_block(kairo_client, sandbox_server):
    provider = provider_data(professional_type="MedicoEspecialista", medical_specialty_code="CA003")
    data = _post(
        sandbox_server, "/consultations", kairo_client.payload_for(booking(provider=provider))
    )
    assert data.json()["data"]["provider"] == {
        "name": "Dra. Ana María Pérez",
        "professionalType": "Médico Especialista",
        "specialtyId": 1,
        "specialtyCode": "CA003",
        "specialtyName": "Cardiología",
    }


def test_detail_shape(kairo_client, sandbox_server, clock):
    created = kairo_client.create_consultation(booking())
    clock.advance(minutes=3)
    data = _get(sandbox_server, f"/consultations/{created.consultation_id}").json()["data"]
    assert data["expiresAt"] == "2030-03-14 11:30"
    assert "expiredAt" not in data
    assert data["consultationLink"]
    assert data["accessPin"] == created.access_pin
    assert data["updatedAt"] == "2030-03-14 10:00"
    assert data["notes"] is None
    assert "sessionInfo" not in data
    assert set(data) >= {
        "consultationId",
        "participantAccess",
        "provider",
        "patient",
        "scheduledAt",
        "status",
        "durationMinutes",
        "createdAt",
    }


def test_detail_repeats_the_create_answer_in_the_contract_order(kairo_client, sandbox_server):
    body = kairo_client.payload_for(booking())
    created = _post(sandbox_server, "/consultations", body).json()["data"]
    data = _get(sandbox_server, f"/consultations/{created['consultationId']}").json()["data"]
    # The guide's field order for each answer (JSON order is kept byte for byte).
    assert list(created) == [
        "consultationId",
        "accessPin",
        "participantAccess",
        "expiredAt",
        "provider",
        "patient",
        "scheduledAt",
        "durationMinutes",
        "status",
        "createdAt",
    ]
    assert list(data) == [
        "consultationId",
        "consultationLink",
        "accessPin",
        "participantAccess",
        "expiresAt",
        "provider",
        "patient",
        "scheduledAt",
        "status",
        "durationMinutes",
        "notes",
        "createdAt",
        "updatedAt",
    ]
    assert data["expiresAt"] == created["expiredAt"]
    assert {k: v for k, v in data.items() if k in created} == {
        k: v for k, v in created.items() if k != "expiredAt"
    }
    # consultationLink is the room both participant URLs point into.
    room = data["consultationLink"]
    assert data["participantAccess"] == {
        "patientUrl": f"{room}?type=patient",
        "providerUrl": f"{room}?type=provider",
    }


def test_pins_and_rooms_differ_between_consultations(kairo_client):
    first = kairo_client.create_consultation(booking())
    second = kairo_client.create_consultation(
        booking(
            provider=provider_data(document_number="79000111"),
            patient=patient_data(document_number="88000111"),
        )
    )
    assert first.consultation_id != second.consultation_id
    assert first.patient_url != second.patient_url


@pytest.mark.parametrize("bad_id", ["not-a-uuid", str(uuid.uuid4())])
def test_unknown_detail_is_404(sandbox_server, bad_id):
    response = _get(sandbox_server, f"/consultations/{bad_id}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "CONSULTATION_NOT_FOUND"


# --- Overlaps -------------------------------------------------------------------------------


def _other(**kwargs):
    return booking(
        provider=kwargs.pop("provider", provider_data(document_number="79000111")),
        patient=kwargs.pop("patient", patient_data(document_number="88000111")),
        **kwargs,
    )


def test_adjacent_windows_do_not_overlap(kairo_client):
    kairo_client.create_consultation(booking(scheduled_at=START + dt.timedelta(hours=1)))
    after = booking(scheduled_at=START + dt.timedelta(hours=1, minutes=30))
    before = booking(scheduled_at=START + dt.timedelta(minutes=30), duration_minutes=30)
    assert kairo_client.create_consultation(after).status == "Pending"
    assert kairo_client.create_consultation(before).status == "Pending"


def test_a_partial_overlap_is_refused(kairo_client):
    kairo_client.create_consultation(booking(scheduled_at=START + dt.timedelta(hours=1)))
    with pytest.raises(KairoError) as caught:
        kairo_client.create_consultation(booking(scheduled_at=START + dt.timedelta(minutes=45)))
    assert caught.value.party == "provider"


def test_same_document_number_of_another_type_is_another_person(kairo_client):
    kairo_client.create_consultation(booking())
    other = _other(patient=patient_data(document_type="TI"))
    assert kairo_client.create_consultation(other).status == "Pending"


def test_an_immediate_consultation_overlaps_from_now(kairo_client, clock):
    kairo_client.create_consultation(booking(scheduled_at=START + dt.timedelta(minutes=20)))
    with pytest.raises(KairoError) as caught:
        kairo_client.create_consultation(booking(scheduled_at=None, duration_minutes=25))
    assert caught.value.code == "PROVIDER_NOT_AVAILABLE"


@pytest.mark.parametrize(
    "events", [["consultation.expired"], ["session_started", "consultation.completed"]]
)
def test_finished_consultations_no_longer_block(kairo_client, sandbox, events):
    created = kairo_client.create_consultation(booking())
    for event in events:
        sandbox.trigger(created.consultation_id, event, participant="patient")
    assert kairo_client.create_consultation(booking()).status == "Pending"


def test_in_progress_still_blocks(kairo_client, sandbox):
    created = kairo_client.create_consultation(booking())
    sandbox.trigger(created.consultation_id, "session_started", participant="provider")
    with pytest.raises(KairoError) as caught:
        kairo_client.create_consultation(_other(patient=patient_data()))
    assert caught.value.party == "patient"


def test_pending_expires_on_its_own_once_its_time_is_over(kairo_client, clock):
    created = kairo_client.create_consultation(booking())
    clock.advance(hours=1, minutes=30)
    assert kairo_client.get_consultation(created.consultation_id).status == "Expired"


# --- Providers and organization ------------------------------------------------------------


def test_providers_are_those_seen_in_creates(kairo_client):
    assert kairo_client.list_providers() == []
    specialist = provider_data(
        document_number="79000111",
        professional_type="MedicoEspecialista",
        medical_specialty_code="CA003",
    )
    kairo_client.create_consultation(booking())
    kairo_client.create_consultation(_other(provider=specialist))
    providers = kairo_client.list_providers()
    assert sorted(p.document_number for p in providers) == ["52123456", "79000111"]
    only = kairo_client.list_providers(specialty_code="CA003")
    assert [(p.document_number, p.specialty_name) for p in only] == [("79000111", "Cardiología")]
    assert (
        kairo_client.list_providers(document_number="52123456")[0].professional_type
        == "MedicoGeneral"
    )
    assert kairo_client.list_providers(name="maría")[0].name == "Dra. Ana María Pérez"


def test_organization_profile(make_client, sandbox):
    sandbox.organization_name = "IPS Prueba"
    profile = make_client().organization_profile()
    assert (profile.name, profile.timezone) == ("IPS Prueba", "America/Bogota")
    assert profile.organization_id == sandbox.organization_id
    assert profile.rate_limit_remaining == 999


def test_profile_time_zone_follows_settings(settings):
    settings.ORGANIZATION_TIME_ZONE = "America/Lima"
    settings.KAIRO_SANDBOX_TIME_ZONE = ""
    assert KairoSandbox.from_settings().timezone.key == "America/Lima"
    settings.KAIRO_SANDBOX_TIME_ZONE = "Europe/Madrid"
    assert KairoSandbox.from_settings().timezone.key == "Europe/Madrid"


# --- Controls ------------------------------------------------------------------------------


def test_stats_and_reset_over_http(kairo_client, sandbox_server):
    kairo_client.create_consultation(booking())
    stats = _get(sandbox_server, "/_sandbox/stats").json()["data"]
    assert (stats["createsReceived"], stats["consultations"]) == (1, 1)
    assert _post(sandbox_server, "/_sandbox/reset").json()["data"] == {"reset": True}
    stats = _get(sandbox_server, "/_sandbox/stats").json()["data"]
    assert (stats["createsReceived"], stats["consultations"]) == (0, 0)


def test_faults_armed_over_http_hit_the_next_creates_only(make_client, sandbox_server, sandbox):
    response = _post(sandbox_server, "/_sandbox/faults", {"fault": "500", "times": 2})
    assert response.json()["data"]["armedFaults"] == [
        {"fault": "500", "times": 2, "scope": "create"}
    ]
    client = make_client()
    assert client.organization_profile().name  # not a create: untouched
    for _ in range(2):
        with pytest.raises(KairoError) as caught:
            client.create_consultation(booking())
        assert caught.value.outcome == KairoOutcome.UNKNOWN
    assert client.create_consultation(booking()).status == "Pending"
    assert sandbox.stats()["createsReceived"] == 3


@pytest.mark.parametrize(
    "body",
    [{"fault": "meltdown"}, {"fault": "500", "times": 0}, {"fault": "500", "scope": "all"}, {}],
)
def test_bad_fault_requests_are_refused(sandbox_server, body):
    response = _post(sandbox_server, "/_sandbox/faults", body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_an_unknown_fault_header_is_refused(make_client, sandbox):
    client = make_client(extra_headers={"X-Sandbox-Fault": "explode"})
    with pytest.raises(KairoError) as caught:
        client.create_consultation(booking())
    assert (caught.value.status, caught.value.code) == (400, "VALIDATION_ERROR")
    assert sandbox.stats()["consultations"] == 0


def test_429_fault_answers_with_retry_after(sandbox_server, kairo_client):
    headers = {**AUTH, "X-Sandbox-Fault": "429"}
    response = _post(sandbox_server, "/consultations", kairo_client.payload_for(booking()), headers)
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "RATE_LIMITED"
    assert response.headers["Retry-After"] == "1"


def test_malformed_fault_is_a_200_that_is_not_json(sandbox_server, kairo_client, sandbox):
    headers = {**AUTH, "X-Sandbox-Fault": "malformed"}
    response = _post(sandbox_server, "/consultations", kairo_client.payload_for(booking()), headers)
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()
    assert sandbox.stats()["consultations"] == 1


def test_lifecycle_events_over_http(kairo_client, sandbox_server, clock):
    created = kairo_client.create_consultation(booking())
    path = f"/_sandbox/consultations/{created.consultation_id}/events"
    clock.advance(hours=1, minutes=1)
    started = _post(sandbox_server, path, {"event": "session_started", "participant": "patient"})
    assert started.json()["data"]["status"] == "InProgress"
    clock.advance(minutes=1)
    _post(sandbox_server, path, {"event": "session_started", "participant": "provider"})
    _post(sandbox_server, path, {"event": "session_ended", "participant": "patient"})
    done = _post(sandbox_server, path, {"event": "consultation.completed"}).json()["data"]
    assert done["status"] == "Completed"
    detail = kairo_client.get_consultation(created.consultation_id)
    assert detail.status == "Completed"
    info = detail.session_info
    assert info.started_at == START + dt.timedelta(hours=1, minutes=1)
    assert info.patient_joined_at == START + dt.timedelta(hours=1, minutes=1)
    assert info.provider_joined_at == START + dt.timedelta(hours=1, minutes=2)
    assert info.call_quality


@pytest.mark.parametrize(
    ("before", "event", "status", "code"),
    [
        ([], "consultation.completed", 409, "INVALID_TRANSITION"),
        ([], "session_ended", 409, "INVALID_TRANSITION"),
        (["consultation.expired"], "session_started", 409, "INVALID_TRANSITION"),
        (["session_started"], "consultation.expired", 409, "INVALID_TRANSITION"),
        ([], "consultation.exploded", 400, "VALIDATION_ERROR"),
    ],
)
def test_transitions_the_lifecycle_does_not_allow(
    kairo_client, sandbox, before, event, status, code
):
    created = kairo_client.create_consultation(booking())
    for earlier in before:
        sandbox.trigger(created.consultation_id, earlier, participant="patient")
    with pytest.raises(SandboxError) as caught:
        sandbox.trigger(created.consultation_id, event, participant="patient")
    assert (caught.value.status, caught.value.code) == (status, code)


def test_session_events_need_a_participant(kairo_client, sandbox):
    created = kairo_client.create_consultation(booking())
    with pytest.raises(SandboxError) as caught:
        sandbox.trigger(created.consultation_id, "session_started")
    assert caught.value.code == "VALIDATION_ERROR"


def test_events_for_an_unknown_consultation(sandbox_server):
    path = f"/_sandbox/consultations/{uuid.uuid4()}/events"
    response = _post(sandbox_server, path, {"event": "consultation.expired"})
    assert response.json()["error"]["code"] == "CONSULTATION_NOT_FOUND"


def test_only_a_participant_who_joined_can_leave(kairo_client, sandbox):
    """Contract "Webhooks": session_ended is a participant leaving."""
    created = kairo_client.create_consultation(booking())
    sandbox.trigger(created.consultation_id, "session_started", participant="patient")
    with pytest.raises(SandboxError) as caught:
        sandbox.trigger(created.consultation_id, "session_ended", participant="provider")
    assert (caught.value.status, caught.value.code) == (409, "INVALID_TRANSITION")
    sandbox.trigger(created.consultation_id, "session_ended", participant="patient")
