"""The graph as a network: a networkx projection of the dataset, its views, and exports.

``project(dataset)`` turns the RDF dataset into a :class:`networkx.MultiDiGraph` built from the
quads themselves (rdflib's converter refuses a Dataset and drops graph names):

- nodes are the resources an analyst talks about: actors, places, events, exchange proposals
  and their legs, bilateral relations, and goods (SKOS concepts of ``dkv:goods``);
- edges are the object properties between them, in RDF direction (``event --initiator-->
  actor``), plus two binary things folded into edges: a delegation membership
  (``member --memberOf--> delegation``) and an office (``holder --office--> state``);
- every node and edge carries the modality of the claims behind it: ``certainty`` (strongest
  claim), ``fact`` (the thing has ``dkg:assertedBy``), ``hedged`` (a thing or edge that is not a
  plain fact of the narrator: speculation, inference, reported speech), ``source_type``,
  ``according_to`` (the speaker; ``source``/``target`` are the edge's ends in CSV),
  ``evidence`` (the quote), ``sentence``, ``hedge_cue``, ``claim``,
  ``article`` and ``graph`` (the named graph it comes from);
- and its review state: ``drafted`` (no person has reviewed any claim behind it: a machine
  draft; never a fact) with the extractor's ``confidence`` when given. Rejected claims are left
  out of the projection entirely (kept in the RDF for the audit trail).

All attribute values are str, int, float or bool, so GraphML, GEXF and CSV keep them.
Views (``full``, ``actors``, ``ego``, ``facts``) are pure functions of the projection and add
centrality figures (``degree``, ``degree_centrality``, ``betweenness``) to their nodes.
"""

from __future__ import annotations

import csv
import io
import random
from collections import defaultdict
from collections.abc import Iterable, Iterator
from itertools import combinations
from pathlib import Path

import networkx as nx
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.graph import ConjunctiveGraph
from rdflib.namespace import RDF, RDFS, SKOS
from rdflib.term import Node

from kg.errors import InputError
from kg.namespaces import DKG, DKR, DKV
from kg.quads import CompiledGraph
from kg.rdfio import atomic_write, parse_rdf_dataset

VIEWS = ("full", "actors", "ego", "facts")
EXPORT_FORMATS = ("graphml", "gexf", "csv")

#: node kinds, by root class (the ontology's subclass closure decides; the dict is the fallback)
KIND_ROOTS: dict[Node, str] = {
    DKG.Actor: "actor",
    DKG.Place: "place",
    DKG.Event: "event",
    DKG.ExchangeProposal: "proposal",
    DKG.ProposalLeg: "leg",
    DKG.BilateralRelation: "relation",
}
_FALLBACK_KIND: dict[Node, str] = {
    **{c: "actor" for c in (DKG.State, DKG.PoliticalLeader, DKG.Minister, DKG.MilitaryOfficial,
                            DKG.Spokesperson, DKG.Journalist, DKG.GovernmentBody, DKG.StateMedia,
                            DKG.Group, DKG.Delegation, DKG.Person, DKG.Organization)},
    **{c: "event" for c in (DKG.Visit, DKG.Departure, DKG.Arrival, DKG.Summit, DKG.Negotiation,
                            DKG.Welcome, DKG.TroopReview, DKG.PublicStatement, DKG.MediaCoverage,
                            DKG.JointMilitaryExercise, DKG.DiplomaticRecognition,
                            DKG.InternationalSupport, DKG.SatelliteLaunchAttempt, DKG.ArmsDeal,
                            DKG.Meeting, DKG.Ceremony)},
}
#: kinds that are claimed things (their modality comes from claims about them)
THING_KINDS = frozenset({"event", "proposal", "leg", "relation"})
CERTAINTY_RANK = {"certain": 3, "probable": 2, "possible": 1, "unknown": 0, "": -1}

#: inverse properties the data may carry twice; the projection keeps one direction
_SKIPPED_PREDICATES = frozenset({RDF.type, DKG.hasSubEvent, DKG.nextInSeries, DKG.holdsOffice,
                                 DKG.assertedBy})
#: properties not repeated in a node's ``details``
_NOT_DETAILS = frozenset({RDF.type, RDFS.label, SKOS.prefLabel, RDFS.isDefinedBy, SKOS.inScheme,
                          SKOS.notation})
#: roles that make an actor-to-actor relation in the ``actors`` view
SOURCE_ROLES = frozenset({"initiator", "visitor", "giver"})
TARGET_ROLES = frozenset({"target", "host", "recipient", "destination"})
MUTUAL_ROLES = frozenset({"participant", "party"})

