"""The directory's admin: providers and patients, saved through the same services and
rules as the desk's own pages."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from consultations import rules, services
from consultations.admin.audited import AuditedAdminMixin
from consultations.admin.changelists import EstimatedCountPaginator, PersonSearchMixin
from consultations.clock import short_moment
from consultations.forms.directory import ProviderForm, phone_messages_set
from consultations.models import (
    AuditEntry,
    Patient,
    PatientChange,
    Provider,
)
from consultations.selectors.directory import patient_changes, provider_consultations_ahead


@admin.register(Provider)
class ProviderAdmin(AuditedAdminMixin, PersonSearchMixin, admin.ModelAdmin):
    # Offers only active catalog rows, plus the one the provider already has.
    form = ProviderForm
    audit_actions = {
        "add": AuditEntry.Action.PROVIDER_CREATED,
        "change": AuditEntry.Action.PROVIDER_CHANGED,
        "delete": AuditEntry.Action.ADMIN_DELETED,
    }

    list_display = (
        "name",
        "document_type",
        "document_number",
        "professional_type",
        "specialty",
        "phone",
        "is_active",
    )
    list_filter = ("professional_type", "specialty", "is_active")
    show_full_result_count = False
    list_select_related = ("professional_type", "specialty")
    ordering = ("name",)
    readonly_fields = ("created_at", "updated_at")

    def save_model(
        self, request: HttpRequest, obj: Provider, form: ProviderForm, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        # Deactivating leaves consultations ahead booked with this provider: saved as
        # asked (the desk's page asks first), then listed here so staff act on them.
        if not (change and "is_active" in form.changed_data and not obj.is_active):
            return
        ahead = list(provider_consultations_ahead(provider=obj, now=timezone.now()))
        if ahead:
            self.message_user(
                request,
                ngettext(
                    "%(name)s is now inactive but still has %(count)s consultation ahead; "
                    "rebook or cancel it: %(list)s",
                    "%(name)s is now inactive but still has %(count)s consultations ahead; "
                    "rebook or cancel them: %(list)s",
                    len(ahead),
                )
                % {
                    "name": obj.name,
                    "count": len(ahead),
                    "list": "; ".join(
                        f"{short_moment(c.starts_at)} {c.patient.name} (#{c.pk})" for c in ahead
                    ),
                },
                messages.WARNING,
            )


class PatientAdminForm(forms.ModelForm):
    """The authorization checkbox is staff's decision, not a value to copy onto the row:
    `services.patient_save` records it (when, by whom, under the current policy version),
    so until then the patient keeps the authorization it has.

    A registered patient's name changes only with "confirm the name change" ticked, as on
    the desk's patient page (the same rule, checked again by the service)."""

    authorization_given: bool | None = None
    name_change_confirmed = forms.BooleanField(
        label=_("Confirm a change of this patient's name"),
        required=False,
        help_text=_(
            "Needed to save a different name for a registered patient; the change is "
            "recorded in the patient's history."
        ),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        phone_messages_set(self)

    def clean(self) -> dict:
        super().clean()
        cleaned_data = self.cleaned_data
        self.authorization_given = cleaned_data.pop("data_processing_authorized", None)
        try:
            rules.patient_name_change_check(
                stored=self.instance if self.instance.pk else None,
                name=cleaned_data.get("name") or "",
                confirmed=bool(cleaned_data.get("name_change_confirmed")),
            )
        except ValidationError as error:
            self.add_error("name", error)
        return cleaned_data


@admin.register(Patient)
class PatientAdmin(AuditedAdminMixin, PersonSearchMixin, admin.ModelAdmin):
    form = PatientAdminForm
    audit_actions = {
        "add": AuditEntry.Action.PATIENT_CREATED,
        "change": AuditEntry.Action.PATIENT_CHANGED,
        "delete": AuditEntry.Action.ADMIN_DELETED,
    }
    audit_views = AuditEntry.Action.PATIENT_VIEWED
    list_display = (
        "name",
        "document_type",
        "document_number",
        "phone",
        "preferred_language",
        "data_processing_authorized",
    )
    list_filter = ("preferred_language", "data_processing_authorized")
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    # On the (name, id) index (migration 0026); the other columns are not sortable.
    ordering = ("name", "id")
    sortable_by = ("name",)
    # The service records when, by whom and under which policy version (the current
    # one, from settings): staff only tick or untick the authorization.
    readonly_fields = (
        "data_processing_policy_version",
        "data_processing_authorized_at",
        "data_processing_recorded_by",
        "data_processing_withdrawn_at",
        "data_processing_withdrawn_by",
        "anonymized_at",
        "created_at",
        "updated_at",
        "changes",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "name",
                    ("document_type", "document_number"),
                    "phone",
                    "email",
                    "preferred_language",
                )
            },
        ),
        (
            _("Data-processing authorization (Ley 1581 de 2012)"),
            {
                "fields": (
                    "data_processing_authorized",
                    "data_processing_policy_version",
                    "data_processing_authorized_at",
                    "data_processing_recorded_by",
                    "data_processing_withdrawn_at",
                    "data_processing_withdrawn_by",
                    "anonymized_at",
                )
            },
        ),
        (_("Record"), {"fields": ("created_at", "updated_at", "changes")}),
    )

    def get_fieldsets(self, request: HttpRequest, obj: Patient | None = None):
        if obj is None or not self.has_change_permission(request, obj):
            # A new patient has no name on file to confirm a change of; a patient shown
            # read-only (anonymized) has no form to confirm one in.
            return self.fieldsets
        identity, *others = self.fieldsets
        fields = list(identity[1]["fields"])
        fields.insert(fields.index("name") + 1, "name_change_confirmed")
        return ((identity[0], {**identity[1], "fields": tuple(fields)}), *others)

    def has_change_permission(self, request: HttpRequest, obj: Patient | None = None) -> bool:
        # An anonymized patient is shown, never changed (`rules.patient_anonymized_check`).
        if obj is not None and obj.is_anonymized:
            return False
        return super().has_change_permission(request, obj)

    @admin.display(description=_("changes to this record"))
    def changes(self, obj: Patient) -> str:
        """The patient's history as the desk's patient page shows it (values masked)."""
        if obj.pk is None:
            return "—"
        return render_to_string(
            "consultations/partials/patient_changes.html",
            {"changes": patient_changes(patient=obj), "bare": True},
        )

    def save_model(
        self, request: HttpRequest, obj: Patient, form: PatientAdminForm, change: bool
    ) -> None:
        # As the desk's patient page: the service decides the name change and records the
        # authorization's and each field's change.
        try:
            services.patient_save(
                patient=obj,
                actor=cast(User, request.user),  # the admin lets only signed-in staff in
                source=PatientChange.Source.ADMIN,
                authorization_given=form.authorization_given,
                name_change_confirmed=bool(form.cleaned_data.get("name_change_confirmed")),
            )
        except ValidationError as error:
            # The form checked the row it loaded; the service checks the row it locks. What
            # another desk changed in between is refused there (e.g. a rename, the same
            # document saved): undo the whole admin save and say why.
            raise _PatientSaveRefused(error) from error

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except _PatientSaveRefused as refused:
            # The admin's transaction was rolled back: nothing of this save was kept.
            self.message_user(
                request,
                gettext("Not saved: %(reason)s Check the patient as it is now and try again.")
                % {"reason": " ".join(refused.error.messages)},
                messages.ERROR,
            )
            return HttpResponseRedirect(request.get_full_path())


class _PatientSaveRefused(Exception):
    """The patient service refused an admin save after the form had passed."""

    def __init__(self, error: ValidationError) -> None:
        super().__init__(str(error))
        self.error = error
