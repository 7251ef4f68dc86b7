"""MkDocs plugin ``congkhai``: the thin adapter between the core pipeline and MkDocs.

Each MkDocs event calls one step of :mod:`generator.website.pipeline`:

- ``on_config``: load and check the site (or take the one ``congkhai publish`` already
  loaded, with the events it is about to log), put congkhai's theme in front of
  Material's, build a small navigation (home, one entry per category, hand-written pages;
  never one entry per record);
- ``on_files``: add every output of :func:`generator.website.pipeline.outputs` as a file (but the
  bundles left to be made later: all of them in the preview, the search index in the
  engine's build, made by a worker, see :meth:`CongkhaiPlugin.write_deferred`);
- ``on_nav``: note the navigation, for the theme's menu rendered once per kind of page
  (:class:`NavMemo`);
- ``on_env``: give templates the current hotline, the log head and the site paths;
- ``on_post_build``: scan the built site for personal data (:func:`generator.website.pipeline.scan`),
  so ``mkdocs build`` and ``mkdocs serve`` are held to the same guard as ``congkhai build``.

It reads the publication log but never writes it.
"""

from __future__ import annotations

import difflib
import logging
import re
import secrets
from pathlib import Path
from typing import Any

import jinja2
import yaml
from markupsafe import Markup, escape
from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.base import ValidationError
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.nav import Link, Navigation, Section
from mkdocs.structure.pages import Page
from mkdocs.utils import normalize_url

from generator.core import paths, progress
from generator.core.config import CLOCK_SKEW_MINUTES, MAX_ATTACHMENT_MB, Settings
from generator.core.errors import CongkhaiError, Problem
from generator.core.faults import fault_point
from generator.core.values import slugify
from generator.mkdocs_plugin import internals
from generator.records.privacy import SITE_SUFFIXES, Allow, SiteScanner, text_problems
from generator.website import pipeline
from generator.website.site import Site
from generator.website.templating import tel_link

log = logging.getLogger("mkdocs.plugins.congkhai")


_BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "details",
        "div",
        "dl",
        "fieldset",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hgroup",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "ul",
    ]
)
_FIRST_TAG = re.compile(r"<([a-z][a-z0-9]*)[\s>]")


def stash_html(markdown: str) -> tuple[str, dict[str, str]]:
    """Take the raw HTML blocks out of a page congkhai generated, before Python-Markdown
    sees it: each block (a chunk between blank lines that is one balanced element of a
    block-level tag) becomes a one-word paragraph, given back by :func:`restore_html`.

    Python-Markdown would keep these blocks exactly as they are too, but finds them by
    running an HTML parser over the whole page, which was a third of a build. The result
    is the same bytes (``tests/test_engine.py`` compares builds). A page with a fenced
    code block is left as it is."""
    if "```" in markdown or "~~~" in markdown:
        return markdown, {}
    nonce = secrets.token_hex(6)
    chunks = markdown.split("\n\n")
    blocks: dict[str, str] = {}
    for n, chunk in enumerate(chunks):
        if chunk[:1] != "<":
            continue
        body = chunk.rstrip("\n")
        if not _block_elements(body):
            continue
        token = f"ckhtml{nonce}x{n}"
        blocks[f"<p>{token}</p>"] = body
        chunks[n] = token + chunk[len(body) :]
    return "\n\n".join(chunks), blocks


def _block_elements(chunk: str) -> bool:
    """True when ``chunk`` is one or more elements of block-level tags, each balanced and
    starting a line, one after the other (``<h3>…</h3>`` then ``<dl>…</dl>``)."""
    start = 0
    while True:
        found = _FIRST_TAG.match(chunk, start)
        if found is None or found.group(1) not in _BLOCK_TAGS:
            return False
        end = _element_end(chunk, start, found.group(1))
        if end is None:
            return False
        if end == len(chunk):
            return True
        if chunk[end : end + 2] != "\n<":
            return False
        start = end + 1


