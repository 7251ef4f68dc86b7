"""Site search as static files: a small index that a phone downloads only in part.

Everything is folded to unaccented lowercase ASCII (``Đường dây nóng`` -> ``duong day
nong``) and cut into syllables and numbers (``45/TB-BQLKKT`` -> ``45 tb bqlkkt``; leading
zeros dropped, so ``05`` is ``5``), so a query typed with or without diacritics finds the
same records. :func:`analyse` adds the tokens of months, years and quarters (``thang11``,
``nam2026``, ``quy3``), of codes (``bqlld01``) and of synonym groups (``~…``, from
:data:`SYNONYMS`); the client (``search.js``) analyses a query the same way, with those
tokens in place of the words they come from. Indexed per document: title, document number
and procedure code, summary, category title, kind title, year, tags, body and shown field
values (records); title, description and headings (category pages, the catalogue and log
pages, hand-written pages).

Files written under :data:`INDEX_DIR` (every name carries a hash of its content, so a
browser may cache them for ever and a new build never mixes with an old one):

- ``manifest.<hash>.json``: the shard keys and file hashes, the chunk hashes, the
  categories (slug, title, kind titles), the ranking weights, the synonym phrases and the
  title lengths (one letter a document);
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

import yaml

from generator.core import paths
from generator.core.errors import CongkhaiError
from generator.core.memo import memoized
from generator.core.values import fold, format_date
from generator.website import attachment_text
from generator.website.templating import render

if TYPE_CHECKING:
    from generator.records.record import Record
    from generator.website.site import Site

INDEX_DIR = paths.SEARCH_INDEX_DIR
"""Folder of the index files (relative to the site root)."""
SCRIPT = Path(__file__).parent / "theme" / paths.SEARCH_SCRIPT
"""The client, served as ``assets/search.js``."""

CHUNK = 25
"""Documents per display chunk."""
SHARD_BYTES = 6000
"""A shard bigger than this (raw JSON) is split by one more character of its key."""
SUMMARY_CHARS = 180
"""Summaries are cut to this many characters in the display data."""

# Field bits of a posting's mask, with their weights (sent in the manifest). TEXT is the
# body and the shown field values.
TITLE, NUMBER, SUMMARY, CATEGORY, KIND, YEAR, TAGS = (1 << i for i in range(7))
WITHDRAWN = 1 << 7
"""Set in every posting of a withdrawn record."""
TEXT = 1 << 8
ATTACHMENT = 1 << 9
"""An attachment's title or text (its number, from 1, in the bits from :data:`ATTACHMENT_SHIFT`)."""
ATTACHMENT_SHIFT = 10
MAX_ATTACHMENTS = (1 << 20) - 1
"""Attachments past this number of a record are indexed without their number."""
WEIGHTS = [10, 8, 2, 3, 4, 1, 1, 0, 1, 1]
RANKING = {
    "w": WEIGHTS,  # a term scores the weight of the best field it is in (times its idf),
    "rest": 0.1,  # plus this part of the weights of the other fields it is in
    "prefix": 0.6,  # a token matched only as a prefix of a longer one (last word typed)
    "typo": 0.5,  # a token one edit away from a word of 5 letters or more
    "typoMin": 5,  # the shortest word whose typos are forgiven
    "allTitle": 1.2,  # every query word is in the title (times the query's mean idf)
    "cover": 1.2,  # times the part of the title's words the query matched (short titles first)
    "withdrawn": 0.5,  # factor for withdrawn records
    "k1": 3,  # BM25's saturation of a word's field weight x: (k1 + 1) x / (k1 + x), so a title is not 10 bodies
    "idf": 1,  # weigh each query word by its rarity: ln(1 + (N - df + 0.5) / (df + 0.5)), BM25's idf
    "missing": 1,  # a result lacking query words scores times this power of the part of the idf it matched
}
STAFF_PAGES = ("huong-dan/",)
"""Folders of hand-written pages for the office's staff, never among citizens' results (a
page can also leave the search with Material's front matter ``search: {exclude: true}``)."""
SYNONYMS = Path(__file__).parent / "search_synonyms.yml"
"""Groups of phrases the search treats as one (data, shipped in the package)."""
GROUP = "~"
"""First character of a synonym group's token (never produced by typed text)."""

_CHUNK = re.compile(r"[a-z0-9]+(?:[/:.\-][a-z0-9]+)*")
_SEPARATOR = re.compile(r"[/:.\-]")
_PIECE = re.compile(r"[a-z]+|[0-9]+")
_HEADING = re.compile(r"^(#{1,3})\s+(.+?)\s*#*\s*$")
_MARKUP = re.compile(r"[*_`\[\]]|\]\([^)]*\)|\{[^}]*\}")
ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4"}
"""Quarters written in Roman numerals (quý III)."""


