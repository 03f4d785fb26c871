"""Real-browser tests: Playwright driving Debian's Chromium, headless.

Playwright never downloads a browser here: it is given `executable_path`. Without a
Chromium on the machine the tests are skipped with a one-line notice (CI installs
Debian's `chromium` and sets REQUIRE_BROWSER_TESTS=1, which turns a skip into a failure).
Screenshots go to $ARTIFACTS_DIR (default: artifacts/ in the project, git-ignored).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.browser.csp import LISTENER as CSP_LISTENER

CHROMIUM = (
    os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
)
# Chromium's own background traffic is pointless here, and refused by a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_report_header(config):
    if not CHROMIUM:
        return "browser tests: skipped, no Chromium found (apt-get install chromium)"
    return f"browser tests: {CHROMIUM}"


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    root = Path(os.environ.get("ARTIFACTS_DIR", Path(__file__).resolve().parents[2] / "artifacts"))
    path = root / "browser"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM:
        pytest.skip("no Chromium on this machine (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests
    # make between browser steps are ordinary synchronous code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server):
    context = chromium.new_context(
        base_url=live_server.url, locale="es-CO", viewport={"width": 1366, "height": 900}
    )
    context.set_default_timeout(15_000)
    context.add_init_script(CSP_LISTENER)  # tests/browser/csp.py
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(autouse=True)
def _tasks_in_the_request_on_sqlite(settings):
    """On SQLite the test database is in memory with a shared cache, where a write locks
    whole tables for every other connection and the busy timeout does not apply: the
    email task thread writing while the live server renders a page then fails with
    "database table is locked". A real SQLite file (WAL, IMMEDIATE, busy timeout; what
    `make run` uses) has no such lock, and PostgreSQL (CI) none either, so only here do
    the tasks run in the request, after its commit. The in-process backend's thread is
    covered by its own tests, and by these on PostgreSQL."""
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        settings.TASKS = {
            "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
        }


@pytest.fixture
def staff_pages(staff_groups, seeded_catalogs):
    """Every staff page, with a realistic clinic's data seeded (tests/browser/staff_pages.py).
    Per test: the live server's database is flushed after each transactional test."""
    from tests.browser.staff_pages import seed_clinic, staff_page_list

    return staff_page_list(seed_clinic())
