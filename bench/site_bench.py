#!/usr/bin/env python3
"""Site benchmark for congkhai: what a reader on a phone downloads, at N records.

For each size N it writes the synthetic project of ``build_bench.py`` (same records, same
seed; the ``mkdocs.yml`` without Material's search plugin, like the real site), builds
it once with ``python -m generator build`` (timed), serves the site on 127.0.0.1 with
nginx (``gzip on``, level 6, for HTML, CSS, JS, JSON, SVG, XML) or, when nginx is not on
PATH, a small Python server that gzips the same types, and measures in headless Chromium
(Debian's ``/usr/bin/chromium`` through Playwright, fresh context = empty cache):

- first load of a record page at 375x800: every response's transferred body size
  (``responseBodySize``: the bytes on the wire, compressed), HTML + CSS + JS + images;
- each query typed into the search page's field (the page loaded first, not counted):
  the bytes of the index files that query fetched (manifest, shards, display chunks);
- the number and total size of the index files.

Every record gets one attachment, a PDF with a text layer of about 400 words drawn from
the sample records' own words (``--no-attachments`` leaves them out), so that the index
holds attachment text as a real office's does; the build is timed twice, the second time
with the attachment texts in the cache (``.congkhai-cache/``). ``--ocr-pages K`` also
measures OCR: K scanned pages (text drawn with Pillow, wrapped in PDFs) added to a small
project, built with an empty cache and again with the cache.

Usage::

    python bench/site_bench.py --sizes 1000,5000 [--json out.json] [--workdir DIR]
                               [--keep] [--live] [--server auto|nginx|python]
                               [--no-attachments] [--ocr-pages K]

Needs the test extras (Playwright) and Debian's chromium; nginx is optional.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import gzip
import http.server
import io
import json
import os
import platform
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote_plus, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_bench as bb  # the sibling benchmark: same synthetic records

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
QUERIES = [
    "tiep cong dan thang 5",
    "tiếp công dân tháng 5",
    "tuyen dung",
    "ngan sach 2026",
    "45/TB",
    "bao cao",
    "lịch tiếp dân tháng 11 năm 2026",
    "hotline",
    "tố cáo tham nhũng",
    "thoong bao tuyen dung",
    "BQL-LD-01",
    "ke hoach phong chong tham nhung nam 2024",
]
GZIP_TYPES = {
    ".html": "text/html",
    ".css": "text/css",
    ".js": "application/javascript",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".xml": "application/xml",
    ".atom": "application/atom+xml",
    ".ics": "text/calendar",
}
OTHER_TYPES = {".png": "image/png", ".ico": "image/x-icon", ".pdf": "application/pdf", ".csv": "text/csv"}
INDEX_DIR = "tim-kiem/chi-muc/"
DONE = """() => {
    const s = document.getElementById('ck-search-status');
    return s && s.textContent && !s.textContent.startsWith('Đang');
}"""


# --------------------------------------------------------------------------- project


def site_yml() -> str:
    """``build_bench``'s mkdocs.yml (the real site's theme and plugins, the synthetic
    hotline allow-listed for the privacy guard)."""
    return bb.MKDOCS_YML


# --------------------------------------------------------------------------- attachments

REPO = Path(__file__).resolve().parent.parent
ATTACHMENT_WORDS = 400


def _folded_words() -> list[str]:
    """The syllables of the sample records, folded to ASCII (a PDF's standard font has no
    Vietnamese letters; the index folds every word the same way), most frequent first."""
    counts: dict[str, int] = {}
    for path in sorted((REPO / "disclosures").rglob("*.y*ml")) + sorted((REPO / "disclosures").rglob("*.md")):
        text = unicodedata.normalize("NFD", path.read_text("utf-8").lower().replace("đ", "d"))
        for word in re.findall(r"[a-z]+", "".join(c for c in text if not unicodedata.combining(c))):
            counts[word] = counts.get(word, 0) + 1
    return sorted(counts, key=lambda w: -counts[w])


def text_pdf(text: str) -> bytes:
    """A one-page PDF whose text layer is ``text`` (ASCII), in Helvetica."""
    import pikepdf

    pdf = pikepdf.new()
    page = pdf.add_blank_page(page_size=(595, 842))
    font = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica)
    page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    lines = " ".join(f"({line}) '" for line in textwrap.wrap(text, 95))
    page.Contents = pdf.make_stream(f"BT /F1 9 Tf 11 TL 40 810 Td {lines} ET".encode("latin-1"))
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True)
    return out.getvalue()


def add_attachments(project: Path, seed: int = 20260505) -> int:
    """One text-layer PDF per record (words drawn with Zipf-like weights from the sample's
    own words); returns how many were added."""
    words = _folded_words()
    weights = [1 / (rank + 1) for rank in range(len(words))]
    added = 0
    for record in sorted((project / "disclosures").rglob("*.yml")):
        text = record.read_text("utf-8")
        if "\nattachments:" in text or "duong-day-nong" in record.parts:
            continue
        rng = random.Random(f"{seed}/{record.relative_to(project)}")
        name = f"{record.stem}-van-ban.pdf"
        (record.parent / name).write_bytes(text_pdf(" ".join(rng.choices(words, weights, k=ATTACHMENT_WORDS))))
        record.write_text(
            text.rstrip("\n") + f"\nattachments:\n- file: {name}\n  title: Văn bản kèm theo\n  kind: khac\n",
            encoding="utf-8",
        )
        added += 1
    return added


def ocr_cost(workdir: Path, pages: int) -> dict[str, Any]:
    """Build a small project with ``pages`` scanned one-page PDFs twice: the first build
    reads them by OCR, the second takes their text from the cache."""
    from PIL import Image, ImageDraw, ImageFont

    project = workdir / "ocr"
    bb.make_project(project, 20)
    (project / "mkdocs.yml").write_text(site_yml(), encoding="utf-8")
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 32)
    records = sorted((project / "disclosures" / "tiep-cong-dan").rglob("*.yml"))[:pages]
    for i, record in enumerate(records):
        image = Image.new("L", (1240, 1754), 255)  # A4 at 150 dpi
        draw = ImageDraw.Draw(image)
        for line in range(30):
            draw.text((100, 100 + line * 52), f"Dòng {line + 1} của bản chụp số {i + 1}: biên bản tiếp công dân", font=font, fill=0)  # fmt: skip
        name = f"{record.stem}-ban-chup.pdf"
        image.save(record.parent / name, "PDF", resolution=150)
        text = record.read_text("utf-8").rstrip("\n")
        record.write_text(text + f"\nattachments:\n- file: {name}\n  title: Bản chụp\n  kind: khac\n", "utf-8")
    runs = []
    for run in ("first", "cached"):
        site = project / f"site-{run}"
        timed = bb.run_measured(
            [sys.executable, "-m", "generator", "-f", str(project / "mkdocs.yml"), "build", "--site-dir", str(site)],
            project / f"build-{run}.log",
        )
        runs.append(timed["seconds"])
        if timed["returncode"] != 0:
            return {"pages": len(records), "error": timed["output"][-2000:]}
    first, cached = runs
    print(f"\nOCR: {len(records)} scanned pages: first build {first:.1f}s, cached {cached:.1f}s", flush=True)
    return {"pages": len(records), "first_seconds": first, "cached_seconds": cached}


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"server on 127.0.0.1:{port} did not start")


NGINX_CONF = """\
# written by bench/site_bench.py
daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
{user}
events {{ worker_connections 256; }}
http {{
    types {{
{types}
    }}
    default_type application/octet-stream;
    charset utf-8;
    charset_types text/css application/javascript application/json image/svg+xml application/xml;
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    sendfile on;
    gzip on;
    gzip_comp_level 6;
    gzip_min_length 256;
    gzip_vary on;
    gzip_types {gzip_types};
    server {{
        listen 127.0.0.1:{port};
        root {root};
        index index.html;
    }}
}}
"""


@contextlib.contextmanager
def nginx(root: Path, workdir: Path) -> Iterator[str]:
    """nginx on 127.0.0.1 as a child process (own config, pid and logs in ``workdir``)."""
    tmp = workdir / "nginx"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    port = free_port()
    types = {**GZIP_TYPES, **OTHER_TYPES}
    conf = NGINX_CONF.format(
        tmp=tmp,
        user="user root;" if os.geteuid() == 0 else "",  # workers must read the (private) temp folder
        types="\n".join(f"        {t} {ext[1:]};" for ext, t in types.items()),
        gzip_types=" ".join(sorted({t for t in GZIP_TYPES.values() if t != "text/html"})),
        port=port,
        root=root.resolve(),
    )
    (tmp / "nginx.conf").write_text(conf, encoding="utf-8")
    log = (tmp / "stderr.log").open("wb")
    proc = subprocess.Popen(
        ["nginx", "-p", str(tmp), "-c", str(tmp / "nginx.conf"), "-e", str(tmp / "error.log")],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(port)
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()
            proc.wait()
        log.close()


class _GzipHandler(http.server.SimpleHTTPRequestHandler):
    """Static files; text types gzip-compressed (level 6) when the client accepts it."""

    extensions_map: ClassVar[dict[str, str]] = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        **GZIP_TYPES,
        **OTHER_TYPES,
    }

    def log_message(self, format: str, *args: object) -> None:
        pass

    def send_head(self):  # type: ignore[override]
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            if not self.path.split("?", 1)[0].endswith("/"):
                return super().send_head()  # the stdlib redirect to the slash
            path = path / "index.html"
        if path.suffix not in GZIP_TYPES or "gzip" not in self.headers.get("Accept-Encoding", "") or not path.is_file():
            return super().send_head()
        data = gzip.compress(path.read_bytes(), compresslevel=6)
        self.send_response(200)
        self.send_header("Content-Type", GZIP_TYPES[path.suffix] + "; charset=utf-8")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Vary", "Accept-Encoding")
        self.end_headers()
        return io.BytesIO(data)


@contextlib.contextmanager
def python_server(root: Path) -> Iterator[str]:
    handler = functools.partial(_GzipHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def serve(root: Path, workdir: Path, kind: str):
    if kind == "nginx" or (kind == "auto" and shutil.which("nginx")):
        return nginx(root, workdir), "nginx"
    return python_server(root), "python"


# --------------------------------------------------------------------------- browser


def _sizes(requests: list[Any]) -> tuple[int, int, list[dict[str, Any]]]:
    """(encoded bodies, response headers, per request) of finished requests."""
    body = headers = 0
    rows = []
    for request in requests:
        sizes = request.sizes()
        response = request.response()
        body += sizes["responseBodySize"]
        headers += sizes["responseHeadersSize"]
        rows.append(
            {
                "url": request.url,
                "status": response.status if response else None,
                "encoding": (response.headers.get("content-encoding") if response else None),
                "body": sizes["responseBodySize"],
                "headers": sizes["responseHeadersSize"],
            }
        )
    return body, headers, rows


def _context(browser, width: int = 375, height: int = 800):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="vi-VN")
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    finished: list[Any] = []
    hosts: set[str] = set()
    page.on("requestfinished", lambda request: finished.append(request))
    page.on("request", lambda r: hosts.add(urlsplit(r.url).hostname or r.url))
    return context, page, finished, hosts


def first_load(browser, url: str) -> dict[str, Any]:
    context, page, finished, hosts = _context(browser)
    page.goto(url, wait_until="networkidle")
    body, headers, rows = _sizes(finished)
    context.close()
    return {
        "url": url,
        "body_bytes": body,
        "header_bytes": headers,
        "requests": len(rows),
        "hosts": sorted(hosts),
        "responses": rows,
    }


def one_query(browser, base: str, query: str) -> dict[str, Any]:
    context, page, finished, hosts = _context(browser)
    page.goto(base + "tim-kiem/", wait_until="networkidle")
    page_body = _sizes(finished)[0]
    finished.clear()
    page.fill("#ck-search-q", query)
    start = time.perf_counter()
    page.press("#ck-search-q", "Enter")
    page.wait_for_function(DONE)
    page.wait_for_load_state("networkidle")
    seconds = time.perf_counter() - start
    status = page.inner_text("#ck-search-status")
    first = page.locator(".ck-result__title").first
    top = first.inner_text() if first.count() else ""
    index = [r for r in finished if INDEX_DIR in r.url]
    body, headers, rows = _sizes(index)
    context.close()
    expected = f"{base}tim-kiem/?q={quote_plus(query)}"
    return {
        "query": query,
        "status": status,
        "top": top,
        "index_bytes": body,
        "index_header_bytes": headers,
        "files": [r["url"].rsplit("/", 1)[1] for r in rows],
        "other_requests": [r.url for r in finished if INDEX_DIR not in r.url and r.url != expected],
        "search_page_bytes": page_body,
        "seconds": seconds,
        "hosts": sorted(hosts),
    }


# --------------------------------------------------------------------------- running


def index_files(site: Path) -> dict[str, Any]:
    files = sorted((site / INDEX_DIR).glob("*.json"))
    raw = [p.read_bytes() for p in files]
    shards = [(len(gzip.compress(d, 6)), p.name) for p, d in zip(files, raw, strict=True) if p.name.startswith("t-")]
    return {
        "files": len(files),
        "bytes": sum(len(d) for d in raw),
        "gzip_bytes": sum(len(gzip.compress(d, 6)) for d in raw),
        "shards": len(shards),
        "largest_shard_gzip": max(shards) if shards else (0, ""),
    }


def bench_one(n: int, project: Path, browser, server_kind: str, attachments: bool = True) -> dict[str, Any]:
    print(f"\n== N = {n}: {project}", flush=True)
    facts = bb.make_project(project, n)
    (project / "mkdocs.yml").write_text(site_yml(), encoding="utf-8")
    added = add_attachments(project) if attachments else 0
    site = project / "site"
    command = [sys.executable, "-m", "generator", "-f", str(project / "mkdocs.yml"), "build", "--site-dir", str(site)]
    build = bb.run_measured(command, project / "build.log")
    print(f"   build: {build['seconds']:.1f}s, exit {build['returncode']} ({added} attachments)", flush=True)
    result: dict[str, Any] = {
        "n": n,
        "records": facts["records"],
        "attachments": added,
        "build_seconds": build["seconds"],
    }
    if added and build["returncode"] == 0:
        again = bb.run_measured(command, project / "build-cached.log")
        result["cached_build_seconds"] = again["seconds"]
        print(f"   build again, attachment texts cached: {again['seconds']:.1f}s", flush=True)
    if build["returncode"] != 0:
        result["error"] = "build failed:\n" + build["output"][-4000:]
        print(result["error"], file=sys.stderr)
        return result
    result["index"] = index_files(site)
    record = facts["first_record_url"]["tiep-cong-dan"]
    server, used = serve(site, project, server_kind)
    result["server"] = used
    with server as base:
        result["record_page"] = load = first_load(browser, base + record)
        print(
            f"   record page {record}: {load['body_bytes'] / 1024:.1f} KB in {load['requests']} requests "
            f"(+ {load['header_bytes'] / 1024:.1f} KB headers)",
            flush=True,
        )
        for row in load["responses"]:
            print(f"      {row['body']:>7} B  {row['encoding'] or '-':4}  {urlsplit(row['url']).path}", flush=True)
        result["queries"] = []
        for query in QUERIES:
            q = one_query(browser, base, query)
            result["queries"].append(q)
            print(
                f"   query {query!r}: {q['index_bytes'] / 1024:.1f} KB in {len(q['files'])} files, "
                f"{q['seconds']:.2f}s — {q['status']} first: {q['top']!r}",
                flush=True,
            )
    per_query = [q["index_bytes"] for q in result["queries"]]
    result["query_median_bytes"] = statistics.median(per_query)
    result["query_max_bytes"] = max(per_query)
    hosts = set(load["hosts"]).union(*(q["hosts"] for q in result["queries"]))
    result["hosts"] = sorted(hosts)
    if hosts != {"127.0.0.1"}:
        print(f"   WARNING: requests left 127.0.0.1: {sorted(hosts)}", flush=True)
    return result


_kb = bb._kb


def table(results: list[dict[str, Any]]) -> str:
    head = [
        "N",
        "build (s)",
        "record page first load (KB, requests)",
        "query median (KB)",
        "query max (KB)",
        "index files",
        "index total (MB raw / gzip)",
        "largest shard gzip (KB)",
    ]
    rows: list[list[str]] = []
    for r in results:
        if "error" in r:
            rows.append([str(r["n"]), f"{r['build_seconds']:.1f}", "failed"] + [""] * 5)
            continue
        index = r["index"]
        rows.append(
            [
                str(r["n"]),
                f"{r['build_seconds']:.1f}",
                f"{_kb(r['record_page']['body_bytes'])} ({r['record_page']['requests']})",
                _kb(r["query_median_bytes"]),
                _kb(r["query_max_bytes"]),
                str(index["files"]),
                f"{index['bytes'] / 2**20:.2f} / {index['gzip_bytes'] / 2**20:.2f}",
                _kb(index["largest_shard_gzip"][0]),
            ]
        )
    return bb.markdown_table(head, rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,5000", help="comma-separated record counts (default 1000,5000)")
    parser.add_argument("--json", dest="json_file", help="write the figures as JSON to this file")
    parser.add_argument("--workdir", help="create the projects here (kept); default: a temporary folder")
    parser.add_argument("--keep", action="store_true", help="keep the temporary projects")
    parser.add_argument("--live", action="store_true", help="import generator/ from the working tree")
    parser.add_argument("--server", choices=["auto", "nginx", "python"], default="auto")
    parser.add_argument("--no-attachments", action="store_true", help="records without their text-layer PDF")
    parser.add_argument("--ocr-pages", type=int, default=0, help="also time OCR of this many scanned pages")
    args = parser.parse_args(argv)
    try:
        sizes = [int(s) for s in args.sizes.replace(" ", ",").split(",") if s]
    except ValueError:
        parser.error("--sizes: whole numbers separated by commas, e.g. 1000,5000")
    if not sizes or min(sizes) < 1:
        parser.error("sizes must be at least 1")
    if not Path(CHROMIUM).exists():
        parser.error(f"{CHROMIUM} is missing (Debian package chromium)")
    from playwright.sync_api import sync_playwright

    workdir = Path(args.workdir).resolve() if args.workdir else Path(tempfile.mkdtemp(prefix="congkhai-site-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    if not args.live:
        bb.snapshot_generator(workdir)
    print(f"generator {bb.generator_fingerprint()} from {bb.SOURCE / 'generator'}", flush=True)
    results = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            for n in sizes:
                results.append(bench_one(n, workdir / f"n{n}", browser, args.server, not args.no_attachments))
            browser.close()
        ocr = ocr_cost(workdir, args.ocr_pages) if args.ocr_pages else None
    finally:
        if not args.workdir and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        elif results:
            print(f"\nprojects kept in {workdir}")

    servers = sorted({r.get("server", "?") for r in results})
    print()
    print(table(results))
    print(
        f"\nserver: {', '.join(servers)} on 127.0.0.1, gzip level 6; Chromium 375x800, empty cache; "
        "sizes are transferred bodies (compressed), response headers not included;"
    )
    print(f"queries: {', '.join(QUERIES)}; Python {platform.python_version()}, {platform.platform()}")
    if args.json_file:
        meta = {
            "date": dt.datetime.now().isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "generator": bb.generator_fingerprint(),
            "queries": QUERIES,
        }
        Path(args.json_file).write_text(
            json.dumps({"meta": meta, "results": results, "ocr": ocr}, ensure_ascii=False, indent=2), encoding="utf-8"
        )
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
