"""End-to-end, on the published sample site in Chromium: the phone's first screen, tables
as cards below 600 px, the drawer from the keyboard, and the focus never on something
invisible (375 px phone and 1024 px laptop)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.browser import axe_violations, open_page, serve

VISIBLE = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return true;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && r.right > 0 && r.left < innerWidth
        && el.checkVisibility({opacityProperty: true, visibilityProperty: true});
}"""


def visible(page) -> bool:
    """The focused element is (or within half a second of a fade-in becomes) visible."""
    try:
        page.wait_for_function(VISIBLE, timeout=500)
    except Exception:
        return False
    return True


PAGES_WITH_TABLES = [
    "",
    "nhat-ky-cong-khai/",
    "danh-muc-thong-tin/",
    "tiep-cong-dan/2026/lich-thang-05/",
    "tiep-cong-dan/2026/bien-ban-thang-05/",
    "tai-chinh-ngan-sach/2026/du-toan-2026/",
    "phong-chong-tham-nhung/2026/ke-hoach-cai-thien-danh-gia-pctn/",
]


def test_first_screen_of_the_home_page_shows_the_hotline_and_the_next_session(chromium, site_url):
    page, visit = open_page(chromium, width=375, height=667)
    page.goto(site_url)
    for selector in (".ck-hotline__phone", ".ck-home-next .ck-next"):
        box = page.locator(selector).first.bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= 667, (selector, box)
    assert page.locator(".ck-home-next .ck-next").first.is_visible()
    text = page.locator(".md-content h2").first.inner_text()
    assert text == "Lịch tiếp công dân sắp tới", text
    # the explanatory text comes after the latest disclosures
    order = page.evaluate("""() => [...document.querySelectorAll('.md-content h2')].map(h => h.textContent.trim())""")
    assert order.index("Thông tin mới công khai") < order.index("Vì sao công khai"), order
    assert visit.hosts == {"127.0.0.1"} and not visit.console_errors


@pytest.mark.parametrize("path", PAGES_WITH_TABLES)
def test_no_table_scrolls_sideways_on_a_phone(chromium, site_url, path):
    page, _ = open_page(chromium, width=375, height=800)
    page.goto(site_url + path)
    page.wait_for_load_state("load")
    wide = page.evaluate(
        """() => [...document.querySelectorAll('.md-typeset table')]
            .filter(t => t.scrollWidth > t.parentElement.clientWidth + 1 || t.scrollWidth > innerWidth)
            .map(t => t.className || t.textContent.slice(0, 40))"""
    )
    assert wide == [], wide
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, overflow
    cells = page.locator(".md-typeset td[data-label]")
    if cells.count():  # a card shows its label before the value
        label = page.evaluate(
            "getComputedStyle(document.querySelector('.md-typeset td[data-label]'), '::before').content"
        )
        assert label.strip('"') == cells.first.get_attribute("data-label")
    page.context.close()


@pytest.mark.parametrize("width", [375, 1024])
def test_the_menu_opens_from_the_keyboard_and_focus_stays_visible(chromium, site_url, width):
    page, visit = open_page(chromium, width=width, height=800)
    page.goto(site_url + "tiep-cong-dan/")
    for _ in range(15):
        page.keyboard.press("Tab")
        assert visible(page), page.evaluate("document.activeElement.outerHTML.slice(0, 120)")
        if page.evaluate("document.activeElement.classList.contains('ck-drawer-button')"):
            break
    else:
        pytest.fail("the ☰ button is not reachable with Tab")
    button = page.locator(".ck-drawer-button")
    assert button.get_attribute("aria-expanded") == "false"
    assert page.evaluate("document.querySelector('.md-sidebar--primary').inert")
    page.keyboard.press("Enter")
    page.wait_for_function("document.getElementById('__drawer').checked")
    assert button.get_attribute("aria-expanded") == "true"
    page.wait_for_function(f"({VISIBLE})() && document.activeElement.closest('.md-sidebar--primary') !== null")
    page.keyboard.press("Escape")
    assert not page.evaluate("document.getElementById('__drawer').checked")
    assert page.evaluate("document.activeElement.classList.contains('ck-drawer-button')")
    assert not visit.console_errors
    page.context.close()