#: the attributes every node / edge has (CSV columns, in this order)
MODALITY_FIELDS: tuple[str, ...] = (
    "certainty", "polarity", "basis", "fact", "hedged", "drafted", "confidence", "source_type",
    "source_types",
    "according_to", "according_to_fr", "evidential_basis", "evidence", "sentence", "hedge_cue",
    "claim", "claims", "all_claims", "article", "graph")
NODE_FIELDS: tuple[str, ...] = (
    "iri", "short_id", "kind", "cls", "label", "label_en", "label_fr", *MODALITY_FIELDS, "status",
    "cameo", "details", "degree", "degree_centrality", "betweenness")
EDGE_FIELDS: tuple[str, ...] = (
    "predicate", "label", "label_en", "label_fr", *MODALITY_FIELDS, "things", "count")



# ---------------------------------------------------------------------------- index


_RDF_TYPE = RDF.type  # a DefinedNamespace attribute costs ~1 µs: 1M lookups in the hot loop
_REJECTED = DKV["review-state-rejected"]


class _Index:
    """Subject -> predicate -> objects, and the named graph each subject is typed in."""

    def __init__(self) -> None:
        # lists, not sets (a set costs 216 bytes even for one value: ~200 MB at 1M triples);
        # a triple repeated in several graphs is deduplicated when read
        self.out: dict[Node, dict[URIRef, list[Node]]] = defaultdict(lambda: defaultdict(list))
        self.graph_of: dict[Node, str] = {}

    def add(self, s: Node, p: URIRef, o: Node, graph: str) -> None:
        self.out[s][p].append(o)
        if p == _RDF_TYPE:
            previous = self.graph_of.get(s)
            if previous is None or graph < previous:
                self.graph_of[s] = graph

    def objects(self, s: Node, p: URIRef) -> list[Node]:
        found = self.out.get(s)
        return sorted(set(found.get(p, ())), key=term_key) if found else []

    def first(self, s: Node, p: URIRef) -> Node | None:
        objs = self.objects(s, p)
        return objs[0] if objs else None


def term_key(term: Node) -> str:
    """A total, stable order over RDF terms (language and datatype included)."""
    return term.n3()


def _quads(dataset: Graph | CompiledGraph) -> Iterator[tuple[Node, URIRef, Node, str]]:
    if isinstance(dataset, CompiledGraph):  # what the build holds: no rdflib Dataset made
        yield from dataset.rdflib_quads()
    elif isinstance(dataset, Dataset | ConjunctiveGraph):
        for graph in dataset.graphs() if isinstance(dataset, Dataset) else dataset.contexts():
            name = "" if str(graph.identifier).startswith("urn:x-rdflib:") else str(graph.identifier)
            for s, p, o in graph:
                yield s, p, o, name  # type: ignore[misc]
    else:
        for s, p, o in dataset:
            yield s, p, o, ""  # type: ignore[misc]


def _index(dataset: Graph | CompiledGraph) -> _Index:
    idx = _Index()
    for s, p, o, g in _quads(dataset):
        if not isinstance(s, BNode):
            idx.add(s, p, o, g)  # type: ignore[arg-type]
    return idx


# ---------------------------------------------------------------------------- labels


def local_name(iri: str) -> str:
    """The last segment of an IRI (after ``#`` or ``/``)."""
    return iri.rstrip("/").rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def short_id(iri: str) -> str:
    """``https://w3id.org/diplo-kg/id/actor/russia`` -> ``actor/russia``; vocabulary concepts
    -> ``dkv:goods-arms``."""
    if iri.startswith(str(DKR)):
        return iri[len(str(DKR)):]
    if iri.startswith(str(DKV._NS)):
        return "dkv:" + iri[len(str(DKV._NS)):]
    return iri


def _labels(idx: _Index, node: Node) -> tuple[str, str]:
    """(English, French) label; each falls back to the other, then to the local name."""
    by_lang: dict[str, str] = {}
    for p in (SKOS.prefLabel, RDFS.label):
        for lit in idx.objects(node, p):
            if isinstance(lit, Literal):
                by_lang.setdefault(lit.language or "", str(lit))
    en = by_lang.get("en") or by_lang.get("") or by_lang.get("fr") or local_name(str(node))
    fr = by_lang.get("fr") or by_lang.get("") or en
    return en, fr


# ---------------------------------------------------------------------------- classes


