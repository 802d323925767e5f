"""What SHACL validation reports, whichever engine ran (pySHACL in :mod:`kg.validate`, the SPARQL
translation in :mod:`kg.shacl_sparql`): which shape fired, on which focus node, along which path."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class ShapeResult:
    severity: str  # Violation | Warning | Info
    shape: str  # IRI of the node shape that fired (the property shape's parent when nested)
    focus: str
    path: str  # the predicate IRI; "" for a node-level, SPARQL or complex-path constraint
    message: str

    def one_line(self) -> str:
        where = f" {self.path}" if self.path else ""
        return f"{self.severity}: {self.shape_name} on <{self.focus}>{where}: {self.message}"

    @property
    def shape_name(self) -> str:
        return self.shape.rsplit("#", 1)[-1]

    def sort_key(self) -> tuple[str, str, str, str, str]:
        return (self.severity, self.shape, self.focus, self.path, self.message)


@dataclass(frozen=True)
class ValidationReport:
    results: tuple[ShapeResult, ...]

    @classmethod
    def of(cls, results: Iterable[ShapeResult]) -> ValidationReport:
        """The distinct results in one order, whichever engine found them in which order."""
        return cls(tuple(sorted(set(results), key=ShapeResult.sort_key)))

    @property
    def conforms(self) -> bool:
        return not any(r.severity == "Violation" for r in self.results)

    @property
    def violations(self) -> tuple[ShapeResult, ...]:
        return tuple(r for r in self.results if r.severity == "Violation")

    @property
    def warnings(self) -> tuple[ShapeResult, ...]:
        return tuple(r for r in self.results if r.severity == "Warning")

    def text(self) -> str:
        if not self.results:
            return "conforms: no violation, no warning"
        return "\n".join(sorted(r.one_line() for r in self.results))
