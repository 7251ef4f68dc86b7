"""The ``congkhai`` command line: parse, call the core, map errors to exit codes.

Exit status: 0 success, 1 a check failed (problems are printed as
``path:line: field: message``), 2 usage error.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from generator.categories import Category, Field
from generator.config import Settings
from generator.errors import CongkhaiError
from generator.records import slugify

CONFIG_HELP = "Tệp cấu hình của trang (mặc định: mkdocs.yml trong thư mục hiện tại)."


def _fail(error: CongkhaiError) -> NoReturn:
    for problem in error.problems:
        click.echo(str(problem), err=True)
    count = len(error.problems)
    click.echo(f"Có {count} lỗi; chưa có gì được thay đổi.", err=True)
    sys.exit(1)


def _setup_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    logger = logging.getLogger("mkdocs")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
    logger.propagate = False


class _HideProblems(logging.Filter):
    """Drop MkDocs' own log line of our record problems: the CLI prints them itself."""

    def __init__(self, plugin: Any):
        super().__init__()
        self.plugin = plugin

    def filter(self, record: logging.LogRecord) -> bool:
        error = getattr(self.plugin, "error", None)
        return error is None or record.getMessage() != str(error)


def _load_config(config_file: str, **overrides: Any) -> Any:
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, ConfigurationError

    path = Path(config_file)
    if not path.is_file():
        raise CongkhaiError(
            f"không tìm thấy tệp cấu hình {config_file}; hãy chạy lệnh trong thư mục có mkdocs.yml hoặc dùng -f"
        )
    try:
        return load_config(config_file=str(path), **overrides)
    except (ConfigurationError, Abort) as exc:  # MkDocs has logged the details above
        raise CongkhaiError(f"{config_file}: cấu hình không hợp lệ ({exc})") from None


def _settings(config_file: str) -> Settings:
    from generator.plugin import settings_from

    config = _load_config(config_file)
    plugin = config.plugins.get("congkhai")
    if plugin is None:
        raise CongkhaiError(f"{config_file}: chưa khai báo plugin congkhai trong mục plugins")
    return settings_from(config, plugin.config)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-f", "--config-file", default="mkdocs.yml", show_default=True, help=CONFIG_HELP)
@click.option("-v", "--verbose", is_flag=True, help="In thêm thông tin khi dựng trang.")
@click.version_option(package_name="congkhai")
@click.pass_context
def main(ctx: click.Context, config_file: str, verbose: bool) -> None:
    """congkhai: công khai thông tin và nhật ký công bố có thể kiểm chứng."""
    ctx.obj = {"config_file": config_file}
    _setup_logging(verbose)


@main.command()
@click.pass_obj
def check(obj: dict[str, str]) -> None:
    """Kiểm tra mọi bản ghi, tệp đính kèm và quy tắc."""
    from generator.site import load_site

    try:
        site = load_site(_settings(obj["config_file"]))
    except CongkhaiError as exc:
        _fail(exc)
    public = len(site.public_records)
    click.echo(
        f"Đã kiểm tra {len(site.records)} bản ghi ({public} công khai, {len(site.records) - public} nội bộ): không có lỗi."
    )


@main.command()
@click.option("--site-dir", default=None, help="Thư mục ghi trang (mặc định: site_dir trong mkdocs.yml).")
@click.pass_obj
def build(obj: dict[str, str], site_dir: str | None) -> None:
    """Dựng trang, chế độ nghiêm ngặt: mọi cảnh báo là lỗi."""
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.exceptions import Abort, BuildError

    from generator.plugin import ProblemsError

    overrides: dict[str, Any] = {"strict": True}
    if site_dir:
        overrides["site_dir"] = str(Path(site_dir).resolve())
    try:
        config = _load_config(obj["config_file"], **overrides)
    except CongkhaiError as exc:
        _fail(exc)
    plugin = config.plugins.get("congkhai")
    quiet = _HideProblems(plugin)
    handlers = logging.getLogger("mkdocs").handlers
    for handler in handlers:
        handler.addFilter(quiet)
    try:
        mkdocs_build(config)
    except (Abort, BuildError, ProblemsError) as exc:
        if isinstance(getattr(plugin, "error", None), ProblemsError):
            _fail(CongkhaiError(plugin.error.problems))
        click.echo(f"Dựng trang thất bại: {exc}", err=True)
        sys.exit(1)
    finally:
        for handler in handlers:
            handler.removeFilter(quiet)
    click.echo(f"Đã dựng trang vào {config.site_dir}")


@main.command()
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Thư mục ghi các trang Markdown.")
@click.pass_obj
def render(obj: dict[str, str], out: str) -> None:
    """Ghi các trang Markdown (content/ và bản ghi) ra thư mục, cho công cụ dựng trang khác."""
    from generator.site import load_site, render_to

    try:
        site = load_site(_settings(obj["config_file"]))
    except CongkhaiError as exc:
        _fail(exc)
    written = render_to(site, Path(out))
    click.echo(f"Đã ghi {len(written)} tệp vào {out}")


@main.command()
@click.option("--dev-addr", default="127.0.0.1:8000", show_default=True, help="Địa chỉ:cổng để xem trước.")
@click.pass_obj
def serve(obj: dict[str, str], dev_addr: str) -> None:
    """Xem trước trang tại 127.0.0.1:8000, tự dựng lại khi bản ghi thay đổi."""
    from mkdocs.commands.serve import serve as mkdocs_serve
    from mkdocs.exceptions import Abort, BuildError

    from generator.plugin import ProblemsError

    try:
        _load_config(obj["config_file"])
        mkdocs_serve(config_file=obj["config_file"], dev_addr=dev_addr, livereload=True)
    except CongkhaiError as exc:
        _fail(exc)
    except ProblemsError as exc:
        _fail(CongkhaiError(exc.problems))
    except (Abort, BuildError) as exc:
        click.echo(f"Không xem trước được: {exc}", err=True)
        sys.exit(1)


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


@main.command()
@click.argument("category")
@click.option("--kind", default=None, help="Loại thông tin trong chuyên mục.")
@click.option("--title", default="Tiêu đề", help="Tiêu đề của thông tin.")
@click.pass_obj
def new(obj: dict[str, str], category: str, kind: str | None, title: str) -> None:
    """Tạo khung một bản ghi mới và in đường dẫn của nó."""
    from generator.categories import load_categories, load_common

    try:
        settings = _settings(obj["config_file"])
        categories = load_categories(settings.disclosures_dir, settings.root)
    except CongkhaiError as exc:
        _fail(exc)
    if category not in categories:
        raise click.UsageError(f"chuyên mục '{category}' không tồn tại; chọn một trong: {', '.join(categories)}")
    cat = categories[category]
    if cat.kinds and kind not in cat.kinds:
        raise click.UsageError(f"cần --kind, một trong: {', '.join(cat.kinds)}")
    if not cat.kinds and kind:
        raise click.UsageError(f"chuyên mục '{category}' không chia loại; bỏ --kind")
    today = dt.date.today()
    folder = settings.disclosures_dir / category / str(today.year)
    stem = slugify(title) or "ban-ghi-moi"
    path = folder / f"{stem}.yml"
    number = 2
    while path.exists():
        path = folder / f"{stem}-{number}.yml"
        number += 1
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(skeleton(cat, load_common(), kind, title.replace('"', "'"), today), encoding="utf-8")
    click.echo(path.relative_to(settings.root).as_posix())


if __name__ == "__main__":  # pragma: no cover
    main()
