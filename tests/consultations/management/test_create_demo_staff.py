"""`create_demo_staff`: the demo logins and providers `make run` starts with."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from consultations.models import Provider

pytestmark = pytest.mark.django_db


def _run() -> str:
    out = StringIO()
    call_command("create_demo_staff", stdout=out)
    return out.getvalue()


def test_demo_logins_printed_work_and_demo_providers_are_valid(settings):
    settings.DEBUG = True
    output = _run()
    logins = dict(re.findall(r"^\s+(recepcion|admin)\s+(\S+)", output, re.MULTILINE))
    assert set(logins) == {"recepcion", "admin"}
    for username, password in logins.items():
        assert get_user_model().objects.get(username=username).check_password(password)
    providers = list(Provider.objects.select_related("professional_type", "specialty"))
    assert len(providers) == 3
    for provider in providers:
        provider.full_clean()  # the same rules the forms and Kairo apply
    assert any(p.specialty is not None for p in providers)


def test_running_again_keeps_the_providers_and_resets_passwords(settings):
    settings.DEBUG = True
    first = _run()
    Provider.objects.filter(document_number="52111222").update(email="cambiado@clinica.example")
    second = _run()
    assert Provider.objects.count() == 3
    assert Provider.objects.get(document_number="52111222").email == "cambiado@clinica.example"
    assert "Demo providers created" not in second
    assert first.splitlines()[1] != second.splitlines()[1]


def test_refuses_with_debug_off(settings):
    settings.DEBUG = False
    output = _run()  # no CommandError: `make run` goes on to serve
    assert output.strip().splitlines() == [
        "DJANGO_DEBUG is off: no demo accounts or providers created."
    ]
    assert not Provider.objects.exists()
    assert not get_user_model().objects.exists()
