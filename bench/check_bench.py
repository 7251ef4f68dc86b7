#!/usr/bin/env python3
"""How long ``congkhai check`` takes on a large project (issue 12: 10,000 records ≤ 5 s).

For each size N it writes the synthetic project of ``build_bench.py`` (or takes an
existing one with ``--project``), then runs ``python -m generator -f <project>/mkdocs.yml
check`` ``--repeat`` times in its own subprocess for each ``--jobs`` value (``auto``:
``CONGKHAI_JOBS`` unset, every core the process may use; ``1``: no parallel reading), and
prints the median wall time, the runs, and the median CPU time (user + system of the child
and its workers, from ``os.wait4``). It also says whether every run printed exactly the
same output with the same exit status, and prints the machine: CPU model, cores, the cores
this process may use, memory and the load average before and after (the machine is shared:
a high load average means noisy times).

Each size is checked ``cold`` (the record cache ``.congkhai-cache/ban-ghi.pickle`` removed
before every run: every file read and checked, as in the earlier rounds) and ``warm`` (what
the run before kept: a clerk's next ``check``; one filling run not counted); ``--cache``
picks one. Hugo is timed in the same run over the pages of ``--hugo`` records (default
1,000, as issue 27 asks: ``check`` of 10,000 records ≤ 4× Hugo's build of 1,000 pages), and
the last column is that ratio.

Usage::

    python bench/check_bench.py [--sizes 10000] [--repeat 3] [--jobs auto,1]
                                [--project DIR] [--workdir DIR] [--live]
                                [--cache cold,warm] [--hugo 1000]

As in ``build_bench.py``, ``generator/`` is copied first and the children import the copy
(``--live``: this checkout as it is).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import build_bench as bb


def machine() -> str:
    """CPU model, cores, the cores this process may run on, memory, Python and system."""
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = " (" + line.split(":", 1)[1].strip() + ")"
                break
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        memory = f", {int(Path('/proc/meminfo').read_text().split()[1]) / 2**20:.1f} GB RAM"
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"{platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPU{model}, "
        f"{usable} usable by this process{memory}"
    )


def load_average() -> str:
    with contextlib.suppress(OSError):
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    return "?"


RECORD_CACHE = ".congkhai-cache/ban-ghi.pickle"
"""What ``check`` keeps of each record file between runs (``generator.website.pipeline.RECORD_CACHE``)."""


def run_check(project: Path, jobs: str, cache: str = "cold") -> tuple[float, float, int, bytes]:
    """One ``check``: wall seconds, CPU seconds (child and its reaped workers), exit status, output.
    ``cache``: ``cold`` removes the project's record cache first (every file read and checked),
    ``warm`` leaves what the run before kept (a clerk's next check)."""
    if cache == "cold":
        (project / RECORD_CACHE).unlink(missing_ok=True)
    env = dict(bb.CHILD_ENV or os.environ)
    env.pop("CONGKHAI_JOBS", None)
    if jobs != "auto":
        env["CONGKHAI_JOBS"] = jobs
    argv = [sys.executable, "-m", "generator", "-f", str(project / "mkdocs.yml"), "check"]
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=project)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        out.seek(0)
        return wall, usage.ru_utime + usage.ru_stime, os.waitstatus_to_exitcode(status), out.read()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000", help="record counts, comma-separated (default 10000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size and jobs value; the median is reported")
    parser.add_argument(
        "--jobs", default="auto", help="CONGKHAI_JOBS values, comma-separated: auto (unset) or a number"
    )
    parser.add_argument("--project", help="check this existing project instead of writing one (--sizes is ignored)")
    parser.add_argument("--workdir", help="write the projects here and keep them (default: a temporary folder)")
    parser.add_argument("--live", action="store_true", help="import generator/ from this checkout, no snapshot")
    parser.add_argument(
        "--cache", default="cold,warm", help="cold (record cache removed before each run), warm (kept), or both"
    )
    parser.add_argument(
        "--hugo", type=int, default=1000, metavar="N", help="time Hugo over the pages of N records (0: not)"
    )
    args = parser.parse_args(argv)

    with contextlib.ExitStack() as stack:
        workdir = Path(args.workdir) if args.workdir else Path(stack.enter_context(tempfile.TemporaryDirectory()))
        workdir.mkdir(parents=True, exist_ok=True)
        if args.live:
            env = dict(os.environ)
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(bb.ROOT), env.get("PYTHONPATH")]))
            bb.CHILD_ENV = env
        else:
            bb.snapshot_generator(workdir)
        print(f"máy: {machine()}")
        print(f"mã đo: generator {bb.generator_fingerprint()}; tải trung bình lúc đầu: {load_average()}")
        projects: list[tuple[str, Path]] = []
        if args.project:
            project = Path(args.project).resolve()
            count = sum(1 for p in (project / "disclosures").rglob("*") if p.suffix in (".yml", ".yaml", ".md"))
            projects.append((f"{count} ({project.name})", project))
        else:
            for n in (int(s) for s in args.sizes.split(",")):
                project = workdir / f"p{n}"
                if not (project / "mkdocs.yml").is_file():
                    bb.make_project(project, n)
                projects.append((str(n), project))
        hugo = None
        if args.hugo:
            import publish_bench

            anchor = workdir / f"hugo-{args.hugo}"
            if not (anchor / "mkdocs.yml").is_file():
                bb.make_project(anchor, args.hugo)
            times = publish_bench.hugo_times(anchor, args.repeat)
            if times:
                hugo = statistics.median(times)
                print(f"Hugo, {args.hugo} bản ghi: {', '.join(f'{t:.2f}' for t in times)} s, trung vị {hugo:.2f} s")
        print()
        print(
            f"| N | jobs | cache | check (s), median | the runs (s) | CPU (s), median | exit | same output "
            f"| check / Hugo ({args.hugo} pages) |"
        )
        print("|---:|---|---|---:|---|---:|---:|---|---:|")
        for label, project in projects:
            outputs: set[tuple[int, bytes]] = set()
            for jobs in args.jobs.split(","):
                for cache in args.cache.split(","):
                    if cache == "warm":
                        run_check(project, jobs.strip(), "warm")  # fills the cache, not counted
                    runs = [run_check(project, jobs.strip(), cache) for _ in range(args.repeat)]
                    walls = [r[0] for r in runs]
                    outputs |= {(r[2], r[3]) for r in runs}
                    median = statistics.median(walls)
                    print(
                        f"| {label} | {jobs} | {cache} | {median:.2f} | {', '.join(f'{w:.2f}' for w in walls)} | "
                        f"{statistics.median(r[1] for r in runs):.2f} | {','.join(sorted({str(r[2]) for r in runs}))} | "
                        f"{'yes' if len(outputs) == 1 else 'NO'} | {f'{median / hugo:.1f}×' if hugo else '–'} |",
                        flush=True,
                    )
        print(f"\ntải trung bình lúc cuối: {load_average()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
