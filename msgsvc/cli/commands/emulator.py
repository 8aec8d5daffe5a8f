"""msgsvc emulator: serve a local stand-in for the part of Twilio's API that msgsvc uses.

The server code (msgsvc.emulator) is imported only when the command runs: start-up speed.
"""

import functools
import os
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from msgsvc.errors import MsgsvcError, UsageError
from msgsvc.cli.options import given, invalid, use
from msgsvc.words import counted

LOOPBACK_NAMES = ("localhost", "ip6-localhost")
RECORD_ENV = "MSGSVC_EMULATOR_RECORD"  # for msgsvc's own tests: a JSON line per answer sent


class BindError(MsgsvcError):
    """The address cannot be listened on (in use, not ours, not allowed): exit 1."""


class StateSaveError(MsgsvcError):
    """The state cannot be saved on exit (a full disk): exit 1, saying what is kept."""


def emulator(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", metavar="ADDRESS", help="Listen on this address. Anything but loopback exposes the emulator to the network.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, metavar="PORT", help="Listen on this TCP port; 0 picks a free one (printed).")] = 4010,
    state: Annotated[Optional[Path], typer.Option("--state", metavar="FILE", help="Keep the account's state in this JSON file (mode 0600), reloaded on start with its credentials; each change is on disk before its answer (see --sync). Default: in memory only.", show_default=False, dir_okay=False)] = None,
    numbers: Annotated[int, typer.Option("--numbers", min=0, max=100000, metavar="N", help="Seed a new account with N phone numbers, +15550000001 upwards; every 5th has no SMS/MMS capability.")] = 20,
    account_sid: Annotated[Optional[str], typer.Option("--account-sid", metavar="AC...", help="The Account SID to accept [default: generated].", show_default=False)] = None,
    auth_token: Annotated[Optional[str], typer.Option("--auth-token", metavar="TOKEN", help="The auth token to accept [default: generated]. A local test value, never a real token.", show_default=False)] = None,
    fail_rate: Annotated[float, typer.Option("--fail-rate", min=0.0, max=1.0, metavar="P", help="Answer this share of requests (0 to 1) with 429 or 503 and Retry-After: 1, changing nothing.")] = 0.0,
    latency: Annotated[int, typer.Option("--latency", min=0, max=600000, metavar="MS", help="Delay every answer by MS milliseconds.")] = 0,
    a2p_review: Annotated[float, typer.Option("--a2p-review", min=0.0, max=86400.0, metavar="SECONDS", help="Seconds a new or updated US A2P 10DLC campaign stays in review before it is VERIFIED (or FAILED, when its description or message flow contains REJECT).")] = 5.0,
    tollfree_review: Annotated[float, typer.Option("--tollfree-review", min=0.0, max=86400.0, metavar="SECONDS", help="Seconds a new or resubmitted toll-free verification stays in review before it is TWILIO_APPROVED (or TWILIO_REJECTED, when its business name or production message sample contains REJECT or FORBIDDEN).")] = 5.0,
    pool_limit: Annotated[int, typer.Option("--pool-limit", min=1, max=100000, metavar="N", help="Refuse the phone number or short code that would make a service hold more than N of them, with error 21714 (HTTP 412), as Twilio does at 400.")] = 400,
    sync: Annotated[bool, typer.Option("--sync/--no-sync", help="With --state: fsync each change before its answer, so that an answered change survives a crash of the machine. --no-sync writes it before the answer without fsync: it survives the emulator being killed (kill -9), not a power cut; faster on slow disks.")] = True,
    read_timeout: Annotated[float, typer.Option("--read-timeout", min=0.01, max=3600.0, metavar="SECONDS", help="Close a connection that sends nothing for SECONDS (a stalled or idle client), so that stalled clients cannot use up the server.")] = 30.0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print neither the banner nor a line per request on stderr (warnings and errors still are).")] = False,
    unhealthy: Annotated[bool, typer.Option("--unhealthy", help="Seed a new account with services that trip each check of 'msgsvc doctor' (named after what is wrong), one that passes them all (Healthy), and recent Monitor alerts.")] = False,
    json_: Annotated[bool, typer.Option("--json", help="Print the connection details as one JSON object (for scripts), "
                                                       "not as variable assignments.")] = False,
) -> None:
    """Serve Twilio's Messaging API locally.

    So msgsvc and scripts can be tried without an account.

    Serves Messaging v1 Services (create, fetch, list, update, delete) and each service's
    PhoneNumbers, ShortCodes, AlphaSenders, ChannelSenders and DestinationAlphaSenders
    (create, fetch, list, delete), and the 2010 API's IncomingPhoneNumbers list with its
    PhoneNumber filter, Monitor alerts (list, fetch) and Messaging v2 Channels Senders (list
    by Channel, fetch, with their status), with Twilio's paths, fields, paging and error
    bodies. A new account
    holds N phone numbers, 3 short codes, 3 channel senders and one API key. A service holds
    at most 400 phone numbers and short codes (--pool-limit); paths of Twilio's API that it
    does not serve answer HTTP 501 (error 20501), not 404 (a path with its version twice,
    /v1/v1/..., is 404 as at Twilio). Runs in the foreground until Ctrl-C or SIGTERM.

    Prints on stdout, once it listens and in one write, shell variable assignments, one per
    line: MSGSVC_BASE_URL, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, MSGSVC_EMULATOR_API_KEY,
    and MSGSVC_EMULATOR_API_SECRET last (a script that started it with & waits for that
    line). With --json, one JSON object instead, with the keys base_url, account_sid,
    auth_token, api_key, api_secret, profile_command (the command that adds a profile for
    it), short_codes ([{sid, short_code}]) and channel_senders ([{sid, sender}]). On stderr,
    unless --quiet: a banner (the URL, the account, the command that adds a profile), then
    one line per request.

    US A2P 10DLC: the account holds three brands (two APPROVED, one FAILED); a campaign
    created on a service marks it registered and is PENDING, IN_PROGRESS from half of
    --a2p-review, then VERIFIED, or FAILED (error 30897) when its description or message
    flow contains the marker REJECT. Deleting the campaign clears the registration.

    Toll-free: the account also holds three toll-free numbers (+18005550100, +18885550101,
    +18445550102, listed by IncomingPhoneNumbers/TollFree.json). A verification filed for one
    is PENDING_REVIEW, IN_REVIEW from half of --tollfree-review, then TWILIO_APPROVED; or
    TWILIO_REJECTED when its business name or production message sample contains a marker:
    REJECT (error 30511, editable for seven days: an update with an EditReason resubmits it)
    or FORBIDDEN (error 30464, edit_allowed false: delete it and file again).

    --unhealthy adds services named after what is wrong with them, which 'msgsvc doctor'
    finds (README, "Will it deliver?"), one named Healthy that passes, and recent alerts.

    Durability, with --state FILE: a change is appended to FILE.journal and fsynced before it
    is answered (written without fsync with --no-sync), so every answered change is there
    after kill -9 or a crash, and is read back on the next start. The state file is written
    only once the port is listened on (a failed start leaves it as it was), temporary files
    a crash left are removed at start, and on exit the journal is folded into FILE and
    removed. A change that cannot be saved (a full disk) is answered 500 (error 20500).

    Exit status: 0 when stopped by Ctrl-C or SIGTERM; 1 when the address cannot be listened
    on (the port is in use, say), or when the state cannot be saved on exit (what is kept is
    said); 2 for a bad option or an unusable state file.

    Example:

    \b
        msgsvc emulator --port 4010 --numbers 50
        msgsvc emulator --port 0 --state emulator.json > emulator.env &
        msgsvc emulator --fail-rate 0.2 --latency 300   # a script's retries
        msgsvc emulator --pool-limit 5                  # full at 5 numbers
        msgsvc emulator --unhealthy                       # then: msgsvc doctor
    """
    state_ = use(ctx, json_=json_)
    from msgsvc.api import validate

    if account_sid is not None:
        try:
            account_sid = validate.sid(account_sid, "AC")  # as Twilio writes it
        except ValueError as exc:
            raise invalid("--account-sid", str(exc)) from None
    if auth_token is not None and (not auth_token or any(c.isspace() for c in auth_token)):
        raise invalid("--auth-token", "it must be non-empty and without spaces")
    serve(
        state_.term, host=host, port=port, state=state, numbers=numbers, account_sid=account_sid,
        auth_token=auth_token, fail_rate=fail_rate, latency=latency, quiet=quiet,
        as_json=state_.json, numbers_given=given(ctx, "numbers"), pool_limit=pool_limit, a2p_review=a2p_review,
        tollfree_review=tollfree_review,
        unhealthy=unhealthy,
        sync=sync, read_timeout=read_timeout,
    )



