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

import filecmp
import gc
import hashlib
import json
import logging
import os
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import jinja2
import jinja2.bccache
import markdown
import material
from mkdocs.commands import build as mkdocs_build
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import Abort, BuildError
from mkdocs.structure.files import File, Files, InclusionLevel, get_files, set_exclusions
from mkdocs.structure.nav import Navigation, get_navigation
from mkdocs.structure.pages import Page
from mkdocs.utils import CountHandler, clean_directory

import generator
from generator.core import memo, parallel, paths
from generator.core.errors import CongkhaiError
from generator.mkdocs_plugin import internals
from generator.mkdocs_plugin.plugin import UNLINKED_BUNDLES, CongkhaiPlugin, ProblemsError
from generator.records.privacy import SITE_SUFFIXES, text_problems

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
        self.cache: PageCache | None = None
        """Pages rendered by an earlier build, reused when nothing they are made from changed."""
        self.counter: CountHandler | None = None
        """The build's count of warnings (strict mode): a page that logged one is never kept."""
        self.previous: Previous | None = None
        """The release deployed before: files the same as there are hard links to it."""
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
        """Read, render and write ``pages``, then check their anchor links. With a
        :class:`PageCache`, a page whose inputs are those of a page rendered before is
        written from the cache instead (its log head replaced), and a page rendered here
        is kept in the cache."""
        doc_files = self.pages
        cache = self.cache
        rendered = []
        for file in pages:
            assert file.page is not None
            key = cache.key(file) if cache is not None else None
            if cache is not None and key is not None and self._from_cache(Path(file.abs_dest_path), key):
                plugin = congkhai_of(self.config)
                if plugin is not None and plugin.bar is not None:
                    plugin.bar.advance()
                cache.reused += 1
                continue
            self.read(file.page)
            before = self._warnings()
            internals.build_page(
                file.page, self.config, doc_files, self.nav, self.env, excluded=file.inclusion.is_excluded()
            )
            if key is not None and self._warnings() == before:
                self._keep(Path(file.abs_dest_path), key)
            if file.page not in self.nav.pages:  # written, and shown on no other page: let it go
                file.page.markdown = file.page.content = None
            rendered.append(file)
        level = self.config.validation.links.anchors
        for file in rendered:  # a cached page is reused only while this check can only inform (see build)
            assert file.page is not None
            file.page.validate_anchor_links(files=self.files, log_level=level)

    def place(self, file: File) -> None:
        """Write a file that is not a page (copied, or made), or link it to the same file of
        the release deployed before (:class:`Previous`)."""
        if self.previous is None or not self.previous.link(file, congkhai_of(self.config)):
            file.copy_file()

    REUSED_TEMPLATES = frozenset(["404.html"])
    """Theme templates whose output a :class:`PageCache` may hold: made only from what every
    page shares (the navigation, the configuration, the hotline, the log head), plus the day
    in its key. ``sitemap.xml`` is not: it dates every page."""

    def theme_template(self, name: str) -> None:
        """Write a theme template (``404.html``, ``sitemap.xml``) as ``mkdocs build`` does, or
        from the page cache when it holds the same template made under the same context."""
        cache, plugin = self.cache, congkhai_of(self.config)
        target = Path(self.config.site_dir) / name
        key = None
        if cache is not None and plugin is not None and plugin.site is not None and name in self.REUSED_TEMPLATES:
            key = hashlib.sha256(f"{cache.context}\0theme template\0{name}\0{plugin.site.today}".encode()).hexdigest()
            if self._from_cache(target, key):
                return
        before = self._warnings()
        internals.build_theme_template(name, self.env, self.files, self.config, self.nav)
        if key is None or self._warnings() != before or plugin is None or not target.is_file():
            return
        if plugin.scanner is not None and str(target) not in plugin.scanned:  # no page hook scanned it
            plugin.scanned[str(target)] = text_problems(
                plugin.scanner, target.read_bytes(), target, plugin.settings.root
            )
        self._keep(target, key)

    def _warnings(self) -> int:
        return sum(n for _, n in self.counter.get_counts()) if self.counter is not None else 0

    def _from_cache(self, target: Path, key: str) -> bool:
        """Write ``target`` (a page, or a theme template) from the cache, if it is there;
        scan what is new in it."""
        assert self.cache is not None
        plugin = congkhai_of(self.config)
        data = self.cache.get(key)
        if data is None or plugin is None or plugin.scanner is None:
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        # the rest of it was scanned, clean, under the same rules, when it was kept
        plugin.scanned[str(target)] = text_problems(plugin.scanner, self.cache.new_text(), target, plugin.settings.root)
        self.cache.used.add(key)
        return True

    def _keep(self, target: Path, key: str) -> None:
        """Keep what was just written at ``target``, if it was written and its scan found nothing."""
        assert self.cache is not None
        plugin = congkhai_of(self.config)
        if plugin is None or plugin.scanned.get(str(target)) != [] or not target.is_file():
            return
        self.cache.put(key, target.read_bytes())


