"""The admin's import page with a large table: the first rows listed, the rest counted."""

from __future__ import annotations

import pytest

from consultations.admin import catalogs as catalog_admin
from consultations.models import MedicalSpecialty
from tests.consultations.admin.pages import admin_url, upload

pytestmark = pytest.mark.django_db


def _table(count: int, *, name: str = "Especialidad") -> bytes:
    rows = "".join(f"ZZ{n:04d},{name} {n}\n" for n in range(count))
    return ("code,name\n" + rows).encode()


def test_a_large_import_lists_its_first_rows_and_counts_the_others(
    clinic_admin_client, monkeypatch
):
    monkeypatch.setattr(catalog_admin, "ACCEPTED_ROWS_SHOWN", 5)
    response = clinic_admin_client.post(
        admin_url(MedicalSpecialty, "import"), {"file": upload(_table(12))}
    )

    assert response.context["report"].applied
    assert len(response.context["report"].created) == 12
    html = response.content.decode()
    assert html.count("<td>creado</td>") == 5
    assert "ZZ0004" in html and "ZZ0005" not in html
    assert "7 filas aceptadas más no se listan." in html
    assert MedicalSpecialty.objects.filter(code__startswith="ZZ").count() == 12


def test_a_file_with_many_bad_rows_lists_the_first_and_counts_the_others(
    clinic_admin_client, monkeypatch
):
    monkeypatch.setattr(catalog_admin, "REJECTED_ROWS_SHOWN", 3)
    content = ("code,name\n" + "".join(f"Z Z{n},Nombre\n" for n in range(8))).encode()
    response = clinic_admin_client.post(
        admin_url(MedicalSpecialty, "import"), {"file": upload(content)}
    )

    assert len(response.context["report"].rejected) == 8
    html = response.content.decode()
    assert html.count("invalid_code") == 3
    assert "5 filas rechazadas más no se listan" in html
    assert 'id="import-accepted-hidden"' not in html


def test_a_small_import_lists_every_row(clinic_admin_client):
    response = clinic_admin_client.post(
        admin_url(MedicalSpecialty, "import"), {"file": upload(_table(3))}
    )

    html = response.content.decode()
    assert html.count("<td>creado</td>") == 3
    assert 'id="import-accepted-hidden"' not in html
