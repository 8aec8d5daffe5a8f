"""How fast `msgsvc services list --all --json` is against the floor of a bare requests loop.

A local threaded HTTP server serves 10,000 services in 10 pages of 1,000, each page pointing
to the next with an absolute `meta.next_page_url`, as Twilio does. In the same run, it times
(median of several runs taking turns, each a fresh subprocess writing to /dev/null):

- the installed `msgsvc services list --all --json`;
- a bare script that fetches the same 10 pages with one requests.Session and decodes them;
- `msgsvc --version` against `python -c pass`.

and prints the medians and the ratios against the targets (0.9x and 2x; issue 26). No timing is
asserted anywhere: this prints numbers for a person or CI log to read. `--baseline` also times
another installed msgsvc in the same turns (another checkout's `.venv/bin/msgsvc`: before and
after a change, from one run).

The children run without PYTHONDONTWRITEBYTECODE (bytecode.py): each warm-up run writes the
.pyc files that the timed runs then read, as an installed program's are.

    .venv/bin/python bench/list_bench.py [--runs N] [--baseline OTHER/.venv/bin/msgsvc]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from bytecode import without_bytecode_ban

TOTAL = 10_000
PAGE_SIZE = 1_000
ACCOUNT_SID = "AC" + "0" * 32
LIST_TARGET = 0.9
VERSION_TARGET = 2.0  # issue 26: `--version` at most 2x the floor (it was 7x before the fast path)

BARE_LOOP = r"""
import sys, requests
session = requests.Session()
session.auth = ("ACbench", "token")
url = sys.argv[1] + "/v1/Services?PageSize=1000"
services = []
while url:
    payload = session.get(url, timeout=30).json()
    services.extend(payload["services"])
    url = payload["meta"]["next_page_url"]
