"""``kg bench`` keeps working: a tiny run end to end (figures are printed, never asserted)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kg.bench import aggregate, format_table, ratios
from kg.cli import main
from tests.conftest import EXPORTS, ONTOLOGY


def test_bench_smoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bench.json"
    code = main(["bench", "--size", "3000", "--repeat", "1", "--queries", "none", "--no-html",
                 "--no-disk", "--pyshacl-max", "0", "--json", str(out), "--ontology",
                 str(ONTOLOGY), "--workdir", str(tmp_path)])
    assert code == 0
    table = capsys.readouterr().out
    assert "| size (triples) | stage | backend |" in table
    report = json.loads(out.read_text(encoding="utf-8"))
    assert {"machine", "results", "ratios"} <= set(report)
    stages = {(r["stage"], r["backend"]) for r in report["results"]}
    for expected in [("compile", "oxigraph"), ("validate", "oxigraph"), ("load", "oxigraph"),
                     ("load", "rdflib"), ("load", "peer-rdflib"), ("load", "peer-oxigraph"),
                     ("parse-floor", "peer-oxigraph"), ("query:peer-who-met-whom", "oxigraph"),
                     ("export-ttl", "oxigraph"), ("export-nt", "oxigraph"),
                     ("kg-build", "oxigraph"), ("to-dataset", "rdflib")]:
        assert expected in stages, expected
    build = next(r for r in report["results"] if r["stage"] == "kg-build")
    assert "failed" not in build["note"] and build["peak_rss_mb"] > 0  # the real CLI ran
    row = next(r for r in report["results"] if r["stage"] == "compile")
    assert row["size_triples"] > 1000 and row["median_s"] > 0 and row["peak_rss_mb"] > 0
    validate = next(r for r in report["results"]
                    if r["stage"] == "validate" and r["backend"] == "oxigraph")
    assert validate["runs"] == 1
    assert not list(tmp_path.glob("kg-bench-*")), "the work folder is removed"


def test_bad_size_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--size", "10"]) == 2
    assert "at least 1000" in capsys.readouterr().err


def test_ratios_and_table() -> None:
    raw = [{"stage": "load", "pipeline": p, "size_requested": 10, "seconds": s, "peak_rss_mb": 5}
           for p, s in (("rdflib", 4.0), ("oxigraph", 0.5), ("peer-oxigraph", 0.4),
                        ("peer-rdflib", 3.0))]
    results = aggregate(raw)
    found = {r["ratio"]: r["value"] for r in ratios(results)}
    assert found["speed-up rdflib/oxigraph (ours)"] == 8.0
    assert found["overhead ours/raw pyoxigraph"] == 1.25
    report = {"results": results, "ratios": ratios(results), "load_average_at_end": [0, 0, 0],
              "machine": {"cpus": 2, "memory_gib": 1, "python": "3", "load_average_at_start": []}}
    assert "| 10 | load | oxigraph | 500 ms |" in format_table(report)


def test_bench_load_smoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``kg bench --load`` serves the graph, drives it and prints its figures (not asserted)."""
    out = tmp_path / "load.json"
    code = main(["bench", "--load", "--load-seconds", "1", "--clients", "2",
                 "--expensive-clients", "1", "--store", "oxigraph", "--timeout", "1",
                 "--graph", str(EXPORTS / "diplo-kg.trig"), "--json", str(out)])
    assert code == 0
    assert "| store | clients | expensive clients | cheap req/s |" in capsys.readouterr().out
    (cheap, mixed) = json.loads(out.read_text(encoding="utf-8"))["load"]
    assert (cheap["store"], cheap["expensive_clients"], mixed["expensive_clients"]) == (
        "oxigraph", 0, 1)
    assert cheap["requests"] > 0 and cheap["errors"] == 0


def test_bench_load_without_a_graph_is_bad_input(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--load", "--graph", str(tmp_path / "none.trig")]) == 2
    assert "graph file not found" in capsys.readouterr().err
