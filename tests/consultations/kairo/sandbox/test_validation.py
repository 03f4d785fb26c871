"""Every validation code of the contract and every field rule at its boundaries
(docs/kairo-connect-api.md, "Create a consultation" and "Errors"), asked of the sandbox
over loopback HTTP through the client (raw requests where the client would never send
such a body)."""

from __future__ import annotations

import datetime as dt

import pytest
import requests

from consultations.kairo import contract
from consultations.kairo.client import KairoError, KairoOutcome
from tests.consultations.kairo.conftest import START, booking, patient_data, provider_data

AUTH = {"X-API-Key": "sandbox-key", "X-API-Secret": "sandbox-secret"}


def _refusal(kairo_client, request) -> KairoError:
    with pytest.raises(KairoError) as caught:
        kairo_client.create_consultation(request)
    error = caught.value
    assert error.status == 400
    assert error.outcome == KairoOutcome.REJECTED
    return error


def _raw_create(server, body) -> requests.Response:
    return requests.post(f"{server.base_url}/consultations", json=body, headers=AUTH, timeout=5)


def _valid_body(kairo_client) -> dict:
    return kairo_client.payload_for(booking())


# --- Lengths at their boundaries ------------------------------------------------------------


@pytest.mark.parametrize(("length", "ok"), [(9, False), (10, True), (50, True), (51, False)])
def test_provider_name_length(kairo_client, length, ok):
    request = booking(provider=provider_data(name="A" * length))
    if ok:
        assert kairo_client.create_consultation(request).status == "Pending"
    else:
        error = _refusal(kairo_client, request)
        assert error.code == "VALIDATION_ERROR"
        assert list(error.field_errors) == ["provider.name"]


@pytest.mark.parametrize("party", ["provider", "patient"])
@pytest.mark.parametrize(("length", "ok"), [(7, False), (8, True), (20, True), (21, False)])
def test_document_number_length(kairo_client, party, length, ok):
    number = "1" * length
    request = (
        booking(provider=provider_data(document_number=number))
        if party == "provider"
        else booking(patient=patient_data(document_number=number))
    )
    if ok:
        assert kairo_client.create_consultation(request).status == "Pending"
    else:
        error = _refusal(kairo_client, request)
        assert error.code == "VALIDATION_ERROR"
        assert list(error.field_errors) == [f"{party}.documentNumber"]


# --- Durations ------------------------------------------------------------------------------


@pytest.mark.parametrize("minutes", contract.ALLOWED_DURATIONS)
def test_every_allowed_duration_is_accepted(kairo_client, minutes):
    result = kairo_client.create_consultation(booking(duration_minutes=minutes))
    assert result.duration_minutes == minutes
    assert result.expires_at == START + dt.timedelta(hours=1, minutes=minutes)


@pytest.mark.parametrize("minutes", [55, 0, 5, 61, 90])
def test_other_durations_are_refused(kairo_client, minutes):
    error = _refusal(kairo_client, booking(duration_minutes=minutes))
    assert error.code == "VALIDATION_ERROR"
    assert list(error.field_errors) == ["durationMinutes"]