def _element_end(chunk: str, start: int, tag: str) -> int | None:
    """Where the ``tag`` element opened at ``start`` is closed (just after ``</tag>``)."""
    depth = 0
    for match in re.compile(rf"<(/?){tag}[\s>]").finditer(chunk, start):
        depth += -1 if match.group(1) else 1
        if depth == 0:
            return match.end()
    return None


def restore_html(html: str, blocks: dict[str, str]) -> str:
    """Put back the blocks :func:`stash_html` took out (each exactly once), spaced as
    Python-Markdown spaces a raw HTML block: a blank line after it, unless it ends the page."""
    for token, block in blocks.items():
        if html.count(token) != 1:
            raise PluginError(f"congkhai: khối HTML {token} không còn nguyên sau Markdown")
        followed = token + "\n"
        html = html.replace(followed, block + "\n\n") if followed in html else html.replace(token, block)
    return html


def toc_slugify(value: str, separator: str) -> str:
    """Heading anchors for Python-Markdown's toc: unaccented, ``đ`` -> ``d``."""
    return slugify(value).replace("-", separator)


PARENT_THEME = "congkhai-parent"
"""Templates of the theme below congkhai's own, under this prefix (an override of a
template includes the one it overrides as ``congkhai-parent/<name>``)."""


BASE_TOGGLES = {
    'type="checkbox" id="__drawer" autocomplete="off">': 'type="checkbox" id="__drawer" aria-label="Danh mục trang">',
    'type="checkbox" id="__search" autocomplete="off">': 'type="checkbox" id="__search" aria-label="Tìm kiếm">',
}
"""The two toggles the theme's ``base.html`` writes outside any block, as congkhai writes
them: ``autocomplete`` is not allowed on a checkbox (the Nu Html Checker reports it on every
page; congkhai.js unchecks them when a page is shown again instead) and each gets a name
(checkers of accessibility ask one of every form control)."""


class ThemeBaseLoader(jinja2.BaseLoader):
    """The loader of the theme, with :data:`BASE_TOGGLES` applied to ``base.html`` (the
    markup is outside the blocks a ``custom_dir`` can override)."""

    def __init__(self, inner: jinja2.BaseLoader):
        self.inner = inner

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str | None, Any]:
        source, filename, uptodate = self.inner.get_source(environment, template)
        if template == "base.html":
            for old, new in BASE_TOGGLES.items():
                source = source.replace(old, new)
        return source, filename, uptodate

    def list_templates(self) -> list[str]:
        return self.inner.list_templates()


class NavMemo:
    """The theme's navigation menu rendered once per kind of page (see
    ``theme/partials/nav.html``). A page outside the navigation marks no entry as current,
    so its menu depends on it only through the links to the menu's entries, each made
    relative to the page by MkDocs' ``url`` filter (:func:`mkdocs.utils.normalize_url`):
    the key of a page is those links, and pages with the same key get the same bytes.
    ``tests/test_engine.py`` builds a site with and without the memo and compares them."""

    def __init__(self, config: MkDocsConfig, nav: Navigation):
        self.in_nav = {id(page) for page in nav.pages}
        targets = [str(config.extra.get("homepage") or ""), str(config.theme.get("logo") or "")]
        if nav.homepage is not None:
            targets.append(nav.homepage.url)
        stack: list[Any] = list(nav.items)
        while stack:
            item = stack.pop()
            if isinstance(item, Section):
                stack += item.children
            elif isinstance(item, (Page, Link)):
                targets.append(str(item.url))
        self.targets = sorted(set(targets))
        self.kept: dict[tuple[str, ...], str] = {}

    def key(self, page: Any) -> tuple[str, ...] | None:
        if not isinstance(page, Page) or id(page) in self.in_nav:
            return None
        return tuple(normalize_url(target, page=page) for target in self.targets)

    def get(self, key: tuple[str, ...] | None) -> str | None:
        return None if key is None else self.kept.get(key)

    def keep(self, key: tuple[str, ...] | None, html: str) -> str:
        if key is not None:
            self.kept[key] = html
        return html


