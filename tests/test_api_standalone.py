"""The API layer on its own: in a fresh interpreter with no config directory and no
credentials in the environment, `msgsvc.api.client` lists services from the emulator,
loading nothing of the config, the keyring or the terminal."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from emulator_helpers import EMU_ACCOUNT, EMU_TOKEN

PROBE = """
import json, sys
from msgsvc.api.client import Client, ClientSettings

client = Client(ClientSettings(username={account!r}, password={token!r}, base_url={base_url!r}))
sids = [service["sid"] for service in client.list_services(page_size=2)]
client.close()
print(json.dumps({{"sids": sids, "modules": sorted(m for m in sys.modules if m.startswith("msgsvc"))}}))
"""


def test_the_client_lists_services_in_a_fresh_interpreter_without_a_config(emulator, tmp_path):
    created = [emulator.call("POST", "/v1/Services", data={"FriendlyName": f"Standalone {i}"}).json()["sid"] for i in range(3)]
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "MSGSVC_"))}
    env.update(HOME=str(home), MSGSVC_CONFIG_DIR=str(tmp_path / "no such dir"), XDG_CONFIG_HOME=str(home / ".config"))
    probe = PROBE.format(account=EMU_ACCOUNT, token=EMU_TOKEN, base_url=emulator.base_url)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert (done.returncode, done.stderr) == (0, "")
    answer = json.loads(done.stdout)
    assert answer["sids"] == list(emulator.store.data["services"]) and answer["sids"][-3:] == created
    assert not [m for m in answer["modules"] if m.split(".")[1:2] in (["local"], ["cli"], ["jobs"], ["setup"], ["emulator"])]
    assert not (tmp_path / "no such dir").exists() and list(home.iterdir()) == []
    assert [r["operation"] for r in emulator.records][-2:] == ["ListService", "ListService"]
