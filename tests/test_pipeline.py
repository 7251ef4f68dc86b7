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

from generator.cli import _build_site, _settings
from generator.core import paths
from generator.publish.publisher import publish
from generator.website import pipeline
from tests.conftest import REPO, run_cli

LICH = "disclosures/tiep-cong-dan/2026/lich-thang-05.yml"
GENERATOR = REPO / "generator"


# --- imports ------------------------------------------------------------------------

FLOORS = {
    "core": 0,
    "records": 1,
    "ledger": 2,
    "website": 3,
    "mkdocs_plugin": 4,
    "publish": 4,
    "evidence": 4,
    "witness": 4,
    "staff": 4,
}
"""The folders of ``generator/`` and their floors: a module imports from its own folder, or
from a folder on a lower floor; the products (floor 4) never import each other, except
where :data:`MAY_ALSO_IMPORT` says so. ``cli.py`` and ``__main__.py`` sit on top."""
MAY_ALSO_IMPORT = {
    ("staff", "mkdocs_plugin"): "the editor previews with the site engine's pages",
    ("evidence", "mkdocs_plugin"): "the dossier prints the pages the site engine renders",
    ("witness", "evidence"): "the witness reads the B1 verdicts the evidence computes",
}
LAZY_IMPORTS = {
    "cli.py": "each command imports what only it needs (as MkDocs' own command line does)",
    "commands.py": "MkDocs' build steps, only for the commands that build",
    "publisher.py": "the RFC 3161 libraries, only when a killed publish left a token to check",
    "signatures.py": "pyHanko (about a second of CPU to import), only when a PDF attachment is checked",
}
"""Modules that import inside a function, and why: counted as imports (the floors hold for
them too), never hidden in strings."""


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")


def _imported(node: ast.Import | ast.ImportFrom) -> list[str]:
    """The ``generator`` modules an import statement loads."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.startswith("generator.")]
    if node.module and (node.module == "generator" or node.module.startswith("generator.")):
        folder = REPO.joinpath(*node.module.split("."))
        found = [f"{node.module}.{a.name}" for a in node.names if (folder / f"{a.name}.py").is_file()]
        return found or [node.module]
    return []


def _sources() -> list[Path]:
    return sorted(p for p in GENERATOR.rglob("*.py") if "project_template" not in p.parts)


def _import_graph() -> tuple[dict[str, set[str]], list[str]]:
    """Module -> generator modules it imports (type-only imports left out), and every import
    of a generator module made inside a function outside the command layer."""
    graph: dict[str, set[str]] = {}
    hidden: list[str] = []
    for path in _sources():
        module = _module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[module] = set()

        def visit(node: ast.AST, in_function: bool, module: str = module, path: Path = path) -> None:
            if isinstance(node, ast.If) and _is_type_checking(node):
                for child in node.orelse:
                    visit(child, in_function)
                return
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for target in _imported(node):
                    if in_function and path.name not in LAZY_IMPORTS:
                        hidden.append(f"{path.name}:{node.lineno} imports {target} inside a function")
                    graph[module].add(target)
            if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                "import_module",
                "__import__",
            ):
                hidden.append(f"{path.name}:{node.lineno} imports a module named by a string")
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
    assert "generator.website.pipeline" in graph["generator.mkdocs_plugin.plugin"]  # the walk sees real imports
    assert _cycles(graph) == []
    assert hidden == []


def _folder(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 else None


def _breaks(graph: dict[str, set[str]]) -> list[str]:
    """Imports that go up a floor, or across the products without a reason."""
    broken = []
    for module, targets in sorted(graph.items()):
        here = _folder(module)
        for target in sorted(targets):
            there = _folder(target)
            if here is None or there is None or here == there:
                if here is not None and there is None:  # a folder's module importing cli
                    broken.append(f"{module} -> {target}")
                continue
            if FLOORS[there] > FLOORS[here] or (FLOORS[there] == FLOORS[here] and (here, there) not in MAY_ALSO_IMPORT):
                broken.append(f"{module} -> {target}")
    return broken


def test_every_module_sits_in_a_folder_of_known_floor():
    graph, _ = _import_graph()
    loose = sorted(
        m for m in graph if _folder(m) is None and m not in {"generator", "generator.cli", "generator.__main__"}
    )
    assert loose == []
    assert {_folder(m) for m in graph} - {None} == set(FLOORS)


def test_folders_import_only_their_own_floor_or_below():
    graph, _ = _import_graph()
    assert _breaks(graph) == []
    # the rule finds what it must: a core module importing the ledger, two products importing each other
    assert _breaks({"generator.core.values": {"generator.ledger.log"}}) == [
        "generator.core.values -> generator.ledger.log"
    ]
    assert _breaks({"generator.publish.publisher": {"generator.witness.sync"}}) != []
    assert _breaks({"generator.ledger.log": {"generator.records.record"}}) == []


def _mkdocs_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        name
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for name in ([a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""])
        if name.split(".")[0] in ("mkdocs", "material", "properdocs")
    ]


def test_only_the_mkdocs_plugin_folder_imports_mkdocs():
    door = GENERATOR / "mkdocs_plugin"
    importing = sorted(str(p.relative_to(GENERATOR)) for p in _sources() if _mkdocs_imports(p))
    assert importing and all(p.startswith("mkdocs_plugin/") for p in importing), importing
    assert _mkdocs_imports(door / "plugin.py")  # the check sees imports


def test_mkdocs_private_names_are_used_in_one_module_only():
    from generator.mkdocs_plugin.internals import PRIVATE_NAMES

    pattern = re.compile(r"\b(?:" + "|".join(re.escape(n) for n in PRIVATE_NAMES) + r")\b")
    users = sorted(  # only a module that imports MkDocs can reach below its API
        str(p.relative_to(GENERATOR))
        for p in _sources()
        if _mkdocs_imports(p) and pattern.search(p.read_text(encoding="utf-8"))
    )
    assert users == ["mkdocs_plugin/internals.py"]
    docstring = (GENERATOR / "mkdocs_plugin/internals.py").read_text(encoding="utf-8").split('"""')[1]
    assert [n for n in PRIVATE_NAMES if n not in docstring] == []  # each one named, with why


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
    # the edit is now an unpublished change, noted as such (no problem of the evidence)
    result = run_cli(root, "verify")
    assert result.exit_code == 0, result.output
    assert "Ghi chú: " in result.output
    assert "tệp disclosures/tiep-cong-dan/2026/lich-thang-05.yml đã sửa sau phiên bản đã công bố" in result.output


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
