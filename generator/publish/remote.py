"""Deploying to a web server over SSH (``publish --deploy-to ssh://USER@HOST[:PORT]/PATH``).

The system's ``ssh`` and ``rsync`` do the work; the server needs a POSIX shell, GNU
coreutils (``mv -T``) and ``rsync``. On the server the layout is the local one:
``<PATH parent>/.<name>-releases/<stamp>/`` holds each release and ``PATH`` is a symlink
switched with one atomic rename (``ln -sfn <release> <tmp-link> && mv -T <tmp-link> PATH``),
so the web server serving ``PATH`` shows the old site or the new one, never a half-copied one.

How to reach the server:

- ``ssh`` runs with ``-o BatchMode=yes`` (it never asks for a password or a host key: the
  server's key must already be in ``known_hosts``), the URL's port and user;
- ``CONGKHAI_SSH_KEY``: the private key to log in with (``-i KEY -o IdentitiesOnly=yes``);
- ``CONGKHAI_SSH_OPTIONS``: more ``ssh`` options, split like a shell would
  (``-o UserKnownHostsFile=/etc/congkhai/known_hosts -o ProxyJump=bastion``).

Errors are :class:`CongkhaiError` in Vietnamese; nothing here imports MkDocs.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from generator.core import paths
from generator.core.errors import CongkhaiError

COMMAND_TIMEOUT = 120
"""Seconds a short remote command (check, switch, read the log) may take."""
SSH_UNREACHABLE = 255
"""``ssh``'s exit status when it could not connect or log in."""
SCHEME = "ssh://"


@dataclass(frozen=True)
class SshTarget:
    """``ssh://USER@HOST[:PORT]/PATH``: the folder the web server serves, on another machine."""

    host: str
    path: PurePosixPath
    user: str | None = None
    port: int | None = None

    def __str__(self) -> str:
        user = f"{self.user}@" if self.user else ""
        port = f":{self.port}" if self.port else ""
        return f"{SCHEME}{user}{self.host}{port}{self.path}"

    @property
    def destination(self) -> str:
        return f"{self.user}@{self.host}" if self.user else self.host

    @property
    def releases(self) -> PurePosixPath:
        return self.path.parent / f".{self.path.name}-releases"

    @property
    def new_link(self) -> PurePosixPath:
        return self.path.parent / f".{self.path.name}.new-link"


def is_ssh(text: str) -> bool:
    return text.startswith(SCHEME)


def parse_target(text: str) -> SshTarget:
    """Parse ``ssh://USER@HOST[:PORT]/PATH``; a Vietnamese :class:`ValueError` otherwise."""
    example = "ví dụ ssh://congkhai@may-chu-web.gov.vn/var/www/congkhai hoặc ssh://congkhai@10.0.0.5:2222/srv/congkhai"
    parts = urlsplit(text)
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"'{text}': cổng không hợp lệ; {example}") from None
    if parts.scheme != "ssh" or not parts.hostname or parts.query or parts.fragment or parts.password:
        raise ValueError(f"'{text}' không phải địa chỉ ssh://NGƯỜI-DÙNG@MÁY-CHỦ[:CỔNG]/ĐƯỜNG-DẪN; {example}")
    path = PurePosixPath(unquote(parts.path))
    if not path.is_absolute() or path == PurePosixPath("/") or ".." in path.parts or not path.name:
        raise ValueError(
            f"'{text}': đường dẫn trên máy chủ phải là đường dẫn tuyệt đối tới thư mục trang, khác '/'; {example}"
        )
    return SshTarget(parts.hostname, path, unquote(parts.username) if parts.username else None, port)


def ssh_command(target: SshTarget) -> list[str]:
    """``ssh`` with its options, without the destination."""
    command = [
        "ssh",
        "-o",
        "BatchMode=yes",
        "-o",
        "ConnectTimeout=20",
        "-o",
        "ServerAliveInterval=15",
        "-o",
        "ServerAliveCountMax=4",
    ]
    if target.port:
        command += ["-p", str(target.port)]
    key = os.environ.get("CONGKHAI_SSH_KEY", "").strip()
    if key:
        command += ["-i", os.path.expanduser(key), "-o", "IdentitiesOnly=yes"]
    return command + shlex.split(os.environ.get("CONGKHAI_SSH_OPTIONS", ""))


def _why(stderr: bytes | str) -> str:
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "không rõ lý do"


