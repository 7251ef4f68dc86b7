"""MkDocs plugin ``congkhai``: the thin adapter between the core and MkDocs.

It loads the records when the build starts, adds the generated pages and attachments
as virtual files, builds a small navigation (home, one entry per category, hand-written
pages; never one entry per record), puts our theme overrides in front of Material's,
and gives templates the current hotline. It reads the publication log but never writes
it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files, InclusionLevel

from generator.config import MAX_ATTACHMENT_MB, Settings
from generator.errors import CongkhaiError
from generator.faults import checkpoint
from generator.feeds import feed_path
from generator.log import log_csv, serialise
from generator.records import slugify
from generator.render import CATALOGUE_PAGE, FIELDS_MARKER, HOME_MARKER, LOG_PAGE, tel_link
from generator.search import SEARCH_PAGE
from generator.site import Site, load_site

log = logging.getLogger("mkdocs.plugins.congkhai")


def toc_slugify(value: str, separator: str) -> str:
    """Heading anchors for Python-Markdown's toc: unaccented, ``đ`` -> ``d``."""
    return slugify(value).replace("-", separator)


THEME_DIR = Path(__file__).parent / "theme"
CSS_URI = "assets/congkhai.css"
JS_URI = "assets/congkhai.js"


class CongkhaiConfig(base.Config):
    """Options of the ``congkhai`` plugin in ``mkdocs.yml``."""

    disclosures_dir = c.Type(str, default="disclosures")
    """Folder of the records, relative to ``mkdocs.yml``."""
    log = c.Type(str, default="publication-log.jsonl")
    """The publication log, relative to ``mkdocs.yml``."""
    agency = c.Type(str, default="")
    """The agency's full name, shown in the footer and used in reports."""
    nav = c.Type(bool, default=True)
    """Build the navigation (home, categories, other pages) when ``nav`` is not set."""
    privacy_allow = c.ListOfItems(c.Type((str, int)), default=[])
    """The office's own phone numbers and e-mails that may appear on the site (in quotes)."""
    max_attachment_mb = c.Type(int, default=MAX_ATTACHMENT_MB)
    """Largest attachment accepted, in megabytes."""


class ProblemsError(PluginError):
    """Records have problems: carries them so that the command line can print them."""

    def __init__(self, error: CongkhaiError):
        self.problems = error.problems
        super().__init__(str(error))


def settings_from(config: MkDocsConfig, options: CongkhaiConfig) -> Settings:
    """Core settings from a loaded MkDocs configuration."""
    root = Path(config.config_file_path).resolve().parent
    return Settings(
        root=root,
        disclosures_dir=root / options.disclosures_dir,
        docs_dir=Path(config.docs_dir),
        log_path=root / options.log,
        site_url=config.site_url or "",
        site_name=config.site_name,
        agency=options.agency or config.site_name,
        privacy_allow=tuple(_allow_entry(v) for v in options.privacy_allow),
        max_attachment_bytes=options.max_attachment_mb * 1024 * 1024,
    )


def _allow_entry(value: str | int) -> str:
    """A number written without quotes lost its leading zero in YAML: put it back."""
    if isinstance(value, int):
        text = str(value)
        return text if text.startswith("84") else "0" + text
    return value


