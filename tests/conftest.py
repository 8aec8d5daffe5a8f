"""Shared fixtures: an isolated config, a test profile pointing at pytest-httpserver, and
`msgsvc(...)`, which runs the CLI in-process through its real error boundary."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest_plugins = ["emulator_helpers"]  # the `emulator` fixture

ACCOUNT_SID = "AC" + "a" * 32
AUTH_TOKEN = "s3cr3t-auth-token-0123456789abcdef"
SERVICE_SID = "MG" + "a" * 32
OTHER_SID = "MG" + "b" * 32
BASIC_AUTH = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
SHARED = Path(__file__).resolve().parents[2] / "shared"
LOOPBACK_GUARD = Path(__file__).resolve().parent / "loopback_guard"
TEST_KEYRINGS = Path(__file__).resolve().parent / "keyrings"  # msgsvc_test_keyrings.py
NO_KEYRING = "keyring.backends.fail.Keyring"  # keyring's own answer when no keyring is usable
MSGSVC = shutil.which("msgsvc", path=str(Path(sys.executable).parent)) or "msgsvc"

# Twilio's OpenAPI definitions (files of github.com/twilio/twilio-oai, spec/json), which the
# project never copies: the twilio-spec folder in ../shared beside the repository, or the
# folder $MSGSVC_TWILIO_SPEC names. The tests that need them skip without them, saying so.
SPEC_ENV = "MSGSVC_TWILIO_SPEC"
SPEC_DIR = Path(os.environ.get(SPEC_ENV) or SHARED / "twilio-spec")


def spec_missing(consequence: str) -> str:
    """Why a test that needs Twilio's definitions skips, and how to run it."""
    return (f"Twilio's OpenAPI definitions are not at {SPEC_DIR}, {consequence}; to run this test, put the "
            f"twilio-spec folder in ../shared beside the repository, or set {SPEC_ENV} to the folder that "
            "holds them (twilio_messaging_v1.json ...)")


def need_spec(consequence: str, name: str = "") -> None:
    """Skip, saying why and how to run it, when Twilio's definitions (or the file `name`)
    are absent (in CI too: the definitions are data beside the project, not part of it)."""
    if (SPEC_DIR / name).is_file() if name else SPEC_DIR.is_dir():
        return
    pytest.skip(spec_missing(consequence))


def load_spec(name: str, consequence: str = "so the declarations cannot be checked against them") -> dict:
    """One of Twilio's definitions (`twilio_messaging_v1.json`), or a skip that says why."""
    import json

    need_spec(consequence, name)
    return json.loads((SPEC_DIR / name).read_text(encoding="utf-8"))


# In CI (CI=true, as .ci/run runs) a missing shell or tool fails the test instead of skipping
# it, so a green CI never hides untested completion or man pages.
IN_CI = bool(os.environ.get("CI"))


