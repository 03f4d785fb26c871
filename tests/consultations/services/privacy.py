"""What a consultation's events must never hold."""

from __future__ import annotations

import json

from consultations.models import Consultation


def assert_no_personal_data_in_events(consultation: Consultation) -> None:
    consultation.refresh_from_db()
    text = json.dumps(list(consultation.events.values_list("detail", flat=True)))
    secrets = [
        consultation.access_pin,
        consultation.patient_join_url,
        consultation.provider_join_url,
        consultation.patient.document_number,
        str(consultation.patient.phone),
        consultation.patient.email,
        consultation.provider.email,
        str(consultation.provider.phone),
    ]
    for secret in filter(None, secrets):
        assert secret not in text
