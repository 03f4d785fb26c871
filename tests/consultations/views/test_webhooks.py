"""The webhook receiver through the test client: signature first, then size, envelope,
idempotency, the rotation of the secret, and its place among the views (public,
POST only, the only CSRF-exempt one)."""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid

import pytest
from django.core.handlers.wsgi import LimitedStream
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from consultations.kairo import contract, signing
from consultations.models import ConsultationEvent, ConsultationStatus, WebhookDelivery
from consultations.views.webhooks import MAX_BODY_BYTES, kairo_webhook
from tests.consultations.webhook_posts import envelope, webhook_headers, webhook_post
from tests.factories import ConsultationFactory

pytestmark = pytest.mark.django_db

Status = ConsultationStatus
URL = "/kairo/webhooks/"
SIGNATURE = contract.HEADER_WEBHOOK_SIGNATURE

# The test vector GitHub publishes for its webhook signatures (same scheme, no prefix).
VECTOR_SECRET = "It's a Secret to Everybody"
VECTOR_BODY = b"Hello, World!"
VECTOR_SIGNATURE = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


@pytest.fixture
def csrf_client() -> Client:
    """A client that enforces CSRF like a browser's would be refused."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def consultation():
    return ConsultationFactory(kairo_consultation_id=uuid.uuid4(), kairo_status="Pending")


def _post_raw(client, body: bytes, headers: dict[str, str]):
    return client.post(URL, data=body, content_type="application/json", headers=headers)


def test_the_url_is_the_contract_one():
    assert reverse("kairo_webhook") == URL


# --- Signature: checked first, over the raw bytes ------------------------------------------


@pytest.fixture
def vector_secret(settings):
    settings.KAIRO_WEBHOOK_SECRET = VECTOR_SECRET


def _vector_headers(signature: str) -> dict[str, str]:
    return {SIGNATURE: signature, contract.HEADER_WEBHOOK_DELIVERY: str(uuid.uuid4())}


def test_the_github_vector_passes_the_signature_check(csrf_client, vector_secret):
    # Signed right, yet no envelope: past the signature (not 401), refused as a body.
    response = _post_raw(csrf_client, VECTOR_BODY, _vector_headers(VECTOR_SIGNATURE))
    assert response.status_code == 400
    assert response.json() == {"outcome": "bad_envelope"}


def _flip_hex(signature: str, at: int) -> str:
    digit = signature[at]
    return signature[:at] + ("0" if digit != "0" else "1") + signature[at + 1 :]


@pytest.mark.parametrize(
    ("body", "signature"),
    [
        pytest.param(b"Hello, World?", VECTOR_SIGNATURE, id="flipped-body-byte"),
        pytest.param(b"hello, World!", VECTOR_SIGNATURE, id="flipped-first-byte"),
        pytest.param(VECTOR_BODY, _flip_hex(VECTOR_SIGNATURE, 0), id="flipped-first-hex"),
        pytest.param(VECTOR_BODY, _flip_hex(VECTOR_SIGNATURE, 63), id="flipped-last-hex"),
        pytest.param(VECTOR_BODY, VECTOR_SIGNATURE.upper(), id="uppercase"),
        pytest.param(VECTOR_BODY, "sha256=" + VECTOR_SIGNATURE, id="sha256-prefix"),
        pytest.param(VECTOR_BODY, VECTOR_SIGNATURE[:-1], id="too-short"),
        pytest.param(VECTOR_BODY, VECTOR_SIGNATURE + "0", id="too-long"),
        pytest.param(VECTOR_BODY, "", id="empty"),
        pytest.param(VECTOR_BODY, " " + VECTOR_SIGNATURE[1:], id="space"),
        pytest.param(VECTOR_BODY, "é" + VECTOR_SIGNATURE[1:], id="non-ascii"),
        pytest.param(VECTOR_BODY, "\u0661" * 64, id="arabic-indic-digits"),
    ],
)
def test_a_bad_signature_is_401(csrf_client, vector_secret, body, signature):
    response = _post_raw(csrf_client, body, _vector_headers(signature))
    assert response.status_code == 401
    assert not WebhookDelivery.objects.exists()


def test_a_missing_signature_is_401(csrf_client, vector_secret):
    headers = {contract.HEADER_WEBHOOK_DELIVERY: str(uuid.uuid4())}
    assert _post_raw(csrf_client, VECTOR_BODY, headers).status_code == 401


def test_a_valid_envelope_signed_with_another_secret_is_401(client, consultation):
    body = envelope(contract.EVENT_CONSULTATION_COMPLETED, consultation.kairo_consultation_id)
    response = webhook_post(client, body, secret="not-our-secret")
    assert response.status_code == 401
    consultation.refresh_from_db()
    assert consultation.status == Status.BOOKED
    assert not WebhookDelivery.objects.exists()


def test_the_signature_is_checked_before_the_body_is_read(client, monkeypatch):
    def explode(body):
        raise AssertionError("parsed before the signature was checked")

    monkeypatch.setattr("consultations.views.webhooks.webhook_envelope_parse", explode)
    assert _post_raw(client, b"{}", {SIGNATURE: "0" * 64}).status_code == 401


def test_json_as_sent_is_what_is_signed(client, consultation):
    """Unusual spacing, key order and \\u escapes: the bytes as sent are verified, never
    a re-serialization."""
    kairo_id = consultation.kairo_consultation_id
    raw = (
        '{ "version" : "v1",\n\t"data":{"status":"Completed" , "consultationId" : "KAIRO_ID",'
        '"provider":{"name":"Mar\\u00eda Nu\\u00f1ez"}},  "organizationId":"org",'
        '"timestamp":"2030-03-14T15:00:00Z","event":"consultation.completed" }  \n'
    ).replace("KAIRO_ID", str(kairo_id))
    body = raw.encode()
    response = webhook_post(client, body)
    assert response.status_code == 200
    assert response.json() == {"outcome": "applied"}
    consultation.refresh_from_db()
    assert consultation.status == Status.COMPLETED
    stored = WebhookDelivery.objects.get()
    assert stored.payload["data"]["provider"]["name"] == "María Nuñez"


# --- Size, method, envelope ----------------------------------------------------------------


def test_a_body_over_256_kib_is_413(client, consultation):
    body = envelope(contract.EVENT_CONSULTATION_COMPLETED, consultation.kairo_consultation_id)
    body["data"]["padding"] = "x" * MAX_BODY_BYTES
    response = webhook_post(client, body)
    assert response.status_code == 413
    assert not WebhookDelivery.objects.exists()


def test_a_body_of_exactly_256_kib_is_read(client, consultation):
    body = envelope(contract.EVENT_CONSULTATION_COMPLETED, consultation.kairo_consultation_id)
    body["data"]["padding"] = ""
    size = len(json.dumps(body).encode())
    body["data"]["padding"] = "x" * (MAX_BODY_BYTES - size)
    raw = json.dumps(body).encode()
    assert len(raw) == MAX_BODY_BYTES
    assert webhook_post(client, raw).status_code == 200


def test_the_read_is_capped_whatever_content_length_says(rf, consultation):
    """A Content-Length that understates the body: no more than the limit is read."""
    raw = b"{" + b" " * (MAX_BODY_BYTES + 10) + b"}"
    request = rf.post(URL, data=raw, content_type="application/json", headers=webhook_headers(raw))
    request.META["CONTENT_LENGTH"] = "10"
    request._stream = LimitedStream(io.BytesIO(raw), len(raw))
    assert kairo_webhook(request).status_code == 413


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete", "head", "options"])
def test_only_post_is_allowed(client, method):
    response = getattr(client, method)(URL)
    assert response.status_code == 405


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"null",
        b"[]",
        b'"event"',
        b"{not json",
        b"\xff\xfe{}",
        b'{"event":"consultation.created"}',
        b'{"event":1,"timestamp":"t","organizationId":"o","data":{},"version":"v1"}',
        b'{"event":"e","timestamp":"t","organizationId":"o","data":[],"version":"v1"}',
        b'{"event":"e","timestamp":"t","organizationId":"o","data":{"x":NaN},"version":"v1"}',
        b'{"event":"e","timestamp":"t","organizationId":"o","data":{"x":1e400},"version":"v1"}',
        b'{"event":"e\\u0000","timestamp":"t","organizationId":"o","data":{},"version":"v1"}',
        b'{"event":"\\ud800","timestamp":"t","organizationId":"o","data":{},"version":"v1"}',
        b"[" * 100_000 + b"]" * 100_000,
    ],
    ids=lambda raw: raw[:40].decode("latin-1"),
)
def test_a_body_that_is_not_the_envelope_is_400(client, raw):
    response = webhook_post(client, raw)
    assert response.status_code == 400
    assert not WebhookDelivery.objects.exists()


@pytest.mark.parametrize("delivery_id", ["", " ", "a b", "x" * 201, "ñ"])
def test_a_missing_or_odd_delivery_id_is_400(client, consultation, delivery_id):
    body = envelope(contract.EVENT_CONSULTATION_COMPLETED, consultation.kairo_consultation_id)
    raw = json.dumps(body).encode()
    headers = webhook_headers(raw)
    headers[contract.HEADER_WEBHOOK_DELIVERY] = delivery_id
    assert webhook_post(client, raw, headers=headers).status_code == 400
    assert not WebhookDelivery.objects.exists()


# --- Applying, once ------------------------------------------------------------------------


def test_a_repeated_delivery_answers_200_and_has_no_second_effect(client, consultation):
    body = envelope(
        contract.EVENT_SESSION_STARTED,
        consultation.kairo_consultation_id,
        participant="patient",
        occurredAt="2030-03-14T15:00:00Z",
    )
    raw = json.dumps(body).encode()
    delivery = str(uuid.uuid4())
    answers = [webhook_post(client, raw, delivery_id=delivery) for _ in range(3)]
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert WebhookDelivery.objects.count() == 1
    assert ConsultationEvent.objects.filter(consultation=consultation, kind="webhook").count() == 1


def test_unknown_events_and_consultations_are_stored_and_answered_200(client, consultation):
    unknown_event = envelope("consultation.teleported", consultation.kairo_consultation_id)
    unknown_id = envelope(contract.EVENT_CONSULTATION_COMPLETED, uuid.uuid4())
    assert webhook_post(client, unknown_event).json() == {"outcome": "unknown_event"}
    assert webhook_post(client, unknown_id).json() == {"outcome": "unknown_consultation"}
    assert sorted(WebhookDelivery.objects.values_list("outcome", flat=True)) == [
        "unknown_consultation",
        "unknown_event",
    ]
    consultation.refresh_from_db()
    assert consultation.status == Status.BOOKED


def test_the_join_links_are_not_stored_with_the_delivery(client, consultation):
    body = envelope(
        contract.EVENT_CONSULTATION_CREATED,
        consultation.kairo_consultation_id,
        participantAccess={"patientUrl": "https://meet.example/p", "providerUrl": "https://x/p"},
    )
    assert webhook_post(client, body).status_code == 200
    stored = WebhookDelivery.objects.get()
    assert "participantAccess" not in stored.payload["data"]
    assert "meet.example" not in json.dumps(stored.payload)


def test_the_payload_is_not_logged(client, consultation, caplog):
    body = envelope(
        contract.EVENT_CONSULTATION_COMPLETED,
        consultation.kairo_consultation_id,
        participantAccess={"patientUrl": "https://meet.example/secret-room"},
    )
    caplog.set_level("DEBUG")
    assert webhook_post(client, body).status_code == 200
    assert "secret-room" not in caplog.text
    assert "4050" not in caplog.text
    assert "JG" not in caplog.text


# --- Rotating the secret -------------------------------------------------------------------


def _completed(consultation) -> dict:
    return envelope(contract.EVENT_CONSULTATION_COMPLETED, consultation.kairo_consultation_id)


def test_the_previous_secret_is_accepted_during_the_rotation(client, settings, consultation):
    settings.KAIRO_WEBHOOK_PREVIOUS_SECRET = "old-secret"
    settings.KAIRO_WEBHOOK_PREVIOUS_SECRET_UNTIL = timezone.now() + dt.timedelta(hours=1)
    assert webhook_post(client, _completed(consultation), secret="old-secret").status_code == 200
    assert webhook_post(client, _completed(consultation)).status_code == 200


def test_the_previous_secret_is_refused_once_the_rotation_is_over(client, settings, consultation):
    settings.KAIRO_WEBHOOK_PREVIOUS_SECRET = "old-secret"
    settings.KAIRO_WEBHOOK_PREVIOUS_SECRET_UNTIL = timezone.now() - dt.timedelta(seconds=1)
    assert webhook_post(client, _completed(consultation), secret="old-secret").status_code == 401
    assert webhook_post(client, _completed(consultation)).status_code == 200


def test_an_empty_secret_never_verifies(client, settings, consultation):
    settings.KAIRO_WEBHOOK_SECRET = ""
    raw = json.dumps(_completed(consultation)).encode()
    headers = webhook_headers(raw, secret="")
    headers[SIGNATURE] = signing.sign(raw, "")
    assert webhook_post(client, raw, headers=headers).status_code == 401


# --- Its place among the views -------------------------------------------------------------


def test_it_needs_no_login_and_no_csrf_token(csrf_client, consultation):
    response = webhook_post(csrf_client, _completed(consultation))
    assert response.status_code == 200


def _views(patterns):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _views(entry.url_patterns)
        elif isinstance(entry, URLPattern):
            yield entry.name, entry.callback


def test_it_is_the_only_csrf_exempt_view():
    exempt = {
        name
        for name, view in _views(get_resolver().url_patterns)
        if getattr(view, "csrf_exempt", False)
    }
    assert exempt == {"kairo_webhook"}
