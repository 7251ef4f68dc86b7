"""``congkhai report``: the yearly B1 evidence table as HTML, CSV and XLSX."""

from __future__ import annotations

import concurrent.futures
import csv
import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import statistics
import subprocess
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pikepdf
import pytest
from bs4 import BeautifulSoup
from openpyxl import Workbook, load_workbook
from playwright.sync_api import sync_playwright

from generator.cli import _settings
from generator.evidence import deadlines, dossier
from generator.evidence import report as report_module
from generator.evidence.report import build_report
from generator.ledger.log import Log, read_log, seal, serialise
from generator.website import pipeline
from tests.conftest import copy_sample, csv_to_xlsx, run_cli

BOM = b"\xef\xbb\xbf"
SITE_URL = "https://congkhai.example.gov.vn/"

EXTRA_FILES: dict[str, str | bytes] = {
    # every kind of evidence: the posting minutes count as "Biên bản niêm yết" although
    # the file's own kind is "khac"
    "disclosures/tai-chinh-ngan-sach/2026/du-toan-2026.yml": """\
        title: Công khai dự toán ngân sách năm 2026
        kind: du-toan
        document: {number: 03/QĐ-BQLKKT, date: 2026-01-08}
        fiscal_year: 2026
        posting: {place: Trụ sở Ban, from: 2026-01-08, to: 2026-02-09, minutes: du-toan-bien-ban.pdf}
        attachments:
          - {file: du-toan-quyet-dinh.pdf, kind: quyet-dinh}
          - {file: du-toan-bien-ban.pdf, kind: khac}
          - {file: du-toan-trien-khai.pdf, kind: van-ban-trien-khai}
          - {file: du-toan-ket-qua.pdf, kind: bao-cao-ket-qua}
        """,
    "disclosures/tai-chinh-ngan-sach/2026/du-toan-quyet-dinh.pdf": b"%PDF-1.4 qd\n",
    "disclosures/tai-chinh-ngan-sach/2026/du-toan-bien-ban.pdf": b"%PDF-1.4 bb\n",
    "disclosures/tai-chinh-ngan-sach/2026/du-toan-trien-khai.pdf": b"%PDF-1.4 tk\n",
    "disclosures/tai-chinh-ngan-sach/2026/du-toan-ket-qua.pdf": b"%PDF-1.4 kq\n",
    "disclosures/tiep-cong-dan/2025/bien-ban-thang-11.yml": """\
        title: Biên bản tiếp công dân tháng 11/2025
        kind: bien-ban
        document: {date: 2025-11-17}
        session_date: 2025-11-17
        host: Trưởng ban
        visitors: 0
        no_visitors: true
        """,
}

# (record key, time, event, version): the log of the test project, oldest first
TIMELINE = [
    ("tiep-cong-dan/2025/bien-ban-thang-11", "2025-11-18T09:00:00+07:00", "published", 1),
    ("tiep-cong-dan/2025/lich-thang-12", "2025-12-01T08:00:00+07:00", "published", 1),
    # 17:30 UTC on 31/12/2025 is 00:30 on 01/01/2026 in Vietnam: a 2026 publication
    ("duong-day-nong/2026/duong-day-nong", "2025-12-31T17:30:00+00:00", "published", 1),
    ("tiep-cong-dan/2025/lich-thang-12", "2026-01-03T10:00:00+07:00", "updated", 2),
    ("tai-chinh-ngan-sach/2026/du-toan-2026", "2026-01-10T08:00:00+07:00", "published", 1),
    ("tiep-cong-dan/2026/bien-ban-thang-04", "2026-04-16T15:00:00+07:00", "published", 1),
    ("tiep-cong-dan/2026/lich-thang-05", "2026-05-06T09:00:00+07:00", "published", 1),
    ("tiep-cong-dan/2026/lich-thang-05", "2026-05-10T09:00:00+07:00", "updated", 2),
    # after the end of 2026: not part of the 2026 table
    ("tiep-cong-dan/2026/lich-thang-05", "2027-01-04T09:00:00+07:00", "updated", 3),
]

