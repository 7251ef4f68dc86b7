"""The build engine (:mod:`generator.mkdocs_plugin.engine`): ``congkhai build`` renders the pages out of
the navigation in several processes and must write exactly what ``mkdocs build`` writes."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from conftest import run_cli
from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort

from generator.core.errors import CongkhaiError, Problem
from generator.mkdocs_plugin import engine
from generator.website.render import Renderer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from build_bench import make_project as make_bench_project


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _differences(a: Path, b: Path) -> list[str]:
    left, right = _tree(a), _tree(b)
    names = sorted(set(left) | set(right))
    return [n for n in names if left.get(n) != right.get(n)]


@pytest.fixture(scope="module")
def big_project(tmp_path_factory) -> Path:
    """A project of 400 synthetic records: enough pages for two processes."""
    root = tmp_path_factory.mktemp("engine") / "project"
    make_bench_project(root, 400)
    return root


def _config(root: Path, site: Path):
    return load_config(config_file=str(root / "mkdocs.yml"), site_dir=str(site), strict=True)


def test_parallel_build_writes_what_mkdocs_build_writes(big_project, tmp_path, monkeypatch):
    monkeypatch.setenv("CONGKHAI_JOBS", "2")
    mkdocs_build(_config(big_project, tmp_path / "mkdocs"))
    write = engine.Engine.write

    def noting(self, pages):  # which processes wrote pages (the real fork, nothing replaced)
        (tmp_path / f"wrote-{os.getpid()}").write_text(str(len(pages)))
        return write(self, pages)

    monkeypatch.setattr(engine.Engine, "write", noting)
    engine.build(_config(big_project, tmp_path / "engine"))
    pids = {p.name for p in tmp_path.glob("wrote-*")}
    assert len(pids) == 2, "the pages out of the navigation were not shared between two processes"
    pages = list((tmp_path / "engine").rglob("index.html"))
    assert len(pages) > 400
    assert _differences(tmp_path / "mkdocs", tmp_path / "engine") == []


def test_a_failing_worker_fails_the_build(big_project, tmp_path, monkeypatch):
    monkeypatch.setenv("CONGKHAI_JOBS", "2")
    parent = os.getpid()
    write = engine.Engine.write

    def failing_in_worker(self, pages):
        if os.getpid() != parent:
            raise RuntimeError("trang hỏng trong tiến trình con")
        return write(self, pages)

    monkeypatch.setattr(engine.Engine, "write", failing_in_worker)
    with pytest.raises(Abort):
        engine.build(_config(big_project, tmp_path / "site"))


def test_a_killed_worker_fails_the_build(big_project, tmp_path, monkeypatch):
    monkeypatch.setenv("CONGKHAI_JOBS", "2")
    parent = os.getpid()
    write = engine.Engine.write

    def dying_in_worker(self, pages):
        if os.getpid() != parent:
            os.kill(os.getpid(), 9)
        return write(self, pages)

    monkeypatch.setattr(engine.Engine, "write", dying_in_worker)
    with pytest.raises(Abort, match="BuildError"):
        engine.build(_config(big_project, tmp_path / "site"))


def test_one_page_renders_as_the_build_writes_it(big_project, tmp_path):
    config = _config(big_project, tmp_path / "site")
    mkdocs_build(config)
    prepared = engine.Engine(_config(big_project, tmp_path / "unused")).prepare()
    checked = 0
    for file in prepared.pages[::37]:
        assert file.page is not None
        built = (tmp_path / "site" / file.dest_uri).read_bytes()
        assert prepared.render(file.page) == built, file.src_uri
        checked += 1
    assert checked > 5
    assert prepared.render_template("404.html") == (tmp_path / "site" / "404.html").read_bytes()


def test_a_problem_found_in_a_worker_is_printed_like_any_problem(big_project, monkeypatch):
    """A maker that fails in a worker (here: every record page rendered there) reaches the
    command line as congkhai's own problem: its line, the count, exit 1, no traceback."""
    monkeypatch.setenv("CONGKHAI_JOBS", "2")
    parent = os.getpid()
    render_record = Renderer.render_record

    def failing_in_worker(self, record):
        if os.getpid() != parent:
            raise CongkhaiError(Problem(record.relpath, 1, "title", "không dựng được trang này"))
        return render_record(self, record)

    monkeypatch.setattr(Renderer, "render_record", failing_in_worker)
    result = run_cli(big_project, "build", "--site-dir", str(big_project / "site-fails"))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith("disclosures/") and lines[0].endswith(": title: không dựng được trang này")
    assert lines[-1] == "Có 1 lỗi; chưa có gì được thay đổi."
    assert "Traceback" not in result.output and "ERROR" not in result.output


