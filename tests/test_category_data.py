"""Categories are data: a category added by a ``_category.yml`` alone gets a calendar,
the strict privacy rule, expected evidence, cross-field checks and a deadline; broken
blocks of a category file fail ``congkhai check`` at their own line."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
import vobject
from bs4 import BeautifulSoup

from generator.records.category_file import load_categories
from tests.conftest import REPO, run_cli
from tests.test_report import write_log

SLUG = "doi-thoai"
CATEGORY = f"disclosures/{SLUG}/_category.yml"
SOON = dt.date.today() + dt.timedelta(days=10)

# field names unlike the shipped reception category's, so nothing can be keyed on them
CATEGORY_YML = """\
title: Đối thoại doanh nghiệp
description: Lịch và biên bản đối thoại với doanh nghiệp trong khu công nghiệp.
order: "8"
kinds:
  lich: Thông báo lịch đối thoại
  bien-ban: Biên bản đối thoại
fields:
  buoi:
    type: list
    label: Các buổi đối thoại
    kinds: [lich]
    required: true
    item:
      ngay: {type: date, required: true, label: Ngày}
      bat_dau: {type: time, label: Bắt đầu}
      ket_thuc: {type: time, label: Kết thúc}
      dia_diem: {type: text, label: Địa điểm}
      chu_tri: {type: text, label: Chủ trì}
  ngay_doi_thoai: {type: date, label: Ngày đối thoại, kinds: [bien-ban]}
privacy:
  strict_kinds: [bien-ban]
checks:
  - {rule: order, first: buoi.bat_dau, then: buoi.ket_thuc, message: giờ kết thúc buổi đối thoại trước giờ bắt đầu}
calendar:
  field: buoi
  kinds: [lich]
  summary: Đối thoại doanh nghiệp
  date: ngay
  start: bat_dau
  end: ket_thuc
  place: dia_diem
  host: chu_tri
evidence:
  default:
    - {attachments: [quyet-dinh]}
  kinds:
    bien-ban:
      - {label: Biên bản đối thoại (bản chụp có chữ ký), attachments: [van-ban-goc]}
rules:
  kinds:
    lich:
      from: [buoi.ngay]
      before: "3"
      days: working
      text: đăng ít nhất 3 ngày làm việc trước buổi đối thoại
      basis: Quy chế đối thoại của Ban
"""


def schedule(day: dt.date, title: str, summary: str = "Trưởng ban đối thoại với doanh nghiệp.") -> str:
    return f"""\
title: {title}
kind: lich
summary: SUMMARY
document: {{number: 12/TB-BQLKKT, date: 2026-11-02}}
buoi:
  - {{ngay: {day.isoformat()}, bat_dau: "08:00", ket_thuc: "10:30", dia_diem: Hội trường Ban, chu_tri: Trưởng ban}}
attachments:
  - {{file: thong-bao.pdf, kind: quyet-dinh}}
