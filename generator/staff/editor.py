"""``congkhai edit``: the browser form editor for staff, on 127.0.0.1 only.

One HTTP server (standard library) on the address given (default ``127.0.0.1:8000``):

- ``/admin/``: Decap CMS (``node_modules/decap-cms/dist``, pinned in ``package.json``, never
  a CDN) with the configuration of :mod:`generator.staff.cms` (``/admin/config.yml``) and
  ``congkhai-editor.js``, which asks ``/admin/api/check`` after every save and shows each
  problem, in Vietnamese with the field's label, in a banner;
- ``/admin/api/check``: runs the same load and checks as ``congkhai check``; the answer is
  ``{"ok": bool, "problems": [...], "warnings": [...]}``, each ``{"path", "line", "field",
  "label", "message", "collection", "entry"}`` (the last two: where the form of that record
  is, for the banner's links); the warnings are those ``congkhai check`` prints;
- ``/admin/api/page?collection=C&entry=E``: ``{"url": "/<category>/<id>/", "published"}``,
  the real page of the record being edited in the preview (empty when it has none: new, or
  internal), and whether the log names it (the page then hides Decap's delete button);
- ``POST /api/v1``: Decap's local backend, proxied to decap-server: a save
  (``persistEntry``) is merged into the file on disk (:mod:`generator.staff.roundtrip`: one
  field edited changes only its lines), and deleting a published record (one the
  publication log names) is refused with a Vietnamese message: it is withdrawn, never
  deleted;
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
from urllib.parse import parse_qs, unquote, urlsplit

import yaml

from generator.core.config import Settings
from generator.core.errors import CongkhaiError, Problem
from generator.ledger.checkpoints import store_dir
from generator.ledger.log import read_log
from generator.records.categories import Category
from generator.records.category_file import load_categories, load_common
from generator.records.fields import Field
from generator.staff import cms, roundtrip
from generator.website import pipeline
from generator.website.cautions import cautions

LOCAL_HOSTS = ("127.0.0.1", "localhost")
ADMIN_HEADER = "X-Congkhai-Editor"
"""Header (value ``1``) the admin page sends with ``POST /admin/api/commit``."""
ADMIN_JS = Path(__file__).parent / "editor_assets" / "congkhai-editor.js"
PROXY_PATH = "/api/v1"
"""Where the admin page finds Decap's local backend: this server, which passes it on to decap-server."""
MAX_BACKEND_BODY = 200 * 1024 * 1024
"""The largest request passed on to decap-server (an attachment travels in base64)."""

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


def _form_of(settings: Settings, categories: dict[str, Category], relpath: str) -> tuple[str, str]:
    """(collection, entry) of the form editing the record at ``relpath``: the collection is
    ``<category>`` or ``<category>--<kind>`` (see :mod:`generator.staff.cms`), the entry the
    path below the category folder without extension; ("", "") when there is none."""
    disclosures = settings.disclosures_dir.relative_to(settings.root).as_posix()
    match = re.match(re.escape(disclosures) + r"/([^/]+)/(.+)\.ya?ml$", relpath)
    category = categories.get(match.group(1)) if match else None
    if match is None or category is None:
        return "", ""
    collection = category.slug
    if category.kinds:
        kind = _read_key(settings.root / relpath, "kind")
        if kind not in category.kinds:
            return "", ""
        collection += f"--{kind}"
    return collection, match.group(2)


def _read_key(path: Path, key: str) -> str:
    """A top-level text value of a YAML record (empty when unreadable or missing)."""
    try:
        data = yaml.load(path.read_text("utf-8"), Loader=yaml.BaseLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return ""
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, str) else ""


def _problems(settings: Settings, problems: list[Problem]) -> list[dict[str, Any]]:
    """``problems`` as the JSON the admin page shows, each with its field's label and form."""
    try:
        categories, common = load_categories(settings.disclosures_dir, settings.root), load_common()
    except CongkhaiError:
        categories, common = {}, {}
    out = []
    for p in problems:
        collection, entry = _form_of(settings, categories, p.path) if p.path else ("", "")
        label = _label(categories, common, p)
        item = {"path": p.path, "line": p.line, "field": p.field, "label": label, "message": p.message}
        out.append({**item, "collection": collection, "entry": entry})
    return out


def _message(text: str) -> dict[str, Any]:
    return {"path": "", "line": 0, "field": "", "label": "", "message": text, "collection": "", "entry": ""}


def check(settings: Settings) -> dict[str, Any]:
    """What ``congkhai check`` finds (problems, and the warnings it prints), as the JSON the
    admin page shows."""
    try:
        site = pipeline.load(settings)
    except CongkhaiError as exc:
        return {"ok": False, "problems": _problems(settings, exc.problems), "warnings": []}
    return {"ok": True, "problems": [], "warnings": _problems(settings, cautions(site))}


