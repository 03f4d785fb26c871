"""Patient and provider ModelForms, used by the directory pages and the booking form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from consultations.models import MedicalSpecialty, Patient, ProfessionalType, Provider

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


class PatientForm(forms.ModelForm):
    """A patient's identity and contact details, and their data-processing authorization.

    The authorization checkbox maps to `services.patient_save(authorization_given=...)`,
    which records when, by whom and under which policy version.
    """

    authorization = forms.BooleanField(
        label=_("The patient authorizes the processing of their data (Ley 1581 de 2012)"),
        required=False,
    )

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
        self.fields["professional_type"].queryset = ProfessionalType.objects.active_or(
            self.instance.professional_type_id
        )
        self.fields["specialty"].queryset = MedicalSpecialty.objects.active_or(
            self.instance.specialty_id
        )
        phone_messages_set(self)
