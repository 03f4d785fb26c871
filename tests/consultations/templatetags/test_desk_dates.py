"""The `desk_dates` template filters."""

from __future__ import annotations

import datetime as dt

from django.template import Context, Template
from django.utils import translation

DAY = dt.date(2026, 12, 2)


def test_the_template_filters_and_an_empty_value():
    template = Template("{% load desk_dates %}{{ day|long_date }}|{{ missing|long_moment }}")
    with translation.override("es"):
        assert template.render(Context({"day": DAY, "missing": None})) == (
            "miércoles, 2 de diciembre de 2026|"
        )
