"""Real bash, zsh and fish load the committed scripts and complete msgsvc lines.

bash: the function `complete -p msgsvc` names, called as bash would (COMP_WORDS, COMP_CWORD).
fish: `complete -C`. zsh: an interactive zsh in a tmux session, typing and pressing Tab.
Each shell runs the installed `msgsvc` from this venv, with a test config and a test cache.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from conftest import ACCOUNT_SID, AUTH_TOKEN, MSGSVC, OTHER_SID, SERVICE_SID

ROOT = Path(__file__).resolve().parents[1]
COMPLETIONS = ROOT / "completions"
THIRD_SID = "MG" + "c" * 32

# (line typed, what must be offered); the same cases for every shell.
CASES = [
    ("msgsvc serv", ["services"]),
    ("msgsvc services ", ["create", "delete", "get", "list", "update", "usecases"]),
    ("msgsvc services create --use", ["--usecase", "--use-inbound-webhook-on-number"]),
    ("msgsvc services create --usecase ", ["discussion", "marketing", "notifications", "poll", "undeclared", "verification"]),
    ("msgsvc --profile ", ["staging", "test"]),
    ("msgsvc services get ", [OTHER_SID, SERVICE_SID]),
    ("msgsvc -p staging services delete ", [THIRD_SID]),
]


def need(tool: str) -> str:
    from conftest import need_tool

    return need_tool(tool)


@pytest.fixture
def shell_env(isolated):
    """Environment of a user with two profiles and cached services, msgsvc on PATH, no rc files."""
    from msgsvc.local import cache, config

    config.write_config({
        "active": "test",
        "profiles": {
            "test": {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN},
            "staging": {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN},
        },
    })
    cache._save("profile-test", {SERVICE_SID: "Alerts", OTHER_SID: "Promos"})
    cache._save("profile-staging", {THIRD_SID: "Staging alerts"})
    home = isolated / "home"
    home.mkdir()
    work = isolated / "work"
    work.mkdir()
    (work / "a-file-not-a-service.txt").write_text("")
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "PATH": os.pathsep.join([str(Path(MSGSVC).parent), os.environ.get("PATH", "/usr/bin:/bin")]),
        "TERM": "xterm",
    }
    return env, work


def test_bash_completes_through_the_committed_script(shell_env):
    bash = need("bash")
    env, work = shell_env
    script = r"""
