"""The journal of moves in flight: one small file per move of a sender (a detach, then an
attach) that a running msgsvc has begun, so that one killed between the two (kill -9, an OOM
kill, a power cut) leaves a record of the sender it left in no service.

A record is written before the move's detach is sent: created exclusively under a name of
its own (`PID-NANOSECONDS-RANDOM.move`, so that msgsvc processes running at once share no
lock), private (0600 in a 0700 directory, as msgsvc/atomic.py keeps secrets), flushed to
disk, and the directory flushed too. It is removed once the move's outcome is reported.
`Journal.left()` gives the records of one account whose writer is no longer running (its
pid gone, a pid this process now has, written before the machine last started, or older
than MAX_AGE): what the next move, plan, apply or doctor looks at.

Nothing here may make a command fail: a record that cannot be written is an OSError the
move turns into 'not sent'; one that cannot be read is passed over; one cut short (its
writer died while writing it, so its detach was never sent) is removed.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

VERSION = 1
SUFFIX = ".move"
MAX_AGE = 24 * 3600.0  # seconds: a record this old is its writer's no longer, whatever its pid


@dataclass(frozen=True)
class Record:
    """One record of the journal: its file and what it says (the move's fields, as written)."""

    path: str
    fields: Mapping[str, Any]


def boot_id() -> str | None:
    """This boot of the machine, where the system says (Linux): a pid recorded before it is
    another process's now, whatever is running under it."""
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as handle:
            return handle.read().strip() or None
    except OSError:
        return None


def running(pid: int) -> bool:
    """Whether a process `pid` is running now (not necessarily the one that wrote a record)."""
    if pid <= 0:
        return False
    if sys.platform == "win32":
        return _running_on_windows(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: running
        return True
    except OSError:
        return False
    return True


def _running_on_windows(pid: int) -> bool:
    # os.kill(pid, 0) on Windows sends CTRL_C_EVENT: never that. Ask for the exit code instead.
    import ctypes

    kernel = ctypes.windll.kernel32  # type: ignore[attr-defined]
    handle = kernel.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return False
    try:
        code = ctypes.c_ulong()
        return bool(kernel.GetExitCodeProcess(handle, ctypes.byref(code))) and code.value == 259  # STILL_ACTIVE
    finally:
        kernel.CloseHandle(handle)


class Journal:
    """The journal in `directory` (paths.journal_dir_text() unless given), for the account
    `account` at the API `api` (its base URL): what this process records there, and what
    others left."""

    def __init__(self, account: str, api: str, directory: str | None = None) -> None:
        if directory is None:
            from msgsvc.local.paths import journal_dir_text

            directory = journal_dir_text()
        self.directory = directory
        self.account = account
        self.api = api
        self.written: list[str] = []  # this process's records not removed yet

    # --- this process's moves ------------------------------------------------------------

    def write(self, moves: Sequence[Mapping[str, Any]]) -> list[str | None]:
        """Record each move (its fields), durably, before any of them is sent: per move None
        when its record is on disk, else why not (then it must not be sent)."""
        if not moves:
            return []
        try:
            self._directory()
        except OSError as error:
            return [_why(error)] * len(moves)
        results: list[str | None] = []
        written: list[str] = []
        stamp = {"version": VERSION, "account": self.account, "api": self.api, "pid": os.getpid(),
                 "boot": boot_id(), "started": time.time()}
        for fields in moves:
            try:
                written.append(self._write_one({**stamp, **fields}))
                results.append(None)
            except OSError as error:
                results.append(_why(error))
        try:
            self._sync_directory()
        except OSError as error:  # the names may not be on disk: none of these is recorded
            self._unlink(written)
            return [_why(error)] * len(moves)
        self.written.extend(written)
        return results

    def _directory(self) -> None:
        os.makedirs(self.directory, mode=0o700, exist_ok=True)
        if not os.path.isdir(self.directory):
            raise NotADirectoryError(f"{self.directory} is not a directory")

    def _write_one(self, fields: Mapping[str, Any]) -> str:
        text = json.dumps(dict(fields), ensure_ascii=False, sort_keys=True) + "\n"
        flags = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
                 | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOINHERIT", 0))
        path = os.path.join(self.directory, f"{os.getpid()}-{time.time_ns()}-{os.urandom(4).hex()}{SUFFIX}")
        fd = os.open(path, flags, 0o600)
        try:
            data = text.encode("utf-8")
            while data:
                data = data[os.write(fd, data):]
            os.fsync(fd)
        except OSError:
            os.close(fd)
            self._unlink([path])
            raise
        os.close(fd)
        return path

    def _sync_directory(self) -> None:
        """The new names on disk too. Windows cannot open a directory, and needs no such step."""
        if sys.platform == "win32":
            return
        fd = os.open(self.directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def clear(self) -> None:
        """Remove this process's records: their moves have settled and been reported. (Not
        flushed: a record that comes back after a power cut is checked, and its sender is
        found where the report said.)"""
        self._unlink(self.written)
        self.written = []

    # --- what others left --------------------------------------------------------------------

    def left(self, *, now: float | None = None) -> list[Record]:
        """The records of this account and API whose writer is no longer running, oldest first.
        A record that cannot be read is passed over; one cut short whose writer is gone is
        removed (its move was never sent: the detach waits for the whole record)."""
        now = time.time() if now is None else now
        try:
            names = sorted(os.listdir(self.directory))
        except OSError:
            return []
        boot = boot_id()
        found: list[Record] = []
        for name in names:
            if not name.endswith(SUFFIX) or name.startswith("."):
                continue
            path = os.path.join(self.directory, name)
            if path in self.written:
                continue
            fields = _read(path)
            if fields is CUT_SHORT:
                if _writer_gone(name, path, now):
                    self._unlink([path])
                continue
            if fields is None:
                continue
            if fields.get("account") != self.account or fields.get("api") != self.api:
                continue
            if _alive(fields, boot, now):
                continue
            found.append(Record(path, fields))
        return sorted(found, key=lambda r: r.fields.get("started") or 0)

    def drop(self, record: Record) -> None:
        """Remove a record left by another process: its sender is in a service again."""
        self._unlink([record.path])

    @staticmethod
    def _unlink(paths: Sequence[str]) -> None:
        for path in paths:
            try:
                os.unlink(path)
            except OSError:  # gone already (another msgsvc dropped it), or cannot be: checked again next time
                pass


def _why(error: OSError) -> str:
    where = f"{error.filename}: " if error.filename else ""
    return f"{where}{error.strerror or error}"


MAX_RECORD = 64 * 1024


CUT_SHORT: Any = object()  # what _read says of a record that is not whole JSON


def _read(path: str) -> Any:
    """A record's fields; None when it cannot be read or is not a record of ours; CUT_SHORT
    when it is not whole (its writer stopped while writing it)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_RECORD + 1)
    except OSError:
        return None
    try:
        fields = json.loads(data.decode("utf-8"))
    except ValueError:
        return CUT_SHORT if len(data) <= MAX_RECORD else None
    if not isinstance(fields, dict) or fields.get("version") != VERSION or not isinstance(fields.get("pid"), int):
        return None
    for key in ("account", "api", "kind", "sid", "source", "target"):
        if not isinstance(fields.get(key), str):
            return None
    return fields


def _alive(fields: Mapping[str, Any], boot: str | None, now: float) -> bool:
    """Whether the process that wrote the record may still be running its move."""
    pid = fields["pid"]
    started = fields.get("started")
    if pid == os.getpid():  # this process has written none yet: an earlier one had this pid
        return False
    if not isinstance(started, (int, float)) or now - started > MAX_AGE:
        return False
    if boot is not None and fields.get("boot") not in (None, boot):
        return False
    return running(pid)


def _writer_gone(name: str, path: str, now: float) -> bool:
    """Whether the process whose pid a record's name starts with is no longer writing it."""
    head = name.split("-", 1)[0]
    if not head.isdigit():
        return False
    pid = int(head)
    try:
        age = now - os.stat(path).st_mtime
    except OSError:
        return False
    return pid == os.getpid() or age > MAX_AGE or not running(pid)
