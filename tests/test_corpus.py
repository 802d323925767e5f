"""The multi-article corpus: same actor one IRI, things shared by id, one named graph each."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import RDF, RDFS, Graph, Literal, URIRef

from kg.build import BuiltGraph, build_graph
from kg.errors import InputError
from kg.namespaces import DKG, DKR, DKV, article_graph
from tests.conftest import DATA, ONTOLOGY, SEED_ID, union_graph

FR_FOLLOW_UP = "001_336225063af0220c"
EN_WIRE = "002_91039dd9cf24bb3e"


def _article_ids() -> list[str]:
    ids = sorted(p.name for p in (DATA / "articles").iterdir() if p.is_dir())
    assert len(ids) >= 3, "the corpus has the seed and at least two more articles"
    return ids


@pytest.fixture(scope="module")
def union(built: BuiltGraph) -> Graph:
    return union_graph(built.dataset)


def _claims_about(union: Graph, thing: URIRef) -> list[URIRef]:
    return sorted(c for c in union.subjects(DKG.about, thing) if isinstance(c, URIRef))


def test_every_article_has_its_own_named_graph_with_its_claims(built: BuiltGraph) -> None:
    for article_id in _article_ids():
        graph = built.dataset.graph(article_graph(article_id))
        article = DKR[f"article/{article_id}"]
        claims = set(graph.subjects(DKG.inArticle, article))
        assert claims, f"no claims in the named graph of {article_id}"
        # a claim lives in the graph of its own article only
        for other in _article_ids():
            if other != article_id:
                assert not claims & set(built.dataset.graph(article_graph(other)).subjects(
                    DKG.inArticle, article))


def test_the_same_actor_is_one_iri_across_articles_and_languages(union: Graph) -> None:
    spokesperson = DKR["actor/kremlin-spokesperson"]
    articles = {union.value(c, DKG.inArticle)
                for c in union.subjects(DKG.accordingTo, spokesperson)}
    # "le porte-parole du Kremlin" (fr seed), "Dmitri Peskov" (fr), "Dmitry Peskov" (en)
    assert {DKR[f"article/{a}"] for a in (SEED_ID, FR_FOLLOW_UP, EN_WIRE)} <= articles
    russias = {s for s in union.subjects(RDF.type, DKG.State)
               if Literal("Russie", lang="fr") in set(union.objects(s, RDFS.label))}
    assert russias == {DKR["actor/russia"]}
    narrators = set(union.subjects(RDF.type, DKG.Journalist))
    assert len(narrators) == len(_article_ids()), "one narrator per article, never shared"


def test_two_sources_on_the_same_exchange_proposal(union: Graph) -> None:
    """The seed's proposal is backed by the seed's journalist, Washington (001) and South
    Korean intelligence (002); none of them makes it a fact."""
    proposal = DKR["proposal/arms-for-food-and-technology"]
    claims = _claims_about(union, proposal)
    speakers = {union.value(c, DKG.accordingTo) for c in claims}
    assert {DKR[f"actor/narrator-{SEED_ID}"], DKR["actor/us-government"],
            DKR["actor/south-korea-nis"]} <= speakers
    assert not set(union.objects(proposal, DKG.assertedBy))


def test_sources_disagree_on_the_arms_deal(union: Graph) -> None:
    deal = DKR["event/dprk-russia-arms-deal"]
    claims = _claims_about(union, deal)
    polarities = {(union.value(c, DKG.accordingTo), union.value(c, DKG.polarity))
                  for c in claims}
    assert (DKR[f"actor/narrator-{SEED_ID}"], DKV["polarity-positive"]) in polarities
    assert (DKR["actor/kremlin-spokesperson"], DKV["polarity-negative"]) in polarities


def test_an_article_may_refer_to_another_articles_things(union: Graph) -> None:
    summit = DKR["event/kim-putin-summit-2023"]
    articles = {union.value(c, DKG.inArticle) for c in _claims_about(union, summit)}
    assert {DKR[f"article/{a}"] for a in (SEED_ID, FR_FOLLOW_UP, EN_WIRE)} <= articles
    meeting = DKR["event/kim-putin-meeting-vostochny-2023"]  # defined in 001, used in 002
    assert union.value(meeting, DKG.subEventOf) == summit
    assert union.value(meeting, DKG.hasPlace) == DKR["place/vostochny-cosmodrome"]


def test_redefining_an_id_of_another_article_is_an_error(data_copy: Path) -> None:
    folder = data_copy / "articles" / "899_redefines_summit"
    shutil.copytree(data_copy / "articles" / FR_FOLLOW_UP, folder)
    annotation = (folder / "annotation.yaml").read_text(encoding="utf-8")
    annotation = annotation.replace(f"article: {FR_FOLLOW_UP}", "article: 899_redefines_summit")
    (folder / "annotation.yaml").write_text(annotation, encoding="utf-8")
    meta = (folder / "meta.yaml").read_text(encoding="utf-8")
    (folder / "meta.yaml").write_text(meta.replace(f"id: {FR_FOLLOW_UP}",
                                                   "id: 899_redefines_summit"), encoding="utf-8")
    with pytest.raises(InputError, match="duplicate id 'kim-putin-meeting-vostochny-2023'"):
        build_graph(data_copy, ONTOLOGY)
