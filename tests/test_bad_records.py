"""Bad records: each gives exactly ``path:line: field: message``, exit 1, no traceback."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import subprocess

import pytest

from generator.core import values
from generator.records.deadline_rules import add_working_days, is_working_day
from tests.conftest import REPO, run_cli

LICH = "disclosures/tiep-cong-dan/2026/x.yml"

CASES = {
    "yaml-syntax": (
        {LICH: "title: Lịch\nkind: lich\nmonth: [2026-05\n"},
        [
            "disclosures/tiep-cong-dan/2026/x.yml:3: month: thiếu dấu ']' đóng danh sách mở bằng '[' (hoặc thiếu dấu ',' giữa các mục)"
        ],
    ),
    "wrong-type-list-for-text": (
        {LICH: "title:\n  - Lịch\nkind: lich\nmonth: 2026-05\nsessions: [{date: 2026-05-15, start: '07:30'}]\n"},
        ["disclosures/tiep-cong-dan/2026/x.yml:1: title: phải là một giá trị đơn, không phải một danh sách"],
    ),
    "list-where-map-belongs": (
        {
            LICH: "title: Lịch\nkind: lich\nmonth: 2026-05\nsessions: [{date: 2026-05-15, start: '07:30'}]\ndocument:\n  - 45/TB\n"
        },
        [
            "disclosures/tiep-cong-dan/2026/x.yml:5: document: phải là một bảng các trường (khóa: giá trị), không phải một danh sách"
        ],
    ),
    "map-where-list-belongs": (
        {LICH: "title: Lịch\nkind: lich\nmonth: 2026-05\nsessions:\n  date: 2026-05-15\n"},
        [
            "disclosures/tiep-cong-dan/2026/x.yml:4: sessions: phải là một danh sách (mỗi mục một dòng bắt đầu bằng '- '), không phải một bảng các trường"
        ],
    ),
    "missing-required-title": (
        {LICH: "kind: lich\nmonth: 2026-05\nsessions: [{date: 2026-05-15, start: '07:30'}]\n"},
        ["disclosures/tiep-cong-dan/2026/x.yml:1: title: thiếu trường bắt buộc (Tiêu đề)"],
    ),
    "missing-required-nested": (
        {LICH: "title: Lịch\nkind: lich\nmonth: 2026-05\nsessions:\n  - start: '07:30'\n    place: Trụ sở\n"},
        ["disclosures/tiep-cong-dan/2026/x.yml:5: sessions[1].date: thiếu trường bắt buộc (Ngày)"],
    ),
    "unknown-kind": (
        {LICH: "title: Lịch\nkind: lịch\n"},
        ["disclosures/tiep-cong-dan/2026/x.yml:2: kind: giá trị 'lịch' không hợp lệ; chọn một trong: lich, bien-ban"],
    ),
    "impossible-date": (
        {LICH: "title: Lịch\nkind: lich\nmonth: 2026-02\nsessions: [{date: 2026-02-30, start: '07:30'}]\n"},
        ["disclosures/tiep-cong-dan/2026/x.yml:4: sessions[1].date: ngày '2026-02-30' không tồn tại"],
    ),
    "month-13": (
        {LICH: "title: Lịch\nkind: lich\nmonth: 2026-05\nsessions:\n  - date: 13/13/2026\n    start: '07:30'\n"},
        ["disclosures/tiep-cong-dan/2026/x.yml:5: sessions[1].date: ngày '13/13/2026' không tồn tại"],
    ),
    "date-other-format": (
        {LICH: "title: Lịch\nkind: lich\nmonth: 2026-05\nsessions:\n  - date: 15.5.2026\n    start: '07:30'\n"},
        [
            "disclosures/tiep-cong-dan/2026/x.yml:5: sessions[1].date: ngày '15.5.2026' không đúng dạng; viết 2026-06-05 hoặc 05/06/2026"
        ],
    ),
    "unknown-category-folder": (
        {"disclosures/tin-tuc/2026/a.yml": "title: Tin\n"},
        [
            "disclosures/tin-tuc/2026/a.yml:1: category: thư mục 'tin-tuc' không phải là chuyên mục; dùng một trong: thu-tuc-hanh-chinh, tai-chinh-ngan-sach, tuyen-dung, duong-day-nong, tiep-cong-dan, phong-chong-tham-nhung (hoặc khai báo chuyên mục mới bằng tin-tuc/_category.yml)"
        ],
    ),
    "attachment-missing": (
        {
            LICH: "title: Lịch\nkind: lich\nmonth: 2026-05\nsessions: [{date: 2026-05-15, start: '07:30'}]\nattachments:\n  - file: quyet-dinh.pdf\n    kind: quyet-dinh\n"
        },
        [
            "disclosures/tiep-cong-dan/2026/x.yml:6: attachments[1].file: không tìm thấy tệp 'quyet-dinh.pdf' cạnh bản ghi"
        ],
    ),
    "duplicate-id": (
        {
            LICH: "title: Lịch\nkind: lich\nmonth: 2026-05\nsessions: [{date: 2026-05-15, start: '07:30'}]\n",
            "disclosures/tiep-cong-dan/2026/y.yml": "title: Lịch 2\nid: 2026/x\nkind: lich\nmonth: 2026-05\nsessions: [{date: 2026-05-15, start: '07:30'}]\n",
        },
        [
            "disclosures/tiep-cong-dan/2026/y.yml:2: id: trùng đường dẫn /tiep-cong-dan/2026/x/ với disclosures/tiep-cong-dan/2026/x.yml"
        ],
    ),
    "empty-file": (
        {LICH: ""},
        ["disclosures/tiep-cong-dan/2026/x.yml:1: record: tệp rỗng; một bản ghi phải có ít nhất trường title"],
    ),
    "top-level-list": (
        {LICH: "- title: Lịch\n"},
        [
            "disclosures/tiep-cong-dan/2026/x.yml:1: record: bản ghi phải là một bảng các trường (khóa: giá trị), không phải một danh sách"
        ],
    ),
    "duplicate-key": (
        {LICH: "title: Lịch\nkind: lich\ntitle: Lịch khác\n"},
        ["disclosures/tiep-cong-dan/2026/x.yml:3: title: trường bị khai báo hai lần"],
    ),
    "unknown-field-with-suggestion": (
        {
            LICH: "title: Lịch\nkind: lich\nmonth: 2026-05\nsessions: [{date: 2026-05-15, start: '07:30'}]\nsumary: Tóm tắt\n"
        },
        ["disclosures/tiep-cong-dan/2026/x.yml:5: sumary: trường không được hỗ trợ; có phải ý bạn là 'summary'?"],
    ),
    "field-of-other-kind": (
        {
            LICH: "title: Lịch\nkind: lich\nmonth: 2026-05\nsessions: [{date: 2026-05-15, start: '07:30'}]\nvisitors: 3\n"
        },
        ["disclosures/tiep-cong-dan/2026/x.yml:5: visitors: trường này chỉ dùng cho loại: bien-ban"],
    ),
    "bool-yes-refused": (
        {
            LICH: "title: Lịch\nkind: lich\nmonth: 2026-05\nsessions: [{date: 2026-05-15, start: '07:30'}]\nsample: yes\n"
        },
        ["disclosures/tiep-cong-dan/2026/x.yml:5: sample: 'yes' không hợp lệ; chỉ viết true hoặc false"],
    ),
    "session-outside-month": (
        {LICH: "title: Lịch\nkind: lich\nmonth: 2026-05\nsessions:\n  - date: 2026-06-15\n    start: '07:30'\n"},
        [
            "disclosures/tiep-cong-dan/2026/x.yml:5: sessions[1].date: ngày tiếp không thuộc tháng 05/2026 đã ghi ở ô Tháng (month)"
        ],
    ),
    "notice-dated-1906": (
        {
            LICH: "title: Lịch\nkind: lich\ndocument: {number: 45/TB, date: 1906-02-05}\nmonth: 2026-12\n"
            "sessions: [{date: 2026-12-15, start: '07:30'}]\n"
        },
        [
            "disclosures/tiep-cong-dan/2026/x.yml:3: document.date: Ngày ban hành (document.date) là ngày 05/02/1906, "
            "trước năm 1945; có phải gõ nhầm năm? hãy kiểm tra lại"
        ],
    ),
    "notice-a-decade-before-its-month": (
        {
            LICH: "title: Lịch\nkind: lich\ndocument: {number: 45/TB, date: 05/12/2016}\nmonth: 12/2026\n"
            "sessions: [{date: 15/12/2026, start: 7h30}]\n"
        },
        [
            "disclosures/tiep-cong-dan/2026/x.yml:3: document.date: Ngày ban hành (document.date) 05/12/2016 cách "
            "Tháng của lịch (12/2026) hơn 1 năm; có phải gõ nhầm năm? hãy kiểm tra lại"
        ],
    ),
    "minutes-dated-years-after-the-session": (
        {
            "disclosures/tiep-cong-dan/2026/bb.yml": "title: Biên bản\nkind: bien-ban\nsession_date: 2026-05-15\n"
            "document: {date: 2062-05-15}\nvisitors: 1\n"
        },
        [
            "disclosures/tiep-cong-dan/2026/bb.yml:4: document.date: Ngày ban hành (document.date) là ngày 15/05/2062, "
            "còn hơn 1 năm nữa mới tới; "
            "có phải gõ nhầm năm 2026 thành 2062? hãy kiểm tra lại"
        ],
    ),
    "budget-document-decades-from-its-year": (
        {
            "disclosures/tai-chinh-ngan-sach/2026/dt.yml": "title: Dự toán 2026\nkind: du-toan\nfiscal_year: 2026\n"
            "document: {date: 10/01/1996}\napproved: {number: 1/QĐ, date: 2025-12-20}\n"
        },
        [
            "disclosures/tai-chinh-ngan-sach/2026/dt.yml:4: document.date: Ngày ban hành (document.date) 10/01/1996 "
            "cách Năm ngân sách (2026) hơn 3 năm; có phải gõ nhầm năm? hãy kiểm tra lại"
        ],
    ),
    "recruitment-opens-years-before-its-notice": (
        {
            "disclosures/tuyen-dung/2026/tb.yml": "title: Thông báo tuyển dụng\nkind: thong-bao\n"
            "document: {date: 2026-03-01}\napply_from: 2016-03-05\napply_until: 2016-04-30\n"
        },
        [
            "disclosures/tuyen-dung/2026/tb.yml:4: apply_from: Nhận hồ sơ từ ngày (apply_from) 05/03/2016 cách "
            "Ngày ban hành (01/03/2026) hơn 1 năm; có phải gõ nhầm năm? hãy kiểm tra lại"
        ],
    ),
    "no-visitors-but-count": (
        {
            "disclosures/tiep-cong-dan/2026/bb.yml": "title: Biên bản\nkind: bien-ban\nsession_date: 2026-05-15\nvisitors: 2\nno_visitors: true\n"
        },
        [
            'disclosures/tiep-cong-dan/2026/bb.yml:4: visitors: đã chọn "Không có công dân đến" (no_visitors: true) nhưng Số lượt công dân (visitors) khác 0'
        ],
    ),
    "negative-visitors": (
        {
            "disclosures/tiep-cong-dan/2026/bb.yml": "title: Biên bản\nkind: bien-ban\nsession_date: 2026-05-15\nvisitors: -1\n"
        },
        ["disclosures/tiep-cong-dan/2026/bb.yml:4: visitors: '-1' không phải là số nguyên không âm"],
    ),
    "phone-invalid": (
        {"disclosures/duong-day-nong/2026/dd2.yml": "title: Đường dây nóng\nphones:\n  - number: gọi văn phòng\n"},
        [
            "disclosures/duong-day-nong/2026/dd2.yml:3: phones[1].number: số điện thoại 'gọi văn phòng' không hợp lệ; viết trong dấu nháy, ví dụ \"0296 3800 000\""
        ],
    ),
    "document-required": (
        {"disclosures/tai-chinh-ngan-sach/2026/dt.yml": "title: Dự toán 2026\nkind: du-toan\nfiscal_year: 2026\n"},
        ["disclosures/tai-chinh-ngan-sach/2026/dt.yml:1: document: thiếu trường bắt buộc (Văn bản)"],
    ),
    "money-invalid": (
        {
            "disclosures/tai-chinh-ngan-sach/2026/dt.yml": "title: Dự toán 2026\nkind: du-toan\nfiscal_year: 2026\ndocument: {date: 2026-01-10}\namounts:\n  - item: Chi thường xuyên\n    amount: 1,5 tỷ\n"
        },
        [
            "disclosures/tai-chinh-ngan-sach/2026/dt.yml:7: amounts[1].amount: số tiền '1,5 tỷ' không hợp lệ; chỉ ghi chữ số, ví dụ 1250000 hoặc 1.250.000"
        ],
    ),
    "file-name-not-a-slug": (
        {
            "disclosures/tiep-cong-dan/2026/Lịch tháng 5.yml": "title: Lịch\nkind: lich\nmonth: 2026-05\nsessions: [{date: 2026-05-15, start: '07:30'}]\n"
        },
        [
            "disclosures/tiep-cong-dan/2026/Lịch tháng 5.yml:1: id: tên tệp 'Lịch tháng 5.yml' không dùng được làm đường dẫn; đổi tên tệp thành 'lich-thang-5.yml' hoặc khai báo id"
        ],
    ),
    "md-without-front-matter": (
        {"disclosures/tiep-cong-dan/2026/z.md": "Chỉ có nội dung, không có phần đầu.\n"},
        [
            "disclosures/tiep-cong-dan/2026/z.md:1: yaml: tệp .md phải bắt đầu bằng dòng --- rồi đến các trường YAML, kết thúc bằng dòng ---"
        ],
    ),
    "md-line-numbers-count-the-fence": (
        {
            "disclosures/tiep-cong-dan/2026/z.md": "---\ntitle: Biên bản\nkind: bien-ban\nsession_date: 2026-05-32\n---\nNội dung.\n"
        },
        ["disclosures/tiep-cong-dan/2026/z.md:4: session_date: ngày '2026-05-32' không tồn tại"],
    ),
    "not-utf8": (
        {LICH: b"title: Th\xf4ng b\xe1o\nkind: lich\n"},  # Windows-1258 bytes
        ["disclosures/tiep-cong-dan/2026/x.yml:1: record: tệp không phải văn bản UTF-8; hãy lưu lại với bảng mã UTF-8"],
    ),
    "posting-minutes-not-attached": (
        {
            LICH: "title: Lịch\nkind: lich\nmonth: 2026-05\nsessions: [{date: 2026-05-15, start: '07:30'}]\nposting:\n  place: Trụ sở\n  minutes: bb.pdf\n"
        },
        ["disclosures/tiep-cong-dan/2026/x.yml:7: posting.minutes: 'bb.pdf' không có trong danh sách attachments"],
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_record_is_reported_exactly(make_project, name):
    files, expected = CASES[name]
    root = make_project(files)
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    result = run_cli(root, "check")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if not line.startswith("Có ")]
    assert lines == expected
    assert result.output.splitlines()[-1] == f"Có {len(expected)} lỗi; chưa có gì được thay đổi."
    # build refuses too, and writes nothing
    result = run_cli(root, "build", "--site-dir", str(root / "site"))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert [line for line in result.output.splitlines() if not line.startswith("Có ")] == expected
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before


def test_all_problems_of_a_record_are_reported_at_once(make_project):
    root = make_project(
        {LICH: "title: Lịch\nkind: lich\nmonth: 2026-13\nsessions:\n  - date: 2026-05-32\n    start: '25:00'\n"}
    )
    result = run_cli(root, "check")
    assert result.exit_code == 1
    assert result.output.splitlines()[:3] == [
        "disclosures/tiep-cong-dan/2026/x.yml:3: month: tháng '2026-13' không hợp lệ; viết dạng 2026-05 hoặc 05/2026",
        "disclosures/tiep-cong-dan/2026/x.yml:5: sessions[1].date: ngày '2026-05-32' không tồn tại",
        "disclosures/tiep-cong-dan/2026/x.yml:6: sessions[1].start: giờ '25:00' không hợp lệ; viết giờ:phút theo 24 giờ, "
        "ví dụ 07:30 hoặc 13:30 (7h30 cũng được)",
    ]


def test_the_c_loader_is_used_when_present():
    import yaml

    from generator.core import yamltext

    if yaml.__with_libyaml__:
        assert yamltext._Loader is yaml.CSafeLoader


# --- characters Word pastes: normalised in prose, refused where they change a value ------------

NBSP, NNBSP, ZWSP, SHY = "\u00a0", "\u202f", "\u200b", "\u00ad"
PASTED = (NBSP, NNBSP, ZWSP, SHY)


def _article_text(path) -> str:
    from bs4 import BeautifulSoup

    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser").find("article").get_text(" ", strip=True)


def test_word_pasted_prose_builds_as_normal_text_in_yml_and_md(make_project):
    """A title, summary and body pasted from Word (no-break spaces, narrow no-break spaces,
    zero-width spaces, soft hyphens) are accepted in a .yml and a .md record alike, and the
    pages show plain text; the logged hash stays that of the file's bytes."""
    title = f"Lịch{NBSP}tiếp công{NNBSP}dân tháng{ZWSP} 6/2026 (đính chính{SHY})"
    summary = f"Trưởng{NBSP}ban tiếp{ZWSP} công dân{NNBSP}ngày 15/6/2026."
    body = f"Nội{NBSP}dung chính{SHY} của{ZWSP} thông báo.{NBSP}\n\n{NBSP}{NBSP}{NBSP}{NBSP}Đoạn{NNBSP}hai."
    indented = body.replace("\n", "\n  ")
    files = {
        "disclosures/tiep-cong-dan/2026/word-yml.yml": (
            f'title: "{title}"\nkind: lich\nsummary: "{summary}"\nmonth: 2026-06\n'
            f'sessions: [{{date: 2026-06-15, start: "07:30", place: "Trụ{NBSP}sở Ban"}}]\nbody: |\n  {indented}\n'
        ),
        "disclosures/tiep-cong-dan/2026/word-md.md": (
            f'---\ntitle: "{title}"\nkind: lich\nsummary: "{summary}"\nmonth: 2026-07\n'
            f'sessions: [{{date: 2026-07-15, start: "07:30", place: "Trụ{NBSP}sở Ban"}}]\n---\n{body}\n'
        ),
    }
    root = make_project(files)
    result = run_cli(root, "build", "--site-dir", str(root / "site"))
    assert result.exit_code == 0, result.output
    clean = {
        "title": "Lịch tiếp công dân tháng 6/2026 (đính chính)",
        "summary": "Trưởng ban tiếp công dân ngày 15/6/2026.",
        "body": "Nội dung chính của thông báo. Đoạn hai.",
        "place": "Trụ sở Ban",
    }
    for name in ("word-yml", "word-md"):
        page = root / f"site/tiep-cong-dan/2026/{name}/index.html"
        html = page.read_text(encoding="utf-8")
        assert not any(char in html for char in (NNBSP, ZWSP, SHY)), name
        text = _article_text(page)
        for value in clean.values():
            assert value in text, (name, value)
        assert "<pre>" not in html.split("<article", 1)[1], name  # a pasted indent is no code block
    result = run_cli(root, "publish", "--allow-sample", "--deploy-to", str(root / "www"))
    assert result.exit_code == 0, result.output
    logged = {e["id"]: e for e in map(json.loads, (root / "publication-log.jsonl").read_text("utf-8").splitlines())}
    for name, rel in (("word-yml", ".yml"), ("word-md", ".md")):
        event = logged[f"tiep-cong-dan/2026/{name}"]
        assert event["title"] == clean["title"]
        assert (
            event["content_sha256"]
            == hashlib.sha256((root / f"disclosures/tiep-cong-dan/2026/{name}{rel}").read_bytes()).hexdigest()
        )


