"""Build real sites into tmp_path and read the HTML."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from bs4 import BeautifulSoup

from tests.conftest import run_cli


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def article(path: Path) -> BeautifulSoup:
    node = soup(path).find("article")
    assert node is not None, path
    return node


def test_record_page_shows_every_part(built):
    _, site = built
    page = article(site / "tiep-cong-dan/2026/lich-thang-05/index.html")
    text = page.get_text(" ", strip=True)
    assert page.find("h1").get_text(strip=True) == "Thông báo lịch tiếp công dân tháng 5/2026"
    meta = {
        dt.get_text(strip=True): dt.find_next_sibling("dd").get_text(strip=True) for dt in page.select("dl.ck-meta dt")
    }
    assert meta["Loại"] == "Thông báo lịch tiếp công dân"
    assert meta["Số ký hiệu"] == "45/TB-BQLKKT"
    assert meta["Ngày ban hành"] == "05/05/2026"  # written 05/05/2026 in the record
    assert meta["Đơn vị chủ trì"] == "Văn phòng Ban"
    assert meta["Người ký"] == "Trưởng ban"
    # sessions as a table with Vietnamese headers and dd/mm/yyyy dates
    table = page.select_one(".ck-table table")
    headers = [th.get_text(strip=True) for th in table.select("th")]
    assert headers == ["Ngày", "Bắt đầu", "Kết thúc", "Địa điểm", "Người chủ trì"]
    assert [td.get_text(strip=True) for td in table.select("tbody td")] == [
        "15/05/2026",
        "07:30",
        "11:00",
        "Trụ sở Ban",
        "Trưởng ban",
    ]
    assert "Tháng: 05/2026" in text
    # attachment with its size, downloadable next to the page
    link = page.select_one("table.ck-attachments a")
    assert link["href"] == "thong-bao.pdf"
    assert (site / "tiep-cong-dan/2026/lich-thang-05/thong-bao.pdf").read_bytes() == b"%PDF-1.4 sample\n"
    assert "16,0 byte" not in text and "16 byte" in text
    # sample banner
    assert page.select_one(".ck-banner--sample").get_text(strip=True).startswith("Dữ liệu mẫu.")


def test_minutes_without_visitors_say_so(built):
    _, site = built
    page = article(site / "tiep-cong-dan/2026/bien-ban-thang-04/index.html")
    assert page.select_one(".ck-notice").get_text(strip=True) == "Không có công dân đến."
    assert page.find("strong", string="Không có công dân đến.") is not None  # the Markdown body
    assert page.select_one(".ck-banner--sample") is None  # not a sample record


def test_index_newest_first_grouped_by_year(built):
    _, site = built
    page = article(site / "tiep-cong-dan/index.html")
    years = [h2.get_text(strip=True) for h2 in page.find_all("h2")]
    assert years == ["Năm 2026", "Năm 2025"]
    titles = [a.get_text(strip=True) for a in page.select("a.ck-list__title")]
    assert titles == [
        "Thông báo lịch tiếp công dân tháng 5/2026",
        "Biên bản tiếp công dân tháng 4/2026",
        "Thông báo lịch tiếp công dân tháng 12/2025",
    ]
    hrefs = [a["href"] for a in page.select("a.ck-list__title")]
    assert hrefs[0] == "2026/lich-thang-05/"
    for href in hrefs:
        assert (site / "tiep-cong-dan" / href / "index.html").is_file()


def test_hotline_on_an_unrelated_page(built):
    _, site = built
    page = soup(site / "gioi-thieu/index.html")
    banner = page.select_one(".ck-hotline")
    assert banner is not None
    tel = banner.select_one("a.ck-hotline__phone")
    assert tel["href"] == "tel:02963800000"
    assert tel.get_text() == "0296 3800 000"
    assert banner.select_one("a.ck-hotline__email")["href"] == "mailto:duongdaynong@example.gov.vn"
    # the hotline is also on the 404 page, which has no page context
    assert "tel:02963800000" in (site / "404.html").read_text(encoding="utf-8")


def test_navigation_lists_categories_not_records(built):
    _, site = built
    page = soup(site / "tiep-cong-dan/2026/lich-thang-05/index.html")
    nav = page.select_one("nav.md-nav--primary")
    links = [a.get_text(" ", strip=True) for a in nav.select("a.md-nav__link")]
    assert "Tiếp công dân" in links and "Đường dây nóng" in links
    assert not any("tháng 5/2026" in text for text in links)
    hrefs = " ".join(a.get("href", "") for a in nav.select("a"))
    assert "lich-thang" not in hrefs and "bien-ban" not in hrefs


def test_internal_records_never_reach_the_site(built):
    _, site = built
    secrets = ["MẬT-NỘI-BỘ-7731", "99/BB-NOIBO-7731", "KHONG-CONG-KHAI-4412", "TOMTAT-NOIBO-5521", "niem-yet-ke-khai"]
    for path in site.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for secret in secrets:
                assert secret.encode() not in data, (secret, path)
    assert not (site / "phong-chong-tham-nhung/2026").exists()


def test_mkdocs_build_gives_the_same_pages(built):
    root, site = built
    other = root / "site-mkdocs"
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(root / "mkdocs.yml"), "-d", str(other)],
        check=True,
    )
    ours = sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())
    theirs = sorted(p.relative_to(other).as_posix() for p in other.rglob("*") if p.is_file())
    assert ours == theirs
    for rel in ["tiep-cong-dan/2026/lich-thang-05/index.html", "tiep-cong-dan/index.html", "index.html"]:
        assert (site / rel).read_bytes() == (other / rel).read_bytes(), rel


def test_values_are_read_as_text(make_project):
    root = make_project(
        {
            "disclosures/tuyen-dung/2026/no.yml": """\
            title: no
            kind: thong-bao
            document: {number: "012/TB", date: 2026-03-02}
            positions:
              - {title: on, quota: 007}
            apply_from: 02/03/2026
            apply_until: 2026-04-01
            """,
        }
    )
    result = run_cli(root, "build", "--site-dir", str(root / "site"))
    assert result.exit_code == 0, result.output
    page = article(root / "site/tuyen-dung/2026/no/index.html")
    assert page.find("h1").get_text(strip=True) == "no"
    cells = [td.get_text(strip=True) for td in page.select(".ck-table td")]
    assert cells == ["on", "7"]
    text = page.get_text(" ", strip=True)
    assert "Nhận hồ sơ từ ngày: 02/03/2026" in text and "Nhận hồ sơ đến ngày: 01/04/2026" in text
    hotline = soup(root / "site/index.html").select_one("a.ck-hotline__phone").get_text()
    assert hotline == "0296 3800 000"  # leading zero kept


def test_seventh_category_needs_no_python(make_project):
    root = make_project(
        {
            "disclosures/dat-dai/_category.yml": """\
            title: Đất đai
            description: Cho thuê đất trong khu công nghiệp.
            order: "7"
            kinds: {cho-thue: Cho thuê đất}
            fields:
              area_m2: {type: int, label: Diện tích (m²), required: true, help: Diện tích khu đất.}
              lessee_kind: {type: enum, label: Bên thuê, values: {dn: Doanh nghiệp, hkd: Hộ kinh doanh}}
            """,
            "disclosures/dat-dai/2026/lo-a1.yml": """\
            title: Cho thuê lô A1 KCN Bình Hòa
            kind: cho-thue
            area_m2: 12000
            lessee_kind: dn
            """,
        }
    )
    result = run_cli(root, "build", "--site-dir", str(root / "site"))
    assert result.exit_code == 0, result.output
    page = article(root / "site/dat-dai/2026/lo-a1/index.html")
    text = page.get_text(" ", strip=True)
    assert "Diện tích (m²): 12000" in text and "Bên thuê: Doanh nghiệp" in text
    assert "Cho thuê đất" in text
    nav = soup(root / "site/index.html").select_one("nav.md-nav--primary").get_text(" ", strip=True)
    assert "Đất đai" in nav
    # its schema is enforced like the shipped ones
    (root / "disclosures/dat-dai/2026/lo-a1.yml").write_text("title: Lô A1\nkind: cho-thue\n", encoding="utf-8")
    result = run_cli(root, "check")
    assert result.exit_code == 1
    assert "disclosures/dat-dai/2026/lo-a1.yml:1: area_m2: thiếu trường bắt buộc (Diện tích (m²))" in result.output


def test_render_out_writes_markdown_for_other_engines(make_project, tmp_path):
    root = make_project()
    out = tmp_path / "md"
    result = run_cli(root, "render", "--out", str(out))
    assert result.exit_code == 0, result.output
    page = (out / "tiep-cong-dan/2026/lich-thang-05.md").read_text(encoding="utf-8")
    assert page.startswith('---\ntitle: "Thông báo lịch tiếp công dân tháng 5/2026"')
    assert (out / "tiep-cong-dan/index.md").is_file() and (out / "index.md").is_file()
    assert (out / "tiep-cong-dan/2026/lich-thang-05/thong-bao.pdf").is_file()
    assert not list(out.rglob("niem-yet-ke-khai*"))


def test_new_writes_a_skeleton_that_check_refuses_until_filled(make_project):
    """An unfilled skeleton fails check, placeholder by placeholder (filled ones pass:
    tests/test_skeleton.py)."""
    root = make_project()
    for category, kind in [
        ("tiep-cong-dan", "bien-ban"),
        ("tai-chinh-ngan-sach", "thuc-hien"),
        ("duong-day-nong", None),
        ("thu-tuc-hanh-chinh", "dau-tu"),
    ]:
        args = ["new", category, "--title", f"Bản ghi thử {category}"] + (["--kind", kind] if kind else [])
        result = run_cli(root, *args)
        assert result.exit_code == 0, result.output
        path = root / result.output.strip()
        assert path.is_file() and re.match(r"disclosures/[a-z-]+/\d{4}/ban-ghi-thu-", result.output)
    result = run_cli(root, "check")
    assert result.exit_code == 1, result.output
    problems = result.output.splitlines()[:-1]
    assert problems and all(": chưa điền" in line and "/ban-ghi-thu-" in line for line in problems), result.output


def test_new_refuses_unknown_category_and_kind(make_project):
    root = make_project()
    result = run_cli(root, "new", "khong-co")
    assert result.exit_code == 2 and "chuyên mục 'khong-co' không tồn tại" in result.output
    result = run_cli(root, "new", "tiep-cong-dan", "--kind", "xyz")
    assert result.exit_code == 2 and "cần --kind, một trong: lich, bien-ban" in result.output


def test_the_sample_project_checks_and_builds(tmp_path):
    """The repository's own sample data, built as the README's quick start serves it."""
    from tests.conftest import REPO

    result = run_cli(REPO, "check")
    assert result.exit_code == 0, result.output
    result = run_cli(REPO, "build", "--site-dir", str(tmp_path / "site"))
    assert result.exit_code == 0, result.output
    site = tmp_path / "site"
    # every category index lists records, and the staff guide holds every field
    for slug in [
        "thu-tuc-hanh-chinh",
        "tai-chinh-ngan-sach",
        "tuyen-dung",
        "duong-day-nong",
        "tiep-cong-dan",
        "phong-chong-tham-nhung",
    ]:
        assert article(site / slug / "index.html").select("a.ck-list__title"), slug
    guide = article(site / "huong-dan/dang-tai-cong-khai/index.html").get_text(" ")
    from generator.records.category_file import load_categories, load_common

    categories = load_categories(REPO / "disclosures", REPO)
    keys = set(load_common()) | {name for c in categories.values() for name in c.fields}
    missing = sorted(
        k
        for k in keys
        if f"`{k}`" not in (REPO / "content/huong-dan/dang-tai-cong-khai.md").read_text() and k not in guide
    )
    assert missing == []
    assert "<!-- congkhai:fields -->" not in guide and "session_date" in guide
    # minutes with no visitors say so
    assert "Không có công dân đến" in article(site / "tiep-cong-dan/2026/bien-ban-thang-01/index.html").get_text()
