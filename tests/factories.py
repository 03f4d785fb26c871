"""factory_boy factories, valid by default. Catalog factories reuse seeded rows by code."""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from consultations import models


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@clinic.test")
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.set([Group.objects.get(name=name) for name in extracted])


class ProfessionalTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ProfessionalType
        django_get_or_create = ("code",)

    code = "MedicoGeneral"
    name = "Médico General"
    requires_specialty = False


class SpecialistTypeFactory(ProfessionalTypeFactory):
    code = "MedicoEspecialista"
    name = "Médico Especialista"
    requires_specialty = True


class MedicalSpecialtyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.MedicalSpecialty
        django_get_or_create = ("code",)

    code = "CA003"
    name = "Cardiología"


class ConsultationTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ConsultationType
        django_get_or_create = ("code",)

    code = "ConsultaGeneral"
    name = "Consulta general"


class DurationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Duration
        django_get_or_create = ("minutes",)

    minutes = 30
    recommended_use = "Estándar del mercado"


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Provider

    name = factory.Sequence(lambda n: f"Dra. Ana María Prestadora {n}")
    document_type = "CC"
    document_number = factory.Sequence(lambda n: f"{10000000 + n}")
    professional_type = factory.SubFactory(ProfessionalTypeFactory)
    specialty = None
    phone = factory.Sequence(lambda n: f"+5730012{n % 100000:05d}")
    email = factory.Sequence(lambda n: f"provider{n}@clinic.test")


class SpecialistFactory(ProviderFactory):
    professional_type = factory.SubFactory(SpecialistTypeFactory)
    specialty = factory.SubFactory(MedicalSpecialtyFactory)


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Patient

    name = factory.Sequence(lambda n: f"Paciente Número {n}")
    document_type = "CC"
    document_number = factory.Sequence(lambda n: f"{50000000 + n}")
    phone = factory.Sequence(lambda n: f"+5731012{n % 100000:05d}")
    email = factory.Sequence(lambda n: f"patient{n}@example.test")
    preferred_language = "es"


class ConsultationFactory(factory.django.DjangoModelFactory):
    """A booked consultation scheduled for tomorrow, its window from its duration."""

    class Meta:
        model = models.Consultation

    provider = factory.SubFactory(ProviderFactory)
    patient = factory.SubFactory(PatientFactory)
    consultation_type = factory.SubFactory(ConsultationTypeFactory)
    duration = factory.SubFactory(DurationFactory)
    scheduled_for = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=1))
    starts_at = factory.LazyAttribute(lambda c: c.scheduled_for or timezone.now())
    ends_at = factory.LazyAttribute(
        lambda c: c.starts_at + dt.timedelta(minutes=c.duration.minutes)
    )
    status = models.ConsultationStatus.BOOKED