PASTED_IN_VALUES = {
    "nbsp-in-document-number": (
        "disclosures/tiep-cong-dan/2026/x.yml",
        f"title: Lịch\nkind: lich\nmonth: 2026-05\ndocument: {{number: 45/TB{NBSP}BQL, date: 2026-05-05}}\n"
        "sessions: [{date: 2026-05-15, start: '07:30'}]\n",
        "disclosures/tiep-cong-dan/2026/x.yml:4: document.number: có ký tự ẩn U+00A0 (dấu cách không ngắt, thường do "
        "dán từ Word) ở vị trí 6, sau '45/TB'; xóa ký tự đó hoặc gõ lại giá trị",
    ),
    "zwsp-in-date": (
        "disclosures/tiep-cong-dan/2026/x.md",
        f"---\ntitle: Lịch\nkind: lich\nmonth: 2026-05\nsessions:\n  - date: 2026-05-15{ZWSP}\n    start: '07:30'\n---\n"
        f"Nội{NBSP}dung.\n",
        "disclosures/tiep-cong-dan/2026/x.md:6: sessions[1].date: có ký tự ẩn U+200B (dấu cách độ rộng 0, thường do "
        "dán từ Word) ở vị trí 11, sau '2026-05-15'; xóa ký tự đó hoặc gõ lại giá trị",
    ),
    "nbsp-in-phone": (
        "disclosures/duong-day-nong/2026/dd2.yml",
        f'title: Đường dây nóng\nphones:\n  - number: "0296{NBSP}3800 000"\n    label: Văn{NBSP}phòng\n',
        "disclosures/duong-day-nong/2026/dd2.yml:3: phones[1].number: có ký tự ẩn U+00A0 (dấu cách không ngắt, "
        "thường do dán từ Word) ở vị trí 5, sau '0296'; xóa ký tự đó hoặc gõ lại giá trị",
    ),
    "zwsp-in-url": (
        "disclosures/thu-tuc-hanh-chinh/2026/tt.yml",
        f"title: Thủ tục\nkind: dau-tu\ndocument: {{date: 2026-01-05}}\nportal_url: https://dichvucong.gov.vn/{ZWSP}p\n",
        "disclosures/thu-tuc-hanh-chinh/2026/tt.yml:4: portal_url: có ký tự ẩn U+200B (dấu cách độ rộng 0, thường "
        "do dán từ Word) ở vị trí 27, sau '//dichvucong.gov.vn/'; xóa ký tự đó hoặc gõ lại giá trị",
    ),
    "narrow-nbsp-in-document-number": (
        "disclosures/tiep-cong-dan/2026/x.yml",
        f"title: Lịch\nkind: lich\nmonth: 2026-05\ndocument:\n  number: 45{NNBSP}/TB\n  date: 2026-05-05\n"
        "sessions: [{date: 2026-05-15, start: '07:30'}]\n",
        "disclosures/tiep-cong-dan/2026/x.yml:5: document.number: có ký tự ẩn U+202F (dấu cách không ngắt hẹp, "
        "thường do dán từ Word) ở vị trí 3, sau '45'; xóa ký tự đó hoặc gõ lại giá trị",
    ),
}


