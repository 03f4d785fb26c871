"""Email deliveries: one row per message we owe a patient or a provider, and its fate."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consultations.models.consultations import Consultation


class Delivery(models.Model):
    """One email about a consultation: who it is for, why, and what became of it.

    A row is never rewritten to another message: "Resend" adds a row. `to_address` is the
    address an attempt actually used, read from the patient or provider at that attempt,
    so a later change of address shows on the next delivery, not on this one.
    `last_error` holds safe text only (exception class, SMTP code): never an address, a
    join link or a PIN.
    """

    class Recipient(models.TextChoices):
        PATIENT = "patient", _("Patient")
        PROVIDER = "provider", _("Provider")

    class Kind(models.TextChoices):
        BOOKING = "booking", _("Booking")
        RESEND = "resend", _("Resend")
        REMINDER = "reminder", _("Reminder")
        # Kairo reported another time for a consultation already announced: the new
        # time, with a calendar file whose raised SEQUENCE replaces the old event.
        TIME_CHANGED = "time_changed", _("New time")
        # Cancelled here: says so, without the PIN or a link, with a calendar file that
        # removes the event (the same UID, a raised SEQUENCE).
        CANCELLED = "cancelled", _("Cancellation")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    consultation = models.ForeignKey(
        Consultation,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("consultation"),
    )
    recipient = models.CharField(_("recipient"), max_length=10, choices=Recipient.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    reminder_offset_minutes = models.PositiveIntegerField(
        _("minutes before the start"), null=True, blank=True
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=200, blank=True)
    # When the next attempt may start; empty once the delivery is sent or failed.
    next_attempt_at = models.DateTimeField(
        _("next attempt"), null=True, blank=True, default=timezone.now
    )
    # When the current attempt was claimed: a *sending* row far older than any send can
    # take was abandoned by a worker that died (see `deliveries_resume`).
    attempt_started_at = models.DateTimeField(_("attempt started"), null=True, blank=True)
    to_address = models.EmailField(_("sent to"), max_length=254, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    # Not stored: set only on the rows a consultation page lists (by the view's
    # `emails_context`), the last error in staff words and its technical detail.
    error_text: str
    error_detail: str

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("email delivery")
        verbose_name_plural = _("email deliveries")
        constraints = [
            # Exactly once: the booking message per recipient, each reminder per offset.
            # Concurrent schedulers both try the insert; the database keeps one.
            models.UniqueConstraint(
                fields=["consultation", "recipient"],
                condition=Q(kind="booking"),
                name="delivery_one_booking_message",
            ),
            # A consultation is cancelled once, so its cancellation is written once.
            models.UniqueConstraint(
                fields=["consultation", "recipient"],
                condition=Q(kind="cancelled"),
                name="delivery_one_cancellation_message",
            ),
            models.UniqueConstraint(
                fields=["consultation", "recipient", "reminder_offset_minutes"],
                condition=Q(kind="reminder"),
                name="delivery_one_reminder_per_offset",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="reminder", recipient="patient", reminder_offset_minutes__isnull=False)
                    | (~Q(kind="reminder") & Q(reminder_offset_minutes__isnull=True))
                ),
                name="delivery_reminder_offset_iff_reminder",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="delivery_state_next_attempt"),
            # The admin's changelist, newest first.
            models.Index(fields=["created_at", "id"], name="delivery_created"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.get_recipient_display()} ({self.get_state_display()})"

    @property
    def masked_address(self) -> str:
        """The address used, enough to recognise it: "j***@correo.example"."""
        local, at, domain = self.to_address.partition("@")
        if not at:
            return ""
        return f"{local[:1]}***@{domain}"
