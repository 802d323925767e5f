"""Modality: hedge cues with their certainty, evidential basis, polarity, tense and status.

Lexical cues (``lexicon.HEDGES``: modals, "reportedly", "rumeurs", "prétendu"…) and, from the
parse, the French conditional (Mood=Cnd, or the future stem + -ait the small models miss), the
negation attached to the event's trigger or the verb governing it (so "does not veer" denies
nothing), and the verbs that plan, postpone or call off the event they govern.
"""

from __future__ import annotations

import re
from typing import Any

from kg.extract import lexicon as lex
from kg.extract.context import ArticleState
from kg.extract.model import NARRATOR
from kg.extract.parse import french_conditional, governing_verbs, negated, token_at

_ORDER = {"certain": 0, "probable": 1, "possible": 2, "unknown": 3}
Trigger = tuple[int, int, str]


def cues(ctx: ArticleState, begin: int, end: int, index: int | None = None) -> list[tuple[str, lex.Cue]]:
    """The hedge cues of a clause as written, in text order."""
    text = ctx.text[begin:end]
    found: list[tuple[int, int, str, lex.Cue]] = []
    for cue in lex.HEDGES[ctx.lang]:
        for match in ctx.rx(cue.pattern).finditer(text):
            if not any(match.start() < fe and fb < match.end() for fb, fe, _t, _c in found):
                found.append((match.start(), match.end(), match.group(0), cue))
    if index is not None and ctx.lang == "fr":
        found += _conditional_cues(ctx, index, begin, end, found)
    return [(t, c) for _b, _e, t, c in sorted(found, key=lambda x: x[0])]


def _conditional_cues(ctx: ArticleState, index: int, begin: int, end: int,
                      found: list[tuple[int, int, str, lex.Cue]]) -> list[tuple[int, int, str, lex.Cue]]:
    """French conditional verbs of the clause: "chercherait", "aurait livré" (reported, not
    confirmed), "pourrait" (possible), "devrait" (probable)."""
    offset, out = ctx.sentences[index].begin, []
    for token in ctx.docs[index]:
        b = offset + token.idx - begin
        e = b + len(token.text)
        if b < 0 or offset + token.idx + len(token.text) > end or not french_conditional(token):
            continue
        if any(b < fe and fb < e for fb, fe, _t, _c in found):
            continue
        lemma = token.lemma_.lower()
        certainty = "probable" if lemma == "devoir" else "possible"
        basis = None if lemma in ("pouvoir", "devoir", "vouloir") else "reported-speech"
        out.append((b, e, token.text, lex.Cue("", certainty, basis, lemma in ("pouvoir", "devoir"))))
    return out


def _trigger_tokens(ctx: ArticleState, index: int | None, triggers: list[Trigger]) -> list[Any]:
    if index is None:
        return []
    offset, doc = ctx.sentences[index].begin, ctx.docs[index]
    tokens = [token_at(doc, tb - offset) for tb, _te, _k in triggers]
    return [t for t in tokens if t is not None]


def trigger_negated(ctx: ArticleState, index: int | None, triggers: list[Trigger]) -> bool:
    """A negation on an event's trigger or on the verb governing it ("did not hold talks",
    "n'a pas livré", "no deal"), never on another verb of the clause."""
    for token in _trigger_tokens(ctx, index, triggers):
        if negated(token, ctx.lang):
            return True
        verbs = [v for v in governing_verbs(token)[:2]
                 if v.lemma_.lower() not in ("confirm", "confirmer")]
        if any(negated(v, ctx.lang) for v in verbs):
            return True
    return False


def _certainty(found: list[tuple[str, lex.Cue]]) -> tuple[str, str | None, str | None, bool]:
    certainty, cue_text, basis, future = "certain", None, None, False
    for written, cue in found:
        if _ORDER[cue.certainty] >= _ORDER[certainty]:
            if _ORDER[cue.certainty] > _ORDER[certainty] or cue_text is None:
                cue_text, basis = written, cue.basis
            certainty = cue.certainty
        future = future or cue.future
    return certainty, cue_text, basis, future


