"""Writes respect what the path names (msgsvc/atomic.py's write_file): devices, FIFOs and
/dev/stdout are written in place, symlinks followed (their target replaced, its mode kept),
new files get the umask's mode, secrets 0600; `export -o -` is standard output."""

from __future__ import annotations

import os
import stat
import threading

import pytest

from msgsvc.atomic import write_file, write_private
from test_setup_commands import EXPORTED, emu, populate, requests_log  # noqa: F401 - fixtures


def test_a_fifo_is_written_in_place(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()))
    reader.start()
    write_file(fifo, "hello\n")
    reader.join(10)
    assert got == [b"hello\n"]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


def test_dev_fd_of_a_pipe_as_dev_stdout_is_written_in_place():
    read_end, write_end = os.pipe()
    try:
        write_file(f"/dev/fd/{write_end}", "to the pipe\n")
        os.close(write_end)
        assert os.read(read_end, 100) == b"to the pipe\n"
    finally:
        os.close(read_end)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can write /dev/null's directory")
def test_dev_null_stays_a_device():
    write_file("/dev/null", "gone\n")
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)
    assert not [name for name in os.listdir("/dev") if name.startswith(".null-")]


def test_a_symlink_is_followed_and_its_target_replaced_with_its_mode(tmp_path):
    target = tmp_path / "dotfiles" / "services.toml"
    target.parent.mkdir()
    target.write_text("old\n")
    target.chmod(0o640)
    link = tmp_path / "link.toml"
    link.symlink_to(target)
    write_file(link, "new\n")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in target.parent.iterdir()) == ["services.toml"]


def test_a_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "link.toml"
    link.symlink_to(tmp_path / "made.toml")
    write_file(link, "x\n")
    assert link.is_symlink() and (tmp_path / "made.toml").read_text() == "x\n"


def test_a_new_file_gets_the_umask_mode_and_a_secret_0600(tmp_path):
    old = os.umask(0o027)
    try:
        write_file(tmp_path / "export.toml", "x\n")
        write_private(tmp_path / "secret.toml", "x\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "export.toml").stat().st_mode) == 0o640
    assert stat.S_IMODE((tmp_path / "secret.toml").stat().st_mode) == 0o600


def test_a_secret_file_behind_a_symlink_stays_a_link_and_becomes_0600(msgsvc, isolated):
    real = isolated / "dotfiles" / "config.toml"
    real.parent.mkdir()
    real.write_text("")
    real.chmod(0o644)
    (isolated / "config").mkdir(mode=0o700)
    (isolated / "config" / "config.toml").symlink_to(real)
    result = msgsvc("profiles", "add", "prod", "--no-verify", "--account-sid", "AC" + "a" * 32, stdin="token-0123456789abcdef\n")
    assert result.code == 0, result.err
    assert (isolated / "config" / "config.toml").is_symlink()
    assert "prod" in real.read_text()
    assert stat.S_IMODE(real.stat().st_mode) == 0o600


def test_export_dash_o_dash_is_standard_output(msgsvc, emu, tmp_path, monkeypatch):
    populate(emu)
    monkeypatch.chdir(tmp_path)
    result = msgsvc("export", "-o", "-")
    assert (result.code, result.out, result.err) == (0, EXPORTED, "")
    assert not (tmp_path / "-").exists()


def test_export_through_a_symlink_replaces_the_target_with_the_umask_mode(msgsvc, emu, tmp_path):
    populate(emu)
    target = tmp_path / "repo" / "services.toml"
    target.parent.mkdir()
    link = tmp_path / "link.toml"
    link.symlink_to(target)
    old = os.umask(0o022)
    try:
        result = msgsvc("export", "-o", str(link))
    finally:
        os.umask(old)
    assert (result.code, result.out, result.err) == (0, "", f"Wrote 2 services to {link}\n")
    assert link.is_symlink() and target.read_text() == EXPORTED
    assert stat.S_IMODE(target.stat().st_mode) == 0o644  # meant for git, not a secret


# --- the temporary file a replacement is written to (atomic.create_temporary) ---------------


def test_a_temporary_file_is_new_private_and_named_for_its_target(tmp_path):
    import stat as stat_module

    from msgsvc.atomic import create_temporary

    target = tmp_path / "config.toml"
    made = [create_temporary(target) for _ in range(50)]
    for fd, name in made:
        os.close(fd)
        assert os.path.dirname(name) == str(tmp_path)
        assert os.path.basename(name).startswith(".config.toml-") and name.endswith(".tmp")
        assert stat_module.S_IMODE(os.stat(name).st_mode) == 0o600
    assert len({name for _, name in made}) == 50
    assert not target.exists()


def test_a_temporary_file_never_opens_what_is_there_already(tmp_path, monkeypatch):
    """A name taken (by a file or a planted link) is never opened: another name is drawn."""
    from msgsvc import atomic

    target = tmp_path / "config.toml"
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    draws = iter([b"\x00" * 6, b"\x00" * 6, b"\x01" * 6])
    monkeypatch.setattr(atomic.os, "urandom", lambda n: next(draws))
    taken = tmp_path / f".config.toml-{'00' * 6}.tmp"
    taken.symlink_to(victim)
    fd, name = atomic.create_temporary(target)
    os.close(fd)
    assert name == str(tmp_path / f".config.toml-{'01' * 6}.tmp")
    assert victim.read_text() == "keep me" and taken.is_symlink()


def test_writing_a_file_imports_no_tempfile(tmp_path):
    """tempfile (random, hashlib, shutil) costs every command that writes its completion cache."""
    import subprocess
    import sys

    code = ("import sys; from pathlib import Path; from msgsvc.atomic import write_private; "
            f"write_private(Path({str(tmp_path / 'f')!r}), 'x'); print('tempfile' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert (done.stdout, (tmp_path / "f").read_text()) == ("False\n", "x")
