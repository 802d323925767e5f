"""Bounded resources: hostile RDF, YAML and SPARQL end in one clean InputError, early.

Each case names the failure it pins: rdflib's recursion (nested blank nodes, SPARQL
parentheses), Oxigraph's expansion of XML entities ("billion laughs"), its quadratic RDF/XML
depth, its C-stack overflow on deep JSON-LD (a segmentation fault, not an exception), its 16 MiB
token buffer (a MemoryError), and a FIFO that would block a reader forever. No test reads a
clock: each pins where the input is refused (the line and column of the first offending
construct, or a check that runs before any parser sees the input), which bounds the work.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kg.errors import EXIT_BAD_INPUT, InputError
from kg.query import check_query
from kg.rdfio import DEFAULT_LIMITS, Limits, check_file, parse_quads, parse_rdf_dataset, read_bytes
from kg.yamlsafe import MAX_YAML_DEPTH, load_yaml

PREFIX = b"@prefix : <http://example.org/> .\n"
XML_HEAD = (b'<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
            b' xmlns:p="http://example.org/">\n')


def refused(path: Path, needle: str, limits: Limits = DEFAULT_LIMITS) -> InputError:
    """Parse ``path``; assert one InputError mentioning ``needle`` and naming the file."""
    with pytest.raises(InputError) as caught:
        parse_rdf_dataset(path, limits=limits)
    error = caught.value
    assert error.exit_code == EXIT_BAD_INPUT
    line = error.one_line()
    assert needle in line and "\n" not in line and line.startswith(str(path))
    return error


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def nested_blank_nodes(depth: int) -> bytes:
    return PREFIX + b":a :b " + b"[ :p " * depth + b":o" + b" ]" * depth + b" .\n"


# ---------------------------------------------------------------------------- size, files


def test_file_larger_than_the_limit_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "big.nt", b"<http://a/s> <http://a/p> <http://a/o> .\n" * 10)
    refused(path, "file larger than 100 bytes", Limits(max_bytes=100))


def test_a_fifo_is_refused_not_waited_on(tmp_path: Path) -> None:
    """Regression: opening a FIFO named data.ttl blocked the reader forever."""
    fifo = tmp_path / "data.ttl"
    os.mkfifo(fifo)
    refused(fifo, "not a regular file")


def test_a_directory_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "folder.ttl"
    folder.mkdir()
    with pytest.raises(InputError, match="cannot read file"):
        read_bytes(folder)


# ---------------------------------------------------------------------------- nesting


def test_blank_nodes_at_the_depth_limit_are_read(tmp_path: Path) -> None:
    path = write(tmp_path, "ok.ttl", nested_blank_nodes(DEFAULT_LIMITS.max_depth - 1))
    assert len(parse_rdf_dataset(path)) == DEFAULT_LIMITS.max_depth


def test_deeply_nested_blank_nodes_are_refused(tmp_path: Path) -> None:
    """rdflib's own Turtle parser dies of RecursionError near 120 levels, and its writers
    (turtle, json-ld) near 200: 100,000 levels must be a clean refusal."""
    refused(write(tmp_path, "deep.ttl", nested_blank_nodes(100_000)), "nested deeper than 100")


def test_deeply_nested_collections_are_refused(tmp_path: Path) -> None:
    data = PREFIX + b":a :b " + b"( " * 5_000 + b")" * 5_000 + b" .\n"
    refused(write(tmp_path, "lists.ttl", data), "nested deeper than")


@pytest.fixture
def no_rdf_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    """Oxigraph's parser must not even start: the refusal comes from the bytes."""
    import kg.rdfio

    def parse(*_args: object, **_kw: object) -> None:
        raise AssertionError("Oxigraph was handed the file before the nesting was refused")

    monkeypatch.setattr(kg.rdfio.ox, "parse", parse)


@pytest.mark.parametrize("suffix", [".ttl", ".trig"])
def test_a_million_nested_blank_nodes_are_refused_before_parsing(
        tmp_path: Path, suffix: str, no_rdf_parser: None) -> None:
    """Regression (issue 19, finding 8): 1M nested blank nodes in a 22 MB file took 1.39 GB
    and 14 s before being refused (Oxigraph's Turtle parser builds every level and yields the
    innermost triple first). Now the bytes are refused before any parser builds anything."""
    body = b":a :b " + b"[ :p " * 1_000_000 + b":o" + b" ]" * 1_000_000 + b" .\n"
    if suffix == ".trig":
        body = b":g { " + body + b"}\n"
    path = write(tmp_path, f"deep{suffix}", PREFIX + body)
    error = refused(path, "nested deeper than 100 levels")
    assert error.line == 2
    with pytest.raises(InputError, match="nested deeper than"):
        check_file(path)  # the Oxigraph store's loader goes through the same gate


