"""diplo-kg: a knowledge graph of diplomatic relations built from news.

The public API mirrors the CLI (names are imported lazily, so ``import kg`` stays cheap)::

    from pathlib import Path
    import kg

    built = kg.build_graph(Path("data"), Path("ontology"))          # kg build (compile + SHACL)
    kg.write_products(kg.render_products(built), Path("exports"))    # ... and write exports/
    rows = kg.run_named(built.dataset, "who-met-whom").rows          # kg query who-met-whom
    graph = kg.view(kg.project(built.dataset), "actors")             # networkx MultiDiGraph
    html = kg.render_html(graph, title="Who relates to whom")        # kg graph --view actors
    files = kg.export_graph(graph, "graphml")                        # kg export --format graphml
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_API = {
    "BuiltGraph": "kg.build",
    "build_graph": "kg.build",
    "render_products": "kg.build",
    "write_products": "kg.build",
    "KGError": "kg.errors",
    "InputError": "kg.errors",
    "NonConformanceError": "kg.errors",
    "load_queries": "kg.query",
    "run_query": "kg.query",
    "run_named": "kg.query",
    "format_result": "kg.query",
    "project": "kg.network",
    "view": "kg.network",
    "export_graph": "kg.network:export",  # not "export": kg.export is the RDF export module
    "render_html": "kg.visualize",
    "open_backend": "kg.store",
}

__all__ = sorted(_API)


def __getattr__(name: str) -> Any:
    target = _API.get(name)
    if target is None:
        raise AttributeError(f"module 'kg' has no attribute {name!r}")
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute or name)


def __dir__() -> list[str]:
    """The lazily imported public names too (tab completion in a notebook)."""
    return sorted(set(globals()) | set(_API))
