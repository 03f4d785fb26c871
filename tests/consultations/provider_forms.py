"""A provider's form as the desk and the admin post it, from the provider on file."""

from __future__ import annotations


def provider_post(provider, **overrides) -> dict[str, str]:
    data = {
        "name": provider.name,
        "document_type": provider.document_type,
        "document_number": provider.document_number,
        "professional_type": provider.professional_type_id,
        "specialty": provider.specialty_id or "",
        "phone": str(provider.phone),
        "email": provider.email,
        "professional_license": provider.professional_license,
    }
    data.update(overrides)
    return {key: str(value) for key, value in data.items()}
