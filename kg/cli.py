"""The ``kg`` command: a thin layer over the library, one small handler per subcommand.

Exit codes: 0 ok, 1 data does not conform, 2 bad input or usage, 3 internal error.
Errors are one line on stderr, never a traceback (set KG_DEBUG=1 to see one).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path

from kg.errors import EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_NONCONFORMANT, KGError

DEFAULT_GRAPH = Path("exports/diplo-kg.trig")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message} (see {self.prog} --help)\n")
        raise SystemExit(EXIT_BAD_INPUT)


def _seconds(text: str) -> float:
    """A time in seconds: a finite positive number (argparse type; else a usage error, exit 2)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"give a finite positive number of seconds, not {text!r}")
    return value


def _port(text: str) -> int:
    """A TCP port, 0 to 65535 (argparse type)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0 to 65535, not {value}")
    return value


def _sub(subparsers: argparse._SubParsersAction, name: str, summary: str,  # type: ignore[type-arg]
         example: str, handler: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        name, help=summary, description=summary,
        epilog="example:\n" + textwrap.indent(example, "  "),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.set_defaults(handler=handler)
    return parser


# ---------------------------------------------------------------------------- build


def _cmd_build(args: argparse.Namespace) -> int:
    from kg.build import build

    # a bad --store or --out fails before anything is compiled; the set is replaced whole
    built, written = build(args.data, args.ontology, args.out, store=args.store,
                           drafts=tuple(args.drafts))
    for warning in built.report.warnings:
        print(warning.one_line(), file=sys.stderr)
    print(f"built {len(built.graph)} quads; wrote {len(written)} files to {args.out}")
    if args.store:  # --store oxigraph:PATH: loaded by build() from the compiled quads
        from kg.store import disk_store_path

        print(f"loaded {args.out / 'diplo-kg.trig'} into the Oxigraph store at "
              f"{disk_store_path(args.store)}")
    return 0


# ---------------------------------------------------------------------------- validate


def _cmd_validate(args: argparse.Namespace) -> int:
    from kg.validate import validate_files

    report = validate_files(args.files, args.ontology)
    print(report.text())
    return 0 if report.conforms else EXIT_NONCONFORMANT


# ---------------------------------------------------------------------------- query


def _read_query_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        from kg.errors import InputError

        raise InputError(f"cannot read query file ({getattr(exc, 'strerror', None) or exc})",
                         path=path) from None


def _cmd_query(args: argparse.Namespace) -> int:
    from kg.query import build_request, format_result, list_queries_text
    from kg.store import credentials_from_env, open_backend

    if args.list:
        sys.stdout.write(list_queries_text())
        return 0
    request = build_request(
        name=args.name, expression=args.expression, params=args.param or (),
        file_text=_read_query_file(args.file) if args.file else None, file_name=str(args.file))
    # --endpoint URL: a remote SPARQL server; --store rdflib|oxigraph[:PATH]: an embedded store
    backend = open_backend(args.endpoint or args.store, args.graph,
                           credentials_from_env(os.environ))
    result = request.run(backend, args.timeout)
    sys.stdout.write(format_result(result, args.format))  # type: ignore[arg-type]
    return 0


# ---------------------------------------------------------------------------- graph


def _cmd_graph(args: argparse.Namespace) -> int:
    from kg.rdfio import atomic_write, check_output_path
    from kg.visualize import graph_page

    out = args.output or Path(f"graph-{args.view}.html")
    check_output_path(out)  # before the page is made
    atomic_write(out, graph_page(args.graph, args.view, args.actor, lang=args.lang))
    print(f"wrote {out}")
    return 0


# ---------------------------------------------------------------------------- export


def _cmd_export(args: argparse.Namespace) -> int:
    from kg.network import export_view

    for path in export_view(args.graph, args.output, args.format, args.view, args.actor):
        print(f"wrote {path}")
    return 0


# ---------------------------------------------------------------------------- serve


def _cmd_serve(args: argparse.Namespace) -> int:
    from kg.server import ServerConfig, serve
    from kg.store import open_backend

    if not 0 <= args.port <= 65535:
        from kg.errors import InputError

        raise InputError(f"--port must be 0 to 65535, not {args.port}")
    config = ServerConfig(timeout=args.timeout, max_rows=args.max_rows)  # checks the limits
    serve(open_backend(args.store, args.graph), args.host, args.port, config,
          announce=lambda line: print(line, file=sys.stderr, flush=True))
    return 0


# ---------------------------------------------------------------------------- push


def _cmd_push(args: argparse.Namespace) -> int:
    from kg.store import credentials_from_env, push

    pushed = push(args.graph, args.url, args.timeout, credentials_from_env(os.environ))
    for graph in pushed:
        print(f"PUT {graph.name or '(default graph)'}: {graph.triples} triples (HTTP {graph.status})")
    print(f"pushed {sum(g.triples for g in pushed)} triples in {len(pushed)} graphs to {args.url}")
    return 0


# ---------------------------------------------------------------------------- bench


def _cmd_bench(args: argparse.Namespace) -> int:
    from kg.bench import BenchOptions, format_table, run_bench
    from kg.rdfio import atomic_write

    if args.load:
        return _bench_load(args)

    options = BenchOptions(sizes=tuple(args.size or [10_000]), repeat=args.repeat,
                           pipelines=tuple(args.pipeline or ()) or BenchOptions.pipelines,
                           queries=args.queries, timeout=args.timeout or 120.0,
                           pyshacl_max=args.pyshacl_max, html=not args.no_html,
                           disk=not args.no_disk, seed=args.seed, workdir=args.workdir)
    report = run_bench(options, args.ontology,
                       progress=lambda line: print(line, file=sys.stderr, flush=True))
    if args.json:
        import json

        atomic_write(args.json, json.dumps(report, indent=1) + "\n")
    sys.stdout.write(format_table(report))
    return 0


def _bench_load(args: argparse.Namespace) -> int:
    from kg.bench import LoadOptions, format_load, run_load
    from kg.rdfio import atomic_write

    options = LoadOptions(graph=args.graph, stores=tuple(args.store or ("rdflib", "oxigraph")),
                          seconds=args.load_seconds, clients=args.clients,
                          expensive_clients=args.expensive_clients, timeout=args.timeout or 5.0)
    report = run_load(options, progress=lambda line: print(line, file=sys.stderr, flush=True))
    if args.json:
        import json

        atomic_write(args.json, json.dumps(report, indent=1) + "\n")
    sys.stdout.write(format_load(report))
    return 0


# ---------------------------------------------------------------------------- extract


def _cmd_extract(args: argparse.Namespace) -> int:
    from kg.errors import InputError
    from kg.extract import evaluate, format_scores
    from kg.extract.writer import article_files, write_drafts

    if args.evaluate:
        sys.stdout.write(format_scores(evaluate(args.evaluate, args.data)))
        return 0
    if not args.article or args.lang is None:
        raise InputError("give ARTICLE... and --lang fr|en, or --evaluate GOLD_DIR...")
    if args.out is not None:
        from kg.rdfio import refuse_symlinks

        refuse_symlinks(args.out)  # a dangling link in the draft folder would be followed
    written = write_drafts(article_files(args.article), args.lang, args.out, args.data,
                           args.ontology)
    for out in written:
        print(f"wrote {out}/ (article.txt, meta.yaml, annotation.yaml)")
    print(f"review them, move them under {args.data / 'articles'}/ and run kg build")
    return 0


# ---------------------------------------------------------------------------- review


def _cmd_review(args: argparse.Namespace) -> int:
    from kg.review.app import ReviewApp, serve
    from kg.review.session import ReviewSession, find_drafts

    session = ReviewSession(find_drafts(args.drafts), args.data, args.ontology,
                            reviewer=args.reviewer)
    serve(ReviewApp(session), args.host, args.port,
          announce=lambda line: print(line, file=sys.stderr, flush=True))
    return 0


# ---------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="kg",
        description="diplo-kg: a knowledge graph of diplomatic relations built from news, "
                    "with certainty, source and sentence on every statement.",
        epilog="exit codes: 0 ok, 1 data does not conform, 2 bad input or usage, "
               "3 internal error",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = _sub(subparsers, "build",
             "Compile data/ with ontology/, validate with the SHACL shapes, write exports/.",
             "kg build\nkg build --data data --ontology ontology --out exports\n"
             "kg build --drafts drafts/ --out /tmp/with-drafts   # machine drafts, no new fact",
             _cmd_build)
    p.add_argument("--data", type=Path, default=Path("data"), help="data folder (default: data)")
    p.add_argument("--ontology", type=Path, default=Path("ontology"),
                   help="ontology folder (default: ontology)")
    p.add_argument("--out", type=Path, default=Path("exports"),
                   help="output folder (default: exports)")
    p.add_argument("--store", metavar="oxigraph:PATH",
                   help="also load the built graph into an on-disk Oxigraph store at PATH "
                        "(reused by kg query/serve --store oxigraph:PATH)")
    p.add_argument("--drafts", type=Path, action="append", default=[], metavar="DIR",
                   help="also build draft articles (a folder written by kg extract -o, or a "
                        "folder of them; repeatable), each into its own named graph "
                        "dkr:graph/draft/<id>; only claims a person reviewed make facts")

    p = _sub(subparsers, "validate",
             "Parse RDF files strictly and validate them against the SHACL shapes "
             "(exit 0 conforms, 1 does not conform, 2 unreadable or invalid syntax).",
             "kg validate exports/diplo-kg.ttl", _cmd_validate)
    p.add_argument("files", nargs="+", type=Path, metavar="FILE",
                   help="Turtle, N-Triples, N-Quads, TriG or RDF/XML files")
    p.add_argument("--ontology", type=Path, default=Path("ontology"),
                   help="folder with diplo.ttl, vocab.ttl and shapes.ttl (default: ontology)")

    p = _sub(subparsers, "query",
             "Run a read-only SPARQL query (a named competency query, a file or an expression) "
             "over the union of all graphs (exit 2 syntax error or refused update/SERVICE/FROM, "
             "3 timeout).",
             "kg query --list\n"
             "kg query who-met-whom\n"
             "kg query actor-relations --param actor=dkr:actor/kim-jong-un --format csv\n"
             "kg query --file my.rq --format json\n"
             "kg query -e 'SELECT ?thing WHERE { ?thing dkg:assertedBy ?claim } ORDER BY ?thing'",
             _cmd_query)
    what = p.add_mutually_exclusive_group()
    what.add_argument("name", nargs="?", metavar="NAME", help="a named query (see --list)")
    what.add_argument("--list", action="store_true", help="list the named queries and exit")
    what.add_argument("--file", type=Path, metavar="Q.rq", help="run the query in this file")
    what.add_argument("-e", "--expression", metavar="SPARQL",
                      help="run this query text (our prefixes are added if it declares none)")
    p.add_argument("--param", action="append", metavar="VAR=VALUE",
                   help="bind a variable: an IRI as <...> or dkr:actor/x, a literal as text, "
                        "\"text\"@fr or \"2\"^^xsd:integer (repeatable)")
    p.add_argument("--format", default="table",
                   choices=["table", "csv", "tsv", "json", "xml", "turtle", "jsonld"],
                   help="output format (default: table; turtle/jsonld for CONSTRUCT/DESCRIBE)")
    p.add_argument("--timeout", type=_seconds, default=30.0,
                   help="stop the query after this many seconds, parsing included (exit 3; "
                        "default: 30)")
    p.add_argument("--graph", type=Path, default=DEFAULT_GRAPH,
                   help=f"RDF file to query (default: {DEFAULT_GRAPH})")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--store", default="rdflib", metavar="rdflib|oxigraph[:PATH]",
                       help="embedded store: rdflib (default), oxigraph (in memory) or "
                            "oxigraph:PATH (on disk, loaded once, reopened while --graph is "
                            "unchanged)")
    where.add_argument("--endpoint", metavar="URL",
                       help="query a remote SPARQL 1.1 endpoint instead (e.g. "
                            "http://localhost:7878/query; parameters sent as a VALUES block; "
                            "credentials, if it asks: KG_SPARQL_USER / KG_SPARQL_PASSWORD)")

    views = ["full", "actors", "ego", "facts"]
    p = _sub(subparsers, "graph",
             "Write an interactive, self-contained HTML page of the relation graph (no network "
             "access; certainty as line style, evidence on click, speculation toggle).",
             "kg graph -o graph.html\n"
             "kg graph --view actors -o actors.html\n"
             "kg graph --view ego --actor kim-jong-un -o kim.html\n"
             "kg graph --view facts --lang fr", _cmd_graph)
    p.add_argument("--view", choices=views, default="full",
                   help="full: actors, events, proposals, goods; actors: who relates to whom; "
                        "ego: one actor within two steps (needs --actor); facts: asserted facts "
                        "only (default: full)")
    p.add_argument("--actor", metavar="ID",
                   help="actor for --view ego: kim-jong-un, actor/kim-jong-un or a full IRI")
    p.add_argument("-o", "--output", type=Path, metavar="FILE",
                   help="HTML file to write (default: graph-VIEW.html)")
    p.add_argument("--lang", choices=["en", "fr"], default="en",
                   help="initial label language (switchable on the page; default: en)")
    p.add_argument("--graph", type=Path, default=DEFAULT_GRAPH,
                   help=f"RDF file to draw (default: {DEFAULT_GRAPH})")

    p = _sub(subparsers, "export",
             "Write the networkx projection of the graph for other tools: GraphML, GEXF (Gephi) "
             "or CSV (nodes + edges; certainty, source and evidence as columns).",
             "kg export --format graphml -o diplo-kg.graphml\n"
             "kg export --format gexf --view actors -o actors.gexf\n"
             "kg export --format csv -o graph-csv/        # graph-csv/nodes.csv, edges.csv\n"
             "kg export --format csv -o actors.csv --view actors  # actors.nodes.csv, .edges.csv",
             _cmd_export)
    p.add_argument("--format", required=True, choices=["graphml", "gexf", "csv"],
                   help="output format")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="OUT",
                   help="file to write; for csv a folder, or x.csv for x.nodes.csv + x.edges.csv")
    p.add_argument("--view", choices=views, default="full", help="which view (default: full)")
    p.add_argument("--actor", metavar="ID", help="actor for --view ego")
    p.add_argument("--graph", type=Path, default=DEFAULT_GRAPH,
                   help=f"RDF file to project (default: {DEFAULT_GRAPH})")

    p = _sub(subparsers, "serve",
             "Serve a read-only SPARQL 1.1 Protocol endpoint at /sparql and a query explorer at / "
             "(local only by default; updates, SERVICE and FROM refused; timeout and row cap).",
             "kg serve\n"
             "kg serve --port 8080 --store oxigraph:.kg-store\n"
             "curl -H 'Accept: text/csv' --data-urlencode 'query=SELECT * WHERE { ?s ?p ?o } "
             "LIMIT 3' http://127.0.0.1:8000/sparql", _cmd_serve)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    p.add_argument("--port", type=_port, default=8000, help="port (default: 8000; 0 = any free)")
    p.add_argument("--graph", type=Path, default=DEFAULT_GRAPH,
                   help=f"RDF file to serve (default: {DEFAULT_GRAPH})")
    p.add_argument("--store", default="rdflib", metavar="rdflib|oxigraph[:PATH]",
                   help="store that answers the queries (default: rdflib)")
    p.add_argument("--timeout", type=_seconds, default=30.0,
                   help="stop a query after this many seconds, answering 503 (default: 30)")
    p.add_argument("--max-rows", type=int, default=10_000,
                   help="return at most this many rows or triples, with the header "
                        "X-Result-Truncated: true when cut (default: 10000)")

    p = _sub(subparsers, "push",
             "Upload the built graph to a SPARQL server with the Graph Store Protocol: one "
             "PUT ?graph=IRI per named graph (N-Triples), replacing those graphs.",
             "kg push http://localhost:7878/store\n"
             "kg push http://localhost:3030/diplo/data            # Fuseki\n"
             "kg push http://localhost:7200/repositories/diplo/rdf-graphs/service  # GraphDB",
             _cmd_push)
    p.add_argument("url", metavar="URL",
                   help="Graph Store Protocol endpoint of the server (credentials, if it asks: "
                        "KG_SPARQL_USER / KG_SPARQL_PASSWORD)")
    p.add_argument("--graph", type=Path, default=DEFAULT_GRAPH,
                   help=f"TriG or N-Quads file to upload (default: {DEFAULT_GRAPH})")
    p.add_argument("--timeout", type=float, default=60.0,
                   help="seconds to wait for each request (default: 60)")
    p = _sub(subparsers, "extract",
             "Draft an annotation of a French or English news text (actors reconciled with "
             "data/, events, proposals, hedges, speakers) into a new article folder to review; "
             "or score the extractor against reviewed articles (--evaluate). Needs the "
             "'extract' extra.",
             "kg extract article.txt --lang fr -o drafts/003_mytext\n"
             "kg extract news/*.txt --lang en -o drafts/   (or a folder: kg extract news/ ...)\n"
             "kg extract --evaluate data/articles/*", _cmd_extract)
    p.add_argument("article", nargs="*", type=Path, metavar="ARTICLE",
                   help="UTF-8 texts of the articles, or folders of *.txt (one model load "
                        "for the whole batch)")
    p.add_argument("--lang", choices=["fr", "en"], help="language of the articles")
    p.add_argument("-o", "--out", type=Path, metavar="DRAFT",
                   help="one article: new folder for its draft, named by the article id "
                        "(default: drafts/NNN_<hash>); several: the parent of their NNN_<hash> "
                        "folders (default: drafts); nothing existing is ever overwritten")
    p.add_argument("--ontology", type=Path, default=None,
                   help="ontology folder, for the actor classes (default: the ontology folder "
                        "beside --data)")
    p.add_argument("--evaluate", nargs="+", type=Path, metavar="GOLD_DIR",
                   help="article folders with reviewed annotations: print precision, recall, F1 "
                        "and accuracies of drafts extracted from their texts")
    p.add_argument("--data", type=Path, default=Path("data"),
                   help="data folder to reconcile actors and things with (default: data)")
    p = _sub(subparsers, "review",
             "Review drafted articles in the browser: the text with every claim highlighted, "
             "accept, edit, reject, split or add claims, edit things and entities; saving "
             "validates like kg build and rewrites annotation.yaml atomically (local only).",
             "kg review drafts/004_mytext --reviewer 'Jane Analyst'\n"
             "kg review drafts/            # every draft folder inside\n"
             "then open http://127.0.0.1:8001/", _cmd_review)
    p.add_argument("drafts", nargs="+", type=Path, metavar="DRAFT_DIR",
                   help="a draft article folder (article.txt, meta.yaml, annotation.yaml, as "
                        "written by kg extract -o) or a folder of them")
    p.add_argument("--reviewer", metavar="NAME",
                   help="your name, written as provenance.reviewer (else asked on the page)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8001, help="port (default: 8001; 0 = any free)")
    p.add_argument("--data", type=Path, default=Path("data"),
                   help="data folder: the registry and the articles drafts are checked "
                        "against (default: data)")
    p.add_argument("--ontology", type=Path, default=Path("ontology"),
                   help="ontology folder (default: ontology)")
    p = _sub(subparsers, "bench",
             "Benchmark every stage (generate, read, compile, validate, exports, load, queries, "
             "networkx, HTML) on a synthetic corpus, on the rdflib and Oxigraph backends and "
             "next to plain rdflib and raw pyoxigraph; prints a table (figures, not tests).",
             "kg bench --size 10000 --repeat 3\n"
             "kg bench --size 10000 100000 1000000 --repeat 3 --json bench.json\n"
             "kg bench --size 1000000 --queries who-met-whom,hedge-cues --repeat 1\n"
             "kg bench --load --load-seconds 30 --clients 16 --expensive-clients 4", _cmd_bench)
    p.add_argument("--size", type=int, nargs="+", metavar="N",
                   help="corpus sizes in triples (default: 10000)")
    p.add_argument("--repeat", type=int, default=3, help="runs per pipeline (default: 3)")
    p.add_argument("--json", type=Path, metavar="FILE", help="also write the figures as JSON")
    p.add_argument("--pipeline", action="append",
                   choices=["oxigraph", "rdflib", "peer-oxigraph", "peer-rdflib"],
                   help="run only these pipelines (repeatable; default: all four)")
    p.add_argument("--queries", default="all", metavar="all|none|NAME,...",
                   help="competency queries to time besides the three peer queries "
                        "(default: all named queries, run without parameters)")
    p.add_argument("--timeout", type=_seconds, default=None,
                   help="time limit per query in seconds (default: 120; with --load: 5)")
    p.add_argument("--pyshacl-max", type=int, default=30_000, metavar="N",
                   help="run pySHACL (rdflib pipeline) only up to N triples (default: 30000)")
    p.add_argument("--no-html", action="store_true", help="skip the networkx and HTML stages")
    p.add_argument("--no-disk", action="store_true", help="skip the on-disk Oxigraph store")
    p.add_argument("--seed", type=int, default=7, help="seed of the synthetic corpus (default: 7)")
    p.add_argument("--workdir", type=Path, help="where to write the corpus (default: a temp dir)")
    p.add_argument("--ontology", type=Path, default=Path("ontology"),
                   help="ontology folder (default: ontology)")
    p.add_argument("--load", action="store_true",
                   help="instead: load-test kg serve on each store (cheap queries from --clients "
                        "threads, then with --expensive-clients more sending runaway queries); "
                        "prints req/s, p50, p99 and errors")
    p.add_argument("--load-seconds", type=_seconds, default=30.0, metavar="S",
                   help="seconds per load phase (default: 30)")
    p.add_argument("--clients", type=int, default=16, help="cheap-query clients (default: 16)")
    p.add_argument("--expensive-clients", type=int, default=4,
                   help="clients sending expensive queries in the second phase (default: 4)")
    p.add_argument("--store", action="append", choices=["rdflib", "oxigraph"],
                   help="with --load: stores to serve (repeatable; default: both)")
    p.add_argument("--graph", type=Path, default=DEFAULT_GRAPH,
                   help=f"with --load: RDF file to serve (default: {DEFAULT_GRAPH})")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return EXIT_BAD_INPUT
    try:
        return int(args.handler(args))
    except KGError as exc:
        print(f"kg {args.command}: {exc.one_line()}", file=sys.stderr)
        report = getattr(exc, "report", "")
        if report:
            print(report, file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"kg {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # last resort: one line, exit 3
        if os.environ.get("KG_DEBUG"):
            raise
        print(f"kg {args.command}: internal error: {type(exc).__name__}: {exc}".splitlines()[0],
              file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
