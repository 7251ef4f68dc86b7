"""Attachments are allowed by what their bytes are, not by their name.

An attachment is published on the office's own domain: an SVG or HTML file there runs its
script in every reader's browser as if the office had written it. So only these are
accepted, each recognised by its first bytes (and, for office documents, by the entries of
their ZIP container), and only under a name whose extension says the same:

- PDF (``%PDF-``), PNG, JPEG;
- Office Open XML (``.docx``, ``.xlsx``, ``.pptx``: a ZIP holding ``[Content_Types].xml``
  and ``word/``, ``xl/`` or ``ppt/``; macro-enabled variants are refused);
- OpenDocument (``.odt``, ``.ods``, ``.odp``: a ZIP whose ``mimetype`` entry names the type).

Everything else (SVG, HTML, XHTML, XML, scripts, programs, old binary Word/Excel files,
empty files) is refused with a message saying what to attach instead. :func:`problem`
returns that message, or ``None`` for an acceptable file.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

INSTEAD = (
    "chỉ đính kèm PDF, ảnh PNG hoặc JPEG, tài liệu Word, Excel, PowerPoint (.docx, .xlsx, .pptx) "
    "hoặc OpenDocument (.odt, .ods, .odp)"
)


@dataclass(frozen=True)
class Kind:
    """A kind of file: its name for a clerk and the extensions it may carry."""

    label: str
    suffixes: tuple[str, ...]


PDF = Kind("tài liệu PDF", (".pdf",))
PNG = Kind("ảnh PNG", (".png",))
JPEG = Kind("ảnh JPEG", (".jpg", ".jpeg"))
DOCX = Kind("tài liệu Word", (".docx",))
XLSX = Kind("bảng tính Excel", (".xlsx",))
PPTX = Kind("bản trình chiếu PowerPoint", (".pptx",))
ODT = Kind("văn bản OpenDocument", (".odt",))
ODS = Kind("bảng tính OpenDocument", (".ods",))
ODP = Kind("bản trình chiếu OpenDocument", (".odp",))

_ODF = {
    "application/vnd.oasis.opendocument.text": ODT,
    "application/vnd.oasis.opendocument.spreadsheet": ODS,
    "application/vnd.oasis.opendocument.presentation": ODP,
}
_OOXML = {"word/": DOCX, "xl/": XLSX, "ppt/": PPTX}
_HEAD = 1024


def _zip_kind(path: Path) -> Kind | str:
    """The office document in a ZIP container, or why it is refused."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
                if mimetype in _ODF:
                    return _ODF[mimetype]
            if "[Content_Types].xml" in names:
                types = archive.read("[Content_Types].xml").decode("utf-8", "replace")
                if "macroEnabled" in types or any(n.lower().endswith("vbaproject.bin") for n in names):
                    return "là tài liệu Office có macro (mã chạy được); hãy lưu lại thành .docx, .xlsx hoặc xuất ra PDF"
                for folder, kind in _OOXML.items():
                    if any(n.startswith(folder) for n in names):
                        return kind
    except (zipfile.BadZipFile, OSError, KeyError, RuntimeError, NotImplementedError):
        return "là tệp nén ZIP bị hỏng; hãy lưu lại tài liệu hoặc xuất ra PDF"
    return "là tệp nén ZIP, không phải tài liệu; hãy đính kèm từng tài liệu, " + INSTEAD


def _markup(head: bytes) -> str | None:
    """What a text file starting with ``<`` is: SVG, HTML, XHTML or other XML."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not text.startswith(b"<"):
        return None
    if b"<svg" in text:
        return "ảnh SVG"
    if b"<html" in text or b"<!doctype html" in text or b"<script" in text or b"<body" in text:
        return "trang HTML"
    if b'xmlns="http://www.w3.org/1999/xhtml"' in text:
        return "trang XHTML"
    return "tệp XML"


def detect(path: Path) -> Kind | str:
    """The kind of the file at ``path`` by its bytes, or (text) what it is when refused."""
    with path.open("rb") as handle:
        head = handle.read(_HEAD)
    if not head:
        return "là tệp rỗng (0 byte); hãy chép lại bản đầy đủ"
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(path)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "là tài liệu Word/Excel định dạng cũ (.doc, .xls); hãy lưu lại thành .docx, .xlsx hoặc xuất ra PDF"
    markup = _markup(head)
    if markup is not None:
        return f"là {markup}, có thể chứa mã chạy trên trang; hãy đính kèm bản PDF hoặc ảnh PNG, JPEG"
    if head.startswith((b"#!", b"MZ", b"\x7fELF")):
        return "là chương trình hoặc mã lệnh; " + INSTEAD
    if head.startswith((b"GIF8", b"RIFF", b"II*\x00", b"MM\x00*", b"BM")):
        return "là ảnh không được hỗ trợ; hãy lưu lại thành ảnh PNG hoặc JPEG"
    if head.startswith((b"Rar!", b"7z\xbc\xaf", b"\x1f\x8b")):
        return "là tệp nén; hãy đính kèm từng tài liệu, " + INSTEAD
    return "không phải loại tệp được phép; " + INSTEAD


def problem(path: Path, name: str) -> str | None:
    """Why the attachment ``name`` (at ``path``) may not be published, or ``None``."""
    kind = detect(path)
    if isinstance(kind, str):
        return f"tệp '{name}' {kind}"
    suffix = Path(name).suffix
    if suffix in kind.suffixes:
        return None
    if suffix.lower() in kind.suffixes:
        wanted = Path(name).stem + suffix.lower()
        return f"tệp '{name}' có phần mở rộng viết hoa; hãy đổi tên tệp thành '{wanted}' (và sửa trong attachments)"
    wanted = Path(name).stem + kind.suffixes[0]
    return (
        f"tệp '{name}' thực chất là {kind.label} ({kind.suffixes[0]}), không khớp phần mở rộng "
        f"'{suffix or '(không có)'}'; hãy đổi tên tệp thành '{wanted}'"
        + (" hoặc xuất ra PDF" if kind not in (PDF, PNG, JPEG) and suffix.lower() == ".pdf" else "")
    )