RESETTABLE = frozenset(
    ["abbr", "admonition", "attr_list", "def_list", "fenced_code", "footnotes", "md_in_html", "meta"]
    + ["nl2br", "sane_lists", "smarty", "tables", "toc", "wikilinks", "legacy_attrs", "legacy_em", "extra"]
)
"""Python-Markdown's own extensions: each one clears what it keeps of a document when the
converter is reset, so one converter can serve every page."""


def _resettable(config: MkDocsConfig) -> bool:
    names = [e if isinstance(e, str) else None for e in config["markdown_extensions"]]
    return all(n is not None and n.removeprefix("markdown.extensions.") in RESETTABLE for n in names)


def build(
    config: MkDocsConfig, workers: int | None = None, cache_root: Path | None = None, previous: Path | None = None
) -> None:
    """``mkdocs build`` of ``config``, the pages out of the navigation rendered by
    ``workers`` processes (default :func:`generator.core.parallel.jobs`: ``CONGKHAI_JOBS`` or the
    usable cores). congkhai's commands run no other thread while they build (progress bars
    are drawn without one), so the fork copies no lock held elsewhere. Same files, same bytes, same events and
    the same strict mode as MkDocs' own ``build()``. ``cache_root``: the project folder whose
    :class:`PageCache` the build reuses and refreshes (``publish``); ``previous``: the release
    deployed before, whose files the same as this build's are hard-linked (:class:`Previous`)."""
    if not only_congkhai(config):
        mkdocs_build.build(config)
        return
    if cache_root is None:
        _build(config, workers, None, None)
        return
    with memo.using(cache_root / memo.MEMO_DIR):  # pure results kept too (the records' bodies)
        _build(config, workers, cache_root, previous)


def _build(config: MkDocsConfig, workers: int | None, cache_root: Path | None, previous: Path | None) -> None:
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
        engine.counter = counter if config.strict else None
        if cache_root is not None:
            engine.cache = page_cache(engine, cache_root)
            engine.previous = Previous.of(engine, cache_root, previous)
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
                engine.place(file)
            for template in config.theme.static_templates:
                engine.theme_template(template)
            for template in config.extra_templates:
                internals.build_extra_template(template, engine.files, config, engine.nav)
            engine.write(shares[0])
            engine.write(in_nav)
            warnings = _finish(running, plugin, engine.cache)
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
        if engine.cache is not None:
            engine.cache.prune()
        if engine.previous is not None:
            engine.previous.remember(Path(config.site_dir))
            log.info(
                f"{engine.cache.reused} trang lấy lại từ lần dựng trước, {len(engine.pages) - engine.cache.reused} trang dựng mới"
            )
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
                engine.place(file)
            engine.write(share)
            after = dict(counter.get_counts()) if counter else {}
            handed = plugin.worker_result() if plugin is not None else None
            cache = engine.cache
            used = (cache.used, cache.reused) if cache is not None else (set(), 0)
            return ("ok", ({k: v - before.get(k, 0) for k, v in after.items()}, handed, used))
        except BaseException as exc:  # reported to the parent, which raises it
            if isinstance(exc, ProblemsError):  # the plugin's carrier of congkhai's problems
                return ("error", exc.cause)
            return ("error", exc if isinstance(exc, CongkhaiError) else f"{type(exc).__name__}: {exc}")

    return parallel.fork_call(work), len(share)


