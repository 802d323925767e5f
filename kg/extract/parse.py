"""Reading the dependency parse: sentences parsed once, tokens by character, subjects,
objects, negation, conditional mood and the reach of a verb over the words it governs.

Each sentence is parsed on its own (``nlp.pipe`` over the sentence texts), cut to
``MAX_SENTENCE_CHARS``: a one-line article of a megabyte is a long list of sentences, never
one huge document.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from kg.extract import lexicon as lex
from kg.text import Span

#: longer sentences are parsed on their first characters only (the rest gets no mention)
MAX_SENTENCE_CHARS = 2000

SUBJECT_DEPS = frozenset({"nsubj", "nsubj:pass", "expl:subj", "csubj"})
PASSIVE_SUBJECT_DEPS = frozenset({"nsubjpass", "nsubj:pass"})
OBJECT_DEPS = frozenset({"obj", "dobj", "iobj", "dative", "obl", "obl:arg", "obl:mod", "pobj",
                         "nmod", "prep", "attr", "oprd", "obl:agent", "agent"})
CLAUSE_DEPS = frozenset({"ccomp", "xcomp", "parataxis", "advcl", "conj", "csubj", "acl",
                         "acl:relcl", "relcl"})


def parse_sentences(nlp: Any, text: str, sentences: Sequence[Span]) -> list[Any]:
    """One spaCy Doc per sentence (its first ``MAX_SENTENCE_CHARS`` characters)."""
    texts = [text[s.begin:min(s.end, s.begin + MAX_SENTENCE_CHARS)] for s in sentences]
    return list(nlp.pipe(texts, batch_size=64))


def parse_batch(nlp: Any, texts: Sequence[str]) -> list[list[Any]]:
    """The sentence parses of many articles in one ``nlp.pipe`` run: one list of Docs per
    article. (Two processes were slower on the shared 2-core machine: the copy of the model
    and the Docs sent back cost more than the parse they share.)"""
    from kg.text import split_sentences

    spans = [split_sentences(text) for text in texts]
    flat = [text[s.begin:min(s.end, s.begin + MAX_SENTENCE_CHARS)]
            for text, sentences in zip(texts, spans, strict=True) for s in sentences]
    docs = iter(nlp.pipe(flat, batch_size=128))
    return [[next(docs) for _s in sentences] for sentences in spans]


def char_span(tokens: Iterable[Any], offset: int) -> tuple[int, int]:
    """The character range covering ``tokens`` (a token list or a subtree), shifted by ``offset``."""
    items = list(tokens)
    return (offset + min(t.idx for t in items),
            offset + max(t.idx + len(t.text) for t in items))


def token_at(doc: Any, char: int) -> Any | None:
    """The token starting at or containing the sentence-relative character ``char``."""
    for token in doc:
        if token.idx <= char < token.idx + max(1, len(token.text)):
            return token
    return None


def subject_of(verb: Any) -> Any | None:
    """The verb's subject; an xcomp/conj without one shares its head's."""
    for child in verb.children:
        if child.dep_ in SUBJECT_DEPS and child.dep_ != "csubj":
            return child
    if verb.dep_ in ("xcomp", "conj") and verb.head is not verb:
        return subject_of(verb.head)
    return None


def is_passive(verb: Any) -> bool:
    return any(c.dep_ in PASSIVE_SUBJECT_DEPS or c.dep_ == "aux:pass" or c.dep_ == "auxpass"
               for c in verb.children)


def negated(token: Any, lang: str) -> bool:
    """A negation attached to the token ("did not meet", "n'a pas livré", "aucun accord",
    "no deal")."""
    words = lex.NEGATION_WORDS[lang]
    return any((c.dep_ == "neg" or c.dep_ in ("advmod", "det", "advmod:neg")) and c.lower_ in words
               for c in token.children)


def governing_verbs(token: Any) -> list[Any]:
    """The verbs above ``token`` up to the root, nearest first (itself if it is a verb)."""
    out, current, seen = [], token, 0
    while seen < 12:
        if current.pos_ in ("VERB", "AUX") or current.dep_ == "ROOT":
            out.append(current)
        if current.head is current:
            break
        current, seen = current.head, seen + 1
    return out


def french_conditional(token: Any) -> bool:
    """Mood=Cnd, or a form the small models miss: the future stem + -ait ("chercherait",
    "pourraient"), never the imperfect ("déclarait")."""
    if "Cnd" in token.morph.get("Mood"):
        return True
    form, lemma = token.lower_, token.lemma_.lower()
    if token.pos_ not in ("VERB", "AUX") or not form.endswith(lex.FRENCH_CONDITIONAL_ENDINGS):
        return False
    stems = [lemma, lemma[:-1]] if lemma.endswith("re") else [lemma]
    if lemma in lex.FRENCH_CONDITIONAL_STEMS:
        stems.append(lex.FRENCH_CONDITIONAL_STEMS[lemma])
    return any(form.startswith(stem) and form[len(stem):] in ("ait", "aient", "ais", "ions", "iez",
                                                              "rait", "raient", "rais")
               for stem in stems)


def contiguous_run(tokens: set[Any], anchor: Any) -> list[Any]:
    """The tokens of ``tokens`` around ``anchor`` without a gap (punctuation ends a run)."""
    doc = anchor.doc
    index = {t.i for t in tokens}
    left = right = anchor.i
    while left - 1 in index and not doc[left - 1].is_punct:
        left -= 1
    while right + 1 in index and not doc[right + 1].is_punct:
        right += 1
    return [doc[i] for i in range(left, right + 1)]
