"""What ``kg review`` serves and saves, without any HTTP: draft folders, the page's data, and a
save that is validated by the compiler before anything is written.

An article is named by an opaque key (its folder name, fixed at start-up); nothing a request
says is ever turned into a path. A save:

1. checks the shape of what the page sent (text, lists and maps of text only) and the review
   keys (``review``: drafted, reviewed or rejected; ``confidence`` in [0, 1]);
2. if anything changed, sets ``provenance.reviewer`` / ``reviewedAt`` when any claim is
   reviewed or rejected (an unchanged annotation is not rewritten);
3. renders the YAML with :func:`kg.ingest.annotation.render_annotation`, parses it back with
   the strict loader and compiles it, in memory, together with ``data/`` (the registry and every
   reviewed article, whose things a draft may refer to): exactly what ``kg build`` would do;
4. under a per-article lock, refuses if ``annotation.yaml`` changed on disk since the page
   loaded it (the SHA-256 the page sends back), then replaces it atomically.

A refusal is a :class:`ReviewRefusal` with an HTTP status, one sentence and, where it can be
told, the field it is about (section, index and key), so the page shows it next to the field.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import OWL, SKOS

from kg.compile import NARRATOR, compile_graph, load_ontology
from kg.corpus import ArticleSource, Corpus, read_corpus, read_text
from kg.errors import InputError, KGError
from kg.ingest.annotation import AnnotationValueError, render_annotation, write_annotation
from kg.namespaces import DKG, DKV, SCHEMA
from kg.rdfio import read_bytes
from kg.text import QuoteNotFound, find_quote, sentence_of, split_sentences
from kg.yamlsafe import MAX_YAML_BYTES, Node, load_yaml, loads

REVIEW_STATES = ("drafted", "reviewed", "rejected")
SECTIONS = ("entities", "things", "claims")
TOP_KEYS = ("article", "provenance", *SECTIONS)
#: top classes of the ontology, and what an id of that class is to the page
KINDS = ((DKG.Actor, "actor"), (DKG.Place, "place"), (DKG.Office, "office"),
         (DKG.Event, "thing"), (DKG.ExchangeProposal, "thing"), (DKG.ProposalLeg, "thing"),
         (DKG.DelegationMembership, "thing"), (DKG.BilateralRelation, "thing"))
#: compiler messages about a missing key name it: "claim needs 'about'", "missing 'type'"
_NAMED_KEY = re.compile(r"^(?:claim needs|missing) '(\w+)'")
_CONFIDENCE = re.compile(r"(?:0(?:\.[0-9]+)?|1(?:\.0+)?|\.[0-9]+)")


class ReviewRefusal(Exception):
    """A request refused with ``status`` and one sentence; ``field`` locates it on the page."""

    def __init__(self, status: int, message: str, field: Mapping[str, Any] | None = None) -> None:
        self.status = status
        self.message = message
        self.field = dict(field) if field else None
        super().__init__(message)

    def as_json(self) -> dict[str, Any]:
        return {"error": self.message, "field": self.field}


def content_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def find_drafts(paths: Sequence[Path]) -> dict[str, Path]:
    """Article id -> folder, for each draft folder or folder of drafts (InputError if none)."""
    found: dict[str, Path] = {}
    for path in paths:
        if not path.is_dir():
            raise InputError("not a folder (give a draft article folder or a folder of them)",
                             path=path)
        if (path / "annotation.yaml").is_file():
            folders = [path]
        else:
            folders = sorted(p for p in path.iterdir()
                             if p.is_dir() and (p / "annotation.yaml").is_file())
            if not folders:
                raise InputError("no draft here: expected article.txt, meta.yaml and "
                                 "annotation.yaml, or folders holding them", path=path)
        for folder in folders:
            for name in ("article.txt", "meta.yaml"):
                if not (folder / name).is_file():
                    raise InputError(f"draft folder without {name}", path=folder)
            first = found.get(folder.name)
            if first is not None and first.resolve() != folder.resolve():
                raise InputError(f"two drafts with the article id {folder.name!r} (the folder name):"
                                 f" {first} and {folder}", path=folder)
            found[folder.name] = folder
    return found


def _plain(value: Any) -> Any:
    """A loaded YAML value as plain JSON-able data (Node -> dict)."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _header(raw: str) -> str:
    """The comment lines that open a file (kept when the page rewrites it)."""
    lines = []
    for line in raw.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line)
    return "\n".join(lines)