def _number(piece: str) -> str:
    return (piece.lstrip("0") or "0") if piece.isdigit() else piece


def _pieces(text: str) -> list[tuple[str, str]]:
    """``(token, role)`` of a text, in order. Role ``m``/``y``: the month and year of a
    date written ``d/m/yyyy`` or ``m/yyyy``; ``code``: a code such as ``BQL-LD-01``
    joined into one token (its parts follow as plain tokens); otherwise ``""``."""
    out: list[tuple[str, str]] = []
    for chunk in _CHUNK.findall(fold(text)):
        parts = _SEPARATOR.split(chunk)
        seps = set(_SEPARATOR.findall(chunk))
        if (
            seps == {"/"}
            and len(parts) in (2, 3)
            and all(p.isdigit() for p in parts)
            and len(parts[-1]) == 4
            and 1 <= int(parts[-2]) <= 12
            and (len(parts) == 2 or 1 <= int(parts[0]) <= 31)
        ):
            if len(parts) == 3:
                out.append((_number(parts[0]), ""))
            out += [(_number(parts[-2]), "m"), (parts[-1], "y")]
            continue
        if seps == {"-"} and re.search("[a-z]", chunk) and re.search("[0-9]", chunk):
            out.append((chunk.replace("-", ""), "code"))
        out += [(_number(p), "") for part in parts for p in _PIECE.findall(part)]
    return out


class Synonyms:
    """Phrase -> group token, from :data:`SYNONYMS` (or ``groups``)."""

    def __init__(self, groups: list[list[str]] | None = None):
        if groups is None:
            groups = yaml.safe_load(SYNONYMS.read_text(encoding="utf-8")) or []
        self.phrases: dict[str, str] = {}
        for group in groups:
            words = [" ".join(t for t, _ in _pieces(str(p))) for p in group]
            token = GROUP + words[0].replace(" ", "")
            for phrase in words:
                if phrase in self.phrases and self.phrases[phrase] != token:
                    raise CongkhaiError(f"{SYNONYMS.name}: '{phrase}' đứng trong hai nhóm từ đồng nghĩa")
                self.phrases[phrase] = token
        self.longest = max((p.count(" ") + 1 for p in self.phrases), default=0)
        self.first = {p.split(" ", 1)[0] for p in self.phrases}
        """First words of the phrases: a token not among them starts none."""

    def at(self, tokens: list[str], i: int) -> tuple[str, int] | None:
        """The group token and length of the longest phrase starting at ``tokens[i]``."""
        if tokens[i] not in self.first:
            return None
        for n in range(min(self.longest, len(tokens) - i), 0, -1):
            token = self.phrases.get(" ".join(tokens[i : i + n]))
            if token:
                return token, n
        return None


_DEFAULT_SYNONYMS: Synonyms | None = None


def default_synonyms() -> Synonyms:
    global _DEFAULT_SYNONYMS
    if _DEFAULT_SYNONYMS is None:
        _DEFAULT_SYNONYMS = Synonyms()
    return _DEFAULT_SYNONYMS


def analyse(text: str, synonyms: Synonyms | None = None, query: bool = False) -> list[str]:
    """The search tokens of a text, in order (``search.js`` does the same to a query).

    Folded syllables and numbers (no leading zeros); plus, for the index (``query=False``),
    the tokens that make months, years, quarters, codes and synonyms findable:
    ``tháng 11``, ``11/2026`` and ``16/11/2026`` give ``thang11`` (and ``nam2026``),
    ``năm 2026`` gives ``nam2026``, ``quý 3`` and ``quý III`` give ``quy3``, ``BQL-LD-01``
    gives ``bqlld01``, a phrase of a synonym group gives the group's token (``~…``). In a
    query (``query=True``) these tokens *replace* the words they come from, so "năm 2026"
    never matches "thứ Năm" and "tháng 11" never matches "11:00".
    """
    synonyms = synonyms or default_synonyms()
    items = _pieces(text)
    plain = [t if role == "" else "" for t, role in items]
    grouped: list[tuple[str, str]] = []
    i = 0
    while i < len(items):
        found = synonyms.at(plain, i) if plain[i] else None
        if found:
            token, n = found
            if not query:
                grouped += items[i : i + n]
            grouped.append((token, "group"))
            i += n
        else:
            grouped.append(items[i])
            i += 1
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(grouped):
        token, role = grouped[i]
        after = grouped[i + 1] if i + 1 < len(grouped) else ("", "-")
        if role in ("m", "y"):
            word = "thang" if role == "m" else "nam"
            if query:
                if out and out[-1] == (word, ""):
                    out.pop()
            else:
                out.append((token, ""))
            out.append((word + token, "c"))
            i += 1
            continue
        compound = None
        if role == "" and after[1] == "":
            nxt = after[0]
            if token == "thang" and nxt.isdigit() and 1 <= int(nxt) <= 12:
                compound = "thang" + nxt
            elif token == "nam" and nxt.isdigit() and len(nxt) == 4:
                compound = "nam" + nxt
            elif token in ("quy", "qui") and (nxt in ROMAN or nxt in ("1", "2", "3", "4")):
                compound = "quy" + ROMAN.get(nxt, nxt)
        if compound:
            if not query:
                out += [(token, ""), after]
            out.append((compound, "c"))
            i += 2
            continue
        out.append((token, role))
        i += 1
    return [t for t, _ in out]


