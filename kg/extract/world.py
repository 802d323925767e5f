"""The world gazetteer: states, organisations and office holders shipped with the package.

``kg/extract/world/*.yaml`` (package data) lists, in French and English, the states with their
capitals and demonyms, the organisations (international bodies, government bodies standing for
their government, state media and news agencies, armed groups) and the office holders with
their titles and dates. :func:`load_world` turns them into gazetteer entries in the terms of
:mod:`kg.extract.knowledge`: an actor the registry does not define yet is defined by the first
draft that meets it, with its Wikidata id where the file gives one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.errors import InputError
from kg.yamlsafe import Node, load_yaml

LANGS = ("fr", "en")
WORLD_DIR = Path(__file__).parent / "world"
_ROLE_TYPES = {"head-of-state": "PoliticalLeader", "head-of-government": "PoliticalLeader",
               "foreign-minister": "Minister", "defence-minister": "Minister",
               "spokesperson": "Spokesperson"}


@dataclass(frozen=True)
class WorldEntry:
    """One actor or place of the world gazetteer, as the extractor needs it."""

    id: str
    type: str
    label: dict[str, str]
    forms: dict[str, tuple[str, ...]]
    demonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    definition: dict[str, Any] = field(default_factory=dict)
    state: str | None = None
    source_type: str | None = None


@dataclass(frozen=True)
class Title:
    """A title standing for its holder ("le président turc") while the office is held."""

    person: str
    start: str | None
    end: str | None


@dataclass(frozen=True)
class World:
    entries: tuple[WorldEntry, ...]
    titles: dict[str, dict[str, tuple[Title, ...]]]


def _lang_map(node: Any) -> dict[str, str]:
    return {lang: str(node[lang]) for lang in LANGS
            if isinstance(node, Node) and isinstance(node.get(lang), str)}


def _lang_lists(node: Any) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for lang in LANGS:
        value = node.get(lang) if isinstance(node, Node) else None
        out[lang] = tuple(str(v) for v in value) if isinstance(value, list) else (
            (str(value),) if isinstance(value, str) else ())
    return out


def _forms(entry: Node, *extra: dict[str, str]) -> dict[str, tuple[str, ...]]:
    names, aliases = _lang_map(entry.get("name")), _lang_lists(entry.get("aliases"))
    return {lang: tuple(dict.fromkeys(
        f for f in (names.get(lang), *aliases[lang], *(e.get(lang) for e in extra)) if f))
        for lang in LANGS}


def _definition(entry: Node, type_name: str, label: dict[str, str], **links: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": str(entry["id"]), "type": type_name, "label": label}
    if isinstance(entry.get("wikidata"), str):
        out["wikidata"] = str(entry["wikidata"])
    out.update({k: v for k, v in links.items() if v})
    return out


def _entries(path: Path, key: str) -> list[Node]:
    if not path.is_file():
        return []
    root = load_yaml(path)
    items = root.get(key) if isinstance(root, Node) else None
    if not isinstance(items, list):
        raise InputError(f"expected a list under {key!r}", path=path)
    for item in items:
        if not isinstance(item, Node) or not isinstance(item.get("id"), str) \
                or not isinstance(item.get("name"), Node):
            raise InputError("a world gazetteer entry needs an id and a name {fr, en}", path=path,
                             line=getattr(item, "line", None))
    return items


def _states(path: Path) -> list[WorldEntry]:
    out = []
    for entry in _entries(path, "states"):
        label, capital = _lang_map(entry["name"]), _lang_map(entry.get("capital"))
        ident = str(entry["id"])
        out.append(WorldEntry(ident, "State", label, _forms(entry, capital),
                              _lang_lists(entry.get("demonyms")),
                              _definition(entry, "State", label), ident, None))
        if capital:
            place = f"{ident}-capital"
            forms = {lang: tuple(v for v in (capital.get(lang),) if v) for lang in LANGS}
            out.append(WorldEntry(place, "Place", {k: v for k, v in capital.items()}, forms,
                                  {}, {"id": place, "type": "Place", "label": dict(capital),
                                       "locatedIn": ident}, ident))
    return out


def _organisations(path: Path) -> list[WorldEntry]:
    out = []
    for entry in _entries(path, "organisations"):
        label, type_name = _lang_map(entry["name"]), str(entry.get("type", "Organization"))
        state = str(entry["state"]) if isinstance(entry.get("state"), str) else None
        link = {"controlledBy": state} if type_name == "StateMedia" else {"represents": state}
        source_type = str(entry["sourceType"]) if isinstance(entry.get("sourceType"), str) else None
        definition = _definition(entry, type_name, label, **link, sourceType=source_type)
        out.append(WorldEntry(str(entry["id"]), type_name, label, _forms(entry), {}, definition,
                              state, source_type))
    return out


def _people(path: Path) -> tuple[list[WorldEntry], dict[str, dict[str, tuple[Title, ...]]]]:
    out: list[WorldEntry] = []
    titles: dict[str, dict[str, list[Title]]] = {lang: {} for lang in LANGS}
    for entry in _entries(path, "people"):
        ident, label = str(entry["id"]), _lang_map(entry["name"])
        offices = [o for o in entry.get("offices", []) or [] if isinstance(o, Node)]
        type_name = str(entry.get("type") or next(
            (_ROLE_TYPES.get(str(o.get("role"))) for o in offices), None) or "Person")
        state = str(entry["state"]) if isinstance(entry.get("state"), str) else None
        out.append(WorldEntry(ident, type_name, label, _forms(entry), {},
                              _definition(entry, type_name, label, represents=state), state))
        start = min((str(o["from"]) for o in offices if isinstance(o.get("from"), str)), default=None)
        ends = [o.get("to") for o in offices]
        end = None if not ends or any(e in (None, "null") for e in ends) else max(map(str, ends))
        for lang, words in _lang_lists(entry.get("titles")).items():
            for word in words:
                titles[lang].setdefault(word.lower(), []).append(Title(ident, start, end))
    return out, {lang: {k: tuple(v) for k, v in table.items()} for lang, table in titles.items()}


def load_world(world_dir: Path = WORLD_DIR) -> World:
    """Read ``states.yaml``, ``organisations.yaml`` and ``people.yaml`` of ``world_dir``
    (each optional)."""
    people, titles = _people(world_dir / "people.yaml")
    entries = [*_states(world_dir / "states.yaml"),
               *_organisations(world_dir / "organisations.yaml"), *people]
    return World(tuple(entries), titles)


def title_holder(world: World, lang: str, title: str, date: str | None = None) -> str | None:
    """Who holds ``title`` (lower case) at ``date`` (ISO, or the latest holder if unknown)."""
    holders = world.titles.get(lang, {}).get(title.lower(), ())
    if date:
        holders = tuple(h for h in holders if (h.start or "") <= date
                        and (h.end is None or date <= h.end))
    latest = sorted(holders, key=lambda h: h.start or "")
    return latest[-1].person if latest else None
