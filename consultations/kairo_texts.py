"""Kairo Connect's refusals and statuses in the staff language, keyed by code.

Kairo's own `message` is English and written for developers; staff read these texts
instead (the form, the result and detail pages, refresh messages, the timeline), and
Kairo's message stays available beside them as a detail. Codes: docs/kairo-connect-api.md
"Errors", the rate limit (contract "Access"), and the client's own outcome codes
(`consultations.kairo.client.errors`). The Kairo package itself knows nothing of this.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from consultations.kairo import client as kairo
from consultations.kairo import contract

# Contract "Errors", each code once.
CONTRACT_ERROR_CODES: tuple[str, ...] = (
    contract.ERROR_VALIDATION,
    contract.ERROR_INVALID_DATE_FORMAT,
    contract.ERROR_INVALID_DATE_PAST,
    contract.ERROR_INVALID_DATE_TOO_SOON,
    contract.ERROR_SPECIALTY_REQUIRED,
    contract.ERROR_INVALID_SPECIALTY,
    contract.ERROR_PROVIDER_NOT_AVAILABLE,
    contract.ERROR_PATIENT_NOT_AVAILABLE,
    contract.ERROR_CONSULTATION_NOT_FOUND,
    contract.ERROR_API_KEY_INVALID,
)

# The booking service's code for a failure that is neither Kairo's nor the client's.
UNEXPECTED_ERROR = "UNEXPECTED_ERROR"
# The client's code for a 409 whose body names no party.
CONFLICT = "CONFLICT"

KAIRO_ERROR_TEXTS: dict[str, Promise] = {
    contract.ERROR_VALIDATION: _("Kairo Connect found data it does not accept in the request."),
    contract.ERROR_INVALID_DATE_FORMAT: _("Kairo Connect could not read the date and time sent."),
    contract.ERROR_INVALID_DATE_PAST: _("Kairo Connect says that this time has already passed."),
    contract.ERROR_INVALID_DATE_TOO_SOON: _(
        "Kairo Connect needs at least 15 minutes' notice for a scheduled consultation."
    ),
    contract.ERROR_SPECIALTY_REQUIRED: _(
        "Kairo Connect needs a specialty for a specialist provider; the provider's record has none."
    ),
    contract.ERROR_INVALID_SPECIALTY: _(
        "Kairo Connect does not accept a specialty for this provider's professional type."
    ),
    contract.ERROR_PROVIDER_NOT_AVAILABLE: _(
        "Kairo Connect reports that the provider has another consultation at that time."
    ),
    contract.ERROR_PATIENT_NOT_AVAILABLE: _(
        "Kairo Connect reports that the patient has another consultation at that time."
    ),
    contract.ERROR_CONSULTATION_NOT_FOUND: _("Kairo Connect does not know this consultation."),
    contract.ERROR_API_KEY_INVALID: _(
        "Kairo Connect refused the clinic's credentials; an administrator must check the "
        "Kairo Connect settings."
    ),
    contract.ERROR_RATE_LIMITED: _(
        "Too many calls to Kairo Connect in the last hour; try again later."
    ),
    CONFLICT: _("Kairo Connect reports that this time is not available."),
    kairo.CONNECTION_FAILED: _("Could not connect to Kairo Connect; nothing was sent."),
    kairo.TIMEOUT: _("Kairo Connect did not answer in time."),
    kairo.CONNECTION_LOST: _("The connection to Kairo Connect broke before its answer arrived."),
    kairo.SERVER_ERROR: _("Kairo Connect reported an internal error."),
    kairo.MALFORMED_RESPONSE: _("Kairo Connect answered, but its answer could not be read."),
    kairo.ENDPOINT_NOT_FOUND: _(
        "The Kairo Connect address in the settings does not offer this service; an "
        "administrator must check it."
    ),
    kairo.REDIRECTED: _(
        "Kairo Connect answered with a redirect: the Kairo Connect address in the settings "
        "is wrong."
    ),
    kairo.FORBIDDEN: _("Kairo Connect does not allow this call with the clinic's credentials."),
    kairo.TLS_ERROR: _("Could not open a secure connection to Kairo Connect."),
    kairo.INVALID_BASE_URL: _("The Kairo Connect address in the settings cannot be used."),
    kairo.INVALID_CREDENTIALS: _(
        "The clinic's Kairo Connect credentials contain characters that cannot be sent."
    ),
    UNEXPECTED_ERROR: _("The call to Kairo Connect failed in an unexpected way."),
}
KAIRO_ERROR_OTHER = _("Kairo Connect refused the request.")

# Contract "Lifecycle": the wire statuses, as staff read them.
KAIRO_STATUS_TEXTS: dict[str, Promise] = {
    contract.STATUS_PENDING: _("waiting to start"),
    contract.STATUS_IN_PROGRESS: _("in progress"),
    contract.STATUS_COMPLETED: _("completed"),
    contract.STATUS_EXPIRED: _("expired"),
}


def kairo_error_text(code: str | None) -> str:
    """What `code` means, in the active language; a code nobody knows (a new Kairo code,
    `HTTP_418`) gets the generic refusal."""
    return str(KAIRO_ERROR_TEXTS.get(code or "", KAIRO_ERROR_OTHER))


def kairo_status_text(status: str | None) -> str:
    """Kairo's status of a consultation in the active language; one contract
    "Lifecycle" does not list is shown as Kairo sent it."""
    text = KAIRO_STATUS_TEXTS.get(status or "")
    return str(text) if text is not None else str(status or "")