def _finish(
    running: list[tuple[parallel.Forked, int]], plugin: CongkhaiPlugin | None, cache: PageCache | None = None
) -> dict[str, int]:
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
        counts, handed, used = value
        if plugin is not None:
            plugin.take_worker_result(handed)
        if cache is not None:
            cache.used |= used[0]
            cache.reused += used[1]
        for level, number in counts.items():
            warnings[level] = warnings.get(level, 0) + number
    if isinstance(failure, CongkhaiError):
        raise plugin.fail(failure) if plugin is not None else failure
    if failure:
        raise BuildError(failure)
    return warnings


# --- the page cache (incremental publish) ---------------------------------------------

PAGE_CACHE_DIR = ".congkhai-cache/trang-da-dung"
"""Where ``publish`` keeps the pages it rendered, under the project folder (never under the
published site; ``.gitignore`` lists ``.congkhai-cache/``)."""
LOG_HEAD_SEQ = '<span class="ck-loghead__seq">{}</span>'
LOG_HEAD_HASH = '<code class="ck-loghead__hash">{}</code>'
"""The log head in every page's footer (``theme/main.html``): the only part of a page that
changes with every publish whatever the page shows."""
_SEQ_MARK = b"\x00congkhai-log-head-seq\x00"
_HASH_MARK = b"\x00congkhai-log-head-hash\x00"