def _superclasses(idx: _Index) -> dict[Node, set[Node]]:
    closure: dict[Node, set[Node]] = {}

    def up(cls: Node, seen: set[Node]) -> set[Node]:
        if cls in closure:
            return closure[cls]
        result = {cls}
        for parent in idx.objects(cls, RDFS.subClassOf):
            if parent not in seen:
                result |= up(parent, seen | {parent})
        closure[cls] = result
        return result

    for subject in list(idx.out):
        if idx.out[subject].get(RDFS.subClassOf):
            up(subject, {subject})
    return closure


def _kind(idx: _Index, node: Node, supers: dict[Node, set[Node]]) -> tuple[str, str]:
    """(kind, most specific class local name) of a resource, or ("", "")."""
    classes = [c for c in idx.objects(node, RDF.type) if str(c).startswith(str(DKG._NS))]
    if DKV.goods in idx.objects(node, SKOS.inScheme):
        return "goods", "Goods"
    for cls in sorted(classes, key=lambda c: -len(supers.get(c, {c}))):
        for ancestor in supers.get(cls, {cls}):
            if ancestor in KIND_ROOTS:
                return KIND_ROOTS[ancestor], local_name(str(cls))
        if cls in _FALLBACK_KIND:
            return _FALLBACK_KIND[cls], local_name(str(cls))
    return "", ""


# ---------------------------------------------------------------------------- claims


def _concept(iri: Node | None, prefix: str) -> str:
    """``dkv:certainty-possible`` -> ``possible``."""
    if iri is None:
        return ""
    name = local_name(str(iri))
    return name[len(prefix):] if name.startswith(prefix) else name


def _claim_record(idx: _Index, claim: Node, asserted: bool) -> dict[str, object]:
    anchor = idx.first(claim, DKG.hasEvidence)
    sentence_node = idx.first(anchor, DKG.inSentence) if anchor is not None else None
    sentence = idx.first(sentence_node, URIRef("http://persistence.uni-leipzig.org/nlp2rdf/"
                                               "ontologies/nif-core#anchorOf")) \
        if sentence_node is not None else None
    speaker = idx.first(claim, DKG.accordingTo)
    speaker_en, speaker_fr = _labels(idx, speaker) if speaker is not None else ("", "")
    quote = idx.first(claim, RDFS.label)
    cue = idx.first(claim, DKG.hedgeCue)
    article = idx.first(claim, DKG.inArticle)
    confidence = idx.first(claim, DKG.extractorConfidence)
    return {
        "certainty": _concept(idx.first(claim, DKG.certainty), "certainty-") or "unknown",
        "polarity": _concept(idx.first(claim, DKG.polarity), "polarity-"),
        "fact": asserted,
        "drafted": _concept(idx.first(claim, DKG.reviewState), "review-state-") != "reviewed",
        "confidence": str(confidence) if confidence is not None else "",
        "source_type": _concept(idx.first(claim, DKG.sourceType), "source-type-"),
        "according_to": speaker_en,
        "according_to_fr": speaker_fr,
        "evidential_basis": _concept(idx.first(claim, DKG.evidentialBasis), "evidence-"),
        "evidence": str(quote) if quote is not None else "",
        "sentence": str(sentence) if sentence is not None else (str(quote) if quote else ""),
        "hedge_cue": str(cue) if cue is not None else "",
        "claim": str(claim),
        "article": local_name(str(article)) if article is not None else "",
    }


def _strength(record: dict[str, object]) -> tuple[int, int, int, str]:
    return (CERTAINTY_RANK.get(str(record["certainty"]), 0), int(bool(record["fact"])),
            int(not record["drafted"]), int(record["polarity"] != "negative"), str(record["claim"]))


def _modality(idx: _Index, thing: Node, claims_about: dict[Node, list[Node]]) -> dict[str, object]:
    """The modality attributes of a thing: those of its strongest claim, and a summary."""
    asserted_by = set(idx.objects(thing, DKG.assertedBy))
    records = [_claim_record(idx, c, c in asserted_by) for c in claims_about.get(thing, [])]
    fact = bool(asserted_by)
    if not records:  # registry data (e.g. an office from entities.yaml): not a claim
        return _reference_modality(idx, thing)
    records.sort(key=_strength, reverse=True)
    best = records[0]
    drafted = all(bool(r["drafted"]) for r in records)  # no person reviewed any claim about it
    return {**best, "fact": fact, "hedged": not fact, "basis": "fact" if fact else "hedged",
            "drafted": drafted, "confidence": best["confidence"] if drafted else "",
            "source_types": " | ".join(sorted({str(r["source_type"]) for r in records} - {""})),
            "claims": len(records), "all_claims": "\n".join(_claim_line(r) for r in records),
            "graph": idx.graph_of.get(thing, "")}