def test_personal_data_on_a_page_rendered_by_a_worker_is_caught(big_project, monkeypatch):
    """The built-site scan covers the pages each worker wrote: a phone number slipped into
    the pages rendered in the worker (after the checks of the records) stops the build and
    the built folder is removed."""
    monkeypatch.setenv("CONGKHAI_JOBS", "2")
    parent = os.getpid()
    render_record = Renderer.render_record

    def leaking_in_worker(self, record):
        page = render_record(self, record)
        return page + "\n\nLiên hệ 0913 123 456.\n" if os.getpid() != parent else page

    monkeypatch.setattr(Renderer, "render_record", leaking_in_worker)
    out = big_project / "site-leaks"
    result = run_cli(big_project, "build", "--site-dir", str(out))
    assert result.exit_code == 1
    hits = [line for line in result.output.splitlines() if ": trang đã dựng: " in line]
    assert len(hits) > 100  # every page of the worker's share
    assert all(line.startswith("site-leaks/") and "/index.html:" in line for line in hits)
    assert not out.exists()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_personal_data_in_a_file_that_is_not_a_page_is_caught_whoever_writes_it(big_project, monkeypatch, jobs):
    """The files that are not pages (downloads, feeds, proofs) are dealt among the processes
    and scanned by the one that writes each: a phone number in the log's CSV, on its third
    line after old Mac and Windows line ends, is reported at that line and stops the build."""
    from generator.website import pipeline

    monkeypatch.setenv("CONGKHAI_JOBS", jobs)
    monkeypatch.setattr(pipeline, "log_csv", lambda events, zone: "seq;id\r1;a\r\n2;gọi 0913 123 456\r\n")
    out = big_project / f"site-csv-{jobs}"
    result = run_cli(big_project, "build", "--site-dir", str(out))
    assert result.exit_code == 1
    hits = [line for line in result.output.splitlines() if ": trang đã dựng: " in line]
    assert [line.split(": trang đã dựng: ")[0] for line in hits] == [
        f"site-csv-{jobs}/nhat-ky-cong-khai/publication-log.csv:3"
    ]
    assert not out.exists()


def test_the_search_index_is_made_written_and_scanned_by_a_worker(big_project, monkeypatch):
    """The search index (its files' names carry a hash, no page links them) is made by the
    last worker, beside the search page that shows its manifest, not before the fork; its
    files are scanned there: a phone number in one of them stops the build."""
    from generator.website import search

    monkeypatch.setenv("CONGKHAI_JOBS", "2")
    parent = os.getpid()
    build_index = search.build_index
    made_in: list[int] = []

    def leaking(site):
        index = build_index(site)
        made_in.append(os.getpid())
        (big_project / f"index-made-{os.getpid()}").write_text("")
        index.files[search.INDEX_DIR + "ro-ri.json"] = '{"t": "gọi 0913 123 456"}'.encode()
        return index

    monkeypatch.setattr(search, "build_index", leaking)
    out = big_project / "site-index"
    result = run_cli(big_project, "build", "--site-dir", str(out))
    made = list(big_project.glob("index-made-*"))
    for marker in made:
        marker.unlink()
    assert made_in == [] and len(made) == 1 and made[0].name != f"index-made-{parent}"
    assert result.exit_code == 1
    hits = [line for line in result.output.splitlines() if ": trang đã dựng: " in line]
    assert hits and all(line.startswith("site-index/tim-kiem/chi-muc/ro-ri.json:1:") for line in hits)
    assert not out.exists()


