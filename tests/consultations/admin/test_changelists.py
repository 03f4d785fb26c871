"""The changelists of the tables that grow (consultations, patients, providers, emails,
webhook events, audit entries): the desk's search, a date range instead of the date bar,
and statement counts that do not grow with the rows."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from consultations.models import (
    AuditEntry,
    Consultation,
    Delivery,
    Patient,
    Provider,
    WebhookDelivery,
)
from tests.consultations.admin.pages import admin_url
from tests.factories import (
    ConsultationFactory,
    PatientFactory,
    ProviderFactory,
    UserFactory,
    WebhookDeliveryFactory,
)

pytestmark = pytest.mark.django_db

BOGOTA = zoneinfo.ZoneInfo("America/Bogota")


@pytest.fixture
def superuser_client(client, staff_groups):
    client.force_login(UserFactory(username="super", is_staff=True, is_superuser=True))
    return client


def changelist(client, model, query: dict | None = None):
    response = client.get(admin_url(model, "changelist"), query or {})
    assert response.status_code == 200
    return response


def shown(response) -> list:
    return list(response.context["cl"].result_list)


# --- The desk's search ------------------------------------------------------------------------


def test_rios_finds_rios_with_its_accent_on_a_consultation(clinic_admin_client):
    wanted = ConsultationFactory(patient=PatientFactory(name="Marta Ríos Londoño"))
    ConsultationFactory(patient=PatientFactory(name="Otra Persona"))
    for term in ("rios", "RÍOS", "  ríos  londono "):
        assert shown(changelist(clinic_admin_client, Consultation, {"q": term})) == [wanted], term


def test_a_consultation_is_found_by_its_providers_name(clinic_admin_client):
    wanted = ConsultationFactory(provider=ProviderFactory(name="Óscar Peñaloza"))
    ConsultationFactory()
    assert shown(changelist(clinic_admin_client, Consultation, {"q": "penaloza"})) == [wanted]


def test_a_document_is_matched_exactly_as_normalized(clinic_admin_client):
    wanted = ConsultationFactory(patient=PatientFactory(document_number="1020304050"))
    ConsultationFactory(patient=PatientFactory(document_number="10203040501"))
    found = changelist(clinic_admin_client, Consultation, {"q": "1.020.304.050"})
    assert shown(found) == [wanted]
    # A fragment of a document is not a document.
    assert shown(changelist(clinic_admin_client, Consultation, {"q": "102030"})) == []


@pytest.mark.parametrize("model", [Patient, Provider], ids=["patient", "provider"])
def test_rios_finds_rios_in_the_directory(clinic_admin_client, model):
    make = PatientFactory if model is Patient else ProviderFactory
    wanted = make(name="Julián Ríos")
    make(name="Ana Ruiz")
    assert shown(changelist(clinic_admin_client, model, {"q": "rios"})) == [wanted]


def test_a_patient_is_found_by_exact_email(clinic_admin_client):
    wanted = PatientFactory(email="marta.rios@correo.example")
    PatientFactory(email="otra@correo.example")
    found = changelist(clinic_admin_client, Patient, {"q": "Marta.Rios@correo.example"})
    assert shown(found) == [wanted]


@pytest.mark.parametrize("term", ["ri", "x" * 101, "\u0301\u0301\u0301"])
def test_a_term_the_desk_refuses_finds_nothing_and_is_not_an_error(clinic_admin_client, term):
    ConsultationFactory(patient=PatientFactory(name="Rita Ríos"))
    assert shown(changelist(clinic_admin_client, Consultation, {"q": term})) == []


def test_a_webhook_event_is_found_by_its_whole_delivery_id(superuser_client):
    wanted = WebhookDeliveryFactory(delivery_id="d-4f2a-81")
    WebhookDeliveryFactory(delivery_id="d-4f2a-812")
    assert shown(changelist(superuser_client, WebhookDelivery, {"q": "d-4f2a-81"})) == [wanted]
    assert shown(changelist(superuser_client, WebhookDelivery, {"q": "4f2a"})) == []


# --- The date range ---------------------------------------------------------------------------


def _on(day: int) -> Consultation:
    return ConsultationFactory(starts_at=dt.datetime(2026, 3, day, 23, 30, tzinfo=BOGOTA))


def test_the_date_range_filters_whole_local_days(clinic_admin_client):
    before, first, last, after = _on(9), _on(10), _on(12), _on(13)
    query = {"starts_at__from": "2026-03-10", "starts_at__to": "2026-03-12"}
    response = changelist(clinic_admin_client, Consultation, query)
    assert set(shown(response)) == {first, last}
    assert before not in shown(response) and after not in shown(response)
    only_from = changelist(clinic_admin_client, Consultation, {"starts_at__from": "2026-03-12"})
    assert set(shown(only_from)) == {last, after}


def test_the_date_range_is_in_spanish(clinic_admin_client):
    response = changelist(clinic_admin_client, Consultation, {"starts_at__from": "2026-03-10"})
    text = response.content.decode()
    assert "Desde" in text and "Hasta" in text
    assert "Por inicio" in text


@pytest.mark.parametrize(
    "bad", ["9999-12-31", "0001-01-01", "garbage", "2026-02-30", "2026-03-10' OR 1=1", "٢٠٢٦-٠٣-١٠"]
)
def test_a_date_that_cannot_be_read_is_ignored_and_said(clinic_admin_client, bad):
    every = {_on(9), _on(10)}
    response = changelist(clinic_admin_client, Consultation, {"starts_at__to": bad})
    assert set(shown(response)) == every
    assert "no se pudo leer" in response.content.decode()


def test_a_nul_byte_in_a_date_is_refused_not_a_500(clinic_admin_client):
    url = admin_url(Consultation, "changelist")
    assert clinic_admin_client.get(url, {"starts_at__from": "2026-03-10\x00"}).status_code == 400


@pytest.mark.parametrize(
    ("model", "field"),
    [
        (Consultation, "starts_at"),
        (Delivery, "created_at"),
        (WebhookDelivery, "received_at"),
        (AuditEntry, "at"),
    ],
)
def test_every_growing_changelist_has_a_date_range_and_no_date_bar(superuser_client, model, field):
    response = changelist(
        superuser_client, model, {f"{field}__from": "2026-01-01", f"{field}__to": "junk"}
    )
    assert response.context["cl"].date_hierarchy is None
    assert response.context["cl"].show_full_result_count is False
    assert f'name="{field}__from"' in response.content.decode()


# --- Statement counts -------------------------------------------------------------------------


def _statements(client, model, query: dict) -> int:
    with CaptureQueriesContext(connection) as queries:
        changelist(client, model, query)
    return len(queries)


QUERIES = [
    {},
    {"q": "rios"},
    {"q": "1.020.304.050"},
    {"starts_at__from": "2026-03-01", "starts_at__to": "2026-03-31", "status": "booked"},
]


@pytest.mark.parametrize("query", QUERIES, ids=["plain", "name", "document", "filtered"])
def test_the_consultations_changelist_costs_the_same_with_3_or_30_rows(clinic_admin_client, query):
    def add(count: int) -> None:
        for n in range(count):
            ConsultationFactory(
                starts_at=dt.datetime(2026, 3, 1 + n % 28, 9, 0, tzinfo=BOGOTA),
                patient=PatientFactory(name=f"Paciente Ríos {n}"),
            )

    add(3)
    changelist(clinic_admin_client, Consultation, query)  # warm caches (content types...)
    with_three = _statements(clinic_admin_client, Consultation, query)
    add(27)
    with_thirty = _statements(clinic_admin_client, Consultation, query)
    assert with_three == with_thirty <= 20


@pytest.mark.parametrize("query", [{}, {"q": "rios"}], ids=["plain", "name"])
def test_the_patients_changelist_costs_the_same_with_3_or_30_rows(clinic_admin_client, query):
    for n in range(3):
        PatientFactory(name=f"Paciente Ríos {n}")
    changelist(clinic_admin_client, Patient, query)
    with_three = _statements(clinic_admin_client, Patient, query)
    for n in range(27):
        PatientFactory(name=f"Otro Ríos {n}")
    assert with_three == _statements(clinic_admin_client, Patient, query) <= 15


def test_within_a_date_range_the_newest_start_comes_first(clinic_admin_client):
    early, late = _on(10), _on(12)
    query = {"starts_at__from": "2026-03-01"}
    assert shown(changelist(clinic_admin_client, Consultation, query)) == [late, early]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's own estimate")
def test_a_large_unfiltered_table_states_the_estimate_instead_of_counting(
    clinic_admin_client, monkeypatch
):
    from consultations.admin import changelists

    for _n in range(3):
        ConsultationFactory()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE consultations_consultation")
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE relname = 'consultations_consultation'"
        )
        estimate = cursor.fetchone()[0]
    assert estimate == 3  # ANALYZE sees the rows this test made
    monkeypatch.setattr(changelists, "ESTIMATE_FROM", 0)
    with CaptureQueriesContext(connection) as queries:
        response = changelist(clinic_admin_client, Consultation)
    assert response.context["cl"].result_count == int(estimate)
    assert not any(
        "COUNT(*)" in query["sql"] and "consultations_consultation" in query["sql"]
        for query in queries.captured_queries
    )
    # A filtered changelist is counted.
    filtered = changelist(clinic_admin_client, Consultation, {"status": "booked"})
    assert (
        filtered.context["cl"].result_count == Consultation.objects.filter(status="booked").count()
    )


# --- A search counted only a few pages ahead -----------------------------------------------


@pytest.fixture
def small_pages(monkeypatch):
    """Pages of 2, counted 3 rows past the page's first (and "Show all" up to 1)."""
    from consultations.admin import changelists
    from consultations.admin.consultations import ConsultationAdmin

    monkeypatch.setattr(changelists, "COUNT_AHEAD", 3)
    monkeypatch.setattr(ConsultationAdmin, "list_per_page", 2)
    monkeypatch.setattr(ConsultationAdmin, "list_max_show_all", 1)


