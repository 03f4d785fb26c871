"""A patient's history: one row per changed field, its values masked (Ley 1581)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from consultations.models.directory import Language, Patient


def masked_name(value: str) -> str:
    """A name by its initials: "Juan Camilo Gómez" -> "J. C. G."."""
    return " ".join(f"{word[:1].upper()}." for word in value.split())


def masked_email(value: str) -> str:
    """An address enough to recognise it: "juan@correo.example" -> "j***@c***.example"."""
    local, at, domain = value.partition("@")
    if not at:
        return "***"
    host, dot, rest = domain.partition(".")
    return f"{local[:1]}***@{host[:1]}***{dot}{rest}"


def masked_phone(value: str) -> str:
    """A phone by its last 3 digits: "+573001234567" -> "•••567"."""
    digits = [c for c in value if c.isdigit()]
    return "•••" + "".join(digits[-3:])


def masked_document(value: str) -> str:
    """A document number by its last 4 characters, as lists show it: "•••4050"."""
    return "•••" + value[-4:]


class PatientChange(models.Model):
    """One field of a patient changed: what it was and became (masked), who, when, where.

    Raw values are never stored here: an old address or phone is personal data the
    patient replaced, and a history must not keep a second copy of it.
    """

    class Field(models.TextChoices):
        DOCUMENT_TYPE = "document_type", _("document type")
        DOCUMENT_NUMBER = "document_number", _("document number")
        NAME = "name", _("full name")
        PHONE = "phone", _("phone")
        EMAIL = "email", _("email")
        PREFERRED_LANGUAGE = "preferred_language", _("preferred language")

    class Source(models.TextChoices):
        BOOKING = "booking", _("booking form")
        PATIENT_PAGE = "patient_page", _("patient page")
        ADMIN = "admin", _("admin site")

    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="changes", verbose_name=_("patient")
    )
    field = models.CharField(_("field"), max_length=30, choices=Field.choices)
    old_value = models.CharField(_("before (masked)"), max_length=200, blank=True)
    new_value = models.CharField(_("after (masked)"), max_length=200, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)
    source = models.CharField(_("where"), max_length=20, choices=Source.choices)

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("patient change")
        verbose_name_plural = _("patient changes")
        indexes = [models.Index(fields=["patient", "-changed_at"], name="patient_change_latest")]

    def __str__(self) -> str:
        return f"{self.get_field_display()}: {self.old_value} → {self.new_value}"

    @classmethod
    def masked(cls, field: str, value: object) -> str:
        """`value` of `field` as the history keeps it."""
        text = "" if value is None else str(value)
        if not text:
            return ""
        if field == cls.Field.NAME:
            return masked_name(text)
        if field == cls.Field.EMAIL:
            return masked_email(text)
        if field == cls.Field.PHONE:
            return masked_phone(text)
        if field == cls.Field.DOCUMENT_NUMBER:
            return masked_document(text)
        return text  # a document type or a language code: not personal on its own

    @property
    def old_display(self) -> str:
        return self._display(self.old_value)

    @property
    def new_display(self) -> str:
        return self._display(self.new_value)

    def _display(self, value: str) -> str:
        if self.field == self.Field.PREFERRED_LANGUAGE:
            return str(dict(Language.choices).get(value, value))
        return value
