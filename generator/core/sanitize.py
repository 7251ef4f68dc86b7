"""Hostile content: refuse raw HTML in records, and render Markdown to safe HTML.

Records are text and Markdown only (SPEC section 3). :func:`html_problems` finds what
``check`` refuses: HTML tags and comments (``<script>``, ``<iframe>``, ``<b onclick=…>``,
``<!-- … -->``; Markdown autolinks ``<https://…>`` are fine) and ``javascript:``,
``vbscript:`` and ``data:…/…`` addresses, also when written with HTML entities or
spaces inside the word.

As defence in depth the core renders every Markdown value itself (Python-Markdown), then
cleans the HTML with nh3 (the ammonia sanitiser) keeping only the tags Markdown
produces, the attributes they need, and ``http``, ``https``, ``mailto`` and ``tel``
addresses (relative links to the record's own files stay); an image on another site loses
its address, and ``check`` refuses it, so no page makes the reader's browser ask a third
party for anything. The generated pages carry
that HTML, so the output of ``congkhai render --out`` is safe in any engine.
"""

from __future__ import annotations

import html
import re
import threading
from html.parser import HTMLParser

import markdown
import nh3

from generator.core.memo import memoized

_TAG = re.compile(r"<(?:!--|![A-Za-z]|\?|/?\s*[A-Za-z][A-Za-z0-9-]*(?=[\s/>:]|$))")
_AUTOLINK = re.compile(r"<(?:https?|mailto|tel|ftp):", re.IGNORECASE)
_SCHEME = re.compile(
    r"(?<![\w.+-])(?:j\s*a\s*v\s*a\s*s\s*c\s*r\s*i\s*p\s*t|v\s*b\s*s\s*c\s*r\s*i\s*p\s*t|data(?=\s*:\s*[a-z-]+/[\w.+-]+))\s*:",
    re.IGNORECASE,
)

_REMOTE = re.compile(r"\s*(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)
_REMOTE_IMAGE = re.compile(r"!\[[^\]\n]*\]\(\s*<?(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)
"""A Markdown image whose address is on another site: the page would make every reader's
browser ask that site for it (a third party learns who reads what)."""
_REFERENCE = re.compile(r"^ {0,3}\[([^\]\n]+)\]:[ \t]*<?((?:[a-z][a-z0-9+.-]*:|//)\S*)", re.IGNORECASE | re.MULTILINE)
"""A Markdown link reference definition to another site: ``[r]: https://…``."""
_IMAGE_REFERENCE = re.compile(r"!\[([^\]\n]*)\](?:\[([^\]\n]*)\])?")
"""A reference-style image: ``![alt][r]``, ``![alt][]`` or ``![alt]``."""
REMOTE_IMAGE_MESSAGE = (
    "có ảnh lấy từ trang web khác; trang công khai không tải gì từ bên thứ ba: "
    "đặt tệp ảnh cạnh bản ghi, khai báo trong attachments và dẫn bằng tên tệp, ví dụ ![Sơ đồ](so-do.png)"
)

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "img", "del", "sup", "sub",
}  # fmt: skip
"""Tags Python-Markdown (with ``tables``) produces; everything else is stripped."""
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_VOID = {"br", "hr", "img"}


def html_problems(text: str) -> list[tuple[int, str]]:
    """``(position, message)`` for each piece of raw HTML or dangerous address in ``text``."""
    if "<" not in text and "&" not in text and "[" not in text and ":" not in text:
        return []  # every pattern below needs one of these (an entity for '<' or ':' starts with '&')
    found = []
    tag = _first_tag(text)
    if tag is not None:
        found.append((tag[0], f"có mã HTML {tag[1]}; bản ghi không được chứa HTML, chỉ viết chữ hoặc Markdown"))
    elif "&" in text and (tag := _first_tag(html.unescape(text))) is not None:
        found.append(
            (
                text.index("&"),
                f"có mã HTML {tag[1]} viết bằng mã ký tự (&lt;, &#60;…); bản ghi không được chứa HTML, "
                "chỉ viết chữ hoặc Markdown",
            )
        )
    remote = [m.start() for m in _REMOTE_IMAGE.finditer(text)] + _remote_reference_images(text)
    if remote:
        found.append((min(remote), REMOTE_IMAGE_MESSAGE))
    schemes = list(_SCHEME.finditer(text)) or list(_SCHEME.finditer(html.unescape(text)))
    for match in schemes[:1]:
        scheme = re.sub(r"\s", "", match.group()).lower()
        position = match.start() if match.string is text else 0
        found.append(
            (
                position,
                f"có liên kết nguy hiểm '{scheme}'; chỉ dùng địa chỉ bắt đầu bằng https://, http:// hoặc mailto:",
            )
        )
    return sorted(found)


def _first_tag(text: str) -> tuple[int, str] | None:
    """The position and the shown form of the first HTML tag or comment in ``text``."""
    for match in _TAG.finditer(text):
        if _AUTOLINK.match(text, match.start()):
            continue
        shown = match.group().replace(" ", "")
        return match.start(), shown if shown.startswith("<!--") else shown + ">"
    return None


def _remote_reference_images(text: str) -> list[int]:
    """Positions of reference-style images (``![a][r]`` with ``[r]: https://…``) whose
    address is on another site."""
    remote = {" ".join(m.group(1).lower().split()) for m in _REFERENCE.finditer(text)}
    if not remote:
        return []
    found = []
    for match in _IMAGE_REFERENCE.finditer(text):
        label = match.group(2) or match.group(1)
        if " ".join(label.lower().split()) in remote:
            found.append(match.start())
    return found


def clean_html(fragment: str) -> str:
    """Keep only what Markdown produces (see :data:`ALLOWED_TAGS`)."""
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=None,
        strip_comments=True,
        attribute_filter=_local_images_only,
    )


