"""Mentions: the actors and places of the text, reconciled with what data/ knows."""

from __future__ import annotations

import re
from typing import Any

from kg.extract import lexicon as lex
from kg.extract.context import ArticleState
from kg.extract.model import LANGS, PLACE_PREP, Mention, slug

#: the models' NER labels (French: WikiNER; English: OntoNotes) -> ours
NER_LABELS = {"PER": "PER", "ORG": "ORG", "LOC": "LOC", "PERSON": "PER", "GPE": "LOC",
              "FAC": "LOC"}


#: words the NER takes for names that are not actors or places here ("visite d'État")
JUNK_NAMES = frozenset({
    "état", "etat", "state", "président", "présidente", "president", "gouvernement",
    "government", "ministre", "minister", "premier", "chef", "kremlin's", "m.", "mme",
    "monsieur", "madame", "conseil", "council", "ouest", "west", "est", "east", "nord", "sud",
})
#: honorifics before a name: "M. Erdogan" is "Erdogan"
HONORIFIC = re.compile(r"^(?:M\.|Mme|MM\.|Mr\.?|Mrs\.?|Ms\.?|Dr\.?)\s+")


def find_mentions(ctx: ArticleState) -> list[Mention]:
    """Every actor and place mention, sentence by sentence (the parses of ``ctx.docs``)."""
    found: list[Mention] = []
    place_of = {f: i for i, e in ctx.knowledge.entities.items() if e.type == "Place"
                for lang in LANGS for f in e.forms[lang]}
    for sentence, doc in zip(ctx.sentences, ctx.docs, strict=True):
        for ent in doc.ents:
            mention = _mention(ctx, ent, sentence.begin, place_of)
            if mention:
                found.append(mention)
    return _same_person(sorted(found, key=lambda m: m.begin))


def _mention(ctx: ArticleState, ent: Any, offset: int, place_of: dict[str, str]) -> Mention | None:
    begin, end = offset + ent.start_char, offset + ent.end_char
    ident = ent.ent_id_
    if ident and ident in ctx.knowledge.entities:
        alt = place_of.get(ent.text) or place_of.get(ent.text.replace("’", "'"))
        if alt and alt != ident and PLACE_PREP.search(ctx.text[max(0, begin - 12):begin]):
            ident = alt
        entity = ctx.knowledge.entities[ident]
        return Mention(begin, end, ent.text, ident, ctx.knowledge.kind(entity.type))
    if ent.label_ not in NER_LABELS or _junk(ent):
        return None
    label = NER_LABELS[ent.label_]
    ent = _whole_name(ent)
    if _junk(ent):
        return None
    following = ent.doc[ent.end] if ent.end < len(ent.doc) else None
    if label == "LOC" and following is not None and following.pos_ == "ADJ" \
            and following.is_lower and following.idx == ent.end_char + 1:
        ent = ent.doc[ent.start:ent.end + 1]  # "l'Extrême-Orient russe", not "Extrême-Orient"
        end = offset + ent.end_char
    if label == "PER":
        ent = _without_title(ent)
    text = HONORIFIC.sub("", ent.text)
    return new_entity(ctx, text, label, offset + ent.end_char - len(text))


def _without_title(ent: Any) -> Any:
    """A person's name without the title words before it (kept by the English NER)."""
    start = ent.start
    while start < ent.end - 1 and (ent.doc[start].lower_ in _TITLE_WORDS
                                   or ent.doc[start].pos_ in ("ADJ", "DET")
                                   or ent.doc[start].ent_type_ == "NORP"):
        start += 1
    return ent.doc[start:ent.end] if start > ent.start else ent


_ROLE_TAILS = frozenset({"spokesman", "spokeswoman", "spokesperson", "president", "minister",
                         "secretary", "chancellor", "premier", "ambassador", "envoy", "aide",
                         "leader", "chief", "senator", "director"})


def _whole_name(ent: Any) -> Any:
    """The NER's span grown over the capitalised words it cut off ("Ursula von der" + "Leyen",
    "Stockholm International Peace" + "Research Institute")."""
    doc, end = ent.doc, ent.end
    while end < len(doc) and doc[end].idx == doc[end - 1].idx + len(doc[end - 1].text) + 1 \
            and doc[end].ent_type_ in ("", ent.label_) and doc[end].ent_iob_ != "B" \
            and (doc[end].pos_ == "PROPN" or doc[end].is_title) and not doc[end].is_sent_start \
            and doc[end].lower_ not in _ROLE_TAILS:
        end += 1
    while end - 1 > ent.start and doc[end - 1].lower_ in _ROLE_TAILS:
        end -= 1  # "European Commission President" is the Commission
    if end - 1 > ent.start and doc[end - 1].lower_ in ("presidential", "foreign"):
        end -= 1
    return doc[ent.start:end] if end != ent.end else ent


def _junk(ent: Any) -> bool:
    """Not a name: a common noun ("État"), a verb, a lone lower-case word, a pronoun."""
    words = [t for t in ent if not t.is_punct]
    if not words or ent.text.lower().strip(" ’'") in JUNK_NAMES:
        return True

    if not any(t.pos_ == "PROPN" or t.is_upper for t in words):
        return True
    return words[0].pos_ in ("VERB", "AUX", "PRON", "ADP")