"""


MINUTES = """\
title: Biên bản đối thoại tháng 11/2026
kind: bien-ban
document: {date: 2026-11-20}
ngay_doi_thoai: 2026-11-20
summary: SUMMARY
"""
PERSON = "Đại diện doanh nghiệp là ông Nguyễn Văn A phát biểu."


def project(make_project, extra: dict[str, str | bytes] | None = None) -> Path:
    files: dict[str, str | bytes] = {
        CATEGORY: CATEGORY_YML,
        f"disclosures/{SLUG}/2026/lich-12.yml": schedule(dt.date(2026, 12, 10), "Lịch đối thoại tháng 12/2026"),
        f"disclosures/{SLUG}/2026/lich-sap-toi.yml": schedule(SOON, "Lịch đối thoại sắp tới"),
        f"disclosures/{SLUG}/2026/thong-bao.pdf": b"%PDF-1.4 tb\n",
        f"disclosures/{SLUG}/2026/bien-ban-11.yml": MINUTES.replace("SUMMARY", "Ba doanh nghiệp dự, hai kiến nghị."),
    }
    return make_project({**files, **(extra or {})})


def check_lines(root: Path) -> list[str]:
    """The problems ``congkhai check`` prints (it must fail), without its count line."""
    result = run_cli(root, "check")
    assert result.exit_code == 1, result.output
    *problems, count = result.output.splitlines()
    assert count == f"Có {len(problems)} lỗi; chưa có gì được thay đổi."
    return problems


# --- a new category, no Python -------------------------------------------------------


def test_new_category_gets_its_calendar(make_project):
    root = project(make_project, {"content/index.md": "# Trang chủ\n\n<!-- congkhai:home -->\n"})
    result = run_cli(root, "build", "--site-dir", str(root / "site"))
    assert result.exit_code == 0, result.output
    text = (root / f"site/{SLUG}/lich.ics").read_text(encoding="utf-8")
    calendar = vobject.readOne(text)
    events = {e.uid.value: e for e in calendar.vevent_list}
    event = events[f"{SLUG}.2026.lich-sap-toi.{SOON:%Y%m%d}T0800@congkhai.example.gov.vn"]
    assert event.summary.value == "Đối thoại doanh nghiệp – Trưởng ban"
    assert event.location.value == "Hội trường Ban"
    assert event.dtstart.value.replace(tzinfo=None) == dt.datetime.combine(SOON, dt.time(8, 0))
    assert event.dtend.value.replace(tzinfo=None) == dt.datetime.combine(SOON, dt.time(10, 30))
    assert f"DTSTART;TZID=Asia/Ho_Chi_Minh:{SOON:%Y%m%d}T080000" in text
    assert (
        calendar.contents["x-wr-calname"][0].value == "Đối thoại doanh nghiệp – Ban Quản lý Khu kinh tế tỉnh An Giang"
    )
    # minutes make no events; the shipped reception calendar is still there
    assert not any("bien-ban" in uid for uid in events)
    assert (root / "site/tiep-cong-dan/lich.ics").is_file()
    # and the home page lists the session
    home = BeautifulSoup((root / "site/index.html").read_text(encoding="utf-8"), "html.parser")
    assert "Lịch đối thoại sắp tới" in home.select_one(".ck-home-next").get_text()


def test_new_category_checks_are_data(make_project):
    bad = schedule(SOON, "Lịch đối thoại sai giờ").replace('ket_thuc: "10:30"', 'ket_thuc: "07:00"')
    root = project(make_project, {f"disclosures/{SLUG}/2026/lich-sai.yml": bad})
    assert check_lines(root) == [
        f"disclosures/{SLUG}/2026/lich-sai.yml:6: buoi[1].ket_thuc: giờ kết thúc buổi đối thoại trước giờ bắt đầu"
    ]


def test_new_category_strict_privacy_applies_to_its_listed_kind_only(make_project):
    minutes = MINUTES.replace("SUMMARY", PERSON)
    root = project(make_project, {f"disclosures/{SLUG}/2026/bien-ban-11.yml": minutes})
    assert check_lines(root) == [
        f"disclosures/{SLUG}/2026/bien-ban-11.yml:5: summary: có họ tên người ông N*** V*** A***; "
        "biên bản tiếp công dân và hồ sơ phòng, chống tham nhũng phải giữ bí mật danh tính công dân, "
        "người tố cáo (Luật Tố cáo 2018 Điều 8, Luật Tiếp công dân 2013): chỉ ghi số đường dây nóng chính thức, "
        "không ghi tên, số giấy tờ, điện thoại, địa chỉ"
    ]
    # the same words in a schedule of the same category, and in a normal category, pass
    root = project(
        make_project,
        {
            f"disclosures/{SLUG}/2026/lich-12.yml": schedule(dt.date(2026, 12, 10), "Lịch tháng 12", PERSON),
            "disclosures/thu-tuc-hanh-chinh/2026/tt.yml": f"title: Thủ tục đầu tư\nkind: dau-tu\nsummary: {PERSON}\n",
        },
    )
    result = run_cli(root, "check")
    assert result.exit_code == 0, result.output


def test_new_category_evidence_in_the_report(make_project):
    root = project(make_project)
    write_log(
        root,
        [
            (f"{SLUG}/2026/bien-ban-11", "2026-11-21T08:00:00+07:00", "published", 1),
            (f"{SLUG}/2026/lich-12", "2026-11-25T08:00:00+07:00", "published", 1),
        ],
    )
    result = run_cli(root, "report", "--year", "2026", "--format", "csv", "--out", str(root / "out"))
    assert result.exit_code == 0, result.output
    raw = (root / "out/bao-cao-b1-2026.csv").read_bytes().decode("utf-8-sig")
    rows = {r["Tên thông tin"]: r for r in csv.DictReader(io.StringIO(raw, newline=""))}
    minutes = rows["Biên bản đối thoại tháng 11/2026"]
    assert (minutes["Chuyên mục"], minutes["Còn thiếu"]) == (
        "Đối thoại doanh nghiệp",
        "Biên bản đối thoại (bản chụp có chữ ký)",
    )
    plan = rows["Lịch đối thoại tháng 12/2026"]
    assert (plan["Quyết định công khai"], plan["Còn thiếu"]) == ("thong-bao.pdf", "")
    # its deadline rule is in the report too: 3 working days before Thursday 10/12/2026
    assert (plan["Hạn công bố"], plan["Đúng hạn"]) == ("07/12/2026", "Đúng hạn")
    assert plan["Căn cứ thời hạn"] == "đăng ít nhất 3 ngày làm việc trước buổi đối thoại (Quy chế đối thoại của Ban)"


def test_new_category_deadline_in_status(make_project):
    root = project(make_project)
    result = run_cli(root, "status", "--today", "2026-12-01")
    assert (
        "  hạn 07/12/2026  Đối thoại doanh nghiệp: Lịch đối thoại tháng 12/2026 [doi-thoai/2026/lich-12]\n"
        in result.output.split("Sắp đến hạn")[1]
    ), result.output


# --- broken category files fail check, at their line ---------------------------------

BROKEN_BASE = """\
title: Đối thoại
kinds: {lich: Lịch, bien-ban: Biên bản}
fields:
  buoi:
    type: list
    label: Các buổi
    item:
      ngay: {type: date, label: Ngày}
      bat_dau: {type: time, label: Bắt đầu}
  xong: {type: bool, label: Đã xong}
