"""``kg bench``: time every stage of the pipeline on a synthetic corpus, on each backend, next to
plain rdflib and raw pyoxigraph doing the same work (peers), in one run on the same data.

How it measures:

- The corpus comes from :mod:`kg.synth` (seeded), written like ``data/``, and goes through the
  real build path: strict YAML and texts -> compile -> validate -> store -> queries -> exports.
- Each pipeline (our ``rdflib`` backend, our ``oxigraph`` backend, ``peer-rdflib``,
  ``peer-oxigraph``) runs in fresh Python subprocesses per repetition, so memory and caches do
  not leak between them; ours in two, like ``kg build`` then ``kg query --store``: the build
  stages, then loading the built N-Quads file into the backend and the queries.
- A stage's time is wall-clock (``time.perf_counter``); its peak RSS is the process's
  high-water mark (``resource.getrusage(RUSAGE_SELF).ru_maxrss``) once the stage is done, i.e.
  the peak of everything that process held up to and including the stage.
- Reported: median and min–max over the repetitions, and ratios rdflib/oxigraph (speed-up),
  peer-rdflib/peer-oxigraph, and ours/peer-oxigraph (our overhead over raw pyoxigraph).
- pySHACL is skipped above ``--pyshacl-max`` triples (it takes ~1 s per 1,000 triples); the
  oxigraph pipeline validates with :mod:`kg.shacl_sparql` (same shapes, as SPARQL).

Benchmarks print figures; nothing here asserts on a clock.
"""

from __future__ import annotations

import json
import math
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from kg.errors import InputError, KGError

PIPELINES = ("oxigraph", "rdflib", "peer-oxigraph", "peer-rdflib")
PEER_QUERIES = ("peer-who-met-whom", "peer-provenance", "peer-proposals-per-actor")


# ---------------------------------------------------------------------------- worker side


@dataclass
class _Recorder:
    rows: list[dict[str, Any]] = field(default_factory=list)

    @contextmanager
    def stage(self, name: str, note: str = "") -> Iterator[dict[str, Any]]:
        row: dict[str, Any] = {"stage": name, "note": note}
        start = time.perf_counter()
        try:
            yield row
        except KGError as exc:
            row["note"] = f"failed: {exc.one_line()}"
            row["failed"] = True
        finally:
            row["seconds"] = time.perf_counter() - start
            row["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            self.rows.append(row)

    def skip(self, name: str, note: str) -> None:
        self.rows.append({"stage": name, "note": note, "skipped": True})


def peer_query_text(name: str) -> str:
    return (resources.files("kg") / "queries" / "bench" / f"{name}.rq").read_text(encoding="utf-8")


def _named_queries(selection: str) -> dict[str, str]:
    """The competency queries to time: ``all``, ``none`` or comma-separated names."""
    from kg.query import load_queries

    if selection == "none":
        return {}
    # every named query, run without parameters (optional ones then range over everything)
    queries = {name: q.text for name, q in load_queries().items()}
    if selection == "all":
        return queries
    wanted = [name.strip() for name in selection.split(",") if name.strip()]
    return {name: queries[name] for name in wanted if name in queries}


def _compile(rec: _Recorder, data: Path, ontology: Path) -> Any:
    from kg.compile import compile_graph, load_ontology
    from kg.corpus import read_corpus

    with rec.stage("read"):
        corpus = read_corpus(data)
    with rec.stage("compile", "to canonical quads (kg.quads)") as row:
        graph = compile_graph(corpus, load_ontology(ontology))
        row["size_triples"] = len(graph)
    return graph


def _time_queries(rec: _Recorder, backend: Any, queries: dict[str, str], timeout: float) -> None:
    for name, text in queries.items():
        with rec.stage(f"query:{name}") as row:
            row["rows"] = len(backend.query(text, timeout=timeout).rows)


def _kg_build(rec: _Recorder, work: Path, data: Path, ontology: Path) -> None:
    """The whole ``kg build --store oxigraph:PATH`` as a user runs it, in a subprocess: wall
    time and that process's own peak RSS (``os.wait4``)."""
    out, store = work / "kg-build-exports", work / "kg-build-store"
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(store, ignore_errors=True)
    out.mkdir(parents=True)
    command = [sys.executable, "-c", "import sys; from kg.cli import main; sys.exit(main())",
               "build", "--data", str(data), "--ontology", str(ontology), "--out", str(out),
               "--store", f"oxigraph:{store}"]
    row: dict[str, Any] = {"stage": "kg-build", "note": "kg build --store oxigraph:PATH "
                           "(read, compile, validate, every export, graph pages, disk store)"}
    # stderr to a file, not a pipe: a build printing many warnings would fill a pipe nobody
    # reads until wait4 returns, and both processes would wait for ever
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)
        _pid, status, usage = os.wait4(child.pid, 0)
        row["seconds"] = time.perf_counter() - start
        row["peak_rss_mb"] = usage.ru_maxrss / 1024
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        if child.returncode != 0:
            errors.seek(0)
            row["note"] = f"failed: {errors.read().decode(errors='replace').strip()[-200:]}"
            row["failed"] = True
    rec.rows.append(row)
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(store, ignore_errors=True)