def need_tool(tool: str, package: str | None = None) -> str:
    """The path of `tool`; skipped where it is missing (failed in CI)."""
    path = shutil.which(tool)
    if path is None:
        message = f"{tool} is not installed (.ci/run installs it: apt-get install {package or tool})"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No test sees the developer's config, cache or Twilio variables."""
    for var in list(os.environ):
        if var.startswith(("TWILIO_", "MSGSVC_")) or var in ("NO_COLOR", "FORCE_COLOR"):
            monkeypatch.delenv(var, raising=False)
    # Every Python subprocess a test starts loads loopback_guard/sitecustomize.py, and can
    # load the test keyrings.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(LOOPBACK_GUARD), str(TEST_KEYRINGS), os.environ.get("PYTHONPATH")])))
    # Never the developer's keyring: as on a headless server, unless a test chooses one.
    use_keyring(monkeypatch, NO_KEYRING)
    monkeypatch.setenv("MSGSVC_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("MSGSVC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("MSGSVC_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("NO_COLOR", "1")
    yield tmp_path


def use_keyring(monkeypatch, backend: str) -> None:
    """Choose the keyring backend through keyring's own PYTHON_KEYRING_BACKEND, for this
    process (keyring keeps the choice it made, so it is made again) and its subprocesses."""
    if str(TEST_KEYRINGS) not in sys.path:
        sys.path.append(str(TEST_KEYRINGS))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", backend)
    if "keyring.core" in sys.modules:
        sys.modules["keyring.core"].init_backend()


@pytest.fixture
def keyring_file(isolated, monkeypatch):
    """A usable keyring: msgsvc_test_keyrings.FileKeyring, its entries in a JSON file the test
    can read and edit (and its msgsvc subprocesses share)."""
    path = isolated / "keyring.json"
    monkeypatch.setenv("MSGSVC_TEST_KEYRING_FILE", str(path))
    use_keyring(monkeypatch, "msgsvc_test_keyrings.FileKeyring")
    return path


@pytest.fixture
def msgsvc():
    """Run msgsvc in-process on a fake terminal: msgsvc("services", "list", stdin="...", tty=True)."""

    def run(*args: str, stdin: str | None = None, tty: bool = False, stdin_tty: bool = False,
            stderr_tty: bool = False, width: int = 200) -> Result:
        from msgsvc.cli import app as cli
        from msgsvc.cli.terminal import Terminal

        term = Terminal.fake(tty=tty, stdin_tty=stdin_tty, stderr_tty=stderr_tty, width=width, stdin=stdin or "")
        code = cli.run(list(args), term=term)
        return Result(code, term.out, term.err)

    return run


def base_url_of(httpserver) -> str:
    return httpserver.url_for("/").rstrip("/")


@pytest.fixture
def profile(httpserver, isolated):
    """A saved, active profile 'test' whose base_url is the local pytest-httpserver."""
    from factories import save_profile

    save_profile(base_url_of(httpserver), max_retries=0)
    return "test"


def service(sid: str = SERVICE_SID, name: str = "Alerts", **extra) -> dict:
    """A Service as the API returns it (the reference's example)."""
    record = {
        "account_sid": ACCOUNT_SID,
        "sid": sid,
        "date_created": "2015-07-30T20:12:31Z",
        "date_updated": "2015-07-30T20:12:33Z",
        "friendly_name": name,
        "inbound_request_url": "https://www.example.com/",
        "inbound_method": "POST",
        "fallback_url": None,
        "fallback_method": "POST",
        "status_callback": "https://www.example.com",
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
        },
        "url": f"https://messaging.twilio.com/v1/Services/{sid}",
    }
    record.update(extra)
    return record


def page(key: str, items: list, next_url: str | None = None, page_no: int = 0, page_size: int = 50) -> dict:
    """A Messaging v1 list page."""
    return {
        key: items,
        "meta": {
            "page": page_no,
            "page_size": page_size,
            "first_page_url": None,
            "previous_page_url": None,
            "next_page_url": next_url,
            "key": key,
            "url": None,
        },
    }


def run_installed(*args: str, env: dict | None = None, input: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run the installed `msgsvc` console script in a subprocess, as a user would."""
    return subprocess.run(
        [MSGSVC, *args], input=input, capture_output=True, text=True, timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def command_tree(include_groups: bool = False) -> list[tuple[list[str], object]]:
    """Every command of the tool as (path, click command), leaves only unless include_groups.
    Walks with list_commands/get_command, as click does, so lazily built nouns are included."""
    from typer._click import Context
    from typer.main import get_command

    from msgsvc.cli.app import app

    found: list[tuple[list[str], object]] = []

    def walk(command, ctx, path):
        names = command.list_commands(ctx) if hasattr(command, "list_commands") else []
        if names and include_groups and path:
            found.append((path, command))
        if not names:
            found.append((path, command))
        for name in names:
            sub = command.get_command(ctx, name)
            walk(sub, Context(sub, info_name=name, parent=ctx), [*path, name])

    root = get_command(app)
    walk(root, Context(root, info_name="msgsvc"), [])
    return found


@pytest.fixture
def thing(monkeypatch):
    """A resource with a list-valued field (`MessageSamples`, as A2P campaigns have), at
    /v1/Things, registered for one test only."""
    from msgsvc.api.resources import RESOURCES, Field, Resource

    resource = Resource(name="thing", noun="things", what="thing", path="Things", list_key="things", prefix="QE",
                        fields=(Field("FriendlyName", "text", "A name."),
                                Field("MessageSamples", "text", "A sample.", many=True, name="sample")))
    monkeypatch.setitem(RESOURCES, resource.name, resource)
    return resource
