"""kg/namespaces.py (DKG, DKV term lists) and ontology/*.ttl are in sync, both ways."""

from __future__ import annotations

import re

import pytest
from rdflib import RDF, Graph, URIRef
from rdflib.namespace import OWL, SH

from kg.namespaces import DKG, DKV, ONTOLOGY_IRI, VOCAB_IRI
from kg.rdfio import parse_rdf_file
from tests.conftest import ONTOLOGY

DKG_NS = str(DKG._NS)
DKV_NS = str(DKV._NS)


def _ttl_files() -> list:
    files = sorted(ONTOLOGY.glob("*.ttl"))
    assert files, f"no Turtle file under {ONTOLOGY}"
    assert {f.name for f in files} >= {"diplo.ttl", "vocab.ttl", "shapes.ttl"}
    return files


def _declared(path_name: str, ns: str) -> set[str]:
    """Local names of the IRIs of namespace ``ns`` that the file types (declares)."""
    graph = parse_rdf_file(ONTOLOGY / path_name)
    return {str(s)[len(ns):] for s in graph.subjects(RDF.type, None)
            if isinstance(s, URIRef) and str(s).startswith(ns) and str(s) not in (str(ONTOLOGY_IRI),
                                                                                    str(VOCAB_IRI))}


def _used(ns: str) -> dict[str, set[str]]:
    """Local names of ``ns`` used anywhere (subject, predicate, object) in each ontology file."""
    used: dict[str, set[str]] = {}
    for path in _ttl_files():
        graph = Graph()
        graph.parse(path, format="turtle")
        names = {str(t)[len(ns):] for triple in graph for t in triple
                 if isinstance(t, URIRef) and str(t).startswith(ns)
                 and graph.value(None, OWL.versionIRI, t) is None and str(t) != str(VOCAB_IRI)}
        # the SPARQL of the shapes names terms as prefixed names
        for literal in graph.objects(None, SH.select):
            prefix = "dkg" if ns == DKG_NS else "dkv"
            names |= set(re.findall(rf"\b{prefix}:([A-Za-z][\w-]*)", str(literal)))
        used[path.name] = names
    return used


def dkg_terms() -> set[str]:
    return set(DKG.__annotations__)


def dkv_terms() -> set[str]:
    return set(DKV._extras)


def test_every_dkg_term_of_namespaces_py_is_declared_in_diplo_ttl() -> None:
    assert dkg_terms() - _declared("diplo.ttl", DKG_NS) == set()


def test_every_term_declared_in_diplo_ttl_is_in_namespaces_py() -> None:
    assert _declared("diplo.ttl", DKG_NS) - dkg_terms() == set()


def test_every_dkv_term_of_namespaces_py_is_declared_in_vocab_ttl() -> None:
    assert dkv_terms() - _declared("vocab.ttl", DKV_NS) == set()


def test_every_concept_and_scheme_of_vocab_ttl_is_in_namespaces_py() -> None:
    assert _declared("vocab.ttl", DKV_NS) - dkv_terms() == set()


@pytest.mark.parametrize("ns, terms", [(DKG_NS, dkg_terms), (DKV_NS, dkv_terms)], ids=["dkg", "dkv"])
def test_no_ontology_file_uses_an_undeclared_term(ns: str, terms) -> None:
    """A typo such as dkg:vistor in shapes.ttl (or in a shape's SPARQL) is caught here."""
    undeclared = {name: sorted(used - terms()) for name, used in _used(ns).items() if used - terms()}
    assert undeclared == {}


def test_the_term_lists_are_sorted_and_duplicate_free() -> None:
    extras = list(DKV._extras)
    assert extras == sorted(set(extras))
    names = list(DKG.__annotations__)
    assert names == sorted(names, key=lambda n: (n[0].islower(), n))


def test_dkg_and_dkv_are_closed_namespaces() -> None:
    with pytest.raises(AttributeError):
        _ = DKG.vistor
    with pytest.raises(AttributeError):
        _ = DKV["certainty-sure"]
    assert DKV["certainty-possible"] == URIRef(DKV_NS + "certainty-possible")
