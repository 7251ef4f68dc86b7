"""Clicks and typed fields for a clerk's task in ``congkhai edit`` (issue 24, "fewer steps").

The task: "the December schedule with two sessions and a PDF, then the minutes of a session
where nobody came", done in the browser form editor as a clerk does it, from the address
``/admin/`` to the last save, once for each version of the code given on the command line
(``--version NAME=DIR``; DIR is a checkout of congkhai with its ``node_modules``). For each
version: a fresh copy of the sample project (``mkdocs.yml``, ``content/``, ``disclosures/``
and ``chung-thu-goc/`` of that checkout, without the sample's own December schedule), ``python3
-m generator -f <copy>/mkdocs.yml edit --dev-addr 127.0.0.1:<port>`` with ``PYTHONPATH`` set to
DIR, and Debian's Chromium (1366x768, locale ``vi-VN``) driven by Playwright.

Counted: every click (the login, the collection in the menu, the "new" button, "add" buttons,
a list opened and its option, the calendar's "now" button, a toggle, the file dialog's steps,
the save and its menu item, any confirmation), every field typed into (clicking into a text
field and typing is one typed field, its focusing click is not also counted as a click) and
every keystroke (one per character typed; a Vietnamese keyboard needs more for the
diacritics, the same in both versions). Then the files are read back: the schedule holds two
sessions with the dates, times and month typed and the PDF (same bytes) as an attachment,
the minutes hold ``no_visitors: true`` and the session date; ``congkhai check`` of the copy
must pass.

A step that cannot be done in a version is reported with where it failed.

Run: ``python3 bench/editor_clicks.py --version before=<checkout of 0830af8>
--version after=.`` (see bench/README.md).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

CHROMIUM = "/usr/bin/chromium"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PDF_NAME = "thong-bao-lich-thang-12.pdf"

SCHEDULE = {
    "title": "Thông báo lịch tiếp công dân tháng 12/2026",
    "month": "2026-12",
    "sessions": [
        {"date": "2026-12-03", "start": "07:30", "end": "11:00", "place": "Phòng tiếp công dân", "host": "Trưởng ban"},
        {
            "date": "2026-12-17",
            "start": "13:30",
            "end": "17:00",
            "place": "Phòng tiếp công dân",
            "host": "Phó Trưởng ban",
        },
    ],
    "number": "96/TB-BQLKKT",
    "date": "2026-11-25",
    "attachment_title": "Thông báo có chữ ký",
}
MINUTES = {
    "title": "Biên bản tiếp công dân ngày 03/12/2026",
    "session_date": "2026-12-03",
    "host": "Trưởng ban",
}
SAMPLE = ["mkdocs.yml", "content", "disclosures", "chung-thu-goc"]
DROPPED = ["disclosures/tiep-cong-dan/2026/lich-thang-12.yml"]
"""The sample's own December schedule: the clerk writes it."""


class Failed(Exception):
    """A step of the task that could not be done."""


