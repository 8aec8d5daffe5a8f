"""How close `msgsvc doctor` comes to the ideal over 200 services at 50 ms a request.

An in-process emulator (`latency_ms=50`) holds 200 services, each with two US long codes and
a VERIFIED campaign (so each is read as fully as doctor ever reads a service: four sender
listings and its campaign), plus the account's listings. The installed `msgsvc doctor
--json -c N` runs in a subprocess against it; the emulator counts the requests. Printed:

- the wall time, the ideal (requests x latency / concurrency) and their ratio (target 1.3x);
- the peak RSS of the doctor process, for 200 services and for 50, to show memory grows
  with what is read (records), not with a fixed cost per request.

No timing is asserted anywhere: this prints numbers for a person or CI log to read.

    .venv/bin/python bench/doctor_bench.py [--services 200] [--latency 50] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TARGET = 1.3
ACCOUNT = "AC" + "b" * 32
TOKEN = "bench-token-0123456789abcdef"


def account(services: int) -> dict:
    from msgsvc.emulator.model import SERVICE_DEFAULTS, new_sid
    from msgsvc.emulator.seed import seed
    from msgsvc.emulator.unhealthy import HEALTHY, _campaign

    data = seed(ACCOUNT, TOKEN, 0)
    rng = random.Random(1)
    brand = next(b for b in data["brands"].values() if b["status"] == "APPROVED" and b["brand_type"] == "STANDARD")
    now = time.time()

    def seq() -> int:
        data["seq"] += 1
        return data["seq"]

    for n in range(services):
        sid = new_sid("MG", rng)
        data["services"][sid] = {"sid": sid, **SERVICE_DEFAULTS, **HEALTHY, "friendly_name": f"Bench {n}",
                                 "us_app_to_person_registered": True, "seq": seq(), "created": now, "updated": now}
        for i in range(2):
            pn = new_sid("PN", rng)
            e164 = f"+1557{n * 2 + i:07d}"
            data["numbers"][pn] = {"sid": pn, "phone_number": e164, "friendly_name": e164, "country_code": "US",
                                   "capabilities": {"voice": True, "sms": True, "mms": True, "fax": False},
                                   "origin": "twilio", "seq": seq(), "created": now, "updated": now,
                                   "service_sid": sid, "attached": now, "attach_seq": seq()}
        _campaign(data, rng, sid, brand, "VERIFIED", seq(), now)
    return data


def run(services: int, latency: int, concurrency: int, msgsvc: str) -> tuple[float, int, float]:
    """(seconds, requests, peak RSS in MB) of one doctor run."""
    from msgsvc.emulator.server import make_server
    from msgsvc.emulator.store import Store

    count = [0]
    lock = threading.Lock()

    def record(operation, status, body) -> None:
        with lock:
            count[0] += 1

    server = make_server("127.0.0.1", 0, Store(account(services)), latency_ms=latency, recorder=record)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "MSGSVC_"))}
        env.update(MSGSVC_CONFIG_DIR=f"{tmp}/config", MSGSVC_CACHE_DIR=f"{tmp}/cache", TWILIO_ACCOUNT_SID=ACCOUNT,
                   TWILIO_AUTH_TOKEN=TOKEN, MSGSVC_BASE_URL=f"http://127.0.0.1:{server.server_address[1]}")
        script = ("import resource, subprocess, sys, time\n"
                  "t = time.perf_counter()\n"
                  "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
                  "t = time.perf_counter() - t\n"
                  "print(code, t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")
        out = subprocess.run([sys.executable, "-c", script, msgsvc, "doctor", "--json", "-c", str(concurrency)],
                             env=env, capture_output=True, text=True, check=True).stdout.split()
    server.shutdown()
    server.server_close()
    code, seconds, rss_kb = int(out[0]), float(out[1]), int(out[2])
    if code != 0:
        raise SystemExit(f"msgsvc doctor exited {code}: the bench account should have no error")
    return seconds, count[0], rss_kb / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--latency", type=int, default=50, help="milliseconds per request")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    msgsvc = shutil.which("msgsvc", path=str(Path(sys.executable).parent)) or shutil.which("msgsvc")
    if msgsvc is None:
        raise SystemExit("msgsvc is not installed in this environment (pip install -e .)")
    seconds, requests, rss = run(args.services, args.latency, args.concurrency, msgsvc)
    ideal = requests * args.latency / 1000 / args.concurrency
    print(f"doctor over {args.services} services at {args.latency} ms a request, concurrency {args.concurrency}:")
    print(f"  {requests} requests in {seconds:.2f} s; ideal {ideal:.2f} s; ratio {seconds / ideal:.2f}x (target {TARGET}x)")
    small_seconds, small_requests, small_rss = run(max(1, args.services // 4), args.latency, args.concurrency, msgsvc)
    print(f"  peak RSS {rss:.0f} MB ({args.services} services) against {small_rss:.0f} MB "
          f"({max(1, args.services // 4)} services, {small_requests} requests in {small_seconds:.2f} s)")


if __name__ == "__main__":
    main()
