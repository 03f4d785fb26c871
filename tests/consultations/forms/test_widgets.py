"""PlainSelect writes Django's own select markup, without a template per option."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.urls import reverse

from consultations.forms.filters import ConsultationFilterForm
from consultations.forms.widgets import PlainSelect
from tests.factories import ProviderFactory

pytestmark = pytest.mark.django_db


def _tight(markup: str) -> str:
    return re.sub(r">\s+<", "><", str(markup)).strip()


CHOICES = [
    ("", "Todos"),
    (1, 'Dra. <Ana> & "Co"\'s'),
    (2, "Dr. Ñandú"),
    (2, "Dr. Ñandú again"),
    (None, "Nothing"),
]


@pytest.mark.parametrize("value", [None, "", "1", 2, "2", "99", ["1", "2"]])
@pytest.mark.parametrize(
    "attrs",
    [
        {"id": "id_provider"},
        {"id": "id_x", "class": "form-select is-invalid", "aria-invalid": "true", "required": True},
        {"disabled": False, "data-x": 'a"b'},
    ],
)
def test_the_markup_is_djangos(value, attrs):
    fast = PlainSelect(choices=CHOICES).render("provider", value, attrs=attrs)
    slow = forms.Select(choices=CHOICES).render("provider", value, attrs=attrs)
    assert _tight(fast) == _tight(slow)


def test_grouped_choices_are_left_to_django():
    grouped = [("Group", [(1, "One"), (2, "Two")]), (3, "Three")]
    fast = PlainSelect(choices=grouped).render("g", "2")
    assert _tight(fast) == _tight(forms.Select(choices=grouped).render("g", "2"))
    assert "<optgroup" in fast


def test_the_filter_form_keeps_the_chosen_provider_and_its_label():
    ProviderFactory(name="Dra. Antes")
    chosen = ProviderFactory(name="Dra. Elegida")
    field = ConsultationFilterForm({"provider": str(chosen.pk)})["provider"]
    html = str(field)
    assert f'<option value="{chosen.pk}" selected>Dra. Elegida</option>' in html
    assert html.count(" selected") == 1
    assert 'id="id_provider"' in html and field.id_for_label == "id_provider"


def test_the_list_page_shows_the_provider_filter_labelled_and_kept(reception_client):
    chosen = ProviderFactory(name="Dra. Filtrada")
    html = reception_client.get(
        reverse("consultation_list"), {"provider": chosen.pk}
    ).content.decode()
    assert re.search(
        r'<label\s+for="id_provider" class="form-label">\s*Profesional\s*</label>', html
    )
    assert re.search(
        r'<select name="provider" class="[^"]*form-select[^"]*" id="id_provider">', html
    )
    assert f'<option value="{chosen.pk}" selected>Dra. Filtrada</option>' in html