def _missing(tool: str) -> CongkhaiError:
    package = "openssh-client" if tool == "ssh" else tool
    return CongkhaiError(f"không tìm thấy lệnh {tool} trên máy này; hãy cài gói {package}")


def run(target: SshTarget, script: str, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[bytes]:
    """Run a POSIX shell ``script`` on the server; its exit status must be in ``ok``."""
    try:
        done = subprocess.run(
            [*ssh_command(target), target.destination, script],
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=COMMAND_TIMEOUT,
        )
    except FileNotFoundError:
        raise _missing("ssh") from None
    except subprocess.TimeoutExpired:
        raise CongkhaiError(
            f"không kết nối được máy chủ qua SSH: {target.destination} không trả lời sau {COMMAND_TIMEOUT} giây"
        ) from None
    if done.returncode == SSH_UNREACHABLE:
        raise CongkhaiError(f"không kết nối được máy chủ qua SSH: {_why(done.stderr)}")
    if done.returncode not in ok:
        raise CongkhaiError(f"máy chủ {target.destination}: {_why(done.stderr)}")
    return done


def q(path: PurePosixPath | str) -> str:
    return shlex.quote(str(path))


def prepare(target: SshTarget) -> PurePosixPath | None:
    """Check the server (reachable, rsync installed, ``PATH`` a folder or a symlink), create
    the releases folder; return the release ``PATH`` points at now, if any."""
    script = f"""
command -v rsync >/dev/null 2>&1 || {{ echo "máy chủ chưa cài rsync (apt-get install rsync)" >&2; exit 3; }}
if [ -e {q(target.path)} ] && [ ! -L {q(target.path)} ] && [ ! -d {q(target.path)} ]; then
  echo "{target.path} không phải thư mục" >&2; exit 4
fi
mkdir -p {q(target.releases)} || exit 5
if [ -L {q(target.path)} ]; then readlink {q(target.path)}; fi
"""
    out = run(target, script).stdout.decode("utf-8", "replace").strip()
    return PurePosixPath(out) if out.startswith("/") else None


def copy(local: Path, target: SshTarget, release: PurePosixPath, current: PurePosixPath | None) -> None:
    """``rsync -a --delete`` the built ``local`` folder into ``release`` on the server
    (files unchanged since ``current`` are taken from it there)."""
    command = ["rsync", "-a", "--delete", "-e", shlex.join(ssh_command(target))]
    if current is not None and current.parent == target.releases:
        command.append(f"--link-dest={current}")
    command += [f"{local}/", f"{target.destination}:{release}/"]
    try:
        done = subprocess.run(command, capture_output=True, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise _missing("rsync") from None
    if done.returncode != 0:
        why = _why(done.stderr) if done.returncode > 0 else f"rsync bị dừng (tín hiệu {-done.returncode})"
        raise CongkhaiError(f"không chép được trang lên máy chủ qua SSH: {why}")


def switch(target: SshTarget, release: PurePosixPath) -> None:
    """Point ``PATH`` at ``release`` with one atomic rename of a symlink (the very first
    deploy onto a real folder moves that folder into the releases folder first)."""
    script = f"""set -e
if [ -e {q(target.path)} ] && [ ! -L {q(target.path)} ]; then mv {q(target.path)} {q(target.releases / "initial")}; fi
ln -sfn {q(release)} {q(target.new_link)} && mv -T {q(target.new_link)} {q(target.path)}
"""
    run(target, script)


def remove(target: SshTarget, release: PurePosixPath) -> None:
    """Best effort: delete a release that was never switched to."""
    with contextlib.suppress(CongkhaiError):
        run(target, f"rm -rf -- {q(release)}")


def prune(target: SshTarget, keep: int) -> None:
    """Best effort: keep the newest ``keep`` releases on the server, and always the current one."""
    script = f"""releases={q(target.releases)}
cd "$releases" || exit 0
current=$(readlink {q(target.path)} || true)
ls -1 | LC_ALL=C sort | head -n -{keep} | while IFS= read -r name; do
  [ "$releases/$name" = "$current" ] || rm -rf -- "$name"
done
"""
    with contextlib.suppress(CongkhaiError):
        run(target, script)


def served_log(target: SshTarget) -> bytes | None:
    """The publication log the server serves now, or None when there is none."""
    served = target.path / paths.LOG_JSONL
    done = run(target, f"if [ -f {q(served)} ]; then cat {q(served)}; else exit 3; fi", ok=(0, 3))
    return done.stdout if done.returncode == 0 else None
