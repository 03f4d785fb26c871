"""A receptionist logs in with a real browser and lands on the desk."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_receptionist_logs_in_and_out(page, staff_groups, artifacts_dir):
    from tests.factories import UserFactory

    UserFactory(username="recepcion", groups=["Recepción"])
    page.goto("/")
    assert "/login/" in page.url
    page.fill("#id_username", "recepcion")
    page.fill("#id_password", "correct-horse-battery")
    page.screenshot(path=artifacts_dir / "login.png")
    page.locator("main").get_by_role("button", name="Iniciar sesión").click()
    page.wait_for_load_state()
    assert "/login/" not in page.url
    assert page.locator("nav").get_by_text("recepcion").is_visible()
    page.screenshot(path=artifacts_dir / "after-login.png", full_page=True)
    page.get_by_role("button", name="Cerrar sesión").click()
    page.wait_for_url("**/login/")
