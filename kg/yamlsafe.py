"""Strict, safe YAML for annotation files.

Every scalar stays a string (no ``NO`` -> False, ``12:30`` -> 750, ``2023-09-12`` -> date);
duplicate keys, aliases/anchors, tags and non-string keys are rejected with the line number.
Mappings come back as :class:`Node` dicts that remember the line of each key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from kg.errors import InputError

MAX_YAML_BYTES = 2_000_000


class Node(dict[str, Any]):
    """A YAML mapping with the 1-based line of the mapping and of each key."""

    line: int
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


_PLAIN_TAGS = {"tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"}


class _StrictLoader(yaml.BaseLoader):
    """BaseLoader resolves every scalar to str; we add the structural checks."""


def _convert(node: yaml.Node, path: Path) -> Any:
    line = node.start_mark.line + 1
    if node.tag not in _PLAIN_TAGS:
        raise InputError(f"YAML tags are not allowed ({node.tag})", path=path, line=line)
    if isinstance(node, ScalarNode):
        return node.value
    if isinstance(node, SequenceNode):
        return [_convert(child, path) for child in node.value]
    if isinstance(node, MappingNode):
        out = Node()
        out.line = line
        out.key_lines = {}
        for key_node, value_node in node.value:
            kline = key_node.start_mark.line + 1
            if not isinstance(key_node, ScalarNode):
                raise InputError("mapping keys must be plain strings", path=path, line=kline)
            key = key_node.value
            if key == "<<":
                raise InputError("YAML merge keys (<<) are not allowed", path=path, line=kline)
            if key in out:
                raise InputError(f"duplicate key {key!r} (first on line {out.key_lines[key]})",
                                 path=path, line=kline)
            out[key] = _convert(value_node, path)
            out.key_lines[key] = kline
        return out
    raise InputError(f"unsupported YAML node {type(node).__name__}", path=path, line=line)


def load_yaml(path: Path) -> Any:
    """Read one YAML document strictly; any problem is an :class:`InputError` naming the file."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror or exc})", path=path) from None
    if len(raw) > MAX_YAML_BYTES:
        raise InputError(f"file larger than {MAX_YAML_BYTES} bytes", path=path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 (byte {exc.start})", path=path) from None
    try:
        loader = _StrictLoader(text)
        try:
            # Aliases and anchors are refused before composition: no billion-laughs expansion.
            while loader.check_event():
                event = loader.get_event()
                if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                    mark = event.start_mark
                    raise InputError("YAML anchors and aliases are not allowed",
                                     path=path, line=mark.line + 1)
        finally:
            loader.dispose()
        loader = _StrictLoader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise InputError(f"invalid YAML: {problem}", path=path,
                         line=mark.line + 1 if mark else None,
                         column=mark.column + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {exc}", path=path) from None
    except RecursionError:
        raise InputError("YAML nested too deeply", path=path) from None
    if node is None:
        raise InputError("empty YAML file", path=path)
    try:
        return _convert(node, path)
    except RecursionError:
        raise InputError("YAML nested too deeply", path=path) from None
