"""``kg query``: named queries, files, expressions, formats, exit codes (in-process and once as a
real subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kg.cli import main
from kg.query import load_queries
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def graph_file(seed_trig: Path) -> Path:
    return seed_trig


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["query", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_list_shows_one_line_per_query(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--list")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    queries = load_queries()
    assert len(lines) == len(queries)
    for line, (name, query) in zip(lines, queries.items(), strict=True):
        assert line.split()[0] == name
        assert line.rstrip().endswith(query.title)


def test_named_query_prints_a_table(capsys: pytest.CaptureFixture[str], graph_file: Path) -> None:
    code, out, err = run(capsys, "summit-series", "--graph", str(graph_file))
    assert (code, err) == (0, "")
    assert out.splitlines()[0].split()[:3] == ["summit", "ordinal", "status"]
    assert "dkr:event/kim-putin-summit-2019" in out
    assert out.rstrip().endswith("(1 row)")


def test_param_and_csv(capsys: pytest.CaptureFixture[str], graph_file: Path) -> None:
    code, out, _ = run(capsys, "actor-relations", "--param", "actor=dkr:actor/vladimir-putin",
                       "--format", "csv", "--graph", str(graph_file))
    assert code == 0
    lines = out.split("\r\n")
    assert lines[0].startswith("actor,role,thing")
    rows = [line for line in lines[1:] if line]
    assert rows and all(r.startswith("https://w3id.org/diplo-kg/id/actor/vladimir-putin,")
                        for r in rows)


def test_two_params(capsys: pytest.CaptureFixture[str], graph_file: Path) -> None:
    code, out, _ = run(capsys, "claims-by-source", "--graph", str(graph_file), "--format", "json",
                       "--param", "source=dkr:actor/us-government",
                       "--param", "sourceType=dkv:source-type-foreign-government")
    assert code == 0
    bindings = json.loads(out)["results"]["bindings"]
    assert len(bindings) == 2  # one claim about two delegation memberships
    assert {b["cue"]["value"] for b in bindings} == {"informations venant de Washington"}


def test_file_query_with_json(capsys: pytest.CaptureFixture[str], graph_file: Path,
                              tmp_path: Path) -> None:
    query = tmp_path / "q.rq"
    query.write_text("PREFIX dkg: <https://w3id.org/diplo-kg/ontology#>\n"
                     "SELECT ?thing WHERE { ?thing dkg:assertedBy ?c } ORDER BY ?thing LIMIT 2\n",
                     encoding="utf-8")
    code, out, _ = run(capsys, "--file", str(query), "--format", "json", "--graph", str(graph_file))
    assert code == 0
    document = json.loads(out)
    assert document["head"]["vars"] == ["thing"]
    assert len(document["results"]["bindings"]) == 2


def test_expression_gets_our_prefixes(capsys: pytest.CaptureFixture[str], graph_file: Path) -> None:
    code, out, _ = run(capsys, "-e", "SELECT ?cue WHERE { ?c dkg:hedgeCue ?cue } ORDER BY ?cue",
                       "--format", "tsv", "--graph", str(graph_file))
    assert code == 0
    assert out.splitlines()[0] == "?cue"
    assert '"selon"@fr' in out.splitlines()


def test_ask_and_construct(capsys: pytest.CaptureFixture[str], graph_file: Path) -> None:
    code, out, _ = run(capsys, "hedged-as-fact", "--graph", str(graph_file))
    assert (code, out) == (0, "false\n")
    code, out, _ = run(capsys, "fact-graph", "--graph", str(graph_file), "--format", "turtle")
    assert code == 0 and "kim-putin-summit-2019" in out and "dprk-russia-arms-deal" not in out
    code, out, _ = run(capsys, "fact-graph", "--graph", str(graph_file), "--format", "jsonld")
    assert code == 0 and "@context" in json.loads(out)


def test_syntax_error_exit_2_with_line_and_column(capsys: pytest.CaptureFixture[str],
                                                  graph_file: Path) -> None:
    code, out, err = run(capsys, "-e", "SELECT ?x WHERE {\n  ?x dkg:about ?y .\n  FILTR(?x) }",
                         "--graph", str(graph_file))
    assert (code, out) == (2, "")
    assert err.startswith("kg query: <expression>:3:3: ")
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("text", ["DELETE WHERE { ?s ?p ?o }", "LOAD <file:///etc/passwd>",
                                  "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }",
                                  "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"])
def test_refused_forms_exit_2(capsys: pytest.CaptureFixture[str], graph_file: Path,
                              text: str) -> None:
    code, _, err = run(capsys, "-e", text, "--graph", str(graph_file))
    assert code == 2
    assert "read-only" in err


@pytest.mark.parametrize(("argv", "message"), [
    (["no-such-query"], "unknown query"),
    (["who-met-whom", "--param", "nobody=dkr:actor/x"], "no parameter ?nobody"),
    (["who-met-whom", "--param", "actor=zz:x"], "unknown prefix"),
    (["who-met-whom", "--graph", "/nonexistent/g.trig"], "cannot read"),
    (["fact-graph", "--format", "csv"], "gives a graph"),
    (["who-met-whom", "--format", "turtle"], "gives rows"),
    ([], "exactly one of"),
])
def test_bad_input_exit_2(capsys: pytest.CaptureFixture[str], graph_file: Path,
                          argv: list[str], message: str) -> None:
    if "--graph" not in argv:
        argv = [*argv, "--graph", str(graph_file)]
    code, out, err = run(capsys, *argv)
    assert code == 2, err
    assert message in err and out == ""


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["query", "who-met-whom", "-e", "ASK {}"])  # NAME and -e are exclusive
    assert caught.value.code == 2
    with pytest.raises(SystemExit) as caught:
        main(["query", "who-met-whom", "--format", "yaml"])
    assert caught.value.code == 2
    capsys.readouterr()


def test_timeout_is_exit_3_and_one_line(capsys: pytest.CaptureFixture[str], graph_file: Path) -> None:
    code, out, err = run(capsys, "-e", "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . "
                         "?g ?h ?i }", "--timeout", "1", "--graph", str(graph_file))
    assert (code, out) == (3, "")
    assert "time limit" in err


def test_help_lists_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["query", "--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    for option in ("--list", "--file", "-e", "--param", "--format", "--timeout", "--graph"):
        assert option in out


def test_kg_query_as_a_real_process(graph_file: Path) -> None:
    script = Path(sys.executable).with_name("kg")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "kg.cli"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([*command, "query", "planned-meetings", "--format", "json", "--graph",
                           str(graph_file)], capture_output=True, text=True, timeout=120,
                          cwd=ROOT, env=env)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["results"]["bindings"]
    summit = next(r for r in rows if r["meeting"]["value"].endswith("kim-putin-summit-2023"))
    assert "date" not in summit and "place" not in summit
    assert summit["dateInfo"]["value"] == "unknown per source"
    bad = subprocess.run([*command, "query", "-e", "SELECT * WHERE {", "--graph", str(graph_file)],
                         capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr and bad.stderr.count("\n") == 1
