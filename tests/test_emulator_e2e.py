"""End to end: the installed `msgsvc` against `msgsvc emulator` started in a subprocess, every
command of the tool once (STEPS), and the emulator command's own behaviour as a process.

Adding a command: add ONE Step to STEPS (before the final deletes); placeholders in braces
come from the emulator ({account_sid}, {auth_token}, {base_url}, {api_key}, {number} = an
SMS-capable E.164 number, {number_sid}, {short_code}, {short_code_sid}, {channel_sender_sid},
{brand} = an approved brand, {campaign_file} = a campaign.toml for it, {verification_file} = a
toll-free verification.toml)
or from an earlier step's `save`. test_every_command_is_in_the_steps fails until it is added.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from conftest import MSGSVC
from emulator_helpers import SPEC_DIR, check_records

RECORD_ENV = "MSGSVC_EMULATOR_RECORD"


@dataclass
class Step:
    argv: str  # the command line after `msgsvc`, with {placeholders}
    out: str = ""  # regular expression the whole stdout must match (after placeholders)
    err: str = ""  # same for stderr
    code: int = 0
    stdin: str | None = None
    save: str | None = None  # store the JSON stdout's "sid" under this placeholder name


STEPS = [
    Step("profiles add emu --account-sid {account_sid} --base-url {base_url} --max-retries 0 --insecure-storage", stdin="{auth_token}\n",
         err=r"Checked: account {account_sid} can use the Messaging API at {base_url}\n"
             r"Saved profile 'emu' \(active\) in \S+/config\.toml; its secret is in that file \(--insecure-storage\)\n"),
    Step("profiles list", out=r"\*\temu\t{account_sid}\tauth token\tfile\t\t\t{base_url}\n"),
    Step("profiles migrate", err=r"Moved the secret of 'emu' into the system keyring; \S+/config\.toml holds none of them now\n"),
    Step("profiles test", out=r"emu\tok\tkeyring\taccount {account_sid} can use the Messaging API at {base_url}\n"),
    Step("profiles use emu", err=r"Active profile: emu\n"),
    Step("profiles show --json", out=r'\{"profile":\{"value":"emu",.*"base_url":\{"value":"{base_url}","source":"file profile \'emu\'"\}.*\}\n'),
    Step("whoami", out=r"account_sid\t{account_sid}\ncredentials\tprofile 'emu' \(active profile; secret in the system keyring\)\n"
                       r"auth\tauth token\nbase_url\t{base_url}\nbase_url_source\tfile profile 'emu'\nregion\tus1 \(default\)\n"
                       r"check\tok \(one read answered\)\n"),
    Step("services create --friendly-name E2E --usecase notifications --json", save="service",
         out=r'\{"sid":"MG[0-9a-f]{{32}}","account_sid":"{account_sid}","friendly_name":"E2E",.*\}\n'),
    Step("services get E2E", out=r"(?s)sid\t{service}\naccount_sid\t{account_sid}\nfriendly_name\tE2E\n.*usecase\tnotifications\n.*"),
    Step("services list", out=r"{service}\tE2E\tnotifications\tfalse\t\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n"),
    Step("services update E2E --validity-period 600 --no-sticky-sender", out=r"(?s).*sticky_sender\tfalse\n.*validity_period\t600\n.*",
         err=r"Updated {service} \(sticky-sender, validity-period\)\n"),
    Step("doctor E2E", code=9,
         out=r"error\t{service}\tno-senders\tphone_numbers=0 short_codes=0 alpha_senders=0 channel_senders=0\t"
             r"msgsvc numbers attach {service} NUMBER\thttps://www\.twilio\.com/docs/messaging/services\n"
             r"warning\t{service}\tinbound-dropped\t.*\n"
             r"info\t{service}\tno-status-callback\t.*\n",
         err=r"1 error, 1 warning, 1 info in 1 service\.\n"),
    Step("brands list", out=r"{brand}\tAPPROVED\tSTANDARD\t\nBN[0-9a-f]{{32}}\tAPPROVED\tSOLE_PROPRIETOR\t\n"
                             r"BN[0-9a-f]{{32}}\tFAILED\tSTANDARD\tRegistration error: .*\n"),
    Step("brands get {brand}", out=r"(?s)sid\t{brand}\n.*status\tAPPROVED\n.*"),
    Step("services usecases", out=r"(?s)notifications\tNotify my users\.\t.*\nundeclared\t.*\n"),
    Step("campaigns usecases {service} --brand {brand}", out=r"(?s)2FA\tTwo-Factor authentication \(2FA\)\tfalse\t.*\nSWEEPSTAKE\t.*\n"),
    Step("campaigns create E2E --from-file {campaign_file} --json", save="campaign",
         out=r'\{{"sid":"QE[0-9a-f]{{32}}",.*"messaging_service_sid":"{service}",.*"campaign_status":"PENDING",.*\}}\n'),
    Step("campaigns wait E2E --interval 0.1s", out=r"(?s)sid\t{campaign}\n.*campaign_status\tVERIFIED\n.*",
         err=r"Campaign {campaign} of {service} \(E2E\) is VERIFIED\n"),
    Step("campaigns get {service}", out=r"(?s)sid\t{campaign}\n.*us_app_to_person_usecase\tACCOUNT_NOTIFICATION\n.*"),
    Step("campaigns update {service} --age-gated", out=r"(?s)sid\t{campaign}\n.*age_gated\ttrue\n.*",
         err=r"Updated campaign {campaign} \(age-gated\): PENDING\n"),
    Step("services delete {service} --yes", code=2, err=r"msgsvc: {service} \(E2E\) is registered for US A2P 10DLC: .*\nhint: .*\n"),
    Step("campaigns delete {service} --yes",
         err=r"msgsvc: warning: deleting campaign {campaign} stops US A2P 10DLC messaging from {service} \(E2E\) at once; .*\n"
             r"Deleted campaign {campaign} of {service} \(E2E\); the service is no longer registered for US A2P 10DLC\n"),
    Step("tollfree status", out=r"\+18005550100\t\tnone\tfalse\tsubmit\n\+18885550101\t\tnone\tfalse\tsubmit\n"
         r"\+18445550102\t\tnone\tfalse\tsubmit\n"),
    Step("tollfree create +18005550100 --from-file {verification_file}", out=r"\+18005550100\tHH[0-9a-f]{{32}}\tcreated\t\t\n",
         err=r"Follow the review with: msgsvc tollfree wait \+18005550100\n1 created\n"),
    Step("tollfree wait +18005550100 --interval 0.1s", out=r"HH[0-9a-f]{{32}}\t\+18005550100\tTWILIO_APPROVED\tOwl, Inc\.\t\S+Z\n",
         err=r"Approved: \+18005550100\n"),
    Step("tollfree list", out=r"HH[0-9a-f]{{32}}\t\+18005550100\tTWILIO_APPROVED\tOwl, Inc\.\t\S+Z\n"),
    Step("tollfree get +18005550100", out=r"(?s)sid\tHH[0-9a-f]{{32}}\n.*tollfree_phone_number\t\+18005550100\nstatus\tTWILIO_APPROVED\n.*"),
    Step("tollfree update +18005550100 --from-file {verification_file} --edit-reason fixed", code=1,
         err=r"msgsvc: verification HH[0-9a-f]{{32}} of \+18005550100 cannot be edited: it is TWILIO_APPROVED; only a rejected "
             r"verification is edited\nhint: it is approved: nothing to fix\n"),
    Step("tollfree delete +18005550100 --yes",
         err=r"msgsvc: warning: \+18005550100 is approved: .*\nDeleted verification HH[0-9a-f]{{32}} of \+18005550100; .*\n"),
    Step("numbers attach {service} {number}", out=r"{number}\t{number_sid}\tattached\t\t\n", err=r"1 attached\n"),
    Step("numbers list {service}", out=r"{number_sid}\t{number}\tUS\t[A-Za-z,]*\t\S+Z\n"),
    Step("numbers get {service} {number}", out=r"(?s)sid\t{number_sid}\n.*phone_number\t{number}\n.*"),
    Step("send E2E --to +447700900123 --body Hello --yes --json", save="message",
         out=r'\{{"body":"Hello","num_segments":"1",.*"status":"accepted","messaging_service_sid":"{service}","sid":"SM[0-9a-f]{{32}}",.*\}}\n'),
    Step("messages get {message}", out=r"(?s)body\tHello\n.*to\t\+447700900123\n.*sid\t{message}\n.*"),
    Step("messages cancel {message}", code=1,
         err=r"msgsvc: HTTP 400 \(Twilio error 30409\): Message {message} is \w+: only a scheduled message can be canceled \(see https://www\.twilio\.com/docs/errors/30409\)\n"),
    Step("messages failures E2E --since 1h",
         err=r"0 failed or undelivered in [01] messages? sent in the last 1h; read in 1 request: the account's messages by DateSent, cheaper than 1 per-sender listing\n"),
    Step("numbers detach {service} {number} --yes", out=r"{number}\t{number_sid}\tdetached\t\t\n", err=r"1 detached\n"),
    Step("short-codes attach {service} {short_code_sid}", out=r"{short_code_sid}\t{short_code_sid}\tattached\t\t\n", err=r"1 attached\n"),
    Step("short-codes list {service} --json", out=r'\[\{{.*"sid": ?"{short_code_sid}".*"short_code": ?"{short_code}".*\]\n'),
    Step("short-codes get {service} {short_code_sid}", out=r"(?s)sid\t{short_code_sid}\n.*short_code\t{short_code}\n.*"),
    Step("short-codes detach {service} {short_code_sid} --yes", out=r"{short_code_sid}\t{short_code_sid}\tdetached\t\t\n", err=r"1 detached\n"),
    Step("alpha-senders attach {service} ACME", out=r"ACME\t(AI[0-9a-f]{{32}})\tattached\t\t\n", err=r"1 attached\n"),
    Step("alpha-senders list {service}", out=r"AI[0-9a-f]{{32}}\tACME\t.*\n"),
    Step("alpha-senders get {service} ACME", out=r"(?s)sid\tAI[0-9a-f]{{32}}\n.*alpha_sender\tACME\n.*"),
    Step("alpha-senders detach {service} ACME --yes", out=r"ACME\tAI[0-9a-f]{{32}}\tdetached\t\t\n", err=r"1 detached\n"),
    Step("channel-senders attach {service} {channel_sender_sid}", out=r"{channel_sender_sid}\t{channel_sender_sid}\tattached\t\t\n", err=r"1 attached\n"),
    Step("channel-senders list {service}", out=r"{channel_sender_sid}\t.*\n"),
    Step("channel-senders get {service} {channel_sender_sid}", out=r"(?s).*sid\t{channel_sender_sid}\n.*"),
    Step("channel-senders detach {service} {channel_sender_sid} --yes", out=r"{channel_sender_sid}\t{channel_sender_sid}\tdetached\t\t\n", err=r"1 detached\n"),
    Step("destination-alpha-senders attach {service} ACME --country FR", out=r"ACME\t(AI[0-9a-f]{{32}})\tattached\t\t\n", err=r"1 attached\n"),
    Step("destination-alpha-senders list {service} --country FR", out=r"AI[0-9a-f]{{32}}\tACME\tFR\t.*\n"),
    Step("destination-alpha-senders get {service} ACME --country FR", out=r"(?s)sid\tAI[0-9a-f]{{32}}\n.*iso_country_code\tFR\n.*"),
    Step("destination-alpha-senders detach {service} ACME --country FR --yes", out=r"ACME\tAI[0-9a-f]{{32}}\tdetached\t\t\n", err=r"1 detached\n"),
    Step("numbers find {number}", out=r"{number}\t{number_sid}\t{number}\t\t\n"),
    Step("numbers move {number} --to {service} --yes", out=r"{number}\t{number_sid}\tattached\t\t\n", err=r"1 attached\n"),
    Step("numbers list --account --fields number,service_sid", out=r"(?s)(.*\n)?{number}\t{service}\n.*"),
    Step("numbers detach {service} {number} --yes", out=r"{number}\t{number_sid}\tdetached\t\t\n", err=r"1 detached\n"),
    Step("export E2E", out=r'(?s)# A Messaging Services setup, written by `msgsvc export`\.\n.*\[\[services\]\]\n'
                          r'friendly_name = "E2E"\n.*validity_period = 600\n.*numbers = \[\]\n.*'),
    Step("plan - --detailed-exitcode", stdin='[[services]]\nfriendly_name = "E2E"\nvalidity_period = 601\n', code=6,
         out=r'~ update "E2E": validity_period 600 -> 601\nPlan: 0 to create, 1 to update, 0 to attach, 0 to detach, '
             r'0 to move, 0 to delete\.\n'),
    Step("apply - --yes", stdin='[[services]]\nfriendly_name = "E2E"\nvalidity_period = 601\n',
         out=r"update\tE2E\tE2E\t{service}\tupdated\t\t\n", err=r'~ update "E2E": validity_period 600 -> 601\n.*\n1 updated\n'),
    Step("services delete E2E --yes", err=r"Deleted {service} \(E2E\)\n"),
    Step("services get {service}", code=3,
         err=r"msgsvc: HTTP 404 \(Twilio error 20404\): The requested resource /Services/{service} was not found "
             r"\(see https://www\.twilio\.com/docs/errors/20404\)\n"),
    Step("completion bash", out=r"(?s).*_MSGSVC_COMPLETE=complete_bash.*"),
    Step("profiles remove emu --yes", err=r"Removed profile 'emu' and its secret from the system keyring; no profile is active now \(msgsvc profiles use NAME\)\n"),
]

NOT_STEPPED = {"emulator"}  # it is the server these steps run against


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "MSGSVC_"))}
    env.update(MSGSVC_CONFIG_DIR=str(tmp / "config"), MSGSVC_CACHE_DIR=str(tmp / "cache"), NO_COLOR="1", **extra)
    return env


class RunningEmulator:
    """`msgsvc emulator` in a subprocess (--quiet unless `quiet` is False); its stdout's
    KEY=value lines parsed into `info`: they come once it listens."""

    def __init__(self, tmp: Path, *args: str, preexec_fn=None, quiet: bool = True) -> None:
        tmp.mkdir(parents=True, exist_ok=True)
        self.tmp = tmp
        self.record = tmp / "answers.jsonl"
        self.stderr_path = tmp / "emulator.stderr"
        self.stderr = open(self.stderr_path, "w")
        self.proc = subprocess.Popen(
            [MSGSVC, "emulator", "--port", "0", *(["--quiet"] if quiet else []), *args],
            stdout=subprocess.PIPE, stderr=self.stderr, text=True, env=_env(tmp, **{RECORD_ENV: str(self.record)}),
            preexec_fn=preexec_fn,
        )
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(self.proc.stdout.readline() for _ in range(5)), daemon=True)
        reader.start()
        reader.join(30)
        self.info = dict(line.rstrip("\n").split("=", 1) for line in lines if "=" in line)
        deadline = time.monotonic() + 30  # the banner's last line, when there is a banner
        while not quiet and "Press Ctrl-C to stop.\n" not in self.stderr_path.read_text() and self.proc.poll() is None \
                and time.monotonic() < deadline:
            time.sleep(0.02)
        if "MSGSVC_BASE_URL" not in self.info or self.proc.poll() is not None:
            self.stop()
            raise AssertionError(f"the emulator did not start: {self.stderr_path.read_text()}")

    def stop(self, sig: int = signal.SIGINT) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(15)
        self.stderr.close()
        return code

    def answers(self) -> list[dict]:
        if not self.record.exists():
            return []
        return [json.loads(line) for line in self.record.read_text().splitlines()]


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    emu = RunningEmulator(tmp, "--numbers", "30", "--state", str(tmp / "state.json"), "--a2p-review", "0",
                          "--tollfree-review", "0")
    yield emu
    assert emu.stop() == 0
    stderr = emu.stderr_path.read_text()
    assert "Traceback" not in stderr and stderr == ""  # --quiet: no banner, no line per request
    if SPEC_DIR.is_dir():
        check_records(emu.answers())


@pytest.fixture(scope="module")
def seeded(running):
    state = json.loads((running.tmp / "state.json").read_text())
    number = next(n for n in state["numbers"].values() if n["capabilities"]["sms"])
    return {
        "account_sid": running.info["TWILIO_ACCOUNT_SID"],
        "auth_token": running.info["TWILIO_AUTH_TOKEN"],
        "base_url": running.info["MSGSVC_BASE_URL"],
        "api_key": running.info["MSGSVC_EMULATOR_API_KEY"],
        "number": number["phone_number"],
        "number_sid": number["sid"],
        "short_code": next(iter(state["short_codes"].values()))["short_code"],
        "short_code_sid": next(iter(state["short_codes"])),
        "channel_sender_sid": next(iter(state["channel_senders"])),
        "brand": next(iter(state["brands"])),  # the APPROVED standard brand
        "campaign_file": str(_campaign_file(running.tmp, next(iter(state["brands"])))),
        "verification_file": str(_verification_file(running.tmp)),
    }


def _verification_file(tmp: Path) -> Path:
    path = tmp / "verification.toml"
    path.write_text(
        'business-name = "Owl, Inc."\nbusiness-website = "https://owl.example.com"\n'
        'notification-email = "tfv@owl.example.com"\nuse-case-category = ["ACCOUNT_NOTIFICATIONS"]\n'
        'use-case-summary = "Account notices for customers who signed up."\n'
        'production-message-sample = "Owl: your order 1234 shipped."\n'
        'opt-in-image-url = ["https://owl.example.com/optin.png"]\nopt-in-type = "WEB_FORM"\nmessage-volume = "1,000"\n',
        encoding="utf-8")
    return path


def _campaign_file(tmp: Path, brand: str) -> Path:
    path = tmp / "campaign.toml"
    path.write_text(
        f'brand = "{brand}"\nusecase = "ACCOUNT_NOTIFICATION"\n'
        'description = "Account alerts for customers of Example Corp who opted in."\n'
        'message-flow = "Customers opt in on example.com/alerts by ticking an unticked box."\n'
        'sample = ["Example Corp: your password was changed.", "Example Corp: a new device signed in."]\n'
        "has-embedded-links = false\nhas-embedded-phone = false\n", encoding="utf-8")
    return path


def _fill(template: str, values: dict[str, str], regex: bool) -> str:
    escape = re.escape if regex else (lambda s: s)
    # {{ and }} stay literal braces (for regex counts such as {32}).
    return re.sub(r"\{\{|\}\}|\{(\w+)\}", lambda m: m.group(0)[0] if m.group(1) is None else escape(values[m.group(1)]), template)


def test_every_command_of_the_tool_runs_against_the_emulator(running, seeded):
    values = dict(seeded)
    # A keyring, through keyring's own backend selection (tests/keyrings/msgsvc_test_keyrings.py).
    env = _env(running.tmp, PYTHON_KEYRING_BACKEND="msgsvc_test_keyrings.FileKeyring",
               MSGSVC_TEST_KEYRING_FILE=str(running.tmp / "keyring.json"))
    for step in STEPS:
        argv = [_fill(arg, values, False) for arg in step.argv.split()]
        result = subprocess.run([MSGSVC, *argv], input=_fill(step.stdin, values, False) if step.stdin else None,
                                capture_output=True, text=True, timeout=60, env=env)
        where = f"msgsvc {' '.join(argv)}\nstdout: {result.stdout}\nstderr: {result.stderr}"
        assert result.returncode == step.code, where
        if step.save:
            values[step.save] = json.loads(result.stdout)["sid"]
        assert re.fullmatch(_fill(step.out, values, True), result.stdout), where
        assert re.fullmatch(_fill(step.err, values, True), result.stderr), where
    assert json.loads((running.tmp / "keyring.json").read_text()) == {"msgsvc": {}}  # removed with the profile


def _leaf_commands() -> set[str]:
    from conftest import command_tree

    return {" ".join(path) for path, _ in command_tree()}


def test_every_command_is_in_the_steps():
    assert {"numbers attach", "services create", "emulator"} <= _leaf_commands()
    stepped = {" ".join(step.argv.split()[:2]) for step in STEPS} | {step.argv.split()[0] for step in STEPS}
    missing = sorted(c for c in _leaf_commands() - NOT_STEPPED if c not in stepped)
    assert not missing, f"commands not run end to end against the emulator (add a Step to STEPS): {missing}"


def test_delete_refuses_a_service_with_an_a2p_campaign(running, seeded):
    auth, base = (seeded["account_sid"], seeded["auth_token"]), seeded["base_url"]
    sid = requests.post(f"{base}/v1/Services", auth=auth, data={"FriendlyName": "Campaign"}, timeout=10).json()["sid"]
    brand = requests.get(f"{base}/v1/a2p/BrandRegistrations", auth=auth, timeout=10).json()["data"][0]["sid"]
    campaign = requests.post(f"{base}/v1/Services/{sid}/Compliance/Usa2p", auth=auth, timeout=10, data=[
        ("BrandRegistrationSid", brand), ("Description", "Order and delivery updates for customers who opted in."),
        ("MessageFlow", "Customers opt in at checkout on example.com by ticking a box."),
        ("MessageSamples", "Your order 1234 has shipped."), ("MessageSamples", "Your order 1234 was delivered."),
        ("UsAppToPersonUsecase", "DELIVERY_NOTIFICATION"), ("HasEmbeddedLinks", "false"), ("HasEmbeddedPhone", "false")])
    assert campaign.status_code == 201, campaign.text
    env = _env(running.tmp, TWILIO_ACCOUNT_SID=seeded["account_sid"], TWILIO_AUTH_TOKEN=seeded["auth_token"],
               MSGSVC_BASE_URL=seeded["base_url"], MSGSVC_MAX_RETRIES="0")
    refused = subprocess.run([MSGSVC, "services", "delete", sid, "--yes"], capture_output=True, text=True, timeout=60, env=env)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.startswith(f"msgsvc: {sid} (Campaign) is registered for US A2P 10DLC: deleting it deletes its A2P campaign")
    assert refused.stderr.endswith("hint: if that is really what you want, add --force\n")
    forced = subprocess.run([MSGSVC, "services", "delete", sid, "--yes", "--force"], capture_output=True, text=True, timeout=60, env=env)
    assert (forced.returncode, forced.stderr) == (0, f"Deleted {sid} (Campaign)\n")
    gone = requests.get(f"{base}/v1/Services/{sid}/Compliance/Usa2p", auth=auth, timeout=10)
    assert gone.status_code == 404  # the campaign went with its service


def test_api_key_printed_on_stdout_is_accepted(running, seeded):
    secret = running.info["MSGSVC_EMULATOR_API_SECRET"]
    env = _env(running.tmp, TWILIO_ACCOUNT_SID=seeded["account_sid"], TWILIO_API_KEY=seeded["api_key"],
               TWILIO_API_SECRET=secret, MSGSVC_BASE_URL=seeded["base_url"])
    result = subprocess.run([MSGSVC, "services", "list", "--json"], capture_output=True, text=True, timeout=60, env=env)
    assert (result.returncode, result.stderr) == (0, "")
    assert isinstance(json.loads(result.stdout), list)


# --- the emulator command as a process ---------------------------------------------------------


def test_state_file_is_reloaded_with_its_credentials(tmp_path):
    first = RunningEmulator(tmp_path / "a", "--state", str(tmp_path / "state.json"), "--numbers", "3")
    requests.post(f"{first.info['MSGSVC_BASE_URL']}/v1/Services", data={"FriendlyName": "Survivor"},
                  auth=(first.info["TWILIO_ACCOUNT_SID"], first.info["TWILIO_AUTH_TOKEN"]), timeout=10)
    assert first.stop(signal.SIGTERM) == 0
    second = RunningEmulator(tmp_path / "b", "--state", str(tmp_path / "state.json"), "--numbers", "9", quiet=False)
    try:
        assert second.info["TWILIO_ACCOUNT_SID"] == first.info["TWILIO_ACCOUNT_SID"]
        assert second.info["TWILIO_AUTH_TOKEN"] == first.info["TWILIO_AUTH_TOKEN"]
        listed = requests.get(f"{second.info['MSGSVC_BASE_URL']}/v1/Services",
                              auth=(second.info["TWILIO_ACCOUNT_SID"], second.info["TWILIO_AUTH_TOKEN"]), timeout=10).json()
        assert [s["friendly_name"] for s in listed["services"]] == ["Survivor"]
    finally:
        assert second.stop() == 0
    stderr = second.stderr_path.read_text()
    assert stderr.startswith(f"msgsvc emulator: --numbers ignored: the state file {tmp_path / 'state.json'} already holds the account\n")
    assert "6 phone numbers, 3 short codes, 3 channel senders, 1 services" in stderr  # 3 + 3 toll-free


def test_startup_output_stdout_data_stderr_guidance(tmp_path):
    emu = RunningEmulator(tmp_path, "--account-sid", "AC" + "1" * 32, "--auth-token", "tok3n", "--numbers", "2", quiet=False)
    assert emu.stop() == 0
    url = emu.info["MSGSVC_BASE_URL"]
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
    assert emu.info["TWILIO_ACCOUNT_SID"] == "AC" + "1" * 32 and emu.info["TWILIO_AUTH_TOKEN"] == "tok3n"
    assert re.fullmatch(r"SK[0-9a-f]{32}", emu.info["MSGSVC_EMULATOR_API_KEY"])
    key = emu.info["MSGSVC_EMULATOR_API_KEY"]
    from msgsvc.emulator.seed import seed

    seeded = seed("AC" + "1" * 32, "tok3n", 2)  # the same account seeds the same SIDs
    codes = ", ".join(f"{r['short_code']} {r['sid']}" for r in seeded["short_codes"].values())
    channels = ", ".join(f"{r['sender']} {r['sid']}" for r in seeded["channel_senders"].values())
    assert codes.startswith("55501 SC") and channels.startswith("whatsapp:+15550000001 XE")
    assert emu.stderr_path.read_text() == (
        f"msgsvc emulator: Twilio's Messaging API on {url} (state in memory)\n"
        f"Account {'AC' + '1' * 32}: 5 phone numbers, 3 short codes, 3 channel senders, 0 services; also accepts API key {key}\n"
        f"Short codes: {codes}\n"
        f"Channel senders: {channels}\n"
        "Add a profile for it:\n"
        f"  printf '%s\\n' tok3n | msgsvc profiles add emulator --account-sid {'AC' + '1' * 32} --base-url {url}\n"
        "Press Ctrl-C to stop.\n"
        "msgsvc emulator: stopped.\n"
    )


def test_json_startup_output(tmp_path):
    env = _env(tmp_path)
    proc = subprocess.Popen([MSGSVC, "--json", "emulator", "--port", "0", "--quiet"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        text = proc.stdout.readline()  # one JSON object on one line: stdout is a pipe
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(15) == 0
    info = json.loads(text)
    assert sorted(info) == ["account_sid", "api_key", "api_secret", "auth_token", "base_url", "channel_senders",
                            "profile_command", "short_codes"]
    assert [r["short_code"] for r in info["short_codes"]] == ["55501", "55502", "55503"]
    assert all(re.fullmatch(r"SC[0-9a-f]{32}", r["sid"]) for r in info["short_codes"])
    assert [r["sender"] for r in info["channel_senders"]][0] == "whatsapp:+15550000001"
    assert info["profile_command"].endswith(f"--account-sid {info['account_sid']} --base-url {info['base_url']}")
    # every key is documented, in the README's emulator section and in `emulator --help`
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = " ".join(readme[readme.index("## The emulator"):readme.index("## Development")].split())
    helped = " ".join(subprocess.run([MSGSVC, "emulator", "--help"], capture_output=True, text=True, env=env).stdout.split())
    for key in info:
        assert f"`{key}`" in section and key in helped, key
    for record, keys in (("short_codes", ("sid", "short_code")), ("channel_senders", ("sid", "sender"))):
        assert all(sorted(r) == sorted(keys) for r in info[record])
        shown = "[{" + ", ".join(f'"{k}"' for k in keys) + "}]"
        assert f"`{record}` (`{shown}`)" in section and "[{" + ", ".join(keys) + "}]" in helped


def test_a_port_in_use_is_a_clear_error_with_exit_1(msgsvc):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = msgsvc("emulator", "--port", str(port))
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        f"msgsvc: cannot listen on 127.0.0.1:{port}: the address is already in use\n"
        "hint: another emulator may be running there; choose another --port, or --port 0 for any free one\n"
    )


def test_doctor_finds_the_problems_of_an_unhealthy_emulator(tmp_path):
    emu = RunningEmulator(tmp_path, "--unhealthy")
    try:
        env = {**_env(tmp_path), "MSGSVC_BASE_URL": emu.info["MSGSVC_BASE_URL"],
               "TWILIO_ACCOUNT_SID": emu.info["TWILIO_ACCOUNT_SID"], "TWILIO_AUTH_TOKEN": emu.info["TWILIO_AUTH_TOKEN"]}
        result = subprocess.run([MSGSVC, "doctor", "--since", "24h"], capture_output=True, text=True, timeout=60, env=env)
    finally:
        assert emu.stop() == 0
    assert result.returncode == 9, result.stderr
    # sender-left-in-no-service comes from this machine's journal of moves, not from the
    # account: tests/test_move_journal.py trips it.
    checks = {line.split("\t")[2] for line in result.stdout.splitlines()} | {"sender-left-in-no-service"}
    from msgsvc.jobs.doctor.finding import CHECKS

    from msgsvc.emulator.seed import seed

    if "tollfree_verifications" in seed("AC" + "0" * 32, "t", 0):  # toll-free verifications are served
        assert set(CHECKS) - checks == set()
        assert result.stderr == "14 errors, 10 warnings, 3 info in 18 services.\n"
    else:  # the two toll-free checks are tripped in test_doctor_destination.py
        assert set(CHECKS) - checks == {"tollfree-unverified", "tollfree-rejected"}
        assert result.stderr == "12 errors, 10 warnings, 3 info in 16 services.\n"


def test_an_unreadable_state_file_is_refused_and_left_alone(msgsvc, tmp_path):
    state = tmp_path / "state.json"
    state.write_text("{not json")
    result = msgsvc("emulator", "--port", "0", "--state", str(state))
    assert (result.code, result.out) == (2, "")
    assert result.err.startswith(f"msgsvc: the state file {state} is not valid JSON: ")
    assert result.err.endswith("hint: give another --state file, or move this one away (it is never overwritten)\n")
    assert state.read_text() == "{not json"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--account-sid", "ACnope"], "Usage: msgsvc emulator [OPTIONS]\nmsgsvc: Invalid value for '--account-sid': 'ACnope' is not an Account SID (AC followed by 32 hexadecimal digits)\nhint: see 'msgsvc emulator --help'\n"),
        (["--auth-token", "has space"], "Usage: msgsvc emulator [OPTIONS]\nmsgsvc: Invalid value for '--auth-token': it must be non-empty and without spaces\nhint: see 'msgsvc emulator --help'\n"),
    ],
)
def test_bad_credentials_options_are_usage_errors(msgsvc, args, message):
    result = msgsvc("emulator", "--port", "0", *args)
    assert (result.code, result.out, result.err) == (2, "", message)


def test_state_file_credentials_win_over_conflicting_flags(msgsvc, tmp_path):
    from msgsvc.emulator.seed import seed
    from msgsvc.emulator.store import Store

    state = tmp_path / "state.json"
    Store(seed("AC" + "2" * 32, "old", 1), state).save()
    result = msgsvc("emulator", "--port", "0", "--state", str(state), "--auth-token", "new")
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        f"msgsvc: --auth-token differs from the one in the state file {state}\n"
        "hint: drop --auth-token to use the state file's, or give another --state file\n"
    )


@pytest.mark.parametrize(
    ("host", "url", "loopback"),
    [("127.0.0.1", "http://127.0.0.1:4010", True), ("::1", "http://[::1]:4010", True), ("localhost", "http://localhost:4010", True),
     ("0.0.0.0", "http://127.0.0.1:4010", False), ("::", "http://[::1]:4010", False), ("192.0.2.7", "http://192.0.2.7:4010", False)],
)
def test_base_url_and_loopback_detection(host, url, loopback):
    from msgsvc.cli.commands.emulator import _base_url, _is_loopback

    assert (_base_url(host, 4010), _is_loopback(host)) == (url, loopback)


def test_try_script_runs_a_first_session_and_cleans_up(tmp_path):
    """README's first command ends with scripts/try-msgsvc.sh: it must work and leave nothing."""
    script = Path(__file__).resolve().parents[1] / "scripts" / "try-msgsvc.sh"
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "MSGSVC_BIN": MSGSVC, "TMPDIR": str(scratch), "MSGSVC_CONFIG_DIR": str(tmp_path / "mine")}
    result = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    sid = re.search(r"Created (MG[0-9a-f]{32}) \(My first service\)\n", result.stderr).group(1)
    assert f"\nDeleted {sid} (My first service)\n" in result.stderr
    assert re.match(
        rf"\+15550000001\t(PN[0-9a-f]{{32}})\tattached\t\t\n\1\t\+15550000001\tUS\t[A-Za-z,]*\t\S+Z\n"
        rf"{sid}\tMy first service\tnotifications\tfalse\t\S+Z\n",
        result.stdout,
    )
    assert "\n1 attached\n" in result.stderr
    assert f"sid\t{sid}\n" in result.stdout and "Traceback" not in result.stderr
    assert os.listdir(scratch) == []  # its temporary config and the emulator's files are gone
    assert not (tmp_path / "mine").exists()  # the user's own config was never touched


