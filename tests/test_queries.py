"""The competency-query library: every named query parses, runs, and answers its question.

Expected answers are read off the seed article (data/articles/000_4273f805c2fe39bd): they are the
competency questions of ontology/README.md, including the negative ones (what must NOT come out).
"""

from __future__ import annotations

import json
import multiprocessing
import re
import socket
import threading
import time
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph, Literal, URIRef

from kg.build import BuiltGraph
from kg.errors import InputError, QueryTimeout
from kg.export import to_trig
from kg.namespaces import DKG, DKR
from kg.query import (
    FORMATS,
    NamedQuery,
    QueryResult,
    build_request,
    check_query,
    compact,
    format_result,
    load_queries,
    parse_param,
    parse_term,
    run_query,
)
from kg.rdfio import to_rdflib
from tests.conftest import ROOT, SEED, SEED_ID

QUERIES = load_queries()
NARRATOR = f"dkr:actor/narrator-{SEED_ID}"
ARTICLE_TEXT = (SEED / "article.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def dataset(seed: BuiltGraph) -> Dataset:
    """The seed article alone (with the entity registry), so that the expected answers below
    stay exact while other articles are added to data/."""
    return seed.dataset


def test_every_query_runs_on_the_whole_corpus(built: BuiltGraph) -> None:
    for query in QUERIES.values():
        run_query(built.dataset, query.text)


def answer(dataset: Dataset, name: str, **params: str) -> list[dict[str, str | None]]:
    """Run a named query with ``var=value`` params; rows as dicts of compact strings."""
    query = QUERIES[name]
    bindings = dict(parse_param(f"{k}={v}", query) for k, v in params.items())
    result = run_query(dataset, query.text, bindings)
    return [{var: (compact(v) if v is not None else None)
             for var, v in zip(result.variables, row, strict=True)} for row in result.rows]


def column(rows: list[dict[str, str | None]], var: str) -> set[str | None]:
    return {row[var] for row in rows}


# ---------------------------------------------------------------------------- the library


def test_library_has_a_query_per_competency_question() -> None:
    assert len(QUERIES) >= 18
    assert list(QUERIES) == sorted(QUERIES)
    files = sorted(p.stem for p in (ROOT / "kg" / "queries").glob("*.rq"))
    assert files, "the glob over kg/queries matched nothing"
    assert files == list(QUERIES)


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_query_header_is_complete_and_params_are_real_variables(name: str) -> None:
    query = QUERIES[name]
    assert query.title and "?" in query.question and query.returns
    body = "\n".join(line for line in query.text.splitlines() if not line.startswith("#"))
    for param in query.params:
        assert re.search(rf"[?$]{param}\b", body), f"?{param} is not used in {name}.rq"


PARAMS = [(name, param) for name, query in sorted(QUERIES.items()) for param in query.params]


@pytest.mark.parametrize(("name", "param"), PARAMS)
def test_every_param_restricts_the_answer(dataset: Dataset, name: str, param: str) -> None:
    """Bound to something absent from the graph, a parameter leaves nothing (a parameter that
    only sits in an OPTIONAL would be silently ignored)."""
    result = run_query(dataset, QUERIES[name].text, {param: URIRef("urn:kg-test:absent")})
    assert result.rows == ()
    assert result.graph is None or len(result.graph) == 0


#: queries with nothing to say about the reviewed seed (each is tested on a graph of its own)
EMPTY_ON_THE_SEED = {"review-queue": "every claim of the seed is reviewed: nothing awaits review"}


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_query_parses_and_runs_on_the_seed_graph(dataset: Dataset, name: str) -> None:
    query = QUERIES[name]
    form = check_query(query.text)
    result = run_query(dataset, query.text)
    assert result.form == form
    if form == "SELECT":
        assert re.search(r"(?m)^ORDER BY ", query.text), "SELECT queries sort their rows"
        if name not in EMPTY_ON_THE_SEED:
            assert result.rows, f"{name} answers nothing on the seed graph"
        else:
            assert result.rows == (), EMPTY_ON_THE_SEED[name]
    assert format_result(result, "table")


def _oxigraph_store(dataset: Dataset) -> ox.Store:
    store = ox.Store()
    store.load(to_trig(dataset), format=ox.RdfFormat.TRIG)
    return store


def _value(term: Any) -> Any:
    """Compare literals by value: Oxigraph writes 0.0 as 0 and nonNegativeInteger as integer."""
    if isinstance(term, Literal) and term.datatype is not None:
        python = term.toPython()
        if isinstance(python, int | float) or type(python).__name__ == "Decimal":
            return ("number", float(python))
    return term


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_query_means_the_same_on_oxigraph(dataset: Dataset, name: str) -> None:
    """The .rq files are plain SPARQL 1.1 (all prefixes declared): the Oxigraph backend gives the
    same rows, in the same order."""
    store = _oxigraph_store(dataset)
    text = QUERIES[name].text
    ours = run_query(dataset, text)
    theirs = store.query(text, use_default_graph_as_union=True)
    if ours.form == "ASK":
        assert bool(theirs) == ours.boolean
    elif ours.graph is not None:
        triples = {tuple(to_rdflib(t) for t in (q.subject, q.predicate, q.object)) for q in theirs}
        assert triples == set(ours.graph)
    else:
        names = [v.value for v in theirs.variables]
        assert tuple(names) == ours.variables
        rows = [tuple(_value(to_rdflib(s[v]) if s[v] is not None else None) for v in names)
                for s in theirs]
        assert rows == [tuple(_value(v) for v in row) for row in ours.rows]


def test_output_is_the_same_whatever_the_hash_seed(tmp_path: Path, dataset: Dataset) -> None:
    """Rows (including GROUP_CONCAT lists) do not depend on Python's set/dict order."""
    import os
    import subprocess
    import sys

    trig = tmp_path / "g.trig"
    trig.write_bytes(to_trig(dataset))
    script = ("import sys; from pathlib import Path; from kg.rdfio import parse_rdf_dataset; "
              "from kg.query import load_queries, run_query, format_result; "
              f"ds = parse_rdf_dataset(Path({str(trig)!r})); "
              "[sys.stdout.write(format_result(r, 'turtle' if r.graph is not None else 'tsv')) "
              "for r in (run_query(ds, q.text) for q in load_queries().values())]")
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True,
                              capture_output=True, text=True, timeout=120)
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]


