"""Bad input, and a machine that cannot take what msgsvc
writes (a reader that goes away, a full disk, /dev/full, a config directory that cannot be
made): each is one clear line and a documented exit code, never "unexpected error"."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess

import pytest

from conftest import ACCOUNT_SID, AUTH_TOKEN, MSGSVC, SERVICE_SID, page, service

PN = "PN" + "1" * 32


def test_an_account_sid_with_a_trailing_newline_is_refused(msgsvc, isolated):
    result = msgsvc("profiles", "add", "p", "--account-sid", ACCOUNT_SID + "\n", stdin=AUTH_TOKEN + "\n")
    assert result.code == 2
    assert result.err == ("Usage: msgsvc profiles add [OPTIONS] NAME\n"
                          f"msgsvc: Invalid value for '--account-sid': '{ACCOUNT_SID}\\n' is not an Account SID "
                          "(AC followed by 32 hexadecimal digits)\nhint: see 'msgsvc profiles add --help'\n")
    assert not (isolated / "config" / "config.toml").exists()


def test_a_sender_value_is_checked_whole_after_trimming_white_space(msgsvc, profile, httpserver):
    # Values (arguments, lines of a file) are trimmed, then checked whole: the newline never
    # reaches a URL, and anything else after the SID is refused.
    httpserver.expect_request(f"/v1/Services/{SERVICE_SID}/PhoneNumbers/{PN}").respond_with_json({"sid": PN})
    assert msgsvc("numbers", "get", SERVICE_SID, PN + "\n").code == 0
    assert [r.path for r, _ in httpserver.log] == [f"/v1/Services/{SERVICE_SID}/PhoneNumbers/{PN}"]
    result = msgsvc("numbers", "get", SERVICE_SID, PN + "\nx")
    assert result.code == 2
    assert len(httpserver.log) == 1


def test_a_service_sid_with_a_trailing_newline_is_never_sent_as_a_sid(msgsvc, profile, httpserver):
    httpserver.expect_request("/v1/Services").respond_with_json(page("services", [service()]))
    result = msgsvc("services", "get", SERVICE_SID + "\n")
    assert result.code == 3
    assert [r.path for r, _ in httpserver.log] == ["/v1/Services"]  # a name look-up, not /Services/MG...%0A


@pytest.mark.skipif(shutil.which("bash") is None or shutil.which("head") is None, reason="needs bash and head")
@pytest.mark.parametrize("json_", [[], ["--json"]])
def test_a_large_listing_into_head_exits_141(profile, httpserver, json_):
    records = [service("MG%032x" % n, name="x" * 200) for n in range(1000)]
    httpserver.expect_request("/v1/Services").respond_with_json(page("services", records, page_size=1000))
    done = subprocess.run(["bash", "-c", f"'{MSGSVC}' services list --limit 1000 {' '.join(json_)} | head -1 >/dev/null;"
                           " echo ${PIPESTATUS[0]}"], capture_output=True, text=True, timeout=60)
    assert (done.stdout, done.stderr) == ("141\n", "")


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("args", [["services", "list"], ["services", "list", "--json"], ["--version"]])
def test_dev_full_as_stdout_is_one_clear_line(profile, httpserver, args):
    httpserver.expect_request("/v1/Services").respond_with_json(page("services", [service()]))
    with open("/dev/full", "w") as full:
        done = subprocess.run([MSGSVC, *args], stdout=full, stderr=subprocess.PIPE, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (1, "msgsvc: cannot write to standard output: No space left on device\n")


CLOSED = "msgsvc: cannot write to standard output: Bad file descriptor\n"


@pytest.mark.parametrize(("args", "err"), [
    (["services", "list"], CLOSED),  # run without typer (msgsvc/cli/direct.py)
    (["services", "list", "--json"], CLOSED),
    (["services", "get", SERVICE_SID, "--json"], CLOSED),  # in the typer app
    (["--version"], CLOSED),  # answered from the tree (msgsvc/cli/fast.py)
    (["--help"], "msgsvc: Bad file descriptor\n"),  # Click writes the help itself
])
def test_stdout_closed_at_start_is_one_clear_line(profile, httpserver, args, err):
    """`msgsvc ... >&-`: Python starts with no sys.stdout; once that was a traceback (--version)
    or "unexpected error: AttributeError"."""
    httpserver.expect_request("/v1/Services").respond_with_json(page("services", [service()]))
    httpserver.expect_request(f"/v1/Services/{SERVICE_SID}").respond_with_json(service())
    done = subprocess.run([MSGSVC, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60,
                          preexec_fn=lambda: os.close(1))
    assert (done.returncode, done.stderr) == (1, err)


def test_stdin_and_stderr_closed_at_start(profile, httpserver):
    """A closed stdin is a file that cannot be read (exit 1, said); with stderr closed too the
    exit status still says it, and nothing else breaks."""
    done = subprocess.run([MSGSVC, "numbers", "attach", "Alerts", "--from-file", "-", "--dry-run"], capture_output=True,
                          text=True, timeout=60, preexec_fn=lambda: os.close(0))
    assert (done.returncode, done.stdout, done.stderr) == (2, "", "msgsvc: cannot read -: Bad file descriptor\n")
    httpserver.expect_request("/v1/Services").respond_with_json(page("services", [service()]))
    done = subprocess.run([MSGSVC, "services", "list"], capture_output=True, text=True, timeout=60,
                          preexec_fn=lambda: os.close(2))
    assert (done.returncode, done.stdout) == (0, f"{SERVICE_SID}\tAlerts\tmarketing\tfalse\t2015-07-30T20:12:31Z\n")
    done = subprocess.run([MSGSVC, "services", "list", "--bogus"], capture_output=True, text=True, timeout=60,
                          preexec_fn=lambda: os.close(2))
    assert (done.returncode, done.stdout) == (2, "")


@pytest.mark.parametrize("code, text", [(errno.ENOSPC, "No space left on device"), (errno.EROFS, "Read-only file system")])
def test_a_full_disk_or_read_only_config_dir_is_one_clear_line(msgsvc, isolated, monkeypatch, code, text):
    from msgsvc import atomic

    def failing(path, data, *, fsync=True):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(atomic, "write_private", failing)
    result = msgsvc("profiles", "add", "p", "--account-sid", ACCOUNT_SID, "--no-verify", stdin=AUTH_TOKEN + "\n")
    assert result.code == 1
    assert result.err == (f"msgsvc: cannot write {isolated / 'config' / 'config.toml'}: {text}; nothing was changed\n"
                          "hint: free some disk space, or point MSGSVC_CONFIG_DIR to a writable directory\n")


def test_a_config_dir_that_cannot_be_created_is_one_clear_line(msgsvc, isolated, monkeypatch):
    blocker = isolated / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("MSGSVC_CONFIG_DIR", str(blocker / "config"))
    result = msgsvc("profiles", "add", "p", "--account-sid", ACCOUNT_SID, "--no-verify", stdin=AUTH_TOKEN + "\n")
    assert result.code == 2
    assert result.err.count("\n") <= 2 and "unexpected" not in result.err
    assert f"{blocker / 'config'}" in result.err and "Not a directory" in result.err


def test_a_config_dir_made_but_not_writable_is_one_clear_line(msgsvc, isolated, monkeypatch):
    from pathlib import Path

    def refused(self, *args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))

    monkeypatch.setattr(Path, "mkdir", refused)
    monkeypatch.setenv("MSGSVC_CONFIG_DIR", str(isolated / "new" / "config"))
    from msgsvc.local import config

    with pytest.raises(Exception) as caught:
        config.write_config({"profiles": {}})
    assert str(caught.value) == f"cannot create the directory {isolated / 'new' / 'config'}: Permission denied; nothing was changed"
