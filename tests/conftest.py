"""Shared fixtures: paths of the project, a built graph, the seed article."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from rdflib import Dataset, Graph

from kg.build import BuiltGraph, build_graph
from kg.namespaces import bind_prefixes

if TYPE_CHECKING:
    from networkx import MultiDiGraph

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


def seed_only_data(folder: Path) -> Path:
    """A data/ folder holding the registry and the seed article alone."""
    data = folder / "data"
    (data / "articles").mkdir(parents=True)
    shutil.copy2(DATA / "entities.yaml", data / "entities.yaml")
    shutil.copytree(SEED, data / "articles" / SEED_ID)
    return data


def build_seed_only(folder: Path) -> BuiltGraph:
    """The registry and the seed article alone: the figures the tests pin are facts of that
    article, and stay true while the corpus grows (other articles add claims to its things)."""
    return build_graph(seed_only_data(folder), ONTOLOGY)


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


@pytest.fixture(scope="session")
def with_draft(tmp_path_factory: pytest.TempPathFactory) -> MultiDiGraph:
    """The seed plus a machine draft built with --drafts (projected), in which a person
    rejected a claim about the seed's summit and the only claim about a visit (issue 14)."""
    from kg.network import project
    from tests.support import write_draft

    tmp = tmp_path_factory.mktemp("with-draft")
    data = seed_only_data(tmp)
    folder = write_draft(tmp / "drafts")
    annotation = folder / "annotation.yaml"
    annotation.write_text(annotation.read_text(encoding="utf-8").replace(
        "  annotatedAt: 2026-12-06T21:40:00Z\n",
        "  annotatedAt: 2026-12-06T21:40:00Z\n  reviewer: {person: Jane Analyst}\n"
        "  reviewedAt: 2026-12-06T22:00:00Z\n").replace(
        "    confidence: 0.41\n", "    confidence: 0.41\n"
        "  - id: rejected-summit\n    quote: Il pourrait rencontrer Vladimir Poutine\n"
        "    about: kim-putin-summit-2023\n    certainty: possible\n    hedgeCue: pourrait\n"
        "    review: rejected\n"
        "  - id: rejected-visit\n    quote: Kim Jong-un est arrivé à Vladivostok\n"
        "    about: rejected-visit\n    certainty: certain\n    review: rejected\n").replace(
        "things:\n", "things:\n  - id: rejected-visit\n    type: Visit\n"
        "    label: {fr: visite, en: visit}\n    visitor: kim-jong-un\n"), encoding="utf-8")
    return project(build_graph(data, ONTOLOGY, drafts=(folder,)).graph)


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
