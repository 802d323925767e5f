"""The draft writer: annotation.yaml and meta.yaml text, and the draft folder on disk."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kg.corpus import read_text
from kg.errors import InputError
from kg.extract.knowledge import load_knowledge, with_draft
from kg.extract.model import LANGS, NARRATOR, Draft
from kg.extract.nlp import pipeline
from kg.extract.parse import parse_batch
from kg.extract.sentences import extract_draft
from kg.text import split_sentences

#: the annotator of a machine draft (REVIEW_FORMAT.md)
SOFTWARE = "kg-extract"


def _q(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _flow(values: Iterable[str]) -> str:
    items = list(values)
    return _q(items[0]) if len(items) == 1 else "[" + ", ".join(_q(v) for v in items) + "]"


def _label(label: dict[str, str]) -> str:
    return "{" + ", ".join(f"{lang}: {_q(label[lang])}" for lang in LANGS if lang in label) + "}"


def render_annotation(draft: Draft, annotated_at: str | None = None) -> str:
    """The draft as annotation.yaml text: every scalar quoted, review notes as comments, the
    provenance of a machine draft and ``review: drafted`` on every claim (REVIEW_FORMAT)."""
    lines = [f"# Draft annotation of {draft.article_id} written by `kg extract` ({draft.lang}).",
             "# REVIEW EVERY LINE before moving this folder under data/articles/: ids, types,",
             "# participants, certainty, hedge cue, evidential basis and speaker are guesses.",
             "# Every claim is `review: drafted`: nothing here is a fact until a person reviews",
             "# it. Claims default to the narrator; a reviewed, certain, positive, direct,",
             "# unhedged claim by the narrator makes its things facts (dkg:assertedBy).",
             f"article: {_q(draft.article_id)}", *_provenance(annotated_at), ""]
    lines += _entity_lines(draft)
    lines += _thing_lines(draft)
    lines += _claim_lines(draft)
    return "\n".join(lines) + "\n"


def _provenance(annotated_at: str | None) -> list[str]:
    when = annotated_at or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return ["provenance:",
            f"  annotator: {{software: {_q(SOFTWARE)}, version: {_q(kg_version())}}}",
            f"  annotatedAt: {_q(when)}"]


def kg_version() -> str:
    """The version of the package that drafted (installed metadata, else the source's)."""
    try:
        return importlib.metadata.version("diplo-kg")
    except importlib.metadata.PackageNotFoundError:
        import kg

        return str(kg.__version__)


def _value(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v if isinstance(v, list) else [v])}"
                               for k, v in value.items()) + "}"
    return _flow(value if isinstance(value, list) else [value])


def _entity_lines(draft: Draft) -> list[str]:
    if not draft.entities:
        return []
    lines = ["entities:"]
    for entity in draft.entities:
        if entity.get("_review"):
            lines.append(f"  # {entity['_review']}")
        lines += [f"  - id: {_q(entity['id'])}", f"    type: {_q(entity['type'])}",
                  f"    label: {_label(entity['label'])}"]
        lines += [f"    {key}: {_value(value)}" for key, value in entity.items()
                  if key not in ("id", "type", "label", "_review")]
    return [*lines, ""]


def _thing_lines(draft: Draft) -> list[str]:
    defined = [t for t in draft.things if t.defined]
    if not defined:
        return []
    lines = ["things:"]
    for thing in defined:
        if thing.type == "Event":
            lines.append("  # unclassified: no trigger word; give it a type or point the claim"
                         " at an existing thing")
        lines += [f"  - id: {_q(thing.id)}", f"    type: {_q(thing.type)}",
                  f"    label: {_label(thing.label)}"]
        lines += [f"    {key}: {_flow(values)}" for key, values in thing.props.items() if values]
    return [*lines, ""]


def _claim_lines(draft: Draft) -> list[str]:
    lines, current = ["claims:"], -1
    sentences = split_sentences(draft.text)
    for claim in draft.claims:
        if claim.sentence != current:
            current = claim.sentence
            span = sentences[current]
            words = " ".join(draft.text[span.begin:span.end].split())
            lines.append(f"  # sentence {current} [{span.begin}, {span.end}): "
                         f"{words[:70]}{'…' if len(words) > 70 else ''}")
        lines += [f"  - id: {_q(claim.id)}", f"    quote: {_q(claim.quote)}",
                  f"    about: {_flow(claim.about)}", f"    certainty: {_q(claim.certainty)}"]
        optional = (("polarity", claim.polarity, "positive"), ("temporality", claim.temporality, None),
                    ("hedgeCue", claim.hedge_cue, None),
                    ("evidentialBasis", claim.basis, "direct-report"),
                    ("accordingTo", claim.according_to, NARRATOR))
        lines += [f"    {key}: {_q(value)}" for key, value, default in optional
                  if value and value != default]
        lines += ["    review: drafted", f"    confidence: {claim.confidence:.2f}"]
    return lines


