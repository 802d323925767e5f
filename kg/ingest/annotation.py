"""The one writer of ``annotation.yaml``: deterministic text, written atomically.

:func:`render_annotation` turns an annotation (plain ``dict``/``list``/``str``, as the strict
loader :mod:`kg.yamlsafe` gives them back) into YAML in the house style of the hand-written
files: top-level keys in the order ``article, provenance, entities, things, claims``; in each
entry ``id``, ``type``, ``label`` first; short lists and maps of text in flow style
(``participant: [kim-jong-un, vladimir-putin]``, ``label: {fr: ..., en: ...}``); a value is
left plain where YAML reads it back as that very string, else double-quoted (``"042"``,
``"yes"``, ``"a: b"``), with escapes for line breaks and anything else YAML would fold or
refuse. PyYAML's emitter does the quoting, so any string the loader accepts round-trips.

:func:`write_annotation` replaces a file atomically: a fsynced temp file in the same folder,
renamed over the target, the folder fsynced; an interruption leaves the previous file.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from kg.rdfio import atomic_write
from kg.text import split_sentences

#: top-level keys, in this order (any other key follows, in the order given)
TOP_KEYS = ("article", "provenance", "entities", "things", "claims")
#: keys that open an entry, and keys that close it (the rest keep the order given)
ENTRY_KEYS = ("id", "type", "label", "aliases", "wikidata")
CLAIM_KEYS = ("id", "quote", "about", "certainty", "polarity", "temporality", "hedgeCue",
              "evidentialBasis", "accordingTo", "concerns")
TRAILING_KEYS = ("unknown", "review", "confidence")
PROVENANCE_KEYS = ("annotator", "annotatedAt", "reviewer", "reviewedAt")
#: what the strict loader refuses in a value (kg.yamlsafe): refused here too, before writing
_REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_WIDTH = 1 << 30  # never fold a line


class AnnotationValueError(ValueError):
    """A value that cannot be written as annotation YAML; ``where`` is its path of keys."""

    def __init__(self, message: str, where: tuple[str | int, ...]) -> None:
        self.where = where
        super().__init__(message)


class _Dumper(yaml.SafeDumper):
    """Block sequences indented under their key; double quotes wherever plain will not do."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def choose_scalar_style(self) -> str:
        style = super().choose_scalar_style()
        return style if style == "" else '"'


def _is_short(value: Any) -> bool:
    """Text, or a list/map of text (or of lists of text): written on one line."""
    if isinstance(value, str):
        return True
    if isinstance(value, list):
        return all(isinstance(v, str) for v in value)
    if isinstance(value, Mapping):
        return all(_is_short(v) and not isinstance(v, Mapping) for v in value.values())
    return False


def _ordered(mapping: Mapping[str, Any], leading: Sequence[str],
             trailing: Sequence[str] = ()) -> list[str]:
    keys = [k for k in leading if k in mapping]
    keys += [k for k in mapping if k not in leading and k not in trailing]
    return keys + [k for k in trailing if k in mapping]


def _node(value: Any, where: tuple[str | int, ...], order: tuple[Sequence[str], Sequence[str]],
          flow: bool) -> yaml.Node:
    if isinstance(value, str):
        bad = _REFUSED.search(value)
        if bad:
            raise AnnotationValueError(
                f"character U+{ord(bad.group(0)):04X} is not allowed in a value (control "
                "character or lone surrogate)", where)
        return yaml.ScalarNode("tag:yaml.org,2002:str", value)
    if isinstance(value, list):
        flow = flow or _is_short(value)
        items = [_node(v, (*where, i), order, flow) for i, v in enumerate(value)]
        return yaml.SequenceNode("tag:yaml.org,2002:seq", items, flow_style=flow)
    if isinstance(value, Mapping):
        if not all(isinstance(k, str) and k and k != "<<" for k in value):
            raise AnnotationValueError("keys must be non-empty text (and not the merge key <<)",
                                       where)
        # an entry of a section, or a top-level value, is a block; maps inside them may flow
        entry = len(where) <= 1 or (len(where) == 2 and isinstance(where[1], int))
        flow = flow or (not entry and _is_short(value))
        pairs = [(_node(key, (*where, key), order, flow),
                  _node(value[key], (*where, key), order, flow))
                 for key in _ordered(value, *order)]
        return yaml.MappingNode("tag:yaml.org,2002:map", pairs, flow_style=flow)
    raise AnnotationValueError(f"a value must be text, a list or a mapping, not "
                               f"{type(value).__name__}", where)


def _dump(node: yaml.Node) -> str:
    return yaml.serialize(node, Dumper=_Dumper, allow_unicode=True, width=_WIDTH)


def _sentence_comments(text: str, claims: list[Any], quote_of: Any) -> dict[int, str]:
    """``# sentence N [b, e): words`` before the first claim of each sentence (as kg extract)."""
    from kg.text import QuoteNotFound, find_quote, sentence_of

    sentences = split_sentences(text)
    comments: dict[int, str] = {}
    current = -1
    for index, claim in enumerate(claims):
        quote = quote_of(claim)
        try:
            sentence = sentence_of(sentences, find_quote(text, quote)) if quote else -1
        except QuoteNotFound:
            sentence = -1
        if sentence >= 0 and sentence != current:
            current = sentence
            span = sentences[sentence]
            words = " ".join(text[span.begin:span.end].split())
            comments[index] = (f"# sentence {sentence} [{span.begin}, {span.end}): "
                               f"{words[:70]}{'…' if len(words) > 70 else ''}")
    return comments


def render_annotation(data: Mapping[str, Any], *, header: str = "", text: str | None = None) -> str:
    """``data`` as annotation.yaml text (deterministic: the same data gives the same text).

    ``header``: comment lines to open the file with (each line gets a ``#`` if it lacks one);
    ``text``: the article text, to mark the first claim of each sentence with a comment.
    Raises :class:`AnnotationValueError` for a value the loader would refuse.
    """
    lines = [line if line.startswith("#") else f"# {line}".rstrip()
             for line in header.splitlines()]
    for key in _ordered(data, TOP_KEYS):
        value = data[key]
        if key in ("entities", "things", "claims") and isinstance(value, list) and value:
            lines.append(f"{key}:" if not lines or lines[-1] == "" else f"\n{key}:")
            comments = (_sentence_comments(text, value, lambda c: c.get("quote")
                                           if isinstance(c, Mapping) else None)
                        if key == "claims" and text is not None else {})
            for index, entry in enumerate(value):
                if index in comments:
                    lines.append(f"  {comments[index]}")
                order = (CLAIM_KEYS if key == "claims" else ENTRY_KEYS, TRAILING_KEYS)
                item = _dump(yaml.SequenceNode("tag:yaml.org,2002:seq", [
                    _node(entry, (key, index), order, False)]))
                lines.extend("  " + line for line in item.rstrip("\n").split("\n"))
            continue
        order = (PROVENANCE_KEYS if key == "provenance" else ENTRY_KEYS, TRAILING_KEYS)
        block = _dump(yaml.MappingNode("tag:yaml.org,2002:map", [
            (_node(key, (key,), order, False), _node(value, (key,), order, False))]))
        if key == "entities" or (lines and key in ("things", "claims")):
            lines.append("")
        lines.extend(block.rstrip("\n").split("\n"))
    return "\n".join(lines) + "\n"


def write_annotation(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically (temp file + fsync + rename + folder fsync)."""
    atomic_write(path, text)
    with contextlib.suppress(OSError):  # make the rename itself durable (POSIX)
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


__all__ = ["AnnotationValueError", "render_annotation", "write_annotation"]
