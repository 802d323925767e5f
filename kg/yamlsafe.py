"""Strict, safe YAML for annotation files.

Every scalar stays a string (no ``NO`` -> False, ``12:30`` -> 750, ``2023-09-12`` -> date);
duplicate keys, anchors/aliases (no "billion laughs"), merge keys, tags, non-string keys, more
than one document, nesting deeper than :data:`MAX_YAML_DEPTH`, characters YAML forbids and
escaped control characters or lone surrogates are all refused, with the line number.
Mappings come back as :class:`Node` dicts that remember the line of each key.

The tree is built in one pass over the parser's events (libyaml's when PyYAML has it), with an
explicit stack: no recursion, no composition of anything we would refuse. Flow collections
(``[[[…`` or ``{a: {a: …``) are measured on the text before any parser sees it: libyaml scans
a flow collection ahead of its events, and its own nesting limit (PyYAML 6.0.4 and later) would
otherwise answer first, in its own words. The limits and their messages are ours, whatever the
PyYAML version.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml

from kg.errors import InputError

MAX_YAML_BYTES = 2_000_000
MAX_YAML_DEPTH = 64


class Node(dict[str, Any]):
    """A YAML mapping with the 1-based line of the mapping and of each key."""

    line: int
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


_PLAIN_TAGS = {None, "!", "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq",
               "tag:yaml.org,2002:map"}
#: characters YAML 1.1 does not allow in a stream (the reader's "printable" set, complemented)
_NOT_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
#: what a double-quoted escape can still smuggle into a value
_BAD_IN_VALUE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_NO_KEY = object()

_Loader: type = getattr(yaml, "CBaseLoader", None) or yaml.BaseLoader


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


#: what can open or close a flow collection, start a quoted scalar or a comment, or end a line
_FLOW_TOKENS = re.compile(r"""[\[\]{}"'#\n]""")
#: characters after which a quote opens a quoted scalar (else it is part of a plain scalar)
_BEFORE_QUOTE = frozenset(" \t\n[{,:-?")


def _check_flow_depth(text: str, path: Path) -> None:
    """Refuse flow collections nested deeper than :data:`MAX_YAML_DEPTH`, before parsing.

    A conservative reading of the text: brackets inside quoted scalars and comments do not
    count; a bracket inside a plain or block scalar does, which can only over-count, and only
    65 unclosed brackets in a row would ever be refused for it.
    """
    depth = 0
    position = 0
    length = len(text)
    while True:
        match = _FLOW_TOKENS.search(text, position)
        if match is None:
            return
        char, start = match.group(0), match.start()
        position = start + 1
        if char in "[{":
            depth += 1
            if depth > MAX_YAML_DEPTH:
                line, column = _position(text, start)
                raise InputError(f"YAML nested deeper than {MAX_YAML_DEPTH} levels",
                                 path=path, line=line, column=column)
        elif char in "]}":
            depth = max(depth - 1, 0)
        elif char == "#":
            if start == 0 or text[start - 1] in " \t\n":
                newline = text.find("\n", position)
                position = length if newline < 0 else newline
        elif char != "\n" and (start == 0 or text[start - 1] in _BEFORE_QUOTE):
            position = _end_of_quoted(text, start, char)


def _end_of_quoted(text: str, start: int, quote: str) -> int:
    """The offset after the quoted scalar opening at ``start`` (the end if unclosed)."""
    position = start + 1
    while True:
        end = text.find(quote, position)
        if end < 0:
            return len(text)
        if quote == "'" and text.startswith("''", end):
            position = end + 2
            continue
        if quote == '"':
            backslashes = len(text[position:end]) - len(text[position:end].rstrip("\\"))
            if backslashes % 2:
                position = end + 1
                continue
        return end + 1


def _check_scalar(value: str, path: Path, line: int) -> str:
    bad = _BAD_IN_VALUE.search(value)
    if bad:
        raise InputError(f"character U+{ord(bad.group(0)):04X} is not allowed in a value "
                         "(control character or lone surrogate)", path=path, line=line)
    return value


