"""``kg build --drafts``: machine drafts in the graph, each in its own named graph, adding no
fact (issue 14)."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.cli import main
from kg.namespaces import DKG, DKR, draft_graph
from tests.conftest import DATA, ONTOLOGY
from tests.support import DRAFT_ID, write_draft


def _quads(out: Path) -> list[ox.Quad]:
    return list(ox.parse(path=str(out / "diplo-kg.nq"), format=ox.RdfFormat.N_QUADS))


def _facts(quads: list[ox.Quad]) -> set[tuple[str, str]]:
    return {(q.subject.value, q.object.value) for q in quads
            if q.predicate.value == str(DKG.assertedBy)}


@pytest.fixture(scope="module")
def reviewed_only(tmp_path_factory: pytest.TempPathFactory) -> list[ox.Quad]:
    out = tmp_path_factory.mktemp("reviewed")
    assert main(["build", "--data", str(DATA), "--ontology", str(ONTOLOGY), "--out", str(out)]) == 0
    return _quads(out)


@pytest.mark.parametrize("layout", ["article folder", "folder of drafts"])
def test_a_draft_lands_in_its_own_named_graph_and_adds_no_fact(
        tmp_path: Path, reviewed_only: list[ox.Quad], layout: str) -> None:
    folder = write_draft(tmp_path / "drafts")
    out = tmp_path / "out"
    given = folder if layout == "article folder" else folder.parent
    code = main(["build", "--data", str(DATA), "--ontology", str(ONTOLOGY), "--out", str(out),
                 "--drafts", str(given)])
    assert code == 0
    quads = _quads(out)
    graph = str(draft_graph(DRAFT_ID))
    claim = str(DKR[f"claim/{DRAFT_ID}/kim-arrived"])
    in_draft = [q for q in quads if q.graph_name.value == graph]
    assert any(q.subject.value == claim for q in in_draft)
    # everything the draft contributes sits in its draft graph (the agents aside)
    mentions = {q.graph_name.value for q in quads if DRAFT_ID in q.subject.value}
    assert mentions == {graph}
    # the fact view is exactly what reviewers approved: the certain narrator draft adds nothing
    assert _facts(quads) == _facts(reviewed_only) != set()
    # the reviewed articles' graphs are unchanged
    assert ({q for q in quads if q.graph_name.value != graph
             and q.graph_name.value != str(DKR["graph/agents"])}
            == {q for q in reviewed_only if q.graph_name.value != str(DKR["graph/agents"])})


def test_each_draft_article_gets_its_own_graph_and_drafts_repeat(tmp_path: Path) -> None:
    first = write_draft(tmp_path / "a", "992_first_draft")
    second = write_draft(tmp_path / "b", "993_second_draft")
    out = tmp_path / "out"
    assert main(["build", "--data", str(DATA), "--ontology", str(ONTOLOGY), "--out", str(out),
                 "--drafts", str(first), "--drafts", str(second.parent)]) == 0
    graphs = {q.graph_name.value for q in _quads(out)}
    assert {str(draft_graph("992_first_draft")), str(draft_graph("993_second_draft"))} <= graphs


@pytest.mark.parametrize("case", ["missing", "empty", "same id as an article"])
def test_bad_drafts_are_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        case: str) -> None:
    drafts = tmp_path / "drafts"
    if case == "empty":
        drafts.mkdir()
    elif case == "same id as an article":
        write_draft(drafts, sorted(p.name for p in (DATA / "articles").iterdir())[0])
    out = tmp_path / "out"
    code = main(["build", "--data", str(DATA), "--ontology", str(ONTOLOGY), "--out", str(out),
                 "--drafts", str(drafts)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert str(drafts) in err[0]
    assert {"missing": "draft folder not found", "empty": "no draft article here",
            "same id as an article": "is given twice"}[case] in err[0]
    assert not out.exists()
