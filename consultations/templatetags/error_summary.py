"""The error summary a refused form shows at the top of its page: every error, each a
link to its field, so a keyboard or screen-reader user reaches each one (WCAG 3.3.1)."""

from __future__ import annotations

from django import forms, template
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from consultations.forms.errors import HINT_CODES

register = template.Library()


@register.inclusion_tag("includes/error_summary.html")
def error_summary(*forms_shown: forms.BaseForm | None) -> dict:
    """The errors of the given forms, in field order: (text, anchor id or "") pairs.
    Errors of hidden fields and of the whole form have nothing to link to."""
    errors: list[tuple[str, str]] = []
    for form in forms_shown:
        if form is None or not form.is_bound or not form.errors:
            continue
        data = form.errors.as_data()
        errors.extend((message, "") for message in _messages(data.get(NON_FIELD_ERRORS, [])))
        for field in form:
            anchor = "" if field.is_hidden else _anchor(field)
            label = "" if field.is_hidden else str(field.label or "")
            for message in _messages(data.get(field.name, [])):
                text = f"{label}: {message}" if label else message
                errors.append((text, anchor))
    return {"errors": errors}


def _messages(errors: list[ValidationError]) -> list[str]:
    """The messages of `errors`, hints left out (`HINT_CODES`: they stay at their field)."""
    return [
        message for error in errors if error.code not in HINT_CODES for message in error.messages
    ]


def _anchor(field: forms.BoundField) -> str:
    # A radio group's label points at no single input; link to its first choice.
    anchor = field.id_for_label
    if not anchor and field.auto_id and isinstance(field.field.widget, forms.RadioSelect):
        anchor = f"{field.auto_id}_0"
    return anchor or field.auto_id or ""
