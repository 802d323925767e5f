"""kg.ingest.annotation: the one annotation.yaml writer (deterministic, round-trips, atomic)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.compile import compile_graph, load_ontology
from kg.corpus import read_corpus
from kg.ingest.annotation import AnnotationValueError, render_annotation, write_annotation
from kg.yamlsafe import load_yaml, loads
from tests.conftest import DATA, ONTOLOGY

ARTICLES = sorted(p for p in (DATA / "articles").iterdir() if (p / "annotation.yaml").is_file())


def test_the_corpus_has_articles_to_round_trip() -> None:
    assert len(ARTICLES) >= 4


def test_every_article_renders_back_to_the_same_graph(data_copy: Path) -> None:
    """load -> render -> load gives the same compiled graph, for every hand-written article."""
    ontology = load_ontology(ONTOLOGY)
    before = compile_graph(read_corpus(data_copy), ontology)
    for folder in ARTICLES:
        target = data_copy / "articles" / folder.name / "annotation.yaml"
        text = render_annotation(load_yaml(target), text=(folder / "article.txt").read_text("utf-8"))
        target.write_text(text, encoding="utf-8")
        # deterministic and stable: rendering what was rendered changes nothing
        assert render_annotation(load_yaml(target),
                                 text=(folder / "article.txt").read_text("utf-8")) == text
    after = compile_graph(read_corpus(data_copy), ontology)
    assert after.graphs == before.graphs


def test_house_style_flow_lists_and_labels_plain_where_safe() -> None:
    data = {"claims": [{"review": "drafted", "certainty": "certain", "quote": "a: b", "id": "c1",
                        "about": "t1"}],
            "things": [{"label": {"fr": "oui", "en": "yes"}, "id": "t1", "type": "Visit",
                        "participant": ["a", "b"], "eventType": "042", "unknown": ["date"]}],
            "article": "001_x",
            "provenance": {"reviewer": {"person": "Jane"}, "annotator": {"software": "kg-extract",
                                                                          "version": "0.2.0"}}}
    text = render_annotation(data)
    assert text == (
        "article: 001_x\n"
        "provenance:\n"
        "  annotator: {software: kg-extract, version: 0.2.0}\n"
        "  reviewer: {person: Jane}\n"
        "\n"
        "things:\n"
        "  - id: t1\n"
        "    type: Visit\n"
        '    label: {fr: oui, en: "yes"}\n'
        "    participant: [a, b]\n"
        '    eventType: "042"\n'
        "    unknown: [date]\n"
        "\n"
        "claims:\n"
        "  - id: c1\n"
        '    quote: "a: b"\n'
        "    about: t1\n"
        "    certainty: certain\n"
        "    review: drafted\n")
    assert loads(text, Path("x")) == data


_VALUE = st.text(st.characters(blacklist_categories=("Cs",),
                               blacklist_characters="\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c"
                               "\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c"
                               "\x1d\x1e\x1f\x7f\ufffe\uffff"), min_size=1)


@settings(max_examples=300, deadline=None)
@given(label=_VALUE, quote=_VALUE, items=st.lists(_VALUE, min_size=1, max_size=3))
def test_any_string_the_loader_accepts_round_trips(label: str, quote: str, items: list[str]) -> None:
    data = {"article": "a", "things": [{"id": "t", "label": {"fr": label}, "party": items}],
            "claims": [{"id": "c", "quote": quote, "about": items}]}
    assert loads(render_annotation(data), Path("x")) == data


@pytest.mark.parametrize("bad", ["\x00", "a\x1bb", "\ud800", "\uffff"])
def test_a_value_the_loader_refuses_is_refused_with_where_it_is(bad: str) -> None:
    with pytest.raises(AnnotationValueError) as caught:
        render_annotation({"article": "a", "claims": [{"id": "c", "quote": bad}]})
    assert caught.value.where == ("claims", 0, "quote")


def test_only_text_lists_and_maps_are_written() -> None:
    with pytest.raises(AnnotationValueError, match="must be text"):
        render_annotation({"article": "a", "claims": [{"id": "c", "confidence": 0.5}]})


def test_write_is_atomic_and_an_interrupted_write_leaves_the_previous_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "annotation.yaml"
    target.write_text("article: old\n", encoding="utf-8")
    write_annotation(target, "article: new\n")
    assert target.read_text("utf-8") == "article: new\n"

    def killed(*_args: object) -> None:
        raise KeyboardInterrupt  # as if the server were stopped between write and rename

    monkeypatch.setattr(os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        write_annotation(target, "article: newer\n")
    assert target.read_text("utf-8") == "article: new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["annotation.yaml"]  # no temp left


@settings(max_examples=200, deadline=None)
@given(key=_VALUE.filter(lambda k: k != "<<"), value=_VALUE)
def test_any_key_the_loader_accepts_round_trips(key: str, value: str) -> None:
    data = {"article": "a", "things": [{"id": "t", key: value, "label": {key: [value]}}]}
    assert loads(render_annotation(data), Path("x")) == data


def test_the_merge_key_the_loader_refuses_is_refused() -> None:
    with pytest.raises(AnnotationValueError, match="merge key"):
        render_annotation({"article": "a", "things": [{"id": "t", "<<": "x"}]})
