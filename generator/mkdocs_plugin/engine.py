"""congkhai's drive of MkDocs: the steps of ``mkdocs build``, split so that pages can be
rendered one at a time (the preview renders the page asked for) or on every core (the
full build).

MkDocs' own ``build()`` reads every page, then renders every page, in one process. A page
of congkhai's sites depends on the other pages only through the navigation (the titles of
the pages in the nav) and the list of files; so once the files are listed, the navigation
built and the pages *in the nav* read, any other page can be read and rendered on its own,
in any order, in any process, and gives the same bytes. :class:`Engine` does exactly that:

- :meth:`Engine.prepare`: ``on_config`` … ``on_nav`` as MkDocs does, then reads the pages of
  the navigation, then ``on_env``;
- :meth:`Engine.render`: one page to HTML (read it if not yet read), as MkDocs renders it;
- :meth:`Engine.build`: the whole site, as ``mkdocs build`` writes it (static files, theme
  templates, pages, anchor checks, ``on_post_build``), the pages out of the navigation and
  the files that are not pages shared among forked worker processes, one per core.

It uses the build steps of ``mkdocs.commands.build`` (MkDocs is pinned ``<2``);
``tests/test_engine.py`` checks that ``congkhai build`` writes byte for byte what
``mkdocs build`` writes. A configuration with plugins other than congkhai (whose events
might look at every page) is built by MkDocs' own ``build()``.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jinja2
import jinja2.bccache
import markdown
from mkdocs.commands import build as mkdocs_build
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import Abort, BuildError
from mkdocs.structure.files import File, Files, InclusionLevel, get_files, set_exclusions
from mkdocs.structure.nav import Navigation, get_navigation
from mkdocs.structure.pages import Page
from mkdocs.utils import CountHandler, clean_directory

from generator.core import parallel
from generator.core.errors import CongkhaiError
from generator.mkdocs_plugin import internals
from generator.mkdocs_plugin.plugin import UNLINKED_BUNDLES, CongkhaiPlugin, ProblemsError

log = logging.getLogger("mkdocs.plugins.congkhai")

MIN_PAGES_PER_JOB = 150
"""Below this many pages per extra process, a build stays in one process."""


def congkhai_of(config: MkDocsConfig) -> CongkhaiPlugin | None:
    """The congkhai plugin of ``config``, typed (the engine's one way to it)."""
    plugin = config.plugins.get("congkhai")
    return plugin if isinstance(plugin, CongkhaiPlugin) else None


def only_congkhai(config: MkDocsConfig) -> bool:
    """True when congkhai is the only plugin (the engine's condition, see the module doc)."""
    return list(config.plugins) == ["congkhai"]


class Templates:
    """What the theme's templates cost to find and compile, kept from one :class:`Engine`
    to the next (the preview prepares a new engine on every save): Jinja's compiled code
    (a bytecode cache in memory) and the list of the theme's files."""

    def __init__(self) -> None:
        self.bytecode = _MemoryBytecode()
        self.listed: dict[tuple[str, ...], dict[Any, list[str]]] = {}

    def use(self, env: Any, dirs: list[str]) -> None:
        env.bytecode_cache = self.bytecode
        listed = self.listed.setdefault(tuple(dirs), {})
        every = env.list_templates

        def list_templates(extensions: Any = None, filter_func: Any = None) -> list[str]:
            key = (tuple(extensions or ()), getattr(filter_func, "__code__", None))
            if key not in listed:
                listed[key] = every(extensions, filter_func)
            return list(listed[key])

        env.list_templates = list_templates


class _MemoryBytecode(jinja2.BytecodeCache):
    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


class Engine:
    """One build of a site, prepared once, then rendered page by page or all at once."""

    def __init__(self, config: MkDocsConfig, templates: Templates | None = None):
        self.config = config
        self.templates = templates
        self.inclusion = InclusionLevel.is_included
        self.files: Files
        self.nav: Navigation
        self.env: Any
        self._read: set[int] = set()
        self._converter: markdown.Markdown | None = None

    # --- prepare ------------------------------------------------------------------------

    def prepare(self) -> Engine:
        """Everything a page needs before it is rendered: files, navigation, the pages of
        the navigation read, the template environment."""
        config = self.config.plugins.on_config(self.config)
        self.config = config
        if _resettable(config):  # one converter for every page (after on_config: it sets the toc's slugify)
            self._converter = markdown.Markdown(
                extensions=config["markdown_extensions"], extension_configs=config["mdx_configs"] or {}
            )
        config.plugins.on_pre_build(config=config)
        files = get_files(config)
        env = config.theme.get_env()
        if self.templates is not None:
            self.templates.use(env, list(config.theme.dirs))
        files.add_files_from_theme(env, config)
        files = config.plugins.on_files(files, config=config)
        set_exclusions(files, config)
        nav = get_navigation(files, config)
        nav = config.plugins.on_nav(nav, config=config, files=files)
        for file in files.documentation_pages(inclusion=self.inclusion):
            if file.page is None and file.inclusion.is_not_in_nav():
                Page(None, file, config)
        self.files, self.nav = files, nav
        for page in nav.pages:  # their titles are on every page
            self.read(page)
        self.env = config.plugins.on_env(env, config=config, files=files)
        return self

    def read(self, page: Page) -> None:
        """Read and convert one page's Markdown, as MkDocs reads it (:func:`internals.populate_page`), once."""
        if id(page) in self._read:
            return
        if self._converter is None:
            internals.populate_page(page, self.config, self.files)
        else:
            converter = self._converter
            page.render = lambda config, files: internals.convert_page(page, converter, config, files)  # type: ignore[method-assign]
            try:
                internals.populate_page(page, self.config, self.files)
            finally:
                del page.render  # MkDocs' own again
        self._read.add(id(page))

    @property
    def pages(self) -> list[File]:
        return self.files.documentation_pages(inclusion=self.inclusion)

    # --- one page -----------------------------------------------------------------------

    def render(self, page: Page) -> bytes:
        """The page's HTML, as :meth:`build` writes it."""
        self.read(page)
        config = self.config
        internals.set_current_page(config, page)
        try:
            page.active = True
            context = mkdocs_build.get_context(self.nav, self.pages, config, page)
            template = self.env.get_template(page.meta.get("template", "main.html"))
            context = config.plugins.on_page_context(context, page=page, config=config, nav=self.nav)
            output = template.render(context)
            output = config.plugins.on_post_page(output, page=page, config=config)
            return output.encode("utf-8", errors="xmlcharrefreplace")
        finally:
            page.active = False
            internals.set_current_page(config, None)

    def render_template(self, name: str) -> bytes:
        """A theme template of the site (``404.html``), as :meth:`build` writes it."""
        template = self.env.get_template(name)
        return internals.build_template(name, template, self.files, self.config, self.nav).encode("utf-8")

    # --- the whole site -----------------------------------------------------------------

    def write(self, pages: Sequence[File]) -> None:
        """Read, render and write ``pages``, then check their anchor links."""
        doc_files = self.pages
        for file in pages:
            assert file.page is not None
            self.read(file.page)
            internals.build_page(
                file.page, self.config, doc_files, self.nav, self.env, excluded=file.inclusion.is_excluded()
            )
            if file.page not in self.nav.pages:  # written, and shown on no other page: let it go
                file.page.markdown = file.page.content = None
        level = self.config.validation.links.anchors
        for file in pages:
            assert file.page is not None
            file.page.validate_anchor_links(files=self.files, log_level=level)


RESETTABLE = frozenset(
    ["abbr", "admonition", "attr_list", "def_list", "fenced_code", "footnotes", "md_in_html", "meta"]
    + ["nl2br", "sane_lists", "smarty", "tables", "toc", "wikilinks", "legacy_attrs", "legacy_em", "extra"]
)
"""Python-Markdown's own extensions: each one clears what it keeps of a document when the
converter is reset, so one converter can serve every page."""


def _resettable(config: MkDocsConfig) -> bool:
    names = [e if isinstance(e, str) else None for e in config["markdown_extensions"]]
    return all(n is not None and n.removeprefix("markdown.extensions.") in RESETTABLE for n in names)


def build(config: MkDocsConfig, workers: int | None = None) -> None:
    """``mkdocs build`` of ``config``, the pages out of the navigation rendered by
    ``workers`` processes (default :func:`generator.core.parallel.jobs`: ``CONGKHAI_JOBS`` or the
    usable cores). congkhai's commands run no other thread while they build (progress bars
    are drawn without one), so the fork copies no lock held elsewhere. Same files, same bytes, same events and
    the same strict mode as MkDocs' own ``build()``."""
    if not only_congkhai(config):
        mkdocs_build.build(config)
        return
    counter = CountHandler()
    counter.setLevel(logging.WARNING)
    logger = logging.getLogger("mkdocs")
    if config.strict:
        logger.addHandler(counter)
    try:
        clean_directory(config.site_dir)
        plugin = congkhai_of(config)
        if plugin is not None:
            plugin.defer_bundles = UNLINKED_BUNDLES
        engine = Engine(config).prepare()
        config = engine.config
        in_nav = [f for f in engine.pages if id(f.page) in engine._read]
        rest = [f for f in engine.pages if id(f.page) not in engine._read]
        count = max(1, min(workers or parallel.jobs(), len(rest) // MIN_PAGES_PER_JOB))
        if parallel.in_worker():
            count = 1
        shares = _shares(rest, count, plugin)
        static = [f for f in engine.files if not f.is_documentation_page() and engine.inclusion(f.inclusion)]
        gc.freeze()  # what is loaded so far lives to the end: the collector need not walk it, nor
        # touch (and so copy) the pages the workers share with this process
        running = [  # the files that are not pages (the theme's, feeds, proofs) dealt in turn
            _start(engine, share, counter if config.strict else None, static[n::count], deferred=n == count - 1)
            for n, share in enumerate(shares[1:], 1)
        ]
        try:
            if count == 1 and plugin is not None:
                plugin.write_deferred(Path(config.site_dir))
            for file in static[::count]:
                file.copy_file()
            for template in config.theme.static_templates:
                internals.build_theme_template(template, engine.env, engine.files, config, engine.nav)
            for template in config.extra_templates:
                internals.build_extra_template(template, engine.files, config, engine.nav)
            engine.write(shares[0])
            engine.write(in_nav)
            warnings = _finish(running, plugin)
        finally:
            for worker, _ in running:  # a failure here: stop the others
                worker.stop()
            gc.unfreeze()
        config.plugins.on_post_build(config=config)
        counts = dict(counter.get_counts())
        for level, number in warnings.items():
            counts[level] = counts.get(level, 0) + number
        if config.strict and counts:
            msg = ", ".join(f"{v} {k.lower()}s" for k, v in counts.items())
            raise Abort(f"Aborted with {msg} in strict mode!")
    except Exception as e:
        config.plugins.on_build_error(error=e)
        if isinstance(e, BuildError):
            log.error(str(e))
            raise Abort("Aborted with a BuildError!") from None
        raise
    finally:
        logger.removeHandler(counter)


PARENT_EXTRA_PAGES = 60
"""What the parent does besides its share (the theme's files, ``sitemap.xml``, ``404.html``,
the pages of the navigation), counted in pages of its share (measured at 1,000 records)."""
DEFERRED_PAGES_PER_RECORD = 0.15
"""What the deferred bundles cost (the search index, made and scanned) for each public
record, counted in pages (measured at 1,000 records: 0.6 s against 4 ms a page)."""


def _shares(rest: list[File], count: int, plugin: CongkhaiPlugin | None) -> list[list[File]]:
    """``rest`` in ``count`` shares of about the same work: the first is the parent's, the
    last also makes the deferred bundles (``plugin.write_deferred``) and renders the pages
    that show them; each share gets fewer pages by the extra work it has."""
    tied = plugin.deferred_pages() if plugin is not None else set()
    own = [f for f in rest if f.src_uri in tied]
    others = [f for f in rest if f.src_uri not in tied]
    if count == 1:
        return [own + others]
    records = len(plugin.site.public_records) if plugin is not None and plugin.site is not None else 0
    extra = [0.0] * count
    extra[0] += PARENT_EXTRA_PAGES
    extra[-1] += len(own) + records * DEFERRED_PAGES_PER_RECORD
    fair = (len(others) + sum(extra)) / count
    sizes = [max(0, round(fair - e)) for e in extra]
    sizes[0] += len(others) - sum(sizes)  # rounding, or more extra work than pages: the parent
    if sizes[0] < 0:
        sizes = [len(others)] + [0] * (count - 1)
    shares: list[list[File]] = [[] for _ in range(count)]
    left = list(sizes)
    turn = 0
    for file in others:  # dealt in turn (each share gets pages of every kind), skipping full ones
        while left[turn] == 0:
            turn = (turn + 1) % count
        shares[turn].append(file)
        left[turn] -= 1
        turn = (turn + 1) % count
    shares[-1] = own + shares[-1]
    return shares


def _start(
    engine: Engine, share: list[File], counter: CountHandler | None, static: list[File], deferred: bool = False
) -> tuple[parallel.Forked, int]:
    """Fork a process that copies or writes the ``static`` files, renders and writes
    ``share`` (with ``deferred``: first makes and writes the deferred bundles), then hands
    back the warnings it logged (by level) or its failure; and the share's size."""

    def work() -> tuple[str, Any]:
        try:
            plugin = congkhai_of(engine.config)
            if plugin is not None:
                plugin.bar = None  # the progress bar is drawn by the parent only
            before = dict(counter.get_counts()) if counter else {}
            if deferred and plugin is not None:
                plugin.write_deferred(Path(engine.config.site_dir))
            for file in static:
                file.copy_file()
            engine.write(share)
            after = dict(counter.get_counts()) if counter else {}
            handed = plugin.worker_result() if plugin is not None else None
            return ("ok", ({k: v - before.get(k, 0) for k, v in after.items()}, handed))
        except BaseException as exc:  # reported to the parent, which raises it
            if isinstance(exc, ProblemsError):  # the plugin's carrier of congkhai's problems
                return ("error", exc.cause)
            return ("error", exc if isinstance(exc, CongkhaiError) else f"{type(exc).__name__}: {exc}")

    return parallel.fork_call(work), len(share)


def _finish(running: list[tuple[parallel.Forked, int]], plugin: CongkhaiPlugin | None) -> dict[str, int]:
    """Wait for the workers; the warnings they logged, by level; raise the first failure
    (congkhai's problems as the plugin raises them, for the command line to print)."""
    bar = plugin.bar if plugin is not None else None
    warnings: dict[str, int] = {}
    failure = None
    for worker, pages in running:
        try:
            kind, value = worker.result()
        except parallel.WorkerDied as died:
            kind, value = "error", f"tiến trình dựng trang dừng bất thường (mã {died.code})"
        if kind == "error":
            failure = failure or value
            continue
        if bar is not None:
            bar.advance(pages)
        counts, handed = value
        if plugin is not None:
            plugin.take_worker_result(handed)
        for level, number in counts.items():
            warnings[level] = warnings.get(level, 0) + number
    if isinstance(failure, CongkhaiError):
        raise plugin.fail(failure) if plugin is not None else failure
    if failure:
        raise BuildError(failure)
    return warnings
