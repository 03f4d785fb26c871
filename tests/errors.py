"""Error codes: what the tests compare, rather than the (translated) messages.

- `error_codes(error)`: a `ValidationError`'s codes by field (a model's `clean`, a
  service, a rule); one raised for no field has its codes under `__all__`.
- `form_error_codes(form)`: a bound form's errors, by field (`__all__` for the errors of
  no field); for a page, pass `response.context["form"]`.
- `refusal_codes(call)`: what `call()` is refused with, as `error_codes`; `{}` when it
  passes, so a test of "this is allowed" asserts `refusal_codes(...) == {}`.
- `code_of(call)`: the code of the one `ValidationError` that `call()` must raise.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.forms import BaseForm


def error_codes(error: ValidationError) -> dict[str, list[str | None]]:
    by_field = error.update_error_dict({})
    return {field: [item.code for item in items] for field, items in by_field.items()}


def form_error_codes(form: BaseForm) -> dict[str, list[str | None]]:
    return {field: [item.code for item in items] for field, items in form.errors.as_data().items()}


def refusal_codes(call: Callable[[], object]) -> dict[str, list[str | None]]:
    try:
        call()
    except ValidationError as error:
        return error_codes(error)
    return {}


def code_of(call) -> str:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.code
