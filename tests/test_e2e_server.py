"""The site as served by real nginx with congkhai's configuration (SPEC 5c), in Chromium.

Every page type is loaded through nginx with ``generator/publish/server/nginx.conf``: no
Content-Security-Policy violation, no console error, no request off 127.0.0.1. The
headers are checked file by file, and the seven routes by which a record could attack its
readers are tried in the browser with ``check``'s refusals switched off (the second line of
defence must hold by itself): no dialog, no navigation, nothing asked of another host.
"""

from __future__ import annotations

import json
import shutil
import textwrap
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.core import filetypes
from generator.records import category_file
from generator.records import record as records
from generator.website import pipeline
from tests.browser import open_page, serve
from tests.conftest import BASE_FILES, run_cli
from tests.servers import CONFIG, nginx


def _head(url: str) -> tuple[int, dict[str, str]]:
    request = urllib.request.Request(url, method="GET")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}


@pytest.fixture(scope="module")
def served(sample_site, tmp_path_factory) -> Iterator[tuple[str, Path]]:
    with nginx(sample_site, tmp_path_factory.mktemp("nginx")) as url:
        yield url, sample_site.resolve()


def _first(site: Path, pattern: str) -> str:
    return next(p for p in sorted(site.glob(pattern))).relative_to(site).as_posix()


def test_headers_types_and_caching(served):
    url, site = served
    status, headers = _head(url)
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    assert headers["x-content-type-options"] == "nosniff"
    csp = headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert headers["cache-control"] == "no-cache"
    expected = {
        "atom.xml": "application/atom+xml; charset=utf-8",
        "tiep-cong-dan/atom.xml": "application/atom+xml; charset=utf-8",
        "tiep-cong-dan/lich.ics": "text/calendar; charset=utf-8",
        "nhat-ky-cong-khai/publication-log.csv": "text/csv; charset=utf-8",
        "nhat-ky-cong-khai/publication-log.jsonl": "application/jsonl; charset=utf-8",
    }
    for path, wanted in expected.items():
        status, headers = _head(url + path)
        assert (status, headers["content-type"], headers["x-content-type-options"]) == (200, wanted, "nosniff"), path
    for hashed in (_first(site, "assets/javascripts/bundle.*.min.js"), _first(site, "tim-kiem/chi-muc/*.json")):
        status, headers = _head(url + hashed)
        assert status == 200 and headers["cache-control"] == "public, max-age=31536000, immutable", hashed
    status, headers = _head(url + "assets/congkhai.js")
    assert headers["cache-control"] == "no-cache"  # no hash in its name: revalidated
    status, headers = _head(url + "khong-co-trang-nay/")
    assert status == 404 and "content-security-policy" in headers
    pdf = _first(site, "tiep-cong-dan/*/*/*.pdf")
    status, headers = _head(url + pdf)
    assert headers["content-type"] == "application/pdf" and "content-disposition" not in headers


PAGES = [
    "",
    "tiep-cong-dan/",
    "tiep-cong-dan/2026/",
    "tiep-cong-dan/loai-lich/",
    "nhat-ky-cong-khai/",
    "danh-muc-thong-tin/",
    "tim-kiem/?q=tiep+cong+dan",
    "tim-kiem/",
    "gioi-thieu/",
    "huong-dan/dang-tai-cong-khai/",
    "khong-co-trang-nay/",
]

