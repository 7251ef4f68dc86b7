"""The search index: folding, tokens, shards, display chunks, what is left out, and the
search page, read from a small real site built into tmp_path."""

from __future__ import annotations

import io
import json
import logging
import os
import re
from pathlib import Path
from urllib.parse import urljoin

import pytest
from PIL import Image, ImageDraw, ImageFont

from generator.core.errors import CongkhaiError
from generator.website import attachment_text
from generator.website.search import (
    ATTACHMENT,
    ATTACHMENT_SHIFT,
    CATEGORY,
    CHUNK,
    INDEX_DIR,
    KIND,
    NUMBER,
    SHARD_BYTES,
    SUMMARY,
    TEXT,
    TITLE,
    WITHDRAWN,
    YEAR,
    Synonyms,
    analyse,
    fold,
    shard_keys,
    shard_of,
    tokens,
)
from tests.conftest import REPO, run_cli

MAY = "tiep-cong-dan/2026/lich-thang-05/"
WITHDRAWN_RECORD = """\
    title: Thông báo tuyển dụng công chức năm 2025
    kind: thong-bao
    summary: Nhận hồ sơ dự tuyển đến hết tháng 12/2025.
    document: {number: 77/TB-BQLKKT, date: 2025-11-03}
    withdrawn: {date: 2025-11-20, reason: Ban hành nhầm chỉ tiêu}
    """


class Index:
    """The index files of a built site, read back as JSON."""

    def __init__(self, site: Path):
        self.folder = site / INDEX_DIR
        manifests = list(self.folder.glob("manifest.*.json"))
        assert len(manifests) == 1, manifests
        self.manifest = json.loads(manifests[0].read_text("utf-8"))
        self.files = sorted(self.folder.iterdir())
        self.docs = []
        for n, digest in enumerate(self.manifest["d"]):
            self.docs += json.loads((self.folder / f"d-{n}.{digest}.json").read_text("utf-8"))

    def shard(self, key: str) -> dict[str, list[int]]:
        name = f"t-{key or '_'}.{self.manifest['s'][key]}.json"
        return json.loads((self.folder / name).read_text("utf-8"))

    def postings(self, token: str) -> dict[int, int]:
        """``doc id -> field mask`` of ``token``, read from the one shard that holds it."""
        flat = self.shard(shard_of(token, self.manifest["s"])).get(token, [])
        out, doc = {}, 0
        for delta, mask in zip(flat[::2], flat[1::2], strict=True):
            doc += delta
            out[doc] = mask
        return out

    def doc_id(self, url: str) -> int:
        return next(i for i, d in enumerate(self.docs) if d["u"] == url)


@pytest.fixture
def index(make_project) -> tuple[Path, Index]:
    root = make_project({"disclosures/tuyen-dung/2025/tuyen-dung-cong-chuc.yml": WITHDRAWN_RECORD})
    result = run_cli(root, "build", "--site-dir", str(root / "site"))
    assert result.exit_code == 0, result.output
    return root / "site", Index(root / "site")


def test_fold_drops_diacritics_and_maps_d():
    assert fold("Đường dây nóng") == "duong day nong"
    assert fold("TIẾP CÔNG DÂN tháng 5") == "tiep cong dan thang 5"
    assert fold("Quyết toán ngân sách, ủy quyền, ưu đãi, thuở") == "quyet toan ngan sach, uy quyen, uu dai, thuo"
    # the same text typed with combining marks (NFD, as some keyboards send it)
    assert fold("Tuye\u0302\u0309n du\u0323ng") == "tuyen dung"


def test_tokens_split_numbers_and_document_numbers():
    assert tokens("45/TB-BQLKKT") == ["45", "tb", "bqlkkt"]
    assert tokens("Thông báo lịch tiếp công dân tháng 05/2026") == [
        "thong",
        "bao",
        "lich",
        "tiep",
        "cong",
        "dan",
        "thang",
        "5",
        "2026",
    ]
    assert tokens("Số 0 và 007, quý I") == ["so", "0", "va", "7", "quy", "i"]