@pytest.mark.parametrize("name", list(PASTED_IN_VALUES))
def test_pasted_character_in_a_value_that_is_not_prose_is_refused(make_project, name):
    """In a document number, a date, a phone number or a URL an invisible character makes the
    value something else than it looks: refused, naming file, line and field (prose in the same
    record, a .md body or a phone's label, is accepted)."""
    rel, text, expected = PASTED_IN_VALUES[name]
    root = make_project({rel: text})
    result = run_cli(root, "check")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert [line for line in result.output.splitlines() if not line.startswith("Có ")] == [expected]


# --- schedules that go up too late, and other plausible but odd dates: warned, not refused -------


def _warnings(output: str) -> list[str]:
    return [line for line in output.splitlines() if ": cảnh báo: " in line]


def _schedule(day: dt.date) -> str:
    return (
        f"title: Lịch tiếp công dân tháng {day:%m/%Y}\nkind: lich\nmonth: {day:%Y-%m}\n"
        f"sessions:\n  - date: {day:%d/%m/%Y}\n    start: 7h30\n"
    )


RULE = (
    "quy định: đăng trên trang ít nhất 5 ngày làm việc trước buổi tiếp đầu tiên (Luật Tiếp công dân 2013 Điều 18, 24)."
    " Kiểm tra lại ngày tiếp; nếu ngày đúng, lịch này đăng trễ hạn (nhật ký ghi ngày công bố)"
)


