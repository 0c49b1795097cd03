#!/usr/bin/env bash
# The local demo: a real kamailio registrar on 127.0.0.1, sipendpointd
# registering agent DN 7001 to it, the binding shown at the registrar, then
# a clean stop that removes the binding.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release --product sipendpointd
bin="$(swift build -c release --show-bin-path)/sipendpointd"

work=$(mktemp -d /tmp/sipendpointd-demo.XXXXXX)
addr=127.0.0.1 port=${DEMO_PORT:-5070} password=demo-secret
cleanup() {
  [ -n "${daemon_pid:-}" ] && kill "$daemon_pid" 2>/dev/null || true
  [ -n "${kam_pid:-}" ] && kill "$kam_pid" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT

echo "== starting kamailio registrar on $addr:$port (work dir $work)"
testing/kamailio/run-registrar.sh "$work/kamailio" "$addr" "$port" "$password" 30 > "$work/kamailio.log" 2>&1 &
kam_pid=$!
for _ in $(seq 1 50); do grep -q io_listen_loop "$work/kamailio.log" 2>/dev/null && break; sleep 0.1; done

printf '%s\n' "$password" > "$work/password"
chmod 600 "$work/password"
cat > "$work/sipendpointd.conf" <<CONF
# Demo configuration (see sipendpointd.conf.example for every key)
sipendpoint.user = 7001
sipendpoint.password-file = $work/password
sipendpoint.sip-server-address = $addr
sipendpoint.sip-server-port = $port
sipendpoint.sbc-register-address =
sipendpoint.sbc-register-port =
sipendpoint.transport-protocol = ${DEMO_TRANSPORT:-UDP}
sipendpoint.proxies.proxy0.reg_timeout = 60
sipendpoint.local-address = $addr
sipendpoint.state-directory = $work/state
sipendpoint.control-port = ${DEMO_CONTROL_PORT:-18200}
CONF

echo "== sipendpointd --config $work/sipendpointd.conf"
"$bin" --config "$work/sipendpointd.conf" > "$work/sipendpointd.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 1 100); do grep -q "registration registered" "$work/sipendpointd.log" && break; sleep 0.1; done
cat "$work/sipendpointd.log"
grep -q "registration registered" "$work/sipendpointd.log" || { echo "demo: registration did not succeed" >&2; exit 1; }

echo "== sipendpointd status (from its HTTP control port)"
"$bin" status --config "$work/sipendpointd.conf"
echo "== GET /v1/status"
"$bin" status --json --config "$work/sipendpointd.conf"; echo

echo "== binding at the registrar (kamcmd ul.dump)"
kamcmd -s "unix:$work/kamailio/ctl.sock" ul.dump | grep -E "AoR|Address|Expires|User-Agent" || true

echo "== stopping sipendpointd (SIGTERM: unregisters first)"
kill -TERM "$daemon_pid"; wait "$daemon_pid" || true; daemon_pid=
tail -n 4 "$work/sipendpointd.log"
echo "== bindings left at the registrar:"
kamcmd -s "unix:$work/kamailio/ctl.sock" ul.dump | grep -E "AoR: |Address:" || echo "   none (unregistered)"
