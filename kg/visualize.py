"""Interactive, self-contained HTML page of a projected graph (vis-network, no network access).

``render_html(graph, title=...) -> str`` takes any :class:`networkx.MultiDiGraph` (a view of
:func:`kg.network.project`, or a projected CONSTRUCT result) and returns one HTML page:

- every asset is inline: the vis-network library shipped inside the pyvis package (dual
  Apache-2.0/MIT, its licence header kept), our stylesheet and script; zero requests;
- pyvis' own template is not used: it links Bootstrap and a CDN even in ``in_line`` mode, and
  switches all tooltips to raw HTML when a title contains ``href``. Our script renders every
  label, tooltip and detail with ``textContent``; the data travels as JSON in a
  ``<script type="application/json">`` block with ``<``, ``>`` and ``&`` escaped;
- the layout is computed here (igraph Fruchterman-Reingold, fixed seed) and vis physics is off:
  the page is stable at once and rerendering the same graph gives byte-identical HTML;
- above ``max_nodes`` nodes, the page shows the most central ones and says so.
"""

from __future__ import annotations

import html
import json
import math
import random
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import networkx as nx

if TYPE_CHECKING:
    import igraph

from kg.network import CERTAINTY_RANK, add_centrality, centrality, load_view

#: vis-network inside the pyvis package (pinned <0.4 in pyproject)
VIS_NETWORK_JS = ("pyvis", "templates/lib/vis-9.1.2/vis-network.min.js")
MAX_NODES = 1000
EDGE_LABEL_LIMIT = 40
LAYOUT_SEED = 20230912
KAMADA_KAWAI_LIMIT = 300
OVERLAP_REMOVAL_LIMIT = 200

#: colour per node kind (fill, border); unknown kinds get the last entry
KIND_STYLES: dict[str, dict[str, str]] = {
    "actor": {"color": "#4e79a7", "border": "#2f4b6b", "name_en": "actor", "name_fr": "acteur"},
    "event": {"color": "#f28e2b", "border": "#a85c12", "name_en": "event", "name_fr": "événement"},
    "proposal": {"color": "#b07aa1", "border": "#6e4a64", "name_en": "exchange proposal",
                 "name_fr": "proposition d'échange"},
    "leg": {"color": "#d4a6c8", "border": "#8a5f7f", "name_en": "proposal leg",
            "name_fr": "volet de proposition"},
    "relation": {"color": "#76b7b2", "border": "#3f7470", "name_en": "bilateral relation",
                 "name_fr": "relation bilatérale"},
    "goods": {"color": "#59a14f", "border": "#356130", "name_en": "goods", "name_fr": "biens"},
    "place": {"color": "#edc948", "border": "#9c8020", "name_en": "place", "name_fr": "lieu"},
    "other": {"color": "#bab0ac", "border": "#6f6663", "name_en": "other", "name_fr": "autre"},
}
#: shape per class (vis-network shapes with the label below); fallback per kind
CLASS_SHAPES: dict[str, str] = {
    "State": "hexagon", "GovernmentBody": "square", "StateMedia": "square",
    "Organization": "square", "Group": "triangle", "Delegation": "triangle",
    "PoliticalLeader": "dot", "Minister": "dot", "MilitaryOfficial": "dot", "Spokesperson": "dot",
    "Journalist": "dot", "Person": "dot", "Actor": "dot",
    "Summit": "star", "Negotiation": "star", "Meeting": "star",
}
KIND_SHAPES: dict[str, str] = {
    "actor": "dot", "event": "diamond", "proposal": "triangleDown", "leg": "triangleDown",
    "relation": "square", "goods": "triangle", "place": "dot", "other": "dot",
}
#: edge dash pattern per certainty (vis ``dashes``): solid asserted, dashed probable, dotted possible
CERTAINTY_DASHES: dict[str, bool | list[int]] = {
    "certain": False, "probable": [9, 6], "possible": [2, 5], "unknown": [1, 8], "": False,
}


