"""Attribution: who says what, distinct from the publisher.

From the parse first: a speech or cognition verb with its subject, wherever it stands ("X said
that…", "…, the Russian president said on Friday", "…, a affirmé X", "« … », a-t-il déclaré");
a pronoun ("he", "il") or a title ("le président turc") stands for the last named speaker or the
title's holder, a capital or a government for its state. Then the lexical patterns ("selon X",
"d'après X", "according to X"). A denial verb (deny, dismiss, reject; nier, démentir, rejeter)
makes what it governs a negative claim credited to the denier.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from kg.extract import lexicon as lex
from kg.extract.context import ArticleState
from kg.extract.mentions import speaker_entity, use_entity
from kg.extract.parse import char_span, contiguous_run, negated, subject_of
from kg.extract.world import title_holder

FIRST_PERSON = frozenset({"i", "we", "je", "nous", "on", "you", "vous", "it's"})
#: dependents of a speech verb that belong to the attribution words, not to what is said
_ATTRIBUTION_DEPS = frozenset({"aux", "aux:tense", "aux:pass", "auxpass", "neg", "advmod",
                               "expl:subj", "npadvmod", "obl:mod", "obl:tmod", "obl", "prep",
                               "dobj", "obj", "iobj", "dative", "nmod", "punct:none"})


class Attribution(NamedTuple):
    """Who says it (an id), the cue as written, the attribution words' span, and whether the
    verb denies or only believes what it governs."""

    speaker: str
    cue: str
    begin: int
    end: int
    denial: bool = False
    belief: bool = False


def find_attribution(ctx: ArticleState, index: int) -> Attribution | None:
    sentence = ctx.sentences[index]
    return parse_attribution(ctx, index) or pattern_attribution(ctx, sentence.begin, sentence.end)


def _inside_quotes(doc: Any, token: Any) -> bool:
    before = doc.text[:token.idx]
    opened = before.count("«") + before.count("“") - before.count("»") - before.count("”")
    return opened > 0 or before.count('"') % 2 == 1


def _speech_verbs(ctx: ArticleState, doc: Any) -> list[Any]:
    lemmas = lex.SPEECH_LEMMAS[ctx.lang]
    verbs = [t for t in doc if t.pos_ == "VERB" and t.lemma_.lower() in lemmas
             and not _inside_quotes(doc, t)]
    return sorted(verbs, key=lambda t: (t.dep_ not in ("ROOT", "parataxis"), t.i))


def parse_attribution(ctx: ArticleState, index: int) -> Attribution | None:
    doc, offset = ctx.docs[index], ctx.sentences[index].begin
    for verb in _speech_verbs(ctx, doc):
        subject = subject_of(verb) or _fallback_subject(verb)
        if subject is None or subject.lower_ in FIRST_PERSON:
            continue
        speaker = resolve_speaker(ctx, index, subject)
        if speaker is None:
            continue
        words = set(subject.subtree) | {verb}
        if negated(verb, ctx.lang):
            continue  # "has not confirmed": the lexical patterns say unknown
        tells = verb.lemma_.lower() in ("tell", "inform", "brief", "confier")
        for child in verb.children:
            if child.dep_ in ("dobj", "obj") and not tells:
                continue
            if child.dep_ in _ATTRIBUTION_DEPS and not any(
                    t.pos_ in ("VERB", "AUX") for t in child.subtree):
                words |= set(child.subtree)
            elif child.dep_ in ("aux", "aux:tense", "aux:pass", "auxpass", "neg", "expl:subj"):
                words.add(child)
        begin, end = char_span(contiguous_run(words, verb), offset)
        if not (begin <= offset + subject.idx < end):
            begin, end = char_span(contiguous_run(set(subject.subtree) | {verb}, verb), offset)
        auxiliaries = [c for c in verb.children if c.dep_ in ("aux", "aux:tense") and c.i < verb.i]
        cue = " ".join(t.text for t in (*auxiliaries, verb)) if auxiliaries and \
            auxiliaries[-1].i == verb.i - 1 else verb.text
        lemma = verb.lemma_.lower()
        return Attribution(speaker, cue, begin, end, lemma in lex.DENIAL_LEMMAS[ctx.lang],
                           lemma in lex.BELIEF_LEMMAS[ctx.lang])
    return None


def _fallback_subject(verb: Any) -> Any | None:
    """Where the parser missed the subject: the noun after an inverted speech verb ("…,
    poursuit le communiqué") or the name just before the verb ("De son côté la Syrie nie…")."""
    doc = verb.doc
    inverted = any(c.i < verb.i and c.dep_ in ("advcl", "ccomp", "parataxis") for c in verb.children) \
        or (verb.i > 0 and doc[verb.i - 1].is_punct) or any(
            c.dep_.startswith("aux") and c.i < verb.i and c.i > 0 and doc[c.i - 1].is_punct
            for c in verb.children)
    if inverted:
        return next((c for c in verb.children if c.i > verb.i and c.pos_ in ("NOUN", "PROPN")
                     and c.dep_ in ("obj", "dobj", "nmod", "obl:mod")), None)
    before = verb.i - 1
    while before >= 0 and (doc[before].dep_.startswith("aux") or doc[before].pos_ in ("ADV", "PART")):
        before -= 1
    if before >= 0 and doc[before].pos_ == "PROPN":
        return doc[before]
    return None


#: nouns standing for the last source ("poursuit le communiqué", "the statement added")
_SOURCE_BACKREFS = frozenset({"communiqué", "statement", "texte", "text", "report", "rapport",
                              "document", "note", "département", "department", "release"})


#: a bare "the agency", "le ministère": the source named before
_BARE_SOURCES = frozenset({"agency", "agence", "ministry", "ministère", "service", "government",
                           "gouvernement", "newspaper", "journal", "broadcaster"})


def _kind(ctx: ArticleState, ident: str) -> str:
    entity = ctx.knowledge.entities.get(ident)
    if entity is not None:
        return ctx.knowledge.kind(entity.type)
    local = next((e for e in ctx.draft.entities if e["id"] == ident), None)
    return ctx.knowledge.kind(str(local["type"])) if local else "actor"


def _last_speaker(ctx: ArticleState, kinds: set[str]) -> str | None:
    for ident in reversed(ctx.speakers):
        if _kind(ctx, ident) in kinds:
            return ident
    recent = ctx.recent_of(kinds, 1)
    return recent[0] if recent else None


def resolve_speaker(ctx: ArticleState, index: int, subject: Any) -> str | None:
    """The actor a subject noun phrase stands for, or None if it names no source."""
    begin, end = char_span(subject.subtree, ctx.sentences[index].begin)
    mentions = [m for m in ctx.in_span(begin, end)]
    for kinds in ({"person"}, {"org", "media", "group"}, {"state", "place", "actor"}):
        chosen = [m for m in mentions if m.kind in kinds]
        if chosen:
            ident = chosen[0].id if kinds == {"person"} else chosen[-1].id
            return (ctx.state(ident) or ident) if chosen[0].kind == "place" else ident
    lower = subject.lower_
    bare = [t for t in subject.subtree if t.pos_ not in ("DET", "PUNCT")] == [subject]
    if subject.lemma_.lower() in _SOURCE_BACKREFS or lower in _SOURCE_BACKREFS or (
            bare and lower in _BARE_SOURCES and ctx.speakers):
        return _last_speaker(ctx, {"org", "media", "state", "person", "group", "actor"})
    if lower in lex.PRONOUNS[ctx.lang]:
        return _last_speaker(ctx, {"person"}) or _last_speaker(ctx, {"org", "media", "state"})
    if lower in ("it", "elle", "-elle") and ctx.speakers:
        return _last_speaker(ctx, {"org", "media", "state"})
    words = " ".join(ctx.text[begin:end].split())
    return _titled_speaker(ctx, words) or speaker_entity(ctx, words, begin)


def _titled_speaker(ctx: ArticleState, words: str) -> str | None:
    """ "le président turc", "the Russian president", "the ministry": the holder of the title,
    else the last speaker or person of the same kind and state."""
    lower = re.sub(r"^(?:the|le|la|les|l’|l')\s*", "", words.lower())
    holder = title_holder(ctx.knowledge.world, ctx.lang, lower)
    if holder is None:
        holder = next((i for i, e in ctx.knowledge.entities.items()
                       if ctx.knowledge.kind(e.type) == "person"
                       and any(f.lower() == lower for f in e.forms.get(ctx.lang, ()))), None)
    if holder is not None:
        use_entity(ctx, holder)
        return holder
    if not any(re.search(rf"\b{re.escape(w)}\b", lower) for w in lex.ROLE_WORDS[ctx.lang]):
        return None
    states = ctx.demonym_states(words)
    for ident in [*reversed(ctx.speakers), *reversed([m.id for m in ctx.recent])]:
        if _kind(ctx, ident) == "person" and (not states or ctx.state(ident) in states):
            return ident
    return None


def pattern_attribution(ctx: ArticleState, begin: int, end: int) -> Attribution | None:
    """The lexical patterns of :data:`kg.extract.lexicon.ATTRIBUTION` ("selon X", "according
    to X", "X said") in a span."""
    text = ctx.text[begin:end]
    for pattern in lex.ATTRIBUTION[ctx.lang]:
        match = ctx.rx(pattern).search(text)
        if not match:
            continue
        wb, we = begin + match.start("who"), begin + match.end("who")
        speaker = _pattern_speaker(ctx, match.group("who"), wb, we)
        if speaker is None:
            continue
        cue_match = ctx.rx(lex.REPORTING_CUE[ctx.lang]).search(text, match.start())
        cue = cue_match.group(0).strip() if cue_match else match.group(0).strip()
        return Attribution(speaker, cue, begin + match.start(), begin + match.end())
    return None


def _pattern_speaker(ctx: ArticleState, who: str, wb: int, we: int) -> str | None:
    speakers = [m for m in ctx.in_span(wb, we) if m.kind != "place"]
    voices = [m for m in speakers if m.kind in ("org", "media", "person", "group")]
    if voices:
        return voices[-1].id
    if speakers:
        return speakers[0].id
    if re.search(r"^(?:the|l[ea]s?)\s+(?:agency|agence|ministry|ministère|service)$",
                 who.strip(), re.I) and ctx.speakers:
        return ctx.speakers[-1]
    return _titled_speaker(ctx, who) or speaker_entity(ctx, who, wb)
