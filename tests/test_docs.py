"""The ontology documentation (exports/ontology.html) and diagram (exports/ontology-diagram.svg):
complete, escaped, self-contained, consistent with the ontology, byte-identical across runs."""

from __future__ import annotations

import random
import re
import xml.etree.ElementTree as ET

import pytest
from rdflib import RDF, RDFS, Graph, Literal
from rdflib.namespace import OWL, SKOS

from kg.build import PRODUCTS, BuiltGraph
from kg.compile import load_ontology
from kg.docs import DIAGRAM_EDGES, DIAGRAM_NODES, cameo_rows, curie, render_diagram_svg, render_ontology_html
from kg.namespaces import DKG, DKV, SCHEMA
from tests.conftest import ONTOLOGY

PAYLOAD = '<img src=x onerror="alert(1)">'


@pytest.fixture(scope="module")
def onto() -> Graph:
    return load_ontology(ONTOLOGY)


@pytest.fixture(scope="module")
def page(onto: Graph) -> str:
    return render_ontology_html(onto)


def _shuffled(graph: Graph, seed: int) -> Graph:
    triples = list(graph)
    random.Random(seed).shuffle(triples)
    out = Graph()
    for triple in triples:
        out.add(triple)
    return out


def test_the_build_registers_both_documents(built: BuiltGraph) -> None:
    assert PRODUCTS["ontology.html"](built) == render_ontology_html(built.ontology)
    assert PRODUCTS["ontology-diagram.svg"](built) == render_diagram_svg(built.ontology)


def test_documents_are_byte_identical_whatever_the_triple_order(onto: Graph, page: str) -> None:
    for seed in (1, 2):
        other = _shuffled(onto, seed)
        assert render_ontology_html(other) == page
        assert render_diagram_svg(other) == render_diagram_svg(onto)


def test_the_page_lists_every_class_property_scheme_and_concept(onto: Graph, page: str) -> None:
    terms = [t for t in onto.subjects(RDF.type, None)
             if str(t).startswith((str(DKG._NS), str(DKV._NS))) and (t, RDF.type, OWL.Ontology) not in onto]
    assert len(terms) > 150
    for term in terms:
        assert f"<code>{curie(term)}</code>" in page, term
        assert f'id="t-{re.sub(r"[^A-Za-z0-9]", "-", curie(term))}"' in page, term


def test_property_rows_show_domain_range_and_scheme(page: str) -> None:
    row = re.search(r'<tr id="t-dkg-certainty">.*?</tr>', page, re.S)
    assert row
    assert "dkg:Claim" in row.group(0) and "skos:Concept" in row.group(0) and "dkv:certainty" in row.group(0)
    row = re.search(r'<tr id="t-dkg-assertedBy">.*?</tr>', page, re.S)
    assert row and "dkg:ExchangeProposal" in row.group(0)


def test_the_cameo_table_gives_goldstein_and_plover(onto: Graph, page: str) -> None:
    rows = {r[0]: r for r in cameo_rows(onto)}
    assert rows["042"][2:5] == ("1.9", "CONSULT", "visit")
    assert rows["072"][2:6] == ("8.3", "AID", "", "military")
    assert rows["046"][3] == "(CONSULT)"  # related, not close: DOMAIN.md gives no PLOVER type
    assert len(rows) == len(list(onto.subjects(SKOS.inScheme, DKV.cameo)))
    assert '<table class="cameo">' in page and ">8.3<" in page


def test_the_class_hierarchy_nests_subclasses(page: str) -> None:
    tree = page[page.index('<ul class="tree">'):]
    summit = tree.index("dkg:Summit")
    meeting = tree.index("dkg:Meeting")
    event = tree.index("dkg:Event")
    assert event < meeting < summit


def test_the_page_and_diagram_are_self_contained(onto: Graph, page: str) -> None:
    svg = render_diagram_svg(onto)
    for doc in (page, svg):
        assert "<script" not in doc.lower()
        assert not re.search(r"""\s(src|srcset)\s*=""", doc)
        assert "<link" not in doc and "@import" not in doc and "url(http" not in doc
    assert page.count("<svg") == 1  # the diagram is inline


def test_text_from_the_graph_is_escaped(onto: Graph) -> None:
    hostile = Graph()
    for triple in onto:
        hostile.add(triple)
    hostile.remove((DKG.Claim, RDFS.label, None))
    hostile.add((DKG.Claim, RDFS.label, Literal(PAYLOAD, lang="en")))
    hostile.add((DKG.Claim, RDFS.label, Literal(PAYLOAD, lang="fr")))
    hostile.add((DKG.Claim, SKOS.definition, Literal("</td></table><script>x</script>", lang="en")))
    page = render_ontology_html(hostile)
    svg = render_diagram_svg(hostile)
    for doc in (page, svg):
        assert "<img" not in doc and "<script" not in doc
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert "&lt;img" in svg
    ET.fromstring(svg)  # still well-formed


def test_the_diagram_is_well_formed_and_draws_every_core_class(onto: Graph) -> None:
    svg = render_diagram_svg(onto)
    root = ET.fromstring(svg.split("?>", 1)[1])
    ns = {"s": "http://www.w3.org/2000/svg"}
    assert len(root.findall(".//s:rect", ns)) == len(DIAGRAM_NODES)
    assert len(root.findall(".//s:line", ns)) == len(DIAGRAM_EDGES)
    texts = "".join(root.itertext())
    for cls, _x, _y in DIAGRAM_NODES:
        assert curie(cls) in texts


def _lifts_to(onto: Graph, cls: object, target: object) -> bool:
    return cls == target or target in set(onto.transitive_objects(cls, RDFS.subClassOf))


@pytest.mark.parametrize("edge", DIAGRAM_EDGES, ids=lambda e: "-".join(curie(p) for p in e[1]))
def test_each_diagram_edge_agrees_with_the_ontology(onto: Graph, edge: tuple) -> None:
    """An edge source -p-> target is drawn only if p's domainIncludes has source (or a subclass)
    and its rangeIncludes has target (or a subclass): the picture cannot drift from the ontology."""
    source, props, target = edge
    for prop in props:
        domains = set(onto.objects(prop, SCHEMA.domainIncludes))
        ranges = set(onto.objects(prop, SCHEMA.rangeIncludes))
        assert any(_lifts_to(onto, d, source) for d in domains), (prop, source)
        assert any(_lifts_to(onto, r, target) for r in ranges), (prop, target)


def test_the_fact_pattern_edge_is_highlighted(onto: Graph) -> None:
    svg = render_diagram_svg(onto)
    assert re.search(r'stroke="#b3261e"[^>]*marker-end', svg)
    assert ">dkg:assertedBy<" in svg
