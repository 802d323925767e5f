"""Exports are artefacts: every format round-trips (rdflib and Oxigraph both read back the same
graph), N-Triples are byte-identical whatever the hash seed, a build killed while writing
leaves the old exports intact, and a build whose graph violates a shape writes nothing."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path
from typing import BinaryIO

import pytest
from rdflib import Dataset, Graph
from rdflib.compare import isomorphic

from kg.build import BuiltGraph
from kg.cli import main
from kg.export import RDF_EXPORTS
from kg.rdfio import parse_rdf_dataset
from tests.conftest import DATA, ONTOLOGY, ROOT, SEED_ID, union_graph

RDFLIB_FORMATS = {".ttl": "turtle", ".trig": "trig", ".nt": "nt", ".nq": "nquads",
                  ".jsonld": "json-ld"}
QUAD_FORMATS = {".trig", ".nq", ".jsonld"}


def _graphs(dataset: Dataset) -> dict[str, Graph]:
    out: dict[str, Graph] = {}
    for graph in dataset.graphs():
        if len(graph):
            merged = out.setdefault(str(graph.identifier), Graph())
            for triple in graph:
                merged.add(triple)
    return out


def _assert_same(built: Dataset, read: Dataset, suffix: str) -> None:
    if suffix in QUAD_FORMATS:  # named graphs kept: the same graphs, each isomorphic
        expected, got = _graphs(built), _graphs(read)
        assert sorted(got) == sorted(expected)
        for name, graph in expected.items():
            assert isomorphic(got[name], graph), f"graph {name} differs"
    else:
        expected_union = union_graph(built)
        got_union = Graph()
        for graph in read.graphs():
            for triple in graph:
                got_union.add(triple)
        assert len(got_union) == len(expected_union)
        assert isomorphic(got_union, expected_union)


def _cases() -> list[object]:
    return sorted(RDF_EXPORTS)


# rdflib's own TriG parser builds a ConjunctiveGraph internally (rdflib 7.6)
@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
@pytest.mark.parametrize("name", _cases())
def test_export_round_trips_through_rdflib(built: BuiltGraph, name: str) -> None:
    text = RDF_EXPORTS[name](built.dataset)
    suffix = Path(name).suffix
    if suffix not in QUAD_FORMATS:
        with warnings.catch_warnings():  # rdflib 7.6's JSON-LD parser uses ConjunctiveGraph
            warnings.filterwarnings("ignore", message="ConjunctiveGraph is deprecated",
                                    category=DeprecationWarning)
            read_graph = Graph().parse(data=text, format=RDFLIB_FORMATS[suffix])
        assert isomorphic(read_graph, union_graph(built.dataset))
        return
    read = Dataset(default_union=True)
    with warnings.catch_warnings():  # rdflib 7.6's own Dataset.parse calls its deprecated API
        warnings.filterwarnings("ignore", message="Dataset.default_context is deprecated",
                                category=DeprecationWarning)
        warnings.filterwarnings("ignore", message="ConjunctiveGraph is deprecated",
                                category=DeprecationWarning)
        read.parse(data=text, format=RDFLIB_FORMATS[suffix])
    _assert_same(built.dataset, read, suffix)


@pytest.mark.parametrize("name", _cases())
def test_export_round_trips_through_oxigraph(built: BuiltGraph, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(RDF_EXPORTS[name](built.dataset))
    _assert_same(built.dataset, parse_rdf_dataset(path), path.suffix)


def test_exports_cover_every_format() -> None:
    assert {Path(n).suffix for n in RDF_EXPORTS} == set(RDFLIB_FORMATS)


# ---------------------------------------------------------------------------- determinism

_DIGESTS = textwrap.dedent("""
    import hashlib, json, sys
    from pathlib import Path
    from kg.compile import compile_graph, load_ontology
    from kg.corpus import read_corpus
    from kg.export import RDF_EXPORTS
    graph = compile_graph(read_corpus(Path(sys.argv[1])), load_ontology(Path(sys.argv[2])))
    print(json.dumps({name: hashlib.sha256(render(graph)).hexdigest()
                      for name, render in sorted(RDF_EXPORTS.items())}))
""")


def test_exports_are_byte_identical_across_hash_seeds(built: BuiltGraph) -> None:
    """Two fresh interpreters with other PYTHONHASHSEED values (run side by side) render every
    RDF export byte for byte like this process: sets and dicts never leak their order."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    runs = [subprocess.Popen([sys.executable, "-c", _DIGESTS, str(DATA), str(ONTOLOGY)],
                             env={**env, "PYTHONHASHSEED": seed}, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, cwd=ROOT)
            for seed in ("0", "4242")]
    here = {name: hashlib.sha256(render(built.graph)).hexdigest()
            for name, render in sorted(RDF_EXPORTS.items())}
    for run in runs:
        with run:
            out, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
        assert json.loads(out) == here
    assert "diplo-kg.nt" in here


