"""The seed article is encoded faithfully: anchors, coverage, modality, unknowns, merging."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, XSD

from kg.build import BuiltGraph, build_graph
from kg.namespaces import DKG, DKR, DKV, NIF, article_graph
from tests.conftest import FIXTURES, ONTOLOGY, SEED, SEED_ID, SHARED, union_graph

ARTICLE = DKR[f"article/{SEED_ID}"]


def _claims(built: BuiltGraph) -> set[URIRef]:
    graph = built.dataset.graph(article_graph(SEED_ID))
    return {c for c in graph.subjects(RDF.type, DKG.Claim) if isinstance(c, URIRef)}


def test_article_text_is_kept_byte_for_byte() -> None:
    shared = SHARED / "articles" / f"{SEED_ID}.txt"
    if not shared.exists():
        pytest.skip("../shared/articles is absent (checkout outside the workplace)")
    assert (SEED / "article.txt").read_bytes() == shared.read_bytes()


def test_every_anchor_selects_its_quote_in_the_text(built: BuiltGraph) -> None:
    graph = built.dataset.graph(article_graph(SEED_ID))
    text = (SEED / "article.txt").read_text(encoding="utf-8")
    anchors = set(graph.subjects(RDF.type, NIF.String))
    assert len(anchors) > 40
    for anchor in anchors:
        begin = int(graph.value(anchor, NIF.beginIndex))  # type: ignore[arg-type]
        end = int(graph.value(anchor, NIF.endIndex))  # type: ignore[arg-type]
        assert text[begin:end] == str(graph.value(anchor, NIF.anchorOf))
        assert str(anchor).endswith(f"#char={begin},{end}")


def test_every_sentence_yields_a_claim(built: BuiltGraph) -> None:
    graph = built.dataset.graph(article_graph(SEED_ID))
    sentences = {s: int(graph.value(s, DKG.sentenceIndex))  # type: ignore[arg-type]
                 for s in graph.subjects(RDF.type, NIF.Sentence)}
    assert sorted(sentences.values()) == list(range(16))
    covered = {graph.value(graph.value(c, DKG.hasEvidence), DKG.inSentence)
               for c in _claims(built)}
    assert covered == set(sentences)


HEDGED_SENTENCES = {
    # sentence index: (cue, certainty, evidential basis)
    1: ("pourrait potentiellement", "possible", "journalist-speculation"),
    2: ("laissent entrevoir", "possible", "state-media-staging"),
    7: ("selon", "certain", "reported-speech"),
    8: ("laissent supposer", "possible", "imagery-inference"),
    9: ("semblent", "probable", "imagery-inference"),
    10: ("informations venant de Washington", "probable", "foreign-intelligence"),
    13: ("pourrait", "possible", "journalist-speculation"),
    14: ("pourrait", "possible", "journalist-speculation"),
    15: ("pourrait", "possible", "journalist-speculation"),
}


@pytest.mark.parametrize("sentence", sorted(HEDGED_SENTENCES))
def test_hedged_sentences_yield_non_asserted_claims(built: BuiltGraph, sentence: int) -> None:
    graph = built.dataset.graph(article_graph(SEED_ID))
    cue, certainty, basis = HEDGED_SENTENCES[sentence]
    hedged = [c for c in _claims(built)
              if graph.value(graph.value(c, DKG.hasEvidence), DKG.inSentence) is not None
              and int(graph.value(graph.value(graph.value(c, DKG.hasEvidence), DKG.inSentence),
                                  DKG.sentenceIndex)) == sentence  # type: ignore[arg-type]
              and graph.value(c, DKG.hedgeCue) is not None]
    assert hedged, f"sentence {sentence} has no hedged claim"
    claim = next(c for c in hedged if str(graph.value(c, DKG.hedgeCue)) == cue)
    assert graph.value(claim, DKG.hedgeCue) == Literal(cue, lang="fr")
    assert graph.value(claim, DKG.certainty) == DKV[f"certainty-{certainty}"]
    assert graph.value(claim, DKG.evidentialBasis) == DKV[f"evidence-{basis}"]
    assert graph.value(claim, DKG.accordingTo) is not None
    assert (None, DKG.assertedBy, claim) not in built.dataset.graph(article_graph(SEED_ID))


def test_reported_speech_names_the_speaker_not_the_publisher(built: BuiltGraph) -> None:
    graph = built.dataset.graph(article_graph(SEED_ID))
    claim = DKR[f"claim/{SEED_ID}/sensitive-topics"]
    assert graph.value(claim, DKG.accordingTo) == DKR["actor/kremlin-spokesperson"]
    assert graph.value(claim, DKG.sourceType) == DKV["source-type-official-spokesperson"]
    washington = DKR[f"claim/{SEED_ID}/matches-washington-information"]
    assert graph.value(washington, DKG.accordingTo) == DKR["actor/us-government"]
    assert graph.value(washington, DKG.sourceType) == DKV["source-type-foreign-government"]


# Negative competency questions: what the graph must NOT assert as fact.
NOT_FACTS = [
    "event/dprk-russia-arms-deal",
    "event/dprk-russia-joint-naval-exercise",
    "event/dprk-russia-arms-technology-talks",
    "event/kim-putin-summit-2023-talks",
    "proposal/arms-for-food-and-technology",
    "proposal-leg/leg-dprk-arms",
    "proposal-leg/leg-russia-food-aid",
    "proposal-leg/leg-russia-submarine-technology",
    "proposal-leg/leg-russia-satellite-launch",
    "membership/delegation-membership-military-officials",
    "membership/delegation-membership-foreign-minister",
]
FACTS = [
    "event/kim-visit-russia-2023",
    "event/kim-arrival-russia-2023",
    "event/kim-departure-pyongyang-2023",
    "event/kim-welcome-russia-2023",
    "event/kim-troop-review-2023",
    "event/kim-putin-summit-2023",
    "event/kim-putin-summit-2019",
    "event/dprk-recognition-eastern-ukraine-republics",
    "event/kremlin-statement-summit-topics",
    "event/dprk-failed-satellite-launches-2023",
]


@pytest.mark.parametrize("thing", NOT_FACTS)
def test_speculation_is_not_a_fact(built: BuiltGraph, thing: str) -> None:
    graph = union_graph(built.dataset)
    assert (DKR[thing], None, None) in graph, "the thing itself is in the graph"
    assert (DKR[thing], DKG.assertedBy, None) not in graph


@pytest.mark.parametrize("thing", FACTS)
def test_plain_assertions_are_facts(built: BuiltGraph, thing: str) -> None:
    assert (DKR[thing], DKG.assertedBy, None) in union_graph(built.dataset)


def test_unknown_date_and_place_stay_unknown(built: BuiltGraph) -> None:
    graph = union_graph(built.dataset)
    summit = DKR["event/kim-putin-summit-2023"]
    assert set(graph.objects(summit, DKG.unknownValueFor)) == {DKG.date, DKG.hasPlace}
    assert graph.value(summit, DKG.date) is None
    assert graph.value(summit, DKG.hasPlace) is None
    assert graph.value(summit, DKG.previousInSeries) == DKR["event/kim-putin-summit-2019"]
    assert graph.value(summit, DKG.seriesOrdinal) == Literal(2, datatype=XSD.integer)
    previous = DKR["event/kim-putin-summit-2019"]
    assert graph.value(previous, DKG.date) == Literal("2019", datatype=XSD.gYear)
    # the article names no headline and no publisher: declared unknown, not invented
    article = DKR[f"article/{SEED_ID}"]
    assert set(graph.objects(article, DKG.unknownValueFor)) >= {
        URIRef("http://purl.org/dc/terms/title"), URIRef("http://purl.org/dc/terms/publisher")}


def test_no_blank_nodes_in_the_data(built: BuiltGraph) -> None:
    for s, _p, o in union_graph(built.dataset):
        assert isinstance(s, URIRef)
        assert isinstance(o, URIRef | Literal)


def test_adding_an_article_reuses_actors_and_merges(data_copy: Path) -> None:
    """The README's 'Adding an article' steps, on a fixture article of our own."""
    fixture = FIXTURES / "articles" / "900_fixture_kremlin_briefing"
    shutil.copytree(fixture, data_copy / "articles" / fixture.name)
    built = build_graph(data_copy, ONTOLOGY)
    union = union_graph(built.dataset)
    summit = DKR["event/kim-putin-summit-2023"]
    articles = {union.value(c, DKG.inArticle) for c in union.subjects(DKG.about, summit)}
    assert {DKR[f"article/{SEED_ID}"], DKR[f"article/{fixture.name}"]} <= articles
    # the same actors are the same IRIs: no second Russia, no second spokesperson
    russias = {s for s in union.subjects(RDF.type, DKG.State)
               if "Russie" in {str(label) for label in union.objects(s, None)}}
    assert russias == {DKR["actor/russia"]}
    leg = DKR["proposal-leg/fixture-russia-food-aid-offer"]
    assert union.value(leg, DKG.giver) == DKR["actor/russia"]
    speakers = set(built.dataset.graph(article_graph(fixture.name)).objects(None, DKG.accordingTo))
    assert DKR["actor/kremlin-spokesperson"] in speakers
    # one narrator per article, never shared
    narrators = set(union.subjects(RDF.type, DKG.Journalist))
    assert len(narrators) == len(list((data_copy / "articles").iterdir()))
