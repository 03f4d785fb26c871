"""The sandbox delivers signed webhooks and retries a failed one with the same id."""

from __future__ import annotations

import json
import socket
import uuid

import requests

from consultations.kairo import signing
from tests.consultations.kairo.conftest import booking

SECRET = "whsec-test-3f9a"
AUTH = {"X-API-Key": "sandbox-key", "X-API-Secret": "sandbox-secret"}


def _events(receiver) -> list[str]:
    return [json.loads(item.body)["event"] for item in receiver.received]


def test_created_event_is_delivered_and_signed(kairo_client, sandbox, webhook_receiver):
    receiver = webhook_receiver()
    sandbox.configure_webhooks(receiver.url, SECRET)
    created = kairo_client.create_consultation(booking())
    assert sandbox.wait_for_webhooks(timeout=5)

    [delivery] = receiver.received
    headers = {name.lower(): value for name, value in delivery.headers.items()}
    assert signing.verify(delivery.body, headers["x-telehealth-signature"], SECRET)
    assert headers["x-telehealth-event"] == "consultation.created"
    uuid.UUID(headers["x-telehealth-delivery"])
    assert headers["user-agent"] == "Telehealth-Webhooks/1.0"
    assert headers["content-type"] == "application/json"

    body = json.loads(delivery.body)
    assert body["event"] == "consultation.created"
    assert body["version"] == "v1"
    assert body["organizationId"] == sandbox.organization_id
    assert body["timestamp"] == "2030-03-14T15:00:00Z"
    data = body["data"]
    assert data["consultationId"] == str(created.consultation_id)
    assert data["participantAccess"]["patientUrl"] == created.patient_url
    assert data["provider"]["professionalType"] == "Médico General"
    # docs/kairo-connect-api.md "Webhooks": the patient is masked.
    assert data["patient"] == {
        "documentType": "CC",
        "documentLastDigits": "4050",
        "nameInitials": "JCG",
    }
    assert (data["status"], data["scheduledAt"], data["createdAt"]) == (
        "Pending",
        "2030-03-14 11:00",
        "2030-03-14 10:00",
    )


def test_a_failed_delivery_is_retried_with_the_same_id(kairo_client, sandbox, webhook_receiver):
    receiver = webhook_receiver(statuses=[500])
    sandbox.configure_webhooks(receiver.url, SECRET)
    kairo_client.create_consultation(booking())
    assert sandbox.wait_for_webhooks(timeout=5)

    first, second = receiver.received
    delivery_ids = {item.headers["X-Telehealth-Delivery"] for item in (first, second)}
    assert len(delivery_ids) == 1
    assert first.body == second.body
    assert first.headers["X-Telehealth-Signature"] == second.headers["X-Telehealth-Signature"]
    [record] = sandbox.webhook_deliveries()
    assert record["attempts"] == ["500", "200"]
    assert record["state"] == "delivered"


def test_retries_are_bounded(kairo_client, sandbox, webhook_receiver):
    receiver = webhook_receiver(statuses=[503] * 10)
    sandbox.configure_webhooks(receiver.url, SECRET)
    kairo_client.create_consultation(booking())
    assert sandbox.wait_for_webhooks(timeout=5)
    # One attempt plus one retry per configured delay (the fixture sets two).
    assert len(receiver.received) == 3
    assert sandbox.webhook_deliveries()[0]["state"] == "failed"


def test_an_unreachable_receiver_is_retried_then_given_up(kairo_client, sandbox):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sandbox.configure_webhooks(f"http://127.0.0.1:{port}/hook", SECRET)
    kairo_client.create_consultation(booking())
    assert sandbox.wait_for_webhooks(timeout=5)
    [record] = sandbox.webhook_deliveries()
    assert record["attempts"] == ["ConnectionError"] * 3
    assert record["state"] == "failed"


def test_lifecycle_events_in_order(kairo_client, sandbox, webhook_receiver, clock):
    receiver = webhook_receiver()
    sandbox.configure_webhooks(receiver.url, SECRET)
    first = kairo_client.create_consultation(booking())
    sandbox.trigger(first.consultation_id, "session_started", participant="patient")
    sandbox.trigger(first.consultation_id, "session_ended", participant="patient")
    sandbox.trigger(first.consultation_id, "consultation.completed")
    assert sandbox.wait_for_webhooks(timeout=5)
    assert _events(receiver) == [
        "consultation.created",
        "session_started",
        "session_ended",
        "consultation.completed",
    ]
    started = json.loads(receiver.received[1].body)["data"]
    assert (started["participant"], started["occurredAt"], started["status"]) == (
        "patient",
        "2030-03-14 10:00",
        "InProgress",
    )
    assert json.loads(receiver.received[3].body)["data"]["status"] == "Completed"
    for item in receiver.received:
        assert signing.verify(item.body, item.headers["X-Telehealth-Signature"], SECRET)


