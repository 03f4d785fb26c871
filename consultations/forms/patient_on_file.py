"""The patient on file: a registered patient's record beside what the booking form typed.

When the document typed on the booking form belongs to a registered patient, the form
shows that patient's current name, phone, email and language next to the typed values,
marks each one sending would change ("will update this patient"), and offers the
confirmation a change of name needs (`rules.patient_name_change_check`). The booking
form builds it from its cleaned data; `PatientOnFileForm` does the same for the page's
script, from the fields as they are being typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db import models

from consultations.forms.directory import name_change_label
from consultations.models import Language, Patient
from consultations.selectors.booking import patient_by_document

COMPARED_FIELDS = ("name", "phone", "email", "preferred_language")

UPDATES = "updates"  # sending changes this field of the patient
NEEDS_CONFIRMATION = "needs_confirmation"  # the name: only with the box ticked


@dataclass(frozen=True)
class OnFileRow:
    field: str
    label: str
    stored: str
    typed: str
    status: str  # "", UPDATES or NEEDS_CONFIRMATION


@dataclass(frozen=True)
class PatientOnFile:
    patient_id: int
    rows: tuple[OnFileRow, ...]
    name_change_label: str | None  # set when the typed name differs from the stored one

    @property
    def changes(self) -> tuple[str, ...]:
        return tuple(row.field for row in self.rows if row.status)


def patient_on_file(*, stored: Patient, typed: Mapping[str, Any]) -> PatientOnFile:
    """`stored` beside the `typed` values (cleaned; a field missing or empty is not a
    change: the form reports it on its field)."""
    rows = []
    name_label = None
    for field in COMPARED_FIELDS:
        before = _text(field, getattr(stored, field))
        after = _text(field, typed.get(field))
        status = ""
        if after and after != before:
            status = NEEDS_CONFIRMATION if field == "name" else UPDATES
            if field == "name":
                name_label = name_change_label(old=before, new=after)
        rows.append(
            OnFileRow(
                field=field,
                label=_label(field),
                stored=_shown(field, before),
                typed=_shown(field, after),
                status=status,
            )
        )
    return PatientOnFile(patient_id=stored.pk, rows=tuple(rows), name_change_label=name_label)


def _label(field: str) -> str:
    model_field = Patient._meta.get_field(field)
    assert isinstance(model_field, models.Field)  # COMPARED_FIELDS are the patient's own
    return str(model_field.verbose_name).capitalize()


def _text(field: str, value: Any) -> str:
    text = "" if value is None else str(value)
    return " ".join(text.split()) if field == "name" else text.strip()


def _shown(field: str, value: str) -> str:
    if field == "preferred_language":
        return str(dict(Language.choices).get(value, value))
    return value


class PatientOnFileForm(forms.Form):
    """The booking form's patient fields as typed so far, none required (the script
    asks while the receptionist types); `on_file()` is the patient they name, if any."""

    document_type = Patient._meta.get_field("document_type").formfield(required=False)
    document_number = Patient._meta.get_field("document_number").formfield(required=False)
    name = Patient._meta.get_field("name").formfield(required=False)
    phone = Patient._meta.get_field("phone").formfield(required=False)
    email = Patient._meta.get_field("email").formfield(required=False)
    preferred_language = Patient._meta.get_field("preferred_language").formfield(required=False)
    name_change_confirmed = forms.BooleanField(required=False)

    def on_file(self) -> PatientOnFile | None:
        self.is_valid()  # each valid field counts; an invalid one is simply not compared
        document_type = self.cleaned_data.get("document_type")
        document_number = self.cleaned_data.get("document_number")
        if not document_type or not document_number:
            return None
        stored = patient_by_document(document_type=document_type, document_number=document_number)
        if stored is None:
            return None
        return patient_on_file(stored=stored, typed=self.cleaned_data)
