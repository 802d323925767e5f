"""Assisted extraction: a French or English news text -> a draft article folder to review.

One module per stage, each a few plain functions over plain objects:

- :mod:`~kg.extract.nlp`: the spaCy pipeline, loaded once per process, with an EntityRuler fed
  from the gazetteer and the registry before the statistical NER;
- :mod:`~kg.extract.knowledge`: what ``data/`` already holds (registry, articles, gazetteer);
- :mod:`~kg.extract.mentions`: actors and places of the text, reconciled with that knowledge;
- :mod:`~kg.extract.attribution`: who says what, distinct from the publisher;
- :mod:`~kg.extract.modality`: hedge cues (as written), certainty, evidential basis, polarity;
- :mod:`~kg.extract.events`, :mod:`~kg.extract.proposals`, :mod:`~kg.extract.things`: the
  events and exchange proposals the sentences are about;
- :mod:`~kg.extract.sentences`: the reading loop that turns clauses into claims;
- :mod:`~kg.extract.writer`: ``annotation.yaml`` / ``meta.yaml`` and the draft folder;
- :mod:`~kg.extract.evaluation`: drafts of reviewed articles scored against their annotation.

Everything here is heuristic and meant to save typing, not to replace the review: the draft
compiles, but a reviewer checks every claim.
"""

from __future__ import annotations

from kg.extract.evaluation import ArticleScores, evaluate, format_scores, score_draft
from kg.extract.knowledge import Knowledge, KnownEntity, KnownThing, load_knowledge
from kg.extract.model import EXTRA_HINT, LANGS, NARRATOR, Draft, DraftClaim, DraftThing, Mention
from kg.extract.nlp import pipeline, ruler_patterns
from kg.extract.sentences import extract_draft
from kg.extract.writer import default_article_id, render_annotation, render_meta, write_draft

__all__ = [
    "EXTRA_HINT", "LANGS", "NARRATOR", "ArticleScores", "Draft", "DraftClaim", "DraftThing",
    "Knowledge", "KnownEntity", "KnownThing", "Mention", "default_article_id", "evaluate",
    "extract_draft", "format_scores", "load_knowledge", "pipeline", "render_annotation",
    "render_meta", "ruler_patterns", "score_draft", "write_draft",
]
