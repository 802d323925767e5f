"""SHACL validation with pySHACL, reported as plain results (which shape fired, on what).

Which engine validates a compiled corpus (:func:`validate_compiled`): pySHACL on an rdflib graph
up to :data:`PYSHACL_MAX_QUADS`, above that the shapes translated to SPARQL on Oxigraph
(:mod:`kg.shacl_sparql`). pySHACL 0.40 can also validate a pyoxigraph ``Store`` directly; it
lost to the translation on our shapes (wrong results, slower): figures in the README,
"Validation", and in :mod:`kg.shacl_sparql`.
"""

from __future__ import annotations

from pathlib import Path

from pyshacl import validate as shacl_validate
from rdflib import Dataset, Graph, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from kg.errors import InputError, KGError
from kg.namespaces import GRAPH_ONTOLOGY
from kg.quads import CompiledGraph
from kg.shacl_report import ShapeResult, ValidationReport
from kg.shacl_sparql import UnsupportedShape, validate_as_sparql


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
    return read_pyshacl_report(report, shapes)


def read_pyshacl_report(report: object, shapes: Graph) -> ValidationReport:
    """pySHACL's report graph as plain results (KGError when pySHACL could not apply the shapes)."""
    if not isinstance(report, Graph):  # pySHACL returns a ValidationFailure for broken shapes
        detail = str(getattr(report, "message", report)).splitlines()[0]
        raise KGError(f"the SHACL shapes cannot be applied: {detail}")
    results = []
    for node in report.subjects(SH.resultSeverity, None):
        path = report.value(node, SH.resultPath)
        results.append(ShapeResult(
            severity=str(report.value(node, SH.resultSeverity)).rsplit("#", 1)[-1],
            shape=str(_reported_shape(report, node, shapes)),
            focus=str(report.value(node, SH.focusNode)),
            path=str(path) if isinstance(path, URIRef) else "",  # a complex path is a blank node
            message=str(report.value(node, SH.resultMessage) or ""),
        ))
    return ValidationReport.of(results)


def _reported_shape(report: Graph, result: Node, shapes: Graph) -> Node | None:
    """The node shape a result is reported under: its source shape, or the node shape owning
    the property shape or SPARQL constraint that fired (both are blank nodes)."""
    source = report.value(result, SH.sourceShape)
    if source is None or isinstance(source, URIRef):
        return source
    owner = (shapes.value(None, SH.property, source)
             or shapes.value(None, SH.sparql, report.value(result, SH.sourceConstraint)))
    return owner if owner is not None else source


#: above this many quads, a compiled dataset is validated by the SPARQL translation of the shapes
#: on Oxigraph (kg.shacl_sparql; the tests check it fires the same shapes as pySHACL). pySHACL
#: costs ~1 s per 1,000 triples here (95k triples: 85 s); the translation ~2 s per 100k.
PYSHACL_MAX_QUADS = 20_000


def validate_compiled(dataset: Dataset | CompiledGraph, shapes: Graph, ontology: Graph,
                      engine: str = "auto") -> ValidationReport:
    """Validate a compiled corpus: ``pyshacl``, ``sparql`` (Oxigraph), or ``auto`` (pySHACL up
    to :data:`PYSHACL_MAX_QUADS`). A shape outside the translated subset falls back to pySHACL."""
    if engine == "auto":
        engine = "pyshacl" if len(dataset) <= PYSHACL_MAX_QUADS else "sparql"
    if engine == "sparql":
        try:
            return validate_as_sparql(dataset, shapes)
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
