"""The audit trail is append-only: the model, its queryset and, on PostgreSQL, the
database itself refuse to change, delete or truncate rows."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.db.utils import ProgrammingError

from consultations.models import AuditEntry, AuditRefused

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry() -> AuditEntry:
    return AuditEntry.objects.create(action=AuditEntry.Action.LOGIN, actor_username="ana")


def test_a_saved_row_cannot_be_saved_again(entry):
    entry.actor_username = "someone-else"
    with pytest.raises(AuditRefused):
        entry.save()
    entry.refresh_from_db()
    assert entry.actor_username == "ana"


def test_a_row_cannot_be_deleted(entry):
    with pytest.raises(AuditRefused):
        entry.delete()
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_the_queryset_refuses_bulk_updates_and_deletes(entry):
    with pytest.raises(AuditRefused):
        AuditEntry.objects.filter(pk=entry.pk).update(actor_username="x")
    with pytest.raises(AuditRefused):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=entry.pk).actor_username == "ana"


def test_the_row_names_no_personal_data_fields():
    # The trail holds ids and field names only: no column could carry a name, a
    # document, a phone, an email, a PIN or a link.
    columns = {field.name for field in AuditEntry._meta.get_fields()}
    assert columns == {
        "id",
        "at",
        "actor_id",
        "actor_username",
        "action",
        "object_type",
        "object_id",
        "patient_id",
        "address",
        "detail",
    }


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE consultations_auditentry SET actor_username = 'x' WHERE id = %s",
        "DELETE FROM consultations_auditentry WHERE id = %s",
    ],
)
def test_postgresql_itself_refuses_to_change_or_delete_a_row(entry, statement):
    with pytest.raises(ProgrammingError, match="Cannot update or delete"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).actor_username == "ana"


@pytest.mark.postgres
def test_postgresql_itself_refuses_to_truncate_the_trail(entry):
    with pytest.raises(ProgrammingError, match="Cannot truncate"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("TRUNCATE consultations_auditentry")
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
