"""Catalogs mirrored from Kairo Connect's official tables, editable in the admin."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from consultations.kairo import contract


class CatalogQuerySet(models.QuerySet):
    def active(self) -> CatalogQuerySet:
        return self.filter(is_active=True)

    def active_or(self, pk: object | None) -> CatalogQuerySet:
        """The rows a form offers: the active ones, plus the row `pk` a record already
        uses (an inactive row stays shown on old records; None adds nothing)."""
        if pk is None:
            return self.active()
        return self.filter(Q(is_active=True) | Q(pk=pk))


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

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        self._stored_requires_specialty = self.requires_specialty

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # What `clean` compares a change against, without reading the row again (an
        # import checks thousands of rows in one pass).
        if "requires_specialty" in field_names:
            instance._stored_requires_specialty = instance.requires_specialty
        return instance

    def requires_specialty_locked(self) -> bool:
        """Whether `requires_specialty` can no longer change: providers use the type, and
        each has (or lacks) a specialty to match the current value (a database constraint
        on providers too)."""
        return self.pk is not None and self.providers.exists()

    def clean(self) -> None:
        """Refuse a change of `requires_specialty` while providers use the type.

        Raises ValidationError(code="requires_specialty_in_use") on that field: the change
        would contradict those providers' specialty (or lack of one). Here rather than in
        a form so that the admin, the CSV import (`full_clean`) and any form enforce it.
        """
        super().clean()
        if self.pk is None:
            return
        stored = getattr(self, "_stored_requires_specialty", None)
        if stored is None:  # not read from the database (a pk set by hand)
            stored = (
                type(self)
                .objects.filter(pk=self.pk)
                .values_list("requires_specialty", flat=True)
                .first()
            )
        if stored is None or stored == self.requires_specialty:
            return
        if self.requires_specialty_locked():
            raise ValidationError(
                {
                    "requires_specialty": ValidationError(
                        _(
                            "Providers use this professional type, so whether it requires a "
                            "specialty cannot change."
                        ),
                        code="requires_specialty_in_use",
                    )
                }
            )


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
    """One of the ten durations docs/kairo-connect-api.md "Catalogs" allows; the key is
    the number of minutes."""

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