def modality(ctx: ArticleState, begin: int, end: int, found: list[tuple[str, lex.Cue]],
             attribution: Any, sentence_text: str, previous: str,
             index: int | None = None, triggers: list[Trigger] | None = None) -> dict[str, Any]:
    text = ctx.text[begin:end]
    certainty, cue_text, basis, future = _certainty(found)
    speaker = NARRATOR
    negative = trigger_negated(ctx, index, triggers or []) if index is not None else bool(
        ctx.rx(lex.NEGATION[ctx.lang]).search(text))
    if attribution:
        speaker = attribution[0]
        if getattr(attribution, "denial", False):
            negative, cue_text = not negative, attribution.cue
        elif getattr(attribution, "belief", False) and certainty == "certain":
            certainty, cue_text = "probable", attribution.cue
        elif cue_text is None:
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
    if certainty == "unknown":
        negative = False
    if future or ctx.rx(lex.FUTURE[ctx.lang]).search(text):
        temporality = "future"
    elif ctx.rx(lex.PAST[ctx.lang]).search(text):
        temporality = "past"
    else:
        temporality = "present"
    return {"certainty": certainty, "hedge_cue": cue_text, "basis": basis or "direct-report",
            "according_to": speaker, "polarity": "negative" if negative else "positive",
            "temporality": temporality}


def planning(ctx: ArticleState, index: int | None, begin: int, end: int) -> tuple[str, str] | None:
    """("planned" | "cancelled", the words as written) when a verb of the clause plans,
    postpones or calls off what it governs, or puts it in the future tense."""
    match = ctx.rx(lex.CANCELLED_WORDS).search(ctx.text[begin:end])
    if match:
        return "cancelled", match.group(0)
    if index is None:
        return None
    offset = ctx.sentences[index].begin
    tokens = [t for t in ctx.docs[index] if begin <= offset + t.idx < end
              and offset + t.idx + len(t.text) <= end]
    for lemmas, status in ((lex.CANCELLED_LEMMAS, "cancelled"), (lex.PLANNED_LEMMAS, "planned")):
        word = next((t.text for t in tokens if t.lemma_.lower() in lemmas[ctx.lang]
                     and not (t.lemma_.lower() == "devoir" and "Cnd" in t.morph.get("Mood"))), None)
        if word:
            return status, word
    future = next((t.text for t in tokens if t.pos_ in ("VERB", "AUX")
                   and ("Fut" in t.morph.get("Tense") or (ctx.lang == "en" and t.lower_ == "will"))),
                  None)
    return ("planned", future) if future else None


def _planned_or_cancelled(ctx: ArticleState, index: int | None, begin: int, end: int) -> str | None:
    found = planning(ctx, index, begin, end)
    return found[0] if found else None


def event_status(ctx: ArticleState, begin: int, end: int, found: list[tuple[str, lex.Cue]],
                 index: int | None = None, triggers: list[Trigger] | None = None) -> str | None:
    """held, planned (also postponed), cancelled, hypothetical, or None (negated, unknown)."""
    if index is not None and trigger_negated(ctx, index, triggers or []):
        return None
    if index is None and ctx.rx(lex.NEGATION[ctx.lang]).search(ctx.text[begin:end]):
        return None
    hedged = any(c.certainty in ("possible", "probable") for _t, c in found)
    if hedged and any(c.future for _t, c in found):
        return "hypothetical"
    planned = _planned_or_cancelled(ctx, index, begin, end)
    if planned:
        return planned
    if ctx.rx(lex.FUTURE[ctx.lang]).search(ctx.text[begin:end]):
        return "planned"
    if hedged:
        return None
    if ctx.rx(lex.PAST[ctx.lang]).search(ctx.text[begin:end]):
        return "held"
    return None