def _pipeline_ours(kind: str, work: Path, data: Path, ontology: Path, options: dict[str, Any]
                   ) -> list[dict[str, Any]]:
    import pyoxigraph as ox

    from kg import shacl_sparql
    from kg.export import RDF_EXPORTS
    from kg.validate import data_graph, load_shapes, validate_graph

    rec = _Recorder()
    if kind == "oxigraph" and options.get("kg_build", True):
        _kg_build(rec, work, data, ontology)
    graph = _compile(rec, data, ontology)
    size = len(graph)
    shapes = load_shapes(ontology)
    if kind == "oxigraph":
        with rec.stage("to-store", "canonical quads -> Oxigraph, graph by graph"):
            store = graph.to_store(ox.Store())
        with rec.stage("validate", "SHACL as SPARQL on Oxigraph") as row:
            row["conforms"] = shacl_sparql.validate_as_sparql(graph, shapes, store).conforms
        del store
        for name in ("diplo-kg.nt", "diplo-kg.ttl", "diplo-kg.nq", "diplo-kg.trig",
                     "diplo-kg.jsonld"):
            suffix = name.rsplit(".", 1)[1]
            with rec.stage(f"export-{suffix}", f"kg.export ({name})") as row:
                text = RDF_EXPORTS[name](graph)
                row["bytes"] = len(text)
            if suffix in ("nt", "nq"):  # what the serve part and the peers load
                (work / f"graph.{suffix}").write_bytes(text)
            del text
        if options["html"]:
            from kg.network import project, view
            from kg.visualize import render_html, view_title

            with rec.stage("networkx") as row:
                network = project(graph)
                row["nodes"] = network.number_of_nodes()
            with rec.stage("html", "actors view, precomputed layout") as row:
                shown = view(network, "actors")
                row["bytes"] = len(render_html(shown, title=view_title(shown)))
            del network, shown
    else:
        from kg.compile import load_ontology

        with rec.stage("to-dataset", "canonical quads -> rdflib Dataset"):
            dataset = graph.to_dataset()
        if size <= options["pyshacl_max"]:
            with rec.stage("validate", "pySHACL") as row:
                row["conforms"] = validate_graph(data_graph(dataset), shapes,
                                                 load_ontology(ontology)).conforms
        else:
            rec.skip("validate", f"pySHACL skipped above {options['pyshacl_max']} triples")
        del dataset
    del graph
    if options.get("part", "all") == "build":
        return _with_size(rec.rows, size)
    rec.rows += _serve_part(kind, work, options, size)
    return _with_size(rec.rows, size)


