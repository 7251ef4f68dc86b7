"""A new record's skeleton (``congkhai new``): required fields with a placeholder ``…`` to
fill, the others commented out, each with its label, help and an example from the category
data.

An unfilled skeleton never passes ``congkhai check``: the placeholder ``…`` is refused in
any field (:data:`PLACEHOLDER`), and so is a title left as the field's own label ("Tiêu
đề"). Every commented line is a whole line of YAML behind ``# `` at its own indentation:
removing the ``# `` of any of them (or all) leaves valid YAML. Notes for the clerk start
with ``## `` and stay comments.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from generator.core.values import slugify
from generator.records.categories import Category
from generator.records.fields import Field

PLACEHOLDER = "…"
"""What the skeleton writes where the clerk must type a value; refused by ``check``."""
MAX_STEM = 80
"""The longest file name (without extension) ``new`` makes from a title: the name is the
page's address."""
FORMATS = ("yml", "md")

_EXAMPLES = {
    "date": "2026-06-05 hoặc 05/06/2026",
    "time": '"07:30"',
    "month": "2026-05",
    "int": "3",
    "year": "2026",
    "url": "https://dichvucong.gov.vn/",
    "email": "ten@example.gov.vn",
    "phone": '"0296 3800 000"',
    "money": "1.250.000",
    "slug": "ten-khong-dau",
    "idpath": "ten-khong-dau",
}


def _value(spec: Field) -> str:
    if spec.type == "enum":
        return next(iter(spec.values))
    if spec.type == "bool":
        return "false"
    return PLACEHOLDER


def _note(spec: Field) -> str:
    text = f"  # {spec.label}" + (f": {spec.help}" if spec.help else "")
    example = _EXAMPLES.get(spec.of or "" if spec.type == "list" else spec.type)
    if example and example not in text:
        text += f" Ví dụ: {example}"
    if spec.type == "enum":
        text += " Một trong: " + ", ".join(spec.values)
    return text


def _emit(name: str, spec: Field, indent: str, on: bool, lead: str = "") -> list[str]:
    """YAML lines for one field at ``indent``; ``on``: written active (else behind ``# ``).
    ``lead`` is ``- `` for the first key of a list item."""
    mark = "" if on else "# "
    head = f"{indent}{mark}{lead}{name}:"
    inner = indent + ("  " if lead else "") + "  "
    if spec.type == "map":
        lines = [head + _note(spec)]
        for sub_name, sub in spec.fields.items():
            lines += _emit(sub_name, sub, inner, on and sub.required)
        return lines
    if spec.type == "list" and spec.fields:
        lines = [head + _note(spec)]
        subs = list(spec.fields.items())
        first = next((n for n, (_, sub) in enumerate(subs) if on and sub.required), 0)
        subs.insert(0, subs.pop(first))  # the item's "- " goes on a line that is active with it
        for position, (sub_name, sub) in enumerate(subs):
            active = on and (sub.required or position == 0)
            lines += _emit(sub_name, sub, inner, active, "- " if position == 0 else "  ")
        return lines
    if spec.type == "list":
        return [head + _note(spec), f"{inner}{mark}- {PLACEHOLDER}"]
    return [f"{head} {_value(spec)}{_note(spec)}"]


def skeleton(
    category: Category, common: dict[str, Field], kind: str | None, title: str, today: dt.date, form: str = "yml"
) -> str:
    """A new record: required fields with placeholders, optional ones commented out.
    ``form``: ``yml``, or ``md`` (the fields between ``---`` lines, then the text)."""
    fields = category.all_fields(common, kind)
    fields = {n: f for n, f in fields.items() if n not in ("title", "kind", "id", "body")}
    if category.document_required and "document" in fields:
        document = fields["document"]
        fields["document"] = Field(**{**document.__dict__, "required": True})
    lines = [
        f"## Bản ghi mới, chuyên mục {category.title}, tạo ngày {today:%d/%m/%Y}.",
        f"## Thay mỗi {PLACEHOLDER} bằng giá trị thật rồi chạy: congkhai check",
        "## Dòng bắt đầu bằng # là ghi chú; muốn dùng trường nào thì xóa dấu # và dấu cách sau nó.",
        f'title: "{title}"' if title else f"title: {PLACEHOLDER}  # Tiêu đề",
    ]
    if kind:
        lines.append(f"kind: {kind}  # {category.kind_label(kind)}")
    for name, spec in fields.items():
        lines += _emit(name, spec, "", spec.required or name == "summary")  # a summary to write, always
    if form == "md":
        return "---\n" + "\n".join(lines) + f"\n---\n{PLACEHOLDER}\n"
    return "\n".join(lines) + "\n"


def file_stem(title: str) -> str:
    """The file name from a title: its slug, cut at a word under :data:`MAX_STEM` characters."""
    stem = slugify(title) or "ban-ghi-moi"
    if len(stem) > MAX_STEM:
        cut = stem[: MAX_STEM + 1].rsplit("-", 1)[0]  # the words that fit whole
        stem = cut if MAX_STEM // 2 <= len(cut) <= MAX_STEM else stem[:MAX_STEM]
    return stem.strip("-")


def write_skeleton(
    disclosures: Path,
    category: Category,
    common: dict[str, Field],
    kind: str | None,
    title: str,
    today: dt.date,
    own_numbers: tuple[str, ...] = (),
    form: str = "yml",
) -> Path:
    """Write a new record of ``category`` under ``<disclosures>/<category>/<year>/``, named
    after its title (``-2``, ``-3``… if taken); return its path. ``own_numbers`` is kept
    for callers; the skeleton no longer writes example phone numbers as values."""
    folder = disclosures / category.slug / str(today.year)
    stem = file_stem(title)
    path = folder / f"{stem}.{form}"
    number = 2
    while path.exists():
        path = folder / f"{stem}-{number}.{form}"
        number += 1
    folder.mkdir(parents=True, exist_ok=True)
    text = skeleton(category, common, kind, title.replace('"', "'"), today, form)
    path.write_text(text, encoding="utf-8")
    return path
