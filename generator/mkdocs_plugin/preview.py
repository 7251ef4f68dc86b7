"""``congkhai serve``: the live preview, rendering each page when it is asked for.

A full build of a site of 1,000 records takes seconds; a clerk who saves one record wants
to see it at once. The preview therefore never builds the whole site:

- on each request it looks whether any input changed (the times and sizes of the files of
  ``mkdocs.yml``, ``docs_dir``, the records folder, the log and its checkpoints): a change
  starts a new *generation*;
- a new generation loads the site again, reading only the record files that changed
  (:class:`~generator.records.record.RecordCache`; the checks across records run in full), lists
  every file of the site without making any, builds the navigation and reads the few pages
  in it (:class:`~generator.mkdocs_plugin.engine.Engine`);
- a page is rendered when asked for, exactly as the full build renders it (the same
  :class:`~generator.mkdocs_plugin.engine.Engine`; ``tests/test_preview.py`` compares them byte for
  byte after a series of changes), scanned for personal data like a built page, and kept
  until the next generation; feeds, the search index and the proofs are made when first
  asked for.

Problems that stop a build (a record with an error, personal data on a page) are shown in
the browser, in Vietnamese, with the file, line and field, instead of the page. Every HTML
answer carries a small script that asks ``/.congkhai/phien-ban`` once a second and reloads
the page when the generation changed. The server listens on 127.0.0.1 unless told
otherwise (``--dev-addr``); it shows only what the public site shows.
"""

from __future__ import annotations

import contextlib
import html
import http.server
import logging
import mimetypes
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from mkdocs.exceptions import PluginError

from generator.core.errors import CongkhaiError, Problem
from generator.core.values import today as office_today
from generator.ledger import checkpoints
from generator.mkdocs_plugin import commands
from generator.mkdocs_plugin.engine import Engine, Templates
from generator.mkdocs_plugin.plugin import ProblemsError
from generator.records.privacy import Allow, SiteScanner, made_problems
from generator.records.record import RecordCache
from generator.website import pipeline

log = logging.getLogger("mkdocs.plugins.congkhai")

VERSION_PATH = "/.congkhai/phien-ban"
RELOAD_PATH = "/.congkhai/tai-lai.js"
RELOAD_SCRIPT = f"""(function () {{
  var seen = null;
  function ask() {{
    fetch("{VERSION_PATH}", {{cache: "no-store"}}).then(function (r) {{ return r.text(); }}).then(function (v) {{
      if (seen !== null && v !== seen) {{ location.reload(); }}
      seen = v;
    }}).catch(function () {{}}).finally(function () {{ setTimeout(ask, 1000); }});
  }}
  ask();
}})();
""".encode()
RELOAD_TAG = f'<script src="{RELOAD_PATH}"></script>'
"""Put before ``</body>`` of every HTML answer; :func:`without_reload` takes it out."""


def without_reload(page: bytes) -> bytes:
    """A preview page as the build writes it (the reload script taken out)."""
    return page.replace(RELOAD_TAG.encode() + b"\n", b"", 1)


@dataclass
class Answer:
    status: int
    content_type: str
    body: bytes
    location: str | None = None


