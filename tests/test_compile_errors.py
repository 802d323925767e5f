"""Bad annotations: exit 2, one line naming the file, the line and the problem; exports unchanged."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kg.cli import main
from tests.conftest import ONTOLOGY, ROOT, SEED_ID

ANNOTATION = f"articles/{SEED_ID}/annotation.yaml"
TROOPS = "    quote: passant en revue les troupes\n"
REVIEWER = "  reviewer: {person: diplo-kg maintainers}\n  reviewedAt: 2026-11-23T21:44:49Z\n"
ENTITIES = "entities.yaml"
META = f"articles/{SEED_ID}/meta.yaml"


def _replace(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture edit: {old!r} not in {path.name}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


# (case id, file, old text, new text, expected problem, needle marking the expected line)
CASES = [
    ("malformed-yaml", ANNOTATION, "claims:\n", "claims: [\n", "invalid YAML", None),
    ("unknown-entity-id", ANNOTATION, "visitor: kim-jong-un", "visitor: kim-jong-il",
     "unknown id 'kim-jong-il'", "visitor: kim-jong-il"),
    ("unknown-type", ANNOTATION, "type: Summit", "type: Sumit", "unknown type 'Sumit'",
     "type: Sumit"),
    ("quote-not-in-text", ANNOTATION, "quote: passant en revue les troupes",
     "quote: passant en revue la flotte", "quote not found", "passant en revue la flotte"),
    ("quote-apostrophe", ANNOTATION, "quote: Il s’agira du deuxième",
     "quote: Il s'agira du deuxième", "apostrophes", "quote: Il s'agira"),
    ("duplicate-thing-id", ANNOTATION, "  - id: kim-putin-summit-2019\n",
     "  - id: kim-putin-summit-2023\n", "duplicate id 'kim-putin-summit-2023'", None),
    ("duplicate-key", ANNOTATION, "    visitor: kim-jong-un\n",
     "    visitor: kim-jong-un\n    visitor: vladimir-putin\n", "duplicate key 'visitor'",
     "visitor: vladimir-putin"),
    ("claim-without-evidence", ANNOTATION, "    quote: passant en revue les troupes\n", "",
     "claim without evidence", "id: reviewed-troops"),
    ("unknown-property", ANNOTATION, "    meansOfTransport: train blindé\n",
     "    meanOfTransport: train blindé\n", "unknown property 'meanOfTransport'",
     "meanOfTransport"),
    ("bad-certainty", ANNOTATION, "    certainty: probable\n", "    certainty: likely\n",
     "'likely' is not in the certainty vocabulary", "certainty: likely"),
    ("yaml-alias", ENTITIES, "  - id: russia\n", "  - id: &r russia\n",
     "anchors and aliases", "id: &r russia"),
    ("cue-not-in-sentence", ANNOTATION, "    hedgeCue: semblent\n", "    hedgeCue: paraissent\n",
     "hedgeCue 'paraissent' is not in the claim's sentence", "hedgeCue: paraissent"),
    ("invented-and-unknown", ANNOTATION, "    unknown: [date, hasPlace]\n",
     "    unknown: [date, hasPlace]\n    date: 2023-09-13\n", "both given and declared unknown",
     None),
    ("claim-about-an-actor", ANNOTATION, "    about: kim-troop-review-2023\n",
     "    about: kim-jong-un\n", "about: 'kim-jong-un' is not a known event",
     "about: kim-jong-un"),
    ("unknown-author-field", f"articles/{SEED_ID}/meta.yaml", "unknown: [title, publisher]",
     "unknown: [title, publisher, author]", "'author' is not a metadata field", "unknown:"),
    ("yes-is-not-boolean", ANNOTATION, 'recurring: "true"', "recurring: yes",
     "'yes' must be true or false", "recurring: yes"),
    # issue 19, findings 5 and 6: each was exit 3 with rdflib's or Python's message, a second
    # stderr line, or accepted (exit 0) and written as an ill-typed or wrong value
    ("url-not-an-iri", META, "language: fr\n", "language: fr\nurl: 'not an <iri>'\n",
     "url: 'not an <iri>' is not an absolute IRI", "url:"),
    ("url-relative", META, "language: fr\n", "language: fr\nurl: /news/1\n",
     "is not an absolute IRI", "url:"),
    ("month-19-day-39", META, "published: 2023-09", "published: 2023-19-39",
     "'2023-19-39' is not a calendar date", "published:"),
    ("year-zero", META, "published: 2023-09", "published: 0000-00-00",
     "'0000-00-00' is not a calendar date", "published:"),
    ("february-30", META, "published: 2023-09", "published: 2023-02-30",
     "is not a calendar date", "published:"),
    ("5000-digit-ordinal", ANNOTATION, 'seriesOrdinal: "2"', 'seriesOrdinal: "' + "9" * 5000 + '"',
     "integer of 5000 digits is out of range", "seriesOrdinal: "),
    ("type-with-a-space", ANNOTATION, "type: Visit", "type: Vi sit", "unknown type 'Vi sit'",
     "type: Vi sit"),
    ("vocabulary-value-with-a-space", ANNOTATION, "    certainty: probable\n",
     "    certainty: very likely\n", "'very likely' is not in the certainty vocabulary",
     "certainty: very likely"),
    ("goods-as-visitor", ANNOTATION, "visitor: kim-jong-un", "visitor: goods:arms",
     "visitor: 'goods:arms' is a concept of a vocabulary, but visitor needs an actor",
     "visitor: goods:arms"),
    ("place-as-visitor", ANNOTATION, "visitor: kim-jong-un", "visitor: pyongyang",
     "visitor: 'pyongyang' is not an actor", "visitor: pyongyang"),
    # issue 14: the provenance block and the claim keys review and confidence
    ("bad-review-state", ANNOTATION, TROOPS, TROOPS + "    review: accepted\n",
     "'accepted' is not in the review-state vocabulary", "review: accepted"),
    ("confidence-above-one", ANNOTATION, TROOPS, TROOPS + "    confidence: 1.2\n",
     "confidence: '1.2' is not a number from 0 to 1", "confidence: 1.2"),
    ("confidence-not-a-number", ANNOTATION, TROOPS, TROOPS + "    confidence: high\n",
     "confidence: 'high' is not a number from 0 to 1", "confidence: high"),
    ("software-reviewer", ANNOTATION, "  reviewer: {person: diplo-kg maintainers}",
     "  reviewer: {software: kg-extract, version: 0.2.0}", "only a person can review",
     "reviewer: {software"),
    ("annotator-not-a-mapping", ANNOTATION, "  annotator: {person: diplo-kg maintainers}",
     "  annotator: diplo-kg maintainers", "provenance.annotator must be {person: NAME} or",
     "annotator: diplo-kg"),
    ("annotated-at-not-a-time", ANNOTATION, "  annotatedAt: 2026-11-23T21:44:49Z",
     "  annotatedAt: 23/11/2026", "annotatedAt: '23/11/2026' is not a date", "annotatedAt:"),
    ("date-time-without-zone", ANNOTATION, "  annotatedAt: 2026-11-23T21:44:49Z",
     "  annotatedAt: 2026-11-23T21:44:49", "with a time zone", "annotatedAt:"),
    ("impossible-date", ANNOTATION, "  reviewedAt: 2026-11-23T21:44:49Z",
     "  reviewedAt: 2026-02-30", "reviewedAt: '2026-02-30' is not a date", "reviewedAt:"),
    ("unknown-provenance-key", ANNOTATION, "  reviewedAt: 2026-11-23T21:44:49Z",
     "  reviewedAt: 2026-11-23T21:44:49Z\n  approvedBy: me", "unknown provenance key "
     "'approvedBy'", "approvedBy: me"),
    ("reviewer-without-time", ANNOTATION, "  reviewedAt: 2026-11-23T21:44:49Z\n", "",
     "'reviewer' needs 'reviewedAt'", "reviewer:"),
]


@pytest.fixture(scope="module")
def pristine_exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The exports of the unmodified data, built once."""
    from kg.build import build
    from tests.conftest import DATA

    out = tmp_path_factory.mktemp("pristine")
    build(DATA, ONTOLOGY, out)
    return {p.name: p.read_bytes() for p in out.iterdir()}


