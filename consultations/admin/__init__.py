"""The clinic admin: catalogs (with CSV import), the directory, and consultations read-only.

A package (house style: past ~400 lines), autodiscovered by Django as
`consultations.admin`: importing it registers every ModelAdmin. `catalogs` the catalog
rows (deactivated, never deleted while in use; CSV import), `directory` providers and
patients, `consultations` consultations and their emails (read-only), `staff` the user
page (desk language, permission names in the staff language), `webhooks` Kairo's
webhook deliveries (read-only), `audit` the audit trail (read-only). The site they are registered on is
`consultations.admin_site` (outside this package: Django builds it before importing
this).
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from consultations.admin.audit import AuditEntryAdmin
from consultations.admin.catalogs import (
    CatalogAdmin,
    CatalogImportForm,
    ConsultationTypeAdmin,
    DurationAdmin,
    MedicalSpecialtyAdmin,
    ProfessionalTypeAdmin,
    delete_selected_unless_in_use,
)
from consultations.admin.changelists import DateRangeFilter, PersonSearchMixin
from consultations.admin.consultations import (
    DELIVERY_FIELDS,
    ConsultationAdmin,
    DeliveryAdmin,
    DeliveryErrorColumn,
    DeliveryInline,
    ReadOnlyAdminMixin,
)
from consultations.admin.directory import (
    PatientAdmin,
    PatientAdminForm,
    ProviderAdmin,
)
from consultations.admin.staff import (
    PERMISSION_ACTIONS,
    PermissionChoiceField,
    StaffPreferenceInline,
    StaffUserAdmin,
    permission_label,
)
from consultations.admin.webhooks import WebhookDeliveryAdmin

admin.site.site_header = _("Kairo Connect — Clinic administration")
admin.site.site_title = _("Kairo Connect clinic administration")
admin.site.index_title = _("Catalogs, providers and patients")

__all__ = [
    "AuditEntryAdmin",
    "DELIVERY_FIELDS",
    "PERMISSION_ACTIONS",
    "CatalogAdmin",
    "CatalogImportForm",
    "ConsultationAdmin",
    "ConsultationTypeAdmin",
    "DeliveryAdmin",
    "DeliveryErrorColumn",
    "DeliveryInline",
    "PersonSearchMixin",
    "DateRangeFilter",
    "DurationAdmin",
    "MedicalSpecialtyAdmin",
    "PatientAdmin",
    "PatientAdminForm",
    "PermissionChoiceField",
    "ProfessionalTypeAdmin",
    "ProviderAdmin",
    "ReadOnlyAdminMixin",
    "StaffPreferenceInline",
    "StaffUserAdmin",
    "WebhookDeliveryAdmin",
    "delete_selected_unless_in_use",
    "permission_label",
]
