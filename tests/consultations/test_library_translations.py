"""Form errors from libraries are the desk's own, translated: the phone number's."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.utils import translation

from consultations.forms.booking import BookingForm
from consultations.forms.directory import PatientForm, ProviderForm
from consultations.models import Patient
from tests.factories import UserFactory


def patient_admin_form(**kwargs):
    """The form the admin's patient page builds."""
    request = RequestFactory().get("/admin/")
    request.user = UserFactory.build(is_staff=True, is_superuser=True)
    return admin.site.get_model_admin(Patient).get_form(request)(**kwargs)


pytestmark = pytest.mark.django_db

SPANISH = (
    "Escriba un número de teléfono válido, p. ej. +57 300 123 4567 (un número sin +57 se "
    "toma como colombiano)."
)
ENGLISH = (
    "Enter a valid phone number, e.g. +57 300 123 4567 (a number without +57 is taken as "
    "Colombian)."
)


@pytest.mark.parametrize("form_class", [PatientForm, ProviderForm, patient_admin_form, BookingForm])
@pytest.mark.parametrize(("language", "expected"), [("es", SPANISH), ("en", ENGLISH)])
def test_an_invalid_phone_is_explained_in_the_staff_language(form_class, language, expected):
    with translation.override(language):
        form = form_class(data={"phone": "12"})
        assert form.has_error("phone", "invalid")
        assert form.errors["phone"] == [expected]
