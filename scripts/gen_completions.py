#!/usr/bin/env python3
"""Write completions/msgsvc.bash, completions/_msgsvc, completions/msgsvc.fish and
completions/msgsvc.ps1 (PowerShell).

Each file is exactly what `msgsvc completion SHELL` (and `_MSGSVC_COMPLETE=source_SHELL msgsvc`)
prints. The scripts are thin: every Tab asks msgsvc, so new commands need no new scripts.

    python scripts/gen_completions.py            # (re)write the files
    python scripts/gen_completions.py --check    # exit 1 if a committed file differs
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FILES = {"bash": "msgsvc.bash", "zsh": "_msgsvc", "fish": "msgsvc.fish", "powershell": "msgsvc.ps1"}


def generate() -> dict[str, str]:
    """{file name: content} for every shell."""
    sys.path.insert(0, str(ROOT))
    from msgsvc.cli.shell import script

    return {name: script(shell) for shell, name in FILES.items()}


def main(argv: list[str]) -> int:
    out = ROOT / "completions"
    stale = []
    for name, text in generate().items():
        path = out / name
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(name)
        if "--check" not in argv:
            out.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if "--check" in argv and stale:
        print(f"completions/ is out of date ({', '.join(stale)}); run: python scripts/gen_completions.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
