"""Another desk saving the same record at once, as the tests stage it."""

from __future__ import annotations


def validation_misses_duplicates(monkeypatch, model) -> None:
    """The form's and the service's validation ran before another desk committed the
    same document: `full_clean` skips the constraints. What the service does after the
    IntegrityError (`validate_constraints`) sees the row as it is by then."""
    real_full_clean = model.full_clean

    def full_clean(self, exclude=None, validate_unique=True, validate_constraints=True):
        real_full_clean(self, exclude=exclude, validate_unique=False, validate_constraints=False)

    monkeypatch.setattr(model, "full_clean", full_clean)