def test_a_debug_session_with_senders_never_prints_the_secret(tmp_path):
    """Issue 5's secret check over the sender commands too: every step with debug on,
    against the emulator, and neither the token nor the Basic credentials ever printed."""
    import base64

    emu = RunningEmulator(tmp_path / "emu", "--numbers", "3")
    try:
        token = emu.info["TWILIO_AUTH_TOKEN"]
        sid = emu.info["TWILIO_ACCOUNT_SID"]
        basic = base64.b64encode(f"{sid}:{token}".encode()).decode()
        env = _env(tmp_path, MSGSVC_DEBUG="1")
        steps = [
            (f"profiles add dbg --account-sid {sid} --base-url {emu.info['MSGSVC_BASE_URL']}", token + "\n"),
            ("services create --friendly-name Debugged", None),
            ("numbers attach Debugged +15550000001", None),
            ("numbers list Debugged --json", None),
            ("numbers detach Debugged +15550000001 --yes", None),
            ("alpha-senders attach Debugged ACME --dry-run", None),
            ("services delete Debugged --yes", None),
        ]
        printed = []
        for argv, stdin in steps:
            result = subprocess.run([MSGSVC, *argv.split()], input=stdin, capture_output=True, text=True, timeout=60, env=env)
            assert result.returncode == 0, (argv, result.stderr)
            printed.append(result.stdout + result.stderr)
        everything = "".join(printed)
        assert everything.count("debug: request:") >= len(steps) - 1
        assert token not in everything and basic not in everything
    finally:
        assert emu.stop() == 0


