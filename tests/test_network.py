"""The networkx projection: nodes, modality on edges, views, centrality, GraphML/GEXF/CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import networkx as nx
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS

from kg.build import BuiltGraph
from kg.cli import main
from kg.errors import InputError
from kg.export import to_trig
from kg.namespaces import DKG, DKR, article_graph
from kg.network import (
    CERTAINTY_RANK,
    THING_KINDS,
    export_files,
    project,
    to_csv,
    to_gexf,
    to_graphml,
    view,
)
from tests.conftest import SEED_ID

ACTOR = str(DKR["actor/"])
EVENT = str(DKR["event/"])




@pytest.fixture(scope="module")
def graph(seed: BuiltGraph) -> nx.MultiDiGraph:
    return project(seed.dataset)


@pytest.fixture(scope="module")
def trig_file(seed: BuiltGraph, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("graph") / "diplo-kg.trig"
    path.write_bytes(to_trig(seed.dataset))
    return path


def _typed(built: BuiltGraph, root: URIRef) -> set[str]:
    """Resources typed with ``root`` or one of its subclasses (ontology closure)."""
    classes = set(built.ontology.transitive_subjects(RDFS.subClassOf, root))
    return {str(s) for g in built.dataset.graphs() for c in classes
            for s in g.subjects(RDF.type, c)}


# ---------------------------------------------------------------------------- projection


def test_every_actor_event_proposal_and_goods_is_a_node(built: BuiltGraph) -> None:
    """On the whole corpus."""
    graph = project(built.dataset)
    actors = _typed(built, DKG.Actor)
    events = _typed(built, DKG.Event)
    assert actors and events
    assert {n for n, k in graph.nodes(data="kind") if k == "actor"} == actors
    assert {n for n, k in graph.nodes(data="kind") if k == "event"} == events
    assert {n for n, k in graph.nodes(data="kind") if k == "proposal"} == \
        _typed(built, DKG.ExchangeProposal)
    goods = {n for n, k in graph.nodes(data="kind") if k == "goods"}
    assert "https://w3id.org/diplo-kg/vocab/goods-arms" in goods
    # claims, anchors, ontology classes and SKOS concepts other than goods are not nodes
    assert not any("/claim/" in n or "#char=" in n or "/ontology#" in n for n in graph)


def test_graph_names_survive_the_projection(graph: nx.MultiDiGraph) -> None:
    """rdflib's converter drops graph names; ours records where each node and edge comes from."""
    assert graph.nodes[EVENT + "dprk-russia-arms-deal"]["graph"] == str(article_graph(SEED_ID))
    assert graph.nodes[ACTOR + "russia"]["graph"] == str(DKR["graph/entities"])
    data = graph.edges[EVENT + "kim-visit-russia-2023", ACTOR + "russia", "host"]
    assert data["graph"] == str(article_graph(SEED_ID))


def test_hedged_edge_carries_certainty_source_and_evidence(graph: nx.MultiDiGraph) -> None:
    edge = graph.edges[EVENT + "dprk-russia-arms-deal", ACTOR + "russia", "party"]
    assert edge["certainty"] == "possible" and edge["claims"] == 2
    assert len(edge["all_claims"].splitlines()) == 2 and "pourrait" in edge["all_claims"]
    assert edge["hedged"] is True and edge["fact"] is False
    assert edge["source_type"] == "journalist"
    assert edge["evidential_basis"] in {"journalist-speculation", "state-media-staging"}
    assert edge["hedge_cue"] and edge["hedge_cue"].lower() in edge["sentence"].lower()
    assert edge["evidence"] in edge["sentence"]
    assert edge["claim"].startswith(str(DKR["claim/"]))
    assert edge["label_fr"] == "partie" and edge["label_en"] == "party"


def test_fact_edge_is_not_hedged(graph: nx.MultiDiGraph) -> None:
    edge = graph.edges[EVENT + "kim-arrival-russia-2023", ACTOR + "kim-jong-un", "initiator"]
    assert edge["certainty"] == "certain" and edge["fact"] is True and edge["hedged"] is False
    assert edge["hedge_cue"] == ""
    assert edge["according_to"].startswith("journalist of article")