class _Builder:
    """Python values from parser events: str, list and :class:`Node` only."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.root: Any = _NO_KEY
        # each frame: [container, pending key (or _NO_KEY), line of the pending key]
        self.stack: list[list[Any]] = []

    def fail(self, message: str, event: yaml.Event) -> InputError:
        return InputError(message, path=self.path, line=event.start_mark.line + 1)

    def add(self, value: Any, event: yaml.Event) -> None:
        line = event.start_mark.line + 1
        if not self.stack:
            self.root = value
            return
        frame = self.stack[-1]
        container = frame[0]
        if isinstance(container, list):
            container.append(value)
        elif frame[1] is _NO_KEY:
            if not isinstance(value, str):
                raise self.fail("mapping keys must be plain strings", event)
            if value == "<<":
                raise self.fail("YAML merge keys (<<) are not allowed", event)
            if value in container:
                raise self.fail(f"duplicate key {value!r} (first on line "
                                f"{container.key_lines[value]})", event)
            frame[1], frame[2] = value, line
        else:
            container[frame[1]] = value
            container.key_lines[frame[1]] = frame[2]
            frame[1] = _NO_KEY

    def open(self, container: Any, event: yaml.Event) -> None:
        if len(self.stack) >= MAX_YAML_DEPTH:
            raise self.fail(f"YAML nested deeper than {MAX_YAML_DEPTH} levels", event)
        if self.stack and isinstance(self.stack[-1][0], Node) and self.stack[-1][1] is _NO_KEY:
            raise self.fail("mapping keys must be plain strings", event)
        self.add(container, event)
        self.stack.append([container, _NO_KEY, 0])

    def feed(self, event: yaml.Event) -> None:
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise self.fail("YAML anchors and aliases are not allowed", event)
        tag = getattr(event, "tag", None)
        if tag not in _PLAIN_TAGS:
            raise self.fail(f"YAML tags are not allowed ({tag})", event)
        if isinstance(event, yaml.DocumentStartEvent) and self.root is not _NO_KEY:
            raise self.fail("more than one YAML document", event)
        if isinstance(event, yaml.ScalarEvent):
            self.add(_check_scalar(event.value, self.path, event.start_mark.line + 1), event)
        elif isinstance(event, yaml.SequenceStartEvent):
            self.open([], event)
        elif isinstance(event, yaml.MappingStartEvent):
            node = Node()
            node.line = event.start_mark.line + 1
            node.key_lines = {}
            self.open(node, event)
        elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            self.stack.pop()


def loads(text: str, path: Path) -> Any:
    """Parse YAML text strictly (``path`` only names it in errors)."""
    bad = _NOT_PRINTABLE.search(text)
    if bad:
        line, column = _position(text, bad.start())
        raise InputError(f"character U+{ord(bad.group(0)):04X} is not allowed in YAML",
                         path=path, line=line, column=column)
    _check_flow_depth(text, path)
    builder = _Builder(path)
    loader = _Loader(text)
    try:
        while loader.check_event():
            builder.feed(loader.get_event())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise InputError(f"invalid YAML: {problem}", path=path,
                         line=mark.line + 1 if mark else None,
                         column=mark.column + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise InputError(f"invalid YAML: {detail}", path=path) from None
    except (RecursionError, MemoryError):
        raise InputError("YAML too large or nested too deeply", path=path) from None
    finally:
        dispose = getattr(loader, "dispose", None)
        if dispose is not None:
            dispose()
    if builder.root is _NO_KEY or (builder.root == "" and not text.strip(" \t\r\n-.\ufeff")):
        raise InputError("empty YAML file", path=path)
    return builder.root


def load_yaml(path: Path) -> Any:
    """Read one YAML document strictly; any problem is an :class:`InputError` naming the file."""
    try:
        # O_NONBLOCK: a FIFO named like an annotation must not hang the build; refused below
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise InputError("not a regular file", path=path)
            raw = handle.read(MAX_YAML_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror or exc})", path=path) from None
    if len(raw) > MAX_YAML_BYTES:
        raise InputError(f"file larger than {MAX_YAML_BYTES} bytes", path=path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 (byte {exc.start})", path=path) from None
    return loads(text, path)