HEADERS = [
    "STT",
    "Phạm vi",
    "Chuyên mục",
    "Tên thông tin",
    "Số ký hiệu",
    "Ngày văn bản",
    "Công bố lần đầu",
    "Cập nhật lần cuối",
    "Phiên bản",
    "Đường dẫn",
    "Sự kiện nhật ký",
    "Mã băm sự kiện",
    "Nguồn thời điểm công bố",
    "Quyết định công khai",
    "Biên bản niêm yết",
    "Văn bản triển khai",
    "Báo cáo kết quả",
    "Văn bản gốc (bản chụp có chữ ký)",
    "Tệp minh chứng (SHA-256)",
    "Chữ ký số (theo loại minh chứng)",
    "Còn thiếu",
    "Hạn công bố",
    "Đúng hạn",
    "Căn cứ thời hạn",
    "Ghi chú",
]
# what is missing is measured against the evidence the category file expects for the
# record's kind (``evidence:``), not one list for every record
ALL_MISSING = "Quyết định công khai; Biên bản niêm yết; Văn bản triển khai; Báo cáo kết quả"
MINUTES_SCAN = "Biên bản tiếp công dân (bản chụp có chữ ký)"
SIGNED_SCAN = "Văn bản gốc (bản chụp có chữ ký)"
INTERNAL_TITLE = "Niêm yết bản kê khai tài sản năm 2026 MẬT-NỘI-BỘ-7731"


def write_log(root: Path, timeline: list[tuple[str, str, str, int]] = TIMELINE) -> Path:
    """Write a sealed publication log for ``timeline`` (events shaped like plan_events)."""
    settings = _settings(str(root / "mkdocs.yml"))
    records = {r.key: r for r in pipeline.load(settings).records}
    planned: list[dict[str, Any]] = []
    for key, at, kind, version in timeline:
        record = records[key]
        planned.append(
            {
                "at": at,
                "event": kind,
                "id": key,
                "category": record.category.slug,
                "title": record.title,
                "document_number": record.document.get("number"),
                "url": settings.url_for(record.url_path),
                "version": version,
                "content_sha256": record.sha256,
                "attachments": [{"file": a.file, "sha256": a.sha256} for a in record.attachments],
                "commit": None,
            }
        )
    with settings.log_path.open("wb") as handle:
        for event in seal(Log(settings.log_path, [], []), planned):
            handle.write(serialise(event))
    return settings.log_path


@pytest.fixture
def project(make_project) -> Path:
    root = make_project(EXTRA_FILES)
    write_log(root)
    return root


def make_report(root: Path, year: int, *formats: str) -> dict[str, Path]:
    out = root / "bao-cao"
    args = ["report", "--year", str(year), "--out", str(out)]
    if formats:
        args += ["--format", ",".join(formats)]
    result = run_cli(root, *args)
    assert result.exit_code == 0, result.output
    written = [Path(line) for line in result.stdout.splitlines()]
    assert all(path.is_file() for path in written), written
    return {path.suffix[1:]: path for path in written}


def read_csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(BOM)
    assert not raw[3:].startswith(BOM)
    reader = csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline=""))
    header = next(reader)
    assert header == HEADERS
    return [dict(zip(header, line, strict=True)) for line in reader]


def by_title(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {row["Tên thông tin"]: row for row in rows}


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


# -- the command ----------------------------------------------------------------------------


def test_writes_three_formats_and_prints_their_paths(project):
    result = run_cli(project, "report", "--year", "2026", "--out", str(project / "out"))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        str(project / "out" / "bao-cao-b1-2026.html"),
        str(project / "out" / "bao-cao-b1-2026.csv"),
        str(project / "out" / "bao-cao-b1-2026.xlsx"),
        str(project / "out" / "bao-cao-b1-2026.sha256"),
    ]
    assert "Năm 2026: 6 dòng (5 công khai, 1 nội bộ)" in result.stderr
    assert sorted(p.name for p in (project / "out").iterdir()) == [
        "bao-cao-b1-2026.csv",
        "bao-cao-b1-2026.html",
        "bao-cao-b1-2026.sha256",
        "bao-cao-b1-2026.xlsx",
    ]
    # the report's own hashes travel beside it, in the format sha256sum -c reads
    sums = (project / "out" / "bao-cao-b1-2026.sha256").read_text(encoding="utf-8").splitlines()
    assert [line.split("  ")[1] for line in sums] == [
        "bao-cao-b1-2026.html",
        "bao-cao-b1-2026.csv",
        "bao-cao-b1-2026.xlsx",
    ]
    for line in sums:
        digest, name = line.split("  ")
        assert hashlib.sha256((project / "out" / name).read_bytes()).hexdigest() == digest


