"""Render records and category indexes to Markdown pages (with escaped HTML blocks).

Templates live in ``generator/templates``; every value from a record passes through
Jinja2's autoescaping. Markdown values (the ``body`` and any ``markdown`` field) are
rendered here and cleaned by :mod:`generator.sanitize` (nh3), so the generated pages are
safe in any engine; top-level headings of a body stay Markdown headings for the table of
contents. Links are relative, so the pages work under any ``site_url``.
"""

from __future__ import annotations

import json
import posixpath
from functools import cached_property
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from generator.categories import Category, Field
from generator.log import parse_time
from generator.sanitize import markdown_page_part, markdown_to_html
from generator.values import format_date, format_money

if TYPE_CHECKING:
    from generator.records import Record
    from generator.site import Site

TEMPLATES = Path(__file__).parent / "templates"

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


def relative_url(from_dir: str, to_path: str) -> str:
    """Relative link from a page served at ``from_dir`` (``a/b/``) to ``to_path``."""
    rel = posixpath.relpath("/" + to_path, "/" + from_dir)
    if to_path.endswith("/") and not rel.endswith("/"):
        rel += "/"
    return "./" if rel in (".", "./") else rel


def human_size(size: int) -> str:
    """Bytes as Vietnamese shows them: ``12,3 KB``."""
    value = float(size)
    for unit in ("byte", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            text = f"{value:.0f}" if unit == "byte" else f"{value:.1f}"
            return f"{text.replace('.', ',')} {unit}"
        value /= 1024
    return f"{size} byte"  # pragma: no cover


def tel_link(number: str) -> str:
    """``0296 3800 000`` -> ``tel:02963800000``."""
    return "tel:" + "".join(c for c in number if c.isdigit() or c == "+")


def format_value(spec: Field, value: Any) -> Markup:
    """One typed scalar value as safe HTML, in Vietnamese notation."""
    if spec.type == "date":
        return escape(format_date(value))
    if spec.type == "time":
        return escape(value.strftime("%H:%M"))
    if spec.type == "month":
        return escape(value.strftime("%m/%Y"))
    if spec.type == "bool":
        return escape("Có" if value else "Không")
    if spec.type == "money":
        return escape(format_money(value) + " đồng")
    if spec.type == "enum":
        return escape(spec.values.get(value, value))
    if spec.type == "url":
        return Markup('<a href="{0}">{0}</a>').format(value)
    if spec.type == "email":
        return Markup('<a href="mailto:{0}">{0}</a>').format(value)
    if spec.type == "phone":
        return Markup('<a href="{0}">{1}</a>').format(tel_link(value), value)
    if spec.type == "markdown":
        return Markup(markdown_to_html(str(value)))  # cleaned by nh3
    return escape(str(value))


def _scalar_spec(spec: Field) -> Field:
    return Field(name=spec.name, type=spec.of or "text", label=spec.label)


LOG_PAGE = "nhat-ky-cong-khai/"
"""The publication log as a page, with its downloads."""
CATALOGUE_PAGE = "danh-muc-thong-tin/"
"""The access-to-information catalogue (Luật Tiếp cận thông tin 2016 Điều 19)."""
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
        parse_time(at).timestamp() if at else 0.0,
        record.date.toordinal() if record.date else 0,
        record.key,
    )


