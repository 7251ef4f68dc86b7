"""The built-site scan (:class:`generator.records.privacy.SiteScanner`, each distinct piece of a
page looked at once) finds exactly what :func:`generator.records.privacy.find` finds on the whole
page: on every text file of the sample site, on those files with personal data planted
at every kind of border, and on random text made of the patterns' own ingredients."""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.records import privacy
from generator.records.privacy import SITE_SUFFIXES, Allow, SiteScanner, find, site_text

TODAY = dt.date(2026, 11, 24)
ALLOW = Allow.of(["0296 3 123 456", "@dongthap.gov.vn", "tiepdan@example.vn"])


def reference(text: str, allow: Allow = ALLOW) -> list:
    """The scan as it was: ``find`` over the whole page, without the digit/'@' shortcut."""
    saved = privacy._DIGIT_OR_AT
    privacy._DIGIT_OR_AT = re.compile("")
    try:
        return find(text, allow, False, TODAY)
    finally:
        privacy._DIGIT_OR_AT = saved


ADVERSARIAL = [
    "0912\n345 678",
    "0912 345\n678",
    "<td>0912 345 678</td>",
    '<a href="tel:0912345678">0912.345.678</a>',
    "MST:\n0301234567",
    "mã số\nthuế là 0301234567",
    "MST: <b>0301234567</b>",
    "001234567890\nđồng",
    "123456789 <i>đồng</i>",
    "ngày sinh:\n12/05/1980",
    "Ngày sinh <b>12/05/1980</b>",
    "Nguyễn\nVăn An,\n12/05/1980",
    "Nguyễn Văn An\n(\n1975)",
    "Trần Thị B – 1990",
    "nguyen.van.a@gmail.com",
    'mailto:"a@gmail.com"',
    "x@gmail.com<br>y@yahoo.com",
    "tiepdan@example.vn, canbo@dongthap.gov.vn, other@evil.vn",
    "+84 912-345-678",
    "(+84)912345678",
    "0084912345678",
    "1.0912345678",
    "45/TB-BQLKKT 0912345678",
    "05/06/2026 0296 3 123 456",
    "<0912345678>",
    '"0912345678"',
    "số 0912 345 678\r\n",
    "1.250.000.000 và 500000000 và 001 234 567 890",
    "SN 1985",
    "sn\n1985",
    "\u00a00912345678\u00a0",
    "a0912345678",
    "0912345678a",
    "<p>SN</p>1985",
    'ngày sinh"12/05/1980',
    "Hồ Chí Minh, 1890",
    "Lê Văn Tám - 2020",
]


@pytest.mark.parametrize("kept", [privacy.CLEAN_KEPT, 40])
def test_the_scan_equals_whole_page_find_on_the_sample_site(sample_site, kept, monkeypatch):
    """Pages passed whole by the known-clean stretches, and the same with that memory
    emptied every few pages."""
    monkeypatch.setattr(privacy, "CLEAN_KEPT", kept)
    files = [p for p in sorted(sample_site.rglob("*")) if p.suffix.lower() in SITE_SUFFIXES and p.is_file()]
    assert len(files) > 50
    scanner = SiteScanner(ALLOW, TODAY)
    rng = random.Random(12)
    planted_hits = 0
    for path in files:
        text = site_text(path)
        assert scanner.find(text) == reference(text), path
        # the same page with personal data planted next to tags, quotes and line ends
        planted = text
        for bad in rng.sample(ADVERSARIAL, 6):
            at = rng.randrange(len(planted) + 1)
            planted = planted[:at] + bad + planted[at:]
        expected = reference(planted)
        planted_hits += len(expected)
        assert scanner.find(planted) == expected, path
    assert planted_hits > len(files)  # the planted data is found, not only agreed on
    assert len(scanner.seen) > 0


@pytest.mark.parametrize("text", ADVERSARIAL)
def test_the_scan_equals_whole_page_find_on_hostile_text(text):
    for wrapped in (text, f"<p>{text}</p>", f"a\n{text}\nb", f'"{text}"', text.replace(" ", "\n")):
        assert SiteScanner(ALLOW, TODAY).find(wrapped) == reference(wrapped)


