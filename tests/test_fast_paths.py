"""The fast paths of ``congkhai check`` give exactly what the plain ones give: ``fold``
through a translation table against its plain definition, the quick schema check against
jsonschema."""

from __future__ import annotations

import copy as copy_module
import unicodedata
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from generator.categories import load_categories, load_common, quick_check
from generator.values import fold
from generator.yamltext import read_yaml


def plain_fold(text: str) -> str:
    """``fold`` as it was first written: NFKD of the lowercased text, marks dropped."""
    text = unicodedata.normalize("NFKD", text.lower().replace("đ", "d").replace("Đ", "d"))
    return "".join(c for c in text if not unicodedata.combining(c))


_VOWELS = "aăâeêioôơuưy"
_TONES = ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
VIETNAMESE = sorted(
    {unicodedata.normalize("NFC", v + t) for v in _VOWELS for t in _TONES}
    | {c.upper() for v in _VOWELS for t in _TONES for c in unicodedata.normalize("NFC", v + t)}
    | set("đĐbcdghklmnpqrstvxBCDGHKLMNPQRSTVX")
)


def test_fold_of_every_vietnamese_letter_and_syllable():
    assert len(VIETNAMESE) == 2 * 12 * 6 + 34
    for letter in VIETNAMESE:
        for text in (letter, letter + "nh", "Ng" + letter, unicodedata.normalize("NFD", letter)):
            assert fold(text) == plain_fold(text), text
    sample = "Đường dây nóng tiếp nhận phản ánh, kiến nghị: Trưởng Ban Quản lý — KT. Phó Trưởng ban"
    assert (
        fold(sample)
        == plain_fold(sample)
        == "duong day nong tiep nhan phan anh, kien nghi: truong ban quan ly — kt. pho truong ban"
    )


def test_fold_of_every_code_point_below_0x3400_and_around_marks():
    for code in range(0x3400):
        char = chr(code)
        for text in (char, "aΣ" + char, char + "\u0301", "\u0323" + char):
            assert fold(text) == plain_fold(text), hex(code)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(VIETNAMESE + list(" .,-Σσς\u0301\u0323\u00a0ﬁ①ǅ"))) | st.text())
def test_fold_of_random_text(text):
    assert fold(text) == plain_fold(text)


# --- the quick schema check: True exactly when jsonschema finds no error ----------------

ROOT = Path(__file__).parent.parent
TREES = []
for _path in sorted([*(ROOT / "disclosures").rglob("*"), *(ROOT / "tests/bad_inputs").rglob("*")]):
    if _path.suffix not in (".yml", ".yaml", ".md") or _path.name.startswith("_") or not _path.is_file():
        continue
    try:
        _text = _path.read_text("utf-8")
    except UnicodeDecodeError:
        continue
    if _path.suffix == ".md":
        _text = _text.split("\n---", 1)[0].removeprefix("---\n") if _text.startswith("---\n") else ""
    _value, _, _problems = read_yaml(_text, _path.name)
    if not _problems and _value is not None:
        TREES.append(_value)
CATEGORIES = load_categories(ROOT / "disclosures", ROOT)
COMMON = load_common()
VALIDATORS = [
    (category.validator(COMMON, kind), category.quick_check(COMMON, kind))
    for category in CATEGORIES.values()
    for kind in [None, *category.kinds]
]


def _same(instance: object) -> None:
    for validator, quick in VALIDATORS:
        assert quick is not None
        assert quick(instance) == (next(validator.iter_errors(instance), None) is None), instance


def test_quick_check_of_every_sample_and_corpus_record():
    assert len(TREES) > 100 and len(VALIDATORS) > 10
    valid = 0
    for tree in TREES:
        _same(tree)
        valid += any(quick(tree) for _, quick in VALIDATORS)
    assert valid > 50  # most sample records are valid for their category


def test_quick_check_declines_what_it_does_not_know():
    assert quick_check({"type": "object", "minProperties": 1}) is None
    assert quick_check({"type": "number"}) is None
    assert quick_check({"enum": [1, 2]}) is None
    assert quick_check({"format": "email"}) is None
    assert quick_check({"properties": {"a": {"$ref": "#/$defs/a"}}}) is None
    assert quick_check({"type": "string", "pattern": "("}) is None


_SCALARS = st.one_of(
    st.none(),
    st.sampled_from(["", " ", "2026-05-04", "04/05/2026", "4/5/2026", "07:30", "7h30", "2026-05", "2026", "12",
                     "true", "yes", "https://a.vn", "a@b.vn", "0296 3800 000", "1.250.000", "abc-def", "a/b",
                     "tiep-dan", "lich", "bien-ban", "x" * 600, "“07:30”"]),
    st.text(max_size=30),
)  # fmt: skip


def _mutations(tree: object) -> st.SearchStrategy:
    """A record with one value replaced, one key added or one removed, at any depth."""
    spots: list[tuple] = []

    def walk(value: object, path: tuple) -> None:
        spots.append(path)
        if isinstance(value, dict):
            for key, sub in value.items():
                walk(sub, (*path, key))
        elif isinstance(value, list):
            for index, sub in enumerate(value):
                walk(sub, (*path, index))

    walk(tree, ())
    replacement = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["date", "start", "end", "place", "host", "file", "title", "kind", "x", "number"]), inner,
        max_size=3), max_leaves=5)  # fmt: skip

    def apply(path: tuple, action: str, new: object, key: str) -> object:
        copy = copy_module.deepcopy(tree)
        if not path:
            return new if action == "replace" else copy
        parent = copy
        for part in path[:-1]:
            parent = parent[part]
        if action == "replace":
            parent[path[-1]] = new
        elif action == "remove":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[key] = new
        return copy

    keys = st.sampled_from(
        ["title", "kind", "document", "sessions", "x", "attachments", "summary", "tags", "visibility"]
    )
    return st.builds(apply, st.sampled_from(spots), st.sampled_from(["replace", "remove", "add"]), replacement, keys)


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_quick_check_of_changed_records(data):
    tree = data.draw(st.sampled_from(TREES))
    _same(data.draw(_mutations(tree)))
