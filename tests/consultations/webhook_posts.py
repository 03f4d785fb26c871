"""Kairo webhooks as the tests send them: an envelope, its signed bytes, and a POST of
them to the receiver through Django's test client."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.conf import settings
from django.urls import reverse

from consultations.kairo import contract, signing


def envelope(event: str, kairo_id: uuid.UUID | str, **data: Any) -> dict[str, Any]:
    """A webhook body as the contract describes it, for `event` about `kairo_id`."""
    return {
        "event": event,
        "timestamp": "2030-03-14T15:00:00Z",
        "organizationId": "org_test",
        "data": {
            "consultationId": str(kairo_id),
            "patient": {"documentType": "CC", "documentLastDigits": "4050", "nameInitials": "JG"},
            "status": "Pending",
            **data,
        },
        "version": "v1",
    }


def webhook_headers(
    body: bytes, *, secret: str | None = None, delivery_id: str | None = None, **extra: str
) -> dict[str, str]:
    """The headers Kairo sends with `body`, signed with `secret` (default: ours)."""
    return {
        contract.HEADER_WEBHOOK_SIGNATURE: signing.sign(
            body, secret if secret is not None else settings.KAIRO_WEBHOOK_SECRET
        ),
        contract.HEADER_WEBHOOK_DELIVERY: delivery_id or str(uuid.uuid4()),
        contract.HEADER_WEBHOOK_EVENT: "consultation.created",
        "User-Agent": contract.WEBHOOK_USER_AGENT,
        **extra,
    }


def webhook_post(client, body: bytes | dict[str, Any], **header_options: Any):
    """POST `body` (bytes as they are, a dict as compact JSON), signed, to the receiver."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = header_options.pop("headers", None) or webhook_headers(raw, **header_options)
    return client.post(
        reverse("kairo_webhook"), data=raw, content_type="application/json", headers=headers
    )
