"""The site builds the same on ProperDocs, the maintained MkDocs 1.x fork (SPEC 5b).

A fresh virtual environment that sees this machine's packages (Material, congkhai and its
dependencies) gets ``properdocs>=1.6.7,<2`` from the package index. ProperDocs aliases
``mkdocs.*`` to its own modules and loads the ``mkdocs.plugins`` entry points, so the
congkhai plugin and Material run on it unchanged. The sample project is then built by
``properdocs build`` and by ``mkdocs build`` (MkDocs stays the declared dependency), and the
two sites must be equal byte for byte, apart from the ``generator`` meta tag that names the
engine and its version.
"""

from __future__ import annotations

import gzip
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, copy_sample

GENERATOR_TAG = re.compile(rb'<meta name="generator" content="[^"]*">')


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _sample(tmp_path: Path) -> Path:
    project = copy_sample(tmp_path / "project")
    for name in ("publication-log.jsonl", "checkpoints"):  # the sample's log, if it keeps one
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, project / name)
        elif source.is_file():
            shutil.copy(source, project / name)
    return project


@pytest.fixture(scope="module")
def properdocs(tmp_path_factory) -> Path:
    """``properdocs`` in a fresh virtual environment beside this machine's packages."""
    venv = tmp_path_factory.mktemp("properdocs-venv")
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "properdocs>=1.6.7,<2"],
        check=True,
        timeout=600,
    )
    return venv / "bin" / "properdocs"


def test_the_sample_builds_byte_for_byte_the_same_on_properdocs(properdocs, tmp_path):
    project = _sample(tmp_path)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(REPO), "CONGKHAI_JOBS": "1"}
    built = subprocess.run(
        [str(properdocs), "build", "--strict", "-f", "mkdocs.yml", "-d", str(tmp_path / "properdocs")],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    reference = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", "mkdocs.yml", "-d", str(tmp_path / "mkdocs")],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert reference.returncode == 0, reference.stderr[-3000:]

    ours, theirs = _tree(tmp_path / "properdocs"), _tree(tmp_path / "mkdocs")
    assert sorted(ours) == sorted(theirs)
    assert len(ours) > 50  # the whole sample: records, lists, the log, feeds, assets
    tags = {m.group(0) for data in ours.values() for m in GENERATOR_TAG.finditer(data)}
    assert any(b"properdocs" in tag.lower() for tag in tags), tags  # it really was ProperDocs that built it
    differ = [
        name
        for name in ours
        if GENERATOR_TAG.sub(b"", ours[name]) != GENERATOR_TAG.sub(b"", theirs[name])
        and not name.endswith(".gz")  # compressed sitemap: compared after decompression below
    ]
    assert differ == []
    for name in (n for n in ours if n.endswith(".gz")):
        assert gzip.decompress(ours[name]) == gzip.decompress(theirs[name]), name
