"""The consultations list: search, filters, masking, pages without counting, CSV export."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import zoneinfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from consultations.context_processors import ATTENTION_BADGE_QUERIES
from consultations.models import ConsultationStatus
from consultations.selectors.paging import PAGE_SIZE
from tests.consultations.pages import statements_with_one_and_five_rows
from tests.errors import form_error_codes
from tests.factories import (
    ConsultationFactory,
    ConsultationTypeFactory,
    PatientFactory,
    ProviderFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

BOGOTA = zoneinfo.ZoneInfo("America/Bogota")


def at(*args, zone=BOGOTA) -> dt.datetime:
    return dt.datetime(*args, tzinfo=zone)


def listed(client, **query) -> list[int]:
    response = client.get(reverse("consultation_list"), query)
    assert response.status_code == 200
    assert not response.context["form"].errors, response.context["form"].errors
    return [consultation.pk for consultation in response.context["page"].items]


def filter_errors(client, **query) -> dict[str, list[str]]:
    response = client.get(reverse("consultation_list"), query)
    assert response.status_code == 200
    assert response.context["page"] is None
    return form_error_codes(response.context["form"])


def exported(client, *, delimiter: str = ",", **query) -> list[list[str]]:
    """The export's rows, parsed back with `delimiter`; the body must start with the BOM."""
    response = client.get(reverse("consultation_export"), query)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="consultations-')
    raw = b"".join(response.streaming_content)
    assert raw.startswith(codecs.BOM_UTF8)
    body = raw.decode("utf-8")
    return list(csv.reader(io.StringIO(body[1:], newline=""), delimiter=delimiter))


# --- Search -----------------------------------------------------------------------------------


def test_search_by_a_name_fragment_ignores_case(reception_client):
    ramirez = ConsultationFactory(
        starts_at=at(2026, 3, 10, 9), patient=PatientFactory(name="Pedro Ramírez Soto")
    )
    ConsultationFactory(starts_at=at(2026, 3, 10, 10), patient=PatientFactory(name="Lucía Gómez"))
    assert listed(reception_client, q="PEDRO") == [ramirez.pk]
    assert listed(reception_client, q="  rez   SOT ") == [ramirez.pk]


@pytest.mark.parametrize(
    ("typed", "name"),
    [("rios", "María Fernanda Ríos"), ("PEREZ", "Jorge Iván Pérez"), ("nunez", "Ñúñez")],
)
def test_search_by_a_name_fragment_ignores_accents(reception_client, typed, name):
    wanted = ConsultationFactory(starts_at=at(2026, 3, 10, 9), patient=PatientFactory(name=name))
    ConsultationFactory(starts_at=at(2026, 3, 10, 10), patient=PatientFactory(name="Lucía Gómez"))
    assert listed(reception_client, q=typed) == [wanted.pk]


def test_search_by_document_number_is_exact_and_ignores_dots(reception_client):
    patient = PatientFactory(document_number="1020304050")
    mine = ConsultationFactory(starts_at=at(2026, 3, 10, 9), patient=patient)
    ConsultationFactory(
        starts_at=at(2026, 3, 10, 10), patient=PatientFactory(document_number="1020304051")
    )
    assert listed(reception_client, q="1020304050") == [mine.pk]
    assert listed(reception_client, q="1.020.304.050") == [mine.pk]
    # Part of a number finds nothing: the list does not help guess documents.
    assert listed(reception_client, q="4050") == []


def test_search_by_a_passport_with_letters(reception_client):
    patient = PatientFactory(document_type="PAS", document_number="AB123456")
    mine = ConsultationFactory(starts_at=at(2026, 3, 10, 9), patient=patient)
    assert listed(reception_client, q="ab123456") == [mine.pk]


# --- Filters ----------------------------------------------------------------------------------


def test_filter_by_provider(reception_client):
    provider = ProviderFactory()
    mine = ConsultationFactory(starts_at=at(2026, 3, 10, 9), provider=provider)
    ConsultationFactory(starts_at=at(2026, 3, 10, 9))
    assert listed(reception_client, provider=provider.pk) == [mine.pk]


def test_filter_by_inactive_provider_still_works(reception_client):
    provider = ProviderFactory(is_active=False)
    mine = ConsultationFactory(starts_at=at(2026, 3, 10, 9), provider=provider)
    assert listed(reception_client, provider=provider.pk) == [mine.pk]


