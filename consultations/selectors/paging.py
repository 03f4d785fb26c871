"""Pages of an ordered queryset without ever counting it.

A page fetches `size + 1` rows: the extra row only says whether a next page exists, so
no `COUNT(*)` runs however large the table grows (Django's Paginator counts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

PAGE_SIZE = 25
# Offsets grow with the page number; past this the filters, not the pager, should narrow.
LAST_PAGE = 10_000


@dataclass(frozen=True)
class SlicePage:
    items: Sequence[Any]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_number(self) -> int:
        return self.number + 1

    @property
    def previous_number(self) -> int:
        return self.number - 1


def page_number_parse(raw: str | None) -> int:
    """The page asked for in a query string; anything unusable is page 1."""
    try:
        number = int(raw or 1)
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), LAST_PAGE)


def page_fetch(
    queryset: QuerySet, *, number: int, size: int = PAGE_SIZE, join_after_limit: bool = False
) -> SlicePage:
    """Page `number` (from 1) of an ordered queryset, in one query and without counting.

    `join_after_limit`: the page's rows are chosen by their ids alone (a subquery with
    the ordering and the limit) and only those rows are read with their related rows,
    still in one statement. For a queryset whose estimate PostgreSQL gets badly wrong
    (a provider's consultations still to come: it expects a handful, a busy provider has
    hundreds), which it would otherwise join in full before sorting and cutting."""
    offset = (number - 1) * size
    window = slice(offset, offset + size + 1)
    if join_after_limit:
        ids = queryset.select_related(None).values("pk")[window]
        rows = list(queryset.filter(pk__in=ids))
    else:
        rows = list(queryset[window])
    return SlicePage(items=rows[:size], number=number, has_next=len(rows) > size)