@pytest.mark.parametrize("width", [375, 1024])
@pytest.mark.parametrize("path", ["", "tiep-cong-dan/2026/lich-thang-05/"])
def test_tab_never_lands_on_an_invisible_element(chromium, site_url, width, path):
    page, _ = open_page(chromium, width=width, height=800)
    page.goto(site_url + path)
    seen = 0
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement === document.body"):
            break
        seen += 1
        where = page.evaluate("document.activeElement.outerHTML.slice(0, 120)")
        assert visible(page), where
        assert not page.evaluate("!!document.activeElement.closest('[inert]')"), where
    assert seen > 5
    page.context.close()


@pytest.mark.parametrize("width", [375, 1024])
def test_drawer_and_cards_stay_accessible(chromium, site_url, width):
    page, _ = open_page(chromium, width=width, height=800)
    for path in ("", "nhat-ky-cong-khai/", "tiep-cong-dan/2026/lich-thang-05/"):
        page.goto(site_url + path)
        assert axe_violations(page) == [], path
    page.context.close()


def test_print_keeps_headings_with_their_text_and_prints_attachment_addresses(chromium, site_url):
    page, _ = open_page(chromium)
    page.goto(site_url + "tiep-cong-dan/2026/lich-thang-05/")
    page.emulate_media(media="print")
    for selector in ("h1", "h2", "dt"):
        value = page.evaluate(f"getComputedStyle(document.querySelector('.md-typeset {selector}')).breakAfter")
        assert value == "avoid", (selector, value)
    link = page.locator(".ck-attachments a").first
    address = link.get_attribute("data-url")
    assert address.endswith("tiep-cong-dan/2026/lich-thang-05/lich-thang-05-bien-ban-niem-yet.pdf"), address
    shown = page.evaluate("getComputedStyle(document.querySelector('.ck-attachments a'), '::after').content")
    assert shown == f'" <{address}>"', shown
    assert not page.locator(".ck-drawer-button").is_visible()
    page.context.close()


# --- issue 25's phone details, at 375 x 812 -----------------------------------------------

PHONE = {"width": 375, "height": 812}
PAGE_TYPES = [
    "",
    "tiep-cong-dan/",
    "tai-chinh-ngan-sach/loai-mua-sam/",
    "nhat-ky-cong-khai/",
    "danh-muc-thong-tin/",
    "tim-kiem/",
    "gioi-thieu/",
    "huong-dan/dang-tai-cong-khai/",
    "404.html",
    "duong-day-nong/2026/duong-day-nong/",
    "tiep-cong-dan/2026/lich-thang-05/",
    "tiep-cong-dan/2026/bien-ban-thang-05/",
    "thu-tuc-hanh-chinh/2026/cap-giay-phep-moi-truong/",
    "tai-chinh-ngan-sach/2026/du-toan-2026/",
    "tuyen-dung/2026/thong-bao-tuyen-dung-vien-chuc/",
    "phong-chong-tham-nhung/2026/ke-hoach-cai-thien-danh-gia-pctn/",
]

SMALL_TARGETS = """() => {
    // Every visible tap target smaller than 24 x 24 px (WCAG 2.2, 2.5.8). Exempt, as WCAG
    // allows: a link inside a sentence (an inline link whose block has at least 20 letters
    // of text that is not a link), and what is visually hidden for screen readers only.
    const sentence = (el) => {
        if (el.closest('.ck-hotline, .ck-filter, .ck-proof, .ck-calendar, .ck-evidence, .md-header, .md-nav, .ck-loghead')) return false;
        const block = el.closest('p, li, dd, td, th, dt, caption, figcaption');
        if (!block) return false;
        let text = '';
        const walk = (node) => {
            for (const c of node.childNodes) {
                if (c.nodeType === 3) text += c.textContent;
                else if (c.nodeType === 1 && !c.matches('a, button, input, select, label, summary')) walk(c);
            }
        };
        walk(block);
        return (text.match(/\\p{L}/gu) || []).length >= 20;
    };
    const out = [];
    for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, summary, label[for]')) {
        const r = el.getBoundingClientRect();
        if (r.width === 0 || r.height === 0 || r.right <= 0 || r.left >= innerWidth) continue;
        if (el.closest('[inert], .ck-sr-only') || !el.checkVisibility({opacityProperty: true, visibilityProperty: true})) continue;
        if (r.width >= 24 && r.height >= 24) continue;
        if (getComputedStyle(el).display === 'inline' && sentence(el)) continue;
        out.push(`${el.tagName.toLowerCase()}.${el.className} "${el.textContent.trim().slice(0, 30)}" ${r.width.toFixed(1)}x${r.height.toFixed(1)}`);
    }
    return out;
}"""