def test_deep_collections_are_refused_before_parsing(tmp_path: Path, no_rdf_parser: None) -> None:
    data = PREFIX + b":a :b " + b"( [ :p " * 60 + b":o" + b" ] )" * 60 + b" .\n"
    refused(write(tmp_path, "mixed.ttl", data), "nested deeper than 100 levels")


@pytest.mark.parametrize("text", [
    b'"' + b"[ ( " * 200 + b'"',
    b'"""' + b"[\n(\n" * 200 + b'"""',
    b"'" + b"[(" * 200 + b"'",
    b'"\\"' + b"[" * 200 + b'"',
])
def test_brackets_in_strings_and_comments_are_not_nesting(tmp_path: Path, text: bytes) -> None:
    data = (PREFIX + b"# " + b"[" * 300 + b"\n:a :b " + text + b" .\n"
            + b"".join(b"<http://example.org/x(((((%d> :b :c .\n" % i for i in range(30)))
    assert len(parse_rdf_dataset(write(tmp_path, "strings.ttl", data))) == 31


def test_a_long_flat_collection_is_not_nesting(tmp_path: Path) -> None:
    data = PREFIX + b":a :b ( " + b":x " * 20_000 + b") .\n"
    assert len(parse_rdf_dataset(write(tmp_path, "long.ttl", data))) == 2 * 20_000 + 1


def test_a_blank_node_cycle_terminates(tmp_path: Path) -> None:
    data = b"_:a <http://a/p> _:b .\n_:b <http://a/p> _:a .\n_:a <http://a/p> _:a .\n"
    assert len(parse_rdf_dataset(write(tmp_path, "cycle.nt", data))) == 3


def test_deep_rdf_xml_is_refused_before_oxigraph(tmp_path: Path) -> None:
    """Oxigraph's RDF/XML parser is quadratic in depth (30,000 levels: 8 s, 100,000: > 60 s)."""
    depth = 100_000
    data = (XML_HEAD + b'<rdf:Description rdf:about="http://example.org/a">'
            + b"<p:x><rdf:Description>" * depth + b"</rdf:Description></p:x>" * depth
            + b"</rdf:Description></rdf:RDF>\n")
    error = refused(write(tmp_path, "deep.rdf", data), "XML elements nested deeper than 100")
    assert error.line == 3


def test_deep_json_ld_is_refused_before_oxigraph(tmp_path: Path) -> None:
    """Oxigraph's JSON-LD parser overflowed the C stack at 10,000 levels (segmentation fault)."""
    depth = 10_000
    data = (b'{"@context": {"p": "http://example.org/p"}, "@id": "http://example.org/a", "p": '
            + b'{"p": ' * depth + b"1" + b"}" * depth + b"}")
    refused(write(tmp_path, "deep.jsonld", data), "JSON nested deeper than")


# ---------------------------------------------------------------------------- literals


def test_literal_longer_than_the_limit_is_refused(tmp_path: Path) -> None:
    data = b'<http://a/s> <http://a/p> "' + b"x" * 2_000 + b'" .\n'
    refused(write(tmp_path, "lit.nt", data), "literal longer than 1000 characters",
            Limits(max_literal_chars=1_000))


def test_literal_past_oxigraph_token_buffer_is_a_clean_error(tmp_path: Path) -> None:
    """Oxigraph raises MemoryError ("Reached the buffer maximal size") past 16 MiB."""
    data = b'<http://a/s> <http://a/p> "' + b"x" * 17_000_000 + b'" .\n'
    refused(write(tmp_path, "huge.nt", data), "too large")


# ---------------------------------------------------------------------------- time


def test_parse_time_is_bounded(tmp_path: Path) -> None:
    data = b"".join(b"<http://a/s%d> <http://a/p> <http://a/o> .\n" % i for i in range(20_000))
    refused(write(tmp_path, "slow.nt", data), "parsing took longer than 0 s", Limits(max_seconds=0))


# ---------------------------------------------------------------------------- XML entities


def billion_laughs(levels: int) -> bytes:
    entities = b'<!ENTITY a0 "' + b"ha" * 5 + b'">\n' + b"".join(
        b'<!ENTITY a%d "%s">\n' % (i, (b"&a%d;" % (i - 1)) * 10) for i in range(1, levels))
    return (b'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n' + entities + b"]>\n"
            + XML_HEAD.split(b"\n", 1)[1]
            + b'<rdf:Description rdf:about="http://example.org/a"><p:x>&a%d;</p:x>'
              b"</rdf:Description></rdf:RDF>\n" % (levels - 1))