def test_the_menu_rendered_once_per_kind_of_page_is_the_menu_of_every_page(big_project, tmp_path, monkeypatch):
    """``theme/partials/nav.html`` keeps the theme's menu for pages outside the navigation
    whose links to the menu come out the same; a build without that memo writes the same
    bytes. The project has a logo, a nav section, a link and pages in sub-folders, so the
    relative links differ between pages."""
    import shutil

    from generator.mkdocs_plugin import plugin

    root = tmp_path / "project"
    shutil.copytree(big_project, root, ignore=shutil.ignore_patterns("site", "site-*"))
    (root / "content" / "assets").mkdir(parents=True, exist_ok=True)
    (root / "content" / "assets" / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    (root / "content" / "gioi-thieu").mkdir()
    (root / "content" / "gioi-thieu" / "index.md").write_text("# Giới thiệu\n")
    (root / "content" / "gioi-thieu" / "co-cau.md").write_text("# Cơ cấu tổ chức\n")
    config = (root / "mkdocs.yml").read_text(encoding="utf-8")
    config = config.replace("theme:\n", "theme:\n  logo: assets/logo.svg\n", 1)
    config += (
        "nav:\n  - Trang chủ: index.md\n  - Giới thiệu:\n    - gioi-thieu/index.md\n    - gioi-thieu/co-cau.md\n"
        "  - Cổng dịch vụ công: https://dichvucong.gov.vn/\n  - Nhật ký: nhat-ky-cong-khai/index.md\n"
    )
    (root / "mkdocs.yml").write_text(config, encoding="utf-8")
    monkeypatch.setenv("CONGKHAI_JOBS", "1")
    kept: list[int] = []
    keep = plugin.NavMemo.keep

    def counting(self, key, html):
        kept.append(1)
        return keep(self, key, html)

    monkeypatch.setattr(plugin.NavMemo, "keep", counting)
    engine.build(_config(root, tmp_path / "memo"))
    monkeypatch.setattr(plugin.CongkhaiPlugin, "remember_nav", False)
    engine.build(_config(root, tmp_path / "theme"))
    pages = list((tmp_path / "memo").rglob("index.html"))
    assert len(pages) > 400
    assert 1 < len(kept) < len(pages) / 10  # rendered for a few kinds of page, not for each
    assert _differences(tmp_path / "theme", tmp_path / "memo") == []
    record = next((tmp_path / "memo" / "tiep-cong-dan").rglob("lich-*/index.html")).read_text(encoding="utf-8")
    assert 'href="../../../gioi-thieu/co-cau/"' in record and 'src="../../../assets/logo.svg"' in record


def test_html_blocks_set_aside_give_what_python_markdown_gives(big_project, tmp_path, monkeypatch):
    """``plugin.stash_html`` takes congkhai's HTML blocks out of the way of Python-Markdown
    and puts them back after: the site is the same, byte for byte, as when Python-Markdown
    reads every block itself."""
    from generator.mkdocs_plugin import plugin

    monkeypatch.setenv("CONGKHAI_JOBS", "1")
    stash = plugin.stash_html
    taken: list[int] = []

    def counting(markdown):
        out, blocks = stash(markdown)
        taken.append(len(blocks))
        return out, blocks

    monkeypatch.setattr(plugin, "stash_html", counting)
    engine.build(_config(big_project, tmp_path / "stashed"))
    monkeypatch.setattr(plugin, "stash_html", lambda markdown: (markdown, {}))
    engine.build(_config(big_project, tmp_path / "read"))
    assert sum(taken) > 5 * 400  # most blocks of every record page were set aside
    assert _differences(tmp_path / "read", tmp_path / "stashed") == []


def test_one_converter_serves_every_page_only_with_extensions_that_reset(big_project, tmp_path):
    """The engine resets one Python-Markdown converter for each page (the site is the one
    ``mkdocs build`` writes: see above) only when every extension is one of Python-Markdown's
    own, which clear their state on reset; with another one, each page gets a new converter
    as in MkDocs."""
    config = _config(big_project, tmp_path / "site")
    assert engine._resettable(config)
    config["markdown_extensions"] = [*config["markdown_extensions"], "pymdownx.details"]
    assert not engine._resettable(config)
    prepared = engine.Engine(_config(big_project, tmp_path / "site")).prepare()
    assert prepared._converter is not None  # the pages of the navigation were read with it
