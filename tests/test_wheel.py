"""The wheel test: congkhai as ``pip install .`` ships it, not as the editable checkout.

The wheel is built from a clean copy of the repository (``pip wheel --no-deps
--no-build-isolation``, offline), installed into a fresh virtual environment, and must hold
every file of ``generator/`` (category data, templates, the theme with its subfolders).
The repository's own sample site is then built with the installed ``congkhai`` and with the
checkout, and the two sites must be the same files with the same bytes: a theme asset
missing from the wheel (the header partial, a script) changes pages, so this fails.

The installed package is isolated from the checkout: the commands run from a folder outside
the repository with ``PYTHONPATH`` removed, and ``import generator`` is asserted to come
from the environment's own site-packages. (Its dependencies come from the system
site-packages, ``--system-site-packages``; the checkout's editable install there is only
a fallback finder placed after the environment's own path, and the assertion proves it
is not used.)

Deselect with ``-m "not wheel"`` for a quick run; ``.ci/run`` runs it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

from generator.website import search
from tests.conftest import REPO, copy_sample, run_cli

pytestmark = pytest.mark.wheel

TIMEOUT = 180
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo")
# MkDocs dates the sitemap (and the gzip header of sitemap.xml.gz) with the build date,
# or with SOURCE_DATE_EPOCH when set (its reproducible-builds switch): pinned here so that
# the two builds compare byte for byte even across midnight UTC. No output is normalised.
SOURCE_DATE_EPOCH = "1780000000"


def _env(pythonpath: Path | None = None) -> dict[str, str]:
    """The environment of a child process: no PYTHONPATH (unless given), no user site."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    env.update(PYTHONNOUSERSITE="1", PYTHONDONTWRITEBYTECODE="1", SOURCE_DATE_EPOCH=SOURCE_DATE_EPOCH)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return env


def _run(args: list[str | Path], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    assert done.returncode == 0, f"{' '.join(map(str, args))} -> {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _tree(folder: Path) -> set[str]:
    """Files under ``folder`` (POSIX paths relative to it), without bytecode."""
    return {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo")
    }


class Installed:
    """The built wheel and the virtual environment it is installed in."""

    def __init__(self, wheel: Path, venv: Path, outside: Path):
        self.wheel = wheel
        self.venv = venv
        self.outside = outside  # a working folder outside the repository
        self.python = venv / "bin" / "python"
        self.congkhai = venv / "bin" / "congkhai"

    def purelib(self) -> Path:
        code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
        return Path(_run([self.python, "-c", code], self.outside, _env()).strip())


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    setuptools = version("setuptools")
    assert int(setuptools.split(".")[0]) >= 77, f"setuptools {setuptools} cannot build congkhai: run scripts/setup"
    base = tmp_path_factory.mktemp("wheel")
    # A clean copy of what the build reads: building in the checkout would write build/ and
    # *.egg-info there, and a stale build/lib could slip files into the wheel.
    src = base / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, src / name)
    shutil.copytree(REPO / "generator", src / "generator", ignore=SKIP)
    wheels = base / "dist"
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", wheels, src],
        base,
        _env(),
    )
    (wheel,) = wheels.glob("congkhai-*.whl")
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", venv], base, _env())
    # pip comes from the system site-packages but installs into the environment (its
    # sys.prefix); --ignore-installed: the checkout's own editable install is visible from
    # here and must neither count as "already satisfied" nor be uninstalled.
    _run(
        [venv / "bin" / "python", "-m", "pip", "install", "--no-deps", "--no-index", "--ignore-installed", wheel],
        base,
        _env(),
    )
    outside = base / "work"
    outside.mkdir()
    return Installed(wheel, venv, outside)


def test_wheel_ships_every_file_of_the_package(installed):
    """The wheel and the installed package hold every file of generator/, nothing less."""
    expected = _tree(REPO / "generator")
    assert {
        "website/theme/partials/header.html",
        "website/theme/assets/congkhai.js",
        "website/theme/assets/search.js",
    } <= expected
    with zipfile.ZipFile(installed.wheel) as wheel:
        shipped = {n.removeprefix("generator/") for n in wheel.namelist() if n.startswith("generator/")}
    assert sorted(expected - shipped) == [], "missing from the wheel"
    assert sorted(shipped - expected) == [], "in the wheel but not in generator/"
    on_disk = _tree(installed.purelib() / "generator")
    assert sorted(expected ^ on_disk) == []


