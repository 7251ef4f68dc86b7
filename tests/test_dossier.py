"""The yearly evidence dossier (``congkhai evidence``): a project published twice with a real
OpenSSL TSA on 127.0.0.1, its dossier made by the real command in a child process (Chromium
prints the PDFs), read back with ``pdftotext``, checked offline by its own ``kiem-tra.py``
(``python3 -I``, no PYTHONPATH), then tampered with in copies."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pikepdf
import pikepdf.pdfa
import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from generator.core.values import format_local
from generator.evidence import pdfa
from generator.ledger import checkpoints
from tests.conftest import BASE_FILES, MKDOCS_YML, REPO, run_cli, write_files
from tests.test_attested import with_tsas

YEAR = "2026"
LICH = "ho-so/05-tiep-cong-dan/lich/2026/lich-thang-05"
URL = "https://congkhai.example.gov.vn/tiep-cong-dan/2026/lich-thang-05/"


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}


def congkhai(root: Path, *args: str) -> subprocess.CompletedProcess:
    """The real command line in a child process (this checkout's ``generator``)."""
    return subprocess.run(
        [sys.executable, "-m", "generator", "-f", str(root / "mkdocs.yml"), *args],
        env={**_env(), "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def check(folder: Path) -> subprocess.CompletedProcess:
    """The dossier's verifier as an inspector runs it: plain ``python3 -I`` in the folder."""
    return subprocess.run(
        ["python3", "-I", "kiem-tra.py"], cwd=folder, env=_env(), capture_output=True, text=True, timeout=120
    )


def check_with(folder: Path, trust: Path) -> subprocess.CompletedProcess:
    """The dossier's copy of the checker with the inspectorate's trust policy."""
    return subprocess.run(
        ["python3", "-I", "kiem-tra.py", f"--trust={trust}"],
        cwd=folder,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def pdf_text(path: Path) -> str:
    """The PDF's text in reading order (table cells whole), whitespace collapsed."""
    done = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    return " ".join(done.stdout.split())


ORIGIN = "congkhai.example.gov.vn/nhat-ky-cong-khai"


def with_key(root: Path, key: Ed25519PrivateKey) -> Path:
    """The office's signing key, outside the project, named by the option ``signing_key``."""
    pem = root.parent / "khoa-ky.pem"
    pem.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    config = root / "mkdocs.yml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("      agency:", f"      signing_key: {pem}\n      agency:"),
        encoding="utf-8",
    )
    return pem


def write_trust(folder: Path, root_pem: Path, key: Ed25519PrivateKey, **extra) -> Path:
    """The inspectorate's trust.yml (SPEC 4c): the test TSA's root and the office's vkey."""
    policy = {
        "tsas": [{"name": "openssl", "root": str(root_pem)}],
        "offices": [
            {
                "name": "Ban Quản lý",
                "url": "https://congkhai.example.gov.vn/",
                "key": checkpoints.verifier_key(ORIGIN, key.public_key()),
            }
        ],
        "max_timestamp_delay": 24,
        "clock_skew": 300,
        "require": {"timestamps": True, "cosignatures": 0},
        **extra,
    }
    path = folder / "trust.yml"
    path.write_text(yaml.safe_dump(policy, allow_unicode=True), encoding="utf-8")
    return path


def inspect(folder: Path, trust: Path | None) -> subprocess.CompletedProcess:
    """The inspector's own installed tool: ``congkhai kiem-tra FOLDER --trust trust.yml``."""
    return subprocess.run(
        [sys.executable, "-m", "generator", "kiem-tra", str(folder), *(["--trust", str(trust)] if trust else [])],
        env={**_env(), "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def office_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def dossier(tmp_path_factory, openssl_tsa, office_key):
    """(project, dossier folder): published twice (the schedule updated), then the dossier."""
    root = tmp_path_factory.mktemp("dossier") / "project"
    root.mkdir()
    (root / "mkdocs.yml").write_text(MKDOCS_YML, encoding="utf-8")
    write_files(root, BASE_FILES)
    with_tsas(root, ("openssl", openssl_tsa))
    with_key(root, office_key)
    www = str(root / "www")
    assert run_cli(root, "publish", "--allow-sample", "--deploy-to", www).exit_code == 0
    lich = root / "disclosures/tiep-cong-dan/2026/lich-thang-05.yml"
    lich.write_text(
        lich.read_text(encoding="utf-8").replace("ngày 15/5/2026.", "ngày 15/5/2026 tại trụ sở Ban.")
        + "change_note: Ghi rõ nơi tiếp.\n",
        encoding="utf-8",
    )
    (root / "disclosures/tiep-cong-dan/2026/thong-bao.pdf").write_bytes(b"%PDF-1.4 ban moi\n")
    result = run_cli(root, "publish", "--allow-sample", "--deploy-to", www)
    assert result.exit_code == 0, result.output
    out = root.parent / "ho-so-2026"
    done = congkhai(root, "evidence", "--year", YEAR, "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Đã lập hồ sơ minh chứng năm 2026: {out}" in done.stdout
    assert f"Bản nén: {out}.zip" in done.stdout
    # its own copy of the checker, with no trust policy, never says ĐẠT: the roots are the office's
    assert "KẾT QUẢ: CHƯA ĐỦ CĂN CỨ." in done.stdout, done.stdout
    assert "chưa kiểm tra với chính sách tin cậy" in done.stdout
    return root, out


@pytest.fixture(scope="module")
def trust(dossier, office_key, openssl_tsa):
    return write_trust(dossier[0].parent, openssl_tsa.ca_pem, office_key)


def test_the_dossier_holds_the_report_the_log_and_each_record(dossier):
    root, out = dossier
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    sizes = sorted(int(p.name) for p in (root / "publication-log.checkpoints").iterdir() if p.name.isdigit())
    assert len(sizes) == 2
    expected = {
        "HUONG-DAN-KIEM-TRA.md",
        "kiem-tra.py",
        "muc-luc.json",
        "tong-kiem.sha256",
        *(f"bao-cao/bao-cao-b1-2026.{ext}" for ext in ("html", "pdf", "xlsx", "csv", "sha256")),
        "nhat-ky/publication-log.jsonl",
        "nhat-ky/checkpoint",
        "nhat-ky/tsa/openssl.pem",
        *(f"nhat-ky/checkpoints/{n}" for n in sizes),
        *(f"nhat-ky/checkpoints/{n}.openssl.tsr" for n in sizes),
        f"{LICH}/trang.pdf",
        f"{LICH}/dinh-kem/thong-bao.pdf",
        *(f"{LICH}/checkpoints/{n}" for n in sizes),
        *(f"{LICH}/checkpoints/{n}.openssl.tsr" for n in sizes),
        "ho-so/05-tiep-cong-dan/bien-ban/2026/bien-ban-thang-04/trang.pdf",
        "ho-so/04-duong-day-nong/2026/duong-day-nong/trang.pdf",
        # the internal record of the posting: no page, kept for the inspectorate
    }
    assert expected <= files, sorted(expected - files)
    log = (root / "publication-log.jsonl").read_bytes()
    assert (out / "nhat-ky/publication-log.jsonl").read_bytes() == log
    seqs = [json.loads(line)["seq"] for line in log.splitlines() if b"lich-thang-05" in line]
    assert len(seqs) == 2
    assert {f"{LICH}/proof-{s}.tlog-proof" for s in seqs} <= files
    assert (out / f"{LICH}/dinh-kem/thong-bao.pdf").read_bytes() == b"%PDF-1.4 ban moi\n"
    index = json.loads((out / "muc-luc.json").read_text(encoding="utf-8"))
    assert [r["pham_vi"] for r in index["ban_ghi"]].count("noi-bo") == 1
    # the zip holds the same files, under the folder's name
    with zipfile.ZipFile(f"{out}.zip") as archive:
        names = {n.removeprefix("ho-so-2026/") for n in archive.namelist()}
        assert names == files
        assert archive.read("ho-so-2026/nhat-ky/publication-log.jsonl") == log
    guide = (out / "HUONG-DAN-KIEM-TRA.md").read_text(encoding="utf-8")
    assert "python3 kiem-tra.py" in guide and "Thời điểm được chứng thực là gì" in guide
    assert "- `nhat-ky/tsa/openssl.pem`: CN=Congkhai Test Root," in guide
    for n in sizes:
        line = next(x for x in guide.splitlines() if x.startswith(f"openssl ts -verify -in nhat-ky/checkpoints/{n}."))
        assert f"-data nhat-ky/checkpoints/{n} -CAfile nhat-ky/tsa/openssl.pem -attime " in line
        done = subprocess.run(line.split(), cwd=out, capture_output=True, text=True)  # the command as written
        assert done.returncode == 0 and "Verification: OK" in done.stdout, done.stdout + done.stderr


def test_the_pdfs_show_what_a_reader_sees(dossier):
    root, out = dossier
    page = pdf_text(out / LICH / "trang.pdf")
    record = root / "disclosures/tiep-cong-dan/2026/lich-thang-05.yml"
    assert "Thông báo lịch tiếp công dân tháng 5/2026" in page
    assert URL in page
    assert "Công bố lần đầu" in page and "Lịch sử cập nhật" in page and "Ghi rõ nơi tiếp." in page
    assert "Ngày ban hành 05/05/2026" in page  # the document's date, dd/mm/yyyy
    log = (root / "publication-log.jsonl").read_text(encoding="utf-8").splitlines()
    first = json.loads(next(x for x in log if "lich-thang-05" in x))
    assert f"Công bố lần đầu {format_local(first['at'])}" in page
    assert f"{format_local(first['at'], with_time=True)} — Công bố, phiên bản 1" in page
    assert f"Mã SHA-256 nội dung {hashlib.sha256(record.read_bytes()).hexdigest()}" in page
    assert "Phiên bản 2" in page and "Bằng chứng trong nhật ký (tlog-proof)" in page
    report = pdf_text(out / "bao-cao/bao-cao-b1-2026.pdf")
    head = json.loads((root / "publication-log.jsonl").read_text(encoding="utf-8").splitlines()[-1])
    assert "BẢNG TÀI LIỆU KIỂM CHỨNG TIÊU CHÍ B1 NĂM 2026" in report
    assert "Thông báo lịch tiếp công dân tháng 5/2026" in report
    assert f"sự kiện số {head['seq']}, mã băm {head['hash']}" in report
    assert "05/05/2026" in report  # dd/mm/yyyy


def test_every_printed_pdf_is_a_tagged_pdfa_2b(dossier):
    """Every PDF the dossier printed (the report, each record's page) is PDF/A-2b and tagged,
    by the checks of :func:`generator.evidence.pdfa.problems` (a subset of ISO 19005-2:
    veraPDF, the reference validator, is not installable here), by pikepdf's own PDF/A-2b
    validator (``pikepdf.pdfa.check``, written by nobody here), and pdffonts agrees that
    every font is embedded."""
    _, out = dossier
    printed = sorted(p for p in out.rglob("*.pdf") if "dinh-kem" not in p.parts)
    assert len(printed) == 5, printed  # the report and the four public records' pages
    for path in printed:
        assert pdfa.problems(path) == [], path
        with pikepdf.open(path) as pdf:
            meta = pdf.open_metadata()
            assert (meta["pdfaid:part"], meta["pdfaid:conformance"]) == ("2", "B")
            assert str(pdf.Root.Lang) == "vi"
            assert meta["dc:title"] == str(pdf.docinfo.Title) != ""
            intent = pdf.Root.OutputIntents[0]
            assert intent.S == pikepdf.Name.GTS_PDFA1 and intent.DestOutputProfile.N == 3
            assert len(pdf.Root.StructTreeRoot.K) > 0
            # pikepdf's own PDF/A validator (pikepdf.pdfa, with fontTools for the fonts' checks)
            # (0 violations; it leaves unchecked only two keys Chromium writes that it does not
            # know: /Type in ViewerPreferences and an outline item's /SE, its structure element)
            report = pikepdf.pdfa.check(pdf, "2b")
            assert not report.violations, (path, report.summary())
            unchecked = {f.rule for f in report.unsupported}
            assert unchecked <= {"pikepdf:schema-ViewerPreferences", "pikepdf:schema-OutlineItem"}, report.summary()
        fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
        rows = fonts.splitlines()[2:]
        assert rows and all(line.split()[-5] == "yes" for line in rows), fonts  # the "emb" column
    lich = pdf_title(out / LICH / "trang.pdf")
    assert lich == "Thông báo lịch tiếp công dân tháng 5/2026"


def pdf_title(path: Path) -> str:
    with pikepdf.open(path) as pdf:
        return str(pdf.docinfo.Title)


def test_the_honest_dossier_passes_with_the_inspectorates_trust_policy(dossier, trust):
    _, out = dossier
    for done in (inspect(out, trust), check_with(out, trust)):
        assert done.returncode == 0, done.stdout + done.stderr
        lines = done.stdout.splitlines()
        assert f"Kiểm tra hồ sơ minh chứng: {out}" in lines
        assert f"Chính sách tin cậy: {trust} (chứng thư gốc, khóa và dung sai lấy từ đây, không từ hồ sơ)" in lines
        assert any(x.startswith("- Dấu thời gian: 2 tệp; thời điểm được chứng thực: ") for x in lines)
        assert any(x.startswith("- Báo cáo B1: 5 dòng, tính lại từ nhật ký: ") for x in lines)
        assert any("chữ ký của cơ quan hợp lệ (khóa của cơ quan trong chính sách tin cậy)" in x for x in lines)
        assert lines[-1].startswith("KẾT QUẢ: ĐẠT.")


def test_without_a_trust_policy_the_dossiers_checker_is_not_enough(dossier):
    _, out = dossier
    done = check(out)
    assert done.returncode == 3, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Lưu ý: kiem-tra.py trong hồ sơ là bản tiện dùng")
    assert any(x.startswith("  Chứng thư gốc trong hồ sơ openssl: ") and "SHA-256 " in x for x in lines)
    assert "  Lý do: chưa kiểm tra với chính sách tin cậy của Thanh tra: chạy congkhai kiem-tra" in done.stdout
    assert lines[-1].startswith("KẾT QUẢ: CHƯA ĐỦ CĂN CỨ.")
    assert "Lưu ý: Tệp tong-kiem" not in done.stdout


def _copy(out: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "ban-sao"
    shutil.copytree(out, copy)
    return copy


def _edit_log_line(folder: Path) -> str:
    log = folder / "nhat-ky/publication-log.jsonl"
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[0] = lines[0].replace("Đường dây nóng", "Đường dây nóng mới")
    log.write_text("".join(lines), encoding="utf-8")
    return "nhat-ky/publication-log.jsonl:1: hash: seq 1: không khớp nội dung (dòng đã bị sửa)"


def _replace_attachment(folder: Path) -> str:
    (folder / LICH / "dinh-kem/thong-bao.pdf").write_bytes(b"%PDF-1.4 ban da sua\n")
    return f"{LICH}/dinh-kem/thong-bao.pdf:1: sha256: tiep-cong-dan/2026/lich-thang-05: SHA-256 "


def _swap_token(folder: Path) -> str:
    store = folder / "nhat-ky/checkpoints"
    first, second = sorted((p for p in store.glob("*.tsr")), key=lambda p: int(p.name.split(".")[0]))
    data = first.read_bytes()
    first.write_bytes(second.read_bytes())
    second.write_bytes(data)
    return f"nhat-ky/checkpoints/{first.name}:1: token: openssl ts -verify thất bại"


def _truncate_log(folder: Path) -> str:
    log = folder / "nhat-ky/publication-log.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join(lines[:-1]))
    size = len(lines)
    return (
        f"nhat-ky/checkpoints/{size}:2: checkpoint: checkpoint có {size} sự kiện nhưng nhật ký chỉ có {size - 1} dòng"
    )


def _break_index(folder: Path) -> str:
    (folder / "muc-luc.json").write_text('{"ban_ghi": [1]}', encoding="utf-8")
    return "muc-luc.json:1: kiem-tra: không kiểm tra hết được"


@pytest.mark.parametrize("tamper", [_edit_log_line, _replace_attachment, _swap_token, _truncate_log, _break_index])
def test_a_tampered_dossier_fails_naming_the_file(dossier, tmp_path, tamper):
    _, out = dossier
    folder = _copy(out, tmp_path)
    expected = tamper(folder)
    done = check(folder)
    assert done.returncode == 1, done.stdout
    assert any(line.startswith(expected) for line in done.stdout.splitlines()), done.stdout
    assert done.stdout.splitlines()[-1].startswith("KẾT QUẢ: KHÔNG ĐẠT")
    assert "Traceback" not in done.stdout + done.stderr


def test_bad_input_gives_one_message_and_no_traceback(dossier, tmp_path):
    root, out = dossier
    done = congkhai(root, "evidence", "--year", YEAR, "--out", str(out))
    assert done.returncode == 1
    assert f"{out} đã có và không trống; chọn thư mục khác hoặc xóa nó trước" in done.stderr
    done = congkhai(root, "evidence", "--year", "20x6", "--out", str(tmp_path / "x"))
    assert done.returncode == 1 and "năm '20x6' không hợp lệ" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "x").exists()
    done = subprocess.run(["python3", "-I", str(out / "kiem-tra.py"), str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 1 and "không phải thư mục hồ sơ minh chứng" in done.stdout


# --- attacks on the dossier, each resealed as the attacker would -------------------------------


def reseal(folder: Path, key: Ed25519PrivateKey | None = None) -> None:
    """Recompute the dossier's own hashes (the report's .sha256 and tong-kiem.sha256); with
    ``key`` (the office itself is the attacker) sign the new manifest too."""
    report = folder / "bao-cao"
    names = [f"bao-cao-b1-{YEAR}.{ext}" for ext in ("html", "pdf", "xlsx", "csv")]
    sums = "".join(f"{hashlib.sha256((report / n).read_bytes()).hexdigest()}  {n}\n" for n in names)
    (report / f"bao-cao-b1-{YEAR}.sha256").write_text(sums, encoding="utf-8")
    skip = {"tong-kiem.sha256", "tong-kiem.sig"}
    files = sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p.name not in skip and not p.name.startswith("tong-kiem.")
    )
    manifest = "".join(f"{hashlib.sha256((folder / f).read_bytes()).hexdigest()}  {f}\n" for f in files).encode()
    (folder / "tong-kiem.sha256").write_bytes(manifest)
    if key is not None:
        blob = checkpoints.key_id(ORIGIN, key.public_key()) + key.sign(manifest)
        (folder / "tong-kiem.sig").write_text(f"\u2014 {ORIGIN} {base64.b64encode(blob).decode()}\n", encoding="utf-8")


def _late_to_on_time(folder: Path, key: Ed25519PrivateKey) -> list[str]:
    path = folder / f"bao-cao/bao-cao-b1-{YEAR}.csv"
    text = path.read_text(encoding="utf-8-sig")
    assert re.search(r"Trễ \d+ ngày", text)
    path.write_text(re.sub(r"Trễ \d+ ngày", "Đúng hạn", text), encoding="utf-8-sig")
    reseal(folder, key)  # the office re-signs: the recomputed verdicts still disagree
    return [f"bao-cao/bao-cao-b1-{YEAR}.csv:", ": Đúng hạn: ", "báo cáo ghi 'Đúng hạn', tính lại từ nhật ký"]


def _html_and_xlsx_replaced(folder: Path, key: Ed25519PrivateKey) -> list[str]:
    html_file = folder / f"bao-cao/bao-cao-b1-{YEAR}.html"
    html_file.write_text(re.sub(r"Trễ \d+ ngày", "Đúng hạn", html_file.read_text(encoding="utf-8")), encoding="utf-8")
    xlsx = folder / f"bao-cao/bao-cao-b1-{YEAR}.xlsx"
    book = openpyxl.load_workbook(xlsx)
    for row in book.worksheets[0].iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and re.fullmatch(r"Trễ \d+ ngày", cell.value):
                cell.value = "Đúng hạn"
    book.save(xlsx)
    reseal(folder, key)
    return [f"bao-cao/bao-cao-b1-{YEAR}.html:", f"bao-cao/bao-cao-b1-{YEAR}.xlsx:", ": Đúng hạn: "]


def _report_pdf_replaced(folder: Path, key: Ed25519PrivateKey) -> list[str]:
    (folder / f"bao-cao/bao-cao-b1-{YEAR}.pdf").write_bytes(b"%PDF-1.4 bao cao khac\n")
    reseal(folder)
    return ["tong-kiem.sig:1: signature: chữ ký trên tong-kiem.sha256 không hợp lệ"]


def _page_swapped(folder: Path, key: Ed25519PrivateKey) -> list[str]:
    other = folder / "ho-so/04-duong-day-nong/2026/duong-day-nong/trang.pdf"
    shutil.copyfile(other, folder / LICH / "trang.pdf")
    reseal(folder)
    return ["tong-kiem.sig:1: signature: chữ ký trên tong-kiem.sha256 không hợp lệ"]


def _guide_fingerprint_edited(folder: Path, key: Ed25519PrivateKey) -> list[str]:
    guide = folder / "HUONG-DAN-KIEM-TRA.md"
    text = guide.read_text(encoding="utf-8")
    fingerprint = re.search(r"vân tay SHA-256 `([0-9A-F:]+)`", text).group(1)
    guide.write_text(text.replace(fingerprint, "AB:" * 31 + "CD"), encoding="utf-8")
    reseal(folder, key)
    return ["HUONG-DAN-KIEM-TRA.md:", ": vân tay: AB:AB:", "không phải vân tay của đơn vị cấp dấu thời gian"]


def _checker_replaced(folder: Path, key: Ed25519PrivateKey) -> list[str]:
    (folder / "kiem-tra.py").write_text('print("KẾT QUẢ: ĐẠT.")\n', encoding="utf-8")
    reseal(folder, key)
    return ["kiem-tra.py:1: kiem-tra: khác với chương trình kiểm tra của congkhai đã cài"]


@pytest.mark.parametrize(
    "attack",
    [
        _late_to_on_time,
        _html_and_xlsx_replaced,
        _report_pdf_replaced,
        _page_swapped,
        _guide_fingerprint_edited,
        _checker_replaced,
    ],
)
def test_each_resealed_attack_is_reported_by_the_inspectors_tool(dossier, trust, office_key, tmp_path, attack):
    _, out = dossier
    folder = _copy(out, tmp_path)
    expected = attack(folder, office_key)
    done = inspect(folder, trust)
    assert done.returncode == 1, done.stdout + done.stderr
    for part in expected:
        assert any(part in line for line in done.stdout.splitlines()), (part, done.stdout)
    assert done.stdout.splitlines()[-1].startswith("KẾT QUẢ: KHÔNG ĐẠT")
    assert "Traceback" not in done.stdout + done.stderr


@pytest.fixture(scope="module")
def bare(tmp_path_factory):
    """A dossier with no TSA and no key (the default): every date is the office's word."""
    root = tmp_path_factory.mktemp("bare") / "project"
    root.mkdir()
    (root / "mkdocs.yml").write_text(MKDOCS_YML, encoding="utf-8")
    write_files(root, BASE_FILES)
    assert run_cli(root, "publish", "--allow-sample", "--deploy-to", str(root / "www")).exit_code == 0
    out = root.parent / "ho-so-2026"
    done = congkhai(root, "evidence", "--year", YEAR, "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "CHƯA ĐỦ CĂN CỨ" in done.stdout + done.stderr
    assert "- Danh mục tệp không được ký: chưa khai báo khóa ký (signing_key)" in done.stdout
    return root, out


def test_a_dossier_without_tsa_or_key_is_never_pass_and_says_why(bare, openssl_tsa, office_key):
    root, out = bare
    done = check(out)
    assert done.returncode == 3, done.stdout
    assert "Lý do: 4 dòng báo cáo có ngày công bố chỉ theo đồng hồ của cơ quan" in done.stdout
    assert "Lý do: danh mục tệp tong-kiem.sha256 không có chữ ký của cơ quan" in done.stdout
    assert "Lý do: danh mục tệp tong-kiem.sha256 không có dấu thời gian hợp lệ" in done.stdout
    assert done.stdout.splitlines()[-1].startswith("KẾT QUẢ: CHƯA ĐỦ CĂN CỨ")
    # the inspector's tool with the policy: the office's key signs nothing here
    done = inspect(out, write_trust(root.parent, openssl_tsa.ca_pem, office_key))
    assert done.returncode == 1 and "không có chữ ký hợp lệ của cơ quan" in done.stdout
    assert "KẾT QUẢ: ĐẠT" not in done.stdout
    # nothing claims the dates are attested: the guide's first paragraph, the report rows, the PDF header
    guide = (out / "HUONG-DAN-KIEM-TRA.md").read_text(encoding="utf-8")
    first = guide.split("\n\n")[1]
    assert first.startswith("**Hồ sơ này chứng minh:** ")
    assert "**Hồ sơ này không chứng minh:** 4 ngày công bố chỉ theo đồng hồ của cơ quan" in first
    assert "chưa đủ căn cứ để kết luận tiêu chí B1" in first
    assert "congkhai kiem-tra THƯ-MỤC-HỒ-SƠ --trust trust.yml" in guide
    csv_text = (out / f"bao-cao/bao-cao-b1-{YEAR}.csv").read_text(encoding="utf-8-sig")
    assert "Dấu thời gian" not in csv_text and csv_text.count("Chỉ theo đồng hồ của cơ quan") == 4
    report = pdf_text(out / f"bao-cao/bao-cao-b1-{YEAR}.pdf")
    assert "Cả 4 ngày công bố chỉ theo đồng hồ của cơ quan (không có dấu thời gian)" in report
    page = pdf_text(out / LICH / "trang.pdf")
    assert "ngày công bố chỉ theo đồng hồ của cơ quan (không có dấu thời gian)" in page
