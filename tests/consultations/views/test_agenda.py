"""The agenda: one day in the organization's zone, a column per provider, blocks by time."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re
import zoneinfo
from pathlib import Path

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from consultations.agenda_grid import COLUMNS_PER_PAGE
from consultations.kairo import contract
from consultations.models import ConsultationStatus
from tests.factories import ConsultationFactory, PatientFactory, ProviderFactory, UserFactory

pytestmark = pytest.mark.django_db

BOGOTA = zoneinfo.ZoneInfo("America/Bogota")


@pytest.fixture
def madrid(settings):
    """An organization in Madrid: UTC+2 in summer, with daylight saving."""
    settings.ORGANIZATION_TIME_ZONE = settings.TIME_ZONE = "Europe/Madrid"
    return zoneinfo.ZoneInfo("Europe/Madrid")


def local(zone, *args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=zone)


def agenda_of(client, day: dt.date | str | None = None):
    query = {} if day is None else {"date": str(day)}
    response = client.get(reverse("agenda"), query)
    assert response.status_code == 200
    return response


def blocks_by_id(agenda) -> dict:
    return {block.consultation.pk: block for column in agenda.columns for block in column.blocks}


# --- Which day ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone_name", "utc_now", "expected"),
    [
        # 22:30 UTC on the 14th is 00:30 on the 15th in Madrid (UTC+2), 17:30 in Bogotá.
        ("Europe/Madrid", dt.datetime(2026, 6, 14, 22, 30, tzinfo=dt.UTC), dt.date(2026, 6, 15)),
        # One minute before Madrid's midnight it is still the 14th there.
        ("Europe/Madrid", dt.datetime(2026, 6, 14, 21, 59, tzinfo=dt.UTC), dt.date(2026, 6, 14)),
        # Auckland (UTC+12 in June) is already on the 15th at 12:00 UTC on the 14th.
        ("Pacific/Auckland", dt.datetime(2026, 6, 14, 12, 0, tzinfo=dt.UTC), dt.date(2026, 6, 15)),
        ("Pacific/Auckland", dt.datetime(2026, 6, 14, 11, 59, tzinfo=dt.UTC), dt.date(2026, 6, 14)),
    ],
)
def test_default_day_is_today_in_the_organization_zone(
    reception_client, settings, zone_name, utc_now, expected
):
    settings.ORGANIZATION_TIME_ZONE = settings.TIME_ZONE = zone_name
    with time_machine.travel(utc_now, tick=False):
        agenda = agenda_of(reception_client).context["agenda"]
    assert agenda.day == expected
    assert agenda.is_today
    assert agenda.zone_name == zone_name


def test_a_consultation_just_after_local_midnight_belongs_to_the_new_day(reception_client, madrid):
    # 00:10 in Madrid on the 15th is 22:10 UTC on the 14th.
    consultation = ConsultationFactory(starts_at=local(madrid, 2026, 6, 15, 0, 10))
    with time_machine.travel(dt.datetime(2026, 6, 14, 22, 30, tzinfo=dt.UTC), tick=False):
        today = agenda_of(reception_client).context["agenda"]
        yesterday = agenda_of(reception_client, "2026-06-14").context["agenda"]
    assert consultation.pk in blocks_by_id(today)
    assert consultation.pk not in blocks_by_id(yesterday)
    block = blocks_by_id(today)[consultation.pk]
    assert block.starts_local.strftime("%H:%M") == "00:10"
    # The window opens at midnight to show it (00:00 row), instead of the usual 06:00.
    assert today.hours[0].label == "00:00"
    assert block.top == pytest.approx(1.0)  # 10 minutes after the first row, 0.1rem each


def test_the_agenda_names_the_time_zone(reception_client, madrid):
    html = agenda_of(reception_client).content.decode()
    assert "Europe/Madrid" in html


# --- Geometry -------------------------------------------------------------------------------


def test_block_is_placed_and_sized_by_time_and_duration(reception_client):
    consultation = ConsultationFactory(starts_at=local(BOGOTA, 2026, 3, 10, 9, 0), minutes=45)
    response = agenda_of(reception_client, "2026-03-10")
    agenda = response.context["agenda"]
    block = blocks_by_id(agenda)[consultation.pk]
    # The default window starts at 06:00: 180 minutes above, 45 minutes tall, 0.1rem/min.
    assert agenda.hours[0].label == "06:00"
    assert (block.top, block.height) == (pytest.approx(18.0), pytest.approx(4.5))
    assert (block.lane, block.lanes) == (0, 1)
    html = response.content.decode()
    assert (
        'data-place-top="18.00rem" data-place-height="4.50rem" '
        'data-place-left="0.00%" data-place-width="100.00%"'
    ) in html


def test_the_hour_rows_and_the_blocks_share_one_scale(reception_client):
    nine = ConsultationFactory(starts_at=local(BOGOTA, 2026, 3, 10, 9, 0), minutes=10)
    agenda = agenda_of(reception_client, "2026-03-10").context["agenda"]
    marks = {mark.label: mark.top for mark in agenda.hours}
    assert blocks_by_id(agenda)[nine.pk].top == pytest.approx(marks["09:00"])
    assert blocks_by_id(agenda)[nine.pk].height == pytest.approx(1.0)
    assert agenda.height == pytest.approx((20 - 6) * 6)


def test_early_and_late_consultations_widen_the_window(reception_client):
    ConsultationFactory(starts_at=local(BOGOTA, 2026, 3, 10, 5, 30))
    ConsultationFactory(starts_at=local(BOGOTA, 2026, 3, 10, 22, 0), minutes=60)
    agenda = agenda_of(reception_client, "2026-03-10").context["agenda"]
    assert agenda.hours[0].label == "05:00"
    assert agenda.hours[-1].label == "22:00"
    assert agenda.height == pytest.approx((23 - 5) * 6)


def test_a_consultation_across_midnight_shows_on_both_days_clipped(reception_client):
    consultation = ConsultationFactory(starts_at=local(BOGOTA, 2026, 3, 10, 23, 45))
    first = agenda_of(reception_client, "2026-03-10").context["agenda"]
    second = agenda_of(reception_client, "2026-03-11").context["agenda"]
    evening, morning = blocks_by_id(first)[consultation.pk], blocks_by_id(second)[consultation.pk]
    assert evening.continues_after and not evening.continues_before
    assert evening.height == pytest.approx(1.5)  # 15 minutes until midnight
    assert morning.continues_before and not morning.continues_after
    assert (second.hours[0].label, morning.top, morning.height) == (
        "00:00",
        pytest.approx(0.0),
        pytest.approx(1.5),
    )


def test_on_a_daylight_saving_day_blocks_follow_real_time(reception_client, madrid):
    # Madrid skips 02:00-03:00 on 2026-03-29: 09:00 is 8 hours after midnight that day.
    early = ConsultationFactory(starts_at=local(madrid, 2026, 3, 29, 1, 30))
    nine = ConsultationFactory(starts_at=local(madrid, 2026, 3, 29, 9, 0))
    agenda = agenda_of(reception_client, "2026-03-29").context["agenda"]
    labels = [mark.label for mark in agenda.hours]
    assert "02:00" not in labels and "03:00" in labels
    marks = {mark.label: mark.top for mark in agenda.hours}
    blocks = blocks_by_id(agenda)
    assert blocks[nine.pk].top == pytest.approx(marks["09:00"])
    assert blocks[early.pk].top == pytest.approx(marks["01:00"] + 3.0)


def test_overlapping_blocks_share_the_column_side_by_side(reception_client):
    provider = ProviderFactory()
    start = local(BOGOTA, 2026, 3, 10, 10, 0)
    cancelled = ConsultationFactory(
        starts_at=start, provider=provider, status=ConsultationStatus.CANCELLED
    )
    rebooked = ConsultationFactory(starts_at=start + dt.timedelta(minutes=15), provider=provider)
    later = ConsultationFactory(starts_at=start + dt.timedelta(hours=2), provider=provider)
    response = agenda_of(reception_client, "2026-03-10")
    blocks = blocks_by_id(response.context["agenda"])
    assert (blocks[cancelled.pk].lane, blocks[cancelled.pk].lanes) == (0, 2)
    assert (blocks[rebooked.pk].lane, blocks[rebooked.pk].lanes) == (1, 2)
    assert (blocks[later.pk].lane, blocks[later.pk].lanes) == (0, 1)
    assert blocks[rebooked.pk].place["left"] == "50.00%"
    assert blocks[rebooked.pk].place["width"] == "50.00%"


def test_adjacent_blocks_do_not_share_lanes(reception_client):
    provider = ProviderFactory()
    start = local(BOGOTA, 2026, 3, 10, 10, 0)
    first = ConsultationFactory(starts_at=start, provider=provider)
    second = ConsultationFactory(starts_at=start + dt.timedelta(minutes=30), provider=provider)
    blocks = blocks_by_id(agenda_of(reception_client, "2026-03-10").context["agenda"])
    assert blocks[first.pk].lanes == blocks[second.pk].lanes == 1


# --- What is shown ----------------------------------------------------------------------------


def test_columns_are_active_providers_plus_inactive_ones_busy_that_day(reception_client):
    active = ProviderFactory(name="Alba Activa Prestadora")
    idle_inactive = ProviderFactory(name="Inés Inactiva Sin Citas", is_active=False)
    busy_inactive = ProviderFactory(name="Bruno Inactivo Con Cita", is_active=False)
    ConsultationFactory(starts_at=local(BOGOTA, 2026, 3, 10, 9, 0), provider=busy_inactive)
    agenda = agenda_of(reception_client, "2026-03-10").context["agenda"]
    shown = [column.provider.pk for column in agenda.columns]
    assert shown == [active.pk, busy_inactive.pk]  # by name
    assert idle_inactive.pk not in shown


def test_other_days_consultations_are_not_shown(reception_client):
    consultation = ConsultationFactory(starts_at=local(BOGOTA, 2026, 3, 11, 9, 0))
    agenda = agenda_of(reception_client, "2026-03-10").context["agenda"]
    assert consultation.pk not in blocks_by_id(agenda)
    assert agenda.consultation_count == 0


def test_blocks_carry_status_colour_immediate_mark_and_detail_link(reception_client):
    patient = PatientFactory(name="Lucía Inmediata")
    immediate = ConsultationFactory(
        starts_at=local(BOGOTA, 2026, 3, 10, 11, 0),
        immediate=True,
        patient=patient,
        status=ConsultationStatus.UNCONFIRMED,
    )
    scheduled = ConsultationFactory(starts_at=local(BOGOTA, 2026, 3, 10, 14, 0))
    html = agenda_of(reception_client, "2026-03-10").content.decode()
    assert "agenda-status-unconfirmed agenda-immediate" in html
    assert "agenda-status-booked" in html
    assert f'href="{reverse("consultation_detail", args=[immediate.pk])}"' in html
    assert f'href="{reverse("consultation_detail", args=[scheduled.pk])}"' in html
    assert html.count("agenda-now-badge") == 1
    assert "Lucía Inmediata" in html


def test_the_now_line_is_drawn_on_today_only(reception_client):
    with time_machine.travel(local(BOGOTA, 2026, 3, 10, 10, 30), tick=False):
        today = agenda_of(reception_client).context["agenda"]
        tomorrow = agenda_of(reception_client, "2026-03-11").context["agenda"]
    assert today.now_top == pytest.approx((10.5 - 6) * 6)
    assert tomorrow.now_top is None and not tomorrow.is_today


# --- Opening hours ----------------------------------------------------------------------------


def test_the_default_day_runs_from_six_to_twenty(reception_client):
    agenda = agenda_of(reception_client, "2026-03-10").context["agenda"]
    labels = [mark.label for mark in agenda.hours]
    assert (labels[0], labels[-1]) == ("06:00", "19:00")  # the grid ends at 20:00
    assert agenda.height == pytest.approx((20 - 6) * 6)
    assert agenda.closed_bands == [] and agenda.outside_hours_count == 0
    html = agenda_of(reception_client, "2026-03-10").content.decode()
    assert "Horario de atención 06:00–20:00." in html
    assert 'id="agenda-outside-hours"' not in html


def test_the_opening_hours_come_from_the_settings(reception_client, settings):
    settings.AGENDA_DAY_STARTS = dt.time(8, 0)
    settings.AGENDA_DAY_ENDS = dt.time(17, 30)
    agenda = agenda_of(reception_client, "2026-03-10").context["agenda"]
    labels = [mark.label for mark in agenda.hours]
    # From the full hour at or before opening to the full hour at or after closing.
    assert (labels[0], labels[-1]) == ("08:00", "17:00")
    assert agenda.height == pytest.approx((18 - 8) * 6)
    assert (
        "Horario de atención 08:00–17:30."
        in agenda_of(reception_client, "2026-03-10").content.decode()
    )


def test_consultations_outside_opening_hours_widen_the_day_and_are_announced(
    reception_client, settings
):
    settings.AGENDA_DAY_STARTS = dt.time(8, 0)
    settings.AGENDA_DAY_ENDS = dt.time(17, 0)
    early = ConsultationFactory(starts_at=local(BOGOTA, 2026, 3, 10, 6, 30))
    late = ConsultationFactory(starts_at=local(BOGOTA, 2026, 3, 10, 19, 0), minutes=60)
    ConsultationFactory(starts_at=local(BOGOTA, 2026, 3, 10, 9, 0))
    response = agenda_of(reception_client, "2026-03-10")
    agenda = response.context["agenda"]
    assert (agenda.hours[0].label, agenda.hours[-1].label) == ("06:00", "19:00")
    blocks = blocks_by_id(agenda)
    assert blocks[early.pk].top == pytest.approx(3.0)
    assert blocks[late.pk].top + blocks[late.pk].height == pytest.approx(agenda.height)
    assert agenda.outside_hours_count == 2
    # 06:00-08:00 and 17:00-20:00 are shaded as outside opening hours.
    assert [(band.top, band.height) for band in agenda.closed_bands] == [
        (pytest.approx(0.0), pytest.approx(12.0)),
        (pytest.approx(66.0), pytest.approx(18.0)),
    ]
    html = response.content.decode()
    assert "2 consultas están fuera de ese horario" in html
    assert html.count('class="agenda-closed"') == 2 * len(agenda.columns)


def test_opening_hours_are_wall_clock_times_on_a_daylight_saving_day(
    reception_client, madrid, settings
):
    # Madrid skips 02:00-03:00 on 2026-03-29: 06:00 that day is 5 hours after midnight.
    settings.AGENDA_DAY_STARTS = dt.time(6, 0)
    agenda = agenda_of(reception_client, "2026-03-29").context["agenda"]
    assert agenda.hours[0].label == "06:00"


# --- Short blocks and what they say -----------------------------------------------------------


def _block_tag(html: str, consultation) -> str:
    match = re.search(
        rf'<a class="agenda-block[^>]*data-consultation="{consultation.pk}"[^>]*>', html
    )
    assert match, f"no block for consultation {consultation.pk}"
    return html_lib.unescape(match.group(0))


@pytest.mark.parametrize("minutes", [10, 15])
def test_a_short_block_still_names_the_patient(reception_client, minutes):
    provider = ProviderFactory(name="Dra. Camila Restrepo Gómez")
    consultation = ConsultationFactory(
        starts_at=local(BOGOTA, 2026, 3, 10, 9, 0),
        minutes=minutes,
        provider=provider,
        patient=PatientFactory(name="Lucía O'Neill Corta"),
    )
    response = agenda_of(reception_client, "2026-03-10")
    assert blocks_by_id(response.context["agenda"])[consultation.pk].is_short
    html = response.content.decode()
    tag = _block_tag(html, consultation)
    end = f"09:{minutes:02d}"
    assert "agenda-short" in tag
    assert f"title=\"09:00–{end} · Lucía O'Neill Corta · " in tag
    assert (
        f"aria-label=\"09:00 a {end}, Lucía O'Neill Corta, Consulta general con "
        'Dra. Camila Restrepo Gómez, Agendada"'
    ) in tag
    # The one line it has shows the time and the name.
    body = html[html.index(f'data-consultation="{consultation.pk}"') :]
    line = body[: body.index("</a>")]
    assert re.search(
        r'agenda-time">09:00–[^<]*</span> <span class="agenda-patient">Lucía',
        html_lib.unescape(line),
    )


@pytest.mark.parametrize("minutes", [10, 30])
def test_names_in_a_block_are_escaped_everywhere(reception_client, minutes):
    # The blocks' markup is written in Python (agenda_grid.blocks_html), not by the
    # template language: every name must still arrive as text, never as markup.
    hostile = "<img src=x onerror=\"alert(1)\">&amp; 'Ñ'"
    consultation = ConsultationFactory(
        starts_at=local(BOGOTA, 2026, 3, 10, 9, 0),
        minutes=minutes,
        provider=ProviderFactory(name=f"Dr. {hostile}"),
        patient=PatientFactory(name=f"Ana {hostile}"),
    )
    html = agenda_of(reception_client, "2026-03-10").content.decode()
    body = html[html.index(f'data-consultation="{consultation.pk}"') :]
    block = body[: body.index("</a>")]
    assert "<img" not in block and 'onerror="' not in block
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;amp; &#x27;Ñ&#x27;" in block
    tag = _block_tag(html, consultation)
    assert f"Ana {hostile}" in tag  # title and aria-label, once unescaped
    assert f"Dr. {hostile}" in tag


def test_a_thirty_minute_block_is_not_short(reception_client):
    consultation = ConsultationFactory(starts_at=local(BOGOTA, 2026, 3, 10, 9, 0), minutes=30)
    block = blocks_by_id(agenda_of(reception_client, "2026-03-10").context["agenda"])[
        consultation.pk
    ]
    assert not block.is_short


def test_the_block_label_is_in_english_on_request(reception_client):
    consultation = ConsultationFactory(
        starts_at=local(BOGOTA, 2026, 3, 10, 9, 0),
        minutes=10,
        patient=PatientFactory(name="Ana Short"),
    )
    reception_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    tag = _block_tag(agenda_of(reception_client, "2026-03-10").content.decode(), consultation)
    assert 'aria-label="09:00 to 09:10, Ana Short, ' in tag
    assert ", Booked" in tag


# --- Held by Kairo ----------------------------------------------------------------------------


def test_a_cancelled_consultation_kairo_still_holds_is_hatched_and_labelled(reception_client):
    provider = ProviderFactory(name="Dr. Andrés Held Provider")
    start = local(BOGOTA, 2026, 3, 10, 10, 0)
    held = ConsultationFactory(
        starts_at=start,
        provider=provider,
        patient=PatientFactory(name="Paciente Retenida"),
        status=ConsultationStatus.CANCELLED,
        kairo_status=contract.STATUS_PENDING,
    )
    released = ConsultationFactory(
        starts_at=start + dt.timedelta(hours=2),
        provider=provider,
        status=ConsultationStatus.CANCELLED,
        kairo_status=contract.STATUS_EXPIRED,
    )
    booked = ConsultationFactory(starts_at=start + dt.timedelta(hours=4), provider=provider)
    with time_machine.travel(local(BOGOTA, 2026, 3, 10, 8, 0), tick=False):
        response = agenda_of(reception_client, "2026-03-10")
    blocks = blocks_by_id(response.context["agenda"])
    assert blocks[held.pk].held_by_kairo
    assert not blocks[released.pk].held_by_kairo and not blocks[booked.pk].held_by_kairo
    html = response.content.decode()
    held_tag = _block_tag(html, held)
    assert "agenda-status-cancelled" in held_tag and "agenda-held" in held_tag
    assert "Cancelada, retenida por Kairo" in held_tag  # in the aria-label and the title
    assert 'aria-label="10:00 a 10:30, Paciente Retenida, ' in held_tag
    held_body = html[html.index(f'data-consultation="{held.pk}"') :]
    assert (
        '<span class="agenda-held-label">Retenido por Kairo</span>'
        in held_body[: held_body.index("</a>")]
    )
    # A cancellation Kairo has let go (expired there) is shown as before: dimmed, no hatch.
    released_tag = _block_tag(html, released)
    assert "agenda-status-cancelled" in released_tag and "agenda-held" not in released_tag
    assert "agenda-held" not in _block_tag(html, booked)
    assert 'id="agenda-legend-held"' in html


def test_a_held_block_is_no_longer_held_once_its_window_is_over(reception_client):
    held = ConsultationFactory(
        starts_at=local(BOGOTA, 2026, 3, 10, 10, 0),
        status=ConsultationStatus.CANCELLED,
        kairo_status=contract.STATUS_PENDING,
    )
    with time_machine.travel(local(BOGOTA, 2026, 3, 10, 10, 31), tick=False):
        response = agenda_of(reception_client, "2026-03-10")
    assert not blocks_by_id(response.context["agenda"])[held.pk].held_by_kairo
    assert "agenda-held" not in _block_tag(response.content.decode(), held)


# --- The whole day in the page ------------------------------------------------------------------

AGENDA_CSS = Path(__file__).resolve().parents[3] / "static" / "css" / "agenda.css"


def test_the_day_is_not_in_an_inner_scrolling_box(reception_client):
    ConsultationFactory(starts_at=local(BOGOTA, 2026, 3, 10, 19, 0))
    html = agenda_of(reception_client, "2026-03-10").content.decode()
    grid = html[html.index('id="agenda-grid"') - 80 :]
    grid = grid[: grid.index('class="agenda-grid"')]
    assert "agenda-frame" in grid and "agenda-scroll" not in html
    assert "overflow" not in grid and "max-height" not in grid
    # The stylesheet never limits the agenda's height or makes a box of it scroll.
    css = re.sub(r"/\*.*?\*/", "", AGENDA_CSS.read_text(), flags=re.DOTALL)
    assert "max-height" not in css and "vh" not in css
    assert not re.search(r"overflow(-y)?\s*:\s*(auto|scroll)", css)


# --- Navigation and bad input -------------------------------------------------------------


def test_previous_and_next_day_links(reception_client):
    html = agenda_of(reception_client, "2026-03-01").content.decode()
    assert f"{reverse('agenda')}?date=2026-02-28" in html
    assert f"{reverse('agenda')}?date=2026-03-02" in html
    assert 'id="agenda-today"' in html  # not today: a way back


def test_the_date_picker_is_a_plain_get_form(reception_client):
    html = agenda_of(reception_client, "2026-03-01").content.decode()
    assert 'id="agenda-date-form"' in html
    assert 'method="get"' in html
    assert 'type="date" name="date" value="2026-03-01"' in html


def test_the_range_ends_have_no_link_beyond_them(reception_client):
    first = agenda_of(reception_client, "2000-01-01").context["agenda"]
    last = agenda_of(reception_client, "2099-12-31").context["agenda"]
    assert first.previous_day is None and first.next_day == dt.date(2000, 1, 2)
    assert last.next_day is None and last.previous_day == dt.date(2099, 12, 30)


@pytest.mark.parametrize(
    "bad",
    [
        "2026-02-30",
        "yesterday",
        "0001-01-01",
        "9999-12-31",
        "1999-12-31",
        "2100-01-01",
        "2026-03-10\x00",
        "2026-13-01",
        "9" * 5000,
        "-1",
    ],
)
def test_a_bad_date_says_so_and_shows_today(reception_client, bad):
    with time_machine.travel(local(BOGOTA, 2026, 3, 10, 10, 0), tick=False):
        response = agenda_of(reception_client, bad)
    assert response.context["form"].errors
    assert response.context["agenda"].day == dt.date(2026, 3, 10)
    assert 'id="agenda-date-invalid"' in response.content.decode()


def test_an_empty_date_is_today_without_error(reception_client):
    with time_machine.travel(local(BOGOTA, 2026, 3, 10, 10, 0), tick=False):
        response = agenda_of(reception_client, "")
    assert not response.context["form"].errors
    assert response.context["agenda"].day == dt.date(2026, 3, 10)


def test_other_methods_are_refused(reception_client):
    assert reception_client.post(reverse("agenda")).status_code == 405


def test_the_agenda_needs_a_login(client):
    response = client.get(reverse("agenda"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_staff_without_consultation_access_get_403(client, staff_groups):
    client.force_login(UserFactory(username="nobody"))
    assert client.get(reverse("agenda")).status_code == 403


def test_clinic_admins_see_the_agenda(clinic_admin_client):
    assert clinic_admin_client.get(reverse("agenda")).status_code == 200


# --- Budget ----------------------------------------------------------------------------------


def _agenda_queries(client, **extra: str) -> int:
    query = {"date": "2026-03-10", **extra}
    client.get(reverse("agenda"), query)  # warm caches (content types...)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("agenda"), query)
    assert response.status_code == 200
    return len(queries)


def test_agenda_query_count_does_not_grow_with_the_data(reception_client):
    ConsultationFactory(starts_at=local(BOGOTA, 2026, 3, 10, 7, 0))
    with_one = _agenda_queries(reception_client)
    start = local(BOGOTA, 2026, 3, 10, 7, 30)
    for n in range(49):
        # 49 more, each with its own provider and patient: 50 columns, 50 blocks.
        ConsultationFactory(starts_at=start + dt.timedelta(minutes=10 * n), minutes=10)
    with_fifty = _agenda_queries(reception_client)
    agenda = reception_client.get(reverse("agenda"), {"date": "2026-03-10"}).context["agenda"]
    # 50 columns: the first page shows COLUMNS_PER_PAGE of them and their blocks.
    assert agenda.day_consultation_count == 50
    assert agenda.consultation_count == COLUMNS_PER_PAGE
    assert with_one == with_fifty <= 10


@pytest.mark.parametrize("extra", [{"providers": "busy"}, {"page": "2"}], ids=["busy", "page-2"])
def test_the_busy_and_paged_agenda_cost_the_same_with_more_data(reception_client, extra):
    start = local(BOGOTA, 2026, 3, 10, 7, 0)
    for n in range(3):
        ConsultationFactory(starts_at=start + dt.timedelta(minutes=10 * n), minutes=10)
    with_three = _agenda_queries(reception_client, **extra)
    for n in range(3, 60):
        ConsultationFactory(starts_at=start + dt.timedelta(minutes=10 * n), minutes=10)
    assert with_three == _agenda_queries(reception_client, **extra) <= 10


# --- Many providers: pages of columns, or only the busy ones ---------------------------------


def test_many_providers_are_paged_by_name(reception_client):
    start = local(BOGOTA, 2026, 3, 10, 8, 0)
    made = [
        ConsultationFactory(starts_at=start, provider=ProviderFactory(name=f"Prestador {n:02d}"))
        for n in range(COLUMNS_PER_PAGE + 3)
    ]
    first = agenda_of(reception_client, "2026-03-10")
    agenda = first.context["agenda"]
    assert [c.provider.pk for c in agenda.columns] == [c.provider_id for c in made][
        :COLUMNS_PER_PAGE
    ]
    assert (agenda.previous_page, agenda.next_page) == (None, 2)
    assert f"Profesionales 1–{COLUMNS_PER_PAGE} de {COLUMNS_PER_PAGE + 3}" in first.text
    assert agenda.day_consultation_count == COLUMNS_PER_PAGE + 3
    second = reception_client.get(reverse("agenda"), {"date": "2026-03-10", "page": "2"})
    agenda = second.context["agenda"]
    assert [c.provider.pk for c in agenda.columns] == [c.provider_id for c in made][
        COLUMNS_PER_PAGE:
    ]
    assert agenda.consultation_count == 3
    assert (agenda.previous_page, agenda.next_page) == (1, None)


@pytest.mark.parametrize("bad", ["0", "-1", "abc", "99999999999999999999", "1\x00", "7"])
def test_a_page_that_cannot_be_read_or_is_past_the_end_is_still_a_page(reception_client, bad):
    ProviderFactory(name="Única Prestadora")
    response = reception_client.get(reverse("agenda"), {"date": "2026-03-10", "page": bad})
    assert response.status_code == 200
    assert response.context["agenda"].page == 1
    assert len(response.context["agenda"].columns) == 1


def test_only_the_providers_with_consultations_on_request(reception_client):
    idle = ProviderFactory(name="Ana Sin Citas")
    busy = ConsultationFactory(starts_at=local(BOGOTA, 2026, 3, 10, 9, 0)).provider
    everyone = agenda_of(reception_client, "2026-03-10").context["agenda"]
    assert {c.provider.pk for c in everyone.columns} == {idle.pk, busy.pk}
    response = reception_client.get(reverse("agenda"), {"date": "2026-03-10", "providers": "busy"})
    assert [c.provider.pk for c in response.context["agenda"].columns] == [busy.pk]
    # The day links keep the choice.
    assert "providers=busy" in response.text.split('id="agenda-next"')[1].split(">")[0]
    nobody = reception_client.get(reverse("agenda"), {"date": "2026-03-11", "providers": "busy"})
    assert "Ningún profesional tiene consultas este día." in nobody.text


def test_the_provider_choice_is_in_spanish(reception_client):
    response = reception_client.get(
        reverse("agenda"), {"date": "2026-03-10"}, headers={"accept-language": "es"}
    )
    assert "Solo profesionales con consultas" in response.text


def test_the_longest_consultation_ending_in_the_day_is_found(reception_client):
    """The day's query bounds the start from below by the longest allowed duration: a
    consultation of that length, started just that long before midnight plus a minute,
    is still on the day."""
    longest = max(contract.ALLOWED_DURATIONS)
    midnight = local(BOGOTA, 2026, 3, 10, 0, 0)
    reaching = ConsultationFactory(
        starts_at=midnight - dt.timedelta(minutes=longest - 1), minutes=longest
    )
    ended = ConsultationFactory(starts_at=midnight - dt.timedelta(minutes=longest), minutes=longest)
    shown = blocks_by_id(agenda_of(reception_client, "2026-03-10").context["agenda"])
    assert reaching.pk in shown
    assert ended.pk not in shown