source "$1"
spec=$(complete -p msgsvc) || exit 3
func=${spec#*-F }; func=${func%% *}
try() {
    local line=$1
    read -ra COMP_WORDS <<< "$line"
    [[ $line == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMP_LINE=$line; COMP_POINT=${#line}
    COMPREPLY=()
    "$func" msgsvc "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    printf '== %s\n' "$line"; printf '%s\n' "${COMPREPLY[@]}" | sort
}
shift
for line in "$@"; do try "$line"; done
"""
    lines = [line for line, _ in CASES] + ["msgsvc --profile nosuch services get "]
    done = subprocess.run([bash, "--norc", "--noprofile", "-c", script, "bash", str(COMPLETIONS / "msgsvc.bash"), *lines],
                          capture_output=True, text=True, env=env, cwd=work, timeout=120)
    assert (done.returncode, done.stderr) == (0, "")
    expected = "".join(f"== {line}\n" + "".join(f"{w}\n" for w in sorted(words)) for line, words in CASES)
    # Nothing at all, not the files of the current directory, when nothing matches:
    expected += "== msgsvc --profile nosuch services get \n\n"
    assert done.stdout == expected


def test_bash_completion_loads_lazily_from_the_user_completions_dir(shell_env):
    bash = need("bash")
    loader = Path("/usr/share/bash-completion/bash_completion")
    if not loader.exists():
        from conftest import IN_CI

        (pytest.fail if IN_CI else pytest.skip)("bash-completion is not installed (apt-get install bash-completion)")
    env, work = shell_env
    target = Path(env["XDG_DATA_HOME"]) / "bash-completion" / "completions" / "msgsvc"
    target.parent.mkdir(parents=True)
    shutil.copy(COMPLETIONS / "msgsvc.bash", target)
    script = f"""
source {loader}
complete -p msgsvc >/dev/null 2>&1 && exit 4   # not loaded before the first Tab
_completion_loader msgsvc
COMP_WORDS=(msgsvc services create --usecase ma); COMP_CWORD=4
$(complete -p msgsvc | sed 's/.*-F \\([^ ]*\\).*/\\1/') msgsvc ma --usecase
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    done = subprocess.run([bash, "--norc", "--noprofile", "-c", script], capture_output=True, text=True,
                          env=env, cwd=work, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, "marketing\n", "")


def test_fish_completes_through_the_committed_script(shell_env):
    fish = need("fish")
    env, work = shell_env
    commands = [f"source {COMPLETIONS / 'msgsvc.fish'}"]
    for line, _ in CASES + [("msgsvc --profile nosuch services get ", [])]:
        commands += [f"echo '== {line}'", f"complete -C '{line}' | sort"]
    done = subprocess.run([fish, "--no-config", "-c", "; ".join(commands)], capture_output=True, text=True,
                          env=env, cwd=work, timeout=120)
    assert (done.returncode, done.stderr) == (0, "")
    described = {
        SERVICE_SID: "Alerts", OTHER_SID: "Promos", THIRD_SID: "Staging alerts",
        "--usecase": "What the service is used for.",
        "--use-inbound-webhook-on-number": "Use each number's own webhook instead of the service's inbound and fallback URLs.",
        "services": "Create, show, list, change, delete services.", "create": "Create a Messaging Service; print it.",
        "get": "Show one Messaging Service, every field.", "delete": "Delete Messaging Services.",
        "list": "List Messaging Services.", "update": "Change a Messaging Service; print the result.",
        "usecases": "List the values --usecase takes.",
    }
    expected = ""
    for line, words in CASES:
        expected += f"== {line}\n" + "".join(
            f"{w}\t{described[w]}\n" if w in described else f"{w}\n" for w in sorted(words))
    expected += "== msgsvc --profile nosuch services get \n"
    assert done.stdout == expected


def test_fish_loads_the_script_from_its_completions_dir(shell_env):
    fish = need("fish")
    env, work = shell_env
    target = Path(env["XDG_CONFIG_HOME"]) / "fish" / "completions" / "msgsvc.fish"
    target.parent.mkdir(parents=True)
    shutil.copy(COMPLETIONS / "msgsvc.fish", target)
    done = subprocess.run([fish, "-c", "complete -C 'msgsvc services get MGa'"], capture_output=True,
                          text=True, env=env, cwd=work, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"{SERVICE_SID}\tAlerts\n", "")


class Tmux:
    """One interactive shell in a private tmux server."""

    def __init__(self, command: list[str], env: dict, cwd: Path) -> None:
        self.socket = f"msgsvc-test-{uuid.uuid4().hex[:8]}"
        self.env = env
        self.tmux(["new-session", "-d", "-x", "160", "-y", "50", "-c", str(cwd), "--", *command])

    def tmux(self, args: list[str]) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True,
                              env=self.env, check=True, timeout=30).stdout

    def screen(self) -> str:
        return self.tmux(["capture-pane", "-p"])

    def wait_for(self, predicate, what: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if predicate(screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; the screen:\n{screen}")
            time.sleep(0.1)

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, env=self.env)


@pytest.mark.parametrize("how", ["fpath", "source"])
def test_zsh_completes_through_the_committed_script(shell_env, how):
    """Autoloaded from $fpath (installed), and sourced after compinit (trying it out)."""
    zsh = need("zsh")
    need("tmux")
    env, work = shell_env
    zdot = Path(env["HOME"]) / "zdot"
    zdot.mkdir()
    (zdot / ".zshrc").write_text(
        (f"fpath=({COMPLETIONS} $fpath)\n" if how == "fpath" else "")
        + "autoload -Uz compinit && compinit -u -D\n"
        + (f"source {COMPLETIONS / '_msgsvc'}\n" if how == "source" else "")
        + "setopt no_list_ambiguous no_beep\n"
        "PROMPT='READY> '\n"
    )
    tmux = Tmux(["env", f"ZDOTDIR={zdot}", zsh, "-i"], env, work)
    try:
        tmux.wait_for(lambda s: "READY>" in s, "the prompt")
        for line, words in CASES:
            tmux.tmux(["send-keys", "-l", line])
            tmux.tmux(["send-keys", "Tab"])
            if len(words) == 1:  # the one candidate is inserted into the line
                screen = tmux.wait_for(lambda s, w=words[0]: bool(s) and s.splitlines()[0].rstrip().endswith(" " + w),
                                       f"{line!r} to become {words[0]}")
            else:  # the candidates are listed below the line
                screen = tmux.wait_for(lambda s, ws=words: all(w in s for w in ws), f"the candidates of {line!r}")
            if line == "msgsvc services get ":
                assert f"{SERVICE_SID}  -- Alerts" in screen and f"{OTHER_SID}  -- Promos" in screen
            if line == "msgsvc services create --use":
                assert "--usecase                        -- What the service is used for." in screen
            assert "a-file-not-a-service.txt" not in screen
            tmux.tmux(["send-keys", "C-u"])
            tmux.tmux(["send-keys", "C-l"])
            tmux.wait_for(lambda s: s.strip() == "READY>", "a clear screen")
    finally:
        tmux.close()


def test_bash_completes_friendly_names_by_prefix_quoted(shell_env):
    """`msgsvc -p staging services get Stag<Tab>` inserts `Staging\\ alerts`: one word for bash,
    which msgsvc then resolves by name."""
    bash = need("bash")
    env, work = shell_env
    script = r"""
source "$1"
COMP_WORDS=(msgsvc -p staging services get Stag); COMP_CWORD=5
_msgsvc_completion msgsvc Stag get
printf '%s\n' "${COMPREPLY[@]}"
COMP_WORDS=(msgsvc services get Al); COMP_CWORD=3
_msgsvc_completion msgsvc Al get
printf '%s\n' "${COMPREPLY[@]}"
eval "words=(${COMPREPLY[0]})"; printf '[%s]\n' "${words[@]}"
"""
    done = subprocess.run([bash, "--norc", "--noprofile", "-c", script, "bash", str(COMPLETIONS / "msgsvc.bash")],
                          capture_output=True, text=True, env=env, cwd=work, timeout=120)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == "Staging\\ alerts\nAlerts\n[Alerts]\n"


def test_names_complete_in_process_in_every_shell(msgsvc, shell_env, monkeypatch):
    from msgsvc.cli.complete import complete_services

    class Ctx:
        params = {"profile": "staging"}
        parent = None

    assert complete_services(Ctx(), "Stag") == [("Staging alerts", THIRD_SID)]
    assert complete_services(Ctx(), "") == [(THIRD_SID, "Staging alerts")]  # nothing typed: SIDs only
    assert complete_services(Ctx(), "stag") == []  # names are exact, as SERVICE is resolved
