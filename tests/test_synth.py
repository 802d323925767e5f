"""The synthetic corpus: deterministic, in our model, and accepted by the real build path."""

from __future__ import annotations

import filecmp
from pathlib import Path

from kg.compile import compile_corpus, load_ontology
from kg.corpus import read_corpus
from kg.shacl_sparql import validate_as_sparql
from kg.synth import articles_for, generate_corpus
from kg.validate import load_shapes
from tests.conftest import ONTOLOGY


def _tree(root: Path) -> list[Path]:
    files = sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())
    assert files, f"nothing generated under {root}"
    return files


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    generate_corpus(tmp_path / "a", 20_000, seed=11)
    generate_corpus(tmp_path / "b", 20_000, seed=11)
    files = _tree(tmp_path / "a")
    assert files == _tree(tmp_path / "b")
    _match, mismatch, errors = filecmp.cmpfiles(tmp_path / "a", tmp_path / "b",
                                                [str(f) for f in files], shallow=False)
    assert not mismatch and not errors


def test_other_seed_other_corpus(tmp_path: Path) -> None:
    generate_corpus(tmp_path / "a", 12_000, seed=1)
    generate_corpus(tmp_path / "b", 12_000, seed=2)
    assert (tmp_path / "a/entities.yaml").read_bytes() != (tmp_path / "b/entities.yaml").read_bytes()


def test_compiles_conforms_and_hits_the_size(tmp_path: Path) -> None:
    size = 25_000
    count = generate_corpus(tmp_path / "data", size, seed=5)
    assert count == articles_for(size, 35) == len(list((tmp_path / "data/articles").iterdir()))
    dataset = compile_corpus(read_corpus(tmp_path / "data"), load_ontology(ONTOLOGY))
    assert 0.8 * size <= len(dataset) <= 1.2 * size
    report = validate_as_sparql(dataset, load_shapes(ONTOLOGY))
    assert report.conforms, report.text()[:1000]
    assert not report.warnings, report.text()[:1000]


def test_corpus_covers_the_model(tmp_path: Path) -> None:
    generate_corpus(tmp_path / "data", 15_000, seed=9)
    text = "\n".join(p.read_text(encoding="utf-8")
                     for p in sorted((tmp_path / "data/articles").glob("*/annotation.yaml")))
    for needle in ("type: \"Visit\"", "type: \"Summit\"", "previousInSeries", "type: \"ExchangeProposal\"",
                   "hasLeg", "hedgeCue", "accordingTo", "polarity: \"negative\"",
                   "type: \"DelegationMembership\"", "unknown: [\"date\"]", "evidentialBasis"):
        assert needle in text, needle