class Preview:
    """The preview of the project of ``config_file``; thread-safe (one lock)."""

    def __init__(self, config_file: str | Path, workdir: Path):
        self.config_file = Path(config_file).resolve()
        self.workdir = workdir
        self.lock = threading.RLock()
        self.cache = RecordCache()
        self.templates = Templates()
        self.generation = 0
        self.stamps: dict[str, tuple[int, int]] | None = None
        self.engine: Engine | None = None
        self.error: CongkhaiError | None = None
        self.pages: dict[str, Any] = {}
        self.files: dict[str, Any] = {}
        self.rendered: dict[str, bytes] = {}
        self.scanner: SiteScanner | None = None
        self.watched: list[Path] = [self.config_file]

    # --- what changed -------------------------------------------------------------------

    def _stamps(self) -> dict[str, tuple[int, int]]:
        out: dict[str, tuple[int, int]] = {}
        for root in self.watched:
            if root.is_file():
                info = root.stat()
                out[str(root)] = (info.st_mtime_ns, info.st_size)
                continue
            stack = [str(root)]
            while stack:
                folder = stack.pop()
                try:
                    entries = list(os.scandir(folder))
                except OSError:
                    continue
                for entry in entries:
                    if entry.name.startswith("."):
                        continue
                    if entry.is_dir():
                        stack.append(entry.path)
                    else:
                        with contextlib.suppress(OSError):
                            info = entry.stat()
                            out[entry.path] = (info.st_mtime_ns, info.st_size)
        return out

    def refresh(self) -> int:
        """Start a new generation if any input changed; the current generation."""
        with self.lock:
            stamps = self._stamps()
            if stamps != self.stamps:
                self._clear_cache_if_needed(stamps)
                self.stamps = stamps
                self.generation += 1
                watched = list(self.watched)
                self._prepare()
                if self.watched != watched:  # the first load (or a new mkdocs.yml) says what to watch
                    self.stamps = self._stamps()
            return self.generation

    def _clear_cache_if_needed(self, stamps: dict[str, tuple[int, int]]) -> None:
        """Records are read again only when their files change, unless something else they
        are checked against changed (a category file, ``mkdocs.yml``, the day)."""
        old = self.stamps or {}
        changed = {p for p in stamps.keys() | old.keys() if stamps.get(p) != old.get(p)}
        if any(Path(p).name.startswith("_") or Path(p) == self.config_file for p in changed):
            self.cache.clear()

    def _prepare(self) -> None:
        self.engine, self.error, self.scanner = None, None, None
        self.pages, self.files, self.rendered = {}, {}, {}
        try:
            self.engine = self._engine()
        except CongkhaiError as exc:
            self.error = exc
        except PluginError as exc:  # raised by a plugin's event while the engine prepares
            self.error = CongkhaiError(f"{self.config_file.name}: cấu hình không hợp lệ ({exc})")
        if self.engine is None:
            return
        for file in self.engine.files:
            if file.is_documentation_page():
                self.pages[file.url.removeprefix("./")] = file
            else:
                self.files[file.dest_uri] = file

    def _engine(self) -> Engine:
        config = commands.load_config(self.config_file, site_dir=str(self.workdir / "site"))
        plugin = commands.plugin_of(config, self.config_file)
        settings = commands.settings_of(config, self.config_file)
        self.watched = [
            self.config_file,
            settings.docs_dir,
            settings.disclosures_dir,
            settings.log_path,
            checkpoints.store_dir(settings.log_path),
        ]
        today = office_today(settings.timezone)
        if self.cache_day != today:  # "too far ahead", "next session": the day matters
            self.cache.clear()
            self.cache_day = today
        site = pipeline.load(settings, today, cache=self.cache)
        plugin.preloaded = site
        plugin.defer_bundles = True
        self.scanner = SiteScanner(Allow.for_settings(settings), site.today)
        self.settings = settings
        try:
            return Engine(config, templates=self.templates).prepare()
        except ProblemsError as exc:
            raise exc.cause from None

    cache_day: Any = None

    # --- answers ------------------------------------------------------------------------

    def answer(self, target: str) -> Answer:
        """The answer to a GET of ``target`` (path and query)."""
        path = unquote(urlsplit(target).path)
        if path == VERSION_PATH:
            return Answer(200, "text/plain; charset=utf-8", str(self.refresh()).encode())
        if path == RELOAD_PATH:
            return Answer(200, "text/javascript; charset=utf-8", RELOAD_SCRIPT)
        with self.lock:
            if not path.startswith("/assets/") or self.stamps is None:  # the theme's files do not change
                self.refresh()
            if self.error is not None:
                return self._problems(self.error.problems, 500)
            rel = path.lstrip("/")
            if rel.endswith("index.html"):
                rel = rel[: -len("index.html")]
            if rel in self.pages:
                return self._page(rel)
            if rel + "/" in self.pages:
                return Answer(301, "text/plain; charset=utf-8", b"", location=path + "/")
            data = self._file(rel)
            if data is not None:
                kind = mimetypes.guess_type(rel)[0] or "application/octet-stream"
                if kind.startswith("text/") or kind in ("application/javascript", "application/json"):
                    kind += "; charset=utf-8"
                return Answer(200, kind, data)
            return self._not_found()

    def _page(self, url: str) -> Answer:
        if url not in self.rendered:
            assert self.engine is not None
            page = self.pages[url].page
            output = self.engine.render(page)
            problems = self._scan(self.pages[url].dest_uri, output)
            if problems:
                return self._problems(problems, 500)
            self.rendered[url] = output
        return Answer(200, "text/html; charset=utf-8", with_reload(self.rendered[url]))

    def _scan(self, dest: str, output: bytes) -> list[Problem]:
        """The built-site privacy scan of one page (as :func:`generator.website.pipeline.scan`)."""
        assert self.scanner is not None
        return made_problems(self.scanner, output, Path(dest).suffix, dest)

    def _file(self, rel: str) -> bytes | None:
        file = self.files.get(rel)
        if file is not None:
            return file.content_bytes
        assert self.engine is not None
        if rel in self.engine.config.theme.static_templates and rel != "404.html":  # sitemap.xml
            return self.engine.render_template(rel)
        plugin = self.engine.config.plugins.get("congkhai")
        for bundle in getattr(plugin, "bundles", ()):
            if not bundle.holds(rel):
                continue
            for output in bundle.outputs:
                if output.path == rel:
                    return output.content
        return None

    def _not_found(self) -> Answer:
        assert self.engine is not None
        body = self.engine.render_template("404.html")
        return Answer(404, "text/html; charset=utf-8", with_reload(body))

    def _problems(self, problems: list[Problem], status: int) -> Answer:
        items = "\n".join(f"<li><code>{html.escape(str(p))}</code></li>" for p in problems)
        body = f"""<!doctype html>
<html lang="vi">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Chưa xem trước được – congkhai</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem;line-height:1.5}}
code{{white-space:pre-wrap}}li{{margin:.5rem 0}}</style></head>
<body>
<h1>Chưa xem trước được: có {len(problems)} lỗi</h1>
<p>Sửa các lỗi dưới đây (tệp:dòng: trường: nội dung) rồi lưu lại; trang sẽ tự tải lại.</p>
<ul>
{items}
</ul>
</body>
</html>
"""
        return Answer(status, "text/html; charset=utf-8", with_reload(body.encode()))


