"""Render records and category indexes to Markdown pages (with escaped HTML blocks).

Templates live in ``generator/website/templates``; every value from a record passes through
Jinja2's autoescaping. Markdown values (the ``body`` and any ``markdown`` field) are
rendered here and cleaned by :mod:`generator.core.sanitize` (nh3), so the generated pages are
safe in any engine; top-level headings of a body stay Markdown headings for the table of
contents. Links are relative, so the pages work under any ``site_url``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from functools import partial
from itertools import groupby
from typing import Any

from generator.core import paths
from generator.core.values import format_local, parse_instant
from generator.ledger import cosign
from generator.ledger.checkpoints import office_verifier_key
from generator.records import signatures
from generator.records.categories import Category
from generator.records.fields import Field
from generator.records.record import Record
from generator.website.feeds import calendar_categories, record_sessions, session_file, upcoming_sessions
from generator.website.site import Site
from generator.website.templating import render

#: Common fields shown in the page header, not in the details section.
HEADER_FIELDS = {
    "title",
    "id",
    "kind",
    "summary",
    "body",
    "document",
    "unit",
    "valid_from",
    "valid_until",
    "posting",
    "attachments",
    "visibility",
    "withdrawn",
    "sample",
    "tags",
    "change_note",
}


EVENT_LABELS = {"published": "Công bố", "updated": "Cập nhật", "withdrawn": "Thu hồi"}

INDEX_SIZE = 30
"""Records listed on a category index (the newest); the year pages list all."""
LOG_RECENT = 200
"""Events on the log page; older ones are on archive pages and in the downloads."""
LOG_BLOCK = 500
"""Events per log archive page."""
CATALOGUE_SIZE = 300
"""Records the catalogue shows on one page before it is split by year."""

HOME_MARKER = "<!-- congkhai:home -->"
"""Put on its own line in the home page to insert the hotline, the next reception session,
the latest disclosures and the categories there."""
HOME_LATEST = 10
HOME_SESSIONS = 3
"""Upcoming sessions put on the home page; the page shows the first that has not passed
(``congkhai.js`` hides passed ones, so a site not rebuilt for a while stays right)."""
WEEKDAYS = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật"]

FIELDS_MARKER = "<!-- congkhai:fields -->"
"""Put on its own line in a hand-written page to insert the field reference there."""

_TYPE_NAMES = {
    "text": "văn bản",
    "markdown": "Markdown",
    "slug": "chữ không dấu",
    "idpath": "đường dẫn",
    "date": "ngày (2026-06-05 hoặc 05/06/2026)",
    "time": 'giờ ("07:30")',
    "month": "tháng (2026-05)",
    "int": "số nguyên",
    "year": "năm (2026)",
    "bool": "true/false",
    "url": "địa chỉ web",
    "email": "thư điện tử",
    "phone": 'số điện thoại, trong dấu nháy ("0296 3xxx xxx")',  # not a real number: see privacy
    "money": "số tiền (đồng)",
    "enum": "một trong các giá trị",
    "list": "danh sách",
    "map": "nhóm trường",
}


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _field_rows(fields: dict[str, Field], prefix: str = "") -> list[str]:
    rows = []
    for name, spec in fields.items():
        kind = _TYPE_NAMES.get(spec.type, spec.type)
        if spec.type == "list" and spec.of:
            kind += f" ({_TYPE_NAMES.get(spec.of, spec.of)})"
        if spec.values:
            kind += ": " + ", ".join(f"`{k}` ({v})" for k, v in spec.values.items())
        need = "bắt buộc" if spec.required else "không"
        if spec.kinds:
            need += " — chỉ cho loại " + ", ".join(f"`{k}`" for k in spec.kinds)
        rows.append(
            f"| `{prefix}{name}` | {_md_cell(spec.label)} | {_md_cell(kind)} | {need} | {_md_cell(spec.help)} |"
        )
        if spec.fields:
            sub = f"{prefix}{name}[]." if spec.type == "list" else f"{prefix}{name}."
            rows += _field_rows(spec.fields, sub)
    return rows


def field_reference(categories: dict[str, Category], common: dict[str, Field]) -> str:
    """Markdown tables of every field (common, then per category): the staff guide's
    reference, generated from the category data so it never drifts from it."""
    head = ["| Trường | Ý nghĩa | Kiểu | Bắt buộc | Ghi chú |", "|---|---|---|---|---|"]
    out = ["### Các trường chung", "", *head, *_field_rows(common), ""]
    for category in categories.values():
        out += [f"### {category.title} (`{category.slug}`)", ""]
        if category.kinds:
            kinds = ", ".join(f"`{k}` ({v})" for k, v in category.kinds.items())
            out += [f"Loại (`kind`, bắt buộc): {kinds}.", ""]
        if category.document_required:
            out += ["Trường `document` (văn bản, có `date`) là bắt buộc.", ""]
        out += [*head, *_field_rows(category.fields), ""]
    return "\n".join(out)


def _newest_first_key(item: tuple[str | None, Record]) -> tuple[int, float, int, str]:
    """Sort key for ``(logged time or None, record)``: logged ones by time, then by the
    record's own date (a preview build has no log)."""
    at, record = item
    return (
        1 if at else 0,
        parse_instant(at).timestamp() if at else 0.0,
        record.date.toordinal() if record.date else 0,
        record.key,
    )


