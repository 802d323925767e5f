"""The `kg` command as a user runs it: help, exit codes, golden exports, interrupted builds."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib.compare import graph_diff, to_isomorphic

import kg.build
from kg.cli import build_parser, main
from kg.rdfio import parse_rdf_file
from tests.conftest import DATA, EXPORTS, ONTOLOGY, ROOT

SUBCOMMANDS = ["build", "validate", "query", "graph", "export", "serve", "push", "extract", "review",
               "bench"]


def _registered() -> list[str]:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return sorted(action.choices)  # type: ignore[arg-type]


def test_product_surface_is_complete() -> None:
    assert sorted(SUBCOMMANDS) == _registered()


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_subcommand_has_help_with_an_example(
        command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert f"kg {command}" in out
    assert "example:" in out


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_subcommand_is_documented_in_the_readme(command: str) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(rf"`kg {command}\b", readme), f"README does not document kg {command}"


def test_readme_quick_start_has_exactly_two_command_lines() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1]
    block = re.search(r"```(?:bash|sh)?\n(.*?)```", section, re.S)
    assert block is not None
    lines = [line for line in block.group(1).splitlines() if line.strip()]
    assert len(lines) == 2
    assert "kg build" in lines[0]
    assert "pytest" in lines[1]


def test_ci_runs_the_readme_test_command_not_a_copy() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "README.md" in ci and "Quick start" in ci
    assert "pytest" not in ci.replace("pytest's", "")  # the command comes from the README


def test_usage_error_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["build", "--no-such-option"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--no-such-option" in err[0]


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage: kg" in capsys.readouterr().err


def test_committed_exports_are_golden(tmp_path: Path) -> None:
    """exports/ equals a fresh build byte for byte; on failure, show the graph diff."""
    fresh = tmp_path / "exports"
    kg.build.build(DATA, ONTOLOGY, fresh)
    names = sorted(p.name for p in fresh.iterdir())
    assert names, "the build wrote nothing"
    for name in names:
        committed = EXPORTS / name
        assert committed.exists(), f"exports/{name} is not committed: run `kg build`"
        if committed.read_bytes() == (fresh / name).read_bytes():
            continue
        message = f"exports/{name} is stale: run `kg build`"
        if name.endswith((".ttl", ".nt")):
            _both, only_old, only_new = graph_diff(to_isomorphic(parse_rdf_file(committed)),
                                                   to_isomorphic(parse_rdf_file(fresh / name)))
            removed = sorted(t.n3() for t in only_old)[:5]  # type: ignore[attr-defined]
            added = sorted(t.n3() for t in only_new)[:5]  # type: ignore[attr-defined]
            message += f"\n- {removed}\n+ {added}"
        pytest.fail(message)


def test_interrupted_build_leaves_exports_as_they_were(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "exports"
    kg.build.build(DATA, ONTOLOGY, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    for path in out.iterdir():  # make every file visibly "old"
        path.write_bytes(b"old " + path.read_bytes())
    old = {p.name: p.read_bytes() for p in out.iterdir()}
    real_write = kg.build.ExportSet.write
    calls = {"n": 0}

    def failing_write(self: kg.build.ExportSet, name: str, data: str | bytes) -> Path:
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # the user hits Ctrl-C while the build writes
        return real_write(self, name, data)

    monkeypatch.setattr(kg.build.ExportSet, "write", failing_write)
    with pytest.raises(KeyboardInterrupt):
        kg.build.build(DATA, ONTOLOGY, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == old  # no temp files left either
    assert [p.name for p in tmp_path.iterdir()] == ["exports"]  # nor a staging folder
    assert set(before) == set(old)


def test_build_as_a_subprocess_is_deterministic(tmp_path: Path) -> None:
    outs = []
    for seed in ("1", "2"):
        out = tmp_path / f"out{seed}"
        result = subprocess.run(
            [sys.executable, "-m", "kg.cli", "build", "--data", str(DATA), "--ontology",
             str(ONTOLOGY), "--out", str(out)],
            capture_output=True, text=True, env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin"},
            cwd=tmp_path, timeout=300, check=False)
        assert result.returncode == 0, result.stderr
        assert "wrote" in result.stdout
        outs.append({p.name: p.read_bytes() for p in out.iterdir()})
    assert outs[0] == outs[1]


def test_build_into_an_oxigraph_store_twice(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """Regression: the second `kg build --store oxigraph:PATH` on unchanged data exited 3
    (flush() on the store reopened read-only)."""
    store = tmp_path / "store"
    args = ["build", "--data", str(DATA), "--ontology", str(ONTOLOGY), "--out",
            str(tmp_path / "out"), "--store", f"oxigraph:{store}"]
    assert main(args) == 0
    assert main(args) == 0, capsys.readouterr().err
    assert main(["query", "who-met-whom", "--graph", str(tmp_path / "out" / "diplo-kg.trig"),
                 "--store", f"oxigraph:{store}", "--format", "csv"]) == 0
    assert "kim-jong-un" in capsys.readouterr().out
