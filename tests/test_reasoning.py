"""The ontology is logically sound: its OWL-RL closure with the seed data raises no inconsistency,
and (slow, needs Java) HermiT finds ontology + data consistent in OWL 2 DL.

Both reasoners are also shown to have teeth: the same check fails when a disjointness axiom of
the ontology is broken on purpose."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterable
from pathlib import Path

import owlrl
import pytest
from rdflib import RDF, Dataset, Graph, Literal, URIRef
from rdflib.namespace import OWL, XSD

from kg.build import BuiltGraph
from kg.compile import load_ontology
from kg.namespaces import DKG, DKR
from kg.validate import data_graph
from tests.conftest import ONTOLOGY

ERROR_MESSAGE = URIRef("http://www.daml.org/2002/03/agents/agent-ont#ErrorMessage")
ERROR_TEXT = URIRef("http://www.daml.org/2002/03/agents/agent-ont#error")
INFERRED = URIRef("urn:x-diplo-kg:inferred")

#: owlrl 7.6 reads the source through the Dataset API that rdflib 7.6 deprecates (third-party, unavoidable:
#: owlrl needs source and destination in one store, i.e. a Dataset)
pytestmark = pytest.mark.filterwarnings(
    "ignore:Dataset.default_context is deprecated:DeprecationWarning")

#: datatypes of our data that are not in the OWL 2 datatype map (OWL 2 Syntax, section 4): HermiT
#: refuses them. Dates are checked by the compiler and by SHACL, not by the DL reasoner.
NOT_OWL2_DATATYPES = (XSD.date, XSD.gYear, XSD.gYearMonth)


def owlrl_closure(*graphs: Iterable) -> tuple[Graph, list[str], float]:
    """OWL-RL closure of the union of ``graphs``, inferred triples written to a separate graph."""
    dataset = Dataset(default_union=True)
    for index, triples in enumerate(graphs):
        named = dataset.graph(URIRef(f"urn:x-diplo-kg:input-{index}"))
        for triple in triples:
            named.add(triple)
    start = time.perf_counter()
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(dataset, destination=dataset.graph(INFERRED))
    elapsed = time.perf_counter() - start
    inferred = dataset.graph(INFERRED)
    errors = sorted(str(inferred.value(m, ERROR_TEXT)) for m in inferred.subjects(RDF.type, ERROR_MESSAGE))
    union = Graph()
    for triple in dataset.triples((None, None, None)):
        union.add(triple)
    return union, errors, elapsed


@pytest.fixture(scope="module")
def closure(built: BuiltGraph) -> tuple[Graph, list[str], float, int]:
    data = data_graph(built.dataset)
    assert len(data) > 500, "the seed data is missing"
    union, errors, elapsed = owlrl_closure(built.ontology, data)
    inferred = len(union) - len(built.ontology | data)
    print(f"\nOWL-RL closure of {len(built.ontology)} ontology + {len(data)} data triples: "
          f"{elapsed:.1f} s, {inferred} triples inferred, {len(errors)} inconsistencies")
    return union, errors, elapsed, inferred


def test_owlrl_closure_of_ontology_and_seed_raises_no_inconsistency(closure: tuple) -> None:
    _union, errors, _elapsed, inferred = closure
    assert errors == []
    assert inferred > 0


def test_nothing_is_inferred_to_be_owl_nothing(closure: tuple) -> None:
    union = closure[0]
    assert list(union.subjects(RDF.type, OWL.Nothing)) == []


def test_no_individual_is_both_same_as_and_different_from_another(closure: tuple) -> None:
    union = closure[0]
    clashes = [(s, o) for s, o in union.subject_objects(OWL.sameAs)
               if s != o and ((s, OWL.differentFrom, o) in union or (o, OWL.differentFrom, s) in union)]
    assert clashes == []


def test_the_closure_uses_the_declared_inverse_pairs(closure: tuple) -> None:
    """dkg:subEventOf / dkg:hasSubEvent are declared inverses: the reasoner fills in the other."""
    union = closure[0]
    pairs = list(union.subject_objects(DKG.subEventOf))
    assert pairs, "the seed has sub-events"
    assert all((whole, DKG.hasSubEvent, part) in union for part, whole in pairs)


def test_the_closure_types_actors_as_prov_agents(closure: tuple) -> None:
    """The PROV-O alignment is by subclass: every actor is a prov:Agent after reasoning."""
    from rdflib.namespace import PROV

    union = closure[0]
    actors = set(union.subjects(RDF.type, DKG.Actor))
    assert actors and all((a, RDF.type, PROV.Agent) in union for a in actors)


@pytest.mark.parametrize("bad_triples, clash", [
    ([(DKR["claim/x/c1"], RDF.type, DKG.Claim), (DKR["claim/x/c1"], RDF.type, DKG.Visit)],
     "Disjoint classes"),
    ([(DKR["actor/x"], RDF.type, DKG.Spokesperson), (DKR["actor/x"], RDF.type, DKG.StateMedia)],
     "Disjoint classes"),
    ([(DKR["actor/a"], OWL.sameAs, DKR["actor/b"]), (DKR["actor/a"], OWL.differentFrom, DKR["actor/b"])],
     "sameAs"),
])
def test_owlrl_reports_a_broken_disjointness_or_identity(bad_triples: list, clash: str) -> None:
    _union, errors, _elapsed = owlrl_closure(load_ontology(ONTOLOGY), bad_triples)
    assert errors and clash in errors[0], errors


# ---------------------------------------------------------------------------- OWL 2 DL (HermiT)


def _dl_ready(triples: Iterable) -> Graph:
    graph = Graph()
    for s, p, o in triples:
        if isinstance(o, Literal) and o.datatype in NOT_OWL2_DATATYPES:
            o = Literal(str(o))
        graph.add((s, p, o))
    return graph


def _hermit(graph: Graph, tmp_path: Path) -> tuple[bool, float]:
    owlready2 = pytest.importorskip("owlready2", reason="owlready2 (test extra) is not installed")
    path = tmp_path / "ontology-and-data.nt"
    path.write_text(graph.serialize(format="nt"), encoding="utf-8")
    world = owlready2.World()
    world.get_ontology(path.as_uri()).load(format="ntriples")
    start = time.perf_counter()
    try:
        owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    except owlready2.OwlReadyInconsistentOntologyError:
        return False, time.perf_counter() - start
    assert list(world.inconsistent_classes()) == []
    return True, time.perf_counter() - start


needs_java = pytest.mark.skipif(shutil.which("java") is None,
                                reason="HermiT (shipped by owlready2) needs a Java runtime")


@pytest.mark.slow
@needs_java
def test_hermit_finds_ontology_and_seed_consistent(built: BuiltGraph, tmp_path: Path) -> None:
    graph = _dl_ready([*built.ontology, *data_graph(built.dataset)])
    consistent, elapsed = _hermit(graph, tmp_path)
    print(f"\nHermiT on {len(graph)} triples: {'consistent' if consistent else 'INCONSISTENT'} "
          f"in {elapsed:.1f} s")
    assert consistent


@pytest.mark.slow
@needs_java
def test_hermit_finds_a_claim_that_is_an_event_inconsistent(tmp_path: Path) -> None:
    claim = DKR["claim/x/c1"]
    graph = _dl_ready([*load_ontology(ONTOLOGY), (claim, RDF.type, DKG.Claim),
                       (claim, RDF.type, DKG.Summit)])
    consistent, _elapsed = _hermit(graph, tmp_path)
    assert not consistent


def test_seed_dates_are_the_only_literals_outside_the_owl2_datatype_map(built: BuiltGraph) -> None:
    """Pins why the DL check rewrites some literals: only xsd:date/gYear/gYearMonth are outside
    the OWL 2 datatype map, and they occur (the reasoner test would otherwise be vacuous here)."""
    owl2 = {XSD.string, XSD.integer, XSD.nonNegativeInteger, XSD.decimal, XSD.boolean, XSD.anyURI,
            XSD.dateTime, RDF.langString, None}
    datatypes = {o.datatype for o in [*built.ontology.objects(), *data_graph(built.dataset).objects()]
                 if isinstance(o, Literal)}
    outside = datatypes - owl2
    assert outside and outside <= set(NOT_OWL2_DATATYPES)