# ---------------------------------------------------------------------------- competency questions


def test_cq_who_met_whom(dataset: Dataset) -> None:
    rows = answer(dataset, "who-met-whom")
    got = {(r["actorA"], r["actorB"], r["event"], r["status"], r["isFact"]) for r in rows}
    kim, putin, russia = "dkr:actor/kim-jong-un", "dkr:actor/vladimir-putin", "dkr:actor/russia"
    assert (kim, putin, "dkr:event/kim-putin-summit-2019", "dkv:event-status-held", "true") in got
    assert (kim, putin, "dkr:event/kim-putin-summit-2023", "dkv:event-status-planned",
            "true") in got
    assert (kim, russia, "dkr:event/kim-visit-russia-2023", "dkv:event-status-ongoing",
            "true") in got
    # the inferred munitions talks are a meeting, but not a fact
    talks = [r for r in rows if r["event"] == "dkr:event/dprk-russia-arms-technology-talks"]
    assert talks and all(r["isFact"] == "false" for r in talks)
    for row in answer(dataset, "who-met-whom", actor="dkr:actor/vladimir-putin"):
        assert putin in (row["actorA"], row["actorB"])


def test_cq_visit_itinerary_in_order(dataset: Dataset) -> None:
    rows = answer(dataset, "visit-itinerary", visit="dkr:event/kim-visit-russia-2023")
    steps = [r["step"] for r in rows]
    assert steps[:2] == ["dkr:event/kim-departure-pyongyang-2023",
                         "dkr:event/kim-arrival-russia-2023"]
    assert set(steps) == {
        "dkr:event/kim-departure-pyongyang-2023", "dkr:event/kim-arrival-russia-2023",
        "dkr:event/kim-welcome-russia-2023", "dkr:event/kim-troop-review-2023",
        "dkr:event/dprk-russia-arms-technology-talks"}
    first = rows[0]
    assert (first["visitor"], first["origin"], first["host"], first["transport"]) == (
        "dkr:actor/kim-jong-un", "dkr:place/pyongyang", "dkr:actor/russia", "train blindé")
    facts = {r["step"]: r["stepIsFact"] for r in rows}
    assert facts["dkr:event/kim-troop-review-2023"] == "true"
    assert facts["dkr:event/dprk-russia-arms-technology-talks"] == "false"


def test_cq_planned_summit_has_no_invented_date_or_place(dataset: Dataset) -> None:
    rows = answer(dataset, "planned-meetings")
    summit = [r for r in rows if r["meeting"] == "dkr:event/kim-putin-summit-2023"]
    assert len(summit) == 1
    assert summit[0]["date"] is None and summit[0]["place"] is None
    assert summit[0]["dateInfo"] == summit[0]["placeInfo"] == "unknown per source"
    assert summit[0]["isFact"] == "true"  # that it is planned is stated plainly
    # negative: nothing in the whole graph gives the 2023 summit a date or a place
    summit_iri = DKR["event/kim-putin-summit-2023"]
    for prop in (DKG.date, DKG.hasPlace):
        ask = run_query(dataset, "ASK { ?summit ?prop ?value }", {"summit": summit_iri, "prop": prop})
        assert ask.boolean is False


