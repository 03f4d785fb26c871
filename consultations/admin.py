"""The clinic admin: catalogs (with CSV import), the directory, and consultations read-only.

Catalog rows in use are never deleted (the foreign keys are PROTECT): the admin refuses
with a message that says to deactivate them instead, rather than Django's list of
protected objects.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.utils import quote, unquote
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Permission, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, ProtectedError, QuerySet, RestrictedError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import get_text_list
from django.utils.translation import gettext, ngettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from consultations import rules, services
from consultations.catalogs import catalog_import, catalog_kind_for_model, catalog_row_usage
from consultations.forms.directory import ProviderForm, phone_messages_set
from consultations.kairo_texts import kairo_status_text
from consultations.models import (
    Consultation,
    ConsultationType,
    Delivery,
    Duration,
    MedicalSpecialty,
    Patient,
    PatientChange,
    ProfessionalType,
    Provider,
    StaffPreference,
    document_number_normalize,
)
from consultations.rules import organization_zone
from consultations.selectors.directory import patient_changes, provider_consultations_ahead
from consultations.timeline import delivery_error_text

admin.site.site_header = _("Kairo Connect — Clinic administration")
admin.site.site_title = _("Kairo Connect clinic administration")
admin.site.index_title = _("Catalogs, providers and patients")


# --- Catalogs -----------------------------------------------------------------------------


def _in_use_message(row: Model, usage: dict[type[Model], int]) -> str:
    counts = [
        f"{count} {model._meta.verbose_name if count == 1 else model._meta.verbose_name_plural}"
        for model, count in usage.items()
    ]
    return gettext(
        "“%(row)s” cannot be deleted: it is used by %(usage)s. Deactivate it instead; "
        "records that use it keep showing it."
    ) % {"row": row, "usage": get_text_list(counts, gettext("and"))}


def delete_selected_unless_in_use(
    modeladmin: CatalogAdmin, request: HttpRequest, queryset: QuerySet
) -> HttpResponse | None:
    """Django's "delete selected", refused with a message while any selected row is in use."""
    in_use = [(row, usage) for row in queryset if (usage := catalog_row_usage(row))]
    if not in_use:
        try:
            return delete_selected(modeladmin, request, queryset)
        except (ProtectedError, RestrictedError):
            # Someone started using a row between the check and the delete.
            in_use = [(row, usage) for row in queryset if (usage := catalog_row_usage(row))]
    for row, usage in in_use:
        modeladmin.message_user(request, _in_use_message(row, usage), messages.ERROR)
    return None


class CatalogImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("UTF-8, comma or semicolon separated, with a header row."),
    )
    dry_run = forms.BooleanField(
        label=_("Only check the file (dry run): save nothing"), required=False
    )