# ---------------------------------------------------------------------------- atomic writes

def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if not p.name.startswith(".")}


def test_writer_failing_midway_leaves_old_exports(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  built: BuiltGraph) -> None:
    import kg.build

    out = tmp_path / "exports"
    out.mkdir()
    for name in RDF_EXPORTS:
        (out / name).write_bytes(b"old\n")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real_write = kg.build.ExportSet.write
    calls: list[str] = []

    def failing_write(self: kg.build.ExportSet, name: str, data: str | bytes) -> Path:
        calls.append(name)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real_write(self, name, data)

    monkeypatch.setattr(kg.build.ExportSet, "write", failing_write)
    with pytest.raises(OSError):
        kg.build.write_products({n: r(built.dataset) for n, r in RDF_EXPORTS.items()}, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # no temp file left
    assert [p.name for p in tmp_path.iterdir()] == ["exports"]  # nor a staging folder


# ---------------------------------------------------------------------------- SHACL gate


def test_build_refuses_to_write_when_a_shape_is_violated(
        data_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    annotation = data_copy / "articles" / SEED_ID / "annotation.yaml"
    text = annotation.read_text(encoding="utf-8")
    assert "things:\n" in text
    annotation.write_text(text.replace("things:\n", (
        "things:\n  - id: unsourced-visit\n    type: Visit\n"
        "    label: {fr: visite sans source, en: unsourced visit}\n"
        "    visitor: kim-jong-un\n"), 1), encoding="utf-8")
    out = tmp_path / "exports"
    out.mkdir()
    for name in RDF_EXPORTS:
        (out / name).write_bytes(b"old\n")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    code = main(["build", "--data", str(data_copy), "--ontology", str(ONTOLOGY),
                 "--out", str(out)])
    err = capsys.readouterr().err.splitlines()
    assert code == 1
    assert "does not conform" in err[0] and "nothing was written" in err[0]
    assert any(line.startswith("Violation: EvidencedThingShape on <") and "unsourced-visit" in line
               for line in err[1:])
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_render_failing_midway_leaves_old_exports(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The build renders and stages one export at a time (memory); a renderer failing after
    others were staged still leaves every old export as it was and no temp file behind."""
    import kg.build

    out = tmp_path / "exports"
    out.mkdir()
    for name in kg.build.PRODUCTS:
        (out / name).write_bytes(b"old\n")
    before = _snapshot(out)

    def broken(_built: BuiltGraph) -> str:
        raise RuntimeError("renderer crashed")

    last = sorted(kg.build.PRODUCTS)[-1]  # everything before it is already staged
    monkeypatch.setitem(kg.build.PRODUCTS, last, broken)
    with pytest.raises(RuntimeError):
        kg.build.build(DATA, ONTOLOGY, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_build_never_makes_an_rdflib_dataset(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """At 1M triples an rdflib Dataset takes 1.6 GB: compile, validation (both engines),
    exports and graph pages all work from the canonical quads."""
    import kg.build
    import kg.validate
    from kg.quads import CompiledGraph

    def refuse(_self: CompiledGraph) -> Dataset:
        raise AssertionError("the build made an rdflib Dataset")

    monkeypatch.setattr(CompiledGraph, "to_dataset", refuse)
    monkeypatch.setattr(kg.validate, "PYSHACL_MAX_QUADS", 0)  # the engine used at scale
    built, written = kg.build.build(DATA, ONTOLOGY, tmp_path)
    assert len(written) == len(kg.build.PRODUCTS) and built.report.conforms


def test_exports_keep_literal_datatypes_as_written(built: BuiltGraph) -> None:
    """NIF offsets are xsd:nonNegativeInteger in every export (an Oxigraph store would turn
    them into xsd:integer: exports are written from the quads, never from a store)."""
    nni = "http://www.w3.org/2001/XMLSchema#nonNegativeInteger"
    for name, render in RDF_EXPORTS.items():
        text = render(built.graph).decode("utf-8")
        assert nni in text or "xsd:nonNegativeInteger" in text, name
        assert '"0"^^' in text or '"@value":"0"' in text, name


def test_streaming_writer_failing_midway_leaves_no_file(tmp_path: Path) -> None:
    """An export streamed into its staged file that fails halfway leaves neither the target
    nor the temp file."""
    from kg.rdfio import stage_file

    def writer(handle: BinaryIO) -> None:
        handle.write(b"<a> <b> <c> .\n" * 1000)
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        stage_file(tmp_path / "diplo-kg.nt", writer)
    assert list(tmp_path.iterdir()) == []
