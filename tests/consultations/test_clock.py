"""Dates read naturally in each language, on the organization's clock."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import translation

from consultations.clock import long_date, long_moment

DAY = dt.date(2026, 12, 2)


@pytest.mark.parametrize(
    ("language", "expected"),
    [("es", "miércoles, 2 de diciembre de 2026"), ("en", "Wednesday, December 2, 2026")],
)
def test_a_long_date_in_each_language(language, expected):
    with translation.override(language):
        assert long_date(DAY) == expected


def test_an_aware_moment_is_read_on_the_organizations_clock(settings):
    settings.ORGANIZATION_TIME_ZONE = "America/Bogota"
    # 03:30 UTC on 3 December is still 2 December, 22:30, in Bogotá.
    moment = dt.datetime(2026, 12, 3, 3, 30, tzinfo=dt.UTC)
    with translation.override("es"):
        assert long_moment(moment) == "miércoles, 2 de diciembre de 2026, 22:30"
    with translation.override("en"):
        assert long_moment(moment) == "Wednesday, December 2, 2026, 22:30"


def test_another_organization_zone_moves_the_day(settings):
    settings.ORGANIZATION_TIME_ZONE = "Asia/Tokyo"
    moment = dt.datetime(2026, 12, 2, 20, 0, tzinfo=ZoneInfo("America/Bogota"))
    with translation.override("es"):
        assert long_date(moment) == "jueves, 3 de diciembre de 2026"


def test_the_template_filters_and_an_empty_value():
    template = Template("{% load desk_dates %}{{ day|long_date }}|{{ missing|long_moment }}")
    with translation.override("es"):
        assert template.render(Context({"day": DAY, "missing": None})) == (
            "miércoles, 2 de diciembre de 2026|"
        )
