"""What `KairoClient` logs about each attempt, on the `consultations.kairo` logger.

One line per answer (endpoint, status, duration, requestId, remaining rate limit), one
per retry and one per failure given up on (code, outcome, requestId), each with the same
facts as `extra` fields for structured logs. Never the secret headers, a PIN, a join
link or patient data: of Kairo's field errors only the field paths, never the values.
"""

from __future__ import annotations

import logging

from consultations.kairo.client.errors import KairoError

logger = logging.getLogger("consultations.kairo")


def answer_log(
    method: str, path: str, *, status: int, ms: float, request_id: str, remaining: int | None
) -> None:
    logger.info(
        "Kairo %s %s -> %s in %.0f ms requestId=%s rateLimitRemaining=%s",
        method,
        path,
        status,
        ms,
        request_id or "-",
        "-" if remaining is None else remaining,
        extra={
            "kairo_endpoint": f"{method} {path}",
            "kairo_status": status,
            "kairo_duration_ms": round(ms),
            "kairo_request_id": request_id,
            "kairo_rate_limit_remaining": remaining,
        },
    )


def unreadable_answer_log(method: str, field: str, error: KairoError) -> None:
    logger.warning(
        "Kairo %s answer unreadable: field %s requestId=%s",
        method,
        field,
        error.request_id,
        extra={"kairo_request_id": error.request_id, "kairo_error_code": error.code},
    )


def retry_log(method: str, path: str, error: KairoError, *, ms: float, delay: float) -> None:
    logger.warning(
        "Kairo %s %s failed (%s, requestId=%s) after %.0f ms; retrying in %.2f s",
        method,
        path,
        error.code,
        error.request_id or "-",
        ms,
        delay,
        extra={"kairo_endpoint": f"{method} {path}", "kairo_error_code": error.code},
    )


def failure_log(method: str, path: str, error: KairoError, *, ms: float) -> None:
    logger.warning(
        "Kairo %s %s failed: %s outcome=%s status=%s requestId=%s fields=%s in %.0f ms",
        method,
        path,
        error.code,
        error.outcome.value,
        error.status if error.status is not None else "-",
        error.request_id or "-",
        ",".join(sorted(error.field_errors)) or "-",  # field paths only, never values
        ms,
        extra={
            "kairo_endpoint": f"{method} {path}",
            "kairo_error_code": error.code,
            "kairo_outcome": error.outcome.value,
            "kairo_request_id": error.request_id,
        },
    )
