"""The data generator on PostgreSQL, at a tiny size: the rows satisfy the models."""

import pytest
from django.db import connection

from bench.generate import generate
from consultations.models import Consultation, Patient, Provider
from consultations.models.directory.identifiers import document_number_normalize, name_search_key

# Two active windows of one provider (or patient) that intersect: the exclusion
# constraints refuse them, and the generator must never have tried.
OVERLAPPING = (
    "SELECT count(*) FROM consultations_consultation a JOIN consultations_consultation b "
    "ON a.PARTY = b.PARTY AND a.id < b.id "
    "AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at "
    "WHERE a.status IN ('sending', 'unconfirmed', 'booked', 'in_progress') "
    "AND b.status IN ('sending', 'unconfirmed', 'booked', 'in_progress')"
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_generated_rows_satisfy_the_models(tmp_path):
    from consultations.catalogs import catalogs_seed

    catalogs_seed()
    manifest = generate(500, tmp_path / "manifest.json", log=lambda _message: None)
    assert Consultation.objects.count() == manifest["consultations"] == 500
    assert Provider.objects.count() == 200
    for person in [*Patient.objects.all()[:30], *Provider.objects.all()[:30]]:
        assert person.name_search == name_search_key(person.name)
        assert person.document_number == document_number_normalize(person.document_number)
        person.full_clean()
    for consultation in Consultation.objects.all()[:30]:
        consultation.full_clean()
    with connection.cursor() as cursor:
        for party_id in ("provider_id", "patient_id"):
            cursor.execute(OVERLAPPING.replace("PARTY", party_id))
            assert cursor.fetchone()[0] == 0
    # New rows after the generated ids: the sequences follow.
    assert Consultation.objects.order_by("-id").first().pk == 500
    assert len({c.status for c in Consultation.objects.all()}) >= 3
