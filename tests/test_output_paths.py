"""Output paths that cannot or must not be written are refused before any work, with one line
and exit 2 (issue 19, finding 5): never exit 3, never a write through a symbolic link."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.cli import main
from tests.conftest import DATA, EXPORTS


@pytest.mark.parametrize("case", ["under-a-file", "a-folder", "unwritable"])
def test_kg_graph_refuses_an_unwritable_output_path(
        case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Regression: an unwritable output path was exit 3."""
    (tmp_path / "a-file").write_text("mine\n", encoding="utf-8")
    out = {"under-a-file": tmp_path / "a-file" / "g.html", "a-folder": tmp_path,
           "unwritable": Path("/proc/self/kg-graph.html")}[case]
    code = main(["graph", "--graph", str(EXPORTS / "diplo-kg.trig"), "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and str(out) in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]
    assert (tmp_path / "a-file").read_text(encoding="utf-8") == "mine\n"


@pytest.mark.parametrize("where", ["link-in-the-folder", "folder-is-a-link"])
def test_kg_extract_never_writes_through_a_dangling_symlink(
        where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Regression: ``kg extract -o DRAFT`` followed a dangling ``DRAFT/article.txt`` link and
    wrote outside the draft folder."""
    article = tmp_path / "article.txt"
    article.write_text("Kim Jong-un est arrivé à Vladivostok.\n", encoding="utf-8")
    outside = tmp_path / "outside"
    draft = tmp_path / "drafts" / "004_draft"
    if where == "link-in-the-folder":
        draft.mkdir(parents=True)
        (draft / "article.txt").symlink_to(outside / "article.txt")
    else:
        draft.parent.mkdir()
        draft.symlink_to(outside)
    code = main(["extract", str(article), "--lang", "fr", "-o", str(draft), "--data", str(DATA)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "symbolic link" in err
    assert not outside.exists()