def test_filter_by_consultation_type(reception_client):
    urgent = ConsultationTypeFactory(code="ConsultaUrgencias", name="Urgencias")
    mine = ConsultationFactory(starts_at=at(2026, 3, 10, 9), consultation_type=urgent)
    ConsultationFactory(starts_at=at(2026, 3, 10, 9))
    assert listed(reception_client, consultation_type=urgent.pk) == [mine.pk]


def test_filter_by_status(reception_client):
    cancelled = ConsultationFactory(
        starts_at=at(2026, 3, 10, 9), status=ConsultationStatus.CANCELLED
    )
    ConsultationFactory(starts_at=at(2026, 3, 10, 10))
    assert listed(reception_client, status="cancelled") == [cancelled.pk]


def test_filter_by_patient_from_the_patient_page(reception_client):
    patient = PatientFactory(name="Marta Filtrada")
    mine = ConsultationFactory(starts_at=at(2026, 3, 10, 9), patient=patient)
    ConsultationFactory(starts_at=at(2026, 3, 10, 9))
    response = reception_client.get(reverse("consultation_list"), {"patient": patient.pk})
    assert [c.pk for c in response.context["page"].items] == [mine.pk]
    assert response.context["filtered_patient"] == "Marta Filtrada"


def test_date_range_is_whole_days_in_the_organization_zone(reception_client, settings):
    settings.ORGANIZATION_TIME_ZONE = settings.TIME_ZONE = "Asia/Tokyo"
    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")
    # 00:00 and 23:59 Tokyo on the 10th are 15:00 UTC on the 9th and 14:59 UTC on the 10th.
    first = ConsultationFactory(starts_at=at(2026, 3, 10, 0, 0, zone=tokyo))
    last = ConsultationFactory(starts_at=at(2026, 3, 10, 23, 50, zone=tokyo), minutes=10)
    before = ConsultationFactory(starts_at=at(2026, 3, 9, 23, 50, zone=tokyo), minutes=10)
    after = ConsultationFactory(starts_at=at(2026, 3, 11, 0, 0, zone=tokyo))
    day = {"date_from": "2026-03-10", "date_to": "2026-03-10"}
    assert listed(reception_client, **day) == [last.pk, first.pk]
    assert set(listed(reception_client, date_from="2026-03-10")) == {first.pk, last.pk, after.pk}
    assert set(listed(reception_client, date_to="2026-03-10")) == {first.pk, last.pk, before.pk}


def test_filters_combine(reception_client):
    provider = ProviderFactory()
    patient = PatientFactory(name="Combinada Pérez")
    mine = ConsultationFactory(starts_at=at(2026, 3, 10, 9), provider=provider, patient=patient)
    ConsultationFactory(starts_at=at(2026, 3, 11, 9), provider=provider, patient=patient)
    ConsultationFactory(starts_at=at(2026, 3, 10, 11), provider=provider)
    query = {"q": "combinada", "provider": provider.pk, "date_from": "2026-03-10"}
    query |= {"date_to": "2026-03-10", "status": "booked"}
    assert listed(reception_client, **query) == [mine.pk]


def test_latest_consultation_first(reception_client):
    early = ConsultationFactory(starts_at=at(2026, 3, 10, 9))
    late = ConsultationFactory(starts_at=at(2026, 3, 12, 9))
    middle = ConsultationFactory(starts_at=at(2026, 3, 11, 9))
    assert listed(reception_client) == [late.pk, middle.pk, early.pk]


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ({"provider": "abc"}, "provider", "invalid_choice"),
        ({"provider": "999999"}, "provider", "invalid_choice"),
        ({"provider": "1.5"}, "provider", "invalid_choice"),
        ({"consultation_type": "x"}, "consultation_type", "invalid_choice"),
        ({"status": "lost"}, "status", "invalid_choice"),
        ({"date_from": "2026-02-30"}, "date_from", "invalid"),
        ({"date_to": "mañana"}, "date_to", "invalid"),
        ({"date_from": "0001-01-01"}, "date_from", "min_value"),
        ({"date_to": "9999-12-31"}, "date_to", "max_value"),
        ({"date_from": "2026-03-11", "date_to": "2026-03-10"}, "date_to", "range_reversed"),
        ({"q": "a"}, "q", "too_short"),
        ({"q": "ab"}, "q", "too_short"),
        ({"q": "x" * 101}, "q", "max_length"),
        ({"q": "ana\x00"}, "q", "null_characters_not_allowed"),
        ({"patient": "abc"}, "patient", "invalid"),
        ({"patient": "99999999999999999999999"}, "patient", "max_value"),
    ],
)
def test_bad_filter_values_are_form_errors(reception_client, query, field, code):
    ConsultationFactory(starts_at=at(2026, 3, 10, 9))
    errors = filter_errors(reception_client, **query)
    assert code in errors[field]


