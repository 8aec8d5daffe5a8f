"""The emulator's state file and its journal: what the emulator answered stays answered.

`--state emu.json` is a JSON snapshot of the account. Once the server listens, every change
is also appended, as one JSON line of the records it changed, to `emu.json.journal`, and that
line is on disk (fsync) before the request's answer is sent; with `sync=False` (`--no-sync`)
it is written but not fsynced, which survives the emulator's own death (kill -9) but not the
machine's. On start the journal is replayed over the snapshot (a torn last line, never
answered, is dropped); when it grows past COMPACT_BYTES, and on exit, it is folded into a new
snapshot (written atomically: temporary file, fsync, rename, fsync of the folder). A clean
exit leaves the snapshot alone, without a journal.

Subclasses take `self.lock` around every change and call `changed()` after it (lock held);
the server calls `flush()` before it answers (lock not held). `changed()` finds what changed
by comparing the state with a copy of what was last journaled, table by table, so a change
costs a line the size of the records it touched, whatever the size of the account.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from pathlib import Path
from typing import Any, Callable, Self

from msgsvc.api.validate import is_sid
from msgsvc.emulator import durable
from msgsvc.words import counted

STATE_VERSION = 1
JOURNAL_SUFFIX = ".journal"
COMPACT_BYTES = 8 << 20  # a journal larger than this is folded into the state file
FLUSH_DELAY = 0.05  # seconds; changes no request flushed (direct use of a Store) are written then
WRITE_RETRY = 1.0  # seconds between attempts when the state cannot be written
_MISSING = object()


class StateFileError(Exception):
    """The state file cannot be read or is not an emulator state; it is never overwritten."""


class StateWriteError(Exception):
    """The state cannot be written (a full disk, a read-only folder): one sentence."""


def journal_path(path: Path) -> Path:
    return path.with_name(path.name + JOURNAL_SUFFIX)


def _apply(data: dict[str, Any], op: list[Any]) -> None:
    """One journal operation: ["s", table, key, record], ["d", table, key], ["t", key, value], ["x", key]."""
    kind = op[0]
    if kind == "s":
        data.setdefault(op[1], {})[op[2]] = op[3]
    elif kind == "d":
        data.get(op[1], {}).pop(op[2], None)
    elif kind == "t":
        data[op[1]] = op[2]
    elif kind == "x":
        data.pop(op[1], None)
    else:
        raise ValueError(f"unknown journal operation {kind!r}")


def _diff(data: dict[str, Any], shadow: dict[str, Any], touched: tuple[Any, ...] = ()) -> list[list[Any]]:
    """The operations that turn `shadow` into `data`: records of a top-level dict one by one,
    other values whole. `touched` narrows the search: table names and (table, key) pairs,
    and the values that are not tables (the sequence number), which are always compared;
    without it every table is compared (60 ms for a table of 100,000 numbers)."""
    if not touched:
        return _diff_tables(data, shadow, [top for top, value in data.items() if isinstance(value, dict)], full=True)
    tables = [t for t in touched if isinstance(t, str)]
    ops = _diff_tables(data, shadow, tables, full=False)
    for table, key in (t for t in touched if not isinstance(t, str)):
        if table in tables:
            continue
        record = data.get(table, {}).get(key, _MISSING)
        if record is _MISSING:
            if key in shadow.get(table, {}):
                ops.append(["d", table, key])
        elif shadow.get(table, {}).get(key, _MISSING) != record:
            ops.append(["s", table, key, record])
    return ops


def _diff_tables(data: dict[str, Any], shadow: dict[str, Any], tables: list[str], full: bool) -> list[list[Any]]:
    ops: list[list[Any]] = []
    for top, value in data.items():
        old = shadow.get(top, _MISSING)
        if isinstance(value, dict) and isinstance(old, dict):
            if top not in tables or value == old:
                continue
            added = 0
            for key, record in value.items():
                before = old.get(key, _MISSING)
                if before is _MISSING:
                    added += 1
                    ops.append(["s", top, key, record])
                elif before != record:
                    ops.append(["s", top, key, record])
            if len(old) + added != len(value):  # some keys of the copy are gone
                ops.extend(["d", top, key] for key in old.keys() - value.keys())
        elif old is _MISSING or old != value:
            ops.append(["t", top, value])
    ops.extend(["x", top] for top in shadow.keys() - data.keys() if full or top in tables or not isinstance(shadow[top], dict))
    return ops


def read_state(path: Path) -> tuple[dict[str, Any], int]:
    """The state in the file at `path` with its journal replayed, and how many journal lines
    were replayed."""
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
    if not is_sid(data["account_sid"], "AC"):  # it is pasted into the profile command the emulator prints
        raise StateFileError(f"the state file {path} holds an account_sid that is not an Account SID")
    token = data.pop("journal", None)
    if token is None:
        return data, 0
    try:
        lines = journal_path(path).read_bytes().split(b"\n")
    except FileNotFoundError:
        return data, 0
    except OSError as exc:
        raise StateFileError(f"cannot read the state journal {journal_path(path)}: {exc.strerror}") from None
    try:
        header = json.loads(lines[0])
    except ValueError:
        header = None
    if not isinstance(header, dict) or header.get("journal") != token:
        return data, 0  # a journal of an older snapshot: everything in it is in this one
    replayed = 0
    for line in lines[1:-1]:  # the last piece has no newline: a write the crash cut short, never answered
        try:
            ops = json.loads(line)
            for op in ops:
                _apply(data, op)
        except (ValueError, TypeError, IndexError, AttributeError):
            raise StateFileError(f"the state journal {journal_path(path)} is damaged at line {replayed + 2}") from None
        replayed += 1
    return data, replayed


class StateFile:
    """The persistence of a Store: `data` is kept in `path` (never, when path is None)."""

    def __init__(self, data: dict[str, Any], path: Path | None = None) -> None:
        self.data = data
        self.path = path
        self.sync = True
        self.replayed = 0  # journal lines replayed by load()
        self.lock = threading.RLock()
        self.log: Callable[[str], None] = lambda line: None  # the server's log (stderr)
        self._io = threading.Lock()  # one writer of the files at a time; never taken under self.lock
        self._journal: durable.Journal | None = None
        self._shadow: dict[str, Any] | None = None  # what the files hold; None until open()
        self._pending: list[bytes] = []  # journal lines not written yet
        self._noted = 0  # changes noted by changed()
        self._written = 0  # of them, the ones in the files
        self._dirty = False  # a change before open(): written whole by open() or close()
        self._local = threading.local()  # the last change each request thread made
        self._wake = threading.Event()
        self._closed = False
        self._writer: threading.Thread | None = None
        self._write_failed = False

    @classmethod
    def load(cls, path: Path, *options: Any, **named: Any) -> Self:
        """The store of the state file at `path` (its journal replayed); `options` go to the
        constructor after it. Reads only: nothing is written before open()."""
        data, replayed = read_state(path)
        store = cls(data, path, *options, **named)
        store.replayed = replayed
        return store

    # --- the files -----------------------------------------------------------------------

    def open(self, sync: bool = True) -> None:
        """Start keeping the state (the server calls this once it listens): temporary files a
        crash left are removed, the state is written whole, and a new journal is started."""
        if self.path is None or self._shadow is not None:
            return
        self.sync = sync
        durable.remove_temporaries(self.path)
        with self._io:
            try:
                self._snapshot(journal=True)
            except OSError as exc:
                raise StateWriteError(f"cannot write the state file {self.path}: {exc.strerror or exc}") from None
        self._writer = threading.Thread(target=self._write_behind, name="state-writer", daemon=True)
        self._writer.start()

    def _snapshot(self, journal: bool) -> None:
        """Write the whole state (self._io held); with `journal`, then start a new journal."""
        assert self.path is not None
        with self.lock:
            token = secrets.token_hex(8) if journal else None
            text = json.dumps({**self.data, "journal": token} if token else self.data, separators=(",", ":"))
            pending, self._pending = self._pending, []
            noted = self._noted
            if self._shadow is None:
                self._shadow = json.loads(text)
                self._shadow.pop("journal", None)
        try:
            durable.replace_file(self.path, text.encode("utf-8"))
        except BaseException:
            with self.lock:
                self._pending[:0] = pending
            raise
        # The state file holds every change noted so far: the old journal is stale from here
        # (its first line names another snapshot), so losing it below loses nothing.
        self._written = noted
        self._dirty = False
        old, self._journal = self._journal, None
        if old is not None:
            old.close()
        if journal:
            header = json.dumps({"journal": token, "version": STATE_VERSION}).encode() + b"\n"
            self._journal = durable.Journal.create(journal_path(self.path), header, self.sync)

    def save(self) -> None:
        """Write the whole state now (a new journal follows it when the store is open)."""
        if self.path is None:
            return
        with self._io:
            self._snapshot(journal=self._shadow is not None and not self._closed)

    # --- changes -------------------------------------------------------------------------

    def changed(self, *touched: str | tuple[str, str]) -> None:
        """Note a change (the lock is held): its journal line is made now, and written by
        flush() before the answer, or by the writer thread within FLUSH_DELAY. `touched`, when
        given, names every table (or table and key) the change may have touched, so that only
        those are compared; a change whose reach is not known passes nothing."""
        if self.path is None:
            return
        if self._shadow is None:
            self._dirty = True
            return
        ops = _diff(self.data, self._shadow, touched)
        if not ops:
            return
        line = json.dumps(ops, separators=(",", ":")) + "\n"
        for op in json.loads(line):  # the copy of what is journaled: a deep copy, for free
            _apply(self._shadow, op)
        self._pending.append(line.encode("utf-8"))
        self._noted += 1
        self._local.upto = self._noted
        self._wake.set()

    def flush(self) -> None:
        """Put the changes this thread made on disk (the server calls it before answering);
        StateWriteError when they cannot be (they stay in memory and are retried)."""
        upto = getattr(self._local, "upto", 0)
        if not upto:
            return
        self._local.upto = 0
        try:
            self._write_pending(upto)
        except OSError as exc:
            self._wake.set()
            raise StateWriteError(f"cannot write the state file {self.path}: {exc.strerror or exc}") from None

    def _write_pending(self, upto: int) -> None:
        with self._io:
            if self._written >= upto or self._shadow is None:
                return
            if self._journal is None:  # the last journal could not be started: write it all
                self._snapshot(journal=not self._closed)
                return
            self._append_pending(self._journal)
            if self._journal.size > COMPACT_BYTES:
                try:
                    self._snapshot(journal=True)
                except OSError:
                    pass  # the journal holds it all; folding it in is tried at the next write

    def _append_pending(self, journal: durable.Journal) -> None:
        """Append the lines not written yet (self._io held); on failure they stay pending."""
        with self.lock:
            pending, self._pending = self._pending, []
            noted = self._noted
        if not pending:
            return
        try:
            journal.append(b"".join(pending))
        except BaseException:
            with self.lock:
                self._pending[:0] = pending
            raise
        self._written = noted

    def _write_behind(self) -> None:
        """Writes what no request flushed, and again and again what could not be written."""
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._closed:
                return
            time.sleep(FLUSH_DELAY)
            try:
                self._write_pending(self._noted)
            except OSError as exc:
                if not self._write_failed:
                    self._write_failed = True
                    self.log(f"msgsvc emulator: cannot write the state file {self.path}: {exc.strerror or exc}; "
                             f"retrying every {WRITE_RETRY:g} s (the state is kept in memory meanwhile)")
                time.sleep(WRITE_RETRY)
                self._wake.set()
                continue
            if self._write_failed:
                self._write_failed = False
                self.log(f"msgsvc emulator: the state file {self.path} is written again")

    def close(self) -> None:
        """Stop the writer thread and fold everything into the state file (on shutdown); a
        failure is StateWriteError saying what is kept and what is lost."""
        self._closed = True
        self._wake.set()
        if self._writer is not None:
            self._writer.join(5)
        if self.path is None:
            return
        if self._shadow is None:
            if self._dirty:
                with self._io:
                    self._snapshot(journal=False)
            return
        with self._io:
            journal = self._journal
            if journal is not None:
                try:  # a few lines first, which may fit where the whole state does not
                    self._append_pending(journal)
                except OSError:
                    pass
            try:
                self._snapshot(journal=False)
            except OSError as exc:
                self._shadow = None
                reason = exc.strerror or exc
                with self.lock:
                    lost = len(self._pending)
                if journal is None:
                    kept = f"{self.path} holds the state as it was before"
                else:
                    kept = f"{self.path} and {journal_path(self.path)} hold what was answered before, read again at the next start"
                    journal.close()
                    self._journal = None
                lost_text = f"; {counted(lost, 'change')} made since {'is' if lost == 1 else 'are'} lost" if lost else ""
                raise StateWriteError(f"cannot write the state file {self.path}: {reason}; {kept}{lost_text}") from None
            self._shadow = None
        try:
            journal_path(self.path).unlink()
        except OSError:
            pass  # stale: the state file written last names no journal