def test_billion_laughs_is_refused(tmp_path: Path) -> None:
    """Oxigraph expands internal XML entities: 10 levels would be 10 GB (the OOM killer)."""
    error = refused(write(tmp_path, "lol.rdf", billion_laughs(10)), "refers to another entity")
    assert error.line == 4


def test_check_file_guards_loaders_that_hand_files_to_oxigraph(tmp_path: Path) -> None:
    """``check_file`` is the gate for code that calls ``Store.load`` itself (kg/store.py):
    the same refusals as the parser, before Oxigraph sees a byte."""
    with pytest.raises(InputError, match="refers to another entity"):
        check_file(write(tmp_path, "lol.rdf", billion_laughs(10)))
    deep = b'{"@id": "http://example.org/a", "http://example.org/p": ' + b"[" * 5_000 + b"]" * 5_000 + b"}"
    with pytest.raises(InputError, match="JSON nested deeper"):
        check_file(write(tmp_path, "deep.jsonld", deep))
    assert check_file(write(tmp_path, "ok.nt", b"<http://a/s> <http://a/p> <http://a/o> .\n"))


def test_flat_entity_expansion_is_bounded(tmp_path: Path) -> None:
    data = (b'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ENTITY big "' + b"x" * 1_000 + b'">]>\n'
            + XML_HEAD.split(b"\n", 1)[1]
            + b'<rdf:Description rdf:about="http://example.org/a"><p:x>' + b"&big;" * 1_000
            + b"</p:x></rdf:Description></rdf:RDF>\n")
    refused(write(tmp_path, "wide.rdf", data), "would expand to more than 100000 bytes",
            Limits(max_entity_bytes=100_000))


def test_external_entities_are_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET", encoding="utf-8")
    data = (b'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ENTITY s SYSTEM "'
            + secret.as_uri().encode() + b'">]>\n' + XML_HEAD.split(b"\n", 1)[1]
            + b'<rdf:Description rdf:about="http://example.org/a"><p:x>&s;</p:x>'
              b"</rdf:Description></rdf:RDF>\n")
    error = refused(write(tmp_path, "xxe.rdf", data), "entity")
    assert "TOP-SECRET" not in error.one_line()


def test_protege_style_namespace_entities_still_work(tmp_path: Path) -> None:
    """OWL files written by Protégé abbreviate namespaces with internal entities."""
    data = (b'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n'
            b'  <!ENTITY owl "http://www.w3.org/2002/07/owl#" >\n'
            b'  <!ENTITY ex "http://example.org/" >\n]>\n'
            + XML_HEAD.split(b"\n", 1)[1]
            + b'<!-- a comment with <p:x> inside --><owl:Class xmlns:owl="&owl;" '
              b'rdf:about="&ex;Thing"/></rdf:RDF>\n')
    quads = list(parse_quads(write(tmp_path, "protege.owl", data)))
    assert [(q.subject.value, q.object.value) for q in quads] == [
        ("http://example.org/Thing", "http://www.w3.org/2002/07/owl#Class")]


# ---------------------------------------------------------------------------- YAML


def test_yaml_alias_bomb_is_refused_at_the_first_anchor(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join(['*a' + str(i - 1)] * 9)}]" for i in range(1, 10)]
    path = write(tmp_path, "bomb.yaml", "\n".join(lines).encode() + b"\n")
    with pytest.raises(InputError, match=r"bomb\.yaml:1: YAML anchors and aliases"):
        load_yaml(path)


@pytest.mark.parametrize("opening", [b"[", b"{a: "], ids=["sequences", "mappings"])
def test_deep_flow_yaml_is_refused_at_the_first_bracket_too_deep(tmp_path: Path, opening: bytes) -> None:
    """Regression: 5,000 nested flow sequences took 13 s before PyYAML's RecursionError, and
    PyYAML 6.0.4 then answered first in its own words: our check reads the text before it."""
    closing = b"]" if opening == b"[" else b"}"
    path = write(tmp_path, "deep.yaml", b"k: " + opening * 5_000 + b"x" + closing * 5_000 + b"\n")
    with pytest.raises(InputError) as caught:
        load_yaml(path)
    column = len("k: ") + len(opening) * MAX_YAML_DEPTH + 1  # the 65th opening bracket
    assert caught.value.one_line() == (f"{path}:1:{column}: YAML nested deeper than "
                                       f"{MAX_YAML_DEPTH} levels")
    assert caught.value.exit_code == EXIT_BAD_INPUT


