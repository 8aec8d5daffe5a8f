"""Completion answers, the service cache behind them, the generated scripts and man pages, and
what importing the command tree loads."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ACCOUNT_SID, AUTH_TOKEN, OTHER_SID, SERVICE_SID, page, run_installed, service
from factories import expect_service_list

ROOT = Path(__file__).resolve().parents[1]
THIRD_SID = "MG" + "c" * 32


def load_script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def profiles(isolated):
    """Profiles 'test' (active) and 'staging', and a completion cache for each."""
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
    return isolated


@pytest.fixture
def complete(monkeypatch, capsys):
    """Answer one Tab in-process through the real entry point: complete("zsh", "msgsvc serv")."""

    def run(shell: str, line: str) -> tuple[int, str, str]:
        from msgsvc.cli import app as cli

        with monkeypatch.context() as m:
            m.setenv("_MSGSVC_COMPLETE", f"complete_{shell}")
            if shell == "bash":
                words = line.split(" ")  # a trailing space gives the empty current word
                m.setenv("COMP_WORDS", "\n".join(words))
                m.setenv("COMP_CWORD", str(len(words) - 1))
            else:
                m.setenv("_TYPER_COMPLETE_ARGS", line)
                m.setenv("_TYPER_COMPLETE_FISH_ACTION", "get-args")
            capsys.readouterr()
            code = cli.run([])
            out, err = capsys.readouterr()
        return code, out, err

    return run


# --- answers --------------------------------------------------------------------------------


def test_bash_answers_commands_options_values_profiles_and_services(profiles, complete):
    assert complete("bash", "msgsvc serv") == (0, "plain,services\n", "")
    assert complete("bash", "msgsvc services ") == (
        0, "plain,create\nplain,get\nplain,list\nplain,usecases\nplain,update\nplain,delete\n", "")
    assert complete("bash", "msgsvc services create --use") == (
        0, "plain,--usecase\nplain,--use-inbound-webhook-on-number\n", "")
    assert complete("bash", "msgsvc services create --usecase ")[1] == (
        "plain,notifications\nplain,marketing\nplain,verification\nplain,discussion\nplain,poll\nplain,undeclared\n")
    assert complete("bash", "msgsvc services create --inbound-method ")[1] == "plain,GET\nplain,POST\n"
    assert complete("bash", "msgsvc services update x --scan-message-content e")[1] == "plain,enable\n"
    assert complete("bash", "msgsvc --profile ") == (0, "plain,staging\nplain,test\n", "")
    assert complete("bash", "msgsvc profiles use st") == (0, "plain,staging\n", "")
    assert complete("bash", "msgsvc services get ") == (0, f"plain,{SERVICE_SID}\nplain,{OTHER_SID}\n", "")
    assert complete("bash", "msgsvc services delete MGb") == (0, f"plain,{OTHER_SID}\n", "")
    assert complete("bash", "msgsvc completion ") == (0, "plain,bash\nplain,zsh\nplain,fish\nplain,powershell\n", "")


def test_bash_splits_option_equals_value_like_bash_does(profiles, complete):
    # bash gives --usecase=mar as three words: '--usecase', '=', 'mar'.
    assert complete("bash", "msgsvc services create --usecase = mar") == (0, "plain,marketing\n", "")
    assert complete("bash", "msgsvc services create --usecase = ")[1].count("\n") == 6


def test_zsh_and_fish_answers_carry_descriptions(profiles, complete):
    assert complete("zsh", "msgsvc serv") == (
        0, "plain\nservices\nCreate, show, list, change, delete services.\n", "")
    assert complete("zsh", "msgsvc services get ")[1] == (
        f"plain\n{SERVICE_SID}\nAlerts\nplain\n{OTHER_SID}\nPromos: spring\n")
    assert complete("zsh", "msgsvc --profile ")[1] == "plain\nstaging\n_\nplain\ntest\n_\n"
    assert complete("fish", "msgsvc services get ")[1] == (
        f"plain\t{SERVICE_SID}\tAlerts\nplain\t{OTHER_SID}\tPromos: spring\n")
    assert complete("fish", "msgsvc services create --use")[1] == (
        "plain\t--usecase\tWhat the service is used for.\n"
        "plain\t--use-inbound-webhook-on-number\tUse each number's own webhook instead of the "
        "service's inbound and fallback URLs.\n")


def test_service_sids_follow_the_profile_on_the_line_then_the_environment(profiles, complete, monkeypatch):
    assert complete("bash", "msgsvc --profile staging services get ")[1] == f"plain,{THIRD_SID}\n"
    assert complete("bash", "msgsvc services get --profile staging ")[1] == f"plain,{THIRD_SID}\n"
    assert complete("bash", "msgsvc -p staging services update ")[1] == f"plain,{THIRD_SID}\n"
    monkeypatch.setenv("MSGSVC_PROFILE", "staging")
    assert complete("bash", "msgsvc services get ")[1] == f"plain,{THIRD_SID}\n"
    assert complete("bash", "msgsvc --profile nosuch services get ") == (0, "", "")


def test_missing_or_corrupt_cache_completes_nothing_and_prints_nothing(profiles, complete):
    from msgsvc.local import cache

    cache.path_for("profile-test").unlink()
    assert complete("bash", "msgsvc services get ") == (0, "", "")
    assert complete("zsh", "msgsvc services get ") == (0, "", "")
    for garbage in ("{not json", "", "msgsvc services cache 99\n", f"msgsvc services cache 1\n{SERVICE_SID}\tA\nMGshort\tB\n",
                    f"msgsvc services cache 1\n{SERVICE_SID}\n", "\x00\xff binary"):
        cache.path_for("profile-test").write_text(garbage)
        assert complete("fish", "msgsvc services get ") == (0, "", "")


def test_file_options_complete_file_names(profiles, complete):
    assert complete("bash", "msgsvc profiles add x --account-sid AC1 --ca-bundle ") == (0, "file,\n", "")
    assert complete("zsh", "msgsvc profiles add x --ca-bundle /e") == (0, "file\n/e\n_\n", "")


def test_completion_prints_no_warning_and_swallows_whatever_commands_print(profiles, complete):
    from msgsvc.local import config

    config.config_path().chmod(0o644)  # commands warn about this; a Tab must not
    assert complete("bash", "msgsvc --profile t") == (0, "plain,test\n", "")
    # --version is eager and prints even while the line is only being parsed for completion.
    code, out, err = complete("bash", "msgsvc --version --j")
    assert (code, out, err) == (0, "plain,--json\n", "")


def test_a_broken_config_or_bad_request_answers_nothing(profiles, complete, monkeypatch):
    from msgsvc.local import config

    config.config_path().write_text("this is = = not toml")
    assert complete("bash", "msgsvc --profile ") == (0, "", "")
    assert complete("bash", "msgsvc services get ") == (0, "", "")
    monkeypatch.setenv("COMP_CWORD", "not a number")
    from msgsvc.cli import app as cli

    monkeypatch.setenv("_MSGSVC_COMPLETE", "complete_bash")
    assert cli.run([]) == 0
    monkeypatch.setenv("_MSGSVC_COMPLETE", "complete_powershell")
    assert cli.run([]) == 0


def test_completion_command_prints_the_committed_scripts(msgsvc):
    for shell, name in (("bash", "msgsvc.bash"), ("zsh", "_msgsvc"), ("fish", "msgsvc.fish"), ("powershell", "msgsvc.ps1")):
        result = msgsvc("completion", shell)
        assert (result.code, result.err) == (0, "")
        assert result.out == (ROOT / "completions" / name).read_text()
    result = msgsvc("completion", "tcsh")
    assert result.code == 2
    assert "'tcsh' is not one of 'bash', 'zsh', 'fish', 'powershell'" in result.err


def test_installed_msgsvc_completion_command():
    done = run_installed("completion", "fish")
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == (ROOT / "completions" / "msgsvc.fish").read_text()


def test_installed_msgsvc_sources_the_same_scripts_with_typers_variable():
    for shell, name in (("bash", "msgsvc.bash"), ("zsh", "_msgsvc"), ("fish", "msgsvc.fish")):
        done = run_installed(env={"_MSGSVC_COMPLETE": f"source_{shell}"})
        assert (done.returncode, done.stderr) == (0, "")
        assert done.stdout == (ROOT / "completions" / name).read_text()
    done = run_installed(env={"_MSGSVC_COMPLETE": "complete_bash", "COMP_WORDS": "msgsvc\nprof", "COMP_CWORD": "1"})
    assert (done.returncode, done.stdout, done.stderr) == (0, "plain,profiles\n", "")


# --- the cache the services commands keep -----------------------------------------------------


def cached(name: str = "profile-test") -> dict:
    from msgsvc.local import cache

    return cache.load(name)


def test_list_replaces_the_cache_when_complete_and_merges_when_cut_short(msgsvc, profile, httpserver):
    from msgsvc.local import cache

    cache._save("profile-test", {THIRD_SID: "Gone since"})
    httpserver.expect_oneshot_request("/v1/Services", query_string="PageSize=50").respond_with_json(
        page("services", [service(), service(OTHER_SID, "Two")]))
    assert msgsvc("services", "list").code == 0
    assert cached() == {SERVICE_SID: "Alerts", OTHER_SID: "Two"}
    path = cache.path_for("profile-test")
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.read_text() == f"msgsvc services cache 1\n{SERVICE_SID}\tAlerts\n{OTHER_SID}\tTwo\n"

    cache._save("profile-test", {THIRD_SID: "Still here"})
    httpserver.expect_oneshot_request("/v1/Services", query_string="PageSize=1").respond_with_json(
        page("services", [service()], page_size=1))
    assert msgsvc("services", "list", "--limit", "1").code == 0
    assert cached() == {THIRD_SID: "Still here", SERVICE_SID: "Alerts"}


def test_the_cache_and_a_tab_press_never_hold_the_runs_secret(msgsvc, profile, httpserver, complete):
    # A token pasted into a name, a webhook password in a brand's label: what Tab shows is
    # output too, and the cache a file on disk.
    from msgsvc.local import cache

    pasted = service(OTHER_SID, f"pasted {AUTH_TOKEN} here")
    httpserver.expect_request("/v1/Services").respond_with_json(page("services", [service(), pasted]))
    httpserver.expect_request(f"/v1/Services/{OTHER_SID}").respond_with_json(pasted)
    for command in (("services", "list"), ("services", "get", OTHER_SID)):
        assert msgsvc(*command).code == 0
        assert cached() == {SERVICE_SID: "Alerts", OTHER_SID: "pasted *** here"}
        assert AUTH_TOKEN not in cache.path_for("profile-test").read_text()
    code, out, err = complete("zsh", "msgsvc services get ")
    assert (code, err) == (0, "")
    assert "pasted *** here" in out and AUTH_TOKEN not in out


def test_the_same_listing_again_writes_nothing_and_a_changed_one_rewrites(msgsvc, profile, httpserver, monkeypatch):
    """The cache file is replaced only when what it says changes (or its mode is not 0600)."""
    from msgsvc import atomic
    from msgsvc.local import cache

    writes = []
    real = atomic.write_file
    monkeypatch.setattr(atomic, "write_file", lambda path, text, **kw: writes.append(path.name) or real(path, text, **kw))
    answer = page("services", [service(), service(OTHER_SID, "Two")])
    for _ in range(2):
        httpserver.expect_oneshot_request("/v1/Services", query_string="PageSize=50").respond_with_json(answer)
        assert msgsvc("services", "list").code == 0
    path = cache.path_for("profile-test")
    assert writes == [path.name]
    os.chmod(path, 0o644)  # the same text, but not private: written again, 0600
    httpserver.expect_oneshot_request("/v1/Services", query_string="PageSize=50").respond_with_json(answer)
    assert msgsvc("services", "list").code == 0
    assert writes == [path.name] * 2 and path.stat().st_mode & 0o777 == 0o600
    httpserver.expect_oneshot_request("/v1/Services", query_string="PageSize=50").respond_with_json(
        page("services", [service(), service(OTHER_SID, "Renamed")]))
    assert msgsvc("services", "list").code == 0
    assert writes == [path.name] * 3
    assert path.read_text() == f"msgsvc services cache 1\n{SERVICE_SID}\tAlerts\n{OTHER_SID}\tRenamed\n"


def test_get_create_update_remember_and_delete_prunes(msgsvc, profile, httpserver):
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}", method="GET").respond_with_json(service())
    assert msgsvc("services", "get", SERVICE_SID).code == 0
    assert cached() == {SERVICE_SID: "Alerts"}

    expect_service_list(httpserver, service())
    httpserver.expect_oneshot_request("/v1/Services", method="POST").respond_with_json(service(OTHER_SID, "New"), status=201)
    assert msgsvc("services", "create", "--friendly-name", "New").code == 0
    assert cached() == {SERVICE_SID: "Alerts", OTHER_SID: "New"}

    httpserver.expect_oneshot_request(f"/v1/Services/{OTHER_SID}", method="POST").respond_with_json(service(OTHER_SID, "Renamed"))
    assert msgsvc("services", "update", OTHER_SID, "--friendly-name", "Renamed").code == 0
    assert cached() == {SERVICE_SID: "Alerts", OTHER_SID: "Renamed"}

    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}", method="GET").respond_with_json(service())
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}", method="DELETE").respond_with_data("", status=204)
    result = msgsvc("services", "delete", SERVICE_SID, "--yes")
    assert result.code == 0, result.err
    assert cached() == {OTHER_SID: "Renamed"}
    httpserver.check_assertions()


def test_a_command_reads_the_config_once_for_its_settings_and_its_cache(msgsvc, profile, httpserver, monkeypatch):
    """The cache is told whose services these are by the settings the command resolved."""
    from msgsvc.local import config

    reads = []
    real = config.read_config
    monkeypatch.setattr(config, "read_config", lambda *a, **k: reads.append(1) or real(*a, **k))
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}", method="GET").respond_with_json(service())
    assert msgsvc("services", "get", SERVICE_SID).code == 0
    assert cached() == {SERVICE_SID: "Alerts"}
    assert len(reads) == 1


def test_dry_run_leaves_the_cache_alone(msgsvc, profile, httpserver):
    from msgsvc.local import cache

    cache._save("profile-test", {SERVICE_SID: "Alerts"})
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}", method="GET").respond_with_json(service())
    result = msgsvc("services", "delete", SERVICE_SID, "--dry-run")
    assert result.code == 0, result.err
    assert cached() == {SERVICE_SID: "Alerts"}


def test_a_cache_that_cannot_be_written_never_fails_a_command(msgsvc, profile, httpserver, monkeypatch, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("MSGSVC_CACHE_DIR", str(blocker / "cache"))
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}").respond_with_json(service())
    result = msgsvc("services", "get", SERVICE_SID, "--json")
    assert (result.code, result.err) == (0, "")
    assert json.loads(result.out) == service()


def test_environment_credentials_cache_per_account(msgsvc, httpserver, monkeypatch, complete):
    from conftest import base_url_of

    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    monkeypatch.setenv("MSGSVC_BASE_URL", base_url_of(httpserver))
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}").respond_with_json(service())
    assert msgsvc("services", "get", SERVICE_SID).code == 0
    assert cached(f"account-{ACCOUNT_SID}") == {SERVICE_SID: "Alerts"}
    assert complete("fish", "msgsvc services get MG")[1] == f"plain\t{SERVICE_SID}\tAlerts\n"


# --- generated files --------------------------------------------------------------------------


def test_committed_completions_are_what_the_generator_writes():
    gen = load_script("gen_completions")
    for name, text in gen.generate().items():
        path = ROOT / "completions" / name
        assert path.exists() and path.read_text() == text, (
            f"completions/{name} is out of date; run: python scripts/gen_completions.py")


def test_committed_man_pages_are_what_the_generator_writes(monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    pages = load_script("gen_man").generate()
    committed = {p.name for p in (ROOT / "man").glob("*.1")}
    hint = "man/ is out of date; run: python scripts/gen_man.py"
    assert committed == set(pages), hint
    for name, text in pages.items():
        assert (ROOT / "man" / name).read_text() == text, f"{name}: {hint}"


def command_paths() -> list[tuple[str, ...]]:
    gen = load_script("gen_man")
    return [node.path for node in gen.nodes(gen.tree())]


def test_one_page_per_command_with_every_section():
    paths = command_paths()
    assert ("msgsvc", "services", "create") in paths and ("msgsvc", "profiles") in paths
    for path in paths:
        text = (ROOT / "man" / ("-".join(path) + ".1")).read_text()
        for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS", "EXAMPLES", "SEE ALSO"):
            assert f"\n.SH {section}\n" in text, f"{path}: no {section}"
        assert ("\n.SH ENVIRONMENT\n" in text) == ("\n.SH FILES\n" in text) == (path == ("msgsvc",))
        assert "\b" not in text


def test_every_page_renders_without_a_warning():
    from conftest import need_tool

    groff = need_tool("groff")
    for page_path in sorted((ROOT / "man").glob("*.1")):
        done = subprocess.run([groff, "-man", "-ww", "-z", str(page_path)], capture_output=True, text=True)
        assert (done.returncode, done.stderr) == (0, ""), page_path.name


def test_man_date_follows_source_date_epoch(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    pages = load_script("gen_man").generate()
    assert pages["msgsvc.1"].startswith('.TH "MSGSVC" "1" "2023-11-14" "msgsvc ')


def test_help_parsing_handles_click_no_rewrap_markers():
    gen = load_script("gen_man")
    text = "Do a thing.\n\n    More about it,\n    over two lines.\n\n    Example:\n\n\b\n        msgsvc a --b \\\n            c\n"
    info = gen.parse_help(text)
    assert info.summary == "Do a thing."
    assert info.description == [(False, "More about it, over two lines.")]
    assert info.examples == ["msgsvc a --b \\\n    c"]
    assert "\\e\n" in "\n".join(gen.preformatted(info.examples[0]))
    assert gen.esc(".starts with a dot") == "\\&.starts with a dot"


def test_every_command_help_shows_an_example(msgsvc):
    for path in command_paths():
        result = msgsvc(*path[1:], "--help")
        assert result.code == 0, path
        lines = result.out.splitlines()
        assert "  Example:" in lines or "  Examples:" in lines, f"{' '.join(path)} --help has no example"
        start = lines.index("  Example:") if "  Example:" in lines else lines.index("  Examples:")
        assert any(line.strip().startswith("msgsvc ") or " msgsvc " in line for line in lines[start:]), path


# --- start-up --------------------------------------------------------------------------------

HEAVY = ("requests", "rich", "urllib3", "http.client", "ssl", "email", "tomli_w", "pydantic",
         "typer.rich_utils", "msgsvc.api.client", "msgsvc.api.retry", "msgsvc.cli.output")


def test_importing_the_command_tree_loads_nothing_heavy():
    code = (
        "import sys, msgsvc.cli.app; from typer.main import get_command; get_command(msgsvc.cli.app.app);"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r} or m in {HEAVY!r}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_nouns_are_imported_only_when_used(profiles, monkeypatch):
    """--version loads no command module; a Tab on a services argument loads only services;
    json, logging and platformdirs stay out of a Tab."""
    code = (
        "import sys; from msgsvc.cli import app as cli; cli.run(sys.argv[1:]);"
        "print(sorted(m for m in sys.modules if m.startswith('msgsvc.cli.commands.')"
        " or m in ('json', 'logging', 'platformdirs')), file=sys.stderr)"
    )
    for var in ("MSGSVC_CONFIG_DIR", "MSGSVC_CACHE_DIR"):  # found through the XDG directories
        monkeypatch.delenv(var)
    (profiles / "xdg").mkdir()
    (profiles / "config").rename(profiles / "xdg" / "msgsvc")
    (profiles / "cache").rename(profiles / "xdg" / "msgsvc-cache")
    for entry in (profiles / "xdg" / "msgsvc-cache").iterdir():
        entry.rename(profiles / "xdg" / "msgsvc" / entry.name)
    env = {**os.environ, "XDG_CONFIG_HOME": str(profiles / "xdg"), "XDG_CACHE_HOME": str(profiles / "xdg")}
    done = subprocess.run([sys.executable, "-c", code, "--version"], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.startswith("msgsvc ") and done.stderr == "[]\n"
    tab = {**env, "_MSGSVC_COMPLETE": "complete_bash", "COMP_WORDS": "msgsvc\nservices\nget\nMGb", "COMP_CWORD": "3"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=tab, check=True)
    assert (done.stdout, done.stderr) == (f"plain,{OTHER_SID}\n", "['msgsvc.cli.commands.services']\n")


def test_a_tab_press_loads_nothing_heavy(profiles):
    code = (
        "import sys, os; from msgsvc.cli import app as cli; cli.run([]);"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r} or m in {HEAVY!r}), file=sys.stderr)"
    )
    for shell, extra in (
        ("bash", {"COMP_WORDS": "msgsvc\nservices\nget\n", "COMP_CWORD": "3"}),
        ("zsh", {"_TYPER_COMPLETE_ARGS": "msgsvc services get "}),
        ("fish", {"_TYPER_COMPLETE_ARGS": "msgsvc services create --", "_TYPER_COMPLETE_FISH_ACTION": "get-args"}),
    ):
        env = {**os.environ, "_MSGSVC_COMPLETE": f"complete_{shell}", **extra}
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
        assert done.stdout and done.stderr.strip() == "[]", shell


@pytest.mark.parametrize("xdg", [{}, {"XDG_CONFIG_HOME": "/x/conf", "XDG_CACHE_HOME": "/x/cache"}, {"XDG_CONFIG_HOME": " ", "XDG_CACHE_HOME": ""}])
def test_config_and_cache_dirs_are_platformdirs_without_importing_it(monkeypatch, xdg):
    from platformdirs import user_cache_dir, user_config_dir

    from msgsvc.local import config

    for var in ("MSGSVC_CONFIG_DIR", "MSGSVC_CACHE_DIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(var, raising=False)
    for var, value in xdg.items():
        monkeypatch.setenv(var, value)
    assert str(config.config_dir()) == user_config_dir("msgsvc")
    assert str(config.cache_dir()) == user_cache_dir("msgsvc")


def test_names_with_tabs_and_line_breaks_stay_one_line(profiles, complete):
    from msgsvc.local import cache

    cache._save("profile-test", {SERVICE_SID: "Tab\there\nand\r\nthere"})
    assert cache.load("profile-test") == {SERVICE_SID: "Tab here and there"}
    assert complete("fish", "msgsvc services get ")[1] == f"plain\t{SERVICE_SID}\tTab here and there\n"


def test_brands_and_use_cases_complete_from_their_caches(profiles, complete):
    from msgsvc.local import cache

    brand = "BN" + "1" * 32
    cache._save_table("profile-test", "brands", {brand: "APPROVED STANDARD"})
    cache._save_table("profile-test", "campaign-usecases", {"2FA": "Two-Factor authentication (2FA)", "MARKETING": "Marketing"})
    cache._save_table("profile-test", "service-usecases", {"notifications": "Notify my users."})
    assert complete("bash", f"msgsvc campaigns usecases {SERVICE_SID} --brand ")[1] == f"plain,{brand}\n"
    assert complete("fish", "msgsvc brands get ")[1] == f"plain\t{brand}\tAPPROVED STANDARD\n"
    assert complete("fish", f"msgsvc campaigns create {SERVICE_SID} --usecase M")[1] == "plain\tMARKETING\tMarketing\n"
    assert complete("fish", "msgsvc services create --usecase no")[1] == "plain\tnotifications\tNotify my users.\n"
    assert complete("bash", "msgsvc --profile staging brands get ") == (0, "", "")  # another profile's cache


def test_a_corrupt_table_completes_nothing(profiles, complete):
    from msgsvc.local import cache

    path = cache.table_path("profile-test", "brands")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("msgsvc brands cache 1\nnot a line we wrote\n")
    assert complete("bash", "msgsvc brands get ") == (0, "", "")
