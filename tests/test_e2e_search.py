"""End-to-end: search on the published sample site in headless Chromium, served on
127.0.0.1: with and without diacritics, from the header of any page, keyboard only, on a
375 px phone, without JavaScript, under a sub-path, and what one query downloads."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote_plus

import pytest

from generator.website.attachment_text import CACHE_ENV
from tests.browser import axe_violations, open_page, serve
from tests.conftest import run_cli
from tests.test_search import NOTICE, TEXT_PDF, scanned_pdf

MAY = "Thông báo lịch tiếp công dân tháng 5/2026"
DONE = """() => {
    const s = document.getElementById('ck-search-status');
    return s && s.textContent && !s.textContent.startsWith('Đang');
}"""


def search(page, base: str, query: str):
    page.goto(f"{base}tim-kiem/?q={quote_plus(query)}")
    page.wait_for_function(DONE)
    return page


def titles(page) -> list[str]:
    return page.locator(".ck-result__title").all_inner_texts()


def status(page) -> str:
    return page.locator("#ck-search-status").inner_text()


def check_clean(visit) -> None:
    assert visit.hosts == {"127.0.0.1"}, visit.hosts
    assert not visit.failed, visit.failed
    assert not visit.console_errors, visit.console_errors


@pytest.mark.parametrize("query", ["tiep cong dan thang 5", "tiếp công dân tháng 5", "TIẾP CÔNG DÂN THÁNG 05"])
def test_may_schedule_first_with_or_without_diacritics(chromium, site_url, query):
    page, visit = open_page(chromium)
    search(page, site_url, query)
    found = titles(page)
    assert found[0] == MAY, found
    assert all(("tháng 5/2026" in t) for t in found[:3]), found
    # every record matching some words is listed, those matching all words first
    assert status(page).endswith(f" kết quả cho “{query}”.") and len(found) == 20, status(page)
    first = page.locator(".ck-result").first
    assert "Tiếp công dân · Thông báo lịch tiếp công dân · Số" in first.inner_text()
    first.locator("a").click()
    page.wait_for_load_state()
    assert page.url == f"{site_url}tiep-cong-dan/2026/lich-thang-05/"
    assert page.locator("h1").first.inner_text() == MAY
    check_clean(visit)
    page.context.close()


@pytest.mark.parametrize("query", ["tuyen dung", "tuyển dụng", "tuyen dun"])
def test_recruitment_records_for_tuyen_dung(chromium, site_url, query):
    page, visit = open_page(chromium)
    search(page, site_url, query)
    found = titles(page)
    assert {"Thông báo tuyển dụng viên chức năm 2026", "Thông báo kết quả tuyển dụng viên chức năm 2026"} <= set(
        found[:3]
    ), found
    assert "Tuyển dụng, cán bộ" in found  # the category page itself
    metas = page.locator(".ck-result__meta").all_inner_texts()
    # the category page first (the query is most of its title), then its records
    assert metas[0] == "Chuyên mục" and found[0] == "Tuyển dụng, cán bộ", (found, metas)
    assert all(m.startswith("Tuyển dụng, cán bộ") for m in metas[1:3]), metas
    check_clean(visit)
    page.context.close()


def test_document_number_and_no_result(chromium, site_url):
    page, visit = open_page(chromium)
    search(page, site_url, "45/TB")
    assert titles(page)[0] == "Thông báo lịch tiếp công dân tháng 6/2026"
    assert "Số 45/TB-BQLKKT" in page.locator(".ck-result__meta").first.inner_text()
    search(page, site_url, "khongcotukhoanay")
    assert status(page).startswith("Không tìm thấy kết quả cho “khongcotukhoanay”.")
    assert titles(page) == []
    check_clean(visit)
    page.context.close()


def test_header_form_from_a_record_page_keyboard_only(chromium, site_url):
    page, visit = open_page(chromium, width=375, height=800)
    page.goto(f"{site_url}tuyen-dung/2026/thong-bao-tuyen-dung-vien-chuc/")
    field = page.get_by_role("search", name="Tìm kiếm trên trang").get_by_label("Tìm kiếm")
    assert field.is_visible()
    for _ in range(40):  # reach the header field with Tab alone
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "ck-hsearch-q":
            break
    else:
        pytest.fail("the header search field is not reachable with Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none"), outline  # visible focus
    page.keyboard.type("tiep cong dan thang 5")
    page.keyboard.press("Enter")
    page.wait_for_url("**/tim-kiem/?q=tiep+cong+dan+thang+5")
    page.wait_for_function(DONE)
    assert titles(page)[0] == MAY
    assert page.locator("#ck-search-q").input_value() == "tiep cong dan thang 5"
    # a new query on the results page, with the keyboard, keeps the page and updates the address
    page.locator("#ck-search-q").focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("bien ban tiep cong dan")
    page.keyboard.press("Enter")
    page.wait_for_url("**/tim-kiem/?q=bien+ban+tiep+cong+dan")
    page.wait_for_function(
        "() => document.getElementById('ck-search-status').textContent.endsWith('“bien ban tiep cong dan”.')"
    )
    found = titles(page)
    assert len(found) >= 12 and all(t.startswith("Biên bản tiếp công dân") for t in found[:12]), found
    page.go_back()
    page.wait_for_function(f"() => document.querySelector('.ck-result__title')?.textContent === {MAY!r}")
    check_clean(visit)
    page.context.close()


def test_more_results_button_moves_focus_to_the_new_results(chromium, site_url):
    page, visit = open_page(chromium)
    search(page, site_url, "cong")
    total = int(status(page).split()[2].replace(".", ""))
    assert total > 20
    assert len(titles(page)) == 20
    more = page.locator("#ck-search-more")
    assert more.inner_text() == f"Xem thêm kết quả (còn {total - 20})"
    more.focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelectorAll('.ck-result').length > 20")
    assert len(titles(page)) == min(total, 40)
    focused = page.evaluate(
        "document.activeElement.closest('.ck-result') === document.querySelectorAll('.ck-result')[20]"
    )
    assert focused
    check_clean(visit)
    page.context.close()


@pytest.mark.parametrize("width", [375, 1280])
def test_results_page_accessible_and_fits_a_phone(chromium, site_url, width):
    page, visit = open_page(chromium, width=width, height=800)
    for query in ("tiep cong dan thang 5", "khongcotukhoanay", ""):
        page.goto(f"{site_url}tim-kiem/?q={quote_plus(query)}")
        if query:
            page.wait_for_function(DONE)
        assert page.get_by_label("Từ khóa tìm kiếm").is_visible()
        live = page.locator("#ck-search-status")
        assert live.get_attribute("role") == "status" and live.get_attribute("aria-live") == "polite"
        assert axe_violations(page) == [], query
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, (width, query, overflow)
    check_clean(visit)
    page.context.close()


def test_without_javascript_the_form_submits_and_the_page_links_to_categories(chromium, site_url):
    page, visit = open_page(chromium, width=375, height=800, javascript=False)
    page.goto(f"{site_url}thu-tuc-hanh-chinh/")
    page.get_by_role("search", name="Tìm kiếm trên trang").get_by_label("Tìm kiếm").fill("tuyen dung")
    page.keyboard.press("Enter")
    page.wait_for_url("**/tim-kiem/?q=tuyen+dung")
    assert "Tìm kiếm cần JavaScript" in page.locator(".ck-search__nojs").inner_text()
    links = page.locator(".ck-search__categories a")
    assert links.count() == 7
    page.locator(".ck-search__categories a", has_text="Tuyển dụng, cán bộ").click()
    page.wait_for_url(f"{site_url}tuyen-dung/")
    assert page.get_by_role("link", name="Thông báo tuyển dụng viên chức năm 2026").count() == 1
    page.goto(f"{site_url}tim-kiem/")
    page.locator(".ck-search__categories a", has_text="Danh mục thông tin").click()
    page.wait_for_url(f"{site_url}danh-muc-thong-tin/")
    assert visit.hosts == {"127.0.0.1"}, visit.hosts
    page.context.close()


def test_one_query_downloads_only_its_shards(chromium, site_url, sample_site):
    page, visit = open_page(chromium)
    fetched: list[str] = []
    page.on("request", lambda r: "/chi-muc/" in r.url and fetched.append(r.url.rsplit("/", 1)[1]))
    search(page, site_url, "tuyen dung")
    shards = sorted(n.split(".")[0] for n in fetched if n.startswith("t-"))
    every = [p.name for p in (sample_site / "tim-kiem" / "chi-muc").glob("t-*.json")]
    assert 1 <= len(shards) <= 3 < len(every), (shards, len(every))
    keys = [s.removeprefix("t-").replace("_", "") for s in shards]
    # the shards of the two words, or of their synonym group (tuyển dụng = xét tuyển …)
    assert all("~tuyendung".startswith(k) for k in keys), keys
    assert sum(n.startswith("manifest.") for n in fetched) == 1
    # the display chunks of the results shown only (chunks of 25: the sample's pages and
    # newest records fill the first two)
    assert (
        1
        <= sum(n.startswith("d-") for n in fetched)
        <= 2
        < len(list((sample_site / "tim-kiem" / "chi-muc").glob("d-*")))
    )
    check_clean(visit)
    page.context.close()


def test_search_works_under_a_sub_path(chromium, sample_site, tmp_path):
    parent = tmp_path / "www"
    parent.mkdir()
    (parent / "cong-khai").symlink_to(Path(sample_site).resolve(), target_is_directory=True)
    with serve(parent) as root:
        base = root + "cong-khai/"
        page, visit = open_page(chromium)
        page.goto(base)
        page.get_by_role("search", name="Tìm kiếm trên trang").get_by_label("Tìm kiếm").fill("tiep cong dan thang 5")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{base}tim-kiem/?q=tiep+cong+dan+thang+5")
        page.wait_for_function(DONE)
        link = page.locator(".ck-result__title").first
        assert link.inner_text() == MAY
        link.click()
        page.wait_for_url(f"{base}tiep-cong-dan/2026/lich-thang-05/")
        check_clean(visit)
        page.context.close()


CLS = """() => new Promise(resolve => {
    let total = 0;
    new PerformanceObserver(list => {
        for (const entry of list.getEntries()) if (!entry.hadRecentInput) total += entry.value;
    }).observe({type: 'layout-shift', buffered: true});
    setTimeout(() => resolve(total), 500);
})"""


@pytest.mark.parametrize("query", ["tiếp công dân tháng 5", "tuyen dung", "khongcotukhoanay", ""])
def test_results_replacing_the_category_list_do_not_shift_the_page(chromium, site_url, query):
    """Cumulative layout shift < 0.1 (Lighthouse's "good") on a 375x812 phone while the
    results arrive, measured with a PerformanceObserver for layout-shift entries; the
    index files are held back a moment, as on a slow network, so the page is painted
    before the results come."""
    page, visit = open_page(chromium, width=375, height=812)
    page.route("**/chi-muc/**", lambda route: (page.wait_for_timeout(300), route.continue_()))
    page.goto(f"{site_url}tim-kiem/?q={quote_plus(query)}")
    if query:
        page.wait_for_function(DONE)
    page.wait_for_timeout(300)
    assert page.evaluate(CLS) < 0.1
    check_clean(visit)
    page.context.close()


def test_a_scan_is_found_by_a_word_only_in_its_image(chromium, make_project, monkeypatch):
    """A scanned PDF made here (text drawn with Pillow, wrapped in a PDF: no text layer) is
    found through the real client by words that exist only in its pixels; the result says
    the match is inside the attachment and links to it and to its text version, which a
    screen reader can read (axe: no violation)."""
    monkeypatch.delenv(CACHE_ENV, raising=False)
    root = make_project(
        {
            "disclosures/tuyen-dung/2026/thong-bao-tuyen-dung.yml": NOTICE,
            "disclosures/tuyen-dung/2026/bien-ban-kiem-tra.pdf": scanned_pdf(),
            "disclosures/tuyen-dung/2026/phieu-dang-ky.pdf": TEXT_PDF,
        }
    )
    result = run_cli(root, "build", "--site-dir", str(root / "site"))
    assert result.exit_code == 0, result.output
    with serve(root / "site") as base:
        page, visit = open_page(chromium, width=375, height=812)
        search(page, base, "nước thải kênh Vĩnh Tế")
        assert titles(page)[0] == "Thông báo tuyển dụng viên chức năm 2026"
        note = page.locator(".ck-result").first.locator(".ck-result__attachment")
        assert note.inner_text() == "Tìm thấy trong tệp đính kèm: Biên bản kiểm tra (bản chụp) (bản văn bản)"
        assert note.locator("a").first.get_attribute("href").endswith("/bien-ban-kiem-tra.pdf")
        assert axe_violations(page) == []
        # a word of the record itself: no attachment note
        search(page, base, "kế toán")
        assert titles(page)[0] == "Thông báo tuyển dụng viên chức năm 2026"
        assert page.locator(".ck-result").first.locator(".ck-result__attachment").count() == 0
        search(page, base, "xả nước thải")
        page.locator(".ck-result__attachment a", has_text="bản văn bản").first.click()
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == "Nội dung văn bản của tệp “Biên bản kiểm tra (bản chụp)”"
        assert "nhà xưởng xả nước thải" in page.locator(".ck-attachment-text").inner_text()
        assert page.get_by_role("note").filter(has_text="do máy đọc").count() == 1
        assert axe_violations(page) == []
        check_clean(visit)
        page.context.close()