def _store(term: Any, state: Path | None, numbers: int, account_sid: str | None, auth_token: str | None, numbers_given: bool,
           pool_limit: int, unhealthy: bool = False) -> Any:
    import secrets

    from msgsvc.emulator.seed import seed
    from msgsvc.emulator.state import StateFileError
    from msgsvc.emulator.store import Store
    from msgsvc.cli.output import note

    if state is not None and state.exists():
        try:
            store = Store.load(state, pool_limit)
        except StateFileError as exc:
            raise UsageError(str(exc), hint="give another --state file, or move this one away (it is never overwritten)") from None
        for option, given, kept in (("--account-sid", account_sid, store.account_sid), ("--auth-token", auth_token, store.auth_token)):
            if given is not None and given != kept:
                raise UsageError(
                    f"{option} differs from the one in the state file {state}",
                    hint=f"drop {option} to use the state file's, or give another --state file",
                )
        if numbers_given:
            note(term, f"msgsvc emulator: --numbers ignored: the state file {state} already holds the account")
        if unhealthy:
            note(term, f"msgsvc emulator: --unhealthy ignored: the state file {state} already holds the account")
        if store.replayed:
            note(term, f"msgsvc emulator: {counted(store.replayed, 'change')} recovered from the journal of {state}")
        return store
    data = seed(account_sid or "AC" + secrets.token_hex(16), auth_token or secrets.token_hex(16), numbers)
    if unhealthy:
        from msgsvc.emulator.unhealthy import seed_unhealthy

        seed_unhealthy(data)
    return Store(data, state, pool_limit)  # written once the server listens


