"""The graph page without a browser: self-contained, escaped, deterministic, bounded."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

from kg.build import PRODUCTS, BuiltGraph
from kg.cli import main
from kg.export import to_trig
from kg.network import project, view
from kg.visualize import MAX_NODES, layout, render_html
from tests.conftest import ROOT
from tests.support import INJECTION, synthetic_graph


@pytest.fixture(scope="module")
def full(seed: BuiltGraph) -> nx.MultiDiGraph:
    return view(project(seed.dataset), "full")


def page_data(page: str) -> dict:  # type: ignore[type-arg]
    """The JSON the page's script reads."""
    match = re.search(r'<script type="application/json" id="graph-data">(.*?)</script>', page, re.S)
    assert match, "no graph data in the page"
    return json.loads(match.group(1))  # type: ignore[no-any-return]




def test_page_is_self_contained(full: nx.MultiDiGraph) -> None:
    page = render_html(full, title="diplo-kg")
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"<(?:link|img|iframe)\b", page, re.I)
    assert not re.search(r"<script[^>]*\bsrc=", page, re.I)
    assert not re.search(r"url\((?!\"?data:)", page)
    assert "@import" not in page and "cdn" not in page.lower()
    assert "sourceMappingURL" not in page
    assert "default-src 'none'" in page  # and the browser is told so


def test_page_carries_every_node_and_edge(full: nx.MultiDiGraph) -> None:
    data = page_data(render_html(full, title="t"))
    assert len(data["nodes"]) == full.number_of_nodes()
    assert len(data["edges"]) == full.number_of_edges()
    assert sum(e["hedged"] for e in data["edges"]) == \
        sum(1 for *_, h in full.edges(data="hedged") if h)
    deal = next(n for n in data["nodes"] if n["iri"].endswith("event/dprk-russia-arms-deal"))
    assert deal["certainty"] == "possible" and deal["cue"] and deal["sentence"]


def test_data_is_escaped_inside_the_script(full: nx.MultiDiGraph) -> None:
    graph = full.copy()
    first = next(iter(graph.nodes))
    graph.nodes[first]["label_en"] = INJECTION
    page = render_html(graph, title=INJECTION)
    assert "<img src=x" not in page
    assert "</script><img" not in page
    assert "&lt;/script&gt;&lt;img" in page  # the title, as text
    assert any(n["en"] == INJECTION for n in page_data(page)["nodes"])  # intact after JSON


def test_rendering_is_deterministic_and_pure(full: nx.MultiDiGraph) -> None:
    before = copy.deepcopy(list(full.nodes(data=True)))
    assert render_html(full, title="t") == render_html(full, title="t")
    assert list(full.nodes(data=True)) == before


def test_same_html_under_another_hash_seed(seed: BuiltGraph, tmp_path: Path) -> None:
    """No set/dict iteration order leaks into the page."""
    code = ("import hashlib, sys; from pathlib import Path; "
            "from kg.rdfio import parse_rdf_dataset; from kg.network import project, view; "
            "from kg.visualize import render_html; "
            "g = view(project(parse_rdf_dataset(Path(sys.argv[1]))), 'actors'); "
            "print(hashlib.sha256(render_html(g, title='t').encode()).hexdigest())")
    trig = tmp_path / "g.trig"
    trig.write_bytes(to_trig(seed.dataset))
    digests = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run([sys.executable, "-c", code, str(trig)], cwd=ROOT, env=env,
                                capture_output=True, text=True, check=True)
        digests.add(result.stdout.strip())
    assert len(digests) == 1


def test_any_multidigraph_renders() -> None:
    """The SPARQL explorer draws CONSTRUCT results: no attribute is required."""
    graph = nx.MultiDiGraph()
    graph.add_edge("http://example.org/a", "http://example.org/b")
    graph.add_node("lonely")
    data = page_data(render_html(graph, title="any"))
    assert len(data["nodes"]) == 3 and len(data["edges"]) == 1
    assert {n["kind"] for n in data["nodes"]} == {"other"}
    assert "degree" not in graph.nodes["lonely"]  # centrality computed on a copy


def test_layout_is_seeded_and_spread_out(full: nx.MultiDiGraph) -> None:
    positions = layout(full)
    assert positions == layout(full)
    assert len(set(positions.values())) == full.number_of_nodes()  # nobody on top of anybody


def test_large_graph_shows_the_most_central_nodes_with_a_note() -> None:
    graph = synthetic_graph(MAX_NODES + 200)
    data = page_data(render_html(graph, title="big"))
    assert len(data["nodes"]) == MAX_NODES
    assert data["total_nodes"] == MAX_NODES + 200
    assert "most central" in data["note"]
    assert data["large"] is True


def test_build_registers_the_graph_pages() -> None:
    assert {"graph-full.html", "graph-actors.html", "graph-facts.html"} <= set(PRODUCTS)


def test_kg_graph_writes_the_page(seed: BuiltGraph, tmp_path: Path) -> None:
    trig = tmp_path / "g.trig"
    trig.write_bytes(to_trig(seed.dataset))
    out = tmp_path / "ego.html"
    assert main(["graph", "--view", "ego", "--actor", "kim-jong-un", "-o", str(out),
                 "--graph", str(trig)]) == 0
    data = page_data(out.read_text(encoding="utf-8"))
    assert data["view"] == "ego" and data["ego"].endswith("actor/kim-jong-un")
    assert str(tmp_path) not in out.read_text(encoding="utf-8")  # no absolute paths
    assert hashlib.sha256(out.read_bytes()).hexdigest()