def _serve_part(kind: str, work: Path, options: dict[str, Any], size: int
                ) -> list[dict[str, Any]]:
    """What ``kg query --store`` does: open the backend on the built file, run queries."""
    from kg.rdfio import MAX_RDF_BYTES
    from kg.store import load_store, open_backend

    rec = _Recorder()
    graph_file = work / "graph.nq"
    if not graph_file.is_file():
        rec.skip("load", "no N-Quads file yet (the oxigraph pipeline writes it)")
        return _with_size(rec.rows, size)
    note = "N-Quads file -> backend"
    if graph_file.stat().st_size > MAX_RDF_BYTES:  # the readers' size limit: same union, smaller
        graph_file, note = work / "graph.nt", f"N-Triples file -> backend (N-Quads > {MAX_RDF_BYTES:,} B)"
    backend = None
    with rec.stage("load", note):
        backend = open_backend(kind, graph_file)
    if backend is None:
        return _with_size(rec.rows, size)
    nquads = graph_file
    if kind == "oxigraph" and options["disk"]:
        store_dir = Path(tempfile.mkdtemp(prefix="oxigraph-store-", dir=work))
        with rec.stage("load-disk", "kg.store.load_store: bulk load into oxigraph:PATH"):
            load_store(nquads, f"oxigraph:{store_dir}")
        with rec.stage("reopen-disk", "open_backend(oxigraph:PATH): reopen, no reload"):
            open_backend(f"oxigraph:{store_dir}", nquads).close()
        shutil.rmtree(store_dir, ignore_errors=True)
    queries = {name: peer_query_text(name) for name in PEER_QUERIES}
    queries.update(_named_queries(options["queries"]))
    _time_queries(rec, backend, queries, options["timeout"])
    backend.close()
    return _with_size(rec.rows, size)


def _with_size(rows: list[dict[str, Any]], size: int) -> list[dict[str, Any]]:
    for row in rows:
        row["size_triples"] = size
    return rows


def _pipeline_peer(kind: str, work: Path, options: dict[str, Any]) -> list[dict[str, Any]]:
    rec = _Recorder()
    ntriples = work / "graph.nt"
    queries = {name: peer_query_text(name) for name in PEER_QUERIES}
    if kind == "peer-oxigraph":
        import pyoxigraph as ox

        with rec.stage("parse-floor", "ox.parse N-Triples, no store") as row:
            row["size_triples"] = sum(1 for _ in ox.parse(path=str(ntriples),
                                                          format=ox.RdfFormat.N_TRIPLES))
        with rec.stage("load", "Store().bulk_load N-Triples"):
            store = ox.Store()
            store.bulk_load(path=str(ntriples), format=ox.RdfFormat.N_TRIPLES)
        with rec.stage("export-ttl", "store.dump Turtle"):
            store.dump(format=ox.RdfFormat.TURTLE, from_graph=ox.DefaultGraph())
        for name, text in queries.items():
            with rec.stage(f"query:{name}", "rows read as pyoxigraph terms") as row:
                # every value read, as any caller must (ours hands back rdflib terms)
                row["rows"] = len([tuple(solution) for solution in store.query(text)])
        return _with_size(rec.rows, row_size(rec.rows))
    from rdflib import Graph

    with rec.stage("load", "Graph().parse N-Triples") as row:
        graph = Graph()
        graph.parse(str(ntriples), format="nt")
        row["size_triples"] = len(graph)
    with rec.stage("export-ttl", "graph.serialize turtle"):
        graph.serialize(format="turtle")
    for name, text in queries.items():
        with rec.stage(f"query:{name}") as row:
            row["rows"] = len(list(graph.query(text)))
    return _with_size(rec.rows, row_size(rec.rows))


def row_size(rows: list[dict[str, Any]]) -> int:
    return next((int(r["size_triples"]) for r in rows if "size_triples" in r), 0)


def worker_main(argv: list[str]) -> int:
    """``python -m kg.bench --worker JSON``: run one pipeline, print its rows as JSON."""
    job = json.loads(argv[0])
    kind, work = job["pipeline"], Path(job["work"])
    if kind.startswith("peer-"):
        rows = _pipeline_peer(kind, work, job["options"])
    elif job["options"].get("part") == "serve":
        rows = _serve_part(kind, work, job["options"], int(job["size"]))
    else:
        rows = _pipeline_ours(kind, work, Path(job["data"]), Path(job["ontology"]),
                              job["options"])
    sys.stdout.write(json.dumps(rows) + "\n")
    return 0


# ---------------------------------------------------------------------------- driver side


