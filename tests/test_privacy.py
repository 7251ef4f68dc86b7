"""The privacy guard, internal and private values, asset declarations and the sanitiser,
on real projects built with the real command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from generator.core.sanitize import markdown_page_part
from generator.records.privacy import Allow, find, mask
from tests.conftest import REPO, copy_sample, run_cli


def all_bytes(folder: Path) -> list[tuple[Path, bytes]]:
    return [(p, p.read_bytes()) for p in folder.rglob("*") if p.is_file()]


# -- planted personal data -------------------------------------------------------------

PLANTED = {
    "089123456789": "số căn cước công dân 0891********",
    "0912 345 678": "số điện thoại 0912 *** ***",
    "nguoi.phan.anh@gmail.com": "địa chỉ thư điện tử n***@***.com",
}


def test_planted_personal_data_fails_the_sample_build_and_leaves_nothing(tmp_path):
    root = copy_sample(tmp_path / "sample")
    record = root / "disclosures/tuyen-dung/2026/thong-bao-tuyen-dung-vien-chuc.yml"
    text = record.read_text(encoding="utf-8")
    assert "change_note:" not in text  # the planted values go into a new field
    record.write_text(
        text + "change_note: Thí sinh số CCCD 089123456789, gọi 0912 345 678 hoặc nguoi.phan.anh@gmail.com.\n",
        encoding="utf-8",
    )
    site = tmp_path / "site"
    result = run_cli(root, "build", "--site-dir", str(site))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = result.output.splitlines()
    assert lines[-1] == "Có 3 lỗi; chưa có gì được thay đổi."
    for masked in PLANTED.values():
        assert any(line.startswith(f"{record.relative_to(root).as_posix()}:") and masked in line for line in lines)
    for value in PLANTED:
        assert value not in result.output
    assert not site.exists()
    # publish refuses too: nothing deployed, nothing logged
    result = run_cli(root, "publish", "--allow-sample", "--deploy-to", str(tmp_path / "www"))
    assert result.exit_code == 1 and not (tmp_path / "www").exists()
    assert not (root / "publication-log.jsonl").exists()
    for value in PLANTED:
        assert value not in result.output


def test_the_built_site_is_scanned_too(make_project):
    """Personal data that comes from elsewhere than a record (here the site's copyright
    line in mkdocs.yml) is caught in the built HTML; the built folder is removed."""
    root = make_project()
    config = root / "mkdocs.yml"
    config.write_text(
        config.read_text(encoding="utf-8") + 'copyright: "Quản trị trang: 0987 654 321"\n', encoding="utf-8"
    )
    site = root / "site"
    result = run_cli(root, "build", "--site-dir", str(site))
    assert result.exit_code == 1 and "Traceback" not in result.output
    problems = [line for line in result.output.splitlines() if ": trang đã dựng: " in line]
    assert problems and all("có số điện thoại 0987 *** ***" in line for line in problems)
    assert any(line.startswith("site/index.html:") for line in problems)
    assert "0987 654 321" not in result.output
    last = result.output.splitlines()[-1]
    assert last == f"Có {len(problems)} lỗi; đã xóa thư mục trang vừa dựng (site) vì có thông tin cá nhân."
    assert not site.exists()
    result = run_cli(root, "publish", "--allow-sample", "--deploy-to", str(root / "www"))
    assert result.exit_code == 1
    assert not (root / "www").exists() and not (root / "publication-log.jsonl").exists()
    assert not list((root / ".www-releases").iterdir())  # the refused release is gone


def test_allow_list_lets_the_office_numbers_through(make_project):
    root = make_project(
        {
            "disclosures/tiep-cong-dan/2026/lich-thang-06.yml": """\
                title: Thông báo lịch tiếp công dân tháng 6/2026
                kind: lich
                month: 2026-06
                sessions: [{date: 2026-06-15, start: "07:30"}]
                summary: Hỏi thêm qua số +84 296 3 800 000 hoặc DuongDayNong@Example.gov.vn, hoặc vanphong@angiang.gov.vn.
                """
        }
    )
    result = run_cli(root, "check")
    assert result.exit_code == 1
    problems = result.output.splitlines()[:-1]
    assert len(problems) == 1 and problems[0].startswith(
        "disclosures/tiep-cong-dan/2026/lich-thang-06.yml:5: summary: có địa chỉ thư điện tử v***@***.vn; "
    )
    config = root / "mkdocs.yml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("privacy_allow: [", 'privacy_allow: ["@angiang.gov.vn", '),
        encoding="utf-8",
    )
    result = run_cli(root, "build", "--site-dir", str(root / "site"))
    assert result.exit_code == 0, result.output
    page = (root / "site/tiep-cong-dan/2026/lich-thang-06/index.html").read_text(encoding="utf-8")
    assert "+84 296 3 800 000" in page and "vanphong@angiang.gov.vn" in page


def test_allow_list_compares_digits_and_e_mails_without_case():
    allow = Allow.of(["0296 3 123 456", "Hotline@Example.gov.vn", "@angiang.gov.vn"])
    for text in ["02963123456", "0296.312.3456", "+84 296 3123 456", "(+84) 296-312-3456", "0084 296 3123 456"]:
        assert find(f"Gọi {text}.", allow) == [], text
    assert find("hotline@example.GOV.vn, a.b@angiang.gov.vn", allow) == []
    assert [h.kind for h in find("Gọi 0296 3123 457 hoặc x@angiang.gov.vn.com", allow)] == ["phone", "email"]


@pytest.mark.parametrize(
    "text",
    [
        "SHA-256 5f0a9c1d2e3b4a5968778695a4b3c2d1e0f9081726354433221100ffeeddccbb",
        "ab0912345678cd",
        "lúc 2026-06-05T08:30:00+07:00",
        "Số ký hiệu 45/TB-BQLKKT, 1234/QĐ-UBND",
        "Tổng chi 1.250.000.000 đồng; dự toán 9105000000; chi 185000000 đồng; 500000000",
        "ngày 05/06/2026, 05-06-2026, năm 2026, quý III/2026",
        "mã thủ tục 1.009763 và 2.002345.000.00.00.H01",
        "từ 07:30 đến 11:00, phòng 101, 12,3 KB",
        "tư tưởng Hồ Chí Minh, 19/05/1890",
        "tỉnh Bà Rịa – Vũng Tàu; Ông Trưởng ban; bà Phó Chánh Văn phòng; công dân Việt Nam",
        "Tổ công tác số 2; Ban tiếp công dân",
        "seq 12, phiên bản 3, 0 0 24 24",
    ],
)
def test_no_false_positives_on_ordinary_official_text(text):
    assert find(text, strict=True) == []


def test_an_enterprise_code_is_not_a_phone_number_except_in_confidential_records():
    text = "Nhà thầu trúng thầu: Công ty TNHH Xây dựng Số Một, mã số thuế: 0301234567; MST 0312345678."
    assert find(text) == []
    assert [h.kind for h in find(text, strict=True)] == ["phone", "phone"]
    assert [h.masked for h in find("Liên hệ 0301234567; mã số thuế 1600123456")] == ["0301******"]


def test_matches_are_masked_never_shown():
    assert mask("phone", "0912 345 678") == "0912 *** ***"
    assert mask("phone", "+84 912-345-678") == "+84 ***-***-***"
    assert mask("cccd", "089123456789") == "0891********"
    assert mask("email", "nguyen.van@gmail.com") == "n***@***.com"
    assert mask("dob", "12/03/1998") == "**/**/****"
    hits = find("ông Lê Văn C, sinh năm 1970, ở ấp Bình Hòa, tổ 5", strict=True)
    assert [(h.kind, h.masked) for h in hits] == [
        ("name", "ông L*** V*** C***"),
        ("dob", "sinh năm ****"),
        ("address", "ấp B*** H***"),
        ("address", "tổ *"),
    ]


def test_reception_minutes_may_give_the_hotline_but_no_other_office_number(make_project):
    minutes = """\
        title: Biên bản tiếp công dân tháng 6/2026
        kind: bien-ban
        session_date: 2026-06-15
        host: Trưởng ban
        visitors: 1
        cases:
          - summary: Công dân phản ánh việc chậm cấp phép; Trưởng ban hướng dẫn gọi đường dây nóng {number}.
        """
    root = make_project({"disclosures/tiep-cong-dan/2026/bb-06.yml": minutes.format(number="0296 3800 000")})
    assert run_cli(root, "check").exit_code == 0
    config = root / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace('["0296', '["0296 3800 123", "0296'), "utf-8")
    (root / "disclosures/tiep-cong-dan/2026/bb-06.yml").write_text(
        minutes.replace("        ", "").format(number="0296 3800 123"), encoding="utf-8"
    )
    result = run_cli(root, "check")
    assert result.exit_code == 1
    assert result.output.startswith(
        "disclosures/tiep-cong-dan/2026/bb-06.yml:7: cases[1].summary: có số điện thoại 0296 **** ***; "
        "biên bản tiếp công dân và hồ sơ phòng, chống tham nhũng phải giữ bí mật danh tính"
    )


# -- internal records and private fields -----------------------------------------------


SCHEMA_KEYS = {"kind", "visibility", "criterion"}  # their values are words of the schema, not of a record


def record_strings(value) -> list[str]:
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, dict):
        return [s for k, v in value.items() if k not in SCHEMA_KEYS for s in record_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in record_strings(v)]
    return []


def test_no_value_of_an_internal_record_reaches_the_site(make_project):
    """Every value of the internal record is unique to it; none is anywhere in the site."""
    root = make_project(
        {
            "disclosures/phong-chong-tham-nhung/2026/noi-bo.md": """\
                ---
                title: Hồ sơ nội bộ XK-TIEU-DE-3391
                kind: xung-dot-loi-ich
                visibility: internal
                summary: XK-TOM-TAT-3392
                criterion: B3
                document: {number: 77/XK-SO-3393, date: 2026-09-09, issuer: XK-NOI-BAN-HANH-3394, signer: XK-NGUOI-KY-3395}
                unit: XK-DON-VI-3396
                posting: {place: XK-NOI-NIEM-YET-3397, from: 2026-09-10, to: 2026-09-20, minutes: xk-bien-ban-3398.pdf}
                attachments:
                  - {file: xk-bien-ban-3398.pdf, title: XK-TEP-3399, kind: bien-ban-niem-yet}
                tags: [XK-TU-KHOA-3400]
                change_note: XK-GHI-CHU-3401
                ---
                XK-NOI-DUNG-3402 và **XK-DAM-3403**.
                """,
            "disclosures/phong-chong-tham-nhung/2026/xk-bien-ban-3398.pdf": b"%PDF-1.4 XK-PDF-3404\n",
        }
    )
    from generator.website import pipeline
    from tests.test_properties import settings_for

    site = pipeline.load(settings_for(root))
    internal = [r for r in site.records if not r.public]
    values = {v for r in internal for v in [*record_strings(r.data), r.body] if v}
    values |= {"XK-DAM-3403", "XK-PDF-3404", "77/XK-SO-3393", "noi-bo", "xk-bien-ban-3398"}
    assert len([v for v in values if "33" in v or "34" in v]) >= 14
    result = run_cli(root, "build", "--site-dir", str(root / "site"))
    assert result.exit_code == 0, result.output
    for path, data in all_bytes(root / "site"):
        for value in values:
            assert value.encode() not in data, (value, path)


def test_no_value_of_the_sample_internal_record_reaches_the_published_site(sample_site):
    from generator.website import pipeline
    from tests.test_properties import settings_for

    site = pipeline.load(settings_for(REPO))
    public = " ".join(s for r in site.public_records for s in [*record_strings(r.data), r.body])
    internal = [r for r in site.records if not r.public]
    assert internal
    values = [v for r in internal for v in [*record_strings(r.data), r.body, r.id] if v and v not in public]
    values += [line for r in internal for line in r.body.splitlines() if line and line not in public]
    assert len(values) >= 8
    for path, data in all_bytes(sample_site):
        for value in values:
            assert value.encode() not in data, (value, path)


def test_a_private_field_is_validated_but_never_shown(make_project):
    root = make_project(
        {
            "disclosures/gop-y/_category.yml": """\
                title: Góp ý dự thảo
                order: "9"
                fields:
                  author_contact: {type: email, label: Liên hệ người góp ý, private: true}
                  note: {type: text, label: Ghi chú nội bộ, private: true}
                  topic: {type: text, label: Chủ đề}
                """,
            "disclosures/gop-y/2026/gop-y-1.yml": """\
                title: Tổng hợp góp ý dự thảo quy chế
                topic: Quy chế tiếp công dân
                author_contact: khong-hien.9921@example.org
                note: GHI-CHU-RIENG-9922
                """,
        }
    )
    result = run_cli(root, "build", "--site-dir", str(root / "site"))
    assert result.exit_code == 0, result.output
    page = (root / "site/gop-y/2026/gop-y-1/index.html").read_text(encoding="utf-8")
    assert "Quy chế tiếp công dân" in page
    for path, data in all_bytes(root / "site"):
        for secret in (b"9921", b"GHI-CHU-RIENG-9922", "Liên hệ người góp ý".encode()):
            assert secret not in data, (secret, path)
    result = run_cli(root, "render", "--out", str(root / "md"))
    assert result.exit_code == 0
    assert all(b"9922" not in data and b"9921" not in data for _, data in all_bytes(root / "md"))
    # still validated
    bad = root / "disclosures/gop-y/2026/gop-y-1.yml"
    bad.write_text(bad.read_text(encoding="utf-8").replace("khong-hien.9921@example.org", "khong-phai-thu"), "utf-8")
    result = run_cli(root, "check")
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        "disclosures/gop-y/2026/gop-y-1.yml:3: author_contact: địa chỉ thư điện tử 'khong-phai-thu' không hợp lệ"
    )


# -- asset declarations ----------------------------------------------------------------


def test_asset_declaration_rules(make_project):
    report = """\
        ---
        title: {title}
        kind: bao-cao
        document: {{number: 90/BC-BQLKKT, date: 2026-12-10}}
        ---
        Năm 2025 có 21/21 người thuộc diện kê khai đã kê khai tài sản, thu nhập đúng hạn; 100% bản kê khai
        được niêm yết tại trụ sở theo quy định.
        """
    root = make_project(
        {
            "disclosures/phong-chong-tham-nhung/2026/ket-qua.md": report.format(
                title="Báo cáo kết quả kê khai tài sản năm 2025"
            )
        }
    )
    assert run_cli(root, "check").exit_code == 0  # a report of counts is public information
    # the declarations themselves are refused, public; allowed as an internal record
    (root / "disclosures/phong-chong-tham-nhung/2026/ket-qua.md").write_text(
        report.replace("        ", "").format(title="Bản kê khai tài sản, thu nhập năm 2025 của lãnh đạo Ban"), "utf-8"
    )
    result = run_cli(root, "check")
    assert result.exit_code == 1
    assert "Điều 11 Nghị định 130/2020/NĐ-CP" in result.output and "visibility: internal" in result.output
    path = root / "disclosures/phong-chong-tham-nhung/2026/ket-qua.md"
    path.write_text(path.read_text(encoding="utf-8").replace("kind: bao-cao", "kind: bao-cao\nvisibility: internal"))
    assert run_cli(root, "check").exit_code == 0


def test_the_sample_project_checks_clean():
    result = run_cli(REPO, "check")
    assert result.exit_code == 0, result.output


# -- the sanitiser ---------------------------------------------------------------------


def test_markdown_bodies_are_cleaned_even_when_check_is_bypassed():
    out = markdown_page_part(
        "Đoạn [liên kết](https://example.gov.vn/) và [xấu](javascript:alert(1)).\n\n"
        '## Mục {: onclick="alert(1)" }\n\n'
        '<script>alert(1)</script>\n\n<iframe src="https://x"></iframe>\n\n'
        '<img src="x" onerror="alert(1)">\n\n<a href="vbscript:x" onmouseover="y">a</a>\n\n'
        "| A | B |\n|---|--:|\n| 1 | 2 |\n"
    )
    lower = out.lower()
    for bad in ("<script", "<iframe", "onerror", 'onclick="', "onmouseover", "javascript:", "vbscript:"):
        assert bad not in lower.replace("\\{: onclick=", ""), bad
    assert '<a href="https://example.gov.vn/">liên kết</a>' in out
    assert '## Mục \\{: onclick="alert\\(1\\)" \\}' in out  # shown as text, never an attribute
    assert '<td align="right">2</td>' in out


def test_images_from_other_sites_lose_their_address():
    out = markdown_page_part(
        "![theo dõi](https://theo-doi.example.com/a.png) ![ảnh](//cdn.example.com/b.png)\n\n![sơ đồ](so-do.png)"
    )
    assert "example.com" not in out
    assert '<img alt="sơ đồ" src="so-do.png">' in out


def test_bodies_keep_their_headings_lists_and_tables(sample_site):
    def article(rel: str) -> BeautifulSoup:
        return BeautifulSoup((sample_site / rel / "index.html").read_text(encoding="utf-8"), "html.parser")

    page = article("duong-day-nong/2026/duong-day-nong")
    headings = [h.get_text(strip=True) for h in page.select("article h2")]
    assert headings[:2] == ["Cách phản ánh", "Cam kết của Ban"]
    toc = [a.get_text(strip=True) for a in page.select("nav.md-nav--secondary a")]
    assert "Cách phản ánh" in toc  # body headings stay in the table of contents
    assert len(page.select("article .ck-body ul li")) >= 6
    table = article("phong-chong-tham-nhung/2026/bao-cao-pctn-6-thang").select_one("article .ck-body table")
    assert [th.get_text(strip=True) for th in table.select("th")] == ["Nội dung", "Số liệu"]