def test_ctrl_c_in_a_bulk_attach_reports_every_number_once_and_tells_the_truth(tmp_path):
    """A real SIGINT to the installed msgsvc mid-job: every input is in the JSON once, what
    it says was attached is exactly what the service holds, and the rest is 'not sent'."""
    emu = RunningEmulator(tmp_path / "emu", "--numbers", "100", "--latency", "40")
    try:
        base, sid, token = emu.info["MSGSVC_BASE_URL"], emu.info["TWILIO_ACCOUNT_SID"], emu.info["TWILIO_AUTH_TOKEN"]
        auth = (sid, token)
        env = _env(tmp_path, TWILIO_ACCOUNT_SID=sid, TWILIO_AUTH_TOKEN=token, MSGSVC_BASE_URL=base)
        created = subprocess.run([MSGSVC, "services", "create", "--friendly-name", "Bulk", "--json"],
                                 capture_output=True, text=True, timeout=60, env=env)
        service = json.loads(created.stdout)["sid"]
        listing = requests.get(f"{base}/2010-04-01/Accounts/{sid}/IncomingPhoneNumbers.json?PageSize=1000", auth=auth, timeout=10)
        pns = [n["sid"] for n in listing.json()["incoming_phone_numbers"]]
        (tmp_path / "numbers.txt").write_text("".join(pn + "\n" for pn in pns))

        job = subprocess.Popen([MSGSVC, "numbers", "attach", service, "--from-file", str(tmp_path / "numbers.txt"),
                                "--concurrency", "2", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env)

        def in_service() -> set[str]:
            page = requests.get(f"{base}/v1/Services/{service}/PhoneNumbers?PageSize=1000", auth=auth, timeout=10)
            return {n["sid"] for n in page.json()["phone_numbers"]}

        deadline = time.monotonic() + 30
        while len(in_service()) < 5 and time.monotonic() < deadline:
            time.sleep(0.02)
        job.send_signal(signal.SIGINT)
        out, err = job.communicate(timeout=60)

        assert job.returncode == -signal.SIGINT, err  # its reporting done, it died by the signal
        results = json.loads(out)
        assert [r["input"] for r in results] == pns  # every input once, in order
        statuses = {r["status"] for r in results}
        assert "not sent" in statuses and statuses <= {"attached", "failed", "not sent"}
        assert {r["sid"] for r in results if r["status"] == "attached"} == in_service()
        assert "msgsvc: interrupted: the phone numbers marked 'not sent' were left as they were\n" in err
        assert "Traceback" not in err
    finally:
        emu.stop()
