"""The graph page in a real browser (Debian's headless Chromium through Playwright).

Skipped, with the reason, where /usr/bin/chromium or Playwright is absent. The page is opened
from a file: URL; any request outside file: fails the test (the page must work offline).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from kg.build import BuiltGraph
from kg.namespaces import DKR
from kg.network import project, view
from kg.visualize import MAX_NODES, render_html
from tests.conftest import ROOT
from tests.support import INJECTION, synthetic_graph

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
SCREENSHOTS = ROOT / "test-output"
DEAL = "https://w3id.org/diplo-kg/id/event/dprk-russia-arms-deal"

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")


@dataclass
class Opened:
    page: Any
    errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    seconds: float = 0.0


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def full(seed: BuiltGraph) -> nx.MultiDiGraph:
    return view(project(seed.dataset), "full")


def open_page(browser: Any, html: str, path: Path) -> Opened:
    path.write_text(html, encoding="utf-8")
    page = browser.new_page(viewport={"width": 1500, "height": 900})
    opened = Opened(page)
    page.on("console", lambda m: opened.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: opened.errors.append(str(e)))
    page.on("request", lambda r: None if r.url.startswith("file:") else opened.outside.append(r.url))

    def on_dialog(dialog: Any) -> None:
        opened.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    start = time.perf_counter()
    page.goto(path.as_uri())
    page.wait_for_function("window.diploGraph && window.diploGraph.ready", timeout=60_000)
    opened.seconds = time.perf_counter() - start
    return opened


def click_node(opened: Opened, iri: str) -> None:
    """A real mouse click on the node's position on the canvas."""
    x, y = opened.page.evaluate(
        """iri => { const g = window.diploGraph, i = g.nodeIndex(iri);
                    const p = g.network.canvasToDOM(g.network.getPositions([i])[i]);
                    const r = document.getElementById('graph').getBoundingClientRect();
                    return [r.left + p.x, r.top + p.y]; }""", iri)
    opened.page.mouse.click(x, y)


def visible(opened: Opened) -> dict[str, int]:
    return opened.page.evaluate("window.diploGraph.visibleCounts()")  # type: ignore[no-any-return]


def test_page_loads_offline_without_errors_and_shows_the_projection(
        browser: Any, full: nx.MultiDiGraph, tmp_path: Path) -> None:
    opened = open_page(browser, render_html(full, title="diplo-kg: full"), tmp_path / "full.html")
    assert opened.errors == []
    assert opened.outside == []
    assert visible(opened) == {"nodes": full.number_of_nodes(), "edges": full.number_of_edges()}
    # line style by certainty: solid certain, dashed probable, dotted possible
    styles = opened.page.evaluate(
        "window.diploGraph.data.edges.map(e => [e.certainty, window.diploGraph.edges.get(e.i).dashes])")
    expected = {"certain": False, "probable": [9, 6], "possible": [2, 5], "": False}
    assert {c for c, _ in styles} >= {"certain", "probable", "possible"}
    assert all(dashes == expected[c] for c, dashes in styles if c in expected)
    SCREENSHOTS.mkdir(exist_ok=True)
    click_node(opened, DEAL)
    opened.page.screenshot(path=str(SCREENSHOTS / "graph-full.png"))
    print(f"\nseed full view: {full.number_of_nodes()} nodes, ready in {opened.seconds:.2f} s")
    opened.page.close()


def test_clicking_a_node_shows_its_evidence_with_the_hedge_cue(
        browser: Any, full: nx.MultiDiGraph, tmp_path: Path) -> None:
    opened = open_page(browser, render_html(full, title="t"), tmp_path / "click.html")
    click_node(opened, DEAL)
    page = opened.page
    node = full.nodes[DEAL]
    assert page.text_content("#details-title") == node["label_en"]
    assert page.text_content("#details blockquote.evidence") == node["sentence"]
    assert page.text_content("#details mark.cue").lower() == node["hedge_cue"].lower()
    assert node["according_to"] in page.text_content("#details")
    page.click("#lang-fr")  # labels switch language, the panel follows
    assert page.text_content("#details-title") == node["label_fr"]
    opened.page.close()


def test_speculation_toggle_hides_exactly_the_hedged_edges(
        browser: Any, full: nx.MultiDiGraph, tmp_path: Path) -> None:
    opened = open_page(browser, render_html(full, title="t"), tmp_path / "toggle.html")
    page = opened.page
    hedged = sorted(i for i, (*_, h) in enumerate(sorted(
        full.edges(keys=True, data="hedged"), key=lambda e: (e[0], e[1], str(e[2])))) if h)
    assert hedged
    page.click("#toggle-speculation")
    hidden = page.evaluate("window.diploGraph.edges.get({filter: e => e.hidden}).map(e => e.id)")
    assert sorted(hidden) == hedged
    assert visible(opened)["edges"] == full.number_of_edges() - len(hedged)
    page.click("#toggle-speculation")
    assert visible(opened)["edges"] == full.number_of_edges()
    opened.page.close()


