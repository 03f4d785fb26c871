"""The audit trail: who did what, when and from where, one row per act (Ley 1581 de 2012
asks the clinic to know who reached a patient's data).

A row names its object (kind and id) and never its personal data: no name, document,
phone, email, PIN or link is written here, so the trail needs no scrubbing when a patient
is anonymized and can be shown to an auditor as it is. Rows are only ever added:
`AuditEntry.save()` refuses to change a saved row, `delete()` and the queryset's
`update()`/`delete()` refuse outright, the admin shows it read-only, and on PostgreSQL
triggers (django-pgtrigger's `Protect`) make the database itself refuse UPDATE, DELETE
and TRUNCATE, whatever code or SQL console tries (row triggers never see a TRUNCATE, so
a statement-level one guards it; `manage.py flush` is refused too, on purpose).

No foreign keys: a row outlives the user, patient or consultation it names (a deleted
provider, a renamed account), and a cascade or SET NULL would be an update.
"""

from __future__ import annotations

from typing import Any

import pgtrigger
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditRefused(Exception):
    """Someone tried to change or delete an audit row."""


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise AuditRefused("The audit trail is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditRefused("The audit trail is append-only.")


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        LOGIN = "login", _("signed in")
        LOGIN_FAILED = "login_failed", _("failed sign-in")
        LOGOUT = "logout", _("signed out")
        CONSULTATION_VIEWED = "consultation_viewed", _("viewed a consultation (PIN and links)")
        JOIN_LINKS_VIEWED = "join_links_viewed", _("viewed the join links")
        BOOKED = "booked", _("booked a consultation")
        REFRESHED = "refreshed", _("refreshed a consultation from Kairo Connect")
        CANCELLED = "cancelled", _("cancelled a consultation")
        RESENT = "resent", _("resent an email")
        JOIN_LINK_REISSUED = "join_link_reissued", _("revoked and reissued a join link")
        EXPORTED = "exported", _("exported consultations")
        PATIENT_VIEWED = "patient_viewed", _("viewed a patient")
        PATIENT_CREATED = "patient_created", _("created a patient")
        PATIENT_CHANGED = "patient_changed", _("changed a patient")
        PROVIDER_CREATED = "provider_created", _("created a provider")
        PROVIDER_CHANGED = "provider_changed", _("changed a provider")
        CATALOG_CHANGED = "catalog_changed", _("changed a catalog entry")
        CATALOG_IMPORTED = "catalog_imported", _("imported a catalog")
        ADMIN_CHANGED = "admin_changed", _("changed a record in the admin")
        ADMIN_DELETED = "admin_deleted", _("deleted a record in the admin")
        DATA_EXPORTED = "data_exported", _("exported a patient's data (Ley 1581)")
        AUTHORIZATION_WITHDRAWN = "authorization_withdrawn", _("recorded a withdrawal")
        ANONYMIZED = "anonymized", _("anonymized a patient")
        RETENTION_ANONYMIZED = "retention_anonymized", _("anonymized by the retention rule")

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True, editable=False)
    # Who: the account's id and username as they were (no foreign key; see above). Empty
    # for the system (a cron job) and for a failed sign-in's unknown account.
    actor_id = models.IntegerField(_("account id"), null=True, blank=True, editable=False)
    actor_username = models.CharField(
        _("account"), max_length=150, blank=True, db_index=True, editable=False
    )
    action = models.CharField(_("action"), max_length=40, choices=Action.choices, editable=False)
    # What: a kind ("consultation", "patient", "provider", "consultationtype", ...) and
    # its id; and the patient whose data it concerns, when there is one, so "who saw
    # this patient's data" is one filter.
    object_type = models.CharField(_("object kind"), max_length=40, blank=True, editable=False)
    object_id = models.CharField(_("object id"), max_length=64, blank=True, editable=False)
    patient_id = models.IntegerField(_("patient id"), null=True, blank=True, editable=False)
    # Where from: the client's address as django-axes sees it (`client_address`).
    address = models.GenericIPAddressField(_("address"), null=True, blank=True, editable=False)
    # Particulars that are not personal data: field names changed, an export's row count
    # and format, a catalog file's row count.
    detail = models.JSONField(_("detail"), default=dict, blank=True, editable=False)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ("-at", "-pk")
        indexes = [
            models.Index(fields=["patient_id", "at"], name="audit_patient_at"),
            # The admin's changelist, newest first (Meta.ordering).
            models.Index(fields=["at", "id"], name="audit_at"),
            models.Index(fields=["object_type", "object_id", "at"], name="audit_object_at"),
        ]
        triggers = [
            pgtrigger.Protect(
                name="audit_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            ),
            # `Protect` offers no statement-level TRUNCATE, so the same refusal by hand.
            pgtrigger.Trigger(
                name="audit_no_truncate",
                operation=pgtrigger.Truncate,
                level=pgtrigger.Statement,
                when=pgtrigger.Before,
                func="RAISE EXCEPTION 'pgtrigger: Cannot truncate % table', TG_TABLE_NAME;",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_username or '-'} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditRefused("The audit trail is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditRefused("The audit trail is append-only.")
