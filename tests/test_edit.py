"""``congkhai edit``, ``commit`` and ``cms-config`` (SPEC §8): the Decap CMS configuration
generated from the category data (compared with ``tests/snapshots/cms-config*.yml``; refresh
with ``CONGKHAI_UPDATE_SNAPSHOTS=1 python3 -m pytest tests/test_edit.py``), the real
decap-server in ``fs`` mode on 127.0.0.1 writing records that ``check`` accepts, the edit
server's check endpoint, and the admin page in Debian's Chromium with no request leaving
127.0.0.1.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import threading
import urllib.request
from pathlib import Path

import pytest
import yaml

from generator import cms, editor
from generator.categories import load_categories, load_common
from generator.cli import _build_site, _settings
from tests.conftest import REPO, run_cli

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
NODE_MODULES = REPO / "node_modules"

# What Decap writes for a reception schedule: its YAML serializer leaves `07:30`, `2026-05`,
# `no` and `on` unquoted (YAML 1.1 would read a number, a date and two booleans).
SCHEDULE = """\
title: Thông báo lịch tiếp công dân tháng 5/2026
kind: lich
month: 2026-05
sessions:
  - date: 2026-05-15
    start: 07:30
    end: 11:00
    place: on
    host: Trưởng ban
summary: no
document:
  number: 45/TB-BQLKKT
  date: 2026-05-05
attachments:
  - file: lich-thang-5.pdf
    title: Bản chụp thông báo
    kind: quyet-dinh