CSP_PROBE = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline')));
"""


def test_every_page_type_loads_through_nginx_without_csp_violation(served, chromium):
    url, site = served
    records_pages = sorted({p.parent.relative_to(site).as_posix() + "/" for p in site.glob("*/*/*/index.html")})
    by_category: dict[str, str] = {}
    for page in records_pages:
        by_category.setdefault(page.split("/")[0], page)
    for path in PAGES + list(by_category.values()):
        page, visit = open_page(chromium)
        page.add_init_script(CSP_PROBE)
        page.goto(url + path)
        page.wait_for_load_state("networkidle")
        violations = page.evaluate("window.__csp")
        expected_failures = [url + path] if path.startswith("khong-co") else []
        assert violations == [], (path, violations)
        assert visit.console_errors == [] or (expected_failures and all("404" in e for e in visit.console_errors)), (
            path,
            visit.console_errors,
        )
        assert visit.failed == expected_failures, (path, visit.failed)
        assert visit.hosts == {"127.0.0.1"}, (path, visit.hosts)
        page.context.close()


def test_tapping_add_to_calendar_gives_the_calendar_file(served, chromium):
    """On the home page, the "Thêm lịch tiếp công dân" link hands the phone the iCalendar
    file (text/calendar), and the feed link an Atom feed with its charset."""
    url, site = served
    page, visit = open_page(chromium, width=375, height=667)
    page.goto(url)
    link = page.get_by_role("link", name="Thêm lịch tiếp công dân vào lịch của bạn (tệp iCalendar)")
    href = link.get_attribute("href")
    with page.expect_download() as caught:  # Chromium hands a text/calendar answer to the system
        link.click()
    download = caught.value
    assert download.suggested_filename == "lich.ics"
    assert Path(download.path()).read_bytes() == (site / "tiep-cong-dan/lich.ics").read_bytes()
    status, headers = _head(url + href.lstrip("./"))
    assert (status, headers["content-type"]) == (200, "text/calendar; charset=utf-8")
    feed = page.get_by_role("link", name="Theo dõi thông tin mới (Atom)").get_attribute("href")
    status, headers = _head(url + feed.lstrip("./"))
    assert (status, headers["content-type"]) == (200, "application/atom+xml; charset=utf-8")
    assert visit.hosts == {"127.0.0.1"}
    page.context.close()


# --- the seven reader routes, in the browser ------------------------------------------------

ATTACK_TITLE = "&lt;img src=x onerror=alert(1)&gt; &#60;script&#62;alert(2)&#60;/script&#62;"
ATTACK_SUMMARY = '0;url=https://evil.example/ " http-equiv="refresh" x="\n" onmouseover="alert(3)'
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(4)"><script>alert(5)</script></svg>'
HTML = b"<!DOCTYPE html><script>alert(6)</script>"
LICH = "disclosures/tiep-cong-dan/2026/lich-thang-05.yml"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Iterator[tuple[str, str, Path]]:
    """A site built from hostile records with ``check``'s refusals switched off, served
    without any header (Python's server: the pages alone must be safe) and by nginx with
    congkhai's configuration."""
    from tests.conftest import MKDOCS_YML, write_files

    root = tmp_path_factory.mktemp("hostile")
    (root / "mkdocs.yml").write_text(MKDOCS_YML, encoding="utf-8")
    record = (
        textwrap.dedent(BASE_FILES[LICH])
        .replace("title: Thông báo lịch tiếp công dân tháng 5/2026", f"title: {json.dumps(ATTACK_TITLE)}")
        .replace(
            "summary: Trưởng ban tiếp công dân ngày 15/5/2026.",
            f"summary: {json.dumps(ATTACK_SUMMARY)}\n"
            'body: "![a][r] ![b][r]\\n\\n[r]: https://evil.example/pixel.png\\n"',
        )
        .replace(
            "sample: true\n",
            "  - file: so-do.svg\n  - file: trang.html\nsample: true\n",
            1,
        )
    )
    write_files(
        root,
        {
            **BASE_FILES,
            LICH: record,
            "disclosures/tiep-cong-dan/2026/so-do.svg": SVG,
            "disclosures/tiep-cong-dan/2026/trang.html": HTML,
            "disclosures/chuyen-muc-moi/_category.yml": f"title: {json.dumps(ATTACK_TITLE)}\n",
            "disclosures/chuyen-muc-moi/2026/a.yml": f"title: {json.dumps(ATTACK_TITLE)}\ndocument: {{date: 2026-05-05}}\n",
            # route 5: a category named like the log page
            "disclosures/nhat-ky-cong-khai/_category.yml": "title: Nhật ký giả\n",
            "disclosures/nhat-ky-cong-khai/2026/gia.yml": "title: Trang giả mạo nhật ký\ndocument: {date: 2026-05-05}\n",
        },
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(records, "_html_problems", lambda record: [])
        patch.setattr(filetypes, "problem", lambda path, name: None)
        patch.setattr(category_file, "html_problems", lambda text: [])
        patch.setattr(pipeline, "site_path_problems", lambda *args, **kwargs: [])
        result = run_cli(root, "build", "--site-dir", str(root / "site"))
    assert result.exit_code == 0, result.output
    with serve(root / "site") as plain, nginx(root / "site", root / "nginx") as url:
        yield plain, url, root / "site"


def _visit(chromium, url: str) -> tuple[list[str], str, set[str]]:
    """Open ``url``, hover and click around; return (dialogs, final URL, hosts asked)."""
    page, visit = open_page(chromium)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        page.goto(url)
    except Exception as error:  # a download: nothing was rendered
        assert "Download is starting" in str(error), error
        page.context.close()
        return dialogs, url, visit.hosts
    page.wait_for_timeout(300)
    page.mouse.move(200, 200)
    page.mouse.move(400, 120)
    page.wait_for_timeout(1200)  # a meta refresh of 0 s would have fired
    final = page.url
    page.context.close()
    return dialogs, final, visit.hosts


@pytest.mark.parametrize(
    "route, path",
    [
        ("1: entity-encoded title in the header", "tiep-cong-dan/2026/lich-thang-05/"),
        ("2: summary in <meta description>", "tiep-cong-dan/2026/lich-thang-05/"),
        ("4: category title in every page's menu", "gioi-thieu/"),
        ("4: category title on its own page", "chuyen-muc-moi/"),
        ("7: reference-style remote image", "tiep-cong-dan/2026/lich-thang-05/"),
    ],
)
def test_a_hostile_record_cannot_act_in_a_readers_browser(hostile, chromium, route, path):
    url, _, _ = hostile  # no Content-Security-Policy: the escaping alone must hold
    dialogs, final, hosts = _visit(chromium, url + path)
    assert dialogs == [], route
    assert final == url + path, route
    assert hosts == {"127.0.0.1"}, route


def test_route_5_a_category_named_like_a_page_never_replaces_it(hostile, chromium):
    """With check's refusal bypassed, /nhat-ky-cong-khai/ is still the publication log."""
    plain, url, _site = hostile
    for base in (plain, url):
        page, visit = open_page(chromium)
        page.goto(base + "nhat-ky-cong-khai/")
        assert page.locator("h1").first.inner_text() == "Nhật ký công khai"
        assert page.get_by_text("Tải về toàn bộ nhật ký").count() == 1
        assert "Trang giả mạo nhật ký" not in page.content()
        assert visit.hosts == {"127.0.0.1"}
        page.context.close()


@pytest.mark.parametrize("name", ["so-do.svg", "trang.html"])
def test_route_3_an_active_attachment_never_runs_on_the_site(hostile, chromium, name):
    _, url, site = hostile
    path = f"tiep-cong-dan/2026/lich-thang-05/{name}"
    assert (site / path).is_file()
    status, headers = _head(url + path)
    assert status == 200
    assert headers.get("content-disposition") == "attachment" or name.endswith(".html")
    dialogs, _, hosts = _visit(chromium, url + path)
    assert dialogs == [] and hosts == {"127.0.0.1"}


def test_route_3_check_refuses_them_first(make_project):
    record = BASE_FILES[LICH].replace("file: thong-bao.pdf", "file: so-do.svg")
    root = make_project({LICH: record, "disclosures/tiep-cong-dan/2026/so-do.svg": SVG})
    result = run_cli(root, "check")
    assert result.exit_code == 1 and "là ảnh SVG" in result.output


def test_route_6_libreoffice_reads_the_log_csv_as_text(make_project, tmp_path):
    """A real spreadsheet opens the published CSV: a formula cell stays text."""
    if not shutil.which("soffice"):
        pytest.skip("LibreOffice is not installed (scripts/setup installs it)")
    from openpyxl import load_workbook

    from tests.conftest import csv_to_xlsx

    formula = '=HYPERLINK("https://evil.example/","Bấm")'
    root = make_project(
        {
            "disclosures/tuyen-dung/2026/tb.yml": f"title: {json.dumps(formula, ensure_ascii=False)}\n"
            "kind: quy-hoach\ndocument: {date: 2026-05-05}\n"
        }
    )
    result = run_cli(root, "publish", "--allow-sample", "--deploy-to", str(root / "www"))
    assert result.exit_code == 0, result.output
    book = load_workbook(csv_to_xlsx(root / "www/nhat-ky-cong-khai/publication-log.csv", tmp_path))
    cells = [cell for row in book.active.iter_rows() for cell in row]
    assert not [cell.value for cell in cells if cell.data_type == "f"]
    assert any(cell.value in (formula, "'" + formula) for cell in cells)


def test_apache_gives_the_same_policy_as_nginx():
    """Apache httpd is not installed here: its file must at least say what nginx's says."""
    import re

    apache = (CONFIG.parent / "apache.conf").read_text(encoding="utf-8")
    ours = CONFIG.read_text(encoding="utf-8")
    policy = re.compile(r'Content-Security-Policy "(default-src \'self\'[^"]*)"')
    nginx_policy = re.compile(r'set \$congkhai_csp "(default-src \'self\'[^"]*)"')
    assert set(policy.findall(apache)) == set(nginx_policy.findall(ours)) and len(set(nginx_policy.findall(ours))) == 1
    for mime, ext in (("text/calendar", "ics"), ("text/csv", "csv"), ("application/jsonl", "jsonl")):
        assert f"types {{ {mime} {ext}; }}" in ours and f"{mime}; charset=utf-8" in apache, mime
    assert "types { application/atom+xml xml; }" in ours and "application/atom+xml; charset=utf-8" in apache
    for needle in ("nosniff", "max-age=31536000, immutable", "/404.html"):
        assert needle in apache and needle in ours, needle
