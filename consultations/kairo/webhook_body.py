"""Reading a webhook's body once its signature is verified (docs/kairo-connect-api.md
"Webhooks"): the envelope `{"event", "timestamp", "organizationId", "data", "version"}`.

Anything else is refused with `ValueError`, never another exception: a body that is not
UTF-8 JSON, an envelope missing a key or with a key of the wrong type, and values a
database could not store as they are (`NaN`, `Infinity`, numbers beyond a float, NUL characters, lone
surrogates). Fields the contract does not name are kept and ignored.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_ENVELOPE_TEXT_KEYS = ("event", "timestamp", "organizationId", "version")


@dataclass(frozen=True)
class WebhookEnvelope:
    event: str
    timestamp: str
    organization_id: str
    version: str
    data: dict[str, Any]
    body: dict[str, Any]  # the whole parsed body, unknown keys included

    @property
    def consultation_id(self) -> str:
        value = self.data.get("consultationId")
        return value if isinstance(value, str) else ""

    @property
    def participant(self) -> str:
        """contract "Webhooks" (Decision): who joined or left, on session events."""
        value = self.data.get("participant")
        return value if isinstance(value, str) else ""

    def occurred_at(self, parse: Callable[[str], dt.datetime]) -> dt.datetime | None:
        """When a session event happened: `data.occurredAt`, else the envelope's
        `timestamp`, read with `parse` (the client's `parse_datetime`: Kairo's wall time
        in the organization's zone, or ISO 8601); None when neither reads."""
        for value in (self.data.get("occurredAt"), self.timestamp):
            if isinstance(value, str):
                try:
                    return parse(value)
                except (ValueError, OverflowError):
                    continue
        return None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # 1e400 reads as infinity
        raise ValueError("number out of range")
    return number


def _check_storable(value: Any) -> None:
    """Every string (keys included) is valid Unicode without NUL: PostgreSQL's jsonb
    refuses both. Iterative, so a deeply nested body cannot exhaust the stack."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise ValueError("NUL character in a string")
            item.encode("utf-8")  # UnicodeEncodeError (a ValueError) on a lone surrogate
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def webhook_envelope_parse(body: bytes) -> WebhookEnvelope:
    """The envelope in `body` (UTF-8 JSON). Raises ValueError for anything else."""
    try:
        parsed = json.loads(
            body.decode("utf-8"), parse_constant=_refuse_constant, parse_float=_finite_float
        )
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    if not isinstance(parsed, dict):
        raise ValueError("the body is not a JSON object")
    for key in _ENVELOPE_TEXT_KEYS:
        if not isinstance(parsed.get(key), str):
            raise ValueError(f"envelope key {key!r} missing or not a string")
    if not isinstance(parsed.get("data"), dict):
        raise ValueError("envelope key 'data' missing or not an object")
    _check_storable(parsed)
    return WebhookEnvelope(
        event=parsed["event"],
        timestamp=parsed["timestamp"],
        organization_id=parsed["organizationId"],
        version=parsed["version"],
        data=parsed["data"],
        body=parsed,
    )
