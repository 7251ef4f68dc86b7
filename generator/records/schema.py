"""A record checked against its category's JSON Schema, and the errors of
:mod:`jsonschema` turned into ``path:line: field: message`` problems in Vietnamese, with
the form's words (labels, close matches of a mistyped key)."""

from __future__ import annotations

import difflib
from typing import Any

from jsonschema import Draft202012Validator

from generator.core.errors import Problem
from generator.core.values import curly_quoted, fold
from generator.core.yamltext import Path as FieldPath
from generator.core.yamltext import field_name
from generator.records.categories import Category
from generator.records.fields import Field


def _line_for(lines: dict[FieldPath, int], path: FieldPath) -> int:
    while path not in lines and path:
        path = path[:-1]
    return lines.get(path, 1)


_TYPE_WORDS = {
    "object": "phải là một bảng các trường (khóa: giá trị), không phải {got}",
    "array": "phải là một danh sách (mỗi mục một dòng bắt đầu bằng '- '), không phải {got}",
    "string": "phải là một giá trị đơn, không phải {got}",
}


def _describe(value: Any) -> str:
    if value is None:
        return "giá trị rỗng"
    if isinstance(value, list):
        return "một danh sách"
    if isinstance(value, dict):
        return "một bảng các trường"
    return f"'{value}'"


def schema_problems(
    validator: Draft202012Validator,
    instance: Any,
    lines: dict[FieldPath, int],
    relpath: str,
    fields: dict[str, Field] | None,
    other_kind_fields: dict[str, list[str]] | None = None,
) -> list[Problem]:
    """Run ``validator`` and turn each error into one ``Problem`` in Vietnamese."""
    problems: set[Problem] = set()
    meant: set[str] = set()
    """Fields written by their Vietnamese label: not also reported missing."""

    def label_of(path: FieldPath) -> str:
        if not fields or not path or not isinstance(path[0], str) or path[0] not in fields:
            return ""
        found = fields[path[0]].find(path[1:])
        return found.label if found else ""

    for error in validator.iter_errors(instance):
        path: FieldPath = tuple(error.absolute_path)
        line = _line_for(lines, path)
        kind = error.validator
        if kind == "required":
            for name in error.validator_value:
                if isinstance(error.instance, dict) and name not in error.instance:
                    label = label_of(path + (name,))
                    message = "thiếu trường bắt buộc" + (f" ({label})" if label else "")
                    problems.add(Problem(relpath, line, field_name(path + (name,)), message))
        elif kind == "additionalProperties":
            allowed = list(error.schema.get("properties", {}))
            for name in error.instance:
                if name in allowed:
                    continue
                sub = path + (name,)
                where = _line_for(lines, sub)
                if not path and other_kind_fields and name in other_kind_fields:
                    message = "trường này chỉ dùng cho loại: " + ", ".join(other_kind_fields[name])
                else:
                    message = "trường không được hỗ trợ"
                    scope = _scope(fields, path)
                    hint = _vietnamese_key(name, scope) if scope else None
                    close = difflib.get_close_matches(name, allowed, n=1)
                    if hint:
                        message += "; tên trường viết bằng tiếng Anh: " + hint[0]
                        meant.add(field_name((*path, hint[1])))
                    elif close:
                        message += f"; có phải ý bạn là '{close[0]}'?"
                problems.add(Problem(relpath, where, field_name(sub), message))
        elif kind == "type":
            if error.instance is None or error.instance == "":
                message = "không được để trống"
            else:
                expected = error.validator_value
                message = _TYPE_WORDS.get(expected, f"phải có kiểu {expected}").format(got=_describe(error.instance))
            problems.add(Problem(relpath, line, field_name(path), message))
        elif kind in ("enum", "format", "pattern") and isinstance(error.instance, str) and curly_quoted(error.instance):
            problems.add(Problem(relpath, line, field_name(path), curly_quoted(error.instance) or ""))
        elif kind == "enum":
            choices = ", ".join(str(v) for v in error.validator_value)
            message = f"giá trị {_describe(error.instance)} không hợp lệ; chọn một trong: {choices}"
            problems.add(Problem(relpath, line, field_name(path), message))
        elif kind == "format":
            message = str(error.cause) if error.cause else error.message
            problems.add(Problem(relpath, line, field_name(path), message))
        elif kind == "pattern":
            spec = fields and path and isinstance(path[0], str) and fields.get(path[0])
            hint = spec.find(path[1:]).pattern_help if spec and spec.find(path[1:]) else None
            message = f"giá trị '{error.instance}' không hợp lệ" + (f"; {hint}" if hint else "")
            problems.add(Problem(relpath, line, field_name(path), message))
        elif kind == "minItems":
            label = label_of(path)
            message = "danh sách không được để trống" + (f" ({label})" if label else "") + "; thêm ít nhất một mục"
            problems.add(Problem(relpath, line, field_name(path), message))
        elif kind == "maxLength":
            message = (
                f"dài {len(error.instance)} ký tự, quá giới hạn {error.validator_value} ký tự; "
                "viết ngắn lại, đưa phần chi tiết vào summary hoặc nội dung (body)"
            )
            problems.add(Problem(relpath, line, field_name(path), message))
        else:  # pragma: no cover - schema keywords we generate are all handled above
            problems.add(Problem(relpath, line, field_name(path), error.message))
    return sorted(p for p in problems if not (p.field in meant and p.message.startswith("thiếu trường bắt buộc")))


