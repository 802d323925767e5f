"""The ``kg`` command: a thin layer over the library, one small handler per subcommand.

Exit codes: 0 ok, 1 data does not conform, 2 bad input or usage, 3 internal error.
Errors are one line on stderr, never a traceback (set KG_DEBUG=1 to see one).
"""

from __future__ import annotations

import argparse
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

    built, written = build(args.data, args.ontology, args.out)
    for warning in built.report.warnings:
        print(warning.one_line(), file=sys.stderr)
    print(f"built {len(built.dataset)} quads; wrote {len(written)} files to {args.out}")
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


def _query_backend(args: argparse.Namespace) -> Callable[..., object]:
    """The function that runs a vetted query: (sparql, bindings, timeout) -> QueryResult.

    Hook for other backends (--store / --endpoint): return their runner here.
    """
    from kg.query import run_query
    from kg.rdfio import parse_rdf_dataset

    dataset = parse_rdf_dataset(args.graph)
    return lambda sparql, bindings, timeout: run_query(dataset, sparql, bindings, timeout)


def _cmd_query(args: argparse.Namespace) -> int:
    from kg.query import build_request, format_result, list_queries_text

    if args.list:
        sys.stdout.write(list_queries_text())
        return 0
    request = build_request(
        name=args.name, expression=args.expression, params=args.param or (),
        file_text=_read_query_file(args.file) if args.file else None, file_name=str(args.file))
    result = _query_backend(args)(request.sparql, request.bindings, args.timeout)
    sys.stdout.write(format_result(result, args.format))  # type: ignore[arg-type]
    return 0


# ---------------------------------------------------------------------------- graph


def _cmd_graph(args: argparse.Namespace) -> int:
    from kg.rdfio import atomic_write
    from kg.visualize import graph_page

    out = args.output or Path(f"graph-{args.view}.html")
    atomic_write(out, graph_page(args.graph, args.view, args.actor, lang=args.lang))
    print(f"wrote {out}")
    return 0


# ---------------------------------------------------------------------------- export


def _cmd_export(args: argparse.Namespace) -> int:
    from kg.network import export_view

    for path in export_view(args.graph, args.output, args.format, args.view, args.actor):
        print(f"wrote {path}")
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
             "kg build\nkg build --data data --ontology ontology --out exports", _cmd_build)
    p.add_argument("--data", type=Path, default=Path("data"), help="data folder (default: data)")
    p.add_argument("--ontology", type=Path, default=Path("ontology"),
                   help="ontology folder (default: ontology)")
    p.add_argument("--out", type=Path, default=Path("exports"),
                   help="output folder (default: exports)")

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
    p.add_argument("--timeout", type=float, default=30.0,
                   help="stop the query after this many seconds (exit 3; default: 30)")
    p.add_argument("--graph", type=Path, default=DEFAULT_GRAPH,
                   help=f"RDF file to query (default: {DEFAULT_GRAPH})")

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