def _local_images_only(element: str, attribute: str, value: str) -> str | None:
    """Drop an image address on another site (see :data:`_REMOTE_IMAGE`)."""
    if element == "img" and attribute == "src" and _REMOTE.match(value):
        return None
    return value


_CONVERTERS = threading.local()


def markdown_to_html(text: str) -> str:
    """Markdown -> cleaned HTML (one fragment). One converter per thread, reset before each
    text (making one costs about as much as converting a short body)."""
    converter = getattr(_CONVERTERS, "converter", None)
    if converter is None:
        converter = markdown.Markdown(
            extensions=["tables"], extension_configs={"tables": {"use_align_attribute": True}}
        )
        _CONVERTERS.converter = converter
    return clean_html(converter.reset().convert(text))


class _TopLevel(HTMLParser):
    """Finds the top-level headings of an HTML fragment: (start, end, level, text)."""

    def __init__(self, source: str):
        super().__init__(convert_charrefs=True)
        self.source = source
        self.starts = [0]
        for line in source.splitlines(keepends=True):
            self.starts.append(self.starts[-1] + len(line))
        self.depth = 0
        self.headings: list[tuple[int, int, int, str]] = []
        self._open: tuple[int, str] | None = None
        self._text: list[str] = []

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.starts[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            return
        if self.depth == 0 and tag in _HEADINGS:
            self._open = (self._offset(), tag)
            self._text = []
        self.depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        return

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        self.depth -= 1
        if self.depth == 0 and self._open and tag == self._open[1]:
            start = self._open[0]
            end = self._offset() + len(f"</{tag}>")
            self.headings.append((start, end, int(tag[1]), "".join(self._text)))
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open:
            self._text.append(data)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|])")


def _heading_markdown(level: int, text: str) -> str:
    """A Markdown heading whose text is shown literally (no markup, no attributes)."""
    text = " ".join(text.split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "#" * level + " " + _MD_SPECIAL.sub(r"\\\1", text)


_HEADING_TAG = re.compile(r"<h[1-6]", re.IGNORECASE)


@memoized  # the same body, the same part: kept between publishes (see generator.core.memo)
def markdown_page_part(text: str) -> str:
    """A Markdown body as it goes into a generated page: cleaned HTML blocks, with the
    top-level headings written as Markdown headings (so that the engine puts them in the
    page's table of contents). Each HTML part is wrapped in ``<div class="ck-body">``."""
    cleaned = markdown_to_html(text)
    parts: list[str] = []
    headings: list[tuple[int, int, int, str]] = []
    if _HEADING_TAG.search(cleaned):  # else no heading to find: the parser is not needed
        parser = _TopLevel(cleaned)
        parser.feed(cleaned)
        parser.close()
        headings = parser.headings
    position = 0

    def block(fragment: str) -> None:
        fragment = fragment.strip()
        if fragment:
            parts.append(f'<div class="ck-body">\n{fragment}\n</div>')

    for start, end, level, heading in headings:
        block(cleaned[position:start])
        if heading.strip():
            parts.append(_heading_markdown(level, heading))
        position = end
    block(cleaned[position:])
    return "\n\n".join(parts)