def test_default_out_is_the_current_folder(project, tmp_path, monkeypatch):
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    result = run_cli(project, "report", "--year", "2026", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["bao-cao-b1-2026.csv", "bao-cao-b1-2026.sha256"]
    assert sorted(p.name for p in here.iterdir()) == ["bao-cao-b1-2026.csv", "bao-cao-b1-2026.sha256"]


@pytest.mark.parametrize(
    ("year", "message"),
    [
        ("abc", "năm 'abc' không hợp lệ; viết 4 chữ số, ví dụ --year "),
        ("26", "năm '26' không hợp lệ; viết 4 chữ số, ví dụ --year "),
        ("1999", "năm 1999 không hợp lệ; chọn một năm từ 2000 đến "),
        (str(dt.date.today().year + 1), f"năm {dt.date.today().year + 1} không hợp lệ; chọn một năm từ 2000 đến "),
    ],
)
def test_bad_year_exits_1_with_a_message(project, year, message):
    result = run_cli(project, "report", "--year", year, "--out", str(project / "out"))
    assert result.exit_code == 1
    assert message in result.stderr
    assert not (project / "out").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "Lỗi: thiếu tùy chọn --year"),
        (["--year", "2026", "--format", "csv,pdf"], "định dạng 'pdf' không hỗ trợ; chọn trong: html, csv, xlsx"),
    ],
)
def test_usage_errors_exit_2(project, args, message):
    result = run_cli(project, "report", *args)
    assert result.exit_code == 2
    assert message in result.output


def test_a_broken_log_is_refused(project):
    log = project / "publication-log.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    event = json.loads(lines[1])
    event["title"] = "Tiêu đề đã bị sửa"
    lines[1] = serialise(event)
    log.write_bytes(b"".join(lines))
    result = run_cli(project, "report", "--year", "2026", "--out", str(project / "out"))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert "publication-log.jsonl:2: hash: seq 2: không khớp nội dung (dòng đã bị sửa)" in lines
    assert (
        "publication-log.jsonl:1: log: nhật ký công bố không toàn vẹn; chưa lập báo cáo (xem congkhai verify)" in lines
    )
    assert not (project / "out").exists()


# -- CSV --------------------------------------------------------------------------------------


def test_csv_has_the_rows_of_the_year_only(project):
    rows = read_csv(make_report(project, 2026, "csv")["csv"])
    assert [row["STT"] for row in rows] == ["1", "2", "3", "4", "5", "6"]
    titles = {row["Tên thông tin"] for row in rows}
    assert titles == {
        "Đường dây nóng phản ánh nhũng nhiễu",
        "Công khai dự toán ngân sách năm 2026",
        "Thông báo lịch tiếp công dân tháng 5/2026",
        "Biên bản tiếp công dân tháng 4/2026",
        "Thông báo lịch tiếp công dân tháng 12/2025",  # published 2025, updated 2026
        INTERNAL_TITLE,
    }
    assert "Biên bản tiếp công dân tháng 11/2025" not in titles  # 2025 only


def test_csv_dates_come_from_the_log_in_local_time(project):
    rows = by_title(read_csv(make_report(project, 2026, "csv")["csv"]))
    hotline = rows["Đường dây nóng phản ánh nhũng nhiễu"]
    assert hotline["Công bố lần đầu"] == "01/01/2026"  # 31/12/2025 17:30 UTC
    schedule = rows["Thông báo lịch tiếp công dân tháng 5/2026"]
    assert schedule["Số ký hiệu"] == "45/TB-BQLKKT"
    assert schedule["Ngày văn bản"] == "05/05/2026"
    assert schedule["Công bố lần đầu"] == "06/05/2026"
    assert schedule["Cập nhật lần cuối"] == "10/05/2026"  # not the 2027 update
    assert schedule["Phiên bản"] == "2"
    assert schedule["Đường dẫn"] == SITE_URL + "tiep-cong-dan/2026/lich-thang-05/"
    assert schedule["Chuyên mục"] == "Tiếp công dân"
    assert schedule["Phạm vi"] == "Công khai"
    earlier = rows["Thông báo lịch tiếp công dân tháng 12/2025"]
    assert (earlier["Công bố lần đầu"], earlier["Cập nhật lần cuối"], earlier["Phiên bản"]) == (
        "01/12/2025",
        "03/01/2026",
        "2",
    )


def test_csv_lists_evidence_present_and_missing(project):
    rows = by_title(read_csv(make_report(project, 2026, "csv")["csv"]))
    schedule = rows["Thông báo lịch tiếp công dân tháng 5/2026"]
    assert schedule["Quyết định công khai"] == "thong-bao.pdf"
    assert schedule["Biên bản niêm yết"] == ""
    # the schedule notice's own scan is all a schedule needs
    assert schedule["Còn thiếu"] == ""
    budget = rows["Công khai dự toán ngân sách năm 2026"]
    assert budget["Quyết định công khai"] == "du-toan-quyet-dinh.pdf"
    assert budget["Biên bản niêm yết"] == "du-toan-bien-ban.pdf"  # from posting.minutes
    assert budget["Văn bản triển khai"] == "du-toan-trien-khai.pdf"
    assert budget["Báo cáo kết quả"] == "du-toan-ket-qua.pdf"
    assert budget["Còn thiếu"] == ""
    assert "Niêm yết tại trụ sở từ 08/01/2026 đến 09/02/2026" in budget["Ghi chú"]
    # reception minutes need their signed scan, not a decision or a result report
    assert rows["Biên bản tiếp công dân tháng 4/2026"]["Còn thiếu"] == MINUTES_SCAN
    assert rows["Đường dây nóng phản ánh nhũng nhiễu"]["Còn thiếu"] == ""  # the log is its evidence


