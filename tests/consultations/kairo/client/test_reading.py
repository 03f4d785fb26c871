"""Tolerant reading: what the real Kairo may send that the sandbox does not."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
import uuid

import pytest

from consultations.kairo import client as kairo
from consultations.kairo.client import KairoError, KairoOutcome
from tests.consultations.kairo.conftest import BOGOTA, booking

CONSULTATION_ID = "5b0c8a5e-3f3f-4a8e-9f7e-2d7c1b6a9e10"
DETAIL = {
    "consultationId": CONSULTATION_ID,
    "consultationLink": "https://meet.example/room/abc",
    "accessPin": "042117",
    "participantAccess": {
        "patientUrl": "https://meet.example/room/abc?type=patient",
        "providerUrl": "https://meet.example/room/abc?type=provider",
    },
    "expiresAt": "2030-03-14 11:30",
    "provider": {"name": "Dra. Ana María Pérez", "professionalType": "Médico General"},
    "patient": {"documentType": "CC", "documentNumber": "1020304050", "name": "Juan"},
    "scheduledAt": "2030-03-14 11:00",
    "status": "Pending",
    "durationMinutes": 30,
    "notes": None,
    "createdAt": "2030-03-14 10:00",
    "updatedAt": "2030-03-14 10:05",
}


def _envelope(data, request_id="req_abc123") -> bytes:
    return json.dumps(
        {
            "success": True,
            "data": data,
            "metadata": {"requestId": request_id, "timestamp": "2030-03-14T15:00:00Z"},
        }
    ).encode()


def _ok(data, **headers) -> tuple[int, dict[str, str], bytes]:
    return 200, {"Content-Type": "application/json", **headers}, _envelope(data)


def _error_body(code: str, details=None, status: int = 400) -> tuple[int, dict, bytes]:
    error = {"code": code, "message": "Invalid data"}
    if details is not None:
        error["details"] = details
    body = {"success": False, "error": error, "metadata": {"requestId": "req_e1"}}
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode()


def test_detail_with_expires_at(canned):
    _, client = canned(_ok(DETAIL))
    result = client.get_consultation(CONSULTATION_ID)
    assert result.consultation_id == uuid.UUID(CONSULTATION_ID)
    assert result.expires_at == dt.datetime(2030, 3, 14, 11, 30, tzinfo=BOGOTA)
    assert result.access_pin == "042117"  # a string: leading zeros kept
    assert result.request_id == "req_abc123"
    assert result.updated_at == dt.datetime(2030, 3, 14, 10, 5, tzinfo=BOGOTA)


def test_create_answer_with_expired_at(canned):
    data = copy.deepcopy(DETAIL)
    data["expiredAt"] = data.pop("expiresAt")
    _, client = canned(_ok(data))
    result = client.create_consultation(booking())
    assert result.expires_at == dt.datetime(2030, 3, 14, 11, 30, tzinfo=BOGOTA)


def test_unknown_status_is_kept_raw(canned):
    data = {**DETAIL, "status": "WaitingRoom"}
    _, client = canned(_ok(data))
    result = client.get_consultation(CONSULTATION_ID)
    assert result.status == "WaitingRoom"
    assert result.status_known is False


@pytest.mark.parametrize(
    ("status", "known"),
    [("Pending", True), ("InProgress", True), ("Completed", True), ("Expired", True)]
    + [("WaitingRoom", False), ("pending", False), ("", False)],
)
def test_status_known_follows_the_status(canned, status, known):
    _, client = canned(_ok(DETAIL))
    result = client.get_consultation(CONSULTATION_ID)
    # Derived, not stored: a copy with another status cannot keep a stale flag.
    assert dataclasses.replace(result, status=status).status_known is known


def test_extra_fields_are_ignored(canned):
    data = {**DETAIL, "recordingUrl": "https://x", "tags": [1, 2], "provider": {"id": 7}}
    _, client = canned(_ok(data, **{"X-Extra": "1"}))
    assert client.get_consultation(CONSULTATION_ID).status == "Pending"


def test_session_info_is_read(canned):
    data = {
        **DETAIL,
        "status": "InProgress",
        "sessionInfo": {
            "startedAt": "2030-03-14 11:01",
            "providerJoinedAt": "2030-03-14 11:01",
            "patientJoinedAt": None,
            "callQuality": "good",
            "bitrate": 1200,
        },
    }
    _, client = canned(_ok(data))
    info = client.get_consultation(CONSULTATION_ID).session_info
    assert info.started_at == dt.datetime(2030, 3, 14, 11, 1, tzinfo=BOGOTA)
    assert info.patient_joined_at is None
    assert info.call_quality == "good"


def test_optional_fields_may_be_missing(canned):
    data = {
        key: value
        for key, value in DETAIL.items()
        if key not in ("consultationLink", "notes", "createdAt", "updatedAt", "scheduledAt")
    }
    _, client = canned(_ok(data))
    result = client.get_consultation(CONSULTATION_ID)
    assert result.scheduled_at is None
    assert result.created_at is None
    assert result.consultation_link is None


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d.pop("consultationId"), "data.consultationId"),
        (lambda d: d.update(consultationId="not-a-uuid"), "data.consultationId"),
        (lambda d: d.pop("accessPin"), "data.accessPin"),
        (lambda d: d.update(accessPin=42117), "data.accessPin"),
        (lambda d: d.pop("participantAccess"), "data.participantAccess"),
        (lambda d: d["participantAccess"].pop("patientUrl"), "data.participantAccess.patientUrl"),
        (lambda d: d.pop("expiresAt"), "data.expiredAt"),
        (lambda d: d.update(expiresAt="tomorrow"), "data.expiresAt"),
        (lambda d: d.update(status=None), "data.status"),
        (lambda d: d.update(durationMinutes="30"), "data.durationMinutes"),
        (lambda d: d.update(durationMinutes=True), "data.durationMinutes"),
        (lambda d: d.update(scheduledAt=20300314), "data.scheduledAt"),
        (lambda d: d.update(sessionInfo="yes"), "data.sessionInfo"),
    ],
)
@pytest.mark.parametrize("method", ["POST", "GET"])
def test_missing_or_mistyped_field_is_a_clear_error(canned, mutate, field, method):
    data = copy.deepcopy(DETAIL)
    mutate(data)
    _, client = canned(_ok(data))
    with pytest.raises(KairoError) as caught:
        if method == "POST":
            client.create_consultation(booking())
        else:
            client.get_consultation(CONSULTATION_ID)
    error = caught.value
    assert error.code == kairo.MALFORMED_RESPONSE
    # Kairo said success: for a create it acted, but we cannot tell on what.
    assert error.outcome == KairoOutcome.UNKNOWN
    assert error.request_id == "req_abc123"
    assert field in error.message


@pytest.mark.parametrize("data", [None, [], "ok", 7])
def test_data_of_the_wrong_type(canned, data):
    _, client = canned(_ok(data))
    with pytest.raises(KairoError) as caught:
        client.get_consultation(CONSULTATION_ID)
    assert caught.value.code == kairo.MALFORMED_RESPONSE


@pytest.mark.parametrize(
    ("details", "expected"),
    [
        ({"provider.name": ["Too short"]}, {"provider.name": ["Too short"]}),
        ({"scheduledAt": "Too soon"}, {"scheduledAt": ["Too soon"]}),
        ("Something is wrong", {kairo.NON_FIELD_ERRORS: ["Something is wrong"]}),
        (["one", "two"], {kairo.NON_FIELD_ERRORS: ["one", "two"]}),
        (
            [{"field": "patient.email", "message": "Invalid"}],
            {"patient.email": ["Invalid"]},
        ),
        (None, {}),
        (42, {}),
    ],
)
def test_details_in_any_shape(canned, details, expected):
    _, client = canned(_error_body("VALIDATION_ERROR", details))
    with pytest.raises(KairoError) as caught:
        client.create_consultation(booking())
    assert caught.value.code == "VALIDATION_ERROR"
    assert caught.value.field_errors == expected
    assert caught.value.request_id == "req_e1"


def test_an_error_without_envelope_still_has_a_code(canned):
    _, client = canned((400, {"Content-Type": "text/plain"}, b"Bad Request"))
    with pytest.raises(KairoError) as caught:
        client.create_consultation(booking())
    assert (caught.value.code, caught.value.outcome) == ("HTTP_400", KairoOutcome.REJECTED)


def test_providers_list_and_wrapped_list(canned):
    row = {"name": "Dra. Ana María Pérez", "documentType": "CC", "specialtyCode": None}
    _, client = canned(_ok([row]), _ok({"providers": [row], "total": 1}))
    assert [p.name for p in client.list_providers()] == ["Dra. Ana María Pérez"]
    assert [p.document_type for p in client.list_providers()] == ["CC"]


def test_provider_filters_are_sent_in_camel_case(canned):
    server, client = canned(_ok([]))
    client.list_providers(document_type="CC", document_number="52123456", specialty_code=None)
    path = server.requests[0][1]
    assert path.startswith("/providers?")
    assert "documentType=CC" in path and "documentNumber=52123456" in path
    assert "specialtyCode" not in path


def test_organization_profile_timezone_under_settings(canned):
    _, client = canned(_ok({"name": "Clínica", "settings": {"timezone": "America/Bogota"}}))
    profile = client.organization_profile()
    assert (profile.name, profile.timezone) == ("Clínica", "America/Bogota")


def test_organization_profile_without_timezone_is_an_error(canned):
    _, client = canned(_ok({"name": "Clínica"}))
    with pytest.raises(KairoError) as caught:
        client.organization_profile()
    assert caught.value.code == kairo.MALFORMED_RESPONSE


def test_rate_limit_header_is_remembered(canned):
    _, client = canned(
        _ok({"name": "C", "timezone": "America/Bogota"}, **{"X-RateLimit-Remaining": "17"})
    )
    assert client.organization_profile().rate_limit_remaining == 17
    assert client.last_rate_limit_remaining == 17


@pytest.mark.parametrize(("header", "expected"), [("120", 120), ("junk", None)])
def test_retry_after_forms(canned, header, expected):
    body = _error_body("RATE_LIMITED", status=429)
    _, client = canned((body[0], {**body[1], "Retry-After": header}, body[2]))
    with pytest.raises(KairoError) as caught:
        client.create_consultation(booking())
    assert caught.value.retry_after == expected
