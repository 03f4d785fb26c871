"""The suite's one place to build rows and values: factory_boy factories, valid by
default (catalog factories reuse seeded rows by code), the organization-time helpers
they use, and the consultation a fake Kairo answers with."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import factory
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from consultations import models
from consultations.kairo import contract
from consultations.kairo.client import Consultation as RemoteConsultation


def org_zone() -> ZoneInfo:
    return ZoneInfo(settings.ORGANIZATION_TIME_ZONE)


def future(*, hours: float = 2, minutes: int = 0) -> dt.datetime:
    """A whole minute at least `hours` + `minutes` from now, in the organization's zone."""
    when = timezone.now().astimezone(org_zone()) + dt.timedelta(hours=hours, minutes=minutes)
    return when.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)


# Every account the factory makes has this password (tests log in with it).
PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@clinic.test")
    password = factory.django.Password(PASSWORD)

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
    """A booked consultation written straight to the database (the booking service is
    not involved), valid by default.

    Its window starts at `starts_at` (default: `future()`, two hours ahead) and lasts
    `minutes` (default 30; or the minutes of a `duration` passed in). With
    `immediate=True` it is an immediate one: no `scheduled_for`, starting now unless
    `starts_at` says otherwise. Pass `starts_at`, not `scheduled_for`: the scheduled time
    follows the start.
    """

    class Meta:
        model = models.Consultation

    class Params:
        minutes = 30
        immediate = False

    provider = factory.SubFactory(ProviderFactory)
    patient = factory.SubFactory(PatientFactory)
    consultation_type = factory.SubFactory(ConsultationTypeFactory)
    duration = factory.SubFactory(DurationFactory, minutes=factory.SelfAttribute("..minutes"))
    starts_at = factory.LazyAttribute(lambda c: timezone.now() if c.immediate else future())
    scheduled_for = factory.LazyAttribute(lambda c: None if c.immediate else c.starts_at)
    ends_at = factory.LazyAttribute(
        lambda c: c.starts_at + dt.timedelta(minutes=c.duration.minutes)
    )
    status = models.ConsultationStatus.BOOKED


def remote_consultation(
    *,
    consultation_id: uuid.UUID,
    status: str = contract.STATUS_PENDING,
    scheduled_at: dt.datetime | None = None,
    expires_in: dt.timedelta = dt.timedelta(days=2),
) -> RemoteConsultation:
    """What a fake Kairo's GET detail returns: `status` (known when it is one of
    `contract.WIRE_STATUSES`), the fixed PIN "123456", the patient and provider links of
    one room, and request id "req_fixed"."""
    return RemoteConsultation(
        consultation_id=consultation_id,
        access_pin="123456",
        patient_url="https://meet.example/r?type=patient",
        provider_url="https://meet.example/r?type=provider",
        expires_at=timezone.now() + expires_in,
        status=status,
        scheduled_at=scheduled_at,
        duration_minutes=30,
        created_at=None,
        updated_at=None,
        consultation_link=None,
        notes=None,
        session_info=None,
        request_id="req_fixed",
    )


class DeliveryFactory(factory.django.DjangoModelFactory):
    """An email delivery of a consultation, written straight to the database: by default
    the patient's booking message, failed at the mail server."""

    class Meta:
        model = models.Delivery

    consultation = factory.SubFactory(ConsultationFactory)
    recipient = models.Delivery.Recipient.PATIENT
    kind = models.Delivery.Kind.BOOKING
    state = models.Delivery.State.FAILED
    attempts = 3
    last_error = "SMTPServerDisconnected"
    next_attempt_at = None


class WebhookDeliveryFactory(factory.django.DjangoModelFactory):
    """A stored webhook delivery that did not apply: by default an unknown consultation's
    `session_started`, its body as the receiver stores it (masked patient data)."""

    class Meta:
        model = models.WebhookDelivery

    class Params:
        kairo_id = factory.LazyFunction(lambda: str(uuid.uuid4()))

    delivery_id = factory.LazyFunction(lambda: str(uuid.uuid4()))
    event = contract.EVENT_SESSION_STARTED
    outcome = models.WebhookDelivery.Outcome.UNKNOWN_CONSULTATION
    payload = factory.LazyAttribute(
        lambda d: {
            "event": d.event,
            "timestamp": "2030-03-14T15:00:00Z",
            "data": {
                "consultationId": d.kairo_id,
                "patient": {"documentType": "CC", "documentLastDigits": "4050"},
            },
        }
    )
