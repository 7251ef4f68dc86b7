"""Read YAML as plain text values, remembering the line of every value.

Every scalar is kept as text (so ``0296…`` keeps its leading zero and ``no`` stays a
word); conversion to dates, numbers and booleans is the schema's job. Mappings become
``dict``, sequences ``list``; an empty value becomes ``None``. Duplicate keys, aliases,
complex keys and explicit tags are refused. libyaml's C parser is used when present.

Before the tree is built, the event stream is read once with two limits, so that hostile
input fails fast and in bounded memory: nesting deeper than :data:`MAX_DEPTH` (libyaml's
composer recurses and would crash the interpreter on ``[[[[…`` thousands deep) and more than
:data:`MAX_NODES` values. Aliases are refused at the first one (no "billion laughs").
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.composer import ComposerError

from generator.core.errors import Problem

try:  # pragma: no cover - depends on how PyYAML was built
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader

MAX_DEPTH = 20
"""Deepest nesting of lists and maps allowed in a record."""
MAX_NODES = 10_000
"""Most values (scalars, lists, maps) allowed in one record."""

Path = tuple[str | int, ...]
_STANDARD_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:timestamp",
}


def field_name(path: Path) -> str:
    """``("sessions", 1, "date")`` -> ``sessions[2].date`` (positions count from 1)."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            out += ("." if out else "") + part
    return out or "record"


_ALIAS, _START, _END, _SCALAR, _DOCUMENT = range(5)
_ROLES: dict[type, int] = {
    yaml.AliasEvent: _ALIAS,
    yaml.MappingStartEvent: _START,
    yaml.SequenceStartEvent: _START,
    yaml.MappingEndEvent: _END,
    yaml.SequenceEndEvent: _END,
    yaml.ScalarEvent: _SCALAR,
    yaml.DocumentStartEvent: _DOCUMENT,
}
"""What each parser event is to :meth:`_Reader.read` (stream start and end and document
end are nothing to it)."""


class _Open:
    """A list or map being read: its value (``None``: refused, its content is skipped), its
    field path and nesting depth; for a map, the path of the value to come after a key
    (``None``: the next node is a key; ``False``: the next node is the value of a refused
    key, skipped)."""

    __slots__ = ("depth", "index", "path", "value", "value_path")

    def __init__(self, value: list[Any] | dict[str, Any] | None, path: Path, depth: int):
        self.value = value
        self.path = path
        self.depth = depth
        self.index = 0
        self.value_path: Path | bool | None = None