@pytest.mark.parametrize(
    ("text", "indexed", "asked"),
    [
        (
            "lịch tiếp dân tháng 11 năm 2026",
            ["lich", "tiep", "dan", "~tiepcongdan", "thang", "11", "thang11", "nam", "2026", "nam2026"],
            ["lich", "~tiepcongdan", "thang11", "nam2026"],
        ),
        (
            "thứ Năm, ngày 16/11/2026, từ 07:30 đến 11:00",
            ["thu", "nam", "ngay", "16", "11", "thang11", "2026", "nam2026", "tu", "7", "30", "den", "11", "0"],
            ["thu", "nam", "ngay", "16", "thang11", "nam2026", "tu", "7", "30", "den", "11", "0"],
        ),
        (
            "tiep cong dan thang12",
            ["tiep", "cong", "dan", "~tiepcongdan", "thang", "12", "thang12"],
            ["~tiepcongdan", "thang12"],
        ),
        ("tháng 11/2026", ["thang", "11", "thang11", "2026", "nam2026"], ["thang11", "nam2026"]),
        ("quý III năm 2026", ["quy", "iii", "quy3", "nam", "2026", "nam2026"], ["quy3", "nam2026"]),
        ("quy 3", ["quy", "3", "quy3"], ["quy3"]),
        ("6 tháng đầu năm", ["6", "thang", "dau", "nam"], ["6", "thang", "dau", "nam"]),
        ("tháng 13, 45/2026", ["thang", "13", "45", "2026"], ["thang", "13", "45", "2026"]),
        ("BQL-LD-01", ["bqlld01", "bql", "ld", "1"], ["bqlld01", "bql", "ld", "1"]),
        ("45/TB-BQLKKT", ["45", "tb", "bqlkkt"], ["45", "tb", "bqlkkt"]),
        ("Hotline", ["hotline", "~duongdaynong"], ["~duongdaynong"]),
        ("tố cáo tham nhũng", ["to", "cao", "~tocao", "tham", "nhung", "~thamnhung"], ["~tocao", "~thamnhung"]),
    ],
)
def test_analyse_months_years_quarters_codes_and_synonyms(text, indexed, asked):
    assert analyse(text) == indexed
    assert analyse(text, query=True) == asked


def test_synonyms_are_data_and_a_phrase_stands_in_one_group():
    groups = Synonyms([["đường dây nóng", "Hotline"], ["tiếp dân", "tiep cong dan"]])
    assert groups.phrases == {
        "duong day nong": "~duongdaynong",
        "hotline": "~duongdaynong",
        "tiep dan": "~tiepdan",
        "tiep cong dan": "~tiepdan",
    }
    assert analyse("số hotline", groups, query=True) == ["so", "~duongdaynong"]
    with pytest.raises(CongkhaiError, match="'hotline' đứng trong hai nhóm từ đồng nghĩa"):
        Synonyms([["đường dây nóng", "hotline"], ["HOTLINE", "tổng đài"]])
    shipped = Synonyms()  # generator/website/search_synonyms.yml
    assert shipped.phrases["hotline"] == shipped.phrases["duong day nong"]
    assert shipped.phrases["tiep dan"] == shipped.phrases["tiep cong dan"]


def test_shard_keys_split_big_prefixes_and_keep_the_longest_prefix_rule():
    index = {f"th{c}{i}": [1, 1] * 200 for c in "aou" for i in range(5)} | {"th": [1, 1], "an": [1, 1]}
    keys = shard_keys(index, limit=10000)
    assert set(keys["th"]) == {"th"}  # the token equal to a split key stays with it
    assert {"tha", "tho", "thu"} <= set(keys)
    for token in index:
        holders = [k for k, members in keys.items() if token in members]
        assert holders == [shard_of(token, keys)], token


