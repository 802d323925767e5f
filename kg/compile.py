"""Annotations + texts -> the compiled graph (canonical quads, :mod:`kg.quads`), driven by the
ontology.

A YAML key of an entity or thing is the local name of a ``dkg:`` property; the ontology says
what its values are: a concept of a SKOS scheme (``dkg:valuesFrom``), a reference to an entity
or thing by id, or a typed literal (``schema:rangeIncludes``). So adding a property to the
ontology makes it usable in annotations with no code change, and an unknown key is an error.

Named graphs: ``dkr:graph/ontology`` (ontology + vocabularies), ``dkr:graph/entities`` (the
shared registry), ``dkr:graph/agents`` (who annotated and reviewed), ``dkr:graph/article/<id>``
(what one article contributes) and ``dkr:graph/draft/<id>`` (a draft article built on request
with ``kg build --drafts``). Queries see the union of all of them.

Review state (PROV-O): each claim has a ``dkg:reviewState`` (drafted, reviewed, rejected), is
``prov:wasGeneratedBy`` its article's ``dkg:AnnotationActivity`` (associated with a prov:Person
or the extractor, a prov:SoftwareAgent), and a reviewed or rejected claim was ``prov:used`` by
its article's ``dkg:ReviewActivity`` (associated with a prov:Person). Only a reviewed claim can
make a thing a fact.
"""

from __future__ import annotations

import gc
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import pyoxigraph as ox
from rdflib import RDF, RDFS, Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, OWL, PROV, SKOS, XSD

from kg.corpus import ArticleSource, Corpus
from kg.errors import InputError
from kg.namespaces import (
    DKG,
    DKR,
    DKV,
    GRAPH_AGENTS,
    GRAPH_ENTITIES,
    GRAPH_ONTOLOGY,
    NIF,
    SCHEMA,
    WD,
    article_graph,
    bind_prefixes,
    draft_graph,
)
from kg.quads import CompiledGraph, QuadWriter
from kg.text import QuoteNotFound, Span, find_quote, sentence_of, split_sentences
from kg.yamlsafe import Node

_ID = re.compile(r"^[a-z0-9][a-z0-9-]*[a-z0-9]$")
_WIKIDATA = re.compile(r"^Q[1-9][0-9]*$")
#: an article id is its folder name and goes into IRIs (dkr:article/<id>#char=...)
_ARTICLE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
#: what may follow a namespace in a type, vocabulary or concept name (checked before any IRI
#: is made of it: rdflib logs a warning line for an IRI with a space)
_LOCAL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
#: xsd:integer values are counts and ordinals: 18 digits (xsd:long) are plenty, and Python
#: refuses to convert more than 4,300
_MAX_INTEGER_DIGITS = 18
_LANGS = ("fr", "en")
NARRATOR = "narrator"

#: where minted IRIs live, by the top class of a thing or entity
_CATEGORY = (
    (DKG.Actor, "actor"),
    (DKG.Place, "place"),
    (DKG.Office, "office"),
    (DKG.Event, "event"),
    (DKG.ExchangeProposal, "proposal"),
    (DKG.ProposalLeg, "proposal-leg"),
    (DKG.DelegationMembership, "membership"),
    (DKG.BilateralRelation, "relation"),
)
_ENTITY_CLASSES = (DKG.Actor, DKG.Place, DKG.Office)
_THING_CLASSES = (DKG.Event, DKG.ExchangeProposal, DKG.ProposalLeg, DKG.DelegationMembership,
                  DKG.BilateralRelation)
_STRUCTURAL_KEYS = {"id", "type", "label", "aliases", "wikidata", "unknown"}
_CLAIM_KEYS = {"id", "quote", "about", "certainty", "polarity", "temporality", "hedgeCue",
               "evidentialBasis", "accordingTo", "concerns", "review", "confidence"}
#: the optional top-level ``provenance`` block of an annotation (who annotated, who reviewed)
_PROVENANCE_KEYS = ("annotator", "annotatedAt", "reviewer", "reviewedAt")
_DATE_TIME = re.compile(r"[0-9]{4}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?"
                        r"(Z|[+-][0-2][0-9]:[0-5][0-9])")
_CONFIDENCE = re.compile(r"(0(\.[0-9]+)?|1(\.0+)?|\.[0-9]+)")
_VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+-]*")
#: metadata keys of meta.yaml that the unknown list may name
#: (the author is the article's narrator, always present; an unnamed author is simply not named)
_META_UNKNOWN = {"title": DCTERMS.title, "publisher": DCTERMS.publisher,
                 "published": DCTERMS.issued}


class TripleSink(Protocol):
    """Where the compiler writes one named graph: a :class:`kg.quads.GraphWriter`."""

    def add(self, triple: tuple[Any, Any, Any]) -> object: ...


@dataclass(frozen=True)
class PropertySpec:
    iri: URIRef
    is_object: bool
    scheme: URIRef | None
    ranges: frozenset[URIRef]


@dataclass
class _Defined:
    """A resolvable id: an entity, a thing, or a claim."""

    iri: URIRef
    classes: frozenset[URIRef]
    path: Path
    line: int