UNLINKED_BUNDLES = frozenset({"search"})
"""Bundles whose file names no page can know in advance (the search index files carry
a hash of their content), so no link checked by MkDocs' strict mode can point at them,
and they need not be among MkDocs' files."""
SHOWN_ON: dict[str, str] = {"search": paths.page_source(paths.SEARCH_PAGE)}
"""The page that shows what a bundle holds (the search page carries the index's
manifest): rendered in the process that makes the bundle, which makes it once."""


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
    log_origin = c.Type(str, default="")
    """The log's name in its checkpoints (default: the site's host and path + ``nhat-ky-cong-khai``)."""
    signing_key = c.Type(str, default="")
    """Path (outside the repository) of the Ed25519 key that signs checkpoints; or set ``CONGKHAI_SIGNING_KEY``."""
    timestamping = c.ListOfItems(c.Type(dict), default=[])
    """Time-stamping authorities: ``- {name: …, url: …, ca: tsa/root.pem}`` and optionally ``timeout`` (seconds for
    one answer, 150), ``retries`` (2) and ``wait`` (seconds the deploy waits, 5); each new checkpoint gets a token from
    each. Credentials never here: ``CONGKHAI_TSA_<NAME>_USER`` / ``_PASSWORD`` (checked by ``parse_tsas``)."""
    witnesses = c.ListOfItems(c.Type(dict), default=[])
    """Witnesses (C2SP tlog-witness): ``- {name: …, url: …, key: <vkey>}``; each new checkpoint is sent to each for a cosignature."""
    max_timestamp_delay = c.Type(int, default=24)
    """Hours an event may wait for its timestamp before ``verify`` reports it."""
    clock_skew = c.Type(int, default=CLOCK_SKEW_MINUTES)
    """Minutes the office's clock may be ahead of or behind a TSA's (besides a token's accuracy)."""
    signature_roots = c.Type((str, list), default=[])
    """Root certificates (PEM files, or folders of them, relative to ``mkdocs.yml``) that digital signatures of PDF
    attachments must chain to (``chung-thu-goc/``); without any, every signature is reported as untrusted."""


class MadeFile(internals.LazyFile):
    """A file of :func:`generator.website.pipeline.plan_outputs` whose content (a page's Markdown, a
    file's bytes) is made when MkDocs first reads it, so that a page nobody renders (the
    preview) is never made, and pages made in parallel are made where they are rendered."""

    output: pipeline.Output
    plugin: CongkhaiPlugin
    _override: str | bytes | None = None

    @classmethod
    def of(
        cls, config: MkDocsConfig, output: pipeline.Output, inclusion: InclusionLevel, plugin: CongkhaiPlugin
    ) -> MadeFile:
        file = cls.generated(config, output.path, content=b"", inclusion=inclusion)
        file.output, file.plugin = output, plugin
        file._override = None
        return file

    def make(self) -> str | bytes:
        try:  # made again if read again (MkDocs reads a page once): not kept twice in memory
            if self.output.make is None:
                return self.output.content
            return self.output.make()
        except CongkhaiError as exc:  # printed by the command line, like any problem of the pipeline
            raise self.plugin.fail(exc) from None

    def copy_file(self, dirty: bool = False) -> None:
        """Written as MkDocs writes a generated file (made once), then scanned for personal
        data by the process that wrote it, as a page is (:meth:`CongkhaiPlugin.write_scanned`)."""
        self.plugin.write_scanned(Path(self.abs_dest_path), self.made)


