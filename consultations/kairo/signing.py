"""Webhook signatures (docs/kairo-connect-api.md "Webhooks").

`X-Telehealth-Signature` is the lowercase hex HMAC-SHA256 of the raw body bytes, keyed
with the shared webhook secret: no prefix, no timestamp. Verify over the raw bytes
before parsing anything, with a constant-time compare.
"""

from __future__ import annotations

import hashlib
import hmac

_HEX_DIGITS = frozenset("0123456789abcdef")
_SIGNATURE_LENGTH = hashlib.sha256().digest_size * 2


def sign(body: bytes, secret: str) -> str:
    """Return the lowercase hex HMAC-SHA256 of `body` keyed with `secret` (UTF-8)."""
    return hmac.new(secret.encode("utf-8"), bytes(body), hashlib.sha256).hexdigest()


def verify(body: bytes, signature_header: str | bytes | None, secret: str) -> bool:
    """Whether `signature_header` is the signature of `body` under `secret`.

    Never raises. Anything malformed is simply false: a missing header, one of the wrong
    length, uppercase or non-hex digits, non-ASCII characters, a `sha256=` prefix
    (contract "Webhooks": there is none), or an empty secret (which would make every
    forged body verify against a misconfigured receiver).
    """
    try:
        if not secret or not isinstance(secret, str):
            return False
        if not isinstance(body, bytes | bytearray | memoryview):
            return False
        if isinstance(signature_header, bytes):
            signature_header = signature_header.decode("ascii")
        if not isinstance(signature_header, str) or len(signature_header) != _SIGNATURE_LENGTH:
            return False
        if not set(signature_header) <= _HEX_DIGITS:
            return False
        expected = sign(bytes(body), secret)
        return hmac.compare_digest(expected.encode("ascii"), signature_header.encode("ascii"))
    except Exception:  # noqa: BLE001 - a verifier must answer, never raise
        return False