def test_record_tokens_are_in_their_shards_with_field_bits(index):
    _, idx = index
    may = idx.doc_id(MAY)
    doc = idx.docs[may]
    assert doc["t"] == "Thông báo lịch tiếp công dân tháng 5/2026"
    # the date shown is the notice date, not the month the record is filed under
    assert doc["n"] == "45/TB-BQLKKT" and doc["d"] == "05/05/2026" and doc["k"] == "lich"
    assert idx.manifest["c"][doc["c"]][:2] == ["tiep-cong-dan", "Tiếp công dân"]
    for token in tokens(doc["t"]):
        assert idx.postings(token)[may] & TITLE, token
    for token in ("45", "tb", "bqlkkt"):
        assert idx.postings(token)[may] & NUMBER, token
    assert idx.postings("truong")[may] & SUMMARY  # summary: "Trưởng ban tiếp công dân …"
    assert may not in idx.postings("tuyen")
    assert idx.postings("thang5")[may] & TITLE and idx.postings("nam2026")[may] & YEAR
    assert idx.postings("~tiepcongdan")[may] & TITLE
    # shown field values (the session's place, the signer) are indexed; file names are not
    assert idx.postings("tru")[may] & TEXT and idx.postings("thang5")[may] & TEXT
    assert may not in idx.postings("pdf")
    # a body
    minutes = idx.doc_id("tiep-cong-dan/2026/bien-ban-thang-04/")
    assert idx.postings("dung")[minutes] == TEXT  # "Buổi tiếp diễn ra đúng lịch."
    assert idx.manifest["l"][may] == "g" and len(set(analyse(doc["t"], query=True))) == 6  # "a" + 6


def test_category_list_shows_the_notice_date_not_the_month(index):
    site, _ = index
    html = (site / "tiep-cong-dan" / "index.html").read_text("utf-8")
    item = html[html.index('href="2026/lich-thang-05/"') :]
    meta = item[: item.index("</span>")]
    assert "Số 45/TB-BQLKKT · 05/05/2026" in meta and "01/05/2026" not in meta, meta


def test_shards_are_small_named_by_content_and_complete(index):
    _, idx = index
    keys = idx.manifest["s"]
    seen: dict[str, str] = {}
    for key in keys:
        name = f"t-{key or '_'}.{keys[key]}.json"
        data = (idx.folder / name).read_bytes()
        shard = json.loads(data)
        assert len(data) <= SHARD_BYTES or len(shard) == 1 or all(t == key for t in shard)
        for token in shard:
            assert shard_of(token, keys) == key
            assert token not in seen
            seen[token] = key
    assert {"tiep", "cong", "dan", "thang", "tuyen", "dung"} <= set(seen)
    names = {p.name for p in idx.files}
    assert len(names) == len(keys) + len(idx.manifest["d"]) + 1  # nothing else in the folder
    for name in names:
        assert re.fullmatch(r"(manifest|t-[a-z0-9_~]+|d-\d+)\.[a-z]{10}\.json", name), name


def test_pages_first_then_records_newest_first_in_chunks(index):
    _, idx = index
    assert idx.manifest["chunk"] == CHUNK
    assert idx.manifest["n"] == len(idx.docs)
    urls = [d["u"] for d in idx.docs]
    assert urls[:6] == [f"{slug}/" for slug, _, _ in idx.manifest["c"]]
    assert {"danh-muc-thong-tin/", "nhat-ky-cong-khai/", "gioi-thieu/", ""} <= set(urls)
    records = [d for d in idx.docs if "c" in d]
    dates = [tuple(reversed(d["d"].split("/"))) for d in records]
    assert dates == sorted(dates, reverse=True)
    assert urls.count(MAY) == 1 and "tim-kiem/" not in urls


