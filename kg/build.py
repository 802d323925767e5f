"""The main job: data/ + ontology/ -> validated dataset -> every file under exports/."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import gc
import io
import os
import re
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import Dataset, Graph

from kg.compile import compile_graph, load_ontology
from kg.corpus import read_corpus
from kg.errors import InputError, KGError, NonConformanceError
from kg.export import RDF_WRITERS
from kg.quads import CompiledGraph
from kg.rdfio import Content
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
    """Write rendered products as one set, all or nothing (see :class:`ExportSet`)."""
    with ExportSet(out_dir, products) as export_set:
        for name, content in products.items():
            export_set.write(name, content)
        export_set.commit()
    return [out_dir / name for name in products]


def build(data_dir: Path, ontology_dir: Path, out_dir: Path,
          store: str | None = None, drafts: tuple[Path, ...] = ()) -> tuple[BuiltGraph, list[Path]]:
    """The main job: the export set under ``out_dir`` is replaced as a whole or not at all.

    What can be known before compiling is checked first: ``out_dir`` must be a folder that can
    be written beside (a staging folder is made there at once), no export may be shadowed by a
    folder of the same name, and ``store`` must be ``oxigraph:PATH`` with PATH a folder or
    nothing yet. Then every export is written into the staging folder and, with ``store``, the
    persistent store is loaded from the staged ``diplo-kg.trig``; only then is the staging
    folder swapped in for ``out_dir`` (see :class:`ExportSet`). A failure or a kill at any point
    before the swap leaves ``out_dir`` exactly as it was.
    """
    store_path = _check_store(store) if store is not None else None
    for folder in (data_dir, ontology_dir):
        if folder.resolve().is_relative_to(out_dir.resolve()):
            raise InputError(f"the output folder holds {folder} (it is replaced as a whole: "
                             "give a folder of its own)", path=out_dir)
    with ExportSet(out_dir, PRODUCTS) as export_set:
        built = build_graph(data_dir, ontology_dir, drafts=drafts)
        for name, render in sorted(PRODUCTS.items()):
            export_set.write(name, render(built))
            give_back_memory()
        if store_path is not None:
            from kg.store import load_store

            built.__dict__.pop("network", None)  # the pages are written: free the projection
            gc.collect()  # (networkx graphs hold reference cycles)
            give_back_memory()
            # the store's marker names the file and its hash: the staged file is the same bytes
            load_store(export_set.staging / "diplo-kg.trig", f"oxigraph:{store_path}",
                       built.graph)
        export_set.commit()
    return built, [out_dir / name for name in sorted(PRODUCTS)]


def _check_store(spec: str) -> Path:
    """PATH of ``oxigraph:PATH``, refused before any work if it cannot be a store folder."""
    from kg.store import disk_store_path

    path = disk_store_path(spec)
    if path.exists() and not path.is_dir():
        raise InputError(f"--store {spec}: {path} exists and is not a folder", path=path)
    return path


# ---------------------------------------------------------------------------- the export set

#: test hook: ``KG_BUILD_KILL_AT=<checkpoint>`` makes the build SIGKILL itself there, so the
#: tests can stop a real ``kg build`` at a known point (staged:<name>, loaded, swapped, done)
KILL_AT_ENV = "KG_BUILD_KILL_AT"
_STAGING_TAG = ".kg-build-"
#: per-file temp names of the builds before the directory swap (``.diplo-kg.nt.x1y2.tmp``)
_OLD_TEMP = re.compile(r"^\..+\.[A-Za-z0-9_]+\.tmp$")
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _checkpoint(name: str) -> None:
    if os.environ.get(KILL_AT_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


class ExportSet:
    """A new export set built in a staging folder beside ``out_dir``, then swapped in whole.

    The staging folder is ``.<out>.kg-build-<random>`` in the same parent (same file system).
    It holds an exclusive ``flock`` while the build runs, so the next build can tell a folder
    left by a killed build (no lock: removed) from one a concurrent build is using (locked:
    left alone). Files under ``out_dir`` that are not exports are carried over (hard links).

    The swap is one ``renameat2(RENAME_EXCHANGE)`` on Linux (glibc's, through ctypes): a reader
    opening ``out_dir/x`` gets the old set or the new one, and a kill at any instant leaves one
    of the two whole. Elsewhere (no ``renameat2``, or a file system that refuses the exchange)
    it falls back to two renames, ``out_dir`` -> ``.<out>.kg-build-old-*`` then staging ->
    ``out_dir``: a kill between the two leaves no ``out_dir`` but the old set intact beside it,
    and the next build puts it back before anything else.
    """

    def __init__(self, out_dir: Path, products: Iterable[str]) -> None:
        self.out_dir = out_dir
        self.names = sorted(products)
        self.staging = Path()
        self._lock_fd = -1
        self._committed = False

    # -- before anything is built

    def __enter__(self) -> ExportSet:
        out = self.out_dir
        if out.is_symlink():
            raise InputError("the output folder is a symbolic link (give the folder it points "
                             "to)", path=out)
        if Path.cwd().resolve().is_relative_to(out.resolve()):
            raise InputError("the output folder must be a folder of its own, not the current "
                             "folder or one above it (it is replaced as a whole)", path=out)
        if out.exists():
            if not out.is_dir():
                raise InputError("the output folder exists and is not a folder", path=out)
            for name in self.names:
                if (out / name).is_dir() and not (out / name).is_symlink():
                    raise InputError("an export would replace this folder (move it away)",
                                     path=out / name)
        parent = out.absolute().parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
            _recover(out)
            _remove_stale(out)
            self.staging = Path(tempfile.mkdtemp(prefix=f".{out.name}{_STAGING_TAG}",
                                                 dir=parent))
        except OSError as exc:
            raise InputError(f"cannot write the output folder ({exc.strerror or exc})",
                             path=out) from None
        self._lock_fd = _lock(self.staging)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._lock_fd >= 0:
            os.close(self._lock_fd)
            self._lock_fd = -1
        if not self._committed:
            shutil.rmtree(self.staging, ignore_errors=True)

    # -- building

    def write(self, name: str, content: Content) -> Path:
        """Write one export into the staging folder (fsynced)."""
        target = self.staging / name
        with open(target, "xb") as handle:
            if callable(content):
                content(handle)
            else:
                handle.write(content.encode("utf-8") if isinstance(content, str) else content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(target, 0o644)
        _checkpoint(f"staged:{name}")
        return target

    def commit(self) -> None:
        """Carry over the non-exports, then swap the staging folder in for ``out_dir``."""
        out, staging = self.out_dir, self.staging
        missing = [n for n in self.names if not (staging / n).is_file()]
        if missing:
            raise KGError(f"export set incomplete (missing {', '.join(missing)}): "
                          "nothing was replaced")
        if out.is_dir():
            _carry_over(out, staging, set(self.names))
        os.chmod(staging, 0o755)
        _fsync_dir(staging)
        _checkpoint("before-swap")
        if not out.exists():
            os.rename(staging, out)  # atomic; fails if a folder appeared meanwhile
            self._committed = True
        else:
            old = _swap(staging, out)
            self._committed = True
            _checkpoint("swapped")
            shutil.rmtree(old, ignore_errors=True)
        _fsync_dir(out.absolute().parent)
        _checkpoint("done")


def _lock(folder: Path) -> int:
    """An exclusive flock held on ``folder`` (released when the process ends, even by a kill)."""
    fd = os.open(folder, os.O_RDONLY)
    with contextlib.suppress(ImportError, OSError):
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


def _staged_siblings(out: Path) -> list[Path]:
    parent = out.absolute().parent
    prefix = f".{out.name}{_STAGING_TAG}"
    return sorted(p for p in parent.iterdir() if p.name.startswith(prefix) and p.is_dir()
                  and not p.is_symlink())


def _remove_stale(out: Path) -> None:
    """Remove staging folders left by killed builds (those no running build holds locked)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: cannot tell; leave them
        return
    for folder in _staged_siblings(out):
        try:
            fd = os.open(folder, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # a build running now
        finally:
            os.close(fd)
        shutil.rmtree(folder, ignore_errors=True)


def _recover(out: Path) -> None:
    """After a kill between the two renames of the fallback swap: put the old set back."""
    if out.exists() or out.is_symlink():
        return
    old = [p for p in _staged_siblings(out) if p.name.endswith(".old")]
    if old:
        os.rename(old[-1], out)


def _carry_over(out: Path, staging: Path, exports: set[str]) -> None:
    """Hard-link (or copy) what ``out`` holds besides the exports into the new set; per-file
    temp files of older builds are left behind (removed with the old set)."""
    for entry in sorted(out.iterdir()):
        if entry.name in exports or _OLD_TEMP.match(entry.name):
            continue
        target = staging / entry.name
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, target, symlinks=True, copy_function=_link_or_copy)
        else:
            _link_or_copy(entry, target)


def _link_or_copy(source: str | Path, target: str | Path) -> None:
    if Path(source).is_symlink():
        os.symlink(os.readlink(source), target)
        return
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@functools.cache
def _renameat2() -> Callable[..., int] | None:
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2  # glibc >= 2.28
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                         ctypes.c_uint]
    function.restype = ctypes.c_int
    return function  # type: ignore[no-any-return]


def _swap(staging: Path, out: Path) -> Path:
    """Put ``staging`` at ``out``; return where the old set now is (to be removed)."""
    exchange = _renameat2()
    if exchange is not None:
        result = exchange(_AT_FDCWD, os.fsencode(staging), _AT_FDCWD, os.fsencode(out),
                          _RENAME_EXCHANGE)
        if result == 0:
            return staging  # the staging path now holds the old set
        error = ctypes.get_errno()
        if error not in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
            raise OSError(error, os.strerror(error), str(out))
    old = staging.with_name(staging.name + ".old")
    os.rename(out, old)
    _checkpoint("fallback-between-renames")
    os.rename(staging, out)
    return old
