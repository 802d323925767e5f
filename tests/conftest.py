"""Shared fixtures: paths of the project, a built graph, the seed article."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import Dataset, Graph

from kg.build import BuiltGraph, build_graph
from kg.namespaces import bind_prefixes

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
ONTOLOGY = ROOT / "ontology"
EXPORTS = ROOT / "exports"
FIXTURES = ROOT / "tests" / "fixtures"
SHARED = ROOT.parent / "shared"
W3C = SHARED / "w3c"
SEED_ID = "000_4273f805c2fe39bd"
SEED = DATA / "articles" / SEED_ID


@pytest.fixture(scope="session")
def built() -> BuiltGraph:
    """The seed corpus compiled and validated once per test session."""
    return build_graph(DATA, ONTOLOGY)


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of data/ for tests that break or extend it."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


def union_graph(dataset: Dataset) -> Graph:
    """All named graphs of a Dataset merged into one plain rdflib Graph."""
    graph = bind_prefixes(Graph(bind_namespaces="none"))
    for quad_graph in dataset.graphs():
        for triple in quad_graph:
            graph.add(triple)
    return graph
