#!/bin/bash
# The fleet's real check: one process (FleetLoad) holding ENDPOINTS endpoints
# on SIPCore's real transports registers to kamailio on loopback, over UDP
# and then TCP; once all stand, kamailio is restarted with an empty
# location table and the fleet's return is timed. Prints the figures and
# kamailio's binding count at the end (one per endpoint).
#   bash scripts/fleet-real.sh [ENDPOINTS] [SPREAD] [KEEPALIVE]   (default 2000 10 30)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-2000} spread=${2:-10} keepalive=${3:-30}
swift build -c release --product FleetLoad >/dev/null
load=$(swift build -c release --show-bin-path)/FleetLoad
work=$(mktemp -d /tmp/fleet-real.XXXXXX)
addr=127.0.0.1 port=${FLEET_PORT:-5090} password=fleet-secret
kam_pid=
start_kamailio() {
  rm -f "$work/kamailio.log"
  testing/kamailio/run-registrar.sh "$work/kam" "$addr" "$port" "$password" 30 > "$work/kamailio.log" 2>&1 &
  kam_pid=$!
  for _ in $(seq 1 100); do grep -q io_listen_loop "$work/kamailio.log" 2>/dev/null && return; sleep 0.1; done
  echo "fleet-real: kamailio did not start" >&2; exit 1
}
stop_kamailio() { kill "$kam_pid" 2>/dev/null || true; wait "$kam_pid" 2>/dev/null || true; }
trap 'stop_kamailio; pkill -P $$ FleetLoad 2>/dev/null || true; rm -rf "$work"' EXIT
wait_for() { # pattern file seconds
  for _ in $(seq 1 $(($3 * 10))); do grep -q "$1" "$2" && return 0; sleep 0.1; done; return 1
}
bindings() { kamcmd -s "unix:$work/kam/ctl.sock" stats.get_statistics usrloc: 2>/dev/null | sed -n 's/.*location_contacts = //p'; }
now() { date +%s.%N; }
for transport in udp tcp; do
  start_kamailio
  "$load" "$addr" "$port" "$transport" "$n" "$password" 150 "$spread" "$keepalive" > "$work/load.log" 2>&1 &
  load_pid=$!
  wait_for "FleetLoad: all $n registered" "$work/load.log" 60 || { tail -5 "$work/load.log"; echo "fleet-real: $transport: not all registered" >&2; exit 1; }
  echo "$transport: $(grep -m1 "FleetLoad: all $n registered" "$work/load.log" | sed 's/^FleetLoad: //'); bindings at kamailio: $(bindings)"
  echo "$transport: restarting kamailio (location table lost)"
  stop_kamailio
  t0=$(now)
  sleep 1
  start_kamailio
  # Back when kamailio holds every endpoint's binding again (UDP endpoints notice by their binding probes).
  back=
  for _ in $(seq 1 1200); do [ "$(bindings)" = "$n" ] && { back=$(now); break; }; sleep 0.1; done
  [ -n "$back" ] || { tail -5 "$work/load.log"; echo "fleet-real: $transport: the fleet did not come back ($(bindings) bindings)" >&2; exit 1; }
  echo "$transport: all $n bindings back at kamailio $(python3 -c "print('%.1f' % ($back - $t0))") s after it stopped (down 1 s + its start-up)"
  peak=$(grep -o 'attempts/s [0-9]*' "$work/load.log" | awk '{print $2}' | sort -n | tail -1)
  echo "$transport: peak $peak registration attempts/s (REGISTER transactions begun; digest doubles the messages)"
  kill "$load_pid" 2>/dev/null || true; wait "$load_pid" 2>/dev/null || true
  stop_kamailio
done