def test_cq_summit_series_points_back_to_2019(dataset: Dataset) -> None:
    rows = answer(dataset, "summit-series", summit="dkr:event/kim-putin-summit-2023")
    assert [(r["ordinal"], r["previous"], r["previousOrdinal"], r["previousDate"],
             r["previousPlace"], r["previousStatus"], r["previousIsFact"]) for r in rows] == [
        ("2", "dkr:event/kim-putin-summit-2019", "1", "2019", "dkr:actor/russia",
         "dkv:event-status-held", "true")]


def test_cq_arms_for_food_has_four_possible_legs(dataset: Dataset) -> None:
    rows = answer(dataset, "exchange-proposals",
                  proposal="dkr:proposal/arms-for-food-and-technology")
    assert len(rows) == 4
    assert column(rows, "status") == {"dkv:proposal-status-speculated"}
    assert column(rows, "floatedBy") == {NARRATOR}
    assert column(rows, "certainty") == {"dkv:certainty-possible"}
    assert column(rows, "legIsFact") == {"false"}
    assert column(rows, "cues") == {"pourrait"}
    nk, ru = "dkr:actor/north-korea", "dkr:actor/russia"
    assert {(r["giver"], r["goods"], r["recipient"]) for r in rows} == {
        (nk, "dkv:goods-arms", ru),
        (ru, "dkv:goods-food-aid", nk),
        (ru, "dkv:goods-nuclear-submarine-technology", nk),
        (ru, "dkv:goods-satellite-launch-assistance", nk)}


def test_cq_speculated_deals_are_never_facts(dataset: Dataset) -> None:
    rows = answer(dataset, "speculated-deals")
    deals = column(rows, "deal")
    assert {"dkr:event/dprk-russia-arms-deal",
            "dkr:proposal/arms-for-food-and-technology"} <= deals
    assert column(rows, "certainty") <= {"dkv:certainty-possible", "dkv:certainty-probable",
                                         "dkv:certainty-unknown"}
    facts = column(answer(dataset, "fact-view"), "thing")
    assert not deals & facts
    arms = next(r for r in rows if r["deal"] == "dkr:event/dprk-russia-arms-deal")
    assert arms["cues"] == "laissent entrevoir | pourrait potentiellement"
    assert arms["bases"] == "journalist-speculation | state-media-staging"


def test_cq_fact_view(dataset: Dataset) -> None:
    things = column(answer(dataset, "fact-view"), "thing")
    assert {"dkr:event/kim-visit-russia-2023", "dkr:event/kim-putin-summit-2019",
            "dkr:event/kim-putin-summit-2023", "dkr:event/kim-arrival-russia-2023",
            "dkr:event/dprk-recognition-eastern-ukraine-republics"} <= things
    # negative: what the article only speculates on, infers or attributes is not a fact
    for hedged in ("dkr:event/dprk-russia-arms-deal", "dkr:event/dprk-russia-joint-naval-exercise",
                   "dkr:membership/delegation-membership-foreign-minister",
                   "dkr:membership/delegation-membership-military-officials",
                   "dkr:proposal/arms-for-food-and-technology",
                   "dkr:proposal-leg/leg-dprk-arms",
                   "dkr:event/dprk-russia-arms-technology-talks",
                   "dkr:event/kim-putin-summit-2023-talks"):
        assert hedged not in things
    one = answer(dataset, "fact-view", thing="dkr:event/kim-putin-summit-2019")
    assert [(r["thing"], r["claims"], r["quote"]) for r in one] == [
        ("dkr:event/kim-putin-summit-2019", "1",
         "le précédent ayant eu lieu en 2019, également en Russie")]


def test_cq_hedged_things_are_exactly_the_rest(dataset: Dataset) -> None:
    hedged = answer(dataset, "hedged-things")
    things = column(hedged, "thing")
    assert {"dkr:event/dprk-russia-arms-deal", "dkr:event/dprk-russia-joint-naval-exercise",
            "dkr:membership/delegation-membership-foreign-minister",
            "dkr:membership/delegation-membership-military-officials",
            "dkr:event/kim-putin-summit-2023-talks"} <= things
    assert not things & column(answer(dataset, "fact-view"), "thing")
    talks = next(r for r in hedged if r["thing"] == "dkr:event/kim-putin-summit-2023-talks")
    # certain, but reported speech: still not a fact of the article
    assert (talks["certainty"], talks["bases"], talks["sources"], talks["cues"]) == (
        "dkv:certainty-certain", "reported-speech", "kremlin-spokesperson", "selon")


