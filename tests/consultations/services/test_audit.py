"""`audit_record`: who (the request's account, or what a failed sign-in typed), what
(the object, and the patient it concerns), from where (the client's address)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from consultations.models import AuditEntry
from consultations.services.audit import audit_record
from tests.factories import ConsultationFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db
Action = AuditEntry.Action


def test_the_request_names_the_account_and_the_address():
    user = UserFactory(username="recepcion1")
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.7")
    request.user = user
    patient = PatientFactory()
    entry = audit_record(Action.PATIENT_VIEWED, request=request, target=patient)
    assert (entry.actor_id, entry.actor_username, entry.address) == (
        user.pk,
        "recepcion1",
        "203.0.113.7",
    )
    assert (entry.object_type, entry.object_id, entry.patient_id) == (
        "patient",
        str(patient.pk),
        patient.pk,
    )


def test_a_consultation_names_its_patient():
    consultation = ConsultationFactory()
    entry = audit_record(Action.CONSULTATION_VIEWED, target=consultation)
    assert entry.object_type == "consultation"
    assert entry.patient_id == consultation.patient_id
    assert entry.address is None and entry.actor_id is None


@pytest.mark.parametrize("trusted_proxies, expected", [(0, "10.0.0.1"), (1, "198.51.100.4")])
def test_the_address_is_the_one_django_axes_trusts(settings, trusted_proxies, expected):
    settings.TRUSTED_PROXY_COUNT = trusted_proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.4")
    assert audit_record(Action.LOGIN_FAILED, request=request).address == expected


def test_a_failed_sign_in_keeps_what_was_typed_within_the_column():
    entry = audit_record(Action.LOGIN_FAILED, username="x" * 300)
    assert entry.actor_username == "x" * 150
    assert entry.actor_id is None