class CatalogAdmin(admin.ModelAdmin):
    """What every catalog's admin has: the active toggle, deletion only of unused rows,
    and an "Import CSV" page for the official table."""

    list_display: tuple[str, ...] = ("name", "code", "is_active", "is_confirmed")
    list_filter: tuple[str, ...] = ("is_active", "is_confirmed")
    search_fields: tuple[str, ...] = ("code", "name")
    ordering: tuple[str, ...] = ("name",)
    actions = ["activate", "deactivate", "mark_confirmed"]
    change_list_template = "admin/consultations/catalog_change_list.html"
    import_template = "admin/consultations/catalog_import.html"

    def _selected_update(
        self, request: HttpRequest, queryset: QuerySet, done: str, **values: object
    ) -> None:
        """Set `values` on the selected rows; `done` (an ngettext_lazy keyed on "count")
        tells the admin how many."""
        count = queryset.update(**values)
        self.message_user(request, done % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Activate selected rows"), permissions=["change"])
    def activate(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = ngettext_lazy("%(count)d row activated.", "%(count)d rows activated.", "count")
        self._selected_update(request, queryset, done, is_active=True)

    @admin.action(
        description=_("Deactivate selected rows (no longer offered; old records keep them)"),
        permissions=["change"],
    )
    def deactivate(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = ngettext_lazy("%(count)d row deactivated.", "%(count)d rows deactivated.", "count")
        self._selected_update(request, queryset, done, is_active=False)

    @admin.action(
        description=_("Mark selected rows as confirmed against the official table"),
        permissions=["change"],
    )
    def mark_confirmed(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = ngettext_lazy(
            "%(count)d row marked confirmed.", "%(count)d rows marked confirmed.", "count"
        )
        self._selected_update(request, queryset, done, is_confirmed=True)

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            _func, name, description = actions["delete_selected"]
            actions["delete_selected"] = (delete_selected_unless_in_use, name, description)
        return actions

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        row = self.get_object(request, unquote(object_id))
        if row is not None and self.has_delete_permission(request, row):
            usage = catalog_row_usage(row)
            if not usage:
                try:
                    return super().delete_view(request, object_id, extra_context)
                except (ProtectedError, RestrictedError):
                    usage = catalog_row_usage(row)  # started being used meanwhile
            self.message_user(request, _in_use_message(row, usage), messages.ERROR)
            opts = self.model._meta
            return HttpResponseRedirect(
                reverse(
                    f"admin:{opts.app_label}_{opts.model_name}_change",
                    args=[quote(row.pk)],
                    current_app=self.admin_site.name,
                )
            )
        return super().delete_view(request, object_id, extra_context)

    # Import of the official table ------------------------------------------------------

    def has_import_permission(self, request: HttpRequest) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)

    def get_urls(self) -> list:
        opts = self.model._meta
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name=f"{opts.app_label}_{opts.model_name}_import",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        extra_context = {"can_import": self.has_import_permission(request), **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """A small form for the CSV; shows the import's report on the same page."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        kind = catalog_kind_for_model(self.model)
        report = None
        if request.method == "POST":
            form = CatalogImportForm(request.POST, request.FILES)
            if form.is_valid():
                report = catalog_import(
                    kind=kind.kind,
                    file=form.cleaned_data["file"],
                    user=request.user,
                    dry_run=form.cleaned_data["dry_run"],
                )
        else:
            form = CatalogImportForm()
        opts = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Import %(catalog)s from CSV") % {"catalog": opts.verbose_name_plural},
            "subtitle": None,
            "opts": opts,
            "app_label": opts.app_label,
            "has_view_permission": self.has_view_permission(request),
            "form": form,
            "kind": kind,
            "report": report,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, self.import_template, context)


@admin.register(ProfessionalType)
class ProfessionalTypeAdmin(CatalogAdmin):
    list_display = ("name", "code", "requires_specialty", "is_active", "is_confirmed")
    list_filter = ("requires_specialty", "is_active", "is_confirmed")
    fields = ("code", "name", "requires_specialty", "is_active", "is_confirmed")

    def get_readonly_fields(self, request: HttpRequest, obj: ProfessionalType | None = None):
        # Providers of this type have (or lack) a specialty to match: changing the flag
        # would contradict them (and the database constraint on providers).
        if obj is not None and obj.requires_specialty_locked():
            return ("requires_specialty",)
        return ()


@admin.register(MedicalSpecialty)
class MedicalSpecialtyAdmin(CatalogAdmin):
    list_display = ("name", "code", "kairo_id", "is_active", "is_confirmed")
    fields = ("code", "name", "kairo_id", "is_active", "is_confirmed")


@admin.register(ConsultationType)
class ConsultationTypeAdmin(CatalogAdmin):
    fields = ("code", "name", "description", "is_active", "is_confirmed")


@admin.register(Duration)
class DurationAdmin(CatalogAdmin):
    # All ten durations come from the contract, so there is no "confirmed" flag here.
    list_display = ("minutes", "recommended_use", "is_active")
    list_filter = ("is_active",)
    search_fields = ("recommended_use",)
    ordering = ("minutes",)
    actions = ["activate", "deactivate"]
    fields = ("minutes", "recommended_use", "is_active")

    def get_readonly_fields(self, request: HttpRequest, obj: Duration | None = None):
        # Consultations refer to a duration by its minutes: a row is its minutes.
        return ("minutes",) if obj is not None else ()


# --- Directory ----------------------------------------------------------------------------


class DocumentSearchMixin:
    """The admin's search also finds a document typed with separators ("1.020.304.050"),
    through the directory's one normalizer (Django's search matches the text as typed)."""

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        results, may_have_duplicates = super().get_search_results(  # type: ignore[misc]
            request, queryset, search_term
        )
        number = document_number_normalize(search_term)
        if number != search_term.strip().upper() and any(c.isdigit() for c in number):
            results = results | queryset.filter(document_number=number)
        return results, may_have_duplicates


@admin.register(Provider)
class ProviderAdmin(DocumentSearchMixin, admin.ModelAdmin):
    # Offers only active catalog rows, plus the one the provider already has.
    form = ProviderForm

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
    search_fields = ("name", "name_search", "document_number", "email")
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
            zone = organization_zone()
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
                        f"{c.starts_at.astimezone(zone):%Y-%m-%d %H:%M} {c.patient.name} (#{c.pk})"
                        for c in ahead
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
        cleaned_data = super().clean()
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
class PatientAdmin(DocumentSearchMixin, admin.ModelAdmin):
    form = PatientAdminForm
    list_display = (
        "name",
        "document_type",
        "document_number",
        "phone",
        "preferred_language",
        "data_processing_authorized",
    )
    list_filter = ("preferred_language", "data_processing_authorized")
    search_fields = ("name", "name_search", "document_number", "email")
    ordering = ("name",)
    # The service records when, by whom and under which policy version (the current
    # one, from settings): staff only tick or untick the authorization.
    readonly_fields = (
        "data_processing_policy_version",
        "data_processing_authorized_at",
        "data_processing_recorded_by",
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
                )
            },
        ),
        (_("Record"), {"fields": ("created_at", "updated_at", "changes")}),
    )

    def get_fieldsets(self, request: HttpRequest, obj: Patient | None = None):
        if obj is None:
            return self.fieldsets  # a new patient: no name on file to confirm a change of
        identity, *others = self.fieldsets
        fields = list(identity[1]["fields"])
        fields.insert(fields.index("name") + 1, "name_change_confirmed")
        return ((identity[0], {**identity[1], "fields": tuple(fields)}), *others)

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
                actor=request.user,
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


# --- Consultations and their emails (read-only: the booking workflows own them) -----------


class ReadOnlyAdminMixin:
    """A record kept for the record: shown in the admin, never added, changed or deleted
    there (the desk's own pages and services write it)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


# What staff may see of a delivery: never the full address (masked), link or PIN.
DELIVERY_FIELDS = (
    "recipient",
    "kind",
    "reminder_offset_minutes",
    "state",
    "attempts",
    "error_shown",
    "masked_address",
    "sent_at",
    "next_attempt_at",
    "requested_by",
    "created_at",
)


class DeliveryErrorColumn:
    """A delivery's stored error as staff read it (`delivery_error_text`)."""

    @admin.display(description=_("last error"))
    def error_shown(self, obj: Delivery) -> str:
        if not obj.last_error:
            return ""
        text, detail = delivery_error_text(obj.last_error)
        if not detail:
            return text
        return format_html('{} <span lang="en">({})</span>', text, detail)


class DeliveryInline(DeliveryErrorColumn, admin.TabularInline):
    """The consultation's emails, as the desk shows them: read-only, address masked."""

    model = Delivery
    extra = 0
    can_delete = False
    fields = readonly_fields = DELIVERY_FIELDS
    ordering = ("created_at", "id")

    @admin.display(description=_("sent to"))
    def masked_address(self, obj: Delivery) -> str:
        return obj.masked_address

    def has_add_permission(self, request: HttpRequest, obj: Consultation | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Consultation | None = None) -> bool:
        return False


@admin.register(Consultation)
class ConsultationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    inlines = [DeliveryInline]
    list_display = (
        "id",
        "starts_at",
        "patient",
        "provider",
        "consultation_type",
        "duration",
        "status",
        "kairo_status_shown",
    )
    list_filter = ("status", "consultation_type", "duration")
    search_fields = (
        "patient__name",
        "patient__document_number",
        "provider__name",
        "provider__document_number",
    )
    list_select_related = ("patient", "provider", "consultation_type", "duration")
    date_hierarchy = "starts_at"
    # Internal bookkeeping, meaningless to an admin.
    hidden_fields: tuple[str, ...] = ("id", "booking_token")
    # Kairo's wire status ("Pending") is shown in the staff language instead.
    exclude = ("kairo_status",)

    def get_readonly_fields(self, request: HttpRequest, obj: Consultation | None = None):
        return [
            "kairo_status_shown" if field.name == "kairo_status" else field.name
            for field in self.model._meta.concrete_fields
            if field.name not in self.hidden_fields
        ]

    @admin.display(description=_("Kairo status"), ordering="kairo_status")
    def kairo_status_shown(self, obj: Consultation) -> str:
        return kairo_status_text(obj.kairo_status)


@admin.register(Delivery)
class DeliveryAdmin(DeliveryErrorColumn, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every email across consultations, to find the failed ones; read-only (Resend is on
    the consultation page)."""

    list_display = (
        "id",
        "consultation",
        "recipient",
        "kind",
        "state",
        "attempts",
        "error_shown",
        "sent_at",
        "created_at",
    )
    list_filter = ("state", "kind", "recipient")
    list_select_related = ("consultation",)
    date_hierarchy = "created_at"
    exclude = ("to_address",)
    readonly_fields = ("consultation", *DELIVERY_FIELDS, "attempt_started_at")

    @admin.display(description=_("sent to"))
    def masked_address(self, obj: Delivery) -> str:
        return obj.masked_address


# --- Staff accounts ---------------------------------------------------------------------------


class StaffPreferenceInline(admin.StackedInline):
    """The account's desk language, on the user's page (no row yet: Spanish)."""

    model = StaffPreference
    can_delete = False
    fields = ("language",)
    verbose_name = _("desk language")
    verbose_name_plural = _("desk language")


# Django stores permission names in English when it creates them ("Can add patient"),
# so the user page's permission list would stay English; each is worded again here.
PERMISSION_ACTIONS = {
    "add": _("Can add %(model)s"),
    "change": _("Can change %(model)s"),
    "delete": _("Can delete %(model)s"),
    "view": _("Can view %(model)s"),
}


def permission_label(permission: Permission) -> str:
    """ "Consultas de telemedicina | paciente | Puede ver paciente", in the active language."""
    content_type = permission.content_type
    model = content_type.model_class()
    action, _sep, model_name = permission.codename.partition("_")
    if model is not None and action in PERMISSION_ACTIONS and model_name == model._meta.model_name:
        name = PERMISSION_ACTIONS[action] % {"model": model._meta.verbose_name}
    else:
        name = gettext(permission.name)  # a Meta.permissions name is one of our msgids
    return f"{content_type.app_labeled_name} | {name}"


admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    inlines = [*UserAdmin.inlines, StaffPreferenceInline]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "user_permissions" and field is not None:
            field.label_from_instance = permission_label
        return field