@dataclass
class _Context:
    ontology: Graph
    properties: dict[str, PropertySpec]
    superclasses: dict[URIRef, frozenset[URIRef]]
    ids: dict[str, _Defined] = field(default_factory=dict)
    #: dkg:sourceType values given to each actor, for the claims they are the source of
    source_types: dict[URIRef, set[URIRef]] = field(default_factory=dict)
    #: annotators and reviewers: agent IRI -> what minted it (two names on one IRI are refused)
    agents: dict[URIRef, tuple[str, ...]] = field(default_factory=dict)


def load_ontology(ontology_dir: Path) -> Graph:
    """Parse ``ontology/diplo.ttl`` and ``ontology/vocab.ttl`` (the shapes are separate)."""
    from kg.rdfio import parse_rdf_file

    graph = bind_prefixes(Graph(bind_namespaces="none"))
    for name in ("diplo.ttl", "vocab.ttl"):
        parse_rdf_file(ontology_dir / name, into=graph)
    return graph


def _property_specs(ontology: Graph) -> dict[str, PropertySpec]:
    specs: dict[str, PropertySpec] = {}
    ns = str(DKG._NS)
    for kind, is_object in ((OWL.ObjectProperty, True), (OWL.DatatypeProperty, False)):
        for prop in ontology.subjects(RDF.type, kind):
            if isinstance(prop, URIRef) and str(prop).startswith(ns):
                scheme = ontology.value(prop, DKG.valuesFrom)
                ranges = frozenset(r for r in ontology.objects(prop, SCHEMA.rangeIncludes)
                                   if isinstance(r, URIRef))
                specs[str(prop)[len(ns):]] = PropertySpec(
                    prop, is_object, scheme if isinstance(scheme, URIRef) else None, ranges)
    return specs


def _superclasses(ontology: Graph) -> dict[URIRef, frozenset[URIRef]]:
    out: dict[URIRef, frozenset[URIRef]] = {}
    for cls in ontology.subjects(RDF.type, OWL.Class):
        if isinstance(cls, URIRef):
            out[cls] = frozenset(c for c in ontology.transitive_objects(cls, RDFS.subClassOf)
                                 if isinstance(c, URIRef))
    return out


# ---------------------------------------------------------------------------- helpers


def _err(message: str, path: Path, node: Node | None = None, key: str | None = None) -> InputError:
    line = None
    if node is not None:
        line = node.line_of(key) if key else node.line
    return InputError(message, path=path, line=line)