SCRIPTLESS_FEATURES = frozenset(
    ["navigation.top", "navigation.indexes", "navigation.sections", "navigation.expand", "navigation.prune"]
    + ["navigation.path", "navigation.footer", "toc.integrate"]
)
"""Features of the theme that work without its script (``bundle.….min.js``, 35 KB
compressed, the largest file of a first visit): made by its templates and stylesheet, or,
for the "back to top" button, by ``congkhai.js``. The theme's menu, sub-menus, tables and
folded sections are checkboxes and ``<details>``, and congkhai's own script drives the ☰
button, the search and the lists; so a site whose ``features`` are all here is served
without the theme's script (a first visit to the home page ≈ 45 KB instead of ≈ 80 KB,
``bench/first_visit.py``). A site that lists any other feature (instant loading, code
copy, tabs that follow each other, …) gets the theme's script, as the theme serves it."""


def theme_script_needed(features: list[str]) -> bool:
    """Does a site with these ``theme.features`` need the theme's own script?"""
    return any(str(f) not in SCRIPTLESS_FEATURES for f in features)


class ProblemsError(PluginError):
    """Records have problems: carries them so that the command line can print them."""

    def __init__(self, error: CongkhaiError):
        self.cause = error
        self.problems = error.problems
        super().__init__(str(error))


_OPTION_TYPES = {str: "một đoạn văn bản", bool: "true hoặc false", int: "một số nguyên"}


def _expected(option: Any) -> str:
    if isinstance(option, c.ListOfItems):
        return "một danh sách (mỗi mục một dòng bắt đầu bằng '- ')"
    kinds = internals.option_types(option)
    return " hoặc ".join(_OPTION_TYPES.get(k, k.__name__) for k in kinds)


def option_problems(config_file: Path) -> list[Problem]:
    """Problems with the options of the ``congkhai`` plugin in ``config_file``, as
    ``mkdocs.yml:line: plugins.congkhai.<option>: message`` in Vietnamese (MkDocs' own
    messages are English and carry no line). Only our options are looked at; a file that
    is not YAML is left for MkDocs to report."""
    try:
        root = yaml.compose(config_file.read_text(encoding="utf-8-sig"), Loader=yaml.SafeLoader)
    except (yaml.YAMLError, OSError, UnicodeDecodeError):
        return []
    options = _plugin_node(root)
    if options is None:
        return []
    name = config_file.name
    schema = internals.config_schema(CongkhaiConfig)
    problems = []
    for key_node, value_node in options.value:
        key = str(key_node.value)
        where = f"plugins.congkhai.{key}"
        line = key_node.start_mark.line + 1
        option = schema.get(key)
        if option is None:
            message = "tùy chọn không được hỗ trợ; dùng một trong: " + ", ".join(schema)
            close = difflib.get_close_matches(key, list(schema), n=1)
            if close:
                message = f"tùy chọn không được hỗ trợ; có phải ý bạn là '{close[0]}'?"
            problems.append(Problem(name, line, where, message))
            continue
        try:
            value = yaml.SafeLoader("").construct_object(value_node, deep=True)
            option.validate(value)
        except (yaml.YAMLError, ValidationError):
            problems.append(Problem(name, line, where, f"phải là {_expected(option)}"))
            continue
        if isinstance(value, int) and not isinstance(value, bool) and value < 1:
            problems.append(Problem(name, line, where, "phải lớn hơn 0"))
    return problems


def _plugin_node(root: Any) -> yaml.MappingNode | None:
    """The mapping of the ``congkhai`` entry of ``plugins`` (list or mapping form)."""
    if not isinstance(root, yaml.MappingNode):
        return None
    for key, value in root.value:
        if key.value != "plugins":
            continue
        entries = value.value if isinstance(value, yaml.SequenceNode) else [value]
        for entry in entries:
            if isinstance(entry, yaml.MappingNode):
                for name, options in entry.value:
                    if name.value == "congkhai" and isinstance(options, yaml.MappingNode):
                        return options
    return None


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
        log_origin=options.log_origin,
        signing_key=options.signing_key,
        timestamping=tuple(dict(t) for t in options.timestamping),
        witnesses=tuple(dict(w) for w in options.witnesses),
        max_timestamp_delay_hours=options.max_timestamp_delay,
        clock_skew_minutes=options.clock_skew,
        signature_roots=tuple(
            str(v)
            for v in (
                [options.signature_roots] if isinstance(options.signature_roots, str) else options.signature_roots
            )
        ),
    )


