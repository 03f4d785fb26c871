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


def page_fetch(queryset: QuerySet, *, number: int, size: int = PAGE_SIZE) -> SlicePage:
    """Page `number` (from 1) of an ordered queryset, in one query and without counting."""
    offset = (number - 1) * size
    rows = list(queryset[offset : offset + size + 1])
    return SlicePage(items=rows[:size], number=number, has_next=len(rows) > size)