def test_reported_speech_is_hedged_even_when_certain(graph: nx.MultiDiGraph) -> None:
    """The Kremlin's "sensitive topics": certain, but attributed, so not a fact."""
    talks = graph.nodes[EVENT + "kim-putin-summit-2023-talks"]
    assert talks["certainty"] == "certain"
    assert talks["hedged"] is True and talks["fact"] is False
    assert talks["source_type"] == "official-spokesperson"
    assert talks["hedge_cue"] == "selon"


def test_an_edge_into_a_hedged_thing_is_hedged(graph: nx.MultiDiGraph) -> None:
    """Otherwise the speculation toggle would leave edges pointing at hidden nodes."""
    for u, v, data in graph.edges(data=True):
        if graph.nodes[u]["hedged"] or graph.nodes[v]["hedged"]:
            assert data["hedged"], (u, v)


def test_memberships_and_offices_become_edges(graph: nx.MultiDiGraph) -> None:
    member = graph.edges[ACTOR + "dprk-foreign-minister", ACTOR + "dprk-delegation-2023",
                         "memberOf"]
    assert member["certainty"] == "probable" and member["hedged"] is True
    assert "foreign-government" in member["source_types"]
    office = graph.edges[ACTOR + "kim-jong-un", ACTOR + "north-korea", "office"]
    assert office["label_en"] == "leader of North Korea" and office["fact"] is True


def test_projection_is_pure_and_deterministic(built: BuiltGraph) -> None:
    size = len(built.dataset)
    first, second = project(built.dataset), project(built.dataset)
    assert len(built.dataset) == size
    assert list(first.nodes(data=True)) == list(second.nodes(data=True))
    assert list(first.edges(keys=True, data=True)) == list(second.edges(keys=True, data=True))
    assert list(first.nodes) == sorted(first.nodes)


def test_every_attribute_is_a_plain_scalar(graph: nx.MultiDiGraph) -> None:
    values = [v for _, d in graph.nodes(data=True) for v in d.values()]
    values += [v for *_, d in graph.edges(keys=True, data=True) for v in d.values()]
    assert all(isinstance(v, str | int | float | bool) for v in values)


def test_bare_triples_are_projected_generically() -> None:
    """A CONSTRUCT result without our classes still gives a drawable graph."""
    g = Graph()
    a, b, c = (URIRef(f"http://example.org/{x}") for x in "abc")
    g.add((a, URIRef("http://example.org/knows"), b))
    g.add((b, URIRef("http://example.org/knows"), c))
    g.add((a, RDFS.label, Literal("Alpha", lang="en")))
    projected = project(g)
    assert sorted(projected.nodes) == [str(a), str(b), str(c)]
    assert projected.number_of_edges() == 2
    assert projected.nodes[str(a)]["label_en"] == "Alpha"
    assert projected.nodes[str(a)]["kind"] == "other"


# ---------------------------------------------------------------------------- views


def test_actors_view_summarises_events_with_their_strongest_certainty(
        graph: nx.MultiDiGraph) -> None:
    actors = view(graph, "actors")
    assert {k for _, k in actors.nodes(data="kind")} == {"actor"}
    summit = actors.edges[ACTOR + "kim-jong-un", ACTOR + "vladimir-putin", "relates"]
    assert summit["count"] == 3 and summit["certainty"] == "certain" and summit["mutual"] is True
    assert "2019 Kim–Putin summit" in summit["things"]
    for u, v, key, data in actors.edges(keys=True, data=True):
        if key != "relates":
            continue
        things = data["thing_ids"].split(" | ")
        best = max(CERTAINTY_RANK[graph.nodes[t]["certainty"]] for t in things)
        assert CERTAINTY_RANK[data["certainty"]] == best, (u, v)
        assert data["hedged"] == all(graph.nodes[t]["hedged"] for t in things)
    # Russia's offers to North Korea exist only as speculation: the summary edge is hedged
    offers = actors.edges[ACTOR + "russia", ACTOR + "north-korea", "relates"]
    assert offers["hedged"] is True and offers["certainty"] == "possible"


