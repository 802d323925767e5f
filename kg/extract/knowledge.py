"""What data/ already holds: the registry, every article's entities and things, the gazetteer."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.errors import InputError
from kg.extract.model import LANGS
from kg.extract.world import WORLD_DIR, World, load_world
from kg.namespaces import DKG
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
    """What data/ already holds: entities (registry, articles, gazetteer, world gazetteer),
    things and ids; the actor kinds of the ontology's classes; titles of office holders."""

    entities: dict[str, KnownEntity]
    things: tuple[KnownThing, ...]
    ids: frozenset[str]
    source_types: dict[str, str]
    state_of: dict[str, str]
    kinds: dict[str, str] = field(default_factory=dict)
    world: World = field(default_factory=lambda: World((), {}))
    #: same token, same surface forms: the pipeline keeps its EntityRuler (kg.extract.nlp)
    forms_token: object = field(default_factory=object)

    def kind(self, type_name: str) -> str:
        """person, state, media, org, group, place or actor (from the ontology's hierarchy)."""
        return self.kinds.get(type_name, "actor")


def strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return (str(value),)


def entries(node: Any, key: str) -> list[Node]:
    value = node.get(key, []) if isinstance(node, Node) else []
    return [e for e in value if isinstance(e, Node)] if isinstance(value, list) else []


#: the ontology classes whose subclasses make each kind, most specific first
_KIND_ROOTS = (("StateMedia", "media"), ("Person", "person"), ("State", "state"),
               ("Organization", "org"), ("Group", "group"), ("Place", "place"), ("Actor", "actor"))


def ontology_kinds(ontology_dir: Path) -> dict[str, str]:
    """Type name -> kind for every actor and place class of ``ontology_dir/diplo.ttl``, from
    its rdfs:subClassOf hierarchy (no hard-coded copy of the class tree)."""
    path = ontology_dir / "diplo.ttl"
    if not path.is_file():
        raise InputError("the ontology is needed to know the actor classes (use --ontology)",
                         path=path)
    return dict(_kinds_of(path.resolve(), path.stat().st_mtime_ns))


@functools.lru_cache(maxsize=4)
def _kinds_of(path: Path, _mtime: int) -> tuple[tuple[str, str], ...]:
    from rdflib import Graph
    from rdflib.namespace import RDFS

    graph = Graph()
    graph.parse(path, format="turtle")
    prefix = str(DKG._NS)
    kinds: dict[str, str] = {}
    for cls in set(graph.subjects(RDFS.subClassOf, None)) | {DKG[r] for r, _k in _KIND_ROOTS}:
        if not str(cls).startswith(prefix):
            continue
        supers = {str(c)[len(prefix):] for c in graph.transitive_objects(cls, RDFS.subClassOf)}
        kind = next((k for root, k in _KIND_ROOTS if root in supers), None)
        if kind:
            kinds[str(cls)[len(prefix):]] = kind
    return tuple(sorted(kinds.items()))


def _load(path: Path) -> Any:
    """A YAML file of data/, parsed once per process while it is unchanged."""
    stat = path.stat()
    return _load_cached(path.resolve(), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=256)
def _load_cached(path: Path, _mtime: int, _size: int) -> Any:
    return load_yaml(path)


def _read_data(data_dir: Path, exclude_article: str | None) -> tuple[list[Node], list[KnownThing],
                                                                      set[str]]:
    registry = _load(data_dir / "entities.yaml")
    sources: list[Node] = list(entries(registry, "entities"))
    things: list[KnownThing] = []
    ids: set[str] = {e["id"] for e in sources if isinstance(e.get("id"), str)}
    articles = data_dir / "articles"
    folders = sorted(p for p in articles.iterdir() if p.is_dir()) if articles.is_dir() else []
    for folder in folders:
        if folder.name == exclude_article or not (folder / "annotation.yaml").is_file():
            continue
        annotation = _load(folder / "annotation.yaml")
        for entry in entries(annotation, "entities"):
            sources.append(entry)
            ids.add(str(entry.get("id")))
        for entry in entries(annotation, "things"):
            ident = str(entry.get("id"))
            ids.add(ident)
            props = {k: strings(v) for k, v in entry.items()
                     if k not in ("id", "type", "label", "aliases")}
            things.append(KnownThing(ident, str(entry.get("type")), props))
    return sources, things, ids


