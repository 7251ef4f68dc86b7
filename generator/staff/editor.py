"""``congkhai edit``: the browser form editor for staff, on 127.0.0.1 only.

One HTTP server (standard library) on the address given (default ``127.0.0.1:8000``):

- ``/admin/``: Decap CMS (``node_modules/decap-cms/dist``, pinned in ``package.json``, never
  a CDN) with the configuration of :mod:`generator.staff.cms` (``/admin/config.yml``) and
  ``congkhai-editor.js``, which asks ``/admin/api/check`` after every save and shows each
  problem, in Vietnamese with the field's label, in a banner;
- ``/admin/api/check``: runs the same load and checks as ``congkhai check``; the answer is
  ``{"ok": bool, "problems": [{"path", "line", "field", "label", "message"}]}``;
- ``POST /admin/api/commit`` (the banner's "Lưu vào kho (commit)" button): :func:`commit`,
  what ``congkhai commit`` does; the answer adds ``paths``, ``commit`` and ``subject``. Only
  from the admin page itself: the ``X-Congkhai-Editor`` header (a cross-site page cannot
  send it without a preflight, never granted here), a local ``Host`` and this server's
  ``Origin``;
- everything else: the live preview of ``congkhai serve`` (:mod:`generator.mkdocs_plugin.preview`, each
  page rendered when it is opened, from the files as they are on disk), through the
  ``preview`` callback given, so that this module needs no MkDocs.

Decap's local backend is ``decap-server`` (npm, pinned) in ``fs`` mode, started here on
127.0.0.1 (``BIND_HOST``) on a free port, writing into the project folder. Its ``git`` mode
is never used: it commits with ``git add .`` and ``--no-verify``. Committing is
``congkhai commit`` or the admin page's button, which both check first (:func:`commit`).
"""

from __future__ import annotations

import contextlib
import http.server
import json
import mimetypes
import os
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from generator.core.config import Settings
from generator.core.errors import CongkhaiError, Problem
from generator.records.categories import Category
from generator.records.category_file import load_categories, load_common
from generator.records.fields import Field
from generator.staff import cms
from generator.website import pipeline

LOCAL_HOSTS = ("127.0.0.1", "localhost")
ADMIN_HEADER = "X-Congkhai-Editor"
"""Header (value ``1``) the admin page sends with ``POST /admin/api/commit``."""
ADMIN_JS = Path(__file__).parent / "editor_assets" / "congkhai-editor.js"

ADMIN_HTML = """<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Soạn thảo thông tin công khai</title>
<link rel="icon" href="data:,">
<link href="/admin/config.yml" type="text/yaml" rel="cms-config-url">
</head>
<body>
<script src="/admin/decap/decap-cms.js"></script>
<script src="/admin/congkhai-editor.js"></script>
</body>
</html>
"""


def parse_addr(dev_addr: str) -> tuple[str, int]:
    """``HOST:PORT`` -> (host, port); only 127.0.0.1/localhost are accepted."""
    host, sep, port = dev_addr.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise CongkhaiError(f"địa chỉ không hợp lệ: {dev_addr}; viết 127.0.0.1:8000")
    if host not in LOCAL_HOSTS:
        raise CongkhaiError(
            f"congkhai edit chỉ chạy trên máy này (127.0.0.1), không nhận địa chỉ {host}: "
            "trình soạn thảo ghi thẳng vào thư mục dự án và không có đăng nhập"
        )
    return "127.0.0.1", int(port)


