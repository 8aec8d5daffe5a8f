#!/usr/bin/env python3
"""Benchmark: what the emulator's durability costs. Service creates per second against an
in-process emulator, with the state in memory only, in a `--state` file with `--no-sync`
(journaled before the answer, not fsynced) and with `--sync` (the default: fsynced before
the answer), sequentially and from several threads at once (whose fsyncs are shared), and
the ratios to in-memory, all measured in the same run.

    .venv/bin/python bench/emulator_durability.py [--creates 300] [--numbers 20] [--threads 1 8] [--dir DIR]

--dir chooses the file system of the state file (a tmpfs has next to free fsyncs; a disk
does not). --numbers 100000 shows that a change's cost does not grow with the account.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from msgsvc.emulator.seed import seed  # noqa: E402
from msgsvc.emulator.server import make_server  # noqa: E402
from msgsvc.emulator.store import Store  # noqa: E402

ACCOUNT_SID = "AC" + "b" * 32
AUTH_TOKEN = "bench-token"


def run(mode: str, creates: int, numbers: int, threads: int, folder: Path) -> float:
    """Creates per second in `mode` (memory, no-sync, sync)."""
    path = None if mode == "memory" else folder / f"{mode}-{threads}.json"
    store = Store(seed(ACCOUNT_SID, AUTH_TOKEN, numbers), path)
    server = make_server("127.0.0.1", 0, store, sync=mode == "sync")
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    serving.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/v1/Services"
    local = threading.local()

    def create(index: int) -> None:
        http = getattr(local, "http", None)
        if http is None:
            http = local.http = requests.Session()
            http.auth = (ACCOUNT_SID, AUTH_TOKEN)
        answer = http.post(url, data={"FriendlyName": f"bench {index}"}, timeout=60)
        assert answer.status_code == 201, answer.text

    try:
        create(-1)  # connections and caches warm
        with ThreadPoolExecutor(threads) as pool:
            started = time.perf_counter()
            list(pool.map(create, range(creates)))
            elapsed = time.perf_counter() - started
    finally:
        server.shutdown()
        server.server_close()
        store.close()
    return creates / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--creates", type=int, default=300)
    parser.add_argument("--numbers", type=int, default=20, help="phone numbers in the account (its size)")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--dir", type=Path, default=None, help="where the state files go [default: a temporary folder]")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        print(f"{args.creates} service creates, account of {args.numbers} numbers, state files in {folder}")
        print(f"{'threads':>7}  {'memory/s':>9}  {'no-sync/s':>9}  {'sync/s':>9}  {'no-sync:memory':>14}  {'sync:memory':>11}  {'sync:no-sync':>12}")
        for threads in args.threads:
            rates = {mode: run(mode, args.creates, args.numbers, threads, Path(folder)) for mode in ("memory", "no-sync", "sync")}
            print(f"{threads:>7}  {rates['memory']:>9.0f}  {rates['no-sync']:>9.0f}  {rates['sync']:>9.0f}  "
                  f"{rates['no-sync'] / rates['memory']:>14.2f}  {rates['sync'] / rates['memory']:>11.2f}  "
                  f"{rates['sync'] / rates['no-sync']:>12.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