INGREDIENTS = st.sampled_from(
    [
        *"0123456789",
        *"0123456789",
        " ", "\n", "\r\n", "\t", "<", ">", '"', ".", ",", "/", "-", "–", "(", ")", ":", "+", "@", "a", "đ",
        "0912", "345", "678", "+84", "(+84)", "0084", "MST", "mã số thuế", "là", "đồng", "VNĐ",
        "ngày sinh", "SN", "sinh năm", "Nguyễn", "Văn", "An", "Thị", "1980", "2020", "12/05/", "gmail.com",
        "nguyen", ".vn", "<br>", "</td><td>", "&", "\u00a0", "e\u0301", "<\u0338",
    ]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(INGREDIENTS, max_size=40))
def test_the_scan_equals_whole_page_find_on_random_text(parts):
    text = "".join(parts)
    scanner = SiteScanner(ALLOW, TODAY)
    assert scanner.find(text) == reference(text)
    assert scanner.find(text) == reference(text)  # second time from the cache


def test_every_hit_outside_the_strictest_rule_holds_a_digit_or_an_at():
    for text in ADVERSARIAL:
        for hit in reference(text, Allow()):
            span = text[hit.start : hit.end]
            assert re.search(r"[\d@]", span), (text, span)


SCAN_WITH_JOBS = """
import json, os, sys
from pathlib import Path
from generator.core import parallel
from generator.records import privacy

site, jobs = Path(sys.argv[1]), sys.argv[2]
os.environ["CONGKHAI_JOBS"] = jobs
files = [p for p in site.rglob("*.html")]
assert parallel.pays(len(files), privacy.PARALLEL_FROM) == (0 if jobs == "1" else int(jobs)), "no fork"
found = privacy.site_problems(site, privacy.Allow.of([]), site.parent)
print(json.dumps([[p.path, p.line, p.message] for p in found], ensure_ascii=False))
"""


def test_many_files_are_scanned_on_several_cores_with_the_same_problems(tmp_path):
    """From :data:`privacy.PARALLEL_FROM` files to read on, the scan is shared among forked
    processes: the same problems, in the same order, as in one process. Run in a process of
    its own: this one may hold threads of other tests' servers, and a process with other
    threads never forks (``parallel.pays``)."""
    site = tmp_path / "site"
    for n in range(privacy.PARALLEL_FROM + 100):
        page = site / f"trang-{n:04d}" / "index.html"
        page.parent.mkdir(parents=True)
        text = f"<p>Trang {n}</p>"
        if n % 97 == 0:
            text += f"\n<p>Gọi 0913 {n:03d} 456 hoặc ban{n}@gmail.com</p>"
        page.write_text(text, encoding="utf-8")
    results = {}
    for jobs in ("1", "2"):
        run = subprocess.run(
            [sys.executable, "-c", SCAN_WITH_JOBS, str(site), jobs], capture_output=True, text=True, timeout=300
        )
        assert run.returncode == 0, run.stderr
        results[jobs] = json.loads(run.stdout)
    assert results["1"] == results["2"]
    assert len({path for path, _, _ in results["1"]}) == len(range(0, privacy.PARALLEL_FROM + 100, 97))
    assert [path for path, _, _ in results["1"]] == sorted(path for path, _, _ in results["1"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(INGREDIENTS, max_size=15).map("".join), min_size=1, max_size=6))
def test_values_joined_by_a_border_hold_the_hits_of_each_value(values):
    """What ``record_problems`` relies on for a record that is not strict: the values joined
    by '<' have a hit exactly when one of the values has one."""
    joined = find("<".join(values), ALLOW, False, TODAY)
    alone = [find(value, ALLOW, False, TODAY) for value in values]
    assert bool(joined) == any(alone)
    assert len(joined) == sum(len(hits) for hits in alone)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(INGREDIENTS, st.sampled_from(["\r", "\r\n", "\n\r"])), max_size=30).map("".join),
    st.binary(max_size=4),
    st.sampled_from(SITE_SUFFIXES),
)
def test_a_file_being_written_is_scanned_as_the_file_is_read_back(tmp_path_factory, text, junk, suffix):
    """``file_text`` (the bytes of a file the build writes, scanned by the process that
    writes it) gives what ``site_text`` reads back from the disk: line ends made ``\\n`` as
    Python reads text, bad UTF-8 replaced, then the same decoding per kind of file."""
    data = text.encode("utf-8") + junk + text[::-1].encode("utf-8")
    path = tmp_path_factory.mktemp("written") / f"file{suffix}"
    path.write_bytes(data)
    assert privacy.file_text(data, suffix) == site_text(path)


