"""The documentation is where each reader looks for it, and agrees with the code.

- Every environment variable `clinic/settings.py` reads has exactly one row in
  docs/configuration.md, the one settings reference, with the default the code uses; no
  other document repeats a settings table, and `.env.example` names each variable and
  points at docs/configuration.md instead of restating defaults.
- The README is one screen that opens with the two commands, and every relative link
  in it and in docs/ resolves (file and heading).
- Every section of the Kairo Connect contract that the code cites is a heading of
  docs/kairo-connect-api.md.
- Nothing in the code, templates, static files or scripts refers to an issue number or
  to a file outside the repository.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "clinic" / "settings.py"
README = ROOT / "README.md"
DOCS = ROOT / "docs"
CONFIGURATION = DOCS / "configuration.md"
CONTRACT = DOCS / "kairo-connect-api.md"
ENV_EXAMPLE = ROOT / ".env.example"

READER_DOCUMENTS = (
    "user-guide.md",
    "configuration.md",
    "operations.md",
    "kairo.md",
    "kairo-connect-api.md",
    "development.md",
)

# A row of a Markdown table: its cells, without the outer pipes.
TABLE_ROW = re.compile(r"^\|(.*)\|\s*$")
BACKTICKED_NAME = re.compile(r"`([A-Z][A-Z0-9_]*\*?)`")


# --- The variables the settings read ----------------------------------------------------


def _is_env_read(node: ast.Call) -> bool:
    """`env("NAME")`, `env.str("NAME", ...)`, `os.environ.get("NAME")`, `os.getenv("NAME")`
    (`os.environ["NAME"]` is refused outright: see `_env_reads`)."""
    func = node.func
    if isinstance(func, ast.Name):
        return func.id in {"env", "getenv"}
    if not isinstance(func, ast.Attribute):
        return False
    owner = func.value
    if isinstance(owner, ast.Name):
        return owner.id == "env" or (owner.id == "os" and func.attr == "getenv")
    return (
        isinstance(owner, ast.Attribute)
        and owner.attr == "environ"
        and func.attr in {"get", "__getitem__"}
    )


def _is_environ_subscript(node: ast.Subscript) -> bool:
    """`os.environ["NAME"]`."""
    owner = node.value
    return isinstance(owner, ast.Attribute) and owner.attr == "environ"


def _env_reads() -> dict[str, list[ast.Call]]:
    """Each variable name the settings module reads, with every call that reads it."""
    reads: dict[str, list[ast.Call]] = defaultdict(list)
    for node in ast.walk(ast.parse(SETTINGS.read_text())):
        if isinstance(node, ast.Subscript) and _is_environ_subscript(node):
            raise AssertionError(
                f"clinic/settings.py line {node.lineno}: read variables through env(...), "
                "with a default, so that docs/configuration.md can state it"
            )
        if isinstance(node, ast.Call) and _is_env_read(node):
            name = node.args[0] if node.args else None
            assert isinstance(name, ast.Constant) and isinstance(name.value, str), (
                f"clinic/settings.py line {node.lineno}: read a variable by a literal name, "
                "so that the documentation test can see it"
            )
            reads[name.value].append(node)
    return dict(reads)


def _documented_default(call: ast.Call) -> str | None:
    """How docs/configuration.md writes the default of `call`, or None when the default is
    not a literal (computed from another setting, or a path)."""
    default = next((kw.value for kw in call.keywords if kw.arg == "default"), None)
    if default is None:
        return None
    try:
        value = ast.literal_eval(default)
    except ValueError:
        return None
    if value in ("", [], ()):
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | tuple):
        return ",".join(str(item) for item in value)
    return str(value)


def test_settings_read_variables():
    assert {"DJANGO_DEBUG", "DATABASE_URL", "KAIRO_BASE_URL"} <= set(_env_reads())


# --- docs/configuration.md ---------------------------------------------------------------


def _table_rows(path: Path) -> list[list[str]]:
    rows = []
    for line in path.read_text().splitlines():
        match = TABLE_ROW.match(line.strip())
        if match:
            rows.append([cell.strip() for cell in match[1].split("|")])
    return rows


def _configuration_rows() -> dict[str, list[list[str]]]:
    """The settings rows of docs/configuration.md, by the one variable each documents."""
    rows: dict[str, list[list[str]]] = defaultdict(list)
    for cells in _table_rows(CONFIGURATION):
        match = re.fullmatch(r"`([A-Z][A-Z0-9_]+)`", cells[0])
        if match:
            rows[match[1]].append(cells)
    return dict(rows)


def test_every_variable_is_documented_once_in_configuration():
    rows = _configuration_rows()
    variables = set(_env_reads())
    missing = sorted(variables - set(rows))
    twice = sorted(name for name, found in rows.items() if len(found) > 1)
    unknown = sorted(set(rows) - variables)
    assert not missing, f"document in docs/configuration.md, one row each: {missing}"
    assert not twice, f"documented more than once in docs/configuration.md: {twice}"
    assert not unknown, f"docs/configuration.md documents variables settings never read: {unknown}"


def test_configuration_rows_have_default_and_meaning():
    for name, ((_, default, meaning, *_rest),) in _configuration_rows().items():
        assert default, f"{name}: no default in docs/configuration.md"
        assert len(meaning) > 10, f"{name}: no meaning in docs/configuration.md"


def test_configuration_states_the_defaults_the_code_uses():
    rows = _configuration_rows()
    wrong = []
    for name, calls in _env_reads().items():
        defaults = {_documented_default(call) for call in calls}
        if len(defaults) != 1 or None in defaults:
            continue  # depends on DJANGO_DEBUG, or computed: the prose says which
        (expected,) = defaults
        cell = rows[name][0][1]
        if expected == "":
            found = "empty" in cell or "unset" in cell
        else:
            found = f"`{expected}`" in cell
        if not found:
            wrong.append(f"{name}: code default {expected or 'empty'!r}, documented {cell!r}")
    assert not wrong, "docs/configuration.md disagrees with clinic/settings.py:\n" + "\n".join(
        wrong
    )


def _markdown_files() -> list[Path]:
    return [README, *sorted(DOCS.glob("**/*.md"))]


@pytest.mark.parametrize(
    "path", [p for p in _markdown_files() if p != CONFIGURATION], ids=lambda p: p.name
)
def test_no_second_settings_table(path):
    variables = set(_env_reads())

    def names_a_variable(cell: str) -> bool:
        for name in BACKTICKED_NAME.findall(cell):
            if name in variables or (
                name.endswith("*") and any(v.startswith(name[:-1]) for v in variables)
            ):
                return True
        return False

    repeated = [cells[0] for cells in _table_rows(path) if names_a_variable(cells[0])]
    assert not repeated, (
        f"{path.relative_to(ROOT)} has a settings table ({repeated}): settings are "
        "documented only in docs/configuration.md; link to it instead"
    )


def test_env_example_names_every_variable_and_points_at_configuration():
    text = ENV_EXAMPLE.read_text()
    assert "docs/configuration.md" in text
    missing = sorted(
        name for name in _env_reads() if not re.search(rf"^#? ?{name}=", text, re.MULTILINE)
    )
    assert not missing, f"add to .env.example: {missing}"
    # Defaults and meanings live in docs/configuration.md alone.
    valued = re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=\S", text, re.MULTILINE)
    assert not valued, f".env.example restates values, keep them in docs/configuration.md: {valued}"


# --- README and links --------------------------------------------------------------------


def test_readme_opens_with_the_two_commands():
    first_screen = "\n".join(README.read_text().splitlines()[:25])
    assert "make run" in first_screen
    assert "make test" in first_screen


def test_readme_is_about_one_screen():
    assert len(README.read_text()) < 9000


@pytest.mark.parametrize("name", READER_DOCUMENTS)
def test_readme_points_to_each_reader_document(name):
    assert f"](docs/{name})" in README.read_text()


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to '-'."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _headings(path: Path) -> list[str]:
    text = re.sub(r"^```.*?^```", "", path.read_text(), flags=re.MULTILINE | re.DOTALL)
    return [match[1].strip() for match in re.finditer(r"^#{1,6} +(.+)$", text, re.MULTILINE)]


def _relative_links(path: Path) -> list[str]:
    text = re.sub(r"^```.*?^```", "", path.read_text(), flags=re.MULTILINE | re.DOTALL)
    targets = re.findall(r"\]\(([^)\s]+)\)", text)
    return [t for t in targets if not re.match(r"[a-z][a-z0-9+.-]*:", t)]


@pytest.mark.parametrize("path", _markdown_files(), ids=lambda p: p.name)
def test_relative_links_resolve(path):
    broken = []
    for target in _relative_links(path):
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists():
            broken.append(target)
        elif anchor and linked.suffix == ".md":
            if anchor not in {_slug(heading) for heading in _headings(linked)}:
                broken.append(target)
    assert not broken, f"{path.relative_to(ROOT)}: links to nothing: {broken}"


# --- The contract and the code's citations of it -------------------------------------------

# The sections code comments cite; kept as headings so that citations resolve.
CONTRACT_SECTIONS = {
    "Access",
    "Endpoints",
    "Envelope",
    "Dates and times",
    "Create a consultation",
    "Document types",
    "Detail",
    "Lifecycle",
    "Errors",
    "Webhooks",
    "Catalogs",
}

# `contract "X"`, `contract: "X", "Y"`, `Contract sections: "X" (...), "Y"`,
# `the contract's "X" and "Y" sections`, `docs/kairo-connect-api.md "X"`,
# `kairo-connect-api.md, "X" and "Y"`; never `contract.NAME, "..."` (code).
_ANCHOR = re.compile(
    r"""(?:\bcontract(?:'s)?(?:\s+sections?)?|kairo-connect-api\.md)[:,]?\s+(?="[^"\n]+")""",
    re.IGNORECASE,
)
_QUOTED = re.compile(r'"([^"\n]+)"')
_NEXT = re.compile(r'(?:\s*\([^)\n]*\))?\s*(?:,\s*and|,|and)\s*(?:#\s*)?(?=")')


def _cited_sections(text: str) -> set[str]:
    cited = set()
    for anchor in _ANCHOR.finditer(text):
        position = anchor.end()
        while True:
            quoted = _QUOTED.match(text, position)
            if quoted is None:
                break
            cited.add(quoted[1])
            separator = _NEXT.match(text, quoted.end())
            if separator is None:
                break
            position = separator.end()
    return cited


def _python_files() -> list[Path]:
    skipped = {".venv", "node_modules", ".git", "build"}
    return [
        path
        for path in ROOT.rglob("*.py")
        if not skipped & set(path.relative_to(ROOT).parts)
        and "egg-info" not in str(path)
        and path != Path(__file__).resolve()  # this file's own examples
    ]


def test_citation_finder_reads_every_form():
    text = (
        '# contract "Errors": one\n'
        '"""Contract sections: "Envelope", "Create a consultation" (create answer), "Detail",\n'
        '"Webhooks" (event body)."""\n'
        '# docs/kairo-connect-api.md "Access" and "Lifecycle"\n'
        '# the contract\'s "Catalogs" section, contract: "Endpoints", "Document types"\n'
        'raise contract.ERROR_VALIDATION, "body"\n'
    )
    assert _cited_sections(text) == {
        "Errors",
        "Envelope",
        "Create a consultation",
        "Detail",
        "Webhooks",
        "Access",
        "Lifecycle",
        "Catalogs",
        "Endpoints",
        "Document types",
    }


def test_contract_has_its_sections():
    headings = set(_headings(CONTRACT))
    assert CONTRACT_SECTIONS <= headings, sorted(CONTRACT_SECTIONS - headings)


def test_every_cited_contract_section_is_a_heading():
    headings = set(_headings(CONTRACT))
    unknown = defaultdict(list)
    for path in _python_files():
        for name in _cited_sections(path.read_text()):
            if name not in headings:
                unknown[name].append(str(path.relative_to(ROOT)))
    assert not unknown, f"cited sections missing from docs/kairo-connect-api.md: {dict(unknown)}"


def test_a_module_citing_the_contract_names_the_document():
    """A short citation (`contract "Errors"`) points to docs/kairo-connect-api.md because
    its module names that document, in its docstring or beside a citation."""
    unnamed = [
        str(path.relative_to(ROOT))
        for path in _python_files()
        if _cited_sections(path.read_text()) and "docs/kairo-connect-api.md" not in path.read_text()
    ]
    assert not unnamed, f"cite docs/kairo-connect-api.md by name in: {unnamed}"


def test_the_code_cites_the_contract():
    cited = set().union(*(_cited_sections(path.read_text()) for path in _python_files()))
    assert {"Errors", "Webhooks", "Create a consultation"} <= cited


# --- What comments refer to --------------------------------------------------------------

# Comments say the thing itself: never an issue number ("issue 5", "(issue 3)", a
# tracker's /issues/12), never a file outside the repository (the contract's source in
# ../shared/; its text here is docs/kairo-connect-api.md).
OUTSIDE_REFERENCE = re.compile(
    r"\bissues?\s*(?:#|no\.?\s*)?\d+\b"
    r"|/issues/\d+"
    r"|(?<![\w./-])(?:\.\./)+shared\b"
    r"|(?<![\w./-])shared/",
    re.IGNORECASE,
)
SCANNED_DIRECTORIES = ("clinic", "consultations", "tests", "templates", "static", "deploy")
SCANNED_SUFFIXES = {".py", ".html", ".js", ".css", ".txt", ".sh", ".service", ".timer", ".conf"}


def _scanned_files() -> list[Path]:
    files = [ROOT / "Makefile", *sorted((ROOT / ".ci").rglob("*"))]
    for directory in SCANNED_DIRECTORIES:
        files += sorted(
            path for path in (ROOT / directory).rglob("*") if path.suffix in SCANNED_SUFFIXES
        )
    return [
        path
        for path in files
        if path.is_file()
        and "__pycache__" not in path.parts
        and path != Path(__file__).resolve()  # this file's own examples
    ]


def test_outside_reference_finder():
    found = [
        "# Issue 2: demo accounts",
        '"""Over loopback HTTP (issue 3)."""',
        "see issue #5",
        "https://github.com/org/repo/issues/12",
        "a simulator of shared/kairo-connect-api.md",
        "from ../shared/kairo-connect-api.md",
    ]
    not_found = [
        "the issue is the timeout",
        "issues with the SMTP server",
        "color: #123456;",
        'f"{c.patient.name} (#{c.pk})"',
        "the shared webhook secret",
        "shared_secret = settings.KAIRO_WEBHOOK_SECRET",
        "static/shared/icons.css",
        "docs/kairo-connect-api.md",
    ]
    assert [text for text in found if not OUTSIDE_REFERENCE.search(text)] == []
    assert [text for text in not_found if OUTSIDE_REFERENCE.search(text)] == []


def test_nothing_refers_to_an_issue_or_a_file_outside_the_repository():
    files = _scanned_files()
    assert len(files) > 100  # the scan found the code, templates and scripts
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if OUTSIDE_REFERENCE.search(line)
    ]
    assert not found, "say the thing itself:\n" + "\n".join(found)
