"""GET forms of the read pages: the agenda's day, the consultations filter, directory search.

They only parse and validate what a user can type into a URL; every bad value becomes a
field error (never an exception), and the selectors receive plain, typed values.

Plain forms, not django-filter: the day filters need the organization's day bounds
(a `DateFilter` would compare a naive midnight), the provider and type choices are read
in one query with "(inactive)" labels, a bad value must refuse the whole filter (a
FilterSet filters by whichever fields happened to be valid), and the directory and
booking pages share `SearchForm`; django-filter would save about a dozen lines.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from consultations.forms.widgets import PlainSelect
from consultations.models import (
    ConsultationStatus,
    ConsultationType,
    Provider,
    document_number_normalize,
    name_search_key,
)

# Days outside this range are refused: they make no sense for a booking desk, and the
# extremes of Python's calendar (year 1 or 9999) overflow once shifted to UTC.
FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2099, 12, 31)

# A name fragment shorter than a trigram cannot use the PostgreSQL trigram index, and
# matches half the directory anyway.
NAME_FRAGMENT_MIN = 3
SEARCH_MAX = 100


class DayField(forms.DateField):
    """A calendar day as an HTML date input sends it (YYYY-MM-DD), within a sane range."""

    widget = forms.DateInput(
        format="%Y-%m-%d",
        attrs={
            "type": "date",
            "min": FIRST_DAY.isoformat(),
            "max": LAST_DAY.isoformat(),
        },
    )

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("input_formats", ["%Y-%m-%d", "%d/%m/%Y"])
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.validators += [MinValueValidator(FIRST_DAY), MaxValueValidator(LAST_DAY)]


class SearchForm(forms.Form):
    """One search box: a document number (it has a digit) or else a patient's name fragment.

    `cleaned_data` gains `document_number` (normalized as stored, by
    `document_number_normalize`: no dots, spaces or hyphens, upper case) and `name_fragment` (whitespace collapsed, as names are stored; the
    selectors ignore its accents and case); at most one of them is non-empty.
    """

    q = forms.CharField(
        label=_("Name or document"),
        required=False,
        max_length=SEARCH_MAX,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
        help_text=_("A document number, or at least 3 letters of the name."),
    )

    def clean_q(self) -> str:
        text = " ".join(self.cleaned_data["q"].split())
        # Counted as searched (accents and case ignored), so that a fragment of stray
        # combining marks cannot pass as three letters.
        if (
            text
            and not _looks_like_document(text)
            and len(name_search_key(text)) < NAME_FRAGMENT_MIN
        ):
            raise forms.ValidationError(
                _("Type at least %(count)d letters of the name, or a document number."),
                code="too_short",
                params={"count": NAME_FRAGMENT_MIN},
            )
        return text

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        text = cleaned.get("q") or ""
        if _looks_like_document(text):
            cleaned["document_number"] = document_number_normalize(text)
            cleaned["name_fragment"] = ""
        else:
            cleaned["document_number"] = ""
            cleaned["name_fragment"] = text
        return cleaned


def _looks_like_document(text: str) -> bool:
    return any(character.isdigit() for character in text)


class AgendaDayForm(forms.Form):
    date = DayField(label=_("Go to day"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # agenda.js submits the picker on change (the button stays for no-JS browsers).
        self.fields["date"].widget.attrs["class"] = "js-submit-on-change"


class AgendaColumnsForm(forms.Form):
    """Which of the day's columns the agenda shows: every provider or only those with a
    consultation that day, and which page of columns. A value that cannot be read is
    the default (all providers, first page): nothing to report, the page stays usable."""

    BUSY = "busy"

    providers = forms.ChoiceField(
        label=_("Providers"),
        required=False,
        choices=[("", _("All providers")), (BUSY, _("Only providers with consultations"))],
    )
    page = forms.IntegerField(required=False, min_value=1, max_value=10_000)

    def choice(self) -> tuple[bool, int]:
        """(busy only, page) as asked, or the defaults for what cannot be read."""
        if not self.is_valid():
            return False, 1
        return self.cleaned_data["providers"] == self.BUSY, self.cleaned_data["page"] or 1


class ConsultationFilterForm(SearchForm):
    """The consultations list's filters; the same ones shape its CSV export.

    Provider and type choices are read once, in `__init__`, and validated against that
    list (no query per cleaned field); inactive rows are offered too, since old
    consultations use them.
    """

    # A directory's hundreds of providers: options written without a template each.
    provider = forms.TypedChoiceField(
        label=_("Provider"), required=False, coerce=int, empty_value=None, widget=PlainSelect
    )
    consultation_type = forms.TypedChoiceField(
        label=_("Consultation type"),
        required=False,
        coerce=int,
        empty_value=None,
        widget=PlainSelect,
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *ConsultationStatus.choices],
    )
    date_from = DayField(label=_("From"))
    date_to = DayField(label=_("To"))
    # Set by the "all consultations" link of a patient's page; not shown as a field.
    patient = forms.IntegerField(
        required=False, min_value=1, max_value=2**62, widget=forms.HiddenInput
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.TypedChoiceField, self.fields["provider"]).choices = [
            ("", _("All providers")),
            *(
                (pk, name if active else _("%(name)s (inactive)") % {"name": name})
                for pk, name, active in Provider.objects.order_by("name", "pk").values_list(
                    "pk", "name", "is_active"
                )
            ),
        ]
        cast(forms.TypedChoiceField, self.fields["consultation_type"]).choices = [
            ("", _("All types")),
            *ConsultationType.objects.order_by("name", "pk").values_list("pk", "name"),
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error(
                "date_to",
                forms.ValidationError(
                    _("The end of the range is before its start."), code="range_reversed"
                ),
            )
        return cleaned


class ExportFormatForm(forms.Form):
    """Which kind of CSV the consultations export writes (`?format=`): "excel" for Excel
    with Colombian regional settings, whose list separator is ";" (the comma is the
    decimal mark there), or "csv", comma-separated, for other programs. Default "csv"."""

    format = forms.ChoiceField(
        label=_("Export format"),
        required=False,
        choices=[("excel", _("Excel (Colombia)")), ("csv", _("CSV"))],
    )

    def clean_format(self) -> str:
        return self.cleaned_data["format"] or "csv"