@dataclass(frozen=True)
class BenchOptions:
    sizes: tuple[int, ...] = (10_000,)
    repeat: int = 3
    pipelines: tuple[str, ...] = PIPELINES
    queries: str = "all"
    timeout: float = 120.0
    pyshacl_max: int = 30_000
    html: bool = True
    disk: bool = True
    seed: int = 7
    workdir: Path | None = None


def _run_worker(job: dict[str, Any]) -> list[dict[str, Any]]:
    env = dict(os.environ, PYTHONHASHSEED="0")
    done = subprocess.run([sys.executable, "-m", "kg.bench", "--worker", json.dumps(job)],
                          capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:  # reported as a row; the other pipelines still run
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return [{"stage": "worker", "note": f"failed: {tail[:200]}", "failed": True}]
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


def machine() -> dict[str, Any]:
    load = os.getloadavg()
    try:
        import pyoxigraph
        import rdflib

        versions = {"rdflib": rdflib.__version__, "pyoxigraph": pyoxigraph.__version__}
    except ImportError:  # pragma: no cover
        versions = {}
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"python": platform.python_version(), "platform": platform.platform(),
            "cpus": os.cpu_count(), "memory_gib": round(memory, 1),
            "load_average_at_start": [round(x, 2) for x in load], **versions}


def run_bench(options: BenchOptions, ontology: Path, progress: Callable[[str], None]
              ) -> dict[str, Any]:
    """Generate, then run each pipeline ``repeat`` times per size; aggregate the figures."""
    from kg.synth import generate_corpus

    if options.repeat < 1:
        raise InputError("--repeat must be at least 1")
    if any(size < 1_000 for size in options.sizes):
        raise InputError("--size must be at least 1000 triples")
    unknown = set(options.pipelines) - set(PIPELINES)
    if unknown:
        raise InputError(f"unknown pipeline {sorted(unknown)[0]!r} (one of {', '.join(PIPELINES)})")
    info = machine()
    raw: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="kg-bench-", dir=options.workdir) as tmp:
        for size in options.sizes:
            work = Path(tmp) / f"size-{size}"
            data = work / "data"
            start = time.perf_counter()
            generate_corpus(data, size, seed=options.seed)
            raw.append({"stage": "generate", "pipeline": "synth", "seconds":
                        time.perf_counter() - start, "size_requested": size, "repetition": 0,
                        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})
            order = sorted(options.pipelines, key=PIPELINES.index)
            if "oxigraph" not in order:  # it writes the N-Triples/N-Quads the others load
                order.insert(0, "oxigraph")
            for repetition in range(options.repeat):
                for pipeline in order:
                    # ours: the build in one process, then load + queries in a fresh one (as
                    # `kg build` then `kg query --store`); peers: one process
                    parts = ("all",) if pipeline.startswith("peer-") else ("build", "serve")
                    built_size = 0
                    for part in parts:
                        progress(f"size {size}: {pipeline} {part} "
                                 f"(run {repetition + 1}/{options.repeat})")
                        job = {"pipeline": pipeline, "work": str(work), "data": str(data),
                               "ontology": str(ontology), "size": built_size,
                               "options": {"queries": options.queries, "timeout": options.timeout,
                                           "pyshacl_max": options.pyshacl_max,
                                           "html": options.html, "disk": options.disk,
                                           "part": part}}
                        for row in _run_worker(job):
                            row.update(pipeline=pipeline, size_requested=size,
                                       repetition=repetition)
                            built_size = int(row.get("size_triples", built_size))
                            raw.append(row)
    results = aggregate(raw)
    return {"machine": info, "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
            "options": {"sizes": list(options.sizes), "repeat": options.repeat,
                        "queries": options.queries, "seed": options.seed,
                        "rss": "ru_maxrss of the pipeline's subprocess after the stage"},
            "results": results, "ratios": ratios(results)}


