"""Served right: the shipped nginx configuration graded over HTTPS by the rules of the MDN
HTTP Observatory (written down below), compression and types per response type, a meta
description on every page, the log filter on a phone, stable calendar UIDs, robots.txt.

The server is real nginx on 127.0.0.1 (``tests/servers.py``) with a certificate made here;
the grading rules are those of the Observatory's analyzer and score table (repository
mdn/mdn-http-observatory, ``src/analyzer/tests/*.js`` and ``src/grader/charts.js``),
restated for the tests that apply to a static site.
"""

from __future__ import annotations

import datetime as dt
import gzip
import http.client
import ipaddress
import re
import shutil
import ssl
import textwrap
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
import vobject
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.browser import open_page, serve
from tests.conftest import run_cli
from tests.servers import CONFIG, nginx, nginx_sites

# --- the Observatory's rules ------------------------------------------------------------

SIX_MONTHS = 15_552_000
"""The Observatory's HSTS threshold (it accepts 15552000 for its nominal 15768000)."""
BROAD = {"ftp:", "http:", "https:", "*", "http://*", "http://*.*", "https://*", "https://*.*"}
UNSAFE_INLINE = {"'unsafe-inline'", "data:"}
GOOD_REFERRER = {"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"}
BAD_REFERRER = {"origin", "origin-when-cross-origin", "unsafe-url", "no-referrer-when-downgrade"}
HTML_TYPES = {"text/html", "application/xhtml+xml"}
EXTRA_CREDIT_FROM = 90
"""Bonuses count only when the score without them is already at least 90 (an A)."""


def _csp(values: list[str]) -> dict[str, set[str]] | None:
    """Directive -> sources of the Content-Security-Policy header(s); None when unparsable."""
    out: dict[str, set[str]] = {}
    for policy in (p for v in values for p in v.split(",")):
        for directive in policy.split(";"):
            words = directive.strip().split()
            if not words:
                continue
            name = words[0].lower()
            if name in out:
                return None  # a directive given twice
            out[name] = {w.lower() if not w.startswith("'nonce-") else w for w in words[1:]}
    return out


def _csp_modifier(csp: dict[str, set[str]] | None, https: bool) -> int:
    """The first CSP finding that applies, in the Observatory's order."""
    if csp is None:
        return -25  # missing, or cannot be parsed
    default = csp.get("default-src")
    script = csp.get("script-src") or default or {"*"}
    objects = csp.get("object-src") or default or {"*"}
    style = csp.get("style-src") or default or {"*"}
    active = [s for d, v in csp.items() if d not in ("img-src", "media-src", "script-src") for s in v] + list(script)
    passive = [s for d in ("img-src", "media-src") for s in (csp.get(d) or default or set())]
    if script & (BROAD | UNSAFE_INLINE) or objects & BROAD:
        return -20  # unsafe-inline or data: in script-src, a broad source for scripts or objects
    if https and any(s.startswith(("http:", "ftp:")) for s in active):
        return -20  # insecure scheme for active content
    if "'unsafe-eval'" in script | style:
        return -10
    if https and any(s.startswith(("http:", "ftp:")) for s in passive):
        return -10  # insecure scheme for images or media only
    if style & (BROAD | UNSAFE_INLINE):
        return 0  # unsafe sources in style-src only
    return 10 if default == {"'none'"} else 5


def _hsts_modifier(values: list[str], verified_https: bool) -> int:
    if not verified_https or not values:
        return -20  # not implemented, or no valid HTTPS for it
    age = re.search(r"(?i)(?:^|;)\s*max-age=(\d+)", values[0])
    if "," in values[0] or len(values) > 1 or not age:
        return -20  # invalid (set twice, or no max-age)
    return 0 if int(age.group(1)) >= SIX_MONTHS else -10


