"""The text of attachments: what a citizen searches for and a screen reader reads.

Records carry their documents as attachments, PDFs that are often scans of signed paper.
:func:`read` gives an attachment's text:

- a PDF's text layer, page by page, with poppler's ``pdftotext``;
- a page with (almost) no text layer, a scanned page, rasterised with poppler's ``pdftoppm``
  and read by ``tesseract`` with its Vietnamese data (``vie``): optical character
  recognition (OCR);
- an image (PNG, JPEG, TIFF) read by ``tesseract`` directly.

Reading is done once per file content: the result is kept in a cache folder keyed by the
attachment's SHA-256, outside the published site (:data:`CACHE_DIR` under the project
folder, which ``.gitignore`` lists; the environment variable ``CONGKHAI_CACHE_DIR`` names
another folder). A rebuild reads the cache; a changed file has a new SHA-256 and is read
again. Deleting the folder only costs time.

A missing ``tesseract`` (or its ``vie`` data, or poppler) is a warning on standard error,
never a failed build: the scanned pages are then not searchable, and nothing is cached for
them, so a later build with the tools installed reads them.

:func:`text_page` writes the accessible text version of an attachment: a page per
attachment ("Nội dung văn bản của tệp …") linked from the record's attachment row, which
says when the text was read by machine.
"""

from __future__ import annotations

import html
import json
import logging
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from generator.core import paths

CACHE_DIR = ".congkhai-cache/van-ban-tep"
"""The cache folder, relative to the project folder (the one holding ``mkdocs.yml``)."""
CACHE_ENV = "CONGKHAI_CACHE_DIR"
"""Environment variable naming another cache folder."""
CACHE_VERSION = 1
"""Bumped when the way text is read changes: older cache entries are read again."""
OCR_LANG = "vie"
OCR_DPI = 300
MIN_LETTERS = 40
"""A PDF page with fewer letters than this in its text layer is taken for a scan."""
TIMEOUT = 300
"""Seconds one tool run may take (a page of OCR takes a few seconds)."""
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")

log = logging.getLogger("congkhai")
_warned: set[str] = set()


@dataclass(frozen=True)
class AttachmentText:
    """An attachment's text; ``ocr``: some of it was read by machine from images."""

    text: str
    ocr: bool = False


def readable(name: str) -> bool:
    """Whether congkhai reads the text of a file of this name (PDF or image)."""
    return paths.attachment_text_page("", name) is not None


def cache_dir(root: Path) -> Path:
    """The cache folder of the project at ``root``."""
    other = os.environ.get(CACHE_ENV)
    return Path(other) if other else root / CACHE_DIR


def _warn_once(key: str, message: str) -> None:
    if key not in _warned:
        _warned.add(key)
        log.warning(message)


