"""Pages of an ordered queryset (`selectors.paging.page_fetch`)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from consultations.selectors.directory import provider_upcoming
from consultations.selectors.paging import page_fetch
from tests.factories import ConsultationFactory, ProviderFactory, future

pytestmark = pytest.mark.django_db


def _pages(queryset, *, size: int, join_after_limit: bool) -> list[tuple[list[int], bool]]:
    pages, number = [], 1
    while True:
        page = page_fetch(queryset, number=number, size=size, join_after_limit=join_after_limit)
        pages.append(([row.pk for row in page.items], page.has_next))
        if not page.has_next:
            return pages
        number += 1


def test_joining_after_the_limit_gives_the_same_pages_in_one_statement():
    provider = ProviderFactory()
    booked = [
        ConsultationFactory(provider=provider, starts_at=future(hours=2 + 24 * n))
        for n in (3, 0, 5, 1, 6, 2, 4)
    ]
    ConsultationFactory(starts_at=future(hours=3))  # another provider's
    upcoming = provider_upcoming(provider=provider, now=timezone.now()).select_related(
        "patient", "consultation_type"
    )

    plain = _pages(upcoming, size=3, join_after_limit=False)
    late = _pages(upcoming, size=3, join_after_limit=True)

    soonest_first = [c.pk for c in sorted(booked, key=lambda c: c.starts_at)]
    assert plain == late
    assert [pk for ids, _more in late for pk in ids] == soonest_first
    assert [more for _ids, more in late] == [True, True, False]
    with CaptureQueriesContext(connection) as queries:
        page = page_fetch(upcoming, number=2, size=3, join_after_limit=True)
        names = [(row.patient.name, row.consultation_type.name) for row in page.items]
    assert len(queries) == 1
    by_pk = {c.pk: (c.patient.name, c.consultation_type.name) for c in booked}
    assert names == [by_pk[pk] for pk in late[1][0]]
