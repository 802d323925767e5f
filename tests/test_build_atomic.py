"""The export set is all or nothing (issue 19, finding 3): a real ``kg build`` killed with
SIGKILL at each step, or failing late, leaves ``exports/`` exactly the old set or exactly the
new one; what can fail early fails before anything is built; staging left by a killed build is
removed by the next one."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import kg.build
from kg.cli import main
from tests.conftest import DATA, ONTOLOGY, ROOT

EXPORT_NAMES = sorted(kg.build.PRODUCTS)
#: a file under exports/ that is not an export: it must survive every build
FOREIGN = "NOTES.txt"


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every entry of ``folder`` (hidden ones too) with its bytes."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def staging_left(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


@pytest.fixture(scope="module")
def new_set(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("fresh") / "exports"
    kg.build.build(DATA, ONTOLOGY, out)
    return snapshot(out)


def old_exports(root: Path) -> tuple[Path, dict[str, bytes]]:
    """``root/exports`` holding a visibly old set and a foreign file."""
    out = root / "exports"
    out.mkdir(parents=True)
    for name in EXPORT_NAMES:
        (out / name).write_bytes(b"old " + name.encode() + b"\n")
    (out / FOREIGN).write_text("kept\n", encoding="utf-8")
    return out, snapshot(out)


def _build_command(out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "kg.cli", "build", "--data", str(DATA), "--ontology",
            str(ONTOLOGY), "--out", str(out), *extra]


#: checkpoint -> which set must be in place once the build is killed there
KILL_POINTS = {
    f"staged:{EXPORT_NAMES[0]}": "old",  # first export written into staging
    "staged:diplo-kg.ttl": "old",
    f"staged:{EXPORT_NAMES[-1]}": "old",  # the whole set staged
    "before-swap": "old",  # foreign files carried over, staging fsynced
    "swapped": "new",  # swapped in, the old set not yet removed
    "done": "new",
}


def test_a_build_killed_at_any_step_leaves_the_old_set_or_the_new_one(
        tmp_path: Path, new_set: dict[str, bytes]) -> None:
    """Regression: SIGKILL right after the first rename left new JSON-LD and N-Quads beside
    the old rest (3 of 5 runs). Each kill is made by the build itself at a named step
    (KG_BUILD_KILL_AT), so the test does not depend on timing."""
    runs = {}
    for index, point in enumerate(KILL_POINTS):
        out, old = old_exports(tmp_path / f"run{index}")
        runs[point] = (out, old, subprocess.Popen(
            _build_command(out), cwd=tmp_path, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT),
                                          kg.build.KILL_AT_ENV: point}))
    expected_new = {**new_set, FOREIGN: b"kept\n"}
    for point, (out, old, process) in runs.items():
        _, err = process.communicate(timeout=600)
        assert process.returncode == -signal.SIGKILL, (point, err.decode())
        expected = old if KILL_POINTS[point] == "old" else expected_new
        assert snapshot(out) == expected, point
    # the killed builds' staging folders are still there; the next build removes them
    for point in ("before-swap", "swapped"):
        out = runs[point][0]
        assert staging_left(out), point
        kg.build.build(DATA, ONTOLOGY, out)
        assert snapshot(out) == expected_new, point
        assert staging_left(out) == [], point


def test_the_fallback_swap_recovers_from_a_kill_between_its_two_renames(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, new_set: dict[str, bytes]) -> None:
    """Without renameat2 the swap is two renames; a stop between them leaves no exports/
    but the old set beside it, which the next build puts back before anything else."""
    out, old = old_exports(tmp_path)
    monkeypatch.setattr(kg.build, "_renameat2", lambda: None)

    class Killed(BaseException):
        pass

    def checkpoint(name: str) -> None:
        if name == "fallback-between-renames":
            raise Killed

    monkeypatch.setattr(kg.build, "_checkpoint", checkpoint)
    with pytest.raises(Killed):
        kg.build.build(DATA, ONTOLOGY, out)
    assert not out.exists()
    kg.build.ExportSet(out, EXPORT_NAMES).__enter__().__exit__(None, None, None)
    assert snapshot(out) == old  # put back whole by the next build's first step
    monkeypatch.setattr(kg.build, "_checkpoint", lambda name: None)
    kg.build.build(DATA, ONTOLOGY, out)
    assert snapshot(out) == {**new_set, FOREIGN: b"kept\n"}
    assert staging_left(out) == []


def test_a_late_failure_leaves_the_old_set(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: a build failing late exited 3 after replacing 7-8 of 10 files."""
    out, old = old_exports(tmp_path)

    def broken(_built: kg.build.BuiltGraph) -> str:
        raise RuntimeError("the last renderer crashed")

    monkeypatch.setitem(kg.build.PRODUCTS, EXPORT_NAMES[-1], broken)
    with pytest.raises(RuntimeError):
        kg.build.build(DATA, ONTOLOGY, out)
    assert snapshot(out) == old
    assert staging_left(out) == []