def decap_dir(root: Path) -> Path:
    """The ``node_modules`` holding decap-cms and decap-server: ``CONGKHAI_NODE_MODULES``,
    the project's own, or the congkhai source checkout's (``scripts/setup`` runs ``npm ci``)."""
    candidates = [os.environ.get("CONGKHAI_NODE_MODULES", ""), root / "node_modules"]
    candidates.append(Path(__file__).resolve().parents[2] / "node_modules")
    for candidate in candidates:
        found = Path(candidate) if candidate else None
        if (
            found
            and (found / "decap-cms/dist/decap-cms.js").is_file()
            and (found / "decap-server/dist/index.js").is_file()
        ):
            return found
    raise CongkhaiError(
        "chưa cài Decap CMS và decap-server: chạy scripts/setup (npm ci) trong thư mục mã nguồn congkhai, "
        "hoặc đặt biến CONGKHAI_NODE_MODULES là thư mục node_modules có hai gói đó"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def decap_server(root: Path, node_modules: Path, port: int | None = None, origin: str = "") -> Iterator[str]:
    """Run decap-server in ``fs`` mode on 127.0.0.1 against ``root``; yield its API URL."""
    node = shutil.which("node")
    if node is None:
        raise CongkhaiError("không tìm thấy Node.js (lệnh node); cài Node.js rồi chạy lại")
    port = port or free_port()
    node_modules = node_modules.resolve()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "MODE": "fs",
        "GIT_REPO_DIRECTORY": str(root.resolve()),
        "PORT": str(port),
        "BIND_HOST": "127.0.0.1",
        "LOG_LEVEL": "warn",
    }
    if origin:
        env["ORIGIN"] = origin
    process = subprocess.Popen(
        [node, str(node_modules / "decap-server" / "dist" / "index.js")],
        env=env,
        cwd=str(node_modules / "decap-server"),  # its dotenv reads .env from here, not the project
        stdin=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                raise CongkhaiError(f"decap-server dừng ngay khi khởi động (mã {process.returncode})")
            try:
                api(url, "info")
                break
            except CongkhaiError:
                break  # it answers
            except OSError:
                if time.monotonic() > deadline:
                    raise CongkhaiError("decap-server không trả lời sau 20 giây") from None
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def api(url: str, action: str, **params: Any) -> Any:
    """One call of decap-server's API (``{"action", "params"}`` posted as JSON)."""
    body = json.dumps({"action": action, "params": {"branch": "main", **params}}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise CongkhaiError(f"decap-server từ chối {action}: {exc.read().decode(errors='replace')}") from None


def _label(categories: dict[str, Category], common: dict[str, Field], problem: Problem) -> str:
    """The form's label of a problem's field (``sessions[2].date`` -> ``Các buổi tiếp › Ngày``)."""
    parts = [p for p in re.sub(r"\[\d+\]", "", problem.field).split(".") if p]
    match = re.match(r"[^/]+/([^/]+)/", problem.path)
    category = categories.get(match.group(1)) if match else None
    scope = {**common, **(category.fields if category else {})}
    labels = []
    for part in parts:
        spec = scope.get(part)
        if spec is None:
            return ""
        labels.append(spec.label)
        scope = spec.fields
    return " › ".join(labels)


def _problems(settings: Settings, exc: CongkhaiError) -> list[dict[str, Any]]:
    """The problems of ``exc`` as the JSON the admin page shows, each with its field's label."""
    try:
        categories, common = load_categories(settings.disclosures_dir, settings.root), load_common()
    except CongkhaiError:
        categories, common = {}, {}
    return [
        {"path": p.path, "line": p.line, "field": p.field, "label": _label(categories, common, p), "message": p.message}
        for p in exc.problems
    ]


def _message(text: str) -> dict[str, Any]:
    return {"path": "", "line": 0, "field": "", "label": "", "message": text}


def check(settings: Settings) -> dict[str, Any]:
    """What ``congkhai check`` finds, as the JSON the admin page shows."""
    try:
        pipeline.load(settings)
    except CongkhaiError as exc:
        return {"ok": False, "problems": _problems(settings, exc)}
    return {"ok": True, "problems": []}


def commit_json(settings: Settings) -> dict[str, Any]:
    """:func:`commit` (what ``congkhai commit`` does) as the JSON of ``/admin/api/commit``:
    ``{"ok", "problems", "paths", "commit", "subject"}``; ``ok`` false with the problems
    (nothing committed), else the paths committed (empty: nothing changed), the short hash
    and the subject of the new commit."""
    try:
        paths = commit(settings)
    except CongkhaiError as exc:
        return {"ok": False, "problems": _problems(settings, exc), "paths": [], "commit": "", "subject": ""}
    out: dict[str, Any] = {"ok": True, "problems": [], "paths": paths, "commit": "", "subject": ""}
    if paths:
        out["commit"], _, out["subject"] = _git(settings.root, "log", "-1", "--format=%h %s").strip().partition(" ")
    return out


class EditServer:
    """The edit server's state: the project, the generated configuration, the preview."""

    def __init__(self, settings: Settings, node_modules: Path, api_url: str, preview: Callable[[str], Any]):
        self.settings = settings
        self.dist = node_modules / "decap-cms" / "dist"
        self.api_url = api_url
        self.preview = preview
        """``target -> answer`` (``status``, ``content_type``, ``body``, ``location``)."""
        self.lock = threading.Lock()

    def config_text(self) -> str:
        categories = load_categories(self.settings.disclosures_dir, self.settings.root)
        disclosures = self.settings.disclosures_dir.relative_to(self.settings.root).as_posix()
        return cms.config_yaml(cms.cms_config(categories, load_common(), disclosures, local_backend=self.api_url))

    def check(self) -> dict[str, Any]:
        with self.lock:
            return check(self.settings)

    def commit(self) -> dict[str, Any]:
        with self.lock:
            return commit_json(self.settings)


class _Handler(http.server.BaseHTTPRequestHandler):
    server_version = "congkhai-edit"
    state: EditServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the page went away
                self.wfile.write(body)

    def _json(self, status: int, value: dict[str, Any]) -> None:
        self._send(status, json.dumps(value, ensure_ascii=False).encode(), "application/json; charset=utf-8")

    def _from_admin_page(self) -> bool:
        """A state-changing request comes from the admin page of this server: the custom
        header (which a form or a cross-site page cannot send without a preflight this
        server never grants), a local ``Host`` (no DNS rebinding) and, when the browser
        sends one, this server's own ``Origin``."""
        port = self.server.server_address[1]
        hosts = {f"{host}:{port}" for host in LOCAL_HOSTS}
        origin = self.headers.get("Origin")
        return (
            self.headers.get(ADMIN_HEADER) == "1"
            and self.headers.get("Host", "") in hosts
            and (origin is None or origin in {f"http://{host}" for host in hosts})
            and self.headers.get("Sec-Fetch-Site", "same-origin") == "same-origin"
        )

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(min(length, 65536))  # the body (``{}``) carries nothing
        if path != "/admin/api/commit":
            self._send(404, "Không tìm thấy trang.".encode(), "text/plain; charset=utf-8")
            return
        if not self._from_admin_page():
            message = "Từ chối: chỉ nút «Lưu vào kho» trên trang /admin/ của congkhai edit (máy này) được lưu vào kho."
            self._json(403, {"ok": False, "problems": [_message(message)], "paths": [], "commit": "", "subject": ""})
            return
        self._json(200, self.state.commit())

    def _file(self, path: Path) -> None:
        if not path.is_file():
            self._send(404, "Không tìm thấy trang.".encode(), "text/plain; charset=utf-8")
            return
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if kind.startswith("text/") or kind in ("application/javascript", "application/json"):
            kind += "; charset=utf-8"
        self._send(200, path.read_bytes(), kind)

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        state = self.state
        path = unquote(urlsplit(self.path).path)
        if ".." in path.split("/"):
            self._send(400, "Đường dẫn không hợp lệ.".encode(), "text/plain; charset=utf-8")
            return
        try:
            if path in ("/admin", "/admin/", "/admin/index.html"):
                if path == "/admin":
                    self.send_response(301)
                    self.send_header("Location", "/admin/")
                    self.end_headers()
                    return
                self._send(200, ADMIN_HTML.encode(), "text/html; charset=utf-8")
            elif path == "/admin/config.yml":
                self._send(200, state.config_text().encode(), "text/yaml; charset=utf-8")
            elif path == "/admin/congkhai-editor.js":
                self._file(ADMIN_JS)
            elif path.startswith("/admin/decap/"):
                self._file(state.dist / path.removeprefix("/admin/decap/"))
            elif path == "/admin/api/check":
                self._json(200, state.check())
            elif path == "/admin/api/commit":
                self.send_response(405)
                self.send_header("Allow", "POST")
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self._preview(path)
        except CongkhaiError as exc:
            self._send(500, str(exc).encode(), "text/plain; charset=utf-8")

    def _preview(self, path: str) -> None:
        answer = self.state.preview(self.path)
        if answer.location:
            self.send_response(answer.status)
            self.send_header("Location", answer.location)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._send(answer.status, answer.body, answer.content_type)


def make_server(state: EditServer, host: str, port: int) -> http.server.ThreadingHTTPServer:
    """The edit server bound to ``host:port`` (127.0.0.1); call ``serve_forever``."""
    handler = type("Handler", (_Handler,), {"state": state})
    try:
        server = http.server.ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        raise CongkhaiError(
            f"không mở được cổng {host}:{port} ({exc.strerror}); dùng --dev-addr 127.0.0.1:<cổng khác>"
        ) from None
    server.daemon_threads = True
    return server


def _git(root: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    if result.returncode != 0:
        raise CongkhaiError(f"git {args[0]} không chạy được: {result.stderr.strip() or result.stdout.strip()}")
    return result.stdout


def commit(settings: Settings) -> list[str]:
    """Check every record like ``congkhai check``; when all pass, commit the changed files
    of ``disclosures/`` (added, changed, deleted) with a message naming the records.
    Returns the paths committed (empty: nothing to commit). Raises the problems otherwise."""
    root = settings.root
    folder = settings.disclosures_dir.relative_to(root).as_posix()
    if subprocess.run(["git", "rev-parse", "--git-dir"], cwd=root, capture_output=True).returncode != 0:
        raise CongkhaiError(
            f"thư mục dự án {root.name} chưa là kho git: chạy git init (hoặc git clone kho của cơ quan) trước"
        )
    pipeline.load(settings)  # raises CongkhaiError listing every problem: nothing is committed
    status = _git(root, "status", "--porcelain", "-z", "--no-renames", "--untracked-files=all", "--", folder)
    paths = sorted({entry[3:] for entry in status.split("\0") if len(entry) > 3})
    if not paths:
        return []
    _git(root, "add", "--all", "--", folder)
    records = [p for p in paths if p.endswith((".yml", ".yaml", ".md")) and not p.endswith("_category.yml")]
    names = records or paths
    subject = f"Cập nhật thông tin công khai: {', '.join(Path(p).stem for p in names[:3])}"
    if len(names) > 3:
        subject += f" và {len(names) - 3} bản ghi khác"
    message = subject + "\n\nCác tệp thay đổi (đã qua congkhai check):\n" + "".join(f"- {p}\n" for p in paths)
    _git(root, "commit", "--quiet", "-m", message, "--", folder)
    return paths
