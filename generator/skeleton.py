"""A new record's skeleton (``congkhai new``): required fields filled with examples, the
others commented out, each with its label and help from the category data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from generator.categories import Category, Field
from generator.values import slugify

_EXAMPLES = {
    "text": '"…"',
    "markdown": '"…"',
    "date": "{today}",
    "time": '"07:30"',
    "month": "{month}",
    "int": "0",
    "year": "{year}",
    "bool": "false",
    "url": "https://dichvucong.gov.vn/",
    "email": "ten@example.gov.vn",
    "phone": '"0296 0000 000"',
    "money": "0",
    "slug": "ten-khong-dau",
    "idpath": "ten-khong-dau",
}


def _example(spec: Field, today: dt.date) -> str:
    if spec.type == "enum":
        return next(iter(spec.values))
    text = _EXAMPLES.get(spec.type, '"…"')
    return text.format(today=today.isoformat(), month=f"{today:%Y-%m}", year=today.year)


def _emit(name: str, spec: Field, indent: str, active: bool, today: dt.date, lead: str = "") -> list[str]:
    """YAML lines for one field; inactive ones are commented out with ``# ``."""
    on = active and spec.required
    mark = "" if on else "# "
    comment = f"  # {spec.label}" + (f": {spec.help}" if spec.help else "")
    head = f"{indent}{mark}{lead}{name}:"
    inner = indent + ("  " if lead else "") + "  "
    if spec.type == "map":
        lines = [head + comment]
        for sub_name, sub in spec.fields.items():
            lines += _emit(sub_name, sub, inner if on else inner + "# ", on, today)
        return [line.replace("# # ", "# ") for line in lines]
    if spec.type == "list" and spec.fields:
        lines = [head + comment]
        for position, (sub_name, sub) in enumerate(spec.fields.items()):
            item_lead = "- " if position == 0 else "  "
            lines += _emit(sub_name, sub, indent + ("  " if on else "#   "), on, today, item_lead)
        return [line.replace("# # ", "# ") for line in lines]
    if spec.type == "list":
        return [
            head + comment,
            f"{inner}{mark}- {_EXAMPLES.get(spec.of or 'text', '…').format(today=today, month='', year='')}",
        ]
    return [f"{head} {_example(spec, today)}{comment}"]


def skeleton(category: Category, common: dict[str, Field], kind: str | None, title: str, today: dt.date) -> str:
    """A new record: required fields filled with examples, optional ones commented out."""
    fields = category.all_fields(common, kind)
    fields = {n: f for n, f in fields.items() if n not in ("title", "kind", "id", "body")}
    if category.document_required and "document" in fields:
        document = fields["document"]
        fields["document"] = Field(**{**document.__dict__, "required": True})
    lines = [
        f"# Bản ghi mới, chuyên mục {category.title}. Điền các trường rồi chạy: congkhai check",
        "# Dòng bắt đầu bằng # là ghi chú; bỏ dấu # để dùng trường đó.",
        f'title: "{title}"',
    ]
    if kind:
        lines.append(f"kind: {kind}  # {category.kind_label(kind)}")
    for name, spec in fields.items():
        lines += _emit(name, spec, "", True, today)
    return "\n".join(lines) + "\n"


def write_skeleton(
    disclosures: Path,
    category: Category,
    common: dict[str, Field],
    kind: str | None,
    title: str,
    today: dt.date,
    own_numbers: tuple[str, ...] = (),
) -> Path:
    """Write a new record of ``category`` under ``<disclosures>/<category>/<year>/``, named
    after its title (``-2``, ``-3``… if taken); return its path. ``own_numbers``: the
    office's allow-listed numbers, the first of which is put in the example phone so that
    the skeleton passes the privacy guard."""
    folder = disclosures / category.slug / str(today.year)
    stem = slugify(title) or "ban-ghi-moi"
    path = folder / f"{stem}.yml"
    number = 2
    while path.exists():
        path = folder / f"{stem}-{number}.yml"
        number += 1
    folder.mkdir(parents=True, exist_ok=True)
    text = skeleton(category, common, kind, title.replace('"', "'"), today)
    if own_numbers:
        text = text.replace(_EXAMPLES["phone"], '"' + own_numbers[0].replace('"', "") + '"')
    path.write_text(text, encoding="utf-8")
    return path
