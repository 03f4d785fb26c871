"""Patients and providers pages: search, create, edit with the directory's rules, history."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from consultations.forms.directory import PatientForm, ProviderForm
from consultations.models import ConsultationStatus, Patient, Provider
from consultations.selectors.paging import PAGE_SIZE
from tests.consultations.pages import statements_with_one_and_five_rows
from tests.consultations.provider_forms import provider_post
from tests.consultations.races import validation_misses_duplicates
from tests.errors import form_error_codes
from tests.factories import (
    ConsultationFactory,
    MedicalSpecialtyFactory,
    PatientFactory,
    ProfessionalTypeFactory,
    ProviderFactory,
    SpecialistTypeFactory,
    future,
)

pytestmark = pytest.mark.django_db

BOGOTA = zoneinfo.ZoneInfo("America/Bogota")
Status = ConsultationStatus


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BOGOTA)


def patient_data(**overrides) -> dict:
    data = {
        "document_type": "CC",
        "document_number": "1020304050",
        "name": "Valentina Restrepo Díaz",
        "phone": "300 123 4567",
        "email": "valentina@example.test",
        "preferred_language": "es",
    }
    return data | overrides


def provider_data(**overrides) -> dict:
    data = {
        "name": "Dr. Camilo Andrés Torres",
        "document_type": "CC",
        "document_number": "79123456",
        "professional_type": ProfessionalTypeFactory().pk,
        "specialty": "",
        "phone": "+57 310 555 0101",
        "email": "camilo@clinic.test",
        "professional_license": "RM-1234",
        "is_active": "on",
    }
    return data | overrides


# --- Patients: list and search ------------------------------------------------------------


def test_patient_list_searches_by_name_fragment_and_document(reception_client):
    ana = PatientFactory(name="Ana Lucía Beltrán", document_number="1010101010")
    PatientFactory(name="Jorge Mejía")
    url = reverse("patient_list")
    by_name = reception_client.get(url, {"q": "Lucí"}).context["page"]
    assert [p.pk for p in by_name.items] == [ana.pk]
    by_document = reception_client.get(url, {"q": "1.010.101.010"}).context["page"]
    assert [p.pk for p in by_document.items] == [ana.pk]


# As receptionists type names heard on the phone: no accents, any case.
SPOKEN_NAMES = [
    ("rios", "María Fernanda Ríos"),
    ("PEREZ", "Jorge Iván Pérez"),
    ("nunez", "Ñúñez"),
    ("ivan   pér", "Jorge Iván Pérez"),
]


@pytest.mark.parametrize(("typed", "name"), SPOKEN_NAMES)
def test_patient_list_search_ignores_accents_and_case(reception_client, typed, name):
    wanted = PatientFactory(name=name)
    PatientFactory(name="Pedro Gómez Arango")
    page = reception_client.get(reverse("patient_list"), {"q": typed}).context["page"]
    assert [p.pk for p in page.items] == [wanted.pk]


def test_an_accented_fragment_finds_a_name_stored_without_accents(reception_client):
    perez = PatientFactory(name="Jorge Ivan Perez")
    page = reception_client.get(reverse("patient_list"), {"q": "Pérez"}).context["page"]
    assert [p.pk for p in page.items] == [perez.pk]


def test_a_fragment_of_bare_accents_is_too_short(reception_client):
    PatientFactory(name="María Fernanda Ríos")
    response = reception_client.get(reverse("patient_list"), {"q": "a\u0301\u0301\u0301"})
    assert form_error_codes(response.context["form"]) == {"q": ["too_short"]}
    assert response.context["page"] is None


def test_patient_list_masks_documents(reception_client):
    PatientFactory(document_number="1020304050")
    html = reception_client.get(reverse("patient_list")).content.decode()
    assert "•••4050" in html and "1020304050" not in html


def test_patient_list_refuses_a_too_short_fragment(reception_client):
    response = reception_client.get(reverse("patient_list"), {"q": "an"})
    assert response.status_code == 200
    assert form_error_codes(response.context["form"]) == {"q": ["too_short"]}
    assert response.context["page"] is None


def test_patient_list_pages_without_counting(reception_client):
    PatientFactory.create_batch(PAGE_SIZE + 1)
    with CaptureQueriesContext(connection) as queries:
        page = reception_client.get(reverse("patient_list")).context["page"]
    assert page.has_next and len(page.items) == PAGE_SIZE
    assert not any("COUNT(" in query["sql"].upper() for query in queries)


# --- Patients: create and edit ------------------------------------------------------------


def test_reception_creates_a_patient_with_the_authorization_recorded(
    reception_client, receptionist, settings
):
    response = reception_client.post(reverse("patient_new"), patient_data(authorization="on"))
    patient = Patient.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("patient_detail", args=[patient.pk])
    assert patient.phone == "+573001234567"
    assert patient.data_processing_authorized
    assert patient.data_processing_recorded_by == receptionist
    assert patient.data_processing_policy_version == settings.DATA_PROCESSING_POLICY_VERSION


@pytest.mark.parametrize(
    ("number", "code"),
    [("1234567", "min_length"), ("1" * 21, "max_length"), ("1020/3040", "invalid_document_number")],
)
def test_patient_document_number_limits(reception_client, number, code):
    response = reception_client.post(reverse("patient_new"), patient_data(document_number=number))
    assert response.status_code == 200
    assert code in form_error_codes(response.context["form"])["document_number"]
    assert not Patient.objects.exists()


@pytest.mark.parametrize("number", ["12345678", "1" * 20])
def test_patient_document_number_at_the_edges_is_accepted(reception_client, number):
    response = reception_client.post(reverse("patient_new"), patient_data(document_number=number))
    assert response.status_code == 302
    assert Patient.objects.get().document_number == number


def test_patient_bad_phone_and_email_are_field_errors(reception_client):
    response = reception_client.post(
        reverse("patient_new"), patient_data(phone="12", email="not-an-email")
    )
    codes = form_error_codes(response.context["form"])
    assert "invalid" in codes["email"] and codes["phone"]


def test_duplicate_patient_document_is_a_form_error(reception_client):
    PatientFactory(document_type="CC", document_number="1020304050")
    response = reception_client.post(reverse("patient_new"), patient_data())
    assert response.status_code == 200
    assert form_error_codes(response.context["form"])["document_number"] == ["duplicate_document"]
    assert Patient.objects.count() == 1


def test_a_duplicate_that_slips_past_validation_is_a_document_error(reception_client, monkeypatch):
    """Two desks saving the same document at once: the database's unique constraint
    answers with an IntegrityError, which the page reports on the document field."""
    PatientFactory(document_type="CC", document_number="1020304050")
    validation_misses_duplicates(monkeypatch, Patient)
    response = reception_client.post(reverse("patient_new"), patient_data())
    assert response.status_code == 200
    assert form_error_codes(response.context["form"])["document_number"] == ["duplicate_document"]
    assert Patient.objects.count() == 1


def test_a_refusal_the_constraints_cannot_explain_is_a_form_error_not_a_500(
    reception_client, monkeypatch
):
    def refused(self, *args, **kwargs):
        raise IntegrityError("some other constraint")

    monkeypatch.setattr(Patient, "save", refused)
    response = reception_client.post(reverse("patient_new"), patient_data())
    assert response.status_code == 200
    assert form_error_codes(response.context["form"])["__all__"] == ["integrity_error"]
    monkeypatch.undo()
    assert not Patient.objects.exists()


def test_reception_corrects_a_patient(reception_client):
    patient = PatientFactory(name="Nombre Viejo", document_number="1020304050")
    response = reception_client.post(
        reverse("patient_edit", args=[patient.pk]),
        patient_data(
            name="  Nombre   Corregido ", name_change_confirmed="on", email="nuevo@example.test"
        ),
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert (patient.name, patient.email) == ("Nombre Corregido", "nuevo@example.test")


def test_editing_a_name_updates_what_the_search_finds(reception_client):
    patient = PatientFactory(name="Maria Rodas", document_number="1020304050")
    response = reception_client.post(
        reverse("patient_edit", args=[patient.pk]),
        patient_data(name="María Fernanda Ríos", name_change_confirmed="on"),
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.name_search == "maria fernanda rios"
    url = reverse("patient_list")
    assert [p.pk for p in reception_client.get(url, {"q": "rios"}).context["page"].items] == [
        patient.pk
    ]
    assert list(reception_client.get(url, {"q": "rodas"}).context["page"].items) == []


def test_editing_to_another_patients_document_is_refused(reception_client):
    PatientFactory(document_number="1020304050")
    patient = PatientFactory(document_number="99999999")
    response = reception_client.post(
        reverse("patient_edit", args=[patient.pk]), patient_data(document_number="1020304050")
    )
    assert response.status_code == 200
    patient.refresh_from_db()
    assert patient.document_number == "99999999"


def test_the_edit_form_shows_the_current_values(reception_client):
    patient = PatientFactory(name="Valor Actual")
    response = reception_client.get(reverse("patient_edit", args=[patient.pk]))
    assert response.status_code == 200
    assert response.context["form"].instance == patient
    assert 'value="Valor Actual"' in response.content.decode()


def test_garbage_posted_to_the_patient_form_is_errors_not_500(reception_client):
    response = reception_client.post(
        reverse("patient_new"),
        {"document_type": "XX", "preferred_language": "fr", "name": "\x00", "phone": "+" * 300},
    )
    assert response.status_code == 200
    assert set(form_error_codes(response.context["form"])) >= {
        "document_type",
        "preferred_language",
        "phone",
    }


# --- Patients: details and history --------------------------------------------------------


def test_patient_page_shows_their_history_latest_first(reception_client):
    patient = PatientFactory()
    old = ConsultationFactory(
        starts_at=at(2026, 1, 5, 9), patient=patient, status=ConsultationStatus.COMPLETED
    )
    new = ConsultationFactory(starts_at=at(2026, 3, 5, 9), patient=patient)
    someone_else = ConsultationFactory(starts_at=at(2026, 2, 5, 9))
    response = reception_client.get(reverse("patient_detail", args=[patient.pk]))
    assert response.status_code == 200
    assert [c.pk for c in response.context["page"].items] == [new.pk, old.pk]
    html = response.content.decode()
    assert reverse("consultation_detail", args=[new.pk]) in html
    assert reverse("consultation_detail", args=[someone_else.pk]) not in html
    assert f"{reverse('consultation_list')}?patient={patient.pk}" in html


def test_unknown_patient_is_404(reception_client):
    assert reception_client.get(reverse("patient_detail", args=[999999])).status_code == 404
    assert reception_client.get(reverse("patient_edit", args=[999999])).status_code == 404


# --- Providers ----------------------------------------------------------------------------


def test_reception_sees_providers_but_cannot_create_or_edit_them(reception_client):
    provider = ProviderFactory()
    assert reception_client.get(reverse("provider_list")).status_code == 200
    assert reception_client.get(reverse("provider_detail", args=[provider.pk])).status_code == 200
    assert reception_client.get(reverse("provider_new")).status_code == 403
    assert reception_client.post(reverse("provider_new"), provider_data()).status_code == 403
    edit = reverse("provider_edit", args=[provider.pk])
    assert reception_client.get(edit).status_code == 403
    assert reception_client.post(edit, provider_data()).status_code == 403
    assert Provider.objects.count() == 1
    html = reception_client.get(reverse("provider_list")).content.decode()
    assert 'id="provider-new"' not in html


def test_provider_list_names_its_status_column(reception_client):
    ProviderFactory(name="Dra. Activa Columna Estado")
    ProviderFactory(name="Dr. Inactivo Columna Estado", is_active=False)
    html = reception_client.get(reverse("provider_list")).content.decode()
    assert '<th scope="col" id="provider-status-header">Estado (activo/inactivo)</th>' in html
    assert ">Activas<" not in html
    assert '<span class="badge text-bg-success">Activo</span>' in html
    assert '<span class="badge text-bg-secondary">Inactivo</span>' in html


def test_clinic_admin_creates_a_provider(clinic_admin_client):
    response = clinic_admin_client.post(reverse("provider_new"), provider_data())
    provider = Provider.objects.get()
    assert response["Location"] == reverse("provider_detail", args=[provider.pk])
    assert provider.phone == "+573105550101"


@pytest.mark.parametrize(
    ("name", "code"),
    [("Dr. Ruiz.", "min_length"), ("D" * 51, "max_length")],
)
def test_provider_name_limits(clinic_admin_client, name, code):
    assert len(name) in (9, 51)
    response = clinic_admin_client.post(reverse("provider_new"), provider_data(name=name))
    assert response.status_code == 200
    assert code in form_error_codes(response.context["form"])["name"]
    assert not Provider.objects.exists()


@pytest.mark.parametrize("name", ["Dra. Ruiz.", "D" * 50])
def test_provider_name_at_the_edges_is_accepted(clinic_admin_client, name):
    response = clinic_admin_client.post(reverse("provider_new"), provider_data(name=name))
    assert response.status_code == 302
    assert Provider.objects.get().name == name


def test_a_specialist_needs_a_specialty_and_others_must_not_have_one(clinic_admin_client):
    specialist = SpecialistTypeFactory()
    specialty = MedicalSpecialtyFactory()
    response = clinic_admin_client.post(
        reverse("provider_new"), provider_data(professional_type=specialist.pk)
    )
    assert form_error_codes(response.context["form"])["specialty"] == ["specialty_required"]
    response = clinic_admin_client.post(
        reverse("provider_new"), provider_data(specialty=specialty.pk)
    )
    assert form_error_codes(response.context["form"])["specialty"] == ["specialty_not_allowed"]
    assert not Provider.objects.exists()


def test_clinic_admin_creates_a_specialist(clinic_admin_client):
    specialist = SpecialistTypeFactory()
    specialty = MedicalSpecialtyFactory()
    response = clinic_admin_client.post(
        reverse("provider_new"),
        provider_data(professional_type=specialist.pk, specialty=specialty.pk),
    )
    assert response.status_code == 302
    assert Provider.objects.get().specialty == specialty


def test_duplicate_provider_document_is_a_form_error(clinic_admin_client):
    ProviderFactory(document_type="CC", document_number="79123456")
    response = clinic_admin_client.post(reverse("provider_new"), provider_data())
    assert response.status_code == 200
    assert form_error_codes(response.context["form"])["document_number"] == ["duplicate_document"]
    assert Provider.objects.count() == 1


def test_a_provider_duplicate_race_is_a_document_error(clinic_admin_client, monkeypatch):
    ProviderFactory(document_type="CC", document_number="79123456")
    validation_misses_duplicates(monkeypatch, Provider)
    response = clinic_admin_client.post(reverse("provider_new"), provider_data())
    assert form_error_codes(response.context["form"])["document_number"] == ["duplicate_document"]


def test_clinic_admin_deactivates_a_provider(clinic_admin_client):
    provider = ProviderFactory()
    data = provider_data(name=provider.name, document_number=provider.document_number, is_active="")
    response = clinic_admin_client.post(reverse("provider_edit", args=[provider.pk]), data)
    assert response.status_code == 302
    provider.refresh_from_db()
    assert not provider.is_active


def test_an_unknown_professional_type_is_a_field_error(clinic_admin_client):
    response = clinic_admin_client.post(
        reverse("provider_new"), provider_data(professional_type="abc")
    )
    assert form_error_codes(response.context["form"])["professional_type"] == ["invalid_choice"]


def test_provider_search_by_fragment_and_document(reception_client):
    torres = ProviderFactory(name="Dr. Camilo Torres Vega", document_number="79555555")
    ProviderFactory(name="Dra. Paula Andrea Ríos")
    url = reverse("provider_list")
    assert [p.pk for p in reception_client.get(url, {"q": "torres"}).context["page"].items] == [
        torres.pk
    ]
    assert [p.pk for p in reception_client.get(url, {"q": "79555555"}).context["page"].items] == [
        torres.pk
    ]


def test_provider_search_ignores_accents_and_case(reception_client):
    rios = ProviderFactory(name="Dra. Paula Andrea Ríos")
    ProviderFactory(name="Dr. Camilo Torres Vega")
    url = reverse("provider_list")
    assert [p.pk for p in reception_client.get(url, {"q": "RIOS"}).context["page"].items] == [
        rios.pk
    ]


def test_editing_a_provider_name_updates_what_the_search_finds(clinic_admin_client):
    provider = ProviderFactory(name="Dr. Camilo Torres Vega", document_number="79123456")
    response = clinic_admin_client.post(
        reverse("provider_edit", args=[provider.pk]),
        provider_data(name="Dr. Camilo Núñez Vega"),
    )
    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider.name_search == "dr. camilo nunez vega"


def test_provider_page_lists_upcoming_active_consultations_soonest_first(reception_client):
    provider = ProviderFactory()
    with time_machine.travel(at(2026, 3, 10, 12, 0), tick=False):
        ongoing = ConsultationFactory(starts_at=at(2026, 3, 10, 11, 45), provider=provider)
        later = ConsultationFactory(starts_at=at(2026, 3, 12, 9), provider=provider)
        soon = ConsultationFactory(starts_at=at(2026, 3, 10, 15), provider=provider)
        ConsultationFactory(starts_at=at(2026, 3, 10, 9), provider=provider)  # over
        ConsultationFactory(
            starts_at=at(2026, 3, 11, 9), provider=provider, status=ConsultationStatus.CANCELLED
        )
        ConsultationFactory(starts_at=at(2026, 3, 11, 10))  # someone else's
        response = reception_client.get(reverse("provider_detail", args=[provider.pk]))
    assert [c.pk for c in response.context["page"].items] == [ongoing.pk, soon.pk, later.pk]


@pytest.mark.parametrize(
    ("page", "factory", "other"),
    [("patient", PatientFactory, "provider"), ("provider", ProviderFactory, "patient")],
)
def test_directory_page_statements_do_not_grow_with_its_rows(
    reception_client, page, factory, other
):
    """Each row of a patient's (provider's) page shows the provider (patient) and the type,
    read with the page's one query, whatever columns it reads (`PROVIDER_ROW_FIELDS` on
    the provider's): no statement per row."""
    person = factory()
    url = reverse(f"{page}_detail", args=[person.pk])

    def book(count: int) -> None:
        for _n in range(count):
            days = person.consultations.count()
            ConsultationFactory(**{page: person}, starts_at=future(hours=2 + 24 * days))

    one, five, response = statements_with_one_and_five_rows(reception_client, url, book)
    assert one == five
    rows = response.context["page"].items
    assert len(rows) == 5
    html = response.content.decode()
    for row in rows:
        assert reverse(f"{other}_detail", args=[getattr(row, f"{other}_id")]) in html
        assert getattr(row, other).name in html and row.consultation_type.name in html


