"""The importable catalogs: for each, its model, the column rows are matched by, its columns.

Column names are English, with the Spanish aliases an official table or a clinic's
spreadsheet may use; headers match ignoring case, accents, spaces and hyphens.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Model
from django.utils.translation import gettext_lazy as _

from consultations.models import (
    ConsultationType,
    Duration,
    MedicalSpecialty,
    ProfessionalType,
    name_search_key,
)

_TRUE = frozenset({"1", "true", "t", "yes", "y", "si", "s", "verdadero", "x"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "falso"})


def normalise(value: str) -> str:
    """No case, no accents, '_' for spaces and '-': 'Código' -> 'codigo'.

    The directory's name search key (accents and case dropped, whitespace collapsed),
    with words joined by '_'.
    """
    return name_search_key(value.replace("-", " ")).replace(" ", "_")


def parse_text(raw: str) -> str:
    return raw


def _parse_boolean(raw: str) -> bool:
    value = normalise(raw)
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValidationError(
        _("“%(value)s” is not a yes/no value (use si, no, true, false, 1 or 0)."),
        code="invalid_boolean",
        params={"value": raw},
    )


def _parse_integer(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ValidationError(
            _("“%(value)s” is not a whole number."), code="invalid_integer", params={"value": raw}
        ) from None


@dataclass(frozen=True)
class Column:
    """One CSV column: its English name, accepted aliases, model field and parser."""

    name: str
    model_field: str
    parse: Callable[[str], object] = parse_text
    required: bool = False
    aliases: tuple[str, ...] = ()


_CODE = Column("code", "code", required=True, aliases=("codigo",))
_NAME = Column("name", "name", required=True, aliases=("nombre",))
_ACTIVE = Column("active", "is_active", _parse_boolean, aliases=("activo", "is_active"))


@dataclass(frozen=True)
class CatalogKind:
    """A catalog that can be imported: its model, the column rows are matched by, its columns."""

    kind: str
    model: type[Model]
    key: str
    columns: tuple[Column, ...]

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns if column.required)

    @property
    def optional_columns(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns if not column.required)


CATALOG_KINDS: dict[str, CatalogKind] = {
    spec.kind: spec
    for spec in (
        CatalogKind(
            "professional-types",
            ProfessionalType,
            "code",
            (
                _CODE,
                _NAME,
                Column(
                    "requires_specialty",
                    "requires_specialty",
                    _parse_boolean,
                    required=True,
                    aliases=("requiere_especialidad",),
                ),
                _ACTIVE,
            ),
        ),
        CatalogKind(
            "specialties",
            MedicalSpecialty,
            "code",
            # The official table publishes "id, code, name": its id is the Kairo id.
            (
                _CODE,
                _NAME,
                Column("kairo_id", "kairo_id", _parse_integer, aliases=("id_kairo", "id")),
                _ACTIVE,
            ),
        ),
        CatalogKind(
            "consultation-types",
            ConsultationType,
            "code",
            (_CODE, _NAME, Column("description", "description", aliases=("descripcion",)), _ACTIVE),
        ),
        CatalogKind(
            "durations",
            Duration,
            "minutes",
            (
                Column("minutes", "minutes", _parse_integer, required=True, aliases=("minutos",)),
                Column(
                    "recommended_use",
                    "recommended_use",
                    required=True,
                    aliases=("uso_recomendado",),
                ),
                _ACTIVE,
            ),
        ),
    )
}


def catalog_kind_for_model(model: type[Model]) -> CatalogKind | None:
    """The importable catalog backed by `model`, or None."""
    return next((spec for spec in CATALOG_KINDS.values() if spec.model is model), None)
