"""The bad-input corpus: every hostile or broken record in ``tests/bad_inputs/`` is
refused by ``congkhai check`` (and ``build``) with its exact message, exit status 1, no
traceback, and nothing written to the site or the publication log.

``tests/bad_inputs/cases.yml`` maps each case to its file, where it goes in a fresh
project (``to``), what the test must prepare that git cannot hold (``make``: symlinks,
files over a size limit, an NFD file name), extra plugin options, and the exact
``path:line: field: message`` lines expected. A case with ``exit: 0`` is valid but
suspicious: ``check``, ``build`` and ``publish`` succeed and print its ``warnings``
(``path:line: field: cảnh báo: …``).
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
import unicodedata
from pathlib import Path

import pytest
import yaml

from tests.conftest import run_cli

CORPUS = Path(__file__).parent / "bad_inputs"
NEXT_YEAR = str(dt.date.today().year + 1)
"""A case about a date still to come writes ``{NEXT_YEAR}`` (in its file, target and messages):
a fixed year would stop being in the future."""
CASES = yaml.safe_load((CORPUS / "cases.yml").read_text(encoding="utf-8").replace("{NEXT_YEAR}", NEXT_YEAR))
REFUSED = [name for name, case in CASES.items() if case.get("exit", 1) == 1]
WARNED = [name for name, case in CASES.items() if case.get("exit", 1) == 0]


def _prepare(root: Path, case: dict) -> None:
    source = CORPUS / case["file"]
    target = root / case["to"]
    make = case.get("make")
    if make == "nfd-name":
        target = target.with_name(unicodedata.normalize("NFD", target.name))
    target.parent.mkdir(parents=True, exist_ok=True)
    if make == "symlink-record-out":
        outside = root / "ngoai" / source.name
        outside.parent.mkdir()
        shutil.copyfile(source, outside)
        target.symlink_to(outside)
    elif b"{NEXT_YEAR}" in source.read_bytes():
        target.write_bytes(source.read_bytes().replace(b"{NEXT_YEAR}", NEXT_YEAR.encode()))
    else:
        shutil.copyfile(source, target)
    if len(Path(case["file"]).parts) > 2:  # a case folder: its other files go along
        for sibling in source.parent.iterdir():
            if sibling != source:
                shutil.copyfile(sibling, target.parent / sibling.name)
    if make == "symlink-attachment-out":
        secret = root / "bi-mat.pdf"
        secret.write_bytes(b"%PDF-1.4 not for the site\n")
        (target.parent / "quyet-dinh.pdf").symlink_to(secret)
    elif make == "big-attachment":
        with (target.parent / "ban-quet.pdf").open("wb") as handle:
            handle.truncate(3 * 1024 * 1024)  # sparse: cheap to make
    elif make == "pad-over-1mb":
        with target.open("a", encoding="utf-8") as handle:
            handle.write(("# " + "x" * 98 + "\n") * 10_600)
    elif make == "many-values":
        with target.open("a", encoding="utf-8") as handle:
            handle.write("  - x\n" * 10_001)
    options = case.get("options")
    if options:
        config = root / "mkdocs.yml"
        text = config.read_text(encoding="utf-8")
        for key, value in options.items():
            line = f"      {key}: {value}\n"
            prefix = f"      {key}:"
            kept = [old for old in text.splitlines(keepends=True) if not old.startswith(prefix)]
            at = next(i for i, old in enumerate(kept) if old.startswith("      agency:")) + 1
            text = "".join(kept[:at] + [line] + kept[at:])
        config.write_text(text, encoding="utf-8")


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    out = {}
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            out[path.relative_to(root).as_posix()] = (path.stat().st_size, path.stat().st_mtime_ns)
    return out


def test_the_corpus_is_large_and_every_file_is_used():
    assert len(CASES) >= 40
    used = {CORPUS / c["file"] for c in CASES.values()}
    used |= {p for c in CASES.values() if len(Path(c["file"]).parts) > 2 for p in (CORPUS / c["file"]).parent.iterdir()}
    files = {p for p in CORPUS.rglob("*") if p.is_file() and p.name != "cases.yml"}
    assert files == used
    kinds = {name.split("/")[0] for name in (c["file"] for c in CASES.values())}
    assert {"privacy", "asset-declaration", "html", "paths", "limits", "encoding"} <= kinds
    assert sum(1 for c in CASES.values() if c["file"].startswith("privacy/")) >= 8


@pytest.mark.parametrize("name", REFUSED)
def test_bad_input_is_refused_with_its_message(make_project, name):
    case = CASES[name]
    root = make_project()
    _prepare(root, case)
    before = _snapshot(root)
    started = time.monotonic()
    result = run_cli(root, "check")
    elapsed = time.monotonic() - started
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if not line.startswith("Có ")]
    assert lines == case["expect"]
    assert result.output.splitlines()[-1] == f"Có {len(case['expect'])} lỗi; chưa có gì được thay đổi."
    assert elapsed < 3, f"check took {elapsed:.1f} s"
    # build and publish refuse too, before anything is written
    site = root / "site"
    result = run_cli(root, "build", "--site-dir", str(site))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert [line for line in result.output.splitlines() if not line.startswith("Có ")] == case["expect"]
    result = run_cli(root, "publish", "--allow-sample", "--deploy-to", str(root / "www"))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert not site.exists() and not (root / "www").exists()
    assert not (root / "publication-log.jsonl").exists()
    after = _snapshot(root)
    assert after.pop("publication-log.jsonl.lock", (0, 0))[0] == 0  # publish's (empty) lock file
    assert after == before, set(after.items()) ^ set(before.items())
    # the refused value is never printed in full
    for secret in case.get("never_shown", []):
        assert secret not in result.output and secret not in run_cli(root, "check").output


def _warnings(output: str) -> list[str]:
    return [line for line in output.splitlines() if ": cảnh báo: " in line]


@pytest.mark.parametrize("name", WARNED)
def test_suspicious_input_is_warned_about(make_project, name):
    """Valid but probably a slip: every command succeeds and prints the warning."""
    case = CASES[name]
    assert case["warnings"] and all(": cảnh báo: " in line for line in case["warnings"])
    root = make_project()
    _prepare(root, case)
    result = run_cli(root, "check")
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    assert "không có lỗi" in result.output
    assert _warnings(result.output) == case["warnings"]
    assert result.output.splitlines()[-1].startswith(f"Có {len(case['warnings'])} cảnh báo;")
    result = run_cli(root, "build", "--site-dir", str(root / "site"))
    assert result.exit_code == 0 and _warnings(result.output) == case["warnings"], result.output
    result = run_cli(root, "publish", "--allow-sample", "--deploy-to", str(root / "www"))
    assert result.exit_code == 0 and _warnings(result.output) == case["warnings"], result.output
