"""Reaching the admin's pages in tests: a page's URL, a file to upload to one."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:consultations_{model._meta.model_name}_{view}", args=args)


def upload(content: bytes, name: str = "table.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")
