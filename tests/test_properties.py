"""Property-based tests (hypothesis): whatever is in a record file, the loader either
loads it or raises :class:`~generator.core.errors.CongkhaiError`, quickly; and the same
Vietnamese text in NFC or NFD, with or without BOM, with CRLF or LF line ends, gives the
same page."""

from __future__ import annotations

import time
import unicodedata
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from generator.core.config import Settings
from generator.core.errors import CongkhaiError
from generator.website import pipeline
from generator.website.render import Renderer

PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
RECORD = "disclosures/tiep-cong-dan/2026/ban-ghi.yml"


def settings_for(root: Path) -> Settings:
    """Core settings for a project folder, read from its mkdocs.yml like the plugin does."""
    from generator.cli import _settings

    return _settings(str(root / "mkdocs.yml"))


def bare_settings(root: Path) -> Settings:
    return Settings(
        root=root,
        disclosures_dir=root / "disclosures",
        docs_dir=root / "content",
        log_path=root / "publication-log.jsonl",
        site_url="https://congkhai.example.gov.vn/",
        privacy_allow=("0296 3800 000",),
    )


def load_bytes(root: Path, data: bytes) -> None:
    path = root / RECORD
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    started = time.monotonic()
    try:
        pipeline.load(bare_settings(root))
    except CongkhaiError as exc:
        assert exc.problems and all(str(p) for p in exc.problems)
    assert time.monotonic() - started < 2


def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("prop")
    (root / "disclosures").mkdir()
    return root


@PROPERTY_SETTINGS
@given(st.text(max_size=400))
def test_random_text_never_breaks_the_loader(tmp_path_factory, text):
    load_bytes(project(tmp_path_factory), text.encode("utf-8"))


@PROPERTY_SETTINGS
@given(st.binary(max_size=400))
def test_random_bytes_never_break_the_loader(tmp_path_factory, data):
    load_bytes(project(tmp_path_factory), data)


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.dates().map(str),
    st.sampled_from(["lich", "bien-ban", "2026-05", "07:30", "0912 345 678", "<script>", "javascript:x", "*a"]),
)
KEYS = st.one_of(
    st.sampled_from(["title", "kind", "month", "sessions", "date", "start", "attachments", "file", "body", "cases"]),
    st.text(max_size=10),
)
TREES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5), max_leaves=25
)


@PROPERTY_SETTINGS
@given(TREES)
def test_random_yaml_structures_never_break_the_loader(tmp_path_factory, tree):
    load_bytes(project(tmp_path_factory), yaml.safe_dump(tree, allow_unicode=True).encode("utf-8"))


@PROPERTY_SETTINGS
@given(
    st.fixed_dictionaries(
        {"title": st.text(min_size=1, max_size=40), "kind": st.just("lich")},
        optional={"month": st.text(max_size=8), "sessions": TREES, "summary": TREES, "body": TREES},
    )
)
def test_random_record_shaped_yaml_never_breaks_the_loader(tmp_path_factory, tree):
    load_bytes(project(tmp_path_factory), yaml.safe_dump(tree, allow_unicode=True).encode("utf-8"))


VIETNAMESE = st.text(
    alphabet=st.sampled_from(
        list("aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ ĐƯƠÂ,.")
    ),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip(" ,.") != "")


def _page(root: Path, text: str, form: str, bom: bool, newline: str) -> str:
    record = (
        f'title: "Lịch {text}"\nkind: lich\nsummary: "{text}"\nmonth: 2026-05\n'
        f'sessions:\n  - date: 2026-05-15\n    start: "07:30"\n    place: "{text}"\nbody: |\n  ## {text}\n\n  {text}\n'
    )
    data = unicodedata.normalize(form, record).replace("\n", newline).encode("utf-8")
    path = root / RECORD
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    site = pipeline.load(bare_settings(root))
    (record_,) = site.records
    assert record_.id == "2026/ban-ghi" and record_.url_path.isascii()
    page = Renderer(site).render_record(record_)
    return page.replace(record_.sha256, "<sha>")  # the bytes differ, so their hash does


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(VIETNAMESE, st.booleans(), st.sampled_from(["\n", "\r\n"]))
def test_nfc_nfd_bom_and_crlf_give_the_same_page(tmp_path_factory, text, bom, newline):
    assume('"' not in text)
    reference = _page(project(tmp_path_factory), text, "NFC", False, "\n")
    other = _page(project(tmp_path_factory), text, "NFD", bom, newline)
    assert other == reference
    assert unicodedata.normalize("NFC", text).strip() in reference


