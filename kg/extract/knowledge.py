"""What data/ already holds: the registry, every article's entities and things, the gazetteer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.errors import InputError
from kg.extract.model import ENTITY_TYPES, LANGS
from kg.yamlsafe import Node, load_yaml


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


def strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return (str(value),)


def entries(node: Any, key: str) -> list[Node]:
    value = node.get(key, []) if isinstance(node, Node) else []
    return [e for e in value if isinstance(e, Node)] if isinstance(value, list) else []


def load_knowledge(data_dir: Path, exclude_article: str | None = None) -> Knowledge:
    """Read the registry, every article's entities and things (but ``exclude_article``'s, so an
    article can be evaluated as unseen) and ``data/gazetteer.yaml`` if present."""
    registry = load_yaml(data_dir / "entities.yaml")
    sources: list[Node] = list(entries(registry, "entities"))
    things: list[KnownThing] = []
    ids: set[str] = {e["id"] for e in sources if isinstance(e.get("id"), str)}
    articles = data_dir / "articles"
    folders = sorted(p for p in articles.iterdir() if p.is_dir()) if articles.is_dir() else []
    for folder in folders:
        if folder.name == exclude_article or not (folder / "annotation.yaml").is_file():
            continue
        annotation = load_yaml(folder / "annotation.yaml")
        for entry in entries(annotation, "entities"):
            sources.append(entry)
            ids.add(str(entry.get("id")))
        for entry in entries(annotation, "things"):
            ident = str(entry.get("id"))
            ids.add(ident)
            props = {k: strings(v) for k, v in entry.items()
                     if k not in ("id", "type", "label", "aliases")}
            things.append(KnownThing(ident, str(entry.get("type")), props))
    entities: dict[str, KnownEntity] = {}
    for entry in sources:
        ident, type_name = str(entry.get("id")), str(entry.get("type"))
        if type_name not in ENTITY_TYPES:
            continue
        label = entry.get("label") if isinstance(entry.get("label"), Node) else {}
        aliases = entry.get("aliases") if isinstance(entry.get("aliases"), Node) else {}
        forms = {lang: tuple(f for f in (*strings(label.get(lang)), *strings(aliases.get(lang)))
                             if "(" not in f) for lang in LANGS}
        entities[ident] = KnownEntity(ident, type_name, {k: str(v) for k, v in label.items()},
                                      forms, {}, True, {})
    gazetteer_path = data_dir / "gazetteer.yaml"
    if gazetteer_path.is_file():
        for entry in entries(load_yaml(gazetteer_path), "entries"):
            ident = str(entry.get("id"))
            demonyms_node = entry.get("demonyms") if isinstance(entry.get("demonyms"), Node) else {}
            demonyms = {lang: strings(demonyms_node.get(lang)) for lang in LANGS}
            known = entities.get(ident)
            if known is not None:
                forms = {lang: tuple(dict.fromkeys((*known.forms[lang], *strings(entry.get(lang)))))
                         for lang in LANGS}
                entities[ident] = KnownEntity(ident, known.type, known.labels, forms, demonyms,
                                              True, {})
            elif isinstance(entry.get("type"), str) and isinstance(entry.get("label"), Node):
                definition = {k: v for k, v in entry.items() if k not in ("fr", "en", "demonyms")}
                entities[ident] = KnownEntity(
                    ident, str(entry["type"]), dict(entry["label"]),
                    {lang: strings(entry.get(lang)) for lang in LANGS}, demonyms, False,
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
