"""Consultations and their timeline. The contract cited below is docs/kairo-connect-api.md."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consultations.kairo import contract
from consultations.models.catalogs import ConsultationType, Duration
from consultations.models.directory import Patient, Provider


class ConsultationStatus(models.TextChoices):
    SENDING = "sending", _("Sending to Kairo")
    UNCONFIRMED = "unconfirmed", _("Unconfirmed")
    BOOKED = "booked", _("Booked")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    EXPIRED = "expired", _("Expired")
    CANCELLED = "cancelled", _("Cancelled")
    REJECTED = "rejected", _("Rejected by Kairo")


# The statuses that hold the provider's and the patient's time window. An unconfirmed
# booking keeps its slot: Kairo may well have created it (contract "Errors": overlapping
# means Pending or InProgress there, and we cannot know which).
ACTIVE_STATUSES: tuple[str, ...] = (
    ConsultationStatus.SENDING,
    ConsultationStatus.UNCONFIRMED,
    ConsultationStatus.BOOKED,
    ConsultationStatus.IN_PROGRESS,
)


# The longest window a consultation occupies: its duration, one of those Kairo Connect
# allows (contract "Catalogs"); the window is start + duration (`rules.consultation_window`,
# and a move by Kairo keeps the length). So a consultation overlapping a moment started
# at most this long before it: that lower bound on `starts_at` lets PostgreSQL read only
# the rows near the window from the (provider|patient, starts_at) and starts_at indexes,
# instead of every consultation that ever started before the window's end.
LONGEST_WINDOW = dt.timedelta(minutes=max(contract.ALLOWED_DURATIONS))

# Kairo statuses of a consultation that no longer holds its window there.
KAIRO_RELEASED_STATUSES: tuple[str, ...] = (contract.STATUS_COMPLETED, contract.STATUS_EXPIRED)


def _held_by_kairo_q() -> Q:
    # Kairo Connect has no cancel operation (contract "Endpoints"): a consultation cancelled
    # here stays Pending there until it expires (expiry = start + duration), and Kairo
    # refuses an overlapping booking of that provider or patient (contract "Errors",
    # Decision on "overlapping"). A cancelled unconfirmed booking may exist there too.
    return Q(status=ConsultationStatus.CANCELLED) & ~Q(kairo_status__in=KAIRO_RELEASED_STATUSES)


def held_by_kairo(status: str, kairo_status: str) -> bool:
    """A consultation with these statuses is cancelled here, yet Kairo keeps its window
    (`_held_by_kairo_q`, the same rule as a query)."""
    return status == ConsultationStatus.CANCELLED and kairo_status not in KAIRO_RELEASED_STATUSES


class ConsultationQuerySet(models.QuerySet):
    def active(self) -> ConsultationQuerySet:
        return self.filter(status__in=ACTIVE_STATUSES)

    def held_by_kairo(self) -> ConsultationQuerySet:
        """Cancelled here, but still holding their window in Kairo Connect."""
        return self.filter(_held_by_kairo_q())

    def blocking(self) -> ConsultationQuerySet:
        """Every consultation whose window a new booking may not overlap: the active
        ones, and those cancelled here that Kairo still holds."""
        return self.filter(Q(status__in=ACTIVE_STATUSES) | _held_by_kairo_q())

    def overlapping(self, starts_at, ends_at) -> ConsultationQuerySet:
        """Windows [start, end) that intersect [starts_at, ends_at); adjacent ones do not.
        Bounded below by LONGEST_WINDOW, which changes no answer and keeps the read to
        the rows near the window at any table size."""
        window = self.filter(starts_at__lt=ends_at, ends_at__gt=starts_at)
        try:
            return window.filter(starts_at__gte=starts_at - LONGEST_WINDOW)
        except OverflowError:  # within the first hour of year 1: nothing starts before
            return window


class Consultation(models.Model):
    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="consultations", verbose_name=_("provider")
    )
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="consultations", verbose_name=_("patient")
    )
    consultation_type = models.ForeignKey(
        ConsultationType,
        on_delete=models.PROTECT,
        related_name="consultations",
        verbose_name=_("consultation type"),
    )
    duration = models.ForeignKey(
        Duration,
        to_field="minutes",
        db_column="duration_minutes",
        on_delete=models.PROTECT,
        related_name="consultations",
        verbose_name=_("duration"),
    )
    scheduled_for = models.DateTimeField(
        _("scheduled for"),
        null=True,
        blank=True,
        help_text=_("Empty for an immediate consultation."),
    )
    # The window the consultation occupies: [starts_at, ends_at). For an immediate one it
    # runs from the moment it was booked.
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ConsultationStatus.choices,
        default=ConsultationStatus.SENDING,
    )

    kairo_consultation_id = models.UUIDField(
        _("Kairo consultation id"), null=True, blank=True, unique=True
    )
    access_pin = models.CharField(_("access PIN"), max_length=12, blank=True)
    patient_join_url = models.URLField(_("patient join link"), max_length=500, blank=True)
    provider_join_url = models.URLField(_("provider join link"), max_length=500, blank=True)
    kairo_expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    kairo_status = models.CharField(_("Kairo status"), max_length=40, blank=True)
    kairo_last_request_id = models.CharField(_("last Kairo request id"), max_length=100, blank=True)
    # The exact body sent (or about to be sent) to POST /consultations.
    kairo_request = models.JSONField(_("Kairo request"), null=True, blank=True, editable=False)
    # Session facts from Kairo's detail (sessionInfo) or webhooks.
    session_started_at = models.DateTimeField(_("session started"), null=True, blank=True)
    provider_joined_at = models.DateTimeField(_("provider joined"), null=True, blank=True)
    patient_joined_at = models.DateTimeField(_("patient joined"), null=True, blank=True)
    call_quality = models.CharField(_("call quality"), max_length=40, blank=True)
    kairo_checked_at = models.DateTimeField(_("last checked with Kairo"), null=True, blank=True)
    # When the reconciliation last took this consultation to ask Kairo about it: the
    # claim that keeps two runs from asking twice (`services.consultations_reconcile`).
    reconcile_claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # RFC 5545 SEQUENCE of the calendar file sent for this consultation: raised whenever
    # its time changes, so calendar programs replace the event instead of adding one.
    calendar_sequence = models.PositiveIntegerField(
        _("calendar revision"), default=0, editable=False
    )

    # One-time token of the booking form that created this row: a double-clicked or
    # resubmitted form finds the booking already made instead of making a second one.
    booking_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cancelled by"),
    )
    cancellation_reason = models.CharField(_("cancellation reason"), max_length=300, blank=True)

    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="booked_consultations",
        verbose_name=_("booked by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ConsultationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="consultation_window_positive"
            ),
            models.CheckConstraint(
                condition=Q(duration__in=contract.ALLOWED_DURATIONS),
                name="consultation_duration_allowed",
            ),
        ]
        indexes = [
            models.Index(fields=["provider", "starts_at"], name="consultation_provider_start"),
            models.Index(fields=["patient", "starts_at"], name="consultation_patient_start"),
            models.Index(fields=["starts_at"], name="consultation_start"),
            models.Index(fields=["status", "updated_at"], name="consultation_status_updated"),
            # The admin's changelist, newest first (Meta.ordering).
            models.Index(fields=["created_at", "id"], name="consultation_created"),
        ]
        permissions = [
            ("book_consultation", _("Can book consultations")),
            ("resend_consultation", _("Can resend join links")),
        ]

    def __str__(self) -> str:
        return _("Consultation %(id)s") % {"id": self.pk}

    @property
    def is_immediate(self) -> bool:
        return self.scheduled_for is None

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def is_held_by_kairo(self) -> bool:
        """Cancelled here, yet Kairo keeps its window (see `held_by_kairo`)."""
        return held_by_kairo(self.status, self.kairo_status)

    def language_for(self, recipient: str) -> str:
        """The language `recipient` reads: the patient's preferred one (when the site
        offers it), else settings.LANGUAGE_CODE (providers have no language of their own).
        Raises ValueError for any other recipient."""
        if recipient == "patient":
            preferred = self.patient.preferred_language
            if preferred in dict(settings.LANGUAGES):
                return preferred
            return settings.LANGUAGE_CODE
        if recipient == "provider":
            return settings.LANGUAGE_CODE
        raise ValueError(f"unknown recipient {recipient!r}")

    def join_url_for(self, recipient: str) -> str:
        """The join link stored for `recipient` ("patient" or "provider"), "" while Kairo
        has given none. Each party has its own link to the same room (contract
        "Create a consultation": `participantAccess`); one must never reach the other.
        Raises ValueError for any other recipient."""
        if recipient == "patient":
            return self.patient_join_url
        if recipient == "provider":
            return self.provider_join_url
        raise ValueError(f"unknown recipient {recipient!r}")


class ConsultationEvent(models.Model):
    """One line of a consultation's timeline: what happened, when, who, Kairo's request id.

    `detail` holds facts safe to show staff (codes, statuses, field names); never a PIN,
    a join link or patient data.
    """

    class Kind(models.TextChoices):
        BOOKING_STARTED = "booking_started", _("Booking sent to Kairo")
        BOOKED = "booked", _("Booked in Kairo")
        REJECTED = "rejected", _("Rejected by Kairo")
        UNCONFIRMED = "unconfirmed", _("Kairo's answer unknown")
        CONFIGURATION_ERROR = "configuration_error", _("Kairo credentials refused")
        STUCK_SWEPT = "stuck_swept", _("Left sending; marked unconfirmed")
        REFRESHED = "refreshed", _("Refreshed from Kairo")
        REFRESH_FAILED = "refresh_failed", _("Refresh from Kairo failed")
        STATUS_CHANGED = "status_changed", _("Status changed")
        CANCELLED = "cancelled", _("Cancelled")
        EMAIL = "email", _("Email")
        WEBHOOK = "webhook", _("Kairo webhook")
        # An unconfirmed booking without Kairo's id, still unresolved after
        # KAIRO_UNCONFIRMED_ATTENTION_MINUTES: shown to staff once, with the requestId.
        NEEDS_ATTENTION = "needs_attention", _("Needs staff attention")
        # The clinic's join page (`JoinLink`): `detail` names the recipient only.
        JOIN_PAGE_OPENED = "join_page_opened", _("Join page opened")
        JOIN_PRESSED = "join_pressed", _("Join pressed")
        JOIN_LINKS_REISSUED = "join_links_reissued", _("Join links reissued")

    consultation = models.ForeignKey(
        Consultation,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name=_("consultation"),
    )
    kind = models.CharField(_("what"), max_length=30, choices=Kind.choices)
    created_at = models.DateTimeField(_("when"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    kairo_request_id = models.CharField(_("Kairo request id"), max_length=100, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("consultation event")
        verbose_name_plural = _("consultation events")
        indexes = [
            models.Index(fields=["consultation", "created_at"], name="event_consultation_time")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.created_at:%Y-%m-%d %H:%M})"
