"""The SHACL shapes, translated into SPARQL and run on Oxigraph: validation that scales.

pySHACL evaluates every constraint node by node in Python: on our data it takes ~1 s of fixed
cost plus ~0.9 s per 1,000 triples (95k triples: 85 s), far too slow for a million. Here each
constraint of ``ontology/shapes.ttl`` becomes one SPARQL query over the union of all graphs
(ontology included, as pySHACL sees it with ``ont_graph``), evaluated by Oxigraph.

The translation reads the shapes graph, so it follows edits of ``shapes.ttl``; it supports the
SHACL Core subset we use (targets: class, subjectsOf, objectsOf, node; paths: predicate,
sequence, inverse, alternative, zero/one-or-more; minCount, maxCount, hasValue, in, class,
datatype, nodeKind, min/maxInclusive, min/maxExclusive) and SPARQL-based constraints
(``sh:select`` with ``$this``). Anything else raises :class:`UnsupportedShape`, and the caller
falls back to pySHACL. ``tests/test_shacl_sparql.py`` checks that both engines report the same
(shape, focus node, path) on the seed corpus, broken copies of the seed and every shape fixture,
and that a synthetic corpus conforms.

Why not pySHACL 0.40 on the Oxigraph store (it accepts a ``pyoxigraph.Store``; measured, figures
in the README, "Validation"): a store rewrites ``xsd:nonNegativeInteger`` as ``xsd:integer``
(oxigraph#526), so it reports every NIF offset as a violation (128 on the seed) and cannot see a
real wrong datatype; each result then costs it a COUNT of the whole store (100k quads: stopped
after 9.5 CPU minutes; this: 0.7 s). With those two constraints removed it reports what
pySHACL on rdflib reports and is still 16-17x slower than this translation at 100k and 1M
triples, at the same memory.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import RDF, BNode, Dataset, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH
from rdflib.term import Node as RDFNode

from kg.quads import CompiledGraph, literal_datatype, split_triple
from kg.shacl_report import ShapeResult, ValidationReport

_RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
_SUBCLASS = "<http://www.w3.org/2000/01/rdf-schema#subClassOf>"
#: constraint parameters of a shape that are not constraints themselves
_SHAPE_KEYS = {SH.path, SH.message, SH.severity, SH.targetClass, SH.targetNode,
               SH.targetSubjectsOf, SH.targetObjectsOf, SH.property, SH.sparql, SH.name,
               SH.description, SH.deactivated, SH.order, SH.group, RDF.type}
_ANNOTATIONS = {"http://www.w3.org/2000/01/rdf-schema#comment",
                "http://www.w3.org/2000/01/rdf-schema#label",
                "http://www.w3.org/2000/01/rdf-schema#isDefinedBy"}
_COMPARISONS = {SH.minInclusive: ">=", SH.maxInclusive: "<=", SH.minExclusive: ">",
                SH.maxExclusive: "<"}


class UnsupportedShape(ValueError):
    """A shape uses a SHACL feature this translator does not cover."""


@dataclass(frozen=True)
class Check:
    """One SPARQL query: every row is one validation result of ``shape``."""

    shape: str  # the node shape reported (a property shape's owner)
    severity: str  # Violation | Warning | Info
    path: str  # predicate IRI ("" for node-level and SPARQL constraints)
    message: str  # may contain {?var} placeholders (SPARQL constraints)
    query: str  # SELECT ?this ... (one row per result; the focus nodes for a datatype check)
    datatype: str = ""  # set: check the values' datatype in Python (on the quads as written)


def _term(node: RDFNode) -> str:
    if isinstance(node, URIRef):
        return f"<{node}>"
    if isinstance(node, Literal):
        return node.n3()
    raise UnsupportedShape(f"blank node {node} as a value in a shape")


def _severity(shapes: Graph, shape: RDFNode) -> str:
    value = shapes.value(shape, SH.severity)
    return str(value).rsplit("#", 1)[-1] if value is not None else "Violation"


def _targets(shapes: Graph, shape: URIRef) -> list[str]:
    patterns = [f"?this {_RDF_TYPE}/{_SUBCLASS}* {_term(c)} ."
                for c in shapes.objects(shape, SH.targetClass)]
    if (shape, RDF.type, URIRef("http://www.w3.org/2000/01/rdf-schema#Class")) in shapes:
        raise UnsupportedShape(f"implicit class target on {shape}")
    patterns += [f"?this {_term(p)} ?target_o ." for p in shapes.objects(shape, SH.targetSubjectsOf)]
    patterns += [f"?target_s {_term(p)} ?this ." for p in shapes.objects(shape, SH.targetObjectsOf)]
    patterns += [f"VALUES ?this {{ {_term(n)} }}" for n in shapes.objects(shape, SH.targetNode)]
    return patterns


def _path(shapes: Graph, path: RDFNode) -> tuple[str, str]:
    """(SPARQL path, reported path IRI or "")."""
    if isinstance(path, URIRef):
        return _term(path), str(path)
    return _path_expression(shapes, path), ""


_PATH_OPERATORS = {SH.zeroOrMorePath: "*", SH.oneOrMorePath: "+", SH.zeroOrOnePath: "?"}


def _path_expression(shapes: Graph, path: RDFNode) -> str:
    """A SHACL property path as a SPARQL property path."""
    if isinstance(path, URIRef):
        return _term(path)
    if shapes.value(path, RDF.first) is not None:  # a sequence
        steps = [_path_expression(shapes, step) for step in Collection(shapes, path)]
        if len(steps) < 2:
            raise UnsupportedShape(f"sequence path {path} with fewer than two steps")
        return "(" + "/".join(steps) + ")"
    pairs = list(shapes.predicate_objects(path))
    if len(pairs) != 1:
        raise UnsupportedShape(f"property path {path}")
    operator, inner = pairs[0]
    if operator == SH.inversePath:
        return f"^{_path_expression(shapes, inner)}"
    if operator == SH.alternativePath:
        return "(" + "|".join(_path_expression(shapes, a) for a in Collection(shapes, inner)) + ")"
    if operator in _PATH_OPERATORS:
        return f"({_path_expression(shapes, inner)}){_PATH_OPERATORS[operator]}"
    raise UnsupportedShape(f"property path {path} ({operator})")


def _value_checks(shapes: Graph, shape: RDFNode, focus: str, path: str | None
                  ) -> Iterator[tuple[str, str]]:
    """(kind, SPARQL group) per constraint: kind is 'focus' (one result per focus node that
    fails) or 'value' (one result per failing value node, bound to ?value)."""
    values = f"?this {path} ?value ." if path else "BIND (?this AS ?value)"
    for predicate, obj in sorted(shapes.predicate_objects(shape)):
        if predicate in _SHAPE_KEYS or str(predicate) in _ANNOTATIONS:
            continue
        if predicate == SH.minCount:
            count = int(obj)
            if path is None:
                raise UnsupportedShape("sh:minCount on a node shape")
            if count == 1:
                yield "focus", f"{focus} FILTER NOT EXISTS {{ {values} }}"
            elif count > 1:
                yield "group", (f"{focus} OPTIONAL {{ {values} }} }} GROUP BY ?this "
                                f"HAVING (COUNT(DISTINCT ?value) < {count})")
        elif predicate == SH.maxCount:
            if path is None:
                raise UnsupportedShape("sh:maxCount on a node shape")
            yield "group", (f"{focus} {values} }} GROUP BY ?this "
                            f"HAVING (COUNT(DISTINCT ?value) > {int(obj)})")
        elif predicate == SH.hasValue:
            if path is None:
                yield "focus", f"{focus} FILTER (!sameTerm(?this, {_term(obj)}))"
            else:
                yield "focus", f"{focus} FILTER NOT EXISTS {{ ?this {path} {_term(obj)} }}"
        elif predicate == SH["in"]:
            members = list(Collection(shapes, obj))
            test = " || ".join(f"sameTerm(?value, {_term(m)})" for m in members) or "false"
            yield "value", f"{focus} {values} FILTER (!({test}))"
        elif predicate == SH["class"]:
            yield "value", (f"{focus} {values} FILTER NOT EXISTS "
                            f"{{ ?value {_RDF_TYPE}/{_SUBCLASS}* {_term(obj)} }}")
        elif predicate == SH.datatype:
            # Oxigraph's store rewrites derived datatypes (xsd:nonNegativeInteger is stored as
            # xsd:integer): the datatype is checked in Python on the rdflib terms instead.
            if path is None or not path.startswith("<"):
                raise UnsupportedShape("sh:datatype on a node shape or a complex path")
            yield "datatype", f"{path} {_term(obj)} SELECT DISTINCT ?this WHERE {{ {focus} }}"
        elif predicate == SH.nodeKind:
            yield "value", f"{focus} {values} FILTER (!{_node_kind(obj)})"
        elif predicate in _COMPARISONS:
            yield "value", (f"{focus} {values} FILTER (!COALESCE(?value {_COMPARISONS[predicate]} "
                            f"{_term(obj)}, false))")
        else:
            raise UnsupportedShape(f"constraint {predicate} on {shape}")


def _node_kind(kind: RDFNode) -> str:
    tests = {SH.IRI: "isIRI(?value)", SH.Literal: "isLiteral(?value)",
             SH.BlankNode: "isBlank(?value)", SH.BlankNodeOrIRI: "(isBlank(?value) || isIRI(?value))",
             SH.IRIOrLiteral: "(isIRI(?value) || isLiteral(?value))",
             SH.BlankNodeOrLiteral: "(isBlank(?value) || isLiteral(?value))"}
    if kind not in tests:
        raise UnsupportedShape(f"sh:nodeKind {kind}")
    return tests[kind]


def _check(shape: str, severity: str, path: str, message: str, kind: str, body: str) -> Check:
    if kind == "datatype":
        _predicate, datatype, query = body.split(" ", 2)
        return Check(shape, severity, path, message, query, datatype[1:-1])
    return Check(shape, severity, path, message, _query(kind, body))


def _query(kind: str, body: str) -> str:
    if kind == "group":  # body closes the WHERE group itself before GROUP BY
        return f"SELECT ?this WHERE {{ {body}"
    if kind == "value":
        return f"SELECT DISTINCT ?this ?value WHERE {{ {body} }}"
    return f"SELECT DISTINCT ?this WHERE {{ {body} }}"


def _prefixes(shapes: Graph, constraint: RDFNode) -> str:
    lines = []
    for source in shapes.objects(constraint, SH.prefixes):
        for declaration in shapes.objects(source, SH.declare):
            prefix, namespace = shapes.value(declaration, SH.prefix), shapes.value(declaration,
                                                                                   SH.namespace)
            lines.append(f"PREFIX {prefix}: <{namespace}>")
    return "\n".join(sorted(set(lines)))


def _sparql_check(shapes: Graph, shape: URIRef, constraint: RDFNode, focus: str) -> Check:
    select = shapes.value(constraint, SH.select)
    if select is None or (constraint, SH.deactivated, Literal(True)) in shapes:
        raise UnsupportedShape(f"SPARQL constraint of {shape} without sh:select")
    text = str(select).replace("$this", "?this")
    match = re.search(r"\bWHERE\s*\{", text, re.IGNORECASE)
    if match is None or re.search(r"\$(PATH|currentShape|shapesGraph)\b", str(select)):
        raise UnsupportedShape(f"SPARQL constraint of {shape}")
    # the focus pattern goes first in the WHERE group, so FILTERs see ?this bound (pySHACL
    # pre-binds $this the same way)
    query = text[:match.end()] + " " + focus + " " + text[match.end():]
    query = re.sub(r"^\s*SELECT\b(?!\s+(?:DISTINCT|REDUCED)\b)", "SELECT DISTINCT", query.strip(),
                   count=1, flags=re.IGNORECASE)
    message = shapes.value(constraint, SH.message) or shapes.value(shape, SH.message) or ""
    return Check(str(shape), _severity(shapes, shape), "", str(message),
                 _prefixes(shapes, constraint) + "\n" + query)


def compile_shapes(shapes: Graph) -> list[Check]:
    """Every constraint of every active node shape, as a SPARQL query."""
    checks: list[Check] = []
    node_shapes = sorted({s for s in shapes.subjects(RDF.type, SH.NodeShape)}, key=str)
    for shape in node_shapes:
        if not isinstance(shape, URIRef):
            raise UnsupportedShape(f"blank node shape {shape}")
        if (shape, SH.deactivated, Literal(True)) in shapes:
            continue
        targets = _targets(shapes, shape)
        if not targets:
            continue
        # one focus pattern per shape (a shape with several targets is checked once)
        union = " UNION ".join(f"{{ {t} }}" for t in targets)
        for focus in (targets[0] if len(targets) == 1 else f"{{ {union} }}",):
            severity = _severity(shapes, shape)
            message = str(shapes.value(shape, SH.message) or "")
            for kind, body in _value_checks(shapes, shape, focus, None):
                checks.append(_check(str(shape), severity, "", message, kind, body))
            for prop in sorted(shapes.objects(shape, SH.property), key=str):
                if (prop, SH.deactivated, Literal(True)) in shapes:
                    continue
                path_node = shapes.value(prop, SH.path)
                if path_node is None:
                    raise UnsupportedShape(f"property shape without sh:path in {shape}")
                path, reported = _path(shapes, path_node)
                prop_message = str(shapes.value(prop, SH.message) or "")
                for kind, body in _value_checks(shapes, prop, focus, path):
                    checks.append(_check(str(shape), _severity(shapes, prop), reported,
                                         prop_message, kind, body))
            for constraint in sorted(shapes.objects(shape, SH.sparql), key=str):
                checks.append(_sparql_check(shapes, shape, constraint, focus))
    for shape in shapes.subjects(RDF.type, SH.PropertyShape):
        if isinstance(shape, URIRef) or not any(shapes.subjects(SH.property, shape)):
            raise UnsupportedShape(f"top-level property shape {shape}")
    if any(isinstance(s, BNode) for s in shapes.subjects(SH.targetClass, None)):
        raise UnsupportedShape("blank node shape with a target")
    return checks


def _text(term: ox.NamedNode | ox.BlankNode | ox.Literal | None) -> str:
    if term is None:
        return ""
    return term.value


def _datatypes(graph: CompiledGraph, predicates: set[str]) -> dict[tuple[str, str], list[str]]:
    """(subject, predicate) -> the datatype of each value ("" for an IRI or blank node), read
    from the quads as written: an Oxigraph store normalises derived datatypes
    (xsd:nonNegativeInteger becomes xsd:integer), so ``sh:datatype`` is checked here."""
    wanted = {f"<{p}>" for p in predicates}
    found: dict[tuple[str, str], list[str]] = {}
    for triples in graph.graphs.values():
        for line in triples:
            s, p, o = split_triple(line)
            if p in wanted:
                found.setdefault((s, p[1:-1]), []).append(literal_datatype(o) or "")
    return found


def run_checks(store: ox.Store, checks: list[Check], graph: CompiledGraph) -> ValidationReport:
    """Run every check on the union of the store's graphs; one result per row.

    ``graph`` holds the same quads as written, for the datatype checks.
    """
    datatypes = _datatypes(graph, {check.path for check in checks if check.datatype})
    results: set[ShapeResult] = set()
    for check in checks:
        solutions = store.query(check.query, use_default_graph_as_union=True)
        assert isinstance(solutions, ox.QuerySolutions)
        variables = [v.value for v in solutions.variables]
        if check.datatype:
            for row in solutions:
                focus = _text(row["this"])
                values = datatypes.get((str(row["this"]), check.path), ())
                if any(datatype != check.datatype for datatype in values):
                    results.add(ShapeResult(check.severity, check.shape, focus, check.path,
                                            check.message))
            continue
        for row in solutions:
            message = check.message
            for name in variables:
                message = message.replace(f"{{?{name}}}", _text(row[name]))
                message = message.replace(f"{{${name}}}", _text(row[name]))
            results.add(ShapeResult(check.severity, check.shape, _text(row["this"]), check.path,
                                    message))
    return ValidationReport.of(results)


def validate_as_sparql(dataset: CompiledGraph | Dataset, shapes: Graph,
                     store: ox.Store | None = None) -> ValidationReport:
    """Validate the union of every graph (ontology included) against ``shapes``.

    Pass ``store`` when the quads are already loaded in Oxigraph.
    """
    graph = dataset if isinstance(dataset, CompiledGraph) else CompiledGraph.from_dataset(dataset)
    checks = compile_shapes(shapes)
    if store is None:
        store = graph.to_store(ox.Store())
    return run_checks(store, checks, graph)
