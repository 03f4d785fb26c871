"""The TLS proxy example, deploy/nginx/desk.conf, matches the app: the headers
TRUSTED_PROXY_COUNT=1 and DJANGO_SECURE_PROXY_SSL_HEADER expect, gunicorn's address and
timeout, and an access log without query strings, Referers or join tokens
(docs/operations.md "Behind a proxy"). Where nginx is installed, `nginx -t` accepts it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from clinic.server import gunicorn_options

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "deploy" / "nginx" / "desk.conf"
OPERATIONS = ROOT / "docs" / "operations.md"
# nginx variables that hold the query string or the Referer.
QUERY_OR_REFERER = re.compile(
    r"\$(request\b|request_uri\b|args\b|query_string\b|arg_|http_referer\b)"
)


def _directives(name: str) -> list[str]:
    """The arguments of every `name ...;` directive, comments left out, one string each."""
    text = re.sub(r"#[^\n]*", "", CONF.read_text())
    return [" ".join(m[1].split()) for m in re.finditer(rf"(?<![\w$]){name}\s+([^;{{]*);", text)]


def _log_formats() -> dict[str, str]:
    formats = {}
    for arguments in _directives("log_format"):
        name, _, fmt = arguments.partition(" ")
        formats[name] = fmt
    return formats


def test_the_access_log_has_no_query_string_nor_referer():
    formats = _log_formats()
    assert formats
    for name, fmt in formats.items():
        assert not QUERY_OR_REFERER.search(fmt), name
    access_logs = _directives("access_log")
    assert access_logs
    for arguments in access_logs:
        # Every access log names one of these formats (nginx's default, "combined", has
        # the whole request line and the Referer).
        assert arguments == "off" or arguments.split()[1] in formats, arguments


def _logged_path_map() -> tuple[str, list[tuple[str, str]]]:
    """The `map` that makes the logged path: its source variable and its (regex, value)
    lines, in nginx's order."""
    text = re.sub(r"#[^\n]*", "", CONF.read_text())
    source, target, body = re.search(
        r"map\s+(\$\w+)\s+(\$\w+)\s*\{(.*?)\}", text, re.DOTALL
    ).groups()
    assert f"{target} " in _log_formats()["desk"] + " "
    entries = [line.strip().removesuffix(";").split() for line in body.strip().splitlines()]
    return source, [(key, value) for key, value in entries]


def _logged(path: str) -> str:
    """What the access log writes for the (decoded, query-less) path nginx calls $uri."""
    _, entries = _logged_path_map()
    for key, value in entries:
        if key.startswith("~"):
            # nginx's PCRE names a group (?<name>...), Python's (?P<name>...).
            match = re.match(key[1:].replace("(?<", "(?P<"), path)
            if match:
                return match.expand(re.sub(r"\$(\w+)", r"\\g<\1>", value))
    return path


def test_the_logged_path_is_the_uri_with_join_tokens_replaced():
    source, _ = _logged_path_map()
    assert source == "$uri"  # the path without its query string
    assert _logged("/patients/") == "/patients/"
    assert _logged("/j/sEcReT-t0ken_x") == "/j/[token]"
    assert _logged("/j/sEcReT-t0ken_x/join") == "/j/[token]/join"
    assert _logged("/jobs/") == "/jobs/"


def test_the_headers_are_the_ones_the_settings_read():
    headers = dict(arguments.split(maxsplit=1) for arguments in _directives("proxy_set_header"))
    # One proxy that replaces the header: TRUSTED_PROXY_COUNT=1 reads its one entry.
    assert headers["X-Forwarded-For"] == "$remote_addr"
    assert headers["X-Forwarded-Proto"] == "$scheme"
    assert headers["Host"] == "$host"
    documented = "DJANGO_SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https"
    assert documented in CONF.read_text()
    assert documented in OPERATIONS.read_text()
    assert "TRUSTED_PROXY_COUNT=1" in CONF.read_text()
    header, value = documented.partition("=")[2].split(",")
    assert header == "HTTP_" + "X-Forwarded-Proto".upper().replace("-", "_")
    assert value == "https"


def test_the_proxy_reaches_gunicorn_and_outwaits_it():
    options = gunicorn_options(settings)
    (passes,) = _directives("proxy_pass")
    assert passes == f"http://{settings.GUNICORN_BIND}"
    (read_timeout,) = _directives("proxy_read_timeout")
    assert int(read_timeout.removesuffix("s")) > options["timeout"]


def test_http_redirects_to_https():
    assert _directives("return") == ["301 https://$host$request_uri"]


@pytest.mark.skipif(
    shutil.which("nginx") is None or shutil.which("openssl") is None,
    reason="needs nginx and openssl",
)
def test_nginx_accepts_the_configuration(tmp_path):
    """`nginx -t` on the file inside an http block, with a throwaway certificate and
    every path nginx writes under tmp_path."""
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=desk.clinica.example",
            "-keyout",
            str(tmp_path / "privkey.pem"),
            "-out",
            str(tmp_path / "fullchain.pem"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    desk = (
        CONF.read_text()
        .replace("/etc/letsencrypt/live/desk.clinica.example/", f"{tmp_path}/")
        .replace("/var/log/nginx/", f"{tmp_path}/")
    )
    (tmp_path / "desk.conf").write_text(desk)
    temp_paths = "".join(
        f"  {kind}_temp_path {tmp_path}/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n{temp_paths}  include {tmp_path}/desk.conf;\n}}\n"
    )
    result = subprocess.run(
        ["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