def _allow_entry(value: str | int) -> str:
    """A number written without quotes lost its leading zero in YAML: put it back."""
    if isinstance(value, int):
        text = str(value)
        return text if text.startswith("84") else "0" + text
    return value


class CongkhaiPlugin(BasePlugin[CongkhaiConfig]):
    """Wires the core pipeline into MkDocs events."""

    site: Site | None = None
    preloaded: Site | None = None
    """A site already loaded and checked (``congkhai publish``: with the events it is about
    to log); when set, ``on_config`` uses it instead of loading the records again."""
    error: ProblemsError | None = None
    """The problems that stopped the last build, for the command line to print."""

    def load_config(self, options: dict[str, Any], config_file_path: str | None = None) -> tuple[Any, Any]:
        """MkDocs' validation of our options, with its messages replaced by ours
        (Vietnamese, with the line in ``mkdocs.yml``) when we can find them."""
        errors, warnings = super().load_config(options, config_file_path)
        if errors and config_file_path:
            ours = option_problems(Path(config_file_path))
            if ours:
                errors = [(p.field.rsplit(".", 1)[-1], ValidationError(str(p))) for p in ours]
        return errors, warnings

    def fail(self, error: CongkhaiError) -> ProblemsError:
        self.error = ProblemsError(error)
        return self.error

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        self.stashed: dict[str, dict[str, str]] = {}
        """The HTML blocks :func:`stash_html` took out of each page being read."""
        self.scanned: dict[str, list[Problem]] = {}
        """Pages scanned as they were written (:meth:`on_post_page`): path -> problems."""
        if not config.use_directory_urls:
            raise PluginError("congkhai: use_directory_urls phải là true (đường dẫn /chuyen-muc/ma/ là vĩnh viễn)")
        self.settings = settings_from(config, self.config)
        self.error = None
        try:
            theme = pipeline.theme_dir()
            if self.preloaded is not None and self.preloaded.settings == self.settings:
                self.site = self.preloaded
            else:
                self.site = pipeline.load(self.settings, stored=True)
        except CongkhaiError as exc:
            raise self.fail(exc) from None
        config.theme.dirs.insert(0, str(theme))
        if paths.CSS not in config.extra_css:
            config.extra_css.append(paths.CSS)
        if paths.SCRIPT not in [str(script) for script in config.extra_javascript]:
            config.extra_javascript.append(paths.SCRIPT)
        # the footer speaks Vietnamese: the agency's name, not the theme's English credit line
        config.extra.setdefault("generator", False)
        if not config.copyright:
            config.copyright = self.settings.agency
        # heading anchors keep Vietnamese letters readable: "Đường dây nóng" -> #duong-day-nong
        config.mdx_configs.setdefault("toc", {}).setdefault("slugify", toc_slugify)
        # record pages are reached from their category index; pages the office's own
        # not_in_nav names (the staff guide of the sample) stay out of the menu as well
        patterns = "\n".join(f"/{slug}/**" for slug in self.site.categories)
        ours = c.PathSpec().run_validation(patterns)
        config.not_in_nav = ours if config.not_in_nav is None else config.not_in_nav + ours
        if config.nav is None and self.config.nav:
            config.nav = self._nav(Path(config.docs_dir), config.not_in_nav)
        return config

    def _nav(self, docs_dir: Path, not_in_nav: Any) -> list[Any]:
        assert self.site is not None
        nav: list[Any] = []
        if (docs_dir / "index.md").is_file():
            nav.append({"Trang chủ": "index.md"})
        own = {paths.LOG_PAGE, paths.CATALOGUE_PAGE, paths.SEARCH_PAGE, paths.ASSETS_DIR}
        nav += [
            {escape(c.title): paths.page_source(paths.category_page(slug))}
            for slug, c in self.site.categories.items()
            if paths.category_page(slug) not in own  # refused by check; never shadows congkhai's pages
        ]
        nav += [
            {"Danh mục thông tin": paths.page_source(paths.CATALOGUE_PAGE)},
            {"Nhật ký công khai": paths.page_source(paths.LOG_PAGE)},
        ]
        for path in sorted(docs_dir.rglob("*.md")):
            rel = path.relative_to(docs_dir).as_posix()
            if rel != "index.md" and not rel.startswith(("_", ".")) and not not_in_nav.match_file(rel):
                nav.append(rel)
        return nav

    def on_files(self, files: Files, config: MkDocsConfig) -> Files:
        assert self.site is not None
        try:
            planned, bundles = pipeline.plan_outputs(self.site)
            self.bundles = tuple(bundles)
            for bundle in self.bundles:
                if not self.deferred(bundle):
                    planned += bundle.outputs
        except CongkhaiError as exc:
            raise self.fail(exc) from None
        for output in planned:
            existing = files.get_file_from_path(output.path)
            if output.source is not None:
                if existing is not None and existing.abs_src_path == str(output.source):
                    continue  # a hand-written file or a theme asset MkDocs already has
                file = File.generated(config, output.path, abs_src_path=str(output.source))
            else:
                inclusion = InclusionLevel.UNDEFINED if output.in_nav else InclusionLevel.NOT_IN_NAV
                file = MadeFile.of(config, output, inclusion, self)
            if existing is not None:
                files.remove(existing)
            files.append(file)
        self._close_bar()
        self.bar = progress.Bar("Dựng trang", total=len(files.documentation_pages()))
        self.scanner = SiteScanner(Allow.for_settings(self.settings), self.site.today)
        self.scanned.clear()
        return files

    defer_bundles: bool | frozenset[str] = False
    """The bundles whose files are left out of MkDocs' files: all of them (True, the
    preview: made only when asked for), or those named (the engine's build:
    :data:`UNLINKED_BUNDLES`, written by :meth:`write_deferred` in a worker)."""
    bundles: tuple[pipeline.Bundle, ...] = ()
    """The bundles of the last ``on_files``."""

    def deferred(self, bundle: pipeline.Bundle) -> bool:
        return self.defer_bundles is True or (bool(self.defer_bundles) and bundle.name in self.defer_bundles)

    def deferred_pages(self) -> set[str]:
        """Source paths of the pages that show a deferred bundle."""
        return {SHOWN_ON[b.name] for b in self.bundles if self.deferred(b) and b.name in SHOWN_ON}

    def write_deferred(self, site_dir: Path) -> None:
        """Make the deferred bundles, write their files under ``site_dir`` and scan them
        for personal data as :meth:`on_post_build` would (in the process that made them;
        the scan of the other files skips them)."""
        for bundle in self.bundles:
            if not self.deferred(bundle):
                continue
            try:
                outputs = bundle.outputs
            except CongkhaiError as exc:
                raise self.fail(exc) from None
            for output in outputs:
                self.write_scanned(site_dir / output.path, output.content)

    def write_scanned(self, target: Path, content: str | bytes) -> None:
        """Write a made file (text as UTF-8), then scan it for personal data as the scan after
        the build would read it (:func:`generator.records.privacy.file_text`); that scan then skips it."""
        data = content.encode("utf-8") if isinstance(content, str) else content
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        if self.scanner is not None and target.suffix.lower() in SITE_SUFFIXES:
            self.scanned[str(target)] = text_problems(self.scanner, data, target, self.settings.root)

    bar: progress.Bar | None = None
    """Pages written so far (on a terminal only), advanced by ``on_post_page``."""

    def _close_bar(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

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
        below = [d for d in config.theme.dirs if Path(d) != pipeline.theme_dir()]
        env.loader = jinja2.ChoiceLoader(
            [ThemeBaseLoader(env.loader), jinja2.PrefixLoader({PARENT_THEME: jinja2.FileSystemLoader(below)})]
        )
        memo = self.nav_memo if self.nav_memo is not None and self.remember_nav else None
        env.globals["congkhai_nav_key"] = memo.key if memo is not None else lambda page: None
        env.globals["congkhai_nav_kept"] = memo.get if memo is not None else lambda key: None
        env.globals["congkhai_nav_keep"] = memo.keep if memo is not None else lambda key, html: html
        env.globals["congkhai_paths"] = paths
        env.globals["congkhai_theme_script"] = theme_script_needed(config.theme.get("features") or [])
        env.filters["tel"] = tel_link
        return env

    nav_memo: NavMemo | None = None
    remember_nav: bool = True
    """False: the menu is rendered on every page, as the theme does (for tests to compare)."""

    def on_nav(self, nav: Navigation, config: MkDocsConfig, files: Files) -> Navigation:
        self.nav_memo = NavMemo(config, nav)
        return nav

    def on_page_markdown(self, markdown: str, page: Any, config: MkDocsConfig, files: Files) -> str:
        """The theme writes the page's ``title``, ``description`` and ``author`` into
        ``<title>``, ``<meta content="…">`` and links without escaping them: hand them over
        escaped (as :class:`~markupsafe.Markup`, so a template that escapes does not do it
        twice), a description on one line. Done as soon as the page is read, before any
        template runs (the navigation and the footer of other pages show this page's title)."""
        for key in ("title", "description", "author"):
            value = page.meta.get(key)
            if isinstance(value, str) and not isinstance(value, Markup):
                page.meta[key] = escape(" ".join(value.split()) if key != "title" else value)
        output = getattr(page.file, "output", None)
        if output is not None and output.generated and "md_in_html" not in config.markdown_extensions:
            markdown, self.stashed[page.file.src_uri] = stash_html(markdown)
        return markdown

    def on_page_content(self, html: str, page: Any, config: MkDocsConfig, files: Files) -> str:
        blocks = self.stashed.pop(page.file.src_uri, None)
        return restore_html(html, blocks) if blocks else html

    def on_post_page(self, output: str, page: Any, config: MkDocsConfig) -> str:
        """The page is scanned for personal data here, as it will be written (in the
        process that renders it), so that ``on_post_build`` reads only the other files."""
        fault_point("page-written")
        if self.bar is not None:
            self.bar.advance()
        if self.scanner is not None and output.strip():
            path = Path(page.file.abs_dest_path)
            self.scanned[str(path)] = text_problems(self.scanner, output, path, self.settings.root)
        return output

    scanner: SiteScanner | None = None
    """The built-site privacy scan of this build (see :meth:`on_post_page`)."""

    def worker_result(self) -> dict[str, list[Problem]]:
        """What a worker process of :mod:`generator.mkdocs_plugin.engine` hands back: its pages' scan."""
        return self.scanned

    def take_worker_result(self, result: dict[str, list[Problem]] | None) -> None:
        """A worker's :meth:`worker_result`, in the parent."""
        self.scanned.update(result or {})

    def on_build_error(self, error: Exception) -> None:
        self._close_bar()

    def on_post_build(self, config: MkDocsConfig) -> None:
        assert self.site is not None
        self._close_bar()
        try:
            pipeline.scan(Path(config.site_dir), self.settings, self.site.today, scanned=self.scanned)
        except CongkhaiError as exc:
            raise self.fail(exc) from None
        finally:
            self.scanned.clear()

    def on_serve(self, server: Any, config: MkDocsConfig, builder: Any) -> Any:
        server.watch(str(self.settings.disclosures_dir))
        return server
