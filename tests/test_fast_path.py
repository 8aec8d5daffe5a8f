"""The fast path (msgsvc/cli/fast.py) against the typer app it stands in for: the committed tree
is what scripts/gen_tree.py makes of the app, and for every command and every option a Tab
press, --version and --help answer exactly as the app answers them."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from conftest import ACCOUNT_SID, AUTH_TOKEN, OTHER_SID, SERVICE_SID

ROOT = Path(__file__).resolve().parents[1]
THIRD_SID = "MG" + "c" * 32
NUMBER_SID = "PN" + "1" * 32


def load_script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_the_committed_tree_is_what_the_app_gives():
    """Like the man pages' and completion scripts' drift tests: regenerate and compare."""
    for path, text in load_script("gen_tree").generate().items():
        assert path.read_text(encoding="utf-8") == text, f"{path.name} is stale: run python scripts/generate.py"


def test_the_drift_check_can_fail(tmp_path, monkeypatch):
    gen_tree = load_script("gen_tree")
    stale = tmp_path / "tree.py"
    stale.write_text("TREE = {}\n")
    monkeypatch.setattr(gen_tree, "TARGET", stale)
    assert gen_tree.main(["--check"]) == 1
    assert stale.read_text() == "TREE = {}\n"


# --- a Tab press: the fast path and the typer app, line by line ------------------------------


@pytest.fixture
def profiles(isolated):
    from msgsvc.local import cache, config

    config.write_config({
        "active": "test",
        "profiles": {
            "test": {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN},
            "staging": {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN},
        },
    })
    cache._save("profile-test", {SERVICE_SID: "Alerts", OTHER_SID: "Promos: spring"})
    cache._save("profile-staging", {THIRD_SID: "Staging alerts"})
    cache.remember_table("profile-test", "brands", {"BN" + "a" * 32: "APPROVED STANDARD"})
    cache.remember_table("profile-test", cache.senders_table("numbers", SERVICE_SID), {NUMBER_SID: "+15017122661"})
    return isolated


def environment(shell: str, line: str) -> dict[str, str]:
    """What each shell's script sets for the Tab press at the end of `line`."""
    env = {"_MSGSVC_COMPLETE": f"complete_{shell}"}
    if shell == "bash":
        words = line.split(" ")
        env.update(COMP_WORDS="\n".join(words), COMP_CWORD=str(len(words) - 1))
    elif shell == "powershell":
        env.update(_TYPER_COMPLETE_ARGS=line, _TYPER_COMPLETE_WORD_TO_COMPLETE=line.split(" ")[-1])
    else:
        env.update(_TYPER_COMPLETE_ARGS=line, _TYPER_COMPLETE_FISH_ACTION="get-args")
    return env


@pytest.fixture
def both(monkeypatch, capsys):
    """both(shell, line) -> (the typer app's answer, the fast path's answer), each (status, out, err)."""
    from msgsvc.cli import app as cli
    from msgsvc.cli import fast

    def run(shell: str, line: str):
        answers = []
        with monkeypatch.context() as m:
            for name, value in environment(shell, line).items():
                m.setenv(name, value)
            for ask in (lambda: cli.run([]), lambda: fast.answer([])):
                capsys.readouterr()
                code = ask()
                answers.append((code, *capsys.readouterr()))
        return tuple(answers)

    return run


def tree():
    from msgsvc.cli.tree import PARAMS, TREE

    return {path: (group, commands, [PARAMS[i] for i in indices]) for path, (group, commands, indices) in TREE.items()}


def lines_for(path: str, group: bool, commands, params) -> list[str]:
    """Lines ending in a Tab press that reach every subcommand, option and argument of one command."""
    head = " ".join(["msgsvc", path] if path else ["msgsvc"])
    lines = [f"{head} ", f"{head} -", f"{head} --", f"{head} --x", f"{head} -- "]
    lines += [f"{head} {name[:1]}" for name, _ in commands]
    for param in params:
        kind, name, opts, secondary, takes_value = param[:5]
        if kind == "argument":
            lines += [f"{head} MG", f"{head} Al", f"{head} {SERVICE_SID} ", f"{head} x y "]
            continue
        for opt in opts + secondary:
            lines += [f"{head} {opt[:3]}", f"{head} {opt} -", f"{head} {opt} "]
            if takes_value:
                lines += [f"{head} {opt} m", f"{head} {opt} {SERVICE_SID[:3]}", f"{head} {opt}=", f"{head} {opt}=n",
                          f"{head} {opt} x ", f"{head} {opt} x --"]
    lines += [f"{head} --profile staging ", f"{head} -p staging ", f"{head} --debug --", f"{head} --timeout=3 -",
              f"{head} --nosuch ", f"{head} nosuch ", f"{head} -pstaging "]
    return list(dict.fromkeys(lines))


ALL_LINES = [line for path, entry in tree().items() for line in lines_for(path, *entry)]


def test_the_lines_reach_every_command_and_option():
    """The comparison below covers the whole tree: every command, every option name."""
    for path, (_, _, params) in tree().items():
        head = " ".join(["msgsvc", path] if path else ["msgsvc"])
        for param in params:
            for opt in param[2] + param[3]:
                assert f"{head} {opt} " in ALL_LINES


