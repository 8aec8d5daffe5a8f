"""The environment of a benchmark's child processes, without PYTHONDONTWRITEBYTECODE.

With that variable set (some shells and CI images set it), every run compiles each module
again, which an installed program never does: the benches drop it for their children, so
that a warm-up run writes the .pyc files and the timed runs read them."""

from __future__ import annotations

import os


def without_bytecode_ban(env: dict[str, str] | None = None) -> dict[str, str]:
    """`env` (the environment by default) without PYTHONDONTWRITEBYTECODE."""
    env = dict(os.environ if env is None else env)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env
