"""Shared fixtures: small real projects written into tmp_path, built with the real CLI."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main

REPO = Path(__file__).resolve().parent.parent

MKDOCS_YML = """\
site_name: Công khai thử nghiệm
site_url: https://congkhai.example.gov.vn/
docs_dir: content
use_directory_urls: true
theme:
  name: material
  language: vi
  font: false
plugins:
  - congkhai:
      agency: Ban Quản lý Khu kinh tế tỉnh An Giang
      privacy_allow: ["0296 3800 000", duongdaynong@example.gov.vn]
markdown_extensions:
  - tables
  - attr_list
"""

BASE_FILES = {
    "content/index.md": "# Trang chủ\n\nXin chào.\n",
    "content/gioi-thieu.md": "# Giới thiệu\n\nTrang giới thiệu, không liên quan đến đường dây nóng.\n",
    "disclosures/duong-day-nong/2026/duong-day-nong.yml": """\
        title: Đường dây nóng phản ánh nhũng nhiễu
        document: {number: 01/TB-BQLKKT, date: 2026-01-05}
        phones:
          - number: "0296 3800 000"
            label: Văn phòng Ban
        emails: [duongdaynong@example.gov.vn]
        hours: Giờ hành chính
        sample: true
        """,
    "disclosures/tiep-cong-dan/2026/lich-thang-05.yml": """\
        title: Thông báo lịch tiếp công dân tháng 5/2026
        kind: lich
        summary: Trưởng ban tiếp công dân ngày 15/5/2026.
        document:
          number: 45/TB-BQLKKT
          date: 05/05/2026
          signer: Trưởng ban
        unit: Văn phòng Ban
        month: 2026-05
        sessions:
          - date: 2026-05-15
            start: "07:30"
            end: "11:00"
            place: Trụ sở Ban
            host: Trưởng ban
        attachments:
          - file: thong-bao.pdf
            title: Thông báo lịch (bản chụp)
            kind: quyet-dinh
        sample: true
        """,
    "disclosures/tiep-cong-dan/2026/thong-bao.pdf": "%PDF-1.4 sample\n",
    "disclosures/tiep-cong-dan/2026/bien-ban-thang-04.md": """\
        ---
        title: Biên bản tiếp công dân tháng 4/2026
        kind: bien-ban
        document: {date: 2026-04-15}
        session_date: 2026-04-15
        host: Trưởng ban
        visitors: 0
        no_visitors: true
        ---
        Buổi tiếp diễn ra đúng lịch. **Không có công dân đến.**
        """,
    "disclosures/tiep-cong-dan/2025/lich-thang-12.yml": """\
        title: Thông báo lịch tiếp công dân tháng 12/2025
        kind: lich
        document: {date: 2025-12-01}
        month: 2025-12
        sessions:
          - {date: 2025-12-15, start: "07:30"}
        """,
    "disclosures/phong-chong-tham-nhung/2026/niem-yet-ke-khai.yml": """\
        title: Niêm yết bản kê khai tài sản năm 2026 MẬT-NỘI-BỘ-7731
        kind: bao-cao
        visibility: internal
        document: {number: 99/BB-NOIBO-7731, date: 2026-11-20}
        posting: {place: Trụ sở Ban KHONG-CONG-KHAI-4412, from: 2026-11-20, to: 2026-11-30}
        summary: Đã niêm yết 17 bản kê khai TOMTAT-NOIBO-5521.
        """,
}


def write_files(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")


@pytest.fixture
def make_project(tmp_path: Path):
    """``make_project(files, replace=False)`` -> project folder with mkdocs.yml."""

    def make(files: dict[str, str | bytes] | None = None, base: bool = True) -> Path:
        root = tmp_path / "project"
        if root.exists():
            shutil.rmtree(root)
        root.mkdir()
        (root / "mkdocs.yml").write_text(MKDOCS_YML, encoding="utf-8")
        write_files(root, {**(BASE_FILES if base else {"content/index.md": "# Trang chủ\n"}), **(files or {})})
        (root / "disclosures").mkdir(exist_ok=True)
        return root

    return make


def csv_to_xlsx(source: Path, tmp_path: Path) -> Path:
    """Convert a UTF-8 CSV with LibreOffice headless, as an auditor's machine would; the
    filter options are: comma, double quote, character set 76 = UTF-8."""
    import os
    import subprocess

    out = tmp_path / "converted"
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}",
            "--headless",
            "--infilter=CSV:44,34,76",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    return out / (source.stem + ".xlsx")


def run_cli(root: Path, *args: str):
    """Run ``congkhai -f root/mkdocs.yml ARGS`` in-process; return click's Result."""
    return CliRunner().invoke(main, ["-f", str(root / "mkdocs.yml"), *args], catch_exceptions=False)