class Renderer:
    """Turns a :class:`~generator.site.Site` into Markdown pages."""

    def __init__(self, site: Site):
        self.site = site
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            extensions=["jinja2.ext.do"],
        )
        self.env.filters.update(
            date=format_date,
            size=human_size,
            tojson_yaml=lambda v: Markup(json.dumps(v, ensure_ascii=False)),
            tel=tel_link,
        )
        self.env.globals.update(value=format_value, scalar_spec=_scalar_spec, relative_url=relative_url)
        self.env.filters["body"] = lambda text: Markup(markdown_page_part(text))  # cleaned by nh3

    @cached_property
    def calendars(self) -> list[str]:
        """Categories that have a ``lich.ics``."""
        from generator.feeds import calendar_categories

        return calendar_categories(self.site)

    def local(self, at: str, with_time: bool = False) -> str:
        """An event time as the office reads it: dd/mm/yyyy (HH:MM) in its time zone."""
        moment = parse_time(at).astimezone(ZoneInfo(self.site.settings.timezone))
        return moment.strftime("%d/%m/%Y %H:%M" if with_time else "%d/%m/%Y")

    def pages(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for url, page in {**self.log_pages(), **self.catalogue_pages()}.items():
            out[f"{url}index.md"] = page
        for category in self.site.categories.values():
            records = self.site.records_in(category)
            taken = {r.url_path for r in records}
            for url, page in self.listing_pages(category, records).items():
                if url not in taken:  # a record's permanent URL wins over a filter page
                    out[f"{url}index.md"] = page
            for record in records:
                out[f"{category.slug}/{record.id}.md"] = self.render_record(record)
        return out

    def listing_pages(self, category: Category, records: list[Record]) -> dict[str, str]:
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
        base = f"{category.slug}/"

        def url(year: int | None, kind: str | None) -> str:
            return base + (f"{year}/" if year else "") + (f"loai-{kind}/" if kind else "")

        def select(year: int | None, kind: str | None) -> list[Record]:
            return [r for r in records if (year is None or (r.date and r.date.year == year)) and kind in (None, r.kind)]

        def count(year: int | None, kind: str | None) -> int:
            return len(select(year, kind))

        pages = {}
        for year in [None, *years]:
            for kind in [None, *kinds]:
                here = url(year, kind)
                chosen = select(year, kind)
                if (year or kind) and not chosen:
                    continue
                facets = []
                if len(years) > 1 or (years and year):
                    links = [("Tất cả", relative_url(here, url(None, kind)), None, year is None)]
                    links += [(str(y), relative_url(here, url(y, kind)), count(y, kind), y == year) for y in years]
                    facets.append(("Năm", links))
                if kinds:
                    links = [("Tất cả", relative_url(here, url(year, None)), None, kind is None)]
                    links += [
                        (category.kind_label(k), relative_url(here, url(year, k)), count(year, k), k == kind)
                        for k in kinds
                        if count(year, k)
                    ]
                    facets.append(("Loại", links))
                pages[here] = self.render_index(category, chosen, here, facets, year, kind)
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
        from generator.feeds import calendar_path, feed_path

        here = here or f"{category.slug}/"
        shown = records if year else records[:INDEX_SIZE]
        groups = [(y, list(items)) for y, items in groupby(shown, key=lambda r: r.date.year if r.date else None)]
        title = category.title
        if kind:
            title += f" – {category.kind_label(kind)}"
        if year:
            title += f" – năm {year}"
        calendar = calendar_path(category.slug) if category.slug in self.calendars else None
        return self.env.get_template("index.md.j2").render(
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
            feed=feed_path(category.slug),
            calendar=calendar,
        )

    def render_home(self, here: str = "") -> str:
        """The generated part of the home page (see :data:`HOME_MARKER`): built at build
        time, so "next session" means the next one on the day the site was built."""
        from generator.feeds import calendar_path, feed_path, upcoming_sessions

        site = self.site
        latest: list[tuple[str | None, Record]] = []
        for record in site.public_records:
            history = site.history(record)
            latest.append((history.last_updated if history else None, record))
        latest.sort(key=_newest_first_key, reverse=True)
        upcoming = upcoming_sessions(site)
        return self.env.get_template("home.md.j2").render(
            here=here,
            hotline=site.hotline(),
            upcoming=upcoming[:HOME_SESSIONS],
            calendars=self.calendars,
            calendar_path=calendar_path,
            latest=latest[:HOME_LATEST],
            categories=[(c, len(site.records_in(c))) for c in site.categories.values()],
            feed=feed_path(),
            today=site.today,
            weekday=lambda day: WEEKDAYS[day.weekday()],
            local=self.local,
        )

    def log_pages(self) -> dict[str, str]:
        """The log as pages, by URL path: ``nhat-ky-cong-khai/`` shows the newest
        :data:`LOG_RECENT` events; once there are more, ``nhat-ky-cong-khai/tu-<seq>/`` pages
        hold every event in fixed blocks of :data:`LOG_BLOCK` counted from the first, so an
        archive page's address and content never change once its block is full."""
        events = self.site.log.events
        blocks = [events[i : i + LOG_BLOCK] for i in range(0, len(events), LOG_BLOCK)]
        archive = (
            [(f"{LOG_PAGE}tu-{b[0]['seq']}/", b[0]["seq"], b[-1]["seq"]) for b in blocks]
            if len(events) > LOG_RECENT
            else []
        )
        pages = {LOG_PAGE: self.render_log_page(events[-LOG_RECENT:], LOG_PAGE, archive)}
        for (url, first, last), block in zip(archive, blocks if archive else [], strict=True):
            pages[url] = self.render_log_page(block, url, archive, (first, last))
        return pages

    def render_log_page(
        self,
        events: list[dict[str, Any]],
        here: str = LOG_PAGE,
        archive: list[tuple[str, int, int]] | None = None,
        block: tuple[int, int] | None = None,
    ) -> str:
        shown = list(reversed(events))
        years = sorted({self.local(e["at"])[-4:] for e in shown}, reverse=True)
        return self.env.get_template("log.md.j2").render(
            events=shown,
            total=len(self.site.log.events),
            years=years,
            categories=self.site.categories,
            head=self.site.log.head,
            labels=EVENT_LABELS,
            local=self.local,
            here=here,
            log_page=LOG_PAGE,
            archive=[(relative_url(here, url), first, last, url == here) for url, first, last in archive or []],
            block=block,
            settings=self.site.settings,
        )

    def catalogue_pages(self) -> dict[str, str]:
        """The catalogue, by URL path. Up to :data:`CATALOGUE_SIZE` records it is one page;
        beyond, ``danh-muc-thong-tin/`` lists the newest year (and undated records) and
        ``danh-muc-thong-tin/<year>/`` each year, with links between them."""
        groups = [(c, self.site.records_in(c)) for c in self.site.categories.values()]
        total = sum(len(records) for _, records in groups)
        years = sorted({r.date.year for _, records in groups for r in records if r.date}, reverse=True)
        if total <= CATALOGUE_SIZE or len(years) < 2:
            return {CATALOGUE_PAGE: self.render_catalogue(groups, CATALOGUE_PAGE)}

        def of_year(year: int | None) -> list[tuple[Category, list[Record]]]:
            return [(c, [r for r in records if (r.date.year if r.date else None) == year]) for c, records in groups]

        def facets(here: str, current: int | None) -> list:
            return [
                (
                    "Năm",
                    [
                        (
                            str(y),
                            relative_url(here, CATALOGUE_PAGE if y == years[0] else f"{CATALOGUE_PAGE}{y}/"),
                            None,
                            y == current,
                        )
                        for y in years
                    ],
                )
            ]

        newest = [(c, a + b) for (c, a), (_, b) in zip(of_year(years[0]), of_year(None), strict=True)]
        pages = {
            CATALOGUE_PAGE: self.render_catalogue(newest, CATALOGUE_PAGE, facets(CATALOGUE_PAGE, years[0]), years[0])
        }
        for year in years[1:]:
            here = f"{CATALOGUE_PAGE}{year}/"
            pages[here] = self.render_catalogue(of_year(year), here, facets(here, year), year)
        return pages

    def render_catalogue(
        self,
        groups: list[tuple[Category, list[Record]]],
        here: str = CATALOGUE_PAGE,
        facets: list | None = None,
        year: int | None = None,
    ) -> str:
        return self.env.get_template("catalogue.md.j2").render(
            groups=groups,
            history=self.site.history,
            local=self.local,
            here=here,
            facets=facets or [],
            year=year,
            is_main=here == CATALOGUE_PAGE,
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
        return self.env.get_template("record.md.j2").render(
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
        )