def test_cq_hedged_as_fact_is_false_and_catches_a_broken_fact(dataset: Dataset) -> None:
    query = QUERIES["hedged-as-fact"]
    assert run_query(dataset, query.text).boolean is False
    broken = Dataset(default_union=True)
    for s, p, o, g in dataset.quads():
        broken.graph(g).add((s, p, o))  # type: ignore[arg-type]
    claim = DKR[f"claim/{SEED_ID}/visit-could-lead-to-arms-deal"]
    broken.graph(DKR["graph/test"]).add((DKR["event/dprk-russia-arms-deal"], DKG.assertedBy, claim))
    assert run_query(broken, query.text).boolean is True


def test_cq_who_says_what(dataset: Dataset) -> None:
    kremlin = answer(dataset, "claims-by-source", source="dkr:actor/kremlin-spokesperson")
    assert [(r["sourceType"], r["basis"], r["cue"], r["thing"]) for r in kremlin] == [
        ("dkv:source-type-official-spokesperson", "dkv:evidence-reported-speech", "selon",
         "dkr:event/kim-putin-summit-2023-talks")]
    foreign = answer(dataset, "claims-by-source",
                     sourceType="dkv:source-type-foreign-government")
    assert column(foreign, "source") == {"dkr:actor/us-government"}
    assert column(foreign, "basis") == {"dkv:evidence-foreign-intelligence"}
    everyone = column(answer(dataset, "claims-by-source"), "source")
    assert {NARRATOR, "dkr:actor/kremlin-spokesperson", "dkr:actor/us-government"} <= everyone


def test_cq_reported_speech_of_the_kremlin_spokesperson(dataset: Dataset) -> None:
    rows = answer(dataset, "reported-speech", speaker="dkr:actor/kremlin-spokesperson")
    assert len(rows) == 1
    row = rows[0]
    assert row["speakerClass"] == "dkg:Spokesperson"
    assert row["speaksFor"] == "dkr:actor/kremlin"
    assert row["cue"] == "selon"
    assert row["thing"] == "dkr:event/kim-putin-summit-2023-talks"
    assert row["statement"] == "dkr:event/kremlin-statement-summit-topics"
    assert row["statementIsFact"] == "true"  # that the spokesperson spoke is a fact
    assert row["quote"] is not None and "sujets sensibles" in row["quote"]


def test_cq_evidence_offsets_select_the_quote_in_the_text(dataset: Dataset) -> None:
    rows = answer(dataset, "evidence", thing="dkr:event/dprk-russia-arms-deal")
    assert [r["sentenceIndex"] for r in rows] == ["1", "2"]
    assert [r["cue"] for r in rows] == ["pourrait potentiellement", "laissent entrevoir"]
    for row in rows:
        begin, end = int(row["begin"] or -1), int(row["end"] or -1)
        assert ARTICLE_TEXT[begin:end] == row["quote"]
        assert row["quote"] in (row["sentence"] or "")
        assert row["article"] == f"dkr:article/{SEED_ID}"


def test_cq_delegation_memberships_are_probable_not_facts(dataset: Dataset) -> None:
    rows = answer(dataset, "delegation-members", delegation="dkr:actor/dprk-delegation-2023")
    assert len(rows) == 4  # two memberships x two sources
    assert column(rows, "member") == {"dkr:actor/dprk-foreign-minister",
                                      "dkr:actor/dprk-senior-military-officials"}
    assert column(rows, "certainty") == {"dkv:certainty-probable"}
    assert column(rows, "isFact") == {"false"}
    assert column(rows, "source") == {NARRATOR, "dkr:actor/us-government"}
    assert column(rows, "represents") == {"dkr:actor/north-korea"}


def test_cq_hedge_cues_and_their_certainty(dataset: Dataset) -> None:
    rows = {r["cue"]: r for r in answer(dataset, "hedge-cues")}
    assert (rows["pourrait"]["certainty"], rows["pourrait"]["basis"], rows["pourrait"]["claims"]) \
        == ("dkv:certainty-possible", "dkv:evidence-journalist-speculation", "3")
    assert (rows["selon"]["certainty"], rows["selon"]["basis"]) == (
        "dkv:certainty-certain", "dkv:evidence-reported-speech")
    assert rows["semblent"]["certainty"] == "dkv:certainty-probable"
    one = answer(dataset, "hedge-cues", cue='"pourrait"@fr')
    assert column(one, "cue") == {"pourrait"}


