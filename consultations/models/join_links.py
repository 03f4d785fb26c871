"""The clinic's own join links: `SITE_URL/j/<token>`, one per consultation and recipient.

The emails carry this link instead of Kairo's room link, so the page behind it can say
"cancelled" or show the new time when the consultation changes, and hand out Kairo's
room link (docs/kairo-connect-api.md "Create a consultation": `participantAccess`)
only while the room is the one to join. The token is the only key: long, random, never guessable, no login.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consultations.models.consultations import Consultation
from consultations.models.deliveries import Delivery

# 32 random bytes, URL-safe base64: 43 characters.
TOKEN_BYTES = 32
TOKEN_MAX_LENGTH = 64


def join_token_new() -> str:
    """A fresh unguessable token (`secrets.token_urlsafe`, 256 bits)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


class JoinLink(models.Model):
    """One recipient's clinic link to one consultation. Revoking keeps the row (the
    token then answers 404 like any unknown one); at most one live link per
    consultation and recipient."""

    consultation = models.ForeignKey(
        Consultation,
        on_delete=models.CASCADE,
        related_name="join_links",
        verbose_name=_("consultation"),
    )
    recipient = models.CharField(_("recipient"), max_length=10, choices=Delivery.Recipient.choices)
    token = models.CharField(
        _("token"), max_length=TOKEN_MAX_LENGTH, unique=True, default=join_token_new, editable=False
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["consultation", "recipient", "-created_at"]
        verbose_name = _("join link")
        verbose_name_plural = _("join links")
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "recipient"],
                condition=Q(revoked_at__isnull=True),
                name="join_link_one_live",
            ),
        ]

    def __str__(self) -> str:
        # Never the token: it is the key to the room.
        return f"{self.get_recipient_display()} · {self.consultation_id}"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None

    @property
    def url(self) -> str:
        """The absolute link the emails carry: SITE_URL/j/<token>."""
        return settings.SITE_URL + reverse("join_page", args=[self.token])
