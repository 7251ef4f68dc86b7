"""Where things are on the built site: the one home of every site path.

Every path here is relative to the site root, uses ``/`` and, for a page, ends with ``/``
(MkDocs' directory URLs: the page ``a/b/`` is the file ``a/b/index.html``). Code and
templates take their paths from here (templates get this module as ``paths``), so a page
that links to the log, the catalogue or a feed links to where that output is written.
"""

from __future__ import annotations

import functools
import posixpath
from pathlib import Path

LOG_PAGE = "nhat-ky-cong-khai/"
"""The publication log as a page, with its downloads."""
LOG_JSONL = f"{LOG_PAGE}publication-log.jsonl"
"""The log file as served: the same bytes as the repository's log."""
LOG_CSV = f"{LOG_PAGE}publication-log.csv"
"""The log as CSV (UTF-8 with BOM) for spreadsheets."""
EVIDENCE_FACTS = f"{LOG_PAGE}minh-chung.json"
"""For the inspectorate's witness: each logged record's kind, attachment kinds and the dates
its deadlines run from (:mod:`generator.website.evidence_facts`)."""
CHECKPOINT = f"{LOG_PAGE}checkpoint"
"""The latest checkpoint of the log (C2SP tlog-checkpoint, signed when the office has a key)."""
CHECKPOINTS_DIR = f"{LOG_PAGE}checkpoints/"
"""Every checkpoint (``<size>``) and every RFC 3161 token (``<size>.<tsa>.tsr``)."""
VERIFIER_KEY = f"{LOG_PAGE}khoa-xac-minh.txt"
"""The office's verifier key (C2SP note vkey, one line): what an auditor checks the
signatures of the checkpoints with."""
CATALOGUE_PAGE = "danh-muc-thong-tin/"
"""The access-to-information catalogue (Luật Tiếp cận thông tin 2016 Điều 19)."""
CATALOGUE_DATA = f"{CATALOGUE_PAGE}dcat.json"
"""The catalogue as data: DCAT-AP-style JSON-LD (:mod:`generator.website.opendata`)."""
RECORD_DATA = "du-lieu.json"
"""Name of a record's data file, beside its page (:func:`record_data`)."""
SEARCH_PAGE = "tim-kiem/"
"""The search results page."""
SEARCH_INDEX_DIR = f"{SEARCH_PAGE}chi-muc/"
"""Folder of the search index files."""
ASSETS_DIR = "assets/"
"""congkhai's own styles and scripts (from ``generator/website/theme/assets``)."""
CSS = f"{ASSETS_DIR}congkhai.css"
SCRIPT = f"{ASSETS_DIR}congkhai.js"
SEARCH_SCRIPT = f"{ASSETS_DIR}search.js"
MD_BASE_SCRIPT = f"{ASSETS_DIR}ck-md-base.js"
MD_CONTENT_SCRIPT = f"{ASSETS_DIR}ck-md-content.js"
"""The theme's two small inline scripts, as files (the Content-Security-Policy allows no
inline script)."""
LOG_FILTER_SCRIPT = f"{ASSETS_DIR}ck-log-filter.js"
"""The filters of the log page."""
SITE_FEED = "atom.xml"
"""Name of an Atom feed (site root, and in each category folder)."""
CALENDAR = "lich.ics"
"""Name of a category's iCalendar file of reception sessions."""


def category_page(slug: str, year: int | None = None, kind: str | None = None) -> str:
    """A category's index (``<slug>/``) or one of its filter pages: ``<slug>/<year>/``,
    ``<slug>/loai-<kind>/``, ``<slug>/<year>/loai-<kind>/``."""
    return f"{slug}/" + (f"{year}/" if year else "") + (f"loai-{kind}/" if kind else "")


def record_page(category: str, record_id: str) -> str:
    """A record's permanent page: ``<category>/<id>/``."""
    return f"{category}/{record_id}/"


def record_data(record_url: str) -> str:
    """A record's data as JSON, beside its page: ``<category>/<id>/du-lieu.json``."""
    return f"{record_url}{RECORD_DATA}"


def log_archive_page(first_seq: int) -> str:
    """A fixed block of the log from event ``first_seq`` on: ``nhat-ky-cong-khai/tu-<seq>/``."""
    return f"{LOG_PAGE}tu-{first_seq}/"


def catalogue_year_page(year: int) -> str:
    return f"{CATALOGUE_PAGE}{year}/"


def checkpoint_file(size: int) -> str:
    return f"{CHECKPOINTS_DIR}{size}"


def token_file(size: int, tsa: str) -> str:
    """The RFC 3161 token of TSA ``tsa`` over the checkpoint of ``size`` events."""
    return f"{CHECKPOINTS_DIR}{size}.{tsa}.tsr"


def proof_file(record_url: str, seq: int) -> str:
    """The C2SP tlog-proof of event ``seq``, beside the record's page."""
    return f"{record_url}proof-{seq}.tlog-proof"


TEXT_SUFFIXES = (".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff")
"""Attachments whose text congkhai reads (PDF text layers, OCR of scans and images)."""


def attachment_text_page(record_url: str, file: str) -> str | None:
    """The accessible text version of attachment ``file``, beside the record's page:
    ``<record>/noi-dung-<file, dots as dashes>/``; None for a file whose text is not read."""
    if not file.lower().endswith(TEXT_SUFFIXES):
        return None
    return f"{record_url}noi-dung-{file.replace('.', '-')}/"


def feed(category: str | None = None) -> str:
    """The site-wide Atom feed, or one category's."""
    return f"{category}/{SITE_FEED}" if category else SITE_FEED


def calendar(category: str) -> str:
    """A category's iCalendar file."""
    return f"{category}/{CALENDAR}"


def page_source(url: str) -> str:
    """The Markdown source path of the page at ``url``: ``a/`` -> ``a/index.md``."""
    return f"{url}index.md"


def page_url(src: str) -> str:
    """URL path of a Markdown page with directory URLs: ``a/index.md`` -> ``a/``,
    ``a/b.md`` -> ``a/b/``, ``index.md`` -> ``""``."""
    stem = src.removesuffix(".md")
    if stem == "index" or stem.endswith("/index"):
        return stem.removesuffix("index")
    return stem + "/"


@functools.lru_cache(maxsize=4096)  # a site asks for the same few links from every page (bounded: memory)
def relative_url(from_dir: str, to_path: str) -> str:
    """Relative link from a page served at ``from_dir`` (``a/b/``) to ``to_path``, so that
    the pages work under any ``site_url``."""
    rel = posixpath.relpath("/" + to_path, "/" + from_dir)
    if to_path.endswith("/") and not rel.endswith("/"):
        rel += "/"
    return "./" if rel in (".", "./") else rel


def relpath(path: Path, root: Path) -> str:
    """``path`` as the user knows it: relative to the project when inside it."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
