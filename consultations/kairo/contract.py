"""The Kairo Connect contract's fixed rules, stated once.

Source: docs/kairo-connect-api.md, "Create a consultation" and "Catalogs". The app's
models and forms, the client and the sandbox all read these values from here, so a rule
of the contract lives in exactly one place. Nothing here imports Django models.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# Colombian document types (contract "Document types").
DOCUMENT_TYPES: tuple[tuple[str, str], ...] = (
    ("CC", "Cédula de ciudadanía"),
    ("TI", "Tarjeta de identidad"),
    ("CE", "Cédula de extranjería"),
    ("RC", "Registro civil"),
    ("PAS", "Pasaporte"),
)
DOCUMENT_TYPE_CODES: frozenset[str] = frozenset(code for code, _ in DOCUMENT_TYPES)

PROVIDER_NAME_MIN = 10
PROVIDER_NAME_MAX = 50
DOCUMENT_NUMBER_MIN = 8
DOCUMENT_NUMBER_MAX = 20

# Contract "Catalogs": the ten allowed durations; 55 is deliberately not allowed.
ALLOWED_DURATIONS: tuple[int, ...] = (10, 15, 20, 25, 30, 35, 40, 45, 50, 60)
DEFAULT_DURATION = 30

# Contract "Create a consultation": scheduledAt at least 15 minutes ahead, inclusive.
MIN_NOTICE = dt.timedelta(minutes=15)

# Contract "Dates and times": the wire format of every time field, in the organization's
# time zone.
WIRE_DATETIME_FORMAT = "%Y-%m-%d %H:%M"

SPECIALIST_PROFESSIONAL_TYPE = "MedicoEspecialista"

# Contract "Lifecycle" (Decision): the wire status values.
STATUS_PENDING = "Pending"
STATUS_IN_PROGRESS = "InProgress"
STATUS_COMPLETED = "Completed"
STATUS_EXPIRED = "Expired"
WIRE_STATUSES: tuple[str, ...] = (
    STATUS_PENDING,
    STATUS_IN_PROGRESS,
    STATUS_COMPLETED,
    STATUS_EXPIRED,
)


@dataclass(frozen=True)
class CatalogRow:
    """One starter catalog row. `confirmed` is False where the contract does not name it."""

    code: str
    name: str
    confirmed: bool
    requires_specialty: bool = False
    description: str = ""
    kairo_id: int | None = None


# The values the contract names are confirmed; the rest is a starter set for a new
# clinic, marked unconfirmed until an admin checks it against the official tables.
PROFESSIONAL_TYPES: tuple[CatalogRow, ...] = (
    CatalogRow("MedicoGeneral", "Médico General", confirmed=True),
    CatalogRow(
        SPECIALIST_PROFESSIONAL_TYPE, "Médico Especialista", confirmed=True, requires_specialty=True
    ),
    CatalogRow("Psicologo", "Psicólogo", confirmed=True),
    CatalogRow("Nutricionista", "Nutricionista", confirmed=False),
    CatalogRow("Enfermero", "Enfermero", confirmed=False),
)

CONSULTATION_TYPES: tuple[CatalogRow, ...] = (
    CatalogRow(
        "ConsultaGeneral",
        "Consulta general",
        confirmed=True,
        description="Consulta de medicina general por telemedicina.",
    ),
    CatalogRow(
        "ConsultaUrgencias",
        "Consulta de urgencias",
        confirmed=True,
        description="Atención prioritaria por telemedicina.",
    ),
    CatalogRow(
        "ConsultaControl",
        "Consulta de control",
        confirmed=False,
        description="Seguimiento de un tratamiento en curso.",
    ),
    CatalogRow(
        "ConsultaEspecializada",
        "Consulta especializada",
        confirmed=False,
        description="Consulta con médico especialista.",
    ),
)

# CA003 is the only specialty code the contract names; its name and Kairo id are not
# given, so even that row is unconfirmed until checked against the official table.
MEDICAL_SPECIALTIES: tuple[CatalogRow, ...] = (
    CatalogRow("CA003", "Cardiología", confirmed=False),
    CatalogRow("PE001", "Pediatría", confirmed=False),
    CatalogRow("DE001", "Dermatología", confirmed=False),
    CatalogRow("GI001", "Ginecología y obstetricia", confirmed=False),
    CatalogRow("PQ001", "Psiquiatría", confirmed=False),
    CatalogRow("MI001", "Medicina interna", confirmed=False),
)

DURATIONS: tuple[tuple[int, str], ...] = (
    (10, "Teleorientación básica"),
    (15, "Seguimiento simple"),
    (20, "Mínimo legal para consulta general (Resolución 5261 de 1994)"),
    (25, "Consulta general extendida"),
    (30, "Estándar del mercado"),
    (35, "Consulta especializada"),
    (40, "Consulta compleja"),
    (45, "Primera consulta especializada"),
    (50, "Remisión compleja"),
    (60, "Junta médica, casos complejos (máximo)"),
)
assert tuple(minutes for minutes, _ in DURATIONS) == ALLOWED_DURATIONS

# --- Wire protocol (contract: "Access", "Envelope", "Errors", "Webhooks") ----------------

API_VERSION = "v1"
HEADER_API_KEY = "X-API-Key"
HEADER_API_SECRET = "X-API-Secret"  # noqa: S105 - a header name, not a secret
HEADER_RATE_LIMIT_REMAINING = "X-RateLimit-Remaining"
HEADER_RETRY_AFTER = "Retry-After"

# Contract "Access": 1000 requests per hour per organization.
RATE_LIMIT_PER_HOUR = 1000
RATE_LIMIT_WINDOW = dt.timedelta(hours=1)

# Contract "Create a consultation": "international format, e.g. +573001234567" (E.164:
# a plus sign and at most 15 digits, the first not zero).
INTERNATIONAL_PHONE_PATTERN = r"^\+[1-9][0-9]{6,14}$"
ACCESS_PIN_LENGTH = 6

# Contract "Errors": the codes, and the three documented 401 messages.
ERROR_VALIDATION = "VALIDATION_ERROR"
ERROR_INVALID_DATE_FORMAT = "INVALID_DATE_FORMAT"
ERROR_INVALID_DATE_PAST = "INVALID_DATE_PAST"
ERROR_INVALID_DATE_TOO_SOON = "INVALID_DATE_TOO_SOON"
ERROR_SPECIALTY_REQUIRED = "SPECIALTY_REQUIRED"
ERROR_INVALID_SPECIALTY = "INVALID_SPECIALTY_FOR_PROFESSIONAL_TYPE"
ERROR_PROVIDER_NOT_AVAILABLE = "PROVIDER_NOT_AVAILABLE"
ERROR_PATIENT_NOT_AVAILABLE = "PATIENT_NOT_AVAILABLE"
ERROR_CONSULTATION_NOT_FOUND = "CONSULTATION_NOT_FOUND"
ERROR_API_KEY_INVALID = "API_KEY_INVALID"
# Contract "Access" (Decision): over the rate limit.
ERROR_RATE_LIMITED = "RATE_LIMITED"

AUTH_MESSAGE_KEY_REQUIRED = "API Key required"
AUTH_MESSAGE_SECRET_REQUIRED = "API Secret required"  # noqa: S105 - a message
AUTH_MESSAGE_INVALID = "API Key or Secret invalid"

# Contract "Webhooks".
HEADER_WEBHOOK_SIGNATURE = "X-Telehealth-Signature"
HEADER_WEBHOOK_EVENT = "X-Telehealth-Event"
HEADER_WEBHOOK_DELIVERY = "X-Telehealth-Delivery"
WEBHOOK_USER_AGENT = "Telehealth-Webhooks/1.0"
EVENT_CONSULTATION_CREATED = "consultation.created"
EVENT_CONSULTATION_EXPIRED = "consultation.expired"
EVENT_CONSULTATION_COMPLETED = "consultation.completed"
EVENT_SESSION_STARTED = "session_started"
EVENT_SESSION_ENDED = "session_ended"
WEBHOOK_EVENTS: tuple[str, ...] = (
    EVENT_CONSULTATION_CREATED,
    EVENT_CONSULTATION_EXPIRED,
    EVENT_CONSULTATION_COMPLETED,
    EVENT_SESSION_STARTED,
    EVENT_SESSION_ENDED,
)
# Contract "Webhooks" (Decision): session events say who joined or left.
WEBHOOK_PARTICIPANTS: tuple[str, ...] = ("patient", "provider")
WEBHOOK_PATIENT_DOCUMENT_DIGITS = 4
