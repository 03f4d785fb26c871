"""Error codes: what the tests compare, rather than the (translated) messages.

- `error_codes(error)`: a `ValidationError` raised with a dict (a model's `clean`, a
  service, a rule), its codes by field.
- `form_error_codes(form)`: a bound form's errors, by field (`__all__` for the errors of
  no field); for a page, pass `response.context["form"]`.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.forms import BaseForm


def error_codes(error: ValidationError) -> dict[str, list[str | None]]:
    return {field: [item.code for item in items] for field, items in error.error_dict.items()}


def form_error_codes(form: BaseForm) -> dict[str, list[str | None]]:
    return {field: [item.code for item in items] for field, items in form.errors.as_data().items()}
