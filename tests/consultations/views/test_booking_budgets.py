"""Statement budgets of the booking path: the form page, the booking POST (scheduled and
immediate, for a patient on file and a new one) and the result page it leads to.

Each is an exact count (docs/development.md "Statement budgets"): the same with a few
rows in the tables as with many, and no more than the path needs. A change that adds
a statement must say why here. Counted inside the test's transaction, so every
`atomic()` shows as a SAVEPOINT and its RELEASE (in production the outermost ones are
the transaction's BEGIN and COMMIT instead); emails are queued after the commit, which
never comes in these tests, so their send tasks are not counted.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from consultations.context_processors import ATTENTION_BADGE_QUERIES
from consultations.models import Consultation, ConsultationStatus
from tests.factories import ConsultationFactory, PatientFactory, ProviderFactory, future, org_zone

pytestmark = pytest.mark.django_db

NEW = reverse("consultation_new")

# Every logged-in page: the session, and the account with its saved language and, on
# PostgreSQL, its permissions (on SQLite the permissions are one more;
# consultations/auth_backend.py).
PER_PAGE = 2 if connection.vendor == "postgresql" else 3

# The booking POST, statement by statement:
# - the form: the provider, the consultation type and the duration chosen, and the
#   patient by document (3 + 1); for a new patient also the model's check that the
#   document is unique (1; a patient on file matched by that document is not looked up
#   again: `Identity.validate_constraints`). A double click's token is looked up by the
#   service, and by the view only when the form fails;
# - step 1, one transaction (2, its BEGIN/COMMIT): the provider locked, the token (a
#   double click's booking), the patient locked, the consultation's overlap for the
#   provider, its insert and its event (6), and for the patient either their overlap
#   (1: their details as on file write nothing; a corrected one adds its update in a
#   savepoint, its history rows and its audit row) or, new, their insert in a savepoint
#   and its audit row (3 + 1, and no overlap: nobody can have booked them);
# - Kairo's answer, one transaction (2): one conditional UPDATE that moves the booking
#   from sending to booked and takes its lock (no SELECT ... FOR UPDATE first: the row
#   is as step 1 left it), its two emails' deliveries in one insert (no savepoint: none
#   can exist yet) and its event (3);
# - the audit row (1).
FORM_CHECKS = 3 + 1
NEW_DOCUMENT_CHECK = 1
STEP_1 = 2 + 6
STEP_3 = 2 + 3
AUDIT = 1
PATIENT_ON_FILE = 1
PATIENT_NEW = 3 + 1
POST_ON_FILE = PER_PAGE + FORM_CHECKS + STEP_1 + PATIENT_ON_FILE + STEP_3 + AUDIT
POST_NEW = PER_PAGE + FORM_CHECKS + NEW_DOCUMENT_CHECK + STEP_1 + PATIENT_NEW + STEP_3 + AUDIT

# The result page of a booking made: the consultation with everything it shows, its
# audit row, its emails, and the navigation's badge. No timeline (only a rejected or
# unconfirmed booking's page reads its outcome event) and no clinic join links (the
# detail page shows them).
RESULT_PAGE = PER_PAGE + 3 + ATTENTION_BADGE_QUERIES

# The form page: the badge and the three choice lists (provider, type, duration), each
# one plain query (no server-side cursor).
FORM_PAGE = PER_PAGE + ATTENTION_BADGE_QUERIES + 3


@pytest.fixture
def crowded(provider):
    """crowded(rows, patient=None): `rows` more consultations, of other patients with
    other providers, and of this provider and `patient` on other days, so that a count
    that grew with the data would show."""

    made = []

    def make(rows: int, patient=None) -> None:
        for _ in range(rows):
            made.append(None)
            ConsultationFactory(patient=PatientFactory(), provider=ProviderFactory())
            ConsultationFactory(provider=provider, starts_at=future(hours=30 + len(made)))
            if patient is not None:
                ConsultationFactory(patient=patient, starts_at=future(hours=300 + len(made)))

    return make


def counted(call) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        response = call()
    return len(queries), response


def post_booking(client, data) -> tuple[int, str]:
    count, response = counted(lambda: client.post(NEW, data))
    assert response.status_code == 302, response.context and response.context["form"].errors
    return count, response["Location"]


def on_file(index: int):
    """A patient on file, authorized, with exactly the details the form will send (a
    corrected detail would add its history rows, one statement)."""
    return PatientFactory(
        document_number=f"7060504{index}",
        name="Marta Lucía Ríos",
        phone="+573109876543",
        email="marta.rios@correo.example",
        data_processing_authorized=True,
        data_processing_authorized_at=timezone.now(),
        data_processing_policy_version=settings.DATA_PROCESSING_POLICY_VERSION,
    )


@pytest.mark.parametrize("when", ["scheduled", "now"])
@pytest.mark.parametrize("known", [True, False], ids=["patient-on-file", "new-patient"])
def test_the_booking_post_and_its_result_page_stay_within_budget(
    reception_client, booking_data, duration_30, crowded, when, known
):
    reception_client.get(NEW)  # caches a first request fills (content types)
    counts = []
    for index, rows in enumerate((1, 20)):
        overrides = {"when": when, "when_at": future(hours=2 + 3 * index)}
        if known:
            patient = on_file(index)
            overrides.update(
                document_number=patient.document_number,
                name=patient.name,
                phone=patient.phone,
                email=patient.email,
            )
            crowded(rows, patient=patient)
        else:
            overrides.update(document_number=f"90807060{index}")
            crowded(rows)
        if when == "now":
            # A free provider each time: an immediate booking starts now.
            overrides["provider"] = ProviderFactory().pk
        post_count, result_url = post_booking(reception_client, booking_data(**overrides))
        result_count, response = counted(lambda url=result_url: reception_client.get(url))
        assert response.status_code == 200
        counts.append((post_count, result_count))
    assert Consultation.objects.filter(status=ConsultationStatus.BOOKED).count() >= 2
    expected = POST_ON_FILE if known else POST_NEW
    assert counts == [(expected, RESULT_PAGE)] * 2


def test_the_booking_form_page_stays_within_budget(reception_client, crowded):
    counts = []
    for rows in (1, 20):
        crowded(rows)
        reception_client.get(NEW)
        count, response = counted(lambda: reception_client.get(NEW))
        assert response.status_code == 200
        counts.append(count)
    assert counts == [FORM_PAGE] * 2


def test_a_valid_form_leaves_the_overlaps_to_the_service(
    reception_client, booking_data, provider, duration_30
):
    """A slot taken: the form (valid otherwise) does not look it up, the service does,
    inside its transaction, and its refusal is the form's field error; nothing is
    written, and the statements stop at the refusal."""
    taken = ConsultationFactory(provider=provider)
    local = taken.starts_at.astimezone(org_zone()) + dt.timedelta(minutes=10)
    data = booking_data(
        scheduled_date=local.strftime("%Y-%m-%d"), scheduled_time=local.strftime("%H:%M")
    )
    reception_client.get(NEW)
    with CaptureQueriesContext(connection) as queries:
        response = reception_client.post(NEW, data)
    assert response.status_code == 200
    assert response.context["form"].has_error("provider", "provider_busy")
    assert Consultation.objects.get() == taken
    overlap_lookups = [
        query
        for query in queries.captured_queries
        if 'FROM "consultations_consultation"' in query["sql"]
        and '"consultations_consultation"."ends_at" >' in query["sql"]
        and "FOR UPDATE" not in query["sql"]
    ]
    # The service's look-up of the provider's overlap (the form's would be a second),
    # then the next free starts offered on the form.
    assert len([q for q in overlap_lookups if "ORDER BY CASE" in q["sql"]]) == 1