"""
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _snapshot(name: str, text: str) -> None:
    if os.environ.get("CONGKHAI_UPDATE_SNAPSHOTS"):
        (SNAPSHOTS / name).write_text(text, encoding="utf-8")
    assert text == (SNAPSHOTS / name).read_text("utf-8")


def _shipped():
    return load_categories(Path("/nonexistent"), REPO), load_common()


def test_config_snapshot_local_backend():
    categories, common = _shipped()
    config = cms.cms_config(categories, common, local_backend="http://127.0.0.1:8081/api/v1")
    _snapshot("cms-config.yml", cms.config_yaml(config))
    assert config["locale"] == "vi" and config["slug"]["encoding"] == "ascii" and config["slug"]["clean_accents"]
    lich = next(c for c in config["collections"] if c["name"] == "tiep-cong-dan--lich")
    assert lich["folder"] == "disclosures/tiep-cong-dan" and lich["path"] == "{{year}}/{{slug}}"
    assert (
        lich["extension"] == "yml" and lich["format"] == "yaml" and lich["filter"] == {"field": "kind", "value": "lich"}
    )
    fields = {f["name"]: f for f in lich["fields"]}
    assert fields["kind"] == {"name": "kind", "label": "Loại", "widget": "hidden", "default": "lich"}
    sessions = {f["name"]: f for f in fields["sessions"]["fields"]}
    assert sessions["date"]["widget"] == "datetime" and sessions["date"]["date_format"] == "YYYY-MM-DD"
    assert sessions["date"]["time_format"] is False
    assert sessions["start"]["widget"] == "string" and sessions["start"]["pattern"][0].startswith("^([01]")
    assert "session_date" not in fields  # minutes only
    attachment = {f["name"]: f for f in fields["attachments"]["fields"]}
    assert attachment["file"]["widget"] == "file" and attachment["file"]["media_folder"] == ""
    assert attachment["kind"]["widget"] == "select"
    assert fields["withdrawn"]["required"] is False
    assert all(f["required"] is False for f in fields["withdrawn"]["fields"])  # optional map
    minutes = {
        f["name"]: f for f in next(c for c in config["collections"] if c["name"] == "tiep-cong-dan--bien-ban")["fields"]
    }
    assert minutes["visitors"]["widget"] == "number" and minutes["no_visitors"]["widget"] == "boolean"


@pytest.mark.parametrize("backend", ["gitea", "gitlab"])
def test_config_snapshot_git_server(backend):
    categories, common = _shipped()
    config = cms.cms_config(
        categories, common, backend=backend, repo="van-phong/cong-khai", base_url="https://git.example.gov.vn/"
    )
    _snapshot(f"cms-config-{backend}.yml", cms.config_yaml(config))
    assert "local_backend" not in config
    assert config["backend"]["repo"] == "van-phong/cong-khai"
    assert config["collections"] == cms.collections(categories, common, "disclosures")


@pytest.fixture
def project(tmp_path) -> Path:
    root = tmp_path / "office"
    result = run_cli(root, "init", str(root), "--agency", "Sở Tài chính tỉnh An Giang")
    assert result.exit_code == 0, result.output
    return root


def test_cms_config_command(project):
    out = project / "config.yml"
    args = ["cms-config", "--backend", "forgejo", "--repo", "so/cong-khai", "--base-url", "https://git.so.vn"]
    result = run_cli(project, *args, "--out", str(out))
    assert result.exit_code == 0, result.output
    config = yaml.safe_load(out.read_text("utf-8"))
    assert config["backend"] == {
        "name": "gitea",
        "repo": "so/cong-khai",
        "branch": "main",
        "base_url": "https://git.so.vn",
        "api_root": "https://git.so.vn/api/v1",
    }
    result = run_cli(project, "cms-config", "--backend", "gitea", "--repo", "x", "--base-url", "https://g.vn")
    assert result.exit_code == 2 and "chủ-sở-hữu/tên" in result.output


def test_edit_refuses_another_host(project):
    result = run_cli(project, "edit", "--dev-addr", "0.0.0.0:8000")
    assert result.exit_code == 1
    assert "chỉ chạy trên máy này (127.0.0.1)" in result.output
    assert "Traceback" not in result.output


def test_decap_server_writes_a_record_that_check_accepts(project):
    """decap-server (fs mode, 127.0.0.1) persists an entry and its PDF as Decap does; the
    record reads back with every value as the same text and passes ``check``."""
    with editor.decap_server(project, NODE_MODULES) as api:
        assert api.startswith("http://127.0.0.1:")
        info = editor.api(api, "info")
        assert info["type"] == "local_fs"
        path = "disclosures/tiep-cong-dan/2026/lich-thang-5.yml"
        editor.api(
            api,
            "persistEntry",
            entry={"slug": "lich-thang-5", "path": path, "raw": SCHEDULE},
            assets=[
                {
                    "path": "disclosures/tiep-cong-dan/2026/lich-thang-5.pdf",
                    "content": base64.b64encode(PDF).decode(),
                    "encoding": "base64",
                }
            ],
            options={"commitMessage": "x", "useWorkflow": False, "status": "draft"},
        )
        entries = editor.api(api, "entriesByFolder", folder="disclosures/tiep-cong-dan", extension="yml", depth=2)
        assert [e["file"]["path"] for e in entries] == [path]
    assert (project / path).read_text("utf-8") == SCHEDULE
    assert (project / "disclosures/tiep-cong-dan/2026/lich-thang-5.pdf").read_bytes() == PDF
    result = run_cli(project, "check")
    assert result.exit_code == 0, result.output
    assert editor.check(_settings(str(project / "mkdocs.yml"))) == {"ok": True, "problems": []}


def test_check_names_the_field_in_vietnamese(project):
    bad = SCHEDULE.replace("date: 2026-05-15", "date: 2026-05-45").replace("attachments:", "x_attachments:")
    record = project / "disclosures/tiep-cong-dan/2026/lich.yml"
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(bad.split("x_attachments:")[0], encoding="utf-8")
    result = editor.check(_settings(str(project / "mkdocs.yml")))
    assert not result["ok"]
    [problem] = result["problems"]
    assert problem["path"] == "disclosures/tiep-cong-dan/2026/lich.yml"
    assert problem["field"] == "sessions[1].date" and problem["label"] == "Các buổi tiếp › Ngày"
    assert "2026-05-45" in problem["message"]


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


def test_commit_checks_first_and_names_the_records(project):
    _git(project, "init", "-q", "-b", "main")
    _git(project, "config", "user.email", "van-thu@example.gov.vn")
    _git(project, "config", "user.name", "Văn thư")
    _git(project, "add", "-A")
    _git(project, "commit", "-qm", "init")
    record = project / "disclosures/tiep-cong-dan/2026/lich-thang-5.yml"
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(SCHEDULE.split("attachments:")[0].replace("2026-05-15", "2026-06-15"), encoding="utf-8")
    result = run_cli(project, "commit")
    assert result.exit_code == 1 and "không thuộc tháng 05/2026" in result.output
    assert _git(project, "log", "--oneline").count("\n") == 1  # nothing committed
    record.write_text(SCHEDULE.split("attachments:")[0], encoding="utf-8")
    result = run_cli(project, "commit")
    assert result.exit_code == 0, result.output
    message = _git(project, "log", "-1", "--format=%B")
    assert message.startswith("Cập nhật thông tin công khai: lich-thang-5")
    assert "disclosures/tiep-cong-dan/2026/lich-thang-5.yml" in message
    assert run_cli(project, "commit").output.startswith("Không có bản ghi nào thay đổi")


@pytest.fixture
def edit_server(project):
    """The real edit server (preview built by MkDocs) and decap-server, on 127.0.0.1."""
    config_file = str(project / "mkdocs.yml")
    settings = _settings(config_file)
    port = editor.free_port()
    origin = f"http://127.0.0.1:{port}"
    with editor.decap_server(project, NODE_MODULES, origin=origin) as api:
        state = editor.EditServer(
            settings, NODE_MODULES, api, project / ".preview", lambda out: _build_site(config_file, out)
        )
        server = editor.make_server(state, "127.0.0.1", port)
        state.rebuild()
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield origin, api, project
        finally:
            server.shutdown()
            server.server_close()


def test_admin_page_in_chromium_shows_problems_after_a_save(edit_server, chromium):
    from tests.browser import open_page

    origin, api, _project = edit_server
    with urllib.request.urlopen(origin + "/admin/config.yml") as response:
        config = yaml.safe_load(response.read())
    assert config["local_backend"] == {"url": api}
    with urllib.request.urlopen(origin + "/") as response:
        assert "Sở Tài chính tỉnh An Giang" in response.read().decode()
    page, visit = open_page(chromium)
    try:
        page.goto(origin + "/admin/")
        page.get_by_role("button", name="Đăng nhập").click()  # the local backend's login: no account
        page.get_by_text("Thông báo lịch tiếp công dân", exact=False).first.wait_for(timeout=30000)
        page.locator("#congkhai-check").get_by_text("không có lỗi").wait_for(timeout=15000)
        # a bad date saved (here through decap-server's API, as the CMS would): the banner
        # names the record, the field's label and the problem, in Vietnamese
        bad = SCHEDULE.split("attachments:")[0].replace("2026-05-15", "2026-05-45")
        path = "disclosures/tiep-cong-dan/2026/lich-thang-5.yml"
        editor.api(
            api,
            "persistEntry",
            entry={"slug": "x", "path": path, "raw": bad},
            assets=[],
            options={"commitMessage": "x", "useWorkflow": False, "status": "draft"},
        )
        page.evaluate("window.congkhaiCheck()")
        banner = page.locator("#congkhai-check")
        banner.get_by_text("Các buổi tiếp › Ngày").wait_for(timeout=15000)
        text = banner.inner_text()
        assert "Có 1 lỗi cần sửa" in text and path in text and "2026-05-45" in text
    finally:
        page.context.close()
    assert visit.hosts <= {"127.0.0.1"}, visit.hosts
    result = json.loads(urllib.request.urlopen(origin + "/admin/api/check").read())
    assert result["ok"] is False