def observatory(headers: list[tuple[str, str]], body: bytes, https: bool, verified: bool) -> tuple[int, dict]:
    """The Observatory's score of one response, and the modifier of each test."""
    get = {}
    for name, value in headers:
        get.setdefault(name.lower(), []).append(value)
    mods: dict[str, int] = {}
    # Content-Security-Policy
    csp = _csp(get.get("content-security-policy", [])) if get.get("content-security-policy") else None
    mods["csp"] = _csp_modifier(csp, https)
    # Cookies: none set
    mods["cookies"] = -40 if get.get("set-cookie") else 0
    # CORS: public access (*) is fine; an origin reflected with credentials is not
    allow = get.get("access-control-allow-origin", [""])[0].strip()
    credentials = get.get("access-control-allow-credentials", [""])[0].strip().lower() == "true"
    mods["cors"] = -50 if allow not in ("", "*") and credentials else 0
    # Redirection: graded on the HTTPS host with no HTTP listener ("not needed": 0)
    mods["redirection"] = 0
    # Referrer-Policy
    referrer = [p.strip().lower() for v in get.get("referrer-policy", []) for p in v.split(",")]
    known = [p for p in referrer if p in GOOD_REFERRER | BAD_REFERRER]
    if not referrer:
        mods["referrer"] = 0
    elif known and known[-1] in GOOD_REFERRER:
        mods["referrer"] = 5
    else:
        mods["referrer"] = -5
    # Strict-Transport-Security
    mods["hsts"] = _hsts_modifier(get.get("strict-transport-security", []), https and verified)
    # Subresource integrity: scripts of another host need integrity and HTTPS
    mime = get.get("content-type", [""])[0].split(";")[0].strip().lower()
    mods["sri"] = 0
    if mime in HTML_TYPES:
        for tag in re.findall(rb"<script\b[^>]*>", body):
            src = re.search(rb"""\bsrc=["']?([^"' >]+)""", tag)
            if src and re.match(rb"(https?:)?//", src.group(1)):
                has = b"integrity=" in tag
                secure = src.group(1).startswith(b"https:")
                mods["sri"] = min(mods["sri"], 0 if has and secure else -5 if secure else -50)
    # X-Content-Type-Options
    mods["nosniff"] = 0 if [v.strip().lower() for v in get.get("x-content-type-options", [])] == ["nosniff"] else -5
    # X-Frame-Options, or frame-ancestors in the CSP header
    xfo = get.get("x-frame-options", [""])[0].strip().lower()
    if csp and "frame-ancestors" in csp:
        mods["frames"] = 5
    elif xfo in ("deny", "sameorigin") or xfo.startswith("allow-from"):
        mods["frames"] = 0
    else:
        mods["frames"] = -20
    # Cross-Origin-Resource-Policy
    corp = get.get("cross-origin-resource-policy", [""])[0].strip().lower()
    mods["corp"] = {"same-origin": 10, "same-site": 10, "cross-origin": 0, "": 0}.get(corp, -5)
    uncurved = 100 + sum(m for m in mods.values() if m < 0)
    score = 100 + sum(mods.values()) if uncurved >= EXTRA_CREDIT_FROM else uncurved
    return max(score, 0), mods


def grade(score: int) -> str:
    """The Observatory's grade: 100 and above A+, then steps of 5 (A from 90, B+ from 80, ...)."""
    chart = [(100, "A+"), (90, "A"), (85, "A-"), (80, "B+"), (70, "B"), (65, "B-"), (60, "C+"), (50, "C")]
    chart += [(45, "C-"), (40, "D+"), (30, "D"), (25, "D-"), (0, "F")]
    return next(g for floor, g in chart if score >= floor)


def test_the_rules_as_written_grade_known_cases():
    """The rules give the grades the issue reported before the change, and A+ after."""
    csp = "default-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'self'"
    before = [("Content-Security-Policy", csp), ("X-Content-Type-Options", "nosniff"), ("Content-Type", "text/html")]
    before.append(("Referrer-Policy", "same-origin"))
    assert grade(observatory(before, b"", https=True, verified=True)[0]) == "B+"  # no HSTS
    assert grade(observatory(before, b"", https=False, verified=False)[0]) == "B+"
    after = before + [
        ("Strict-Transport-Security", "max-age=31536000"),
        ("Cross-Origin-Resource-Policy", "same-origin"),
    ]
    assert observatory(after, b"", https=True, verified=True)[0] == 125
    short = before + [("Strict-Transport-Security", "max-age=86400")]
    assert observatory(short, b"", https=True, verified=True)[0] == 105  # 90 without bonuses: they count
    sniffing = [h for h in before if h[0] != "X-Content-Type-Options"]
    assert observatory(sniffing, b"", https=True, verified=True)[0] == 75  # below 90: bonuses do not count
    inline = [("Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-inline'")]
    assert observatory(inline, b"", https=True, verified=True)[1]["csp"] == -20
    foreign = b'<script src="https://cdn.example/x.js"></script>'
    assert observatory(after + [("Content-Type", "text/html")], foreign, True, True)[1]["sri"] == -5


