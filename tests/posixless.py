"""Run msgsvc (or, with --exec CODE, some Python) in an interpreter stripped of what only POSIX
systems have, as on Windows: the POSIX-only modules cannot be imported, os has none of its
POSIX-only functions and signal none of its POSIX-only signals. Set up before msgsvc, or
anything it imports, is loaded, so any module that needs one at top level fails at once.

    python tests/posixless.py services list
    python tests/posixless.py --exec "import msgsvc.cli.app"
"""

from __future__ import annotations

import os
import signal
import sys
import warnings

POSIX_ONLY_MODULES = ("fcntl", "termios", "tty", "pty", "pwd", "grp", "resource", "syslog", "crypt", "nis", "spwd", "readline", "curses", "_curses")
# os.fchmod stays: without fcntl, filelock takes its lock-file lock, which needs it (on Windows
# filelock takes msvcrt.locking instead); the `windows` fixture of test_platforms.py takes it away.
POSIX_ONLY_OS = (
    "fchown", "chown", "lchown", "lchmod", "chroot", "getuid", "geteuid", "getgid", "getegid", "getgroups",
    "setuid", "setgid", "seteuid", "setegid", "getpgid", "setpgid", "getpgrp", "killpg", "setsid", "getsid", "fork",
    "forkpty", "openpty", "sync", "mkfifo", "mknod", "getloadavg", "ttyname", "nice", "wait3", "wait4", "fpathconf",
    "pathconf", "statvfs", "fstatvfs", "sched_getaffinity", "sched_setaffinity", "O_NOFOLLOW", "O_NONBLOCK",
)
POSIX_ONLY_SIGNAL_FUNCTIONS = ("alarm", "pause", "setitimer", "getitimer", "siginterrupt", "pthread_kill",
                               "pthread_sigmask", "sigwait", "sigpending", "sigwaitinfo", "sigtimedwait")
WINDOWS_SIGNALS = {"SIGABRT", "SIGFPE", "SIGILL", "SIGINT", "SIGSEGV", "SIGTERM", "SIGBREAK"}


def strip() -> None:
    for name in POSIX_ONLY_MODULES:
        if sys.modules.get(name) is not None:
            raise SystemExit(f"posixless: {name} was imported before the simulation began")
        sys.modules[name] = None  # `import name` raises ImportError
    for name in POSIX_ONLY_OS:
        if hasattr(os, name):
            delattr(os, name)
    for name in [n for n in dir(signal) if n.startswith("SIG") and not n.startswith("SIG_") and n not in WINDOWS_SIGNALS]:
        delattr(signal, name)
    for name in POSIX_ONLY_SIGNAL_FUNCTIONS:
        if hasattr(signal, name):
            delattr(signal, name)
    # filelock, finding no fcntl, takes its lock-file lock and says so once; on Windows it
    # takes msvcrt.locking and says nothing. The note is the simulation's, not msgsvc's.
    warnings.filterwarnings("ignore", message="only soft file lock is available")


def main(argv: list[str]) -> None:
    strip()
    if argv[:1] == ["--exec"]:
        exec(compile(argv[1], "<posixless>", "exec"), {"__name__": "__main__"})
        return
    from msgsvc.cli.app import main as msgsvc

    sys.argv = ["msgsvc", *argv]
    msgsvc()


if __name__ == "__main__":
    main(sys.argv[1:])
