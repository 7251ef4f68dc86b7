"""The form editor as a clerk uses it (issue 24): ``congkhai edit`` started as the clerk starts
it (a subprocess, the real decap-server behind the edit server's ``/api/v1``), Debian's
Chromium at 1366x768 in a ``vi-VN`` and an ``en-US`` browser, nothing mocked.

Dates, times and months are TYPED as a clerk types them (``3/12/2026``, ``7h30``,
``12/2026``) and read back from the file exactly; a published record cannot be deleted; a
warning of ``congkhai check`` shows in the page as a link to its field, in a bar that never
hides the list; one field edited changes only its lines of the file; the real page of the
record is one click away; a save is called "Lưu".
"""

from __future__ import annotations

import contextlib
import difflib
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from generator.staff import editor
from tests.conftest import REPO, run_cli

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
MINUTES = "disclosures/tiep-cong-dan/2026/bien-ban-thang-05.yml"


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


def _git_project(root: Path) -> None:
    _git(root, "init", "-q", "-b", "main")
    _git(root, "config", "user.email", "van-thu@example.gov.vn")
    _git(root, "config", "user.name", "Văn thư")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "init")


@pytest.fixture
def project(tmp_path) -> Path:
    root = tmp_path / "office"
    result = run_cli(root, "init", str(root), "--agency", "Ban Quản lý Khu kinh tế tỉnh An Giang")
    assert result.exit_code == 0, result.output
    return root


