"""Files that survive a crash, for the emulator's state: a file replaced atomically (a private
temporary file in the same folder, fsync, rename, fsync of the folder), an append-only journal
whose appends are on disk (fsync) when `append` returns, and the cleaning of temporary files a
crash left behind.

Every byte goes through `os.write` and `os.fsync` as named here, so a test can stand in a full
disk (tests/test_emulator_durability.py)."""

from __future__ import annotations

import os
from pathlib import Path

from msgsvc.atomic import create_temporary, remove_temporaries  # noqa: F401 - the one home of temporary files


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def fsync_directory(folder: Path) -> None:
    """Make a rename or a new file in `folder` durable (POSIX; Windows has no directory fsync)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_file(path: Path, data: bytes, *, sync: bool = True) -> None:
    """Replace `path` with `data`, mode 0600 from the start; with `sync`, the new file and the
    rename are on disk when this returns. A failure (a full disk) leaves the old file as it was
    and no temporary file."""
    fd, tmp = create_temporary(path)
    try:
        try:
            if hasattr(os, "fchmod"):
                os.fchmod(fd, 0o600)
            _write_all(fd, data)
            if sync:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if sync:
        fsync_directory(path.parent)


class Journal:
    """An append-only file of lines, opened after it was created (or replaced) complete.
    `append` writes whole lines and, with `sync`, fsyncs them before it returns; a write that
    fails half-way is cut off again, so the file never holds half a line before a whole one."""

    def __init__(self, path: Path, sync: bool = True) -> None:
        self.path = path
        self.sync = sync
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | getattr(os, "O_CLOEXEC", 0))
        self.size = os.fstat(self._fd).st_size

    @classmethod
    def create(cls, path: Path, first_line: bytes, sync: bool = True) -> Journal:
        """A new journal holding `first_line`, put in place of any old one atomically."""
        replace_file(path, first_line, sync=True)
        return cls(path, sync)

    def append(self, data: bytes) -> None:
        try:
            _write_all(self._fd, data)
            if self.sync:
                os.fsync(self._fd)
        except BaseException:
            try:
                os.ftruncate(self._fd, self.size)
            except OSError:
                pass
            raise
        self.size += len(data)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
