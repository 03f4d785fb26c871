"""A patient's identity is never overwritten by accident when booking: a known document
with another name needs an explicit confirmation, and each change is recorded on the
patient's history with its values masked."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from consultations.models import Consultation, Patient, PatientChange
from tests.consultations.patient_identity import STORED_NAME, TYPED_NAME, snapshot
from tests.errors import error_codes

pytestmark = pytest.mark.django_db


def typed_for(known: Patient, **overrides) -> Patient:
    values = {
        "document_type": known.document_type,
        "document_number": known.document_number,
        "name": TYPED_NAME,
        "phone": known.phone,
        "email": known.email,
        "preferred_language": known.preferred_language,
    }
    return Patient(**(values | overrides))


# --- The service (booking) ------------------------------------------------------------------


def test_booking_a_known_document_with_another_name_is_refused_and_changes_nothing(
    book_consultation, known, sandbox
):
    before = snapshot(known)
    with pytest.raises(ValidationError) as refused:
        book_consultation(patient=typed_for(known), authorization_given=False)
    assert error_codes(refused.value)["name"] == ["name_change_unconfirmed"]
    assert snapshot(known) == before
    assert not Consultation.objects.exists()
    assert not PatientChange.objects.exists()
    assert sandbox.stats()["createsReceived"] == 0


def test_a_patient_submitted_by_id_with_another_name_is_refused_too(
    book_consultation, known, sandbox
):
    known.name = TYPED_NAME  # the form's instance, edited in memory
    with pytest.raises(ValidationError) as refused:
        book_consultation(patient=known, authorization_given=False)
    assert error_codes(refused.value)["name"] == ["name_change_unconfirmed"]
    known.refresh_from_db()
    assert known.name == STORED_NAME
    assert sandbox.stats()["createsReceived"] == 0


def test_booking_with_the_confirmation_renames_and_records_it(
    book_consultation, known, receptionist, sandbox
):
    consultation = book_consultation(
        patient=typed_for(known), authorization_given=False, name_change_confirmed=True
    )
    assert consultation.patient_id == known.pk
    known.refresh_from_db()
    assert known.name == TYPED_NAME
    change = known.changes.get()
    assert (change.field, change.old_value, change.new_value) == ("name", "J. I. P.", "J. C. G.")
    assert (change.changed_by, change.source) == (receptionist, PatientChange.Source.BOOKING)
    assert change.changed_at is not None
    assert sandbox.stats()["createsReceived"] == 1
    assert consultation.kairo_request["patient"]["name"] == TYPED_NAME


def test_contact_changes_on_booking_are_recorded_masked(book_consultation, known, receptionist):
    book_consultation(
        patient=typed_for(
            known,
            name=STORED_NAME,
            phone="+573109998877",
            email="otra.direccion@nuevo.example",
            preferred_language="en",
        ),
        authorization_given=False,
    )
    changes = {c.field: c for c in known.changes.all()}
    assert set(changes) == {"phone", "email", "preferred_language"}
    assert (changes["phone"].old_value, changes["phone"].new_value) == ("•••233", "•••877")
    assert (changes["email"].old_value, changes["email"].new_value) == (
        "j***@c***.example",
        "o***@n***.example",
    )
    assert (changes["preferred_language"].old_value, changes["preferred_language"].new_value) == (
        "es",
        "en",
    )
    assert {c.changed_by for c in changes.values()} == {receptionist}
    # The old values themselves are kept nowhere in the history.
    stored = " ".join(PatientChange.objects.values_list("old_value", flat=True))
    assert "jorge.perez" not in stored and "1112233" not in stored


def test_an_unchanged_patient_leaves_no_history(book_consultation, known):
    book_consultation(patient=typed_for(known, name=STORED_NAME), authorization_given=False)
    assert not known.changes.exists()