@pytest.mark.parametrize("path", list(tree()))
def test_a_tab_press_answers_as_the_typer_app_for_every_command_and_option(profiles, both, path):
    """bash, for every line of every command (both answer on the same machine, in-process)."""
    differ = []
    for line in lines_for(path, *tree()[path]):
        typer_answer, fast_answer = both("bash", line)
        if typer_answer != fast_answer:
            differ.append((line, typer_answer, fast_answer))
    assert differ == []


@pytest.mark.parametrize("shell", ["zsh", "fish", "powershell"])
def test_zsh_fish_and_powershell_answer_as_the_typer_app(profiles, both, shell):
    """The other shells read the line differently and carry descriptions: a line of each kind
    for every command (the option names, the option values, the arguments, the subcommands)."""
    differ = []
    for path, (group, commands, params) in tree().items():
        head = " ".join(["msgsvc", path] if path else ["msgsvc"])
        lines = [f"{head} ", f"{head} -", f"{head} --profile ", f"{head} --profile=st", f"{head} -p staging ", f"{head} Al"]
        lines += [f"{head} {p[2][0]} " for p in params if p[0] == "option" and p[4]]
        for line in lines:
            typer_answer, fast_answer = both(shell, line)
            if typer_answer != fast_answer:
                differ.append((line, typer_answer, fast_answer))
    assert differ == []


def test_the_comparison_can_fail(profiles, both, monkeypatch):
    """A tree that disagrees with the app gives other answers, and the comparison sees it."""
    from msgsvc.cli import tree as static

    monkeypatch.setitem(static.TREE, "services", (True, (("create", "Create"),), static.TREE["services"][2]))
    typer_answer, fast_answer = both("bash", "msgsvc services ")
    assert typer_answer[1].count("\n") == 6 and fast_answer == (0, "plain,create\n", "")


def test_global_options_are_offered_after_the_command(profiles, both):
    typer_answer, fast_answer = both("bash", "msgsvc services get x --")
    assert typer_answer == fast_answer
    offered = fast_answer[1].splitlines()
    assert offered[-4:] == ["plain,--debug", "plain,--base-url", "plain,--timeout", "plain,--max-retries"]
    assert both("bash", "msgsvc services get x --debug --d") == ((0, "", ""), (0, "", ""))  # given once already


# --- --version and --help ---------------------------------------------------------------------


def test_version_is_the_app_s(monkeypatch, capsys):
    from msgsvc.cli import app as cli
    from msgsvc.cli import fast

    assert fast.answer(["--version"]) == 0
    fast_out = capsys.readouterr()
    assert cli.run(["--version"]) == 0
    assert capsys.readouterr() == fast_out
    assert fast_out.out.startswith("msgsvc ") and fast_out.err == ""


@pytest.mark.parametrize("columns", ["80", "102", "200"])
def test_help_of_every_command_is_the_app_s(monkeypatch, capsys, columns):
    from msgsvc.cli import app as cli
    from msgsvc.cli import fast

    monkeypatch.setenv("COLUMNS", columns)
    differ = []
    for path in tree():
        for option in ("--help", "-h"):
            argv = path.split() + [option]
            assert fast.answer(argv) == 0
            fast_out = capsys.readouterr()
            assert cli.run(argv) == 0
            typer_out = capsys.readouterr()
            if fast_out != typer_out or not fast_out.out.startswith("Usage: msgsvc"):
                differ.append(argv)
    assert differ == []


@pytest.mark.parametrize("argv", [["services", "--help"], ["--help"]])
def test_help_for_another_width_is_left_to_the_app(monkeypatch, argv):
    from msgsvc.cli import fast

    monkeypatch.setenv("COLUMNS", "90")
    assert fast.answer(argv) is None


@pytest.mark.parametrize("argv", [[], ["services"], ["--version", "--debug"], ["--debug", "--help"], ["nosuch", "--help"],
                                  ["services", "list"], ["services", "--help", "list"]])
def test_anything_else_is_left_to_the_app(argv):
    from msgsvc.cli import fast

    assert fast.answer(argv, {}) is None


def test_a_completion_script_is_left_to_the_app():
    from msgsvc.cli import fast

    assert fast.answer([], {"_MSGSVC_COMPLETE": "source_bash"}) is None


# --- what completion offers beyond the typer app's own: --fields, detach, global options ------


def test_fields_offers_the_names_of_the_command_s_records(profiles, both):
    from msgsvc.api.resources import SERVICE

    typer_answer, fast_answer = both("bash", "msgsvc services get x --fields ")
    assert typer_answer == fast_answer == (0, "".join(f"plain,{key}\n" for key in SERVICE.keys), "")
    # After a comma, the names not chosen yet, the chosen ones kept in front:
    assert both("bash", "msgsvc services list --fields sid,fr") == ((0, "plain,sid,friendly_name\n", ""),) * 2
    assert both("zsh", "msgsvc numbers attach x --fields=input,s")[1] == (0, "plain\ninput,sid\n_\nplain\ninput,status\n_\n", "")
    typer_answer, fast_answer = both("bash", "msgsvc profiles list --fields name,nosuch,a")  # the command refuses it
    assert typer_answer == fast_answer == (0, "plain,name,nosuch,active\nplain,name,nosuch,active_mark\n"
                                              "plain,name,nosuch,account_sid\nplain,name,nosuch,api_key\n"
                                              "plain,name,nosuch,auth\n", "")


