"""``publish --deploy-to ssh://…``: deploying to a real OpenSSH server on 127.0.0.1.

The test starts Debian's ``/usr/sbin/sshd`` on a free port with a host key and a client key
it generates into tmp_path (``StrictModes no``, ``UsePAM no``, only the generated key, only
the current user: as root in CI the login user is root, so ``AllowUsers`` and the single
authorized key restrict it). The "server" folder is in tmp_path on the same machine; nginx
then serves what was deployed there and ``congkhai verify --url`` checks it.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main
from tests.conftest import run_cli
from tests.servers import free_port, nginx

SSHD = Path("/usr/sbin/sshd")
LICH = "disclosures/tiep-cong-dan/2026/lich-thang-05.yml"


@dataclass
class Sshd:
    port: int
    user: str
    env: dict[str, str]
    """``CONGKHAI_SSH_KEY`` and ``CONGKHAI_SSH_OPTIONS`` that reach this server."""

    def url(self, path: Path) -> str:
        return f"ssh://{self.user}@127.0.0.1:{self.port}{path}"


@pytest.fixture(scope="module")
def sshd(tmp_path_factory) -> Iterator[Sshd]:
    for tool in (str(SSHD), "ssh", "ssh-keygen", "rsync"):
        if not shutil.which(tool):
            pytest.fail(f"{tool} is missing: scripts/setup installs openssh-server and rsync")
    work = tmp_path_factory.mktemp("sshd")
    for key in ("host_key", "client_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(work / key)], check=True)
    (work / "authorized_keys").write_bytes((work / "client_key.pub").read_bytes())
    if os.geteuid() == 0:  # sshd's privilege separation folder (systemd makes it at boot)
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    user, port = getpass.getuser(), free_port()
    config = work / "sshd_config"
    config.write_text(f"""\
