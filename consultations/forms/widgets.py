"""Widgets whose markup is Django's own, written faster."""

from __future__ import annotations

import html
from typing import Any

from django import forms
from django.utils.safestring import SafeString, mark_safe


class PlainSelect(forms.Select):
    """A `<select>` whose options are written in Python rather than one template
    include per option, with the markup Django's `Select` writes (the same attributes,
    the same first selected option).

    Django renders every `<option>` through the form renderer's template: with a
    directory's 200 providers that was most of the consultations list's time. Crispy
    forms still draws the label, help and errors around it (it calls `render`). Grouped
    choices are left to Django.
    """

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        choices = list(self.choices)
        if any(isinstance(label, (list, tuple)) for _value, label in choices):
            return super().render(name, value, attrs, renderer)
        final_attrs = {"name": name, **self.build_attrs(self.attrs, attrs)}
        wanted = set(self.format_value(value))
        has_selected = False
        options = []
        for option_value, label in choices:
            text = "" if option_value is None else str(option_value)
            selected = (not has_selected or self.allow_multiple_selected) and text in wanted
            has_selected |= selected
            # Django's `escape` is this same call, behind a lazy-aware wrapper that costs
            # more than the escaping for hundreds of options.
            options.append(
                f'<option value="{html.escape(text)}"{" selected" if selected else ""}>'
                f"{html.escape(str(label))}</option>"
            )
        # Safe: every value and label above, and every attribute, went through html.escape.
        markup = f"<select{_attributes(final_attrs)}>{''.join(options)}</select>"
        return mark_safe(markup)  # noqa: S308


def _attributes(attrs: dict[str, Any]) -> str:
    """The attributes as Django's widget template writes them: in order, True as a bare
    name, False left out (`flatatt` would sort them)."""
    return "".join(
        f" {name}" if value is True else f' {name}="{html.escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )
