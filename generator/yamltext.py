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

from generator.errors import Problem

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


class _Reader:
    def __init__(self, relpath: str, line_offset: int):
        self.relpath = relpath
        self.offset = line_offset
        self.lines: dict[Path, int] = {}
        self.problems: list[Problem] = []
        self._seen: set[int] = set()

    def line(self, node: yaml.Node) -> int:
        return node.start_mark.line + 1 + self.offset

    def fail(self, node: yaml.Node, path: Path, message: str, line: int | None = None) -> None:
        where = line or self.lines.get(path) or self.line(node)
        self.problems.append(Problem(self.relpath, where, field_name(path), message))

    def convert(self, node: yaml.Node, path: Path, depth: int = 0) -> Any:
        self.lines.setdefault(path, self.line(node))
        if id(node) in self._seen:
            self.fail(node, path, "không dùng bí danh YAML (anchor/alias *…); hãy viết đầy đủ giá trị")
            return None
        self._seen.add(id(node))
        if depth > MAX_DEPTH:
            self.fail(node, path, f"lồng nhau quá sâu (hơn {MAX_DEPTH} cấp)")
            return None
        if node.tag not in _STANDARD_TAGS:
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            self.fail(node, path, f"không dùng thẻ YAML '{tag}'; chỉ viết giá trị")
            return None
        if isinstance(node, yaml.ScalarNode):
            if node.tag == "tag:yaml.org,2002:null" and not node.style:
                return None
            return node.value
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, path + (i,), depth + 1) for i, item in enumerate(node.value)]
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.fail(key_node, path, "tên trường phải là một chữ đơn")
                continue
            key = key_node.value
            if key in result:
                self.fail(key_node, path + (key,), "trường bị khai báo hai lần", self.line(key_node))
                continue
            self.lines[path + (key,)] = self.line(key_node)
            result[key] = self.convert(value_node, path + (key,), depth + 1)
        return result


def _precheck(text: str, relpath: str, line_offset: int) -> Problem | None:
    """Stream the events once: refuse aliases, too deep nesting and too many values
    before any tree is built (stops at the first offending event)."""
    depth = nodes = 0
    rows = text.split("\n")

    def at(event: yaml.Event) -> str:  # the field of the event's line, only when reported
        row = event.start_mark.line
        return _key_of(rows[row], rows[:row]) if row < len(rows) else "yaml"

    for event in yaml.parse(text, Loader=_Loader):
        line = event.start_mark.line + 1 + line_offset
        if isinstance(event, yaml.AliasEvent):
            return Problem(
                relpath, line, at(event), "không dùng bí danh YAML (anchor/alias *…); hãy viết đầy đủ giá trị"
            )
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                return Problem(relpath, line, at(event), f"lồng nhau quá sâu (hơn {MAX_DEPTH} cấp)")
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent, yaml.ScalarEvent)):
            nodes += 1
            if nodes > MAX_NODES:
                return Problem(
                    relpath,
                    line,
                    at(event),
                    f"quá nhiều giá trị (hơn {MAX_NODES:,}); một bản ghi phải ngắn gọn hơn".replace(",", "."),
                )
    return None


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


def read_yaml(text: str, relpath: str, line_offset: int = 0) -> tuple[Any, dict[Path, int], list[Problem]]:
    """Parse one YAML document. Returns (value, lines by field path, problems).

    ``line_offset`` is added to every line (front matter starts after the ``---``).
    """
    reader = _Reader(relpath, line_offset)
    for number, content in enumerate(text.split("\n"), start=1):
        if _NBSP_INDENT.match(content):  # YAML takes it for text: the field would silently change
            return None, {}, [Problem(relpath, number + line_offset, _key_of(content), _LINE_MISTAKES[1][1])]
    try:
        limit = _precheck(text, relpath, line_offset)
        if limit is not None:
            return None, {}, [limit]
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        return None, {}, [syntax_problem(text, exc, relpath, line_offset)]
    except yaml.YAMLError:
        return None, {}, [Problem(relpath, 1 + line_offset, "yaml", "lỗi cú pháp YAML; " + _CHECK_HINT)]
    if node is None:
        return None, {}, []
    value = reader.convert(node, ())
    return value, reader.lines, reader.problems