def test_facts_view_has_no_hedged_node_or_edge(graph: nx.MultiDiGraph) -> None:
    facts = view(graph, "facts")
    assert facts.number_of_nodes() > 10
    assert not any(h for _, h in facts.nodes(data="hedged"))
    assert not any(h for *_, h in facts.edges(keys=True, data="hedged"))
    assert all(d["fact"] for _, d in facts.nodes(data=True) if d["kind"] in THING_KINDS)
    assert EVENT + "dprk-russia-arms-deal" not in facts
    assert EVENT + "kim-arrival-russia-2023" in facts


def test_ego_view_is_the_neighbourhood_of_one_actor(graph: nx.MultiDiGraph) -> None:
    ego = view(graph, "ego", actor="vladimir-putin")
    centre = ACTOR + "vladimir-putin"
    assert centre in ego and ego.graph["ego"] == centre
    distances = nx.single_source_shortest_path_length(graph.to_undirected(), centre, cutoff=2)
    assert set(ego.nodes) == set(distances)
    assert view(graph, "ego", actor="actor/vladimir-putin").nodes == ego.nodes


@pytest.mark.parametrize(("name", "actor", "message"), [
    ("ego", None, "needs an actor"),
    ("ego", "nobody", "no node 'nobody'"),
    ("sideways", None, "unknown view"),
])
def test_bad_view_arguments_are_input_errors(graph: nx.MultiDiGraph, name: str,
                                             actor: str | None, message: str) -> None:
    with pytest.raises(InputError, match=message):
        view(graph, name, actor)


def test_views_do_not_touch_the_projection(graph: nx.MultiDiGraph) -> None:
    before = list(graph.nodes(data=True))
    view(graph, "full")
    view(graph, "actors")
    assert list(graph.nodes(data=True)) == before
    assert "degree" not in graph.nodes[ACTOR + "russia"]


def test_centrality_figures_are_on_every_node(graph: nx.MultiDiGraph) -> None:
    actors = view(graph, "actors")
    for _, data in actors.nodes(data=True):
        assert isinstance(data["degree"], int) and 0 <= data["betweenness"] <= 1
    top = max(actors.nodes, key=lambda n: actors.nodes[n]["betweenness"])
    assert top in {ACTOR + "russia", ACTOR + "north-korea"}


def test_centrality_equals_networkx(graph: nx.MultiDiGraph) -> None:
    """igraph computes them; the figures are networkx' normalised ones."""
    full = view(graph, "full")
    simple = nx.Graph(graph.to_undirected())
    expected_b = nx.betweenness_centrality(simple)
    expected_d = nx.degree_centrality(simple)
    for node, data in full.nodes(data=True):
        assert data["betweenness"] == pytest.approx(expected_b[node], abs=1e-4)
        assert data["degree_centrality"] == pytest.approx(expected_d[node], abs=1e-4)


# ---------------------------------------------------------------------------- exports


def _edge_set(g: nx.MultiGraph) -> set[tuple[str, str, str]]:
    return {(str(u), str(v), str(d.get("certainty"))) for u, v, d in g.edges(data=True)}


def test_graphml_round_trips_through_networkx(graph: nx.MultiDiGraph) -> None:
    actors = view(graph, "actors")
    back = nx.read_graphml(io.BytesIO(to_graphml(actors).encode()), force_multigraph=True)
    assert back.number_of_nodes() == actors.number_of_nodes()
    assert back.number_of_edges() == actors.number_of_edges()
    assert _edge_set(back) == _edge_set(actors)
    russia = back.nodes[ACTOR + "russia"]
    assert russia["label_fr"] == "Russie" and isinstance(russia["betweenness"], float)
    edge = back.edges[ACTOR + "russia", ACTOR + "north-korea", "relates"]
    assert edge["hedged"] is True and edge["source_type"] == "journalist"


def test_gexf_round_trips_through_networkx(graph: nx.MultiDiGraph) -> None:
    """Node ids stay IRIs (networkx' GEXF writer would take an ``id`` attribute as the id)."""
    back = nx.read_gexf(io.BytesIO(to_gexf(graph).encode()))
    assert back.number_of_nodes() == graph.number_of_nodes()
    assert back.number_of_edges() == graph.number_of_edges()
    assert _edge_set(back) == _edge_set(graph)
    hedged = sum(1 for *_, h in back.edges(data="hedged") if h)
    assert hedged == sum(1 for *_, h in graph.edges(data="hedged") if h)


