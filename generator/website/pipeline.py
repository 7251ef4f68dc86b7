"""The build, step by step: load -> check -> plan -> render -> write -> scan.

Every way of making the site goes through these functions, in this order:

============  =====================================  ===========================================
step          function                               modules doing the work
============  =====================================  ===========================================
load          :func:`load` (``_load_*``)             ``categories``, ``records``, ``log``
check         :func:`load` (``_check``)              ``privacy`` (records, hand-written pages),
                                                     :func:`permanence_problems`
plan          :func:`plan` (``publish`` only)        ``log.plan_events``, ``log.seal``
render        :func:`outputs`                        ``render``, ``feeds``, ``search``, ``log``,
                                                     ``opendata``
write         :func:`write` or the site engine       ``plugin`` (MkDocs), ``write`` (``render``)
scan          :func:`scan`                           ``privacy.site_problems``
============  =====================================  ===========================================

:func:`outputs` is the one list of everything the site holds besides the engine's own
files: generated pages, hand-written pages whose markers were filled, feeds, calendars, the
search index, the log downloads, congkhai's theme assets, the attachments and the open data
(each record's ``du-lieu.json`` and the catalogue's ``dcat.json``). The MkDocs
plugin (``mkdocs build``/``serve``, ``congkhai build``/``publish``) and
``congkhai render --out`` both take their files from it, and every built site is scanned
for personal data (:func:`scan`).

``publish`` loads and checks once (under its lock), plans the events, and hands the site
*as logged* (:meth:`Site.with_logged`) to the engine: nothing is loaded twice, so what is
built is exactly what is logged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property, partial
from pathlib import Path
from typing import Any

from generator.core import memo, paths
from generator.core.config import Settings
from generator.core.errors import CongkhaiError, Problem
from generator.core.values import format_local
from generator.core.values import today as office_today
from generator.ledger import checkpoints, cosign
from generator.ledger.anchors import Anchors
from generator.ledger.log import Log, log_csv, read_log, seal
from generator.ledger.log import plan_events as _plan_events
from generator.records.category_file import CATEGORY_FILE, load_categories, load_common, site_path_problems
from generator.records.privacy import Allow, Guard, category_file_problems, content_problems, site_problems
from generator.records.record import Record, RecordCache, StoredRecordCache, load_records
from generator.website import attachment_text, feeds, opendata, search
from generator.website.evidence_facts import facts_file
from generator.website.render import Renderer, expand_markers
from generator.website.site import Site

THEME_DIR = Path(__file__).parent / "theme"
"""congkhai's theme overrides (templates) and assets, put in front of Material's."""
THEME_ASSETS = (
    paths.CSS,
    paths.SCRIPT,
    paths.SEARCH_SCRIPT,
    paths.MD_BASE_SCRIPT,
    paths.MD_CONTENT_SCRIPT,
    paths.LOG_FILTER_SCRIPT,
)
"""The styles and scripts every page uses; a missing one is an error, never skipped."""
THEME_TEMPLATES = (
    "main.html",
    "partials/header.html",
    "partials/javascripts/base.html",
    "partials/javascripts/content.html",
)
"""congkhai's overrides of Material's templates (hotline banner, log head, search form,
the theme's inline scripts as files)."""


@dataclass(frozen=True, eq=False)
class Output:
    """One file of the built site.

    ``path`` is relative to the site root; a page is given by its Markdown source path
    (``a/index.md``), which the engine renders to ``a/index.html``. Exactly one of ``make``
    (a function giving the page's Markdown, or the file's bytes, when first asked for:
    :attr:`content`) or ``source`` (a file copied from disk) is set.
    """

    path: str
    make: Callable[[], str | bytes] | None = None
    source: Path | None = None
    page: bool = False
    """True: ``make`` gives Markdown for the engine to render."""
    in_nav: bool = True
    """False for a page reached only by links (the search page)."""
    generated: bool = False
    """A page congkhai's templates wrote in full (not a hand-written page): its HTML blocks
    are congkhai's, escaped and cleaned, and stay exactly as they are."""

    @classmethod
    def of_page(cls, path: str, make: Callable[[], str], in_nav: bool = True, generated: bool = True) -> Output:
        return cls(path, make=make, page=True, in_nav=in_nav, generated=generated)

    @classmethod
    def of_data(cls, path: str, make: Callable[[], bytes]) -> Output:
        return cls(path, make=make)

    @cached_property
    def content(self) -> str | bytes:
        """The page's Markdown or the file's bytes, made once."""
        if self.make is None:
            assert self.source is not None
            return self.source.read_bytes()
        return self.make()

    @property
    def is_page(self) -> bool:
        return self.page

    @property
    def markdown(self) -> str | None:
        return self.content if self.page else None  # type: ignore[return-value]

    @property
    def data(self) -> bytes | None:
        return self.content if self.make is not None and not self.page else None  # type: ignore[return-value]


@dataclass(frozen=True, eq=False)
class Bundle:
    """Files whose paths are only known once they are made (the search index files carry
    a hash of their content in their names; feeds and proofs are made together)."""

    name: str
    make: Callable[[], list[Output]]
    holds: Callable[[str], bool]
    """Whether a path may be one of the bundle's files (without making them)."""

    @cached_property
    def outputs(self) -> list[Output]:
        return self.make()


# --- load and check -------------------------------------------------------------------


RECORD_CACHE = ".congkhai-cache/ban-ghi.pickle"
"""Where the office's own commands keep what each record file gave (:class:`StoredRecordCache`)."""


def load(
    settings: Settings, today: dt.date | None = None, cache: RecordCache | None = None, stored: bool = False
) -> Site:
    """Load categories, records and the log, and check them; raise :class:`CongkhaiError`
    listing every problem. ``today`` defaults to today in the office's time zone; ``cache``
    (the preview) keeps what each record file gave, for files that did not change;
    ``stored`` (the office's own ``check``, ``build``, ``publish``): the same, kept in the
    project's cache folder between commands (:data:`RECORD_CACHE`), written only when the
    records have no problem (a refused command writes nothing)."""
    today = today or office_today(settings.timezone)
    categories = load_categories(settings.disclosures_dir, settings.root)
    common = load_common()
    if not settings.disclosures_dir.is_dir():
        raise CongkhaiError(f"không tìm thấy thư mục bản ghi {settings.disclosures_dir}")
    if stored and cache is None:
        cache = StoredRecordCache.open(settings.root / RECORD_CACHE, _record_salt(settings, today), categories)
    records, problems, broken = load_records(
        settings.disclosures_dir, settings.root, categories, common, settings.max_attachment_bytes, today, cache=cache
    )
    kept = cache if isinstance(cache, StoredRecordCache) else None
    if kept is not None:
        cache = None
    problems = site_path_problems(categories, settings.docs_dir, settings.root) + problems
    log = read_log(settings.log_path, paths.relpath(settings.log_path, settings.root))
    problems += _check(settings, records, log, broken, today, cache.checked if cache is not None else None)
    if kept is not None:
        if not problems:  # a refused command writes nothing, not even its cache
            kept.save()
        kept.clear()  # the entries go before the site's other large objects are made
    if problems:
        raise CongkhaiError(problems)
    return Site(settings, categories, common, records, log, today, load_anchors(settings))


def _record_salt(settings: Settings, today: dt.date) -> str:
    """What a record file's checks read besides the file and its folder: the code, the
    project's own category files, the day, the settings."""
    digest = hashlib.sha256()
    for part in (memo.code_hash(), today.isoformat(), repr(settings)):
        digest.update(part.encode("utf-8") + b"\0")
    for path in sorted(settings.disclosures_dir.glob(f"*/{CATEGORY_FILE}")):
        digest.update(path.as_posix().encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def load_anchors(settings: Settings) -> Anchors:
    """The checkpoints, tokens and cosignatures kept beside the log."""
    store = checkpoints.Store(checkpoints.store_dir(settings.log_path))
    sizes = store.sizes()
    received = cosign.stored(store.folder)
    return Anchors(
        {n: store.note(n) for n in sizes},
        {n: store.tokens(n) for n in sizes},
        {n: received[n] for n in sizes if n in received},
    )


def _check(
    settings: Settings,
    records: list[Record],
    log: Log,
    broken: set[str],
    today: dt.date,
    memo: dict[int, Any] | None = None,
) -> list[Problem]:
    """The checks across records: the privacy guard over public records, hand-written
    pages and the office's category files, and the permanence of published URLs."""
    guard = Guard.for_records(settings, records, today)
    problems = guard.check(records, memo)
    problems += content_problems(settings.docs_dir, settings.root, guard.allow, today)
    problems += category_file_problems(settings.disclosures_dir, settings.root, guard.allow, today)
    problems += permanence_problems(records, log, settings, broken)
    return problems


def permanence_problems(records: list[Record], log: Log, settings: Settings, broken: set[str]) -> list[Problem]:
    """A published record keeps its URL for ever: its file may not be deleted, its id
    not changed, and it may not become internal. Withdrawing is the way out. Records
    whose file exists but has errors (``broken``) are reported by those errors only."""
    by_key = {r.key: r for r in records}
    log_name = paths.relpath(settings.log_path, settings.root)
    problems = []
    for key, history in log.histories().items():
        record = by_key.get(key)
        first = history.events[0]
        when = format_local(first["at"], settings.timezone)
        if record is None and key in broken:
            continue
        if record is None:
            how = (
                "không được xóa tệp hay đổi id/tên tệp của thông tin đã công bố; hãy khôi phục tệp (id: "
                f"{key.split('/', 1)[1]}) và thêm withdrawn: {{date: …, reason: …}} để thu hồi"
            )
            problems.append(
                Problem(
                    log_name,
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


# --- plan -----------------------------------------------------------------------------


def plan(site: Site, at: str, commit: str | None) -> list[dict[str, Any]]:
    """The events a publish appends now, sealed (``seq``, ``prev``, ``hash``)."""
    return seal(site.log, _plan_events(site.records, site.log, site.settings, at, commit))


def origin(settings: Settings) -> str:
    """The log's name in its checkpoints."""
    return checkpoints.log_origin(settings)


def checkpoint(site: Site) -> bytes:
    """The checkpoint note of ``site``'s log as it stands (signed with the office's key
    when it has one)."""
    key = checkpoints.load_signing_key(site.settings.signing_key, site.settings.root)
    return checkpoints.make(origin(site.settings), len(site.log.events), site.tree.head(), key)


# --- render ---------------------------------------------------------------------------


def outputs(site: Site) -> list[Output]:
    """Every file congkhai adds to the site, in a stable order (see the module doc)."""
    planned, bundles = plan_outputs(site)
    out = list(planned)
    for bundle in bundles:
        out += bundle.outputs
    return out


def _given(value: str | bytes) -> Callable[[], str | bytes]:
    """A maker for content already made."""
    return lambda: value


def plan_outputs(site: Site) -> tuple[list[Output], list[Bundle]]:
    """The site's files as :func:`outputs` lists them, none of them made yet: the files of
    known path (pages, log downloads, theme assets, attachments), then the bundles (feeds,
    search index, checkpoints and proofs) whose paths are known once made. A full build
    makes all of them; the preview makes the ones a reader asks for."""
    renderer = Renderer(site)
    out = _content_outputs(site)
    out += [Output.of_page(src, make) for src, make in renderer.page_makers().items()]
    index = cache(partial(search.build_index, site))
    out.append(
        Output.of_page(
            paths.page_source(paths.SEARCH_PAGE), lambda: search.search_page(site, index().manifest), in_nav=False
        )
    )
    out.append(Output.of_data(paths.LOG_JSONL, lambda: site.log.raw))
    out.append(Output.of_data(paths.LOG_CSV, lambda: log_csv(site.log.events, site.settings.timezone)))
    out.append(Output.of_data(paths.EVIDENCE_FACTS, lambda: facts_file(site)))
    vkey = checkpoints.office_verifier_key(site.settings)
    if vkey is not None:
        out.append(Output.of_data(paths.VERIFIER_KEY, _given((vkey + "\n").encode("ascii"))))
    if not any(o.path == ROBOTS_TXT for o in out):  # the office's own robots.txt, when it has one, wins
        out.append(Output.of_data(ROBOTS_TXT, partial(robots_txt, site)))
    out += _theme_outputs()
    out += [Output(f"{r.url_path}{a.file}", source=a.path) for r in site.public_records for a in r.attachments]
    out += [
        Output.of_data(paths.record_data(r.url_path), partial(opendata.record_data, site, r))
        for r in site.public_records
    ]
    out.append(Output.of_data(paths.CATALOGUE_DATA, partial(opendata.catalogue_data, site)))
    out += _attachment_text_pages(site)
    bundles = [
        Bundle(
            "feeds",
            lambda: [Output.of_data(d, _given(b)) for d, b in feeds.feed_files(site).items()],
            lambda path: (
                path.rpartition("/")[2] in (paths.SITE_FEED, paths.CALENDAR)
                or bool(feeds.SESSION_FILE.fullmatch(path.rpartition("/")[2]))
            ),
        ),
        Bundle(
            "search",
            lambda: [Output.of_data(d, _given(b)) for d, b in index().files.items()],
            lambda path: path.startswith(paths.SEARCH_INDEX_DIR),
        ),
        Bundle(
            "anchors",
            partial(_anchor_outputs, site),
            lambda path: (
                path == paths.CHECKPOINT or path.startswith(paths.CHECKPOINTS_DIR) or path.endswith(".tlog-proof")
            ),
        ),
    ]
    return out, bundles


def _attachment_text_pages(site: Site) -> list[Output]:
    """The accessible text version of each PDF or image attachment (its text layer or OCR),
    a page beside its record's page, reached from the record's attachment row."""
    texts = attachment_text.cache_dir(site.settings.root)
    out = []
    for record in site.public_records:
        for a in record.attachments:
            page = paths.attachment_text_page(record.url_path, a.file)
            if page is not None:
                make = partial(_attachment_text_page, record.title, a.title, a.file, a.path, a.sha256, texts)
                out.append(Output.of_page(paths.page_source(page), make, in_nav=False))
    return out


def _attachment_text_page(record_title: str, title: str, file: str, path: Path, sha256: str, texts: Path) -> str:
    return attachment_text.text_page(record_title, title, file, attachment_text.read(path, sha256, texts), 1)


ROBOTS_TXT = "robots.txt"


def robots_txt(site: Site) -> bytes:
    """``robots.txt``: every page may be indexed, and the sitemap is named (its absolute URL)."""
    return f"User-agent: *\nAllow: /\n\nSitemap: {site.settings.url_for('sitemap.xml')}\n".encode()


def _content_outputs(site: Site) -> list[Output]:
    """The hand-written pages and files of ``docs_dir``: copied as they are, except pages
    holding a marker (home block, field reference), which are filled."""
    docs = site.settings.docs_dir
    out: list[Output] = []
    if not docs.is_dir():
        return out
    for path in sorted(p for p in docs.rglob("*") if p.is_file()):
        rel = path.relative_to(docs).as_posix()
        if any(part.startswith(".") for part in rel.split("/")):
            continue
        if path.suffix == ".md":
            text = path.read_text(encoding="utf-8")
            filled = expand_markers(site, text, paths.page_url(rel))
            if filled != text:
                out.append(Output.of_page(rel, _given(filled), generated=False))
                continue
        out.append(Output(rel, source=path))
    return out


def theme_dir() -> Path:
    """congkhai's theme folder, after checking that every file of it is there (an install
    that lost one is an error, never a silently broken site)."""
    for name in (*THEME_TEMPLATES, *THEME_ASSETS):
        if not (THEME_DIR / name).is_file():
            raise CongkhaiError(f"thiếu tệp {THEME_DIR / name} của congkhai: bản cài đặt bị hỏng, hãy cài lại congkhai")
    return THEME_DIR


def _anchor_outputs(site: Site) -> list[Output]:
    """The checkpoints, their tokens, and one proof file per logged event of a public record
    (against the first checkpoint that contains the event, the one its tokens cover). Served
    checkpoints carry the witnesses' cosignatures after the office's signature; the tokens
    cover the office's note (:func:`generator.ledger.cosign.office_note`)."""
    anchors = site.anchors
    if anchors.latest is None:
        return []
    out = [Output.of_data(paths.CHECKPOINT, _given(anchors.served(anchors.latest)))]
    for size in sorted(anchors.notes):
        out.append(Output.of_data(paths.checkpoint_file(size), _given(anchors.served(size))))
        out += [
            Output.of_data(paths.token_file(size, tsa), _given(token))
            for tsa, token in sorted(anchors.tokens[size].items())
        ]
    public = {r.key: r for r in site.public_records}
    tree = site.tree
    for index, event in enumerate(site.log.events):
        record = public.get(event.get("id"))
        size = anchors.covering(index + 1)
        if record is None or size is None or size > tree.size:
            continue
        proof = tree.inclusion_proof(index, size)
        data = checkpoints.proof_file(index, proof, anchors.served(size))
        out.append(Output.of_data(paths.proof_file(record.url_path, index + 1), _given(data)))
    return out


def _theme_outputs() -> list[Output]:
    folder = theme_dir()
    return [Output(asset, source=folder / asset) for asset in THEME_ASSETS]


# --- write and scan -------------------------------------------------------------------


def write(files: list[Output], out: Path) -> list[Path]:
    """Write ``files`` under ``out`` (pages as Markdown, for any engine that reads a
    folder of Markdown: ``congkhai render --out``)."""
    written = []
    for item in files:
        target = out / item.path
        target.parent.mkdir(parents=True, exist_ok=True)
        if item.page:
            target.write_text(item.markdown or "", encoding="utf-8")
        elif item.make is not None:
            target.write_bytes(item.content)  # type: ignore[arg-type]
        else:
            assert item.source is not None
            shutil.copyfile(item.source, target)
        written.append(target)
    return written


def scan(
    site_dir: Path,
    settings: Settings,
    today: dt.date | None = None,
    delete: bool = True,
    scanned: dict[str, list[Problem]] | None = None,
) -> None:
    """The privacy guard over every text file of a built site; raise the problems found.
    With ``delete`` the folder, just written by this build, is deleted first, so that no
    page with personal data is left to be served. ``scanned``: pages the engine scanned as
    it wrote them (see :func:`generator.records.privacy.site_problems`)."""
    problems = site_problems(site_dir, Allow.for_settings(settings), settings.root, today, scanned)
    if problems:
        if not delete:
            raise CongkhaiError(problems, f"các tệp đã ghi vào {site_dir} được giữ lại để xem, đừng đăng chúng")
        shutil.rmtree(site_dir, ignore_errors=True)
        raise CongkhaiError(problems, f"đã xóa thư mục trang vừa dựng ({site_dir.name}) vì có thông tin cá nhân")


def render_site(settings: Settings, out: Path) -> list[Path]:
    """``congkhai render --out``: load -> check -> render -> write -> scan, no engine."""
    site = load(settings)
    written = write(outputs(site), out)
    scan(out, settings, site.today, delete=False)  # the folder is the user's: keep it
    return written