def tokens(text: str) -> list[str]:
    """Folded syllables and numbers, in order; numbers without leading zeros."""
    return [t for t, role in _pieces(text) if role != "code"]


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
    attachments: list[tuple[str, str, str | None, list[str]]] = field(default_factory=list)
    """Per attachment: title, URL of the file, URL of its text page (or None), texts indexed."""

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
        if self.attachments:
            # [title, file name, 1 when it has a text page]: the client makes their URLs
            # (the record's URL + file; paths.attachment_text_page), fewer bytes a chunk
            out["a"] = [
                [title, url.rsplit("/", 1)[1]] + ([1] if text else []) for title, url, text, _ in self.attachments
            ]
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


_UNSHOWN_TOP = {"title", "summary", "tags", "kind", "visibility", "sample", "body", "attachments"}
"""Top-level keys whose values are indexed in their own fields, or never shown as text."""
_UNSHOWN = {"file", "minutes", "visibility", "sample"}
"""Keys never shown as text at any depth (file names, flags). Nested ``summary``,
``title`` and ``description`` fields (a minutes' cases, a notice's positions) are text."""


def _shown_values(value: Any, key: str = "", depth: int = 0) -> list[str]:
    """The texts of a record's shown field values (dates as dd/mm/yyyy), nested maps and
    lists included; private fields are already out of ``record.data``."""
    if key in _UNSHOWN or (depth == 1 and key in _UNSHOWN_TOP) or isinstance(value, bool) or value is None:
        return []
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in _shown_values(v, str(k), depth + 1)]
    if isinstance(value, list):
        return [t for v in value for t in _shown_values(v, key, depth)]
    if isinstance(value, dt.date):
        return [format_date(value)]
    text = str(value)
    return [] if text.startswith(("http://", "https://", "mailto:", "tel:")) else [text]


def record_doc(record: Record, category_index: int, texts: Path | None = None) -> Doc:
    """A public record as a search document; ``texts``: the cache folder of attachments'
    texts (:mod:`generator.website.attachment_text`), None to index their titles only."""
    category = record.category
    date = record.date
    number = record.document.get("number")
    kind_title = category.kind_label(record.kind)
    tags = record.data.get("tags") or []
    code = record.data.get("code")
    fields = {
        TITLE: [record.title],
        NUMBER: [str(v) for v in (number, code) if v],
        SUMMARY: [record.data.get("summary") or ""],
        CATEGORY: [category.title],
        KIND: [kind_title] if kind_title else [],
        YEAR: [f"năm {date.year}"] if date else [],
        TAGS: [str(t) for t in tags],
        TEXT: [_plain(record.body or ""), *_shown_values(record.data)],
    }
    attachments = []
    for a in record.attachments:
        indexed = [a.title]
        if texts is not None and (found := attachment_text.read(a.path, a.sha256, texts)) is not None:
            indexed.append(found.text)
        page = paths.attachment_text_page(record.url_path, a.file)
        attachments.append((a.title, record.url_path + a.file, page, indexed))
    return Doc(
        url=record.url_path,
        title=record.title,
        fields=fields,
        sort=(date or dt.date.min, record.key),
        category=category_index,
        kind=record.kind,
        number=number,
        date=format_date(shown) if (shown := record.document.get("date") or date) else None,
        summary=_short(record.data.get("summary")),
        withdrawn=bool(record.data.get("withdrawn")),
        attachments=attachments,
    )


