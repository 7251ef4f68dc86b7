"""Digital signatures (PAdES) of PDF attachments: real signatures made with pyHanko's signer
over a certomancer test PKI (``tests/pki/``), checked offline by
:mod:`generator.records.signatures`, through ``check``, ``build``, ``publish``, the record
page, the B1 report and the dossier's guide. No mocks."""

from __future__ import annotations

import concurrent.futures
import csv
import datetime as dt
import hashlib
import io
import json
import subprocess
import warnings
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from cryptography.utils import CryptographyDeprecationWarning
from PIL import Image

from generator.evidence import dossier
from generator.ledger import checkpoints
from generator.records import signatures
from tests.conftest import MKDOCS_YML, run_cli
from tests.pki.signing import TestPKI, make_pdf, modify_after_signing
from tests.test_trust import signing, write_policy

with warnings.catch_warnings():
    warnings.simplefilter("ignore", CryptographyDeprecationWarning)  # pyHanko imports DSA support
    from pyhanko.sign.timestamps import HTTPTimeStamper

FOLDER = "disclosures/tai-chinh-ngan-sach/2026"


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> TestPKI:
    return TestPKI(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def pdfs(pki) -> dict[str, bytes]:
    """One PDF per case, each of distinct content."""
    plain = {name: make_pdf(f"Quyet dinh {name}") for name in ("valid", "modified", "expired", "stranger", "two")}
    out = {
        "valid": pki.sign(plain["valid"]),
        "modified": modify_after_signing(pki.sign(plain["modified"])),
        "expired": pki.sign(plain["expired"], "expired"),
        "untrusted": pki.sign(plain["stranger"], "stranger"),
        "two": pki.sign(pki.sign(plain["two"]), "second", field="ChuKy2"),
        "unsigned": make_pdf("Quyet dinh chua ky"),
    }
    broken = bytearray(pki.sign(make_pdf("Quyet dinh bi hong")))
    assert broken[9:10] == b"%"  # the header's binary comment: a byte the signature covers, harmless to a reader
    broken[11] ^= 0x01
    out["broken"] = bytes(broken)
    return out


@pytest.fixture(scope="module")
def roots(pki, tmp_path_factory) -> signatures.Roots:
    return signatures.load_roots([pki.write_root(tmp_path_factory.mktemp("roots") / "goc.pem")])


@pytest.mark.parametrize(
    ("case", "status"),
    [
        ("valid", "valid"),
        ("modified", "modified"),
        ("expired", "expired"),
        ("untrusted", "untrusted"),
        ("two", "valid"),
        ("unsigned", "unsigned"),
        ("broken", "broken"),
    ],
)
def test_each_case_is_told_apart(pdfs, roots, case, status):
    result = signatures.check_pdf(pdfs[case], roots)
    assert result is not None and result.status == status


def test_a_check_inside_a_running_event_loop_gives_the_same_verdicts(pdfs, roots):
    """The dossier prints with Playwright, whose synchronous API keeps an asyncio loop running
    in the thread; pyHanko's synchronous calls refuse to start there. The verdicts must not
    change (they once all became "broken")."""
    import asyncio

    async def inside() -> dict[str, str]:
        signatures._CACHE.clear()
        return {case: signatures.check_pdf(pdfs[case], roots).status for case in ("valid", "modified", "two")}

    # a fresh thread: this one may already hold the session's Playwright loop
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        found = pool.submit(lambda: asyncio.run(inside())).result()
    assert found == {"valid": "valid", "modified": "modified", "two": "valid"}


def test_signer_time_and_two_signatures(pdfs, roots):
    result = signatures.check_pdf(pdfs["two"], roots)
    assert [(s.signer, s.organisation, s.status) for s in result.signatures] == [
        ("Trưởng ban (chứng thư thử)", "Ban Quản lý Khu kinh tế (THỬ)", "valid"),
        ("Chánh Văn phòng (chứng thư thử)", "Ban Quản lý Khu kinh tế (THỬ)", "valid"),
    ]
    assert all(s.signed_at and s.signed_at.endswith("Z") for s in result.signatures)
    line = result.describe("Asia/Ho_Chi_Minh")
    assert line.startswith("Ký số bởi Trưởng ban (chứng thư thử) (Ban Quản lý Khu kinh tế (THỬ)) lúc ")
    assert line.count("; hợp lệ") == 2


def test_without_roots_nothing_is_trusted_and_not_a_pdf_gets_no_verdict(pdfs):
    assert signatures.check_pdf(pdfs["valid"], signatures.NO_ROOTS).status == "untrusted"
    assert signatures.check_pdf(b"%PDF-1.4 sample\n", signatures.NO_ROOTS) is None


def test_a_roots_path_that_is_missing_or_holds_no_certificate_is_named(tmp_path):
    with pytest.raises(signatures.CongkhaiError, match="không tìm thấy"):
        signatures.load_roots([tmp_path / "khong-co"])
    (tmp_path / "rong.pem").write_text("không phải chứng thư\n")
    with pytest.raises(signatures.CongkhaiError, match=r"rong\.pem' không chứa chứng thư"):
        signatures.load_roots([tmp_path / "rong.pem"])


def _record(name: str, files: list[tuple[str, str]]) -> str:
    lines = "\n".join(f"  - {{file: {f}, kind: {k}, title: Tệp {f}}}" for f, k in files)
    return (
        f"title: Công khai dự toán {name}\nkind: du-toan\ndocument: {{number: 0{len(name)}/QĐ-BQLKKT, "
        f"date: 2026-01-08}}\nfiscal_year: 2026\nattachments:\n{lines}\n"
    )


@pytest.fixture
def project(make_project, pki, pdfs) -> Path:
    files: dict[str, str | bytes] = {}
    for case in pdfs:
        files[f"{FOLDER}/{case}.yml"] = _record(case, [(f"{case}-qd.pdf", "quyet-dinh")])
        files[f"{FOLDER}/{case}-qd.pdf"] = pdfs[case]
    root = make_project(files)
    pki.write_root(root / "chung-thu-goc" / "goc.pem")
    config = MKDOCS_YML.replace("      privacy_allow:", "      signature_roots: chung-thu-goc/\n      privacy_allow:")
    (root / "mkdocs.yml").write_text(config, encoding="utf-8")
    return root


def test_check_warns_and_never_refuses(project):
    result = run_cli(project, "check")
    assert result.exit_code == 0, result.output
    out = result.output
    warned = {line.split(":")[0].rsplit("/", 1)[-1] for line in out.splitlines() if ": cảnh báo: " in line}
    assert warned == {"modified.yml", "expired.yml", "untrusted.yml", "unsigned.yml", "broken.yml"}
    assert f"{FOLDER}/broken.yml:6: attachments[1].file: cảnh báo: tệp 'broken-qd.pdf': chữ ký không khớp" in out
    assert f"{FOLDER}/modified.yml:6: attachments[1].file: cảnh báo: tệp 'modified-qd.pdf': tệp đã bị sửa" in out
    assert (
        "'unsigned-qd.pdf' là quyết định công khai, nên là bản điện tử có chữ ký số hợp lệ (không có chữ ký số)" in out
    )


def test_a_signed_file_of_a_kind_not_marked_is_not_asked_for(project, pdfs):
    (project / FOLDER / "unsigned.yml").write_text(_record("unsigned", [("unsigned-qd.pdf", "khac")]), encoding="utf-8")
    assert "unsigned.yml" not in run_cli(project, "check").output


def test_build_shows_each_verdict_on_the_page(project):
    result = run_cli(project, "build", "--site-dir", str(project / "site"))
    assert result.exit_code == 0, result.output
    expected = {
        "valid": "; hợp lệ",
        "two": "; hợp lệ. Ký số bởi Chánh Văn phòng (chứng thư thử)",
        "modified": "; tệp đã bị sửa nội dung sau khi ký",
        "expired": "; chứng thư số hết hạn, chưa có hiệu lực hoặc bị thu hồi vào lúc ký",
        "untrusted": "Ký số bởi Người ký lạ (chứng thư thử) (Tổ chức không rõ (THỬ))",
        "broken": "; chữ ký không khớp nội dung",
        "unsigned": "Không có chữ ký số",
    }
    for case, text in expected.items():
        page = project / "site" / f"tai-chinh-ngan-sach/2026/{case}/index.html"
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        line = soup.select_one(".ck-signatures li").get_text(" ", strip=True)
        assert line.startswith(f"Tệp {case}-qd.pdf :") and text in line, line
        if case != "unsigned":
            assert " lúc " in line and "(giờ do máy người ký ghi)" in line


def test_publish_logs_the_verdict_and_old_events_without_it_change_nothing(project, pdfs):
    result = run_cli(project, "publish", "--allow-sample", "--deploy-to", str(project / "www"))
    assert result.exit_code == 0, result.output
    log = project / "publication-log.jsonl"
    events = {e["id"]: e for e in map(json.loads, log.read_text(encoding="utf-8").splitlines())}
    valid = events["tai-chinh-ngan-sach/2026/valid"]["attachments"]
    assert valid[0]["sha256"] == hashlib.sha256(pdfs["valid"]).hexdigest()
    assert valid[0]["signature"]["status"] == "valid"
    assert valid[0]["signature"]["signatures"][0]["signer"] == "Trưởng ban (chứng thư thử)"
    assert events["tai-chinh-ngan-sach/2026/unsigned"]["attachments"][0]["signature"] == {"status": "unsigned"}
    assert events["tai-chinh-ngan-sach/2026/broken"]["attachments"][0]["signature"]["status"] == "broken"
    # the fake PDF of the base project gets no verdict, only its hash
    assert "signature" not in events["tiep-cong-dan/2026/lich-thang-05"]["attachments"][0]
    # the roots change: nothing is republished (the verdict is not part of what changes a record)
    (project / "mkdocs.yml").write_text(MKDOCS_YML, encoding="utf-8")
    result = run_cli(project, "publish", "--allow-sample", "--deploy-to", str(project / "www"))
    assert result.exit_code == 0 and "Không có thay đổi nào" in result.output, result.output
    assert run_cli(project, "verify", "--site", str(project / "www")).exit_code == 0


def test_report_lists_signatures_per_evidence_kind(project):
    assert run_cli(project, "publish", "--allow-sample", "--deploy-to", str(project / "www")).exit_code == 0
    result = run_cli(project, "report", "--year", "2026", "--format", "csv,html", "--out", str(project / "bc"))
    assert result.exit_code == 0, result.output
    data = next((project / "bc").glob("*.csv")).read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(data)))
    signed = {r["Tên thông tin"]: r["Chữ ký số (theo loại minh chứng)"] for r in rows}
    assert signed["Công khai dự toán valid"].startswith("Quyết định công khai: valid-qd.pdf: Ký số bởi Trưởng ban")
    assert signed["Công khai dự toán valid"].endswith("; hợp lệ")
    assert signed["Công khai dự toán unsigned"] == "Quyết định công khai: unsigned-qd.pdf: Không có chữ ký số"
    html = next((project / "bc").glob("*.html")).read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")
    row = soup.select_one('tr[data-key="tai-chinh-ngan-sach/2026/modified"]')
    assert "tệp đã bị sửa nội dung sau khi ký" in row.select_one(".signature").get_text()


