"""Providers and patients, each identified by document type + number
(`identifiers`)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import (
    EmailValidator,
    MinLengthValidator,
)
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from consultations.kairo import contract
from consultations.models.catalogs import MedicalSpecialty, ProfessionalType
from consultations.models.directory.identifiers import (
    DocumentNumberField,
    DocumentType,
    NameSearchField,
    document_number_normalize,
    document_number_validators,
)


def document_masked(document_type: str, document_number: str | None) -> str:
    """`CC •••4050`: a document with all but its last 4 characters hidden (what
    `Identity.masked_document` shows), from the two stored values, for code that reads
    them without building the model (the CSV export)."""
    return f"{document_type} •••{(document_number or '')[-4:]}"


class Identity(models.Model):
    """Identity and contact fields shared by providers and patients (both parties of
    docs/kairo-connect-api.md "Create a consultation")."""

    # Each subclass declares the field (the length rules differ).
    name: str
    # The document as read from the database (`from_db`), for `validate_constraints`.
    _stored_document: tuple[str | None, str | None] | None = None
    document_type = models.CharField(_("document type"), max_length=3, choices=DocumentType.choices)
    document_number = DocumentNumberField(
        _("document number"),
        max_length=contract.DOCUMENT_NUMBER_MAX,
        validators=document_number_validators,
        help_text=_("8 to 20 letters or digits; dots, spaces and hyphens are removed."),
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
    # What the name search matches: see name_search_key. Indexed for trigram search on
    # PostgreSQL (patients, migration 0013).
    name_search = NameSearchField()
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_search"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        # Each subclass declares `name` (the length rules differ); both tidy it alike.
        if self.name:
            self.name = " ".join(self.name.split())
        if self.document_number:
            self.document_number = document_number_normalize(self.document_number)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # A deferred part reads as None.
        instance._stored_document = (
            instance.__dict__.get("document_type"),
            instance.__dict__.get("document_number"),
        )
        return instance

    def validate_constraints(self, exclude=None) -> None:
        """Report a duplicate document on the document number, where staff can fix it.

        A stored row whose document is unchanged is not looked up again: the database's
        unique constraint already holds for it (its document fields are in no other
        constraint), so a booking for a patient matched by document, or any edit that
        leaves the document alone, costs no query for it."""
        if self.pk is not None and self._stored_document == (
            self.document_type,
            self.document_number,
        ):
            exclude = {*(exclude or ()), "document_type", "document_number"}
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
        return document_masked(self.document_type, self.document_number)


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
    # The patient's withdrawal of that authorization (Ley 1581 de 2012, art. 8 e): the
    # last one recorded. While it stands (no authorization given since), the patient is
    # not booked; their consultations already booked stay as they are. The authorization
    # fields above keep what had been given, for the record.
    data_processing_withdrawn_at = models.DateTimeField(
        _("authorization withdrawn at"), null=True, blank=True, editable=False
    )
    data_processing_withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("withdrawal recorded by"),
    )
    # Set once the identity is replaced (`services.patient_anonymize`): the row stays so
    # that its consultations stay countable, and it can no longer be changed or booked.
    anonymized_at = models.DateTimeField(_("anonymized at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        # The admin's changelist, by name (its ordering, with the id as tie-break).
        indexes = [models.Index(fields=["name", "id"], name="patient_name")]
        permissions = [
            (
                "manage_patient_data",
                _("Can export, withdraw the authorization of and anonymize patients (Ley 1581)"),
            ),
        ]
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
        if self.data_processing_authorized and not self.data_processing_policy_version:
            raise ValidationError(
                {
                    "data_processing_policy_version": ValidationError(
                        _("Say which version of the data-processing policy the patient accepted."),
                        code="policy_version_required",
                    )
                }
            )

    @property
    def authorization_withdrawn(self) -> bool:
        """The patient withdrew their authorization and has given none since."""
        return not self.data_processing_authorized and self.data_processing_withdrawn_at is not None

    @property
    def is_anonymized(self) -> bool:
        return self.anonymized_at is not None

    def record_authorization(self, *, given: bool, policy_version: str, recorded_by) -> None:
        """Set the Ley 1581 authorization fields together (not saved)."""
        self.data_processing_authorized = given
        self.data_processing_policy_version = policy_version if given else ""
        self.data_processing_authorized_at = timezone.now() if given else None
        self.data_processing_recorded_by = recorded_by