@pytest.mark.parametrize("value", [None, "30", 30.0, True])
def test_missing_or_mistyped_duration_is_refused(kairo_client, sandbox_server, value):
    body = _valid_body(kairo_client)
    if value is None:
        del body["durationMinutes"]
    else:
        body["durationMinutes"] = value
    response = _raw_create(sandbox_server, body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert list(response.json()["error"]["details"]) == ["durationMinutes"]


# --- scheduledAt ----------------------------------------------------------------------------


def test_exactly_fifteen_minutes_ahead_is_accepted(kairo_client, clock):
    clock.set(START)  # 10:00:00
    result = kairo_client.create_consultation(
        booking(scheduled_at=START + dt.timedelta(minutes=15))
    )
    assert result.scheduled_at == START + dt.timedelta(minutes=15)


def test_fourteen_minutes_fifty_nine_seconds_ahead_is_too_soon(kairo_client, clock):
    clock.set(START + dt.timedelta(seconds=1))  # 10:00:01; 10:15 is 14:59 ahead
    error = _refusal(kairo_client, booking(scheduled_at=START + dt.timedelta(minutes=15)))
    assert error.code == "INVALID_DATE_TOO_SOON"
    assert list(error.field_errors) == ["scheduledAt"]


def test_one_minute_ahead_is_too_soon(kairo_client):
    error = _refusal(kairo_client, booking(scheduled_at=START + dt.timedelta(minutes=1)))
    assert error.code == "INVALID_DATE_TOO_SOON"


@pytest.mark.parametrize(
    "offset", [dt.timedelta(0), dt.timedelta(minutes=-1), dt.timedelta(days=-3)]
)
def test_now_or_past_is_refused(kairo_client, offset):
    error = _refusal(kairo_client, booking(scheduled_at=START + offset))
    assert error.code == "INVALID_DATE_PAST"
    assert list(error.field_errors) == ["scheduledAt"]


def test_absent_scheduled_at_is_an_immediate_consultation(kairo_client):
    result = kairo_client.create_consultation(booking(scheduled_at=None, duration_minutes=20))
    assert result.scheduled_at is None
    assert result.expires_at == START + dt.timedelta(minutes=20)  # creation time + duration


@pytest.mark.parametrize(
    "value",
    [
        "2030/03/14 11:00",
        "2030-03-14T11:00",
        "2030-03-14 11:00:00",
        "14-03-2030 11:00",
        "2030-03-14",
        "2030-02-30 11:00",
        "2030-03-14 24:00",
        "",
        1893456000,
    ],
)
def test_malformed_dates_are_refused(kairo_client, sandbox_server, value):
    body = _valid_body(kairo_client)
    body["scheduledAt"] = value
    response = _raw_create(sandbox_server, body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "INVALID_DATE_FORMAT"
    assert list(response.json()["error"]["details"]) == ["scheduledAt"]


# --- Specialty rules ------------------------------------------------------------------------


def test_specialist_with_a_specialty_is_accepted(kairo_client):
    provider = provider_data(professional_type="MedicoEspecialista", medical_specialty_code="CA003")
    result = kairo_client.create_consultation(booking(provider=provider))
    assert result.status == "Pending"


def test_specialist_without_a_specialty_is_refused(kairo_client):
    provider = provider_data(professional_type="MedicoEspecialista")
    error = _refusal(kairo_client, booking(provider=provider))
    assert error.code == "SPECIALTY_REQUIRED"
    assert list(error.field_errors) == ["provider.medicalSpecialtyCode"]


def test_specialist_with_an_unknown_specialty_is_refused(kairo_client):
    provider = provider_data(professional_type="MedicoEspecialista", medical_specialty_code="ZZ999")
    error = _refusal(kairo_client, booking(provider=provider))
    assert error.code == "VALIDATION_ERROR"
    assert list(error.field_errors) == ["provider.medicalSpecialtyCode"]


@pytest.mark.parametrize("professional_type", ["MedicoGeneral", "Psicologo"])
def test_non_specialist_with_a_specialty_is_refused(kairo_client, professional_type):
    provider = provider_data(professional_type=professional_type, medical_specialty_code="CA003")
    error = _refusal(kairo_client, booking(provider=provider))
    assert error.code == "INVALID_SPECIALTY_FOR_PROFESSIONAL_TYPE"
    assert list(error.field_errors) == ["provider.medicalSpecialtyCode"]


# --- Formats and catalogs ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_factory", "path"),
    [
        (lambda: booking(provider=provider_data(document_type="DNI")), "provider.documentType"),
        (lambda: booking(patient=patient_data(document_type="NIT")), "patient.documentType"),
        (lambda: booking(provider=provider_data(phone="3001234567")), "provider.phone"),
        (lambda: booking(patient=patient_data(phone="+57 300 123")), "patient.phone"),
        (lambda: booking(provider=provider_data(email="ana.example")), "provider.email"),
        (lambda: booking(patient=patient_data(email="juan@")), "patient.email"),
        (lambda: booking(patient=patient_data(name="  ")), "patient.name"),
        (
            lambda: booking(provider=provider_data(professional_type="Curandero")),
            "provider.professionalType",
        ),
        (lambda: booking(consultation_type="ConsultaMagica"), "consultationType"),
    ],
)
def test_format_and_catalog_errors(kairo_client, request_factory, path):
    error = _refusal(kairo_client, request_factory())
    assert error.code == "VALIDATION_ERROR"
    assert list(error.field_errors) == [path]


@pytest.mark.parametrize("code", [row.code for row in contract.CONSULTATION_TYPES])
def test_every_catalog_consultation_type_is_known(kairo_client, code):
    assert kairo_client.create_consultation(booking(consultation_type=code)).status == "Pending"


@pytest.mark.parametrize(
    "missing",
    [
        "provider",
        "patient",
        "consultationType",
        "provider.name",
        "provider.documentType",
        "provider.documentNumber",
        "provider.professionalType",
        "provider.phone",
        "provider.email",
        "patient.documentType",
        "patient.documentNumber",
        "patient.name",
        "patient.phone",
        "patient.email",
    ],
)
def test_each_required_field(kairo_client, sandbox_server, missing):
    body = _valid_body(kairo_client)
    section, _, key = missing.rpartition(".")
    del (body[section] if section else body)[key]
    response = _raw_create(sandbox_server, body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert list(error["details"]) == [missing]


def test_every_problem_is_reported_and_the_first_sets_the_code(kairo_client):
    request = booking(
        provider=provider_data(name="Ana", professional_type="MedicoEspecialista"),
        patient=patient_data(email="nope"),
        duration_minutes=55,
        scheduled_at=START + dt.timedelta(minutes=5),
    )
    error = _refusal(kairo_client, request)
    assert error.code == "VALIDATION_ERROR"
    assert set(error.field_errors) == {
        "provider.name",
        "provider.medicalSpecialtyCode",
        "patient.email",
        "durationMinutes",
        "scheduledAt",
    }


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b"\xff\xfe"])
def test_a_body_that_is_not_an_object_is_refused(sandbox_server, body):
    response = requests.post(
        f"{sandbox_server.base_url}/consultations",
        data=body,
        headers={**AUTH, "Content-Type": "application/json"},
        timeout=5,
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_extra_request_fields_are_ignored(kairo_client, sandbox_server):
    body = _valid_body(kairo_client)
    body["priority"] = "high"
    body["provider"]["nickname"] = "Ana"
    assert _raw_create(sandbox_server, body).status_code == 200


def test_messages_never_repeat_the_submitted_value(kairo_client):
    secret_email = "very.private.person@correo.example.co"
    request = booking(patient=patient_data(email=secret_email + " x"))
    error = _refusal(kairo_client, request)
    assert secret_email not in str(error.field_errors)
    assert secret_email not in error.message
