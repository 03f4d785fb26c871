"""The clinic's data: catalogs, the directory (providers, patients) and consultations.

Each field rule of the Kairo Connect contract lives once, on the model field (validators
built from `kairo.contract`); one row's consistency lives in `clean()` and in
`Meta.constraints`; rules that need other rows or the clock live in `rules.py`.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import EmailValidator, MinLengthValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from consultations.kairo import contract

# --- Catalogs ---------------------------------------------------------------------------


class CatalogQuerySet(models.QuerySet):
    def active(self) -> CatalogQuerySet:
        return self.filter(is_active=True)


catalog_code_validator = RegexValidator(
    r"^[A-Za-z0-9_-]+$",
    _("Use letters, digits, '-' or '_' only, with no spaces."),
    code="invalid_code",
)


class CatalogEntry(models.Model):
    """What every Kairo catalog row has: a code Kairo knows it by, a name, an active flag.

    Rows in use are protected from deletion by the `PROTECT` foreign keys that point at
    them; an admin deactivates them instead, which hides them from forms only.
    """

    code = models.CharField(
        _("code"), max_length=50, unique=True, validators=[catalog_code_validator]
    )
    name = models.CharField(_("name"), max_length=120)
    is_active = models.BooleanField(_("active"), default=True)
    is_confirmed = models.BooleanField(
        _("confirmed"),
        default=True,
        help_text=_(
            "Unchecked for starter rows that the Kairo Connect contract does not confirm: "
            "check them against the official table before relying on them."
        ),
    )

    objects = CatalogQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProfessionalType(CatalogEntry):
    requires_specialty = models.BooleanField(
        _("requires a specialty"),
        default=False,
        help_text=_(
            "Kairo Connect requires a medical specialty for this type, and refuses one otherwise."
        ),
    )

    class Meta(CatalogEntry.Meta):
        verbose_name = _("professional type")
        verbose_name_plural = _("professional types")


class MedicalSpecialty(CatalogEntry):
    kairo_id = models.PositiveIntegerField(
        _("Kairo id"),
        null=True,
        blank=True,
        unique=True,
        help_text=_("From the official table, if known."),
    )

    class Meta(CatalogEntry.Meta):
        verbose_name = _("medical specialty")
        verbose_name_plural = _("medical specialties")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class ConsultationType(CatalogEntry):
    description = models.TextField(_("description"), blank=True)

    class Meta(CatalogEntry.Meta):
        verbose_name = _("consultation type")
        verbose_name_plural = _("consultation types")


class Duration(models.Model):
    """One of the contract's ten allowed durations; the key is the number of minutes."""

    minutes = models.PositiveSmallIntegerField(
        _("minutes"),
        unique=True,
        choices=[(m, m) for m in contract.ALLOWED_DURATIONS],
    )
    recommended_use = models.CharField(_("recommended use"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = CatalogQuerySet.as_manager()

    class Meta:
        ordering = ["minutes"]
        verbose_name = _("duration")
        verbose_name_plural = _("durations")
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__in=contract.ALLOWED_DURATIONS),
                name="duration_minutes_allowed",
                violation_error_message=_("Kairo Connect does not allow this duration."),
            )
        ]

    def __str__(self) -> str:
        return _("%(minutes)s min") % {"minutes": self.minutes}


# --- Directory --------------------------------------------------------------------------


class DocumentType(models.TextChoices):
    CC = "CC", _("CC – Cédula de ciudadanía")
    TI = "TI", _("TI – Tarjeta de identidad")
    CE = "CE", _("CE – Cédula de extranjería")
    RC = "RC", _("RC – Registro civil")
    PAS = "PAS", _("PAS – Pasaporte")


assert {c.value for c in DocumentType} == contract.DOCUMENT_TYPE_CODES

document_number_validators = [
    MinLengthValidator(contract.DOCUMENT_NUMBER_MIN),
    RegexValidator(
        r"^[A-Za-z0-9-]+$",
        _("Use letters, digits or '-' only, with no spaces or dots."),
        code="invalid_document_number",
    ),
]


class Identity(models.Model):
    """Identity and contact fields shared by providers and patients (contract: both parties)."""

    document_type = models.CharField(_("document type"), max_length=3, choices=DocumentType.choices)
    document_number = models.CharField(
        _("document number"),
        max_length=contract.DOCUMENT_NUMBER_MAX,
        validators=document_number_validators,
        help_text=_("8 to 20 characters, without dots or spaces."),
    )
    phone = PhoneNumberField(
        _("phone"),
        help_text=_(
            "International format, e.g. +57 300 123 4567; numbers without +57 are taken as Colombian."
        ),
    )
    # Kairo Connect wants a deliverable address: Django's default validator would also
    # accept "user@localhost", so the allowlist is emptied (a dotted domain is required).
    email = models.EmailField(_("email"), validators=[EmailValidator(allowlist=[])])
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True

    def clean(self) -> None:
        super().clean()
        if self.document_number:
            self.document_number = self.document_number.strip().upper()

    def validate_constraints(self, exclude=None) -> None:
        """Report a duplicate document on the document number, where staff can fix it."""
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as exc:
            errors = exc.update_error_dict({})
            general = errors.pop(NON_FIELD_ERRORS, [])
            duplicates = [e for e in general if e.code == "duplicate_document"]
            others = [e for e in general if e.code != "duplicate_document"]
            if others:
                errors[NON_FIELD_ERRORS] = others
            if duplicates:
                errors.setdefault("document_number", []).extend(duplicates)
            raise ValidationError(errors) from exc

    @property
    def masked_document(self) -> str:
        """The document with all but its last 4 characters hidden, for lists and logs."""
        number = self.document_number or ""
        return f"{self.document_type} •••{number[-4:]}"