def test_cq_foreign_intelligence_and_imagery(dataset: Dataset) -> None:
    rows = answer(dataset, "intelligence-and-imagery")
    intel = [r for r in rows if r["basis"] == "dkv:evidence-foreign-intelligence"]
    assert column(intel, "source") == {"dkr:actor/us-government"}
    assert column(intel, "cue") == {"informations venant de Washington"}
    imagery = [r for r in rows if r["basis"] == "dkv:evidence-imagery-inference"]
    assert column(imagery, "cue") == {"laissent supposer", "semblent", "suggérant"}
    only = answer(dataset, "intelligence-and-imagery",
                  basis="dkv:evidence-foreign-intelligence")
    assert only == intel


def test_cq_international_support_and_recognition(dataset: Dataset) -> None:
    rows = {r["event"]: r for r in answer(dataset, "international-support",
                                          initiator="dkr:actor/north-korea")}
    support = rows["dkr:event/dprk-support-russia-international"]
    assert (support["target"], support["recurring"], support["isFact"]) == (
        "dkr:actor/russia", "true", "true")
    recognition = rows["dkr:event/dprk-recognition-eastern-ukraine-republics"]
    assert (recognition["target"], recognition["partOf"], recognition["cameo"]) == (
        "dkr:actor/eastern-ukraine-republics", "dkr:event/dprk-support-russia-international", "054")


def test_cq_event_codes(dataset: Dataset) -> None:
    rows = {r["event"]: r for r in answer(dataset, "event-codes")}
    visit = rows["dkr:event/kim-visit-russia-2023"]
    assert (visit["cameo"], float(visit["goldstein"] or "nan"), visit["plover"]) == (
        "042", 1.9, "dkv:plover-consult")
    deal = rows["dkr:event/dprk-russia-arms-deal"]
    assert (deal["cameo"], deal["status"], deal["isFact"]) == (
        "057", "dkv:event-status-hypothetical", "false")


def test_cq_wikidata_links(dataset: Dataset) -> None:
    links = {(r["entity"], r["wikidata"]) for r in answer(dataset, "wikidata-links")}
    assert {("dkr:actor/kim-jong-un", "wd:Q56226"), ("dkr:actor/vladimir-putin", "wd:Q7747"),
            ("dkr:actor/russia", "wd:Q159"), ("dkr:actor/north-korea", "wd:Q423"),
            ("dkr:place/pyongyang", "wd:Q18808")} <= links


def test_cq_article_coverage_has_no_gap(dataset: Dataset) -> None:
    rows = answer(dataset, "article-coverage", article=f"dkr:article/{SEED_ID}")
    assert [r["sentenceIndex"] for r in rows] == [str(i) for i in range(16)]
    assert all(int(r["claims"] or 0) >= 1 for r in rows)
    seventh = rows[7]
    assert seventh["claimIds"] == "sensitive-topics kremlin-spokesperson-said"
    assert (seventh["claims"], seventh["facts"]) == ("2", "1")
    assert rows[14]["facts"] == "0"  # the arms-for-food sentence asserts nothing


def test_cq_cross_source_agreement_on_the_delegation(dataset: Dataset) -> None:
    rows = answer(dataset, "cross-source-agreement")
    memberships = [r for r in rows if (r["thing"] or "").startswith("dkr:membership/")]
    assert {r["thing"] for r in memberships} == {
        "dkr:membership/delegation-membership-foreign-minister",
        "dkr:membership/delegation-membership-military-officials"}
    for row in memberships:
        assert (row["sourceA"], row["sourceB"]) == (NARRATOR, "dkr:actor/us-government")
        assert (row["agree"], row["sameCertainty"]) == ("true", "true")
        assert (row["basisA"], row["basisB"]) == ("dkv:evidence-imagery-inference",
                                                  "dkv:evidence-foreign-intelligence")


def test_cq_actor_ego_relations(dataset: Dataset) -> None:
    rows = answer(dataset, "actor-relations", actor="dkr:actor/kim-jong-un")
    assert column(rows, "actor") == {"dkr:actor/kim-jong-un"}
    got = {(r["role"], r["thing"], r["other"], r["otherRole"]) for r in rows}
    assert ("dkg:participant", "dkr:event/kim-putin-summit-2019", "dkr:actor/vladimir-putin",
            "dkg:participant") in got
    assert ("dkg:visitor", "dkr:event/kim-visit-russia-2023", "dkr:actor/russia",
            "dkg:host") in got
    assert ("dkg:heldBy", "dkr:office/dprk-leader", "dkr:actor/north-korea",
            "dkg:officeOf") in got