def test_a_three_letter_fragment_is_enough(reception_client):
    assert listed(reception_client, q="ana") == []


def test_bad_filters_show_a_notice_instead_of_the_table(reception_client):
    ConsultationFactory(starts_at=at(2026, 3, 10, 9))
    html = reception_client.get(reverse("consultation_list"), {"provider": "x"}).content.decode()
    assert 'id="filters-invalid"' in html
    assert 'id="consultation-table"' not in html


# --- Masking ------------------------------------------------------------------------------------


def test_documents_are_masked_in_the_list(reception_client):
    patient = PatientFactory(document_type="CC", document_number="1020304050")
    ConsultationFactory(starts_at=at(2026, 3, 10, 9), patient=patient)
    html = reception_client.get(reverse("consultation_list")).content.decode()
    assert "CC •••4050" in html
    assert "1020304050" not in html
    assert "020304" not in html


# --- Pages --------------------------------------------------------------------------------------


def _many(count: int) -> list:
    provider, patient = ProviderFactory(), PatientFactory()
    start = at(2026, 3, 10, 6)
    return [
        ConsultationFactory(
            starts_at=start + dt.timedelta(minutes=10 * n),
            minutes=10,
            provider=provider,
            patient=patient,
        )
        for n in range(count)
    ]


def test_pages_without_counting(reception_client):
    made = _many(PAGE_SIZE + 1)
    newest_first = [c.pk for c in reversed(made)]
    with CaptureQueriesContext(connection) as queries:
        first = reception_client.get(reverse("consultation_list"))
    assert not any("COUNT(" in query["sql"].upper() for query in queries)
    page = first.context["page"]
    assert [c.pk for c in page.items] == newest_first[:PAGE_SIZE]
    assert page.has_next and not page.has_previous
    assert 'rel="next" href="?page=2"' in first.content.decode()

    with CaptureQueriesContext(connection) as queries:
        second = reception_client.get(reverse("consultation_list"), {"page": 2})
    assert not any("COUNT(" in query["sql"].upper() for query in queries)
    page = second.context["page"]
    assert [c.pk for c in page.items] == newest_first[PAGE_SIZE:]
    assert page.has_previous and not page.has_next


def test_list_statements_do_not_grow_with_its_rows(reception_client):
    """A row's patient, document, provider and type come with the page's one query,
    whatever columns it reads (`LIST_ROW_FIELDS`): no statement per row."""
    one, five, response = statements_with_one_and_five_rows(
        reception_client, reverse("consultation_list"), _many
    )
    assert one == five
    html = response.content.decode()
    for row in response.context["page"].items:
        assert row.patient.masked_document in html and row.provider.name in html
        assert reverse("consultation_detail", args=[row.pk]) in html


def test_page_links_keep_the_filters(reception_client):
    _many(PAGE_SIZE + 1)
    html = reception_client.get(reverse("consultation_list"), {"status": "booked"}).content.decode()
    assert 'href="?status=booked&amp;page=2"' in html


def test_an_exactly_full_page_has_no_next(reception_client):
    _many(PAGE_SIZE)
    page = reception_client.get(reverse("consultation_list")).context["page"]
    assert len(page.items) == PAGE_SIZE and not page.has_next


@pytest.mark.parametrize("page", ["abc", "0", "-3", "", "1e3", "9" * 30, "9" * 5000])
def test_unusable_page_numbers_do_not_fail(reception_client, page):
    ConsultationFactory(starts_at=at(2026, 3, 10, 9))
    response = reception_client.get(reverse("consultation_list"), {"page": page})
    assert response.status_code == 200


def test_a_page_past_the_end_is_empty(reception_client):
    ConsultationFactory(starts_at=at(2026, 3, 10, 9))
    page = reception_client.get(reverse("consultation_list"), {"page": 7}).context["page"]
    assert list(page.items) == [] and page.has_previous and not page.has_next


# --- CSV export -----------------------------------------------------------------------------------


