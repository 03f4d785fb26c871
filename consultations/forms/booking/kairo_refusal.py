"""Kairo's refusal of a booking, put back on the booking form: its reasons on the
fields they concern, and a summary naming the requestId."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from consultations.kairo import contract
from consultations.kairo.client import KairoError, KairoOutcome
from consultations.kairo_texts import kairo_error_text

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Where a Kairo `details` path lands on this form (docs/kairo-connect-api.md "Envelope",
# Decision: keyed by the request field path). Every `provider.*` path lands on the
# provider choice: the receptionist cannot fix a provider's record from here, only see
# which field is wrong.
KAIRO_FIELDS: dict[str, str] = {
    "patient": "document_number",  # a 409 for the patient (identity = the document)
    "patient.documentType": "document_type",
    "patient.documentNumber": "document_number",
    "patient.name": "name",
    "patient.phone": "phone",
    "patient.email": "email",
    "consultationType": "consultation_type",
    "durationMinutes": "duration",
    "scheduledAt": "scheduled_time",
}


def kairo_field(path: str) -> str | None:
    """The booking form's field a Kairo `details` path lands on (None: the form as a
    whole)."""
    if path == "provider" or path.startswith("provider."):
        return "provider"
    return KAIRO_FIELDS.get(path)


def kairo_refusal_add(form: forms.BaseForm, error: KairoError) -> None:
    """Kairo's refusal on the booking `form`: its reasons on the fields they concern, and
    a summary naming the requestId (its support asks for it), in the staff language by
    Kairo's code."""
    reason = kairo_error_text(error.code)
    if error.outcome == KairoOutcome.CONFIGURATION:
        form.add_error(
            None,
            ValidationError(
                _(
                    "Kairo Connect refused the clinic's credentials or address, so nothing "
                    "was booked. Ask an administrator to check the Kairo Connect settings "
                    "(requestId: %(request_id)s)."
                ),
                code="kairo_configuration",
                params={"request_id": error.request_id or "—"},
            ),
        )
        return
    placed = False
    for path in sorted(error.field_errors):
        field = kairo_field(path)
        text: StrOrPromise
        if field == "provider" and path != "provider":
            text = _(
                "Kairo Connect does not accept the provider's record (%(path)s); ask an "
                "administrator to correct it."
            ) % {"path": path}
        elif error.code == contract.ERROR_VALIDATION and field is not None:
            text = _(
                "Kairo Connect does not accept this value; its own message is under "
                '"Kairo Connect\'s message".'
            )
        else:
            text = reason
        # One error per field: Kairo's messages for it are in the details.
        _add_after_clean(form, field, ValidationError(text, code=error.code))
        placed = placed or field is not None
    # A 409 names the busy party; when Kairo gave no details, say it on that field.
    party_fields = {"provider": "provider", "patient": "document_number"}
    if not error.field_errors and error.party in party_fields:
        _add_after_clean(form, party_fields[error.party], ValidationError(reason, code=error.code))
        placed = True
    summary = (
        _(
            "Kairo Connect refused the booking (%(code)s, requestId: %(request_id)s); "
            "see the fields marked below. Nothing was booked."
        )
        if placed
        else _(
            "Kairo Connect refused the booking (%(code)s, requestId: %(request_id)s): "
            "%(message)s Nothing was booked."
        )
    )
    _add_after_clean(
        form,
        None,
        ValidationError(
            summary,
            code="kairo_rejected",
            params={
                "code": error.code,
                "request_id": error.request_id or "—",
                "message": reason,
            },
        ),
    )


def _add_after_clean(form: forms.BaseForm, field: str | None, error: ValidationError) -> None:
    # add_error() drops the field from cleaned_data; after a refusal that is harmless.
    form.add_error(field if field in form.fields else None, error)