def render_meta(article_id: str, lang: str) -> str:
    return (f"# Metadata of the draft {article_id}: fill in what is known, keep `unknown` honest.\n"
            f"id: {_q(article_id)}\nlanguage: {_q(lang)}\nunknown: [title, publisher, published]\n")


def default_article_id(text: str, data_dir: Path, taken: Iterable[int] = ()) -> str:
    """``NNN_<16 hex of the text's SHA-256>``, NNN the next index free under data/articles and
    not in ``taken`` (the drafts of the same batch)."""
    articles = data_dir / "articles"
    indexes = [int(p.name[:3]) for p in articles.iterdir()
               if p.is_dir() and p.name[:3].isdigit()] if articles.is_dir() else []
    index = max((i for i in (*indexes, *taken) if i < 900), default=-1) + 1
    return f"{index:03d}_{hashlib.sha256(text.encode('utf-8')).hexdigest()[:16]}"


DRAFT_FILES = ("article.txt", "meta.yaml", "annotation.yaml")


def _check_target(out_dir: Path) -> None:
    for name in DRAFT_FILES:
        if (out_dir / name).exists():
            raise InputError("refusing to overwrite an existing draft file (choose another -o)",
                             path=out_dir / name)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError("refusing to overwrite an existing file (-o names a folder)", path=out_dir)
    if not re.fullmatch(r"[A-Za-z0-9_-]+", out_dir.name):
        raise InputError("the draft folder name is the article id: use letters, digits, _ and -",
                         path=out_dir)


def article_files(paths: Sequence[Path]) -> list[Path]:
    """The article texts named: files as given, folders by their ``*.txt`` (sorted)."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.glob("*.txt") if p.is_file())
            if not found:
                raise InputError("no *.txt article in this folder", path=path)
            out += found
        else:
            out.append(path)
    return out


def draft_targets(articles: Sequence[Path], out: Path | None, data_dir: Path) -> list[Path]:
    """Where each draft goes. One article: ``out`` is its folder (default drafts/<NNN_hash>).
    Several: ``out`` is the parent (default drafts/) and each gets its own NNN_hash folder."""
    if len(articles) == 1 and out is not None:
        return [out]
    parent, taken, targets = out or Path("drafts"), [], []
    for article in articles:
        ident = default_article_id(read_text(article), data_dir, taken)
        taken.append(int(ident[:3]))
        targets.append(parent / ident)
    return targets


def write_drafts(articles: Sequence[Path], lang: str, out: Path | None, data_dir: Path,
                 ontology_dir: Path | None = None) -> list[Path]:
    """Extract every article and write one draft folder each (never overwriting anything).

    The model and the gazetteer load once for the batch; each draft's new actors and things
    are known to the next ones, so drafts side by side refer to one another instead of
    defining an id twice, and they all build together. A folder holds a byte copy of the
    text, ``meta.yaml`` and ``annotation.yaml``; its name is the article id.
    """
    targets = draft_targets(articles, out, data_dir)
    for target in targets:
        _check_target(target)
    if len({t.name for t in targets}) < len(targets):
        raise InputError("two drafts would have the same folder name", path=targets[0].parent)
    knowledge = load_knowledge(data_dir, exclude_article=targets[0].name if len(targets) == 1
                               else None, ontology_dir=ontology_dir)
    texts = [read_text(article) for article in articles]
    parses = parse_batch(pipeline(lang, knowledge), texts)
    for article, text, docs, target in zip(articles, texts, parses, targets, strict=True):
        draft = extract_draft(text, lang, target.name, knowledge, docs)
        target.mkdir(parents=True, exist_ok=True)
        (target / "article.txt").write_bytes(article.read_bytes())
        for name, content in (("meta.yaml", render_meta(target.name, lang)),
                              ("annotation.yaml", render_annotation(draft))):
            with (target / name).open("x", encoding="utf-8") as handle:
                handle.write(content)
        knowledge = with_draft(knowledge, draft)
    return targets


def write_draft(article: Path, lang: str, out_dir: Path | None, data_dir: Path) -> Path:
    """One article's draft folder (see :func:`write_drafts`)."""
    return write_drafts([article], lang, out_dir, data_dir)[0]
