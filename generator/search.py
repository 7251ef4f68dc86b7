"""Site search as static files: a small index that a phone downloads only in part.

Everything is folded to unaccented lowercase ASCII (``Đường dây nóng`` -> ``duong day
nong``) and cut into syllables and numbers (``45/TB-BQLKKT`` -> ``45 tb bqlkkt``, ``5/2026``
-> ``5 2026``; leading zeros dropped, so ``05`` is ``5``), so a query typed with or without
diacritics finds the same records. Indexed per document: title, document number, summary,
category title, kind title, year and tags (records); title, description and headings
(category pages, the catalogue and log pages, hand-written pages).

Files written under :data:`INDEX_DIR` (every name carries a hash of its content, so a
browser may cache them for ever and a new build never mixes with an old one):

- ``manifest.<hash>.json``: the shard keys and file hashes, the chunk hashes, the
  categories (slug, title, kind titles) and the ranking weights;
- ``t-<key>.<hash>.json``: the postings of every token whose longest shard-key prefix is
  ``<key>`` (``t-_`` for the empty key): ``{token: [doc delta, field mask, doc delta,
  field mask, ...]}``; shards are split by one more character until each is small
  (:data:`SHARD_BYTES`), so a query downloads only the shards of its own tokens;
- ``d-<n>.<hash>.json``: display data of documents ``n*CHUNK .. n*CHUNK+CHUNK-1`` (URL,
  title, category, kind, number, date, summary, withdrawn), fetched only for the results
  shown.

Document ids are assigned pages first (categories, catalogue, log, hand-written pages),
then records newest first, so that "newest first" is "lowest id first" and the top
results of a query usually sit in the first chunk.

Internal records are never indexed. Withdrawn records stay findable (their pages stay
online with a banner): their postings carry :data:`WITHDRAWN` and they rank below an
equally relevant record in force; the result says "Đã thu hồi".

No MkDocs import: :func:`search_files` returns ``site path -> content`` for any engine.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator import paths
from generator.errors import CongkhaiError
from generator.templating import render
from generator.values import fold, format_date

if TYPE_CHECKING:
    from generator.records import Record
    from generator.site import Site

INDEX_DIR = paths.SEARCH_INDEX_DIR
"""Folder of the index files (relative to the site root)."""
SCRIPT = Path(__file__).parent / "theme" / paths.SEARCH_SCRIPT
"""The client, served as ``assets/search.js``."""

CHUNK = 50
"""Documents per display chunk."""
SHARD_BYTES = 6000
"""A shard bigger than this (raw JSON) is split by one more character of its key."""
SUMMARY_CHARS = 180
"""Summaries are cut to this many characters in the display data."""

# Field bits of a posting's mask, with their weights (sent in the manifest).
TITLE, NUMBER, SUMMARY, CATEGORY, KIND, YEAR, TAGS = (1 << i for i in range(7))
WEIGHTS = [10, 8, 2, 3, 4, 1, 1]
WITHDRAWN = 1 << 7
"""Set in every posting of a withdrawn record."""
RANKING = {
    "w": WEIGHTS,
    "prefix": 0.6,  # a token matched only as a prefix of a longer one (last word typed)
    "allTitle": 6,  # every query word is in the title
    "withdrawn": 0.5,  # factor for withdrawn records
}

_TOKEN = re.compile(r"[a-z0-9]+")
_HEADING = re.compile(r"^(#{1,3})\s+(.+?)\s*#*\s*$")
_MARKUP = re.compile(r"[*_`\[\]]|\]\([^)]*\)|\{[^}]*\}")


def tokens(text: str) -> list[str]:
    """Folded syllables and numbers, in order; numbers without leading zeros."""
    out = []
    for token in _TOKEN.findall(fold(text)):
        if token.isdigit():
            token = token.lstrip("0") or "0"
        out.append(token)
    return out


@dataclass
class Doc:
    """One searchable page: what is indexed (``fields``) and what a result shows."""

    url: str
    title: str
    fields: dict[int, list[str]]
    sort: tuple[Any, ...] = ()
    category: int | None = None
    kind: str | None = None
    number: str | None = None
    date: str | None = None
    summary: str | None = None
    label: str | None = None
    withdrawn: bool = False

    def display(self) -> dict[str, Any]:
        out: dict[str, Any] = {"u": self.url, "t": self.title}
        for key, value in (
            ("c", self.category),
            ("k", self.kind),
            ("n", self.number),
            ("d", self.date),
            ("s", self.summary),
            ("p", self.label),
        ):
            if value is not None and value != "":
                out[key] = value
        if self.withdrawn:
            out["x"] = 1
        return out


@dataclass
class SearchIndex:
    """The index files (``site path -> bytes``) and the manifest's path."""

    files: dict[str, bytes] = field(default_factory=dict)
    manifest: str = ""
    docs: list[Doc] = field(default_factory=list)


