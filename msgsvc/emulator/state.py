"""The emulator's JSON state file: read once at start, written atomically behind the requests
(within SAVE_DELAY seconds of a change, by one writer thread) and again on exit. A full disk
does not stop the writer: it retries and says so once."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any, Callable, Self

from msgsvc.atomic import write_private

STATE_VERSION = 1
SAVE_DELAY = 0.1  # seconds between a change and its write to the state file
WRITE_RETRY = 1.0  # seconds between attempts when the state file cannot be written


class StateFileError(Exception):
    """The state file cannot be read or is not an emulator state; it is never overwritten."""


class StateFile:
    """The persistence of a Store: `data` is saved to `path` (never, when path is None).
    Subclasses take `self.lock` around every change and call `changed()` after it."""

    def __init__(self, data: dict[str, Any], path: Path | None = None) -> None:
        self.data = data
        self.path = path
        self.lock = threading.RLock()
        self._write_lock = threading.Lock()
        self._dirty = False
        self._closed = False
        self._wake = threading.Event()
        self._writer: threading.Thread | None = None
        self._write_failed = False
        self.log: Callable[[str], None] = lambda line: None  # the server's log (stderr)


    @classmethod
    def load(cls, path: Path, *options: Any, **named: Any) -> Self:
        """The store of the state file at `path`; `options` go to the constructor after it."""
        try:
            raw = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise StateFileError(f"cannot read the state file {path}: {exc.strerror}") from None
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise StateFileError(f"the state file {path} is not valid JSON: {exc}") from None
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION or not isinstance(data.get("account_sid"), str):
            raise StateFileError(f"{path} is not a msgsvc emulator state file (version {STATE_VERSION})")
        return cls(data, path, *options, **named)

    def save(self) -> None:
        """Write the state file now, atomically: temporary file in the same folder, fsync,
        rename. A reader sees the old file or the new one, never half of one."""
        if self.path is None:
            return
        with self.lock:
            text = json.dumps(self.data, separators=(",", ":"))
            self._dirty = False
        with self._write_lock:
            write_private(self.path, text)

    def changed(self) -> None:
        """Note a change (the lock is held). The writer thread saves within SAVE_DELAY, so a
        burst of changes (a bulk attach of 1,000 numbers) costs a few writes, not 1,000."""
        if self.path is None:
            return
        self._dirty = True
        if self._writer is None:
            self._writer = threading.Thread(target=self._write_behind, name="state-writer", daemon=True)
            self._writer.start()
        self._wake.set()

    def _write_behind(self) -> None:
        while not self._closed:
            self._wake.wait()
            self._wake.clear()
            if self._closed:
                return
            time.sleep(SAVE_DELAY)
            if self._dirty:
                self._save_or_retry()

    def _save_or_retry(self) -> None:
        """A full disk must not stop the writer: the state stays in memory, is written again
        every WRITE_RETRY seconds until it lands, and the server says so once."""
        try:
            self.save()
        except OSError as exc:
            with self.lock:
                self._dirty = True
            if not self._write_failed:
                self._write_failed = True
                self.log(f"msgsvc emulator: cannot write the state file {self.path}: {exc.strerror or exc}; "
                         f"retrying every {WRITE_RETRY:g} s (the state is kept in memory meanwhile)")
            time.sleep(WRITE_RETRY)
            self._wake.set()
            return
        if self._write_failed:
            self._write_failed = False
            self.log(f"msgsvc emulator: the state file {self.path} is written again")

    def close(self) -> None:
        """Stop the writer thread and write what is not written yet (on shutdown)."""
        self._closed = True
        self._wake.set()
        if self._writer is not None:
            self._writer.join(5)
        if self._dirty:
            self.save()
