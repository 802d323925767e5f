"""diplo-kg: a knowledge graph of diplomatic relations built from news.

The public API mirrors the CLI::

    from pathlib import Path
    import kg

    built = kg.build_graph(Path("data"), Path("ontology"))      # compile + validate
    kg.write_products(kg.render_products(built), Path("exports"))
"""

from kg.build import BuiltGraph, build_graph, render_products, write_products
from kg.errors import InputError, KGError, NonConformanceError

__all__ = [
    "BuiltGraph",
    "InputError",
    "KGError",
    "NonConformanceError",
    "build_graph",
    "render_products",
    "write_products",
]
__version__ = "0.1.0"
