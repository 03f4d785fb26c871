"""Choice fields whose options are read in one plain query, once per form.

Django's `ModelChoiceField` reads its options through `QuerySet.iterator()`, which on
PostgreSQL is a server-side cursor: a DECLARE, a FETCH and a CLOSE for a few dozen rows,
on every rendering. The desk's catalogs and provider list are short; reading them as
one list, kept for the form's later renderings, is cheaper.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.forms.models import ModelChoiceIterator


class ListedChoiceIterator(ModelChoiceIterator):
    """The options from one evaluation of the field's queryset, kept on the field for as
    long as its queryset stays the same (each form has its own copy of the field)."""

    def __iter__(self) -> Iterator[Any]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in _listed(self.field, self.queryset):
            yield self.choice(obj)

    def __len__(self) -> int:
        return len(_listed(self.field, self.queryset)) + (
            1 if self.field.empty_label is not None else 0
        )

    def __bool__(self) -> bool:
        return self.field.empty_label is not None or bool(_listed(self.field, self.queryset))


class ListedModelChoiceField(forms.ModelChoiceField):
    """A `ModelChoiceField` listing its options with `ListedChoiceIterator`. Validation
    is unchanged: the value sent is looked up in the queryset, whole."""

    iterator = ListedChoiceIterator
    # Columns the option labels never read, left out of the listing (never out of the
    # instance a valid form returns).
    label_defer: tuple[str, ...] = ()


def _listed(field: Any, queryset: QuerySet) -> list[Any]:
    cached = getattr(field, "_listed", None)
    if cached is None or cached[0] is not queryset:
        rows = queryset.defer(*field.label_defer) if field.label_defer else queryset
        cached = (queryset, list(rows))
        field._listed = cached
    return cached[1]