class _Reader:
    """Reads the parser's events once, in one pass: the limits on aliases, nesting and the
    number of values over the whole stream (stopping at the first offending event, before
    any tree is built), the composer's refusals (a duplicate anchor, a second document) and
    the tree of plain values with the line of every field. What it reports is what
    checking the whole stream first, then composing the first document and converting its
    nodes would report, in that order of precedence."""

    def __init__(self, text: str, relpath: str, line_offset: int):
        self.text = text
        self.relpath = relpath
        self.offset = line_offset
        self.lines: dict[Path, int] = {}
        self.problems: list[Problem] = []

    def fail(self, row: int, path: Path, message: str, line: int | None = None) -> None:
        where = line or self.lines.get(path) or row + 1 + self.offset
        self.problems.append(Problem(self.relpath, where, field_name(path), message))

    def _at(self, event: yaml.Event) -> str:
        """The field of the event's line (only when a limit is reported)."""
        rows = self.text.split("\n")
        row = event.start_mark.line
        return _key_of(rows[row], rows[:row]) if row < len(rows) else "yaml"

    def read(self) -> tuple[Any, bool, Problem | yaml.MarkedYAMLError | None]:
        """(the first document's value, whether there is a document, what stops reading:
        a limit's problem or the composer's error)."""
        loader = _Loader(self.text)
        resolve = loader.resolve
        depth = nodes = 0
        documents = 0
        stopped: yaml.MarkedYAMLError | None = None
        """The composer's error: reported only if the rest of the stream is within limits."""
        anchors: dict[str, yaml.Mark] = {}
        root: Any = None
        root_mark: yaml.Mark | None = None
        stack: list[_Open] = []
        skip = 0
        """Open lists and maps inside a refused node (read for the limits only)."""
        roles = _ROLES
        check_event, get_event = loader.check_event, loader.get_event
        try:
            while check_event():
                event = get_event()
                role = roles.get(type(event))
                if role is None:  # stream start and end, document end
                    continue
                if role == _ALIAS:
                    line = event.start_mark.line + 1 + self.offset
                    message = "không dùng bí danh YAML (anchor/alias *…); hãy viết đầy đủ giá trị"
                    return None, False, Problem(self.relpath, line, self._at(event), message)
                if role == _START:
                    depth += 1
                    if depth > MAX_DEPTH:
                        line = event.start_mark.line + 1 + self.offset
                        message = f"lồng nhau quá sâu (hơn {MAX_DEPTH} cấp)"
                        return None, False, Problem(self.relpath, line, self._at(event), message)
                elif role == _END:
                    depth -= 1
                if role in (_START, _SCALAR):
                    nodes += 1
                    if nodes > MAX_NODES:
                        line = event.start_mark.line + 1 + self.offset
                        message = f"quá nhiều giá trị (hơn {MAX_NODES:,}); một bản ghi phải ngắn gọn hơn".replace(
                            ",", "."
                        )
                        return None, False, Problem(self.relpath, line, self._at(event), message)
                if stopped is not None:
                    continue
                if role == _DOCUMENT:
                    documents += 1
                    if documents == 2:
                        stopped = ComposerError(
                            "expected a single document in the stream",
                            root_mark,
                            "but found another document",
                            event.start_mark,
                        )
                    continue
                if documents != 1:
                    continue
                if role == _END:
                    if skip:
                        skip -= 1
                    else:
                        stack.pop()
                    continue
                if event.anchor is not None:
                    if event.anchor in anchors:
                        stopped = ComposerError(
                            "found duplicate anchor; first occurrence",
                            anchors[event.anchor],
                            "second occurrence",
                            event.start_mark,
                        )
                        continue
                    anchors[event.anchor] = event.start_mark
                if skip:
                    skip += role == _START
                    continue
                kind = type(event)
                self._node(event, kind, stack, resolve)
                if root_mark is None:
                    root_mark = event.start_mark
                    root = stack[0].value if stack else self._scalar
                if role == _START and stack and stack[-1].value is None:
                    stack.pop()
                    skip = 1
        except yaml.MarkedYAMLError as exc:
            if "nesting depth" not in str(exc.problem or "") or exc.problem_mark is None:
                raise
            # PyYAML 6.0.4's scanner has a nesting limit of its own (far above ours) and, in a
            # flow collection, scans that deep before the parser gives the events we count
            rows = self.text.split("\n")
            row = exc.problem_mark.line
            field = _key_of(rows[row], rows[:row]) if row < len(rows) else "yaml"
            message = f"lồng nhau quá sâu (hơn {MAX_DEPTH} cấp)"
            return None, False, Problem(self.relpath, row + 1 + self.offset, field, message)
        finally:
            loader.dispose()
        return root, root_mark is not None, stopped

    _scalar: Any = None
    """The value of the last scalar read (the document's value when it is one)."""

    def _node(self, event: Any, kind: type, stack: list[_Open], resolve: Any) -> None:
        """One scalar, or the start of one list or map, as :func:`read` meets it."""
        row = event.start_mark.line
        if not stack:
            path: Path = ()
            depth = 0
            place: _Open | None = None
        else:
            place = stack[-1]
            depth = place.depth + 1
            if isinstance(place.value, list):
                path = (*place.path, place.index)
                place.index += 1
            elif place.value_path is None:  # a key
                if kind is not yaml.ScalarEvent:
                    self.fail(row, place.path, "tên trường phải là một chữ đơn")
                    place.value_path = False
                    stack.append(_Open(None, place.path, depth))  # skipped
                    return
                key = event.value
                if key in place.value:
                    self.fail(row, (*place.path, key), "trường bị khai báo hai lần", row + 1 + self.offset)
                    place.value_path = False
                    return
                self.lines[(*place.path, key)] = row + 1 + self.offset
                place.value_path = (*place.path, key)
                return
            elif place.value_path is False:  # the value of a refused key
                place.value_path = None
                if kind is not yaml.ScalarEvent:
                    stack.append(_Open(None, place.path, depth))
                return
            else:
                path = place.value_path
                place.value_path = None
        self.lines.setdefault(path, row + 1 + self.offset)
        value: Any = None
        refused = True
        if depth > MAX_DEPTH:
            self.fail(row, path, f"lồng nhau quá sâu (hơn {MAX_DEPTH} cấp)")
        else:
            tag = event.tag
            if tag is None or tag == "!":
                if kind is yaml.ScalarEvent:
                    tag = resolve(yaml.ScalarNode, event.value, event.implicit)
                else:
                    tag = resolve(
                        yaml.SequenceNode if kind is yaml.SequenceStartEvent else yaml.MappingNode, None, event.implicit
                    )
            if tag not in _STANDARD_TAGS:
                shown = tag.replace("tag:yaml.org,2002:", "!!")
                self.fail(row, path, f"không dùng thẻ YAML '{shown}'; chỉ viết giá trị")
            elif kind is yaml.ScalarEvent:
                refused = False
                value = None if tag == "tag:yaml.org,2002:null" and not event.style else event.value
            else:
                refused = False
                value = [] if kind is yaml.SequenceStartEvent else {}
        if place is not None:
            if isinstance(place.value, list):
                place.value.append(value)
            else:
                place.value[path[-1]] = value  # type: ignore[index]
        if kind is yaml.ScalarEvent:
            self._scalar = value
        else:
            stack.append(_Open(None if refused else value, path, depth))