def _claim_line(record: dict[str, object]) -> str:
    """One claim in a line: ``possible · journalist (speaker) · cue "pourrait": quote``."""
    parts = [str(record["certainty"])]
    if record["drafted"]:
        confidence = f", confidence {record['confidence']}" if record["confidence"] else ""
        parts.insert(0, f"machine draft, not reviewed{confidence}")
    if record["polarity"] == "negative":
        parts.append("negative")
    parts.append(f"{record['source_type']} ({record['according_to']})")
    if record["hedge_cue"]:
        parts.append(f"cue \u201c{record['hedge_cue']}\u201d")
    return " · ".join(parts) + f": {record['evidence']} [{record['article']}]"


def _reference_modality(idx: _Index, node: Node) -> dict[str, object]:
    """Modality of a node or edge that is reference data (registry, vocabulary), not a claim."""
    return {"certainty": "", "polarity": "", "basis": "reference", "fact": False, "hedged": False,
            "drafted": False, "confidence": "",
            "source_type": "reference", "source_types": "reference", "according_to": "",
            "according_to_fr": "",
            "evidential_basis": "", "evidence": "", "sentence": "", "hedge_cue": "", "claim": "",
            "claims": 0, "all_claims": "", "article": "", "graph": idx.graph_of.get(node, "")}


# ---------------------------------------------------------------------------- projection


def project(dataset: Graph | CompiledGraph) -> nx.MultiDiGraph:
    """The dataset (a CompiledGraph, Dataset, ConjunctiveGraph or Graph) as a networkx
    multigraph.

    Pure: reads the graph, returns a new MultiDiGraph whose nodes and edges are inserted in
    sorted order. A graph without any diplo-kg actor, event, proposal or goods (e.g. a
    CONSTRUCT result of bare triples) is projected generically: every IRI-to-IRI triple an edge.
    """
    idx = _index(dataset)
    supers = _superclasses(idx)
    kinds: dict[Node, tuple[str, str]] = {}
    for subject in idx.out:
        found = _kind(idx, subject, supers)
        if found[0]:
            kinds[subject] = found
    if not kinds:
        return _project_generic(idx)

    claims_about: dict[Node, list[Node]] = defaultdict(list)
    rejected_about: set[Node] = set()
    for subject, props in idx.out.items():
        if DKG.Claim in props.get(RDF.type, ()):
            rejected = _REJECTED in props.get(DKG.reviewState, ())
            for thing in props.get(DKG.about, ()):
                if rejected:  # a person refused it: kept in the RDF, out of every view
                    rejected_about.add(thing)
                else:
                    claims_about[thing].append(subject)
    for thing, claims in claims_about.items():
        claims_about[thing] = sorted(set(claims), key=term_key)
    for thing in rejected_about - claims_about.keys():
        kinds.pop(thing, None)  # nothing but rejected claims speak of it

    graph = nx.MultiDiGraph(view="full")
    modality: dict[Node, dict[str, object]] = {}
    for node in sorted(kinds, key=str):
        kind, cls = kinds[node]
        modality[node] = (_modality(idx, node, claims_about) if kind in THING_KINDS
                          else _reference_modality(idx, node))
        graph.add_node(str(node), **_node_attrs(idx, node, kind, cls, modality[node], kinds))

    edges: list[tuple[str, str, str, dict[str, object]]] = []
    for node in sorted(kinds, key=str):
        for predicate in sorted(idx.out[node]):
            if predicate in _SKIPPED_PREDICATES:
                continue
            for obj in idx.objects(node, predicate):
                if obj in kinds:
                    edges.append(_edge(idx, node, predicate, obj, modality))
    edges.extend(_folded_edges(idx, kinds, claims_about))
    for u, v, key, attrs in sorted(edges, key=lambda e: (e[0], e[2], e[1])):
        graph.add_edge(u, v, key=key, **attrs)
    return graph