def test_unknown_provider_is_404(clinic_admin_client):
    assert clinic_admin_client.get(reverse("provider_detail", args=[999999])).status_code == 404
    assert clinic_admin_client.get(reverse("provider_edit", args=[999999])).status_code == 404


def test_directory_pages_need_a_login(client):
    for name in ("patient_list", "patient_new", "provider_list", "provider_new"):
        response = client.get(reverse(name))
        assert response.status_code == 302, name


# --- Whatever a user posts ------------------------------------------------------------------

_text = st.text(max_size=60)


@hypothesis_settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    values=st.dictionaries(
        st.sampled_from(sorted(PatientForm.base_fields)),
        st.one_of(_text, st.sampled_from(["CC", "PAS", "es", "on", "12345678", "+573001234567"])),
    )
)
def test_no_post_breaks_the_patient_pages(reception_client, values):
    response = reception_client.post(reverse("patient_new"), patient_data() | values)
    assert response.status_code in (200, 302)


@hypothesis_settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    values=st.dictionaries(
        st.sampled_from(sorted(ProviderForm.base_fields)),
        st.one_of(_text, st.integers().map(str)),
    )
)
def test_no_post_breaks_the_provider_pages(clinic_admin_client, values):
    response = clinic_admin_client.post(reverse("provider_new"), provider_data() | values)
    assert response.status_code in (200, 302)


