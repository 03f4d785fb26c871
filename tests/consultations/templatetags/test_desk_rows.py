"""The desk's row helpers print what `{% url %}`, `get_status_display` and
`|date:"Y-m-d H:i"` print."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone, translation

from consultations.models import Consultation, ConsultationStatus
from consultations.templatetags.desk_rows import list_moment, pk_url, status_label


@pytest.mark.parametrize("name", ["patient_detail", "provider_detail", "consultation_detail"])
@pytest.mark.parametrize("pk", [1, 42, 918273])
def test_pk_url_is_the_reversed_url(name, pk):
    assert pk_url(name, pk) == reverse(name, args=[pk])


@pytest.mark.parametrize("language", ["es", "en"])
@pytest.mark.parametrize("status", [*ConsultationStatus.values, "not-a-status"])
def test_status_label_is_the_status_display(language, status):
    with translation.override(language):
        assert status_label(status) == Consultation(status=status).get_status_display()


@pytest.mark.parametrize(
    "moment",
    [
        dt.datetime(2026, 3, 10, 4, 5, tzinfo=dt.UTC),  # the day before, in Bogotá
        dt.datetime(2026, 12, 31, 23, 59, 59, tzinfo=dt.UTC),
        dt.datetime(987, 1, 2, 3, 4, tzinfo=dt.UTC),
    ],
)
@pytest.mark.parametrize("zone", ["America/Bogota", "UTC", "Asia/Kolkata"])
def test_list_moment_is_the_date_filter_in_the_active_zone(moment, zone):
    template = Template('{% load desk_rows %}{{ m|list_moment }}|{{ m|date:"Y-m-d H:i" }}')
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        ours, django = template.render(Context({"m": moment})).split("|")
    assert ours == django


def test_list_moment_of_nothing_is_empty():
    assert list_moment(None) == ""