def test_export_has_the_filtered_rows_with_local_times_and_masked_documents(reception_client):
    patient = PatientFactory(name="Exportada Ruiz", document_number="1020304050")
    mine = ConsultationFactory(starts_at=at(2026, 3, 10, 9, 0), minutes=45, patient=patient)
    ConsultationFactory(starts_at=at(2026, 3, 11, 9, 0))
    rows = exported(reception_client, date_from="2026-03-10", date_to="2026-03-10")
    header, body = rows[0], rows[1:]
    assert len(header) == 13
    assert len(body) == 1
    row = body[0]
    assert row[0] == str(mine.pk)
    assert row[1:4] == ["2026-03-10 09:00", "2026-03-10 09:45", "America/Bogota"]
    assert row[7] == "Exportada Ruiz"
    assert row[8] == "CC •••4050"
    assert row[10] == "45"


def test_export_never_contains_a_full_document(reception_client):
    patient = PatientFactory(document_number="1020304050")
    ConsultationFactory(starts_at=at(2026, 3, 10, 9), patient=patient)
    response = reception_client.get(reverse("consultation_export"))
    body = b"".join(response.streaming_content).decode()
    assert "1020304050" not in body and "•••4050" in body


@pytest.mark.parametrize("dangerous", ['=HYPERLINK("http://x")', "+57 300", "-2+3", "@SUM(A1)"])
def test_export_neutralizes_formulas(reception_client, dangerous):
    ConsultationFactory(starts_at=at(2026, 3, 10, 9), patient=PatientFactory(name=dangerous))
    rows = exported(reception_client)
    assert rows[1][7] == "'" + dangerous


def test_export_with_bad_filters_goes_back_to_the_list(reception_client):
    response = reception_client.get(reverse("consultation_export"), {"provider": "nope"})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('consultation_list')}?provider=nope"


def test_export_links_carry_the_filters_and_offer_both_formats(reception_client):
    ConsultationFactory(starts_at=at(2026, 3, 10, 9))
    html = reception_client.get(
        reverse("consultation_list"), {"status": "booked", "page": "1"}
    ).content.decode()
    export = reverse("consultation_export")
    assert f'id="consultation-export-excel" href="{export}?status=booked&amp;format=excel"' in html
    assert f'id="consultation-export-csv" href="{export}?status=booked&amp;format=csv"' in html
    assert ">Excel (Colombia)</a>" in html and ">CSV</a>" in html


def test_excel_export_is_semicolon_separated_for_colombian_settings(reception_client):
    patient = PatientFactory(name="Ruiz; Exportada, Ana", document_number="1020304050")
    mine = ConsultationFactory(starts_at=at(2026, 3, 10, 9, 0), minutes=45, patient=patient)
    response = reception_client.get(reverse("consultation_export"), {"format": "excel"})
    raw = b"".join(response.streaming_content)
    # The byte-order mark and nothing else before the header: no "sep=" line.
    assert raw.startswith(codecs.BOM_UTF8 + b"Consulta;Inicio;")
    rows = exported(reception_client, delimiter=";", format="excel")
    assert len(rows[0]) == 13
    row = rows[1]
    assert row[0] == str(mine.pk)
    assert row[1:4] == ["2026-03-10 09:00", "2026-03-10 09:45", "America/Bogota"]
    # A separator inside a cell is quoted, so the row keeps its 13 cells.
    assert row[7] == "Ruiz; Exportada, Ana"
    assert row[8] == "CC •••4050"
    assert row[10] == "45"
    assert len(row) == 13


@pytest.mark.parametrize("dangerous", ['=HYPERLINK("http://x")', "+57 300", "-2+3", "@SUM(A1)"])
def test_excel_export_neutralizes_formulas_too(reception_client, dangerous):
    ConsultationFactory(starts_at=at(2026, 3, 10, 9), patient=PatientFactory(name=dangerous))
    rows = exported(reception_client, delimiter=";", format="excel")
    assert rows[1][7] == "'" + dangerous


def test_csv_format_is_comma_separated_and_the_default(reception_client):
    ConsultationFactory(starts_at=at(2026, 3, 10, 9), patient=PatientFactory(name="Ana; Coma"))
    explicit = exported(reception_client, format="csv")
    default = exported(reception_client)
    assert explicit == default
    assert explicit[1][7] == "Ana; Coma" and len(explicit[1]) == 13