def page_url(settings: Settings, collection: str, entry: str) -> str:
    """The preview's URL (``/<category>/<id>/``) of the record a form edits, or "" when the
    record has no page (not saved yet, internal)."""
    category = collection.split("--")[0]
    if not re.fullmatch(r"[a-z0-9-]+", category) or not re.fullmatch(r"[\w./-]+", entry) or ".." in entry:
        return ""
    path = settings.disclosures_dir / category / f"{entry}.yml"
    if not path.is_file() or _read_key(path, "visibility") == "internal":
        return ""
    return f"/{category}/{_read_key(path, 'id') or entry}/"


def page_json(settings: Settings, collection: str, entry: str) -> dict[str, Any]:
    """``/admin/api/page``: ``{"url", "published"}`` of the record a form edits."""
    url = page_url(settings, collection, entry)
    category = collection.split("--")[0]
    relpath = f"{settings.disclosures_dir.relative_to(settings.root).as_posix()}/{category}/{entry}.yml"
    key = record_key(settings, relpath) if url else ""
    return {"url": url, "published": bool(key) and key in published_keys(settings)}


def published_keys(settings: Settings) -> set[str]:
    """``<category>/<id>`` of every record the publication log names."""
    try:
        return {str(event.get("id")) for event in read_log(settings.log_path).events}
    except CongkhaiError:
        return set()


def record_key(settings: Settings, relpath: str) -> str:
    """``<category>/<id>`` of the record file at ``relpath`` (its ``id``, or its path below
    the category folder without extension); "" when ``relpath`` is not a record."""
    disclosures = settings.disclosures_dir.relative_to(settings.root).as_posix()
    match = re.match(re.escape(disclosures) + r"/([^/]+)/(.+)\.(ya?ml|md)$", relpath.lstrip("/"))
    if match is None:
        return ""
    path = settings.root / relpath.lstrip("/")
    own = _read_key(path, "id") if match.group(3) != "md" else ""
    return f"{match.group(1)}/{own or match.group(2)}"


PUBLISHED_DELETE = (
    "Bản ghi đã công bố không xoá được ({key}): nhật ký công khai đã ghi nó và đường dẫn của nó không được mất. "
    "Hãy thu hồi: mở bản ghi, điền mục «Thu hồi» (withdrawn: ngày và lý do), bấm Lưu, rồi chạy congkhai publish."
)


def refuse_delete(settings: Settings, paths: list[str]) -> str:
    """The message refusing to delete ``paths`` when one of them is a published record, else ""."""
    published = published_keys(settings)
    for path in paths:
        key = record_key(settings, path)
        if key and key in published:
            return PUBLISHED_DELETE.format(key=key)
    return ""


def merge_saves(settings: Settings, params: dict[str, Any]) -> dict[str, Any]:
    """``persistEntry``'s parameters with each YAML file's text merged into the file on disk
    (:func:`generator.staff.roundtrip.merge`), or normalised when the file is new."""
    files = params.get("dataFiles") or ([params["entry"]] if isinstance(params.get("entry"), dict) else [])
    root = settings.root.resolve()
    for item in files:
        raw, path = item.get("raw"), item.get("path")
        if not isinstance(raw, str) or not isinstance(path, str) or not path.endswith((".yml", ".yaml")):
            continue
        target = (root / path).resolve()
        if not target.is_relative_to(root):
            continue
        try:
            old = target.read_text("utf-8") if target.is_file() else None
        except (OSError, UnicodeDecodeError):
            old = None
        item["raw"] = roundtrip.merge(old, raw) if old is not None else roundtrip.normalise(raw)
    return params