STRICT_INGREDIENTS = st.sampled_from(
    [
        " ", "\n", "\t", ".", ",", ":", "-", "(", "<", '"', "0912", "345", "678", "12/05/1980", "1985",
        "ông", "Ông", "bà", "Bà", "anh", "chị", "cô", "công dân", "Công dân", "Nguyễn", "Trần", "Văn", "Thị",
        "An", "Bình", "Rịa", "Trưởng", "ấp", "khóm", "Mỹ", "Hòa", "số nhà", "tổ", "hẻm", "số", "đường", "phố",
        "Lê Lợi", "sinh năm", "ngày sinh", "mã số thuế", "đồng", "gmail.com", "@", "a",
        "Ông Bình", "Bà Hòa ", "công dân An", "Nguyễn Thị Hòa", "ấp Mỹ Hòa", "số nhà 12", "Trần Văn An, 1980",
    ]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(STRICT_INGREDIENTS, max_size=12).map("".join), min_size=1, max_size=6))
def test_strict_values_joined_by_the_border_hold_the_hits_of_each_value(values):
    """What ``record_problems`` relies on for a record held to the strictest rule: its
    values joined by ``STRICT_BORDER`` have exactly the hits of the values, each alone."""
    joined = find(privacy.STRICT_BORDER.join(values), ALLOW, True, TODAY)
    alone = [find(value, ALLOW, True, TODAY) for value in values]
    assert len(joined) == sum(len(hits) for hits in alone)
    assert [h.masked for h in joined] == [h.masked for hits in alone for h in hits]


def _spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int, dict[str, str | None]]]:
    return [(m.start(), m.end(), m.groupdict()) for m in pattern.finditer(text)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(INGREDIENTS, STRICT_INGREDIENTS), max_size=40).map("".join))
def test_the_first_character_look_ahead_changes_no_hit(text):
    """Each pattern that begins with a look-ahead at the characters its hits start with
    finds exactly what it finds without it (also in upper case, for the patterns that
    ignore case)."""
    assert len(privacy.STARTS) >= 8
    for pattern, plain in privacy.STARTS.items():
        without = re.compile(plain, pattern.flags)
        for sample in (text, text.upper(), text.title()):
            assert _spans(pattern, sample) == _spans(without, sample), (pattern.pattern, sample)


KEYWORDS = [
    *privacy._FAMILY.split("|"), "ông", "bà", "anh", "chị", "cô", "chú", "công dân", "số nhà", "nhà số",
    "tổ dân phố", "khu phố", "ấp", "khóm", "tổ", "hẻm", "ngõ", "ngách", "kiệt", "số", "ngày sinh", "năm sinh",
    "sinh ngày", "sinh năm", "sn", "ngày, tháng, năm sinh", "(+84)", "+84", "0084", "0912",
]  # fmt: skip
FOLLOWERS = ["Văn An", "Thị Hòa", "Mỹ Hòa", "12", "12 đường Lê Lợi", "- 1980", ", 12/05/1980", "345 678 9"]


def test_the_first_character_look_ahead_changes_no_hit_on_every_keyword():
    """Every word a pattern starts with, in each case, before each kind of what follows it."""
    for pattern, plain in privacy.STARTS.items():
        without = re.compile(plain, pattern.flags)
        samples = [*ADVERSARIAL, *(f"{k} {f}" for k in KEYWORDS for f in FOLLOWERS)]
        for text in samples:
            for sample in (text, text.upper(), text.capitalize(), f"x {text}.", f"\n{text}\n"):
                assert _spans(pattern, sample) == _spans(without, sample), (pattern.pattern, sample)