def _labels(graph: Graph, subject: URIRef, prop: URIRef = SKOS.prefLabel) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in graph.objects(subject, prop):
        if isinstance(value, Literal) and value.language in ("en", "fr"):
            out.setdefault(value.language, str(value))
    return out


def _kind(classes: Iterable[URIRef]) -> str | None:
    supers = set(classes)
    return next((kind for top, kind in KINDS if top in supers), None)


@dataclass(frozen=True)
class Vocabulary:
    """What the page's choices are drawn from: schemes, properties, classes, known ids."""

    schemes: dict[str, list[dict[str, Any]]]
    properties: dict[str, dict[str, Any]]
    classes: dict[str, dict[str, Any]]
    known: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {"schemes": self.schemes, "properties": self.properties, "classes": self.classes,
                "known": self.known, "reviewStates": list(REVIEW_STATES), "narrator": NARRATOR}


def build_vocabulary(ontology: Graph, data_dir: Path, exclude: Iterable[str]) -> Vocabulary:
    """Concept schemes, ``dkg:`` properties and classes from the ontology; ids from ``data/``."""
    ns, vns = str(DKG._NS), str(DKV._NS)
    schemes: dict[str, list[dict[str, Any]]] = {}
    for scheme in sorted(ontology.subjects(RDF.type, SKOS.ConceptScheme)):
        key = str(scheme)[len(vns):]
        concepts = []
        for concept in sorted(ontology.subjects(SKOS.inScheme, scheme)):
            value = str(concept)[len(vns) + len(key) + 1:]
            notation = ontology.value(concept, SKOS.notation)
            definition = ontology.value(concept, SKOS.definition)
            concepts.append({"value": value, "label": _labels(ontology, concept),
                             "notation": str(notation) if notation is not None else value,
                             "definition": str(definition) if definition is not None else ""})
        schemes[key] = concepts
    properties: dict[str, dict[str, Any]] = {}
    for kind, is_object in ((OWL.ObjectProperty, True), (OWL.DatatypeProperty, False)):
        for prop in ontology.subjects(RDF.type, kind):
            if not str(prop).startswith(ns):
                continue
            scheme = ontology.value(prop, DKG.valuesFrom)
            properties[str(prop)[len(ns):]] = {
                "object": is_object,
                "scheme": str(scheme)[len(vns):] if scheme is not None else None,
                "label": _labels(ontology, prop, RDFS.label),
                "domains": sorted(str(d)[len(ns):] for d in
                                  ontology.objects(prop, SCHEMA.domainIncludes)
                                  if str(d).startswith(ns))}
    classes: dict[str, dict[str, Any]] = {}
    for cls in ontology.subjects(RDF.type, OWL.Class):
        if isinstance(cls, URIRef) and str(cls).startswith(ns):
            kind = _kind(ontology.transitive_objects(cls, RDFS.subClassOf))
            if kind:
                classes[str(cls)[len(ns):]] = {"kind": kind,
                                               "label": _labels(ontology, cls, RDFS.label)}
    known: list[dict[str, Any]] = []

    def add(entries: Any, source: str) -> None:
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, Mapping) and isinstance(entry.get("id"), str):
                type_name = entry.get("type")
                info = classes.get(type_name) if isinstance(type_name, str) else None
                known.append({"id": entry["id"], "type": type_name,
                              "kind": info["kind"] if info else None,
                              "label": _plain(entry.get("label") or {}),
                              "aliases": _plain(entry.get("aliases") or {}), "source": source})

    add(load_yaml(data_dir / "entities.yaml").get("entities"), "registry")
    articles = data_dir / "articles"
    for folder in sorted(articles.iterdir()) if articles.is_dir() else []:
        if folder.name in exclude or not (folder / "annotation.yaml").is_file():
            continue
        annotation = load_yaml(folder / "annotation.yaml")
        if isinstance(annotation, Mapping):
            add(annotation.get("entities"), folder.name)
            add(annotation.get("things"), folder.name)
    return Vocabulary(schemes, properties, classes, known)


