"""End-to-end, on the published sample site in Chromium: the phone's first screen, tables
as cards below 600 px, the drawer from the keyboard, and the focus never on something
invisible (375 px phone and 1024 px laptop)."""

from __future__ import annotations

import pytest

from tests.browser import axe_violations, open_page

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
