"""The reading loop: each sentence cut into clauses, each clause a claim about its things."""

from __future__ import annotations

import re
from typing import Any

from kg.errors import InputError
from kg.extract.attribution import Attribution, find_attribution
from kg.extract.context import ArticleState
from kg.extract.events import things_for, triggers
from kg.extract.knowledge import Knowledge
from kg.extract.mentions import find_mentions, use_entity
from kg.extract.modality import cues, modality, planning
from kg.extract.model import LANGS, NARRATOR, Draft, DraftClaim, Mention, slug
from kg.extract.nlp import pipeline
from kg.extract.parse import parse_sentences
from kg.extract.things import add_thing
from kg.text import Span, find_quote


def run(ctx: ArticleState) -> Draft:
    if not ctx.docs:
        ctx.docs = parse_sentences(ctx.nlp, ctx.text, ctx.sentences)
    ctx.draft.mentions = find_mentions(ctx)
    for mention in ctx.draft.mentions:  # the gazetteer actors and places the text names
        use_entity(ctx, mention.id)
    for index, sentence in enumerate(ctx.sentences):
        read_sentence(ctx, index, sentence)
    return ctx.draft


def clause_spans(ctx: ArticleState, sentence: Span) -> list[tuple[int, int]]:
    text = ctx.text[sentence.begin:sentence.end]
    cuts = [0]
    for match in re.finditer(r",\s+|;\s+|\s+(?=(?:mais|car|but|while|tandis que)\b)", text):
        cuts += [match.start(), match.end()]
    cuts.append(len(text))
    out = []
    for b, e in zip(cuts[::2], cuts[1::2], strict=False):
        while e > b and text[e - 1] in ".!?…;: ":
            e -= 1
        if e > b:
            out.append((sentence.begin + b, sentence.begin + e))
    return out


def read_sentence(ctx: ArticleState, index: int, sentence: Span) -> None:
    text = ctx.text[sentence.begin:sentence.end]
    previous = (ctx.text[ctx.sentences[index - 1].begin:ctx.sentences[index - 1].end]
                if index else "")
    attribution = find_attribution(ctx, index) or _quote_continued(ctx, index, text)
    if attribution and attribution.end > attribution.begin:
        ctx.attributed.add(index)
    merged = _clauses(ctx, index, sentence, attribution)
    content = [m for m in merged if not m["attr"]] or merged
    for item in merged:
        if item["attr"] and item not in content:  # attach the attribution to its content
            target = min(content, key=lambda c: abs(c["span"][0] - item["span"][0]))
            target["span"] = (min(target["span"][0], item["span"][0]),
                              max(target["span"][1], item["span"][1]))
            target["cues"] = target["cues"] + item["cues"]
    statement = _statement(ctx, index, attribution) if attribution and \
        attribution.end > attribution.begin else None
    sentence_mentions = ctx.in_span(sentence.begin, sentence.end)
    for item in content:
        b, e = item["span"]
        about = things_for(ctx, index, b, e, item["triggers"], item["cues"], text, attribution)
        values = _with_planning(ctx, index, b, e, modality(
            ctx, b, e, item["cues"], attribution, text, previous, index, item["triggers"]))
        claim_for(ctx, index, b, e, about or ([statement] if statement else []), values)
    ctx.recent += sentence_mentions + [Mention(sentence.end, sentence.end, "", state, "state")
                                       for state in ctx.demonym_states(text)]


def _quote_continued(ctx: ArticleState, index: int, text: str) -> Attribution | None:
    """A quotation that goes on in the next sentence ("« … », a-t-il dit. « … »") is still the
    last speaker's: a sentence opening with a quotation mark right after an attributed one."""
    if index - 1 not in ctx.attributed or not ctx.speakers or text[:1] not in "«“\"":
        return None
    begin = ctx.sentences[index].begin
    return Attribution(ctx.speakers[-1], "", begin, begin)


def _with_planning(ctx: ArticleState, index: int, begin: int, end: int,
                   values: dict[str, Any]) -> dict[str, Any]:
    """A planned event is not yet a fact: future, with the planning words ("doit", "will",
    "is scheduled to") as its cue, so the claim never reads as a fact that it happened; a
    cancelled one is said not to happen (negative)."""
    found = planning(ctx, index, begin, end)
    if found is None or values["certainty"] == "unknown":
        return values
    status, words = found
    out = dict(values)
    if status == "cancelled":
        out["polarity"] = "negative"
    else:
        out["temporality"] = "future"
    if out["hedge_cue"] is None:
        out["hedge_cue"] = words
    return out


