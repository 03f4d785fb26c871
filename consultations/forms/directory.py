"""Patient and provider ModelForms, used by the directory pages and the booking form."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from consultations import rules
from consultations.models import Consultation, MedicalSpecialty, Patient, ProfessionalType, Provider
from consultations.selectors.directory import provider_consultations_ahead

# django-phonenumber-field's own message names a national example number and its wording
# is not the desk's; this one is ours, in both languages, on every form with a phone.
PHONE_INVALID = _(
    "Enter a valid phone number, e.g. +57 300 123 4567 (a number without +57 is taken as "
    "Colombian)."
)


def phone_messages_set(form: forms.BaseForm) -> None:
    """Give the form's `phone` field, if any, the desk's "invalid" message."""
    if "phone" in form.fields:
        form.fields["phone"].error_messages["invalid"] = PHONE_INVALID


def name_change_label(*, old: str, new: str) -> str:
    """The confirmation box's label, naming both names."""
    return _("Update this patient's name from «%(old)s» to «%(new)s»") % {"old": old, "new": new}


class PatientForm(forms.ModelForm):
    """A patient's identity and contact details, and their data-processing authorization.

    The authorization checkbox maps to `services.patient_save(authorization_given=...)`,
    which records when, by whom and under which policy version. A registered patient's
    name changes only with `name_change_confirmed` ticked (`rules.patient_name_change_check`,
    checked again by the service); the box is offered only when the submitted name
    differs from the one on file, naming both (`name_change_pending`).
    """

    authorization = forms.BooleanField(
        label=_("The patient authorizes the processing of their data (Ley 1581 de 2012)"),
        required=False,
    )
    name_change_confirmed = forms.BooleanField(required=False)

    # The confirmation box, when offered, sits right under the name it confirms.
    field_order = ["document_type", "document_number", "name", "name_change_confirmed"]

    class Meta:
        model = Patient
        fields = [
            "document_type",
            "document_number",
            "name",
            "phone",
            "email",
            "preferred_language",
        ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["authorization"].initial = self.instance.data_processing_authorized
        self.fields["phone"].widget.attrs.setdefault("placeholder", "+57 300 123 4567")
        phone_messages_set(self)
        # What the patient is on file as, before the submitted values are applied.
        self.stored_patient: Patient | None = self.instance if self.instance.pk else None
        self.name_change_pending = False

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        self.match_stored_patient(cleaned)
        self._check_name_change(cleaned)
        return cleaned

    def match_stored_patient(self, cleaned: dict[str, Any]) -> None:
        """Which registered patient this form changes (`stored_patient`): here, the one
        it was opened for."""

    def _check_name_change(self, cleaned: dict[str, Any]) -> None:
        stored, name = self.stored_patient, cleaned.get("name") or ""
        self.name_change_pending = (
            stored is not None and bool(name) and " ".join(name.split()) != stored.name
        )
        if stored is not None and self.name_change_pending:
            self.fields["name_change_confirmed"].label = name_change_label(
                old=stored.name, new=" ".join(name.split())
            )
        try:
            rules.patient_name_change_check(
                stored=stored, name=name, confirmed=bool(cleaned.get("name_change_confirmed"))
            )
        except ValidationError as error:
            self.add_error("name", error)


class ProviderForm(forms.ModelForm):
    """A provider. Only active catalog rows are offered, plus the row already chosen.

    Also the admin's form for providers (`ProviderAdmin.form`), so both offer the same rows.
    """

    class Meta:
        model = Provider
        fields = [
            "name",
            "document_type",
            "document_number",
            "professional_type",
            "specialty",
            "phone",
            "email",
            "professional_license",
            "is_active",
        ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        professional_type = cast(forms.ModelChoiceField, self.fields["professional_type"])
        professional_type.queryset = ProfessionalType.objects.active_or(
            self.instance.professional_type_id
        )
        specialty = cast(forms.ModelChoiceField, self.fields["specialty"])
        specialty.queryset = MedicalSpecialty.objects.active_or(self.instance.specialty_id)
        phone_messages_set(self)


class ProviderDeskForm(ProviderForm):
    """The desk's provider form: deactivating a provider who still has consultations
    ahead needs an explicit confirmation, after the list of them is shown
    (`consultations_ahead`; error code `provider_has_consultations_ahead`)."""

    confirm_deactivation = forms.BooleanField(
        label=_("Deactivate anyway: these consultations keep their provider"),
        required=False,
        widget=forms.HiddenInput,
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.consultations_ahead: list[Consultation] = []

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        # The instance still holds the stored value here: the form copies onto it later.
        deactivating = self.instance.pk is not None and self.instance.is_active
        if not deactivating or cleaned.get("is_active", True):
            return cleaned
        self.consultations_ahead = list(
            provider_consultations_ahead(provider=self.instance, now=timezone.now())
        )
        if self.consultations_ahead and not cleaned.get("confirm_deactivation"):
            self.fields["confirm_deactivation"].widget = forms.CheckboxInput()
            self.add_error(
                "is_active",
                ValidationError(
                    ngettext_lazy(
                        "%(name)s still has %(count)s consultation ahead, listed above. "
                        "Tick the confirmation to deactivate anyway.",
                        "%(name)s still has %(count)s consultations ahead, listed above. "
                        "Tick the confirmation to deactivate anyway.",
                        "count",
                    ),
                    code="provider_has_consultations_ahead",
                    params={"name": self.instance.name, "count": len(self.consultations_ahead)},
                ),
            )
        return cleaned
