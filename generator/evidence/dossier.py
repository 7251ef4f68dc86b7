"""The yearly evidence dossier (hồ sơ minh chứng) the office sends the inspectorate:
``congkhai evidence --year YYYY --out DIR``.

Reads top to bottom: load and check the site -> the B1 report of the year with the
verify result -> build the site into a temporary folder with the engine (a callable
given by the command line; the core never imports MkDocs) -> lay out the dossier from the
built site, as served: the log, every checkpoint and token, the TSAs' roots, and one folder
per record of the report, by category (the plan's tasks) and kind, holding its attachments,
proofs and the checkpoints and tokens that cover its events -> print the report and every
record page to PDF with Chromium (A4, print media, as a reader prints them; tagged, then
made PDF/A-2b by :mod:`generator.evidence.pdfa`) -> write the
inspector's guide, the standalone verifier (``kiem-tra.py``, from
:mod:`generator.evidence.dossier_verifier`), the index and the list of SHA-256 of every file ->
move the folder into place, zip it beside itself -> run the verifier on it.

Layout (``DIR``)::

    HUONG-DAN-KIEM-TRA.md        the inspector's guide (Vietnamese)
    kiem-tra.py                  the verifier: python3 kiem-tra.py
    muc-luc.json                 index: every record folder and its files
    tong-kiem.sha256             SHA-256 of every other file (sha256sum -c): the manifest
    tong-kiem.sig                the office's signature of the manifest (signed-note line)
    tong-kiem.<tsa>.tsr          an RFC 3161 token over the manifest, asked when the dossier is made
    bao-cao/                     bao-cao-b1-YYYY.html, .pdf, .xlsx, .csv, .sha256
    nhat-ky/                     publication-log.jsonl, checkpoint, checkpoints/, tsa/<name>.pem,
                                 khoa-xac-minh.txt (the office's verifier key, when it signs)
    ho-so/NN-<category>/<kind>/<id>/
        trang.pdf                the record's page as printed
        dinh-kem/<file>          its attachments, as served
        proof-<seq>.tlog-proof   one per logged version
        checkpoints/             the checkpoints and tokens its proofs refer to
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import functools
import hashlib
import html
import http.server
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

from generator.core import paths, progress
from generator.core.config import Settings
from generator.core.errors import CongkhaiError, Problem
from generator.core.values import format_date, format_local
from generator.evidence.pdfa import make_pdfa
from generator.evidence.report import Report, Row, build_report, file_name, report_title, write_report
from generator.evidence.verify import verify as run_verify
from generator.ledger import attest, checkpoints
from generator.ledger.log import chain_problems
from generator.ledger.timestamps import openssl_verify_command, token_time
from generator.website import pipeline
from generator.website.site import Site

CHROMIUM = os.environ.get("CONGKHAI_CHROMIUM", "/usr/bin/chromium")
"""The browser that prints the PDFs: Debian's Chromium (never a downloaded one)."""
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
VERIFIER = Path(__file__).with_name("dossier_verifier.py")
GUIDE = "HUONG-DAN-KIEM-TRA.md"
CHECKER = "kiem-tra.py"
INDEX = "muc-luc.json"
SUMS = "tong-kiem.sha256"
SUMS_SIGNATURE = "tong-kiem.sig"
VKEY_FILE = "nhat-ky/khoa-xac-minh.txt"
REPORT_DIR = "bao-cao"
LOG_DIR = "nhat-ky"
RECORDS_DIR = "ho-so"
LOG_FILE = f"{LOG_DIR}/publication-log.jsonl"
CHECKPOINTS = f"{LOG_DIR}/checkpoints"
PAGE_PDF = "trang.pdf"
PRINT_TIMEOUT_MS = 60_000


@dataclass
class Entry:
    """One record's folder in the dossier."""

    row: Row
    folder: str
    """Relative to the dossier, POSIX."""
    url_path: str = ""
    """The record's page on the built site (public records)."""
    page_pdf: str = ""
    proofs: list[str] = field(default_factory=list)
    copies: list[str] = field(default_factory=list)
    attachments: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Dossier:
    """What ``evidence`` made."""

    folder: Path
    archive: Path
    report: Report
    entries: list[Entry]
    files: int
    check_code: int
    check_output: str
    sealed: list[str] = field(default_factory=list)
    """How the manifest is bound (signature, tokens) or why it is not."""


