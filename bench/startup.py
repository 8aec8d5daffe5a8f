#!/usr/bin/env python3
"""Start-up benchmark: every Tab press runs msgsvc, so start-up time is completion latency.

Times, as the median of many runs (interleaved, so drift hits every command alike):
the floor `python -c pass` (this interpreter), a completion request (one Tab on a SERVICE,
which reads the config and the service cache; and one on a command name), `msgsvc --version`,
`msgsvc --help` and `msgsvc services create --help`. Prints absolute medians and ratios to the
floor against the targets (completion within 2.5x, --version within 2x, the two --help within
5x: msgsvc/cli/fast.py answers them without importing typer).

With --with-twilio (asked for, never by default: it downloads from npm) it also installs
Twilio's official CLI (`npm install twilio-cli`) into a temporary folder (skipped with a note
when npm or the network is missing, or it times out), or uses the one --twilio-dir holds,
and times its `--version` and its `api:messaging:v1:services:create --help` the same way.

    .venv/bin/python bench/startup.py [--runs 40] [--with-twilio | --twilio-dir DIR] [--baseline MSGSVC]

`--baseline` also times another installed msgsvc (another checkout's .venv/bin/msgsvc) in
the same turns, for before and after from one run. The children run without
PYTHONDONTWRITEBYTECODE (bytecode.py): the warm-up run writes the .pyc files the others read.

Exit status 1 when a target is missed. Nothing here is a test: timings vary between machines,
the ratios against a floor measured in the same run are what to compare.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bytecode import without_bytecode_ban

BIN = Path(sys.executable).parent
MSGSVC = str(BIN / "msgsvc") if (BIN / "msgsvc").exists() else shutil.which("msgsvc") or "msgsvc"
ACCOUNT = "AC" + "0" * 32


def sandbox(directory: Path) -> dict[str, str]:
    """A config with one profile and a cache of 200 services, found the way a user's are
    (XDG directories, no MSGSVC_* variables)."""
    config, cache = directory / "msgsvc", directory / "msgsvc"
    config.mkdir(mode=0o700)
    (config / "config.toml").write_text(
        f'active = "prod"\n[profiles.prod]\naccount_sid = "{ACCOUNT}"\nauth_token = "x"\n'
    )
    (config / "config.toml").chmod(0o600)
    lines = "".join(f"MG{i:032x}\tService {i}\n" for i in range(200))
    (cache / "services-profile-prod.tsv").write_text("msgsvc services cache 1\n" + lines)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "MSGSVC_", "_MSGSVC", "XDG_"))}
    env.update(HOME=str(directory), XDG_CONFIG_HOME=str(directory), XDG_CACHE_HOME=str(directory))
    return env


def cases(env: dict[str, str], baseline: str | None = None) -> list[tuple[str, list[str], dict[str, str], float | None]]:
    """(label, argv, env, target ratio): the floor, msgsvc's commands, then the same
    commands of the `baseline` msgsvc (no target: they are there to compare with)."""
    tab = {**env, "_MSGSVC_COMPLETE": "complete_bash"}

    def commands(program: str, label: str, targets: bool) -> list[tuple[str, list[str], dict[str, str], float | None]]:
        return [
            (f"Tab: {label} services get MG0<Tab>", [program], {**tab, "COMP_WORDS": "msgsvc\nservices\nget\nMG0", "COMP_CWORD": "3"}, 2.5),
            (f"Tab: {label} serv<Tab>", [program], {**tab, "COMP_WORDS": "msgsvc\nserv", "COMP_CWORD": "1"}, 2.5),
            (f"Tab: {label} services create --u<Tab>", [program], {**tab, "COMP_WORDS": "msgsvc\nservices\ncreate\n--u", "COMP_CWORD": "3"}, 2.5),
            (f"{label} --version", [program, "--version"], env, 2),
            (f"{label} --help", [program, "--help"], env, 5),
            (f"{label} services create --help", [program, "services", "create", "--help"], env, 5),
        ] if targets else [(name, argv, e, None) for name, argv, e, _ in commands(program, label, True)]

    return [("python -c pass (floor)", [sys.executable, "-c", "pass"], env, None), *commands(MSGSVC, "msgsvc", True),
            *(commands(baseline, "baseline", False) if baseline else ())]


def run_once(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.decode()[:300]}")
    return elapsed


def measure(commands: list[tuple[list[str], dict[str, str]]], runs: int) -> list[float]:
    """Median seconds of each command; runs interleaved round-robin after one warm-up each."""
    for argv, env in commands:
        run_once(argv, env)
    times: list[list[float]] = [[] for _ in commands]
    for _ in range(runs):
        for index, (argv, env) in enumerate(commands):
            times[index].append(run_once(argv, env))
    return [statistics.median(t) for t in times]


def install_twilio(directory: Path | None, timeout: float) -> Path | None:
    """The twilio executable, installed into a temporary folder; None (with a note) if impossible."""
    if directory is not None:
        exe = directory / "node_modules" / ".bin" / "twilio"
        return exe if exe.exists() else None
    npm = shutil.which("npm")
    if npm is None:
        print("twilio-cli: skipped (npm is not installed)")
        return None
    folder = Path(tempfile.mkdtemp(prefix="msgsvc-bench-twilio-"))
    print(f"twilio-cli: npm install twilio-cli into {folder} (timeout {timeout:.0f} s) ...", flush=True)
    try:
        done = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", str(folder), "twilio-cli"],
            capture_output=True, text=True, timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        print("twilio-cli: skipped (npm install timed out)")
        return None
    exe = folder / "node_modules" / ".bin" / "twilio"
    if done.returncode != 0 or not exe.exists():
        print(f"twilio-cli: skipped (npm install failed: {done.stderr.strip()[-300:]})")
        return None
    return exe


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=40, help="runs per command (default 40)")
    parser.add_argument("--with-twilio", action="store_true",
                        help="also time Twilio's CLI, installed from npm into a temporary folder (a download)")
    parser.add_argument("--twilio-dir", type=Path, help="also time the twilio-cli of an `npm install --prefix DIR twilio-cli`")
    parser.add_argument("--npm-timeout", type=float, default=600)
    parser.add_argument("--baseline", metavar="MSGSVC",
                        help="also time another msgsvc in the same turns (e.g. /work/main/.venv/bin/msgsvc), no target")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="msgsvc-bench-") as tmp:
        env = without_bytecode_ban(sandbox(Path(tmp)))
        table = cases(env, args.baseline)
        medians = measure([(argv, e) for _, argv, e, _ in table], args.runs)
        floor = medians[0]
        print(f"{sys.executable} ({sys.version.split()[0]}); msgsvc: {MSGSVC}; median of {args.runs} runs")
        print(f"{'':<38} {'median':>9} {'ratio':>7} {'target':>7}")
        missed = []
        for (label, _, _, target), median in zip(table, medians):
            ratio = median / floor
            verdict = "" if target is None else (f"<= {target}x " + ("ok" if ratio <= target else "MISSED"))
            if target is not None and ratio > target:
                missed.append(label)
            print(f"{label:<38} {median * 1000:7.1f} ms {ratio:6.2f}x  {verdict}")

        if args.with_twilio or args.twilio_dir is not None:
            exe = install_twilio(args.twilio_dir, args.npm_timeout)
            if exe is not None:
                tenv = {**env, "TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": "x",
                        "HOME": tmp, "TWILIO_CLI_TELEMETRY": "false"}
                pairs = [
                    ("twilio --version", [str(exe), "--version"], medians[4]),
                    ("twilio api:messaging:v1:services:create --help",
                     [str(exe), "api:messaging:v1:services:create", "--help"], medians[6]),
                ]
                runs = max(5, args.runs // 4)
                try:
                    theirs = measure([(argv, tenv) for _, argv, _ in pairs], runs)
                except SystemExit as exc:
                    print(f"twilio-cli: skipped ({exc})")
                else:
                    print(f"twilio-cli, median of {runs} runs (msgsvc's equivalent in brackets)")
                    for (label, _, ours), median in zip(pairs, theirs):
                        print(f"{label:<50} {median * 1000:7.1f} ms {median / floor:6.1f}x floor; "
                              f"msgsvc is {median / ours:.1f}x faster ({ours * 1000:.1f} ms)")
                if args.twilio_dir is None:
                    shutil.rmtree(exe.parents[2], ignore_errors=True)
    if missed:
        print("MISSED: " + ", ".join(missed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
