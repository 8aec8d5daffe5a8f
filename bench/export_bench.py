#!/usr/bin/env python3
"""Benchmark: `msgsvc export` of an account of 200 services, each with a few senders of
every kind, from a local server that takes 50 ms per request.

Prints the measured time of the installed `msgsvc` (a subprocess, start-up included), the
requests it made, the ideal `requests x 50 ms / concurrency`, the ratio, and the peak memory
(maximum resident set) of the msgsvc process. Target: within 1.3x of the ideal at the
default concurrency (8); exit status 1 when it is missed. For memory at scale:

    .venv/bin/python bench/export_bench.py [--services 200] [--delay 0.05] [--concurrency 8 16]
    .venv/bin/python bench/export_bench.py --services 5000 --delay 0 --concurrency 16
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from bulk_attach import Server as DelayServer  # bench/ is the script's directory, first on sys.path

ACCOUNT_SID = "AC" + "a" * 32
SEGMENTS = {
    "PhoneNumbers": ("phone_numbers", "PN", lambda s, i: {"phone_number": f"+1555{s:04d}{i:03d}", "country_code": "US",
                                                          "capabilities": ["SMS"]}),
    "ShortCodes": ("short_codes", "SC", lambda s, i: {"short_code": f"{s:04d}{i}", "country_code": "US",
                                                      "capabilities": ["SMS"]}),
    "AlphaSenders": ("alpha_senders", "AI", lambda s, i: {"alpha_sender": f"Co{s}x{i}", "capabilities": ["SMS"]}),
    "ChannelSenders": ("senders", "XE", lambda s, i: {"sender": f"whatsapp:+1666{s:04d}{i:03d}",
                                                      "sender_type": "WhatsApp", "country_code": "US"}),
    "DestinationAlphaSenders": ("alpha_senders", "AI", lambda s, i: {"alpha_sender": f"Dc{s}x{i}",
                                                                     "iso_country_code": "GB", "capabilities": ["SMS"]}),
}


def service(n: int) -> dict:
    return {"sid": f"MG{n:032x}", "account_sid": ACCOUNT_SID, "friendly_name": f"Service {n:04d}",
            "inbound_request_url": f"https://example.com/{n}", "inbound_method": "POST", "fallback_url": None,
            "fallback_method": "POST", "status_callback": None, "sticky_sender": True, "mms_converter": True,
            "smart_encoding": False, "scan_message_content": "inherit", "fallback_to_long_code": False,
            "area_code_geomatch": True, "validity_period": 36000, "synchronous_validation": True,
            "usecase": "notifications", "us_app_to_person_registered": False,
            "use_inbound_webhook_on_number": False, "date_created": "2015-07-30T20:12:31Z"}


class Server(DelayServer):
    """bench/bulk_attach.py's server (cheap, in its own process, `delay` per request, counted)
    answering as an account of `services` services with `per` senders of every kind each."""

    def __init__(self, delay: float, services: int, per: int) -> None:
        self.services, self.per = services, per
        super().__init__(delay)

    def answer(self, method: str, target: str, body: str) -> tuple[str, dict]:
        path = urlsplit(target).path
        parts = path.strip("/").split("/")
        if path == "/v1/Services":
            return "200 OK", {"services": [service(n) for n in range(self.services)],
                              "meta": {"key": "services", "next_page_url": None}}
        if len(parts) == 4 and parts[:2] == ["v1", "Services"] and parts[3] in SEGMENTS:
            key, prefix, make = SEGMENTS[parts[3]]
            n = int(parts[2][2:], 16)
            items = [{"sid": f"{prefix}{n:028x}{i:04x}", **make(n, i)} for i in range(self.per)]
            return "200 OK", {key: items, "meta": {"key": key, "next_page_url": None}}
        return "404 Not Found", {"code": 20404, "message": f"not found: {path}", "status": 404}


def count(url: str) -> int:
    import requests

    return requests.get(f"{url}/count", timeout=10).json()["count"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--senders", type=int, default=3, help="senders of every kind per service")
    parser.add_argument("--delay", type=float, default=0.05, help="seconds the server takes per request")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 16])
    args = parser.parse_args()

    msgsvc = shutil.which("msgsvc", path=str(Path(sys.executable).parent)) or "msgsvc"
    server = Server(args.delay, args.services, args.senders)
    url = f"http://127.0.0.1:{server.port}"
    ratios: dict[int, float] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "MSGSVC_CONFIG_DIR": tmp, "MSGSVC_CACHE_DIR": tmp, "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                   "TWILIO_AUTH_TOKEN": "token", "MSGSVC_BASE_URL": url}
            print(f"{args.services} services, {args.senders} senders of each of {len(SEGMENTS)} kinds each, "
                  f"{args.delay * 1000:.0f} ms per request")
            print(f"{'concurrency':>11} {'requests':>8} {'msgsvc':>8} {'ideal':>8} {'vs ideal':>9} {'peak RSS':>9}")
            for concurrency in args.concurrency:
                before = count(url)
                started = time.perf_counter()
                proc = subprocess.Popen([msgsvc, "export", "--concurrency", str(concurrency)],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
                stdout, stderr = proc.communicate()
                measured = time.perf_counter() - started
                rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # MB: the largest child so far
                done = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
                if done.returncode != 0:
                    print(done.stderr, file=sys.stderr)
                    return 1
                assert done.stdout.count("[[services]]") == args.services
                requests_made = count(url) - before
                ideal = requests_made * args.delay / concurrency
                ratio = f"{measured / ideal:>8.2f}x" if ideal else f"{'n/a':>9}"
                if ideal:
                    ratios[concurrency] = measured / ideal
                print(f"{concurrency:>11} {requests_made:>8} {measured:>7.2f}s {ideal:>7.2f}s {ratio} {rss:>7.0f}MB")
    finally:
        server.stop()
    if args.delay == 0:  # a memory run: no ideal to compare with
        return 0
    target = ratios.get(8, max(ratios.values()))
    print(f"ratio to the ideal at concurrency {8 if 8 in ratios else 'max'}: {target:.2f}x (target: 1.30x or less)")
    return 0 if target <= 1.3 else 1


if __name__ == "__main__":
    sys.exit(main())
