"""The ``congkhai`` command line: parse, call the core, map errors to exit codes.

Exit status: 0 success, 1 a check failed (problems are printed as
``path:line: field: message``), 2 usage error.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import signal
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from generator.core import paths, progress
from generator.core.config import Settings
from generator.core.errors import CongkhaiError, Problem
from generator.core.values import format_date, parse_date, slugify
from generator.core.values import today as office_today
from generator.ledger.log import chain_problems
from generator.mkdocs_plugin import commands
from generator.publish.remote import SshTarget, is_ssh, parse_target
from generator.records.category_file import load_categories, load_common
from generator.records.skeleton import FORMATS, write_skeleton
from generator.staff import cms
from generator.staff.project import check_agency, check_site_url, init_project
from generator.website import pipeline
from generator.website.cautions import cautions
from generator.website.site import Site

CONFIG_HELP = "Tệp cấu hình của trang (mặc định: mkdocs.yml trong thư mục hiện tại)."


def _fail(error: CongkhaiError) -> NoReturn:
    """Print every problem, then one line saying how many and what changed (exit 1)."""
    for problem in error.problems:
        click.echo(str(problem), err=True)
    count = len(error.problems)
    click.echo(f"Có {count} lỗi; {error.changed or 'chưa có gì được thay đổi'}.", err=True)
    sys.exit(1)


def _settings(config_file: str) -> Settings:
    return commands.load_settings(config_file)


HELP_TEXT = "In hướng dẫn này rồi thoát."
_CLICK_MESSAGES = [
    (re.compile(r"^Missing command\.$"), "thiếu lệnh; xem danh sách các lệnh: congkhai -h"),
    (re.compile(r"^No such command '(.+)'\.$"), "không có lệnh '{0}'"),
    (re.compile(r"^Got unexpected extra arguments? \((.+)\)$"), "thừa tham số: {0}"),
    (re.compile(r"^Option '(.+)' requires an argument\.$"), "tùy chọn {0} cần một giá trị"),
    (re.compile(r"^Option '(.+)' does not take a value\.$"), "tùy chọn {0} không nhận giá trị"),
    (re.compile(r"^'(.+)' is not one of (.+)\.$"), "'{0}' không hợp lệ; chọn một trong: {1}"),
    (re.compile(r"^'(.+)' is not a valid (?:choice|integer)\.?$"), "'{0}' không hợp lệ"),
    (re.compile(r"^Directory '(.+)' does not exist\.$"), "thư mục '{0}' không tồn tại"),
    (re.compile(r"^(?:File|Path) '(.+)' does not exist\.$"), "tệp '{0}' không tồn tại"),
    (re.compile(r"^(?:File|Path) '(.+)' is a file\.$"), "'{0}' là một tệp, cần một thư mục"),
]


def _vietnamese(error: click.UsageError) -> str:
    """click's usage error in Vietnamese (our own messages already are)."""
    if isinstance(error, click.NoSuchOption):
        close = sorted(error.possibilities or [])
        return f"không có tùy chọn {error.option_name}" + (f"; có phải ý bạn là {', '.join(close)}?" if close else "")
    if isinstance(error, click.MissingParameter) and error.param is not None:
        if error.param.param_type_name == "argument":
            return f"thiếu tham số {error.param.human_readable_name}"
        return f"thiếu tùy chọn {error.param.opts[-1]}"
    message = error.message
    if isinstance(error, click.BadParameter):
        for pattern, text in _CLICK_MESSAGES:
            if match := pattern.match(message):
                message = text.format(*match.groups())
        hint = error.param_hint or (error.param.get_error_hint(error.ctx) if error.param and error.ctx else "")
        if isinstance(hint, (list, tuple)):
            hint = " / ".join(hint)
        return f"giá trị không hợp lệ cho {hint}: {message}" if hint else message
    for pattern, text in _CLICK_MESSAGES:
        if match := pattern.match(message):
            return text.format(*match.groups())
    return message