def _clauses(ctx: ArticleState, index: int, sentence: Span,
             attribution: Attribution | None) -> list[dict[str, Any]]:
    """The sentence's clauses with their triggers and cues; clauses with nothing of their own
    merged into a neighbour; the attribution words marked."""
    info = []
    for b, e in clause_spans(ctx, sentence):
        seg_text = ctx.text[b:e]
        is_attr = bool(ctx.rx(r"^(?:selon|d[’']après|according to)\b").search(seg_text)
                       or ctx.rx(r"\b(?:said|says|reported)$").search(seg_text)
                       or (attribution and attribution.begin <= b and e <= attribution.end))
        info.append({"span": (b, e), "triggers": triggers(ctx, b, e),
                     "cues": cues(ctx, b, e, index), "attr": is_attr})
    if any(k == "EXCHANGE" for item in info for _b, _e, k in item["triggers"]):
        info = [{"span": (info[0]["span"][0], info[-1]["span"][1]),
                 "triggers": sorted(t for item in info for t in item["triggers"]),
                 "cues": [c for item in info for c in item["cues"]], "attr": False}]
    merged: list[dict[str, Any]] = []
    pending: tuple[int, int] | None = None
    for item in info:
        if pending:
            item["span"] = (pending[0], item["span"][1])
            pending = None
        empty = not item["triggers"] and not item["cues"] and not item["attr"]
        if empty and merged and not merged[-1]["attr"]:
            merged[-1]["span"] = (merged[-1]["span"][0], item["span"][1])
        elif empty and item is not info[-1]:
            pending = item["span"]
        else:
            merged.append(item)
    if pending and merged:
        merged[-1]["span"] = (merged[-1]["span"][0], pending[1])
    return merged or [{"span": (sentence.begin, sentence.end), "triggers": [], "cues": [],
                       "attr": False}]


def _statement(ctx: ArticleState, index: int, attribution: Attribution) -> str:
    """The act of saying: a PublicStatement by the speaker, told by the narrator."""
    speaker, ab, ae = attribution.speaker, attribution.begin, attribution.end
    ctx.speakers.append(speaker)
    statement = add_thing(ctx, "PublicStatement", {"initiator": [speaker], "eventType": ["010"],
                                                   "eventStatus": ["held"]}, [speaker])
    quote_end = ae
    words = ctx.text[ab:ae]
    if ctx.rx(r"^(?:selon|d[’']après|according to)\b").search(words):
        quote_end = ab + len(words.rstrip())
    add_claim(ctx, index, ab, quote_end, [statement.id], temporality="past", confidence=0.8)
    return statement.id


def add_claim(ctx: ArticleState, index: int, begin: int, end: int, about: list[str], **values: Any) -> None:
    quote = ctx.text[begin:end].strip(" ,;")
    try:
        span = find_quote(ctx.text, quote)
    except ValueError:
        sentence = ctx.sentences[index]
        quote = ctx.text[sentence.begin:sentence.end]
        span = Span(sentence.begin, sentence.end)
        if any(c.quote == quote for c in ctx.draft.claims):
            for claim in ctx.draft.claims:
                if claim.quote == quote:
                    claim.about = list(dict.fromkeys(claim.about + about))
            return
    for claim in ctx.draft.claims:
        if claim.quote == quote:
            claim.about = list(dict.fromkeys(claim.about + about))
            return
    base = slug(" ".join(quote.split()[:5]))
    ident, n = base, 1
    while ident in ctx.claim_ids:
        n += 1
        ident = f"{base}-{n}"
    ctx.claim_ids.add(ident)
    if values.get("according_to") not in (None, NARRATOR):
        use_entity(ctx, values["according_to"])
    ctx.draft.claims.append(DraftClaim(ident, quote, index, about, span=span, **values))


def claim_for(ctx: ArticleState, index: int, begin: int, end: int, about: list[str],
              values: dict[str, Any]) -> None:
    """A claim about the clause's things; with none, about a placeholder event for the
    reviewer, whose claim never looks like a fact (certainty unknown until reviewed)."""
    if not about:
        placeholder = add_thing(ctx, "Event", {}, [], extra=f"phrase {index}")
        about = [placeholder.id]
        values = {**values, "certainty": "unknown", "polarity": "positive", "confidence": 0.2}
    add_claim(ctx, index, begin, end, about, **{"confidence": 0.6, **values})


def extract_draft(text: str, lang: str, article_id: str, knowledge: Knowledge,
                  docs: list[Any] | None = None) -> Draft:
    """Extract a draft annotation of ``text`` (pure: no file access beyond the cached model).
    ``docs``: the sentences already parsed (a batch parses all its articles in one go)."""
    if lang not in LANGS:
        raise InputError(f"unsupported language {lang!r} (fr or en)")
    ctx = ArticleState(text, lang, article_id, knowledge, pipeline(lang, knowledge))
    if docs is not None:
        ctx.docs = docs
    return run(ctx)
