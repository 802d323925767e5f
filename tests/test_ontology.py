"""The ontology and vocabularies as an ontology engineer reviews them: header, house style,
alignments, no hard domain/range, inverse pairs, CAMEO/PLOVER table, the compiler's conventions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, SKOS, TIME, VANN

from kg.compile import load_ontology
from kg.namespaces import DKG, DKV, GRASP, NIF, ONTOLOGY_IRI, SCHEMA, SEM, VOCAB_IRI
from kg.rdfio import parse_rdf_file
from tests.conftest import ONTOLOGY

FOAF = "http://xmlns.com/foaf/0.1/"
ORG = "http://www.w3.org/ns/org#"


@pytest.fixture(scope="module")
def onto() -> Graph:
    return load_ontology(ONTOLOGY)


def own_terms(graph: Graph, ns: str) -> set[URIRef]:
    return {s for s in graph.subjects(RDF.type, None) if isinstance(s, URIRef) and str(s).startswith(ns)
            and (s, RDF.type, OWL.Ontology) not in graph}


def own_properties(graph: Graph) -> set[URIRef]:
    return {p for kind in (OWL.ObjectProperty, OWL.DatatypeProperty)
            for p in graph.subjects(RDF.type, kind) if str(p).startswith(str(DKG._NS))}


@pytest.mark.parametrize("iri, prefix, ns", [(ONTOLOGY_IRI, "dkg", str(DKG._NS)),
                                              (VOCAB_IRI, "dkv", str(DKV._NS))])
def test_the_header_is_complete(onto: Graph, iri: URIRef, prefix: str, ns: str) -> None:
    for prop in (DCTERMS.title, DCTERMS.description, DCTERMS.license, DCTERMS.creator, DCTERMS.created,
                 OWL.versionIRI, OWL.versionInfo):
        assert onto.value(iri, prop) is not None, prop
    assert {t.language for t in onto.objects(iri, DCTERMS.title)} == {"en", "fr"}
    assert str(onto.value(iri, VANN.preferredNamespacePrefix)) == prefix
    assert str(onto.value(iri, VANN.preferredNamespaceUri)) == ns
    assert str(onto.value(iri, OWL.versionIRI)).endswith(str(onto.value(iri, OWL.versionInfo)))


@pytest.mark.parametrize("iri", [ONTOLOGY_IRI, VOCAB_IRI])
def test_the_deprecation_policy_is_stated(onto: Graph, iri: URIRef) -> None:
    comments = " ".join(str(c) for c in onto.objects(iri, RDFS.comment))
    assert "Deprecation policy" in comments and "owl:deprecated" in comments
    assert "isReplacedBy" in comments


def test_no_owl_imports_that_would_need_the_network(onto: Graph) -> None:
    assert list(onto.objects(None, OWL.imports)) == []


def test_no_blank_node_so_exports_stay_deterministic() -> None:
    for name in ("diplo.ttl", "vocab.ttl"):
        graph = parse_rdf_file(ONTOLOGY / name)
        assert not [t for t in graph if any(isinstance(x, BNode) for x in t)], name


@pytest.mark.parametrize("ns, defined_by", [(str(DKG._NS), ONTOLOGY_IRI), (str(DKV._NS), VOCAB_IRI)])
def test_every_own_term_has_bilingual_label_definition_and_defined_by(onto: Graph, ns: str,
                                                                      defined_by: URIRef) -> None:
    terms = own_terms(onto, ns)
    assert len(terms) > 50
    for term in sorted(terms):
        langs = sorted(label.language for label in onto.objects(term, RDFS.label))
        assert langs == ["en", "fr"], term
        assert onto.value(term, SKOS.definition) is not None, term
        assert onto.value(term, RDFS.isDefinedBy) == defined_by, term


def test_no_hard_domain_or_range_only_documentation(onto: Graph) -> None:
    props = own_properties(onto)
    assert len(props) > 40
    for prop in sorted(props):
        assert onto.value(prop, RDFS.domain) is None and onto.value(prop, RDFS.range) is None, prop
        assert onto.value(prop, SCHEMA.domainIncludes) is not None, prop
        assert onto.value(prop, SCHEMA.rangeIncludes) is not None, prop


def test_inverse_pairs_are_declared_both_ways(onto: Graph) -> None:
    pairs = set(onto.subject_objects(OWL.inverseOf))
    assert {(DKG.subEventOf, DKG.hasSubEvent), (DKG.previousInSeries, DKG.nextInSeries),
            (DKG.heldBy, DKG.holdsOffice)} <= pairs
    assert all((b, a) in pairs for a, b in pairs)


def test_top_level_kinds_are_pairwise_disjoint(onto: Graph) -> None:
    tops = [DKG.Actor, DKG.Event, DKG.Claim, DKG.Place, DKG.Office, DKG.ExchangeProposal, DKG.ProposalLeg,
            DKG.DelegationMembership, DKG.BilateralRelation]
    for i, a in enumerate(tops):
        for b in tops[i + 1:]:
            assert (a, OWL.disjointWith, b) in onto or (b, OWL.disjointWith, a) in onto, (a, b)


def test_every_class_is_aligned_to_an_external_vocabulary(onto: Graph) -> None:
    """Reuse before minting: each class specialises (transitively) a PROV-O, SEM, schema.org, FOAF
    or ORG class."""
    external = (str(PROV), str(SEM), str(SCHEMA), FOAF, ORG)
    classes = [c for c in onto.subjects(RDF.type, OWL.Class) if str(c).startswith(str(DKG._NS))]
    assert len(classes) > 30
    for cls in classes:
        supers = set(onto.transitive_objects(cls, RDFS.subClassOf))
        assert any(str(s).startswith(external) for s in supers), cls


@pytest.mark.parametrize("ns", [str(PROV), str(SEM), str(SCHEMA), FOAF, ORG, str(NIF), str(TIME),
                                str(GRASP), str(SKOS)])
def test_each_reused_vocabulary_is_actually_referenced(onto: Graph, ns: str) -> None:
    assert any(str(o).startswith(ns) for o in onto.objects() if isinstance(o, URIRef)), ns


def test_alignment_subproperties_do_not_retype_non_events_as_events(onto: Graph) -> None:
    """sem:hasActor has domain sem:Event: dkg:party (used on proposals and bilateral relations) must
    not be a sub-property of it, or loading SEM would make every proposal a sem:Event."""
    assert SEM.hasActor not in set(onto.transitive_objects(DKG.party, RDFS.subPropertyOf))
    assert (DKG.party, SKOS.relatedMatch, SEM.hasActor) in onto


def test_grasp_mappings_use_the_iris_newsreader_writes(onto: Graph) -> None:
    """Regression: vocab.ttl mapped polarity to grasp:POSITIVE/NEGATIVE, which GRaSP data never
    uses; NewsReader writes grasp:POS, grasp:NEG, grasp:FUTURE, grasp:NON_FUTURE, grasp:PAST."""
    mapped = {str(o)[len(str(GRASP)):] for o in onto.objects() if str(o).startswith(str(GRASP))}
    assert {"CERTAIN", "PROBABLE", "POSSIBLE", "POS", "NEG", "FUTURE", "NON_FUTURE", "PAST"} <= mapped
    assert not mapped & {"POSITIVE", "NEGATIVE", "NONFUTURE"}


# ---------------------------------------------------------------------------- vocabularies


def test_every_concept_iri_is_its_scheme_dash_its_notation(onto: Graph) -> None:
    """The compiler turns `certainty: possible` into dkv:certainty-possible; this is that convention."""
    concepts = list(onto.subjects(RDF.type, SKOS.Concept))
    assert len(concepts) > 80
    for concept in concepts:
        (scheme,) = list(onto.objects(concept, SKOS.inScheme))
        assert (scheme, RDF.type, SKOS.ConceptScheme) in onto
        assert str(concept) == f"{scheme}-{str(onto.value(concept, SKOS.notation)).lower()}", concept


def test_every_scheme_a_property_draws_from_exists_and_has_top_concepts(onto: Graph) -> None:
    for prop, scheme in onto.subject_objects(DKG.valuesFrom):
        assert (scheme, RDF.type, SKOS.ConceptScheme) in onto, prop
        assert list(onto.subjects(SKOS.topConceptOf, scheme)), scheme
    for concept in onto.subjects(RDF.type, SKOS.Concept):
        top = onto.value(concept, SKOS.topConceptOf) is not None
        assert top != (onto.value(concept, SKOS.broader) is not None), concept


#: DOMAIN.md's table: CAMEO code -> (Goldstein score or None if not given there, PLOVER type or
#: None, PLOVER mode or None, PLOVER context or None)
CAMEO_TABLE = {
    "010": (None, None, None, None),
    "011": (None, None, None, None),
    "036": (Decimal("4.0"), "agree", None, None),
    "0312": (None, "agree", None, "military"),
    "0331": (None, "agree", None, "economic"),
    "0332": (Decimal("5.2"), "agree", None, "military"),
    "0333": (None, "agree", None, "humanitarian"),
    "042": (Decimal("1.9"), "consult", "visit", None),
    "043": (Decimal("2.8"), "consult", "visit", None),
    "044": (None, "consult", "third-party", None),
    "054": (None, "support", None, "diplomatic"),
    "057": (Decimal("8.0"), "support", None, "diplomatic"),
    "061": (None, "cooperate", None, "economic"),
    "062": (Decimal("7.4"), "cooperate", None, "military"),
    "071": (None, "aid", None, "economic"),
    "072": (Decimal("8.3"), "aid", None, "military"),
    "073": (None, "aid", None, "humanitarian"),
    "0231": (None, "request", "assist", "economic"),
    "0232": (None, "request", "assist", "military"),
    "0233": (None, "request", "assist", "humanitarian"),
    "163": (None, "coerce", None, None),
}


@pytest.mark.parametrize("code", sorted(CAMEO_TABLE))
def test_cameo_code_matches_the_domain_table(onto: Graph, code: str) -> None:
    concept = DKV[f"cameo-{code}"]
    goldstein, plover, mode, context = CAMEO_TABLE[code]
    assert str(onto.value(concept, SKOS.notation)) == code
    score = onto.value(concept, DKG.goldsteinScore)
    assert isinstance(score, Literal) and Decimal(-10) <= score.toPython() <= Decimal(10)
    if goldstein is not None:
        assert score.toPython() == goldstein
    matches = set(onto.objects(concept, SKOS.closeMatch))
    assert matches == ({DKV[f"plover-{plover}"]} if plover else set())
    assert (str(onto.value(concept, DKG.ploverMode)) if mode else None) == (mode if mode else None)
    assert onto.value(concept, DKG.context) == (DKV[f"context-{context}"] if context else None)


def test_negotiation_has_no_plover_type_as_the_domain_table_says(onto: Graph) -> None:
    concept = DKV["cameo-046"]
    assert list(onto.objects(concept, SKOS.closeMatch)) == []
    assert (concept, SKOS.relatedMatch, DKV["plover-consult"]) in onto


def test_cameo_0234_is_military_protection_not_military_aid(onto: Graph) -> None:
    """Regression: dkv:cameo-0234 was labelled "appeal for military aid", which is CAMEO 0232."""
    assert "peacekeeping" in str(onto.value(DKV["cameo-0234"], SKOS.prefLabel))
    assert str(onto.value(DKV["cameo-0232"], SKOS.notation)) == "0232"


def test_plover_modes_are_modes_and_contexts_are_concepts(onto: Graph) -> None:
    """Regression: "military", "humanitarian", "diplomatic" are PLOVER contexts, not modes."""
    modes = {str(m) for m in onto.objects(None, DKG.ploverMode)}
    assert modes == {"visit", "third-party", "assist"}
    contexts = {c for c in onto.objects(None, DKG.context)}
    assert contexts and all((c, SKOS.inScheme, DKV.context) in onto for c in contexts)


@pytest.mark.parametrize("cls, code", [(DKG.Visit, "042"), (DKG.Visit, "043"), (DKG.Negotiation, "046"),
                                       (DKG.PublicStatement, "010"), (DKG.JointMilitaryExercise, "062"),
                                       (DKG.DiplomaticRecognition, "054"), (DKG.InternationalSupport, "051")])
def test_event_classes_point_to_their_cameo_codes(onto: Graph, cls: URIRef, code: str) -> None:
    assert (cls, SKOS.relatedMatch, DKV[f"cameo-{code}"]) in onto