class PageCache:
    """Pages rendered by an earlier build, reused byte for byte when nothing they are made
    from has changed: what makes ``publish`` of one changed record fast.

    **How a page's inputs are known.** A page's HTML is its Markdown, rendered through the
    theme's templates with the navigation, the list of the site's files (relative links, the
    menu), the configuration and the plugin's globals (the hotline, the log head). So a page
    is kept under the SHA-256 of

    - *the build's context* (:func:`context_key`, once per build): the code of congkhai
      (every file of the package, templates and theme included), the versions of MkDocs,
      Material, Python-Markdown, its extensions and Jinja, the bytes of ``mkdocs.yml``, the
      ``CONGKHAI_*`` environment, the core's settings, the office's own theme folders, the
      navigation (every entry's title and URL), the paths of every file of the site except
      the log's anchors (checkpoints, tokens, proofs: new with every publish, and linked only
      from pages whose Markdown names them), the hotline shown on every page, whether the
      log is empty, the year (the privacy scan's rules depend on it) and the menu memo;
    - *the page itself*: its source and destination paths, its inclusion and its Markdown
      (congkhai's generated pages are made in full from the records and the log, dates,
      versions, proofs and the log's own lines included, so any change of what a page shows
      changes its Markdown).

    Anything that can change every page (a template, the theme, ``mkdocs.yml``, the category
    data, the navigation, the version of congkhai, a new page, a new file) changes the
    context, and then no page is reused: a full build. The log head in the footer is the one
    thing every page shows that changes with every publish: it is kept as a mark and put
    back from the log being built (:meth:`get`), and only it is scanned again for personal
    data. A page is kept only when it was written, its scan found nothing and it logged no
    warning, so a page reused never hides what a full build would refuse. The cache holds
    only what the last build used (:meth:`prune`); deleting it only makes the next build full.
    """

    def __init__(self, folder: Path, context: str, head: dict[str, Any] | None):
        self.folder = folder
        self.context = context
        self.head = head
        self.used: set[str] = set()
        self.reused = 0
        """Pages written from the cache by this process."""

    def key(self, file: File) -> str:
        digest = hashlib.sha256()
        for part in (self.context, file.src_uri, file.dest_uri, str(file.inclusion)):
            digest.update(part.encode("utf-8") + b"\0")
        content = file.content_string
        digest.update(content.encode("utf-8", errors="surrogatepass"))
        return digest.hexdigest()

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / key

    def _head(self) -> tuple[bytes, bytes]:
        assert self.head is not None
        return (
            LOG_HEAD_SEQ.format(self.head["seq"]).encode("utf-8"),
            LOG_HEAD_HASH.format(self.head["hash"]).encode("utf-8"),
        )

    def new_text(self) -> str:
        """What a page from the cache holds that was not scanned when it was kept."""
        return "" if self.head is None else b"\n".join(self._head()).decode("utf-8")

    def get(self, key: str) -> bytes | None:
        try:
            data = self._path(key).read_bytes()
        except OSError:
            return None
        if self.head is None:
            return data
        seq, head = self._head()
        return data.replace(_SEQ_MARK, seq).replace(_HASH_MARK, head)

    def put(self, key: str, data: bytes) -> None:
        if b"\0" in data:
            return
        if self.head is not None:
            seq, head = self._head()
            if data.count(seq) != 1 or data.count(head) != 1:
                return
            data = data.replace(seq, _SEQ_MARK).replace(head, _HASH_MARK)
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{key}.{os.getpid()}.tmp")
        partial.write_bytes(data)
        os.replace(partial, path)
        self.used.add(key)

    def prune(self) -> None:
        """Remove every page the last build did not use (and files a killed build left)."""
        if not self.folder.is_dir():
            return
        for sub in self.folder.iterdir():
            if not sub.is_dir():
                sub.unlink(missing_ok=True)
                continue
            for path in sub.iterdir():
                if path.name not in self.used:
                    path.unlink(missing_ok=True)


_ANCHOR_SUFFIXES = (".tlog-proof", ".tsr")


def _is_anchor(uri: str) -> bool:
    return uri == paths.CHECKPOINT or uri.startswith(paths.CHECKPOINTS_DIR) or uri.endswith(_ANCHOR_SUFFIXES)


