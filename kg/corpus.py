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
    #: built into its own named graph dkr:graph/draft/<id> (``kg build --drafts``)
    draft: bool = False

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


def read_article(folder: Path, draft: bool = False) -> ArticleSource:
    text = read_text(folder / "article.txt")
    meta = _expect_mapping(load_yaml(folder / "meta.yaml"), folder / "meta.yaml")
    annotation = _expect_mapping(load_yaml(folder / "annotation.yaml"),
                                 folder / "annotation.yaml")
    for node, path, key in ((meta, folder / "meta.yaml", "id"),
                            (annotation, folder / "annotation.yaml", "article")):
        if node.get(key) != folder.name:
            raise InputError(f"{key!r} must be the folder name {folder.name!r}, "
                             f"found {node.get(key)!r}", path=path, line=node.line_of(key))
    return ArticleSource(folder.name, folder, text, meta, annotation, draft)


def draft_folders(paths: tuple[Path, ...]) -> list[Path]:
    """The draft article folders named by ``kg build --drafts``: each path is an article
    folder (it holds annotation.yaml, as ``kg extract -o`` writes it) or a folder of them."""
    folders: list[Path] = []
    for path in paths:
        if not path.is_dir():
            raise InputError("draft folder not found", path=path)
        if (path / "annotation.yaml").is_file():
            folders.append(path)
            continue
        found = sorted(p for p in path.iterdir() if (p / "annotation.yaml").is_file())
        if not found:
            raise InputError("no draft article here (a folder with annotation.yaml, or a folder "
                             "of them)", path=path)
        folders += found
    return folders


def read_corpus(data_dir: Path, extra_articles: tuple[Path, ...] = (),
                drafts: tuple[Path, ...] = ()) -> Corpus:
    """Read the registry and every article folder under ``data_dir/articles`` (sorted), then
    ``extra_articles`` (as if under data/) and the ``drafts`` (see :func:`draft_folders`)."""
    if not data_dir.is_dir():
        raise InputError("data directory not found", path=data_dir)
    entities_path = data_dir / "entities.yaml"
    entities = _expect_mapping(load_yaml(entities_path), entities_path)
    articles_dir = data_dir / "articles"
    folders = sorted(p for p in articles_dir.iterdir() if p.is_dir()) if articles_dir.is_dir() else []
    folders += list(extra_articles)
    if not folders:
        raise InputError("no article folders found", path=articles_dir)
    sources = [(f, False) for f in folders] + [(f, True) for f in draft_folders(drafts)]
    seen: dict[str, Path] = {}
    for folder, _draft in sources:
        if folder.name in seen:
            raise InputError(f"article {folder.name!r} is given twice (also {seen[folder.name]})",
                             path=folder)
        seen[folder.name] = folder
    return Corpus(entities_path, entities,
                  tuple(read_article(f, draft) for f, draft in sources))
