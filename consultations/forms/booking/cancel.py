"""The cancel form: why a consultation is cancelled."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from consultations.forms.errors import service_errors_add


class CancelForm(forms.Form):
    """Why a consultation is cancelled (recorded with who and when)."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept with the consultation; do not write clinical details here."),
    )

    def add_service_errors(self, error: ValidationError) -> None:
        service_errors_add(self, error)