_CHECK_HINT = "kiểm tra thụt lề (dùng dấu cách, không dùng Tab), dấu ':' sau tên trường và các dấu nháy"
_KEY = re.compile(r"^[ \t\u00a0]*(?:-[ \t\u00a0]+)?([A-Za-z_][\w.-]*)[ \t]*:")
_LINE_MISTAKES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^ *\t"), "dòng thụt lề bằng phím Tab; dùng dấu cách thay cho Tab (mỗi cấp 2 dấu cách)"),
    (
        re.compile(r"^[ \t]*\u00a0"),
        "dòng thụt lề bằng dấu cách không ngắt (U+00A0, thường do dán từ Word); xóa rồi gõ lại bằng dấu cách thường",
    ),
    (
        re.compile(r"^[ ]*(?:- +)?[A-Za-z_][\w-]*:\u00a0"),
        "sau dấu ':' là dấu cách không ngắt (U+00A0, thường do dán từ Word); xóa rồi gõ lại bằng dấu cách thường",
    ),
    (
        re.compile(r"^[ ]*(?:- +)?([A-Za-z_][\w-]*):(?![ /\n]|$)(\S.*)$"),
        "thiếu dấu cách sau dấu ':'; viết '{0}: {1}'",
    ),
    (
        re.compile(r"^[ ]*(?:- +)?([A-Za-z_][\w-]*): +[“”‘’„]([^#“”‘’„]*?: [^#“”‘’„]*)[“”‘’„]? *$"),
        'dấu nháy cong “ ” (thường do Word tự đổi) không phải dấu nháy của YAML; dùng dấu nháy thẳng: viết {0}: "{1}"',
    ),
    (
        re.compile(r"^[ ]*(?:- +)?([A-Za-z_][\w-]*): +([^\s\"'\[{|>#&*!][^#]*?: .*)$"),
        "giá trị có dấu ': ' phải đặt trong dấu nháy; viết {0}: \"{1}\"",
    ),
]
_NBSP_INDENT = _LINE_MISTAKES[1][0]
_BLOCK_START = re.compile(r"^( *)(?:- +)?(?:[A-Za-z_][\w.-]*: +)?[|>][-+1-9]{0,2}[ \t]*(?:#.*)?$")
"""A line that opens a block scalar (``body: |``, ``- >-``); its text is on the lines below."""
_PROBLEMS = {
    "mapping values are not allowed": "có dấu ':' không đúng chỗ: thụt lề không đều với dòng trên, hoặc giá trị có dấu ':' chưa đặt trong dấu nháy",
    "could not find expected ':'": "thiếu dấu ':' sau tên trường, hoặc thụt lề không đều với dòng trên",
    "did not find expected key": "thụt lề không đều với các dòng trên (mỗi cấp 2 dấu cách), hoặc thiếu '- ' trước mục danh sách",
    "did not find expected '-' indicator": "thụt lề không đều trong danh sách; mỗi mục bắt đầu bằng '- ' thẳng hàng",
    "did not find expected ',' or ']'": "thiếu dấu ']' đóng danh sách mở bằng '[' (hoặc thiếu dấu ',' giữa các mục)",
    "did not find expected ',' or '}'": "thiếu dấu '}' đóng cặp mở bằng '{' (hoặc thiếu dấu ',' giữa các mục)",
    "found unexpected end of stream": "thiếu dấu nháy đóng của giá trị mở bằng dấu nháy",
    "found unknown escape character": "trong dấu nháy kép, dấu '\\' phải viết hai lần ('\\\\'), hoặc dùng dấu nháy đơn",
    "expected <block end>, but found '<block mapping start>'": "thụt lề không đều với các dòng trên (mỗi cấp 2 dấu cách)",
    "expected <block end>, but found '-'": "thụt lề không đều trong danh sách; mỗi mục bắt đầu bằng '- ' thẳng hàng",
}
_FLOW_OPEN = ("did not find expected ',' or ']'", "did not find expected ',' or '}'", "found unexpected end of stream")