def test_internal_record_is_in_no_index_file(index):
    site, idx = index
    for path in idx.files + [site / "tim-kiem" / "index.html"]:
        text = path.read_text("utf-8")
        for marker in ("MẬT-NỘI-BỘ-7731", "7731", "KHONG-CONG-KHAI-4412", "4412", "TOMTAT-NOIBO-5521", "5521"):
            assert marker.lower() not in text.lower(), (path.name, marker)
        assert "niem-yet-ke-khai" not in text, path.name
    for token in ("7731", "4412", "5521", "noibo"):
        assert idx.postings(token) == {}


def test_withdrawn_record_is_found_marked_and_flagged(index):
    _, idx = index
    doc_id = idx.doc_id("tuyen-dung/2025/tuyen-dung-cong-chuc/")
    assert idx.docs[doc_id]["x"] == 1
    assert idx.postings("77")[doc_id] & WITHDRAWN
    assert idx.postings("tuyen")[doc_id] == TITLE | SUMMARY | CATEGORY | KIND | WITHDRAWN
    may = idx.doc_id(MAY)
    assert not idx.postings("thang")[may] & WITHDRAWN
    assert idx.manifest["r"]["withdrawn"] < 1


def test_search_page_works_without_javascript_and_links_everywhere(index):
    site, idx = index
    html = (site / "tim-kiem" / "index.html").read_text("utf-8")
    assert '<form class="ck-search__form" role="search" action="./" method="get"' in html
    assert '<label class="ck-search__label" for="ck-search-q">' in html and 'id="ck-search-q" name="q"' in html
    assert 'role="status" aria-live="polite"' in html
    assert '<noscript><p class="ck-search__nojs"><strong>Tìm kiếm cần JavaScript</strong>' in html
    manifest = re.search(r'data-index="([^"]+)"', html).group(1)
    assert (site / "tim-kiem" / manifest).resolve().parent == (site / INDEX_DIR).resolve()
    assert (site / "tim-kiem" / manifest).is_file()
    script = re.search(r'<script src="([^"?]+)\?v=[0-9a-f]{10}" defer>', html).group(1)
    assert (site / "tim-kiem" / script).is_file()
    for slug, title, _ in idx.manifest["c"]:
        assert f'<a href="../{slug}/">{title}</a>' in html
    assert '<a href="../danh-muc-thong-tin/">' in html
    # Material's own search is gone: no single index that grows with the site
    assert not (site / "search" / "search_index.json").exists()


def test_header_form_on_every_page_leads_to_the_search_page(index):
    site, _ = index
    base = "https://example.org/some/sub/path/"
    for page in ("index.html", f"{MAY}index.html", "tuyen-dung/index.html", "gioi-thieu/index.html"):
        html = (site / page).read_text("utf-8")
        form = re.search(r'<form class="ck-hsearch" role="search" action="([^"]+)" method="get"', html)
        assert form, page
        assert urljoin(base + page, form.group(1)) == base + "tim-kiem/", page
        assert '<label class="ck-sr-only" for="ck-hsearch-q">Tìm kiếm</label>' in html
        assert 'id="ck-hsearch-q" name="q"' in html
        assert "assets/congkhai.css" in html and "assets/search.js" not in html


# --- what citizens ask about: nested fields, attachments, scans --------------------------

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
SCAN_LINES = ("BIÊN BẢN KIỂM TRA", "Kết luận: nhà xưởng xả nước thải", "chưa qua xử lý ra kênh Vĩnh Tế.")
"""Text that exists only as pixels of the scanned attachment."""
INSPECTED = "tuyen-dung/2026/thong-bao-tuyen-dung/"
NOTICE = """\
    title: Thông báo tuyển dụng viên chức năm 2026
    kind: thong-bao
    summary: Nhận hồ sơ dự tuyển viên chức.
    document: {number: 12/TB-BQLKKT, date: 2026-03-02}
    positions:
      - title: Viên chức kế toán
        quota: 1
    attachments:
      - file: bien-ban-kiem-tra.pdf
        title: Biên bản kiểm tra (bản chụp)
        kind: khac
      - file: phieu-dang-ky.pdf
        title: Mẫu phiếu đăng ký dự tuyển
        kind: bieu-mau
    """


