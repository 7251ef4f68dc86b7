"""The fast paths of ``congkhai check`` give exactly what the plain ones give: ``fold``
through a translation table against its plain definition, the quick schema check against
jsonschema,
the one-pass YAML reader against the stream checked, composed, then converted."""

from __future__ import annotations

import copy as copy_module
import unicodedata
from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.core import yamltext
from generator.core.errors import Problem
from generator.core.values import fold
from generator.core.yamltext import field_name, read_yaml
from generator.records.category_file import load_categories, load_common
from generator.records.fields import quick_check
from generator.website import cautions


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


# --- YAML read in one pass: the same as checking the stream, composing, converting ---------


class _ComposedReader:
    """The reader as first written: nodes composed by PyYAML, then converted."""

    def __init__(self, relpath: str, line_offset: int):
        self.relpath = relpath
        self.offset = line_offset
        self.lines: dict = {}
        self.problems: list = []
        self._seen: set = set()

    def line(self, node: yaml.Node) -> int:
        return node.start_mark.line + 1 + self.offset

    def fail(self, node: yaml.Node, path: tuple, message: str, line: int | None = None) -> None:
        where = line or self.lines.get(path) or self.line(node)
        self.problems.append(Problem(self.relpath, where, field_name(path), message))

    def convert(self, node: yaml.Node, path: tuple, depth: int = 0) -> object:
        self.lines.setdefault(path, self.line(node))
        if id(node) in self._seen:
            self.fail(node, path, "không dùng bí danh YAML (anchor/alias *…); hãy viết đầy đủ giá trị")
            return None
        self._seen.add(id(node))
        if depth > yamltext.MAX_DEPTH:
            self.fail(node, path, f"lồng nhau quá sâu (hơn {yamltext.MAX_DEPTH} cấp)")
            return None
        if node.tag not in yamltext._STANDARD_TAGS:
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            self.fail(node, path, f"không dùng thẻ YAML '{tag}'; chỉ viết giá trị")
            return None
        if isinstance(node, yaml.ScalarNode):
            if node.tag == "tag:yaml.org,2002:null" and not node.style:
                return None
            return node.value
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        result: dict = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.fail(key_node, path, "tên trường phải là một chữ đơn")
                continue
            key = key_node.value
            if key in result:
                self.fail(key_node, (*path, key), "trường bị khai báo hai lần", self.line(key_node))
                continue
            self.lines[(*path, key)] = self.line(key_node)
            result[key] = self.convert(value_node, (*path, key), depth + 1)
        return result


def _precheck(text: str, relpath: str, line_offset: int) -> Problem | None:
    depth = nodes = 0
    rows = text.split("\n")

    def at(event: yaml.Event) -> str:
        row = event.start_mark.line
        return yamltext._key_of(rows[row], rows[:row]) if row < len(rows) else "yaml"

    for event in yaml.parse(text, Loader=yamltext._Loader):
        line = event.start_mark.line + 1 + line_offset
        if isinstance(event, yaml.AliasEvent):
            return Problem(
                relpath, line, at(event), "không dùng bí danh YAML (anchor/alias *…); hãy viết đầy đủ giá trị"
            )
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > yamltext.MAX_DEPTH:
                return Problem(relpath, line, at(event), f"lồng nhau quá sâu (hơn {yamltext.MAX_DEPTH} cấp)")
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent, yaml.ScalarEvent)):
            nodes += 1
            if nodes > yamltext.MAX_NODES:
                return Problem(
                    relpath,
                    line,
                    at(event),
                    f"quá nhiều giá trị (hơn {yamltext.MAX_NODES:,}); một bản ghi phải ngắn gọn hơn".replace(",", "."),
                )
    return None


def composed_read_yaml(text: str, relpath: str, line_offset: int = 0) -> tuple:
    """``read_yaml`` as first written: the stream checked, then composed, then converted."""
    reader = _ComposedReader(relpath, line_offset)
    indented = yamltext.nbsp_indent_problem(text, relpath, line_offset)  # the one line pre-check, shared
    if indented is not None:
        return None, {}, [indented]
    try:
        limit = _precheck(text, relpath, line_offset)
        if limit is not None:
            return None, {}, [limit]
        node = yaml.compose(text, Loader=yamltext._Loader)
    except yaml.MarkedYAMLError as exc:
        return None, {}, [yamltext.syntax_problem(text, exc, relpath, line_offset)]
    except yaml.YAMLError:
        return None, {}, [Problem(relpath, 1 + line_offset, "yaml", "lỗi cú pháp YAML; " + yamltext._CHECK_HINT)]
    if node is None:
        return None, {}, []
    value = reader.convert(node, ())
    return value, reader.lines, reader.problems


def _same_yaml(text: str, offset: int = 0) -> None:
    new = read_yaml(text, "x.yml", offset)
    old = composed_read_yaml(text, "x.yml", offset)
    assert new[0] == old[0] and type(new[0]) is type(old[0]), text
    assert list(new[1].items()) == list(old[1].items()), text
    assert new[2] == old[2], text


