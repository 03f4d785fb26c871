from __future__ import annotations

import pytest

from consultations.kairo import signing

# GitHub's published webhook test vector.
SECRET = "It's a Secret to Everybody"
BODY = b"Hello, World!"
DIGEST = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def test_sign_matches_the_published_vector():
    assert signing.sign(BODY, SECRET) == DIGEST


def test_the_published_vector_verifies():
    assert signing.verify(BODY, DIGEST, SECRET) is True


def test_bytes_header_verifies_too():
    assert signing.verify(BODY, DIGEST.encode("ascii"), SECRET) is True


def _flip_hex(digest: str, index: int) -> str:
    flipped = "0" if digest[index] != "0" else "1"
    return digest[:index] + flipped + digest[index + 1 :]


@pytest.mark.parametrize(
    ("body", "header", "secret"),
    [
        pytest.param(b"Hello, World?", DIGEST, SECRET, id="flipped-body-byte"),
        pytest.param(b"hello, World!", DIGEST, SECRET, id="flipped-first-body-byte"),
        pytest.param(BODY, _flip_hex(DIGEST, 0), SECRET, id="flipped-first-hex-digit"),
        pytest.param(BODY, _flip_hex(DIGEST, 63), SECRET, id="flipped-last-hex-digit"),
        pytest.param(BODY, DIGEST.upper(), SECRET, id="uppercase"),
        pytest.param(BODY, "sha256=" + DIGEST, SECRET, id="sha256-prefix"),
        pytest.param(BODY, DIGEST[:-1], SECRET, id="one-short"),
        pytest.param(BODY, DIGEST + "0", SECRET, id="one-long"),
        pytest.param(BODY, DIGEST[:32], SECRET, id="half"),
        pytest.param(BODY, "", SECRET, id="empty"),
        pytest.param(BODY, None, SECRET, id="missing"),
        pytest.param(BODY, "é" + DIGEST[1:], SECRET, id="non-ascii"),
        pytest.param(BODY, "\u0663" * 64, SECRET, id="non-ascii-digits"),
        pytest.param(BODY, DIGEST.encode("utf-16"), SECRET, id="non-ascii-bytes"),
        pytest.param(BODY, "g" + DIGEST[1:], SECRET, id="non-hex"),
        pytest.param(BODY, " " + DIGEST[1:], SECRET, id="space"),
        pytest.param(BODY, DIGEST, "It's a secret to everybody", id="wrong-secret"),
        pytest.param(BODY, signing.sign(BODY, ""), "", id="empty-secret"),
        pytest.param("Hello, World!", DIGEST, SECRET, id="body-not-bytes"),
        pytest.param(BODY, 12345, SECRET, id="header-not-text"),
    ],
)
def test_anything_else_is_false_without_raising(body, header, secret):
    assert signing.verify(body, header, secret) is False