def test_the_minutes_own_scan_counts(make_project):
    root = make_project(
        {
            "disclosures/tiep-cong-dan/2026/bien-ban-thang-04.md": """\
                ---
                title: Biên bản tiếp công dân tháng 4/2026
                kind: bien-ban
                document: {date: 2026-04-15}
                session_date: 2026-04-15
                visitors: 0
                no_visitors: true
                attachments:
                  - {file: bien-ban-04.pdf, kind: van-ban-goc}
                ---
                Không có công dân đến.
                """,
            "disclosures/tiep-cong-dan/2026/bien-ban-04.pdf": b"%PDF-1.4 scan\n",
        }
    )
    write_log(root, [("tiep-cong-dan/2026/bien-ban-thang-04", "2026-04-16T15:00:00+07:00", "published", 1)])
    row = by_title(read_csv(make_report(root, 2026, "csv")["csv"]))["Biên bản tiếp công dân tháng 4/2026"]
    assert (row["Văn bản gốc (bản chụp có chữ ký)"], row["Còn thiếu"]) == ("bien-ban-04.pdf", "")


def test_csv_marks_internal_records_without_a_link(project):
    rows = by_title(read_csv(make_report(project, 2026, "csv")["csv"]))
    internal = rows[INTERNAL_TITLE]
    assert internal["Phạm vi"] == "Nội bộ"
    assert internal["Chuyên mục"] == "Phòng, chống tham nhũng"
    assert internal["Số ký hiệu"] == "99/BB-NOIBO-7731"
    assert internal["Ngày văn bản"] == "20/11/2026"
    assert (internal["Đường dẫn"], internal["Công bố lần đầu"], internal["Phiên bản"]) == ("", "", "")
    assert internal["Còn thiếu"] == SIGNED_SCAN  # phong-chong-tham-nhung's default
    assert internal["Ghi chú"].startswith("Hồ sơ nội bộ, không đăng trên trang")


def test_a_year_without_events_has_only_the_header(project):
    assert read_csv(make_report(project, 2024, "csv")["csv"]) == []


# -- XLSX -------------------------------------------------------------------------------------


def test_xlsx_has_real_dates_bold_frozen_header_and_widths(project):
    book = load_workbook(make_report(project, 2026, "xlsx")["xlsx"])
    sheet = book["B1 2026"]
    header = [cell.value for cell in sheet[1]]
    assert header == HEADERS
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["D"].width == 19  # the widest column: the title
    rows = {line[3].value: line for line in sheet.iter_rows(min_row=2)}
    assert len(rows) == 6
    schedule = rows["Thông báo lịch tiếp công dân tháng 5/2026"]
    cells = dict(zip(HEADERS, schedule, strict=True))
    assert cells["Công bố lần đầu"].value == dt.datetime(2026, 5, 6)
    assert cells["Công bố lần đầu"].number_format == "dd/mm/yyyy"
    assert cells["Ngày văn bản"].value == dt.datetime(2026, 5, 5)
    assert cells["Cập nhật lần cuối"].value == dt.datetime(2026, 5, 10)
    assert cells["Phiên bản"].value == 2
    assert cells["Đường dẫn"].hyperlink.target == SITE_URL + "tiep-cong-dan/2026/lich-thang-05/"
    assert cells["Còn thiếu"].value is None  # nothing missing: an empty cell
    assert dict(zip(HEADERS, rows[INTERNAL_TITLE], strict=True))["Còn thiếu"].value == SIGNED_SCAN
    internal = dict(zip(HEADERS, rows[INTERNAL_TITLE], strict=True))
    assert internal["Phạm vi"].value == "Nội bộ"
    assert internal["Đường dẫn"].value is None and internal["Đường dẫn"].hyperlink is None
    about = {row[0]: row[1] for row in book["Thông tin"].iter_rows(values_only=True)}
    assert about["Cơ quan"] == "Ban Quản lý Khu kinh tế tỉnh An Giang"
    assert about["Lập từ nhật ký công bố"].startswith("seq 9, hash ")