@contextlib.contextmanager
def congkhai_edit(root: Path):
    """``congkhai edit`` in a subprocess on a free port; yields its origin."""
    port = editor.free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "CONGKHAI_NODE_MODULES": str(REPO / "node_modules")}
    process = subprocess.Popen(
        [sys.executable, "-m", "generator", "-f", str(root / "mkdocs.yml"), "edit", "--dev-addr", f"127.0.0.1:{port}"],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    origin = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.stdout.read().decode()
            try:
                with urllib.request.urlopen(origin + "/admin/api/check", timeout=30):
                    break
            except OSError:
                assert time.monotonic() < deadline, "congkhai edit did not answer"
                time.sleep(0.3)
        yield origin
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()


def _page(chromium, locale: str):
    context = chromium.new_context(viewport={"width": 1366, "height": 768}, locale=locale)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    return page, errors


def _login(page, origin: str, route: str) -> None:
    page.goto(f"{origin}/admin/#/{route}")
    # the local backend's login (no account, one button) is pressed by the page itself


def _field(scope, label: str):
    import re

    return scope.get_by_label(re.compile("^" + re.escape(label) + r"( \(không bắt buộc\))?$"))


def _save(page) -> dict:
    """Decap's "Lưu" > "Lưu ngay"; the answer of the check the page asks for after it."""
    page.get_by_role("button", name="Lưu", exact=True).click()
    with page.expect_response(lambda r: r.url.endswith("/admin/api/check"), timeout=30000) as response:
        page.get_by_role("menuitem", name="Lưu ngay").click()
    return response.value.json()


def _type(control, text: str) -> None:
    """Type as a person does, key by key (not a programmatic fill)."""
    control.click()
    control.press_sequentially(text)


@pytest.mark.parametrize("locale", ["vi-VN", "en-US"])
def test_dates_times_and_months_typed_as_a_clerk_are_saved_exactly(project, chromium, locale):
    """A December schedule typed as a clerk types it: ``12/2026``, ``3/12/2026``, ``7h30``,
    ``17/12/2026``, ``13:30``, ``17h``, ``25/11/2026``; the file holds exactly
    ``2026-12``, ``2026-12-03``, ``"07:30"``… in a Vietnamese and an English browser. A date
    that does not exist is refused by the form, in Vietnamese, and nothing is written. The
    schedule going up after its first session is warned in the bar, as a link to the field."""
    folder = project / "disclosures/tiep-cong-dan"
    with congkhai_edit(project) as origin:
        page, errors = _page(chromium, locale)
        try:
            _login(page, origin, "collections/tiep-cong-dan--lich/new")
            _field(page, "Tiêu đề").fill("Thông báo lịch tiếp công dân tháng 12/2026")
            assert page.get_by_text("Thay đổi đã được lưu", exact=False).count() == 0
            _type(_field(page, "Tháng"), "12/2026")
            sessions = page.locator("[id^=sessions-field-]")
            for n, (date, start, end) in enumerate([("31/11/2026", "7h30", "11h"), ("17/12/2026", "13:30", "17h")]):
                if n:  # the first session is already in the new form
                    page.get_by_role("button", name="Thêm các buổi tiếp").click()
                _type(_field(sessions, "Ngày").last, date)
                _type(_field(sessions, "Bắt đầu").last, start)
                _type(_field(sessions, "Kết thúc").last, end)
                _field(sessions, "Địa điểm").last.fill("Phòng tiếp công dân")
                _field(sessions, "Người chủ trì").last.fill("Trưởng ban")
            _field(page, "Số ký hiệu").fill("46/TB-BQLKKT")
            _type(_field(page, "Ngày ban hành"), "25/11/2026")
            page.get_by_role("button", name="Lưu", exact=True).click()
            page.get_by_role("menuitem", name="Lưu ngay").click()
            page.get_by_text("«31/11/2026» không phải một ngày", exact=False).wait_for()
            assert list(folder.rglob("*.yml")) == []
            first = _field(sessions, "Ngày").first
            first.fill("")
            _type(first, "3/12/2026")
            result = _save(page)
            assert result["ok"] is True, result
            bar = page.locator("#congkhai-check")
            bar.get_by_text("cảnh báo", exact=False).first.wait_for()
            [warning] = [w for w in result["warnings"] if w["field"].startswith("sessions")]
            assert warning["collection"] == "tiep-cong-dan--lich" and warning["label"].startswith("Các buổi tiếp")
            link = bar.get_by_role("link", name=warning["label"]).first
            link.click()
            page.wait_for_function("document.activeElement && document.activeElement.id.startsWith('date-field-')")
            assert page.get_by_text(re.compile(r"^Công bố")).count() == 0
            assert page.get_by_text("Không có thay đổi chưa lưu").count() == 1
        finally:
            page.context.close()
        assert errors == [], errors
    [record] = folder.rglob("*.yml")
    text = record.read_text("utf-8")
    data = yaml.load(text, Loader=yaml.BaseLoader)
    assert data["month"] == "2026-12"
    assert [(s["date"], s["start"], s["end"]) for s in data["sessions"]] == [
        ("2026-12-03", "07:30", "11:00"),
        ("2026-12-17", "13:30", "17:00"),
    ]
    assert data["document"]["date"] == "2026-11-25"
    assert 'start: "07:30"' in text and 'end: "17:00"' in text  # YAML 1.1 reads 07:30 unquoted as minutes


RECORD = """\
# Lịch do Văn phòng Ban soạn; giờ viết trong dấu nháy
title: Thông báo lịch tiếp công dân tháng 5/2026
kind: lich
month: 2026-05
sessions:
  - date: 2026-05-15
    start: "07:30"
    end: "11:00"
    place: Phòng tiếp công dân
    host: Trưởng ban
document:
  number: 45/TB-BQLKKT
  date: 2026-05-05
body: |
  Lịch tiếp công dân định kỳ của Trưởng ban.

  Công dân mang theo giấy tờ tùy thân.
"""
RECORD_PATH = "disclosures/tiep-cong-dan/2026/lich-thang-5.yml"


def _backend(origin: str, action: str, params: dict) -> tuple[int, dict]:
    """One call of Decap's backend at the edit server, as the admin page makes it."""
    body = json.dumps({"action": action, "params": {"branch": "main", **params}}).encode()
    headers = {"Content-Type": "application/json", "Origin": origin}
    request = urllib.request.Request(origin + "/api/v1", body, headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_published_record_is_never_deleted_and_one_field_edited_changes_one_line(project, chromium, tmp_path):
    """``congkhai publish`` in a git repository commits the log and its checkpoints (only
    those); the published record cannot be deleted through the editor (the server refuses
    in Vietnamese, the page hides the button); its real page is one click away; changing the
    document number in the form changes that one line of the file (comment, quoting and the
    ``|`` block kept)."""
    record = project / RECORD_PATH
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(RECORD, encoding="utf-8")
    _git_project(project)
    result = run_cli(project, "publish", "--deploy-to", str(tmp_path / "www"))
    assert result.exit_code == 0, result.output
    assert "Đã ghi commit" in result.output
    subject = _git(project, "log", "-1", "--format=%s").strip()
    assert subject.startswith("Công bố: 1 sự kiện mới trong nhật ký công khai"), subject
    committed = _git(project, "show", "--name-only", "--format=", "HEAD").split()
    assert "publication-log.jsonl" in committed
    assert all(p == "publication-log.jsonl" or p.startswith("publication-log.checkpoints/") for p in committed)
    assert _git(project, "status", "--porcelain", "--", "publication-log.jsonl", "publication-log.checkpoints") == ""

    with congkhai_edit(project) as origin:
        status, answer = _backend(origin, "deleteFiles", {"paths": [RECORD_PATH], "options": {"commitMessage": "x"}})
        assert status == 409 and answer["error"].startswith("Bản ghi đã công bố không xoá được")
        assert "Thu hồi" in answer["error"] and "withdrawn" in answer["error"]
        status, answer = _backend(origin, "deleteFile", {"path": RECORD_PATH, "options": {"commitMessage": "x"}})
        assert status == 409
        assert record.read_text("utf-8") == RECORD

        page, errors = _page(chromium, "vi-VN")
        try:
            _login(page, origin, "collections/tiep-cong-dan--lich/entries/2026/lich-thang-5")
            number = _field(page, "Số ký hiệu")
            assert number.input_value() == "45/TB-BQLKKT"
            link = page.get_by_role("link", name="Xem trang thật")
            link.wait_for()
            assert link.get_attribute("href") == "/tiep-cong-dan/2026/lich-thang-5/"
            assert link.get_attribute("target") == "_blank"
            page.wait_for_function(
                "!Array.from(document.querySelectorAll('button')).some(b => b.textContent.trim() === 'Xoá bản ghi này' && !b.hidden)"
            )
            number.fill("47/TB-BQLKKT")
            with page.expect_response(lambda r: r.url.endswith("/admin/api/check"), timeout=30000) as response:
                page.keyboard.press("Control+s")  # as in Word: "Lưu" > "Lưu ngay" without the mouse
            assert response.value.json()["ok"] is True
        finally:
            page.context.close()
        assert errors == [], errors
        with urllib.request.urlopen(origin + "/tiep-cong-dan/2026/lich-thang-5/") as response:
            assert "47/TB-BQLKKT" in response.read().decode()
    after = record.read_text("utf-8")
    diff = [
        line
        for line in difflib.unified_diff(RECORD.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert diff == ["-  number: 45/TB-BQLKKT", "+  number: 47/TB-BQLKKT"], after


def test_bar_never_hides_the_list_and_one_title_is_told_apart(project, chromium):
    """Sixteen schedules, two with one title, and a record with problems (a tall bar): at
    1366x768 the list scrolls its last record above the bar; each line shows the month and
    the file's name."""
    folder = project / "disclosures/tiep-cong-dan/2026"
    folder.mkdir(parents=True, exist_ok=True)
    for month in range(1, 13):
        text = RECORD.replace("2026-05", f"2026-{month:02d}").replace("tháng 5/2026", f"tháng {month}/2026")
        (folder / f"lich-thang-{month}.yml").write_text(text, encoding="utf-8")
    twin = RECORD.replace("2026-05", "2026-12").replace("tháng 5/2026", "tháng 12/2026")
    (folder / "lich-thang-12-bo-sung.yml").write_text(twin, encoding="utf-8")
    broken = RECORD.replace("2026-05-15", "2026-05-45").replace("2026-05-05", "2026-05-77")
    for name in ("loi-1", "loi-2", "loi-3"):
        (folder / f"{name}.yml").write_text(broken.replace("tháng 5/2026", name), encoding="utf-8")
    with congkhai_edit(project) as origin:
        page, errors = _page(chromium, "en-US")
        try:
            _login(page, origin, "collections/tiep-cong-dan--lich")
            bar = page.locator("#congkhai-check")
            bar.get_by_text("lỗi cần sửa", exact=False).wait_for()
            twins = page.get_by_text(re.compile(r"^Thông báo lịch tiếp công dân tháng 12/2026 · 2026-12 · "))
            twins.first.wait_for()
            assert sorted(t.inner_text() for t in twins.all()) == [
                "Thông báo lịch tiếp công dân tháng 12/2026 · 2026-12 · lich-thang-12",
                "Thông báo lịch tiếp công dân tháng 12/2026 · 2026-12 · lich-thang-12-bo-sung",
            ]
            page.mouse.wheel(0, 20000)
            page.wait_for_timeout(300)  # the scroll is applied
            last = page.get_by_text(re.compile(r"^Thông báo lịch tiếp công dân tháng 9/2026")).bounding_box()
            top = bar.bounding_box()["y"]
            assert bar.bounding_box()["height"] > 100
            lowest = page.evaluate(
                """() => Math.max(...Array.from(document.querySelectorAll("a[href*='/entries/']"))
                    .filter(a => !a.closest('#congkhai-check'))
                    .map(a => a.getBoundingClientRect().bottom))"""
            )
            assert lowest <= top + 1, (lowest, top, last)
        finally:
            page.context.close()
        assert [e for e in errors if "404" not in e] == [], errors