def test_nfd_attachment_names_and_folders_find_their_files(tmp_path):
    """A Mac stores file names in NFD; the record (NFC) still finds its attachment, and
    (a name with diacritics is not a web address) says the exact name to rename it to."""
    root = tmp_path
    folder = root / "disclosures/tiep-cong-dan/2026"
    folder.mkdir(parents=True)
    (folder / unicodedata.normalize("NFD", "quyết-định.pdf")).write_bytes(b"%PDF-1.4\n")
    (folder / "lich.yml").write_text(
        'title: Lịch\nkind: lich\nmonth: 2026-05\nsessions: [{date: 2026-05-15, start: "07:30"}]\n'
        "attachments:\n  - file: quyết-định.pdf\n",
        encoding="utf-8",
    )
    with pytest.raises(CongkhaiError) as caught:
        pipeline.load(bare_settings(root))
    assert [str(p) for p in caught.value.problems] == [
        "disclosures/tiep-cong-dan/2026/lich.yml:6: attachments[1].file: tệp 'quyết-định.pdf' có chữ có dấu; "
        "hãy đổi tên tệp thành 'quyet-dinh.pdf' (và sửa trong attachments)"
    ]


WORD = st.text(
    alphabet=st.sampled_from(
        list(
            "aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵĐƯƠÂ0123456789,."
        )
    ),
    min_size=1,
    max_size=8,
)
PASTED_SPACES = st.sampled_from([" ", " ", "\u00a0", "\u202f", "\u2007"])
PASTED_NOTHING = st.sampled_from(["", "", "\u200b", "\u00ad", "\u200c", "\u2060", "\ufeff"])


@st.composite
def pasted_prose(draw) -> tuple[str, str]:
    """(the text as Word pastes it, the text as typed): words separated by spaces or their
    look-alikes, with zero-width characters and soft hyphens anywhere in the words."""
    words = draw(st.lists(st.tuples(WORD, st.integers(0, 8), PASTED_NOTHING, PASTED_SPACES), min_size=1, max_size=8))
    pasted = typed = ""
    for index, (word, at, nothing, space) in enumerate(words):
        at = min(at, len(word))
        separator = (space, " ") if index < len(words) - 1 else ("", "")
        pasted += word[:at] + nothing + word[at:] + separator[0]
        typed += word + separator[1]
    return pasted, typed


def _prose_page(root: Path, form: str, title: str, summary: str, body: str) -> str:
    head = f'title: "Lịch {title}"\nkind: lich\nsummary: "{summary}"\nmonth: 2026-05\n'
    head += 'sessions:\n  - date: 2026-05-15\n    start: "07:30"\n'
    if form == "yml":
        text = head + "body: |\n" + "".join(f"  {line}\n" for line in body.split("\n"))
    else:
        text = f"---\n{head}---\n{body}\n"
    folder = root / "disclosures/tiep-cong-dan/2026"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("ban-ghi.*"):
        old.unlink()
    (folder / f"ban-ghi.{form}").write_text(text, encoding="utf-8")
    site = pipeline.load(bare_settings(root))
    (record,) = site.records
    return Renderer(site).render_record(record).replace(record.sha256, "<sha>")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pasted_prose(), pasted_prose(), pasted_prose(), st.sampled_from(["", "\u00a0", "\u00a0" * 4]))
def test_prose_pasted_from_word_is_accepted_in_both_formats_and_shows_as_typed(
    tmp_path_factory, title, summary, body, indent
):
    """No-break and narrow spaces, zero-width characters and soft hyphens in a title, a
    summary or a body are accepted in a .yml and a .md record, and give the page of the text
    as typed with plain spaces (a pasted indent included): the same page in both formats."""
    root = project(tmp_path_factory)
    typed = _prose_page(root, "yml", title[1], summary[1], f"{body[1]}\n\n{body[1]}")
    pasted_body = f"{indent}{body[0]}\n\n{indent}{body[0]}"
    assert _prose_page(root, "yml", title[0], summary[0], pasted_body) == typed
    assert _prose_page(root, "md", title[0], summary[0], pasted_body) == typed
