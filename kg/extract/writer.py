"""The draft writer: annotation.yaml and meta.yaml text, and the draft folder on disk."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path

from kg.corpus import read_text
from kg.errors import InputError
from kg.extract.knowledge import load_knowledge
from kg.extract.model import LANGS, NARRATOR, Draft
from kg.extract.sentences import extract_draft
from kg.text import split_sentences


def _q(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _flow(values: Iterable[str]) -> str:
    items = list(values)
    return _q(items[0]) if len(items) == 1 else "[" + ", ".join(_q(v) for v in items) + "]"


def _label(label: dict[str, str]) -> str:
    return "{" + ", ".join(f"{lang}: {_q(label[lang])}" for lang in LANGS if lang in label) + "}"


def render_annotation(draft: Draft) -> str:
    """The draft as annotation.yaml text: every scalar quoted, review notes as comments."""
    lines = [f"# Draft annotation of {draft.article_id} written by `kg extract` ({draft.lang}).",
             "# REVIEW EVERY LINE before moving this folder under data/articles/: ids, types,",
             "# participants, certainty, hedge cue, evidential basis and speaker are guesses.",
             "# Claims default to the narrator; a certain, positive, direct, unhedged claim by",
             "# the narrator makes its things facts (dkg:assertedBy).",
             f"article: {_q(draft.article_id)}", ""]
    if draft.entities:
        lines.append("entities:")
        for entity in draft.entities:
            note = entity.get("_review")
            if note:
                lines.append(f"  # {note}")
            lines.append(f"  - id: {_q(entity['id'])}")
            lines.append(f"    type: {_q(entity['type'])}")
            lines.append(f"    label: {_label(entity['label'])}")
            for key, value in entity.items():
                if key in ("id", "type", "label", "_review"):
                    continue
                if isinstance(value, dict):
                    lines.append(f"    {key}: " + "{" + ", ".join(
                        f"{k}: {_flow(v if isinstance(v, list) else [v])}" for k, v in value.items())
                        + "}")
                else:
                    lines.append(f"    {key}: {_flow(value if isinstance(value, list) else [value])}")
        lines.append("")
    defined = [t for t in draft.things if t.defined]
    if defined:
        lines.append("things:")
        for thing in defined:
            if thing.type == "Event":
                lines.append("  # unclassified: no trigger word; give it a type or point the claim"
                             " at an existing thing")
            lines.append(f"  - id: {_q(thing.id)}")
            lines.append(f"    type: {_q(thing.type)}")
            lines.append(f"    label: {_label(thing.label)}")
            for key, values in thing.props.items():
                if values:
                    lines.append(f"    {key}: {_flow(values)}")
        lines.append("")
    lines.append("claims:")
    current = -1
    sentences = split_sentences(draft.text)
    for claim in draft.claims:
        if claim.sentence != current:
            current = claim.sentence
            span = sentences[current]
            words = " ".join(draft.text[span.begin:span.end].split())
            lines.append(f"  # sentence {current} [{span.begin}, {span.end}): "
                         f"{words[:70]}{'…' if len(words) > 70 else ''}")
        lines.append(f"  - id: {_q(claim.id)}")
        lines.append(f"    quote: {_q(claim.quote)}")
        lines.append(f"    about: {_flow(claim.about)}")
        lines.append(f"    certainty: {_q(claim.certainty)}")
        if claim.polarity != "positive":
            lines.append(f"    polarity: {_q(claim.polarity)}")
        if claim.temporality:
            lines.append(f"    temporality: {_q(claim.temporality)}")
        if claim.hedge_cue:
            lines.append(f"    hedgeCue: {_q(claim.hedge_cue)}")
        if claim.basis != "direct-report":
            lines.append(f"    evidentialBasis: {_q(claim.basis)}")
        if claim.according_to != NARRATOR:
            lines.append(f"    accordingTo: {_q(claim.according_to)}")
    return "\n".join(lines) + "\n"


def render_meta(article_id: str, lang: str) -> str:
    return (f"# Metadata of the draft {article_id}: fill in what is known, keep `unknown` honest.\n"
            f"id: {_q(article_id)}\nlanguage: {_q(lang)}\nunknown: [title, publisher, published]\n")


def default_article_id(text: str, data_dir: Path) -> str:
    """``NNN_<16 hex of the text's SHA-256>``, NNN the next free index under data/articles."""
    articles = data_dir / "articles"
    indexes = [int(p.name[:3]) for p in articles.iterdir()
               if p.is_dir() and p.name[:3].isdigit()] if articles.is_dir() else []
    index = max((i for i in indexes if i < 900), default=-1) + 1
    return f"{index:03d}_{hashlib.sha256(text.encode('utf-8')).hexdigest()[:16]}"


DRAFT_FILES = ("article.txt", "meta.yaml", "annotation.yaml")


def write_draft(article: Path, lang: str, out_dir: Path | None, data_dir: Path) -> Path:
    """Extract ``article`` and write a draft article folder (refuses to overwrite anything).

    The folder name is the article id (default ``drafts/<NNN_hash>``); it holds a byte copy of
    the text, ``meta.yaml`` and ``annotation.yaml``. Move it under ``data/articles/`` after
    review and ``kg build`` takes it as it is.
    """
    text = read_text(article)
    if out_dir is None:
        out_dir = Path("drafts") / default_article_id(text, data_dir)
    for name in DRAFT_FILES:
        if (out_dir / name).exists():
            raise InputError("refusing to overwrite an existing draft file (choose another -o)",
                             path=out_dir / name)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError("refusing to overwrite an existing file (-o names a folder)", path=out_dir)
    article_id = out_dir.name
    if not re.fullmatch(r"[A-Za-z0-9_-]+", article_id):
        raise InputError("the draft folder name is the article id: use letters, digits, _ and -",
                         path=out_dir)
    knowledge = load_knowledge(data_dir, exclude_article=article_id)
    draft = extract_draft(text, lang, article_id, knowledge)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "article.txt").write_bytes(article.read_bytes())
    for name, content in (("meta.yaml", render_meta(article_id, lang)),
                          ("annotation.yaml", render_annotation(draft))):
        with (out_dir / name).open("x", encoding="utf-8") as handle:
            handle.write(content)
    return out_dir


# ---------------------------------------------------------------------------- evaluation
#
# Matching, per article (the article is extracted as unseen: its own annotation is left out