VERSIONED = ("mkdocs", "properdocs", "mkdocs-material", "markdown", "pymdown-extensions", "jinja2", "markupsafe")


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _nav_key(items: Sequence[Any]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        children = getattr(item, "children", None)
        out.append([type(item).__name__, str(item.title), str(getattr(item, "url", "")), _nav_key(children or [])])
    return out


def context_key(engine: Engine, plugin: CongkhaiPlugin) -> str:
    """The part of every page's key that is the same for every page of a build (see
    :class:`PageCache`)."""
    config = engine.config
    assert plugin.site is not None
    installed = {Path(mkdocs_build.__file__).resolve().parent.parent}
    installed.add(Path(material.__file__).resolve().parent)  # the theme's package: known by its version
    own = Path(generator.__file__).resolve().parent
    themes = []
    for folder in map(Path, config.theme.dirs):
        where = folder.resolve()
        if where.is_relative_to(own) or any(where.is_relative_to(p) for p in installed):
            themes.append([str(folder), None])
        else:
            themes.append([str(folder), memo.tree_hash(folder) if folder.is_dir() else None])
    config_file = Path(config.config_file_path) if config.config_file_path else None
    parts = {
        "code": memo.code_hash(),
        "versions": {name: _version(name) for name in VERSIONED},
        "config": hashlib.sha256(config_file.read_bytes()).hexdigest() if config_file else None,
        "environment": sorted(
            (k, v) for k, v in os.environ.items() if k.startswith("CONGKHAI_") and k != "CONGKHAI_JOBS"
        ),
        "settings": repr(plugin.settings),
        "themes": themes,
        "nav": _nav_key(engine.nav.items),
        "files": sorted(f.dest_uri for f in engine.files if not _is_anchor(f.dest_uri)),
        "hotline": engine.env.globals.get("congkhai_hotline"),
        "empty log": plugin.site.log.head is None,
        "year": plugin.site.today.year,
        "menu memo": plugin.remember_nav,
        "strict": bool(config.strict),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def page_cache(engine: Engine, root: Path) -> PageCache | None:
    """The page cache of a build of ``engine`` (prepared), or None when pages cannot be
    reused safely: not strict (a reused page would not log again a warning it logged), or
    anchor links checked at warning level (a reused page is not checked again)."""
    plugin = congkhai_of(engine.config)
    config = engine.config
    if plugin is None or plugin.site is None or not config.strict:
        return None
    if config.validation.links.anchors >= logging.WARNING:
        return None
    return PageCache(root / PAGE_CACHE_DIR, context_key(engine, plugin), plugin.site.log.head)


class Previous:
    """The release deployed before this build (``publish`` to a folder): a file that is not
    a page and whose bytes are those of the same path there is made a hard link to it
    instead of written again, as the SSH deploy's ``rsync --link-dest`` does. The bytes are
    compared in full, so the new release holds exactly what a full build writes. Such a
    file is not scanned again for personal data when that release was built by this
    project's last build under the same rules (:meth:`remember` writes which release and
    which rules): the scan covers what is new."""

    MARK = "ban-trien-khai-truoc.json"

    def __init__(self, folder: Path, scanned: bool):
        self.folder = folder
        self.scanned = scanned
        """Its files were scanned, clean, under this build's rules."""
        self.rules = ""
        self.mark: Path | None = None
        self.linked = 0

    @classmethod
    def of(cls, engine: Engine, cache_root: Path, previous: Path | None) -> Previous | None:
        plugin = congkhai_of(engine.config)
        if plugin is None or plugin.site is None or engine.cache is None:
            return None
        rules = json.dumps([memo.code_hash(), repr(plugin.settings), plugin.site.today.year])
        mark = cache_root / PAGE_CACHE_DIR / cls.MARK
        if previous is None or not previous.is_dir():
            found = None
        else:
            try:
                found = json.loads(mark.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                found = None
            previous = previous.resolve()
        kept = found == {"site": str(previous), "rules": rules}
        out = cls(previous, kept) if previous is not None else cls(Path(), False)
        out.rules, out.mark = rules, mark
        return out

    def link(self, file: File, plugin: CongkhaiPlugin | None) -> bool:
        if not self.mark or not self.folder.parts or plugin is None:
            return False
        old = self.folder / file.dest_uri
        target = Path(file.abs_dest_path)
        try:
            if not old.is_file() or old.is_symlink():
                return False
            if isinstance(file, internals.LazyFile):
                made = file.made
                data = made.encode("utf-8") if isinstance(made, str) else made
                if old.stat().st_size != len(data) or old.read_bytes() != data:
                    return False
            elif file.abs_src_path is None or not filecmp.cmp(file.abs_src_path, old, shallow=False):
                return False
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(old, target)
        except OSError:  # another file system, no hard links: written as usual
            return False
        if self.scanned:
            plugin.scanned[str(target)] = []
        elif plugin.scanner is not None and target.suffix.lower() in SITE_SUFFIXES:
            plugin.scanned[str(target)] = text_problems(
                plugin.scanner, target.read_bytes(), target, plugin.settings.root
            )
        self.linked += 1
        return True

    def remember(self, site_dir: Path) -> None:
        """This build's release and rules, for the next build (see :class:`Previous`)."""
        if self.mark is None:
            return
        self.mark.parent.mkdir(parents=True, exist_ok=True)
        self.mark.write_text(json.dumps({"site": str(site_dir.resolve()), "rules": self.rules}), encoding="utf-8")