def _node_attrs(idx: _Index, node: Node, kind: str, cls: str, modality: dict[str, object],
                kinds: dict[Node, tuple[str, str]]) -> dict[str, object]:
    en, fr = _labels(idx, node)
    details: list[str] = []
    status = cameo = ""
    for predicate in sorted(idx.out[node]):
        if predicate in _NOT_DETAILS or predicate in _SKIPPED_PREDICATES:
            continue
        values = [o for o in idx.objects(node, predicate) if o not in kinds]
        if not values:
            continue
        if predicate in (DKG.eventStatus, DKG.proposalStatus):
            prefix = "event-status-" if predicate == DKG.eventStatus else "proposal-status-"
            status = ", ".join(_concept(v, prefix) for v in values)
            continue
        if predicate == DKG.eventType:
            cameo = ", ".join(str(idx.first(v, SKOS.notation) or local_name(str(v))) for v in values)
            continue
        shown = sorted({_value_text(idx, v) for v in values})
        details.append(f"{local_name(str(predicate))}: {', '.join(shown)}")
    return {"iri": str(node), "short_id": short_id(str(node)), "kind": kind, "cls": cls,
            "label": en, "label_en": en, "label_fr": fr, **modality, "status": status,
            "cameo": cameo, "details": " | ".join(details)}


def _value_text(idx: _Index, value: Node) -> str:
    if isinstance(value, Literal):
        return str(value)
    en, _ = _labels(idx, value)
    return en


def _edge_labels(idx: _Index, predicate: URIRef) -> tuple[str, str]:
    if idx.out.get(predicate):
        return _labels(idx, predicate)
    name = local_name(str(predicate))
    return name, name


def _edge(idx: _Index, subject: Node, predicate: URIRef, obj: Node,
          modality: dict[Node, dict[str, object]]) -> tuple[str, str, str, dict[str, object]]:
    en, fr = _edge_labels(idx, predicate)
    attrs = dict(modality[subject])
    target = modality[obj]
    if target["hedged"] and target["basis"] != "reference" and not attrs["hedged"]:
        # an edge into a hedged thing is hidden with it: it counts as hedged too
        attrs["hedged"] = True
        attrs["basis"] = "hedged"
    if target["drafted"] and not attrs["drafted"]:  # likewise into a machine draft
        attrs["drafted"] = True
    attrs["graph"] = idx.graph_of.get(subject, "")
    return (str(subject), str(obj), local_name(str(predicate)),
            {"predicate": str(predicate), "label": en, "label_en": en, "label_fr": fr, **attrs,
             "things": "", "count": 1})


def _folded_edges(idx: _Index, kinds: dict[Node, tuple[str, str]],
                  claims_about: dict[Node, list[Node]]) -> list[tuple[str, str, str, dict[str, object]]]:
    """Memberships and offices as one edge each, with the modality of their claims."""
    folded = []
    for thing in sorted(idx.out, key=str):
        types = idx.out[thing].get(RDF.type, ())
        if DKG.DelegationMembership in types:
            source, target, key = idx.first(thing, DKG.member), idx.first(thing, DKG.ofDelegation), \
                "memberOf"
            role = idx.first(thing, DKG.membershipRole)
            suffix = f" ({_concept(role, 'role-')})" if role is not None else ""
            en, fr = "member of" + suffix, "membre de" + suffix
        elif DKG.Office in types:
            source, target, key = idx.first(thing, DKG.heldBy), idx.first(thing, DKG.officeOf), \
                "office"
            en, fr = _labels(idx, thing)
        else:
            continue
        if source not in kinds or target not in kinds:
            continue
        attrs = _modality(idx, thing, claims_about)
        attrs["graph"] = idx.graph_of.get(thing, "")
        folded.append((str(source), str(target), key,
                       {"predicate": str(thing), "label": en, "label_en": en, "label_fr": fr,
                        **attrs, "things": en, "count": 1}))
    return folded


def _project_generic(idx: _Index) -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph(view="full")
    nodes: set[Node] = set()
    triples = []
    for subject, props in idx.out.items():
        for predicate, objs in props.items():
            if predicate == RDF.type:
                continue
            for obj in set(objs):
                if isinstance(obj, URIRef):
                    nodes |= {subject, obj}
                    triples.append((subject, predicate, obj))
    for node in sorted(nodes, key=str):
        en, fr = _labels(idx, node)
        types = idx.objects(node, RDF.type)
        graph.add_node(str(node), iri=str(node), short_id=short_id(str(node)), kind="other",
                       cls=local_name(str(types[0])) if types else "", label=en, label_en=en,
                       label_fr=fr, **_reference_modality(idx, node), status="", cameo="",
                       details="")
    for subject, predicate, obj in sorted(triples, key=lambda t: (str(t[0]), str(t[1]), str(t[2]))):
        en, fr = _edge_labels(idx, predicate)
        graph.add_edge(str(subject), str(obj), key=local_name(str(predicate)),
                       predicate=str(predicate), label=en, label_en=en, label_fr=fr,
                       **_reference_modality(idx, subject), things="", count=1)
    return graph