@dataclass
class Clerk:
    """A page and the counts of what the clerk did on it."""

    page: object
    clicks: int = 0
    fields: int = 0
    keys: int = 0
    steps: list[str] = field(default_factory=list)
    step: str = ""

    def click(self, locator, what: str, **options) -> None:
        self.step = what
        locator.click(**options)
        self.clicks += 1
        self.steps.append(f"click {what}")

    def type(self, locator, text: str, what: str, **options) -> None:
        """Click into a field and type ``text`` key by key."""
        self.step = what
        locator.click(**options)
        locator.press_sequentially(text, delay=5)
        self.fields += 1
        self.keys += len(text)
        self.steps.append(f"type {what}: {text}")

    def keys_only(self, text: str, what: str) -> None:
        """Type into the field that has the focus (no click)."""
        self.step = what
        self.page.keyboard.type(text, delay=5)
        self.keys += len(text)
        self.steps.append(f"keys {what}: {text}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sample_copy(code: Path, into: Path) -> Path:
    """A fresh copy of the sample project of the checkout ``code``."""
    if into.exists():
        shutil.rmtree(into)
    into.mkdir(parents=True)
    for name in SAMPLE:
        source = code / name
        if source.is_dir():
            shutil.copytree(source, into / name)
        elif source.exists():
            shutil.copy(source, into / name)
    for name in DROPPED:
        (into / name).unlink(missing_ok=True)
    return into


@contextlib.contextmanager
def congkhai_edit(code: Path, project: Path) -> Iterator[str]:
    """``congkhai edit`` of the checkout ``code`` on ``project``; yields its origin."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(code), "CONGKHAI_NODE_MODULES": str(code / "node_modules")}
    log = open(project.parent / f"{project.name}-edit.log", "wb")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "generator",
            "-f",
            str(project / "mkdocs.yml"),
            "edit",
            "--dev-addr",
            f"127.0.0.1:{port}",
        ],
        cwd=project,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    origin = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise Failed("congkhai edit stopped: " + (project.parent / f"{project.name}-edit.log").read_text())
            try:
                with urllib.request.urlopen(origin + "/admin/api/check", timeout=60):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise Failed("congkhai edit did not answer") from None
                time.sleep(0.3)
        yield origin
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def label(scope, text: str):
    """A form control by its label (an optional field's label ends with "(không bắt buộc)")."""
    return scope.get_by_label(re.compile("^" + re.escape(text) + r"( \(không bắt buộc\))?$"))


def dmy(iso: str) -> str:
    y, m, d = iso.split("-")
    return f"{int(d)}/{int(m)}/{y}"


class Form:
    """What differs between the versions: how dates, times and months are entered, the
    words of the save, and the steps a version spares the clerk."""

    def __init__(self, clerk: Clerk):
        self.clerk = clerk
        self.page = clerk.page
        self.decap_date = False
        self.day_first = True
        self.keys_to_save = False
        self.save_words = ("Lưu", "Lưu ngay")

    def detect(self) -> None:
        """Decap's own date widget (a native ``<input type=date>`` with "now" and "clear"
        buttons) or congkhai's typed one; the save called "Công bố" or "Lưu"."""
        self.page.locator("[id^=title-field-]").first.wait_for()
        self.decap_date = self.page.locator("input[type=date]:not([aria-hidden=true])").count() > 0
        if self.page.get_by_role("button", name="Công bố", exact=True).count():
            self.save_words = ("Công bố", "Công bố ngay")

    def date(self, control, iso: str, what: str) -> None:
        if not self.decap_date:
            self.clerk.type(control, dmy(iso), what)
            return
        # Decap's date input: typing the year digit by digit saves 0002, 0020, 0202, 1906…
        # (decap-cms#7939). What works: "now" (today's date), then the day and the month typed
        # over it (the year is left as it is, so it must be this year).
        y, m, d = iso.split("-")
        now = time.localtime()
        if int(y) != now.tm_year:
            raise Failed(f"{what}: {iso} is not in this year; Decap's widget only keeps the year of «now»")
        row = control.locator("xpath=..")
        self.clerk.click(
            row.get_by_test_id("now-button"), f"{what}: «now» ({row.get_by_test_id('now-button').inner_text()})"
        )
        box = control.bounding_box()
        # the first part of the input: the day (dd/mm/yyyy) or the month (mm/dd/yyyy, the
        # order this Chromium shows even in a vi-VN page); typing two digits moves to the next
        typed = (d if int(m) == now.tm_mon else d + m) if self.day_first else m + d
        where = {"x": 14, "y": box["height"] / 2}
        self.clerk.type(control, typed, f"{what}: over today's date", position=where)
        self.page.wait_for_timeout(100)

    def time(self, control, text: str, what: str) -> None:
        """``07:30`` where the form takes only that (a text field with a pattern), else as
        written on paper in Vietnamese: ``7h30``, ``11h``."""
        if not self.decap_date:
            hour, minute = text.split(":")
            text = f"{int(hour)}h{minute if minute != '00' else ''}"
        self.clerk.type(control, text, what)

    def month(self, control, iso: str, what: str) -> None:
        if self.decap_date:  # a text field with a pattern, YYYY-MM
            self.clerk.type(control, iso, what)
        else:
            y, m = iso.split("-")
            self.clerk.type(control, f"{int(m)}/{y}", what)

    def save(self) -> dict:
        first, second = self.save_words
        button = self.page.get_by_role("button", name=first, exact=True)
        if self.keys_to_save and "Ctrl+S" in (button.get_attribute("title") or ""):
            self.clerk.step = "save: Ctrl+S"
            with self.page.expect_response(lambda r: r.url.endswith("/admin/api/check"), timeout=60000) as response:
                self.page.keyboard.press("Control+s")
            self.clerk.keys += 1
            self.clerk.steps.append("keys save: Ctrl+S")
            self.page.wait_for_url(re.compile(r"/entries/"))
            return response.value.json()
        self.clerk.click(self.page.get_by_role("button", name=first, exact=True), "save")
        with self.page.expect_response(lambda r: r.url.endswith("/admin/api/check"), timeout=60000) as response:
            self.clerk.click(self.page.get_by_role("menuitem", name=second), "save: " + second)
        self.page.wait_for_url(re.compile(r"/entries/"))  # a new record, once saved, opens as itself
        return response.value.json()


def day_first(context) -> bool:
    """Whether this browser's date inputs read day first (dd/mm/yyyy): typed into a bare
    input on a blank page, outside the count."""
    page = context.new_page()
    page.set_content("<input type=date id=d>")
    page.locator("#d").click(position={"x": 8, "y": 8})
    page.keyboard.type("02032026")
    value = page.locator("#d").input_value()
    page.close()
    return value == "2026-03-02"


def open_new(clerk: Clerk, collection: str, name: str) -> None:
    """The collection in the menu, then its "new" button (a link with an icon and the name)."""
    page = clerk.page
    clerk.click(page.get_by_role("link", name=collection, exact=True), f"menu: {collection}")
    clerk.click(page.locator(f"a[href='#/collections/{name}/new']"), f"new ({name})")


def schedule(clerk: Clerk, form: Form, pdf: Path) -> dict:
    page = clerk.page
    open_new(clerk, "Tiếp công dân: Thông báo lịch tiếp công dân", "tiep-cong-dan--lich")
    form.detect()
    clerk.type(label(page, "Tiêu đề"), SCHEDULE["title"], "title")
    form.month(label(page, "Tháng"), SCHEDULE["month"], "month")
    sessions = page.locator("[id^=sessions-field-]")
    for n, session in enumerate(SCHEDULE["sessions"], 1):
        if label(sessions, "Ngày").count() < n:
            clerk.click(page.get_by_role("button", name="Thêm các buổi tiếp"), f"add session {n}")
        form.date(label(sessions, "Ngày").nth(n - 1), session["date"], f"session {n} date")
        form.time(label(sessions, "Bắt đầu").nth(n - 1), session["start"], f"session {n} start")
        form.time(label(sessions, "Kết thúc").nth(n - 1), session["end"], f"session {n} end")
        clerk.type(label(sessions, "Địa điểm").nth(n - 1), session["place"], f"session {n} place")
        clerk.type(label(sessions, "Người chủ trì").nth(n - 1), session["host"], f"session {n} host")
    clerk.type(label(page, "Số ký hiệu"), SCHEDULE["number"], "document number")
    form.date(label(page, "Ngày ban hành"), SCHEDULE["date"], "document date")
    # the PDF: "add an attachment", the file widget's media library, its upload button and
    # the system's file dialog (one click: the file chosen), then "choose the selected"
    clerk.click(page.get_by_role("button", name=re.compile("^(Thêm tệp đính kèm|Add)")), "add attachment")
    clerk.click(page.get_by_role("button", name="Chọn một tập tin"), "choose a file")
    dialog = page.get_by_role("dialog")
    with page.expect_file_chooser() as chooser:
        clerk.click(dialog.get_by_text("Tải lên", exact=True), "upload")
    clerk.step = "the system's file dialog"
    chooser.value.set_files(pdf)
    clerk.clicks += 1
    clerk.steps.append("click the file in the system's file dialog")
    dialog.get_by_text(PDF_NAME).wait_for()
    clerk.click(dialog.get_by_role("button", name="Lấy những cái đã chọn"), "choose the selected file")
    attachments = page.locator("[id^=attachments-field-]")
    clerk.type(label(attachments, "Tên tài liệu"), SCHEDULE["attachment_title"], "attachment title")
    kind = label(attachments, "Loại tài liệu")
    if "Văn bản gốc" not in kind.locator("xpath=ancestor::*[contains(@class,'container')][1]").inner_text():
        clerk.click(kind, "attachment kind: open the list", force=True)
        clerk.click(page.get_by_text("Văn bản gốc (bản chụp có chữ ký)", exact=True), "attachment kind: choose")
    return form.save()


def minutes(clerk: Clerk, form: Form) -> dict:
    page = clerk.page
    clerk.click(
        page.get_by_role("button", name=re.compile("^(←|Quay lại)$")).or_(
            page.locator("a[href='#/collections/tiep-cong-dan--lich']").first
        ),
        "back to the list",
    )
    open_new(clerk, "Tiếp công dân: Biên bản tiếp công dân", "tiep-cong-dan--bien-ban")
    form.detect()
    clerk.type(label(page, "Tiêu đề"), MINUTES["title"], "title")
    form.date(label(page, "Ngày tiếp"), MINUTES["session_date"], "session date")
    clerk.type(label(page, "Người chủ trì"), MINUTES["host"], "host")
    clerk.click(label(page, "Không có công dân đến"), "nobody came: toggle")
    return form.save()


@dataclass
class Outcome:
    version: str
    clicks: int = 0
    fields: int = 0
    keys: int = 0
    files_ok: str = ""
    failed: str = ""
    steps: list[str] = field(default_factory=list)
    checks: list[dict] = field(default_factory=list)


def read(path: Path) -> dict:
    return yaml.load(path.read_text("utf-8"), Loader=yaml.BaseLoader)


def files_ok(project: Path) -> str:
    """The files the task must have written, read back; "yes" or what is wrong."""
    folder = project / "disclosures/tiep-cong-dan"
    wrong = []
    lich = [p for p in folder.rglob("*.yml") if read(p).get("title") == SCHEDULE["title"]]
    if len(lich) != 1:
        return f"{len(lich)} schedule files"
    data = read(lich[0])
    got = [(s.get("date"), s.get("start"), s.get("end")) for s in data.get("sessions", [])]
    want = [(s["date"], s["start"], s["end"]) for s in SCHEDULE["sessions"]]
    if got != want:
        wrong.append(f"sessions {got}")
    if data.get("month") != SCHEDULE["month"]:
        wrong.append(f"month {data.get('month')!r}")
    if data.get("document", {}).get("date") != SCHEDULE["date"]:
        wrong.append(f"document.date {data.get('document', {}).get('date')!r}")
    attached = data.get("attachments", [])
    if [a.get("file") for a in attached] != [PDF_NAME] or (lich[0].parent / PDF_NAME).read_bytes() != PDF:
        wrong.append(f"attachments {attached}")
    bb = [p for p in folder.rglob("*.yml") if read(p).get("title") == MINUTES["title"]]
    if len(bb) != 1:
        wrong.append(f"{len(bb)} minutes files")
    else:
        data = read(bb[0])
        if data.get("no_visitors") != "true" or data.get("session_date") != MINUTES["session_date"]:
            wrong.append(f"minutes no_visitors={data.get('no_visitors')!r} session_date={data.get('session_date')!r}")
    return "; ".join(wrong) or "yes"


def run_version(name: str, code: Path, work: Path, browser, keep_screens: bool, keys_to_save: bool) -> Outcome:
    outcome = Outcome(name + (" (Ctrl+S)" if keys_to_save else ""))
    name = name + ("-ctrl-s" if keys_to_save else "")
    project = sample_copy(code, work / name)
    pdf = work / PDF_NAME
    pdf.write_bytes(PDF)
    with congkhai_edit(code, project) as origin:
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
        page = context.new_page()
        clerk = Clerk(page)

        def confirm(dialog) -> None:  # any confirmation the page asks: accepted, one click
            clerk.clicks += 1
            clerk.steps.append(f"click OK: {dialog.message}")
            dialog.accept()

        page.on("dialog", confirm)
        form = Form(clerk)
        form.day_first = day_first(context)
        form.keys_to_save = keys_to_save
        try:
            page.goto(origin + "/admin/")
            login = page.get_by_role("button", name="Đăng nhập")
            menu = page.get_by_role("link", name="Tiếp công dân: Thông báo lịch tiếp công dân", exact=True)
            login.or_(menu).first.wait_for(timeout=60000)
            if login.count():  # a page that logs in by itself (no account on 127.0.0.1) asks no click
                clerk.click(login, "login")
            outcome.checks.append(schedule(clerk, form, pdf))
            outcome.checks.append(minutes(clerk, form))
        except Exception as exc:  # reported: where the task could not be done
            outcome.failed = f"at «{clerk.step}»: {str(exc).splitlines()[0]}"
            page.screenshot(path=str(work / f"{name}-failed.png"), full_page=True)
        if keep_screens:
            page.screenshot(path=str(work / f"{name}-last.png"))
        context.close()
    outcome.clicks, outcome.fields, outcome.keys, outcome.steps = clerk.clicks, clerk.fields, clerk.keys, clerk.steps
    outcome.files_ok = files_ok(project)
    check = subprocess.run(
        [sys.executable, "-m", "generator", "-f", str(project / "mkdocs.yml"), "check"],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(code)},
        capture_output=True,
        text=True,
    )
    if check.returncode != 0:
        outcome.files_ok += f"; check exit {check.returncode}: {check.stdout.strip()[-300:]}"
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="append", required=True, help="NAME=DIR, a checkout of congkhai")
    parser.add_argument("--workdir", type=Path, help="keep the projects, logs and screenshots here")
    parser.add_argument("--steps", action="store_true", help="print every step counted")
    parser.add_argument(
        "--ctrl-s",
        action="store_true",
        help="also run each version saving with Ctrl+S where its save button says it can (one keystroke, no click)",
    )
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    work = args.workdir or Path(tempfile.mkdtemp(prefix="editor-clicks-"))
    work.mkdir(parents=True, exist_ok=True)
    outcomes = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            for spec in args.version:
                name, _, directory = spec.partition("=")
                for keys in [False, True] if args.ctrl_s else [False]:
                    outcomes.append(
                        run_version(name, Path(directory).resolve(), work, browser, bool(args.workdir), keys)
                    )
        finally:
            browser.close()
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    if args.steps:
        for o in outcomes:
            print(f"## {o.version}")
            for n, step in enumerate(o.steps, 1):
                print(f"{n:3d}. {step}")
    print("| version | clicks | fields typed | keystrokes | clicks + fields | files OK | not done |")
    print("|---|---:|---:|---:|---:|---|---|")
    for o in outcomes:
        print(
            f"| {o.version} | {o.clicks} | {o.fields} | {o.keys} | {o.clicks + o.fields} | {o.files_ok} | {o.failed or '—'} |"
        )
    return 0 if all(not o.failed and o.files_ok == "yes" for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