def _registry_entities(sources: list[Node], kinds: dict[str, str]) -> dict[str, KnownEntity]:
    entities: dict[str, KnownEntity] = {}
    for entry in sources:
        ident, type_name = str(entry.get("id")), str(entry.get("type"))
        if type_name not in kinds:
            continue
        label = entry.get("label") if isinstance(entry.get("label"), Node) else {}
        aliases = entry.get("aliases") if isinstance(entry.get("aliases"), Node) else {}
        forms = {lang: tuple(f for f in (*strings(label.get(lang)), *strings(aliases.get(lang)))
                             if "(" not in f) for lang in LANGS}
        entities[ident] = KnownEntity(ident, type_name, {k: str(v) for k, v in label.items()},
                                      forms, {}, True, {})
    return entities


def _add_gazetteer(path: Path, entities: dict[str, KnownEntity]) -> None:
    for entry in entries(_load(path), "entries"):
        ident = str(entry.get("id"))
        demonyms_node = entry.get("demonyms") if isinstance(entry.get("demonyms"), Node) else {}
        demonyms = {lang: strings(demonyms_node.get(lang)) for lang in LANGS}
        known = entities.get(ident)
        if known is not None:
            forms = {lang: tuple(dict.fromkeys((*known.forms[lang], *strings(entry.get(lang)))))
                     for lang in LANGS}
            entities[ident] = KnownEntity(ident, known.type, known.labels, forms, demonyms,
                                          known.defined, known.definition)
        elif isinstance(entry.get("type"), str) and isinstance(entry.get("label"), Node):
            definition = {k: v for k, v in entry.items() if k not in ("fr", "en", "demonyms")}
            entities[ident] = KnownEntity(
                ident, str(entry["type"]), dict(entry["label"]),
                {lang: strings(entry.get(lang)) for lang in LANGS}, demonyms, False,
                definition)
        else:
            raise InputError(f"gazetteer entry {ident!r} names no known id and has no type "
                             "and label", path=path, line=entry.line)


def _add_world(world: World, entities: dict[str, KnownEntity], links: dict[str, str],
               source_types: dict[str, str]) -> None:
    """World gazetteer entries: more forms for actors data/ knows, new ones defined by the
    first draft that meets them."""
    place_forms = {f.lower() for e in entities.values() if e.type == "Place"
                   for forms in e.forms.values() for f in forms}
    for entry in world.entries:
        if entry.type == "Place" and entry.id not in entities and any(
                f.lower() in place_forms for forms in entry.forms.values() for f in forms):
            continue  # data/ already has this city under its own id
        known = entities.get(entry.id)
        if known is not None:
            forms = {lang: tuple(dict.fromkeys((*known.forms.get(lang, ()), *entry.forms[lang])))
                     for lang in LANGS}
            demonyms = {lang: tuple(dict.fromkeys((*known.demonyms.get(lang, ()),
                                                   *entry.demonyms.get(lang, ()))))
                        for lang in LANGS}
            entities[entry.id] = KnownEntity(entry.id, known.type, known.labels, forms, demonyms,
                                             known.defined, known.definition)
            continue
        entities[entry.id] = KnownEntity(entry.id, entry.type, dict(entry.label), entry.forms,
                                         dict(entry.demonyms), False, dict(entry.definition))
        if entry.state and entry.state != entry.id:
            links.setdefault(entry.id, entry.state)
        if entry.source_type:
            source_types.setdefault(entry.id, entry.source_type)


@functools.lru_cache(maxsize=4)
def _world(world_dir: Path) -> World:
    """The world gazetteer, read once per process (it is package data)."""
    return load_world(world_dir)


