"""``verify`` of an honestly published site finds nothing, and still finds a page edited on
the server: the facts (dates, amounts, hashes) of each served article are compared with
those of the same part of the page rendered from the logged version, and the page's
description with the logged summary."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import copy_sample, run_cli, write_files
from tests.servers import nginx

NBSP = "\u00a0"

EXTRA = {
    # A summary and a title with dates and amounts (the title is the page's heading), and a
    # body pasted from a word processor: non-breaking spaces around its dates and amounts
    # (allowed in a Markdown body; refused in the other fields).
    "disclosures/phong-chong-tham-nhung/2026/ke-hoach-ra-soat-15-06-2026.md": f"""\
        ---
        title: Kế hoạch rà soát ngày 15/06/2026, kinh phí 120.000.000 đồng
        kind: ke-hoach
        summary: Kế hoạch ban hành ngày 15/06/2026, kinh phí 120.000.000 đồng, báo cáo trước ngày 30/06/2026.
        document:
          date: 2026-06-15
          signer: Trưởng ban
        unit: Văn phòng Ban
        sample: true
        ---
        ## Căn cứ

        Thực hiện Kế hoạch ngày{NBSP}08/05/2026; tổng kinh phí{NBSP}120.000.000{NBSP}đồng (một{NBSP}trăm hai mươi triệu đồng).

        - Đợt 1: từ 15/06/2026 đến 20/06/2026, 45.500.000 đồng.
        - Đợt 2: từ 21/06/2026 đến 30/06/2026, 74.500.000 đồng.
        """,
    # A body with a top-level heading: the theme then shows no title heading of its own.
    "disclosures/phong-chong-tham-nhung/2026/bao-cao-ket-qua-01-07-2026.md": """\
        ---
        title: Báo cáo kết quả ngày 01/07/2026 về 3.250.000 đồng
        kind: bao-cao
        summary: Báo cáo kết quả rà soát, lập ngày 01/07/2026.
        document:
          date: 2026-07-01
        sample: true
        ---
        # Báo cáo ngày 02/07/2026

        Số tiền đã thu hồi: 3.250.000 đồng.
        """,
    # A code block with a blank line, then a line that looks like a heading: it is code, so
    # the theme shows the title heading.
    "disclosures/phong-chong-tham-nhung/2026/huong-dan-tep-03-07-2026.md": """\
        ---
        title: Hướng dẫn nộp tệp ngày 03/07/2026
        kind: huong-dan-doanh-nghiep
        document:
          date: 2026-07-03
        sample: true
        ---
        Cách đặt tên tệp:

            bao-cao.pdf

            # không phải tiêu đề 04/07/2026
        """,
}


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    """The repository's sample project and the records above, published once."""
    root = copy_sample(tmp_path_factory.mktemp("honest"))
    write_files(root, EXTRA)
    result = run_cli(root, "publish", "--allow-sample", "--deploy-to", str(root / "www"))
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture
def project(published, tmp_path) -> Path:
    """A copy of the published project, to tamper with."""
    root = tmp_path / "project"
    shutil.copytree(published, root, symlinks=True)
    www = root / "www"
    if www.is_symlink():  # the deploy is a symlink to a release folder: make the copy's own
        target = www.resolve()
        www.unlink()
        shutil.copytree(target, www)
    return root


def problems_of(output: str) -> list[str]:
    return [line for line in output.splitlines() if re.match(r"\S+:\d+: ", line)]


def test_an_honest_site_verifies_without_problems(published, tmp_path):
    page = (published / "www/phong-chong-tham-nhung/2026/ke-hoach-ra-soat-15-06-2026/index.html").read_text("utf-8")
    # the pasted spaces are normalised in prose (the file keeps them: its hash is what is logged)
    assert NBSP not in page and "&nbsp;" not in page
    assert "ngày 08/05/2026; tổng kinh phí 120.000.000 đồng" in page
    for args in (("verify",), ("verify", "--site", str(published / "www"))):
        result = run_cli(published, *args)
        assert problems_of(result.output) == [], result.output
        assert result.exit_code == 0, result.output
    with nginx(published / "www", tmp_path / "nginx") as url:
        result = run_cli(published, "verify", "--url", url)
    assert problems_of(result.output) == [], result.output
    assert result.exit_code == 0, result.output
    assert "vấn đề" not in result.output


def _seq(root: Path, key: str) -> int:
    events = [json.loads(line) for line in (root / "publication-log.jsonl").read_text("utf-8").splitlines()]
    return max(e["seq"] for e in events if e["id"] == key)


def _edit(root: Path, key: str, old: str, new: str, count: int = 1) -> None:
    page = root / "www" / key / "index.html"
    text = page.read_text("utf-8")
    assert old in text
    page.write_text(text.replace(old, new, count), "utf-8")


@pytest.mark.parametrize("served", ["site", "url"])
def test_a_page_edited_on_the_server_is_reported(project, tmp_path, served):
    plan = "phong-chong-tham-nhung/2026/ke-hoach-ra-soat-15-06-2026"
    budget = "tai-chinh-ngan-sach/2026/du-toan-2026"
    report = "phong-chong-tham-nhung/2026/bao-cao-ket-qua-01-07-2026"
    minutes = "tiep-cong-dan/2026/bien-ban-thang-01"
    # a date changed in the body, an amount changed in the summary (lead) and in the page's
    # description, a hash changed, text with a date added, a date changed in the heading
    _edit(project, plan, "từ 15/06/2026 đến 20/06/2026", "từ 15/06/2026 đến 25/06/2026")
    _edit(project, budget, '<p class="ck-lead">', '<p class="ck-lead">Bổ sung 1.000.000 đồng. ')
    _edit(project, budget, "tổng số 14.850.000.000 đồng", "tổng số 14.580.000.000 đồng")  # the description
    _edit(project, report, "ngày 02/07/2026</h1>", "ngày 03/07/2026</h1>")
    _edit(project, minutes, "</article>", "<p>Buổi tiếp bổ sung ngày 20/01/2026.</p></article>")
    hashes = re.findall(
        r'<code class="ck-hash">([0-9a-f]{64})</code>', (project / "www" / budget / "index.html").read_text("utf-8")
    )
    _edit(project, budget, hashes[0], "f" * 64)

    def run() -> list[str]:
        if served == "site":
            result = run_cli(project, "verify", "--site", str(project / "www"))
        else:
            with nginx(project / "www", tmp_path / "nginx") as url:
                result = run_cli(project, "verify", "--url", url)
        assert result.exit_code == 1, result.output
        return problems_of(result.output)

    lines = run()
    text = "\n".join(lines)

    def about(key: str, detail: str) -> str:
        found = [line for line in lines if f"seq {_seq(project, key)}: " in line and detail in line]
        assert found, f"{key}: {detail} not in\n{text}"
        return found[0]

    about(plan, "có thêm 25/06/2026; thiếu 20/06/2026")
    assert f"(có thêm 1.000.000, {'f' * 64}; thiếu {hashes[0]})" in about(budget, "trang khác phiên bản")
    assert "(có thêm 14.580.000.000; thiếu 14.850.000.000)" in about(budget, "mô tả của trang")
    about(report, "có thêm 03/07/2026; thiếu 02/07/2026")
    about(minutes, "có thêm 20/01/2026")
    assert len(lines) == 5, text
