"""``congkhai edit``, ``commit`` and ``cms-config`` (SPEC §8): the Decap CMS configuration
generated from the category data (compared with ``tests/snapshots/cms-config*.yml``; refresh
with ``CONGKHAI_UPDATE_SNAPSHOTS=1 python3 -m pytest tests/test_edit.py``), the real
decap-server in ``fs`` mode on 127.0.0.1 writing records that ``check`` accepts, the edit
server's check and commit endpoints, and the admin page in Debian's Chromium with no request
leaving 127.0.0.1: the real Decap forms (locale ``vi``) create a reception schedule with two
sessions and a PDF, edit a set of minutes, show a bad date's problem in Vietnamese and commit
from the page.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import yaml

from generator.cli import _settings
from generator.mkdocs_plugin import preview
from generator.records.category_file import load_categories, load_common
from generator.staff import cms, editor
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
    assert fields["sessions"]["summary"] == "Ngày: {{fields.date}}"  # a folded item's title
    sessions = {f["name"]: f for f in fields["sessions"]["fields"]}
    assert sessions["date"]["widget"] == "ck-date" and sessions["start"]["widget"] == "ck-time"
    assert fields["month"]["widget"] == "ck-month" and "7h30" in sessions["start"]["hint"]
    assert 'viết "07:30"' not in sessions["start"]["hint"] and fields["sessions"]["collapsed"] is False
    assert fields["sessions"]["default"] == [{}]  # a new schedule opens with its first session to fill in
    assert lich["summary"] == "{{title}} · {{fields.month}} · {{filename}}"
    assert lich["sortable_fields"] == ["title", "month"]
    assert "session_date" not in fields  # minutes only
    attachment = {f["name"]: f for f in fields["attachments"]["fields"]}
    assert attachment["file"]["widget"] == "file" and attachment["file"]["media_folder"] == ""
    assert attachment["kind"]["widget"] == "select"
    # a new attachment starts as the document the inspector expects (the signed scan), and a
    # new record starts with no attachment (not one whose file is missing)
    assert attachment["kind"]["default"] == "van-ban-goc" and fields["attachments"]["default"] == []
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
    assert editor.check(_settings(str(project / "mkdocs.yml")))["ok"] is True


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


def test_a_first_publish_of_thousands_of_events_is_committed(project):
    """The publish commit lists every new event: at 5,000 records its message is far longer
    than one command-line argument may be (128 KiB on Linux); git reads it from its input."""
    _git(project, "init", "-q", "-b", "main")
    _git(project, "config", "user.email", "van-thu@example.gov.vn")
    _git(project, "config", "user.name", "Văn thư")
    _git(project, "add", "-A")
    _git(project, "commit", "-qm", "init")
    settings = _settings(str(project / "mkdocs.yml"))
    settings.log_path.write_text("{}\n", encoding="utf-8")
    events = [
        {"seq": n, "event": "published", "version": 1, "id": f"tiep-cong-dan/2026/ban-ghi-co-ten-rat-dai-so-{n:05d}"}
        for n in range(1, 5001)
    ]
    short, paths = editor.commit_publication(settings, events)
    assert short and paths == [settings.log_path.relative_to(project).as_posix()]
    message = _git(project, "log", "-1", "--format=%B")
    assert len(message.encode()) > 128 * 1024
    assert message.startswith("Công bố: 5000 sự kiện mới trong nhật ký công khai (đến seq 5000)")
    assert "- seq 5000 published v1 tiep-cong-dan/2026/ban-ghi-co-ten-rat-dai-so-05000" in message


@pytest.fixture
def edit_server(project):
    """The real edit server (with the live preview of congkhai serve) and decap-server, on 127.0.0.1."""
    config_file = str(project / "mkdocs.yml")
    settings = _settings(config_file)
    port = editor.free_port()
    origin = f"http://127.0.0.1:{port}"
    with editor.decap_server(project, NODE_MODULES, origin=origin) as api:
        live = preview.Preview(config_file, project.parent / "preview-scratch")
        state = editor.EditServer(settings, NODE_MODULES, api, live.answer)
        server = editor.make_server(state, "127.0.0.1", port)
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
    assert config["local_backend"] == {"url": origin + "/api/v1"}  # through the edit server
    with urllib.request.urlopen(origin + "/") as response:
        assert "Sở Tài chính tỉnh An Giang" in response.read().decode()
    page, visit = open_page(chromium)
    try:
        page.goto(origin + "/admin/")
        # the local backend's login (no account, one button) is pressed by the page itself
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


# --- the real Decap forms in Chromium ------------------------------------------------------

SCHEDULE_TITLE = "Thông báo lịch tiếp công dân tháng 6/2026"
SCHEDULE_PDF = "thong-bao-lich-thang-6.pdf"
MINUTES = "disclosures/tiep-cong-dan/2026/bien-ban-thang-05.yml"


def _field(scope, label: str):
    """The form control of a field by its label (an optional field's label ends with
    "(không bắt buộc)")."""
    return scope.get_by_label(re.compile("^" + re.escape(label) + r"( \(không bắt buộc\))?$"))


def _record_requests(page) -> list[str]:
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    return urls


def _assert_local(urls: list[str], api: str) -> None:
    """Every request went to 127.0.0.1 (or localhost), decap-server's API among them (a
    ``blob:`` URL, Decap's view of a file just chosen, belongs to the page's origin)."""
    assert urls
    outside = [u for u in urls if urlsplit(u.removeprefix("blob:")).hostname not in editor.LOCAL_HOSTS]
    assert outside == [], outside
    assert any(u.startswith(api) for u in urls), "decap-server was never asked"


def _login(page, origin: str, route: str) -> None:
    page.goto(f"{origin}/admin/#/{route}")
    # the local backend's login (no account, one button) is pressed by the page itself


def _publish(page) -> dict:
    """Decap's save, called "Lưu" > "Lưu ngay" here (local backend, no editorial workflow);
    returns the answer of the check the page asks for after the save."""
    page.get_by_role("button", name="Lưu", exact=True).click()
    with page.expect_response(lambda r: r.url.endswith("/admin/api/check"), timeout=30000) as response:
        page.get_by_role("menuitem", name="Lưu ngay").click()
    return response.value.json()


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def _read(path: Path) -> dict:
    """A record as congkhai reads it: every scalar as text."""
    return yaml.load(path.read_text("utf-8"), Loader=yaml.BaseLoader)


def test_form_creates_a_schedule_with_two_sessions_and_a_pdf(edit_server, chromium, tmp_path):
    """A clerk fills the schedule form: two sessions, a PDF chosen with the file widget; a
    month in the wrong form is refused by the form itself, a session date outside the month
    is saved and named in Vietnamese in the banner, fixed and saved again. The files on disk
    pass ``congkhai check`` (the CLI), the PDF sits next to the record under its bare name,
    the preview shows the new page, and nothing left 127.0.0.1."""
    from tests.browser import open_page

    origin, _api, project = edit_server
    pdf = tmp_path / SCHEDULE_PDF
    pdf.write_bytes(PDF)
    folder = project / "disclosures/tiep-cong-dan"
    page, visit = open_page(chromium)
    urls = _record_requests(page)
    banner = page.locator("#congkhai-check")
    try:
        _login(page, origin, "collections/tiep-cong-dan--lich/new")
        _field(page, "Tiêu đề").fill(SCHEDULE_TITLE)
        _field(page, "Tháng").fill("6/2026x")
        page.get_by_role("button", name="Lưu", exact=True).click()
        page.get_by_role("menuitem", name="Lưu ngay").click()
        page.get_by_text("không phải một tháng", exact=False).wait_for()  # the form refuses to save, in Vietnamese
        assert list(folder.rglob("*.yml")) == []
        month = _field(page, "Tháng")
        month.clear()  # Decap's text input keeps its old value through a single fill
        month.fill("2026-06")
        sessions = page.locator("[id^=sessions-field-]")
        for n, (date, start, end) in enumerate([("2026-06-15", "07:30", "11:00"), ("2026-07-02", "13:30", "17:00")]):
            if n:  # the first session is already in the new form
                page.get_by_role("button", name="Thêm các buổi tiếp").click()
            _field(sessions, "Ngày").last.fill(date)  # the second: not in June, which check reports
            _field(sessions, "Bắt đầu").last.fill(start)
            _field(sessions, "Kết thúc").last.fill(end)
            _field(sessions, "Địa điểm").last.fill("Phòng tiếp công dân")
            _field(sessions, "Người chủ trì").last.fill("Trưởng ban")
        _field(page, "Số ký hiệu").fill("46/TB-BQLKKT")
        _field(page, "Ngày ban hành").fill("2026-06-05")
        page.get_by_role("button", name="Thêm tệp đính kèm").click()
        page.get_by_role("button", name="Chọn một tập tin").click()
        dialog = page.get_by_role("dialog")
        dialog.locator("input[type=file]").set_input_files(pdf)
        dialog.get_by_text(SCHEDULE_PDF).wait_for()  # uploaded and selected
        dialog.get_by_role("button", name="Lấy những cái đã chọn").click()
        attachments = page.locator("[id^=attachments-field-]")
        attachments.get_by_role("button", name="Chọn tập tin khác").wait_for()
        # Decap's own words left in English by its Vietnamese locale are filled in
        assert page.get_by_text(re.compile(r"^(Add|No) ")).count() == 0
        _field(attachments, "Tên tài liệu").fill("Bản chụp thông báo có chữ ký")
        # "Loại tài liệu" already reads "Văn bản gốc (bản chụp có chữ ký)": no list to open

        result = _publish(page)
        assert result["ok"] is False
        [problem] = result["problems"]
        assert problem["field"] == "sessions[2].date" and problem["label"] == "Các buổi tiếp › Ngày"
        banner.get_by_text("Có 1 lỗi cần sửa").wait_for()
        text = banner.inner_text()
        assert "Các buổi tiếp › Ngày [sessions[2].date]" in text
        assert "ngày tiếp không thuộc tháng 06/2026" in text and problem["path"] in text

        # the saved entry opens again with its list items open (collapsed: false); it is
        # edited once Decap has opened it as itself (a fill during that would be lost)
        page.wait_for_url(re.compile(r"/entries/"))
        page.get_by_text("Không có thay đổi chưa lưu").wait_for()
        _field(sessions, "Ngày").last.fill("2026-06-29")
        again = _publish(page)
        assert again["ok"] is True, again
        banner.get_by_text("Đã kiểm tra: không có lỗi").wait_for()
        assert "lỗi cần sửa" not in banner.inner_text()
    finally:
        page.context.close()
    _assert_local(urls, origin + editor.PROXY_PATH)
    assert visit.failed == [] and visit.console_errors == [], (visit.failed, visit.console_errors)

    [record] = folder.rglob("*.yml")
    assert record.parent.parent == folder and record.parent.name.isdigit()  # <year>/<slug>.yml
    assert record.name == "thong-bao-lich-tiep-cong-dan-thang-6-2026.yml"
    assert [p.relative_to(folder) for p in folder.rglob("*.pdf")] == [record.parent.relative_to(folder) / SCHEDULE_PDF]
    assert (record.parent / SCHEDULE_PDF).read_bytes() == PDF
    data = _read(record)
    assert data["kind"] == "lich" and data["month"] == "2026-06" and data["title"] == SCHEDULE_TITLE
    assert [(s["date"], s["start"], s["end"]) for s in data["sessions"]] == [
        ("2026-06-15", "07:30", "11:00"),
        ("2026-06-29", "13:30", "17:00"),
    ]
    assert data["document"] == {"number": "46/TB-BQLKKT", "date": "2026-06-05"}
    assert data["attachments"] == [
        {"file": SCHEDULE_PDF, "title": "Bản chụp thông báo có chữ ký", "kind": "van-ban-goc"}
    ]
    check = subprocess.run(
        [sys.executable, "-m", "generator", "-f", str(project / "mkdocs.yml"), "check"],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr

    page_url = f"{origin}/tiep-cong-dan/{record.parent.name}/{record.stem}/"
    html = _fetch(page_url).decode()
    assert SCHEDULE_TITLE in html and "29/06/2026" in html
    [href] = {h for h in re.findall(r'href="([^"]+\.pdf)"', html)}
    assert _fetch(urljoin(page_url, href)) == PDF


def test_form_edits_existing_minutes(edit_server, chromium):
    """A set of minutes (the sample's, with a PDF, a multi-line body, a list of cases) edited
    through the form: the count changed and a case added; every other value reads back as
    the same text (Decap reorders the keys, folds long lines and rewrites the body's block,
    which congkhai reads the same), the check passes and the preview shows the new case."""
    from tests.browser import open_page

    origin, _api, project = edit_server
    record = project / MINUTES
    record.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / MINUTES, record)
    shutil.copy((REPO / MINUTES).with_suffix(".pdf"), record.with_suffix(".pdf"))
    before = _read(record)
    case = {
        "summary": "Một người dân hỏi về thủ tục cấp giấy phép lao động.",
        "handling": "Hướng dẫn nộp hồ sơ trực tuyến.",
    }
    page, visit = open_page(chromium)
    urls = _record_requests(page)
    try:
        _login(page, origin, "collections/tiep-cong-dan--bien-ban")
        page.get_by_text(before["title"]).click()
        visitors = _field(page, "Số lượt công dân")
        assert visitors.input_value() == "3"
        visitors.fill("4")
        cases = page.locator("[id^=cases-field-]")
        page.get_by_role("button", name="Thêm nội dung tiếp nhận").click()
        _field(cases, "Nội dung").last.fill(case["summary"])
        _field(cases, "Hướng xử lý").last.fill(case["handling"])
        assert _publish(page)["ok"] is True
        page.locator("#congkhai-check").get_by_text("Đã kiểm tra: không có lỗi").wait_for()
        # one check when the page opened, one after the save (not one per Decap event)
        assert [u for u in urls if u.endswith("/admin/api/check")] == [origin + "/admin/api/check"] * 2
    finally:
        page.context.close()
    _assert_local(urls, origin + editor.PROXY_PATH)
    assert visit.failed == [] and visit.console_errors == [], (visit.failed, visit.console_errors)

    after = _read(record)
    assert after["visitors"] == "4" and after["cases"] == [*before["cases"], case]
    assert {k: v for k, v in after.items() if k not in ("visitors", "cases")} == {
        k: v for k, v in before.items() if k not in ("visitors", "cases")
    }
    assert sorted(p.name for p in record.parent.iterdir()) == ["bien-ban-thang-05.pdf", "bien-ban-thang-05.yml"]
    result = run_cli(project, "check")
    assert result.exit_code == 0, result.output
    html = _fetch(f"{origin}/tiep-cong-dan/2026/bien-ban-thang-05/").decode()
    assert case["summary"] in html and before["title"] in html


def _git_project(root: Path) -> None:
    _git(root, "init", "-q", "-b", "main")
    _git(root, "config", "user.email", "van-thu@example.gov.vn")
    _git(root, "config", "user.name", "Văn thư")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "init")


def _post_commit(origin: str, headers: dict[str, str]) -> tuple[int, dict]:
    request = urllib.request.Request(origin + "/admin/api/commit", b"{}", headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def test_commit_endpoint_refuses_cross_site_requests(edit_server):
    """``POST /admin/api/commit`` needs the admin page's header, a local Host and, when sent,
    this server's Origin; a GET is refused. Nothing is committed by a refused request."""
    origin, _api, project = edit_server
    status, body = _post_commit(origin, {editor.ADMIN_HEADER: "1", "Origin": origin})
    assert status == 200 and body["ok"] is False and "chưa là kho git" in body["problems"][0]["message"]
    _git_project(project)
    record = project / "disclosures/tiep-cong-dan/2026/lich-thang-5.yml"
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(SCHEDULE.split("attachments:")[0], encoding="utf-8")
    host = urlsplit(origin).netloc
    port = urlsplit(origin).port
    refused = [
        {},  # a plain form post
        {"Origin": "https://evil.example"},
        {editor.ADMIN_HEADER: "1", "Origin": "https://evil.example"},
        {editor.ADMIN_HEADER: "1", "Host": f"evil.example:{port}"},  # DNS rebinding
        {editor.ADMIN_HEADER: "1", "Origin": origin, "Sec-Fetch-Site": "cross-site"},
    ]
    for headers in refused:
        status, body = _post_commit(origin, headers)
        assert status == 403 and body["ok"] is False, headers
        assert "Từ chối" in body["problems"][0]["message"]
    assert _git(project, "log", "--oneline").count("\n") == 1
    with pytest.raises(urllib.error.HTTPError) as get:
        urllib.request.urlopen(origin + "/admin/api/commit")
    assert get.value.code == 405
    status, body = _post_commit(origin, {editor.ADMIN_HEADER: "1", "Origin": f"http://{host}"})
    assert status == 200 and body["ok"] is True, body
    assert body["paths"] == ["disclosures/tiep-cong-dan/2026/lich-thang-5.yml"]
    assert _git(project, "log", "-1", "--format=%h %s").strip() == f"{body['commit']} {body['subject']}"
    assert body["subject"] == "Cập nhật thông tin công khai: lich-thang-5"


def test_commit_button_commits_only_when_the_check_passes(edit_server, chromium, tmp_path):
    """The banner's "Lưu vào kho (commit)" button: nothing to commit; a record with a problem
    is named and nothing is committed; once fixed, one commit naming the record, shown in
    Vietnamese. A page of another origin cannot make the server commit."""
    from tests.browser import open_page, serve

    origin, api, project = edit_server
    _git_project(project)
    path = "disclosures/tiep-cong-dan/2026/lich-thang-5.yml"
    good = SCHEDULE.split("attachments:")[0]

    def save(raw: str) -> None:  # as the form saves, through decap-server
        entry = {"slug": "lich-thang-5", "path": path, "raw": raw}
        options = {"commitMessage": "x", "useWorkflow": False, "status": "draft"}
        editor.api(api, "persistEntry", entry=entry, assets=[], options=options)

    page, visit = open_page(chromium)
    urls = _record_requests(page)
    bar = page.locator("#congkhai-check")
    button = bar.get_by_role("button", name="Lưu vào kho (commit)")
    try:
        _login(page, origin, "")
        bar.get_by_text("Đã kiểm tra: không có lỗi").wait_for()
        button.click()
        bar.get_by_text("Không có hồ sơ nào thay đổi; không có gì để lưu vào kho.").wait_for()

        save(good.replace("2026-05-15", "2026-06-15"))
        button.click()
        bar.get_by_text("Chưa lưu vào kho: còn 1 lỗi cần sửa, không có gì được ghi.").wait_for()
        text = bar.inner_text()
        assert "Các buổi tiếp › Ngày [sessions[1].date]" in text and "không thuộc tháng 05/2026" in text
        assert _git(project, "log", "--oneline").count("\n") == 1
        assert _git(project, "status", "--porcelain", "-uall", "--", "disclosures").strip() == f"?? {path}"

        save(good)
        button.click()
        bar.get_by_text("Đã lưu vào kho (commit").wait_for()
        head = _git(project, "log", "-1", "--format=%h%n%s%n%b")
        short, subject = head.splitlines()[:2]
        text = bar.inner_text()
        assert f"commit {short}" in text and subject in text and path in text
        assert subject == "Cập nhật thông tin công khai: lich-thang-5" and path in head
        assert _git(project, "status", "--porcelain", "-uall", "--", "disclosures") == ""
    finally:
        page.context.close()
    _assert_local(urls, origin)
    assert visit.failed == [] and visit.console_errors == [], (visit.failed, visit.console_errors)

    # another origin (a page on another port of this machine) posting to the commit endpoint
    save(good.replace("Trưởng ban", "Phó Trưởng ban"))
    (tmp_path / "index.html").write_text("<!doctype html><title>x</title>", encoding="utf-8")
    with serve(tmp_path) as other:
        page, _visit = open_page(chromium)
        try:
            page.goto(other)
            outcome = page.evaluate(
                """async ([url, header]) => {
                    const out = [];
                    try {  // the custom header needs a preflight, which the server never grants
                        await fetch(url, {method: "POST", headers: {[header]: "1"}, body: "{}"});
                        out.push("sent");
                    } catch (e) { out.push("blocked"); }
                    await fetch(url, {method: "POST", mode: "no-cors", body: "{}"});  // a simple request
                    out.push("simple");
                    return out;
                }""",
                [origin + "/admin/api/commit", editor.ADMIN_HEADER],
            )
        finally:
            page.context.close()
    assert outcome == ["blocked", "simple"]
    assert _git(project, "log", "--oneline").count("\n") == 2  # nothing more committed
    assert _git(project, "status", "--porcelain", "-uall", "--", "disclosures").strip() == f"M {path}"
