"""The error summary a refused form shows: each field error a link to its field."""

from __future__ import annotations

from django import forms
from django.template import Context, Template
from django.utils import translation


class _Form(forms.Form):
    name = forms.CharField(label="Name")
    when = forms.ChoiceField(label="When", choices=[("a", "A")], widget=forms.RadioSelect)
    token = forms.CharField(widget=forms.HiddenInput)

    def clean(self):
        raise forms.ValidationError("Nothing fits.", code="whole_form")


def _render(form) -> str:
    with translation.override("en"):
        if form is not None:
            form.full_clean()
        return Template("{% load error_summary %}{% error_summary form %}").render(
            Context({"form": form})
        )


def test_lists_every_error_with_a_link_to_its_field():
    html = _render(_Form(data={}))
    assert 'id="error-summary"' in html and 'tabindex="-1"' in html
    assert '<a class="alert-link" href="#id_name">Name: This field is required.</a>' in html
    assert 'href="#id_when_0"' in html  # a radio group links to its first choice
    assert "<li>Nothing fits.</li>" in html  # the whole form's error: nothing to link
    assert "<li>This field is required.</li>" in html  # the hidden field's: no link
    assert "Please correct these 4 errors:" in html


def test_renders_nothing_for_a_valid_or_unbound_form():
    assert "error-summary" not in _render(_Form())
    assert "error-summary" not in _render(None)


class _HintedForm(forms.Form):
    time = forms.CharField(label="Time")

    def clean(self):
        self.add_error("time", forms.ValidationError("Taken.", code="provider_busy"))
        self.add_error("time", forms.ValidationError("Next free: 10:30.", code="next_free_starts"))


def test_a_hint_beside_an_error_is_not_counted_or_listed_as_one():
    html = _render(_HintedForm(data={"time": "10:00"}))
    assert "Time: Taken." in html
    assert "Next free" not in html
    assert "Please correct this error:" in html
