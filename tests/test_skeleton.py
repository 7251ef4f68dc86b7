"""``congkhai new``: a skeleton that cannot pass ``check`` unfilled, whose commented lines
uncomment to valid YAML, a file name of sensible length, Vietnamese usage and errors,
suggestions for a mistyped kind or category, and a ``.md`` skeleton on request."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml

from generator.records.category_file import load_categories, load_common
from generator.records.fields import Field
from generator.records.skeleton import MAX_STEM, PLACEHOLDER, skeleton
from tests.conftest import run_cli

CATEGORIES = load_categories(Path("/nonexistent"), Path("."))
COMMON = load_common()
KINDS = [(slug, kind) for slug, c in CATEGORIES.items() for kind in (list(c.kinds) or [None])]
FILL = {
    "date": "2026-06-15",
    "time": '"07:30"',
    "month": "2026-06",
    "int": "2",
    "year": "2026",
    "money": "1000000",
    "url": "https://dichvucong.gov.vn/",
    "email": "duongdaynong@example.gov.vn",
    "phone": '"0296 3800 000"',
    "slug": "thu-nghiem",
    "idpath": "thu-nghiem",
    "markdown": "Nội dung thử.",
}


def _types(fields: dict[str, Field], out: dict[str, str]) -> dict[str, str]:
    for name, spec in fields.items():
        out.setdefault(name, spec.of if spec.type == "list" and not spec.fields else spec.type)
        _types(spec.fields, out)
    return out


def fill(text: str, slug: str, kind: str | None) -> str:
    """Type a value for every placeholder, by the type of the field on its line."""
    category = CATEGORIES[slug]
    types = _types(COMMON, _types({n: f for n, f in category.fields.items() if f.applies_to(kind)}, {}))

    def value(match: re.Match[str]) -> str:
        return match[1] + FILL.get(types.get(match[2].strip(), "text"), "Nội dung thử")

    text = re.sub(r"^((?: *- )?( *[\w]+): )…", value, text, flags=re.M)
    return re.sub(r"^( *- )…", lambda m: m[1] + "Nội dung thử", text, flags=re.M).replace(
        "---\n…\n", "---\nNội dung thử.\n"
    )


def uncomment(text: str) -> str:
    """What a clerk does to use every optional field: remove the ``# `` of each line."""
    return "\n".join(re.sub(r"^( *)# ", r"\1", line, count=1) for line in text.split("\n"))


@pytest.mark.parametrize(("slug", "kind"), KINDS)
@pytest.mark.parametrize("form", ["yml", "md"])
def test_every_commented_line_uncomments_to_valid_yaml(slug, kind, form):
    text = skeleton(CATEGORIES[slug], COMMON, kind, "Bản ghi thử", dt.date(2026, 6, 1), form)
    if form == "md":
        assert text.startswith("---\n") and text.endswith(f"---\n{PLACEHOLDER}\n")
        text = text.split("---\n")[1]
    assert "# " in text
    data = yaml.safe_load(uncomment(text))
    assert isinstance(data, dict) and data["title"] == "Bản ghi thử"
    optional = {n for n, f in CATEGORIES[slug].all_fields(COMMON, kind).items() if n not in ("id", "body", "kind")}
    assert optional <= set(data), optional - set(data)


def test_an_unfilled_skeleton_fails_check_and_a_filled_one_passes(make_project):
    root = make_project()
    made = []
    for slug, kind in KINDS:
        args = ["new", slug, "--title", f"Bản ghi thử {slug} {kind}"] + (["--kind", kind] if kind else [])
        result = run_cli(root, *args)
        assert result.exit_code == 0, result.output
        made.append((root / result.output.strip(), slug, kind))
    result = run_cli(root, "check")
    assert result.exit_code == 1 and "Traceback" not in result.output
    refused = {line.split(":")[0] for line in result.output.splitlines() if "chưa điền" in line}
    assert refused == {path.relative_to(root).as_posix() for path, _, _ in made}
    assert all("chưa điền" in line for line in result.output.splitlines()[:-1]), result.output
    for path, slug, kind in made:
        path.write_text(fill(path.read_text(encoding="utf-8"), slug, kind), encoding="utf-8")
    result = run_cli(root, "check")
    assert result.exit_code == 0, result.output


