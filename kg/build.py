"""The main job: data/ + ontology/ -> validated dataset -> every file under exports/."""

from __future__ import annotations

import contextlib
import ctypes
import functools
import gc
import io
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import Dataset, Graph

from kg.compile import compile_graph, load_ontology
from kg.corpus import read_corpus
from kg.errors import NonConformanceError
from kg.export import RDF_WRITERS
from kg.quads import CompiledGraph
from kg.rdfio import Content, stage_file
from kg.validate import ValidationReport, load_shapes, validate_dataset

if TYPE_CHECKING:
    import networkx as nx


@dataclass(frozen=True)
class BuiltGraph:
    """A compiled and validated corpus: canonical quads (``graph``), the ontology, the report."""

    graph: CompiledGraph
    ontology: Graph
    report: ValidationReport

    @functools.cached_property
    def dataset(self) -> Dataset:
        """The quads as an rdflib Dataset, made on first use (1M triples take 1.6 GB as rdflib
        objects: the build itself never asks for it)."""
        return self.graph.to_dataset()

    @functools.cached_property
    def network(self) -> nx.MultiDiGraph:
        """The networkx projection (kg.network), made once for all the graph pages."""
        from kg.network import project

        return project(self.graph)


#: what ``kg build`` writes: name under exports/ -> renderer(built) -> str, bytes, or a function
#: writing into the staged file (the RDF exports stream: a 1M-triple N-Quads file is 236 MB).
#: Other stages (graph pages, ontology docs) register here so the build writes them too.
PRODUCTS: dict[str, Callable[[BuiltGraph], Content]] = {
    name: (lambda built, w=write: functools.partial(w, built.graph))
    for name, write in RDF_WRITERS.items()
}


def _graph_page(view_name: str) -> Callable[[BuiltGraph], str]:
    """The interactive page of one view of the graph (kg.visualize), imported on use."""
    def render(built: BuiltGraph) -> str:
        from kg.network import view
        from kg.visualize import render_html, view_title

        # the full view is the projection itself: render_html ranks and copies only the nodes
        # it shows (a copy of the whole 1M-triple projection would take ~120 MB more)
        graph = built.network if view_name == "full" else view(built.network, view_name)
        return render_html(graph, title=view_title(graph))
    return render


PRODUCTS.update({f"graph-{view}.html": _graph_page(view) for view in ("full", "actors", "facts")})


def _ontology_doc(built: BuiltGraph) -> str:
    """exports/ontology.html: the ontology documentation (kg.docs), imported on use."""
    from kg.docs import render_ontology_html

    return render_ontology_html(built.ontology)


def _ontology_diagram(built: BuiltGraph) -> str:
    """exports/ontology-diagram.svg: the core classes (kg.docs), imported on use."""
    from kg.docs import render_diagram_svg

    return render_diagram_svg(built.ontology)


PRODUCTS.update({"ontology.html": _ontology_doc, "ontology-diagram.svg": _ontology_diagram})


def give_back_memory() -> None:
    """Return freed heap memory to the OS (glibc's ``malloc_trim``; a no-op elsewhere).

    Oxigraph and Python free memory into the allocator, which keeps it: after validation the
    build would still hold the 300 MB of a 1M-triple Oxigraph store while writing exports.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return getattr(ctypes.CDLL(None), "malloc_trim", None)  # the process's own libc
    except OSError:  # pragma: no cover - no dynamic loader
        return None


def build_graph(data_dir: Path, ontology_dir: Path,
                extra_articles: tuple[Path, ...] = (), drafts: tuple[Path, ...] = ()) -> BuiltGraph:
    """Read, compile and validate; raise :class:`NonConformanceError` on any violation.
    ``drafts``: draft article folders (or folders of them), each built into its own named
    graph ``dkr:graph/draft/<id>``."""
    ontology = load_ontology(ontology_dir)
    graph = compile_graph(read_corpus(data_dir, extra_articles, drafts), ontology)
    report = validate_dataset(graph, load_shapes(ontology_dir), ontology)
    give_back_memory()  # the validation store (~300 MB at 1M triples) is gone
    if not report.conforms:
        raise NonConformanceError(
            f"the graph does not conform to the shapes ({len(report.violations)} violations); "
            "nothing was written", report=report.text())
    return BuiltGraph(graph, ontology, report)


def render_products(built: BuiltGraph) -> dict[str, str | bytes]:
    """Every export as str or bytes, in memory: a failure here writes nothing."""
    out: dict[str, str | bytes] = {}
    for name, render in sorted(PRODUCTS.items()):
        content = render(built)
        if callable(content):
            buffer = io.BytesIO()
            content(buffer)
            content = buffer.getvalue()
        out[name] = content
    return out


def write_products(products: dict[str, Content], out_dir: Path) -> list[Path]:
    """Write rendered products all-or-nothing (see :func:`_write_all`)."""
    return _write_all(products.items(), out_dir)


def _write_all(products: Iterable[tuple[str, Content]], out_dir: Path) -> list[Path]:
    """All-or-nothing as far as the file system allows: every file is first written and
    fsynced to a temp file beside its target; only then are they renamed into place. A failure
    or interruption while rendering or staging leaves every existing export untouched.
    ``products`` may be lazy: each is staged and dropped before the next is rendered, so only
    one export is held in memory at a time."""
    staged: list[tuple[Path, Path]] = []
    try:
        for name, content in products:
            target = out_dir / name
            staged.append((stage_file(target, content), target))
            del content
            give_back_memory()
        for temp, target in staged:
            os.replace(temp, target)
    finally:
        for temp, _target in staged:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
    return [target for _temp, target in staged]


def build(data_dir: Path, ontology_dir: Path, out_dir: Path,
          store: str | None = None, drafts: tuple[Path, ...] = ()) -> tuple[BuiltGraph, list[Path]]:
    """The main job. Each file is replaced atomically; a failed build leaves exports/ as it was.

    ``store`` (``oxigraph:PATH``): then load the persistent store with the quads written to
    ``diplo-kg.trig`` (reopened without reload while that file is unchanged).
    """
    built = build_graph(data_dir, ontology_dir, drafts=drafts)
    rendered = ((name, render(built)) for name, render in sorted(PRODUCTS.items()))
    written = _write_all(rendered, out_dir)
    if store is not None:
        from kg.store import load_store

        built.__dict__.pop("network", None)  # the pages are written: free the projection
        gc.collect()  # (networkx graphs hold reference cycles)
        give_back_memory()
        load_store(out_dir / "diplo-kg.trig", store, built.graph)
    return built, written