def _scope(fields: dict[str, Field] | None, path: FieldPath) -> dict[str, Field]:
    """The fields allowed at ``path`` (list positions skipped): the record's, or a map's."""
    if not fields:
        return {}
    if not path:
        return fields
    if not isinstance(path[0], str) or path[0] not in fields:
        return {}
    found = fields[path[0]].find(path[1:])
    return found.fields if found else {}


def _vietnamese_key(name: str, scope: dict[str, Field]) -> tuple[str, str] | None:
    """A field written by its Vietnamese label (``đơn vị:``, ``Tiêu đề:``) instead of its key:
    the key whose label it is (diacritics and case aside; the start of a longer label
    counts: ``đơn vị`` for "Đơn vị chủ trì"), also one level down (``số ký hiệu`` is
    ``number`` in ``document``)."""
    if name.isascii() and " " not in name and "_" not in name:
        return None
    wanted = " ".join(fold(name).replace("_", " ").split())
    if not wanted:
        return None

    def matches(found: dict[str, Field]) -> list[Field]:
        exact = [f for f in found.values() if fold(f.label) == wanted]
        return exact or [f for f in found.values() if fold(f.label).startswith(wanted + " ")]

    here = matches(scope)
    if len(here) == 1:
        return f"có phải ý bạn là '{here[0].name}' ({here[0].label})?", here[0].name
    if here:
        return "có phải ý bạn là " + " hoặc ".join(f"'{f.name}' ({f.label})" for f in here) + "?", ""
    for parent in scope.values():
        below = matches(parent.fields) if parent.type == "map" else []
        if len(below) == 1:
            name = below[0].name
            return (
                f"có phải ý bạn là '{name}' ({below[0].label}) trong '{parent.name}', viết {parent.name}: {{{name}: …}}?",
                "",
            )
    labels = {fold(f.label): f for f in scope.values()}
    close = difflib.get_close_matches(wanted, list(labels), n=1, cutoff=0.75)
    if close:
        found = labels[close[0]]
        return f"có phải ý bạn là '{found.name}' ({found.label})?", found.name
    return None


def validate_record(
    category: Category, common: dict[str, Field], data: Any, lines: dict[FieldPath, int], relpath: str
) -> tuple[dict[str, Any], list[Problem]]:
    """Validate one record's text tree against its category; return (typed data, problems)."""
    if not isinstance(data, dict):
        return {}, [
            Problem(
                relpath,
                1,
                "record",
                f"bản ghi phải là một bảng các trường (khóa: giá trị), không phải {_describe(data)}",
            )
        ]
    kind = data.get("kind") if isinstance(data.get("kind"), str) else None
    if kind not in category.kinds:
        kind = None
    fields = category.all_fields(common, kind)
    other_kind = {
        name: f.kinds for name, f in category.fields.items() if kind is not None and not f.applies_to(kind) and f.kinds
    }
    quick = category.quick_check(common, kind)
    if quick is not None and quick(data):
        problems = []  # valid: jsonschema would find no error either (tests/test_fast_paths.py)
    else:
        problems = schema_problems(category.validator(common, kind), data, lines, relpath, fields, other_kind)
    if problems:
        return {}, problems
    typed = {name: f.convert(data[name]) for name, f in fields.items() if data.get(name) is not None}
    return typed, []
