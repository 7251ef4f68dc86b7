"""Every value that reaches HTML is escaped for where it lands (the second line of defence).

``check`` refuses raw HTML, but a page must stay safe even when a value slips past it:
these tests switch the HTML refusal off, put every dangerous character into every field of
a record and of a category file, build the site, and parse each page. No element or
attribute may come from a record: no ``<script>`` but the site's own, no ``on…``
attribute, no ``<meta http-equiv>``, no ``javascript:`` address, and the page's
``<meta name="description">`` holds the summary as text, on one line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from generator import categories, records
from tests.conftest import run_cli

ATTACK = (
    "A < b > c \" d ' e & f &amp; &lt;script&gt;alert(1)&lt;/script&gt; "
    '&#60;img src=x onerror=alert(2)&#62; " onmouseover="alert(3) '
    '0;url=https://evil.example/ " http-equiv="refresh <img src=x onerror=alert(4)> '
    "</title><script>alert(5)</script> javascript:alert(6)"
)
"""Every dangerous character, raw and entity-encoded, and ways out of text, attributes
and ``<title>``."""
MULTILINE = ATTACK + '\nline two " onfocus="alert(7)'


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


RECORD = f"""\
title: {_quote(ATTACK)}
kind: lich
summary: {_quote(MULTILINE)}
document:
  number: {_quote(ATTACK)}
  date: 2026-05-05
  issuer: {_quote(ATTACK)}
  signer: {_quote(ATTACK)}
unit: {_quote(ATTACK)}
month: 2026-05
sessions:
  - date: 2026-05-15
    start: "07:30"
    place: {_quote(ATTACK)}
    host: {_quote(ATTACK)}
posting: {{place: {_quote(ATTACK)}, from: 2026-05-05, to: 2026-05-20}}
tags: [{_quote(ATTACK)}]
change_note: {_quote(ATTACK)}
attachments:
  - file: thong-bao.pdf
    title: {_quote(ATTACK)}
    kind: quyet-dinh
body: {_quote(MULTILINE + chr(10) + chr(10) + "# " + ATTACK + chr(10) + chr(10) + "[x](javascript:alert(8))")}
"""

CATEGORY = f"""\
title: {_quote(ATTACK)}
description: {_quote(MULTILINE)}
kinds:
  thong-bao: {_quote(ATTACK)}
fields:
  note: {{type: text, label: {_quote(ATTACK)}, help: {_quote(ATTACK)}}}
"""


@pytest.fixture
def hostile_site(make_project, monkeypatch):
    """A site built from hostile values with ``check``'s HTML refusal switched off."""
    monkeypatch.setattr(records, "_html_problems", lambda record: [])
    monkeypatch.setattr(categories, "html_problems", lambda text: [], raising=False)
    root = make_project(
        {
            "disclosures/tiep-cong-dan/2026/lich-thang-05.yml": RECORD,
            "disclosures/chuyen-muc-moi/_category.yml": CATEGORY,
            "disclosures/chuyen-muc-moi/2026/thong-bao.yml": f"""\
                title: {_quote(ATTACK)}
                kind: thong-bao
                summary: {_quote(MULTILINE)}
                document: {{date: 2026-05-05}}
                note: {_quote(ATTACK)}
                """,
            "content/trang-rieng.md": f"---\ntitle: {_quote(ATTACK)}\ndescription: {_quote(MULTILINE)}\n---\n\n# Trang\n",
        }
    )
    result = run_cli(root, "build", "--site-dir", str(root / "site"))
    assert result.exit_code == 0, result.output
    return root / "site"


SITE_SCRIPTS = ("assets/javascripts/bundle.", "assets/congkhai.js", "assets/search.js")


def _injected(page: Path) -> list[str]:
    """What on a page did not come from the site itself."""
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    found = []
    for element in soup.find_all(True):
        for name, value in element.attrs.items():
            if name.lower().startswith("on"):
                found.append(f"<{element.name} {name}>")
            text = " ".join(value) if isinstance(value, list) else str(value)
            if "javascript:" in text.replace(" ", "").lower() and name in ("href", "src", "action"):
                found.append(f"<{element.name} {name}={text}>")
        if element.name == "meta" and element.get("http-equiv"):
            found.append(f"<meta http-equiv={element['http-equiv']}>")
        if element.name == "script":
            src = element.get("src") or ""
            inline = element.string or ""
            if src and not any(s in src for s in SITE_SCRIPTS):
                found.append(f"<script src={src}>")
            if "alert(" in inline:
                found.append("<script>alert</script>")
    return found


def test_every_field_with_every_dangerous_character_lands_escaped(hostile_site):
    pages = sorted(hostile_site.rglob("*.html"))
    assert len(pages) > 10
    for page in pages:
        assert _injected(page) == [], page
    record = BeautifulSoup(
        (hostile_site / "tiep-cong-dan/2026/lich-thang-05/index.html").read_text(encoding="utf-8"), "html.parser"
    )
    # the title is shown as text, in the header and in <title>, decoded exactly once
    assert record.select_one("[data-md-component=header-topic]").get_text() == ATTACK
    assert record.title.get_text().startswith(ATTACK)
    # the summary is the description, as text on one line
    described = record.find_all("meta", attrs={"name": "description"})
    assert [m["content"] for m in described] == [" ".join(MULTILINE.split())]
    category = BeautifulSoup((hostile_site / "chuyen-muc-moi/index.html").read_text(encoding="utf-8"), "html.parser")
    assert category.find("meta", attrs={"name": "description"})["content"] == " ".join(MULTILINE.split())
    assert ATTACK in [link.get_text(strip=True) for link in category.select(".md-nav__link")]
    assert ATTACK + " (Atom)" in [link.get("title") for link in category.find_all("link")]
    page = BeautifulSoup((hostile_site / "trang-rieng/index.html").read_text(encoding="utf-8"), "html.parser")
    assert page.find("meta", attrs={"name": "description"})["content"] == " ".join(MULTILINE.split())
    assert page.select_one("[data-md-component=header-topic]").get_text() == ATTACK


def test_the_search_page_and_feeds_hold_the_values_as_data(hostile_site):
    feed = (hostile_site / "atom.xml").read_text(encoding="utf-8")
    assert "<script>" not in feed and "<img" not in feed