def commit_json(settings: Settings) -> dict[str, Any]:
    """:func:`commit` (what ``congkhai commit`` does) as the JSON of ``/admin/api/commit``:
    ``{"ok", "problems", "paths", "commit", "subject"}``; ``ok`` false with the problems
    (nothing committed), else the paths committed (empty: nothing changed), the short hash
    and the subject of the new commit."""
    try:
        paths = commit(settings)
    except CongkhaiError as exc:
        return {"ok": False, "problems": _problems(settings, exc.problems), "paths": [], "commit": "", "subject": ""}
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

    def config_text(self, origin: str) -> str:
        """``config.yml`` for the admin page opened at ``origin`` (``http://127.0.0.1:PORT``)."""
        categories = load_categories(self.settings.disclosures_dir, self.settings.root)
        disclosures = self.settings.disclosures_dir.relative_to(self.settings.root).as_posix()
        # Decap's backend goes through this server (``/api/v1``), never straight to decap-server
        return cms.config_yaml(
            cms.cms_config(categories, load_common(), disclosures, local_backend=origin + PROXY_PATH)
        )

    def check(self) -> dict[str, Any]:
        with self.lock:
            return check(self.settings)

    def commit(self) -> dict[str, Any]:
        with self.lock:
            return commit_json(self.settings)

    def backend(self, body: bytes) -> tuple[int, bytes]:
        """One call of Decap's backend, refused (deleting a published record) or passed to
        decap-server (a save merged into the file on disk first); (status, JSON answer)."""
        try:
            call = json.loads(body)
            action, params = call["action"], call.get("params") or {}
        except (ValueError, KeyError, TypeError):
            return 400, json.dumps({"error": "Yêu cầu không hợp lệ."}, ensure_ascii=False).encode()
        with self.lock:
            if action in ("deleteFile", "deleteFiles"):
                paths = params.get("paths") if action == "deleteFiles" else [params.get("path")]
                refused = refuse_delete(self.settings, [p for p in paths or [] if isinstance(p, str)])
                if refused:
                    return 409, json.dumps({"error": refused}, ensure_ascii=False).encode()
            elif action == "persistEntry" and isinstance(params, dict):
                call["params"] = merge_saves(self.settings, params)
                body = json.dumps(call, ensure_ascii=False).encode()
            request = urllib.request.Request(self.api_url, body, {"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=120) as response:
                    return response.status, response.read()
            except urllib.error.HTTPError as exc:
                return exc.code, exc.read()
            except OSError as exc:
                message = f"decap-server không trả lời ({exc}); hãy dừng congkhai edit (Ctrl+C) và chạy lại"
                return 502, json.dumps({"error": message}, ensure_ascii=False).encode()


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

    def _backend_allowed(self) -> bool:
        """Decap's backend calls come from the admin page: JSON (a cross-site form cannot
        send it without a preflight), a local ``Host``, this server's ``Origin`` if sent."""
        port = self.server.server_address[1]
        hosts = {f"{host}:{port}" for host in LOCAL_HOSTS}
        origin = self.headers.get("Origin")
        return (
            self.headers.get("Content-Type", "").split(";")[0].strip() == "application/json"
            and self.headers.get("Host", "") in hosts
            and (origin is None or origin in {f"http://{host}" for host in hosts})
            and self.headers.get("Sec-Fetch-Site", "same-origin") == "same-origin"
        )

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        length = int(self.headers.get("Content-Length") or 0)
        if path == PROXY_PATH:
            if not self._backend_allowed() or length > MAX_BACKEND_BODY:
                refused = {"error": "Từ chối: chỉ trang /admin/ của congkhai edit trên máy này được ghi."}
                self._json(403, refused)
                return
            status, answer = self.state.backend(self.rfile.read(length))
            self._send(status, answer, "application/json; charset=utf-8")
            return
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
                port = self.server.server_address[1]
                host = self.headers.get("Host", "")
                host = host if host in {f"{h}:{port}" for h in LOCAL_HOSTS} else f"127.0.0.1:{port}"
                self._send(200, state.config_text(f"http://{host}").encode(), "text/yaml; charset=utf-8")
            elif path == "/admin/congkhai-editor.js":
                self._file(ADMIN_JS)
            elif path.startswith("/admin/decap/"):
                self._file(state.dist / path.removeprefix("/admin/decap/"))
            elif path == "/admin/api/check":
                self._json(200, state.check())
            elif path == "/admin/api/page":
                query = parse_qs(urlsplit(self.path).query)
                collection, entry = query.get("collection", [""])[0], query.get("entry", [""])[0]
                self._json(200, page_json(state.settings, collection, entry))
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


def _git(root: Path, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, input=stdin)
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
    _git(root, "commit", "--quiet", "--file=-", "--", folder, stdin=message)
    return paths


def commit_publication(settings: Settings, events: list[dict[str, Any]]) -> tuple[str, list[str]]:
    """After ``congkhai publish`` in a git repository: commit what it wrote, and only that
    (the publication log, and beside it the checkpoints, timestamp tokens, cosignatures and
    anchors of ``<log>.checkpoints/``), with a Vietnamese message naming the new events.
    Returns (short hash, paths); ("", []) outside git or when nothing changed. Raises
    :class:`CongkhaiError` when git refuses (the publication itself stands)."""
    root = settings.root
    if subprocess.run(["git", "rev-parse", "--git-dir"], cwd=root, capture_output=True).returncode != 0:
        return "", []
    wanted = [settings.log_path, store_dir(settings.log_path)]
    names = [path.relative_to(root).as_posix() for path in wanted if path.exists()]
    if not names:
        return "", []
    status = _git(root, "status", "--porcelain", "-z", "--no-renames", "--untracked-files=all", "--", *names)
    paths = sorted({entry[3:] for entry in status.split("\0") if len(entry) > 3})
    if not paths:
        return "", []
    _git(root, "add", "--all", "--", *names)
    if events:
        subject = f"Công bố: {len(events)} sự kiện mới trong nhật ký công khai (đến seq {events[-1]['seq']})"
        lines = "".join(f"- seq {e['seq']} {e['event']} v{e['version']} {e['id']}\n" for e in events)
    else:
        subject = "Công bố: dấu thời gian và chữ ký xác nhận của nhật ký công khai"
        lines = ""
    message = subject + "\n\n" + lines + "\nCác tệp do congkhai publish ghi:\n" + "".join(f"- {p}\n" for p in paths)
    # the message on standard input: a first publish of thousands of events lists them all,
    # longer than one command-line argument may be
    _git(root, "commit", "--quiet", "--file=-", "--", *names, stdin=message)
    return _git(root, "log", "-1", "--format=%h").strip(), paths