def render_html(graph: nx.MultiDiGraph, *, title: str, lang: str = "en",
                max_nodes: int = MAX_NODES) -> str:
    """The graph as one self-contained HTML page (a string; the caller writes it)."""
    shown, note = _limit(graph, max_nodes)
    positions = layout(shown)
    payload = _payload(shown, positions, title=title, lang=lang, note=note,
                       total_nodes=graph.number_of_nodes(), total_edges=graph.number_of_edges())
    replacements = {
        "TITLE": html.escape(title),
        "LANG": "fr" if lang == "fr" else "en",
        "CSS": _asset("kg", "static/graph.css"),
        "VIS_JS": _strip_source_map(_asset(*VIS_NETWORK_JS)),
        "APP_JS": _asset("kg", "static/graph.js"),
        "DATA": _script_json(payload),
    }
    template = _asset("kg", "templates/graph.html")
    return re.sub(r"\{\{([A-Z_]+)\}\}", lambda m: replacements[m.group(1)], template)


VIEW_TITLES = {
    "full": "relation graph (actors, events, proposals, goods)",
    "actors": "who relates to whom (actors)",
    "facts": "asserted facts only",
    "ego": "ego view",
}


def view_title(graph: nx.MultiDiGraph) -> str:
    """A page title for a view: ``diplo-kg: who relates to whom (actors)``."""
    name = str(graph.graph.get("view", "full"))
    title = f"diplo-kg: {VIEW_TITLES.get(name, name)}"
    centre = graph.graph.get("ego")
    if centre and centre in graph:
        title += f" of {graph.nodes[centre].get('label_en', centre)}"
    return title


def graph_page(graph_file: Path, name: str = "full", actor: str | None = None,
               lang: str = "en") -> str:
    """``kg graph``: the page of one view of an RDF file."""
    graph = load_view(graph_file, name, actor)
    return render_html(graph, title=view_title(graph), lang=lang)


@cache
def _asset(package: str, path: str) -> str:
    return (resources.files(package) / path).read_text(encoding="utf-8")


def _strip_source_map(js: str) -> str:
    """No ``sourceMappingURL``: devtools would try to fetch the missing map."""
    return re.sub(r"//# sourceMappingURL=\S+", "", js).replace("</script", "<\\/script")