def make_dossier(settings: Settings, year: int, out: Path, build: Callable[[Path], Path]) -> Dossier:
    """Write the dossier of ``year`` into ``out`` (which must not exist or be empty) and
    ``out.zip`` beside it; ``build(folder)`` builds the site into ``folder`` with the engine."""
    site = pipeline.load(settings)
    _refuse_broken_chain(settings, site)
    report = build_report(site, site.log, year)
    report.verification = [str(p) for p in run_verify(settings)[0]]
    out = out.resolve()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise CongkhaiError(f"{out} đã có và không trống; chọn thư mục khác hoặc xóa nó trước")
    work = out.with_name(f".{out.name}.tmp")
    try:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        with tempfile.TemporaryDirectory(prefix="congkhai-evidence-") as tmp:
            built = build(Path(tmp) / "site")
            _copy_log(settings, built, work)
            entries = _lay_out_records(site, report, built, work)
            report_files = write_report(report, work / REPORT_DIR, ["html", "csv", "xlsx"])
            report_pdf = work / REPORT_DIR / file_name(year, "pdf")
            _print(built, entries, work, settings, year, report_files[0], report_pdf)
        _write_report_sums(work / REPORT_DIR, year)
        key = checkpoints.load_signing_key(settings.signing_key, settings.root)
        origin = pipeline.origin(settings)
        if key is not None:
            (work / VKEY_FILE).write_text(checkpoints.verifier_key(origin, key.public_key()) + "\n", encoding="utf-8")
        tsas = [t.name for t in attest.tsas(settings)]
        (work / GUIDE).write_text(_guide(site, report, entries, work, key is not None, tsas), encoding="utf-8")
        shutil.copyfile(VERIFIER, work / CHECKER)
        (work / INDEX).write_text(_index(site, report, entries), encoding="utf-8")
        files = _write_sums(work)
        sealed = _seal(settings, work, key, origin)
        if out.exists():
            out.rmdir()
        out.parent.mkdir(parents=True, exist_ok=True)
        os.replace(work, out)
        archive = _zip(out)
    except OSError as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise CongkhaiError(f"không ghi được hồ sơ vào {out}: {exc.strerror or exc}") from None
    except CongkhaiError:
        shutil.rmtree(work, ignore_errors=True)
        raise
    code, output = run_checker(out)
    return Dossier(out, archive, report, entries, files, code, output, sealed)


def run_checker(folder: Path) -> tuple[int, str]:
    """Run the dossier's own ``kiem-tra.py`` as an inspector would (``python3 -I`` in the
    folder, no PYTHONPATH): its exit status (:data:`dossier_verifier.PASS`, ``FAIL`` or
    ``NOT_ENOUGH``) and output."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    done = subprocess.run(
        [sys.executable, "-I", CHECKER],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def _seal(settings: Settings, work: Path, key: Any, origin: str) -> list[str]:
    """Bind every file of the dossier: the office signs the manifest (``tong-kiem.sha256``)
    with its Ed25519 key, and each of the log's TSAs timestamps it. Without a key or a TSA the
    manifest stays unsigned or undated, and the checker says so."""
    manifest = (work / SUMS).read_bytes()
    said = []
    if key is not None:
        blob = checkpoints.key_id(origin, key.public_key()) + key.sign(manifest)
        line = f"{checkpoints.SIGNATURE_DASH}{origin} {base64.b64encode(blob).decode()}\n"
        (work / SUMS_SIGNATURE).write_text(line, encoding="utf-8")
        said.append(f"danh mục tệp được ký bằng khóa của cơ quan ({origin})")
    else:
        said.append("danh mục tệp không được ký: chưa khai báo khóa ký (signing_key)")
    tokens, failures = attest.stamp(settings, manifest).all()
    for name, token in tokens.items():
        (work / f"tong-kiem.{name}.tsr").write_bytes(token)
    if tokens:
        said.append("danh mục tệp có dấu thời gian của " + ", ".join(sorted(tokens)))
    else:
        said.append("danh mục tệp không có dấu thời gian: " + ("; ".join(failures) or "chưa khai báo timestamping"))
    return said


def _refuse_broken_chain(settings: Settings, site: Site) -> None:
    broken = chain_problems(site.log)
    if broken:
        name = paths.relpath(settings.log_path, settings.root)
        raise CongkhaiError(
            [*broken, Problem(name, 1, "log", "nhật ký công bố không toàn vẹn; chưa lập hồ sơ (xem congkhai verify)")]
        )


# --- the log, checkpoints, tokens and TSA roots --------------------------------------------


def _copy_log(settings: Settings, built: Path, work: Path) -> None:
    """The log and its anchors as the site serves them, and each TSA's root certificate."""
    (work / CHECKPOINTS).mkdir(parents=True)
    shutil.copyfile(built / paths.LOG_JSONL, work / LOG_FILE)
    if (built / paths.CHECKPOINT).is_file():
        shutil.copyfile(built / paths.CHECKPOINT, work / LOG_DIR / "checkpoint")
    served = built / paths.CHECKPOINTS_DIR
    if served.is_dir():
        for item in sorted(served.iterdir()):
            shutil.copyfile(item, work / CHECKPOINTS / item.name)
    tsas = attest.tsas(settings)
    if tsas:
        (work / LOG_DIR / "tsa").mkdir()
    for tsa in tsas:
        shutil.copyfile(tsa.ca, work / LOG_DIR / "tsa" / f"{tsa.name}.pem")