# --- Deactivating a provider with consultations ahead ------------------------------------


def test_the_desk_warns_before_deactivating_a_provider_with_consultations_ahead(
    clinic_admin_client, provider
):
    ahead = ConsultationFactory(provider=provider, starts_at=future(hours=30))
    ConsultationFactory(provider=provider, starts_at=future(hours=3), status=Status.CANCELLED)
    url = reverse("provider_edit", args=[provider.pk])
    response = clinic_admin_client.post(url, provider_post(provider))  # is_active unticked
    assert response.status_code == 200
    form = response.context["form"]
    assert form.has_error("is_active", "provider_has_consultations_ahead")
    assert form.consultations_ahead == [ahead]
    page = response.content.decode()
    assert 'id="provider-ahead-warning"' in page
    assert reverse("consultation_detail", args=[ahead.pk]) in page
    assert ahead.patient.name in page
    assert 'type="checkbox" name="confirm_deactivation"' in page
    provider.refresh_from_db()
    assert provider.is_active

    response = clinic_admin_client.post(url, provider_post(provider, confirm_deactivation="on"))
    assert response.status_code == 302
    provider.refresh_from_db()
    assert not provider.is_active


def test_the_desk_deactivates_a_provider_with_nothing_ahead_at_once(clinic_admin_client, provider):
    url = reverse("provider_edit", args=[provider.pk])
    assert clinic_admin_client.post(url, provider_post(provider)).status_code == 302
    provider.refresh_from_db()
    assert not provider.is_active