def _locate(text: str, path: Path, line: int | None) -> dict[str, Any] | None:
    """Which entry and key of the rendered ``text`` a compiler error's line points at."""
    if line is None:
        return None
    try:
        root = loads(text, path)
    except KGError:
        return None
    if not isinstance(root, Node):
        return None
    # every entry's first line, and every top-level key's line (a section ends at the next one)
    marks: list[tuple[int, str, int | None]] = [(n, key, None) for key, n in root.key_lines.items()]
    for section in SECTIONS:
        entries = root.get(section)
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            if isinstance(entry, Node):
                marks.append((entry.line, section, index))
    before = [m for m in sorted(marks, key=lambda m: (m[0], m[2] is not None)) if m[0] <= line]
    if before and before[-1][2] is not None:
        _line, section, index = before[-1]
        entry = root[section][index]
        keys = [k for k, n in sorted(entry.key_lines.items(), key=lambda kv: kv[1]) if n <= line]
        return {"section": section, "index": index, "id": entry.get("id"),
                "key": keys[-1] if keys else None}
    for key, key_line in root.key_lines.items():
        if key_line == line and key in TOP_KEYS:
            return {"section": key, "index": None, "id": None, "key": None}
    return None


def _check_shape(value: Any, where: tuple[str | int, ...]) -> None:
    if isinstance(value, str):
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            _check_shape(item, (*where, i))
        return
    if isinstance(value, dict):
        for key, item in value.items():
            _check_shape(item, (*where, key))
        return
    raise AnnotationValueError(f"must be text, a list or a mapping, not {type(value).__name__}",
                               where)


