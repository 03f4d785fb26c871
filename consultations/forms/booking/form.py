"""The booking form: patient, provider, consultation type, duration and when, on one page.

It is a `PatientForm` (the patient's rules live there and on the model) with the booking
fields added. Identity is document type + number: when a patient with that document
exists, the form edits that patient (details corrected in place); otherwise it makes a
new one. Every rule that can be checked before calling Kairo is checked on its field:
the model's field rules, the 15-minute notice and the booking horizon here, and
availability (`rules.py`) here when the form fails anyway, else by the service inside
its transaction, its refusal put back on the same field (`_check_booking`).
"""

from __future__ import annotations

import uuid
from functools import partial
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consultations import clock, rules
from consultations.forms.booking.kairo_refusal import kairo_refusal_add
from consultations.forms.booking.layout import booking_layout
from consultations.forms.booking.next_free import next_free_starts_add
from consultations.forms.choices import ListedModelChoiceField
from consultations.forms.directory import PatientForm
from consultations.forms.errors import service_errors_add
from consultations.forms.patient_on_file import PatientOnFile, patient_on_file
from consultations.kairo import contract
from consultations.kairo.client import KairoError
from consultations.models import ConsultationType, Duration, Patient, Provider
from consultations.selectors.booking import patient_by_document

WHEN_NOW = "now"
WHEN_SCHEDULED = "scheduled"

SERVICE_FIELDS: dict[str, str] = {
    "authorization_given": "authorization",
    "provider": "provider",
    "patient": "document_number",
    "scheduled_for": "scheduled_time",
}


class ProviderChoiceField(ListedModelChoiceField):
    """Active providers, labelled with their professional type and specialty from the record."""

    # Parsed for every row, never shown in a label.
    label_defer = ("phone",)

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
    consultation_type = ListedModelChoiceField(
        label=_("Consultation type"), queryset=ConsultationType.objects.none()
    )
    duration = ListedModelChoiceField(
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
        choices = {
            "provider": Provider.objects.filter(is_active=True)
            .select_related("professional_type", "specialty")
            .order_by("name"),
            "consultation_type": ConsultationType.objects.active(),
            "duration": Duration.objects.active(),
        }
        for name, queryset in choices.items():
            cast(ListedModelChoiceField, self.fields[name]).queryset = queryset
        if "duration" not in self.initial:
            self.initial["duration"] = contract.DEFAULT_DURATION
        if "booking_token" not in self.initial:
            self.initial["booking_token"] = uuid.uuid4()
        zone = clock.organization_zone().key
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
        self.helper = booking_layout()

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
        if "provider" not in self.errors:
            return
        value = str(self.data.get(self.add_prefix("provider"), ""))
        provider = (
            Provider.objects.filter(pk=int(value), is_active=False).first()
            if value.isascii() and value.isdigit() and len(value) < 19
            else None
        )
        if provider is not None:
            self.errors["provider"] = self.error_class(
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
        stored = None if self.patient_is_new else self.instance
        try:
            rules.patient_anonymized_check(patient=stored)
        except ValidationError as error:
            self.add_error("document_number", error)
            return
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
                self.errors.pop(name, None)
            return
        if when != WHEN_SCHEDULED:
            return
        day = cleaned.get("scheduled_date")
        time = cleaned.get("scheduled_time")
        for name, value in (("scheduled_date", day), ("scheduled_time", time)):
            if value is None and name not in self.errors:
                self.add_error(
                    name,
                    ValidationError(_("Required for a scheduled consultation."), code="required"),
                )
        if day is None or time is None:
            return
        try:
            scheduled_for = clock.organization_datetime(day, time)
            # On the date, before any rule computes a window from it (year 9999 would
            # overflow); the service checks it again in rules.booking_check.
            rules.scheduled_horizon_check(scheduled_for=scheduled_for)
        except ValidationError as error:
            self.add_error(
                "scheduled_date" if error.code == "beyond_horizon" else "scheduled_time", error
            )
            return
        cleaned["scheduled_for"] = scheduled_for

    def _check_booking(self, cleaned: dict[str, Any]) -> None:
        """The rules the service checks again (`rules.booking_check`), once the moment is
        known, on the fields the receptionist can change.

        The overlaps (the provider's and the patient's other bookings) are looked up
        here only when the form fails anyway: a valid form goes to the service, whose
        check inside its transaction is the one that counts, and whose refusal comes
        back on the same fields (`add_service_errors`), with nothing written. Either
        way the page shows every refusal at once."""
        when = cleaned.get("when")
        if when not in (WHEN_NOW, WHEN_SCHEDULED):
            return
        if when == WHEN_SCHEDULED and cleaned["scheduled_for"] is None:
            return
        duration = cleaned.get("duration")
        check = partial(
            rules.booking_check,
            provider=cleaned.get("provider"),
            patient=self.instance,
            scheduled_for=cleaned["scheduled_for"],
            duration_minutes=duration.minutes if duration is not None else None,
            now=timezone.now(),
        )
        if not self.errors:  # the errors found so far (clean runs last)
            try:
                check(overlaps=False)
            except ValidationError:
                pass
            else:
                return  # valid so far: the service checks the overlaps
        try:
            check()
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
        self._next_free_added = next_free_starts_add(
            self,
            provider=provider,
            duration=duration,
            patient=self.instance if self.instance.pk is not None else None,
            requested_for=self._requested_for,
            field="scheduled_time" if when == WHEN_SCHEDULED else None,
        )

    def renew_token(self) -> None:
        """Render with a fresh one-time token (after a failed or refused submission: the
        old one may already name a rejected booking)."""
        # Bound to the request's QueryDict (its copy is mutable); a dict copies as well.
        data = cast(QueryDict, self.data).copy()
        data["booking_token"] = str(uuid.uuid4())
        self.data = data

    def add_kairo_errors(self, error: KairoError) -> None:
        """Kairo's refusal: its reasons on the fields they concern, and a summary naming
        the requestId (its support asks for it), in the staff language by Kairo's code.
        Kairo's own (English) message and field details stay on `kairo_refusal`, for the
        page's "Kairo Connect's message" details."""
        self.kairo_refusal = error
        kairo_refusal_add(self, error)


def _inactive_provider_text(provider: Provider) -> str:
    return _("%(name)s is no longer active; choose another provider.") % {"name": provider.name}