def _base_url(host: str, port: int) -> str:
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _recorder() -> Any:
    """With $MSGSVC_EMULATOR_RECORD, append every answer as a JSON line (msgsvc's tests
    validate each against the OpenAPI definition)."""
    path = os.environ.get(RECORD_ENV)
    if not path:
        return None
    import json
    import threading

    lock = threading.Lock()

    def record(operation: str | None, status: int, body: Any) -> None:
        line = json.dumps({"operation": operation, "status": status, "body": body}) + "\n"
        with lock, open(path, "a", encoding="utf-8") as handle:
            handle.write(line)

    return record


def serve(term: Any, *, host: str, port: int, state: Path | None, numbers: int, account_sid: str | None, auth_token: str | None,
          fail_rate: float, latency: int, quiet: bool, as_json: bool, numbers_given: bool, pool_limit: int = 400,
          a2p_review: float = 5.0, tollfree_review: float = 5.0, unhealthy: bool = False, sync: bool = True,
          read_timeout: float = 30.0) -> None:
    import signal

    from msgsvc.cli.output import note
    from msgsvc.emulator.state import StateWriteError

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    store = _store(term, state, numbers, account_sid, auth_token, numbers_given, pool_limit, unhealthy)
    store.a2p_review = a2p_review
    store.tollfree_review = tollfree_review
    previous = signal.signal(signal.SIGTERM, stop)  # SIGTERM stops as cleanly as Ctrl-C
    try:
        try:
            server = _bind(host, port, store, fail_rate=fail_rate, latency_ms=latency, log_requests=not quiet,
                           recorder=_recorder(), log=functools.partial(note, term), sync=sync, read_timeout=read_timeout)
        except StateWriteError as exc:
            raise UsageError(str(exc)) from None
        try:
            _announce(term, server, store, host, state, fail_rate, latency, as_json, quiet)
            server.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:  # the way to stop a server in the foreground
            pass
        finally:
            server.server_close()
            try:
                store.close()  # folds the journal into the state file
            except StateWriteError as exc:
                raise StateSaveError(str(exc)) from None
    finally:
        signal.signal(signal.SIGTERM, previous)
    if not quiet:
        note(term, "msgsvc emulator: stopped.")