"""
ATTACHMENT_KINDS = "quyet-dinh, bien-ban-niem-yet, van-ban-trien-khai, bao-cao-ket-qua, van-ban-goc, bieu-mau, khac"


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        pytest.param(
            'rules:\n  kinds:\n    lich:\n      from: [buoi.ngay]\n      after: "5a"\n      text: x\n      basis: y\n',
            "15: rules.kinds.lich.after: '5a' không phải là số nguyên không âm",
            id="rules-number",
        ),
        pytest.param(
            'rules:\n  kinds:\n    hop: {from: [buoi.ngay], after: "5", text: x, basis: y}\n',
            "13: rules.kinds.hop: loại 'hop' không có trong kinds của chuyên mục",
            id="rules-kind",
        ),
        pytest.param(
            'rules:\n  default:\n    from: [document.date]\n    after: "5"\n    text: x\n',
            "12: rules.default.basis: thiếu trường bắt buộc",
            id="rules-missing",
        ),
        pytest.param(
            "checks:\n  - rule: order\n    first: buoi.bat_dau\n    then: buoi.ket_thuc\n    message: sai giờ\n",
            "14: checks[1].then: không có trường 'buoi.ket_thuc' trong chuyên mục",
            id="checks-field",
        ),
        pytest.param(
            "checks:\n  - {rule: truoc, message: x}\n",
            "12: checks[1].rule: giá trị 'truoc' không hợp lệ; chọn một trong: order, in_month, forbids, min_days, zero_needs, near",
            id="checks-rule",
        ),
        pytest.param(
            "checks:\n  - {rule: forbids, when: xong, message: x}\n",
            "12: checks[1].field: thiếu trường bắt buộc",
            id="checks-missing",
        ),
        pytest.param(
            "checks:\n  - {rule: forbids, when: buoi, field: xong, message: x}\n",
            "12: checks[1].when: trường 'buoi' có kiểu list; cần kiểu bool",
            id="checks-type",
        ),
        pytest.param(
            "checks:\n  - {rule: order, first: buoi.ngay, then: buoi.bat_dau, message: x}\n",
            "12: checks[1].then: trường 'buoi.bat_dau' có kiểu time, khác kiểu date của 'buoi.ngay'; không so sánh được",
            id="checks-compare",
        ),
        pytest.param(
            "checks:\n  - {rule: near, first: buoi.ngay, then: document.date, years: '1', message: x}\n",
            "12: checks[1].first: trường mốc không được nằm trong danh sách",
            id="checks-near-list",
        ),
        pytest.param(
            "checks:\n  - {rule: near, first: document.date, then: buoi.ngay, years: mot, message: x}\n",
            "12: checks[1].years: 'mot' không phải là số nguyên không âm",
            id="checks-near-years",
        ),
        pytest.param(
            "checks:\n  - {rule: order, first: buoi.ngay, then: buoi.ngay, warn: co, message: x}\n",
            "12: checks[1].warn: giá trị 'co' không hợp lệ; chọn một trong: true, false",
            id="checks-warn",
        ),
        pytest.param(
            "calendar:\n  field: xong\n",
            "12: calendar.field: trường 'xong' phải là một danh sách các buổi (type: list với item) của chuyên mục",
            id="calendar-field",
        ),
        pytest.param(
            "calendar:\n  field: buoi\n  kinds: [lich]\n  date: bat_dau\n",
            "14: calendar.date: trường 'buoi.bat_dau' có kiểu time; cần kiểu date",
            id="calendar-type",
        ),
        pytest.param(
            "calendar:\n  field: buoi\n  date: ngay\n  place: dia_diem\n",
            "14: calendar.place: không có trường 'dia_diem' trong mỗi mục của 'buoi'",
            id="calendar-subfield",
        ),
        pytest.param(
            "calendar:\n  field: buoi\n  kinds: [lich, hop]\n  date: ngay\n",
            "13: calendar.kinds[2]: loại 'hop' không có trong kinds",
            id="calendar-kind",
        ),
        pytest.param(
            "calendar:\n  field: buoi\n",
            "11: calendar.date: không có trường 'date' trong mỗi mục của 'buoi'",
            id="calendar-default-date",
        ),
        pytest.param(
            "calendar:\n  kinds: [lich]\n",
            "11: calendar.field: thiếu trường bắt buộc",
            id="calendar-missing",
        ),
        pytest.param(
            "evidence:\n  kinds:\n    bien-ban:\n      - {attachments: [ban-chup]}\n",
            "14: evidence.kinds.bien-ban[1].attachments[1]: loại tài liệu 'ban-chup' không có trong "
            f"attachments.kind của _common.yml; dùng một trong: {ATTACHMENT_KINDS}",
            id="evidence-attachment",
        ),
        pytest.param(
            "evidence:\n  kinds:\n    hop: []\n",
            "13: evidence.kinds.hop: loại 'hop' không có trong kinds",
            id="evidence-kind",
        ),
        pytest.param(
            "evidence:\n  default:\n    - {attachments: [van-ban-goc], unless: buoi}\n",
            "13: evidence.default[1].unless: trường 'buoi' có kiểu list; cần kiểu bool",
            id="evidence-condition",
        ),
        pytest.param(
            "evidence:\n  default:\n    - label: Bản chụp\n",
            "13: evidence.default[1].attachments: thiếu trường bắt buộc",
            id="evidence-missing",
        ),
        pytest.param(
            "privacy:\n  strict_kinds: [bien-ban, hop]\n",
            "12: privacy.strict_kinds[2]: loại 'hop' không có trong kinds",
            id="privacy-kind",
        ),
        pytest.param(
            "privacy:\n  strict: yes\n",
            "12: privacy.strict: giá trị 'yes' không hợp lệ; chọn một trong: true, false",
            id="privacy-value",
        ),
        pytest.param(
            "hotline_fields:\n  phones: buoi\n",
            "11: hotline_fields: chỉ dùng khi hotline: true",
            id="hotline-without-hotline",
        ),
        pytest.param(
            "hotline: true\nhotline_fields:\n  phones: xong\n",
            "13: hotline_fields.phones: trường 'xong' có kiểu bool; cần kiểu list",
            id="hotline-type",
        ),
    ],
)
def test_a_broken_block_fails_check_at_its_line(make_project, block, expected):
    root = make_project({"disclosures/doi-thoai/_category.yml": BROKEN_BASE + block})
    assert check_lines(root) == [f"disclosures/doi-thoai/_category.yml:{expected}"]
    result = run_cli(root, "build", "--site-dir", str(root / "site"))
    assert result.exit_code == 1
    assert f"disclosures/doi-thoai/_category.yml:{expected}" in result.output


def test_a_field_kind_not_in_kinds_is_reported_at_its_line(make_project):
    text = BROKEN_BASE.replace("label: Đã xong}", "label: Đã xong, kinds: [lich, hop]}")
    root = make_project({"disclosures/doi-thoai/_category.yml": text})
    assert check_lines(root) == [
        "disclosures/doi-thoai/_category.yml:10: fields.xong.kinds[2]: loại 'hop' không có trong kinds"
    ]


# --- the shipped data and the hotline's field names ----------------------------------


def test_shipped_categories_say_what_python_used_to():
    categories = load_categories(REPO / "disclosures", REPO)
    reception, pctn, budget = (
        categories[s] for s in ("tiep-cong-dan", "phong-chong-tham-nhung", "tai-chinh-ngan-sach")
    )
    assert (reception.is_strict("bien-ban"), reception.is_strict("lich"), reception.is_strict(None)) == (
        True,
        False,
        False,
    )
    assert all(pctn.is_strict(kind) for kind in [*pctn.kinds, None])
    assert not budget.is_strict("du-toan")
    session = {"date": dt.date(2026, 5, 15), "start": dt.time(7, 30), "place": "Trụ sở Ban"}
    assert reception.sessions({"kind": "lich", "sessions": [session]}) == [{**session, "end": None, "host": None}]
    assert reception.sessions({"kind": "bien-ban", "sessions": [session]}) == []
    assert budget.sessions({"sessions": [session]}) == []

    def labels(kind, data=None, year_closed=True):
        return [item.label for item in pctn.expected_evidence(kind, data, year_closed)]

    assert labels("xung-dot-loi-ich", {"nil_report": False}) == ["Văn bản triển khai", "Báo cáo kết quả"]
    assert labels("xung-dot-loi-ich", {"nil_report": True}) == ["Báo cáo không phát sinh (bản chụp có chữ ký)"]
    assert labels("ke-hoach", year_closed=False) == ["Kế hoạch (bản chụp có chữ ký)"]
    assert labels("ke-hoach") == ["Kế hoạch (bản chụp có chữ ký)", "Báo cáo kết quả thực hiện kế hoạch"]
    assert labels("bao-cao") == ["Văn bản gốc (bản chụp có chữ ký)"]  # the category's default
    assert categories["duong-day-nong"].expected_evidence(None) == []
    assert [i.label for i in budget.expected_evidence("du-toan")] == [
        "Quyết định công khai",
        "Biên bản niêm yết",
        "Văn bản triển khai",
        "Báo cáo kết quả",
    ]


HOTLINE_CATEGORY = """\
title: Đường dây nóng
order: "4"
hotline: true
hotline_fields: {phones: dien_thoai, number: so, label: ghi_chu, emails: thu, hours: gio, address: dia_chi}
fields:
  dien_thoai:
    type: list
    label: Điện thoại
    required: true
    item:
      so: {type: phone, required: true, label: Số điện thoại}
      ghi_chu: {type: text, label: Ghi chú}
  thu: {type: list, of: email, label: Thư điện tử}
  gio: {type: text, label: Thời gian tiếp nhận}
  dia_chi: {type: text, label: Địa chỉ}