def load_knowledge(data_dir: Path, exclude_article: str | None = None,
                   ontology_dir: Path | None = None, world_dir: Path | None = WORLD_DIR) -> Knowledge:
    """Read the registry, every article's entities and things (but ``exclude_article``'s, so an
    article can be evaluated as unseen), ``data/gazetteer.yaml`` if present, the world
    gazetteer (``world_dir``, None for none) and the actor classes of the ontology
    (``ontology_dir``, default: the ``ontology`` folder beside ``data_dir``). The same inputs,
    unchanged on disk, give the same object (one process drafting many articles reads once)."""
    ontology_dir = ontology_dir or data_dir.parent / "ontology"
    if exclude_article is not None and not (data_dir / "articles" / exclude_article).exists():
        exclude_article = None
    return _knowledge(data_dir.resolve(), exclude_article, ontology_dir.resolve(),
                      world_dir.resolve() if world_dir is not None else None,
                      _data_signature(data_dir))


def _data_signature(data_dir: Path) -> tuple[tuple[str, int], ...]:
    files = [data_dir / "entities.yaml", data_dir / "gazetteer.yaml",
             *sorted((data_dir / "articles").glob("*/annotation.yaml"))]
    return tuple((str(f), f.stat().st_mtime_ns) for f in files if f.is_file())


@functools.lru_cache(maxsize=8)
def _knowledge(data_dir: Path, exclude_article: str | None, ontology_dir: Path,
               world_dir: Path | None, _signature: tuple[tuple[str, int], ...]) -> Knowledge:
    kinds = ontology_kinds(ontology_dir)
    sources, things, ids = _read_data(data_dir, exclude_article)
    entities = _registry_entities(sources, kinds)
    gazetteer_path = data_dir / "gazetteer.yaml"
    if gazetteer_path.is_file():
        _add_gazetteer(gazetteer_path, entities)
    source_types = {str(e.get("id")): str(e.get("sourceType")) for e in sources
                    if isinstance(e.get("sourceType"), str)}
    source_types.update({i: str(e.definition["sourceType"]) for i, e in entities.items()
                         if "sourceType" in e.definition})
    world = _world(world_dir) if world_dir is not None else World((), {})
    links: dict[str, str] = {}
    _add_world(world, entities, links, source_types)
    return Knowledge(entities, tuple(things), frozenset(ids), source_types,
                     _states(sources, entities, links), kinds, world)


def _states(sources: list[Node], entities: dict[str, KnownEntity],
            world_links: dict[str, str]) -> dict[str, str]:
    """The state an actor acts for: itself, what it represents/is controlled by/speaks for,
    or the state of the office it holds."""
    direct: dict[str, str] = {i: i for i, e in entities.items() if e.type == "State"}
    links: dict[str, str] = dict(world_links)
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


def with_draft(knowledge: Knowledge, draft: Any) -> Knowledge:
    """``knowledge`` plus what a draft defines (its new actors, the gazetteer actors it
    defined, its things and ids), for the next draft of the same batch. Surface forms are
    unchanged, so the pipeline's ruler is not rebuilt."""
    entities = dict(knowledge.entities)
    for entry in draft.entities:
        ident = str(entry["id"])
        known = entities.get(ident)
        label = {k: str(v) for k, v in entry.get("label", {}).items()}
        entities[ident] = KnownEntity(ident, str(entry["type"]), label,
                                      known.forms if known else {lang: () for lang in LANGS},
                                      known.demonyms if known else {}, True, {})
    things = [KnownThing(t.id, t.type, {k: tuple(v) for k, v in t.props.items()})
              for t in draft.things if t.defined]
    ids = {str(e["id"]) for e in draft.entities} | {t.id for t in things}
    return Knowledge(entities, (*knowledge.things, *things), knowledge.ids | ids,
                     knowledge.source_types, knowledge.state_of, knowledge.kinds, knowledge.world,
                     knowledge.forms_token)