def test_a_store_that_fails_to_load_leaves_the_old_set(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The store is loaded from the staged set before the swap: its failure replaces nothing."""
    import kg.store

    out, old = old_exports(tmp_path)

    def failing(*_args: object, **_kw: object) -> Path:
        raise kg.build.KGError("cannot open the Oxigraph store (disk full)")

    monkeypatch.setattr(kg.store, "load_store", failing)
    assert main(["build", "--data", str(DATA), "--ontology", str(ONTOLOGY), "--out", str(out),
                 "--store", f"oxigraph:{tmp_path / 'store'}"]) == 3
    assert snapshot(out) == old and staging_left(out) == []


@pytest.mark.parametrize("case", ["store-is-a-file", "store-not-oxigraph", "export-is-a-folder",
                                  "out-is-a-file", "out-under-a-file", "out-unwritable",
                                  "out-is-the-current-folder", "out-holds-the-data"])
def test_what_can_fail_early_fails_before_anything_is_built(
        case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Regression: ``--store oxigraph:FILE`` and an export path that is a folder failed with
    exit 3 after most files were replaced; an unwritable output path was exit 3."""
    out, _old = old_exports(tmp_path)
    extra: list[str] = []
    if case == "store-is-a-file":
        (tmp_path / "store").write_text("not a store\n", encoding="utf-8")
        extra = ["--store", f"oxigraph:{tmp_path / 'store'}"]
    elif case == "store-not-oxigraph":
        extra = ["--store", "rdflib"]
    elif case == "export-is-a-folder":
        (out / "diplo-kg.nt").unlink()
        (out / "diplo-kg.nt").mkdir()
        (out / "diplo-kg.nt" / "mine.txt").write_text("mine\n", encoding="utf-8")
    elif case == "out-is-a-file":
        out = tmp_path / "a-file"
        out.write_text("x\n", encoding="utf-8")
    elif case == "out-under-a-file":
        out = tmp_path / "a-file" / "exports"
        out.parent.write_text("x\n", encoding="utf-8")
    elif case == "out-unwritable":
        out = Path("/proc/self/kg-exports")  # unwritable even for root
    elif case == "out-is-the-current-folder":
        monkeypatch.chdir(out)
        out = Path(".")
    elif case == "out-holds-the-data":
        out = DATA.parent
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}

    def not_reached(*_args: object) -> None:
        raise AssertionError("compiled before the early checks")

    monkeypatch.setattr(kg.build, "build_graph", not_reached)
    code = main(["build", "--data", str(DATA), "--ontology", str(ONTOLOGY), "--out", str(out),
                 *extra])
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


def test_stale_staging_is_removed_and_a_running_build_s_is_not(
        tmp_path: Path, new_set: dict[str, bytes]) -> None:
    """Regression: killed builds left hidden staging files (60-66 MB each at scale) that no
    later build removed. Folders left by killed builds and per-file temp files of older
    builds go; a folder that a running build holds locked stays."""
    out, _old = old_exports(tmp_path)
    stale = tmp_path / ".exports.kg-build-dead1234"
    stale.mkdir()
    (stale / "diplo-kg.nq").write_bytes(b"x" * 100_000)
    (tmp_path / ".exports.kg-build-dead5678.old").mkdir()
    (out / ".diplo-kg.nq.ab12cd34.tmp").write_bytes(b"x" * 100_000)  # an older build's temp
    busy = tmp_path / ".exports.kg-build-busy0000"
    busy.mkdir()
    fd = os.open(busy, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        kg.build.build(DATA, ONTOLOGY, out)
        assert staging_left(out) == [busy.name]
    finally:
        os.close(fd)
    assert snapshot(out) == {**new_set, FOREIGN: b"kept\n"}