# --- real nginx over HTTPS ----------------------------------------------------------------


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (its own trust anchor) and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return folder / "cert.pem", folder / "key.pem"


def hsts_line() -> str:
    """The HSTS switch, as the shipped file documents it (a commented line of the server block)."""
    found = re.findall(r"^#[\s#]*(add_header Strict-Transport-Security .*;)\s*$", CONFIG.read_text(), re.MULTILINE)
    assert len(found) == 1, "nginx.conf documents the HSTS line once"
    return found[0]


SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">' + '<rect width="1" height="1"/>' * 20 + "</svg>\n"
).encode()


@pytest.fixture(scope="module")
def site_copy(sample_site, tmp_path_factory) -> Path:
    """The published sample site, plus an SVG (for its type) and the verifier key file when
    this build does not serve one yet."""
    root = tmp_path_factory.mktemp("served") / "www"
    shutil.copytree(sample_site.resolve(), root, symlinks=True)
    (root / "assets/images/probe.svg").write_bytes(SVG)
    key = root / "nhat-ky-cong-khai/khoa-xac-minh.txt"
    if not key.exists():
        key.write_text("congkhai.example.gov.vn/nhat-ky-cong-khai+4f2a91c0+AQ" + "A" * 43 + "\n", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def https_site(site_copy, tmp_path_factory):
    work = tmp_path_factory.mktemp("nginx-tls")
    cert, key = _certificate(work / "tls")
    context = ssl.create_default_context(cafile=str(cert))
    with nginx_sites([site_copy], work, tls=(cert, key), server_extra=hsts_line()) as urls:
        yield urls[0], context


def fetch(url: str, path: str, context: ssl.SSLContext | None, gzip_ok: bool = False):
    """(status, headers as a list of pairs, body as sent) of GET ``url + path``."""
    host, port = url.split("//")[1].rstrip("/").split(":")
    if context:
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(host, int(port), context=context, timeout=10)
    else:
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.request("GET", "/" + path, headers={"Accept-Encoding": "gzip"} if gzip_ok else {})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, response.getheaders(), body


def _one(site: Path, pattern: str) -> str:
    return next(p for p in sorted(site.glob(pattern))).relative_to(site).as_posix()


def responses(site: Path) -> dict[str, str]:
    """One path per response type the site serves -> its expected Content-Type."""
    html = "text/html; charset=utf-8"
    plain = "text/plain; charset=utf-8"
    return {
        "": html,
        "gioi-thieu/": html,
        "nhat-ky-cong-khai/": html,
        "khong-co-trang-nay/": html,
        "atom.xml": "application/atom+xml; charset=utf-8",
        "tiep-cong-dan/atom.xml": "application/atom+xml; charset=utf-8",
        "tiep-cong-dan/lich.ics": "text/calendar; charset=utf-8",
        "nhat-ky-cong-khai/publication-log.csv": "text/csv; charset=utf-8",
        "nhat-ky-cong-khai/publication-log.jsonl": "application/jsonl; charset=utf-8",
        "sitemap.xml": "text/xml; charset=utf-8",
        "robots.txt": plain,
        "assets/congkhai.js": "application/javascript; charset=utf-8",
        "assets/search.js": "application/javascript; charset=utf-8",
        "assets/congkhai.css": "text/css; charset=utf-8",
        _one(site, "assets/javascripts/bundle.*.min.js"): "application/javascript; charset=utf-8",
        _one(site, "assets/stylesheets/main.*.min.css"): "text/css; charset=utf-8",
        _one(site, "tim-kiem/chi-muc/d-0.*.json"): "application/json; charset=utf-8",
        _one(site, "tiep-cong-dan/*/*/du-lieu.json"): "application/json; charset=utf-8",
        "danh-muc-thong-tin/dcat.json": "application/json; charset=utf-8",
        "nhat-ky-cong-khai/checkpoint": plain,
        _one(site, "nhat-ky-cong-khai/checkpoints/[0-9]*"): plain,
        _one(site, "*/*/*/*.tlog-proof"): plain,
        "nhat-ky-cong-khai/khoa-xac-minh.txt": plain,
        "assets/images/probe.svg": "image/svg+xml; charset=utf-8",
        _one(site, "tiep-cong-dan/*/*/*.pdf"): "application/pdf",
    }


COMMON = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "SAMEORIGIN",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}