@pytest.mark.parametrize("path", PAGE_TYPES)
def test_every_tap_target_is_at_least_24_px_and_the_header_names_the_office(chromium, site_url, path):
    page, visit = open_page(chromium, **PHONE)
    page.goto(site_url + path)
    page.wait_for_load_state("load")
    title = page.evaluate(
        """() => {
            const t = document.querySelector('.md-header__topic .md-ellipsis');
            const r = t.getBoundingClientRect();
            return {text: t.textContent.trim(), clipped: t.scrollHeight > t.clientHeight + 1 || t.scrollWidth > t.clientWidth + 1,
                    size: parseFloat(getComputedStyle(t).fontSize), right: r.right, width: r.width};
        }"""
    )
    assert title["text"] == "Công khai thông tin – Ban Quản lý Khu kinh tế tỉnh An Giang"
    assert not title["clipped"], title  # not "Công khai t…"
    assert title["size"] >= 14 and title["right"] <= 375, title
    for summary in page.locator("details.ck-evidence > summary").all():
        summary.click()  # the proof links count too
    assert page.evaluate(SMALL_TARGETS) == [], path
    assert not visit.console_errors
    page.context.close()


def test_the_technical_proof_is_folded_and_readable(chromium, site_url):
    page, _ = open_page(chromium, **PHONE)
    page.goto(site_url + "tiep-cong-dan/2026/lich-thang-05/")
    details = page.locator("details.ck-evidence")
    assert details.locator("summary").inner_text().strip() == "Bằng chứng kỹ thuật"
    assert not details.evaluate("d => d.open")
    assert not page.locator(".ck-content-hash").is_visible()
    assert page.locator("ol.ck-history li").first.is_visible()  # the history stays readable
    details.locator("summary").click()
    assert page.locator(".ck-content-hash").is_visible()
    assert details.locator(".ck-proof a").first.is_visible()
    sizes = page.evaluate(
        "[...document.querySelectorAll('.ck-evidence .ck-hash')].map(e => parseFloat(getComputedStyle(e).fontSize))"
    )
    assert sizes and min(sizes) >= 12, sizes
    assert axe_violations(page) == []
    page.context.close()


def test_axe_finds_nothing_on_the_new_markup(chromium, site_url):
    page, _ = open_page(chromium, **PHONE)
    for path in (
        "404.html",
        "tim-kiem/",
        "tuyen-dung/2026/thong-bao-tuyen-dung-vien-chuc/",
        "huong-dan/dang-tai-cong-khai/",
    ):
        page.goto(site_url + path)
        assert axe_violations(page) == [], path
    page.goto(site_url + "nhat-ky-cong-khai/")
    page.select_option("#ck-year", index=1)
    page.get_by_role("button", name="Lọc").click()
    assert axe_violations(page) == []
    page.context.close()


def test_the_staff_guide_is_not_in_the_phone_menu(chromium, site_url):
    page, _ = open_page(chromium, **PHONE)
    page.goto(site_url)
    page.locator(".ck-drawer-button").click()
    page.wait_for_function("document.getElementById('__drawer').checked")
    links = page.evaluate("[...document.querySelectorAll('.md-sidebar--primary a')].map(a => a.textContent.trim())")
    assert "Nhật ký công khai" in links and not [t for t in links if "Hướng dẫn" in t], links
    page.goto(site_url + "huong-dan/dang-tai-cong-khai/")
    assert page.locator("h1").inner_text().startswith("Hướng dẫn")
    page.context.close()


