"""Webhook deliveries from Kairo Connect, one row per `X-Telehealth-Delivery` id
(docs/kairo-connect-api.md "Webhooks").

The unique delivery id is the idempotency key: the row is written in the same
transaction as the delivery's effects, so a delivery seen before has none the second
time. The stored payload leaves out the join links (`participantAccess`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection, models
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consultations.models.consultations import Consultation

# Longest delivery id the receiver accepts (Kairo sends UUIDs).
DELIVERY_ID_MAX_LENGTH = 200


class WebhookDelivery(models.Model):
    class Outcome(models.TextChoices):
        APPLIED = "applied", _("Applied")
        UNKNOWN_EVENT = "unknown_event", _("Unknown event")
        UNKNOWN_CONSULTATION = "unknown_consultation", _("Unknown consultation")
        # consultation.created matched exactly one booking whose create answer was lost.
        HEALED = "healed", _("Unconfirmed booking confirmed")
        # consultation.created for no known consultation, and zero or several bookings
        # that could be it (`candidates`): left for staff, never guessed.
        UNMATCHED = "unmatched", _("No single booking matches")

    # The outcomes that changed nothing here: staff look into them.
    NOT_APPLIED: tuple[str, ...] = (
        Outcome.UNMATCHED,
        Outcome.UNKNOWN_EVENT,
        Outcome.UNKNOWN_CONSULTATION,
    )

    delivery_id = models.CharField(
        _("delivery id"), max_length=DELIVERY_ID_MAX_LENGTH, unique=True, editable=False
    )
    event = models.CharField(_("event"), max_length=100, blank=True, editable=False)
    received_at = models.DateTimeField(_("received"), default=timezone.now, editable=False)
    payload = models.JSONField(_("payload"), default=dict, blank=True, editable=False)
    consultation = models.ForeignKey(
        Consultation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="webhook_deliveries",
        verbose_name=_("consultation"),
    )
    outcome = models.CharField(_("outcome"), max_length=30, choices=Outcome.choices)
    # Ids of our consultations that an unmatched consultation.created could be.
    candidates = models.JSONField(_("candidate consultations"), default=list, blank=True)
    # A delivery that did not apply stays on the "Needs attention" page until someone
    # marks it handled (`webhook_delivery_handle`).
    handled_at = models.DateTimeField(_("handled"), null=True, blank=True, editable=False)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("handled by"),
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("Kairo webhook")
        verbose_name_plural = _("Kairo webhooks")
        indexes = [
            models.Index(fields=["outcome", "received_at"], name="webhook_outcome_time"),
            # The admin's changelist, newest first (Meta.ordering).
            models.Index(fields=["received_at", "id"], name="webhook_received"),
        ]

    def __str__(self) -> str:
        return f"{self.event or '?'} ({self.delivery_id})"

    def insert_if_new(self) -> bool:
        """Insert this delivery unless its id is stored already, in one statement
        (INSERT ... ON CONFLICT DO NOTHING RETURNING id; SQLite: INSERT OR IGNORE):
        True, with `pk` set, when it was inserted. A concurrent copy's insert waits for
        the first one's transaction on the unique index, then inserts nothing; no
        savepoint and no read first, as a get-or-create would need."""
        fields = [field for field in self._meta.local_concrete_fields if not field.primary_key]
        query = InsertQuery(type(self), on_conflict=OnConflict.IGNORE)
        query.insert_values(fields, [self])
        ((sql, params),) = query.get_compiler(connection=connection).as_sql()
        pk = connection.ops.quote_name(self._meta.pk.column)
        with connection.cursor() as cursor:
            cursor.execute(f"{sql} RETURNING {pk}", params)
            row = cursor.fetchone()
        if row is None:
            return False
        self.pk = row[0]
        self._state.adding, self._state.db = False, connection.alias
        return True