@pytest.mark.parametrize(("file", "old", "new", "problem", "needle"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_annotation_exits_2_with_one_line_and_keeps_exports(
        data_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        pristine_exports: dict[str, bytes], file: str, old: str, new: str, problem: str,
        needle: str | None) -> None:
    out = tmp_path / "exports"
    out.mkdir()
    for name, content in pristine_exports.items():
        (out / name).write_bytes(content)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    target = data_copy / file
    _replace(target, old, new)
    code = main(["build", "--data", str(data_copy), "--ontology", str(ONTOLOGY),
                 "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert str(target) in lines[0]
    assert problem in lines[0]
    if needle is not None:
        assert f"{target}:{_line_of(target, needle)}" in lines[0]
    assert "Traceback" not in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_claim_marked_reviewed_needs_a_reviewer(data_copy: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Without provenance.reviewer the claims are drafted; saying one is reviewed (or rejected)
    then names no person who did it: refused at the claim's line."""
    annotation = data_copy / ANNOTATION
    _replace(annotation, REVIEWER, "")
    _replace(annotation, TROOPS, TROOPS + "    review: rejected\n")
    code = main(["build", "--data", str(data_copy), "--ontology", str(ONTOLOGY),
                 "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert f"{annotation}:{_line_of(annotation, '    review: rejected')}: review: 'rejected' needs "\
        "a reviewer" in err[0]
    assert not (tmp_path / "out").exists()


def test_every_sentence_needs_a_claim(data_copy: Path, capsys: pytest.CaptureFixture[str],
                                      tmp_path: Path) -> None:
    annotation = data_copy / ANNOTATION
    text = annotation.read_text(encoding="utf-8")
    start = text.index("  # sentence 11\n")
    end = text.index("  # sentence 12\n")
    annotation.write_text(text[:start] + text[end:], encoding="utf-8")
    code = main(["build", "--data", str(data_copy), "--ontology", str(ONTOLOGY),
                 "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert "sentence 11 has no claim" in err
    assert not (tmp_path / "out").exists()


def test_missing_data_dir_is_one_line_exit_2(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere"
    code = main(["build", "--data", str(missing), "--ontology", str(ONTOLOGY),
                 "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and str(missing) in err[0]


def test_unreadable_article_text_is_named(data_copy: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    text = data_copy / "articles" / SEED_ID / "article.txt"
    text.write_bytes(b"\xff\xfe not utf-8")
    code = main(["build", "--data", str(data_copy), "--ontology", str(ONTOLOGY),
                 "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert str(text) in err and "not UTF-8" in err


def test_a_bad_date_names_its_column(data_copy: Path, capsys: pytest.CaptureFixture[str],
                                     tmp_path: Path) -> None:
    """Regression (issue 19): ``published: 2023-19-39`` was written as an xsd:date."""
    meta = data_copy / META
    _replace(meta, "published: 2023-09", "published: 2023-19-39")
    line = _line_of(meta, "published:")
    code = main(["build", "--data", str(data_copy), "--ontology", str(ONTOLOGY),
                 "--out", str(tmp_path / "out")])
    assert code == 2
    assert f"{meta}:{line}:12: published: '2023-19-39'" in capsys.readouterr().err


@pytest.mark.parametrize("article_id", ["000 seed", "000<seed", "000#seed"])
def test_an_article_id_that_cannot_be_an_iri_is_bad_input(
        article_id: str, data_copy: Path, capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> None:
    """Regression (issue 19): an article id with a space, ``<`` or ``#`` was exit 3
    (``Invalid IRI code point``)."""
    folder = data_copy / "articles" / article_id
    (data_copy / "articles" / SEED_ID).rename(folder)
    for name, key in (("meta.yaml", "id"), ("annotation.yaml", "article")):
        _replace(folder / name, f"{key}: {SEED_ID}", f"{key}: '{article_id}'")
    code = main(["build", "--data", str(data_copy), "--ontology", str(ONTOLOGY),
                 "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1
    assert f"{folder / 'meta.yaml'}:" in err and f"article id {article_id!r}" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("old", "new"), [("type: Visit", "type: Vi sit"),
                                          ("    certainty: probable\n",
                                           "    certainty: very likely\n")])
def test_a_name_with_a_space_is_one_stderr_line_in_a_real_run(
        data_copy: Path, tmp_path: Path, old: str, new: str) -> None:
    """Regression (issue 19): ``type: Vi sit`` printed rdflib's "does not look like a valid
    URI" warning before our error: two stderr lines. (In-process, pytest captures the logging
    line; a subprocess sees what a user sees.)"""
    _replace(data_copy / ANNOTATION, old, new)
    result = subprocess.run(
        [sys.executable, "-m", "kg.cli", "build", "--data", str(data_copy), "--ontology",
         str(ONTOLOGY), "--out", str(tmp_path / "out")],
        capture_output=True, text=True, cwd=ROOT, timeout=300, check=False)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
