"""Deadlines, working days and ``congkhai status`` (SPEC sections 5a and 6)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from generator.core.config import Settings
from generator.core.errors import CongkhaiError
from generator.evidence.deadlines import DueItem, deadline_for, status_items
from generator.ledger.log import read_log, seal, serialise
from generator.records.deadline_rules import add_working_days
from generator.website import pipeline
from generator.website.site import Site
from tests.conftest import run_cli

D = dt.date


# --- working days --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (D(2026, 6, 4), 1, D(2026, 6, 5)),  # Thursday -> Friday
        (D(2026, 6, 5), 1, D(2026, 6, 8)),  # Friday -> Monday, over the weekend
        (D(2026, 6, 6), 1, D(2026, 6, 8)),  # from a Saturday
        (D(2026, 6, 8), -1, D(2026, 6, 5)),  # back over the weekend
        (D(2026, 6, 5), 0, D(2026, 6, 5)),
        # Tết Bính Ngọ: Monday 16 to Friday 20 February 2026 are holidays
        (D(2026, 2, 13), 1, D(2026, 2, 23)),
        (D(2026, 2, 12), 5, D(2026, 2, 26)),
        (D(2026, 2, 23), -1, D(2026, 2, 13)),
        # Giỗ Tổ Hùng Vương (Sunday 26 April 2026, observed Monday 27), then 30/4 and 1/5
        (D(2026, 4, 24), 1, D(2026, 4, 28)),
        (D(2026, 4, 29), 1, D(2026, 5, 4)),
        (D(2026, 4, 28), 2, D(2026, 5, 4)),
        # Quốc khánh: 1 and 2 September 2025 (Monday, Tuesday); 1 and 2 September 2026
        (D(2025, 8, 29), 1, D(2025, 9, 3)),
        (D(2026, 9, 1), 1, D(2026, 9, 3)),
    ],
)
def test_add_working_days(start, n, expected):
    assert add_working_days(start, n) == expected


# --- small projects ------------------------------------------------------------------

LOG = "publication-log.jsonl"


def write_log(root: Path, published: dict[str, str]) -> None:
    """A real, chained log in which each record key was first published at the given time."""
    log = read_log(root / LOG)
    planned = [
        {
            "event": "published",
            "at": at,
            "id": key,
            "category": key.split("/")[0],
            "title": key,
            "document_number": None,
            "url": f"https://congkhai.example.gov.vn/{key}/",
            "version": 1,
            "content_sha256": "0" * 64,
            "attachments": [],
            "commit": None,
        }
        for key, at in sorted(published.items(), key=lambda item: item[1])
    ]
    (root / LOG).write_bytes(b"".join(serialise(e) for e in seal(log, planned)))


def load(root: Path) -> Site:
    settings = Settings(
        root=root,
        disclosures_dir=root / "disclosures",
        docs_dir=root / "content",
        log_path=root / LOG,
        site_url="https://congkhai.example.gov.vn/",
    )
    return pipeline.load(settings)


def status(root: Path, today: dt.date) -> list[DueItem]:
    site = load(root)
    return status_items(site, read_log(site.settings.log_path), today)


def by_key(items: list[DueItem]) -> dict[str | None, DueItem]:
    return {i.record_key: i for i in items if i.record_key}


def lich(month: str, *sessions: str, document: str | None = None) -> str:
    lines = [f"title: Thông báo lịch tiếp công dân tháng {month}", "kind: lich", f'month: "{month}"', "sessions:"]
    lines += [f'  - {{date: {day}, start: "07:30"}}' for day in sessions]
    if document:
        lines.append(f"document: {{date: {document}}}")
    return "\n".join(lines) + "\n"


def bien_ban(day: str) -> str:
    return f"title: Biên bản tiếp công dân ngày {day}\nkind: bien-ban\nsession_date: {day}\nvisitors: 0\nno_visitors: true\n"


def thuc_hien(period: str, year: str = "2026") -> str:
    return (
        f"title: Tình hình thực hiện dự toán {period}/{year}\nkind: thuc-hien\n"
        f"document: {{number: 29/QĐ-BQLKKT, date: {year}-04-10}}\nfiscal_year: {year}\nperiod: {period}\n"
    )


def tuyen_dung(kind: str, day: str) -> str:
    return f"title: Tuyển dụng {kind} {day}\nkind: {kind}\ndocument: {{number: 49/TB-BQLKKT, date: {day}}}\n"


TCD = "disclosures/tiep-cong-dan/2026"
TC = "disclosures/tai-chinh-ngan-sach/2026"
TD = "disclosures/tuyen-dung/2026"


# --- citizen reception ----------------------------------------------------------------


def reception_quarter() -> dict[str, str]:
    """January to March 2026, complete except the minutes of February."""
    return {
        f"{TCD}/lich-01.yml": lich("2026-01", "2026-01-15"),
        f"{TCD}/bien-ban-01.yml": bien_ban("2026-01-15"),
        f"{TCD}/lich-02.yml": lich("2026-02", "2026-02-25"),
        f"{TCD}/lich-03.yml": lich("2026-03", "2026-03-16"),
        f"{TCD}/bien-ban-03.yml": bien_ban("2026-03-16"),
    }


ON_TIME = {
    "tiep-cong-dan/2026/lich-01": "2026-01-06T08:00:00+07:00",
    "tiep-cong-dan/2026/bien-ban-01": "2026-01-16T08:00:00+07:00",
    "tiep-cong-dan/2026/lich-02": "2026-02-10T08:00:00+07:00",
    "tiep-cong-dan/2026/lich-03": "2026-03-05T08:00:00+07:00",
    "tiep-cong-dan/2026/bien-ban-03": "2026-03-17T08:00:00+07:00",
}


def test_missing_minutes_of_a_scheduled_month_are_reported(make_project):
    root = make_project(reception_quarter(), base=False)
    write_log(root, ON_TIME)
    items = [i for i in status(root, D(2026, 3, 31)) if i.category == "tiep-cong-dan"]
    missing = [i for i in items if i.state == "missing"]
    assert [(i.what, i.due, i.record_key) for i in missing] == [
        # session on Wednesday 25/02: 5 working days later
        ("Biên bản buổi tiếp công dân ngày 25/02/2026", D(2026, 3, 4), None)
    ]
    assert "Luật Tiếp công dân 2013 Điều 18" in missing[0].basis
    states = {i.record_key: i.state for i in items if i.record_key}
    assert states == dict.fromkeys(ON_TIME, "ok")


def test_a_month_with_nothing_at_all_is_missing_both(make_project):
    files = reception_quarter()
    del files[f"{TCD}/lich-02.yml"]
    root = make_project(files, base=False)
    write_log(root, {k: v for k, v in ON_TIME.items() if not k.endswith("lich-02")})
    missing = [i for i in status(root, D(2026, 3, 31)) if i.state == "missing" and i.category == "tiep-cong-dan"]
    # no schedule: the latest possible session is the last working day, Friday 27/02/2026;
    # the schedule was due 5 working days before it, across Tết (16-20/02)
    assert [(i.what, i.due) for i in missing] == [
        ("Thông báo lịch tiếp công dân tháng 2/2026", D(2026, 2, 13)),
        ("Biên bản tiếp công dân tháng 2/2026", D(2026, 3, 6)),
    ]


def test_minutes_not_yet_due_are_upcoming_not_missing(make_project):
    root = make_project(reception_quarter(), base=False)
    write_log(root, ON_TIME)
    items = status(root, D(2026, 3, 3))
    feb = [i for i in items if i.what == "Biên bản buổi tiếp công dân ngày 25/02/2026"]
    assert [(i.state, i.due) for i in feb] == [("upcoming", D(2026, 3, 4))]


def test_internal_minutes_do_not_count(make_project):
    files = reception_quarter()
    files[f"{TCD}/bien-ban-02.yml"] = bien_ban("2026-02-25") + "visibility: internal\n"
    root = make_project(files, base=False)
    write_log(root, ON_TIME)
    missing = [i.what for i in status(root, D(2026, 3, 31)) if i.state == "missing"]
    assert "Biên bản buổi tiếp công dân ngày 25/02/2026" in missing
    assert "tiep-cong-dan/2026/bien-ban-02" not in by_key(status(root, D(2026, 3, 31)))


def test_minutes_of_a_moved_session_answer_the_schedule(make_project):
    files = reception_quarter()
    files[f"{TCD}/bien-ban-02.yml"] = bien_ban("2026-02-26")  # held a day later than scheduled
    root = make_project(files, base=False)
    write_log(root, {**ON_TIME, "tiep-cong-dan/2026/bien-ban-02": "2026-02-27T08:00:00+07:00"})
    items = [i for i in status(root, D(2026, 3, 31)) if i.category == "tiep-cong-dan"]
    # only April's schedule is still to come; nothing about the session of 25/02
    assert [(i.what, i.state) for i in items if i.state != "ok"] == [
        ("Thông báo lịch tiếp công dân tháng 4/2026", "upcoming")
    ]
    assert by_key(items)["tiep-cong-dan/2026/bien-ban-02"].due == D(2026, 3, 5)


@pytest.mark.parametrize(
    ("published", "state"),
    [
        ("2026-06-08T09:00:00+07:00", "ok"),  # 5 working days before Monday 15/06
        ("2026-06-10T09:00:00+07:00", "late"),  # 3 working days before
    ],
)
def test_schedule_must_be_published_five_working_days_before_the_session(make_project, published, state):
    root = make_project({f"{TCD}/lich-06.yml": lich("2026-06", "2026-06-15", "2026-06-29")}, base=False)
    write_log(root, {"tiep-cong-dan/2026/lich-06": published})
    item = by_key(status(root, D(2026, 6, 30)))["tiep-cong-dan/2026/lich-06"]
    assert (item.due, item.state) == (D(2026, 6, 8), state)
    assert "Luật Tiếp công dân 2013 Điều 18, 24" in item.basis
    record = next(r for r in load(root).records if r.key == "tiep-cong-dan/2026/lich-06")
    assert deadline_for(record) == (D(2026, 6, 8), item.basis)


def test_next_months_schedule_is_announced_when_its_deadline_is_near(make_project):
    root = make_project({}, base=False)
    items = status(root, D(2026, 10, 26))
    nov = [i for i in items if i.what == "Thông báo lịch tiếp công dân tháng 11/2026"]
    # the last working day of November 2026 is Monday 30/11; 5 working days before it,
    # skipping the weekend and Ngày Văn hóa Việt Nam (Tuesday 24/11, a holiday from 2026)
    assert [(i.state, i.due) for i in nov] == [("upcoming", D(2026, 11, 20))]
    assert not [i for i in items if "tháng 12/2026" in i.what]
    assert not [i for i in status(root, D(2026, 10, 1)) if "tháng 11/2026" in i.what]


# --- budget ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("published", "state"),
    [
        ("2026-04-15T16:30:00+07:00", "ok"),  # day 15 after the quarter
        ("2026-04-16T08:00:00+07:00", "late"),  # day 16
        ("2026-04-15T18:30:00+00:00", "late"),  # 01:30 on 16/04 in Viet Nam
    ],
)
def test_quarter_execution_within_fifteen_days(make_project, published, state):
    root = make_project({f"{TC}/thuc-hien-q1.yml": thuc_hien("Q1")}, base=False)
    write_log(root, {"tai-chinh-ngan-sach/2026/thuc-hien-q1": published})
    item = by_key(status(root, D(2026, 5, 1)))["tai-chinh-ngan-sach/2026/thuc-hien-q1"]
    assert (item.due, item.state) == (D(2026, 4, 15), state)
    assert "Thông tư 61/2017/TT-BTC" in item.basis


def test_missing_quarters_and_six_months_for_the_second(make_project):
    files = {f"{TC}/thuc-hien-q1.yml": thuc_hien("Q1"), f"{TC}/thuc-hien-6t.yml": thuc_hien("6T")}
    root = make_project(files, base=False)
    items = [i for i in status(root, D(2026, 10, 20)) if i.category == "tai-chinh-ngan-sach"]
    # Q2 is answered by the 6-month report; Q3 is missing (due 15/10); Q4 is not due yet
    assert [(i.what, i.due) for i in items if i.state == "missing"] == [
        ("Tình hình thực hiện dự toán ngân sách quý III năm 2026", D(2026, 10, 15))
    ]
    assert {i.record_key: i.state for i in items if i.record_key} == {
        "tai-chinh-ngan-sach/2026/thuc-hien-q1": "unpublished",
        "tai-chinh-ngan-sach/2026/thuc-hien-6t": "unpublished",
    }
    assert not [i for i in items if "quý IV" in i.what]


def test_estimate_deadline_runs_from_approval_and_skips_a_weekend(make_project):
    record = (
        "title: Dự toán 2026\nkind: du-toan\ndocument: {number: 03/QĐ-BQLKKT, date: 2026-01-08}\n"
        "fiscal_year: 2026\napproved: {number: 3150/QĐ-UBND, date: 2025-12-26}\n"
    )
    root = make_project({f"{TC}/du-toan.yml": record}, base=False)
    found = deadline_for(load(root).records[0])
    assert found is not None
    due, rule = found
    # 26/12/2025 + 15 days = Saturday 10/01/2026, so the time limit ends on Monday 12/01
    assert due == D(2026, 1, 12)
    assert "Bộ luật Dân sự 2015" in rule


# --- recruitment and the default --------------------------------------------------------


@pytest.mark.parametrize(
    ("published", "state"),
    [("2026-05-04T10:00:00+07:00", "ok"), ("2026-05-05T10:00:00+07:00", "late")],
)
def test_recruitment_result_within_two_working_days(make_project, published, state):
    # approved Tuesday 28/04/2026: Wednesday 29/04 is day 1, then 30/04, 01/05 and the
    # weekend are off, Monday 04/05 is day 2
    root = make_project({f"{TD}/ket-qua.yml": tuyen_dung("ket-qua", "2026-04-28")}, base=False)
    write_log(root, {"tuyen-dung/2026/ket-qua": published})
    item = by_key(status(root, D(2026, 5, 20)))["tuyen-dung/2026/ket-qua"]
    assert (item.due, item.state, item.published) == (D(2026, 5, 4), state, D.fromisoformat(published[:10]))
    assert "2 ngày làm việc" in item.basis


def test_other_records_have_five_working_days_and_undated_ones_none(make_project):
    files = {
        f"{TD}/thong-bao.yml": tuyen_dung("thong-bao", "2026-04-28"),
        "disclosures/thu-tuc-hanh-chinh/2026/thu-tuc.yml": "title: Một thủ tục\nkind: dau-tu\n",
    }
    root = make_project(files, base=False)
    records = {r.key: r for r in load(root).records}
    due, rule = deadline_for(records["tuyen-dung/2026/thong-bao"])
    assert due == D(2026, 5, 7)  # 29/04, 04/05, 05/05, 06/05, 07/05
    assert rule == "trong 5 ngày làm việc kể từ ngày ban hành văn bản (Luật Tiếp cận thông tin 2016, khoản 4 Điều 18)"
    assert deadline_for(records["thu-tuc-hanh-chinh/2026/thu-tuc"]) is None


def test_a_bad_rule_names_the_category_file(make_project):
    category = (
        "title: Tuyển dụng\nkinds: {ket-qua: Kết quả}\ndocument: required\n"
        'rules:\n  kinds:\n    ket-qua: {from: [document.date], after: "hai", text: x, basis: y}\n'
    )
    root = make_project(
        {"disclosures/tuyen-dung/_category.yml": category, f"{TD}/ket-qua.yml": tuyen_dung("ket-qua", "2026-04-28")},
        base=False,
    )
    # the rules are read with the categories: the site does not load, at the rule's line
    message = (
        "disclosures/tuyen-dung/_category.yml:6: rules.kinds.ket-qua.after: 'hai' không phải là số nguyên không âm"
    )
    with pytest.raises(CongkhaiError) as caught:
        load(root)
    assert str(caught.value) == message
    for command in (["status", "--today", "2026-05-20"], ["check"]):
        result = run_cli(root, *command)
        assert result.exit_code == 1
        assert message in result.output


# --- the command ------------------------------------------------------------------------


def complete_first_quarter() -> dict[str, str]:
    files = reception_quarter()
    files[f"{TCD}/bien-ban-02.yml"] = bien_ban("2026-02-25")
    files[f"{TC}/thuc-hien-q1.yml"] = thuc_hien("Q1")
    return files


def test_cli_exit_status_and_output(make_project):
    root = make_project(complete_first_quarter(), base=False)
    write_log(
        root,
        {
            **ON_TIME,
            "tiep-cong-dan/2026/bien-ban-02": "2026-03-02T08:00:00+07:00",
            "tai-chinh-ngan-sach/2026/thuc-hien-q1": "2026-04-20T08:00:00+07:00",  # due 15/04: late
        },
    )
    result = run_cli(root, "status", "--today", "2026-03-20")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Tình hình công bố tính đến ngày 20/03/2026\n")
    assert "Thiếu" not in result.output and "Công bố muộn" not in result.output
    assert "Đã công bố đúng hạn (6):" in result.output
    assert (
        "  hạn 04/03/2026  Tiếp công dân: Biên bản tiếp công dân ngày 2026-02-25 "
        "[tiep-cong-dan/2026/bien-ban-02]; công bố 02/03/2026\n"
    ) in result.output

    # a month later: March's minutes fine, Q1 execution published 5 days late, April's
    # schedule missing (due 5 working days before the last working day of April)
    result = run_cli(root, "status", "--today", "2026-04-28")
    assert result.exit_code == 1, result.output
    out = result.output
    assert out.index("Thiếu: đã quá hạn mà chưa có bản ghi (1):") < out.index("Công bố muộn (1):")
    assert out.index("Công bố muộn (1):") < out.index("Đã công bố đúng hạn")
    assert (
        "  hạn 15/04/2026  Tài chính, ngân sách: Tình hình thực hiện dự toán Q1/2026 "
        "[tai-chinh-ngan-sach/2026/thuc-hien-q1]; công bố 20/04/2026, muộn 5 ngày\n"
    ) in out
    assert "  hạn 21/04/2026  Tiếp công dân: Thông báo lịch tiếp công dân tháng 4/2026\n" in out
    assert "Tổng cộng: 1 thiếu, 1 công bố muộn, 0 chưa công bố" in out


def test_cli_ignores_log_events_after_today(make_project):
    root = make_project(complete_first_quarter(), base=False)
    write_log(root, {**ON_TIME, "tiep-cong-dan/2026/bien-ban-02": "2026-03-02T08:00:00+07:00"})
    result = run_cli(root, "status", "--today", "2026-03-01")
    assert result.exit_code == 0, result.output
    assert "Sắp đến hạn" in result.output
    upcoming = result.output.split("Sắp đến hạn")[1].split("Đã công bố đúng hạn")[0]
    # published on 02/03 and 05/03: not yet on 01/03
    assert "[tiep-cong-dan/2026/bien-ban-02]\n" in upcoming
    assert "[tiep-cong-dan/2026/lich-03]\n" in upcoming
    assert "[tiep-cong-dan/2026/lich-01]; công bố 06/01/2026\n" in result.output
    later = run_cli(root, "status", "--today", "2026-03-06").output
    assert "[tiep-cong-dan/2026/lich-03]; công bố 05/03/2026\n" in later.split("Đã công bố đúng hạn")[1]


def test_cli_usage_errors_exit_2_and_help_documents_exit_status(make_project):
    root = make_project({}, base=False)
    result = run_cli(root, "status", "--today", "31/02/2026")
    assert result.exit_code == 2
    assert "không tồn tại" in result.output
    help_text = run_cli(root, "status", "--help").output
    assert "Mã thoát:" in help_text
    assert "1  có mục thiếu" in help_text