# ---------------------------------------------------------------------------- views


def view(graph: nx.MultiDiGraph, name: str, actor: str | None = None) -> nx.MultiDiGraph:
    """One view of a projection, with centrality figures on its nodes. Pure (returns a copy).

    ``full``: everything; ``actors``: actors only, one edge per related pair summarising the
    things that relate them (strongest certainty); ``ego``: an actor and everything within two
    steps of it (``actor`` = IRI, ``actor/<id>`` or ``<id>``); ``facts``: asserted facts and
    reference data only.
    """
    if name == "full":
        result = graph.copy()
    elif name == "actors":
        result = actor_graph(graph)
    elif name == "facts":
        result = facts_graph(graph)
    elif name == "ego":
        if not actor:
            raise InputError("the ego view needs an actor (--actor ID)")
        result = ego_graph(graph, resolve_node(graph, actor))
    else:
        raise InputError(f"unknown view {name!r}; choose one of {', '.join(VIEWS)}")
    result.graph["view"] = name
    add_centrality(result)
    return result


def resolve_node(graph: nx.MultiDiGraph, ref: str) -> str:
    """A node id from an IRI, a short id (``actor/russia``) or a bare id (``russia``)."""
    if ref in graph:
        return ref
    for candidate in (str(DKR) + ref, f"{DKR}actor/{ref}"):
        if candidate in graph:
            return candidate
    raise InputError(f"no node {ref!r} in the graph (try an id such as actor/russia)")


def _sorted_subgraph(graph: nx.MultiDiGraph, nodes: Iterable[str],
                     edges: Iterable[tuple[str, str, str]]) -> nx.MultiDiGraph:
    result = nx.MultiDiGraph(**graph.graph)
    for node in sorted(nodes):
        result.add_node(node, **graph.nodes[node])
    for u, v, key in sorted(edges):
        result.add_edge(u, v, key=key, **graph.edges[u, v, key])
    return result