# --- one folder per record ------------------------------------------------------------------


def _lay_out_records(site: Site, report: Report, built: Path, work: Path) -> list[Entry]:
    by_key = {r.key: r for r in site.records}
    order = {slug: n for n, slug in enumerate(site.categories, start=1)}
    entries = []
    for row in progress.track(report.rows, "Xếp hồ sơ bản ghi"):
        record = by_key.get(row.key)
        slug, _, record_id = row.key.partition("/")
        kind = record.kind if record else None
        folder = f"{RECORDS_DIR}/{order.get(slug, 0):02d}-{slug}/" + (f"{kind}/" if kind else "") + record_id
        entry = Entry(row, folder)
        target = work / folder
        target.mkdir(parents=True, exist_ok=True)
        if row.internal:
            for a in record.attachments if record else []:
                entry.attachments.append(_copy(a.path, work, f"{folder}/dinh-kem/{a.file}", a.file))
        else:
            entry.url_path = paths.record_page(slug, record_id)
            entry.page_pdf = f"{folder}/{PAGE_PDF}"
            page_dir = built / entry.url_path
            for a in record.attachments if record else []:
                entry.attachments.append(_copy(page_dir / a.file, work, f"{folder}/dinh-kem/{a.file}", a.file))
            sizes: set[int] = set()
            for proof in sorted(page_dir.glob("proof-*.tlog-proof"), key=lambda p: int(p.stem.split("-")[1])):
                shutil.copyfile(proof, target / proof.name)
                entry.proofs.append(f"{folder}/{proof.name}")
                size = site.anchors.covering(int(proof.stem.split("-")[1]))
                if size is not None:
                    sizes.add(size)
            for size in sorted(sizes):
                for name in [str(size), *(f"{size}.{tsa}.tsr" for tsa in sorted(site.anchors.tokens.get(size, {})))]:
                    source = work / CHECKPOINTS / name
                    if source.is_file():
                        (target / "checkpoints").mkdir(exist_ok=True)
                        shutil.copyfile(source, target / "checkpoints" / name)
                        entry.copies.append(f"{folder}/checkpoints/{name}")
        entries.append(entry)
    return entries


def _copy(source: Path, work: Path, rel: str, name: str) -> dict[str, str]:
    target = work / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return {"tep": name, "duong_dan": rel, "sha256": hashlib.sha256(target.read_bytes()).hexdigest()}


# --- printing -------------------------------------------------------------------------------


def _print(
    built: Path, entries: list[Entry], work: Path, settings: Settings, year: int, report_html: Path, report_pdf: Path
) -> None:
    """Print every record page (served from ``built`` on 127.0.0.1) and the report to PDF
    with Chromium. Playwright's sync API runs in a thread of its own, so that it works
    whatever the calling thread runs (an asyncio loop, another Playwright)."""
    printed = dt.datetime.now(ZoneInfo(settings.timezone)).strftime("%d/%m/%Y %H:%M")
    header = f"Hồ sơ minh chứng năm {year} · {settings.agency or settings.site_name} · in ngày {printed}"
    jobs = [
        (e.url_path, work / e.page_pdf, settings.url_for(e.url_path), f"{header} · {_page_basis(e.row)}", e.row.title)
        for e in entries
        if e.url_path and e.page_pdf
    ]
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            _print_with_chromium(built, jobs, report_html, report_pdf, report_title(year))
        except BaseException as exc:  # handed back to the caller's thread
            outcome.append(exc)

    worker = threading.Thread(target=run, name="congkhai-print", daemon=True)
    worker.start()
    worker.join()
    if outcome:
        raise outcome[0]


def _page_basis(row: Row) -> str:
    """What the dates on a printed page rest on, said in its header."""
    if row.attested is not None:
        return f"ngày công bố có dấu thời gian {row.attested_by} ({row.attested.strftime('%d/%m/%Y %H:%M')})"
    return "ngày công bố chỉ theo đồng hồ của cơ quan (không có dấu thời gian)"