def test_every_response_type_grades_a_plus_over_https(https_site, site_copy):
    url, context = https_site
    for path, wanted in responses(site_copy).items():
        status, headers, body = fetch(url, path, context)
        assert status == (404 if path.startswith("khong-co") else 200), path
        got = {k.lower(): v for k, v in headers}
        assert got["content-type"] == wanted, path
        for name, value in COMMON.items():
            assert got.get(name) == value, (path, name)
        assert int(re.search(r"max-age=(\d+)", got["strict-transport-security"]).group(1)) >= SIX_MONTHS, path
        assert "permissions-policy" in got and "content-security-policy" in got, path
        assert "unsafe-inline" not in got["content-security-policy"], path
        score, mods = observatory(headers, body, https=True, verified=True)
        assert grade(score) == "A+" and score >= 100, (path, score, mods)
        assert not [k for k, v in headers if k.lower() in ("set-cookie", "location")], path


def test_every_text_type_is_gzipped(https_site, site_copy):
    url, context = https_site
    seen = set()
    for path, wanted in responses(site_copy).items():
        _, headers, body = fetch(url, path, context, gzip_ok=True)
        got = {k.lower(): v for k, v in headers}
        mime = wanted.split(";")[0]
        plain_body = fetch(url, path, context)[2]
        if mime == "application/pdf":
            assert "content-encoding" not in got, path
            continue
        if len(plain_body) < 256:  # gzip_min_length: a tiny file is sent as it is
            assert "content-encoding" not in got and body == plain_body, path
            continue
        assert "accept-encoding" in got.get("vary", "").lower(), path
        assert got.get("content-encoding") == "gzip", path
        assert gzip.decompress(body) == plain_body, path
        assert len(body) < len(plain_body), path
        seen.add(mime)
    assert seen == {
        "text/html",
        "text/css",
        "application/javascript",
        "application/json",
        "text/xml",
        "application/atom+xml",
        "image/svg+xml",
        "text/csv",
        "application/jsonl",
        "text/calendar",
        "text/plain",
    }


def test_hsts_is_off_until_switched_on_and_the_rest_is_the_same(site_copy, tmp_path):
    """As shipped (no HSTS line in the server block, plain HTTP here): no HSTS, and every
    other security header on every response type."""
    with nginx(site_copy, tmp_path / "nginx") as url:
        for path in responses(site_copy):
            _, headers, _ = fetch(url, path, None)
            got = {k.lower(): v for k, v in headers}
            assert "strict-transport-security" not in got, path
            for name, value in COMMON.items():
                assert got.get(name) == value, (path, name)


def test_apache_sends_the_same_headers_and_compresses_the_same_types():
    """Apache httpd is not installed here: its file must at least say the same."""
    apache = (CONFIG.parent / "apache.conf").read_text(encoding="utf-8")
    ours = CONFIG.read_text(encoding="utf-8")
    for name, value in COMMON.items():
        title = "-".join(w.capitalize() for w in name.split("-")).replace("Content-Type", "Content-Type")
        assert re.search(rf"^Header always set {re.escape(title)} \"?{re.escape(value)}\"?$", apache, re.M), name
    assert re.search(r"^# Header always set Strict-Transport-Security \"max-age=\d+\"$", apache, re.M)
    nginx_types = set(re.search(r"gzip_types([^;]*);", ours).group(1).split())
    apache_types = {t for line in re.findall(r"AddOutputFilterByType DEFLATE (.*)", apache) for t in line.split()}
    assert nginx_types | {"text/html"} == apache_types
    for needle in ("text/plain; charset=utf-8", "checkpoint", "tlog-proof"):
        assert needle in apache, needle


