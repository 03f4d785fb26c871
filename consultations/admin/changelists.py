"""What keeps the admin's changelists of growing tables fast at a million rows: a date
range filter instead of Django's date bar (which reads the whole column to draw its
years), and the desk's own person search (accents ignored, exact document).

Each such changelist also orders on an indexed column, sets
`show_full_result_count = False` (no second count of the whole table) and pages with
`EstimatedCountPaginator`; the consultations' also count a search only a page range
ahead (`BoundedCountMixin`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.views.main import PAGE_VAR
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from consultations.clock import organization_day_bounds
from consultations.forms.filters import DayField, SearchForm
from consultations.models import Patient, Provider
from consultations.selectors.directory import patient_search_condition

PERSON_SEARCH_HELP = _(
    "A document number, or at least 3 letters of the name (accents and case are ignored)."
)


# From this many rows, an unfiltered changelist states PostgreSQL's own estimate of the
# table's size (pg_class.reltuples, kept by autovacuum) instead of counting every row.
ESTIMATE_FROM = 100_000

# A searched or filtered changelist of `BoundedCountMixin` counts its matches only this
# far past the first row of the page shown; past it, the changelist says "more than" that
# many. A name shared by a fifth of the consultations otherwise counted ~200,000 rows (every
# block of the table) on each page of the search, where this reads about a thousand.
COUNT_AHEAD = 1000


class EstimatedCountPaginator(Paginator):
    """The admin's paginator for tables of a million rows: the count of an unfiltered
    changelist is the planner's estimate once the table is that large (a whole-table
    COUNT reads every row); a filtered or searched one, and a small table, is counted,
    exactly or, given `count_up_to`, up to that many rows (`count_bounded` then says the
    matches go on past `count`)."""

    def __init__(self, *args: Any, count_up_to: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.count_up_to = count_up_to
        self.count_bounded = False

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return super().count
        if connection.vendor == "postgresql" and not queryset.query.where:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                    [queryset.model._meta.db_table],
                )
                row = cursor.fetchone()
            if row is not None and row[0] >= ESTIMATE_FROM:
                return int(row[0])
        if self.count_up_to is None:
            return super().count
        # COUNT(*) over a subquery LIMITed to one row past the bound: it stops reading
        # there, and that one row says whether the matches go on.
        counted = queryset.order_by().values("pk")[: self.count_up_to + 1].count()
        if counted > self.count_up_to:
            self.count_bounded = True
            return self.count_up_to
        return counted


class BoundedCountMixin(admin.ModelAdmin):
    """A changelist of a growing table whose searches and filters are counted only up to
    `COUNT_AHEAD` rows past the page shown (`EstimatedCountPaginator(count_up_to=...)`):
    "more than 1,100 consultations" on page 2, with the next pages' links, instead of
    counting every match. Each page further extends the bound, so every page stays
    reachable. Only for changelists without actions: "select all N" would understate
    what a bounded count leaves out."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False

    def get_paginator(
        self,
        request: HttpRequest,
        queryset: QuerySet,
        per_page: int,
        orphans: int = 0,
        allow_empty_first_page: bool = True,
    ) -> EstimatedCountPaginator:
        try:
            page = int(request.GET.get(PAGE_VAR, 1))
        except ValueError:  # as the changelist reads it
            page = 1
        # Past `list_max_show_all`, so that a bounded count never offers "Show all".
        ahead = max(COUNT_AHEAD, self.list_max_show_all + 1)
        return EstimatedCountPaginator(
            queryset,
            per_page,
            orphans,
            allow_empty_first_page,
            count_up_to=max(page - 1, 0) * per_page + ahead,
        )


class _DateRangeForm(forms.Form):
    start = DayField(label=_("From"))
    end = DayField(label=_("To"))