def with_reload(page: bytes) -> bytes:
    head, sep, tail = page.rpartition(b"</body>")
    if not sep:
        return page + RELOAD_TAG.encode() + b"\n"
    return head + RELOAD_TAG.encode() + b"\n" + sep + tail


class _Handler(http.server.BaseHTTPRequestHandler):
    preview: Preview
    server_version = "congkhai"

    def do_GET(self) -> None:
        self._send(self.preview.answer(self.path))

    def do_HEAD(self) -> None:
        self._send(self.preview.answer(self.path), body=False)

    def _send(self, answer: Answer, body: bool = True) -> None:
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        self.send_header("Cache-Control", "no-store")
        if answer.location:
            self.send_header("Location", answer.location)
        self.end_headers()
        if body:
            self.wfile.write(answer.body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def parse_addr(dev_addr: str) -> tuple[str, int]:
    """``HOST:PORT`` -> (host, port)."""
    host, sep, port = dev_addr.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise CongkhaiError(f"địa chỉ không hợp lệ: {dev_addr}; viết 127.0.0.1:8000")
    return host.strip("[]"), int(port)


def make_server(preview: Preview, host: str, port: int) -> http.server.ThreadingHTTPServer:
    handler = type("Handler", (_Handler,), {"preview": preview})
    server = http.server.ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


@contextlib.contextmanager
def workdir() -> Iterator[Path]:
    """A scratch folder for the preview's pages (scanned there), removed at the end."""
    folder = Path(tempfile.mkdtemp(prefix="congkhai-preview-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