def test_installed_package_is_imported_not_the_checkout(installed):
    code = "import generator, generator.website.search as s; print(generator.__file__); print(s.script_version())"
    where, version = _run([installed.python, "-c", code], installed.outside, _env()).split()
    assert Path(where) == installed.purelib() / "generator" / "__init__.py"
    assert version == search.script_version()


def test_installed_build_is_the_same_site_as_the_checkout(installed, tmp_path):
    project = copy_sample(tmp_path / "project")
    config = project / "mkdocs.yml"
    wheel_site, checkout_site = tmp_path / "site-wheel", tmp_path / "site-checkout"
    _run([installed.congkhai, "-f", config, "build", "--site-dir", wheel_site], installed.outside, _env())
    # the checkout under test, as its editable install runs it (python -m generator == congkhai)
    code = "import generator; print(generator.__file__)"
    where = _run([sys.executable, "-c", code], installed.outside, _env(REPO)).strip()
    assert Path(where) == REPO / "generator" / "__init__.py"
    _run(
        [sys.executable, "-m", "generator", "-f", config, "build", "--site-dir", checkout_site],
        installed.outside,
        _env(REPO),
    )

    files = _tree(checkout_site)
    assert {"index.html", "assets/congkhai.js", "assets/search.js", "tim-kiem/index.html"} <= files
    assert sorted(files ^ _tree(wheel_site)) == []
    differ = [f for f in sorted(files) if (wheel_site / f).read_bytes() != (checkout_site / f).read_bytes()]
    assert differ == []


def test_installed_init_writes_the_same_project_and_it_builds(installed, tmp_path):
    """``congkhai init`` from the wheel: the templates are package data, so the project is
    the checkout's byte for byte, and it builds; ``--sample`` needs the source's records."""
    args = ["init", "--agency", "Sở Tài chính tỉnh An Giang", "--site-url", "https://congkhai.stc.angiang.gov.vn/"]
    wheel_project, checkout_project = tmp_path / "wheel", tmp_path / "checkout"
    _run([installed.congkhai, *args[:1], wheel_project, *args[1:]], installed.outside, _env())
    _run([sys.executable, "-m", "generator", *args[:1], checkout_project, *args[1:]], installed.outside, _env(REPO))
    files = {p.relative_to(wheel_project).as_posix() for p in wheel_project.rglob("*") if p.is_file()}
    assert {".gitignore", ".gitlab-ci.yml", ".gitea/workflows/congkhai.yml", "may-chu/nginx.conf"} <= files
    assert files == {p.relative_to(checkout_project).as_posix() for p in checkout_project.rglob("*") if p.is_file()}
    assert all((wheel_project / f).read_bytes() == (checkout_project / f).read_bytes() for f in files)
    _run([installed.congkhai, "-f", wheel_project / "mkdocs.yml", "build"], installed.outside, _env())
    assert (wheel_project / "site" / "index.html").is_file()
    done = subprocess.run(
        [installed.congkhai, "init", tmp_path / "mau", "--sample"],
        cwd=installed.outside,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 1 and done.stderr.startswith("bản cài đặt này không kèm dữ liệu mẫu"), done.stderr


def test_missing_search_script_is_an_error(make_project, monkeypatch, tmp_path):
    """A theme asset missing from an install stops the build; no silent fallback."""
    missing = tmp_path / "gone" / "search.js"
    monkeypatch.setattr(search, "SCRIPT", missing)
    root = make_project()
    result = run_cli(root, "build", "--site-dir", str(root / "site"))
    assert result.exit_code == 1
    assert result.output == (
        f"thiếu tệp {missing} của congkhai: bản cài đặt bị hỏng, hãy cài lại congkhai\n"
        "Có 1 lỗi; chưa có gì được thay đổi.\n"
    )
