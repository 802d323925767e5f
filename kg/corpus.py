"""Reading ``data/``: the entity registry and one folder per article (I/O at the edge).

Layout::

    data/entities.yaml                       shared actors, places, offices (stable ids)
    data/articles/<id>/article.txt           the exact text, UTF-8, byte for byte
    data/articles/<id>/meta.yaml             language, publication date, unknowns...
    data/articles/<id>/annotation.yaml       entities, things and claims quoting the text
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.errors import InputError
from kg.rdfio import read_bytes
from kg.yamlsafe import Node, load_yaml

MAX_ARTICLE_BYTES = 1_000_000


@dataclass(frozen=True)
class ArticleSource:
    """One article folder, read but not yet interpreted."""

    article_id: str
    folder: Path
    text: str
    meta: Node
    annotation: Node

    @property
    def meta_path(self) -> Path:
        return self.folder / "meta.yaml"

    @property
    def annotation_path(self) -> Path:
        return self.folder / "annotation.yaml"


@dataclass(frozen=True)
class Corpus:
    entities_path: Path
    entities: Node
    articles: tuple[ArticleSource, ...]


def _expect_mapping(value: Any, path: Path) -> Node:
    if not isinstance(value, Node):
        raise InputError("expected a YAML mapping at the top level", path=path, line=1)
    return value


def read_text(path: Path) -> str:
    """The article text, exactly as stored (UTF-8, no newline translation)."""
    raw = read_bytes(path, MAX_ARTICLE_BYTES)  # regular files only: a FIFO must not hang
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"article text is not UTF-8 (byte {exc.start})", path=path) from None


def read_article(folder: Path) -> ArticleSource:
    text = read_text(folder / "article.txt")
    meta = _expect_mapping(load_yaml(folder / "meta.yaml"), folder / "meta.yaml")
    annotation = _expect_mapping(load_yaml(folder / "annotation.yaml"),
                                 folder / "annotation.yaml")
    for node, path, key in ((meta, folder / "meta.yaml", "id"),
                            (annotation, folder / "annotation.yaml", "article")):
        if node.get(key) != folder.name:
            raise InputError(f"{key!r} must be the folder name {folder.name!r}, "
                             f"found {node.get(key)!r}", path=path, line=node.line_of(key))
    return ArticleSource(folder.name, folder, text, meta, annotation)


def read_corpus(data_dir: Path, extra_articles: tuple[Path, ...] = ()) -> Corpus:
    """Read the registry and every article folder under ``data_dir/articles`` (sorted)."""
    if not data_dir.is_dir():
        raise InputError("data directory not found", path=data_dir)
    entities_path = data_dir / "entities.yaml"
    entities = _expect_mapping(load_yaml(entities_path), entities_path)
    articles_dir = data_dir / "articles"
    folders = sorted(p for p in articles_dir.iterdir() if p.is_dir()) if articles_dir.is_dir() else []
    folders += list(extra_articles)
    if not folders:
        raise InputError("no article folders found", path=articles_dir)
    return Corpus(entities_path, entities, tuple(read_article(f) for f in folders))