Port {port}
ListenAddress 127.0.0.1
HostKey {work / "host_key"}
PidFile {work / "sshd.pid"}
AuthorizedKeysFile {work / "authorized_keys"}
AllowUsers {user}
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
StrictModes no
UsePAM no
LogLevel ERROR
""")
    test = subprocess.run([str(SSHD), "-t", "-f", str(config)], capture_output=True, text=True)
    assert test.returncode == 0, f"sshd -t: {test.stderr}"
    log = open(work / "sshd.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([str(SSHD), "-D", "-e", "-f", str(config)], stderr=log)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert proc.poll() is None, (work / "sshd.log").read_text()
                time.sleep(0.05)
        host_key = (work / "host_key.pub").read_text().split()
        (work / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_key[0]} {host_key[1]}\n")
        env = {
            "CONGKHAI_SSH_KEY": str(work / "client_key"),
            "CONGKHAI_SSH_OPTIONS": f"-F /dev/null -o UserKnownHostsFile={work / 'known_hosts'} -o StrictHostKeyChecking=yes",
        }
        yield Sshd(port, user, env)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


@pytest.fixture
def ssh_env(sshd, monkeypatch) -> Sshd:
    for name, value in sshd.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CONGKHAI_CRASH_AT", raising=False)
    return sshd


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def verify_url(root: Path, www: Path, work: Path) -> None:
    """``congkhai verify --url`` against nginx serving the deployed folder (as it is now)."""
    with nginx(www, work) as url:
        result = run_cli(root, "verify", "--url", url)
    assert result.exit_code == 0, result.output
    assert "các trang đang phục vụ khớp" in result.output


def edit(root: Path, note: str) -> None:
    path = root / LICH
    path.write_text(path.read_text(encoding="utf-8") + f"change_note: {note}\n", encoding="utf-8")


def test_publish_over_ssh_switches_atomically_and_verifies(make_project, ssh_env, tmp_path):
    root = make_project()
    server = tmp_path / "server"
    server.mkdir()
    www = server / "www"
    result = run_cli(root, "publish", "--allow-sample", "--deploy-to", ssh_env.url(www))
    assert result.exit_code == 0, result.output
    assert f"Đã triển khai vào {ssh_env.url(www)}" in result.output
    releases = server / ".www-releases"
    assert www.is_symlink() and Path(os.readlink(www)).parent == releases
    first = Path(os.readlink(www))
    assert (www / "nhat-ky-cong-khai/publication-log.jsonl").read_bytes() == (
        root / "publication-log.jsonl"
    ).read_bytes()
    assert oct((first).stat().st_mode & 0o777) == "0o755"
    verify_url(root, www, tmp_path / "nginx1")

    # a second publish with a change: a new release, switched by one rename; the old one is kept
    edit(root, "Sửa địa điểm")
    for n in range(5):  # old releases beyond the last five are pruned, never the current one
        (releases / f"2000010{n}T000000000000Z").mkdir()
    result = run_cli(root, "publish", "--allow-sample", "--deploy-to", ssh_env.url(www))
    assert result.exit_code == 0, result.output
    assert " updated " in result.output
    second = Path(os.readlink(www))
    assert second != first and second.parent == releases
    assert "Sửa địa điểm" in (www / "tiep-cong-dan/2026/lich-thang-05/index.html").read_text("utf-8")
    assert sorted(p.name for p in releases.iterdir()) == sorted(
        [f"2000010{n}T000000000000Z" for n in (2, 3, 4)] + [first.name, second.name]
    )
    assert not (server / ".www.new-link").exists()
    verify_url(root, www, tmp_path / "nginx2")


def test_first_ssh_deploy_onto_a_real_folder_moves_it_aside(make_project, ssh_env, tmp_path):
    root = make_project()
    www = tmp_path / "server" / "www"
    www.mkdir(parents=True)
    (www / "index.html").write_text("<p>trang cũ</p>\n", encoding="utf-8")
    result = run_cli(root, "publish", "--allow-sample", "--deploy-to", ssh_env.url(www))
    assert result.exit_code == 0, result.output
    assert www.is_symlink()
    assert (tmp_path / "server/.www-releases/initial/index.html").read_text("utf-8") == "<p>trang cũ</p>\n"


def _publish(root: Path, target: str, env: dict[str, str], crash_at: str | None = None, path: str | None = None):
    env = {**os.environ, **env}
    env.pop("CONGKHAI_CRASH_AT", None)
    if crash_at:
        env["CONGKHAI_CRASH_AT"] = crash_at
    if path:
        env["PATH"] = f"{path}:{env['PATH']}"
    return subprocess.run(
        [sys.executable, "-m", "generator", "-f", str(root / "mkdocs.yml"), "publish", "--allow-sample"]
        + ["--deploy-to", target],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_killed_copy_leaves_the_old_site_and_the_log(make_project, sshd, tmp_path):
    """rsync killed midway (a wrapper slows the real rsync down, then kills it with
    SIGKILL): the live site is the old one, the log is unchanged, no pending log is left."""
    root = make_project()
    www = tmp_path / "server" / "www"
    www.parent.mkdir()
    done = _publish(root, sshd.url(www), sshd.env)
    assert done.returncode == 0, done.stderr
    old_log = (root / "publication-log.jsonl").read_bytes()
    old_release, old_site = os.readlink(www), tree(www)
    original = (root / LICH).read_bytes()
    edit(root, "Sửa giờ tiếp")
    wrapper = tmp_path / "bin" / "rsync"
    wrapper.parent.mkdir()
    wrapper.write_text(f"""#!/bin/sh
{shutil.which("rsync")} --bwlimit=8 "$@" &
sleep 2
kill -9 $!
kill -9 $$
""")
    wrapper.chmod(0o755)
    done = _publish(root, sshd.url(www), sshd.env, path=str(wrapper.parent))
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("không chép được trang lên máy chủ qua SSH: rsync bị dừng (tín hiệu 9)"), done.stderr
    assert "nhật ký công bố và trang đang phục vụ chưa thay đổi" in done.stderr
    assert "Traceback" not in done.stderr
    assert (root / "publication-log.jsonl").read_bytes() == old_log
    assert not (root / "publication-log.jsonl.pending").exists()
    assert os.readlink(www) == old_release and tree(www) == old_site
    assert sorted(p.name for p in (tmp_path / "server/.www-releases").iterdir()) == [Path(old_release).name]
    (root / LICH).write_bytes(original)  # the edit was not published: verify checks the files too
    verify_url(root, www, tmp_path / "nginx")


def test_publish_killed_around_the_switch(make_project, sshd, tmp_path):
    """The publish itself killed (SIGKILL) after the build, after the copy and right after the
    switch: the old site or the whole new one is served; a publish killed after the switch
    is completed by the next one from the log the server serves (read over SSH)."""
    root = make_project()
    www = tmp_path / "server" / "www"
    www.parent.mkdir()
    target = sshd.url(www)
    assert _publish(root, target, sshd.env).returncode == 0
    old_log = (root / "publication-log.jsonl").read_bytes()
    old_release, old_site = os.readlink(www), tree(www)
    edit(root, "Sửa giờ tiếp")
    for point in ("built", "copied"):
        done = _publish(root, target, sshd.env, crash_at=point)
        assert done.returncode == -9, (point, done.stderr)
        assert (root / "publication-log.jsonl").read_bytes() == old_log, point
        assert os.readlink(www) == old_release and tree(www) == old_site, point
    done = _publish(root, target, sshd.env, crash_at="deploy-swapped")
    assert done.returncode == -9, done.stderr
    assert (root / "publication-log.jsonl").read_bytes() == old_log  # not final yet
    assert (root / "publication-log.jsonl.pending").exists()
    served = (www / "nhat-ky-cong-khai/publication-log.jsonl").read_bytes()
    assert served.startswith(old_log) and len(served.splitlines()) == len(old_log.splitlines()) + 1
    assert os.readlink(www) != old_release
    done = _publish(root, target, sshd.env)
    assert done.returncode == 0, done.stderr
    assert "Đã hoàn tất lần công bố trước bị ngắt giữa chừng" in done.stdout
    assert "Không có thay đổi nào cần ghi" in done.stdout
    assert (root / "publication-log.jsonl").read_bytes() == served  # the log extends what was served
    verify_url(root, www, tmp_path / "nginx")


def test_unreachable_server(make_project, sshd, tmp_path):
    root = make_project()
    closed = free_port()
    target = f"ssh://{sshd.user}@127.0.0.1:{closed}{tmp_path / 'www'}"
    done = _publish(root, target, sshd.env)
    assert done.returncode == 1
    assert done.stderr.startswith("không kết nối được máy chủ qua SSH: "), done.stderr
    assert "Connection refused" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (root / "publication-log.jsonl").exists()
    assert not (root / "publication-log.jsonl.pending").exists()
    # a key the server does not accept: the same message, nothing logged
    env = {**sshd.env, "CONGKHAI_SSH_KEY": str(tmp_path / "khong-co-khoa")}
    done = _publish(root, sshd.url(tmp_path / "www"), env)
    assert done.returncode == 1
    assert done.stderr.startswith("không kết nối được máy chủ qua SSH: "), done.stderr
    assert "Permission denied" in done.stderr
    assert not (root / "publication-log.jsonl").exists()


@pytest.mark.parametrize(
    "target",
    ["ssh://may-chu", "ssh://may-chu/", "ssh://congkhai@may-chu:cong/var/www", "ssh://may-chu/var/../www"],
)
def test_bad_ssh_target_is_a_usage_error(make_project, target):
    root = make_project()
    result = CliRunner().invoke(main, ["-f", str(root / "mkdocs.yml"), "publish", "--deploy-to", target])
    assert result.exit_code == 2
    assert f"'{target}'" in result.stderr and "ssh://" in result.stderr
    assert not (root / "publication-log.jsonl").exists()