assert len(services) == 10000, len(services)
"""


def service(n: int) -> dict:
    sid = f"MG{n:032x}"
    return {
        "account_sid": ACCOUNT_SID,
        "sid": sid,
        "date_created": "2015-07-30T20:12:31Z",
        "date_updated": "2015-07-30T20:12:33Z",
        "friendly_name": f"Service number {n}",
        "inbound_request_url": "https://www.example.com/sms",
        "inbound_method": "POST",
        "fallback_url": None,
        "fallback_method": "POST",
        "status_callback": "https://www.example.com/status",
        "sticky_sender": True,
        "mms_converter": True,
        "smart_encoding": False,
        "fallback_to_long_code": True,
        "area_code_geomatch": True,
        "validity_period": 600,
        "scan_message_content": "inherit",
        "synchronous_validation": True,
        "usecase": "marketing",
        "us_app_to_person_registered": False,
        "use_inbound_webhook_on_number": True,
        "links": {
            "phone_numbers": f"https://messaging.twilio.com/v1/Services/{sid}/PhoneNumbers",
            "short_codes": f"https://messaging.twilio.com/v1/Services/{sid}/ShortCodes",
            "alpha_senders": f"https://messaging.twilio.com/v1/Services/{sid}/AlphaSenders",
        },
        "url": f"https://messaging.twilio.com/v1/Services/{sid}",
    }


def build_pages(base: str) -> list[bytes]:
    pages = []
    count = TOTAL // PAGE_SIZE
    for number in range(count):
        items = [service(number * PAGE_SIZE + i) for i in range(PAGE_SIZE)]
        next_url = (
            f"{base}/v1/Services?PageSize={PAGE_SIZE}&Page={number + 1}&PageToken=PT{number + 1}"
            if number + 1 < count
            else None
        )
        meta = {
            "page": number,
            "page_size": PAGE_SIZE,
            "first_page_url": f"{base}/v1/Services?PageSize={PAGE_SIZE}&Page=0",
            "previous_page_url": None,
            "next_page_url": next_url,
            "key": "services",
            "url": f"{base}/v1/Services?PageSize={PAGE_SIZE}&Page={number}",
        }
        pages.append(json.dumps({"services": items, "meta": meta}).encode())
    return pages


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Twilio's front end
    pages: list[bytes] = []

    def do_GET(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        if parts.path != "/v1/Services":
            self.send_error(404)
            return
        number = int(parse_qs(parts.query).get("Page", ["0"])[0])
        body = self.pages[number]
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall-clock seconds, and CPU seconds (user + system) of the child alone."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"bench: {' '.join(argv[:3])} ... failed with exit code {child.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


def medians(runs: int, env: dict[str, str], *commands: list[str]) -> list[tuple[float, float]]:
    """Median wall and CPU time of each command, the commands taking turns, so that a change
    in the machine's load during the run hits the floor and msgsvc alike."""
    for argv in commands:
        timed(argv, env)  # warm the page cache and the .pyc files
    samples: list[list[tuple[float, float]]] = [[] for _ in commands]
    for _ in range(runs):
        for argv, own in zip(commands, samples):
            own.append(timed(argv, env))
    return [
        (statistics.median(wall for wall, _ in own), statistics.median(cpu for _, cpu in own))
        for own in samples
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="runs per measurement (median)")
    parser.add_argument("--baseline", metavar="MSGSVC", help="another msgsvc to time alike (e.g. /work/main/.venv/bin/msgsvc)")
    args = parser.parse_args()

    python = sys.executable
    msgsvc = shutil.which("msgsvc", path=str(Path(python).parent))
    if msgsvc is None:
        print("bench: the msgsvc console script is not installed next to", python, file=sys.stderr)
        return 2

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    base = f"http://127.0.0.1:{server.server_address[1]}"
    Handler.pages = build_pages(base)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    with tempfile.TemporaryDirectory() as home:
        env = without_bytecode_ban({
            key: value for key, value in os.environ.items()
            if not key.startswith(("TWILIO_", "MSGSVC_")) and key.lower() not in ("http_proxy", "https_proxy", "all_proxy")
        })
        env.update(
            MSGSVC_CONFIG_DIR=home,
            TWILIO_ACCOUNT_SID=ACCOUNT_SID,
            TWILIO_AUTH_TOKEN="bench-token",
            MSGSVC_BASE_URL=base,
            NO_PROXY="127.0.0.1",
        )
        programs = [msgsvc] + ([args.baseline] if args.baseline else [])
        for program in programs:  # check once that each really returns all 10,000 services
            out = subprocess.run(
                [program, "services", "list", "--all", "--json"], capture_output=True, env=env, check=True
            ).stdout
            if len(json.loads(out)) != TOTAL:
                print(f"bench: {program} did not list every service", file=sys.stderr)
                return 1

        bare, *lists = medians(args.runs, env, [python, "-c", BARE_LOOP, base],
                               *([program, "services", "list", "--all", "--json"] for program in programs))
        floor, *versions = medians(args.runs, env, [python, "-c", "pass"], *([program, "--version"] for program in programs))
    server.shutdown()

    names = ["msgsvc"] + (["baseline"] if args.baseline else [])
    print(f"services list --all --json, {TOTAL} services in {TOTAL // PAGE_SIZE} pages "
          f"(median of {args.runs}; wall clock, and CPU time in brackets):")
    print(f"  bare requests loop      {bare[0] * 1000:7.1f} ms  ({bare[1] * 1000:6.1f} ms)")
    for name, ours in zip(names, lists):
        report(name, ours, bare, LIST_TARGET)
    print("start-up:")
    print(f"  python -c pass          {floor[0] * 1000:7.1f} ms  ({floor[1] * 1000:6.1f} ms)")
    for name, version in zip(names, versions):
        report(f"{name} --version", version, floor, VERSION_TARGET)
    if args.baseline:
        print(f"baseline: {args.baseline}")
    return 0


def report(name: str, ours: tuple[float, float], floor: tuple[float, float], target: float) -> None:
    ratio, cpu_ratio = ours[0] / floor[0], ours[1] / floor[1]
    verdict = "ok" if ratio <= target else "MISSED"
    print(f"  {name:<22}  {ours[0] * 1000:7.1f} ms  ({ours[1] * 1000:6.1f} ms)   "
          f"ratio {ratio:.2f}x ({cpu_ratio:.2f}x CPU), target <= {target}x: {verdict}")


if __name__ == "__main__":
    sys.exit(main())
