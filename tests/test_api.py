"""The Python API for notebook users, as the README and kg/__init__ show it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

import kg
from tests.conftest import DATA, ONTOLOGY


def test_documented_api_round_trip(tmp_path: Path) -> None:
    built = kg.build_graph(DATA, ONTOLOGY)
    written = kg.write_products(kg.render_products(built), tmp_path)
    assert (tmp_path / "diplo-kg.ttl") in written
    rows = kg.run_named(built.dataset, "who-met-whom").rows
    assert rows
    graph = kg.view(kg.project(built.dataset), "actors")
    assert isinstance(graph, nx.MultiDiGraph) and graph.number_of_nodes() > 5
    assert "<html" in kg.render_html(graph, title="Who relates to whom").lower()
    assert kg.export_graph(graph, "graphml")


@pytest.mark.parametrize("name", kg.__all__)
def test_every_public_name_resolves(name: str) -> None:
    """Each name `kg.__all__` promises imports (modules move; the public names stay)."""
    assert getattr(kg, name) is not None
    assert name in dir(kg)


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError):
        _ = kg.no_such_thing  # type: ignore[attr-defined]


def test_import_is_cheap_and_does_no_work() -> None:
    """`import kg` loads neither rdflib nor networkx: the CLI starts fast."""
    code = "import sys, kg; print('rdflib' in sys.modules, 'networkx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.split() == ["False", "False"]
