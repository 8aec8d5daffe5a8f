#!/usr/bin/env python3
"""Regenerate everything that is generated from the command tree, in one command: the static
tree of the fast path (scripts/gen_tree.py: msgsvc/cli/tree.py, tree_help.py), the man pages
(scripts/gen_man.py: man/) and the completion scripts (scripts/gen_completions.py:
completions/). Run it after adding or changing a command or an option, and after a merge.

    python scripts/generate.py            # (re)write them all
    python scripts/generate.py --check    # exit 1 if any committed file differs
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import gen_completions  # noqa: E402
import gen_man  # noqa: E402
import gen_tree  # noqa: E402


def main(argv: list[str]) -> int:
    return max(module.main(argv) for module in (gen_tree, gen_man, gen_completions))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
