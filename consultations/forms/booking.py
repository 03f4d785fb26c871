"""The booking form: patient, provider, consultation type, duration and when, on one page.

It is a `PatientForm` (the patient's rules live there and on the model) with the booking
fields added. Identity is document type + number: when a patient with that document
exists, the form edits that patient (details corrected in place); otherwise it makes a
new one. Every rule that can be checked before calling Kairo is checked here, on its
field: the model's field rules, the 15-minute notice and availability (`rules.py`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from crispy_forms.bootstrap import InlineRadios
from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Div, Fieldset, Layout, Row, Submit
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consultations import rules
from consultations.dates import long_date
from consultations.forms.directory import PatientForm
from consultations.forms.errors import NEXT_FREE_STARTS, NO_FREE_STARTS, service_errors_add
from consultations.forms.patient_on_file import PatientOnFile, patient_on_file
from consultations.kairo import contract
from consultations.kairo.client import KairoError, KairoOutcome
from consultations.kairo_texts import kairo_error_text
from consultations.models import ConsultationType, Duration, Patient, Provider
from consultations.selectors.booking import patient_by_document
from consultations.selectors.provider_day import provider_next_free_starts

WHEN_NOW = "now"
WHEN_SCHEDULED = "scheduled"

# Where a Kairo `details` path lands on this form (contract "Envelope", Decision: keyed
# by the request field path). Every `provider.*` path lands on the provider choice: the
# receptionist cannot fix a provider's record from here, only see which field is wrong.
KAIRO_FIELDS: dict[str, str] = {
    "patient": "document_number",  # a 409 for the patient (identity = the document)
    "patient.documentType": "document_type",
    "patient.documentNumber": "document_number",
    "patient.name": "name",
    "patient.phone": "phone",
    "patient.email": "email",
    "consultationType": "consultation_type",
    "durationMinutes": "duration",
    "scheduledAt": "scheduled_time",
}
# Where the service's errors (keyed by its argument names) land on this form.
SERVICE_FIELDS: dict[str, str] = {
    "authorization_given": "authorization",
    "provider": "provider",
    "patient": "document_number",
    "scheduled_for": "scheduled_time",
}
# Refusals for an overlapping booking, ours (`rules.py`) and Kairo's (contract "Errors"):
# they get a hint with the provider's next free starts.
LOCAL_OVERLAP_CODES = frozenset(
    {"provider_busy", "provider_held_by_kairo", "patient_busy", "patient_held_by_kairo"}
)
OVERLAP_CODES = LOCAL_OVERLAP_CODES | {
    contract.ERROR_PROVIDER_NOT_AVAILABLE,
    contract.ERROR_PATIENT_NOT_AVAILABLE,
}


class ProviderChoiceField(forms.ModelChoiceField):
    """Active providers, labelled with their professional type and specialty from the record."""

    def label_from_instance(self, obj: Provider) -> str:
        label = f"{obj.name} — {obj.professional_type.name}"
        if obj.specialty_id is not None:
            label += f" · {obj.specialty}"
        return label


class BookingForm(PatientForm):
    """Book one consultation. `cleaned_data` gains `scheduled_for` (aware, or None = now).

    After `is_valid()`, `instance` is the patient to save: the existing one with that
    document (with the submitted corrections applied) or a new one; `patient_is_new`
    says which.
    """

    provider = ProviderChoiceField(
        label=_("Provider"),
        queryset=Provider.objects.none(),
        help_text=_("Professional type and specialty come from the provider's record."),
    )
    consultation_type = forms.ModelChoiceField(
        label=_("Consultation type"), queryset=ConsultationType.objects.none()
    )
    duration = forms.ModelChoiceField(
        label=_("Duration"),
        queryset=Duration.objects.none(),
        to_field_name="minutes",
        widget=forms.RadioSelect,
        empty_label=None,
    )
    when = forms.ChoiceField(
        label=_("Now or later"),
        choices=[
            (WHEN_SCHEDULED, _("Scheduled")),
            (WHEN_NOW, _("Now (immediate consultation)")),
        ],
        initial=WHEN_SCHEDULED,
        widget=forms.RadioSelect,
    )
    scheduled_date = forms.DateField(
        label=_("Date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    scheduled_time = forms.TimeField(
        label=_("Time"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    # One per rendered form: a double click or a resubmission finds the booking already
    # made instead of making (and sending) a second one.
    booking_token = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.patient_is_new = self.instance.pk is None
        self.kairo_refusal: KairoError | None = None
        self.fields["provider"].queryset = (
            Provider.objects.filter(is_active=True)
            .select_related("professional_type", "specialty")
            .order_by("name")
        )
        self.fields["consultation_type"].queryset = ConsultationType.objects.active()
        self.fields["duration"].queryset = Duration.objects.active()
        if "duration" not in self.initial:
            self.initial["duration"] = contract.DEFAULT_DURATION
        if "booking_token" not in self.initial:
            self.initial["booking_token"] = uuid.uuid4()
        zone = rules.organization_zone().key
        self.fields["scheduled_time"].help_text = _("Organization time zone: %(zone)s.") % {
            "zone": zone
        }
        self.fields["authorization"].help_text = _(
            "Required before booking for a patient who has not given it yet."
        )
        # The patient on file beside what is typed (partials/patient_on_file.html).
        self.on_file: PatientOnFile | None = None
        if self.stored_patient is not None and not self.is_bound:
            self.on_file = patient_on_file(stored=self.stored_patient, typed=self.initial)
        self.helper = _layout()

    # --- Cleaning -------------------------------------------------------------------------

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()  # matches the patient on file (match_stored_patient)
        self._explain_inactive_provider()
        self._check_authorization(cleaned)
        self._check_token(cleaned)
        self._check_when(cleaned)
        # What was asked for, kept before errors drop fields from cleaned_data.
        self._requested = (cleaned.get("provider"), cleaned.get("duration"), cleaned.get("when"))
        self._requested_for = cleaned.get("scheduled_for")
        self._check_booking(cleaned)
        self.add_next_free_starts()
        return cleaned

    def note_inactive_provider(self, provider: Provider) -> None:
        """Say on the provider field that `provider` (asked for, e.g. by a rebooking) is
        no longer active, rather than leaving the choice silently empty."""
        self.fields["provider"].help_text = _inactive_provider_text(provider)

    def _explain_inactive_provider(self) -> None:
        """A submitted provider who is no longer active: say so, not "invalid choice"."""
        if "provider" not in self._errors:
            return
        value = str(self.data.get(self.add_prefix("provider"), ""))
        provider = (
            Provider.objects.filter(pk=int(value), is_active=False).first()
            if value.isdigit() and len(value) < 19
            else None
        )
        if provider is not None:
            self._errors["provider"] = self.error_class(
                [ValidationError(_inactive_provider_text(provider), code="provider_inactive")]
            )

    def match_stored_patient(self, cleaned: dict[str, Any]) -> None:
        """Identity is document type + number: edit the patient who has it, if any (their
        name only with the confirmation ticked: PatientForm checks it next)."""
        document_type = cleaned.get("document_type")
        document_number = cleaned.get("document_number")
        if not document_type or not document_number:
            return
        existing = patient_by_document(document_type=document_type, document_number=document_number)
        if existing is not None:
            self.instance = existing
            self.on_file = patient_on_file(stored=existing, typed=cleaned)
        elif self.instance.pk is not None:
            # Started from an existing patient, but the document now names nobody: a new one.
            self.instance = Patient()
        self.stored_patient = existing
        self.patient_is_new = self.instance.pk is None

    def _check_authorization(self, cleaned: dict[str, Any]) -> None:
        try:
            rules.patient_authorization_check(
                patient=None if self.patient_is_new else self.instance,
                authorization_given=bool(cleaned.get("authorization")),
            )
        except ValidationError as error:
            self.add_error("authorization", error)

    def _check_token(self, cleaned: dict[str, Any]) -> None:
        if cleaned.get("booking_token") is None and "booking_token" not in self.errors:
            self.add_error(
                None,
                ValidationError(
                    _("This form is incomplete or out of date; check it and send it again."),
                    code="token_missing",
                ),
            )

    def _check_when(self, cleaned: dict[str, Any]) -> None:
        """The moment meant, on the organization's clock (None: now)."""
        cleaned["scheduled_for"] = None
        when = cleaned.get("when")
        if when == WHEN_NOW:
            # The schedule fields are ignored for an immediate consultation, and so are
            # their parse errors (a browser may have kept a half-typed date).
            for name in ("scheduled_date", "scheduled_time"):
                self._errors.pop(name, None)
            return
        if when != WHEN_SCHEDULED:
            return
        day = cleaned.get("scheduled_date")
        time = cleaned.get("scheduled_time")
        for name, value in (("scheduled_date", day), ("scheduled_time", time)):
            if value is None and name not in self._errors:
                self.add_error(
                    name,
                    ValidationError(_("Required for a scheduled consultation."), code="required"),
                )
        if day is None or time is None:
            return
        try:
            cleaned["scheduled_for"] = rules.organization_datetime(day, time)
        except ValidationError as error:
            self.add_error("scheduled_time", error)

    def _check_booking(self, cleaned: dict[str, Any]) -> None:
        """The rules the service checks again (`rules.booking_check`), once the moment is
        known, on the fields the receptionist can change."""
        when = cleaned.get("when")
        if when not in (WHEN_NOW, WHEN_SCHEDULED):
            return
        if when == WHEN_SCHEDULED and cleaned["scheduled_for"] is None:
            return
        duration = cleaned.get("duration")
        try:
            rules.booking_check(
                provider=cleaned.get("provider"),
                patient=self.instance,
                scheduled_for=cleaned["scheduled_for"],
                duration_minutes=duration.minutes if duration is not None else None,
            )
        except ValidationError as error:
            self.add_service_errors(error)

    # --- Errors found after the form was valid -----------------------------------------

    def add_service_errors(self, error: ValidationError) -> None:
        """Errors `consultation_book` raised (keyed by its argument names) onto fields."""
        service_errors_add(self, error, SERVICE_FIELDS)

    def add_next_free_starts(self) -> None:
        """After an overlap refusal (`OVERLAP_CODES`, from the rules or from Kairo), a
        separate hint: the provider's next free starts that day (code `next_free_starts`,
        or `no_free_starts`). Added once; nothing when no overlap was refused."""
        requested = getattr(self, "_requested", None)
        if requested is None or getattr(self, "_next_free_added", False):
            return
        provider, duration, when = requested
        if provider is None or duration is None:
            return
        codes = {error.code for errors in self.errors.as_data().values() for error in errors}
        if not codes & OVERLAP_CODES:
            return
        self._next_free_added = True
        after = self._requested_for or timezone.now()
        if not codes & LOCAL_OVERLAP_CODES:
            # Only Kairo knows the clash (booked elsewhere): the window refused is taken
            # there, so offer what starts once it is over.
            after += dt.timedelta(minutes=duration.minutes)
        starts = provider_next_free_starts(
            provider=provider,
            after=after,
            duration_minutes=duration.minutes,
            patient=self.instance if self.instance.pk is not None else None,
        )
        day = after.astimezone(rules.organization_zone()).date()
        params = {"provider": provider.name, "date": long_date(day)}
        if starts:
            error = ValidationError(
                _("Next free times with %(provider)s on %(date)s: %(times)s."),
                code=NEXT_FREE_STARTS,
                params={**params, "times": ", ".join(start.strftime("%H:%M") for start in starts)},
            )
        else:
            error = ValidationError(
                _("%(provider)s has no free time left on %(date)s for this duration."),
                code=NO_FREE_STARTS,
                params=params,
            )
        self.add_error("scheduled_time" if when == WHEN_SCHEDULED else None, error)

    def renew_token(self) -> None:
        """Render with a fresh one-time token (after a failed or refused submission: the
        old one may already name a rejected booking)."""
        data = self.data.copy()
        data["booking_token"] = str(uuid.uuid4())
        self.data = data

    def add_kairo_errors(self, error: KairoError) -> None:
        """Kairo's refusal: its reasons on the fields they concern, and a summary naming
        the requestId (its support asks for it), in the staff language by Kairo's code.
        Kairo's own (English) message and field details stay on `kairo_refusal`, for the
        page's "Kairo Connect's message" details."""
        self.kairo_refusal = error
        reason = kairo_error_text(error.code)
        if error.outcome == KairoOutcome.CONFIGURATION:
            self.add_error(
                None,
                ValidationError(
                    _(
                        "Kairo Connect refused the clinic's credentials or address, so nothing "
                        "was booked. Ask an administrator to check the Kairo Connect settings "
                        "(requestId: %(request_id)s)."
                    ),
                    code="kairo_configuration",
                    params={"request_id": error.request_id or "—"},
                ),
            )
            return
        placed = False
        for path in sorted(error.field_errors):
            field = _kairo_field(path)
            if field == "provider" and path != "provider":
                text = _(
                    "Kairo Connect does not accept the provider's record (%(path)s); ask an "
                    "administrator to correct it."
                ) % {"path": path}
            elif error.code == contract.ERROR_VALIDATION and field is not None:
                text = _(
                    "Kairo Connect does not accept this value; its own message is under "
                    '"Kairo Connect\'s message".'
                )
            else:
                text = reason
            # One error per field: Kairo's messages for it are in the details.
            self._add_after_clean(field, ValidationError(text, code=error.code))
            placed = placed or field is not None
        # A 409 names the busy party; when Kairo gave no details, say it on that field.
        party_fields = {"provider": "provider", "patient": "document_number"}
        if not error.field_errors and error.party in party_fields:
            self._add_after_clean(
                party_fields[error.party], ValidationError(reason, code=error.code)
            )
            placed = True
        summary = (
            _(
                "Kairo Connect refused the booking (%(code)s, requestId: %(request_id)s); "
                "see the fields marked below. Nothing was booked."
            )
            if placed
            else _(
                "Kairo Connect refused the booking (%(code)s, requestId: %(request_id)s): "
                "%(message)s Nothing was booked."
            )
        )
        self._add_after_clean(
            None,
            ValidationError(
                summary,
                code="kairo_rejected",
                params={
                    "code": error.code,
                    "request_id": error.request_id or "—",
                    "message": reason,
                },
            ),
        )

    def _add_after_clean(self, field: str | None, error: ValidationError) -> None:
        # add_error() drops the field from cleaned_data; after a refusal that is harmless.
        self.add_error(field if field in self.fields else None, error)


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