def test_xlsx_never_turns_text_into_a_formula(make_project):
    root = make_project(
        {
            "disclosures/tiep-cong-dan/2026/lich-thang-05.yml": """\
                title: "=HYPERLINK(\\"http://evil.example\\")"
                kind: lich
                document: {date: 2026-05-05}
                month: 2026-05
                sessions: [{date: 2026-05-15, start: "07:30"}]
                """
        }
    )
    write_log(root, [("tiep-cong-dan/2026/lich-thang-05", "2026-05-06T09:00:00+07:00", "published", 1)])
    sheet = load_workbook(make_report(root, 2026, "xlsx")["xlsx"]).active
    title = next(line[3] for line in sheet.iter_rows(min_row=2) if line[1].value == "Công khai")
    assert (title.value, title.data_type) == ('=HYPERLINK("http://evil.example")', "s")


# -- HTML -------------------------------------------------------------------------------------


def test_html_has_title_agency_log_head_summary_and_table(project):
    page = soup(make_report(project, 2026, "html")["html"])
    head = read_log(project / "publication-log.jsonl").head
    assert page.title.get_text() == "Bảng tài liệu kiểm chứng tiêu chí B1 năm 2026"
    assert page.find("h1").get_text() == "Bảng tài liệu kiểm chứng tiêu chí B1 năm 2026"
    assert page.html["lang"] == "vi"
    meta = {d.get_text(strip=True): d.find_next_sibling("dd").get_text(" ", strip=True) for d in page.select("dl dt")}
    assert page.select_one(".agency").get_text() == "Ban Quản lý Khu kinh tế tỉnh An Giang"
    assert meta["Lập từ nhật ký công bố"] == f"sự kiện số {head['seq']}, mã băm {head['hash']}"
    assert head["seq"] == 9
    assert meta["Thời điểm lập"].endswith("(UTC+07:00)")
    summary = page.select_one("ul.summary").get_text(" ", strip=True)
    assert "Số thông tin trong bảng: 6 , gồm 5 thông tin công khai trên trang (4 công bố lần đầu, 1 cập nhật" in summary
    assert "Đủ tài liệu kiểm chứng: 3 ; còn thiếu: 3 ." in summary
    rows = page.select("tbody tr.row-public, tbody tr.row-internal")
    assert [r.select("td")[0].get_text() for r in rows] == ["1", "2", "3", "4", "5", "6"]
    groups = [th.get_text() for th in page.select("tbody tr.group th")]
    assert groups == [
        "Tài chính, ngân sách",
        "Đường dây nóng",
        "Tiếp công dân",
        "Phòng, chống tham nhũng",
    ]  # category order
    header = [th.get_text() for th in page.select("thead th")]
    assert header == [
        "STT",
        "Tên thông tin, số ký hiệu, ngày văn bản, đường dẫn (sau https://congkhai.example.gov.vn/)",
        "Công bố lần đầu; cập nhật, phiên bản",
        "Tài liệu kiểm chứng có (tệp)",
        "Còn thiếu",
        "Đúng hạn",
        "Ghi chú",
    ]
    assert "Biên bản tiếp công dân tháng 11/2025" not in page.get_text()


def test_html_rows_show_dates_links_evidence_and_internal_marker(project):
    page = soup(make_report(project, 2026, "html")["html"])
    row = page.select_one('tr[data-key="tiep-cong-dan/2026/lich-thang-05"]')
    cells = [td.get_text(" ", strip=True) for td in row.select("td")]
    assert cells[1:4] == [
        "Thông báo lịch tiếp công dân tháng 5/2026 Số 45/TB-BQLKKT , ngày 05/05/2026 tiep-cong-dan/2026/lich-thang-05/",
        # no token: the cell says whose clock the date is from
        "06/05/2026 Chỉ theo đồng hồ của cơ quan Cập nhật 10/05/2026, phiên bản 2",
        "thong-bao.pdf",
    ]
    # the printed row shows the path; the link, the CSV and the XLSX keep the whole address
    assert row.select_one("td.record a")["href"] == SITE_URL + "tiep-cong-dan/2026/lich-thang-05/"
    assert row.select_one("td.complete").get_text() == ""
    minutes = page.select_one('tr[data-key="tiep-cong-dan/2026/bien-ban-thang-04"]')
    assert minutes.select_one("td.missing").get_text() == MINUTES_SCAN
    internal = page.select_one('tr[data-key="phong-chong-tham-nhung/2026/niem-yet-ke-khai"]')
    assert "row-internal" in internal["class"]
    assert internal.select_one(".url").get_text(strip=True) == "Nội bộ, không đăng trên trang"
    assert internal.find("a") is None


