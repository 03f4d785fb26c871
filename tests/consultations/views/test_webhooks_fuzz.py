"""Whatever arrives at the receiver, it never answers 500: arbitrary bodies and headers,
signed or not, envelopes with arbitrary values."""

from __future__ import annotations

import json
import uuid

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from consultations.kairo import contract
from tests.consultations.webhook_posts import webhook_headers, webhook_post
from tests.factories import ConsultationFactory

pytestmark = pytest.mark.django_db

FUZZ = hypothesis_settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
_header_text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x2FF), max_size=80)
_events = st.sampled_from([*contract.WEBHOOK_EVENTS, "", "other"]) | st.text(max_size=20)


@pytest.fixture
def kairo_id(db):
    return ConsultationFactory(kairo_consultation_id=uuid.uuid4()).kairo_consultation_id


@FUZZ
@given(body=st.binary(max_size=2000), signature=_header_text, delivery=_header_text)
def test_arbitrary_bytes_and_headers_never_500(client, body, signature, delivery):
    headers = {
        contract.HEADER_WEBHOOK_SIGNATURE: signature,
        contract.HEADER_WEBHOOK_DELIVERY: delivery,
    }
    assert webhook_post(client, body, headers=headers).status_code in (400, 401)


@FUZZ
@given(body=st.binary(max_size=2000), delivery=_header_text)
def test_arbitrary_signed_bytes_never_500(client, body, delivery):
    headers = webhook_headers(body, delivery_id=delivery or "x")
    headers[contract.HEADER_WEBHOOK_DELIVERY] = delivery
    assert webhook_post(client, body, headers=headers).status_code in (200, 400)


@FUZZ
@given(
    event=_events,
    data=st.dictionaries(
        st.sampled_from(["consultationId", "participant", "occurredAt", "status", "patient"])
        | st.text(max_size=8),
        _json,
        max_size=6,
    ),
    extra=st.dictionaries(st.text(max_size=8), _json, max_size=3),
    use_known_id=st.booleans(),
    timestamp=_json,
)
def test_signed_envelopes_with_arbitrary_values_never_500(
    client, kairo_id, event, data, extra, use_known_id, timestamp
):
    if use_known_id:
        data = {**data, "consultationId": str(kairo_id)}
    body = {
        **extra,
        "event": event,
        "timestamp": timestamp,
        "organizationId": "org",
        "data": data,
        "version": "v1",
    }
    raw = json.dumps(body).encode()
    assert webhook_post(client, raw).status_code in (200, 400)