def _script_json(payload: object) -> str:
    """JSON safe inside a <script> element (no ``</script>``, ``<!--``, line separators)."""
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return (text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


# ---------------------------------------------------------------------------- size, layout


def _limit(graph: nx.MultiDiGraph, max_nodes: int) -> tuple[nx.MultiDiGraph, str]:
    """The graph itself, or its ``max_nodes`` most central nodes and a note saying so.

    Never mutates ``graph``; a large graph is not copied whole (only the nodes kept are)."""
    n = graph.number_of_nodes()
    needs_centrality = any("degree" not in d for _, d in graph.nodes(data=True))
    if n <= max_nodes and not needs_centrality:
        return graph, ""
    if n <= max_nodes:
        work = graph.copy()
        add_centrality(work)
        return work, ""
    figures: dict[str, dict[str, int | float]] = {}
    if needs_centrality:
        figures, method = centrality(graph)
    else:
        method = str(graph.graph.get("betweenness_method", ""))

    def value(node: str, key: str) -> float:
        return float(figures[node][key] if figures else graph.nodes[node].get(key, 0))

    ranked = sorted(graph.nodes, key=lambda node: (-value(node, "betweenness"),
                                                   -value(node, "degree"), node))
    keep = set(ranked[:max_nodes])
    sub = nx.MultiDiGraph(**graph.graph)
    if method:
        sub.graph["betweenness_method"] = method
    for node in sorted(keep):
        sub.add_node(node, **graph.nodes[node], **figures.get(node, {}))
    for u, v, key, data in graph.edges(keys=True, data=True):
        if u in keep and v in keep:
            sub.add_edge(u, v, key=key, **data)
    note = (f"Large graph: showing the {max_nodes} most central of {n} nodes (betweenness, then "
            f"degree) and the {sub.number_of_edges()} edges between them. "
            "Use kg export or the ego view for the rest.")
    return sub, note


def layout(graph: nx.MultiDiGraph, seed: int = LAYOUT_SEED) -> dict[str, tuple[int, int]]:
    """Integer screen coordinates from a seeded igraph layout, per connected component.

    Deterministic for a given graph: nodes are taken in sorted order and igraph draws from its
    own seeded random generator (restored afterwards).
    """
    import igraph

    nodes = sorted(graph.nodes)
    n = len(nodes)
    if n == 0:
        return {}
    if n == 1:
        return {nodes[0]: (0, 0)}
    index = {node: i for i, node in enumerate(nodes)}
    pairs = sorted({tuple(sorted((index[u], index[v]))) for u, v in graph.edges() if u != v})
    g = igraph.Graph(n=n, edges=pairs)
    igraph.set_random_number_generator(random.Random(seed))
    try:
        coords = _components_layout(g)
    finally:
        igraph.set_random_number_generator(random)
    xs = [c[0] for c in coords]
    ys = [c[1] for c in coords]
    span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
    per_node = 240.0 if n < 30 else 170.0  # px per node side: room for labels
    size = per_node * math.sqrt(n) + 200.0
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    points = [((x - cx) / span * size, (y - cy) / span * size) for x, y in coords]
    if n <= OVERLAP_REMOVAL_LIMIT:
        points = _separate_labels(points, [_label_box(graph.nodes[node]) for node in nodes])
    return {node: (round(x), round(y)) for node, (x, y) in zip(nodes, points, strict=True)}


def _label_box(data: dict[str, object]) -> tuple[float, float]:
    """Half width and half height (px) of a node with its label underneath, at font 16."""
    chars = min(max(len(_text(data, "label_en")), len(_text(data, "label_fr"))), 34)
    return max(4.6 * chars, 22.0) + 6.0, 30.0


def _separate_labels(points: list[tuple[float, float]],
                     boxes: list[tuple[float, float]], rounds: int = 150) -> list[tuple[float, float]]:
    """Push apart nodes whose label boxes overlap (deterministic, small graphs only)."""
    pts = [list(p) for p in points]
    n = len(pts)
    for _ in range(rounds):
        moved = False
        for i in range(n):
            for j in range(i + 1, n):
                dx = pts[j][0] - pts[i][0]
                dy = pts[j][1] - pts[i][1]
                ox = boxes[i][0] + boxes[j][0] - abs(dx)
                oy = boxes[i][1] + boxes[j][1] - abs(dy)
                if ox <= 0 or oy <= 0:
                    continue
                moved = True
                if oy < ox:  # the cheaper way out: vertical
                    shift = (oy / 2 + 0.5) * (1 if dy >= 0 else -1)
                    pts[i][1] -= shift
                    pts[j][1] += shift
                else:
                    shift = (ox / 2 + 0.5) * (1 if dx >= 0 else -1)
                    pts[i][0] -= shift
                    pts[j][0] += shift
        if not moved:
            break
    return [(p[0], p[1]) for p in pts]


def _components_layout(g: igraph.Graph) -> list[tuple[float, float]]:
    """Each connected component laid out alone (Kamada-Kawai: even spacing for small ones;
    grid Fruchterman-Reingold, linear per step, for big ones), then packed in rows, biggest
    first, so that isolated nodes do not fly off and squash the rest."""
    coords: list[tuple[float, float]] = [(0.0, 0.0)] * g.vcount()
    components = sorted(g.connected_components(), key=lambda c: (-len(c), min(c)))
    biggest = len(components[0])
    row_limit = 1.8 * math.sqrt(biggest)
    x_offset = row_y = row_height = 0.0
    for members in components:
        sub = g.subgraph(members)
        if len(members) == 1:
            local = [(0.0, 0.0)]
        elif len(members) <= KAMADA_KAWAI_LIMIT:
            local = sub.layout_kamada_kawai().coords
        else:
            local = sub.layout_fruchterman_reingold(niter=500, grid=True).coords
        xs = [c[0] for c in local]
        ys = [c[1] for c in local]
        span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
        unit = math.sqrt(len(members)) / span  # a component's side grows with sqrt(size)
        width, height = (max(xs) - min(xs)) * unit, (max(ys) - min(ys)) * unit
        if x_offset and x_offset + width > row_limit:
            x_offset, row_y, row_height = 0.0, row_y + row_height + 1.0, 0.0
        for vertex, (x, y) in zip(members, local, strict=True):
            coords[vertex] = (x_offset + (x - min(xs)) * unit, row_y + (y - min(ys)) * unit)
        x_offset += width + 1.0
        row_height = max(row_height, height)
    return coords


# ---------------------------------------------------------------------------- payload


def _text(data: dict[str, object], key: str) -> str:
    value = data.get(key, "")
    return "" if value is None else str(value)


def _source_types(data: dict[str, object]) -> list[str]:
    raw = _text(data, "source_types") or _text(data, "source_type")
    return sorted({s.strip() for s in raw.split("|") if s.strip()}) or ["reference"]


def _payload(graph: nx.MultiDiGraph, positions: dict[str, tuple[int, int]], *, title: str,
             lang: str, note: str, total_nodes: int, total_edges: int) -> dict[str, object]:
    nodes = sorted(graph.nodes)
    index = {node: i for i, node in enumerate(nodes)}
    max_degree_c = max((float(graph.nodes[n].get("degree_centrality", 0)) for n in nodes),
                       default=0.0) or 1.0
    node_rows = []
    for node in nodes:
        d = graph.nodes[node]
        kind = _text(d, "kind") or "other"
        cls = _text(d, "cls")
        x, y = positions[node]
        en = _text(d, "label_en") or _text(d, "label") or node
        node_rows.append({
            "i": index[node], "iri": _text(d, "iri") or node, "id": _text(d, "short_id") or node,
            "x": x, "y": y, "kind": kind if kind in KIND_STYLES else "other", "cls": cls,
            "shape": CLASS_SHAPES.get(cls, KIND_SHAPES.get(kind, "dot")),
            "en": en, "fr": _text(d, "label_fr") or en,
            "size": round(11 + 16 * math.sqrt(float(d.get("degree_centrality", 0)) / max_degree_c),
                          1),
            **_modality(d),
            "status": _text(d, "status"), "cameo": _text(d, "cameo"), "details": _text(d, "details"),
            "degree": int(d.get("degree", 0) or 0), "betweenness": float(d.get("betweenness", 0) or 0),
        })
    edge_rows = []
    parallel: dict[tuple[int, int], int] = {}
    edges = sorted(graph.edges(keys=True, data=True), key=lambda e: (e[0], e[1], str(e[2])))
    for u, v, key, d in edges:
        a, b = index[u], index[v]
        pair = (min(a, b), max(a, b))
        rank = parallel.get(pair, 0)
        parallel[pair] = rank + 1
        en = _text(d, "label_en") or _text(d, "label") or str(key)
        edge_rows.append({
            "from": a, "to": b, "key": str(key), "en": en, "fr": _text(d, "label_fr") or en,
            "parallel": rank, "mutual": bool(d.get("mutual", False)),
            "things": _text(d, "things"), "things_fr": _text(d, "things_fr"),
            "count": int(d.get("count", 1) or 1), **_modality(d),
        })
    for i, row in enumerate(edge_rows):
        row["i"] = i
    return {
        "title": title, "lang": "fr" if lang == "fr" else "en", "note": note,
        "view": _text(graph.graph, "view"), "ego": _text(graph.graph, "ego"),
        "total_nodes": total_nodes, "total_edges": total_edges,
        "edge_labels": len(edge_rows) <= EDGE_LABEL_LIMIT, "large": len(node_rows) > 300,
        "nodes": node_rows, "edges": edge_rows,
        "kinds": {k: v for k, v in KIND_STYLES.items()},
        "certainty_order": sorted(CERTAINTY_DASHES, key=lambda c: -CERTAINTY_RANK.get(c, 0)),
        "dashes": CERTAINTY_DASHES,
    }


def _modality(d: dict[str, object]) -> dict[str, object]:
    certainty = _text(d, "certainty")
    return {
        "certainty": certainty if certainty in CERTAINTY_DASHES else "unknown",
        "hedged": bool(d.get("hedged", False)), "fact": bool(d.get("fact", False)),
        "drafted": bool(d.get("drafted", False)), "confidence": _text(d, "confidence"),
        "basis": _text(d, "basis"), "st": _source_types(d), "source": _text(d, "according_to"),
        "source_fr": _text(d, "according_to_fr"), "evidential_basis": _text(d, "evidential_basis"),
        "evidence": _text(d, "evidence"), "sentence": _text(d, "sentence"),
        "cue": _text(d, "hedge_cue"), "claim": _text(d, "claim"), "article": _text(d, "article"),
        "all_claims": _text(d, "all_claims"),
        "polarity": _text(d, "polarity"),
    }