def aggregate(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
    for row in raw:
        groups.setdefault((row["stage"], row["pipeline"], row["size_requested"]), []).append(row)
    sizes: dict[int, int] = {}
    for row in raw:
        if row.get("stage") == "compile" and row.get("size_triples"):
            sizes[row["size_requested"]] = int(row["size_triples"])
    out = []
    for (stage, pipeline, requested), rows in groups.items():
        timed = [r["seconds"] for r in rows if "seconds" in r and not r.get("failed")]
        notes = sorted({r.get("note", "") for r in rows if r.get("note")})
        out.append({
            "stage": stage, "backend": pipeline,
            "size_triples": sizes.get(requested, requested),
            "median_s": round(statistics.median(timed), 4) if timed else None,
            "min_s": round(min(timed), 4) if timed else None,
            "max_s": round(max(timed), 4) if timed else None,
            "runs": len(timed),
            "peak_rss_mb": round(max(r.get("peak_rss_mb", 0) for r in rows), 1),
            "note": "; ".join(notes),
        })
    return out


#: stages that run the same code on both backends (no backend ratio for them)
_SAME_CODE = ("generate", "read", "compile", "networkx", "html")


def ratios(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Speed ratios per stage and size: rdflib/oxigraph (ours), peer-rdflib/peer-oxigraph, and
    ours(oxigraph)/peer-oxigraph (our overhead; 1.0 = none)."""
    index = {(r["stage"], r["backend"], r["size_triples"]): r["median_s"] for r in results}
    pairs = (("rdflib", "oxigraph", "speed-up rdflib/oxigraph (ours)"),
             ("peer-rdflib", "peer-oxigraph", "speed-up plain rdflib/raw pyoxigraph"),
             ("oxigraph", "peer-oxigraph", "overhead ours/raw pyoxigraph"),
             ("peer-rdflib", "oxigraph", "speed-up plain rdflib/ours (oxigraph)"))
    out = []
    for stage, _backend, size in sorted({(s, b, z) for s, b, z in index}):
        if stage in _SAME_CODE:
            continue
        for slow, fast, what in pairs:
            a, b = index.get((stage, slow, size)), index.get((stage, fast, size))
            if a and b:
                out.append({"stage": stage, "size_triples": size, "ratio": what,
                            "value": round(a / b, 2)})
    return _dedupe(out) + growth(results)


def growth(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per stage and backend, from the smallest to the largest size: the exponent k of
    time ~ size^k (1.0 = linear; fixed costs make it smaller at small sizes)."""
    by_key: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for r in results:
        if r["median_s"]:
            by_key.setdefault((r["stage"], r["backend"]), []).append((r["size_triples"],
                                                                      r["median_s"]))
    out = []
    for (stage, backend), points in sorted(by_key.items()):
        (n1, t1), (n2, t2) = min(points), max(points)
        if n2 > n1 and stage != "generate":
            out.append({"stage": stage, "size_triples": n2,
                        "ratio": f"growth exponent {backend} ({n1:,}->{n2:,}; 1 = linear)",
                        "value": round(math.log(t2 / t1) / math.log(n2 / n1), 2)})
    return out


def _dedupe(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen, out = set(), []
    for row in rows:
        key = (row["stage"], row["size_triples"], row["ratio"])
        if key not in seen:
            seen.add(key)
            out.append(row)
    return out


def _fmt(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def format_table(report: dict[str, Any]) -> str:
    """The figures as a Markdown table (stage × backend × size) and the ratios."""
    lines = ["| size (triples) | stage | backend | median | min–max | peak RSS | note |",
             "|---:|---|---|---:|---:|---:|---|"]
    order = {name: i for i, name in enumerate(("synth", *PIPELINES))}
    stage_order = ("generate", "kg-build", "read", "compile", "to-store", "to-dataset",
                   "validate", "export-nt", "export-ttl", "export-nq", "export-trig",
                   "export-jsonld", "networkx", "html", "parse-floor", "load", "load-disk",
                   "reopen-disk")

    def key(r: dict[str, Any]) -> tuple[Any, ...]:
        stage = r["stage"]
        rank = stage_order.index(stage) if stage in stage_order else len(stage_order)
        return (r["size_triples"], rank, stage, order.get(r["backend"], 99))

    for r in sorted(report["results"], key=key):
        spread = f"{_fmt(r['min_s'])}–{_fmt(r['max_s'])}" if r["runs"] > 1 else ""
        lines.append(f"| {r['size_triples']:,} | {r['stage']} | {r['backend']} | "
                     f"{_fmt(r['median_s'])} | {spread} | {r['peak_rss_mb']:.0f} MB | "
                     f"{r['note']} |")
    lines += ["", "| size (triples) | stage | ratio | value |", "|---:|---|---|---:|"]
    for r in sorted(ratios(report["results"]),
                    key=lambda r: (r["size_triples"], r["stage"], r["ratio"])):
        unit = "" if r["ratio"].startswith("growth") else "×"
        lines.append(f"| {r['size_triples']:,} | {r['stage']} | {r['ratio']} | {r['value']}{unit} |")
    m = report["machine"]
    lines += ["", f"machine: {m['cpus']} CPUs, {m['memory_gib']} GiB, Python {m['python']}, "
                  f"rdflib {m.get('rdflib')}, pyoxigraph {m.get('pyoxigraph')}; load average "
                  f"{m['load_average_at_start']} at start, {report['load_average_at_end']} "
                  "at end"]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- load

#: cheap queries of the load benchmark: a few milliseconds each on the seed graph
LOAD_CHEAP: tuple[str, ...] = (
    "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 10",
    "ASK { ?s a <https://w3id.org/diplo-kg/ontology#Claim> }",
    "SELECT ?claim WHERE { ?claim <https://w3id.org/diplo-kg/ontology#certainty> ?c } LIMIT 5",
)
#: an expensive query: a cross product that only the time limit stops
LOAD_EXPENSIVE = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


@dataclass(frozen=True)
class LoadOptions:
    """``kg bench --load``: clients, seconds per phase, stores, the served file, time limit."""

    graph: Path
    stores: tuple[str, ...] = ("rdflib", "oxigraph")
    seconds: float = 30.0
    clients: int = 16
    expensive_clients: int = 4
    timeout: float = 5.0


def _load_client(url: str, queries: tuple[str, ...], start: int, stop_at: float,
                 out: list[tuple[int, float]]) -> None:
    """One client: POST queries in turn on a kept-alive connection until ``stop_at``, recording
    (status, seconds) per request (status 0: the connection failed)."""
    import http.client
    import urllib.parse

    parts = urllib.parse.urlsplit(url)
    conn: http.client.HTTPConnection | None = None
    index = start
    while time.monotonic() < stop_at:
        body = urllib.parse.urlencode({"query": queries[index % len(queries)]})
        index += 1
        began = time.perf_counter()
        try:
            if conn is None:
                conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port,
                                                  timeout=120)
            conn.request("POST", "/sparql", body, {
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/sparql-results+json"})
            response = conn.getresponse()
            response.read()
            status = response.status
            if response.will_close:
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException):
            status = 0
            if conn is not None:
                conn.close()
            conn = None
        out.append((status, time.perf_counter() - began))
    if conn is not None:
        conn.close()


def _percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]


def load_phase(url: str, seconds: float, clients: int, expensive_clients: int = 0,
               cheap: tuple[str, ...] = LOAD_CHEAP,
               expensive: tuple[str, ...] = (LOAD_EXPENSIVE,)) -> dict[str, Any]:
    """Drive the SPARQL endpoint at ``url`` with ``clients`` threads sending cheap queries (and
    ``expensive_clients`` more sending expensive ones) for ``seconds``; the cheap queries'
    throughput, latency percentiles and errors (any status but 200), the expensive ones'
    statuses (503 is their time limit)."""
    stop_at = time.monotonic() + seconds
    cheap_out: list[list[tuple[int, float]]] = [[] for _ in range(clients)]
    heavy_out: list[list[tuple[int, float]]] = [[] for _ in range(expensive_clients)]
    threads = [threading.Thread(target=_load_client, args=(url, cheap, i, stop_at, cheap_out[i]))
               for i in range(clients)]
    threads += [threading.Thread(target=_load_client, args=(url, expensive, i, stop_at,
                                                            heavy_out[i]))
                for i in range(expensive_clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    done = [r for out in cheap_out for r in out]
    latencies = [t for status, t in done if status == 200]
    statuses: dict[str, int] = {}
    for status, _ in (r for out in heavy_out for r in out):
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    p50, p99 = _percentile(latencies, 0.50), _percentile(latencies, 0.99)
    failed: dict[str, int] = {}
    for status, _ in done:
        if status != 200:  # 0: the connection failed
            failed[str(status)] = failed.get(str(status), 0) + 1
    return {"clients": clients, "expensive_clients": expensive_clients,
            "seconds": round(elapsed, 1), "requests": len(done),
            "errors": sum(failed.values()), "error_statuses": failed,
            "req_per_s": round(len(done) / elapsed, 1),
            "p50_ms": None if p50 is None else round(p50 * 1000, 1),
            "p99_ms": None if p99 is None else round(p99 * 1000, 1),
            "expensive_statuses": statuses}


@contextmanager
def served(store: str, graph: Path, timeout: float, python: str = sys.executable,
           env: dict[str, str] | None = None) -> Iterator[str]:
    """``kg serve`` on a free loopback port in a subprocess (so clients and server do not share
    an interpreter); its URL, for the duration of the block."""
    process = subprocess.Popen(
        [python, "-m", "kg.cli", "serve", "--port", "0", "--store", store, "--graph",
         str(graph), "--timeout", str(timeout)],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env)
    assert process.stderr is not None
    # after the first line, stderr (one log line per request) is drained, never read
    drain = threading.Thread(target=_drain, args=(process.stderr,), daemon=True)
    try:
        line = process.stderr.readline()
        found = next((w for w in line.split() if w.startswith("http://")), None)
        if found is None:
            raise KGError(f"kg serve did not start: {line.strip() or 'no output'}")
        drain.start()
        yield found
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if drain.is_alive():
            drain.join(10)  # ends at the end of the stream
        process.stderr.close()


def _drain(stream: Any) -> None:
    for _ in stream:
        pass


def run_load(options: LoadOptions, progress: Callable[[str], None]) -> dict[str, Any]:
    """For each store: ``kg serve`` in a subprocess, cheap queries from ``clients`` threads for
    ``seconds``, then the same with ``expensive_clients`` more sending expensive queries."""
    if options.seconds <= 0 or options.clients < 1 or options.expensive_clients < 0:
        raise InputError("--load needs positive seconds and at least one client")
    if not options.graph.is_file():
        raise InputError("graph file not found (run kg build first)", path=options.graph)
    info = machine()
    phases = []
    for store in options.stores:
        with served(store, options.graph, options.timeout) as url:
            load_phase(url, 1.0, 2)  # warm up: workers forked, parses cached
            for heavy in (0, options.expensive_clients):
                progress(f"load: {store}, {options.clients} clients"
                         + (f" + {heavy} expensive" if heavy else "") + f", {options.seconds:g} s")
                figures = load_phase(url, options.seconds, options.clients, heavy)
                phases.append({"store": store, **figures})
    return {"machine": info, "timeout_s": options.timeout, "load": phases,
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()]}


def _statuses(counts: dict[str, int] | None) -> str:
    if not counts:
        return ""
    return " (" + ", ".join(f"{n}× {'no answer' if s == '0' else s}"
                            for s, n in sorted(counts.items())) + ")"


def format_load(report: dict[str, Any]) -> str:
    """The load figures as a Markdown table (cheap queries; expensive ones' statuses)."""
    lines = ["| store | clients | expensive clients | cheap req/s | cheap p50 | cheap p99 | "
             "cheap errors | expensive answers |", "|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in report["load"]:
        heavy = ", ".join(f"{n}× {s}" for s, n in sorted(r["expensive_statuses"].items())) or "-"
        lines.append(f"| {r['store']} | {r['clients']} | {r['expensive_clients']} | "
                     f"{r['req_per_s']} | {r['p50_ms']} ms | {r['p99_ms']} ms | "
                     f"{r['errors']} of {r['requests']}{_statuses(r.get('error_statuses'))} | "
                     f"{heavy} |")
    m = report["machine"]
    lines += ["", f"time limit {report['timeout_s']:g} s; machine: {m['cpus']} CPUs, "
                  f"load average {m['load_average_at_start']} at start, "
                  f"{report['load_average_at_end']} at end"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # the worker subprocess
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        sys.exit(worker_main(sys.argv[2:]))
    sys.exit("usage: python -m kg.bench --worker JSON (use `kg bench` instead)")