def test_html_prints_on_a4_landscape_without_external_resources(project):
    path = make_report(project, 2026, "html")["html"]
    page = soup(path)
    style = page.find("style").get_text()
    assert "@page { size: A4 landscape;" in style
    assert "margin:" in style.split("@page", 1)[1].split("}", 1)[0]
    assert "thead { display: table-header-group; }" in style
    assert "break-inside: avoid" in style and "page-break-inside: avoid" in style
    assert page.find("thead") is not None
    assert page.select("link, script, img, iframe, object, embed") == []
    assert "url(" not in style and "@import" not in style
    assert page.find("meta", charset=True)["charset"] == "utf-8"


def test_html_escapes_record_values(make_project):
    root = make_project(
        {
            "disclosures/tiep-cong-dan/2026/lich-thang-05.yml": """\
                title: 'Lịch x<1 & y>2, "ngoặc"'
                kind: lich
                document: {date: 2026-05-05}
                month: 2026-05
                sessions: [{date: 2026-05-15, start: "07:30"}]
                """
        }
    )
    write_log(root, [("tiep-cong-dan/2026/lich-thang-05", "2026-05-06T09:00:00+07:00", "published", 1)])
    text = make_report(root, 2026, "html")["html"].read_text(encoding="utf-8")
    # raw HTML is refused by check (tests/bad_inputs); what remains still has to be escaped
    assert "x<1" not in text
    assert "Lịch x&lt;1 &amp; y&gt;2, &#34;ngoặc&#34;" in text


def test_empty_year_says_so(project):
    page = soup(make_report(project, 2024, "html")["html"])
    assert "Không có thông tin nào được công bố, cập nhật hoặc lưu hồ sơ trong năm 2024." in page.get_text()


# -- deadlines --------------------------------------------------------------------------------


def test_late_publications_are_shown(project, monkeypatch):
    rules = {
        "tiep-cong-dan/2026/lich-thang-05": (dt.date(2026, 5, 3), "đăng trước 5 ngày làm việc"),
        "tai-chinh-ngan-sach/2026/du-toan-2026": (dt.date(2026, 1, 23), "trong 15 ngày kể từ ngày được giao"),
    }
    monkeypatch.setattr(report_module, "deadline_for", lambda record: rules.get(record.key))
    rows = by_title(read_csv(make_report(project, 2026, "csv")["csv"]))
    late = rows["Thông báo lịch tiếp công dân tháng 5/2026"]
    assert (late["Hạn công bố"], late["Đúng hạn"], late["Căn cứ thời hạn"]) == (
        "03/05/2026",
        "Trễ 3 ngày",
        "đăng trước 5 ngày làm việc",
    )
    assert rows["Công khai dự toán ngân sách năm 2026"]["Đúng hạn"] == "Đúng hạn"
    assert rows["Biên bản tiếp công dân tháng 4/2026"]["Đúng hạn"] == ""
    assert rows[INTERNAL_TITLE]["Đúng hạn"] == ""
    html = soup(make_report(project, 2026, "html")["html"])
    cell = html.select_one('tr[data-key="tiep-cong-dan/2026/lich-thang-05"] td.deadline')
    assert cell.select_one(".late").get_text() == "Trễ 3 ngày"
    assert cell.select_one(".rule").get_text() == "Hạn 03/05/2026"
    # the basis of the deadline is a note under the table, named by its number in the row
    note = html.select_one(cell.select_one("a")["href"])
    assert note.get_text() == "đăng trước 5 ngày làm việc"
    assert note.find_parent("section").h2.get_text() == "Căn cứ thời hạn"
    summary = html.select_one("ul.summary").get_text(" ", strip=True)
    assert "Công bố trễ hạn: 1 trên 2 thông tin có quy định thời hạn." in summary


def test_report_uses_the_deadline_rules():
    assert report_module.deadline_for is deadlines.deadline_for


# -- the core function ------------------------------------------------------------------------


def test_build_report_reads_the_log_as_at_the_end_of_the_year(project):
    settings = _settings(str(project / "mkdocs.yml"))
    site = pipeline.load(settings)
    log = read_log(settings.log_path)
    now = dt.datetime(2027, 2, 1, 1, 0, tzinfo=dt.UTC)
    made = build_report(site, log, 2026, now=now)
    assert made.generated_at.isoformat() == "2027-02-01T08:00:00+07:00"
    assert made.head == log.head
    schedule = next(r for r in made.rows if r.key == "tiep-cong-dan/2026/lich-thang-05")
    assert (schedule.version, schedule.last_updated) == (2, dt.date(2026, 5, 10))
    summary = made.summary
    assert (summary.rows, summary.public, summary.first_published, summary.updated, summary.internal) == (
        6,
        5,
        4,
        1,
        1,
    )
    # complete: the budget estimate, the hotline (nothing but the log expected) and the
    # May schedule (its notice's scan)
    assert (summary.complete, summary.incomplete) == (3, 3)
    assert made.unpublished == []
    earlier = build_report(site, log, 2025, now=now)
    assert sorted(r.key for r in earlier.rows) == [
        "tiep-cong-dan/2025/bien-ban-thang-11",
        "tiep-cong-dan/2025/lich-thang-12",
    ]
    assert next(r for r in earlier.rows if r.key.endswith("lich-thang-12")).version == 1