class Provider(Identity):
    name = models.CharField(
        _("full name"),
        max_length=contract.PROVIDER_NAME_MAX,
        validators=[MinLengthValidator(contract.PROVIDER_NAME_MIN)],
        help_text=_("10 to 50 characters, as Kairo Connect requires."),
    )
    professional_type = models.ForeignKey(
        ProfessionalType,
        on_delete=models.PROTECT,
        related_name="providers",
        verbose_name=_("professional type"),
    )
    specialty = models.ForeignKey(
        MedicalSpecialty,
        on_delete=models.PROTECT,
        related_name="providers",
        null=True,
        blank=True,
        verbose_name=_("medical specialty"),
    )
    # Copied from the professional type on save so that the database itself can check
    # "specialty present if and only if the type requires one" (a CHECK cannot join).
    requires_specialty = models.BooleanField(editable=False, default=False)
    professional_license = models.CharField(_("professional license"), max_length=50, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("provider")
        verbose_name_plural = _("providers")
        constraints = [
            models.UniqueConstraint(
                fields=["document_type", "document_number"],
                name="provider_unique_document",
                violation_error_code="duplicate_document",
                violation_error_message=_("A provider with this document already exists."),
            ),
            models.CheckConstraint(
                condition=Q(requires_specialty=True, specialty__isnull=False)
                | Q(requires_specialty=False, specialty__isnull=True),
                name="provider_specialty_iff_required",
                violation_error_message=_("The specialty does not match the professional type."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.requires_specialty = self.professional_type.requires_specialty
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        if self.name:
            self.name = " ".join(self.name.split())
        if self.professional_type_id is None:
            return
        ptype = self.professional_type
        # Before validate_constraints() checks provider_specialty_iff_required.
        self.requires_specialty = ptype.requires_specialty
        if ptype.requires_specialty and self.specialty_id is None:
            raise ValidationError(
                {
                    "specialty": ValidationError(
                        _("This professional type requires a medical specialty."),
                        code="specialty_required",
                    )
                }
            )
        if not ptype.requires_specialty and self.specialty_id is not None:
            raise ValidationError(
                {
                    "specialty": ValidationError(
                        _(
                            "Only specialists have a medical specialty; leave it empty for this professional type."
                        ),
                        code="specialty_not_allowed",
                    )
                }
            )


class Language(models.TextChoices):
    ES = "es", _("Spanish")
    EN = "en", _("English")


class Patient(Identity):
    name = models.CharField(_("full name"), max_length=150)
    preferred_language = models.CharField(
        _("preferred language"), max_length=2, choices=Language.choices, default=Language.ES
    )
    # Ley 1581 de 2012 (habeas data): the patient's authorization to process their data.
    data_processing_authorized = models.BooleanField(
        _("data-processing authorization given"), default=False
    )
    data_processing_authorized_at = models.DateTimeField(
        _("authorization recorded at"), null=True, blank=True
    )
    data_processing_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("authorization recorded by"),
    )
    data_processing_policy_version = models.CharField(
        _("policy version"), max_length=30, blank=True
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        constraints = [
            models.UniqueConstraint(
                fields=["document_type", "document_number"],
                name="patient_unique_document",
                violation_error_code="duplicate_document",
                violation_error_message=_("A patient with this document already exists."),
            ),
            models.CheckConstraint(
                condition=Q(data_processing_authorized=False)
                | Q(data_processing_authorized_at__isnull=False)
                & ~Q(data_processing_policy_version=""),
                name="patient_authorization_recorded",
                violation_error_message=_("An authorization needs its date and policy version."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.name:
            self.name = " ".join(self.name.split())
        if self.data_processing_authorized and not self.data_processing_policy_version:
            raise ValidationError(
                {
                    "data_processing_policy_version": ValidationError(
                        _("Say which version of the data-processing policy the patient accepted."),
                        code="policy_version_required",
                    )
                }
            )

    def record_authorization(self, *, given: bool, policy_version: str, recorded_by) -> None:
        """Set the Ley 1581 authorization fields together (not saved)."""
        self.data_processing_authorized = given
        self.data_processing_policy_version = policy_version if given else ""
        self.data_processing_authorized_at = timezone.now() if given else None
        self.data_processing_recorded_by = recorded_by


# --- Consultations ----------------------------------------------------------------------


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
# booking keeps its slot: Kairo may well have created it (contract: overlapping means
# Pending or InProgress there, and we cannot know which).
ACTIVE_STATUSES: tuple[str, ...] = (
    ConsultationStatus.SENDING,
    ConsultationStatus.UNCONFIRMED,
    ConsultationStatus.BOOKED,
    ConsultationStatus.IN_PROGRESS,
)


class ConsultationQuerySet(models.QuerySet):
    def active(self) -> ConsultationQuerySet:
        return self.filter(status__in=ACTIVE_STATUSES)

    def overlapping(self, starts_at, ends_at) -> ConsultationQuerySet:
        """Windows [start, end) that intersect [starts_at, ends_at); adjacent ones do not."""
        return self.filter(starts_at__lt=ends_at, ends_at__gt=starts_at)


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
