"""The receiver Kairo Connect posts its webhooks to (docs/kairo-connect-api.md
"Webhooks"): public, CSRF-exempt (the only such view; the signature is its guard).

In order, before anything is parsed: at most `MAX_BODY_BYTES` are read (413 above),
then the signature over those raw bytes is checked in constant time against the
current secret and, while a rotation lasts, the previous one (401). Only then is the
body read as the envelope (400 otherwise) and the event applied, in the request: one
short transaction, well within Kairo's 30 seconds, so no task queue can lose it.
Nothing of the body is logged.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from consultations.kairo import contract, signing
from consultations.kairo.webhook_body import webhook_envelope_parse
from consultations.models.webhooks import DELIVERY_ID_MAX_LENGTH
from consultations.services.webhooks import webhook_event_apply

MAX_BODY_BYTES = 256 * 1024

# A delivery id: printable ASCII without spaces (Kairo sends UUIDs).
_DELIVERY_ID = re.compile(rf"[\x21-\x7e]{{1,{DELIVERY_ID_MAX_LENGTH}}}")


def _answer(status: int, outcome: str) -> JsonResponse:
    return JsonResponse({"outcome": outcome}, status=status)


def webhook_secrets() -> list[str]:
    """The secrets a signature may be made with now: the current one, and the previous
    one until its rotation period ends."""
    accepted = [settings.KAIRO_WEBHOOK_SECRET]
    previous = settings.KAIRO_WEBHOOK_PREVIOUS_SECRET
    until = settings.KAIRO_WEBHOOK_PREVIOUS_SECRET_UNTIL
    if previous and until is not None and timezone.now() < until:
        accepted.append(previous)
    return accepted


def _body_read(request: HttpRequest) -> bytes | None:
    """The raw body, or None when it is over the limit (announced or actual)."""
    try:
        announced = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        announced = 0
    if announced > MAX_BODY_BYTES:
        return None
    body = request.read(MAX_BODY_BYTES + 1)  # never more, whatever the header said
    return None if len(body) > MAX_BODY_BYTES else body


@login_not_required
@csrf_exempt
@require_POST
def kairo_webhook(request: HttpRequest) -> JsonResponse:
    body = _body_read(request)
    if body is None:
        return _answer(413, "too_large")
    signature = request.headers.get(contract.HEADER_WEBHOOK_SIGNATURE)
    # Every accepted secret is tried, so the time taken does not tell which one matched.
    matches = [signing.verify(body, signature, secret) for secret in webhook_secrets()]
    if not any(matches):
        return _answer(401, "bad_signature")
    delivery_id = request.headers.get(contract.HEADER_WEBHOOK_DELIVERY, "")
    if not _DELIVERY_ID.fullmatch(delivery_id):
        return _answer(400, "bad_delivery_id")
    try:
        envelope = webhook_envelope_parse(body)
    except ValueError:
        return _answer(400, "bad_envelope")
    delivery = webhook_event_apply(delivery_id=delivery_id, envelope=envelope)
    return _answer(200, delivery.outcome)
