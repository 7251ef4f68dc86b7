"""``congkhai init``: a new office's project that checks and builds at once (SPEC §8).

The generated configuration files (``mkdocs.yml`` and the two CI examples) are compared
with ``tests/snapshots/``; after an intended change, refresh them with
``CONGKHAI_UPDATE_SNAPSHOTS=1 python3 -m pytest tests/test_init.py``.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from generator.cli import main
from generator.staff.project import SERVER_DIR
from tests.conftest import REPO

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
AGENCY = "Sở Tài chính tỉnh An Giang"
SITE_URL = "https://congkhai.stc.angiang.gov.vn/"
CATEGORIES = [
    "duong-day-nong",
    "phong-chong-tham-nhung",
    "tai-chinh-ngan-sach",
    "thu-tuc-hanh-chinh",
    "tiep-cong-dan",
    "tuyen-dung",
]


def cli(*args: str, root: Path | None = None):
    prefix = ["-f", str(root / "mkdocs.yml")] if root else []
    return CliRunner().invoke(main, [*prefix, *args], catch_exceptions=False)


@pytest.fixture(scope="module", autouse=True)
def home(tmp_path_factory) -> Iterator[Path]:
    """A home folder of the test's own: ``init`` creates the office's key under ``~/.config/congkhai``."""
    folder = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(folder))
        patch.delenv("XDG_CONFIG_HOME", raising=False)
        yield folder


@pytest.fixture(scope="module")
def project(tmp_path_factory, home) -> Path:
    root = tmp_path_factory.mktemp("init") / "so-tai-chinh"
    result = cli("init", str(root), "--agency", AGENCY, "--site-url", SITE_URL)
    assert result.exit_code == 0, result.output
    return root


def test_layout(project):
    files = sorted(p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file())
    assert files == sorted(
        [
            ".gitea/workflows/congkhai.yml",
            ".gitignore",
            ".gitlab-ci.yml",
            "content/gioi-thieu.md",
            "content/huong-dan/dang-tai-cong-khai.md",
            "content/index.md",
            *[f"disclosures/{slug}/.gitkeep" for slug in CATEGORIES],
            "may-chu/apache.conf",
            "may-chu/nginx.conf",
            "mkdocs.yml",
        ]
    )
    assert "<!-- congkhai:home -->" in (project / "content/index.md").read_text("utf-8").splitlines()
    for conf in ("nginx.conf", "apache.conf"):
        assert (project / "may-chu" / conf).read_bytes() == (SERVER_DIR / conf).read_bytes()
    config = yaml.safe_load((project / "mkdocs.yml").read_text("utf-8"))
    assert config["site_url"] == SITE_URL
    assert config["plugins"] == [
        {
            "congkhai": {
                "disclosures_dir": "disclosures",
                "log": "publication-log.jsonl",
                "agency": AGENCY,
                "privacy_allow": [],
                "signing_key": "~/.config/congkhai/congkhai-stc-angiang-gov-vn.pem",
                "signature_roots": [],
            }
        }
    ]


def test_staff_guide_is_the_projects(project):
    """The new project's guide is the project's own (its field reference marker works);
    the copy in the package data must follow every change of the guide."""
    guide = REPO / "content/huong-dan/dang-tai-cong-khai.md"
    template = REPO / "generator/staff/project_template/content/huong-dan/dang-tai-cong-khai.md"
    assert template.read_bytes() == guide.read_bytes(), (
        "cp content/huong-dan/dang-tai-cong-khai.md generator/staff/project_template/content/huong-dan/"
    )
    assert (project / "content/huong-dan/dang-tai-cong-khai.md").read_bytes() == guide.read_bytes()


def test_checks_and_builds_with_the_agency_and_domain(project):
    result = cli("check", root=project)
    assert result.exit_code == 0, result.output
    assert "Đã kiểm tra 0 bản ghi" in result.output
    site = project / "site"
    result = cli("build", "--site-dir", str(site), root=project)
    assert result.exit_code == 0, result.output
    home = (site / "index.html").read_text("utf-8")
    assert f"Công khai thông tin – {AGENCY}" in home
    assert AGENCY in (site / "gioi-thieu/index.html").read_text("utf-8")
    assert "https://congkhai.stc.angiang.gov.vn/gioi-thieu/" in (site / "sitemap.xml").read_text("utf-8")
    guide = (site / "huong-dan/dang-tai-cong-khai/index.html").read_text("utf-8")
    assert "Tham chiếu đầy đủ các trường" in guide and "phones[].number" in guide
    for slug in CATEGORIES:
        assert (site / slug / "index.html").is_file(), slug
    assert not any((site / slug / "2026").exists() for slug in CATEGORIES)  # no sample data


@pytest.mark.parametrize(
    ("generated", "snapshot"),
    [
        ("mkdocs.yml", "init-mkdocs.yml"),
        (".gitea/workflows/congkhai.yml", "init-gitea-congkhai.yml"),
        (".gitlab-ci.yml", "init-gitlab-ci.yml"),
    ],
)
def test_generated_configuration_matches_snapshot(project, generated, snapshot):
    text = (project / generated).read_text("utf-8")
    if os.environ.get("CONGKHAI_UPDATE_SNAPSHOTS"):
        (SNAPSHOTS / snapshot).write_text(text, encoding="utf-8")
    assert text == (SNAPSHOTS / snapshot).read_text("utf-8")


def test_ci_examples_check_every_push_and_publish_on_main(project):
    gitea = yaml.safe_load((project / ".gitea/workflows/congkhai.yml").read_text("utf-8"))
    jobs = gitea["jobs"]
    assert any(step.get("run") == "congkhai check" for step in jobs["check"]["steps"])
    assert "if" not in jobs["check"] and jobs["publish"]["if"] == "github.ref == 'refs/heads/main'"
    assert any("congkhai publish --deploy-to" in step.get("run", "") for step in jobs["publish"]["steps"])
    gitlab = yaml.safe_load((project / ".gitlab-ci.yml").read_text("utf-8"))
    assert "congkhai check" in gitlab["check"]["script"] and "rules" not in gitlab["check"]
    assert gitlab["publish"]["rules"][0]["if"].startswith("$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH")
    assert any("congkhai publish --deploy-to" in line for line in gitlab["publish"]["script"])


def test_sample_project_has_the_sample_records(tmp_path):
    root = tmp_path / "mau"
    result = cli("init", str(root), "--sample")
    assert result.exit_code == 0, result.output
    assert "hồ sơ mẫu)" in result.output
    assert (root / "disclosures/tiep-cong-dan/2026/bien-ban-thang-02.pdf").read_bytes() == (
        REPO / "disclosures/tiep-cong-dan/2026/bien-ban-thang-02.pdf"
    ).read_bytes()
    result = cli("build", "--site-dir", str(root / "site"), root=root)
    assert result.exit_code == 0, result.output
    assert (root / "site/tiep-cong-dan/2026/bien-ban-thang-02/index.html").is_file()
    assert "dữ liệu mẫu" in (root / "site/duong-day-nong/2026/duong-day-nong/index.html").read_text("utf-8")
    # the sample's signed decisions come with the test root that signed them: no warning of an
    # untrusted signature, and the pages say "hợp lệ"
    assert "chứng thư không thuộc tổ chức chứng thực" not in cli("check", root=root).output
    lines = [
        line
        for page in (root / "site").rglob("index.html")
        for line in page.read_text("utf-8").splitlines()
        if "Ký số bởi" in line
    ]
    assert len(lines) >= 7 and all("; hợp lệ" in line for line in lines), lines


def test_refuses_a_non_empty_folder_unless_forced(tmp_path):
    root = tmp_path / "co-san"
    root.mkdir()
    (root / "ghi-chu.txt").write_text("của cơ quan\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["init", str(root)], catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stderr == (
        f"thư mục {root} không trống; congkhai init chỉ tạo dự án trong thư mục trống hoặc chưa có "
        "(dùng --force để ghi các tệp của dự án mới vào đó, ghi đè tệp cùng tên)\n"
        "Có 1 lỗi; chưa có gì được thay đổi.\n"
    )
    assert sorted(p.name for p in root.iterdir()) == ["ghi-chu.txt"]
    result = cli("init", str(root), "--force")
    assert result.exit_code == 0, result.output
    assert (root / "ghi-chu.txt").read_text("utf-8") == "của cơ quan\n"
    assert (root / "mkdocs.yml").is_file()


@pytest.mark.parametrize("url", ["ftp://congkhai.gov.vn/", "congkhai.gov.vn", "https://", "https://x.vn/?a=1"])
def test_site_url_must_be_http(tmp_path, url):
    result = CliRunner().invoke(main, ["init", str(tmp_path / "moi"), "--site-url", url], catch_exceptions=False)
    assert result.exit_code == 2
    assert f"'{url}' không phải địa chỉ trang hợp lệ; cần địa chỉ bắt đầu bằng http:// hoặc https://" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "moi").exists()


def test_site_url_gets_its_slash(tmp_path):
    result = cli("init", str(tmp_path / "moi"), "--site-url", "http://congkhai.ubnd-xa.gov.vn/cong-khai")
    assert result.exit_code == 0, result.output
    config = yaml.safe_load((tmp_path / "moi/mkdocs.yml").read_text("utf-8"))
    assert config["site_url"] == "http://congkhai.ubnd-xa.gov.vn/cong-khai/"


def test_init_creates_the_signing_key_outside_the_project(project, home):
    key = home / ".config/congkhai/congkhai-stc-angiang-gov-vn.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert not any(p.suffix == ".pem" for p in project.rglob("*"))
    printed = cli("key", root=project)
    assert printed.exit_code == 0, printed.output
    vkey = printed.output.strip()
    assert vkey.startswith("congkhai.stc.angiang.gov.vn/nhat-ky-cong-khai+")
    again = cli("init", str(project), "--agency", AGENCY, "--site-url", SITE_URL, "--force")
    assert again.exit_code == 0, again.output
    assert f"Dùng lại khóa ký checkpoint {key}" in again.output  # never replaced: earlier checkpoints stay verifiable
    assert f"  {vkey}" in again.output.splitlines()


def test_init_key_option_and_a_key_inside_the_project_is_refused(tmp_path):
    outside = tmp_path / "khoa" / "rieng.pem"
    result = cli("init", str(tmp_path / "a"), "--key", str(outside))
    assert result.exit_code == 0, result.output
    assert yaml.safe_load((tmp_path / "a/mkdocs.yml").read_text("utf-8"))["plugins"][0]["congkhai"]["signing_key"] == (
        outside.as_posix()
    )
    inside = tmp_path / "b" / "khoa.pem"
    result = cli("init", str(tmp_path / "b"), "--key", str(inside))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"khóa ký {inside} nằm trong thư mục dự án: khóa riêng không bao giờ được vào kho" in result.output
    assert not inside.exists()


def test_key_without_a_configured_key_is_a_clear_error(make_project, monkeypatch):
    monkeypatch.delenv("CONGKHAI_SIGNING_KEY", raising=False)
    root = make_project()
    result = cli("key", root=root)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "chưa cấu hình khóa ký checkpoint (signing_key trong mkdocs.yml" in result.output