def test_a_schedule_put_up_after_or_just_before_its_first_session_is_warned_about(make_project):
    """A schedule whose first session is over, or fewer than 5 working days ahead, is warned
    about by check and publish until it is published; one with time enough, and an old one
    being entered (the base project's May 2026), are not."""
    today = values.today()
    past = today - dt.timedelta(days=1)
    while past.weekday() == 6:
        past -= dt.timedelta(days=1)
    soon = add_working_days(today, 2)
    later = add_working_days(today, 12)
    files = {
        f"disclosures/tiep-cong-dan/{past.year}/lich-qua.yml": _schedule(past),
        f"disclosures/tiep-cong-dan/{soon.year}/lich-sap.yml": _schedule(soon),
        f"disclosures/tiep-cong-dan/{later.year}/lich-kip.yml": _schedule(later),
    }
    root = make_project(files)
    left = sum(1 for n in range(1, (soon - today).days) if is_working_day(today + dt.timedelta(days=n)))
    expected = sorted(
        [
            f"disclosures/tiep-cong-dan/{past.year}/lich-qua.yml:5: sessions[1].date: cảnh báo: lịch chưa công bố mà "
            f"buổi đầu tiên ({past:%d/%m/%Y}) đã qua; {RULE}",
            f"disclosures/tiep-cong-dan/{soon.year}/lich-sap.yml:5: sessions[1].date: cảnh báo: lịch chưa công bố mà "
            f"buổi đầu tiên ({soon:%d/%m/%Y}) chỉ còn {left} ngày làm việc nữa; hạn đăng là "
            f"{add_working_days(soon, -5):%d/%m/%Y}; {RULE}",
        ]
    )
    result = run_cli(root, "check")
    assert result.exit_code == 0, result.output
    assert [w for w in _warnings(result.output) if "lịch chưa công bố" in w] == expected  # (and two in a month)
    result = run_cli(root, "publish", "--allow-sample", "--deploy-to", str(root / "www"))
    assert result.exit_code == 0, result.output
    assert [w for w in _warnings(result.output) if "lịch chưa công bố" in w] == expected
    result = run_cli(root, "check")  # published: the date it went up is in the log
    assert not [w for w in _warnings(result.output) if "lịch chưa công bố" in w], result.output