def _rios(count: int) -> list[Consultation]:
    made = [ConsultationFactory(patient=PatientFactory(name=f"Ríos {n}")) for n in range(count)]
    ConsultationFactory(patient=PatientFactory(name="Otra Persona"))
    return sorted(made, key=lambda c: (c.created_at, c.pk), reverse=True)


def test_a_search_matching_past_the_bound_says_more_than_and_pages_on(
    clinic_admin_client, small_pages
):
    newest_first = _rios(6)
    first = changelist(clinic_admin_client, Consultation, {"q": "rios"})
    cl = first.context["cl"]
    assert cl.paginator.count_bounded and cl.result_count == 3
    assert shown(first) == newest_first[:2]
    text = first.content.decode()
    assert "Más de 3 consultas" in text and "Más de 3 resultados" in text
    assert "?p=2&amp;q=rios" in text
    # Each page counts further ahead, so every page is reachable and shows its rows.
    second = changelist(clinic_admin_client, Consultation, {"q": "rios", "p": "2"})
    assert second.context["cl"].paginator.count_bounded
    assert second.context["cl"].result_count == 5
    assert shown(second) == newest_first[2:4]
    last = changelist(clinic_admin_client, Consultation, {"q": "rios", "p": "3"})
    assert not last.context["cl"].paginator.count_bounded
    assert last.context["cl"].result_count == 6
    assert shown(last) == newest_first[4:]
    assert "6 consultas" in last.content.decode()


def test_a_search_within_the_bound_is_counted_exactly(clinic_admin_client, small_pages):
    _rios(3)
    response = changelist(clinic_admin_client, Consultation, {"q": "rios"})
    assert not response.context["cl"].paginator.count_bounded
    assert response.context["cl"].result_count == 3
    assert "Más de" not in response.content.decode()


def test_a_bounded_count_never_offers_show_all(clinic_admin_client, small_pages):
    _rios(6)
    response = changelist(clinic_admin_client, Consultation, {"q": "rios", "all": ""})
    assert response.context["cl"].paginator.count_bounded
    assert not response.context["cl"].can_show_all
    assert len(shown(response)) == 2


def test_the_search_count_stops_reading_past_the_bound(clinic_admin_client, small_pages):
    _rios(6)
    with CaptureQueriesContext(connection) as queries:
        changelist(clinic_admin_client, Consultation, {"q": "rios"})
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1
    assert "LIMIT 4" in counts[0]
