"""Patient and provider ModelForms, used by the directory pages and the booking form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from consultations.models import MedicalSpecialty, Patient, ProfessionalType, Provider


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
