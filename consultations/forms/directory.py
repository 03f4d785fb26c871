"""Patient and provider ModelForms, used by the directory pages and the booking form."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consultations.models import Consultation, MedicalSpecialty, Patient, ProfessionalType, Provider
from consultations.selectors.directory import provider_consultations_ahead


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

    def clean(self) -> dict:
        cleaned = super().clean()
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
                    _(
                        "%(name)s still has %(count)s consultation(s) ahead, listed above. "
                        "Tick the confirmation to deactivate anyway."
                    ),
                    code="provider_has_consultations_ahead",
                    params={"name": self.instance.name, "count": len(self.consultations_ahead)},
                ),
            )
        return cleaned