def facts_graph(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """Asserted facts and reference edges; hedged things and edges removed, then isolates."""
    edges = [(u, v, k) for u, v, k, hedged in graph.edges(keys=True, data="hedged", default=False)
             if not hedged and not graph.nodes[u].get("hedged") and not graph.nodes[v].get("hedged")]
    nodes = {n for e in edges for n in e[:2]}
    return _sorted_subgraph(graph, nodes, edges)


def ego_graph(graph: nx.MultiDiGraph, centre: str, radius: int = 2) -> nx.MultiDiGraph:
    """The centre and every node within ``radius`` steps (either direction)."""
    nodes = set(nx.single_source_shortest_path_length(graph.to_undirected(as_view=True), centre,
                                                      cutoff=radius))
    edges = [(u, v, k) for u, v, k in graph.edges(keys=True) if u in nodes and v in nodes]
    result = _sorted_subgraph(graph, nodes, edges)
    result.graph["ego"] = centre
    return result


def actor_graph(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """Who relates to whom: actor-to-actor edges summarising the things that link them.

    A thing links its source-role actors (initiator, visitor, giver) to its target-role actors
    (target, host, recipient, destination), and its mutual-role actors (participant, party)
    pairwise. One edge per pair carries the strongest certainty, the list of things, their
    count, and ``hedged`` only if every thing behind it is hedged. Direct actor-to-actor edges
    (membership, office, represents, ...) are kept as they are.
    """
    actors = {n for n, kind in graph.nodes(data="kind") if kind == "actor"}
    pairs: dict[tuple[str, str], list[str]] = defaultdict(list)
    mutual_pairs: set[tuple[str, str]] = set()
    for thing, kind in graph.nodes(data="kind"):
        if kind not in THING_KINDS:
            continue
        roles: dict[str, set[str]] = defaultdict(set)
        for _, target, key in graph.out_edges(thing, keys=True):
            if target in actors:
                roles[key].add(target)
        sources = set().union(*(roles[r] for r in SOURCE_ROLES))
        targets = set().union(*(roles[r] for r in TARGET_ROLES))
        mutual = set().union(*(roles[r] for r in MUTUAL_ROLES))
        for a in sorted(sources):
            for b in sorted(targets - {a}):
                pairs[(a, b)].append(thing)
        for a, b in combinations(sorted(mutual | (sources if not targets else set())), 2):
            pairs[(a, b)].append(thing)
            mutual_pairs.add((a, b))

    result = nx.MultiDiGraph(**graph.graph)
    edges: list[tuple[str, str, str, dict[str, object]]] = []
    for (a, b), things in pairs.items():
        edges.append((a, b, "relates", _summary_edge(graph, things, (a, b) in mutual_pairs)))
    for u, v, key, data in graph.edges(keys=True, data=True):
        if u in actors and v in actors:
            edges.append((u, v, key, dict(data)))
    linked = {n for e in edges for n in e[:2]}
    for node in sorted(linked):
        result.add_node(node, **graph.nodes[node])
    for u, v, key, data in sorted(edges, key=lambda e: (e[0], e[2], e[1])):
        result.add_edge(u, v, key=key, **data)
    return result


def _summary_edge(graph: nx.MultiDiGraph, things: list[str], mutual: bool) -> dict[str, object]:
    nodes = sorted({t: graph.nodes[t] for t in things}.items(),
                   key=lambda item: (-CERTAINTY_RANK.get(str(item[1]["certainty"]), 0),
                                     not item[1]["fact"], item[0]))
    best = nodes[0][1]
    labels_en = [str(d["label_en"]) for _, d in nodes]
    labels_fr = [str(d["label_fr"]) for _, d in nodes]
    count = len(nodes)
    more = f" +{count - 1}" if count > 1 else ""
    source_types: set[str] = set()
    for _, d in nodes:
        source_types |= set(str(d.get("source_types", "")).split(" | ")) - {""}
    hedged = all(bool(d["hedged"]) for _, d in nodes)
    drafted = all(bool(d.get("drafted")) for _, d in nodes)
    return {
        "predicate": "", "label": labels_en[0] + more, "label_en": labels_en[0] + more,
        "label_fr": labels_fr[0] + more,
        **{f: best.get(f, "") for f in MODALITY_FIELDS},
        "fact": any(bool(d["fact"]) for _, d in nodes), "hedged": hedged, "drafted": drafted,
        "confidence": best.get("confidence", "") if drafted else "",
        "basis": "hedged" if hedged else "fact", "source_types": " | ".join(sorted(source_types)),
        "claims": sum(int(d.get("claims", 0)) for _, d in nodes),
        "things": " | ".join(labels_en), "things_fr": " | ".join(labels_fr),
        "thing_ids": " | ".join(t for t, _ in nodes), "count": count, "mutual": mutual,
    }


#: above this many nodes, betweenness is estimated from the shortest paths of BETWEENNESS_PIVOTS
#: sampled source nodes (Brandes & Pich 2007; seeded): exact betweenness is O(nodes × edges),
#: 80 s at 34k nodes and 92k edges, the estimate under a second
EXACT_BETWEENNESS_MAX_NODES = 5_000
BETWEENNESS_PIVOTS = 500
BETWEENNESS_SEED = 7


def add_centrality(graph: nx.MultiDiGraph) -> None:
    """Degree, degree centrality and betweenness on every node (in place); see
    :func:`centrality`. ``graph.graph["betweenness_method"]`` says how betweenness was got."""
    values, method = centrality(graph)
    for node, figures in values.items():
        graph.nodes[node].update(figures)
    if values:
        graph.graph["betweenness_method"] = method


def centrality(graph: nx.MultiDiGraph) -> tuple[dict[str, dict[str, int | float]], str]:
    """Per node: ``degree``, ``degree_centrality`` and ``betweenness``; and the method.

    Both centralities are those of networkx on the simple undirected graph (normalised),
    computed by igraph in C: networkx' betweenness takes seconds at a few thousand nodes.
    Betweenness is exact up to :data:`EXACT_BETWEENNESS_MAX_NODES` nodes and estimated from
    sampled pivots above. Reads the graph only.
    """
    import igraph

    nodes = list(graph.nodes)
    n = len(nodes)
    if n == 0:
        return {}, ""
    index = {node: i for i, node in enumerate(nodes)}
    pairs = sorted({(min(index[u], index[v]), max(index[u], index[v]))
                    for u, v in graph.edges() if u != v})
    simple = igraph.Graph(n=n, edges=pairs)
    if n <= EXACT_BETWEENNESS_MAX_NODES:
        between = simple.betweenness(directed=False)
        method = "exact"
    else:
        pivots = random.Random(BETWEENNESS_SEED).sample(range(n), BETWEENNESS_PIVOTS)
        between = [b * n / BETWEENNESS_PIVOTS
                   for b in simple.betweenness(directed=False, sources=pivots)]
        method = f"estimated from {BETWEENNESS_PIVOTS} sampled pivots"
    degrees = simple.degree()
    scale = 2.0 / ((n - 1) * (n - 2)) if n > 2 else 0.0
    return {node: {"degree": int(graph.degree(node)),
                   "degree_centrality": round(degrees[i] / (n - 1), 4) if n > 1 else 0.0,
                   "betweenness": round(float(between[i]) * scale, 4)}
            for i, node in enumerate(nodes)}, method


# ---------------------------------------------------------------------------- exports


def _export_copy(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A copy with only str/int/float/bool attribute values (what GraphML and GEXF accept)."""
    result = nx.MultiDiGraph()
    result.graph.update({k: _scalar(v) for k, v in sorted(graph.graph.items())})
    for node, data in graph.nodes(data=True):
        result.add_node(node, **{k: _scalar(v) for k, v in data.items()})
    for u, v, key, data in graph.edges(keys=True, data=True):
        result.add_edge(u, v, key=key, **{k: _scalar(v) for k, v in data.items()})
    return result


def _scalar(value: object) -> str | int | float | bool:
    if isinstance(value, bool | int | float | str):
        return value
    if value is None:
        return ""
    if isinstance(value, list | tuple | set):
        return " | ".join(sorted(str(v) for v in value))
    return str(value)


def to_graphml(graph: nx.MultiDiGraph) -> str:
    """GraphML text (node and edge attributes kept; edge ids are the property names)."""
    return "\n".join(nx.generate_graphml(_export_copy(graph), named_key_ids=True)) + "\n"


def to_gexf(graph: nx.MultiDiGraph) -> str:
    """GEXF 1.2 text for Gephi."""
    return "\n".join(nx.generate_gexf(_export_copy(graph))) + "\n"


def _columns(preferred: tuple[str, ...], rows: list[dict[str, object]]) -> list[str]:
    seen = set(preferred)
    extra = sorted({k for row in rows for k in row} - seen)
    return [c for c in preferred if any(c in row for row in rows)] + extra


def to_csv(graph: nx.MultiDiGraph) -> dict[str, str]:
    """``{"nodes.csv": ..., "edges.csv": ...}``: one row per node / edge, one column per
    attribute (certainty, source_type, source, evidence ... as columns)."""
    node_rows = [{"node": n, **{k: _scalar(v) for k, v in d.items()}}
                 for n, d in graph.nodes(data=True)]
    edge_rows = [{"source": u, "target": v, "key": k, **{a: _scalar(x) for a, x in d.items()}}
                 for u, v, k, d in graph.edges(keys=True, data=True)]
    return {"nodes.csv": _write_csv(_columns(("node", *NODE_FIELDS), node_rows), node_rows),
            "edges.csv": _write_csv(_columns(("source", "target", "key", *EDGE_FIELDS), edge_rows),
                                    edge_rows)}


def _write_csv(columns: list[str], rows: list[dict[str, object]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in columns})
    return buffer.getvalue()


def export(graph: nx.MultiDiGraph, fmt: str) -> dict[str, str]:
    """The projection in ``fmt`` as {file name suffix: text}; csv gives two files."""
    if fmt == "graphml":
        return {"": to_graphml(graph)}
    if fmt == "gexf":
        return {"": to_gexf(graph)}
    if fmt == "csv":
        return to_csv(graph)
    raise InputError(f"unknown export format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}")


# ---------------------------------------------------------------------------- file edges


def load_view(graph_file: Path, name: str = "full", actor: str | None = None) -> nx.MultiDiGraph:
    """Parse an RDF file (TriG, N-Quads, Turtle...) strictly, project it and take a view."""
    return view(project(parse_rdf_dataset(graph_file)), name, actor)


def export_files(out: Path, fmt: str, files: dict[str, str]) -> list[Path]:
    """Where :func:`export` output goes: ``out`` itself for graphml/gexf; for csv, ``out`` is
    a folder receiving nodes.csv and edges.csv, or ``x.csv`` gives ``x.nodes.csv`` and
    ``x.edges.csv``."""
    if fmt != "csv":
        return [out]
    if out.suffix == ".csv":
        return [out.with_name(f"{out.stem}.{name}") for name in files]
    return [out / name for name in files]


def export_view(graph_file: Path, out: Path, fmt: str, name: str = "full",
                actor: str | None = None) -> list[Path]:
    """``kg export``: write one view of the graph in ``fmt``; return the files written."""
    files = export(load_view(graph_file, name, actor), fmt)
    paths = export_files(out, fmt, files)
    for path, text in zip(paths, files.values(), strict=True):
        atomic_write(path, text)
    return paths