# --- pages ------------------------------------------------------------------------------


class _Metas(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.descriptions: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "meta" and a.get("name") == "description":
            self.descriptions.append(a.get("content") or "")


def test_every_page_has_one_meta_description(sample_site):
    site = sample_site.resolve()
    pages = sorted(site.rglob("*.html"))
    named = {p.relative_to(site).as_posix() for p in pages}
    for page in ("index.html", "gioi-thieu/index.html", "huong-dan/dang-tai-cong-khai/index.html", "404.html"):
        assert page in named
    for page in pages:
        metas = _Metas()
        metas.feed(page.read_text(encoding="utf-8"))
        assert len(metas.descriptions) == 1 and len(metas.descriptions[0].strip()) >= 20, (page, metas.descriptions)
    home = _Metas()
    home.feed((site / "index.html").read_text(encoding="utf-8"))
    assert "lịch tiếp công dân" in home.descriptions[0]
    missing = _Metas()
    missing.feed((site / "404.html").read_text(encoding="utf-8"))
    assert missing.descriptions[0].startswith("Không tìm thấy trang này")


COUNT_SHOWN = """() => [...document.querySelectorAll('table.ck-log tbody tr')]
    .filter(r => r.getClientRects().length > 0).map(r => r.dataset.category)"""


@pytest.mark.parametrize("width", [375, 1280])
def test_the_log_filter_hides_rows_at_every_width(sample_site, chromium, width):
    with serve(sample_site.resolve()) as url:
        page, _ = open_page(chromium, width=width, height=800)
        page.goto(url + "nhat-ky-cong-khai/")
        everything = page.evaluate(COUNT_SHOWN)
        assert len(set(everything)) > 1
        page.select_option("#ck-category", "tiep-cong-dan")
        shown = page.evaluate(COUNT_SHOWN)
        assert shown and set(shown) == {"tiep-cong-dan"}
        assert len(shown) == everything.count("tiep-cong-dan")
        page.select_option("#ck-category", "")
        assert page.evaluate(COUNT_SHOWN) == everything
        page.context.close()


# --- calendar UIDs ----------------------------------------------------------------------

MONTH = (dt.date.today().replace(day=1) + dt.timedelta(days=62)).replace(day=1)
"""A month to come: every session of a schedule falls in its month."""
SOON = MONTH + dt.timedelta(days=9)


def _schedule(days: list[dt.date]) -> str:
    sessions = "".join(
        f"""
          - date: {d:%Y-%m-%d}
            start: "07:30"
            end: "11:00"
            place: Trụ sở Ban
            host: Trưởng ban"""
        for d in days
    )
    return textwrap.dedent(f"""\
        title: Thông báo lịch tiếp công dân
        kind: lich
        document: {{number: 90/TB-BQLKKT, date: {dt.date.today():%Y-%m-%d}}}
        month: {MONTH:%Y-%m}
        sessions:{sessions}
        """)


def _uids(root: Path) -> dict[dt.date, str]:
    result = run_cli(root, "build", "--site-dir", str(root / "site"))
    assert result.exit_code == 0, result.output
    calendar = vobject.readOne((root / "site/tiep-cong-dan/lich.ics").read_text(encoding="utf-8"))
    events = [e for e in calendar.vevent_list if "sap-toi" in e.url.value]
    out = {e.dtstart.value.date(): e.uid.value for e in events}
    assert len(out) == len(events) == len({e.uid.value for e in events})
    return out


def test_inserting_a_session_keeps_the_other_events_uids(make_project):
    record = "disclosures/tiep-cong-dan/lich/sap-toi.yml"
    later = [SOON, SOON + dt.timedelta(days=7)]
    root = make_project({record: _schedule(later)})
    before = _uids(root)
    (root / record).write_text(_schedule([SOON - dt.timedelta(days=5), *later]), encoding="utf-8")
    after = _uids(root)
    assert {d: after[d] for d in later} == before  # the existing events keep their UIDs
    assert after[SOON - dt.timedelta(days=5)] not in before.values()
    assert before[SOON] == f"tiep-cong-dan.lich.sap-toi.{SOON:%Y%m%d}T0730@congkhai.example.gov.vn"


# --- robots.txt ---------------------------------------------------------------------------


def test_robots_txt_names_the_sitemap(built):
    _, site = built
    text = (site / "robots.txt").read_text(encoding="utf-8")
    assert text == "User-agent: *\nAllow: /\n\nSitemap: https://congkhai.example.gov.vn/sitemap.xml\n"
    assert (site / "sitemap.xml").is_file()


def test_an_offices_own_robots_txt_wins(make_project):
    own = "User-agent: *\nDisallow: /tim-kiem/\n"
    root = make_project({"content/robots.txt": own})
    result = run_cli(root, "build", "--site-dir", str(root / "site"))
    assert result.exit_code == 0, result.output
    assert (root / "site/robots.txt").read_text(encoding="utf-8") == own


# --- a first visit on a phone (issue 27) -------------------------------------------------


def _until(page, expression: str, seconds: float = 10) -> None:
    """``page.wait_for_function`` where the site's policy forbids evaluating strings."""
    end = time.monotonic() + seconds
    while not page.evaluate(expression):
        assert time.monotonic() < end, expression
        page.wait_for_timeout(50)


def test_a_first_visit_to_the_home_page_fits_the_budget(sample_site, chromium, tmp_path):
    """A cold first visit to the home page through congkhai's nginx configuration moves at
    most 60 KB (bodies as compressed on the wire, plus response headers): the theme's own
    script (35 KB compressed) is not served to a site whose features work without it
    (``SCRIPTLESS_FEATURES``), and "back to top" still appears when the reader scrolls back
    up, is out of the Tab order while hidden, and goes to the top."""
    with nginx(sample_site, tmp_path / "nginx") as url:
        page, visit = open_page(chromium, width=375, height=812)
        sizes: list[tuple[str, int]] = []
        page.on(
            "requestfinished",
            lambda r: sizes.append((r.url, r.sizes()["responseBodySize"] + r.sizes()["responseHeadersSize"])),
        )
        page.goto(url, wait_until="networkidle")
        total = sum(n for _, n in sizes)
        assert total <= 60 * 1024, sorted(sizes, key=lambda s: -s[1])
        assert not [u for u, _ in sizes if "/javascripts/bundle." in u]
        page.goto(url + "nhat-ky-cong-khai/", wait_until="networkidle")
        top = page.locator(".md-top")
        assert top.get_attribute("hidden") is not None and top.get_attribute("tabindex") == "-1"
        height = page.evaluate("document.documentElement.scrollHeight")
        assert height > 3000
        page.mouse.wheel(0, 2500)
        _until(page, "window.scrollY > 2000")
        page.mouse.wheel(0, -300)
        _until(page, "!document.querySelector('.md-top').hidden")
        assert top.get_attribute("tabindex") == "0"
        top.click()
        _until(page, "window.scrollY === 0 && document.querySelector('.md-top').hidden")
        assert not visit.console_errors
        page.context.close()


def test_a_feature_that_needs_the_themes_script_gets_it(make_project):
    root = make_project()
    config = root / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    assert "features:" not in text
    site = root / "site"
    assert run_cli(root, "build", "--site-dir", str(site)).exit_code == 0
    assert "javascripts/bundle." not in (site / "index.html").read_text(encoding="utf-8")
    config.write_text(
        text.replace("  name: material\n", "  name: material\n  features: [content.code.copy]\n"), "utf-8"
    )
    assert "  features: [content.code.copy]\n" in config.read_text(encoding="utf-8")
    result = run_cli(root, "build", "--site-dir", str(site))
    assert result.exit_code == 0, result.output
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "javascripts/bundle." in home and "ck-md-base.js" in home