def test_source_type_and_kind_filters(browser: Any, full: nx.MultiDiGraph, tmp_path: Path) -> None:
    opened = open_page(browser, render_html(full, title="t"), tmp_path / "filters.html")
    page = opened.page
    page.click('#kind-filters input[data-key="goods"]')
    goods = sum(1 for _, k in full.nodes(data="kind") if k == "goods")
    assert visible(opened)["nodes"] == full.number_of_nodes() - goods
    page.click('#kind-filters input[data-key="goods"]')
    page.click('#source-filters input[data-key="foreign-government"]')
    edges = visible(opened)["edges"]
    only_foreign = sum(1 for *_, st in full.edges(data="source_types")
                       if st == "foreign-government")
    assert edges == full.number_of_edges() - only_foreign
    page.fill("#search", "KREMLIN (PRESIDENCE")  # French label, accent- and case-insensitive
    assert page.text_content("#search-result") == "1 matches"
    opened.page.close()


def test_injected_label_renders_as_text(browser: Any, full: nx.MultiDiGraph,
                                        tmp_path: Path) -> None:
    graph = full.copy()
    graph.nodes[DEAL]["label_en"] = INJECTION
    graph.nodes[DEAL]["sentence"] = INJECTION + " href"  # pyvis' raw-HTML trigger word
    opened = open_page(browser, render_html(graph, title=INJECTION), tmp_path / "xss.html")
    page = opened.page
    click_node(opened, DEAL)
    assert page.text_content("#details-title") == INJECTION
    assert INJECTION in page.text_content("#details blockquote.evidence")
    assert page.title() == INJECTION
    x, y = page.evaluate(
        """iri => { const g = window.diploGraph, i = g.nodeIndex(iri);
                    const p = g.network.canvasToDOM(g.network.getPositions([i])[i]);
                    const r = document.getElementById('graph').getBoundingClientRect();
                    return [r.left + p.x, r.top + p.y]; }""", DEAL)
    page.mouse.move(x + 1, y + 1)  # the tooltip, too, is text
    page.wait_for_selector("div.vis-tooltip", state="visible")
    assert INJECTION in page.inner_text("div.vis-tooltip")
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert opened.dialogs == [] and opened.errors == [] and opened.outside == []
    opened.page.close()


def test_large_graph_is_usable(browser: Any, tmp_path: Path) -> None:
    """2,000 nodes: precomputed layout, physics off, the most central nodes shown."""
    graph = synthetic_graph(2000)
    start = time.perf_counter()
    html = render_html(graph, title="synthetic")
    render = time.perf_counter() - start
    opened = open_page(browser, html, tmp_path / "large.html")
    counts = visible(opened)
    assert counts["nodes"] == MAX_NODES
    assert opened.errors == [] and opened.outside == []
    assert opened.page.is_visible("#note")
    opened.page.screenshot(path=str(SCREENSHOTS / "graph-large.png"))
    print(f"\nsynthetic 2000 nodes: page {len(html) / 1e6:.2f} MB, render {render:.2f} s, "
          f"ready in Chromium {opened.seconds:.2f} s")
    opened.page.close()


def test_machine_drafts_have_their_style_toggle_count_and_say_so_on_click(
        browser: Any, with_draft: nx.MultiDiGraph, tmp_path: Path) -> None:
    """Issue 14: drafted statements are drawn apart (violet, dotted border), counted in the
    legend, hidden by their own toggle, and a click says "machine draft, not reviewed"."""
    graph = view(with_draft, "full")
    opened = open_page(browser, render_html(graph, title="t"), tmp_path / "drafts.html")
    page = opened.page
    assert opened.errors == [] and opened.outside == []
    order = sorted(graph.edges(keys=True, data="drafted"), key=lambda e: (e[0], e[1], str(e[2])))
    drafted = sorted(i for i, (*_, d) in enumerate(order) if d)
    drafted_nodes = sum(1 for _, d in graph.nodes(data="drafted") if d)
    assert drafted and drafted_nodes
    assert page.text_content("#legend-drafts").endswith(
        f"({drafted_nodes} nodes, {len(drafted)} edges)")
    colours = page.evaluate("window.diploGraph.data.edges.map(e => "
                            "[e.drafted, window.diploGraph.edges.get(e.i).color.color])")
    assert {c for d, c in colours if d} == {"#8e44ad"}
    assert "#8e44ad" not in {c for d, c in colours if not d}
    page.click("#toggle-drafts")
    hidden = page.evaluate("window.diploGraph.edges.get({filter: e => e.hidden}).map(e => e.id)")
    assert sorted(hidden) == drafted
    page.click("#toggle-drafts")
    assert visible(opened)["edges"] == graph.number_of_edges()
    arrival = f"{DKR}event/991-kim-arrival-vladivostok"
    click_node(opened, arrival)
    assert page.text_content("#details-title") == graph.nodes[arrival]["label_en"]
    assert "machine draft, not reviewed" in page.text_content("#details .badge")
    assert page.text_content("#draft-note").startswith("Machine draft, not reviewed")
    page.click("#lang-fr")
    assert "brouillon automatique, non relu" in page.text_content("#details .badge")
    assert page.text_content("#draft-note").startswith("Brouillon automatique, non relu")
    click_node(opened, DEAL)  # a reviewed statement says nothing of the kind
    assert page.query_selector("#draft-note") is None
    assert opened.errors == []
    opened.page.close()
