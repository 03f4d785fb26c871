"""Putting what a service refused back on the form that asked for it."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.core.exceptions import ValidationError

# Codes of messages a form adds beside an error to help fix it (the provider's next free
# times after an overlap): shown at their field, but not counted or listed as errors.
NEXT_FREE_STARTS, NO_FREE_STARTS = "next_free_starts", "no_free_starts"
HINT_CODES: frozenset[str] = frozenset({NEXT_FREE_STARTS, NO_FREE_STARTS})


def service_errors_add(
    form: forms.BaseForm, error: ValidationError, fields: Mapping[str, str] | None = None
) -> None:
    """Add a service's ValidationError to `form`, each key on the field `fields` maps it
    to (the same name by default). Errors without a key, or keyed by something the form
    has no field for, become non-field errors: shown, never lost."""
    for key, errors in error.update_error_dict({}).items():
        field = (fields or {}).get(key, key)
        form.add_error(field if field in form.fields else None, errors)