def test_cq_office_holders(dataset: Dataset) -> None:
    rows = {r["office"]: r for r in answer(dataset, "office-holders")}
    assert (rows["dkr:office/dprk-leader"]["holder"], rows["dkr:office/dprk-leader"]["isFact"]) \
        == ("dkr:actor/kim-jong-un", "true")
    putin = rows["dkr:office/russia-president"]
    assert (putin["holder"], putin["claims"], putin["isFact"]) == (
        "dkr:actor/vladimir-putin", "0", "false")  # from the registry, no article says it


def test_cq_events_overview(dataset: Dataset) -> None:
    rows = {r["event"]: r for r in answer(dataset, "events")}
    launches = rows["dkr:event/dprk-failed-satellite-launches-2023"]
    assert (launches["outcome"], launches["count"], launches["isFact"]) == (
        "dkv:outcome-failure", "2", "true")
    assert rows["dkr:event/kim-putin-summit-2023"]["date"] is None
    hypothetical = answer(dataset, "events", onlyStatus="dkv:event-status-hypothetical")
    assert column(hypothetical, "isFact") == {"false"}
    assert "dkr:event/dprk-russia-joint-naval-exercise" in column(hypothetical, "event")


def test_cq_fact_graph_holds_only_facts(dataset: Dataset) -> None:
    result = run_query(dataset, QUERIES["fact-graph"].text)
    assert result.form == "CONSTRUCT" and result.graph is not None
    subjects = {compact(s) for s in result.graph.subjects()}
    assert subjects == column(answer(dataset, "fact-view"), "thing")
    assert DKR["event/dprk-russia-arms-deal"] not in set(result.graph.subjects())


def test_cq_describe_a_thing(dataset: Dataset) -> None:
    query = QUERIES["describe-thing"]
    summit = DKR["event/kim-putin-summit-2023"]
    result = run_query(dataset, query.text, {"thing": summit})
    assert result.form == "DESCRIBE" and result.graph is not None
    assert (summit, DKG.unknownValueFor, DKG.date) in result.graph
    assert {s for s in result.graph.subjects() if isinstance(s, URIRef)} == {summit}


# ---------------------------------------------------------------------------- parameters


def test_param_values_become_terms() -> None:
    query = QUERIES["claims-by-source"]
    assert parse_param("source=dkr:actor/kim-jong-un", query) == (
        "source", DKR["actor/kim-jong-un"])
    assert parse_param("?source=<https://example.org/x>", query) == (
        "source", URIRef("https://example.org/x"))
    assert parse_term('"pourrait"@fr') == Literal("pourrait", lang="fr")
    assert parse_term('"2"^^xsd:integer') == Literal(2)
    assert parse_term("plain words") == Literal("plain words")


@pytest.mark.parametrize("bad", ["nope=1", "source", "=x", "source=zz:unknown",
                                 "source=<not an iri>", "source=https://example.org/x",
                                 "source=<https://x> } UNION { ?s ?p ?o"])
def test_bad_params_are_refused(bad: str) -> None:
    with pytest.raises(InputError):
        parse_param(bad, QUERIES["claims-by-source"])


def test_param_binding_cannot_inject_sparql(dataset: Dataset) -> None:
    """A value is one RDF term, never query text: SPARQL inside it is matched literally."""
    query = QUERIES["hedge-cues"]
    before = len(dataset)
    for payload in ['pourrait" } UNION { ?claim ?p ?cue } #', "x } ; DROP ALL ; #",
                    '"selon"@fr . ?claim ?any ?thing']:
        name, term = parse_param(f"cue={payload}", query)
        assert isinstance(term, Literal)
        assert run_query(dataset, query.text, {name: term}).rows == ()
    assert len(dataset) == before


def test_bindings_must_be_terms(dataset: Dataset) -> None:
    with pytest.raises(InputError, match="not an RDF term"):
        run_query(dataset, QUERIES["hedge-cues"].text, {"cue": "pourrait"})  # type: ignore[dict-item]


# ---------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("update", [
    "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
    "DELETE WHERE { ?s ?p ?o }",
    "DELETE { ?s ?p ?o } INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }",
    "WITH <urn:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "LOAD <file:///etc/passwd>",
    "CLEAR ALL",
    "DROP GRAPH <urn:g>",
    "CREATE GRAPH <urn:g>",
    "ADD DEFAULT TO <urn:g>",
    "MOVE DEFAULT TO <urn:g>",
    "COPY DEFAULT TO <urn:g>",
    "SELECT * WHERE { ?s ?p ?o } ; DROP ALL",
])
def test_updates_are_refused_as_read_only(update: str) -> None:
    with pytest.raises(InputError, match="read-only"):
        check_query(update)


