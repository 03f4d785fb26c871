"""The audit trail in the admin, read-only: clinic admins search it by account, object,
patient and date. Nobody adds, changes or deletes a row here (nor anywhere else:
`consultations.models.audit`)."""

from __future__ import annotations

from django.contrib import admin

from consultations.admin.consultations import ReadOnlyAdminMixin
from consultations.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "at",
        "actor_username",
        "action",
        "object_type",
        "object_id",
        "patient_id",
        "address",
    )
    list_filter = ("action", "object_type")
    # The account's exact name or its start, an object's exact id.
    search_fields = ("actor_username__istartswith", "object_id__exact")
    date_hierarchy = "at"
    show_full_result_count = False
    readonly_fields = (
        "at",
        "actor_username",
        "actor_id",
        "action",
        "object_type",
        "object_id",
        "patient_id",
        "address",
        "detail",
    )