def _err_at_value(message: str, path: Path, node: Node, key: str, value: str) -> InputError:
    """An error pointing at ``value`` (file:line:column), read back from the file on failure."""
    line = node.line_of(key)
    column = None
    try:
        text = path.read_text(encoding="utf-8").splitlines()[line - 1]
        found = text.find(value, max(text.find(key), 0))
        column = found + 1 if found >= 0 else None
    except (OSError, UnicodeDecodeError, IndexError):
        pass
    return InputError(message, path=path, line=line, column=column)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _require_str(value: Any, what: str, path: Path, node: Node, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _err(f"{what} must be a non-empty string", path, node, key)
    return value


def _class_of(ctx: _Context, type_name: Any, allowed: tuple[URIRef, ...], path: Path,
              node: Node) -> tuple[URIRef, frozenset[URIRef]]:
    if not isinstance(type_name, str):
        raise _err("missing 'type'", path, node)
    supers = None
    if _LOCAL_NAME.match(type_name):
        cls = URIRef(str(DKG._NS) + type_name)
        supers = ctx.superclasses.get(cls)
    if supers is None:
        raise _err(f"unknown type {type_name!r} (not a class of the ontology)", path, node, "type")
    if not supers & set(allowed):
        names = ", ".join(a.split("#")[-1] for a in allowed)
        raise _err(f"type {type_name!r} is not allowed here (expected a kind of: {names})",
                   path, node, "type")
    return cls, supers


def _mint(supers: frozenset[URIRef], ident: str) -> URIRef:
    for top, category in _CATEGORY:
        if top in supers:
            return DKR[f"{category}/{ident}"]
    raise AssertionError(f"no IRI category for {ident}")  # unreachable: types are checked


def _declare(ctx: _Context, ident: Any, iri_of: Any, classes: frozenset[URIRef], path: Path,
             node: Node) -> str:
    if not isinstance(ident, str) or not _ID.match(ident):
        raise _err(f"invalid id {ident!r}: use lowercase letters, digits and hyphens", path, node,
                   "id")
    if ident == NARRATOR:
        raise _err(f"id {ident!r} is reserved for the article's journalist", path, node, "id")
    if ident in ctx.ids:
        first = ctx.ids[ident]
        raise _err(f"duplicate id {ident!r} (first defined in {first.path}:{first.line})",
                   path, node, "id")
    ctx.ids[ident] = _Defined(iri_of(ident), classes, path, node.line)
    return ident


def _labels(graph: TripleSink, subject: URIRef, node: Node, path: Path, required: bool) -> None:
    label = node.get("label")
    if label is None:
        if required:
            raise _err("missing 'label' with fr and en", path, node)
        return
    if not isinstance(label, Node) or set(label) - set(_LANGS) or not label:
        raise _err("'label' must map fr and/or en to a string", path, node, "label")
    for lang in _LANGS:
        if lang in label:
            text = _require_str(label[lang], f"label.{lang}", path, label, lang)
            graph.add((subject, RDFS.label, Literal(text, lang=lang)))
            graph.add((subject, SKOS.prefLabel, Literal(text, lang=lang)))
    aliases = node.get("aliases")
    if aliases is not None:
        if not isinstance(aliases, Node) or set(aliases) - set(_LANGS):
            raise _err("'aliases' must map fr and/or en to a list of strings", path, node,
                       "aliases")
        for lang, names in aliases.items():
            for name in _as_list(names):
                text = _require_str(name, f"aliases.{lang}", path, aliases, lang)
                graph.add((subject, SKOS.altLabel, Literal(text, lang=lang)))


def _concept(ctx: _Context, scheme: URIRef, value: str, path: Path, node: Node,
             key: str) -> URIRef:
    scheme_key = str(scheme)[len(str(DKV._NS)):]
    iri = URIRef(f"{DKV._NS}{scheme_key}-{value}") if _LOCAL_NAME.match(value) else None
    if iri is None or (iri, SKOS.inScheme, scheme) not in ctx.ontology:
        allowed = sorted(str(c)[len(str(DKV._NS)) + len(scheme_key) + 1:]
                         for c in ctx.ontology.subjects(SKOS.inScheme, scheme))
        raise _err(f"{key}: {value!r} is not in the {scheme_key} vocabulary "
                   f"(one of: {', '.join(allowed)})", path, node, key)
    return iri


def _literal(spec: PropertySpec, value: str, lang: str, path: Path, node: Node,
             key: str) -> Literal:
    ranges = spec.ranges
    if XSD.integer in ranges:
        if not re.fullmatch(r"-?[0-9]+", value):
            raise _err(f"{key}: {value!r} is not an integer", path, node, key)
        if len(value.lstrip("-")) > _MAX_INTEGER_DIGITS:
            raise _err_at_value(f"{key}: integer of {len(value.lstrip('-'))} digits is out of "
                                f"range (at most {_MAX_INTEGER_DIGITS})", path, node, key, value)
        return Literal(int(value), datatype=XSD.integer)
    if XSD.decimal in ranges:
        return Literal(value, datatype=XSD.decimal)
    if XSD.boolean in ranges:
        if value not in ("true", "false"):
            raise _err(f"{key}: {value!r} must be true or false", path, node, key)
        return Literal(value == "true")
    if XSD.date in ranges or XSD.gYear in ranges:
        return _date(value, path, node, key)
    if RDF.langString in ranges:
        return Literal(value, lang=lang)
    return Literal(value)


def _date(value: str, path: Path, node: Node, key: str) -> Literal:
    """A calendar date, month or year (year 0001 to 9999): 2023-19-39 or 0000-00-00 is bad
    input, never an ill-typed xsd:date in the graph."""
    for pattern, datatype in ((r"[0-9]{4}", XSD.gYear), (r"[0-9]{4}-[01][0-9]", XSD.gYearMonth),
                              (r"[0-9]{4}-[01][0-9]-[0-3][0-9]", XSD.date)):
        if re.fullmatch(pattern, value):
            year, month, day = (int(part) for part in (value + "-01-01").split("-")[:3])
            try:
                date(year, month, day)
            except ValueError:
                raise _err_at_value(f"{key}: {value!r} is not a calendar date (year 0001-9999, "
                                    "month 01-12, a day the month has)", path, node, key,
                                    value) from None
            return Literal(value, datatype=datatype)
    raise _err(f"{key}: {value!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)", path, node, key)


# ---------------------------------------------------------------------------- properties


def _add_properties(ctx: _Context, graph: TripleSink, subject: URIRef, node: Node, path: Path,
                    lang: str, skip: set[str], local: dict[str, URIRef]) -> None:
    """Add ``dkg:<key> value`` for every non-structural key of ``node``."""
    for key in sorted(node):
        if key in _STRUCTURAL_KEYS or key in skip:
            continue
        spec = ctx.properties.get(key)
        if spec is None:
            raise _err(f"unknown property {key!r} (not a dkg: property of the ontology)",
                       path, node, key)
        for raw in _as_list(node[key]):
            value = _require_str(raw, key, path, node, key)
            obj = _value(ctx, spec, value, lang, path, node, key, local)
            graph.add((subject, spec.iri, obj))
            if spec.iri == DKG.sourceType and isinstance(obj, URIRef):
                ctx.source_types.setdefault(subject, set()).add(obj)
    unknown = node.get("unknown")
    if unknown is not None:
        for raw in _as_list(unknown):
            name = _require_str(raw, "unknown", path, node, "unknown")
            spec = ctx.properties.get(name)
            if spec is None:
                raise _err(f"unknown: {name!r} is not a dkg: property", path, node, "unknown")
            if name in node:
                raise _err(f"{name!r} is both given and declared unknown", path, node, "unknown")
            graph.add((subject, DKG.unknownValueFor, spec.iri))


def _value(ctx: _Context, spec: PropertySpec, value: str, lang: str, path: Path, node: Node,
           key: str, local: dict[str, URIRef]) -> URIRef | Literal:
    if not spec.is_object:
        return _literal(spec, value, lang, path, node, key)
    if spec.scheme is not None:
        return _concept(ctx, spec.scheme, value, path, node, key)
    actor_role = _is_actor_role(ctx, spec)
    if ":" in value:  # scheme-qualified concept, e.g. goods:munitions
        scheme_key, _, concept = value.partition(":")
        if actor_role:
            raise _err_at_value(f"{key}: {value!r} is a concept of a vocabulary, but {key} "
                                "needs an actor", path, node, key, value)
        scheme = URIRef(f"{DKV._NS}{scheme_key}") if _LOCAL_NAME.match(scheme_key) else None
        if scheme is None or (scheme, RDF.type, SKOS.ConceptScheme) not in ctx.ontology:
            raise _err(f"{key}: {scheme_key!r} is not a vocabulary", path, node, key)
        return _concept(ctx, scheme, concept, path, node, key)
    if value in local:
        if actor_role and value != NARRATOR:
            raise _err_at_value(f"{key}: {value!r} is not an actor", path, node, key, value)
        return local[value]
    defined = ctx.ids.get(value)
    if defined is None:
        raise _err(f"{key}: unknown id {value!r}", path, node, key)
    if actor_role and DKG.Actor not in defined.classes:
        raise _err_at_value(f"{key}: {value!r} is not an actor", path, node, key, value)
    return defined.iri


def _is_actor_role(ctx: _Context, spec: PropertySpec) -> bool:
    """A property whose every rangeIncludes is an actor class (visitor, giver, heldBy...)."""
    return bool(spec.ranges) and all(DKG.Actor in ctx.superclasses.get(r, ())
                                     for r in spec.ranges)


# ---------------------------------------------------------------------------- stages


def _compile_entities(ctx: _Context, graph: TripleSink, entries: Iterable[Any], path: Path,
                      lang: str, local: dict[str, URIRef]) -> list[tuple[URIRef, Node]]:
    declared: list[tuple[URIRef, Node]] = []
    for entry in entries:
        if not isinstance(entry, Node):
            raise InputError("each entity must be a mapping", path=path)
        cls, supers = _class_of(ctx, entry.get("type"), _ENTITY_CLASSES, path, entry)
        ident = _declare(ctx, entry.get("id"), lambda i, s=supers: _mint(s, i), supers, path,
                         entry)
        iri = ctx.ids[ident].iri
        graph.add((iri, RDF.type, cls))
        _labels(graph, iri, entry, path, required=True)
        wikidata = entry.get("wikidata")
        if wikidata is not None:
            if not isinstance(wikidata, str) or not _WIKIDATA.match(wikidata):
                raise _err(f"wikidata: {wikidata!r} is not a Wikidata item id (Q...)", path,
                           entry, "wikidata")
            graph.add((iri, SKOS.exactMatch, WD[wikidata]))
        declared.append((iri, entry))
    return declared


def _section(node: Node, key: str, path: Path) -> list[Any]:
    value = node.get(key, [])
    if not isinstance(value, list):
        raise _err(f"{key!r} must be a list", path, node, key)
    return value


def compile_graph(corpus: Corpus, ontology: Graph) -> CompiledGraph:
    """Compile the registry and every article into canonical quads (deterministic)."""
    # The compile allocates many small objects (YAML nodes, terms, strings); the cyclic garbage
    # collector's full passes traverse all of them again and again. Pausing it while compiling
    # saves a large share of the time at 100k+ triples; the little cyclic garbage made
    # meanwhile is collected once it is back on.
    enabled = gc.isenabled()
    gc.disable()
    try:
        writer = QuadWriter()
        _compile_corpus(corpus, ontology, writer)
        return writer.freeze()
    finally:
        if enabled:
            gc.enable()


def compile_corpus(corpus: Corpus, ontology: Graph) -> Dataset:
    """:func:`compile_graph` as an rdflib ``Dataset`` (for small corpora and the Python API)."""
    return compile_graph(corpus, ontology).to_dataset()


def _compile_corpus(corpus: Corpus, ontology: Graph, writer: QuadWriter) -> None:
    ctx = _Context(ontology, _property_specs(ontology), _superclasses(ontology))
    onto_graph = writer.graph(GRAPH_ONTOLOGY)
    for triple in ontology:
        onto_graph.add(triple)  # type: ignore[arg-type]

    entities_graph = writer.graph(GRAPH_ENTITIES)
    registry = _compile_entities(ctx, entities_graph,
                                 _section(corpus.entities, "entities", corpus.entities_path),
                                 corpus.entities_path, "en", {})

    # Declare every id of every article first, so articles may refer to each other's things.
    plans = [_declare_article(ctx, writer, article) for article in corpus.articles]
    for iri, entry in registry:
        _add_properties(ctx, entities_graph, iri, entry, corpus.entities_path, "en",
                        set(), {})
    # Every entity's properties before any claim, so a claim's source type does not depend on
    # the order of the articles.
    for plan in plans:
        for iri, entry in plan.entities:
            _add_properties(ctx, plan.graph, iri, entry, plan.source.annotation_path, plan.lang,
                            set(), {NARRATOR: plan.narrator})
    # What a claim may be about: things and offices, never an actor or a place. Computed once,
    # after every id is declared.
    claimable = set(_THING_CLASSES) | {DKG.Office}
    thing_iris = {d.iri for d in ctx.ids.values() if d.classes & claimable}
    for plan in plans:
        _compile_article(ctx, plan, thing_iris)


@dataclass
class _ArticlePlan:
    source: ArticleSource
    graph: TripleSink
    lang: str
    article_iri: URIRef
    narrator: URIRef
    entities: list[tuple[URIRef, Node]]
    things: list[tuple[URIRef, Node]]
    claims: list[tuple[URIRef, Node]]
    review: _Review


@dataclass(frozen=True)
class _Review:
    """An article's provenance: its annotation and review activities (None when not given)."""

    annotation: URIRef | None
    review: URIRef | None

    @property
    def default_state(self) -> str:
        """A claim that says nothing is reviewed when the article names a reviewer."""
        return "reviewed" if self.review is not None else "drafted"


def _declare_article(ctx: _Context, writer: QuadWriter, source: ArticleSource) -> _ArticlePlan:
    meta_path, ann_path = source.meta_path, source.annotation_path
    if not _ARTICLE_ID.match(source.article_id):
        raise _err(f"article id {source.article_id!r}: use letters, digits, _ and - (it is the "
                   "folder name and part of the article's IRI)", meta_path, source.meta, "id")
    lang = source.meta.get("language")
    if lang not in _LANGS:
        raise _err(f"language must be one of {', '.join(_LANGS)}", meta_path, source.meta,
                   "language")
    graph = writer.graph((draft_graph if source.draft else article_graph)(source.article_id))
    article_iri = DKR[f"article/{source.article_id}"]
    narrator = DKR[f"actor/narrator-{source.article_id}"]
    known = set(source.annotation) - {"article", "provenance", "entities", "things", "claims"}
    if known:
        key = sorted(known)[0]
        raise _err(f"unknown top-level key {key!r} (expected article, provenance, entities, "
                   "things, claims)", ann_path, source.annotation, key)
    review = _provenance(ctx, writer, graph, source)
    entities = _compile_entities(ctx, graph, _section(source.annotation, "entities", ann_path),
                                 ann_path, lang, {})
    things: list[tuple[URIRef, Node]] = []
    for entry in _section(source.annotation, "things", ann_path):
        if not isinstance(entry, Node):
            raise InputError("each thing must be a mapping", path=ann_path)
        cls, supers = _class_of(ctx, entry.get("type"), _THING_CLASSES, ann_path, entry)
        ident = _declare(ctx, entry.get("id"), lambda i, s=supers: _mint(s, i), supers,
                         ann_path, entry)
        iri = ctx.ids[ident].iri
        graph.add((iri, RDF.type, cls))
        _labels(graph, iri, entry, ann_path, required=True)
        things.append((iri, entry))
    claims: list[tuple[URIRef, Node]] = []
    claim_ids: set[str] = set()
    for entry in _section(source.annotation, "claims", ann_path):
        if not isinstance(entry, Node):
            raise InputError("each claim must be a mapping", path=ann_path)
        claim_id = entry.get("id")
        if not isinstance(claim_id, str) or not _ID.match(claim_id):
            raise _err(f"invalid claim id {claim_id!r}", ann_path, entry, "id")
        if claim_id in claim_ids:
            raise _err(f"duplicate claim id {claim_id!r}", ann_path, entry, "id")
        claim_ids.add(claim_id)
        claims.append((DKR[f"claim/{source.article_id}/{claim_id}"], entry))
    return _ArticlePlan(source, graph, lang, article_iri, narrator, entities, things, claims,
                        review)


# ---------------------------------------------------------------------------- review state


def _provenance(ctx: _Context, writer: QuadWriter, graph: TripleSink,
                source: ArticleSource) -> _Review:
    """The ``provenance`` block: the annotation activity (who, when) and the review (who, when).

    Without the block the annotation is anonymous and every claim is drafted."""
    path, annotation = source.annotation_path, source.annotation
    node = annotation.get("provenance")
    if node is None:
        return _Review(None, None)
    if not isinstance(node, Node):
        raise _err("'provenance' must be a mapping with annotator, annotatedAt and optionally "
                   "reviewer, reviewedAt", path, annotation, "provenance")
    extra = set(node) - set(_PROVENANCE_KEYS)
    if extra:
        key = sorted(extra)[0]
        raise _err(f"unknown provenance key {key!r} (expected {', '.join(_PROVENANCE_KEYS)})",
                   path, node, key)
    for key in ("annotator", "annotatedAt"):
        if key not in node:
            raise _err(f"provenance needs {key!r} (who wrote the annotation, and when)", path,
                       node)
    for key, other in (("reviewer", "reviewedAt"), ("reviewedAt", "reviewer")):
        if key in node and other not in node:
            raise _err(f"provenance: {key!r} needs {other!r}", path, node, key)
    agents = writer.graph(GRAPH_AGENTS)

    def activity(kind: str, cls: URIRef, agent_key: str, time_key: str) -> URIRef:
        iri = DKR[f"{kind}/{source.article_id}"]
        graph.add((iri, RDF.type, cls))
        graph.add((iri, PROV.wasAssociatedWith,
                   _agent(ctx, agents, node, agent_key, path, software=agent_key == "annotator")))
        graph.add((iri, PROV.endedAtTime, _timestamp(node[time_key], path, node, time_key)))
        return iri

    annotated = activity("annotation", DKG.AnnotationActivity, "annotator", "annotatedAt")
    reviewed = (activity("review", DKG.ReviewActivity, "reviewer", "reviewedAt")
                if "reviewer" in node else None)
    return _Review(annotated, reviewed)


def _slug(text: str) -> str:
    """``Élodie Dupré`` -> ``elodie-dupre`` (an IRI segment)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def _agent(ctx: _Context, agents: TripleSink, node: Node, key: str, path: Path,
           software: bool) -> URIRef:
    """``{person: NAME}`` -> a prov:Person; ``{software: NAME, version: V}`` -> a
    prov:SoftwareAgent (an annotator only: a review is always a person's)."""
    value = node[key]
    expected = "{person: NAME}" + (" or {software: NAME, version: VERSION}" if software else "")
    if isinstance(value, Node) and set(value) == {"person"}:
        name = _require_str(value["person"], f"{key}.person", path, value, "person")
        iri, identity = DKR[f"agent/person/{_slug(name)}"], ("person", name)
    elif isinstance(value, Node) and set(value) == {"software", "version"} and software:
        name = _require_str(value["software"], f"{key}.software", path, value, "software")
        version = _require_str(value["version"], f"{key}.version", path, value, "version")
        if not _VERSION.fullmatch(version):
            raise _err(f"{key}.version: {version!r} is not a version (e.g. 0.2.0)", path, value,
                       "version")
        iri = DKR[f"agent/software/{_slug(name)}/{version.lower()}"]
        identity = ("software", name, version)
    elif isinstance(value, Node) and "software" in value and not software:
        raise _err(f"{key}: only a person can review ({expected}): a machine's guess is never "
                   "a fact", path, node, key)
    else:
        raise _err(f"provenance.{key} must be {expected}", path, node, key)
    if not _slug(name):
        raise _err(f"provenance.{key}: {name!r} has no letter or digit", path, node, key)
    first = ctx.agents.setdefault(iri, identity)
    if first != identity:
        raise _err(f"provenance.{key}: {name!r} and {first[1]!r} would be the same agent "
                   f"({iri}); spell the name the same way", path, node, key)
    agents.add((iri, RDF.type, PROV.Person if identity[0] == "person" else PROV.SoftwareAgent))
    agents.add((iri, FOAF.name, Literal(name)))
    agents.add((iri, RDFS.label, Literal(" ".join(identity[1:]))))
    if identity[0] == "software":
        agents.add((iri, SCHEMA.softwareVersion, Literal(identity[2])))
    return iri


def _timestamp(raw: Any, path: Path, node: Node, key: str) -> Literal:
    """``YYYY-MM-DD`` as xsd:date (no time invented), or a date-time with its time zone as
    xsd:dateTime in UTC (so that timestamps sort as text on every engine)."""
    value = _require_str(raw, key, path, node, key)
    try:
        if re.fullmatch(r"[0-9]{4}-[01][0-9]-[0-3][0-9]", value):
            return Literal(date.fromisoformat(value).isoformat(), datatype=XSD.date)
        if _DATE_TIME.fullmatch(value):
            moment = datetime.fromisoformat(value).astimezone(UTC)
            return Literal(moment.isoformat().replace("+00:00", "Z"), datatype=XSD.dateTime,
                           normalize=False)  # rdflib would write +00:00
    except ValueError:
        pass
    raise _err(f"{key}: {value!r} is not a date (YYYY-MM-DD) or a date-time with a time zone "
               "(YYYY-MM-DDThh:mm:ssZ)", path, node, key)


def _confidence(raw: Any, path: Path, node: Node) -> Literal:
    """The extractor's confidence: a decimal in [0, 1], written canonically (0.5, 1.0)."""
    value = _require_str(raw, "confidence", path, node, "confidence")
    if not _CONFIDENCE.fullmatch(value):
        raise _err(f"confidence: {value!r} is not a number from 0 to 1", path, node, "confidence")
    text = format(Decimal(value), "f")
    text = text.rstrip("0").rstrip(".") if "." in text else text
    if text.startswith("."):
        text = "0" + text
    return Literal(text if "." in text else text + ".0", datatype=XSD.decimal)


def _review_claim(ctx: _Context, plan: _ArticlePlan, claim: URIRef, entry: Node) -> bool:
    """Write a claim's review state and provenance; True when a person reviewed and accepted it."""
    path, graph, review = plan.source.annotation_path, plan.graph, plan.review
    raw = entry.get("review", review.default_state)
    state = _concept(ctx, DKV["review-state"], _require_str(raw, "review", path, entry, "review"),
                     path, entry, "review")
    graph.add((claim, DKG.reviewState, state))
    if review.annotation is not None:
        graph.add((claim, PROV.wasGeneratedBy, review.annotation))
    if state != DKV["review-state-drafted"]:
        if review.review is None:
            raise _err(f"review: {raw!r} needs a reviewer: add provenance.reviewer "
                       "{person: NAME} and reviewedAt", path, entry, "review")
        graph.add((review.review, PROV.used, claim))
    if "confidence" in entry:
        graph.add((claim, DKG.extractorConfidence, _confidence(entry["confidence"], path, entry)))
    return state == DKV["review-state-reviewed"]


def _compile_article(ctx: _Context, plan: _ArticlePlan, all_thing_iris: set[URIRef]) -> None:
    source, graph, lang = plan.source, plan.graph, plan.lang
    ann_path = source.annotation_path
    claim_local = {str(iri).rsplit("/", 1)[1]: iri for iri, _ in plan.claims}
    local = {NARRATOR: plan.narrator}
    _compile_metadata(ctx, plan)
    for iri, entry in plan.things:
        _add_properties(ctx, graph, iri, entry, ann_path, lang, set(), {**local, **claim_local})

    sentences = split_sentences(source.text)
    covered: set[int] = set()
    for sentence_index, span in enumerate(sentences):
        _add_span(graph, plan, span, source.text, sentence_index)
    for claim_iri, entry in plan.claims:  # (the article's own things are among all_thing_iris)
        covered.add(_compile_claim(ctx, plan, claim_iri, entry, sentences, all_thing_iris))
    missing = [i for i in range(len(sentences)) if i not in covered]
    if missing:
        first = sentences[missing[0]]
        raise InputError(f"sentence {missing[0]} has no claim (every sentence needs at least one):"
                         f" {source.text[first.begin:first.end][:80]!r}", path=ann_path)


def _compile_metadata(ctx: _Context, plan: _ArticlePlan) -> None:
    graph, meta, path, article = plan.graph, plan.source.meta, plan.source.meta_path, plan.article_iri
    allowed = {"id", "language", "published", "title", "publisher", "author", "unknown", "note",
               "url"}
    extra = set(meta) - allowed
    if extra:
        key = sorted(extra)[0]
        raise _err(f"unknown metadata key {key!r}", path, meta, key)
    text = plan.source.text
    graph.add((article, RDF.type, SCHEMA.NewsArticle))
    graph.add((article, RDF.type, NIF.Context))
    graph.add((article, DCTERMS.identifier, Literal(plan.source.article_id)))
    graph.add((article, DCTERMS.language, Literal(plan.lang)))
    graph.add((article, NIF.isString, Literal(text)))
    graph.add((article, NIF.beginIndex, Literal(0, datatype=XSD.nonNegativeInteger)))
    graph.add((article, NIF.endIndex, Literal(len(text), datatype=XSD.nonNegativeInteger)))
    if "published" in meta:
        value = _require_str(meta["published"], "published", path, meta, "published")
        graph.add((article, DCTERMS.issued, _date(value, path, meta, "published")))
    for key, prop in (("title", DCTERMS.title), ("publisher", DCTERMS.publisher)):
        if key in meta:
            value = _require_str(meta[key], key, path, meta, key)
            graph.add((article, prop, Literal(value, lang=plan.lang if key == "title" else None)))
    if "author" in meta:  # the narrator is the author: give it the author's name
        name = _require_str(meta["author"], "author", path, meta, "author")
        graph.add((plan.narrator, FOAF.name, Literal(name)))
    if "url" in meta:
        url = _require_str(meta["url"], "url", path, meta, "url")
        try:
            ox.NamedNode(url)  # Oxigraph's IRI parser (RFC 3987, absolute)
        except ValueError:
            raise _err_at_value(f"url: {url!r} is not an absolute IRI", path, meta, "url",
                                url) from None
        graph.add((article, SCHEMA.url, URIRef(url)))
    for raw in _as_list(meta.get("unknown", [])):
        name = _require_str(raw, "unknown", path, meta, "unknown")
        if name not in _META_UNKNOWN:
            raise _err(f"unknown: {name!r} is not a metadata field ({', '.join(_META_UNKNOWN)})",
                       path, meta, "unknown")
        if name in meta:
            raise _err(f"{name!r} is both given and declared unknown", path, meta, "unknown")
        graph.add((article, DKG.unknownValueFor, _META_UNKNOWN[name]))
    # The narrator: default speaker of every unattributed claim of this article.
    narrator = plan.narrator
    graph.add((narrator, RDF.type, DKG.Journalist))
    graph.add((narrator, RDFS.label, Literal(f"journaliste de l'article {plan.source.article_id}",
                                             lang="fr")))
    graph.add((narrator, RDFS.label, Literal(f"journalist of article {plan.source.article_id}",
                                             lang="en")))
    graph.add((narrator, DKG.sourceType, DKV["source-type-journalist"]))
    graph.add((article, DCTERMS.creator, narrator))


def _span_iri(plan: _ArticlePlan, span: Span) -> URIRef:
    return URIRef(f"{plan.article_iri}#char={span.begin},{span.end}")


#: terms of the hottest path (a span per sentence and per quote), looked up once: a namespace
#: attribute costs about a microsecond and NIF's builds a new URIRef every time
_TYPE, _STRING, _RFC5147, _SENTENCE = RDF.type, NIF.String, NIF.RFC5147String, NIF.Sentence
_CONTEXT, _BEGIN, _END, _ANCHOR = NIF.referenceContext, NIF.beginIndex, NIF.endIndex, NIF.anchorOf
_SENTENCE_INDEX, _NNI, _INTEGER = DKG.sentenceIndex, XSD.nonNegativeInteger, XSD.integer


def _add_span(graph: TripleSink, plan: _ArticlePlan, span: Span, text: str,
              sentence_index: int | None) -> URIRef:
    iri = _span_iri(plan, span)
    graph.add((iri, _TYPE, _STRING))
    graph.add((iri, _TYPE, _RFC5147))
    graph.add((iri, _CONTEXT, plan.article_iri))
    graph.add((iri, _BEGIN, Literal(str(span.begin), datatype=_NNI)))
    graph.add((iri, _END, Literal(str(span.end), datatype=_NNI)))
    graph.add((iri, _ANCHOR, Literal(text[span.begin:span.end])))
    if sentence_index is not None:
        graph.add((iri, _TYPE, _SENTENCE))
        graph.add((iri, _SENTENCE_INDEX, Literal(str(sentence_index), datatype=_INTEGER)))
    return iri


def _compile_claim(ctx: _Context, plan: _ArticlePlan, claim: URIRef, entry: Node,
                   sentences: list[Span], thing_iris: set[URIRef]) -> int:
    path, graph, text = plan.source.annotation_path, plan.graph, plan.source.text
    extra = set(entry) - _CLAIM_KEYS
    if extra:
        key = sorted(extra)[0]
        raise _err(f"unknown claim key {key!r}", path, entry, key)
    if "quote" not in entry:
        raise _err("claim without evidence: add the 'quote' it rests on", path, entry)
    quote = _require_str(entry["quote"], "quote", path, entry, "quote")
    try:
        span = find_quote(text, quote)
        sentence_index = sentence_of(sentences, span)
    except QuoteNotFound as exc:
        raise _err(str(exc), path, entry, "quote") from None
    sentence = sentences[sentence_index]
    anchor = _add_span(graph, plan, span, text, sentence_index if span == sentence else None)
    graph.add((anchor, DKG.inSentence, _span_iri(plan, sentence)))

    for key in ("about", "certainty"):
        if key not in entry:
            raise _err(f"claim needs {key!r}", path, entry)
    graph.add((claim, RDF.type, DKG.Claim))
    graph.add((claim, RDFS.label, Literal(quote, lang=plan.lang)))
    graph.add((claim, DKG.hasEvidence, anchor))
    graph.add((claim, DKG.inArticle, plan.article_iri))

    def concept(key: str, default: str | None) -> URIRef:
        value = entry.get(key, default)
        spec = ctx.properties[key]
        assert spec.scheme is not None
        return _concept(ctx, spec.scheme, _require_str(value, key, path, entry, key), path,
                        entry, key)

    certainty = concept("certainty", None)
    polarity = concept("polarity", "positive")
    basis = concept("evidentialBasis", "direct-report")
    graph.add((claim, DKG.certainty, certainty))
    graph.add((claim, DKG.polarity, polarity))
    graph.add((claim, DKG.evidentialBasis, basis))
    if "temporality" in entry:
        graph.add((claim, DKG.temporality, concept("temporality", None)))

    cue = entry.get("hedgeCue")
    if cue is not None:
        cue = _require_str(cue, "hedgeCue", path, entry, "hedgeCue")
        if cue not in text[sentence.begin:sentence.end]:
            raise _err(f"hedgeCue {cue!r} is not in the claim's sentence", path, entry, "hedgeCue")
        graph.add((claim, DKG.hedgeCue, Literal(cue, lang=plan.lang)))

    speaker_id = entry.get("accordingTo", NARRATOR)
    speaker_id = _require_str(speaker_id, "accordingTo", path, entry, "accordingTo")
    if speaker_id == NARRATOR:
        speaker = plan.narrator
        source_type: Any = DKV["source-type-journalist"]
    else:
        defined = ctx.ids.get(speaker_id)
        if defined is None or DKG.Actor not in defined.classes:
            raise _err(f"accordingTo: {speaker_id!r} is not a known actor", path, entry,
                       "accordingTo")
        speaker = defined.iri
        source_type = min(ctx.source_types.get(speaker, ()), default=None)
    graph.add((claim, DKG.accordingTo, speaker))
    if source_type is not None:
        graph.add((claim, DKG.sourceType, source_type))

    for raw in _as_list(entry.get("concerns", [])):
        value = _require_str(raw, "concerns", path, entry, "concerns")
        graph.add((claim, DKG.concerns,
                   _value(ctx, ctx.properties["concerns"], value, plan.lang, path, entry,
                          "concerns", {})))

    reviewed = _review_claim(ctx, plan, claim, entry)
    asserted = (certainty == DKV["certainty-certain"] and polarity == DKV["polarity-positive"]
                and basis == DKV["evidence-direct-report"] and cue is None
                and speaker == plan.narrator and reviewed)
    for raw in _as_list(entry["about"]):
        ident = _require_str(raw, "about", path, entry, "about")
        defined = ctx.ids.get(ident)
        if defined is None or defined.iri not in thing_iris:
            raise _err(f"about: {ident!r} is not a known event, proposal, leg, membership, "
                       "relation or office", path, entry, "about")
        graph.add((claim, DKG.about, defined.iri))
        if asserted:
            graph.add((defined.iri, DKG.assertedBy, claim))
    return sentence_index