# Each command with --fields, and words that reach its check of them (before any request).
FIELDS_COMMANDS = {
    "numbers find": ["+15017122661"],
    "apply": ["setup.toml"],
    "send": [SERVICE_SID, "--to", "+15017122661", "--body", "hi"],
    "messages get": ["SM" + "a" * 32],
    "tollfree status": [SERVICE_SID],
    "tollfree list": [],
    "tollfree get": ["HH" + "a" * 32],
    "tollfree wait": ["HH" + "a" * 32],
}


def test_every_fields_option_offers_names():
    """No --fields in the tree goes without the names of its command's records."""
    from msgsvc.cli.tree import PARAMS, TREE

    missing = [path for path, (_, _, indices) in TREE.items() for i in indices if PARAMS[i][1] == "fields" and PARAMS[i][10] is None]
    assert missing == []


@pytest.mark.parametrize("path", list(FIELDS_COMMANDS))
def test_fields_offers_the_names_the_command_takes(profiles, both, msgsvc, path):
    """numbers find, apply, send, messages get and tollfree: Tab offers (fast path and typer app
    alike) exactly the names the command's own check lists when it refuses one."""
    refused = msgsvc(*path.split(), *FIELDS_COMMANDS[path], "--fields", "nosuch")
    assert refused.code == 2 and refused.out == ""
    message, hint = refused.err.splitlines()
    assert message == "msgsvc: --fields: unknown field 'nosuch'" and hint.startswith("hint: valid fields: ")
    names = hint.removeprefix("hint: valid fields: ").split(",")
    typer_answer, fast_answer = both("bash", f"msgsvc {path} --fields ")
    assert typer_answer == fast_answer == (0, "".join(f"plain,{name}\n" for name in names), "")
    typer_answer, fast_answer = both("bash", f"msgsvc {path} --fields {names[0]},{names[1][0]}")
    assert typer_answer == fast_answer
    assert f"plain,{names[0]},{names[1]}\n" in fast_answer[1]


def test_detach_offers_the_senders_the_cache_says_are_attached(profiles, both):
    for line in ("msgsvc numbers detach Alerts ", f"msgsvc numbers detach {SERVICE_SID} PN", "msgsvc numbers detach Alerts +150"):
        typer_answer, fast_answer = both("zsh", line)
        assert typer_answer == fast_answer
    assert both("zsh", "msgsvc numbers detach Alerts ")[1] == (0, f"plain\n{NUMBER_SID}\n+15017122661\n", "")
    assert both("bash", "msgsvc numbers detach Alerts +1")[1] == (0, "plain,+15017122661\n", "")
    assert both("bash", f"msgsvc numbers detach Alerts {NUMBER_SID} ")[1] == (0, f"plain,{NUMBER_SID}\n", "")  # several
    assert both("bash", "msgsvc numbers detach Promos ")[1] == (0, "", "")  # nothing cached for that service
    assert both("bash", "msgsvc short-codes detach Alerts ")[1] == (0, "", "")  # nor for that kind
    assert both("bash", "msgsvc numbers attach Alerts ")[1] == (0, "", "")  # attach takes what is not attached


@pytest.fixture
def emu(emulator, monkeypatch):
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", emulator.account_sid)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", emulator.auth_token)
    monkeypatch.setenv("MSGSVC_BASE_URL", emulator.base_url)
    return emulator


def test_list_attach_and_detach_keep_the_cache_detach_completes_from(msgsvc, emu):
    import json

    from msgsvc.local import cache

    service = json.loads(msgsvc("services", "create", "--friendly-name", "Alerts", "--json").out)["sid"]
    numbers = {r["sid"]: r["phone_number"] for r in emu.store.data["numbers"].values()}
    first, second, third = list(numbers)[:3]
    scope, table = f"account-{emu.account_sid}", cache.senders_table("numbers", service)
    assert msgsvc("numbers", "attach", service, numbers[first], second).code == 0
    assert cache.load_table(scope, table) == {first: numbers[first], second: second}  # as given
    emu.call("POST", f"/v1/Services/{service}/PhoneNumbers", data={"PhoneNumberSid": third})  # not through msgsvc
    assert msgsvc("numbers", "list", service).code == 0
    assert cache.load_table(scope, table) == {sid: numbers[sid] for sid in (first, second, third)}
    assert msgsvc("numbers", "detach", service, second, "--yes").code == 0
    assert cache.load_table(scope, table) == {first: numbers[first], third: numbers[third]}
    assert msgsvc("numbers", "list", service, "--limit", "1").code == 0  # a partial listing replaces nothing
    assert set(cache.load_table(scope, table)) == {first, third}
