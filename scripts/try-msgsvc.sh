#!/usr/bin/env bash
# A first, real msgsvc session against a local emulator: no Twilio account, nothing leaves
# this machine, and your own msgsvc profiles are never touched (a temporary config is used).
#
#   python3 -m venv .venv && .venv/bin/pip install -q . && scripts/try-msgsvc.sh
#
# Uses $MSGSVC_BIN, else the repository's .venv/bin/msgsvc, else msgsvc on PATH.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
bin="${MSGSVC_BIN:-}"
if [ -z "$bin" ]; then
    if [ -x "$here/.venv/bin/msgsvc" ]; then bin="$here/.venv/bin/msgsvc"; else bin="$(command -v msgsvc || true)"; fi
fi
if [ -z "$bin" ] || [ ! -x "$bin" ]; then
    echo "try-msgsvc: msgsvc is not installed; first run: python3 -m venv .venv && .venv/bin/pip install -q ." >&2
    exit 1
fi

# Only this session's settings: a temporary config, no Twilio or msgsvc variables.
work="$(mktemp -d "${TMPDIR:-/tmp}/try-msgsvc.XXXXXX")"
unset MSGSVC_PROFILE MSGSVC_BASE_URL TWILIO_ACCOUNT_SID TWILIO_AUTH_TOKEN TWILIO_API_KEY TWILIO_API_SECRET TWILIO_REGION TWILIO_EDGE
export MSGSVC_CONFIG_DIR="$work/config" MSGSVC_CACHE_DIR="$work/cache"

emulator_pid=""
cleanup() {
    if [ -n "$emulator_pid" ] && kill -0 "$emulator_pid" 2>/dev/null; then
        kill "$emulator_pid" 2>/dev/null || true
        wait "$emulator_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

msgsvc() { "$bin" "$@"; }
show() { printf '\n$ %s\n' "$*" >&2; }   # echo each command before running it

# 1. Start the emulator in the background on a free port; it prints its URL and credentials.
show "msgsvc emulator --port 0 --numbers 20 &"
"$bin" emulator --port 0 --numbers 20 --quiet >"$work/emulator.env" 2>"$work/emulator.log" &
emulator_pid=$!
# It writes the assignments in one piece once it listens, the API secret last.
for _ in $(seq 1 150); do   # up to 15 s
    grep -q '^MSGSVC_EMULATOR_API_SECRET=' "$work/emulator.env" 2>/dev/null && break
    if ! kill -0 "$emulator_pid" 2>/dev/null; then
        echo "try-msgsvc: the emulator did not start:" >&2
        cat "$work/emulator.log" >&2
        exit 1
    fi
    sleep 0.1
done
grep -q '^MSGSVC_EMULATOR_API_SECRET=' "$work/emulator.env" || { echo "try-msgsvc: the emulator did not start in time" >&2; cat "$work/emulator.log" >&2; exit 1; }
# shellcheck disable=SC1091
. "$work/emulator.env"   # MSGSVC_BASE_URL, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN (not exported)
echo "The emulator is serving Twilio's Messaging API on $MSGSVC_BASE_URL" >&2

# 2. A profile for it (the auth token goes on stdin, never as a flag).
show "msgsvc profiles add emulator --account-sid $TWILIO_ACCOUNT_SID --base-url $MSGSVC_BASE_URL"
printf '%s\n' "$TWILIO_AUTH_TOKEN" | msgsvc profiles add emulator --account-sid "$TWILIO_ACCOUNT_SID" --base-url "$MSGSVC_BASE_URL"

# 3. A service.
show 'msgsvc services create --friendly-name "My first service" --usecase notifications'
SERVICE="$(msgsvc services create --friendly-name "My first service" --usecase notifications | awk -F'\t' '$1 == "sid" { print $2 }')"
echo "SERVICE=$SERVICE" >&2

# 4. A phone number of the account, by its E.164 form.
show "msgsvc numbers attach $SERVICE +15550000001"
msgsvc numbers attach "$SERVICE" +15550000001
show "msgsvc numbers list $SERVICE"
msgsvc numbers list "$SERVICE"

# 5. List, look at one, delete it.
show "msgsvc services list"
msgsvc services list
show 'msgsvc services get "My first service"'
msgsvc services get "My first service"
show "msgsvc services delete $SERVICE --yes"
msgsvc services delete "$SERVICE" --yes
show "msgsvc services list"
msgsvc services list

cat >&2 <<EOF

That was msgsvc against a local emulator. Run one yourself with:
    msgsvc emulator
and see 'msgsvc --help' for everything else.
EOF