class DateRangeFilter(admin.ListFilter):
    """From and to days (inclusive, on the organization's clock) on `field_name`, as two
    date inputs. A day that cannot be read (garbage, year 9999, a NUL byte) is ignored
    and the filter says so; it never reaches the query. Subclasses set `field_name` and
    `title`, or use `date_range_filter`."""

    field_name = ""
    template = "admin/consultations/date_range_filter.html"

    def __init__(self, request: HttpRequest, params: dict[str, Any], model, model_admin) -> None:
        super().__init__(request, params, model, model_admin)
        self.start_key = f"{self.field_name}__from"
        self.end_key = f"{self.field_name}__to"
        self.typed: dict[str, str] = {}
        for key in (self.start_key, self.end_key):
            if key in params:
                value = params.pop(key)
                self.typed[key] = str(value[-1] if isinstance(value, list) else value)
        self.used_parameters = dict(self.typed)
        self.form = _DateRangeForm(
            {
                "start": self.typed.get(self.start_key, ""),
                "end": self.typed.get(self.end_key, ""),
            }
        )
        self.form.is_valid()

    def has_output(self) -> bool:
        return True

    def expected_parameters(self) -> list[str | None]:
        return [self.start_key, self.end_key]

    def _day(self, name: str) -> dt.date | None:
        return None if name in self.form.errors else self.form.cleaned_data.get(name)

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        start, end = self._day("start"), self._day("end")
        if start is not None:
            queryset = queryset.filter(
                **{f"{self.field_name}__gte": organization_day_bounds(start)[0]}
            )
        if end is not None:
            queryset = queryset.filter(
                **{f"{self.field_name}__lt": organization_day_bounds(end)[1]}
            )
        return queryset

    def choices(self, changelist):
        yield {
            "start_key": self.start_key,
            "end_key": self.end_key,
            "start": self.typed.get(self.start_key, ""),
            "end": self.typed.get(self.end_key, ""),
            "unreadable": bool(self.form.errors),
            "hidden": [
                (key, value)
                for key, value in changelist.params.items()
                if key not in (self.start_key, self.end_key)
            ],
            "clear_url": changelist.get_query_string(remove=[self.start_key, self.end_key]),
            "active": bool(self.typed),
        }


def date_range_filter(field_name: str, title) -> type[DateRangeFilter]:
    """A `DateRangeFilter` on `field_name`, titled `title`."""
    return type(
        f"DateRangeFilter_{field_name}",
        (DateRangeFilter,),
        {"field_name": field_name, "title": title},
    )


def person_search(search_term: str, *, prefix: str = "") -> Q | None:
    """The desk's search (`forms.filters.SearchForm`, `selectors.directory`) for the admin:
    a document number exactly (as normalized), or a name fragment in the accent-free
    `name_search` column. None for a term the desk refuses (under 3 letters, too long)."""
    form = SearchForm({"q": search_term})
    if not form.is_valid():
        return None
    return patient_search_condition(
        name_fragment=form.cleaned_data["name_fragment"],
        document_number=form.cleaned_data["document_number"],
        prefix=prefix,
    )


class PersonSearchMixin(admin.ModelAdmin):
    """The admin search of a patient or provider changelist, as the desk's: "rios" finds
    "Ríos", "1.020.304.050" finds 1020304050. A term the desk refuses finds nothing."""

    search_fields = ("name_search",)
    search_help_text = PERSON_SEARCH_HELP

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        if not search_term.strip():
            return queryset, False
        if "@" in search_term:
            # An email address, exactly (the desk searches no addresses).
            return queryset.filter(email__iexact=search_term.strip()), False
        condition = person_search(search_term)
        return (queryset.none() if condition is None else queryset.filter(condition)), False


# Up to this many matching patients (or providers), their ids are read first and the
# consultations found through the (patient, start) and (provider, start) indexes; past
# it, the match is common enough that reading the newest consultations and keeping the
# matching ones is the quicker plan, so a subquery is left to PostgreSQL.
PERSON_IDS_READ_FIRST = 1000


def _person_ids(queryset: QuerySet) -> QuerySet | list[int]:
    ids = list(queryset.order_by().values_list("pk", flat=True)[: PERSON_IDS_READ_FIRST + 1])
    return queryset.values("pk") if len(ids) > PERSON_IDS_READ_FIRST else ids


def consultation_person_search(search_term: str) -> Q | None:
    """Consultations whose patient or provider `person_search` finds: each side read on
    its own (indexed) table first, in two statements whatever the number of rows."""
    condition = person_search(search_term)
    if condition is None:
        return None
    return Q(patient_id__in=_person_ids(Patient.objects.filter(condition))) | Q(
        provider_id__in=_person_ids(Provider.objects.filter(condition))
    )
