"""The ontology lint, in the style of ROBOT's ``report``: SPARQL "violation" queries.

Each check is one internal query, ``kg/queries/lint/<check>.rq`` (package data), opening with a
header comment: ``# title:``, ``# finds:`` (the question in plain words), ``# level:`` (``ERROR``,
``WARN`` or ``INFO``) and ``# returns:``. A query returns one row per problem, binding
``?entity`` (the term at fault), ``?property`` and optionally ``?value``, like ROBOT's report.

``lint_ontology(graph)`` runs every check over ``ontology/diplo.ttl`` + ``ontology/vocab.ttl``
(or any graph) and returns the findings sorted; the ontology passes when no finding is an ERROR.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from rdflib import Graph

from kg.errors import KGError

LEVELS = ("ERROR", "WARN", "INFO")


@dataclass(frozen=True)
class LintCheck:
    """One lint query and what its header says about it."""

    name: str  # file stem, e.g. "missing_label"
    title: str
    finds: str
    level: str
    sparql: str


@dataclass(frozen=True, order=True)
class LintFinding:
    """One problem: which check, how bad, on which term."""

    level: str
    check: str
    entity: str
    property: str
    value: str

    def one_line(self) -> str:
        value = f" {self.value}" if self.value else ""
        return f"{self.level} {self.check}: <{self.entity}> <{self.property}>{value}"


def parse_header(name: str, text: str) -> dict[str, str]:
    """The ``# key: value`` lines at the top of a query (continuation lines start with ``#   ``)."""
    header: dict[str, str] = {}
    key = None
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        body = line[1:]
        if body.startswith("   ") and key is not None:
            header[key] += " " + body.strip()
            continue
        key, sep, value = body.strip().partition(":")
        if not sep:
            raise KGError(f"lint query {name}: header line without 'key:': {line!r}")
        header[key] = value.strip()
    for required in ("title", "finds", "level", "returns"):
        if not header.get(required):
            raise KGError(f"lint query {name}: header has no '# {required}:' line")
    if header["level"] not in LEVELS:
        raise KGError(f"lint query {name}: level {header['level']!r} is not one of {LEVELS}")
    return header


def load_checks() -> list[LintCheck]:
    """Every lint query of the package, sorted by name."""
    folder = resources.files("kg") / "queries" / "lint"
    checks = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".rq"):
            name = entry.name[: -len(".rq")]
            text = entry.read_text(encoding="utf-8")
            header = parse_header(name, text)
            checks.append(LintCheck(name, header["title"], header["finds"], header["level"], text))
    if not checks:
        raise KGError("no lint queries found in the kg package (kg/queries/lint/*.rq)")
    return checks


def run_check(graph: Graph, check: LintCheck) -> list[LintFinding]:
    findings = set()
    for row in graph.query(check.sparql):
        entity, prop, value = row[0], row[1], row[2]  # ?entity ?property ?value
        findings.add(LintFinding(check.level, check.name, str(entity), str(prop or ""),
                                 "" if value is None else str(value)))
    return sorted(findings)


def lint_ontology(graph: Graph, checks: list[LintCheck] | None = None) -> list[LintFinding]:
    """Run every lint check over ``graph``; findings sorted by level, check, entity."""
    findings: list[LintFinding] = []
    for check in checks if checks is not None else load_checks():
        findings.extend(run_check(graph, check))
    return sorted(findings, key=lambda f: (LEVELS.index(f.level), f.check, f.entity, f.property,
                                           f.value))


def errors(findings: list[LintFinding]) -> list[LintFinding]:
    return [f for f in findings if f.level == "ERROR"]


def report_text(findings: list[LintFinding]) -> str:
    """One line per finding, then a count per level (ROBOT prints the same summary)."""
    counts = {level: sum(f.level == level for f in findings) for level in LEVELS}
    summary = ", ".join(f"{counts[level]} {level}" for level in LEVELS)
    return "\n".join([*(f.one_line() for f in findings), f"lint: {summary}"])
