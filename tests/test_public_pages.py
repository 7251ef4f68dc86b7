"""Public pages besides records: Atom feeds, the iCalendar file, the home page block, the
category filter pages and the bounded log and catalogue pages,
read from real published sites. The calendar is parsed back with vobject, a different
library from the icalendar that writes it."""

from __future__ import annotations

import datetime as dt
import json
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path
from zoneinfo import ZoneInfo

import vobject
from bs4 import BeautifulSoup

from tests.conftest import run_cli

ATOM = "{http://www.w3.org/2005/Atom}"
TODAY = dt.date.today()
SOON = TODAY + dt.timedelta(days=20)
LONG_AGO = TODAY - dt.timedelta(days=200)


def schedule(day: dt.date, number: str, *, withdrawn: bool = False) -> str:
    text = f"""\
        title: Thông báo lịch tiếp công dân ngày {day:%d/%m/%Y}
        kind: lich
        document: {{number: {number}, date: {day - dt.timedelta(days=10):%Y-%m-%d}}}
        month: {day:%Y-%m}
        sessions:
          - date: {day:%Y-%m-%d}
            start: "07:30"
            end: "11:00"
            place: Trụ sở Ban, phòng tiếp công dân
            host: Trưởng ban
        """
    text = text.rstrip(" ")
    if withdrawn:
        text += "        withdrawn: {date: " + f"{TODAY:%Y-%m-%d}" + ", reason: Đổi lịch}\n"
    return textwrap.dedent(text)


def publish(root: Path) -> Path:
    result = run_cli(root, "publish", "--allow-sample", "--deploy-to", str(root / "www"))
    assert result.exit_code == 0, result.output
    return root / "www"


def log_events(root: Path) -> list[dict]:
    return [json.loads(line) for line in (root / "publication-log.jsonl").read_text(encoding="utf-8").splitlines()]


def atom_entries(path: Path) -> dict[str, ET.Element]:
    feed = ET.fromstring(path.read_bytes())
    assert feed.tag == f"{ATOM}feed"
    return {e.find(f"{ATOM}id").text: e for e in feed.findall(f"{ATOM}entry")}