class Renderer:
    """Turns a :class:`~generator.website.site.Site` into Markdown pages."""

    def __init__(self, site: Site):
        self.site = site
        self.calendars = calendar_categories(site)
        """Categories that have a ``lich.ics``."""

    def local(self, at: str, with_time: bool = False) -> str:
        """An event time as the office reads it: dd/mm/yyyy (HH:MM) in its time zone."""
        return format_local(at, self.site.settings.timezone, with_time)

    def cosigners(self, size: int | None) -> list[tuple[str, str]]:
        """``(witness name, dd/mm/yyyy HH:MM)`` of each witness of the option ``witnesses``
        whose valid cosignature the checkpoint of ``size`` carries."""
        if size is None or size not in self.site.anchors.notes:
            return []
        note = self.site.anchors.served(size)
        out = []
        for witness in self.site.settings.witnesses:
            when = cosign.cosignatures(note, str(witness.get("key", "")))
            if when is not None:
                out.append((str(witness.get("name", "")), self.local(when.isoformat(timespec="seconds"), True)))
        return out

    def pages(self) -> dict[str, str]:
        """Every generated page by source path (see :meth:`page_makers`)."""
        return {src: make() for src, make in self.page_makers().items()}

    def page_makers(self) -> dict[str, Callable[[], str]]:
        """Every generated page by source path, each as a function that renders it: listing
        a site's pages costs little, rendering is done for the pages asked for (a preview
        renders one page per request). The log and catalogue pages come last, so that they
        win over anything of the same path: ``check`` refuses a category named like a page
        of the site, and should that refusal ever be bypassed, congkhai's own pages still
        cannot be replaced by a record's."""
        out: dict[str, Callable[[], str]] = {}
        for category in self.site.categories.values():
            records = self.site.records_in(category)
            taken = {r.url_path for r in records}
            for url, make in self.listing_makers(category, records).items():
                if url not in taken:  # a record's permanent URL wins over a filter page
                    out[paths.page_source(url)] = make
            for record in records:
                out[f"{category.slug}/{record.id}.md"] = partial(self.render_record, record)
        for url, make in {**self.log_makers(), **self.catalogue_makers()}.items():
            out.pop(paths.page_source(url), None)  # keep the order: own pages last
            out[paths.page_source(url)] = make
        return out

    def listing_pages(self, category: Category, records: list[Record]) -> dict[str, str]:
        """The category index and its filter pages, rendered (see :meth:`listing_makers`)."""
        return {url: make() for url, make in self.listing_makers(category, records).items()}

    def listing_makers(self, category: Category, records: list[Record]) -> dict[str, Callable[[], str]]:
        """The category index and its filter pages, by URL path:

        - ``<slug>/``: the newest :data:`INDEX_SIZE` records, grouped by year;
        - ``<slug>/<year>/``: every record of one year;
        - ``<slug>/loai-<kind>/``: the newest :data:`INDEX_SIZE` records of one kind;
        - ``<slug>/<year>/loai-<kind>/``: every record of one kind in one year.

        Each page carries links to the others (plain links: no JavaScript needed), so a
        year's full list stays reachable however many records the category holds.
        """
        years = sorted({r.date.year for r in records if r.date}, reverse=True)
        kinds = [k for k in category.kinds if any(r.kind == k for r in records)]

        def url(year: int | None, kind: str | None) -> str:
            return paths.category_page(category.slug, year, kind)

        def select(year: int | None, kind: str | None) -> list[Record]:
            return [r for r in records if (year is None or (r.date and r.date.year == year)) and kind in (None, r.kind)]

        counts: Counter[tuple[int | None, str | None]] = Counter()
        for r in records:
            year_of = r.date.year if r.date else None
            for y in {None, year_of}:
                for k in {None, r.kind}:
                    counts[y, k] += 1

        def count(year: int | None, kind: str | None) -> int:
            """``len(select(year, kind))``, counted once for the category."""
            return counts[year, kind]

        def make(year: int | None, kind: str | None, here: str, chosen: list[Record]) -> str:
            facets = []
            if len(years) > 1 or (years and year):
                links = [("Tất cả", paths.relative_url(here, url(None, kind)), None, year is None)]
                links += [(str(y), paths.relative_url(here, url(y, kind)), count(y, kind), y == year) for y in years]
                facets.append(("Năm", links))
            if kinds:
                links = [("Tất cả", paths.relative_url(here, url(year, None)), None, kind is None)]
                links += [
                    (category.kind_label(k), paths.relative_url(here, url(year, k)), count(year, k), k == kind)
                    for k in kinds
                    if count(year, k)
                ]
                facets.append(("Loại", links))
            return self.render_index(category, chosen, here, facets, year, kind)

        pages = {}
        for year in [None, *years]:
            for kind in [None, *kinds]:
                if (year or kind) and not count(year, kind):
                    continue
                here = url(year, kind)
                pages[here] = partial(lambda y, k, h: make(y, k, h, select(y, k)), year, kind, here)
        return pages

    def render_index(
        self,
        category: Category,
        records: list[Record],
        here: str | None = None,
        facets: list | None = None,
        year: int | None = None,
        kind: str | None = None,
    ) -> str:
        here = here or paths.category_page(category.slug)
        shown = records if year else records[:INDEX_SIZE]
        groups = [(y, list(items)) for y, items in groupby(shown, key=lambda r: r.date.year if r.date else None)]
        title = category.title
        if kind:
            title += f" – {category.kind_label(kind)}"
        if year:
            title += f" – năm {year}"
        calendar = paths.calendar(category.slug) if category.slug in self.calendars else None
        return render(
            "index.md.j2",
            category=category,
            groups=groups,
            here=here,
            title=title,
            facets=facets or [],
            year=year,
            kind=kind,
            more=len(shown) < len(records),
            shown=len(shown),
            total=len(records),
            feed=paths.feed(category.slug),
            calendar=calendar,
        )

    def render_home(self, here: str = "") -> str:
        """The generated part of the home page (see :data:`HOME_MARKER`): built at build
        time, so "next session" means the next one on the day the site was built."""
        site = self.site
        latest: list[tuple[str | None, Record]] = []
        for record in site.public_records:
            history = site.history(record)
            latest.append((history.last_updated if history else None, record))
        latest.sort(key=_newest_first_key, reverse=True)
        upcoming = upcoming_sessions(site)
        return render(
            "home.md.j2",
            here=here,
            hotline=site.hotline(),
            upcoming=upcoming[:HOME_SESSIONS],
            calendars=self.calendars,
            calendar_path=paths.calendar,
            latest=latest[:HOME_LATEST],
            categories=[(c, len(site.records_in(c))) for c in site.categories.values()],
            feed=paths.feed(),
            today=site.today,
            weekday=lambda day: WEEKDAYS[day.weekday()],
            local=self.local,
        )

    def log_pages(self) -> dict[str, str]:
        """The log as pages, rendered (see :meth:`log_makers`)."""
        return {url: make() for url, make in self.log_makers().items()}

    def log_makers(self) -> dict[str, Callable[[], str]]:
        """The log as pages, by URL path: ``nhat-ky-cong-khai/`` shows the newest
        :data:`LOG_RECENT` events; once there are more, ``nhat-ky-cong-khai/tu-<seq>/`` pages
        hold every event in fixed blocks of :data:`LOG_BLOCK` counted from the first, so an
        archive page's address and content never change once its block is full."""
        events = self.site.log.events
        blocks = [events[i : i + LOG_BLOCK] for i in range(0, len(events), LOG_BLOCK)]
        archive = (
            [(paths.log_archive_page(b[0]["seq"]), b[0]["seq"], b[-1]["seq"]) for b in blocks]
            if len(events) > LOG_RECENT
            else []
        )
        pages = {paths.LOG_PAGE: partial(self.render_log_page, events[-LOG_RECENT:], paths.LOG_PAGE, archive)}
        for (url, first, last), block in zip(archive, blocks if archive else [], strict=True):
            pages[url] = partial(self.render_log_page, block, url, archive, (first, last))
        return pages

    def render_log_page(
        self,
        events: list[dict[str, Any]],
        here: str = paths.LOG_PAGE,
        archive: list[tuple[str, int, int]] | None = None,
        block: tuple[int, int] | None = None,
    ) -> str:
        shown = list(reversed(events))
        years = sorted({self.local(e["at"])[-4:] for e in shown}, reverse=True)
        return render(
            "log.md.j2",
            events=shown,
            total=len(self.site.log.events),
            years=years,
            categories=self.site.categories,
            head=self.site.log.head,
            labels=EVENT_LABELS,
            local=self.local,
            here=here,
            archive=[(paths.relative_url(here, url), first, last, url == here) for url, first, last in archive or []],
            block=block,
            settings=self.site.settings,
            latest=self.site.anchors.latest,
            cosigners=self.cosigners(self.site.anchors.latest),
            vkey=None if block else office_verifier_key(self.site.settings),
        )

    def catalogue_pages(self) -> dict[str, str]:
        """The catalogue, rendered (see :meth:`catalogue_makers`)."""
        return {url: make() for url, make in self.catalogue_makers().items()}

    def catalogue_makers(self) -> dict[str, Callable[[], str]]:
        """The catalogue, by URL path. Up to :data:`CATALOGUE_SIZE` records it is one page;
        beyond, ``danh-muc-thong-tin/`` lists the newest year (and undated records) and
        ``danh-muc-thong-tin/<year>/`` each year, with links between them."""
        groups = [(c, self.site.records_in(c)) for c in self.site.categories.values()]
        total = sum(len(records) for _, records in groups)
        years = sorted({r.date.year for _, records in groups for r in records if r.date}, reverse=True)
        if total <= CATALOGUE_SIZE or len(years) < 2:
            return {paths.CATALOGUE_PAGE: partial(self.render_catalogue, groups, paths.CATALOGUE_PAGE)}

        def of_year(year: int | None) -> list[tuple[Category, list[Record]]]:
            return [(c, [r for r in records if (r.date.year if r.date else None) == year]) for c, records in groups]

        def facets(here: str, current: int | None) -> list:
            return [
                (
                    "Năm",
                    [
                        (
                            str(y),
                            paths.relative_url(
                                here, paths.CATALOGUE_PAGE if y == years[0] else paths.catalogue_year_page(y)
                            ),
                            None,
                            y == current,
                        )
                        for y in years
                    ],
                )
            ]

        def newest() -> str:
            latest = [(c, a + b) for (c, a), (_, b) in zip(of_year(years[0]), of_year(None), strict=True)]
            here = paths.CATALOGUE_PAGE
            return self.render_catalogue(latest, here, facets(here, years[0]), years[0])

        def one_year(year: int) -> str:
            here = paths.catalogue_year_page(year)
            return self.render_catalogue(of_year(year), here, facets(here, year), year)

        pages: dict[str, Callable[[], str]] = {paths.CATALOGUE_PAGE: newest}
        for year in years[1:]:
            pages[paths.catalogue_year_page(year)] = partial(one_year, year)
        return pages

    def render_catalogue(
        self,
        groups: list[tuple[Category, list[Record]]],
        here: str = paths.CATALOGUE_PAGE,
        facets: list | None = None,
        year: int | None = None,
    ) -> str:
        return render(
            "catalogue.md.j2",
            groups=groups,
            history=self.site.history,
            local=self.local,
            here=here,
            facets=facets or [],
            year=year,
            is_main=here == paths.CATALOGUE_PAGE,
        )

    def render_record(self, record: Record) -> str:
        category = record.category
        fields = category.all_fields(self.site.common, record.kind)
        details = [
            (spec, record.data[name])
            for name, spec in fields.items()
            if name not in HEADER_FIELDS and record.data.get(name) not in (None, [], {})
        ]
        notices = [spec.label for spec, value in details if spec.type == "bool" and value and spec.notice]
        return render(
            "record.md.j2",
            **self._record_context(record, category, details, notices),
        )

    def session_links(self, record: Record) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """The record's sessions as links to their own ``.ics`` (relative to its page), and
        the next one on or after the build day (None: none, or the schedule is withdrawn).
        The page's script moves "the next one" on when the page is read later."""
        if record.category.slug not in self.calendars:
            return [], None
        links = [
            {
                "date": day,
                "start": session.get("start"),
                "href": session_file(record, day, session.get("start"), repeat).rsplit("/", 1)[-1],
            }
            for day, session, repeat in record_sessions(record)
        ]
        coming = [link for link in links if link["date"] >= self.site.today]
        if not coming or record.data.get("withdrawn"):
            return links, None
        return links, min(coming, key=lambda link: (link["date"], link["start"] or dt.time()))

    def _record_context(self, record: Record, category: Category, details: list, notices: list) -> dict[str, Any]:
        sessions, upcoming = self.session_links(record)
        return dict(
            record=record,
            category=category,
            data=record.data,
            common=self.site.common,
            details=[(s, v) for s, v in details if not (s.type == "bool" and s.notice)],
            notices=notices,
            here=record.url_path,
            history=self.site.history(record),
            labels=EVENT_LABELS,
            local=self.local,
            permalink=self.site.settings.url_for(record.url_path),
            covering=self.site.anchors.covering,
            tokens=self.site.anchors.tokens,
            cosigners=self.cosigners,
            signed=signatures.page_lines(record.attachments, self.site.settings),
            today=self.site.today,
            sessions=sessions,
            upcoming=upcoming,
            calendar=paths.relative_url(record.url_path, paths.calendar(category.slug))
            if category.slug in self.calendars
            else None,
        )


def expand_markers(site: Site, markdown: str, here: str = "") -> str:
    """Fill the markers a hand-written page may hold: :data:`HOME_MARKER` (the home block)
    and :data:`FIELDS_MARKER` (the field reference); ``here`` is the page's URL path, for
    relative links."""
    if FIELDS_MARKER in markdown:
        markdown = markdown.replace(FIELDS_MARKER, field_reference(site.categories, site.common))
    if HOME_MARKER in markdown:
        markdown = markdown.replace(HOME_MARKER, Renderer(site).render_home(here))
    return markdown