def test_a_session_left_as_written_by_new_is_refused(make_project):
    root = make_project()
    result = run_cli(root, "new", "tiep-cong-dan", "--kind", "lich", "--title", "Lịch tháng 6/2026")
    path = root / result.output.strip()
    text = path.read_text(encoding="utf-8").replace("summary: …", "summary: Lịch tiếp tháng 6.")
    path.write_text(text.replace("month: …", "month: 2026-06"), encoding="utf-8")
    result = run_cli(root, "check")
    rel = path.relative_to(root).as_posix()
    assert result.output.splitlines()[:-1] == [
        f"{rel}:34: sessions[1].date: chưa điền: thay '…' bằng giá trị thật (ghi chú cuối dòng nói cần viết gì), "
        "hoặc thêm dấu # ở đầu dòng nếu không dùng trường này",
        f"{rel}:35: sessions[1].start: chưa điền: thay '…' bằng giá trị thật (ghi chú cuối dòng nói cần viết gì), "
        "hoặc thêm dấu # ở đầu dòng nếu không dùng trường này",
    ]


def test_a_title_left_as_the_field_name_is_refused(make_project):
    root = make_project(
        {"disclosures/duong-day-nong/2026/moi.yml": 'title: "Tiêu đề"\nphones: [{number: "0296 3800 000"}]\n'}
    )
    result = run_cli(root, "check")
    assert result.output.splitlines()[:-1] == [
        "disclosures/duong-day-nong/2026/moi.yml:1: title: chưa điền: 'Tiêu đề' là tên của trường (Tiêu đề); hãy viết nội dung thật"
    ]


def test_a_long_title_makes_a_short_file_name(make_project):
    root = make_project()
    title = "Thông báo kết quả tuyển dụng viên chức " * 8
    result = run_cli(root, "new", "tuyen-dung", "--kind", "ket-qua", "--title", title)
    assert result.exit_code == 0, result.output
    name = Path(result.output.strip()).name
    assert name.endswith(".yml") and len(name) - 4 <= MAX_STEM
    assert name.startswith("thong-bao-ket-qua-tuyen-dung-vien-chuc-thong-bao") and not name[:-4].endswith("-")
    assert name[:-4] in ("thong-bao-ket-qua-tuyen-dung-vien-chuc-" * 3)  # cut at a word
    result = run_cli(root, "new", "tuyen-dung", "--kind", "ket-qua", "--title", "x" * 300)
    assert result.exit_code == 0 and len(Path(result.output.strip()).name) == MAX_STEM + 4


def test_md_skeleton_on_request(make_project):
    root = make_project()
    result = run_cli(
        root, "new", "phong-chong-tham-nhung", "--kind", "ke-hoach", "--title", "Kế hoạch", "--format", "md"
    )
    assert result.exit_code == 0, result.output
    path = root / result.output.strip()
    assert path.suffix == ".md"
    result = run_cli(root, "check")
    assert f"{path.relative_to(root).as_posix()}" in result.output and "body: chưa điền nội dung" in result.output


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["new", "tiep-cong-dan", "--kind", "lịch"], "có phải ý bạn là --kind lich?"),
        (["new", "tiep-cong-dan", "--kind", "Biên bản"], "có phải ý bạn là --kind bien-ban?"),
        (["new", "tiep-cong-dan"], "cần --kind, một trong: lich, bien-ban"),
        (["new", "tiếp công dân", "--kind", "lich"], "có phải ý bạn là 'tiep-cong-dan'?"),
        (["new"], "Lỗi: thiếu tham số CATEGORY"),
        (["new", "tiep-cong-dan", "--kind"], "Lỗi: tùy chọn --kind cần một giá trị"),
        (["new", "tiep-cong-dan", "--vui-long"], "Lỗi: không có tùy chọn --vui-long"),
        (["new", "tiep-cong-dan", "--kind", "lich", "--format", "docx"], "Lỗi: giá trị không hợp lệ cho '--format'"),
        (["tao-moi"], "Lỗi: không có lệnh 'tao-moi'"),
    ],
)
def test_usage_errors_are_vietnamese(make_project, args, expected):
    root = make_project()
    result = run_cli(root, *args)
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert "Cách dùng:" in result.output or "Lỗi:" in result.output
    for english in ("Usage:", "Error:", "Try '", "Missing", "No such"):
        assert english not in result.output
    assert not list((root / "disclosures").rglob("*-2.yml"))


def test_help_is_vietnamese(make_project):
    root = make_project()
    for args in (["-h"], ["new", "-h"], ["check", "--help"]):
        result = run_cli(root, *args)
        assert result.exit_code == 0
        assert "Cách dùng:" in result.output and "Tùy chọn:" in result.output
        assert "Usage:" not in result.output and "Options:" not in result.output
        assert "Show this message" not in result.output
    assert "Lệnh:" in run_cli(root, "-h").output