@pytest.mark.usefixtures("_no_key_from_the_environment")
def test_the_real_dossier_carries_the_signed_files_their_verdicts_and_how_to_recheck(project, pdfs, pki, tmp_path):
    """``congkhai evidence`` as an office runs it (a child process; Chromium prints the pages):
    the signed decisions are in the dossier byte for byte, the report's signature column and
    the guide's section say each verdict, and the guide tells how to recheck them offline. The
    inspector's installed tool (``congkhai kiem-tra --trust``) rechecks every logged verdict
    against the policy's roots only."""
    from tests.test_dossier import congkhai, inspect

    pki.write_root(tmp_path / "tinh" / "goc-khac.pem", "other-root")
    other = _published_with_policy(project, tmp_path, signature_roots=["tinh/goc-khac.pem"])
    same = write_policy(
        tmp_path / "cung-goc.yml",
        yaml.safe_load(other.read_text(encoding="utf-8"))["offices"][0]["key"],
        [],
        signature_roots=[pki.pem("root").decode("ascii")],
    )
    out = project.parent / "ho-so-ky-so"
    done = congkhai(project, "evidence", "--year", "2026", "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    for case in ("valid", "modified", "broken"):
        (copy,) = out.rglob(f"{case}-qd.pdf")
        assert copy.read_bytes() == pdfs[case]
    rows = list(csv.DictReader(io.StringIO((out / "bao-cao/bao-cao-b1-2026.csv").read_text(encoding="utf-8-sig"))))
    signed = {r["Tên thông tin"]: r["Chữ ký số (theo loại minh chứng)"] for r in rows}
    assert signed["Công khai dự toán valid"].endswith("; hợp lệ")
    assert "tệp đã bị sửa nội dung sau khi ký" in signed["Công khai dự toán modified"]
    assert signed["Công khai dự toán unsigned"] == "Quyết định công khai: unsigned-qd.pdf: Không có chữ ký số"
    guide = (out / "HUONG-DAN-KIEM-TRA.md").read_text(encoding="utf-8")
    assert "## Chữ ký số của văn bản đính kèm" in guide
    assert "valid-qd.pdf`: Ký số bởi Trưởng ban" in guide
    assert "openssl cms" in guide
    # the dossier's own checker still reads the whole dossier (no TSA here: never ĐẠT)
    checked = subprocess.run(["python3", "-I", "kiem-tra.py"], cwd=out, capture_output=True, text=True, timeout=300)
    assert "Traceback" not in checked.stdout + checked.stderr
    assert "KẾT QUẢ: ĐẠT" not in checked.stdout
    # the province trusts another root: each "valid" the office logged is a problem
    done = inspect(out, other)
    lines = [line for line in done.stdout.splitlines() if ".signature: seq " in line]
    assert done.returncode == 1 and "Traceback" not in done.stdout + done.stderr
    valid = next(line for line in lines if "/2026/valid: tệp 'valid-qd.pdf'" in line)
    assert (
        valid.startswith("nhat-ky/publication-log.jsonl:") and 'nhật ký ghi "hợp lệ" nhưng kiểm tra lại thấy' in valid
    )
    assert any("/2026/broken: " in line for line in lines) and any("/2026/modified: " in line for line in lines)
    # the same root as the office's: only the broken and the modified file remain
    lines = [line for line in inspect(out, same).stdout.splitlines() if ".signature: seq " in line]
    assert len(lines) == 2 and "/2026/broken: " in lines[0] and "/2026/modified: " in lines[1], lines


def test_dossier_guide_lists_signatures_and_its_openssl_recheck_works(project, pdfs, pki, tmp_path):
    from generator.cli import _settings
    from generator.evidence.report import build_report
    from generator.website import pipeline

    assert run_cli(project, "publish", "--allow-sample", "--deploy-to", str(project / "www")).exit_code == 0
    settings = _settings(str(project / "mkdocs.yml"))
    site = pipeline.load(settings)
    report = build_report(site, site.log, 2026)
    entries = [dossier.Entry(row, f"ho-so/{row.key}") for row in report.rows]
    guide = "\n".join(dossier._signature_guide(report, entries))
    assert "## Chữ ký số của văn bản đính kèm" in guide and "**Quyết định công khai**" in guide
    assert "- `ho-so/tai-chinh-ngan-sach/2026/valid/dinh-kem/valid-qd.pdf`: Ký số bởi Trưởng ban" in guide
    assert "không** được kiểm tra" in guide
    # the guide's offline recheck, run as written, on a real signed file
    (tmp_path / "TỆP.pdf").write_bytes(pdfs["valid"])
    pki.write_root(tmp_path / "GOC.pem")
    subprocess.run(dossier.SIGNATURE_EXTRACT, shell=True, cwd=tmp_path, check=True)
    command = (
        "openssl cms -verify -binary -inform DER -in chu-ky.der -content phan-duoc-ky.bin -CAfile GOC.pem "
        "-purpose any -out /dev/null"
    )
    assert command in guide
    done = subprocess.run(command, shell=True, cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0 and "CMS Verification successful" in done.stderr
    (tmp_path / "TỆP.pdf").write_bytes(pdfs["untrusted"])
    subprocess.run(dossier.SIGNATURE_EXTRACT, shell=True, cwd=tmp_path, check=True)
    assert subprocess.run(command, shell=True, cwd=tmp_path, capture_output=True).returncode != 0


# --- the checker's trust policy (SPEC §4c): verify rechecks each logged verdict --------------


@pytest.fixture
def _no_key_from_the_environment(monkeypatch):
    monkeypatch.delenv(checkpoints.KEY_ENV, raising=False)


def _published_with_policy(project, tmp_path, **extra) -> Path:
    """The project published with a signing key; a policy listing the office, no TSA, and
    ``extra`` (e.g. ``signature_roots``)."""
    vkey = signing(project, tmp_path / "khoa")
    result = run_cli(project, "publish", "--allow-sample", "--deploy-to", str(project / "www"))
    assert result.exit_code == 0, result.output
    return write_policy(tmp_path / "trust.yml", vkey, [], **extra)


def _signature_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if ".signature: seq " in line or "signature_roots:" in line]


@pytest.mark.usefixtures("_no_key_from_the_environment")
def test_verify_under_a_policy_trusts_only_its_roots(project, pki, tmp_path):
    """The office trusts its test root and logs "valid"; the province trusts another root
    only: each valid signature the office logged is a problem naming record and attachment,
    a signature the office could not trust and the province can is a note."""
    pki.write_root(tmp_path / "tinh" / "goc-khac.pem", "other-root")
    policy = _published_with_policy(project, tmp_path, signature_roots=["tinh/goc-khac.pem"])
    result = run_cli(project, "verify", "--trust", str(policy), "--site", str(project / "www"))
    assert result.exit_code == 1, result.output
    out = _signature_lines(result.output)
    problems = [line for line in out if not line.startswith("Ghi chú: ")]
    notes = [line for line in out if line.startswith("Ghi chú: ")]
    basis = f"(kiểm tra lại theo gốc chứng thư của chính sách tin cậy {policy})"
    untrusted = signatures.LABELS["untrusted"]
    assert any(
        line.startswith("publication-log.jsonl:")
        and ": attachments[1].signature: seq " in line
        and line.endswith(
            f"tai-chinh-ngan-sach/2026/valid: tệp 'valid-qd.pdf': nhật ký ghi \"hợp lệ\" nhưng kiểm tra lại thấy: "
            f"{untrusted} {basis}"
        )
        for line in problems
    ), out
    two = next(line for line in problems if "/2026/two:" in line)
    assert 'chữ ký thứ 1: nhật ký ghi "hợp lệ"' in two and 'chữ ký thứ 2: nhật ký ghi "hợp lệ"' in two
    assert any("/2026/expired: tệp 'expired-qd.pdf': nhật ký ghi \"chứng thư số hết hạn" in line for line in problems)
    # broken and modified files are reported whatever was logged
    assert any(f"/2026/broken: tệp 'broken-qd.pdf': chữ ký số: {signatures.LABELS['broken']}" in x for x in problems)
    assert any("/2026/modified: tệp 'modified-qd.pdf': chữ ký số: tệp đã bị sửa" in line for line in problems)
    assert len(problems) == 5, problems
    # the stranger's root is the province's: the office's log said less than the truth
    assert len(notes) == 1 and "/2026/untrusted: tệp 'untrusted-qd.pdf': nhật ký ghi" in notes[0], notes
    assert "kiểm tra lại thấy: hợp lệ" in notes[0]


@pytest.mark.usefixtures("_no_key_from_the_environment")
def test_verify_under_a_policy_with_the_same_root_reports_only_broken_files(project, pki, tmp_path):
    policy = _published_with_policy(project, tmp_path, signature_roots=[pki.pem("root").decode("ascii")])  # inline
    result = run_cli(project, "verify", "--trust", str(policy))
    assert result.exit_code == 1, result.output
    out = _signature_lines(result.output)
    assert len(out) == 2 and "/2026/broken: " in out[0] and "/2026/modified: " in out[1], out
    assert all(not line.startswith("Ghi chú") for line in out)


@pytest.mark.usefixtures("_no_key_from_the_environment")
def test_a_policy_without_signature_roots_judges_only_what_needs_no_root(project, tmp_path):
    policy = _published_with_policy(project, tmp_path)
    result = run_cli(project, "verify", "--trust", str(policy))
    assert result.exit_code == 1, result.output
    out = _signature_lines(result.output)
    problems = [line for line in out if not line.startswith("Ghi chú: ")]
    assert len(problems) == 2 and "/2026/broken: " in problems[0] and "/2026/modified: " in problems[1], out
    note = next(line for line in out if "signature_roots:" in line)
    assert note.startswith("Ghi chú: publication-log.jsonl:")
    assert f"chính sách tin cậy {policy} không khai báo signature_roots" in note and "của 3 tệp PDF" in note


def test_verify_without_a_policy_rechecks_with_the_office_roots_and_only_notes(project, pki, tmp_path):
    assert run_cli(project, "publish", "--allow-sample", "--deploy-to", str(project / "www")).exit_code == 0
    result = run_cli(project, "verify", "--site", str(project / "www"))
    assert result.exit_code == 0, result.output
    out = _signature_lines(result.output)
    assert len(out) == 2 and all(line.startswith("Ghi chú: ") for line in out), out  # broken, modified
    # the office now trusts another root: every difference with what it logged is a note
    pki.write_root(project / "chung-thu-goc" / "goc.pem", "other-root")
    result = run_cli(project, "verify")
    assert result.exit_code == 0, result.output
    out = _signature_lines(result.output)
    assert all(line.startswith("Ghi chú: ") for line in out) and len(out) == 6, out
    assert "(kiểm tra lại theo gốc chứng thư của chính cơ quan (signature_roots))" in out[0]


def test_a_logged_signer_that_is_not_the_file_s_is_a_claim_beyond_the_file(pdfs, roots):
    result = signatures.check_pdf(pdfs["valid"], roots)
    assert signatures.disagreement(result.as_log(), result) is None
    forged = result.as_log()
    forged["signatures"][0]["signer"] = "Chủ tịch UBND tỉnh"
    differs = signatures.disagreement(forged, result)
    assert differs.claims_more and not differs.trust_only
    assert differs.text == (
        "nhật ký ghi người ký là Chủ tịch UBND tỉnh (Ban Quản lý Khu kinh tế (THỬ)) nhưng tệp được ký bởi "
        "Trưởng ban (chứng thư thử) (Ban Quản lý Khu kinh tế (THỬ))"
    )
    lower = signatures.check_pdf(pdfs["valid"], signatures.NO_ROOTS)
    differs = signatures.disagreement(lower.as_log(), result)
    assert not differs.claims_more and differs.trust_only


# --- an embedded RFC 3161 timestamp -------------------------------------------------------


def test_an_expired_certificate_valid_at_the_timestamp_is_valid_with_the_timestamp_time(
    make_project, pki, certomancer_tsa
):
    """Signed with a certificate valid only in 2020, the signature carrying a token of
    certomancer's TSA whose clock is set to a day of 2020; the office trusts the TSA through
    its ``timestamping`` option: valid, shown with the timestamp's time."""
    certomancer_tsa.set_time(dt.datetime(2020, 6, 1, 3, 0, tzinfo=dt.UTC))
    stamper = HTTPTimeStamper(certomancer_tsa.url)
    signed = pki.sign(make_pdf("Quyet dinh co dau thoi gian"), "expired", timestamper=stamper)
    certomancer_tsa.set_time(None)
    root = make_project(
        {
            f"{FOLDER}/dau-thoi-gian.yml": _record("dau-thoi-gian", [("dau-thoi-gian-qd.pdf", "quyet-dinh")]),
            f"{FOLDER}/dau-thoi-gian-qd.pdf": signed,
        }
    )
    pki.write_root(root / "chung-thu-goc" / "goc.pem")
    option = json.dumps([{"name": "tsa-thu", "url": certomancer_tsa.url, "ca": str(certomancer_tsa.ca_pem)}])
    config = MKDOCS_YML.replace(
        "      privacy_allow:",
        f"      signature_roots: chung-thu-goc/\n      timestamping: {option}\n      privacy_allow:",
    )
    (root / "mkdocs.yml").write_text(config, encoding="utf-8")
    result = run_cli(root, "build", "--site-dir", str(root / "site"))
    assert result.exit_code == 0, result.output
    page = root / "site" / "tai-chinh-ngan-sach/2026/dau-thoi-gian/index.html"
    text = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").select_one(".ck-signatures li")
    text = text.get_text(" ", strip=True)
    assert text.endswith(
        "Ký số bởi Phó Trưởng ban (chứng thư thử, hết hạn) (Ban Quản lý Khu kinh tế (THỬ)) "
        "lúc 01/06/2020 10:00 (theo dấu thời gian); hợp lệ"
    ), text
    assert "dau-thoi-gian" not in run_cli(root, "check").output  # no warning: a valid signed decision
    # without a root for the TSA, its token proves nothing: the certificate had expired by the signer's own clock
    office_roots_only = signatures.load_roots([root / "chung-thu-goc" / "goc.pem"])
    assert signatures.check_pdf(signed, office_roots_only).status == "expired"


# --- a decision that should be signed, attached as a scan ---------------------------------


def test_check_warns_when_a_decision_to_be_signed_is_not_a_pdf(project):
    scan = io.BytesIO()
    Image.new("RGB", (40, 40), "white").save(scan, format="JPEG")
    (project / FOLDER / "ban-chup-qd.jpg").write_bytes(scan.getvalue())
    (project / FOLDER / "ban-chup.yml").write_text(
        _record("ban-chup", [("ban-chup-qd.jpg", "quyet-dinh")]), encoding="utf-8"
    )
    (project / FOLDER / "phu-luc.yml").write_text(_record("phu-luc", [("ban-chup-qd.jpg", "khac")]), encoding="utf-8")
    result = run_cli(project, "check")
    assert result.exit_code == 0, result.output
    assert (
        f"{FOLDER}/ban-chup.yml:6: attachments[1].file: cảnh báo: tệp 'ban-chup-qd.jpg' là quyết định công khai, "
        "nên là bản PDF có chữ ký số, nhưng tệp này không phải PDF" in result.output
    )
    assert "phu-luc.yml" not in result.output  # an attachment of another kind is not asked for
