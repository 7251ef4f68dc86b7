"""The site as data: load the project, then render its generated pages.

Reads top to bottom like a build: categories -> records -> checks -> pages. No MkDocs
import: an adapter turns :class:`Site` pages into the engine's files.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from generator.categories import Category, Field, load_categories, load_common
from generator.config import Settings
from generator.errors import CongkhaiError, Problem
from generator.log import Log, RecordHistory, local_date, read_log
from generator.records import Record, load_records


@dataclass
class Site:
    """Everything the site is built from."""

    settings: Settings
    categories: dict[str, Category]
    common: dict[str, Field]
    records: list[Record]
    log: Log
    today: dt.date = field(default_factory=dt.date.today)

    def history(self, record: Record) -> RecordHistory | None:
        """What the publication log says about ``record`` (None: never published)."""
        return self.histories.get(record.key)

    @cached_property
    def histories(self) -> dict[str, RecordHistory]:
        """Every logged record's history, by ``<category>/<id>``."""
        return self.log.histories()

    def with_events(self, events: list[dict[str, Any]]) -> None:
        """Show ``events`` (about to be appended by a publish) as if already logged."""
        self.log = Log(self.log.path, self.log.events + events, self.log.lines + [0] * len(events))
        self.__dict__.pop("histories", None)

    @property
    def public_records(self) -> list[Record]:
        """Records that appear on the site (``visibility: public``)."""
        return [r for r in self.records if r.public]

    def records_in(self, category: Category) -> list[Record]:
        """Public records of a category, newest first (undated last)."""
        items = [r for r in self.public_records if r.category is category]
        return sorted(items, key=lambda r: (r.date or dt.date.min, r.id), reverse=True)

    def hotline(self) -> Record | None:
        """The current hotline: the newest public, not withdrawn, still valid record of a
        hotline category (``hotline: true``)."""
        candidates = [
            r
            for c in self.categories.values()
            if c.hotline
            for r in self.records_in(c)
            if not r.data.get("withdrawn")
            and (r.data.get("valid_until") is None or r.data["valid_until"] >= self.today)
            and (r.data.get("valid_from") is None or r.data["valid_from"] <= self.today)
        ]
        return candidates[0] if candidates else None

    def pages(self) -> dict[str, str]:
        """Generated Markdown pages: ``src path -> content`` (index page per category,
        one page per public record)."""
        from generator.render import Renderer

        return Renderer(self).pages()

    def feed_files(self) -> dict[str, bytes]:
        """Atom feeds and iCalendar files: ``site path -> bytes``."""
        from generator.feeds import feed_files

        return feed_files(self)

    def search_files(self) -> dict[str, bytes | str]:
        """The search page (``tim-kiem/index.md``) and its index files."""
        from generator.search import search_files

        return search_files(self)

    def expand_markers(self, markdown: str, here: str = "") -> str:
        """Fill the markers a hand-written page may hold (home block, field reference);
        ``here`` is the page's URL path, for relative links."""
        from generator.render import FIELDS_MARKER, HOME_MARKER, Renderer, field_reference

        if FIELDS_MARKER in markdown:
            markdown = markdown.replace(FIELDS_MARKER, field_reference(self.categories, self.common))
        if HOME_MARKER in markdown:
            markdown = markdown.replace(HOME_MARKER, Renderer(self).render_home(here))
        return markdown

    def static_files(self) -> dict[str, Path]:
        """Attachments of public records: ``site path -> file on disk``."""
        return {f"{r.url_path}{a.file}": a.path for r in self.public_records for a in r.attachments}