def _short(text: str | None) -> str | None:
    if not text:
        return None
    text = " ".join(text.split())
    if len(text) <= SUMMARY_CHARS:
        return text
    return text[:SUMMARY_CHARS].rsplit(" ", 1)[0] + "…"


def _plain(markdown: str) -> str:
    return _MARKUP.sub("", markdown).strip()


def record_doc(record: Record, category_index: int) -> Doc:
    """A public record as a search document."""
    category = record.category
    date = record.date
    number = record.document.get("number")
    kind_title = category.kind_label(record.kind)
    tags = record.data.get("tags") or []
    fields = {
        TITLE: [record.title],
        NUMBER: [number] if number else [],
        SUMMARY: [record.data.get("summary") or ""],
        CATEGORY: [category.title],
        KIND: [kind_title] if kind_title else [],
        YEAR: [str(date.year)] if date else [],
        TAGS: [str(t) for t in tags],
    }
    return Doc(
        url=record.url_path,
        title=record.title,
        fields=fields,
        sort=(date or dt.date.min, record.key),
        category=category_index,
        kind=record.kind,
        number=number,
        date=format_date(date) if date else None,
        summary=_short(record.data.get("summary")),
        withdrawn=bool(record.data.get("withdrawn")),
    )


def content_docs(docs_dir: Path) -> list[Doc]:
    """Hand-written pages: title (front matter ``title`` or the first ``#`` heading),
    ``description`` and the ``##``/``###`` headings."""
    out = []
    if not docs_dir.is_dir():
        return out
    for path in sorted(docs_dir.rglob("*.md")):
        rel = path.relative_to(docs_dir).as_posix()
        if any(part.startswith(("_", ".")) for part in rel.split("/")):
            continue
        text = path.read_text(encoding="utf-8")
        meta: dict[str, str] = {}
        if text.startswith("---\n"):
            head, _, rest = text[4:].partition("\n---\n")
            for line in head.splitlines():
                key, sep, value = line.partition(":")
                if sep and key.strip() in ("title", "description"):
                    meta[key.strip()] = value.strip().strip("\"'")
            text = rest
        title, headings = meta.get("title"), []
        for line in text.splitlines():
            match = _HEADING.match(line)
            if not match:
                continue
            if len(match.group(1)) == 1 and title is None:
                title = _plain(match.group(2))
            elif len(match.group(1)) > 1:
                headings.append(_plain(match.group(2)))
        stem = rel.removesuffix(".md")
        url = paths.page_url(rel)
        title = title or stem.rsplit("/", 1)[-1].replace("-", " ").capitalize()
        out.append(
            Doc(
                url=url,
                title=title,
                fields={TITLE: [title], SUMMARY: [meta.get("description", ""), *headings]},
                summary=_short(meta.get("description")),
                label="Trang",
            )
        )
    return out


def collect_docs(site: Site) -> list[Doc]:
    """Every searchable document, in id order (pages, then records newest first)."""
    categories = list(site.categories.values())
    docs = [
        Doc(
            url=paths.category_page(c.slug),
            title=c.title,
            fields={TITLE: [c.title], SUMMARY: [c.description, *c.kinds.values()]},
            summary=_short(c.description),
            label="Chuyên mục",
        )
        for c in categories
    ]
    docs.append(
        Doc(
            url=paths.CATALOGUE_PAGE,
            title="Danh mục thông tin phải được công khai",
            fields={TITLE: ["Danh mục thông tin phải được công khai"], SUMMARY: ["Luật Tiếp cận thông tin"]},
            summary="Tên, số, ngày văn bản, thời điểm công khai và đường dẫn của mọi thông tin đã công khai.",
            label="Trang",
        )
    )
    docs.append(
        Doc(
            url=paths.LOG_PAGE,
            title="Nhật ký công khai",
            fields={TITLE: ["Nhật ký công khai"], SUMMARY: ["publication log"]},
            summary="Thời điểm đăng, cập nhật, thu hồi từng thông tin; tải về tệp nhật ký.",
            label="Trang",
        )
    )
    taken = {d.url for d in docs} | {paths.SEARCH_PAGE}
    docs += [d for d in content_docs(site.settings.docs_dir) if d.url not in taken]
    position = {c.slug: i for i, c in enumerate(categories)}
    records = [record_doc(r, position[r.category.slug]) for r in site.public_records]
    records.sort(key=lambda d: d.sort, reverse=True)
    return docs + records


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _hashed(stem: str, data: bytes) -> str:
    return f"{stem}.{hashlib.sha256(data).hexdigest()[:10]}.json"


