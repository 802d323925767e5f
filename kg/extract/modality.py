"""Modality: hedge cues with their certainty, evidential basis, polarity and tense."""

from __future__ import annotations

import re
from typing import Any

from kg.extract import lexicon as lex
from kg.extract.context import ArticleState
from kg.extract.model import NARRATOR


def cues(ctx: ArticleState, begin: int, end: int) -> list[tuple[str, lex.Cue]]:
    text = ctx.text[begin:end]
    found: list[tuple[int, int, str, lex.Cue]] = []
    for cue in lex.HEDGES[ctx.lang]:
        for match in ctx.rx(cue.pattern).finditer(text):
            if not any(match.start() < fe and fb < match.end() for fb, fe, _t, _c in found):
                found.append((match.start(), match.end(), match.group(0), cue))
    return [(t, c) for _b, _e, t, c in sorted(found, key=lambda x: x[0])]


def modality(ctx: ArticleState, begin: int, end: int, cues: list[tuple[str, lex.Cue]],
             attribution: tuple[str, str, int, int] | None, sentence_text: str,
             previous: str) -> dict[str, Any]:
    text = ctx.text[begin:end]
    order = {"certain": 0, "probable": 1, "possible": 2, "unknown": 3}
    certainty, cue_text, basis, future = "certain", None, None, False
    for written, cue in cues:
        if order[cue.certainty] >= order[certainty]:
            if order[cue.certainty] > order[certainty] or cue_text is None:
                cue_text, basis = written, cue.basis
            certainty = cue.certainty
        future = future or cue.future
    speaker = NARRATOR
    if attribution:
        speaker = attribution[0]
        if cue_text is None:
            cue_text = attribution[1]
    if speaker != NARRATOR:
        kind = ctx.source_types.get(speaker, "")
        basis = "foreign-intelligence" if kind == "foreign-government" else (
            basis or "reported-speech")
    elif cue_text and basis is None:
        context = sentence_text + " " + previous
        basis = ("state-media-staging" if re.search(lex.STATE_MEDIA, sentence_text, re.I)
                 else "imagery-inference" if re.search(lex.IMAGERY, context, re.I)
                 else "journalist-speculation")
    negative = bool(ctx.rx(lex.NEGATION[ctx.lang]).search(text)) and certainty != "unknown"
    if future or ctx.rx(lex.FUTURE[ctx.lang]).search(text):
        temporality = "future"
    elif ctx.rx(lex.PAST[ctx.lang]).search(text):
        temporality = "past"
    else:
        temporality = "present"
    return {"certainty": certainty, "hedge_cue": cue_text, "basis": basis or "direct-report",
            "according_to": speaker, "polarity": "negative" if negative else "positive",
            "temporality": temporality}


def event_status(ctx: ArticleState, begin: int, end: int, cues: list[tuple[str, lex.Cue]]) -> str | None:
    text = ctx.text[begin:end]
    if ctx.rx(lex.NEGATION[ctx.lang]).search(text):
        return None
    hedged = any(c.certainty in ("possible", "probable") for _t, c in cues)
    if hedged and any(c.future for _t, c in cues):
        return "hypothetical"
    if ctx.rx(lex.FUTURE[ctx.lang]).search(text):
        return "planned"
    if ctx.rx(lex.PAST[ctx.lang]).search(text):
        return "held"
    return None
