"""Kairo Connect's codes and statuses in the staff language: every code has a text, an
unknown one the generic refusal."""

from __future__ import annotations

from django.utils import translation

from consultations.kairo import contract
from consultations.kairo.client import errors as client_errors
from consultations.kairo_texts import (
    CONTRACT_ERROR_CODES,
    KAIRO_ERROR_OTHER,
    KAIRO_ERROR_TEXTS,
    kairo_error_text,
    kairo_status_text,
)

# docs/kairo-connect-api.md "Errors", as the table lists them, and the rate limit of
# contract "Access".
CONTRACT_TABLE = (
    "VALIDATION_ERROR",
    "INVALID_DATE_FORMAT",
    "INVALID_DATE_PAST",
    "INVALID_DATE_TOO_SOON",
    "SPECIALTY_REQUIRED",
    "INVALID_SPECIALTY_FOR_PROFESSIONAL_TYPE",
    "PROVIDER_NOT_AVAILABLE",
    "PATIENT_NOT_AVAILABLE",
    "CONSULTATION_NOT_FOUND",
    "API_KEY_INVALID",
)


def _client_codes() -> set[str]:
    """The client's own outcome codes: the module's upper-case string constants."""
    return {
        value
        for name, value in vars(client_errors).items()
        if name.isupper() and isinstance(value, str) and name != "NON_FIELD_ERRORS"
    }


def _contract_error_codes() -> set[str]:
    return {
        value
        for name, value in vars(contract).items()
        if name.startswith("ERROR_") and isinstance(value, str)
    }


def test_every_code_has_a_text_whose_spanish_differs_from_its_english():
    codes = {*CONTRACT_TABLE, "RATE_LIMITED", *_contract_error_codes(), *_client_codes()}
    assert set(CONTRACT_ERROR_CODES) == set(CONTRACT_TABLE)
    missing = sorted(codes - set(KAIRO_ERROR_TEXTS))
    assert not missing, f"no text for {missing}"
    for code in codes:
        with translation.override("en"):
            english = kairo_error_text(code)
        with translation.override("es"):
            spanish = kairo_error_text(code)
        assert english and spanish and spanish != english, code


def test_an_unknown_code_gets_the_generic_refusal_in_each_language():
    with translation.override("es"):
        assert kairo_error_text("HTTP_418") == str(KAIRO_ERROR_OTHER)
        assert kairo_error_text(None) == "Kairo Connect rechazó la solicitud."
    with translation.override("en"):
        assert kairo_error_text("HTTP_418") == "Kairo Connect refused the request."


def test_kairo_statuses_are_worded_and_an_unknown_one_is_shown_as_sent():
    with translation.override("es"):
        assert kairo_status_text(contract.STATUS_PENDING) == "en espera de iniciar"
        assert kairo_status_text("Archived") == "Archived"
    with translation.override("en"):
        assert kairo_status_text(contract.STATUS_IN_PROGRESS) == "in progress"
