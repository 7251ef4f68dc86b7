"""The pipeline's shape: one list of outputs for every engine, one load per publish, the
built-site scan wherever a site is built, one error format, and no import cycles."""

from __future__ import annotations

import ast
import hashlib
import logging
import re
from pathlib import Path

import pytest
from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort

from generator.build import pipeline
from generator.cli import _build_site, _settings
from generator.core import paths
from generator.publish.publisher import publish
from tests.conftest import REPO, run_cli

LICH = "disclosures/tiep-cong-dan/2026/lich-thang-05.yml"
GENERATOR = REPO / "generator"


# --- imports ------------------------------------------------------------------------


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _imported(node: ast.Import | ast.ImportFrom) -> list[str]:
    """The ``generator`` modules an import statement loads."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.startswith("generator.")]
    if node.module == "generator":  # from generator import paths, pipeline
        return [f"generator.{a.name}" for a in node.names if (GENERATOR / f"{a.name}.py").is_file()]
    if node.module and node.module.startswith("generator."):
        return [node.module]
    return []


def _import_graph() -> tuple[dict[str, set[str]], list[str]]:
    """Module -> generator modules it imports when loaded (type-only imports left out),
    and every import of a generator module made inside a function."""
    graph: dict[str, set[str]] = {}
    hidden: list[str] = []
    for path in sorted(GENERATOR.glob("*.py")):
        module = f"generator.{path.stem}"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[module] = set()

        def visit(node: ast.AST, in_function: bool, module: str = module, path: Path = path) -> None:
            if isinstance(node, ast.If) and _is_type_checking(node):
                for child in node.orelse:
                    visit(child, in_function)
                return
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for target in _imported(node):
                    if in_function:
                        hidden.append(f"{path.name}:{node.lineno} imports {target} inside a function")
                    else:
                        graph[module].add(target)
            inside = in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            for child in ast.iter_child_nodes(node):
                visit(child, inside)

        visit(tree, False)
    return graph, hidden


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found, state, stack = [], {}, []

    def walk(module: str) -> None:
        state[module] = "open"
        stack.append(module)
        for target in sorted(graph.get(module, ())):
            if state.get(target) == "open":
                found.append([*stack[stack.index(target) :], target])
            elif target not in state:
                walk(target)
        stack.pop()
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            walk(module)
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c", "a"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_generator_has_no_import_cycle_and_no_hidden_import():
    graph, hidden = _import_graph()
    assert "generator.build.pipeline" in graph["generator.mkdocs_plugin.plugin"]  # the walk sees real imports
    assert _cycles(graph) == []
    assert hidden == []


def test_the_core_never_imports_mkdocs():
    adapters = {"plugin.py", "engine.py", "preview.py", "cli.py", "__main__.py"}
    for path in sorted(GENERATOR.glob("*.py")):
        if path.name in adapters:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = [
            name
            for node in ast.walk(tree)
            if isinstance(node, (ast.Import, ast.ImportFrom))
            for name in ([a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""])
        ]
        assert not [n for n in names if n.split(".")[0] == "mkdocs"], path.name


# --- one list of outputs ------------------------------------------------------------


def test_render_out_writes_every_output_including_the_log_downloads(make_project, tmp_path):
    root = make_project()
    result = run_cli(root, "publish", "--allow-sample")
    assert result.exit_code == 0, result.output
    out = tmp_path / "rendered"
    result = run_cli(root, "render", "--out", str(out))
    assert result.exit_code == 0, result.output
    site = pipeline.load(_settings(str(root / "mkdocs.yml")))
    expected = {o.path for o in pipeline.outputs(site)}
    written = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert written == expected
    assert (out / paths.LOG_JSONL).read_bytes() == (root / "publication-log.jsonl").read_bytes()
    assert (out / paths.LOG_CSV).read_bytes().startswith(b"\xef\xbb\xbf")
    assert "<!-- congkhai:home -->" not in (out / "index.md").read_text(encoding="utf-8")
    for asset in pipeline.THEME_ASSETS:
        assert (out / asset).read_bytes() == (pipeline.THEME_DIR / asset).read_bytes()


def test_mkdocs_build_writes_every_output(make_project):
    root = make_project()
    config = load_config(config_file=str(root / "mkdocs.yml"), site_dir=str(root / "site"))
    mkdocs_build(config)
    site = pipeline.load(_settings(str(root / "mkdocs.yml")))
    for output in pipeline.outputs(site):
        if output.is_page or output.path.endswith(".md"):  # rendered by MkDocs
            page = paths.page_url(output.path)
            assert (root / "site" / page / "index.html").is_file(), output.path
        else:
            built = (root / "site" / output.path).read_bytes()
            expected = output.data if output.data is not None else output.source.read_bytes()
            assert built == expected, output.path


def test_mkdocs_build_scans_the_built_site_too(make_project, mkdocs_errors):
    """``mkdocs build`` (not only ``congkhai build``) refuses personal data that reaches the
    built HTML from outside the records, and removes the built folder."""
    root = make_project()
    config_file = root / "mkdocs.yml"
    config_file.write_text(
        config_file.read_text(encoding="utf-8") + 'copyright: "Quản trị trang: 0987 654 321"\n', encoding="utf-8"
    )
    config = load_config(config_file=str(config_file), site_dir=str(root / "site"))
    with pytest.raises(Abort):
        mkdocs_build(config)
    assert re.search(
        r"^site/index.html:\d+: trang đã dựng: có số điện thoại 0987 \*\*\* \*\*\*;", mkdocs_errors.text, re.M
    )
    assert "0987 654 321" not in mkdocs_errors.text
    assert not (root / "site").exists()


@pytest.fixture
def mkdocs_errors(caplog):
    """What MkDocs logs at ERROR (its logger may have been cut off from the root logger by
    an earlier CLI run, so the capture handler is put on it directly)."""
    logger = logging.getLogger("mkdocs")
    logger.addHandler(caplog.handler)
    caplog.handler.setLevel(logging.ERROR)
    yield caplog
    logger.removeHandler(caplog.handler)


# --- publish loads once ---------------------------------------------------------------


def test_publish_builds_exactly_what_it_logged(make_project):
    """A record edited while a publish runs (after its load) is neither logged nor shown:
    the page shows the version whose hash was logged."""
    root = make_project()
    config_file = str(root / "mkdocs.yml")
    record = root / LICH
    original = record.read_bytes()
    builds = []

    def build(site, out):
        record.write_bytes(original.replace("Trụ sở Ban".encode(), "Nơi khác".encode()))
        builds.append(site)
        return _build_site(config_file, out, site)

    result = publish(_settings(config_file), build, root / "www", allow_sample=True)
    assert len(builds) == 1
    [event] = [e for e in result.events if e["id"] == "tiep-cong-dan/2026/lich-thang-05"]
    assert event["content_sha256"] == hashlib.sha256(original).hexdigest()
    assert builds[0].log.events[-len(result.events) :] == result.events
    page = (root / "www/tiep-cong-dan/2026/lich-thang-05/index.html").read_text(encoding="utf-8")
    assert event["content_sha256"] in page
    assert "Trụ sở Ban" in page and "Nơi khác" not in page
    # the edit is now an unpublished change, reported as such
    result = run_cli(root, "verify")
    assert result.exit_code == 1
    assert "tệp disclosures/tiep-cong-dan/2026/lich-thang-05.yml khác nội dung đã ghi trong nhật ký" in result.output


def test_the_loaded_log_is_never_mutated(make_project):
    root = make_project()
    site = pipeline.load(_settings(str(root / "mkdocs.yml")))
    events = pipeline.plan(site, "2026-06-05T08:30:00+07:00", None)
    logged = site.with_logged(events)
    assert site.log.events == [] and site.log.raw == b"" and site.histories == {}
    assert [e["seq"] for e in logged.log.events] == list(range(1, len(events) + 1))
    assert logged.log.lines == list(range(1, len(events) + 1))
    assert logged.history(logged.records[0]) is not None


# --- one error format -------------------------------------------------------------------


def test_bad_plugin_options_name_their_line(make_project):
    root = make_project()
    config_file = root / "mkdocs.yml"
    text = config_file.read_text(encoding="utf-8")
    text = text.replace("      agency:", "      max_attachment_mb: nhiều\n      privacy_alow: []\n      agency:")
    config_file.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    mb = lines.index("      max_attachment_mb: nhiều") + 1
    result = run_cli(root, "check")
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"mkdocs.yml:{mb}: plugins.congkhai.max_attachment_mb: phải là một số nguyên",
        f"mkdocs.yml:{mb + 1}: plugins.congkhai.privacy_alow: tùy chọn không được hỗ trợ; có phải ý bạn là 'privacy_allow'?",
        "Có 2 lỗi; chưa có gì được thay đổi.",
    ]


def test_plugin_option_errors_reach_mkdocs_in_vietnamese(make_project, mkdocs_errors):
    root = make_project()
    config_file = root / "mkdocs.yml"
    text = config_file.read_text(encoding="utf-8").replace("      agency:", "      nav: có\n      agency:")
    config_file.write_text(text, encoding="utf-8")
    line = text.splitlines().index("      nav: có") + 1
    with pytest.raises(Abort):
        load_config(config_file=str(config_file))
    assert f"mkdocs.yml:{line}: plugins.congkhai.nav: phải là true hoặc false" in mkdocs_errors.text
