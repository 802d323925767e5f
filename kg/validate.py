"""SHACL validation with pySHACL, reported as plain results (which shape fired, on what)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pyshacl import validate as shacl_validate
from rdflib import Dataset, Graph, URIRef
from rdflib.namespace import SH

from kg.errors import InputError, KGError
from kg.namespaces import GRAPH_ONTOLOGY
from kg.quads import CompiledGraph


@dataclass(frozen=True)
class ShapeResult:
    severity: str  # Violation | Warning | Info
    shape: str  # IRI of the node shape that fired (the property shape's parent when nested)
    focus: str
    path: str
    message: str

    def one_line(self) -> str:
        where = f" {self.path}" if self.path else ""
        return f"{self.severity}: {self.shape_name} on <{self.focus}>{where}: {self.message}"

    @property
    def shape_name(self) -> str:
        return self.shape.rsplit("#", 1)[-1]


@dataclass(frozen=True)
class ValidationReport:
    results: tuple[ShapeResult, ...]

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


def load_shapes(ontology_dir: Path) -> Graph:
    from kg.rdfio import parse_rdf_file

    return parse_rdf_file(ontology_dir / "shapes.ttl")


def data_graph(dataset: Dataset | CompiledGraph) -> Graph:
    """Everything but the ontology graph, as one graph (shapes look across named graphs)."""
    if isinstance(dataset, CompiledGraph):
        dataset = dataset.to_dataset()
    union = Graph(bind_namespaces="none")
    for graph in dataset.graphs():
        if graph.identifier != GRAPH_ONTOLOGY:
            for triple in graph:
                union.add(triple)
    return union


def validate_graph(data: Graph, shapes: Graph, ontology: Graph) -> ValidationReport:
    """Validate ``data`` (with the ontology mixed in for class hierarchy) against ``shapes``."""
    _conforms, report, _text = shacl_validate(
        data, shacl_graph=shapes, ont_graph=ontology, inference="none", abort_on_first=False,
        allow_warnings=True, advanced=True, meta_shacl=False, do_owl_imports=False)
    if not isinstance(report, Graph):  # pySHACL returns a ValidationFailure for broken shapes
        detail = str(getattr(report, "message", report)).splitlines()[0]
        raise KGError(f"the SHACL shapes cannot be applied: {detail}")
    results = []
    for node in report.subjects(SH.resultSeverity, None):
        severity = str(report.value(node, SH.resultSeverity)).rsplit("#", 1)[-1]
        source = report.value(node, SH.sourceShape)
        # a property shape is a blank node: report the node shape that owns it
        owner = report.value(None, SH.property, source) if source is not None else None
        if owner is None and source is not None:
            owner = shapes.value(None, SH.property, source) or shapes.value(None, SH.sparql, source)
        if owner is None and source is not None:
            owner = shapes.value(None, SH.sparql, source)
        shape = owner if isinstance(owner, URIRef) else source
        if not isinstance(shape, URIRef):
            owner2 = shapes.value(None, SH.sparql, report.value(node, SH.sourceConstraint))
            shape = owner2 if owner2 is not None else shape
        results.append(ShapeResult(
            severity=severity,
            shape=str(shape),
            focus=str(report.value(node, SH.focusNode)),
            path=str(report.value(node, SH.resultPath) or ""),
            message=str(report.value(node, SH.resultMessage) or ""),
        ))
    return ValidationReport(tuple(sorted(results, key=lambda r: (r.severity, r.shape, r.focus,
                                                                 r.path, r.message))))


#: above this many quads, a compiled dataset is validated by the SPARQL translation of the shapes
#: on Oxigraph (kg.shacl_sparql; the tests check it fires the same shapes as pySHACL). pySHACL
#: costs ~1 s per 1,000 triples here (95k triples: 85 s); the translation ~2 s per 100k.
PYSHACL_MAX_QUADS = 20_000


def validate_dataset(dataset: Dataset | CompiledGraph, shapes: Graph, ontology: Graph,
                     engine: str = "auto") -> ValidationReport:
    """Validate a compiled dataset: ``pyshacl``, ``sparql`` (Oxigraph), or ``auto`` (pySHACL up
    to :data:`PYSHACL_MAX_QUADS`). A shape outside the translated subset falls back to pySHACL."""
    if engine == "auto":
        engine = "pyshacl" if len(dataset) <= PYSHACL_MAX_QUADS else "sparql"
    if engine == "sparql":
        from kg.shacl_sparql import UnsupportedShape
        from kg.shacl_sparql import validate_dataset as validate_on_oxigraph

        try:
            return validate_on_oxigraph(dataset, shapes)
        except UnsupportedShape:
            pass
    return validate_graph(data_graph(dataset), shapes, ontology)


def validate_files(files: list[Path], ontology_dir: Path) -> ValidationReport:
    """``kg validate``: parse every file strictly (InputError, exit 2, on the first unreadable or
    invalid one), then validate their union against the SHACL shapes.

    Relative IRIs resolve against each file's own ``file:`` URI (the RDF base of a local
    document); nothing is fetched: no ``owl:imports``, no remote JSON-LD context.
    """
    from kg.compile import load_ontology
    from kg.rdfio import parse_quads, to_rdflib

    if not files:
        raise InputError("no file to validate")
    data = Graph(bind_namespaces="none")
    for path in files:  # every named graph of a TriG / N-Quads file joins the union
        triples = [(to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object))
                   for q in parse_quads(path, base_iri=path.absolute().as_uri())]
        for triple in triples:
            data.add(triple)  # type: ignore[arg-type]
    return validate_graph(data, load_shapes(ontology_dir), load_ontology(ontology_dir))