def test_csv_has_one_row_per_node_and_edge_with_modality_columns(graph: nx.MultiDiGraph) -> None:
    files = to_csv(graph)
    nodes = list(csv.DictReader(io.StringIO(files["nodes.csv"])))
    edges = list(csv.DictReader(io.StringIO(files["edges.csv"])))
    assert len(nodes) == graph.number_of_nodes() and len(edges) == graph.number_of_edges()
    for column in ("source", "target", "key", "certainty", "source_type", "according_to",
                   "evidence", "hedge_cue", "hedged"):
        assert column in edges[0]
    rebuilt = nx.MultiDiGraph()
    for row in edges:
        rebuilt.add_edge(row["source"], row["target"], key=row["key"], certainty=row["certainty"])
    assert _edge_set(rebuilt) == _edge_set(graph)


def test_export_is_deterministic(graph: nx.MultiDiGraph) -> None:
    assert to_graphml(graph) == to_graphml(graph)
    assert to_gexf(graph) == to_gexf(graph)


def test_csv_output_paths() -> None:
    files = {"nodes.csv": "", "edges.csv": ""}
    assert export_files(Path("out"), "csv", files) == [Path("out/nodes.csv"), Path("out/edges.csv")]
    assert export_files(Path("a.csv"), "csv", files) == [Path("a.nodes.csv"), Path("a.edges.csv")]
    assert export_files(Path("g.graphml"), "graphml", {"": ""}) == [Path("g.graphml")]


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_kg_export_writes_a_readable_file(trig_file: Path, tmp_path: Path, fmt: str,
                                          graph: nx.MultiDiGraph) -> None:
    out = tmp_path / f"g.{fmt}"
    assert main(["export", "--format", fmt, "-o", str(out), "--graph", str(trig_file)]) == 0
    back = nx.read_graphml(out) if fmt == "graphml" else nx.read_gexf(out)
    assert back.number_of_nodes() == graph.number_of_nodes()


def test_kg_export_csv_and_bad_actor(trig_file: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "csv"
    assert main(["export", "--format", "csv", "--view", "actors", "-o", str(out),
                 "--graph", str(trig_file)]) == 0
    assert (out / "nodes.csv").exists() and (out / "edges.csv").exists()
    assert main(["export", "--format", "csv", "--view", "ego", "--actor", "nobody", "-o",
                 str(out), "--graph", str(trig_file)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nobody" in err[0]


# ---------------------------------------------------------------------------- review state (issue 14)


def test_drafted_statements_are_marked_and_never_facts(with_draft: nx.MultiDiGraph) -> None:
    arrival = f"{DKR}event/991-kim-arrival-vladivostok"
    node = with_draft.nodes[arrival]
    assert node["drafted"] and not node["fact"] and node["hedged"]
    assert node["confidence"] == "0.93"
    assert node["graph"].endswith("graph/draft/991_machine_draft")
    assert node["all_claims"].startswith("machine draft, not reviewed, confidence 0.93")
    edges = [d for u, _v, d in with_draft.edges(data=True) if u == arrival]
    assert edges and all(d["drafted"] for d in edges)
    # the reviewed seed is not drafted, and the facts view leaves every draft out
    assert not any(d["drafted"] for _, d in with_draft.nodes(data=True)
                   if d.get("graph", "").endswith(SEED_ID))
    facts = view(with_draft, "facts")
    assert not any(d.get("drafted") for _, d in facts.nodes(data=True))
    assert not any(d.get("drafted") for *_, d in facts.edges(data=True))


def test_a_rejected_claim_is_left_out_of_the_projection(with_draft: nx.MultiDiGraph) -> None:
    summit = with_draft.nodes[f"{DKR}event/kim-putin-summit-2023"]
    assert "991_machine_draft" not in summit["all_claims"]
    assert summit["article"] == SEED_ID
    # a thing that only rejected claims speak of is no node at all (not reference data)
    assert f"{DKR}event/rejected-visit" not in with_draft
