"""Round-trip YAML for the form editor: one field edited in the form changes only its lines.

Decap CMS rewrites a whole record when it saves (keys in its form's order, ``|`` blocks
folded, comments dropped, ``end: "11:00"`` unquoted). The edit server passes every save
through :func:`merge`: the form's data is merged into the file as it is on disk with
ruamel.yaml's round-trip mode, so that unchanged values keep their lines (order, comments,
block style, quoting) and only the values the clerk changed are written anew; keys new to
the file are appended, keys the form removed are removed.

Values are compared as congkhai reads them: every scalar as text (PyYAML's ``BaseLoader``),
so ``end: "11:00"`` and Decap's ``end: 11:00`` are the same value. A merged text that does
not read back as the form's data (never expected) falls back to the form's own text, with
times quoted: a record is never saved with a value the clerk did not give.
"""

from __future__ import annotations

import io
import re
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError as RuamelError
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)

TIME = re.compile(r"^\d{1,2}:\d{2}(:\d{2})?$")
"""A time of day, which a YAML 1.1 reader takes for a number of minutes when unquoted."""
INDENTS = ((4, 2), (2, 0), (2, 2), (4, 4))
"""(sequence, offset) layouts tried, to write a file back in its own layout."""


def _yaml(sequence: int = 4, offset: int = 2) -> YAML:
    out = YAML()
    out.preserve_quotes = True
    out.width = 4096
    out.indent(mapping=2, sequence=sequence, offset=offset)
    return out


def _dump(tree: Any, writer: YAML) -> str:
    stream = io.StringIO()
    writer.dump(tree, stream)
    return stream.getvalue()


def _text(text: str) -> Any:
    """The data as congkhai reads it: every scalar as text."""
    return yaml.load(text, Loader=yaml.BaseLoader)


def _same(a: Any, b: Any) -> bool:
    """Equal as congkhai reads them; a block's final line break does not count (Decap's
    Markdown widget drops it)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, str) and isinstance(b, str):
        return a.rstrip("\n") == b.rstrip("\n")
    return a == b


def _quote_times(value: Any) -> Any:
    """``value`` (a ruamel tree) with every plain time of day double-quoted."""
    if isinstance(value, dict):
        for key in list(value):
            value[key] = _quote_times(value[key])
        return value
    if isinstance(value, list):
        for index, item in enumerate(value):
            value[index] = _quote_times(item)
        return value
    if type(value) is str and TIME.match(value):
        return DoubleQuotedScalarString(value)
    return value


def _fresh(new: Any, old: Any = None) -> Any:
    """The form's new value, written in the old value's style where it has one."""
    if isinstance(new, str) and not isinstance(new, (DoubleQuotedScalarString, SingleQuotedScalarString)):
        if isinstance(old, LiteralScalarString) or ("\n" in new.rstrip("\n")):
            if isinstance(old, str) and old.endswith("\n") and not new.endswith("\n"):
                new += "\n"
            return LiteralScalarString(new)
        if isinstance(old, (DoubleQuotedScalarString, SingleQuotedScalarString)):
            return type(old)(new)
    return _quote_times(new)


def _merge_map(old: CommentedMap, old_text: dict, new: Any, new_text: dict) -> None:
    for key in [k for k in old if str(k) not in new_text]:
        del old[key]
    by_text = {str(k): k for k in new}
    for key, value in new_text.items():
        source = new[by_text[key]]
        if key not in old_text:
            old[by_text[key]] = _quote_times(source)
            continue
        current = old[next(k for k in old if str(k) == key)]
        if _same(old_text[key], value):
            continue
        merged = _merge_value(current, old_text[key], source, value)
        if merged is not current:
            old[next(k for k in old if str(k) == key)] = merged


def _merge_value(old: Any, old_text: Any, new: Any, new_text: Any) -> Any:
    """``old`` changed in place where it can be (maps, lists), else the new value."""
    if isinstance(old, CommentedMap) and isinstance(old_text, dict) and isinstance(new_text, dict):
        _merge_map(old, old_text, new, new_text)
        return old
    if isinstance(old, CommentedSeq) and isinstance(old_text, list) and isinstance(new_text, list):
        for index, value in enumerate(new_text):
            if index >= len(old):
                old.append(_quote_times(new[index]))
            elif not _same(old_text[index], value):
                merged = _merge_value(old[index], old_text[index], new[index], value)
                if merged is not old[index]:
                    old[index] = merged
        del old[len(new_text) :]
        return old
    return _fresh(new, old)


def normalise(text: str) -> str:
    """A new record's text as Decap wrote it, with times quoted (YAML 1.1 reads ``11:00``
    as 660); unchanged when it is not a YAML map."""
    try:
        writer = _yaml()
        tree = writer.load(text)
        if not isinstance(tree, CommentedMap):
            return text
        out = _dump(_quote_times(tree), writer)
        return out if _same(_text(out), _text(text)) else text
    except (RuamelError, yaml.YAMLError):
        return text


def merge(old: str, new: str) -> str:
    """The file ``old`` with the form's data ``new`` merged in (see the module's doc)."""
    try:
        new_text = _text(new)
        old_text = _text(old)
        if not isinstance(new_text, dict) or not isinstance(old_text, dict):
            return normalise(new)
        writer = next((w for w in map(lambda i: _yaml(*i), INDENTS) if _dump(w.load(old), w) == old), _yaml())
        tree = writer.load(old)
        source = _yaml().load(new)
        _merge_map(tree, old_text, source, new_text)
        out = _dump(tree, writer)
        if _same(_text(out), new_text):
            return out
    except (RuamelError, yaml.YAMLError):
        pass
    return normalise(new)
