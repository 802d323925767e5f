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


def build_seed_only(folder: Path) -> BuiltGraph:
    """The registry and the seed article alone: the figures the tests pin are facts of that
    article, and stay true while the corpus grows (other articles add claims to its things)."""
    data = folder / "data"
    (data / "articles").mkdir(parents=True)
    shutil.copy2(DATA / "entities.yaml", data / "entities.yaml")
    shutil.copytree(SEED, data / "articles" / SEED_ID)
    return build_graph(data, ONTOLOGY)


@pytest.fixture(scope="session")
def seed(tmp_path_factory: pytest.TempPathFactory) -> BuiltGraph:
    """The seed article alone, compiled and validated once per test session (read-only)."""
    return build_seed_only(tmp_path_factory.mktemp("seed"))


@pytest.fixture(scope="session")
def seed_trig(seed: BuiltGraph, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed article alone written as TriG (independent of the committed exports/)."""
    from kg.export import to_trig

    path = tmp_path_factory.mktemp("seed-trig") / "seed.trig"
    path.write_bytes(to_trig(seed.dataset))
    return path


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
