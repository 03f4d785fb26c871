"""Every environment variable the settings read is documented for the people who set it."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _variables_read_by_settings() -> set[str]:
    source = (ROOT / "clinic" / "settings.py").read_text()
    return set(re.findall(r'env\.\w+\(\s*"([A-Z][A-Z0-9_]+)"', source))


def test_settings_read_variables():
    assert {"DJANGO_DEBUG", "DATABASE_URL", "KAIRO_BASE_URL"} <= _variables_read_by_settings()


def test_every_variable_is_in_env_example_and_readme():
    env_example = (ROOT / ".env.example").read_text()
    readme = (ROOT / "README.md").read_text()
    undocumented = {
        name
        for name in _variables_read_by_settings()
        if not re.search(rf"^#? ?{name}=", env_example, re.MULTILINE) or f"`{name}`" not in readme
    }
    assert not undocumented, f"document in .env.example and README: {sorted(undocumented)}"


def test_readme_opens_with_the_two_commands():
    first_screen = "\n".join((ROOT / "README.md").read_text().splitlines()[:25])
    assert "make run" in first_screen
    assert "make test" in first_screen
