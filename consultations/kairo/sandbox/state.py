"""The sandbox's state in a file, so consultations booked yesterday can still be read and
joined today (`KAIRO_SANDBOX_STATE_FILE`; `make run` keeps it beside the database).

What is kept: the consultations (with their session data), the providers and the two
request counters. What is not: the rate-limit window, armed faults and webhook
deliveries, which belong to the running process.

Writes are atomic: a temporary file in the same folder, then `os.replace`, so a reader
(or a crash) only ever meets the old file or the new one, whole. The temporary file is
created private (mode 0600): the state holds patients' data, like the database beside
it. A file that cannot be read or understood is reported in the log and the sandbox
starts empty; it is replaced at the next change.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from consultations.kairo.sandbox.wire import ConsultationRecord

logger = logging.getLogger("consultations.kairo.sandbox")

FORMAT_VERSION = 1


@dataclass
class SandboxState:
    consultations: dict[uuid.UUID, ConsultationRecord]
    providers: dict[tuple[str, str], dict[str, Any]]
    requests_received: int = 0
    creates_received: int = 0


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse_when(value: Any) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("naive datetime in the sandbox state file")
    return parsed


def _record_dump(record: ConsultationRecord) -> dict[str, Any]:
    return {
        "consultationId": str(record.consultation_id),
        "accessPin": record.access_pin,
        "roomToken": record.room_token,
        "provider": record.provider,
        "patient": record.patient,
        "consultationType": record.consultation_type,
        "durationMinutes": record.duration_minutes,
        "scheduledAt": _when(record.scheduled_at),
        "startsAt": _when(record.starts_at),
        "createdAt": _when(record.created_at),
        "updatedAt": _when(record.updated_at),
        "status": record.status,
        "notes": record.notes,
        # Every session value is a datetime but callQuality, a string.
        "session": {
            key: value.isoformat() if isinstance(value, datetime) else value
            for key, value in record.session.items()
        },
    }


def _record_load(raw: dict[str, Any]) -> ConsultationRecord:
    session: dict[str, datetime | str | None] = {}
    for key, value in dict(raw.get("session") or {}).items():
        session[key] = value if key == "callQuality" else _parse_when(value)
    starts_at = _parse_when(raw["startsAt"])
    created_at = _parse_when(raw["createdAt"])
    updated_at = _parse_when(raw["updatedAt"])
    if starts_at is None or created_at is None or updated_at is None:
        raise ValueError("a consultation without its times")
    return ConsultationRecord(
        consultation_id=uuid.UUID(raw["consultationId"]),
        access_pin=str(raw["accessPin"]),
        room_token=str(raw["roomToken"]),
        provider=dict(raw["provider"]),
        patient=dict(raw["patient"]),
        consultation_type=str(raw["consultationType"]),
        duration_minutes=int(raw["durationMinutes"]),
        scheduled_at=_parse_when(raw.get("scheduledAt")),
        starts_at=starts_at,
        created_at=created_at,
        updated_at=updated_at,
        status=str(raw["status"]),
        notes=raw.get("notes"),
        session=session,
    )


def state_dump(state: SandboxState) -> bytes:
    document = {
        "version": FORMAT_VERSION,
        "consultations": [_record_dump(r) for r in state.consultations.values()],
        "providers": list(state.providers.values()),
        "requestsReceived": state.requests_received,
        "createsReceived": state.creates_received,
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def state_parse(raw: bytes) -> SandboxState:
    """The state in `raw`; ValueError (or KeyError/TypeError) when it is not one."""
    document = json.loads(raw.decode("utf-8"))
    if not isinstance(document, dict) or document.get("version") != FORMAT_VERSION:
        raise ValueError("not a sandbox state file of a known version")
    records = [_record_load(item) for item in document["consultations"]]
    providers: dict[tuple[str, str], dict[str, Any]] = {}
    for row in document["providers"]:
        providers[(str(row["documentType"]), str(row["documentNumber"]))] = dict(row)
    return SandboxState(
        consultations={record.consultation_id: record for record in records},
        providers=providers,
        requests_received=int(document.get("requestsReceived", 0)),
        creates_received=int(document.get("createsReceived", 0)),
    )


def state_read(path: str) -> SandboxState | None:
    """The state kept at `path`; None when there is no file yet, or (with a warning in
    the log) when it cannot be read or understood: the sandbox then starts empty."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        logger.warning(
            "Kairo sandbox: cannot read its state file %s (%s); starting with an empty sandbox",
            path,
            exc.strerror or type(exc).__name__,
        )
        return None
    try:
        return state_parse(raw)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        logger.warning(
            "Kairo sandbox: its state file %s is corrupt or of another version (%s); "
            "starting with an empty sandbox, and the file is replaced at the next change",
            path,
            type(exc).__name__,
        )
        return None


def state_write(path: str, state: SandboxState) -> bool:
    """Write the state to `path` atomically (temporary file + os.replace); False, with
    a warning in the log, when the folder is not writable (the sandbox carries on in
    memory)."""
    target = Path(path)
    raw = state_dump(state)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
        )
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(raw)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        logger.warning(
            "Kairo sandbox: cannot write its state file %s (%s); the change is kept in memory only",
            path,
            exc.strerror or type(exc).__name__,
        )
        return False
    return True


def state_forget(path: str) -> None:
    """Remove the state file (`reset()`); no file is fine."""
    try:
        Path(path).unlink(missing_ok=True)
    except OSError as exc:
        logger.warning(
            "Kairo sandbox: cannot remove its state file %s (%s)",
            path,
            exc.strerror or type(exc).__name__,
        )