def load_site(settings: Settings, today: dt.date | None = None) -> Site:
    """Load categories and records; raise :class:`CongkhaiError` listing every problem."""
    categories = load_categories(settings.disclosures_dir, settings.root)
    common = load_common()
    if not settings.disclosures_dir.is_dir():
        raise CongkhaiError(f"không tìm thấy thư mục bản ghi {settings.disclosures_dir}")
    records, problems, broken = load_records(
        settings.disclosures_dir, settings.root, categories, common, settings.max_attachment_bytes
    )
    problems += privacy_problems(settings, records, today)
    log_relpath = _relpath(settings.log_path, settings.root)
    log = read_log(settings.log_path, log_relpath)
    problems += permanence_problems(records, log, log_relpath, settings.timezone, broken)
    if problems:
        raise CongkhaiError(problems)
    return Site(settings, categories, common, records, log, today or dt.date.today())


def privacy_problems(settings: Settings, records: list[Record], today: dt.date | None = None) -> list[Problem]:
    """The privacy guard over the public records and the hand-written pages (see
    :mod:`generator.privacy`)."""
    from generator.privacy import Guard, content_problems

    guard = Guard.for_records(settings, records, today)
    return guard.check(records) + content_problems(settings.docs_dir, settings.root, guard.allow, today)


def _relpath(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def permanence_problems(
    records: list[Record], log: Log, log_relpath: str, timezone: str, broken: set[str] = frozenset()
) -> list[Problem]:
    """A published record keeps its URL for ever: its file may not be deleted, its id
    not changed, and it may not become internal. Withdrawing is the way out. Records
    whose file exists but has errors (``broken``) are reported by those errors only."""
    by_key = {r.key: r for r in records}
    problems = []
    for key, history in log.histories().items():
        record = by_key.get(key)
        first = history.events[0]
        when = local_date(first["at"], timezone).strftime("%d/%m/%Y")
        how = (
            "không được xóa tệp hay đổi id/tên tệp của thông tin đã công bố; hãy khôi phục tệp (id: "
            f"{key.split('/', 1)[1]}) và thêm withdrawn: {{date: …, reason: …}} để thu hồi"
        )
        if record is None and key in broken:
            continue
        if record is None:
            problems.append(
                Problem(
                    log_relpath,
                    log.line_of(key),
                    "id",
                    f"'{key}' đã công bố ngày {when} tại {first['url']} nhưng không còn bản ghi; {how}",
                )
            )
        elif not record.public:
            problems.append(
                record.problem(
                    ("visibility",),
                    f"đã công bố ngày {when} tại {first['url']}; không thể chuyển sang internal, hãy thêm withdrawn: {{date: …, reason: …}} để thu hồi",
                )
            )
    return problems


def page_url(src: str) -> str:
    """URL path of a Markdown page with directory URLs: ``a/index.md`` -> ``a/``,
    ``a/b.md`` -> ``a/b/``, ``index.md`` -> ``""``."""
    stem = src.removesuffix(".md")
    if stem == "index" or stem.endswith("/index"):
        return stem.removesuffix("index")
    return stem + "/"


def render_to(site: Site, out: Path) -> list[Path]:
    """Write the hand-written pages and the generated pages into ``out`` (for any
    engine that reads a folder of Markdown)."""
    written: list[Path] = []
    docs = site.settings.docs_dir
    if docs.is_dir():
        shutil.copytree(docs, out, dirs_exist_ok=True)
        for page in sorted(out.rglob("*.md")):
            text = page.read_text(encoding="utf-8")
            rel = page.relative_to(out).as_posix()
            expanded = site.expand_markers(text, page_url(rel))
            if expanded != text:
                page.write_text(expanded, encoding="utf-8")
    for src, content in site.pages().items():
        target = out / src
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
        written.append(target)
    for dest, content in {**site.feed_files(), **site.search_files()}.items():
        target = out / dest
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        written.append(target)
    assets = Path(__file__).parent / "theme" / "assets"
    for source in sorted(assets.iterdir()):  # styles and scripts the generated pages use
        target = out / "assets" / source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        written.append(target)
    for dest, source in site.static_files().items():
        target = out / dest
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        written.append(target)
    return written