def page(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def test_atom_feeds_carry_the_logs_dates(make_project):
    root = make_project()
    www = publish(root)
    first = {e["url"]: e["at"] for e in log_events(root) if e["event"] == "published"}
    entries = atom_entries(www / "atom.xml")
    assert set(entries) == set(first)  # every published record, nothing else (not the internal one)
    for url, entry in entries.items():
        assert entry.find(f"{ATOM}published").text == dt.datetime.fromisoformat(first[url]).isoformat()
        assert entry.find(f"{ATOM}link").get("href") == url
    assert not any("7731" in ET.tostring(e, encoding="unicode") for e in entries.values())
    # the category feed holds only its category
    own = atom_entries(www / "tiep-cong-dan/atom.xml")
    assert own and all("/tiep-cong-dan/" in url for url in own)
    assert set(own) < set(entries)

    # an update keeps "published" and moves "updated"; the summary says which version
    record = root / "disclosures/tiep-cong-dan/2026/lich-thang-05.yml"
    record.write_text(
        record.read_text(encoding="utf-8").replace("ngày 15/5/2026.", "ngày 15/5/2026, buổi sáng.")
        + "change_note: Bổ sung buổi sáng\n",
        encoding="utf-8",
    )
    www = publish(root)
    url = "https://congkhai.example.gov.vn/tiep-cong-dan/2026/lich-thang-05/"
    updated = [e for e in log_events(root) if e["event"] == "updated"]
    assert [e["url"] for e in updated] == [url]
    entry = atom_entries(www / "atom.xml")[url]
    assert entry.find(f"{ATOM}published").text == dt.datetime.fromisoformat(first[url]).isoformat()
    assert entry.find(f"{ATOM}updated").text == dt.datetime.fromisoformat(updated[0]["at"]).isoformat()
    assert "phiên bản 2" in entry.find(f"{ATOM}summary").text
    assert "Bổ sung buổi sáng" in entry.find(f"{ATOM}summary").text
    # pages announce the feeds in their head
    head = page(www / "tiep-cong-dan/index.html").select('link[rel~="alternate"][type="application/atom+xml"]')
    assert [link["href"] for link in head] == ["../atom.xml", "atom.xml"]


def test_a_preview_build_has_empty_feeds(built):
    _, site = built
    assert atom_entries(site / "atom.xml") == {}


def test_icalendar_lists_coming_sessions_for_calendar_apps(make_project):
    root = make_project(
        {
            "disclosures/tiep-cong-dan/lich/sap-toi.yml": schedule(SOON, "90/TB-BQLKKT"),
            "disclosures/tiep-cong-dan/lich/da-qua.yml": schedule(LONG_AGO, "10/TB-BQLKKT"),
            "disclosures/tiep-cong-dan/lich/doi-lich.yml": schedule(SOON + dt.timedelta(days=1), "91/TB-BQLKKT"),
        }
    )
    publish(root)
    withdrawn = root / "disclosures/tiep-cong-dan/lich/doi-lich.yml"
    withdrawn.write_text(schedule(SOON + dt.timedelta(days=1), "91/TB-BQLKKT", withdrawn=True), encoding="utf-8")
    www = publish(root)
    text = (www / "tiep-cong-dan/lich.ics").read_text(encoding="utf-8")
    calendar = vobject.readOne(text)
    events = {e.uid.value: e for e in calendar.vevent_list}
    assert set(events) == {
        f"tiep-cong-dan.lich.sap-toi.{SOON:%Y%m%d}T0730@congkhai.example.gov.vn",
        f"tiep-cong-dan.lich.doi-lich.{SOON + dt.timedelta(days=1):%Y%m%d}T0730@congkhai.example.gov.vn",
    }  # the session 200 days ago is left out
    soon = events[f"tiep-cong-dan.lich.sap-toi.{SOON:%Y%m%d}T0730@congkhai.example.gov.vn"]
    zone = ZoneInfo("Asia/Ho_Chi_Minh")
    assert soon.dtstart.value == dt.datetime.combine(SOON, dt.time(7, 30), zone)
    assert soon.dtstart.value.utcoffset() == dt.timedelta(hours=7)
    assert soon.dtend.value == dt.datetime.combine(SOON, dt.time(11), zone)
    assert soon.summary.value == "Tiếp công dân – Trưởng ban"
    assert soon.location.value == "Trụ sở Ban, phòng tiếp công dân"
    assert soon.url.value == "https://congkhai.example.gov.vn/tiep-cong-dan/lich/sap-toi/"
    assert soon.status.value == "CONFIRMED"
    cancelled = events[f"tiep-cong-dan.lich.doi-lich.{SOON + dt.timedelta(days=1):%Y%m%d}T0730@congkhai.example.gov.vn"]
    assert cancelled.status.value == "CANCELLED"
    assert cancelled.sequence.value == "2"  # version 2 in the log: calendar apps replace the old one
    assert calendar.vtimezone.tzid.value == "Asia/Ho_Chi_Minh"
    # lines end in CRLF as RFC 5545 asks
    assert (www / "tiep-cong-dan/lich.ics").read_bytes().count(b"\r\n") == text.count("\n")


def test_home_page_shows_hotline_next_session_latest_and_categories(make_project):
    root = make_project(
        {
            "content/index.md": "# Trang chủ\n\n<!-- congkhai:home -->\n",
            "disclosures/tiep-cong-dan/lich/sap-toi.yml": schedule(SOON, "90/TB-BQLKKT"),
            "disclosures/tiep-cong-dan/lich/sau-nua.yml": schedule(SOON + dt.timedelta(days=30), "92/TB-BQLKKT"),
        }
    )
    www = publish(root)
    home = page(www / "index.html").find("article")
    assert home.select_one(".ck-home-hotline a[href='tel:02963800000']").get_text() == "0296 3800 000"
    following = home.select_one(".ck-next")
    assert f"ngày {SOON:%d/%m/%Y}" in following.get_text(" ", strip=True)
    assert "07:30 đến 11:00" in following.get_text(" ", strip=True)
    assert following.find("a")["href"] == "tiep-cong-dan/lich/sap-toi/"
    assert home.select_one("a[href='tiep-cong-dan/lich.ics']") is not None
    assert home.select_one("a[href='atom.xml']") is not None
    latest = [a["href"] for a in home.select(".ck-home-latest .ck-list__title")]
    published = [e for e in log_events(root) if e["event"] == "published"]
    assert len(latest) == len(published) <= 10
    assert "7731" not in home.get_text()
    categories = [a.get_text() for a in home.select(".ck-home-categories .ck-list__title")]
    assert categories[:2] == ["Thủ tục hành chính", "Tài chính, ngân sách"] and "Tiếp công dân" in categories


def test_category_pages_filter_by_year_and_kind(make_project):
    root = make_project()
    result = run_cli(root, "build", "--site-dir", str(root / "site"))
    assert result.exit_code == 0, result.output
    site = root / "site/tiep-cong-dan"

    def titles(path: Path) -> list[str]:
        return [a.get_text() for a in page(path).select("article .ck-list__title")]

    everything = titles(site / "index.html")
    assert len(everything) == 3
    assert titles(site / "2025/index.html") == ["Thông báo lịch tiếp công dân tháng 12/2025"]
    assert titles(site / "loai-bien-ban/index.html") == ["Biên bản tiếp công dân tháng 4/2026"]
    assert titles(site / "2026/loai-lich/index.html") == ["Thông báo lịch tiếp công dân tháng 5/2026"]
    assert not (site / "2025/loai-bien-ban").exists()  # no empty filter pages
    nav = page(site / "2026/index.html").select_one("nav.ck-filter")
    links = {a.get_text(strip=True): (a["href"], a.get("aria-current")) for a in nav.select("a")}
    assert links["2026 (2)"] == ("./", "page")
    assert links["2025 (1)"] == ("../2025/", None)
    assert links["Biên bản tiếp công dân (1)"] == ("loai-bien-ban/", None)
    assert page(site / "2026/index.html").find("h1").get_text() == "Tiếp công dân – năm 2026"


def test_category_index_is_bounded_and_years_list_everything(make_project):
    records = {
        f"disclosures/tuyen-dung/2025/tb-{n:02d}.yml": f"""\
            title: Thông báo tuyển dụng số {n}
            kind: thong-bao
            document: {{number: {n}/TB-BQLKKT, date: 2025-01-{n:02d}}}
            """
        for n in range(1, 29)
    } | {
        f"disclosures/tuyen-dung/2026/tb-{n:02d}.yml": f"""\
            title: Thông báo tuyển dụng năm 2026 số {n}
            kind: thong-bao
            document: {{number: {n}/TB-BQLKKT, date: 2026-02-{n:02d}}}
            """
        for n in range(1, 11)
    }
    root = make_project(records)
    result = run_cli(root, "build", "--site-dir", str(root / "site"))
    assert result.exit_code == 0, result.output
    index = page(root / "site/tuyen-dung/index.html")
    assert len(index.select("article .ck-list__title")) == 30
    assert "30 thông tin mới nhất trong tổng số 38" in index.select_one(".ck-more").get_text(" ", strip=True)
    assert len(page(root / "site/tuyen-dung/2025/index.html").select("article .ck-list__title")) == 28


def test_render_out_gives_other_engines_the_home_block_filters_and_feeds(make_project, tmp_path):
    root = make_project({"content/index.md": "# Trang chủ\n\n<!-- congkhai:home -->\n"})
    out = tmp_path / "md"
    result = run_cli(root, "render", "--out", str(out))
    assert result.exit_code == 0, result.output
    home = (out / "index.md").read_text(encoding="utf-8")
    assert "<!-- congkhai:home -->" not in home
    assert '<a class="ck-home-hotline__phone" href="tel:02963800000">0296 3800 000</a>' in home
    assert (out / "tiep-cong-dan/2026/loai-lich/index.md").is_file()
    assert ET.fromstring((out / "atom.xml").read_bytes()).tag == f"{ATOM}feed"
    assert vobject.readOne((out / "tiep-cong-dan/lich.ics").read_text(encoding="utf-8")).name == "VCALENDAR"


def test_render_out_includes_search_and_the_assets(make_project, tmp_path):
    root = make_project()
    out = tmp_path / "md"
    assert run_cli(root, "render", "--out", str(out)).exit_code == 0
    assert "# Tìm kiếm thông tin công khai" in (out / "tim-kiem/index.md").read_text(encoding="utf-8")
    manifests = list((out / "tim-kiem/chi-muc").glob("manifest*"))
    assert len(manifests) == 1 and json.loads(manifests[0].read_bytes())
    assert {"congkhai.css", "congkhai.js", "search.js"} <= {p.name for p in (out / "assets").iterdir()}


def test_log_and_catalogue_stay_bounded_with_stable_archive_pages(make_project, monkeypatch):
    """Small limits stand in for the real ones (200 recent events, blocks of 500, 300
    records in one catalogue page)."""
    monkeypatch.setattr("generator.website.render.LOG_RECENT", 3)
    monkeypatch.setattr("generator.website.render.LOG_BLOCK", 2)
    monkeypatch.setattr("generator.website.render.CATALOGUE_SIZE", 2)
    root = make_project()
    www = publish(root)
    events = log_events(root)
    assert len(events) == 4

    def seqs(path: Path) -> list[str]:
        return [tr.find("td").get_text() for tr in page(path).select("table.ck-log tbody tr")]

    assert seqs(www / "nhat-ky-cong-khai/index.html") == ["4", "3", "2"]
    assert seqs(www / "nhat-ky-cong-khai/tu-1/index.html") == ["2", "1"]
    assert seqs(www / "nhat-ky-cong-khai/tu-3/index.html") == ["4", "3"]
    archive = page(www / "nhat-ky-cong-khai/tu-3/index.html")
    assert archive.find("h1").get_text() == "Nhật ký công khai – sự kiện số 3–4"
    links = {a.get_text(): a["href"] for a in archive.select("nav.ck-filter a")}
    assert links == {"Mới nhất": "../", "Số 1–2": "../tu-1/", "Số 3–4": "./"}
    downloads = [a["href"] for a in archive.select(".ck-downloads a")]
    assert downloads == ["../publication-log.jsonl", "../publication-log.csv"]
    first_archive = (www / "nhat-ky-cong-khai/tu-1/index.html").read_bytes()

    # one more event: the full block 1-2 is unchanged, block 5 appears
    record = root / "disclosures/tuyen-dung/2026/thong-bao.yml"
    record.parent.mkdir(parents=True)
    record.write_text("title: Thông báo tuyển dụng\nkind: thong-bao\ndocument: {date: 2026-03-01}\n", encoding="utf-8")
    www = publish(root)
    assert seqs(www / "nhat-ky-cong-khai/tu-5/index.html") == ["5"]

    def rows(path: Path) -> str:
        return str(page(path).select_one("table.ck-log"))

    assert rows(www / "nhat-ky-cong-khai/tu-1/index.html") == str(
        BeautifulSoup(first_archive.decode(), "html.parser").select_one("table.ck-log")
    )

    # the catalogue: newest year on the main page, 2025 on its own page
    def titles(path: Path) -> list[str]:
        return [tr.find("td").get_text() for tr in page(path).select("table.ck-catalogue tbody tr")]

    assert "Thông báo lịch tiếp công dân tháng 12/2025" not in titles(www / "danh-muc-thong-tin/index.html")
    assert "Thông báo lịch tiếp công dân tháng 5/2026" in titles(www / "danh-muc-thong-tin/index.html")
    assert titles(www / "danh-muc-thong-tin/2025/index.html") == ["Thông báo lịch tiếp công dân tháng 12/2025"]
    nav = page(www / "danh-muc-thong-tin/2025/index.html").select("nav.ck-filter a")
    assert [(a.get_text(), a["href"], a.get("aria-current")) for a in nav] == [
        ("2026", "../", None),
        ("2025", "./", "page"),
    ]


def test_an_attached_image_shows_in_the_body(make_project):
    root = make_project(
        {
            "disclosures/tuyen-dung/2026/so-do.md": """\
                ---
                title: Sơ đồ vị trí tuyển dụng
                kind: thong-bao
                document: {date: 2026-03-01}
                attachments:
                  - {file: so-do.png, title: Sơ đồ}
                ---
                Xem ![Sơ đồ vị trí](so-do.png).
                """,
            "disclosures/tuyen-dung/2026/so-do.png": b"\x89PNG\r\n\x1a\n",
        }
    )
    assert run_cli(root, "build", "--site-dir", str(root / "site")).exit_code == 0
    page_dir = root / "site/tuyen-dung/2026/so-do"
    image = page(page_dir / "index.html").select_one("article .ck-body img")
    assert image["alt"] == "Sơ đồ vị trí"
    assert (page_dir / "so-do.png").read_bytes() == b"\x89PNG\r\n\x1a\n"
    assert image["src"] == "so-do.png"


def test_the_footer_speaks_vietnamese(built):
    _, site = built
    pages = list(site.rglob("*.html"))
    assert len(pages) > 10
    for path in pages:
        html = path.read_text(encoding="utf-8")
        assert "Made with" not in html, path
        footer = page(path).select_one(".md-copyright__highlight")
        assert footer.get_text(strip=True) == "Ban Quản lý Khu kinh tế tỉnh An Giang", path


def sessions_schedule(sessions: list[tuple[dt.date, str]], number: str) -> str:
    """A reception schedule with several sessions: ``(date, start)`` each, three hours long."""
    items = "".join(
        f"""
  - date: {day:%Y-%m-%d}
    start: "{start}"
    end: "{int(start[:2]) + 3:02d}{start[2:]}"
    place: Trụ sở Ban, phòng tiếp công dân
    host: Trưởng ban"""
        for day, start in sessions
    )
    first = sessions[0][0]
    return (
        "title: Thông báo lịch tiếp công dân nhiều buổi\nkind: lich\n"
        f"document: {{number: {number}, date: {first - dt.timedelta(days=10):%Y-%m-%d}}}\n"
        f"month: {first:%Y-%m}\nsessions:{items}\n"
    )


def test_each_session_has_its_own_calendar_file_with_the_calendars_uid(make_project):
    month = (TODAY.replace(day=1) + dt.timedelta(days=40)).replace(day=1)  # next month but one
    first, second, third = month + dt.timedelta(days=4), month + dt.timedelta(days=11), month + dt.timedelta(days=18)
    sessions = [(second, "07:30"), (first, "13:30"), (third, "07:30")]  # listed out of order
    record = "disclosures/tiep-cong-dan/lich/nhieu-buoi.yml"
    root = make_project(
        {
            record: sessions_schedule(sessions, "92/TB-BQLKKT"),
            "disclosures/tiep-cong-dan/lich/da-qua.yml": sessions_schedule([(LONG_AGO, "07:30")], "10/TB-BQLKKT"),
        }
    )
    www = publish(root)
    whole = {e.uid.value: e for e in vobject.readOne((www / "tiep-cong-dan/lich.ics").read_text("utf-8")).vevent_list}
    folder = www / "tiep-cong-dan/lich/nhieu-buoi"
    files = sorted(p.name for p in folder.glob("*.ics"))
    assert files == sorted(
        [f"buoi-{second:%Y%m%d}-0730.ics", f"buoi-{first:%Y%m%d}-1330.ics", f"buoi-{third:%Y%m%d}-0730.ics"]
    )
    for name in files:
        calendar = vobject.readOne((folder / name).read_text("utf-8"))
        (event,) = calendar.vevent_list
        assert event.uid.value in whole, event.uid.value  # the same event as in the whole calendar
        same = whole[event.uid.value]
        assert (event.dtstart.value, event.dtend.value, event.summary.value) == (
            same.dtstart.value,
            same.dtend.value,
            same.summary.value,
        )
        assert calendar.vtimezone.tzid.value == "Asia/Ho_Chi_Minh"
    # a past session keeps its own file (a link never breaks) but is never "the next one"
    assert (www / f"tiep-cong-dan/lich/da-qua/buoi-{LONG_AGO:%Y%m%d}-0730.ics").is_file()
    old = page(www / "tiep-cong-dan/lich/da-qua/index.html")
    assert old.select_one("a.ck-calendar__next") is None and old.select(".ck-calendar__each a[data-date]")
    # the record page offers the next session alone (the soonest, wherever it is listed), and each one
    soup = page(folder / "index.html")
    next_link = soup.select_one("a.ck-calendar__next")
    assert next_link.get_text() == "Thêm buổi tiếp theo vào lịch"
    assert next_link["href"] == f"buoi-{first:%Y%m%d}-1330.ics"
    each = [(a["href"], a["data-date"]) for a in soup.select(".ck-calendar__each a[data-date]")]
    assert [d for _, d in each] == [second.isoformat(), first.isoformat(), third.isoformat()]
    assert soup.select(".ck-calendar__each a")[-1]["href"] == "../../lich.ics"
    # inserting a session keeps the others' files and UIDs
    inserted = sessions[:1] + [(month + dt.timedelta(days=8), "09:00")] + sessions[1:]
    (root / record).write_text(
        sessions_schedule(inserted, "92/TB-BQLKKT") + "change_note: Thêm một buổi\n", encoding="utf-8"
    )
    www = publish(root)
    again = {e.uid.value for e in vobject.readOne((www / "tiep-cong-dan/lich.ics").read_text("utf-8")).vevent_list}
    assert set(whole) < again
    assert set(files) < {p.name for p in folder.glob("*.ics")}


def test_a_closed_recruitment_notice_says_so(make_project):
    def notice(until: dt.date) -> str:
        return textwrap.dedent(
            f"""\
            title: Thông báo tuyển dụng viên chức
            kind: thong-bao
            document: {{number: 14/TB-BQLKKT, date: {until - dt.timedelta(days=40):%Y-%m-%d}}}
            positions:
              - title: Kế toán viên
                quota: 1
            apply_from: {until - dt.timedelta(days=35):%Y-%m-%d}
            apply_until: {until:%Y-%m-%d}
            """
        )

    closed, open_ = TODAY - dt.timedelta(days=1), TODAY + dt.timedelta(days=5)
    root = make_project(
        {
            "disclosures/tuyen-dung/thong-bao/da-het-han.yml": notice(closed),
            "disclosures/tuyen-dung/thong-bao/dang-nhan.yml": notice(open_),
        }
    )
    www = publish(root)
    shown = page(www / "tuyen-dung/thong-bao/da-het-han/index.html").select_one(".ck-deadline")
    assert shown.get_text() == f"Đã hết hạn nộp hồ sơ (hạn cuối: ngày {closed:%d/%m/%Y})."
    assert shown["data-until"] == closed.isoformat()
    shown = page(www / "tuyen-dung/thong-bao/dang-nhan/index.html").select_one(".ck-deadline")
    assert shown.get_text() == f"Đang nhận hồ sơ đến hết ngày {open_:%d/%m/%Y}."
    assert shown["data-until"] == open_.isoformat()
    result = run_cli(root, "verify", "--site", str(www))
    assert result.exit_code == 0, result.output