def _bind(host: str, port: int, store: Any, **options: Any) -> Any:
    import errno

    from msgsvc.emulator.server import make_server

    try:
        return make_server(host, port, store, **options)
    except OSError as exc:
        where = f"{host}:{port}" if ":" not in host else f"[{host}]:{port}"
        if exc.errno == errno.EADDRINUSE:
            raise BindError(f"cannot listen on {where}: the address is already in use",
                            hint="another emulator may be running there; choose another --port, or --port 0 for any free one") from None
        if exc.errno == errno.EACCES:
            raise BindError(f"cannot listen on {where}: permission denied", hint="use a port above 1023") from None
        if exc.errno == errno.EADDRNOTAVAIL:
            raise BindError(f"cannot listen on {where}: {host} is not an address of this machine") from None
        raise BindError(f"cannot listen on {where}: {exc.strerror or exc}") from None


def _announce(term: Any, server: Any, store: Any, host: str, state: Path | None, fail_rate: float, latency: int, as_json: bool,
              quiet: bool) -> None:
    """The base URL and credentials on stdout (data), in one write before anything else, once
    the port is listened on: a script that started the emulator with `&` waits for the last
    line; then, unless `quiet`, what to do with them on stderr (the banner)."""
    import shlex

    from msgsvc.cli.output import emit_json, note, write

    bound_port = server.server_address[1]
    base_url = _base_url(host, bound_port)
    key, secret = store.api_key
    profile_command = (
        f"printf '%s\\n' {shlex.quote(store.auth_token)} | msgsvc profiles add emulator "
        f"--account-sid {shlex.quote(store.account_sid)} --base-url {shlex.quote(base_url)}"
    )
    info = {
        "base_url": base_url,
        "account_sid": store.account_sid,
        "auth_token": store.auth_token,
        "api_key": key,
        "api_secret": secret,
        "profile_command": profile_command,
        **store.senders(),  # short codes and channel senders, SID and what a user types
    }
    if as_json:
        emit_json(term, info)
    else:
        write(
            term,
            f"MSGSVC_BASE_URL={base_url}\n"
            f"TWILIO_ACCOUNT_SID={store.account_sid}\n"
            f"TWILIO_AUTH_TOKEN={shlex.quote(store.auth_token)}\n"
            f"MSGSVC_EMULATOR_API_KEY={key}\n"
            f"MSGSVC_EMULATOR_API_SECRET={shlex.quote(secret)}\n"
        )

    if not _is_loopback(host):
        note(term, f"msgsvc emulator: warning: listening on {host}, not loopback: anyone who can reach this machine "
             "can use the emulator with the credentials printed")
    if quiet:
        return
    counts = store.counts()
    where = f"state in {state}" if state is not None else "state in memory"
    note(term, f"msgsvc emulator: Twilio's Messaging API on {base_url} ({where})")
    note(term, f"Account {store.account_sid}: {counts['numbers']} phone numbers, {counts['short_codes']} short codes, "
         f"{counts['channel_senders']} channel senders, {counts['services']} services; "
         f"also accepts API key {key}")
    if info["short_codes"]:
        note(term, "Short codes: " + ", ".join(f"{r['short_code']} {r['sid']}" for r in info["short_codes"]))
    if info["channel_senders"]:
        note(term, "Channel senders: " + ", ".join(f"{r['sender']} {r['sid']}" for r in info["channel_senders"]))
    if fail_rate or latency:
        note(term, f"Failing {fail_rate:.0%} of requests with 429/503; answering after {latency} ms.")
    note(term, "Add a profile for it:")
    note(term, f"  {profile_command}")
    note(term, "Press Ctrl-C to stop.")
