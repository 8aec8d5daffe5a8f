#!/usr/bin/env python3
"""Write man/msgsvc.1 and one page per command (man/msgsvc-services-create.1, ...).

The pages come from walking msgsvc's command tree, so a new command gets its page by
rerunning this script: its help text gives NAME and DESCRIPTION (the first paragraph is the
summary), its `Example:` block gives EXAMPLES, its parameters give SYNOPSIS and OPTIONS.
The date is $SOURCE_DATE_EPOCH (default: a fixed date), so the pages are reproducible.

    python scripts/gen_man.py            # (re)write man/
    python scripts/gen_man.py --check    # exit 1 if man/ differs from what the code gives
"""

from __future__ import annotations

import os
import re
import sys
import textwrap
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_EPOCH = 1767225600  # 2026-01-01: keeps the committed pages reproducible
REGENERATE = "python scripts/gen_man.py"

FILES = (
    ("~/.config/msgsvc/config.toml",
     "The profiles: credentials and settings, mode 0600 (platformdirs' user config directory, "
     "or $MSGSVC_CONFIG_DIR)."),
    ("~/.cache/msgsvc/services-*.tsv",
     "Service SIDs and names seen by the services commands, one file per profile, used only "
     "by tab completion (platformdirs' user cache directory, or $MSGSVC_CACHE_DIR). Safe to delete."),
    ("~/.local/state/msgsvc/moves/*.move",
     "One file per move of a sender in flight, removed once its outcome is reported; one left by "
     "an msgsvc that stopped is checked by the next move, plan, apply or doctor (platformdirs' "
     "user state directory, or $MSGSVC_STATE_DIR). Do not delete while a move runs."),
)


# --- reading the help text -------------------------------------------------------------------


@dataclass
class Help:
    summary: str = ""
    description: list[tuple[bool, str]] = field(default_factory=list)  # (preformatted, text)
    examples: list[str] = field(default_factory=list)


def parse_help(text: str) -> Help:
    """Split click help into summary, description paragraphs and example blocks.

    Paragraphs are separated by blank lines; one whose first line is click's `\\b` marker is
    preformatted. The `\\b` lines may sit at column 0 while the rest is indented, so the
    common indentation is computed without them. `Example:`/`Examples:` introduces the
    preformatted blocks that follow; an `Exit status:` block is left to EXIT STATUS.
    """
    text = (text or "").split("\f")[0]
    lines = text.expandtabs().splitlines()
    body = [ln for ln in lines[1:] if ln.strip() and ln.strip() != "\b"]
    margin = min((len(ln) - len(ln.lstrip()) for ln in body), default=0)
    lines = lines[:1] + [ln[margin:] if ln[:margin].strip() == "" else ln.strip() for ln in lines[1:]]

    blocks: list[list[str]] = [[]]
    for line in lines:
        if line.strip():
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    blocks = [b for b in blocks if b]

    result = Help()
    in_examples = False
    for index, block in enumerate(blocks):
        pre = block[0].strip() == "\b"
        if pre:
            content = textwrap.dedent("\n".join(block[1:]))
            if content.startswith("Exit status:"):
                continue
            if in_examples:
                result.examples.append(content)
            else:
                result.description.append((True, content))
            continue
        paragraph = " ".join(ln.strip() for ln in block)
        if paragraph.rstrip(":").strip().lower() in ("example", "examples"):
            in_examples = True
            continue
        in_examples = False
        if index == 0:
            result.summary = paragraph
        else:
            result.description.append((False, paragraph))
    return result


# --- roff -----------------------------------------------------------------------------------