def _same_person(mentions: list[Mention]) -> list[Mention]:
    """A new person named by surname only after the full name ("Erdogan" after "Recep Tayyip
    Erdogan") is the same person."""
    full: dict[str, str] = {}
    out = []
    for mention in mentions:
        words = mention.text.split()
        if mention.kind == "person" and len(words) == 1 and words[0] in full:
            mention = Mention(mention.begin, mention.end, mention.text, full[words[0]], "person")
        elif mention.kind == "person" and len(words) > 1:
            full.setdefault(words[-1], mention.id)
        out.append(mention)
    return out


def title_before(ctx: ArticleState, begin: int) -> str | None:
    window = ctx.text[max(0, begin - 40):begin]
    for type_name, pattern in lex.PERSON_TITLES[ctx.lang]:
        if re.search(rf"(?:{pattern})\s*(?:[\w’'-]+,?\s+){{0,5}}$", window, re.I):
            return type_name
    return None


#: a determiner before a name ("the EU Council", "la France"), but not "Le" of "Le Drian"
_DETERMINER = re.compile(r"^(?:[Tt]he\s+|le\s+|la\s+|les\s+|l’|l')")
#: words of a title the English NER keeps in a person's name ("Russian Presidential
#: Spokesman Dmitry Peskov")
_TITLE_WORDS = frozenset({"president", "presidential", "minister", "ministry", "spokesman",
                          "spokeswoman", "spokesperson", "secretary", "chancellor", "prime",
                          "premier", "foreign", "defence", "defense", "deputy", "vice", "state",
                          "general", "chief", "senator", "ambassador", "envoy", "aide", "leader",
                          "of", "us", "u.s."})


def new_entity(ctx: ArticleState, text: str, label: str, begin: int) -> Mention | None:
    stripped = _DETERMINER.sub("", text.strip(" ’'\"“”"))
    begin += len(text) - len(stripped) if text.endswith(stripped) else 0
    text = stripped
    if len(text) < 3 or not text[:1].isupper():
        return None
    if label == "PER":
        type_name = title_before(ctx, begin) or "Person"
    elif label == "ORG":
        low = text.lower()
        type_name = ("StateMedia" if re.search(r"agence|agency|news|médias|media", low)
                     else "GovernmentBody" if re.search(
                         r"minist|service|gouvernement|government|council|conseil|office", low)
                     else "Organization")
    else:
        type_name = "Place"
    ident = slug(text)
    if ident in ctx.knowledge.entities:  # same name, known under this id
        entity = ctx.knowledge.entities[ident]
        return Mention(begin, begin + len(text), text, ident, ctx.knowledge.kind(entity.type))
    if ident not in ctx.defined_entities:
        if ident in ctx.used_ids:
            return None
        ctx.defined_entities.add(ident)
        ctx.used_ids.add(ident)
        entry: dict[str, Any] = {"id": ident, "type": type_name,
                                 "label": {"fr": text, "en": text},
                                 "_review": "new actor found by NER: check type and labels"}
        if type_name == "GovernmentBody" and re.search(r"intelligence|renseignement", text, re.I):
            entry["sourceType"] = "foreign-government"
            ctx.source_types[ident] = "foreign-government"
        ctx.draft.entities.append(entry)
    return Mention(begin, begin + len(text), text, ident, ctx.knowledge.kind(type_name))


def speaker_entity(ctx: ArticleState, words: str, begin: int) -> str | None:
    """A source named by a noun phrase the gazetteer does not know ("les services de
    renseignement sud-coréens"): a new government body or organisation of the draft."""
    phrase = re.sub(r"^(?:the|les|le|la|l’|l')\s*", "", words.strip(), flags=re.I)
    if not phrase or len(phrase.split()) > 8 or not re.search(lex.SOURCE_NOUNS, phrase, re.I):
        return None
    states = ctx.demonym_states(phrase)
    if states and re.match(r"(?:responsables|officials|diplomates|diplomats|dirigeants|leaders|"
                           r"autorités|authorities|officiels)\b", phrase, re.I):
        return states[0]  # "Russian officials", "les responsables iraniens": the state
    ident = slug(phrase)[:60].strip("-")
    if ident in ctx.knowledge.entities:  # an earlier draft of the batch defined it
        return ident
    if ident not in ctx.defined_entities:
        if ident in ctx.used_ids:
            return None
        ctx.defined_entities.add(ident)
        ctx.used_ids.add(ident)
        entry: dict[str, Any] = {"id": ident, "type": "GovernmentBody",
                                 "label": {"fr": phrase, "en": phrase},
                                 "_review": "source named by the text: check type and labels"}
        if states:
            entry["represents"] = states[0]
        if re.search(r"renseignement|intelligence", phrase, re.I):
            entry["sourceType"] = "foreign-government"
            ctx.source_types[ident] = "foreign-government"
        ctx.draft.entities.append(entry)
        if states:
            ctx.state_of[ident] = states[0]
    return ident


def use_entity(ctx: ArticleState, ident: str) -> None:
    """A gazetteer entity that data/ does not define yet: the draft defines it."""
    entity = ctx.knowledge.entities.get(ident)
    if entity is None or entity.defined or ident in ctx.defined_entities:
        return
    ctx.defined_entities.add(ident)
    definition = dict(entity.definition)
    for key in ("represents", "controlledBy", "spokespersonFor", "locatedIn"):
        target = definition.get(key)
        if isinstance(target, str) and target in ctx.knowledge.entities:
            use_entity(ctx, target)  # the state it stands for must be defined too
        elif target is not None:
            del definition[key]
    ctx.draft.entities.append({**definition, "_review": "defined from the gazetteer: check it"})