def scanned_pdf(lines: tuple[str, ...] = SCAN_LINES) -> bytes:
    """A scan: the text drawn into a grey image with Pillow, the image wrapped in a PDF
    (no text layer at all)."""
    font = ImageFont.truetype(FONT, 40)
    image = Image.new("L", (1240, 420), 255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((80, 80 + i * 80), line, font=font, fill=0)
    out = io.BytesIO()
    image.save(out, "PDF", resolution=150)
    return out.getvalue()


TEXT_PDF = (REPO / "disclosures/tuyen-dung/2026/thong-bao-tuyen-dung-mau-phieu-dang-ky.pdf").read_bytes()
"""A PDF with a text layer (the sample's form: "SAMPLE - DU LIEU MAU …")."""


@pytest.fixture
def scanned(make_project, monkeypatch) -> Path:
    """A project whose notice has a scanned PDF (only pixels) and a PDF with a text layer."""
    monkeypatch.delenv(attachment_text.CACHE_ENV, raising=False)
    return make_project(
        {
            "disclosures/tuyen-dung/2026/thong-bao-tuyen-dung.yml": NOTICE,
            "disclosures/tuyen-dung/2026/bien-ban-kiem-tra.pdf": scanned_pdf(),
            "disclosures/tuyen-dung/2026/phieu-dang-ky.pdf": TEXT_PDF,
        }
    )


def build(root: Path) -> Index:
    result = run_cli(root, "build", "--site-dir", str(root / "site"))
    assert result.exit_code == 0, result.output
    return Index(root / "site")


def test_scan_text_nested_fields_and_attachment_titles_are_indexed(scanned):
    idx = build(scanned)
    doc = idx.doc_id(INSPECTED)
    first, second = ATTACHMENT | 1 << ATTACHMENT_SHIFT, ATTACHMENT | 2 << ATTACHMENT_SHIFT
    # words only in the scan's pixels, read by OCR, marked as in attachment 1
    for word in ("thải", "kênh", "xưởng"):
        (token,) = tokens(word)
        assert idx.postings(token)[doc] == first, word
    # the text layer of the second PDF, and its title
    assert idx.postings("sample")[doc] == second
    assert idx.postings("mau")[doc] == second  # "Mẫu phiếu đăng ký" (title) and "DU LIEU MAU" (text)
    # a nested title (positions[].title) is text of the record: "tuyển kế toán" finds it
    assert idx.postings("toan")[doc] & TEXT
    # the display data names the attachments, their files and their text pages
    assert idx.docs[doc]["a"] == [
        ["Biên bản kiểm tra (bản chụp)", "bien-ban-kiem-tra.pdf", 1],
        ["Mẫu phiếu đăng ký dự tuyển", "phieu-dang-ky.pdf", 1],
    ]


def test_nested_summaries_of_minutes_are_indexed(make_project):
    minutes = (REPO / "disclosures/tiep-cong-dan/2026/bien-ban-thang-02.yml").read_text("utf-8")
    root = make_project(
        {
            "disclosures/tiep-cong-dan/2026/bien-ban-thang-02.yml": minutes,
            "disclosures/tiep-cong-dan/2026/bien-ban-thang-02.pdf": TEXT_PDF,
        }
    )
    idx = build(root)
    doc = idx.doc_id("tiep-cong-dan/2026/bien-ban-thang-02/")
    # cases[].summary: "… phản ánh mùi hôi phát sinh vào ban đêm …"
    for token in ("mui", "hoi", "dem"):
        assert idx.postings(token)[doc] & TEXT, token


def test_accessible_text_pages_say_when_a_machine_read_the_text(scanned):
    build(scanned)
    site = scanned / "site"
    record = (site / INSPECTED / "index.html").read_text("utf-8")
    assert 'href="noi-dung-bien-ban-kiem-tra-pdf/">Đọc nội dung văn bản</a>' in record
    scan = (site / INSPECTED / "noi-dung-bien-ban-kiem-tra-pdf" / "index.html").read_text("utf-8")
    assert "Nội dung văn bản của tệp “Biên bản kiểm tra (bản chụp)”" in scan
    assert "Văn bản do máy đọc từ bản chụp" in scan
    assert "nhà xưởng xả nước thải" in scan and 'href="../bien-ban-kiem-tra.pdf"' in scan
    layer = (site / INSPECTED / "noi-dung-phieu-dang-ky-pdf" / "index.html").read_text("utf-8")
    assert "SAMPLE - DU LIEU MAU" in layer and "do máy đọc" not in layer


def test_attachment_text_is_read_once_per_sha256_and_cached_outside_the_site(scanned):
    build(scanned)
    cache = scanned / attachment_text.CACHE_DIR
    entries = sorted(cache.glob("*.json"))
    assert len(entries) == 2 and not any((scanned / "site").rglob(".congkhai-cache"))
    scan = next(e for e in entries if json.loads(e.read_text("utf-8"))["ocr"])
    # a rebuild takes the text from the cache, not from the scan: change the cached text
    kept = json.loads(scan.read_text("utf-8"))
    kept["text"] += "\nxylophone"
    scan.write_text(json.dumps(kept, ensure_ascii=False), encoding="utf-8")
    idx = build(scanned)
    assert idx.postings("xylophone") == {idx.doc_id(INSPECTED): ATTACHMENT | 1 << ATTACHMENT_SHIFT}
    # the project's .gitignore of a repository keeps the cache out of git
    assert "/.congkhai-cache/" in (REPO / ".gitignore").read_text("utf-8").splitlines()


def test_without_tesseract_a_warning_and_the_site_still_builds(scanned, tmp_path, monkeypatch, caplog):
    tools = tmp_path / "bin"
    tools.mkdir()
    for name in ("pdftotext", "pdftoppm", "git"):
        found = next(Path(d) / name for d in os.environ["PATH"].split(os.pathsep) if (Path(d) / name).exists())
        (tools / name).symlink_to(found)
    monkeypatch.setenv("PATH", str(tools))
    monkeypatch.setattr(attachment_text, "_warned", set())
    with caplog.at_level(logging.WARNING, logger="congkhai"):
        idx = build(scanned)
    assert any("tesseract" in r.getMessage() for r in caplog.records), caplog.records
    doc = idx.doc_id(INSPECTED)
    assert doc not in idx.postings("thai") and idx.postings("sample")[doc]  # the text layer is still read
    page = (scanned / "site" / INSPECTED / "noi-dung-bien-ban-kiem-tra-pdf" / "index.html").read_text("utf-8")
    assert "Không đọc được chữ trong tệp này" in page
    # nothing cached for the scan: a build with tesseract reads it
    assert len(list((scanned / attachment_text.CACHE_DIR).glob("*.json"))) == 1


def test_staff_guide_and_pages_marked_out_of_search_are_not_indexed(make_project):
    root = make_project(
        {
            "content/huong-dan/dang-tai.md": "# Hướng dẫn đăng tải cho công chức\n\n## Lưu vào kho\n",
            "content/noi-bo.md": "---\ntitle: Ghi chú\nsearch:\n  exclude: true\n---\n# Ghi chú soạn thảo\n",
        }
    )
    idx = build(root)
    urls = [d["u"] for d in idx.docs]
    assert "huong-dan/dang-tai/" not in urls and "noi-bo/" not in urls and "gioi-thieu/" in urls
    assert idx.postings("kho") == {} and idx.postings("soan") == {}