def esc(text: str) -> str:
    """Text for a roff line: backslashes escaped, hyphens of options unbreakable, and no line
    starting with a control character."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join("\\&" + ln if ln.startswith((".", "'")) else ln for ln in text.split("\n"))


def preformatted(text: str) -> list[str]:
    return [".RS 4", ".nf", esc(text), ".fi", ".RE"]


def option_term(term: str) -> str:
    """'-p, --profile NAME' -> bold option names, italic metavar."""
    words = term.split(" ")
    metavar = ""
    if len(words) > 1 and not words[-1].startswith("-") and words[-1] != "/":
        metavar = words.pop()
    parts = []
    for word in words:
        core = word.rstrip(",")
        parts.append(f"\\fB{esc(core)}\\fR" + word[len(core):] if core.startswith("-") else esc(word))
    line = " ".join(parts)
    return line + (f" \\fI{esc(metavar)}\\fR" if metavar else "")


def page_name(path: tuple[str, ...]) -> str:
    return "-".join(path)


@dataclass
class Node:
    path: tuple[str, ...]
    command: Any
    ctx: Any
    children: list["Node"] = field(default_factory=list)


def walk(command: Any, ctx: Any, path: tuple[str, ...]) -> Node:
    """The command tree below `command`, hidden commands left out, in help order."""
    from typer._click import Context

    node = Node(path, command, ctx)
    for name in getattr(command, "list_commands", lambda c: [])(ctx):
        sub = command.get_command(ctx, name)
        if sub is None or getattr(sub, "hidden", False):
            continue
        node.children.append(walk(sub, Context(sub, info_name=name, parent=ctx), path + (name,)))
    return node


def tree() -> Node:
    sys.path.insert(0, str(ROOT))
    from typer._click import Context
    from typer.main import get_command

    import msgsvc.cli.app

    root = get_command(msgsvc.cli.app.app)
    return walk(root, Context(root, info_name="msgsvc"), ("msgsvc",))


def nodes(node: Node) -> Iterator[Node]:
    yield node
    for child in node.children:
        yield from nodes(child)


def exit_status() -> list[str]:
    from msgsvc.errors import ExitCode

    out = [".SH EXIT STATUS"]
    for code in ExitCode:
        out += [".TP", f".B {code.value}", esc(code.help)]
    return out


def render(node: Node, date: str, version: str) -> str:
    cmd, ctx = node.command, node.ctx
    name = page_name(node.path)
    info = parse_help(cmd.help or "")
    summary = info.summary or cmd.get_short_help_str(limit=200)
    first_sentence = re.split(r"(?<=\.)\s", summary, maxsplit=1)[0]
    out = [
        f'.TH "{name.upper()}" "1" "{date}" "msgsvc {version}" "User Commands"',
        ".nh",  # no hyphenation: option and page names must stay whole
        ".ad l",
        ".SH NAME",
        f"{esc(name)} \\- {esc(first_sentence.rstrip('.'))}",
        ".SH SYNOPSIS",
        f".B {esc(' '.join(node.path))}",
        esc(" ".join(cmd.collect_usage_pieces(ctx))),
        ".SH DESCRIPTION",
        esc(summary),
    ]
    for pre, text in info.description:
        out += preformatted(text) if pre else [".PP", esc(text)]

    arguments, options = [], []
    for param in cmd.get_params(ctx):
        record = param.get_help_record(ctx)
        if record is None or getattr(param, "hidden", False):
            continue
        (arguments if getattr(param, "param_type_name", "") == "argument" else options).append(record)
    if arguments:
        out.append(".SH ARGUMENTS")
        for term, text in arguments:
            out += [".TP", f".B {esc(term)}", esc(" ".join(text.split()))]
    out.append(".SH OPTIONS")
    for term, text in options:
        out += [".TP", option_term(term), esc(" ".join(text.split()))]
    if len(node.path) > 1:
        out += [".PP", esc("The global options of msgsvc(1) (--profile, --json, --base-url, --timeout, "
                           "--max-retries, --debug) may be given before or after the command.")]

    if node.children:
        out.append(".SH COMMANDS")
        for child in node.children:
            out += [".TP", f".B {esc(child.path[-1])}",
                    esc(child.command.get_short_help_str(limit=200)) + f" See \\fB{esc(page_name(child.path))}\\fR(1)."]

    out += exit_status()
    if len(node.path) == 1:
        out.append(".SH ENVIRONMENT")
        from msgsvc.local.resolution import ENVIRONMENT

        for var, text in ENVIRONMENT:
            out += [".TP", f".B {esc(var)}", esc(text)]
        out.append(".SH FILES")
        for path, text in FILES:
            out += [".TP", f".I {esc(path)}", esc(text)]
    if info.examples:
        out.append(".SH EXAMPLES")
        for example in info.examples:
            out += preformatted(example)

    see = [page_name(node.path[:i]) for i in range(1, len(node.path))]
    see += [page_name(child.path) for child in node.children]
    if see:
        out.append(".SH SEE ALSO")
        out.append(",\n".join(f".BR {esc(s)} (1)" for s in see))
    return "\n".join(out) + "\n"


def generate() -> dict[str, str]:
    """{file name: page} for every command of the tree."""
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", DEFAULT_EPOCH))
    date = datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%d")
    root = tree()
    from msgsvc import __version__

    return {page_name(n.path) + ".1": render(n, date, __version__) for n in nodes(root)}


def main(argv: list[str]) -> int:
    out = ROOT / "man"
    pages = generate()
    existing = {p.name for p in out.glob("*.1")} if out.is_dir() else set()
    changed = [n for n, t in pages.items() if not (out / n).exists() or (out / n).read_text(encoding="utf-8") != t]
    extra = sorted(existing - set(pages))
    if "--check" in argv:
        if changed or extra:
            print(f"man/ is out of date (changed: {', '.join(changed) or 'none'}; "
                  f"no longer generated: {', '.join(extra) or 'none'}); run: {REGENERATE}", file=sys.stderr)
            return 1
        return 0
    out.mkdir(exist_ok=True)
    for name in changed:
        (out / name).write_text(pages[name], encoding="utf-8")
    for name in extra:
        (out / name).unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