def test_expiry_event_on_demand_and_on_its_own(kairo_client, sandbox, webhook_receiver, clock):
    receiver = webhook_receiver()
    sandbox.configure_webhooks(receiver.url, SECRET)
    first = kairo_client.create_consultation(booking())
    sandbox.trigger(first.consultation_id, "consultation.expired")
    second = kairo_client.create_consultation(booking())  # the slot is free again
    clock.advance(hours=2)
    assert kairo_client.get_consultation(second.consultation_id).status == "Expired"
    assert sandbox.wait_for_webhooks(timeout=5)
    assert _events(receiver) == [
        "consultation.created",
        "consultation.expired",
        "consultation.created",
        "consultation.expired",
    ]


def test_a_redelivered_created_event_has_a_new_delivery_id(kairo_client, sandbox, webhook_receiver):
    receiver = webhook_receiver()
    sandbox.configure_webhooks(receiver.url, SECRET)
    created = kairo_client.create_consultation(booking())
    sandbox.trigger(created.consultation_id, "consultation.created")
    assert sandbox.wait_for_webhooks(timeout=5)
    ids = [item.headers["X-Telehealth-Delivery"] for item in receiver.received]
    assert _events(receiver) == ["consultation.created"] * 2
    assert len(set(ids)) == 2


def test_webhooks_configured_and_listed_over_http(
    kairo_client, sandbox_server, sandbox, webhook_receiver
):
    receiver = webhook_receiver()
    response = requests.post(
        f"{sandbox_server.base_url}/_sandbox/webhooks",
        json={"url": receiver.url, "secret": SECRET},
        headers=AUTH,
        timeout=5,
    )
    assert response.status_code == 200
    created = kairo_client.create_consultation(booking())
    requests.post(
        f"{sandbox_server.base_url}/_sandbox/consultations/{created.consultation_id}/events",
        json={"event": "session_started", "participant": "provider"},
        headers=AUTH,
        timeout=5,
    )
    assert sandbox.wait_for_webhooks(timeout=5)
    listed = requests.get(
        f"{sandbox_server.base_url}/_sandbox/webhooks", headers=AUTH, timeout=5
    ).json()["data"]["deliveries"]
    assert [(d["event"], d["state"]) for d in listed] == [
        ("consultation.created", "delivered"),
        ("session_started", "delivered"),
    ]
    assert len(receiver.received) == 2


def test_a_custom_transport_receives_the_exact_bytes(kairo_client, sandbox):
    calls = []

    def transport(url, headers, body, timeout):
        calls.append((url, headers, body))
        return 204

    sandbox.configure_webhooks("/kairo/webhooks/", SECRET, transport=transport)
    kairo_client.create_consultation(booking())
    assert sandbox.wait_for_webhooks(timeout=5)
    [(url, headers, body)] = calls
    assert url == "/kairo/webhooks/"
    assert signing.verify(body, headers["X-Telehealth-Signature"], SECRET)


def test_no_url_no_deliveries(kairo_client, sandbox):
    kairo_client.create_consultation(booking())
    assert sandbox.wait_for_webhooks(timeout=1)
    assert sandbox.webhook_deliveries() == []


def test_reset_drops_a_delivery_waiting_for_its_retry(kairo_client, sandbox, webhook_receiver):
    receiver = webhook_receiver(statuses=[500])
    sandbox.webhooks.retry_delays = (30.0,)  # the retry would come much later
    sandbox.configure_webhooks(receiver.url, SECRET)
    kairo_client.create_consultation(booking())
    assert receiver.got_request.wait(timeout=5)  # the first attempt was answered 500
    assert sandbox.stats()["webhooksPending"] == 1
    sandbox.reset()
    assert sandbox.wait_for_webhooks(timeout=0)
    assert sandbox.webhook_deliveries() == []
    assert len(receiver.received) == 1