def _print_with_chromium(
    built: Path, jobs: list[tuple[str, Path, str, str, str]], report_html: Path, report_pdf: Path, report_title: str
) -> None:
    """Print tagged PDFs (a structure tree, an outline) and make each PDF/A-2b
    (:func:`generator.evidence.pdfa.make_pdfa`) before the manifest is written."""
    if not Path(CHROMIUM).is_file():
        raise CongkhaiError(
            f"không tìm thấy Chromium tại {CHROMIUM}: cài gói chromium của Debian (hoặc đặt biến CONGKHAI_CHROMIUM)"
        )
    small = 'style="font-size:7pt;width:100%;margin:0 12mm;font-family:sans-serif;color:#333"'
    try:
        with _serve(built) as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
                context.set_default_timeout(PRINT_TIMEOUT_MS)
                host = urlsplit(base).netloc
                context.route(
                    "**/*",
                    lambda route: (
                        route.continue_()
                        if urlsplit(route.request.url).netloc == host or route.request.url.startswith("file:")
                        else route.abort()
                    ),
                )
                page = context.new_page()
                page.emulate_media(media="print")
                for url_path, pdf, permalink, header, title in jobs:
                    top = f"<div {small}>{html.escape(header)}</div>"
                    page.goto(base + quote(url_path), wait_until="load")
                    # the folded "Bằng chứng kỹ thuật" (hashes, proofs) is evidence: printed open
                    page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
                    bottom = (
                        f"<div {small}>{html.escape(permalink)} · trang "
                        '<span class="pageNumber"></span>/<span class="totalPages"></span></div>'
                    )
                    pdf.parent.mkdir(parents=True, exist_ok=True)
                    page.pdf(
                        path=str(pdf),
                        format="A4",
                        print_background=True,
                        display_header_footer=True,
                        header_template=top,
                        footer_template=bottom,
                        margin={"top": "15mm", "bottom": "15mm", "left": "12mm", "right": "12mm"},
                        tagged=True,
                        outline=True,
                    )
                    make_pdfa(pdf, title)
                page.goto(report_html.as_uri(), wait_until="load")
                page.pdf(
                    path=str(report_pdf), prefer_css_page_size=True, print_background=True, tagged=True, outline=True
                )
                make_pdfa(report_pdf, report_title)
            finally:
                browser.close()
    except PlaywrightError as exc:
        raise CongkhaiError(f"Chromium không in được trang ra PDF: {str(exc).splitlines()[0]}") from None


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def _serve(directory: Path) -> Iterator[str]:
    """Serve the built site on 127.0.0.1 (a free port) while printing."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="congkhai-print-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


# --- hashes, index, archive -----------------------------------------------------------------


def _write_report_sums(folder: Path, year: int) -> None:
    """``bao-cao-b1-YYYY.sha256`` again, now with the PDF (``sha256sum -c`` reads it)."""
    names = [file_name(year, fmt) for fmt in ("html", "pdf", "xlsx", "csv")]
    lines = "".join(f"{_sha256(folder / n)}  {n}\n" for n in names if (folder / n).is_file())
    (folder / file_name(year, "sha256")).write_text(lines, encoding="utf-8")


def _write_sums(work: Path) -> int:
    files = sorted(p.relative_to(work).as_posix() for p in work.rglob("*") if p.is_file())
    files = [f for f in files if f != SUMS]
    (work / SUMS).write_text("".join(f"{_sha256(work / f)}  {f}\n" for f in files), encoding="utf-8")
    return len(files)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _index(site: Site, report: Report, entries: list[Entry]) -> str:
    data: dict[str, Any] = {
        "dinh_dang": "congkhai-ho-so-minh-chung@1",
        "nam": report.year,
        "co_quan": report.agency,
        "trang": site.settings.site_url,
        "lap_luc": report.generated_at.isoformat(timespec="seconds"),
        "nhat_ky": LOG_FILE,
        "dau_chuoi": report.head,
        "bao_cao": _facts(site, report),
        "ban_ghi": [
            {
                "id": e.row.key,
                "tieu_de": e.row.title,
                "chuyen_muc": e.row.category,
                "pham_vi": "noi-bo" if e.row.internal else "cong-khai",
                "thu_muc": e.folder,
                "url": e.row.url,
                "trang_pdf": e.page_pdf,
                "bang_chung": e.proofs,
                "checkpoints": e.copies,
                "dinh_kem": e.attachments,
            }
            for e in entries
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def _facts(site: Site, report: Report) -> dict[str, Any]:
    """What the checker recomputes the report's verdicts from, besides the log and the tokens:
    each row's first logged event, its deadline (from the category's rules, with its basis)
    and the evidence its category expects with the files of each kind."""
    return {
        "nam": report.year,
        "mui_gio": site.settings.timezone,
        "dong": [
            {
                "stt": n,
                "id": row.key,
                "pham_vi": "noi-bo" if row.internal else "cong-khai",
                "seq": row.seq,
                "hash": row.event_hash,
                "han": row.deadline.isoformat() if row.deadline else None,
                "can_cu": row.deadline_rule,
                "minh_chung_can": [{"nhan": label, "loai": kinds} for label, kinds in row.expected],
                "tep_theo_loai": row.evidence,
            }
            for n, row in enumerate(report.rows, start=1)
        ],
    }


def _zip(folder: Path) -> Path:
    """``<folder>.zip`` beside it, every file under ``<folder name>/``."""
    archive = folder.with_name(folder.name + ".zip")
    temporary = folder.with_name(f".{folder.name}.zip.tmp")
    with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as out:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            out.write(path, f"{folder.name}/{path.relative_to(folder).as_posix()}")
    os.replace(temporary, archive)
    return archive


# --- the inspector's guide -------------------------------------------------------------------


def _guide(site: Site, report: Report, entries: list[Entry], work: Path, signed: bool, tsas: list[str]) -> str:
    tz = site.settings.timezone
    head = f"seq {report.head['seq']}, hash `{report.head['hash']}`" if report.head else "nhật ký chưa có sự kiện"
    made = report.generated_at.strftime("%d/%m/%Y %H:%M")
    lines = [
        f"# Hồ sơ minh chứng năm {report.year}: hướng dẫn kiểm tra",
        "",
        _claims(report, signed, tsas),
        "",
        f"Cơ quan: **{report.agency}**. Trang thông tin: {site.settings.site_url or '(chưa khai báo site_url)'}. "
        f"Lập lúc {made} bằng `congkhai evidence`, từ nhật ký công bố đến {head}.",
        "",
        "## Kiểm tra bằng công cụ của Thanh tra",
        "",
        "Kiểm tra bằng `congkhai` do Thanh tra tự cài (hoặc bản chương trình kiểm tra Thanh tra tự giữ) và "
        "**chính sách tin cậy** (`trust.yml`) của Thanh tra: chứng thư gốc của đơn vị cấp dấu thời gian, khóa "
        "xác minh của cơ quan và các dung sai lấy từ chính sách đó, không lấy từ hồ sơ này:",
        "",
        "```sh",
        "congkhai kiem-tra THƯ-MỤC-HỒ-SƠ --trust trust.yml",
        "```",
        "",
        f"Tệp `{CHECKER}` trong hồ sơ là **bản tiện dùng** do chính cơ quan được kiểm tra gửi kèm: nó không phải "
        "căn cứ độc lập (một bản bị thay có thể in bất cứ điều gì). `congkhai kiem-tra` chạy đúng chương trình "
        f"đó từ bản đã cài và báo nếu `{CHECKER}` trong hồ sơ khác đi. Không có máy cài congkhai thì có thể chạy, "
        "trong thư mục này, trên máy có Python 3.11 trở lên và OpenSSL:",
        "",
        "```sh",
        f"python3 {CHECKER} --trust=ĐƯỜNG-DẪN/trust.yml",
        "```",
        "",
        "Chương trình kiểm tra:",
        "",
        "1. chuỗi nhật ký (`nhat-ky/publication-log.jsonl`): mỗi dòng là JSON dạng chuẩn (khóa xếp theo "
        "thứ tự, không khoảng trắng, không khóa lặp), `seq` tăng 1, 2, 3…, `prev` là `hash` của sự kiện "
        "trước, `hash` là SHA-256 của sự kiện bỏ khóa `hash`, thời điểm `at` không đi lùi;",
        "2. mỗi checkpoint (`nhat-ky/checkpoints/<số>`): mã gốc Merkle của `<số>` dòng đầu nhật ký (lá = "
        "SHA-256(0x00‖dòng), nút = SHA-256(0x01‖trái‖phải)), chữ ký của cơ quan và chữ ký chứng kiến;",
        "3. mỗi dấu thời gian (`<số>.<tên>.tsr`) bằng `openssl ts -verify … -attime` với chứng thư gốc "
        "trong chính sách tin cậy, và thời điểm được chứng thực của từng sự kiện;",
        "4. mỗi tệp bằng chứng `proof-<seq>.tlog-proof`: dòng `<seq>` của nhật ký nằm trong checkpoint;",
        "5. SHA-256 của mỗi tệp đính kèm so với nhật ký; các bản sao checkpoint của từng hồ sơ;",
        "6. mọi kết luận của báo cáo B1 (ngày công bố, nguồn thời điểm, hạn, đúng hạn hay trễ, tài liệu còn "
        f"thiếu) được tính lại từ nhật ký, dấu thời gian và dữ kiện trong `{INDEX}`, rồi so với từng dòng của "
        "bản CSV, XLSX và HTML;",
        f"7. SHA-256 của mọi tệp trong `{SUMS}` (cũng kiểm được bằng `sha256sum -c {SUMS}`), chữ ký của cơ "
        f"quan trên danh mục đó (`{SUMS_SIGNATURE}`) và dấu thời gian lúc lập hồ sơ (`tong-kiem.<tên>.tsr`).",
        "",
        "Mỗi lỗi in một dòng `tệp:dòng: mục: lỗi`; dòng cuối là `KẾT QUẢ: ĐẠT` (mã thoát 0), "
        "`KẾT QUẢ: KHÔNG ĐẠT` (1, có lỗi) hoặc `KẾT QUẢ: CHƯA ĐỦ CĂN CỨ` (3: không có lỗi nhưng có ngày chỉ "
        "theo đồng hồ của cơ quan, danh mục tệp không được ký hay không có dấu thời gian, hoặc chưa dùng chính "
        "sách tin cậy), kèm các dòng `Lý do`.",
        "",
        "## Thời điểm được chứng thực là gì",
        "",
        "Cơ quan tự chạy lệnh công bố và tự giữ đồng hồ, nên thời điểm `at` trong nhật ký chỉ là lời của cơ "
        "quan. Sau mỗi lần công bố, một checkpoint (tên nhật ký, số sự kiện, mã gốc Merkle) được gửi tới "
        "đơn vị cấp dấu thời gian; dấu thời gian RFC 3161 họ ký xác nhận checkpoint đó đã có vào thời điểm "
        "`genTime` theo đồng hồ của họ. **Thời điểm được chứng thực** của một sự kiện là `genTime` sớm nhất "
        "của một dấu thời gian hợp lệ trên một checkpoint chứa sự kiện đó: thông tin chắc chắn đã được "
        "công bố **không muộn hơn** thời điểm này. Một sự kiện ghi ngày muộn hơn thời điểm được chứng thực, "
        "hoặc sớm hơn quá nhiều (ghi lùi ngày), là lỗi. Báo cáo B1 tính đúng hạn theo thời điểm được "
        "chứng thực và ghi rõ dòng nào chỉ theo đồng hồ của cơ quan.",
        "",
        "## Các tệp",
        "",
        "| tệp | là gì |",
        "|---|---|",
        f"| `{GUIDE}` | hướng dẫn này |",
        f"| `{CHECKER}` | bản tiện dùng của chương trình kiểm tra, do cơ quan gửi kèm (không phải căn cứ độc lập) |",
        f"| `{INDEX}` | mục lục: mỗi hồ sơ, thư mục của nó, bản in trang, bằng chứng, tệp đính kèm và SHA-256 |",
        f"| `{SUMS}` | SHA-256 của mọi tệp khác trong hồ sơ (danh mục tệp) |",
        f"| `{SUMS_SIGNATURE}`, `tong-kiem.<tên>.tsr` | chữ ký của cơ quan và dấu thời gian trên danh mục tệp |",
        f"| `{VKEY_FILE}` | khóa xác minh của cơ quan như cơ quan tự khai (đối chiếu với chính sách tin cậy) |",
        f"| `{REPORT_DIR}/{file_name(report.year, 'html')}`, `.pdf` | bảng tài liệu kiểm chứng B1 (bản in A4 ngang) |",
        f"| `{REPORT_DIR}/{file_name(report.year, 'xlsx')}`, `.csv` | cùng bảng, cho Excel |",
        f"| `{REPORT_DIR}/{file_name(report.year, 'sha256')}` | SHA-256 của bốn tệp báo cáo |",
        f"| `{LOG_FILE}` | nhật ký công bố, đúng từng byte như trang phục vụ |",
        f"| `{LOG_DIR}/checkpoint`, `{CHECKPOINTS}/<số>` | checkpoint mới nhất và mọi checkpoint (C2SP tlog-checkpoint) |",
        f"| `{CHECKPOINTS}/<số>.<tên>.tsr` | dấu thời gian RFC 3161 (TimeStampResp, DER) của đơn vị `<tên>` trên checkpoint `<số>` |",
        f"| `{LOG_DIR}/tsa/<tên>.pem` | chứng thư gốc của đơn vị cấp dấu thời gian `<tên>` |",
        f"| `{RECORDS_DIR}/NN-<chuyên mục>/<loại>/<mã>/{PAGE_PDF}` | trang của hồ sơ in ra PDF như người đọc in: đường dẫn, ngày công bố, lịch sử, SHA-256 |",
        f"| `{RECORDS_DIR}/…/dinh-kem/` | các tệp đính kèm của hồ sơ, đúng như trang phục vụ |",
        f"| `{RECORDS_DIR}/…/proof-<seq>.tlog-proof` | bằng chứng sự kiện `<seq>` nằm trong nhật ký (C2SP tlog-proof) |",
        f"| `{RECORDS_DIR}/…/checkpoints/` | checkpoint và dấu thời gian mà các bằng chứng của hồ sơ dựa vào |",
        "",
        "## Hồ sơ theo nhiệm vụ",
        "",
        "Mỗi chuyên mục (nhiệm vụ của Kế hoạch) một thư mục, trong đó mỗi loại thông tin một thư mục.",
        "",
        "| chuyên mục, loại | thư mục | hồ sơ | công bố lần đầu | nguồn thời điểm | còn thiếu |",
        "|---|---|---|---|---|---|",
    ]
    by_key = {r.key: r for r in site.records}
    for e in entries:
        record = by_key.get(e.row.key)
        kind = record.category.kind_label(record.kind) if record else ""
        task = e.row.category + (f", {kind}" if kind else "")
        when = format_date(e.row.first_published) if e.row.first_published else "(nội bộ, không đăng trang)"
        source = e.row.time_source or "—"
        missing = "; ".join(e.row.missing) or "—"
        lines.append(
            f"| {_cell(task)} | `{e.folder}/` | {_cell(e.row.title)} | {when} | {_cell(source)} | {_cell(missing)} |"
        )
    lines += ["", "## Chứng thư gốc của đơn vị cấp dấu thời gian", ""]
    roots = sorted((work / LOG_DIR / "tsa").glob("*.pem"))
    if roots:
        lines += [
            "Dấu thời gian chỉ có giá trị khi chứng thư gốc đúng là của đơn vị cấp dấu thời gian, không phải do "
            "cơ quan tự tạo: đối chiếu vân tay SHA-256 dưới đây với vân tay đơn vị đó công bố (`openssl x509 "
            "-in nhat-ky/tsa/TÊN.pem -noout -subject -fingerprint -sha256` in lại đúng các giá trị này).",
            "",
        ]
        lines += [f"- `{LOG_DIR}/tsa/{pem.name}`: {_root_line(pem)}" for pem in roots]
    else:
        lines.append("Không khai báo đơn vị cấp dấu thời gian nào (tùy chọn `timestamping`).")
    lines += ["", "## Kiểm tra từng dấu thời gian bằng OpenSSL", ""]
    tokens = sorted((work / CHECKPOINTS).glob("*.tsr"), key=lambda p: (int(p.name.split(".")[0]), p.name))
    if not tokens:
        lines.append("Nhật ký chưa có dấu thời gian nào: mọi ngày công bố chỉ theo đồng hồ của cơ quan.")
    else:
        lines += [
            "Mỗi lệnh dưới đây, chạy trong thư mục này, phải in `Verification: OK`. `-attime` là thời điểm cấp "
            "(`genTime`, giây kể từ 01/01/1970 UTC): chứng thư của đơn vị cấp được kiểm tra tại thời điểm đó, "
            "nên dấu thời gian vẫn kiểm được sau khi chứng thư hết hạn. Xem thời điểm cấp: "
            "`openssl ts -reply -in TỆP.tsr -text`.",
            "",
            "```sh",
        ]
        for token in tokens:
            size, tsa = token.name.split(".")[:2]
            when = token_time(token.read_bytes())
            command = openssl_verify_command(
                f"{CHECKPOINTS}/{token.name}", f"{CHECKPOINTS}/{size}", f"{LOG_DIR}/tsa/{tsa}.pem", at=when
            )
            local = format_local(when.isoformat(), tz, with_time=True)
            lines += [f"# checkpoint {size}, {tsa}, cấp lúc {local}", shlex.join(command)]
        lines += ["```"]
    lines += _signature_guide(report, entries)
    lines += [
        "",
        "## Tự kiểm tra bằng tay",
        "",
        "Chuỗi nhật ký kiểm được bằng hai mươi dòng của bất kỳ ngôn ngữ nào (xem README của congkhai, mục "
        f"*For auditors*). Mã gốc của checkpoint là cây Merkle RFC 9162 trên các dòng của `{LOG_FILE}` (mỗi "
        "dòng không kể ký tự xuống dòng). Một tệp `proof-<seq>.tlog-proof` gồm dòng `index` (= seq − 1), các "
        "mã băm của đường đi (base64), một dòng trống, rồi nguyên văn checkpoint. Trang đang chạy cũng phục vụ "
        "đúng các tệp này: `<trang>/nhat-ky-cong-khai/publication-log.jsonl`, `…/checkpoints/`, và mỗi "
        "`proof-<seq>.tlog-proof` cạnh trang hồ sơ; so sánh chúng với hồ sơ này để chắc rằng nhật ký "
        "không bị viết lại sau khi gửi.",
        "",
        f"Kết quả `congkhai verify` lúc lập hồ sơ: {report.verified}.",
        "",
    ]
    return "\n".join(lines)


def _signature_guide(report: Report, entries: list[Entry]) -> list[str]:
    """The digital signatures of the PDF evidence, by evidence kind, and how to recheck them offline."""
    listed = []
    for kind, label in report.evidence_kinds.items():
        files = [
            f"- `{e.folder}/dinh-kem/{name}`: {e.row.signed[name]}"
            for e in entries
            for name in e.row.evidence.get(kind, [])
            if name in e.row.signed
        ]
        if files:
            listed += ["", f"**{label}**", "", *files]
    if not listed:
        return []
    return [
        "",
        "## Chữ ký số của văn bản đính kèm",
        "",
        "congkhai kiểm tra chữ ký số PAdES của mỗi tệp PDF (pyHanko, không kết nối mạng) với các chứng thư gốc "
        "cơ quan khai báo (`signature_roots`): người ký, thời điểm ký, tệp có bị sửa sau khi ký không, chứng thư "
        "có dẫn đến một chứng thư gốc và còn hiệu lực lúc ký không. Tình trạng thu hồi (OCSP, CRL) **không** "
        "được kiểm tra, trừ khi tệp đã chứa sẵn thông tin thu hồi. Kết quả theo loại minh chứng:",
        *listed,
        "",
        "Kiểm tra lại với chứng thư gốc do Thanh tra tự giữ (Ban Cơ yếu Chính phủ, tổ chức cung cấp dịch vụ "
        "chứng thực được cấp phép), không dùng chứng thư gốc do cơ quan gửi kèm, bằng pyHanko "
        "(`pip install pyhanko-cli`):",
        "",
        "```sh",
        "pyhanko sign validate --pretty-print --trust-replace --trust GOC.pem --no-revocation-check TỆP.pdf",
        "```",
        "",
        "hoặc chỉ bằng Python 3 và OpenSSL (chữ ký thứ nhất của tệp; `-attime`: giây kể từ 01/01/1970 UTC của "
        "thời điểm ký, để kiểm tra chứng thư tại thời điểm đó); lệnh thứ hai phải in `CMS Verification successful`:",
        "",
        "```sh",
        SIGNATURE_EXTRACT,
        "openssl cms -verify -binary -inform DER -in chu-ky.der -content phan-duoc-ky.bin -CAfile GOC.pem "
        "-purpose any -out /dev/null",
        "```",
    ]


SIGNATURE_EXTRACT = (
    "python3 -c \"import re,sys;d=open(sys.argv[1],'rb').read();"
    "a,b,c,e=map(int,re.search(rb'/ByteRange\\s*\\[\\s*(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)',d).groups());"
    "open('phan-duoc-ky.bin','wb').write(d[a:a+b]+d[c:c+e]);"
    "open('chu-ky.der','wb').write(bytes.fromhex(d[a+b+1:c-1].decode()))\" TỆP.pdf"
)
"""Writes the bytes the first signature of ``TỆP.pdf`` covers and its CMS signature (for ``openssl cms``)."""


def _claims(report: Report, signed: bool, tsas: list[str]) -> str:
    """The guide's first paragraph: exactly what this dossier proves and what it does not."""
    public = [r for r in report.rows if not r.internal]
    office = report.office_clock_rows
    proves = [
        "nhật ký công bố của cơ quan nhất quán (chuỗi băm, cây Merkle) và mỗi tệp đính kèm, bằng chứng khớp với nó"
    ]
    not_proven = []
    if public and len(office) < len(public):
        proves.append(
            f"{len(public) - len(office)} trên {len(public)} ngày công bố trong báo cáo có dấu thời gian RFC 3161: "
            "thông tin đã có không muộn hơn thời điểm đó"
        )
    if office:
        not_proven.append(
            f"{len(office)} ngày công bố chỉ theo đồng hồ của cơ quan (không có dấu thời gian), nên kết luận "
            "đúng hạn hay trễ hạn của các dòng đó không có căn cứ độc lập"
        )
    if signed and tsas:
        proves.append(
            "danh mục tệp của hồ sơ được cơ quan ký và có dấu thời gian lúc lập, nên không tệp nào bị thay sau đó"
        )
    else:
        missing = [] if signed else ["chữ ký của cơ quan"]
        missing += [] if tsas else ["dấu thời gian"]
        not_proven.append(
            f"danh mục tệp không có {' và '.join(missing)}: báo cáo, bản in và hướng dẫn này có thể bị thay sau khi lập"
        )
    not_proven.append(
        "rằng chứng thư gốc và khóa trong hồ sơ đúng là của đơn vị cấp dấu thời gian và của cơ quan: điều đó chỉ được "
        "chứng minh khi kiểm tra với chính sách tin cậy của Thanh tra"
    )
    not_proven.append(
        "hạn công bố là do congkhai của cơ quan tính theo quy tắc của chuyên mục (ghi căn cứ ở từng dòng); "
        "chương trình kiểm tra tính lại đúng hạn hay trễ từ hạn đó và ngày được chứng thực"
    )
    verdict = (
        "chưa đủ căn cứ để kết luận tiêu chí B1"
        if office or not (signed and tsas)
        else "đủ căn cứ khi kiểm tra với chính sách tin cậy"
    )
    return (
        f"**Hồ sơ này chứng minh:** {'; '.join(proves)}. **Hồ sơ này không chứng minh:** {'; '.join(not_proven)}. "
        f"Theo những gì hồ sơ có: {verdict}."
    )


def _root_line(pem: Path) -> str:
    try:
        cert = x509.load_pem_x509_certificate(pem.read_bytes())
    except ValueError:
        return "không đọc được chứng thư (PEM)"
    fingerprint = cert.fingerprint(hashes.SHA256()).hex().upper()
    pairs = ":".join(fingerprint[i : i + 2] for i in range(0, len(fingerprint), 2))
    return f"{cert.subject.rfc4514_string()}; vân tay SHA-256 `{pairs}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