def content_docs(docs_dir: Path) -> list[Doc]:
    """Hand-written pages: title (front matter ``title`` or the first ``#`` heading),
    ``description`` and the ``##``/``###`` headings."""
    out = []
    if not docs_dir.is_dir():
        return out
    for path in sorted(docs_dir.rglob("*.md")):
        rel = path.relative_to(docs_dir).as_posix()
        if any(part.startswith(("_", ".")) for part in rel.split("/")) or rel.startswith(STAFF_PAGES):
            continue
        text = path.read_text(encoding="utf-8")
        meta: dict[str, str] = {}
        if text.startswith("---\n"):
            head, _, rest = text[4:].partition("\n---\n")
            try:
                front = yaml.safe_load(head)
            except yaml.YAMLError:
                front = None
            front = front if isinstance(front, dict) else {}
            search_meta = front.get("search")
            if isinstance(search_meta, dict) and search_meta.get("exclude") is True:
                continue
            meta = {k: str(front[k]) for k in ("title", "description") if front.get(k) is not None}
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
    texts = attachment_text.cache_dir(site.settings.root)
    records = [record_doc(r, position[r.category.slug], texts) for r in site.public_records]
    records.sort(key=lambda d: d.sort, reverse=True)
    return docs + records


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


HASH_LETTERS = 10
"""Letters of a file's content hash in its name (the web server configurations cache
``.<10 letters>.json`` for ever)."""


def _hashed(stem: str, data: bytes) -> str:
    """``stem.<10 letters>.json``: the content's SHA-256 written in letters a–z, so that a
    file name never holds a run of digits the privacy guard would take for a phone or ID
    number (a hex prefix is all digits for about one file in a hundred)."""
    number = int.from_bytes(hashlib.sha256(data).digest()[:8], "big")
    letters = ""
    for _ in range(HASH_LETTERS):
        number, digit = divmod(number, 26)
        letters += chr(ord("a") + digit)
    return f"{stem}.{letters}.json"


@memoized  # a record's texts rarely change: kept between publishes (generator.core.memo)
def _index_tokens(text: str) -> str:
    """:func:`analyse` of an indexed text with the shipped synonyms, as one line of tokens
    (a token holds no space)."""
    return " ".join(analyse(text, default_synonyms()))


def postings(docs: list[Doc], synonyms: Synonyms | None = None) -> dict[str, list[int]]:
    """``token -> [doc delta, mask, doc delta, mask, ...]`` (doc ids ascending)."""
    synonyms = synonyms or default_synonyms()

    def tokens(text: str) -> list[str]:
        if synonyms is not default_synonyms():
            return analyse(text, synonyms)
        line = _index_tokens(text)
        return line.split(" ") if line else []

    masks: dict[str, dict[int, int]] = defaultdict(dict)
    analysed: dict[str, list[str]] = {}  # the same texts (category, kind, year…) recur in many docs
    for doc_id, doc in enumerate(docs):
        flag = WITHDRAWN if doc.withdrawn else 0
        for bit, texts in doc.fields.items():
            for text in texts:
                found = analysed.get(text)
                if found is None:
                    found = analysed[text] = tokens(text)
                for token in found:
                    masks[token][doc_id] = masks[token].get(doc_id, flag) | bit
        for number, (_, _, _, texts) in enumerate(doc.attachments, 1):
            mark = ATTACHMENT | (min(number, MAX_ATTACHMENTS) << ATTACHMENT_SHIFT)
            for text in texts:
                for token in set(tokens(text)):
                    mask = masks[token].get(doc_id, flag)
                    if mask & ~WITHDRAWN:
                        # in the record's own fields (no note to show) or in an earlier
                        # attachment (the one a result names): nothing more to say
                        continue
                    masks[token][doc_id] = mask | mark
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


def _title_length(title: str, synonyms: Synonyms) -> str:
    """The number of query terms of a title (1–25, more counted as 25), as one letter
    (``b`` = 1, ``z`` = 25): a string of letters, never a run of digits that the privacy
    guard would take for a phone or ID number."""
    return chr(ord("a") + min(len(set(analyse(title, synonyms, query=True))), 25))


def build_index(site: Site) -> SearchIndex:
    """The search index files of ``site``."""
    docs = collect_docs(site)
    result = SearchIndex(docs=docs)
    synonyms = default_synonyms()
    index = postings(docs, synonyms)
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
        "v": 2,
        "n": len(docs),
        "chunk": CHUNK,
        "r": RANKING,
        "y": synonyms.phrases,
        "l": "".join(_title_length(d.title, synonyms) for d in docs),
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
