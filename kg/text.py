"""Sentences and quotes: character spans derived from the text, never typed by hand."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A sentence ends at . ! ? or … followed by whitespace, or at a line break.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”»’)]*\s+|\n+")

# "M. Poutine", "Mme Choe", "J. Biden", "5 p.m.": a full stop after these does not end a sentence.
_ABBREVIATION = re.compile(
    r"(?:\b(?:M|Mme|Mmes|MM|Mgr|Dr|Pr|St|Mr|Mrs|Ms|Gen|Gén|Lt|Col)|\b[A-Z]|\b[ap]\.m)\.$")

_LOOKALIKES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "«": '"', "»": '"',
                             "\u00a0": " ", "\u202f": " "})


@dataclass(frozen=True)
class Span:
    """A half-open character range ``[begin, end)`` of a text (Python ``str`` indices)."""

    begin: int
    end: int


def split_sentences(text: str) -> list[Span]:
    """Deterministic sentence spans, trimmed of surrounding whitespace."""
    spans: list[Span] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if "\n" not in match.group(0) and _ABBREVIATION.search(text, 0, match.start()):
            continue
        _append_trimmed(text, start, match.start(), spans)
        start = match.end()
    _append_trimmed(text, start, len(text), spans)
    return spans


def _append_trimmed(text: str, begin: int, end: int, spans: list[Span]) -> None:
    while begin < end and text[begin].isspace():
        begin += 1
    while end > begin and text[end - 1].isspace():
        end -= 1
    if end > begin:
        spans.append(Span(begin, end))


class QuoteNotFound(ValueError):
    """The quote is not in the text, or not exactly once."""


def find_quote(text: str, quote: str) -> Span:
    """The unique span of ``quote`` in ``text``; explains near-misses in the error."""
    if not quote.strip():
        raise QuoteNotFound("quote is empty")
    count = text.count(quote)
    if count == 1:
        begin = text.index(quote)
        return Span(begin, begin + len(quote))
    if count > 1:
        raise QuoteNotFound(f"quote occurs {count} times in the text; quote more words to make "
                            "it unique")
    folded_text, folded_quote = text.translate(_LOOKALIKES), quote.translate(_LOOKALIKES)
    if folded_quote in folded_text:
        begin = folded_text.index(folded_quote)
        actual = text[begin:begin + len(quote)]
        raise QuoteNotFound(f"quote differs from the text in apostrophes, quotation marks or "
                            f"spaces; the text has {actual!r}")
    raise QuoteNotFound("quote not found in the article text")


def sentence_of(sentences: list[Span], span: Span) -> int:
    """Index of the sentence containing ``span``; a quote may not straddle sentences."""
    for index, sentence in enumerate(sentences):
        if sentence.begin <= span.begin and span.end <= sentence.end:
            return index
    raise QuoteNotFound("quote straddles two sentences; split it into one claim per sentence")