@pytest.mark.parametrize("bad", ["xlsx", "EXCEL", "excel\x00", "9" * 500])
def test_an_unknown_export_format_goes_back_to_the_list(reception_client, bad):
    response = reception_client.get(
        reverse("consultation_export"), {"status": "booked", "format": bad}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('consultation_list')}?status=booked"
    page = reception_client.get(response["Location"]).content.decode()
    assert "Ese formato de exportación no existe" in page


def test_export_headers_follow_the_language(reception_client):
    ConsultationFactory(starts_at=at(2026, 3, 10, 9))
    reception_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert exported(reception_client)[0][0] == "Consultation"


def test_export_is_one_query_whatever_the_rows(reception_client):
    _many(1)
    reception_client.get(reverse("consultation_export"))
    with CaptureQueriesContext(connection) as few:
        assert len(exported(reception_client)) == 2
    _many(49)
    with CaptureQueriesContext(connection) as many:
        assert len(exported(reception_client)) == 51
    assert len(few) == len(many)


# --- Access -------------------------------------------------------------------------------------


def test_the_list_and_export_need_consultation_access(client, staff_groups):
    client.force_login(UserFactory(username="nobody"))
    assert client.get(reverse("consultation_list")).status_code == 403
    assert client.get(reverse("consultation_export")).status_code == 403


def test_anonymous_visitors_are_sent_to_login(client):
    for name in ("consultation_list", "consultation_export"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


# --- Budget ------------------------------------------------------------------------------------


def _list_queries(client, query: dict) -> int:
    client.get(reverse("consultation_list"), query)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("consultation_list"), query)
    assert response.status_code == 200
    assert not response.context["form"].errors
    return len(queries)


def test_list_query_count_does_not_grow_with_the_data(reception_client):
    with time_machine.travel(at(2026, 3, 1, 9), tick=False):
        first = ConsultationFactory(
            starts_at=at(2026, 3, 10, 6), patient=PatientFactory(name="Presupuesto Uno")
        )
        queries = [
            {},
            {"q": "presupuesto"},
            {"q": first.patient.document_number},
            {
                "provider": first.provider_id,
                "consultation_type": first.consultation_type_id,
                "status": "booked",
                "date_from": "2026-03-01",
                "date_to": "2026-03-31",
                "patient": first.patient_id,
            },
        ]
        with_one = [_list_queries(reception_client, query) for query in queries]
        start = at(2026, 3, 10, 7)
        for n in range(49):
            # Each with its own provider and patient, all matching the name search.
            ConsultationFactory(
                starts_at=start + dt.timedelta(minutes=10 * n),
                minutes=10,
                patient=PatientFactory(name=f"Presupuesto {n}"),
            )
        with_fifty = [_list_queries(reception_client, query) for query in queries]
        assert len(reception_client.get(reverse("consultation_list")).context["page"].items) == 25
    assert with_one == with_fifty
    assert max(with_fifty) <= 10 + ATTENTION_BADGE_QUERIES


# --- Whatever a user sends ---------------------------------------------------------------------

_anything = st.one_of(
    st.text(max_size=40),
    st.integers().map(str),
    st.dates().map(str),
    st.sampled_from(["", "0", "-1", "2026-02-30", "9999-12-31", "0001-01-01", "1e9", "%", "_"]),
)


@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    query=st.dictionaries(
        st.sampled_from(
            [
                "q",
                "provider",
                "consultation_type",
                "status",
                "date_from",
                "date_to",
                "patient",
                "page",
                "date",
            ]
        ),
        _anything,
    )
)
def test_no_query_string_breaks_the_read_pages(reception_client, query):
    for name in ("consultation_list", "agenda", "patient_list", "provider_list"):
        assert reception_client.get(reverse(name), query).status_code == 200, name
    export = reception_client.get(reverse("consultation_export"), query)
    assert export.status_code in (200, 302)
    if export.status_code == 200:
        b"".join(export.streaming_content)


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
@pytest.mark.parametrize("field", ["date_from", "date_to"])
def test_a_date_at_the_calendar_ends_is_a_filter_error_in_the_list_and_the_export(
    reception_client, field, day
):
    listed_page = reception_client.get(reverse("consultation_list"), {field: day})
    assert listed_page.status_code == 200
    assert field in listed_page.context["form"].errors
    export = reception_client.get(reverse("consultation_export"), {field: day})
    assert export.status_code < 500
