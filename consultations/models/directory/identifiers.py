"""How the directory identifies a person: document types, the document number and the
name search key (their normalizers and model fields), shared by providers and patients."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

from django import forms
from django.core.validators import (
    MaxLengthValidator,
    MinLengthValidator,
    RegexValidator,
)
from django.db import models
from django.utils.translation import gettext_lazy as _

from consultations.kairo import contract


class DocumentType(models.TextChoices):
    CC = "CC", _("CC – Cédula de ciudadanía")
    TI = "TI", _("TI – Tarjeta de identidad")
    CE = "CE", _("CE – Cédula de extranjería")
    RC = "RC", _("RC – Registro civil")
    PAS = "PAS", _("PAS – Pasaporte")


assert {c.value for c in DocumentType} == contract.DOCUMENT_TYPE_CODES

# The desk's own wording: Django's Spanish for lengths reads badly on a document number.
DOCUMENT_NUMBER_MIN_MESSAGE = _(
    "A document number has at least %(limit_value)d characters (this one has %(show_value)d)."
)
DOCUMENT_NUMBER_MAX_MESSAGE = _(
    "A document number has at most %(limit_value)d characters (this one has %(show_value)d)."
)

document_number_validators: list[Callable[[Any], None]] = [
    MinLengthValidator(contract.DOCUMENT_NUMBER_MIN, DOCUMENT_NUMBER_MIN_MESSAGE),
    RegexValidator(
        r"^[A-Z0-9]+$",
        _("Use letters and digits only."),
        code="invalid_document_number",
    ),
]

# What people put between the digits of a document: dots ("1.020.304.050"), spaces,
# and hyphens of every kind (the plain one and the Unicode dashes a phone keyboard types).
_DOCUMENT_SEPARATORS = re.compile(r"[\s.\-\u2010-\u2015\u2212\u200b-\u200d\u2060\ufeff]")


def document_number_normalize(text: str) -> str:
    """A document number as stored: separators removed, letters upper-cased.

    The one normalizer of document numbers: the model and form fields, the searches and
    the lookups by document all use it, so "1.020.304.050", "1020 304 050" and
    "1020-304-050" are one patient. Letters are kept (passports have them); nothing but
    separators is removed.
    """
    folded = "".join(_ascii_digit(c) for c in unicodedata.normalize("NFKC", text))
    return _DOCUMENT_SEPARATORS.sub("", folded).upper()


def _ascii_digit(char: str) -> str:
    """A digit of any script ("١", "５") as its ASCII digit; anything else unchanged."""
    value = unicodedata.decimal(char, None)
    return str(value) if value is not None else char


class DocumentNumberFormField(forms.CharField):
    """A document number as typed: normalized before its length and format are checked."""

    # Room for the separators people type ("1.020.304.050" is 13 characters for 10).
    TYPED_MAX = 40

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for validator in self.validators:
            if isinstance(validator, MaxLengthValidator):
                validator.message = DOCUMENT_NUMBER_MAX_MESSAGE

    def to_python(self, value):
        value = super().to_python(value)
        return value if value is None else document_number_normalize(value)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        if "maxlength" in attrs:
            attrs["maxlength"] = str(self.TYPED_MAX)
        return attrs


# Where the migrations name these fields: the package re-exports them.
_MIGRATION_PATH = "consultations.models.directory"


class _PackagePathMixin:
    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()  # type: ignore[misc]  # a Field mixin
        return name, f"{_MIGRATION_PATH}.{type(self).__name__}", args, kwargs


class DocumentNumberField(_PackagePathMixin, models.CharField):
    """A document number, normalized wherever it enters: the model's `full_clean`
    (`to_python`), every save (`pre_save`), every lookup (`get_prep_value`) and every
    form built from the model, the admin's included (`formfield`)."""

    def to_python(self, value):
        value = super().to_python(value)
        return value if value is None else document_number_normalize(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return value if value is None else document_number_normalize(str(value))

    def pre_save(self, model_instance: models.Model, add: bool):
        value = getattr(model_instance, self.attname)
        if value is not None:
            value = document_number_normalize(value)
            setattr(model_instance, self.attname, value)
        return value

    def formfield(
        self,
        form_class: type[forms.Field] | None = DocumentNumberFormField,
        choices_form_class: type[forms.ChoiceField] | None = None,
        **kwargs: Any,
    ) -> forms.Field | None:
        return super().formfield(
            form_class=form_class, choices_form_class=choices_form_class, **kwargs
        )


def name_search_key(text: str) -> str:
    """A name as the directory searches it: no accents, no case, whitespace collapsed.

    Receptionists type names as they hear them on the phone ("rios", "PEREZ", "nunez"),
    so both the stored key and the typed fragment go through this one function:
    compatibility decomposition (NFKD) splits "í" into "i" plus a combining accent and
    "ñ" into "n" plus a tilde, the combining marks are dropped, and case is folded.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return " ".join(bare.split())


class NameSearchField(_PackagePathMixin, models.TextField):
    """The row's `name` as `name_search_key` gives it, written whenever the row is.

    Computed in `pre_save`, which Django calls on `save()` and also for every row of
    `bulk_create`, so no insert can leave it stale. `QuerySet.update(name=...)` and
    `bulk_update` bypass it: set this field alongside the name there.
    """

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    # The field whose text this one keys.
    source = "name"

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        value = name_search_key(getattr(model_instance, self.source) or "")
        setattr(model_instance, self.attname, value)
        return value