def test_minutes_dated_before_their_session_are_warned_about(make_project):
    root = make_project(
        {
            "disclosures/tiep-cong-dan/2026/bb.yml": "title: Biên bản\nkind: bien-ban\nsession_date: 2026-05-15\n"
            "document: {date: 2026-05-10}\nvisitors: 1\n"
        }
    )
    result = run_cli(root, "check")
    assert result.exit_code == 0, result.output
    assert _warnings(result.output) == [
        "disclosures/tiep-cong-dan/2026/bb.yml:4: document.date: cảnh báo: Ngày ban hành (document.date) trước "
        "Ngày tiếp (session_date); biên bản lập trong hoặc sau buổi tiếp: kiểm tra lại ngày"
    ]


# --- the evidence dossier never lands untracked in the project -----------------------------------


def test_evidence_goes_by_default_into_an_ignored_folder_of_the_project(make_project, tmp_path, monkeypatch):
    """``congkhai evidence`` without ``--out`` writes ``ho-so-minh-chung-YYYY/`` and its .zip in
    the project folder (not wherever the command was started), and the project's .gitignore
    (as ``congkhai init`` writes it, and this repository's) keeps both out of git."""
    root = make_project()
    shutil.copyfile(REPO / "generator/staff/project_template/gitignore", root / ".gitignore")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = run_cli(root, "evidence", "--year", "2026")
    assert result.exit_code == 0, result.output
    folder = root / "ho-so-minh-chung-2026"
    assert f"Đã lập hồ sơ minh chứng năm 2026: {folder}" in result.output
    assert (folder / "kiem-tra.py").is_file() and folder.with_suffix(".zip").is_file()
    assert not list(elsewhere.iterdir())
    git = ["git", "-c", "init.defaultBranch=main"]
    subprocess.run([*git, "init", "-q", str(root)], check=True)
    status = subprocess.run(
        [*git, "-C", str(root), "status", "--porcelain", "--untracked-files=all"], capture_output=True, text=True
    )
    assert "ho-so-minh-chung" not in status.stdout and "mkdocs.yml" in status.stdout
    for name in ("ho-so-minh-chung-2026/kiem-tra.py", "ho-so-minh-chung-2026.zip"):
        assert subprocess.run(["git", "-C", str(REPO), "check-ignore", "-q", name]).returncode == 0, name
