"""Records read on several cores (``generator.records.record._loading``) are exactly those read in
one process: the same records (each with the parent's category object), the same problems
in the same order, the same broken keys; and ``congkhai check`` prints the same lines with
the same exit status whatever ``CONGKHAI_JOBS`` says.

The project: the repository's sample records, each also copied under 14 other names (more
than :data:`~generator.records.record.PARALLEL_FROM` files, so the pool is used), plus every
record of the bad-input corpus, each in a folder of its own. The loads run in a fresh
Python process: the test process may run other threads, and then records are read in one
process only (forking a process with threads is not safe).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from generator.core import parallel
from generator.core.errors import CongkhaiError
from generator.records import record as records
from tests.conftest import REPO, run_cli
from tests.test_bad_inputs import CASES, _prepare

COPIES = 14


def _project(root: Path, bad: bool) -> Path:
    root.mkdir()
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    for folder in ("content", "disclosures", "chung-thu-goc"):
        shutil.copytree(REPO / folder, root / folder)
    for path in sorted((root / "disclosures").rglob("*")):
        if path.suffix in (".yml", ".md") and not path.name.startswith("_"):
            for k in range(1, COPIES + 1):
                shutil.copyfile(path, path.with_name(f"{path.stem}-{k}{path.suffix}"))
    if bad:
        for k, case in enumerate(CASES.values()):
            parts = case["to"].split("/")
            if case.get("options") or parts[-1].startswith("_"):
                continue  # a changed mkdocs.yml or category file concerns the whole project
            if len(parts) >= 4:
                parts[2] = f"{parts[2]}-c{k}"
            else:
                parts[-1] = f"c{k}-{parts[-1]}"
            _prepare(root, {**case, "to": "/".join(parts)})
        # two files with the same address
        first = next(p for p in sorted((root / "disclosures").rglob("*.yml")) if not p.name.startswith("_"))
        shutil.copyfile(first, first.with_suffix(".yaml"))
    return root


def _run(argv: list[str], jobs: str | None, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.pop("CONGKHAI_JOBS", None)
    if jobs is not None:
        env["CONGKHAI_JOBS"] = jobs
    return subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=300)


COMPARE = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from generator.records import record as records
    from generator.records.category_file import load_categories, load_common

    root = Path(sys.argv[1])
    categories = load_categories(root / "disclosures", root)
    common = load_common()

    def load(jobs):
        return records.load_records(root / "disclosures", root, categories, common, jobs=jobs)

    calls = []
    unpickled = records._unpickled
    records._unpickled = lambda *args: calls.append(1) or unpickled(*args)
    one, problems, broken = load(1)
    assert not calls
    for jobs in (2, 3):
        many, many_problems, many_broken = load(jobs)
        assert calls, "the pool was not used"
        assert many_problems == problems
        assert many_broken == broken
        assert len(many) == len(one)
        for a, b in zip(one, many):
            assert b.category is a.category is categories[a.category.slug]
            assert {k: v for k, v in vars(a).items() if k != "category"} == {
                k: v for k, v in vars(b).items() if k != "category"
            }, a.relpath
        calls.clear()
    # the privacy guard over the public records, in one process and shared among two
    import os
    from generator.records import privacy
    public = [r for r in one if r.public]
    assert len(public) >= privacy.PARALLEL_FROM
    guard = privacy.Guard(privacy.Allow(), privacy.Allow().only(privacy.hotline_values(one)))
    os.environ["CONGKHAI_JOBS"] = "1"
    alone = guard.check(one)
    os.environ["CONGKHAI_JOBS"] = "2"
    assert guard.check(one) == alone
    print(len(one), len(problems), len(broken), len(alone))
    """
)


@pytest.fixture(scope="module")
def projects(tmp_path_factory):
    base = tmp_path_factory.mktemp("parallel")
    return _project(base / "good", bad=False), _project(base / "bad", bad=True)


def test_the_projects_are_large_enough_for_the_pool(projects):
    for root in projects:
        files = records.find_record_files(root / "disclosures")
        assert len(files) >= records.PARALLEL_FROM


def test_parallel_and_serial_loads_give_the_same_records_and_problems(projects):
    for root in projects:
        result = _run([sys.executable, "-c", COMPARE, str(root)], None, root)
        assert result.returncode == 0, result.stderr
        loaded, problems, broken, private = (int(x) for x in result.stdout.split())
        assert loaded >= records.PARALLEL_FROM
        if root.name == "bad":
            assert problems > 80 and broken > 50 and private > 10
        else:
            assert problems == broken == 0  # (privacy: the guard here has no allow-list of mkdocs.yml)


def test_check_prints_the_same_whatever_the_jobs(projects):
    good, bad = projects
    for root, status in ((good, 0), (bad, 1)):
        argv = [sys.executable, "-m", "generator", "-f", str(root / "mkdocs.yml"), "check"]
        runs = [_run(argv, jobs, root) for jobs in ("1", "2", None)]
        assert runs[0].returncode == status, runs[0].stderr[-2000:]
        assert "Traceback" not in runs[0].stderr
        for run in runs[1:]:
            assert (run.returncode, run.stdout, run.stderr) == (runs[0].returncode, runs[0].stdout, runs[0].stderr)


@pytest.mark.parametrize("value", ["0", "-1", "hai", "1.5", "２"])
def test_a_bad_jobs_value_is_refused(projects, monkeypatch, value):
    monkeypatch.setenv("CONGKHAI_JOBS", value)
    with pytest.raises(CongkhaiError, match=f"biến môi trường CONGKHAI_JOBS='{value}' không hợp lệ"):
        parallel.jobs()
    good, _ = projects
    result = run_cli(good, "check")
    assert result.exit_code == 1
    assert f"biến môi trường CONGKHAI_JOBS='{value}' không hợp lệ" in result.output


def test_jobs_default_to_the_usable_cores(monkeypatch):
    monkeypatch.delenv("CONGKHAI_JOBS", raising=False)
    assert parallel.jobs() == len(os.sched_getaffinity(0))
    monkeypatch.setenv("CONGKHAI_JOBS", " 3 ")
    assert parallel.jobs() == 3