def test_public_records_dated_in_the_year_but_not_published_are_counted(make_project):
    root = make_project()
    write_log(root, [("tiep-cong-dan/2026/lich-thang-05", "2026-05-06T09:00:00+07:00", "published", 1)])
    settings = _settings(str(root / "mkdocs.yml"))
    made = build_report(pipeline.load(settings), read_log(settings.log_path), 2026)
    assert sorted(made.unpublished) == [
        "Biên bản tiếp công dân tháng 4/2026",
        "Đường dây nóng phản ánh nhũng nhiễu",
    ]


# -- LibreOffice opens the CSV with Vietnamese intact ----------------------------------------


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_reads_the_csv_as_utf8(project, tmp_path):
    source = make_report(project, 2026, "csv")["csv"]
    sheet = load_workbook(csv_to_xlsx(source, tmp_path)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:4] == ("STT", "Phạm vi", "Chuyên mục", "Tên thông tin")
    categories = {line[2] for line in values[1:]}
    assert "Tiếp công dân" in categories
    assert "Phòng, chống tham nhũng" in categories
    titles = {line[3] for line in values[1:]}
    assert "Thông báo lịch tiếp công dân tháng 5/2026" in titles
    assert INTERNAL_TITLE in titles


# -- printed on A4: the repository's own sample, as an office's year looks --------------------

PRINT_FONT_PX = 12
"""9 pt in CSS pixels: the smallest type the printed report may use."""


@pytest.fixture(scope="module")
def sample_year(tmp_path_factory) -> tuple[Path, int]:
    """The repository's sample project (49 records) published once; its report of this year
    (the log's dates are today's)."""
    root = copy_sample(tmp_path_factory.mktemp("sample") / "project")
    result = run_cli(root, "publish", "--allow-sample", "--deploy-to", str(root / "www"))
    assert result.exit_code == 0, result.output
    year = dt.datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).year
    return root, year