@pytest.fixture
def built(make_project):
    """A small project built into ``<project>/site``; returns (project, site)."""
    root = make_project()
    result = run_cli(root, "build", "--site-dir", str(root / "site"))
    assert result.exit_code == 0, result.output
    return root, root / "site"


SAMPLE_PROJECT = ("mkdocs.yml", "content", "disclosures", "chung-thu-goc")
"""The repository's sample project: its configuration and folders (the signed decisions'
test root included)."""


def copy_sample(root: Path) -> Path:
    """The repository's own sample project, copied into ``root`` (made if missing)."""
    root.mkdir(parents=True, exist_ok=True)
    for name in SAMPLE_PROJECT:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name)
        else:
            shutil.copyfile(source, root / name)
    return root


@pytest.fixture(scope="session")
def sample_site(tmp_path_factory) -> Path:
    """The repository's own sample project, published once (``--allow-sample``) so that the
    log holds real publication dates; returns the deployed site folder."""
    root = copy_sample(tmp_path_factory.mktemp("sample"))
    result = run_cli(root, "publish", "--allow-sample", "--deploy-to", str(root / "www"))
    assert result.exit_code == 0, result.output
    return root / "www"


@pytest.fixture(scope="session")
def site_url(sample_site):
    """The published sample site served over HTTP on 127.0.0.1."""
    from tests.browser import serve

    with serve(sample_site.resolve()) as url:
        yield url


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium, headless, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (.ci/run does)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


# --- real RFC 3161 time-stamping authorities on 127.0.0.1 (tests/tsa.py) ---------------


@pytest.fixture(scope="session")
def tsa_material(tmp_path_factory):
    """CA and TSA certificates for the OpenSSL TSAs, made once (tests/tsa.py, TSAMaterial)."""
    from tests.tsa import TSAMaterial

    return TSAMaterial.make(tmp_path_factory.mktemp("tsa-pki"))


@pytest.fixture(scope="session")
def openssl_tsa(tsa_material, tmp_path_factory):
    """`openssl ts -reply` behind HTTP on 127.0.0.1, TSA certificate with the critical
    timeStamping usage; shared by the session: do not stop it or change its mode (use
    make_openssl_tsa for that). `.url`, `.ca_pem`, `.tsa(name)`."""
    server = tsa_material.openssl_tsa(tmp_path_factory.mktemp("openssl-tsa"))
    yield server
    server.stop()


@pytest.fixture
def make_openssl_tsa(tsa_material, tmp_path):
    """A factory of OpenSSL TSAs of one's own (stopped after the test):
    `make_openssl_tsa("good" | "no_eku" | "expired")`; set `.mode` ("slow", "html",
    "error", "huge") or call `.stop()` (TSA down) freely."""
    servers = []

    def make(which: str = "good"):
        server = tsa_material.openssl_tsa(tmp_path / f"openssl-tsa-{len(servers)}", which)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def _certomancer_server(tmp_path_factory):
    from tests.tsa import CertomancerTSA

    server = CertomancerTSA(tmp_path_factory.mktemp("certomancer"))
    yield server
    server.stop()


@pytest.fixture
def certomancer_tsa(_certomancer_server):
    """certomancer's time-stamping service on 127.0.0.1 (its own CA), shared by the
    session; `.set_time(datetime)` fixes its clock for this test (reset afterwards).
    `.with_label("tsa-no-eku")` is its service whose certificate lacks timeStamping."""
    yield _certomancer_server
    _certomancer_server.set_time(None)
