"""One article's extraction state, shared by the stages: text, sentences, ids, recent mentions."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

from kg.extract.knowledge import Knowledge
from kg.extract.model import LANGS, TYPE_WORDS, Draft, DraftThing, Mention, slug
from kg.text import split_sentences


class ArticleState:
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
        self.attributed: set[int] = set()
        self._demonyms: tuple[Any, dict[str, str]] | None = None  # sentences with an attribution of their own
        self.source_types: dict[str, str] = dict(knowledge.source_types)
        self.state_of: dict[str, str] = dict(knowledge.state_of)
        # the article's tag ends every new thing id: unique per article, so two drafts side
        # by side never mint the same id (``kg build`` refuses a redefined one)
        self.tag = slug(article_id)[-10:].strip("-")
        self.sentences = split_sentences(text)
        self.docs: list[Any] = []  # one parse per sentence (kg.extract.parse)
        self._re = functools.cache(lambda p: re.compile(p, re.I))

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
        """The states whose demonyms the text uses ("l'aide russe"), in text order."""
        if self._demonyms is None:
            owner = {form.lower(): ident for ident, entity in self.knowledge.entities.items()
                     for form in entity.demonyms.get(self.lang, ())}
            alternatives = "|".join(re.escape(f) for f in sorted(owner, key=len, reverse=True))
            self._demonyms = (re.compile(rf"\b(?:{alternatives})\b", re.I) if owner else None,
                              owner)
        pattern, owner = self._demonyms
        if pattern is None:
            return []
        return list(dict.fromkeys(owner[m.group(0).lower()] for m in pattern.finditer(text)))

    def label(self, type_name: str, actors: Sequence[str], extra: str = "") -> dict[str, str]:
        local = {str(e["id"]): e["label"] for e in self.draft.entities}
        names = {lang: " – ".join(self.knowledge.entities[a].labels.get(lang, a)
                                  if a in self.knowledge.entities
                                  else local.get(a, {}).get(lang, a) for a in actors)
                 for lang in LANGS}
        words = TYPE_WORDS.get(type_name, (type_name, type_name))
        return {lang: (f"{words[i]}: {names[lang]}" if names[lang] else words[i])
                + (f" ({extra})" if extra else "") for i, lang in enumerate(LANGS)}

    def in_span(self, begin: int, end: int) -> list[Mention]:
        return [m for m in self.draft.mentions if begin <= m.begin and m.end <= end]

    def last_thing(self, types: set[str]) -> DraftThing | None:
        for thing in reversed(self.draft.things):
            if thing.type in types:
                return thing
        return None