class _Vietnamese(click.Command):
    """A command whose help and usage speak Vietnamese."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", "[TÙY_CHỌN]")
        super().__init__(*args, **kwargs)

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = HELP_TEXT
        return option

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, " ".join(self.collect_usage_pieces(ctx)), prefix="Cách dùng: ")

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [row for param in self.get_params(ctx) if (row := param.get_help_record(ctx)) is not None]
        rows = [(name, help.replace("[default: ", "[mặc định: ")) for name, help in rows]
        if rows:
            with formatter.section("Tùy chọn"):
                formatter.write_dl(rows)


class _VietnameseGroup(_Vietnamese, click.Group):
    """The ``congkhai`` group: Vietnamese help, usage and errors (``Cách dùng:``, ``Lỗi:``)
    instead of click's English ``Usage:``/``Error:``; exit status 2 for a usage error."""

    command_class = _Vietnamese

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("subcommand_metavar", "LỆNH [THAM_SỐ]...")
        super().__init__(*args, **kwargs)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        _Vietnamese.format_options(self, ctx, formatter)
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=formatter.width - 6 - len(name))))
        if rows:
            with formatter.section("Lệnh"):
                formatter.write_dl(rows)

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            result = super().main(*args, standalone_mode=False, **kwargs)
        except click.UsageError as exc:
            ctx = exc.ctx
            if ctx is not None:
                usage = " ".join(ctx.command.collect_usage_pieces(ctx))
                click.echo(f"Cách dùng: {ctx.command_path} {usage}".rstrip(), err=True)
                click.echo(f"Xem hướng dẫn: {ctx.command_path} -h", err=True)
                click.echo("", err=True)
            click.echo(f"Lỗi: {_vietnamese(exc)}", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            click.echo(f"Lỗi: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("Đã dừng.", err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)


@click.group(cls=_VietnameseGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-f", "--config-file", default="mkdocs.yml", help=CONFIG_HELP)
@click.option("-v", "--verbose", is_flag=True, help="In thêm thông tin khi dựng trang.")
@click.version_option(
    package_name="congkhai", help="In phiên bản rồi thoát.", message="%(prog)s, phiên bản %(version)s"
)
@click.pass_context
def main(ctx: click.Context, config_file: str, verbose: bool) -> None:
    """congkhai: công khai thông tin và nhật ký công bố có thể kiểm chứng."""
    ctx.obj = {"config_file": config_file}
    commands.setup_logging(verbose)


@main.command()
@click.pass_obj
def check(obj: dict[str, str]) -> None:
    """Kiểm tra mọi bản ghi, tệp đính kèm và quy tắc."""
    try:
        site = pipeline.load(_settings(obj["config_file"]), stored=True)
    except CongkhaiError as exc:
        _fail(exc)
    public = len(site.public_records)
    click.echo(
        f"Đã kiểm tra {len(site.records)} bản ghi ({public} công khai, {len(site.records) - public} nội bộ): không có lỗi."
    )
    _warn(cautions(site))


def _warn(found: list[Problem]) -> None:
    """Print warnings (valid but probably a slip) after a command's success; exit status
    stays 0."""
    for problem in found:
        click.echo(str(problem), err=True)
    if found:
        click.echo(f"Có {len(found)} cảnh báo; không chặn việc dựng trang và công bố, nhưng hãy xem lại.", err=True)


def _build_site(
    config_file: str,
    site_dir: str | Path | None,
    site: Site | None = None,
    built: list[Site] | None = None,
    reuse: bool = False,
    deploy_to: Path | SshTarget | None = None,
) -> Path:
    """The strict build (:func:`generator.mkdocs_plugin.commands.build_site`); ``built``
    receives the site that was built (for its warnings); ``reuse``: with the page cache and
    the files of the release ``deploy_to`` serves (a local folder)."""
    previous = deploy_to if isinstance(deploy_to, Path) and deploy_to.is_dir() else None
    result = commands.build_site(config_file, site_dir, site, reuse, previous)
    if built is not None and result.site is not None:
        built.append(result.site)
    return result.site_dir


@main.command()
@click.option("--site-dir", default=None, help="Thư mục ghi trang (mặc định: site_dir trong mkdocs.yml).")
@click.pass_obj
def build(obj: dict[str, str], site_dir: str | None) -> None:
    """Dựng trang, chế độ nghiêm ngặt: mọi cảnh báo là lỗi."""
    built: list[Site] = []
    try:
        out = _build_site(obj["config_file"], site_dir, built=built)
    except CongkhaiError as exc:
        _fail(exc)
    click.echo(f"Đã dựng trang vào {out}")
    _warn(cautions(built[-1]) if built else [])


def _deploy_target(ctx: click.Context, param: click.Parameter, value: str | None) -> Path | SshTarget | None:
    if value is None:
        return None
    if is_ssh(value):
        try:
            return parse_target(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
    return Path(value)


@main.command()
@click.option(
    "--deploy-to",
    default=None,
    metavar="THƯ-MỤC|ssh://NGƯỜI-DÙNG@MÁY-CHỦ[:CỔNG]/ĐƯỜNG-DẪN",
    callback=_deploy_target,
    help="Thư mục máy chủ web phục vụ, trên máy này hoặc trên máy chủ qua SSH (rsync); được thay nguyên khối "
    "(liên kết tượng trưng) sau khi dựng và chép xong. Khóa SSH: biến CONGKHAI_SSH_KEY; tùy chọn ssh thêm: "
    "CONGKHAI_SSH_OPTIONS.",
)
@click.option("--allow-sample", is_flag=True, help="Cho phép công bố bản ghi dữ liệu mẫu (chỉ để chạy thử).")
@click.option(
    "--full",
    is_flag=True,
    help="Dựng lại mọi trang, không dùng lại trang đã dựng ở lần công bố trước (.congkhai-cache/trang-da-dung).",
)
@click.pass_obj
def publish(obj: dict[str, str], deploy_to: Path | SshTarget | None, allow_sample: bool, full: bool) -> None:
    """Dựng trang, ghi các sự kiện mới vào nhật ký công khai, triển khai nguyên khối.

    Nhật ký chỉ được ghi sau khi dựng và triển khai thành công."""
    from generator.ledger import attest
    from generator.publish.publisher import publish as run_publish

    built: list[Site] = []
    clock: list[str] = []  # this machine's clock against the TSAs', warned at once
    try:
        settings = _settings(obj["config_file"])
        result = run_publish(
            settings,
            lambda site, out: _build_site(obj["config_file"], out, site, built, reuse=not full, deploy_to=deploy_to),
            deploy_to,
            allow_sample,
            # no TSA configured: nothing to ask, and the HTTP and RFC 3161 libraries stay unloaded
            stamp=(lambda note: attest.stamp(settings, note, clock.append, _waiting_for_tokens))
            if settings.timestamping
            else None,
            cosigners=_cosigners(settings),
        )
    except CongkhaiError as exc:
        for message in clock:
            click.echo(f"Cảnh báo: {message}.", err=True)
        _fail(exc)
    for message in clock:
        click.echo(f"Cảnh báo: {message}.", err=True)
    if result.completed:
        click.echo("Đã hoàn tất lần công bố trước bị ngắt giữa chừng (trang đã triển khai, nhật ký chưa ghi xong).")
    for event in result.events:
        click.echo(f"{event['seq']:>5} {event['event']:<9} v{event['version']} {event['id']}  {event['url']}")
    log_name = paths.relpath(settings.log_path, settings.root)
    if result.events:
        click.echo(
            f"Đã ghi {len(result.events)} sự kiện vào {log_name}; đầu chuỗi: seq {result.events[-1]['seq']} {result.events[-1]['hash']}"
        )
    else:
        click.echo(f"Không có thay đổi nào cần ghi vào {log_name}.")
    if result.deployed_to:
        click.echo(f"Đã triển khai vào {result.deployed_to}")
    if result.checkpoint:
        click.echo(f"Checkpoint mới: {result.checkpoint} sự kiện.")
    for name in result.cosigned:
        click.echo(
            f"Đã có chữ ký xác nhận (cosignature) của {name} cho checkpoint mới; trang đã được triển khai lại có nó."
        )
    for name in result.late:
        click.echo(
            f"Dấu thời gian của {name} đến sau khi triển khai: đã lưu cạnh nhật ký và triển khai lại trang có nó."
        )
    if result.late_problem:
        click.echo(
            f"Cảnh báo: chưa triển khai lại được trang với dấu thời gian hoặc chữ ký xác nhận đến sau "
            f"({result.late_problem}); chúng đã được lưu cạnh nhật ký, lần công bố sau sẽ đưa lên trang.",
            err=True,
        )
    if result.clock_note:
        click.echo(f"Cảnh báo: {result.clock_note}; hãy đồng bộ đồng hồ máy (NTP).", err=True)
    for message in result.unstamped:
        click.echo(f"Cảnh báo: {message}; chạy congkhai timestamp để lấy dấu thời gian sau.", err=True)
    for message in result.uncosigned:
        click.echo(f"Cảnh báo: {message}; chạy congkhai timestamp để lấy chữ ký xác nhận sau.", err=True)
    _commit_publication(settings, result.events)
    new = {event["id"] for event in result.events if event["event"] == "published"}
    _warn(cautions(built[-1], new) if built else [])


def _commit_publication(settings: Settings, events: list[dict[str, Any]]) -> None:
    """In a git repository, commit the log and what publish wrote beside it (only those)."""
    from generator.staff import editor

    try:
        short, paths = editor.commit_publication(settings, events)
    except CongkhaiError as exc:
        click.echo(
            f"Cảnh báo: chưa ghi commit nhật ký công khai ({exc}); hãy tự commit nhật ký và thư mục checkpoint.",
            err=True,
        )
        return
    if paths:
        click.echo(
            f"Đã ghi commit {short} nhật ký công khai ({len(paths)} tệp); hãy đẩy lên kho của cơ quan (git push)."
        )


def _waiting_for_tokens(waiting: list[tuple[str, float]]) -> None:
    """Said when the site is deployed and slow TSAs are still being waited for."""
    for name, seconds in waiting:
        click.echo(
            f"Trang đã triển khai; đang chờ dấu thời gian của {name} (tối đa {seconds:g} giây nữa), "
            "trang sẽ được triển khai lại khi có."
        )


def _cosigners(settings: Settings) -> Any:
    """The witnesses of the option ``witnesses`` (checked now, before anything is built), or
    None when there are none (the HTTP library then stays unloaded)."""
    if not settings.witnesses:
        return None
    from generator.ledger import cosigning

    witnesses = cosigning.parse_witnesses(settings.witnesses)
    return lambda note, tree, anchors: cosigning.ask_all(witnesses, note, tree, anchors)


def _check_pins(values: tuple[str, ...]) -> tuple[str, ...]:
    from generator.evidence.verify import valid_pin

    for pin in values:
        if not valid_pin(pin):
            raise click.BadParameter(f"'{pin}' không đúng dạng SEQ:HASH (số thứ tự và 64 ký tự hex)")
    return values


@main.command()
@click.option(
    "--site",
    "site_dir",
    type=click.Path(file_okay=False, exists=True),
    default=None,
    help="Thư mục trang đã dựng/triển khai cần đối chiếu.",
)
@click.option("--url", default=None, help="Địa chỉ gốc của trang đang chạy cần đối chiếu, ví dụ https://…/")
@click.option(
    "--pin",
    "pins",
    multiple=True,
    metavar="SEQ:HASH",
    callback=lambda ctx, param, values: _check_pins(values),
    help="Đầu chuỗi đã chép từ một trang lưu trữ; nhật ký phải còn sự kiện đó với đúng mã băm (dùng nhiều lần được).",
)
@click.option(
    "--since",
    "since",
    multiple=True,
    metavar="TỆP|URL",
    help="Bản nhật ký đã tải về trước đây, hoặc một checkpoint trước đây; nhật ký hiện tại phải mở rộng nó.",
)
@click.option(
    "--trust",
    "trust",
    default=None,
    metavar="TỆP|URL",
    help="Chính sách tin cậy của bên kiểm tra (trust.yml của Thanh tra tỉnh): mọi chứng thư gốc TSA, dung sai "
    "và khóa xác minh của cơ quan lấy từ đây, không lấy từ mkdocs.yml của cơ quan.",
)
@click.pass_obj
def verify(
    obj: dict[str, str],
    site_dir: str | None,
    url: str | None,
    pins: tuple[str, ...],
    since: tuple[str, ...],
    trust: str | None,
) -> None:
    """Kiểm tra chuỗi nhật ký, checkpoint, tệp bản ghi và trang đang phục vụ. Lỗi: mỗi dòng một vấn đề, mã thoát 1.

    Không có --trust, kết quả dựa vào cấu hình của chính cơ quan được kiểm tra (mkdocs.yml),
    không phải bằng chứng độc lập."""
    from generator.evidence.verify import verify as run_verify
    from generator.ledger.trust import load_policy

    try:
        policy = load_policy(trust) if trust else None
        settings = _settings(obj["config_file"])
        problems, log, notes = run_verify(settings, Path(site_dir) if site_dir else None, url, pins, since, policy)
    except CongkhaiError as exc:
        _fail(exc)
    basis = (
        f"theo chính sách tin cậy {trust} (chứng thư gốc, dung sai và khóa xác minh của bên kiểm tra)"
        if policy
        else "theo cấu hình của chính cơ quan (mkdocs.yml): kết quả này dựa vào cấu hình của cơ quan được kiểm tra, "
        "không phải bằng chứng độc lập; hãy chạy lại với --trust và chính sách tin cậy của Thanh tra tỉnh"
    )
    for problem in problems:
        click.echo(str(problem), err=True)
    for note in notes:
        click.echo(f"Ghi chú: {note}", err=True)
    if problems:
        click.echo(f"Có {len(problems)} vấn đề, kiểm tra {basis}.", err=True)
        sys.exit(1)
    head = log.head
    where = f"; các trang đang phục vụ khớp ({site_dir or url})" if (site_dir or url) else ""
    if head:
        click.echo(f"Nhật ký hợp lệ: {head['seq']} sự kiện, đầu chuỗi {head['hash']}{where}; kiểm tra {basis}.")
    else:
        click.echo(f"Nhật ký chưa có sự kiện nào; kiểm tra {basis}.")


@main.command()
@click.pass_obj
def key(obj: dict[str, str]) -> None:
    """In khóa xác minh (vkey) của khóa ký checkpoint đã cấu hình (signing_key), để gửi
    Thanh tra tỉnh ghi vào chính sách tin cậy (trust.yml)."""
    from generator.ledger import checkpoints

    try:
        settings = _settings(obj["config_file"])
        signing = checkpoints.load_signing_key(settings.signing_key, settings.root)
    except CongkhaiError as exc:
        _fail(exc)
    if signing is None:
        _fail(
            CongkhaiError(
                "chưa cấu hình khóa ký checkpoint (signing_key trong mkdocs.yml, hoặc biến môi trường "
                f"{checkpoints.KEY_ENV}): checkpoint của nhật ký chưa được ký"
            )
        )
    click.echo(checkpoints.verifier_key(pipeline.origin(settings), signing.public_key()))


@main.command()
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Thư mục ghi các trang Markdown.")
@click.pass_obj
def render(obj: dict[str, str], out: str) -> None:
    """Ghi các trang Markdown (content/ và bản ghi) ra thư mục, cho công cụ dựng trang khác."""
    try:
        written = pipeline.render_site(_settings(obj["config_file"]), Path(out))
    except CongkhaiError as exc:
        _fail(exc)
    click.echo(f"Đã ghi {len(written)} tệp vào {out}")


def _serve_until_stopped(server: Any, live: Any, lines: list[str]) -> None:
    """Print ``lines`` and the preview's problems if it has any, then serve until Ctrl+C."""
    for line in lines:
        click.echo(line)
    if live.error is not None:
        for problem in live.error.problems:
            click.echo(str(problem), err=True)
        click.echo("Chưa xem trước được: hãy sửa các lỗi trên, trang sẽ tự tải lại.", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@main.command()
@click.option("-a", "--dev-addr", default="127.0.0.1:8000", show_default=True, help="Địa chỉ:cổng để xem trước.")
@click.pass_obj
def serve(obj: dict[str, str], dev_addr: str) -> None:
    """Xem trước trang tại 127.0.0.1:8000: mỗi trang được dựng khi mở, theo bản ghi vừa lưu."""
    from generator.mkdocs_plugin import preview

    try:
        host, port = preview.parse_addr(dev_addr)
        commands.load_config(obj["config_file"])
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
        with preview.workdir() as scratch:
            state = preview.Preview(obj["config_file"], scratch)
            state.refresh()
            server = preview.make_server(state, host, port)
            _serve_until_stopped(server, state, [f"Xem trước: http://{host}:{port}/  ·  Nhấn Ctrl+C để dừng."])
    except KeyboardInterrupt:
        pass
    except CongkhaiError as exc:
        _fail(exc)
    except OSError as exc:
        click.echo(f"Không mở được {dev_addr}: {exc.strerror or exc}", err=True)
        sys.exit(1)


@main.command()
@click.option("--dev-addr", default="127.0.0.1:8000", show_default=True, help="Địa chỉ:cổng, chỉ 127.0.0.1.")
@click.pass_obj
def edit(obj: dict[str, str], dev_addr: str) -> None:
    """Soạn thảo trong trình duyệt: biểu mẫu tại /admin/ và trang xem trước, chỉ trên 127.0.0.1."""
    from generator.mkdocs_plugin import preview
    from generator.staff import editor

    try:
        host, port = editor.parse_addr(dev_addr)
        # SIGTERM stops like Ctrl+C, so that decap-server is stopped with the editor
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
        settings = _settings(obj["config_file"])
        node_modules = editor.decap_dir(settings.root)
        with preview.workdir() as scratch:
            origin = f"http://{host}:{port}"
            with editor.decap_server(settings.root, node_modules, origin=origin) as api_url:
                live = preview.Preview(obj["config_file"], scratch)
                live.refresh()
                state = editor.EditServer(settings, node_modules, api_url, live.answer)
                server = editor.make_server(state, host, port)
                lines = [f"Trình soạn thảo: {origin}/admin/  ·  xem trước: {origin}/"]
                lines.append("Nhấn Ctrl+C để dừng. Lưu vào kho bằng: congkhai commit; công bố bằng: congkhai publish")
                _serve_until_stopped(server, live, lines)
    except KeyboardInterrupt:
        pass
    except CongkhaiError as exc:
        _fail(exc)


@main.command()
@click.pass_obj
def commit(obj: dict[str, str]) -> None:
    """Kiểm tra như congkhai check rồi ghi một commit git các bản ghi đã thay đổi; có lỗi thì không ghi gì."""
    from generator.staff import editor

    try:
        committed = editor.commit(_settings(obj["config_file"]))
    except CongkhaiError as exc:
        _fail(exc)
    if not committed:
        click.echo("Không có bản ghi nào thay đổi; không có gì để ghi.")
        return
    click.echo(f"Đã kiểm tra và ghi commit {len(committed)} tệp:")
    for path in committed:
        click.echo(f"  {path}")


@main.command("cms-config")
@click.option(
    "--backend",
    type=click.Choice(sorted(cms.BACKENDS)),
    required=True,
    help="Máy chủ git của cơ quan: gitea, forgejo hoặc gitlab.",
)
@click.option("--repo", required=True, help="Kho trên máy chủ git, dạng chủ-sở-hữu/tên.")
@click.option("--base-url", required=True, help="Địa chỉ máy chủ git, ví dụ https://git.example.gov.vn.")
@click.option("--branch", default="main", show_default=True, help="Nhánh ghi bản ghi.")
@click.option(
    "--out", default=None, type=click.Path(dir_okay=False), help="Tệp ghi cấu hình (mặc định: in ra màn hình)."
)
@click.pass_obj
def cms_config(obj: dict[str, str], backend: str, repo: str, base_url: str, branch: str, out: str | None) -> None:
    """Cấu hình Decap CMS (config.yml) cho người soạn thảo trên máy chủ git của cơ quan."""
    if not re.fullmatch(r"[\w.-]+(/[\w.-]+)+", repo):
        raise click.BadParameter(f"'{repo}' không phải dạng chủ-sở-hữu/tên", param_hint="--repo")
    if not re.match(r"https?://[^/\s]+", base_url):
        raise click.BadParameter(f"'{base_url}' phải bắt đầu bằng http:// hoặc https://", param_hint="--base-url")
    try:
        settings = _settings(obj["config_file"])
        categories = load_categories(settings.disclosures_dir, settings.root)
        folder = settings.disclosures_dir.relative_to(settings.root).as_posix()
        config = cms.cms_config(
            categories, load_common(), folder, backend=backend, repo=repo, base_url=base_url, branch=branch
        )
    except CongkhaiError as exc:
        _fail(exc)
    text = cms.config_yaml(config)
    if out:
        Path(out).write_text(text, encoding="utf-8")
        click.echo(f"Đã ghi cấu hình Decap CMS vào {out}")
    else:
        click.echo(text, nl=False)


@main.command()
@click.pass_obj
def timestamp(obj: dict[str, str]) -> None:
    """Lấy dấu thời gian RFC 3161 và chữ ký xác nhận của nhân chứng còn thiếu cho các
    checkpoint (khi đơn vị cấp dấu thời gian hay nhân chứng không trả lời lúc công bố). Tệp
    mới nằm cạnh nhật ký; trang có chúng từ lần dựng sau."""
    from generator.ledger import attest, checkpoints, cosigning, merkle

    try:
        settings = _settings(obj["config_file"])
        if not settings.timestamping and not settings.witnesses:
            raise CongkhaiError(
                "chưa khai báo đơn vị cấp dấu thời gian (timestamping) hay nhân chứng (witnesses) trong mkdocs.yml"
            )
        witnesses = cosigning.parse_witnesses(settings.witnesses)
        anchors = pipeline.load_anchors(settings)
        added, failed = attest.fill_missing(settings, anchors) if settings.timestamping else ([], [])
        if witnesses:
            raw = settings.log_path.read_bytes() if settings.log_path.is_file() else b""
            tree = merkle.Tree(merkle.log_leaves(raw))
            folder = checkpoints.store_dir(settings.log_path)
            more, missed = cosigning.fill_missing(witnesses, folder, anchors, tree)
            added, failed = added + more, failed + missed
    except CongkhaiError as exc:
        _fail(exc)
    for line in added:
        click.echo(f"Đã lấy {line}.")
    for line in failed:
        click.echo(line, err=True)
    if failed:
        click.echo(f"Còn {len(failed)} dấu thời gian hoặc chữ ký xác nhận chưa lấy được; chạy lại lệnh sau.", err=True)
        sys.exit(1)
    if not added:
        wanted = [w for w, on in (("dấu thời gian", settings.timestamping), ("chữ ký xác nhận", witnesses)) if on]
        click.echo(f"Mọi checkpoint đã có đủ {' và '.join(wanted)}.")


def _suggest(wanted: str, choices: list[str]) -> str | None:
    """The choice ``wanted`` was meant to be: the same without diacritics or case
    (``lịch`` -> ``lich``), or a close spelling."""
    folded = slugify(wanted)
    if folded in choices:
        return folded
    close = difflib.get_close_matches(folded or wanted, choices, n=1, cutoff=0.6)
    return close[0] if close else None


@main.command()
@click.argument("category")
@click.option("--kind", default=None, help="Loại thông tin trong chuyên mục.")
@click.option("--title", default="", help="Tiêu đề của thông tin (cũng là tên tệp, tối đa 80 ký tự).")
@click.option(
    "--format",
    "form",
    type=click.Choice(FORMATS),
    default="yml",
    help="yml: tệp YAML (mặc định); md: các trường giữa hai dòng --- rồi nội dung viết bằng Markdown.",
)
@click.pass_obj
def new(obj: dict[str, str], category: str, kind: str | None, title: str, form: str) -> None:
    """Tạo khung một bản ghi mới và in đường dẫn của nó."""
    try:
        settings = _settings(obj["config_file"])
        categories = load_categories(settings.disclosures_dir, settings.root)
    except CongkhaiError as exc:
        _fail(exc)
    if category not in categories:
        guess = _suggest(category, list(categories))
        raise click.UsageError(
            f"chuyên mục '{category}' không tồn tại; "
            + (f"có phải ý bạn là '{guess}'? " if guess else "")
            + f"chọn một trong: {', '.join(categories)}"
        )
    cat = categories[category]
    kinds = ", ".join(f"{slug} ({label})" for slug, label in cat.kinds.items())
    if cat.kinds and kind is None:
        raise click.UsageError(f"cần --kind, một trong: {', '.join(cat.kinds)}")
    if cat.kinds and kind not in cat.kinds:
        guess = _suggest(kind or "", list(cat.kinds))
        hint = f"có phải ý bạn là --kind {guess}? " if guess else ""
        raise click.UsageError(
            f"loại '{kind}' không có trong chuyên mục {category}; {hint}cần --kind, một trong: {', '.join(cat.kinds)}"
            + f" ({kinds})"
        )
    if not cat.kinds and kind:
        raise click.UsageError(f"chuyên mục '{category}' không chia loại; bỏ --kind")
    path = write_skeleton(
        settings.disclosures_dir, cat, load_common(), kind, title, office_today(settings.timezone), form=form
    )
    click.echo(path.relative_to(settings.root).as_posix())


@main.command()
@click.option("--year", "year_text", required=True, metavar="YYYY", help="Năm đánh giá, ví dụ 2026.")
@click.option(
    "--format",
    "formats",
    default="html,csv,xlsx",
    show_default=True,
    help="Định dạng cần ghi, cách nhau bằng dấu phẩy: html, csv, xlsx.",
)
@click.option(
    "--out", default=".", type=click.Path(file_okay=False), help="Thư mục ghi báo cáo (mặc định: thư mục hiện tại)."
)
@click.pass_obj
def report(obj: dict[str, str], year_text: str, formats: str, out: str) -> None:
    """Bảng tài liệu kiểm chứng tiêu chí B1 của một năm (HTML để in, CSV, Excel)."""
    from generator.evidence.report import build_report, check_year, parse_formats, write_report
    from generator.evidence.verify import verify as run_verify

    try:
        chosen = parse_formats(formats)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--format") from None
    try:
        settings = _settings(obj["config_file"])
        year = check_year(year_text, office_today(settings.timezone))
        site = pipeline.load(settings)
        broken = chain_problems(site.log)
        if broken:
            name = paths.relpath(settings.log_path, settings.root)
            raise CongkhaiError(
                [
                    *broken,
                    Problem(name, 1, "log", "nhật ký công bố không toàn vẹn; chưa lập báo cáo (xem congkhai verify)"),
                ]
            )
        made = build_report(site, site.log, year)
        made.verification = [str(p) for p in run_verify(settings)[0]]
        written = write_report(made, Path(out), chosen)
    except CongkhaiError as exc:
        _fail(exc)
    except OSError as exc:
        _fail(CongkhaiError(f"không ghi được báo cáo vào {out}: {exc.strerror or exc}"))
    for path in written:
        click.echo(str(path))
    s = made.summary
    click.echo(
        f"Năm {year}: {s.rows} dòng ({s.public} công khai, {s.internal} nội bộ), {s.incomplete} còn thiếu tài liệu"
        + f", {s.late} công bố trễ hạn.",
        err=True,
    )


@main.command()
@click.option("--year", "year_text", required=True, metavar="YYYY", help="Năm đánh giá, ví dụ 2026.")
@click.option(
    "--out",
    default=None,
    type=click.Path(file_okay=False),
    help="Thư mục ghi hồ sơ, phải chưa có hoặc trống (mặc định: ho-so-minh-chung-YYYY trong thư mục dự án, "
    "đã có trong .gitignore); tệp .zip nằm cạnh nó.",
)
@click.pass_obj
def evidence(obj: dict[str, str], year_text: str, out: str | None) -> None:
    """Hồ sơ minh chứng của một năm gửi Thanh tra: báo cáo B1 (PDF, Excel), trang của mỗi hồ sơ in
    ra PDF, tệp đính kèm, bằng chứng, dấu thời gian, nhật ký, hướng dẫn và chương trình kiểm tra."""
    from generator.evidence import dossier_verifier
    from generator.evidence.dossier import make_dossier
    from generator.evidence.report import check_year

    try:
        settings = _settings(obj["config_file"])
        year = check_year(year_text, office_today(settings.timezone))
        made = make_dossier(
            settings,
            year,
            Path(out) if out else settings.root / f"ho-so-minh-chung-{year}",
            lambda folder: _build_site(obj["config_file"], folder),
        )
    except CongkhaiError as exc:
        _fail(exc)
    click.echo(f"Đã lập hồ sơ minh chứng năm {year}: {made.folder} ({made.files} tệp, {len(made.entries)} hồ sơ)")
    click.echo(f"Bản nén: {made.archive}")
    click.echo(made.check_output.rstrip())
    if made.report.verification:
        click.echo(
            f"Cảnh báo: congkhai verify có {len(made.report.verification)} vấn đề (ghi trong báo cáo).", err=True
        )
    for line in made.sealed:
        click.echo(f"- {line[0].upper()}{line[1:]}")
    if made.check_code == dossier_verifier.NOT_ENOUGH:
        click.echo(
            "Hồ sơ nhất quán nhưng CHƯA ĐỦ CĂN CỨ (xem các dòng Lý do): Thanh tra sẽ không chấm được B1 chỉ từ hồ sơ này.",
            err=True,
        )
    elif made.check_code != dossier_verifier.PASS:
        click.echo("Hồ sơ vừa lập không qua chương trình kiểm tra của chính nó; xem các lỗi ở trên.", err=True)
        sys.exit(1)


@main.command("kiem-tra")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--trust",
    "trust_file",
    default=None,
    type=click.Path(dir_okay=False),
    help="Chính sách tin cậy của Thanh tra (trust.yml): chứng thư gốc, khóa và dung sai lấy từ đây, không từ hồ sơ.",
)
def kiem_tra(folder: str, trust_file: str | None) -> None:
    """Kiểm tra một hồ sơ minh chứng bằng chương trình kiểm tra của bản congkhai đã cài (không dùng
    kiem-tra.py trong hồ sơ, chỉ so sánh nó): tính lại mọi kết luận của báo cáo B1. Mã thoát 0 ĐẠT,
    1 KHÔNG ĐẠT, 3 CHƯA ĐỦ CĂN CỨ."""
    from generator.evidence import dossier_verifier

    trust = more = None
    if trust_file is not None:
        from generator.evidence import dossier_signatures
        from generator.ledger.trust import load_policy

        try:  # the one reader of trust.yml (also for a URL); the checker gets what it uses of it
            policy = load_policy(trust_file)
        except CongkhaiError as exc:
            _fail(exc)
        trust = dossier_verifier.Trust(
            source=policy.source,
            roots={t.name: (t.root_pem, t.accuracy_seconds) for t in policy.tsas},
            offices=[(o.name, o.url, o.key) for o in policy.offices],
            witnesses=[(w.name, w.key) for w in policy.witnesses],
            max_delay_hours=policy.max_timestamp_delay_hours,
            clock_skew_seconds=policy.clock_skew_seconds,
            require_timestamps=policy.require_timestamps,
            required_cosignatures=policy.required_cosignatures,
        )

        def more(root: Path) -> list[tuple[str, int, str, str]]:
            return dossier_signatures.problems(root, policy)

    code, lines = dossier_verifier.check(Path(folder), trust, installed=dossier_verifier_source(), more=more)
    click.echo("\n".join(lines))
    sys.exit(code)


def dossier_verifier_source() -> bytes:
    """The installed checker's own source: what the dossier's ``kiem-tra.py`` must be."""
    from generator.evidence import dossier_verifier

    return Path(dossier_verifier.__file__).read_bytes()


def _checked(check: Any) -> Any:
    """A click callback running ``check`` (a Vietnamese ``ValueError`` becomes a usage error)."""

    def callback(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return check(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None

    return callback


@main.command()
@click.argument("folder", metavar="DIR", type=click.Path(file_okay=False))
@click.option(
    "--agency",
    default=None,
    callback=_checked(check_agency),
    help='Tên đầy đủ của cơ quan (chân trang, báo cáo), ví dụ "Sở Tài chính tỉnh An Giang".',
)
@click.option(
    "--site-url",
    default=None,
    callback=_checked(check_site_url),
    help="Địa chỉ cố định của trang, http:// hoặc https://, ví dụ https://congkhai.ten-co-quan.gov.vn/.",
)
@click.option("--sample", is_flag=True, help="Chép cả dữ liệu mẫu (sample: true) để chạy thử.")
@click.option("--force", is_flag=True, help="Ghi vào thư mục không trống (ghi đè tệp cùng tên).")
@click.option(
    "--key",
    "key_file",
    default=None,
    type=click.Path(dir_okay=False),
    help="Nơi tạo khóa ký checkpoint (Ed25519, ngoài kho; mặc định ~/.config/congkhai/<tên miền>.pem); "
    "khóa đã có ở đó được giữ nguyên.",
)
def init(
    folder: str, agency: str | None, site_url: str | None, sample: bool, force: bool, key_file: str | None
) -> None:
    """Tạo dự án mới cho một cơ quan: cấu hình, sáu nhóm, trang giới thiệu và hướng dẫn,
    cấu hình máy chủ web, ví dụ CI, khóa ký checkpoint ngoài kho; không có dữ liệu mẫu trừ khi dùng --sample."""
    try:
        made = init_project(Path(folder), agency, site_url, sample, force, Path(key_file) if key_file else None)
    except CongkhaiError as exc:
        _fail(exc)
    click.echo(
        f"Đã tạo dự án trong {made.folder} ({len(made.files)} tệp"
        + (f", {made.samples} hồ sơ mẫu)." if sample else ").")
    )
    click.echo(
        f"{'Đã tạo' if made.key_created else 'Dùng lại'} khóa ký checkpoint {made.key_file} (ngoài kho, chỉ chủ "
        "sở hữu đọc được; hãy sao lưu ở nơi an toàn, mất khóa thì không ký tiếp được)."
    )
    click.echo("Khóa xác minh (gửi Thanh tra tỉnh để ghi vào chính sách tin cậy trust.yml):")
    click.echo(f"  {made.vkey}")
    click.echo("Bước tiếp theo:")
    click.echo(f"  cd {made.folder}")
    if agency is None or site_url is None:
        click.echo("  sửa site_name, site_url và agency trong mkdocs.yml")
    click.echo("  congkhai check && congkhai serve")


_STATUS_HEADINGS = {
    "missing": "Thiếu: đã quá hạn mà chưa có bản ghi",
    "late": "Công bố muộn",
    "unpublished": "Có bản ghi nhưng chưa công bố, đã quá hạn",
    "upcoming": "Sắp đến hạn",
    "ok": "Đã công bố đúng hạn",
}


def _parse_day(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return parse_date(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@main.command()
@click.option(
    "--today",
    default=None,
    callback=_parse_day,
    metavar="YYYY-MM-DD",
    help="Xem tình hình tính đến ngày này (mặc định: hôm nay theo giờ Việt Nam); sự kiện sau ngày này trong nhật ký bị bỏ qua.",
)
@click.pass_obj
def status(obj: dict[str, str], today: dt.date | None) -> None:
    """Những gì đến hạn hoặc còn thiếu: lịch và biên bản tiếp công dân từng tháng, tình hình
    thực hiện dự toán từng quý, mọi bản ghi so với hạn công bố của nó (ngày công bố lấy
    từ nhật ký công bố).

    \b
    Mã thoát:
      0  không có mục nào thiếu hoặc công bố muộn
      1  có mục thiếu (quá hạn mà chưa có bản ghi) hoặc công bố muộn,
         hoặc bản ghi, quy tắc, nhật ký có lỗi
      2  dùng sai lệnh (ví dụ --today không phải là ngày)
    """
    from generator.evidence import deadlines

    try:
        settings = _settings(obj["config_file"])
        today = today or office_today(settings.timezone)
        site = pipeline.load(settings, today)
        items = deadlines.status_items(site, site.log, today)
    except CongkhaiError as exc:
        _fail(exc)
    titles = {slug: c.title for slug, c in site.categories.items()}
    click.echo(f"Tình hình công bố tính đến ngày {format_date(today)}")
    for state in deadlines.STATES:
        group = [i for i in items if i.state == state]
        if not group:
            continue
        click.echo(f"\n{_STATUS_HEADINGS[state]} ({len(group)}):")
        for item in group:
            line = f"  hạn {format_date(item.due)}  {titles.get(item.category, item.category)}: {item.what}"
            if item.record_key:
                line += f" [{item.record_key}]"
            if item.published is not None:
                line += f"; công bố {format_date(item.published)}"
                if item.attested_by:
                    line += f" (theo dấu thời gian {item.attested_by})"
                elif settings.timestamping:
                    line += " (chỉ theo đồng hồ của cơ quan)"
                if item.state == "late":
                    line += f", muộn {item.days_late} ngày"
            click.echo(line)
            click.echo(f"      căn cứ: {item.basis}")
    anchors = site.anchors
    unstamped = [size for size in sorted(anchors.notes) if settings.timestamping and not anchors.tokens.get(size)]
    if unstamped:
        click.echo(f"\nCheckpoint chưa có dấu thời gian ({len(unstamped)}): " + ", ".join(map(str, unstamped)))
        click.echo("      chạy congkhai timestamp để lấy dấu thời gian còn thiếu")
    counts = {state: sum(1 for i in items if i.state == state) for state in deadlines.STATES}
    click.echo(
        f"\nTổng cộng: {counts['missing']} thiếu, {counts['late']} công bố muộn, "
        f"{counts['unpublished']} chưa công bố, {counts['upcoming']} sắp đến hạn, {counts['ok']} đúng hạn."
    )
    if deadlines.failing(items):
        sys.exit(1)


@main.group(name="witness")
def witness_group() -> None:
    """Phía Thanh tra tỉnh: theo dõi nhật ký công bố của nhiều cơ quan (witness.yml)."""


WITNESS_CONFIG_HELP = "Tệp danh sách cơ quan cần theo dõi."
WITNESS_STORE_HELP = "Thư mục lưu những gì đã thấy (tệp thường, có thể đưa vào git)."
WITNESS_TRUST_HELP = (
    "Chính sách tin cậy (trust.yml, tệp hoặc URL): đơn vị cấp dấu thời gian, khóa của các cơ quan và nhân chứng "
    "lấy từ đây; thay cho khóa trust: trong witness.yml."
)


@witness_group.command(name="sync")
@click.option("--config", "config_path", default="witness.yml", show_default=True, help=WITNESS_CONFIG_HELP)
@click.option("--store", default="witness-store", show_default=True, help=WITNESS_STORE_HELP)
@click.option("--trust", default=None, help=WITNESS_TRUST_HELP)
def witness_sync(config_path: str, store: str, trust: str | None) -> None:
    """Tải checkpoint và phần mới của nhật ký của từng cơ quan, kiểm tra chuỗi, sự nhất quán
    với mọi checkpoint đã thấy và dấu thời gian; lưu lại những gì đã thấy.

    \b
    Mã thoát:
      0  mọi cơ quan đều khớp
      1  có cơ quan lỗi (không truy cập được, trả lời sai) hoặc xung đột
         (nhật ký bị viết lại, cắt bớt), hoặc witness.yml có lỗi
    """
    from generator.witness import config as witness_config
    from generator.witness import sync as witness

    try:
        config = witness_config.load_config(Path(config_path), config_path, trust)
    except CongkhaiError as exc:
        _fail(exc)
    with progress.task("Đồng bộ nhật ký", total=len(config.agencies)) as bar:

        def show(outcome: witness.Outcome) -> None:
            if not bar.print(outcome.line()):
                click.echo(outcome.line())
            bar.advance()

        try:
            outcomes = witness.sync(config, Path(store), progress=show)
        except CongkhaiError as exc:  # another sync holds the store's lock
            _fail(exc)
    bad = [o for o in outcomes if o.state != witness_config.OK]
    click.echo(f"Đã kiểm tra {len(outcomes)} cơ quan: {len(outcomes) - len(bad)} đạt, {len(bad)} có vấn đề.")
    if bad:
        sys.exit(1)


@witness_group.command(name="serve")
@click.option("--config", "config_path", default="witness.yml", show_default=True, help=WITNESS_CONFIG_HELP)
@click.option("--store", default="witness-store", show_default=True, help=WITNESS_STORE_HELP)
@click.option("--listen", default="127.0.0.1:8470", show_default=True, help="Địa chỉ và cổng nghe (đặt sau nginx).")
@click.option(
    "--key",
    "key_path",
    default=None,
    help="Tệp khóa riêng Ed25519 (PEM) của nhân chứng; hoặc biến môi trường CONGKHAI_WITNESS_KEY.",
)
@click.option("--trust", default=None, help=WITNESS_TRUST_HELP)
def witness_serve(config_path: str, store: str, listen: str, key_path: str | None, trust: str | None) -> None:
    """Nhân chứng ký xác nhận checkpoint (C2SP tlog-witness): POST /add-checkpoint cho các cơ
    quan có key trong witness.yml. Kiểm tra chữ ký của cơ quan và bằng chứng nhất quán từ
    checkpoint đã ký xác nhận trước, lưu lại rồi trả chữ ký xác nhận có ghi thời điểm."""
    import os

    from generator.witness import config as witness_config
    from generator.witness import serve

    try:
        host, port = serve.parse_listen(listen)
    except ValueError as exc:
        _fail(CongkhaiError(f"--listen: {exc}"))
    try:
        config = witness_config.load_config(Path(config_path), config_path, trust)
        key = serve.load_key(key_path, dict(os.environ))
        state = serve.Witness(config, Path(store), key)
        httpd = serve.server(state, host, port, lambda line: click.echo(line, err=True))
    except CongkhaiError as exc:
        _fail(exc)
    except OSError as exc:
        _fail(CongkhaiError(f"--listen {listen}: không mở được cổng ({exc.strerror or exc})"))

    def stop(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    click.echo(f"Khóa kiểm tra của nhân chứng: {state.vkey}")
    click.echo(f"Đang nghe http://{host}:{httpd.server_address[1]}/add-checkpoint")
    sys.stdout.flush()
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()


@witness_group.command(name="report")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Thư mục ghi trang tổng quan.")
@click.option("--store", default="witness-store", show_default=True, help=WITNESS_STORE_HELP)
def witness_report_command(out: str, store: str) -> None:
    """Trang tổng quan tĩnh (HTML, CSV, XLSX) từ những gì đã lưu: mỗi cơ quan một dòng và một trang."""
    from generator.witness import report as witness_report

    if not Path(store).is_dir():
        _fail(CongkhaiError(f"không có thư mục lưu {store}; hãy chạy congkhai witness sync trước"))
    offices = witness_report.write_report(Path(store), Path(out))
    click.echo(f"Đã lập trang tổng quan của {len(offices)} cơ quan: {Path(out) / 'index.html'}")


if __name__ == "__main__":  # pragma: no cover
    main()