class CongkhaiPlugin(BasePlugin[CongkhaiConfig]):
    """Wires the core into MkDocs events."""

    site: Site | None = None
    pending_events: list[dict[str, Any]] | None = None
    """Events a ``congkhai publish`` is about to append: pages show them as logged."""
    error: ProblemsError | None = None
    """The problems that stopped the last build, for the command line to print."""

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        if not config.use_directory_urls:
            raise PluginError("congkhai: use_directory_urls phải là true (đường dẫn /chuyen-muc/ma/ là vĩnh viễn)")
        self.settings = settings_from(config, self.config)
        self.error = None
        try:
            self.site = load_site(self.settings)
        except CongkhaiError as exc:
            self.error = ProblemsError(exc)
            raise self.error from None
        if self.pending_events:
            self.site.with_events(self.pending_events)
        config.theme.dirs.insert(0, str(THEME_DIR))
        if CSS_URI not in config.extra_css:
            config.extra_css.append(CSS_URI)
        if JS_URI not in [str(script) for script in config.extra_javascript]:
            config.extra_javascript.append(JS_URI)
        # the footer speaks Vietnamese: the agency's name, not the theme's English credit line
        config.extra.setdefault("generator", False)
        if not config.copyright:
            config.copyright = self.settings.agency
        # heading anchors keep Vietnamese letters readable: "Đường dây nóng" -> #duong-day-nong
        config.mdx_configs.setdefault("toc", {}).setdefault("slugify", toc_slugify)
        if config.nav is None and self.config.nav:
            config.nav = self._nav(Path(config.docs_dir))
        if config.not_in_nav is None:  # record pages are reached from their category index
            patterns = "\n".join(f"/{slug}/**" for slug in self.site.categories)
            config.not_in_nav = c.PathSpec().run_validation(patterns)
        return config

    def _nav(self, docs_dir: Path) -> list[Any]:
        assert self.site is not None
        nav: list[Any] = []
        if (docs_dir / "index.md").is_file():
            nav.append({"Trang chủ": "index.md"})
        nav += [{c.title: f"{slug}/index.md"} for slug, c in self.site.categories.items()]
        nav += [{"Danh mục thông tin": f"{CATALOGUE_PAGE}index.md"}, {"Nhật ký công khai": f"{LOG_PAGE}index.md"}]
        for path in sorted(docs_dir.rglob("*.md")):
            rel = path.relative_to(docs_dir).as_posix()
            if rel != "index.md" and not rel.startswith(("_", ".")):
                nav.append(rel)
        return nav

    def on_files(self, files: Files, config: MkDocsConfig) -> Files:
        assert self.site is not None
        for src, content in self.site.pages().items():
            existing = files.get_file_from_path(src)
            if existing is not None:
                files.remove(existing)
            files.append(File.generated(config, src, content=content))
        for dest, source in self.site.static_files().items():
            files.append(File.generated(config, dest, abs_src_path=str(source)))
        for dest, data in self.site.feed_files().items():
            files.append(File.generated(config, dest, content=data))
        for dest, data in self.site.search_files().items():  # search: results page and index
            page = dest == f"{SEARCH_PAGE}index.md"
            inclusion = InclusionLevel.NOT_IN_NAV if page else InclusionLevel.UNDEFINED
            files.append(File.generated(config, dest, content=data, inclusion=inclusion))
        events = self.site.log.events
        jsonl = b"".join(serialise(e) for e in events)
        files.append(File.generated(config, f"{LOG_PAGE}publication-log.jsonl", content=jsonl))
        files.append(
            File.generated(config, f"{LOG_PAGE}publication-log.csv", content=log_csv(events, self.settings.timezone))
        )
        return files

    def on_page_markdown(self, markdown: str, page: Any, config: MkDocsConfig, files: Files) -> str:
        assert self.site is not None
        if FIELDS_MARKER in markdown or HOME_MARKER in markdown:
            markdown = self.site.expand_markers(markdown, page.url)
        return markdown

    def on_env(self, env: Any, config: MkDocsConfig, files: Files) -> Any:
        assert self.site is not None
        hotline = self.site.hotline()
        contact = hotline.category.contact(hotline.data) if hotline else None
        env.globals["congkhai_hotline"] = (
            {
                "url": hotline.url_path,
                "phones": contact.phones,
                "emails": contact.emails,
                "hours": contact.hours,
                "sample": hotline.sample,
            }
            if hotline and contact
            else None
        )
        env.globals["congkhai_log_head"] = self.site.log.head
        env.globals["congkhai_log_url"] = LOG_PAGE
        env.globals["congkhai_feed"] = feed_path()
        env.filters["tel"] = tel_link
        return env

    def on_post_page(self, output: str, page: Any, config: MkDocsConfig) -> str:
        checkpoint("page-written")
        return output

    def on_serve(self, server: Any, config: MkDocsConfig, builder: Any) -> Any:
        server.watch(str(self.settings.disclosures_dir))
        return server