def print_report(source: Path, pdf: Path) -> float:
    """Print the report's HTML as the dossier does (Chromium, print media, the page size of
    its CSS); the smallest computed font size of any text, in CSS pixels. In a thread of its
    own: the session's Chromium of other tests keeps Playwright's loop in this thread."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_print_report, source, pdf).result()


def _print_report(source: Path, pdf: Path) -> float:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=dossier.CHROMIUM, args=dossier.CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.emulate_media(media="print")
            page.goto(source.as_uri(), wait_until="load")
            smallest = page.evaluate(
                """() => Math.min(...[...document.body.querySelectorAll('*')]
                    .filter(e => [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
                    .map(e => parseFloat(getComputedStyle(e).fontSize)))"""
            )
            page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True, tagged=True)
        finally:
            browser.close()
    return smallest


def rows_by_page(pdf: Path) -> list[list[int]]:
    """The row numbers (the STT column) printed on each page."""
    pages = []
    with pikepdf.open(pdf) as document:
        count = len(document.pages)
    for number in range(1, count + 1):
        text = subprocess.run(
            ["pdftotext", "-layout", "-f", str(number), "-l", str(number), str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        pages.append([int(n) for n in re.findall(r"^ *(\d{1,3}) ", text, re.MULTILINE)])
    return pages


def test_the_printed_report_holds_a_dozen_rows_a_page_in_9pt_type(sample_year, tmp_path):
    """Before: 51 rows on 17 A4 pages (about 3 a page), type down to 5.5 pt, and the last
    columns cut off at the right edge. Now every row on its page, whole, 9 pt or larger."""
    root, year = sample_year
    source = make_report(root, year, "html")["html"]
    rows = len(soup(source).select("tr[data-key]"))
    assert rows >= 45
    smallest = print_report(source, tmp_path / "bao-cao.pdf")
    assert smallest >= PRINT_FONT_PX
    pages = rows_by_page(tmp_path / "bao-cao.pdf")
    assert [n for page in pages for n in page] == list(range(1, rows + 1))  # each row once, in order
    assert len(pages) <= -(-rows // 10)  # 10 rows a page or more on average, the header included
    assert all(len(page) >= 11 for page in pages[1:-1])  # the pages of table alone: 11 rows or more
    with pikepdf.open(tmp_path / "bao-cao.pdf") as document:
        box = [float(v) for v in document.pages[0].mediabox]
    assert box[2] > box[3]  # landscape
    assert round(box[2] / 72 * 25.4) == 297 and round(box[3] / 72 * 25.4) == 210  # A4
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "bao-cao.pdf"), "-"], capture_output=True, text=True)
    assert "Căn cứ thời hạn" in text.stdout and "Ghi chú" in text.stdout


def soffice(source: Path, target: str, out: Path, *options: str) -> Path:
    """Convert with LibreOffice headless, in a profile of its own (tests run in parallel)."""
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={(out / 'lo-profile').as_uri()}",
            "--headless",
            *options,
            "--convert-to",
            target,
            "--outdir",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
        env={**os.environ, "HOME": str(out)},
    )
    return out / f"{source.stem}.{target.split(':')[0]}"


def word_heights(pdf: Path, page: int) -> list[float]:
    """The height of each word's box on one page (points): the printed type size."""
    bbox = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [float(y1) - float(y0) for y0, y1 in re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)"', bbox)]


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_the_xlsx_prints_legibly_on_a4_landscape(sample_year, tmp_path):
    """Before: the sheet printed at about 20 % (11 pt type as 2.2 pt). Now one page wide at
    60 % or more, the header row on every page, rows as high as their wrapped text."""
    root, year = sample_year
    book = load_workbook(make_report(root, year, "xlsx")["xlsx"])
    sheet = book.worksheets[0]
    setup = sheet.page_setup
    assert (setup.orientation, setup.paperSize, setup.fitToWidth, setup.fitToHeight) == ("landscape", 9, 1, 0)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.print_title_rows == "$1:$1"
    assert all(sheet.row_dimensions[n].height >= 15 for n in range(1, sheet.max_row + 1))
    # the scale LibreOffice prints at: the type's height against the same type at 100 %
    alone = tmp_path / "mot-o.xlsx"
    single = Workbook()
    single.active["A1"] = "Chuyên mục tài chính"
    single.save(alone)
    full = statistics.median(word_heights(soffice(alone, "pdf", tmp_path / "a"), 1))
    printed = soffice(make_report(root, year, "xlsx")["xlsx"], "pdf", tmp_path / "b")
    with pikepdf.open(printed) as document:
        pages = len(document.pages)
        box = [float(v) for v in document.pages[0].mediabox]
    assert (round(box[2] / 72 * 25.4), round(box[3] / 72 * 25.4)) == (297, 210)
    texts = [
        subprocess.run(
            ["pdftotext", "-f", str(n), "-l", str(n), str(printed), "-"], capture_output=True, text=True
        ).stdout
        for n in range(1, pages + 1)
    ]
    # the header row repeats on each page of the table; the sheet "Thông tin" follows, on one page
    table_pages = [n for n, text in enumerate(texts, start=1) if "Tên thông tin" in text and "Còn thiếu" in text]
    assert table_pages == list(range(1, pages))
    assert texts[-1].startswith("Báo cáo\nCơ quan\nLập từ nhật ký công bố")
    scales = [statistics.median(word_heights(printed, n)) / full for n in table_pages]
    assert min(scales) >= 0.6, scales
    assert len(table_pages) <= (sheet.max_row - 1) // 4  # four rows a page or more


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_without_filter_options_reads_the_csv_as_its_version_decides(project, tmp_path):
    """Why the BOM is not enough: LibreOffice's CSV import with no filter options (headless
    ``--convert-to``, macros, the API) assumes Windows-1252 up to the 7.x series and looks for
    a BOM only when it already assumes a Unicode charset, so no byte a writer puts in a CSV
    gets Vietnamese through; later releases assume UTF-8 and skip the BOM. Calc's import
    dialog (a person opening the file) sniffs the BOM and preselects UTF-8, which is what
    :func:`test_libreoffice_reads_the_csv_as_utf8` converts with. Here: the default import
    either reads the Vietnamese, or misreads exactly the UTF-8 bytes as Windows-1252 (the BOM
    included): the file is right, the charset is the reader's."""
    source = make_report(project, 2026, "csv")["csv"]
    header = next(load_workbook(soffice(source, "xlsx", tmp_path)).active.iter_rows(values_only=True))
    if header[1] == "Phạm vi":
        assert list(header) == HEADERS
    else:
        assert header[0] == BOM.decode("cp1252") + "STT"
        assert header[1] == "Phạm vi".encode().decode("cp1252") == "Pháº¡m vi"