@pytest.mark.parametrize("query", [
    "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }",
    "SELECT * FROM NAMED <https://example.org/g> WHERE { GRAPH ?g { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE <https://example.org/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o OPTIONAL { SERVICE SILENT <https://example.org/s> { ?s ?q ?r } } }",
    "ASK { { SELECT ?s WHERE { SERVICE <https://example.org/s> { ?s ?p ?o } } } }",
    "ASK { FILTER EXISTS { SERVICE <https://example.org/s> { ?s ?p ?o } } }",
    "SELECT * WHERE { ?s ?p ?o MINUS { SERVICE <https://example.org/s> { ?s ?p ?o } } }",
])
def test_loading_and_federation_are_refused(query: str) -> None:
    with pytest.raises(InputError, match="read-only"):
        check_query(query)


@pytest.fixture
def canary_server() -> Iterator[tuple[int, list[bytes]]]:
    """A local TCP listener that records any connection (a SERVICE or FROM would make one)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(0.2)
    hits: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            hits.append(conn.recv(1024))
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], hits
    stop.set()
    thread.join(2)
    server.close()


def test_canary_no_fetch_for_service_or_from(dataset: Dataset, canary_server: tuple[int, list[bytes]],
                                             tmp_path: Path) -> None:
    port, hits = canary_server
    canary = tmp_path / "canary.ttl"
    canary.write_text("<urn:canary> <urn:was> <urn:read> .\n", encoding="utf-8")
    attempts = [
        f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
        f"SELECT * FROM <http://127.0.0.1:{port}/g.ttl> WHERE {{ ?s ?p ?o }}",
        f"SELECT * FROM <{canary.as_uri()}> WHERE {{ <urn:canary> ?p ?o }}",
    ]
    for attempt in attempts:
        with pytest.raises(InputError, match="read-only"):
            run_query(dataset, attempt)
    time.sleep(0.3)
    assert hits == []


def test_syntax_error_has_line_and_column() -> None:
    with pytest.raises(InputError) as caught:
        check_query("SELECT ?x WHERE {\n  ?x <urn:p> ?y .\n  FILTR(?x)\n}")
    assert (caught.value.line, caught.value.column) == (3, 3)
    assert ":3:3:" in caught.value.one_line()


def test_unknown_prefix_is_located() -> None:
    with pytest.raises(InputError, match="Unknown namespace prefix") as caught:
        check_query("SELECT ?x WHERE {\n  ?x zz:p ?y }")
    assert (caught.value.line, caught.value.column) == (2, 6)


def test_expression_errors_are_located_in_the_users_text() -> None:
    """``kg query -e`` adds our PREFIX lines; positions still refer to what the user typed."""
    with pytest.raises(InputError) as caught:
        build_request(expression="SELECT ?x WHERE { ?x dkg:about ?y }\nORDER ?x")
    assert caught.value.line == 2


def test_expression_gets_our_prefixes_only_when_it_declares_none() -> None:
    assert "PREFIX dkg:" in build_request(expression="ASK { ?x dkg:assertedBy ?c }").sparql
    own = "PREFIX d: <https://w3id.org/diplo-kg/ontology#>\nASK { ?x d:assertedBy ?c }"
    assert build_request(expression=own).sparql == own


# ---------------------------------------------------------------------------- timeout


def test_timeout_really_stops_the_query(dataset: Dataset) -> None:
    cross_join = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    with pytest.raises(QueryTimeout) as caught:
        run_query(dataset, cross_join, timeout=1)
    assert caught.value.exit_code == 3
    assert multiprocessing.active_children() == []  # the child was killed and reaped


def test_timeout_must_be_positive(dataset: Dataset) -> None:
    with pytest.raises(InputError):
        run_query(dataset, "ASK {}", timeout=0)


# ---------------------------------------------------------------------------- formats


def _select(dataset: Dataset) -> QueryResult:
    return run_query(dataset, QUERIES["hedge-cues"].text)


def test_json_results_follow_the_w3c_format(dataset: Dataset) -> None:
    document = json.loads(format_result(_select(dataset), "json"))
    assert document["head"]["vars"] == ["cue", "certainty", "basis", "claims"]
    first = document["results"]["bindings"][0]
    assert first["cue"]["type"] == "literal" and first["cue"]["xml:lang"] == "fr"
    assert first["certainty"]["type"] == "uri"
    assert first["claims"]["datatype"] == "http://www.w3.org/2001/XMLSchema#integer"
    ask = json.loads(format_result(run_query(dataset, QUERIES["hedged-as-fact"].text), "json"))
    assert ask == {"head": {}, "boolean": False}


def test_xml_results_follow_the_w3c_format(dataset: Dataset) -> None:
    ns = {"r": "http://www.w3.org/2005/sparql-results#"}
    root = ET.fromstring(format_result(_select(dataset), "xml"))
    assert [v.get("name") for v in root.findall("r:head/r:variable", ns)] == [
        "cue", "certainty", "basis", "claims"]
    literal = root.find("r:results/r:result/r:binding[@name='cue']/r:literal", ns)
    assert literal is not None
    assert literal.get("{http://www.w3.org/XML/1998/namespace}lang") == "fr"


def test_csv_and_tsv_results_follow_the_w3c_formats(dataset: Dataset) -> None:
    csv_text = format_result(_select(dataset), "csv")
    assert csv_text.startswith("cue,certainty,basis,claims\r\n")
    assert "https://w3id.org/diplo-kg/vocab/certainty-possible" in csv_text
    tsv_text = format_result(_select(dataset), "tsv")
    header, first = tsv_text.splitlines()[:2]
    assert header == "?cue\t?certainty\t?basis\t?claims"
    assert first.split("\t")[0].endswith('"@fr')
    assert first.split("\t")[1].startswith("<https://w3id.org/diplo-kg/vocab/")


def test_graph_results_as_turtle_and_jsonld(dataset: Dataset) -> None:
    result = run_query(dataset, QUERIES["fact-graph"].text)
    assert result.graph is not None
    turtle = format_result(result, "turtle")
    assert format_result(result, "table") == turtle
    assert len(Graph().parse(data=turtle, format="turtle")) == len(result.graph)
    jsonld = format_result(result, "jsonld")
    assert "@context" in json.loads(jsonld)
    with pytest.raises(InputError, match="gives a graph"):
        format_result(result, "csv")
    with pytest.raises(InputError, match="gives rows"):
        format_result(_select(dataset), "turtle")
    assert set(FORMATS) == {"table", "csv", "tsv", "json", "xml", "turtle", "jsonld"}


def test_table_is_aligned_and_counts_rows(dataset: Dataset) -> None:
    table = format_result(_select(dataset), "table")
    lines = table.splitlines()
    assert lines[0].split() == ["cue", "certainty", "basis", "claims"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert lines[-1] == f"({len(lines) - 3} rows)"


# ---------------------------------------------------------------------------- packaging


def test_adhoc_query_params_default_to_its_variables() -> None:
    request = build_request(file_text="SELECT ?thing WHERE { ?thing ?p ?o } ORDER BY ?thing",
                            params=["thing=dkr:event/kim-putin-summit-2019"])
    assert request.bindings == {"thing": DKR["event/kim-putin-summit-2019"]}
    with pytest.raises(InputError, match="no parameter"):
        build_request(file_text="ASK { ?s ?p ?o }", params=["other=1"])


def test_named_query_is_a_frozen_record() -> None:
    query = QUERIES["fact-view"]
    assert isinstance(query, NamedQuery)
    with pytest.raises(AttributeError):
        query.name = "x"  # type: ignore[misc]


@pytest.mark.slow
def test_queries_ship_inside_the_wheel(tmp_path: Path) -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                           str(tmp_path), str(ROOT)], capture_output=True, text=True, timeout=600)
    if done.returncode != 0 and "No matching distribution" in done.stderr:
        pytest.skip("no package index reachable to fetch the build backend")
    assert done.returncode == 0, done.stderr[-2000:]
    wheels = list(tmp_path.glob("diplo_kg-*.whl"))
    assert len(wheels) == 1
    names = set(zipfile.ZipFile(wheels[0]).namelist())
    shipped = {n.removeprefix("kg/queries/").removesuffix(".rq") for n in names
               if n.startswith("kg/queries/") and n.endswith(".rq") and n.count("/") == 2}
    assert shipped == set(QUERIES)
    assert "kg/query.py" in names


def test_every_query_is_a_documented_competency_question() -> None:
    readme = (ROOT / "ontology" / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Competency questions", 1)[1]
    numbered = re.findall(r"(?m)^\d+\. ", section)
    assert len(numbered) >= 15
    assert section.count("(neg.)") >= 3
    for name in QUERIES:
        assert f"{name}.rq" in section, f"{name}.rq is not in ontology/README.md"
