"""The one error type of the project, and the exit codes the CLI maps it to."""

from __future__ import annotations

from pathlib import Path

EXIT_OK = 0
EXIT_NONCONFORMANT = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3


class KGError(Exception):
    """A failure we can explain in one line; ``exit_code`` is what the CLI returns."""

    exit_code = EXIT_INTERNAL

    def __init__(self, message: str, *, path: Path | str | None = None, line: int | None = None,
                 column: int | None = None) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.column = column
        super().__init__(self.one_line())

    def one_line(self) -> str:
        where = ""
        if self.path:
            where = self.path
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        return (where + self.message).replace("\n", " ")


class InputError(KGError):
    """Bad input or usage: unreadable file, malformed annotation, syntax error (exit 2)."""

    exit_code = EXIT_BAD_INPUT


class ReadOnlyRefusal(InputError):
    """A query that would write, fetch or load (update, SERVICE, LOAD, FROM): refused (exit 2;
    HTTP 403 from ``kg serve``)."""


class NonConformanceError(KGError):
    """The data parses but does not conform to the SHACL shapes (exit 1)."""

    exit_code = EXIT_NONCONFORMANT

    def __init__(self, message: str, report: str = "", **kw: object) -> None:
        self.report = report
        super().__init__(message, **kw)  # type: ignore[arg-type]


class QueryTimeout(KGError):
    """A query ran past its time limit and was stopped (exit 3)."""

    exit_code = EXIT_INTERNAL