# --- The consultation rows of a patient's and a provider's page -----------------------------


@pytest.mark.parametrize("page", ["provider_detail", "patient_detail"])
def test_the_rows_print_the_other_side_escaped_with_its_link(reception_client, page):
    # The rows are written by the `directory_rows` tag, not the template language: names
    # arrive as text, links and labels as the template printed them.
    hostile = '<b onclick="x()">&amp;\'Ñ'
    consultation = ConsultationFactory(
        provider=ProviderFactory(name=f"Dr. {hostile}"),
        patient=PatientFactory(name=f"Ana {hostile}"),
        immediate=True,
    )
    owner = consultation.provider if page == "provider_detail" else consultation.patient
    html = reception_client.get(reverse(page, args=[owner.pk])).content.decode()
    row = html[html.index(f'<tr data-consultation="{consultation.pk}">') :]
    row = row[: row.index("</tr>")]
    assert "<b " not in row and 'onclick="' not in row
    assert "&lt;b onclick=&quot;x()&quot;&gt;&amp;amp;&#x27;Ñ" in row
    other, link = (
        (consultation.patient, reverse("patient_detail", args=[consultation.patient_id]))
        if page == "provider_detail"
        else (consultation.provider, reverse("provider_detail", args=[consultation.provider_id]))
    )
    assert f'<a href="{link}">' in row and other.name.split()[0] in row
    assert f'href="{reverse("consultation_detail", args=[consultation.pk])}"' in row
    assert "agenda-now-badge" in row and "Inmediata" in row
    assert f"agenda-status-{consultation.status}" in row and "Agendada" in row