def _field_of(where: Sequence[str | int]) -> dict[str, Any] | None:
    if len(where) >= 2 and where[0] in SECTIONS and isinstance(where[1], int):
        key = where[2] if len(where) >= 3 else None
        return {"section": where[0], "index": where[1], "id": None, "key": key}
    return {"section": where[0], "index": None, "id": None, "key": None} if where else None


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass
class ReviewSession:
    """The drafts being reviewed, the data they are compiled with, and one lock per article."""

    drafts: dict[str, Path]
    data_dir: Path
    ontology_dir: Path
    reviewer: str | None = None
    clock: Callable[[], str] = _now
    ontology: Graph = field(init=False)
    vocabulary: Vocabulary = field(init=False)
    _locks: dict[str, threading.Lock] = field(init=False)

    def __post_init__(self) -> None:
        self.ontology = load_ontology(self.ontology_dir)
        self.vocabulary = build_vocabulary(self.ontology, self.data_dir, self.drafts)
        self._locks = {key: threading.Lock() for key in self.drafts}
        read_corpus(self.data_dir)  # data/ must load before anything is reviewed against it

    # ------------------------------------------------------------------ reading

    def folder(self, article_id: str) -> Path:
        folder = self.drafts.get(article_id)
        if folder is None:
            raise ReviewRefusal(404, "no such draft article")
        return folder

    def summaries(self) -> list[dict[str, Any]]:
        out = []
        for article_id in sorted(self.drafts):
            counts = dict.fromkeys(REVIEW_STATES, 0)
            try:
                annotation, _raw = self._read(article_id)
                for claim in annotation.get("claims") or []:
                    state = claim.get("review") if isinstance(claim, dict) else None
                    state = state if state in REVIEW_STATES else "drafted"
                    counts[state] += 1
                problem = None
            except ReviewRefusal as exc:
                problem = exc.message
            out.append({"id": article_id, "counts": counts, "problem": problem})
        return out

    def _read(self, article_id: str) -> tuple[dict[str, Any], bytes]:
        """The annotation on disk (with every claim's effective review state) and its bytes."""
        path = self.folder(article_id) / "annotation.yaml"
        try:
            raw = read_bytes(path, MAX_YAML_BYTES)
            node = loads(raw.decode("utf-8"), path)
        except UnicodeDecodeError:
            raise ReviewRefusal(422, "annotation.yaml is not UTF-8") from None
        except KGError as exc:
            raise ReviewRefusal(422, f"annotation.yaml cannot be read: {exc.one_line()}") from None
        if not isinstance(node, Mapping):
            raise ReviewRefusal(422, "annotation.yaml is not a YAML mapping")
        annotation = _plain(node)
        default = self._default_state(annotation)
        for claim in annotation.get("claims") or []:
            if isinstance(claim, dict):
                claim.setdefault("review", default)
        return annotation, raw

    @staticmethod
    def _default_state(annotation: Mapping[str, Any]) -> str:
        provenance = annotation.get("provenance")
        has_reviewer = isinstance(provenance, Mapping) and provenance.get("reviewer")
        return "reviewed" if has_reviewer else "drafted"

    def article(self, article_id: str) -> dict[str, Any]:
        """What the page shows: text, sentences, the annotation, claim spans and the hash."""
        folder = self.folder(article_id)
        annotation, raw = self._read(article_id)
        try:
            text = read_text(folder / "article.txt")
            meta = _plain(load_yaml(folder / "meta.yaml"))
        except KGError as exc:
            raise ReviewRefusal(422, exc.one_line()) from None
        sentences = split_sentences(text)
        spans = [self._span(text, sentences, c.get("quote") if isinstance(c, Mapping) else None)
                 for c in annotation.get("claims") or []]
        return {"id": article_id, "text": text, "meta": meta if isinstance(meta, dict) else {},
                "sentences": [[s.begin, s.end] for s in sentences], "annotation": annotation,
                "spans": spans, "hash": content_hash(raw), "reviewer": self.reviewer}

    @staticmethod
    def _span(text: str, sentences: list[Any], quote: Any) -> dict[str, Any]:
        if not isinstance(quote, str):
            return {"error": "claim without a quote"}
        try:
            span = find_quote(text, quote)
            return {"begin": span.begin, "end": span.end,
                    "sentence": sentence_of(sentences, span)}
        except QuoteNotFound as exc:
            return {"error": str(exc)}

    def anchor(self, article_id: str, quote: Any) -> dict[str, Any]:
        """Where ``quote`` is in the article, as the compiler will find it (or why not)."""
        text = read_text(self.folder(article_id) / "article.txt")
        span = self._span(text, split_sentences(text), quote)
        if "error" in span:
            raise ReviewRefusal(400, f"quote: {span['error']}", {"key": "quote"})
        return span

    # ------------------------------------------------------------------ saving

    def save(self, article_id: str, base_hash: Any, sent: Any, reviewer: Any) -> dict[str, Any]:
        """Validate, then write ``annotation.yaml`` atomically; the new article payload."""
        folder = self.folder(article_id)
        if not isinstance(base_hash, str) or not re.fullmatch(r"[0-9a-f]{64}", base_hash):
            raise ReviewRefusal(400, "missing the hash of the file the page loaded")
        annotation = self._checked(article_id, sent)
        with self._locks[article_id]:
            original, raw = self._read(article_id)
            if content_hash(raw) != base_hash:
                raise ReviewRefusal(409, "annotation.yaml changed on disk since this page loaded "
                                         "it; nothing was saved and your edits are kept here")
            if annotation == original:  # nothing changed: nothing to write, no one to name
                return self.article(article_id)
            self._stamp_reviewer(annotation, reviewer)
            self._keep_implicit_states(annotation, original, raw)
            path = folder / "annotation.yaml"
            header = _header(raw.decode("utf-8"))
            text = read_text(folder / "article.txt")
            try:
                rendered = render_annotation(annotation, header=header, text=text)
            except AnnotationValueError as exc:
                raise ReviewRefusal(400, str(exc), _field_of(exc.where)) from None
            self._compile(folder, path, rendered)
            write_annotation(path, rendered)
        return self.article(article_id)

    def _checked(self, article_id: str, sent: Any) -> dict[str, Any]:
        if not isinstance(sent, dict):
            raise ReviewRefusal(400, "the annotation must be a JSON object")
        extra = sorted(set(sent) - set(TOP_KEYS))
        if extra:
            raise ReviewRefusal(400, f"unknown top-level key {extra[0]!r}",
                                {"section": extra[0], "index": None, "id": None, "key": None})
        try:
            _check_shape(sent, ())
        except AnnotationValueError as exc:
            raise ReviewRefusal(400, f"{'.'.join(map(str, exc.where))}: {exc}",
                                _field_of(exc.where)) from None
        annotation = {"article": article_id, **{k: v for k, v in sent.items() if k != "article"}}
        for section in SECTIONS:
            if section in annotation and not isinstance(annotation[section], list):
                raise ReviewRefusal(400, f"{section!r} must be a list",
                                    {"section": section, "index": None, "id": None, "key": None})
        for index, claim in enumerate(annotation.get("claims") or []):
            if not isinstance(claim, dict):
                raise ReviewRefusal(400, "each claim must be a mapping", _field_of(("claims", index)))
            where = {"section": "claims", "index": index, "id": claim.get("id")}
            state = claim.get("review", "drafted")
            if state not in REVIEW_STATES:
                raise ReviewRefusal(400, f"review: {state!r} is not one of "
                                         f"{', '.join(REVIEW_STATES)}", {**where, "key": "review"})
            confidence = claim.get("confidence")
            if confidence is not None and not _CONFIDENCE.fullmatch(str(confidence)):
                raise ReviewRefusal(400, f"confidence: {confidence!r} is not a number in [0, 1]",
                                    {**where, "key": "confidence"})
        provenance = annotation.get("provenance")
        if provenance is not None and not isinstance(provenance, dict):
            raise ReviewRefusal(400, "provenance must be a mapping",
                                {"section": "provenance", "index": None, "id": None, "key": None})
        return annotation

    def _stamp_reviewer(self, annotation: dict[str, Any], reviewer: Any) -> None:
        """The person saving a changed annotation with reviewed or rejected claims reviewed it."""
        if all(c.get("review", "drafted") == "drafted" for c in annotation.get("claims") or []):
            return
        name = reviewer if isinstance(reviewer, str) and reviewer.strip() else self.reviewer
        if not name or not name.strip():
            raise ReviewRefusal(400, "reviewer: give your name before saving reviewed or "
                                     "rejected claims", {"section": "reviewer", "index": None,
                                                         "id": None, "key": "reviewer"})
        provenance = dict(annotation.get("provenance") or {})
        provenance["reviewer"] = {"person": " ".join(name.split())}
        provenance["reviewedAt"] = self.clock()
        annotation["provenance"] = provenance

    def _keep_implicit_states(self, annotation: dict[str, Any], original: Mapping[str, Any],
                              raw: bytes) -> None:
        """Leave out ``review:`` where the file said nothing and the default still holds."""
        try:
            on_disk = loads(raw.decode("utf-8"), Path("annotation.yaml"))
        except KGError:
            return
        implicit = {c.get("id") for c in on_disk.get("claims") or []
                    if isinstance(c, Mapping) and "review" not in c and isinstance(c.get("id"), str)}
        default = self._default_state(annotation)
        if default != self._default_state(original):
            return
        for claim in annotation.get("claims") or []:
            ident = claim.get("id")
            if isinstance(ident, str) and ident in implicit and claim.get("review") == default:
                del claim["review"]

    def _compile(self, folder: Path, path: Path, rendered: str) -> None:
        """Compile the rendered annotation with data/, as ``kg build`` would; refuse on error."""
        try:
            node = loads(rendered, path)
            corpus = read_corpus(self.data_dir)
            meta = load_yaml(folder / "meta.yaml")
            if not isinstance(meta, Node):
                raise InputError("expected a YAML mapping at the top level",
                                 path=folder / "meta.yaml", line=1)
            edited = ArticleSource(folder.name, folder, read_text(folder / "article.txt"), meta,
                                   node)
            others = tuple(a for a in corpus.articles if a.article_id != folder.name)
            compile_graph(Corpus(corpus.entities_path, corpus.entities, (*others, edited)),
                          self.ontology)
        except KGError as exc:
            located = _locate(rendered, path, exc.line) if exc.path == str(path) else None
            named = _NAMED_KEY.search(exc.message)
            if located is not None and named:  # "claim needs 'about'": the key it names
                located["key"] = named.group(1)
            if located is None and exc.path not in (None, str(path)):
                message = exc.one_line()  # a problem in another file: name it
            else:
                message = getattr(exc, "message", str(exc))
            raise ReviewRefusal(400, message, located) from None


__all__ = ["REVIEW_STATES", "ReviewRefusal", "ReviewSession", "Vocabulary", "build_vocabulary",
           "content_hash", "find_drafts"]