def _run(args: list[str]) -> str | None:
    """The tool's standard output (UTF-8), or None when it is missing or fails."""
    if shutil.which(args[0]) is None:
        _warn_once(
            args[0],
            f"congkhai: không có chương trình {args[0]} nên không đọc được chữ trong tệp đính kèm dạng ảnh/PDF "
            "(cài gói poppler-utils, tesseract-ocr và tesseract-ocr-vie); trang web vẫn được dựng",
        )
        return None
    try:
        done = subprocess.run(args, capture_output=True, timeout=TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.decode("utf-8", errors="replace")


def _ocr_ready() -> bool:
    if shutil.which("tesseract") is None:
        _run(["tesseract"])  # the warning
        return False
    langs = _run(["tesseract", "--list-langs"]) or ""
    if OCR_LANG not in langs.split():
        _warn_once(
            "vie",
            "congkhai: tesseract thiếu dữ liệu tiếng Việt (gói tesseract-ocr-vie) nên không đọc được chữ trong "
            "bản chụp; trang web vẫn được dựng",
        )
        return False
    return True


def _ocr_image(image: Path) -> str | None:
    return _run(["tesseract", str(image), "-", "-l", OCR_LANG])


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


def _read_pdf(path: Path) -> tuple[str, bool] | None:
    layer = _run(["pdftotext", "-enc", "UTF-8", str(path), "-"])
    if layer is None:
        return None
    pages = layer.split("\f")
    if pages and not pages[-1].strip():
        pages.pop()
    scanned = [i for i, page in enumerate(pages) if _letters(page) < MIN_LETTERS]
    if not scanned:
        return "\n\n".join(p.strip() for p in pages), False
    if not _ocr_ready():
        return None
    with tempfile.TemporaryDirectory(prefix="congkhai-ocr-") as tmp:
        for i in scanned:
            stem = Path(tmp) / f"p{i + 1}"
            if _run(["pdftoppm", "-r", str(OCR_DPI), "-gray", "-png", "-singlefile", "-f", str(i + 1), "-l", str(i + 1), str(path), str(stem)]) is None:  # fmt: skip
                return None
            read = _ocr_image(stem.with_suffix(".png"))
            if read is None:
                return None
            if _letters(read) > _letters(pages[i]):
                pages[i] = read
    return "\n\n".join(p.strip() for p in pages), True


def _read(path: Path) -> AttachmentText | None:
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        found = _read_pdf(path)
        return None if found is None else AttachmentText(found[0], found[1])
    if suffix in IMAGE_SUFFIXES:
        if not _ocr_ready():
            return None
        text = _ocr_image(path)
        return None if text is None else AttachmentText(text.strip(), True)
    return None


def read(path: Path, sha256: str, cache: Path | None) -> AttachmentText | None:
    """The text of the attachment at ``path`` (content hash ``sha256``), from ``cache``
    when it was read before; None when congkhai does not read this kind of file or the
    tools are missing."""
    if not readable(path.name):
        return None
    entry = cache / f"{sha256}.json" if cache is not None else None
    if entry is not None and entry.is_file():
        try:
            kept = json.loads(entry.read_text(encoding="utf-8"))
            if kept.get("v") == CACHE_VERSION:
                return AttachmentText(str(kept["text"]), bool(kept["ocr"]))
        except (OSError, ValueError, KeyError, TypeError):
            pass
    found = _read(path)
    if found is not None and entry is not None:
        try:
            entry.parent.mkdir(parents=True, exist_ok=True)
            tmp = entry.with_suffix(f".{os.getpid()}.tmp")
            data = {"v": CACHE_VERSION, "text": found.text, "ocr": found.ocr}
            tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
            tmp.replace(entry)
        except OSError:
            pass  # a read-only project still builds; the text is read again next time
    return found


def paragraphs(text: str) -> list[str]:
    """The text cut into paragraphs (blank lines), each one's lines joined."""
    out = []
    for block in text.replace("\r", "").split("\n\n"):
        joined = " ".join(block.split())
        if joined:
            out.append(joined)
    return out


def text_page(record_title: str, title: str, file: str, found: AttachmentText | None, depth: int) -> str:
    """The Markdown of an attachment's accessible text page. ``depth``: how many folders
    the page is below its record's page (links back to the record and to the file)."""
    up = "../" * depth
    name = html.escape(title)
    lines = [
        "---",
        f"title: {json.dumps('Nội dung văn bản của tệp ' + title, ensure_ascii=False)}",
        f"description: {json.dumps('Bản văn bản của tệp đính kèm ' + title, ensure_ascii=False)}",
        "search:",
        "  exclude: true",
        "---",
        f"# Nội dung văn bản của tệp “{name}”",
        "",
        f'<p class="ck-lead">Thuộc thông tin <a href="{up}">{html.escape(record_title)}</a>. '
        f'Tệp gốc: <a href="{up}{html.escape(file)}">{html.escape(file)}</a>.</p>',
        "",
    ]
    if found is not None and found.ocr:
        lines += [
            '<p class="ck-notice" role="note"><strong>Văn bản do máy đọc từ bản chụp</strong> (nhận dạng ký tự '
            "tự động), có thể có chỗ sai; bản gốc có giá trị là tệp đính kèm ở trên.</p>",
            "",
        ]
    body = paragraphs(found.text) if found is not None else []
    if body:
        lines.append('<div class="ck-attachment-text" lang="vi">')
        lines += [f"<p>{html.escape(p)}</p>" for p in body]
        lines.append("</div>")
    else:
        lines.append("<p>Không đọc được chữ trong tệp này. Hãy mở tệp gốc ở trên.</p>")
    return "\n".join(lines) + "\n"