def syntax_problem(text: str, exc: yaml.MarkedYAMLError, relpath: str, line_offset: int = 0) -> Problem:
    """A YAML syntax error as a clerk can act on it: in Vietnamese, on the line of the
    mistake (the parser often notices it one line later), named by its field."""
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else 1
    problem = exc.problem or ""
    if problem in _FLOW_OPEN and exc.context_mark is not None:
        line = exc.context_mark.line + 1  # where the bracket or quote was opened
    lines = text.split("\n")
    for number, content in enumerate(lines[:line], start=1):
        for pattern, message in _LINE_MISTAKES:
            match = pattern.match(content)
            if match:
                return Problem(
                    relpath,
                    number + line_offset,
                    _key_of(content, lines[: number - 1]),
                    message.format(*match.groups()),
                )
    what = next((vi for en, vi in _PROBLEMS.items() if problem.startswith(en)), None)
    if what is None and "'\\t'" in problem:
        what = _LINE_MISTAKES[0][1]
    content = lines[line - 1] if 0 < line <= len(lines) else ""
    return Problem(
        relpath, line + line_offset, _key_of(content, lines[: line - 1]), what or "lỗi cú pháp YAML; " + _CHECK_HINT
    )


def _key_of(line: str, above: list[str] | None = None) -> str:
    """The field named on a line (``  - host: …`` -> ``host``); on a line without one (a
    list item, a continued value), the field it belongs to: the nearest line above that is
    less indented and names one (``tags`` for ``  - x``). ``yaml`` when there is none."""
    match = _KEY.match(line)
    if match:
        return match.group(1)
    indent = len(line) - len(line.lstrip(" \t\u00a0"))
    for previous in reversed(above or []):
        if not previous.strip() or previous.lstrip().startswith("#"):
            continue
        depth = len(previous) - len(previous.lstrip(" \t\u00a0"))
        found = _KEY.match(previous)
        if found and (depth < indent or (depth == indent and line.lstrip().startswith("- "))):
            return found.group(1)
        if depth == 0 and not line.strip():
            break
    return "yaml"


def nbsp_indent_problem(text: str, relpath: str, line_offset: int = 0) -> Problem | None:
    """A line indented with U+00A0 (pasted from Word) outside a block scalar: YAML takes it
    for text, so the field would silently change. In a block scalar (``body: |``) a U+00A0
    after the indentation is text (prose, normalised later)."""
    block: int | None = None  # the indentation of the key of the block scalar (| or >) being read
    for number, content in enumerate(text.split("\n"), start=1):
        if block is not None and (not content.strip() or len(content) - len(content.lstrip(" ")) > block):
            continue
        opened = _BLOCK_START.match(content)
        block = len(opened.group(1)) if opened else None
        if _NBSP_INDENT.match(content):
            return Problem(relpath, number + line_offset, _key_of(content), _LINE_MISTAKES[1][1])
    return None


def read_yaml(text: str, relpath: str, line_offset: int = 0) -> tuple[Any, dict[Path, int], list[Problem]]:
    """Parse one YAML document. Returns (value, lines by field path, problems).

    ``line_offset`` is added to every line (front matter starts after the ``---``).
    """
    indented = nbsp_indent_problem(text, relpath, line_offset)
    if indented is not None:
        return None, {}, [indented]
    reader = _Reader(text, relpath, line_offset)
    try:
        value, found, stopped = reader.read()
        if isinstance(stopped, Problem):
            return None, {}, [stopped]
        if stopped is not None:
            raise stopped
    except yaml.MarkedYAMLError as exc:
        return None, {}, [syntax_problem(text, exc, relpath, line_offset)]
    except yaml.YAMLError:
        return None, {}, [Problem(relpath, 1 + line_offset, "yaml", "lỗi cú pháp YAML; " + _CHECK_HINT)]
    if not found:
        return None, {}, []
    return value, reader.lines, reader.problems
