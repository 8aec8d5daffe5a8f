"""The end of the program (msgsvc/__main__.py): the objects alive at exit are frozen, so that
the interpreter's last collection does not walk them all (a long list leaves hundreds of
thousands), and the run's output and exit status are still whole."""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = r"""
import gc, sys
sys.argv = ["msgsvc", *sys.argv[1:]]
from msgsvc.__main__ import main
try:
    main()
except SystemExit as done:
    sys.stdout.flush()
    sys.stderr.write(f"exit={done.code} frozen={gc.get_freeze_count()}\n")
"""


def run_main(tmp_path, *argv: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "MSGSVC_", "_MSGSVC"))}
    env["MSGSVC_CONFIG_DIR"] = str(tmp_path)
    return subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, env=env, timeout=60)


def test_a_command_freezes_what_is_alive_before_it_exits(tmp_path):
    done = run_main(tmp_path, "profiles", "list", "--json")
    assert done.stdout == "[]\n"
    exit_line = done.stderr.splitlines()[-1]
    assert exit_line.startswith("exit=0 frozen=")
    assert int(exit_line.rpartition("=")[2]) > 1000  # the modules, the command tree, ...


def test_a_failing_command_still_says_why_and_exits_with_its_status(tmp_path):
    done = run_main(tmp_path, "services", "list")
    *message, exit_line = done.stderr.splitlines()
    assert message == [
        "msgsvc: no credentials: no profile is set up and TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN "
        "(or TWILIO_API_KEY and TWILIO_API_SECRET) are not set",
        "hint: run: msgsvc profiles add NAME --account-sid AC...",
    ]
    assert exit_line.startswith("exit=4 frozen=")
    assert int(exit_line.rpartition("=")[2]) > 1000
    assert done.stdout == ""