"""
HOTLINE_RECORD = """\
title: Đường dây nóng phản ánh nhũng nhiễu
document: {number: 01/TB-BQLKKT, date: 2026-01-05}
dien_thoai:
  - {so: "0296 3800 000", ghi_chu: Văn phòng Ban}
thu: [duongdaynong@example.gov.vn]
gio: Giờ hành chính
dia_chi: Trụ sở Ban
"""
REPORTED = """\
title: Báo cáo tiếp nhận phản ánh quý IV/2026
kind: bao-cao
document: {number: 88/BC-BQLKKT, date: 2026-11-02}
summary: Tiếp nhận phản ánh qua đường dây nóng 0296 3800 000 và duongdaynong@example.gov.vn.
"""


def test_hotline_field_names_are_data(make_project):
    root = make_project(
        {
            "content/index.md": "# Trang chủ\n\n<!-- congkhai:home -->\n",
            "disclosures/duong-day-nong/_category.yml": HOTLINE_CATEGORY,
            "disclosures/duong-day-nong/2026/duong-day-nong.yml": HOTLINE_RECORD,
            "disclosures/phong-chong-tham-nhung/2026/bao-cao-phan-anh.yml": REPORTED,
        }
    )
    # the strict rule allows the official hotline only: read from the renamed fields
    result = run_cli(root, "build", "--site-dir", str(root / "site"))
    assert result.exit_code == 0, result.output
    page = BeautifulSoup((root / "site/index.html").read_text(encoding="utf-8"), "html.parser")
    banner = page.select_one(".ck-hotline")
    assert banner.select_one("a.ck-hotline__phone").get_text() == "0296 3800 000"
    assert banner.select_one(".ck-hotline__label").get_text() == " (Văn phòng Ban)"
    assert banner.select_one("a.ck-hotline__email")["href"] == "mailto:duongdaynong@example.gov.vn"
    home = page.select_one(".ck-home-hotline").get_text(" ", strip=True)
    assert "Điện thoại: 0296 3800 000 (Văn phòng Ban)" in home
    assert "Thời gian tiếp nhận: Giờ hành chính" in home
    # without the hotline record the same number is a private one under the strict rule
    (root / "disclosures/duong-day-nong/2026/duong-day-nong.yml").unlink()
    problems = check_lines(root)
    assert problems[0].startswith(
        "disclosures/phong-chong-tham-nhung/2026/bao-cao-phan-anh.yml:4: summary: có số điện thoại 0296 **** ***; "
    )
    assert len(problems) == 2  # and the e-mail