def test_deep_block_yaml_is_refused_at_the_line_too_deep(tmp_path: Path) -> None:
    lines = ["k:"] + [" " * (2 * level) + "a:" for level in range(1, 100)] + [" " * 200 + "x"]
    path = write(tmp_path, "deep.yaml", "\n".join(lines).encode() + b"\n")
    with pytest.raises(InputError) as caught:
        load_yaml(path)
    assert caught.value.one_line() == f"{path}:{MAX_YAML_DEPTH + 1}: YAML nested deeper than 64 levels"


@pytest.mark.parametrize("text", [
    'k: "[[[[" # [[[[\nj: [a, "b\\"]", c]\n',
    "k: 'don''t ['\nm: [' [ ', x]\n",
    "k: |\n  [a] {b}\n",
], ids=["double-quoted", "single-quoted", "block-scalar"])
def test_brackets_in_scalars_and_comments_are_not_nesting(tmp_path: Path, text: str) -> None:
    load_yaml(write(tmp_path, "ok.yaml", text.encode()))


# ---------------------------------------------------------------------------- SPARQL


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { FILTER(" + "(" * 2_000 + "1" + ")" * 2_000 + ") }",
    "SELECT * WHERE " + "{ " * 2_000 + "?s ?p ?o" + " }" * 2_000,
    "SELECT * WHERE { " + "OPTIONAL { ?s ?p ?o " * 2_000 + "}" * 2_000 + " }",
], ids=["parentheses", "groups", "optionals"])
def test_deeply_nested_sparql_is_a_clean_error(query: str) -> None:
    """rdflib's parser recurses: ~25 nested parentheses already exhaust it."""
    with pytest.raises(InputError, match="nested too deeply"):
        check_query(query)


# ---------------------------------------------------------------------------- YAML via kg build

COERCIBLE = ["NO", "on", "yes", "12:30", "2023-09-12", "0x1F", "1e3", "0o17", ".inf", "~", "null"]


def test_yaml_1_1_lookalikes_survive_kg_build_as_text(data_copy: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """NO stays "NO" (not False), 12:30 stays "12:30" (not 750), 2023-09-12 stays text, ..."""
    from kg.cli import main
    from tests.conftest import ONTOLOGY

    entities = data_copy / "entities.yaml"
    text = entities.read_text(encoding="utf-8")
    old = "    aliases: {fr: [Kim], en: [Kim]}\n    wikidata: Q56226\n"
    assert old in text
    entities.write_text(text.replace(old, "    aliases: {fr: [Kim], en: [Kim, " + ", ".join(COERCIBLE)
                                     + "]}\n    wikidata: Q56226\n"), encoding="utf-8")
    out = tmp_path / "exports"
    code = main(["build", "--data", str(data_copy), "--ontology", str(ONTOLOGY), "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    ntriples = (out / "diplo-kg.nt").read_text(encoding="utf-8")
    kim = "<https://w3id.org/diplo-kg/id/actor/kim-jong-un> <http://www.w3.org/2004/02/skos/core#altLabel>"
    for value in COERCIBLE:
        assert f'{kim} "{value}"@en .' in ntriples, value


@pytest.mark.parametrize(("edit", "problem", "line_text"), [
    (("    wikidata: Q56226\n", "    wikidata: Q56226\n    wikidata: Q1\n"),
     "duplicate key 'wikidata' (first on line", "    wikidata: Q1\n"),
    (("  - id: kim-jong-un\n", "  - id: &kim kim-jong-un\n"),
     "YAML anchors and aliases are not allowed", "  - id: &kim kim-jong-un\n"),
    (("    wikidata: Q56226\n", "    wikidata: !!python/name:os.system Q56226\n"),
     "YAML tags are not allowed", "    wikidata: !!python/name:os.system Q56226\n"),
    (("    wikidata: Q56226\n", '    wikidata: "Q56226\\u0000"\n'),
     "character U+0000 is not allowed in a value", '    wikidata: "Q56226\\u0000"\n'),
], ids=["duplicate-key", "anchor", "python-tag", "escaped-nul"])
def test_hostile_yaml_stops_kg_build_with_the_line(
        data_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        edit: tuple[str, str], problem: str, line_text: str) -> None:
    from kg.cli import main
    from tests.conftest import ONTOLOGY

    entities = data_copy / "entities.yaml"
    text = entities.read_text(encoding="utf-8")
    assert edit[0] in text
    text = text.replace(edit[0], edit[1], 1)
    entities.write_text(text, encoding="utf-8")
    line = text[: text.index(line_text)].count("\n") + 1
    code = main(["build", "--data", str(data_copy), "--ontology", str(ONTOLOGY),
                 "--out", str(tmp_path / "exports")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"{entities}:{line}:" in err and problem in err, err
    assert not (tmp_path / "exports").exists()
