"""Kairo's webhook deliveries, one row per delivery id; clinic admins may view them."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

from consultations.access import staff_groups_ensure


def update_groups(apps, schema_editor):
    staff_groups_ensure(apps=apps)


class Migration(migrations.Migration):
    dependencies = [
        ("consultations", "0019_consultation_reconcile"),
    ]

    operations = [
        migrations.CreateModel(
            name="WebhookDelivery",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "delivery_id",
                    models.CharField(
                        editable=False, max_length=200, unique=True, verbose_name="delivery id"
                    ),
                ),
                (
                    "event",
                    models.CharField(
                        blank=True, editable=False, max_length=100, verbose_name="event"
                    ),
                ),
                (
                    "received_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, editable=False, verbose_name="received"
                    ),
                ),
                (
                    "payload",
                    models.JSONField(
                        blank=True, default=dict, editable=False, verbose_name="payload"
                    ),
                ),
                (
                    "outcome",
                    models.CharField(
                        choices=[
                            ("applied", "Applied"),
                            ("unknown_event", "Unknown event"),
                            ("unknown_consultation", "Unknown consultation"),
                            ("healed", "Unconfirmed booking confirmed"),
                            ("unmatched", "No single booking matches"),
                        ],
                        max_length=30,
                        verbose_name="outcome",
                    ),
                ),
                (
                    "candidates",
                    models.JSONField(
                        blank=True, default=list, verbose_name="candidate consultations"
                    ),
                ),
                (
                    "consultation",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="webhook_deliveries",
                        to="consultations.consultation",
                        verbose_name="consultation",
                    ),
                ),
            ],
            options={
                "verbose_name": "Kairo webhook",
                "verbose_name_plural": "Kairo webhooks",
                "ordering": ["-received_at", "-id"],
                "indexes": [
                    models.Index(fields=["outcome", "received_at"], name="webhook_outcome_time")
                ],
            },
        ),
        migrations.RunPython(update_groups, migrations.RunPython.noop),
    ]