TRICKY_YAML = [
    "", "# only a comment\n", "---\n", "---\n...\n", "~", "null", "''", "a:", "a: ~\nb: null\nc: ''\nd: \"~\"",
    "a: !!null x\nb: !!null 'x'\nc: !!str ~", "a: &x 1\nb: &x 2\n", "a: &x 1\nb: *x\n", "a: *x\n",
    "&a [&a 1]", "a: 1\n---\nb: 2\n", "---\n---\n", "a: 1\n---\nb: *c\n", "a: &x 1\nb: &x 2\n---\nc: *x\n",
    "a: &x 1\nb: &x 2\nc: [\n", "a: 1\n---\nb: [\n", "a: 1\na: 2\n", "a: 1\na: [x, &y {b: 1}]\nb: &y 2",
    "? [a]\n: b\nc: d", "? {a: 1}\n: [x, y]\nc: d\n? [e]\n: f", "[a]: b", "a: !x 1", "!x a", "!!map {a: 1}",
    "!!python/name:os.system x", "a: !!binary aGVsbG8=", "a: <<", "<<: {a: 1}", "a: =", "a: !!set {x}",
    "a: !!omap [b: 1]", "a: !!timestamp 2026-01-01", "a: 2026-01-01\nb: 0296\nc: no\nd: 1.5e3\ne: .inf",
    "a:\n  - b: 1\n    c: [1, 2, {d: e}]\n  - - x\n    - y\n", "a: |\n  line 1\n  line 2\nb: >\n  folded\n",
    "a: b: c", "a:\tb", "a: 'x", 'a: "\\q"', "a: [1, 2", "{a: 1", "- a\nb: c", "a:\n- b\n - c",
    "a: \u00a0b", "\u00a0 a: b", "a: 1\n\u00a0 b: 2", "key with spaces: 1\nđơn vị: 2", "a: {b: {c: {d: 1}}}",
    "- - - - - - - - - - - - - - - - - - - - x", "- - - - - - - - - - - - - - - - - - - - - x",
    "a: " + "[" * 20 + "1" + "]" * 20, "a: " + "[" * 21 + "1" + "]" * 21, "[" * 30, "{a: [b, {c: *d}]}",
    "\n".join(f"k{i}: {i}" for i in range(5001)), "a: [" + ", ".join("x" for _ in range(10000)) + "]",
    "a: [" + ", ".join("x" for _ in range(9998)) + "]", "a: &x [1]\nb: !foo &y 2\nc: &y 3", "x: !!int",
    "- &a\n- &a", "? \n: \n", "? a\n? a\n", "{a, b, a}", "[a: 1, b: 2]", "a: {? [x]: 1}",
]  # fmt: skip


def test_read_yaml_of_tricky_text():
    for text in TRICKY_YAML:
        _same_yaml(text)
        _same_yaml(text, 3)


def test_read_yaml_of_every_sample_and_corpus_file():
    count = 0
    for path in sorted([*(ROOT / "disclosures").rglob("*"), *(ROOT / "tests/bad_inputs").rglob("*")]):
        if path.is_file() and path.suffix in (".yml", ".yaml", ".md"):
            text = path.read_bytes().decode("utf-8", "replace")
            _same_yaml(text)
            count += 1
    assert count > 150


_YAML_CHARS = st.sampled_from(list("ab:- \n\t[]{},&*!?|>'\"#~%@`0\u00a0") + ["!!str ", "!!null ", "<<", "---\n", "  "])


@settings(max_examples=800, deadline=None)
@given(st.lists(_YAML_CHARS, max_size=40).map("".join))
def test_read_yaml_of_random_text(text):
    _same_yaml(text)


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_read_yaml_of_changed_records(data):
    files = [p for p in sorted((ROOT / "disclosures").rglob("*.yml")) if not p.name.startswith("_")]
    text = data.draw(st.sampled_from(files)).read_text("utf-8")
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(text)))
        cut = data.draw(st.integers(0, 3))
        text = text[:at] + data.draw(st.lists(_YAML_CHARS, max_size=4).map("".join)) + text[at + cut :]
    _same_yaml(text)


# --- cautions: the title fields walked directly -----------------------------------------


def _plain_strings(value: object, path: tuple = ()) -> list:
    if isinstance(value, str):
        return [(path, value)]
    if isinstance(value, dict):
        return [found for key, sub in value.items() for found in _plain_strings(sub, (*path, key))]
    if isinstance(value, list):
        return [found for index, sub in enumerate(value) for found in _plain_strings(sub, (*path, index))]
    return []


def _plain_strings_at(data: dict, wanted: set) -> list:
    """What ``_names`` first looked at: every text value, kept when its path without list
    positions is one of ``wanted``."""
    return [(p, t) for p, t in _plain_strings(data) if tuple(x for x in p if isinstance(x, str)) in wanted]


def test_title_fields_walked_directly_of_every_tree():
    wanted_sets = [
        {path for path, _ in cautions._titled(category.all_fields(COMMON, kind))}
        for category in CATEGORIES.values()
        for kind in [None, *category.kinds]
    ]
    assert any(("document", "signer") in w for w in wanted_sets)
    extra = {("a",), ("a", "b", "c"), ("sessions", "host", "x"), ("tags",)}
    for tree in TREES:
        if isinstance(tree, dict):
            for wanted in [*wanted_sets, extra, set()]:
                assert cautions._strings_at(tree, wanted) == _plain_strings_at(tree, wanted)


_TREE = st.recursive(
    st.text(max_size=3) | st.none(),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["a", "b", "c", "x"]), inner, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["a", "b", "x"]), _TREE, max_size=3))
def test_title_fields_walked_directly_of_random_trees(tree):
    for wanted in [{("a",)}, {("a", "b")}, {("a", "b"), ("x",), ("a", "c", "a")}, {("b", "x", "c")}]:
        assert cautions._strings_at(tree, wanted) == _plain_strings_at(tree, wanted)