@pytest.fixture(scope="module")
def dated_site(tmp_path_factory):
    """A small published project with an open recruitment notice and a schedule of three
    sessions next month but one, served on 127.0.0.1; yields (url, dates)."""
    from tests.conftest import BASE_FILES, MKDOCS_YML, run_cli, write_files
    from tests.test_public_pages import sessions_schedule

    today = dt.date.today()
    until = today + dt.timedelta(days=5)
    month = (today.replace(day=1) + dt.timedelta(days=40)).replace(day=1)
    days = [month + dt.timedelta(days=n) for n in (4, 11, 18)]
    root = tmp_path_factory.mktemp("dated") / "project"
    write_files(root, {"mkdocs.yml": MKDOCS_YML, **BASE_FILES})
    write_files(
        root,
        {
            "disclosures/tiep-cong-dan/lich/ba-buoi.yml": sessions_schedule([(d, "07:30") for d in days], "93/TB"),
            "disclosures/tuyen-dung/thong-bao/dang-nhan.yml": (
                "title: Thông báo tuyển dụng viên chức\nkind: thong-bao\n"
                f"document: {{number: 15/TB-BQLKKT, date: {today - dt.timedelta(days=30):%Y-%m-%d}}}\n"
                "positions:\n  - title: Kế toán viên\n    quota: 1\n"
                f"apply_from: {today - dt.timedelta(days=30):%Y-%m-%d}\napply_until: {until:%Y-%m-%d}\n"
            ),
        },
    )
    result = run_cli(root, "publish", "--allow-sample", "--deploy-to", str(root / "www"))
    assert result.exit_code == 0, result.output
    with serve(root / "www") as url:
        yield url, until, days


def test_the_application_period_is_told_as_of_the_day_the_page_is_read(chromium, dated_site):
    url, until, _ = dated_site
    page, _ = open_page(chromium, **PHONE)
    page.goto(url + "tuyen-dung/thong-bao/dang-nhan/")
    assert page.locator(".ck-deadline").inner_text() == f"Đang nhận hồ sơ đến hết ngày {until:%d/%m/%Y}."
    page.context.close()
    page, _ = open_page(chromium, **PHONE)
    later = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(9), ZoneInfo("Asia/Ho_Chi_Minh"))
    page.clock.set_fixed_time(later)
    page.goto(url + "tuyen-dung/thong-bao/dang-nhan/")
    assert page.locator(".ck-deadline").inner_text() == f"Đã hết hạn nộp hồ sơ (hạn cuối: ngày {until:%d/%m/%Y})."
    assert axe_violations(page) == []
    page.context.close()


def test_the_next_session_alone_goes_to_the_calendar(chromium, dated_site):
    url, _, days = dated_site
    page, _ = open_page(chromium, **PHONE)
    page.goto(url + "tiep-cong-dan/lich/ba-buoi/")
    link = page.get_by_role("link", name="Thêm buổi tiếp theo vào lịch")
    assert link.get_attribute("href") == f"buoi-{days[0]:%Y%m%d}-0730.ics"
    with page.expect_download() as download:
        link.click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert text.count("BEGIN:VEVENT") == 1 and f"DTSTART;TZID=Asia/Ho_Chi_Minh:{days[0]:%Y%m%d}T073000" in text
    assert f"UID:tiep-cong-dan.lich.ba-buoi.{days[0]:%Y%m%d}T0730@congkhai.example.gov.vn" in text
    page.context.close()
    # read after the first session: the link moves on to the second; after the last, it goes
    for when, expected in (
        (days[0] + dt.timedelta(days=1), f"buoi-{days[1]:%Y%m%d}-0730.ics"),
        (days[2] + dt.timedelta(days=1), None),
    ):
        page, _ = open_page(chromium, **PHONE)
        page.clock.set_fixed_time(dt.datetime.combine(when, dt.time(9), ZoneInfo("Asia/Ho_Chi_Minh")))
        page.goto(url + "tiep-cong-dan/lich/ba-buoi/")
        links = page.locator("a.ck-calendar__next")
        assert (links.get_attribute("href") if links.count() else None) == expected
        page.context.close()