def postings(docs: list[Doc]) -> dict[str, list[int]]:
    """``token -> [doc delta, mask, doc delta, mask, ...]`` (doc ids ascending)."""
    masks: dict[str, dict[int, int]] = defaultdict(dict)
    for doc_id, doc in enumerate(docs):
        flag = WITHDRAWN if doc.withdrawn else 0
        for bit, texts in doc.fields.items():
            for text in texts:
                for token in tokens(text):
                    masks[token][doc_id] = masks[token].get(doc_id, flag) | bit
    out = {}
    for token, by_doc in masks.items():
        flat, last = [], 0
        for doc_id in sorted(by_doc):
            flat += [doc_id - last, by_doc[doc_id]]
            last = doc_id
        out[token] = flat
    return out


def shard_keys(index: dict[str, list[int]], limit: int = SHARD_BYTES) -> dict[str, list[str]]:
    """Split the tokens into shards by prefix: ``key -> tokens``.

    A shard too big is split by one more character; the tokens equal to its key stay in
    it. The shard of a token is therefore the one with the longest key that is a
    prefix of the token.
    """
    size = {t: len(t) + 4 + len(_json(p)) for t, p in index.items()}
    out: dict[str, list[str]] = {}

    def split(key: str, group: list[str]) -> None:
        longer = [t for t in group if len(t) > len(key)]
        if sum(size[t] for t in group) <= limit or not longer:
            out[key] = sorted(group)
            return
        here = [t for t in group if len(t) == len(key)]
        if here:
            out[key] = here
        children: dict[str, list[str]] = defaultdict(list)
        for t in longer:
            children[t[: len(key) + 1]].append(t)
        for child, members in sorted(children.items()):
            split(child, members)

    split("", sorted(index))
    return out


def shard_of(token: str, keys: Any) -> str:
    """The key of the shard holding ``token`` (the longest key that prefixes it)."""
    return max((k for k in keys if token.startswith(k)), key=len)


def build_index(site: Site) -> SearchIndex:
    """The search index files of ``site``."""
    docs = collect_docs(site)
    result = SearchIndex(docs=docs)
    index = postings(docs)
    shards = {}
    for key, members in shard_keys(index).items():
        data = _json({t: index[t] for t in members})
        name = _hashed(f"t-{key or '_'}", data)
        result.files[INDEX_DIR + name] = data
        shards[key] = name.split(".")[1]
    chunks = []
    for n, start in enumerate(range(0, len(docs), CHUNK)):
        data = _json([d.display() for d in docs[start : start + CHUNK]])
        name = _hashed(f"d-{n}", data)
        result.files[INDEX_DIR + name] = data
        chunks.append(name.split(".")[1])
    manifest = {
        "v": 1,
        "n": len(docs),
        "chunk": CHUNK,
        "r": RANKING,
        "c": [[c.slug, c.title, c.kinds] for c in site.categories.values()],
        "s": shards,
        "d": chunks,
    }
    data = _json(manifest)
    result.manifest = INDEX_DIR + _hashed("manifest", data)
    result.files[result.manifest] = data
    return result


def script_version() -> str:
    """The search script's cache-busting version; a missing script is a broken install."""
    if not SCRIPT.is_file():
        raise CongkhaiError(f"thiếu tệp {SCRIPT} của congkhai: bản cài đặt bị hỏng, hãy cài lại congkhai")
    return hashlib.sha256(SCRIPT.read_bytes()).hexdigest()[:10]


def search_page(site: Site, manifest: str) -> str:
    """The search results page (Markdown with HTML blocks). Without JavaScript it says so
    and links to every category and the catalogue."""
    here = paths.SEARCH_PAGE
    return render(
        "search.md.j2",
        here=here,
        root="../" * here.count("/"),
        manifest=manifest,
        categories=list(site.categories.values()),
        script_version=script_version(),
    )


def search_files(site: Site) -> dict[str, bytes | str]:
    """Every file the search adds to the site: the page (``tim-kiem/index.md``) and the
    index files."""
    index = build_index(site)
    return {paths.page_source(paths.SEARCH_PAGE): search_page(site, index.manifest), **index.files}
