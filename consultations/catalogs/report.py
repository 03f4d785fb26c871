"""What an import did, or would have done: created, updated, unchanged and rejected rows."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext


@dataclass(frozen=True)
class Problem:
    """Why a row or a file was refused. `column` is as written in the file ('' = whole row)."""

    code: str
    message: str
    column: str = ""


@dataclass(frozen=True)
class RowOutcome:
    """One data row: its line in the file, its key (code or minutes), what changed or why not."""

    line: int
    key: str
    changed: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()


@dataclass
class ImportReport:
    """What `catalog_import` did, or would have done, row by row.

    Nothing is saved unless `applied`: a broken file (`file_error`) or any rejected row
    rolls the whole import back, and so does a dry run.
    """

    kind: str
    dry_run: bool = False
    created: list[RowOutcome] = field(default_factory=list)
    updated: list[RowOutcome] = field(default_factory=list)
    unchanged: list[RowOutcome] = field(default_factory=list)
    rejected: list[RowOutcome] = field(default_factory=list)
    file_error: Problem | None = None

    @property
    def ok(self) -> bool:
        """True when the file was readable and every row was accepted."""
        return self.file_error is None and not self.rejected

    @property
    def applied(self) -> bool:
        """True when the rows were saved."""
        return self.ok and not self.dry_run

    def summary(self) -> str:
        counts = {
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "rejected": len(self.rejected),
        }
        if self.file_error is not None:
            return gettext("The file was not imported: %(message)s Nothing was changed.") % {
                "message": self.file_error.message
            }
        if self.rejected:
            return (
                gettext(
                    "%(rejected)d row(s) rejected, so nothing was changed "
                    "(%(created)d would be created, %(updated)d updated). "
                    "Correct the file and import it again."
                )
                % counts
            )
        if self.dry_run:
            return (
                gettext(
                    "Dry run: %(created)d row(s) would be created, %(updated)d updated, "
                    "%(unchanged)d unchanged. Nothing was saved."
                )
                % counts
            )
        return (
            gettext(
                "Imported: %(created)d row(s) created, %(updated)d updated, %(unchanged)d unchanged."
            )
            % counts
        )

    def as_lines(self) -> list[str]:
        """The summary, then one line per created or updated row and per reason a row was
        rejected, in file order (unchanged rows are only counted)."""
        lines: list[tuple[int, str]] = []
        for row in self.created:
            text = gettext("line %(line)d: %(key)s created") % {"line": row.line, "key": row.key}
            lines.append((row.line, text))
        for row in self.updated:
            text = gettext("line %(line)d: %(key)s updated (%(changed)s)") % {
                "line": row.line,
                "key": row.key,
                "changed": ", ".join(row.changed),
            }
            lines.append((row.line, text))
        for row in self.rejected:
            for problem in row.problems:
                where = f"{problem.column}: " if problem.column else ""
                text = gettext(
                    "line %(line)d: %(key)s rejected: %(where)s%(message)s [%(code)s]"
                ) % {
                    "line": row.line,
                    "key": row.key or "—",
                    "where": where,
                    "message": problem.message,
                    "code": problem.code,
                }
                lines.append((row.line, text))
        lines.sort(key=lambda pair: pair[0])  # stable: a row's reasons keep their order
        return [self.summary(), *(text for _line, text in lines)]