def _inactive_provider_text(provider: Provider) -> str:
    return _("%(name)s is no longer active; choose another provider.") % {"name": provider.name}


def _kairo_field(path: str) -> str | None:
    if path == "provider" or path.startswith("provider."):
        return "provider"
    return KAIRO_FIELDS.get(path)


def _layout() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.layout = Layout(
        Fieldset(
            _("Patient"),
            Row(
                Column("document_type", css_class="col-md-4"),
                Column("document_number", css_class="col-md-8"),
            ),
            "name",
            Row(Column("phone", css_class="col-md-6"), Column("email", css_class="col-md-6")),
            "preferred_language",
            HTML(
                '{% include "consultations/partials/patient_on_file.html" with '
                "on_file=form.on_file confirmed=form.name_change_confirmed.value %}"
            ),
            "authorization",
        ),
        Fieldset(_("Consultation"), "provider", "consultation_type", InlineRadios("duration")),
        Fieldset(
            _("When"),
            InlineRadios("when"),
            Div(
                Row(
                    Column("scheduled_date", css_class="col-md-6"),
                    Column("scheduled_time", css_class="col-md-6"),
                ),
                css_id="schedule-fields",
            ),
        ),
        "booking_token",
        Submit("book", _("Book consultation"), css_class="btn-primary"),
    )
    return helper
