#!/usr/bin/env bash
# The local demo: a real kamailio registrar/proxy on 127.0.0.1, sipendpointd
# registering agent DN 7001 to it, then a real call: baresip (the customer)
# calls 7001 through kamailio with Opus and SRTP, sipendpointd answers by
# itself, speech (espeak-ng) goes both ways through ALSA file PCMs (no sound
# card needed), the call's codec, SRTP suite, MOS and RTT are read from the
# control port, and PESQ scores what each side heard. Then a clean stop that
# removes the binding.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The binary the Debian package ships (scripts/package.sh): Swift runtime linked in.
swift build -c release --static-swift-stdlib --product sipendpointd
bin="$(swift build -c release --static-swift-stdlib --show-bin-path)/sipendpointd"
# Resident memory of the daemon: total, and how much is its own heap/stacks (anonymous).
rss() { awk '/^Rss:/{r=$2} /^Anonymous:/{a=$2} END{printf "%.1f MB resident (%.1f MB anonymous, %.1f MB mapped files)", r/1024, a/1024, (r-a)/1024}' "/proc/$daemon_pid/smaps_rollup"; }

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
# One box: register at once (a fleet spreads its boot: sipendpoint.fleet.spread).
sipendpoint.fleet.spread = 0
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
sipendpoint.policy.session.auto_answer = 1
sipendpoint.system.security.use_srtp = optional
sipendpoint.policy.device.audio_in_device = agent_in
sipendpoint.policy.device.audio_out_device = agent_out
CONF

# Audio without a sound card: ALSA file PCMs over FIFOs, paced in real time.
bash testing/audio/speech.sh "$work"
mkfifo "$work/agent_in.fifo" "$work/far_in.fifo" "$work/far_out.fifo"
pcm() { # name infile outfile
  echo "pcm.$1_raw { type file; slave.pcm \"null\"; file \"$3\"; format \"raw\"${2:+; infile \"$2\"} }"
  echo "pcm.$1 { type plug; slave { pcm \"$1_raw\"; rate 16000; format S16_LE; channels 1 }; rate_converter \"speexrate_medium\" }"
}
{ pcm agent_in "$work/agent_in.fifo" /dev/null; pcm agent_out "" "$work/agent_out.raw"
  pcm far_in "$work/far_in.fifo" /dev/null; pcm far_out "" "$work/far_out.fifo"; } > "$work/.asoundrc"
mkdir -p "$work/baresip"
# The far end's config is the one the tests use (testing/audio/baresip.conf.in).
sed "s/@SIP_PORT@/${DEMO_FAR_PORT:-5072}/" testing/audio/baresip.conf.in > "$work/baresip/config"
echo "<sip:customer@127.0.0.1:${DEMO_FAR_PORT:-5072}>;regint=0;answermode=auto;audio_codecs=opus/48000/1;mediaenc=srtp-mand" > "$work/baresip/accounts"

echo "== sipendpointd --config $work/sipendpointd.conf"
HOME="$work" "$bin" --config "$work/sipendpointd.conf" > "$work/sipendpointd.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 1 100); do grep -q "registration registered" "$work/sipendpointd.log" && break; sleep 0.1; done
cat "$work/sipendpointd.log"
grep -q "registration registered" "$work/sipendpointd.log" || { echo "demo: registration did not succeed" >&2; exit 1; }

# Start-up code is released a few seconds after start (the log says when).
for _ in $(seq 1 100); do grep -q "unused code pages released" "$work/sipendpointd.log" && break; sleep 0.1; done
echo "== sipendpointd idle and registered: $(rss)"
echo "== sipendpointd status (from its HTTP control port)"
"$bin" status --config "$work/sipendpointd.conf"
echo "== GET /v1/status"
"$bin" status --json --config "$work/sipendpointd.conf"; echo

echo "== a customer (baresip) calls 7001 through kamailio: Opus + SRTP, about 8 s of speech each way"
pump="python3 testing/audio/pump.py"
# Both talk once the call is up at both ends (talk.cue), and the customer hangs up
# once both microphones have played their speech, while they still talk.
$pump feed "$work/agent_in.fifo" "$work/agent.raw" 16 "$work/talk.cue" > "$work/agent_feed.out" & feeds=$!
$pump feed "$work/far_in.fifo" "$work/far.raw" 16 "$work/talk.cue" > "$work/far_feed.out" & feeds="$feeds $!"
$pump drain "$work/far_out.fifo" "$work/far_out.raw" 20 &
HOME="$work" timeout 40 baresip -f "$work/baresip" -e "/dial sip:7001@$addr:$port" -t 30 > "$work/baresip.log" 2>&1 &
far_pid=$!
for _ in $(seq 1 100); do grep -q "call established" "$work/sipendpointd.log" && break; sleep 0.1; done
touch "$work/talk.cue"
# What the call really touches: pages referenced over 5 s of it (the rest of
# the resident set is code and data touched at start-up, clean and reclaimable).
sleep 2
echo 1 > "/proc/$daemon_pid/clear_refs"
sleep 5
echo "== sipendpointd in the call: $(rss); $(awk '/^Referenced:/{printf "%.1f MB", $2/1024}' "/proc/$daemon_pid/smaps_rollup") referenced over 5 s of it"
echo "== GET /v1/calls (mid-call)"
curl -s "http://127.0.0.1:${DEMO_CONTROL_PORT:-18200}/v1/calls" | python3 -c '
import json, sys
for c in json.load(sys.stdin)["calls"]:
    m = c["media"] or {}
    print("   call %s: %s, codec %s, SRTP %s" % (c["id"], c["state"], c["codec"], c["srtp"]))
    print("   packets sent %s, received %s, lost %s; jitter %s ms; RTT %s ms; MOS %s (interval %s)" % (
        m.get("packets_sent"), m.get("packets_received"), m.get("packets_lost"), m.get("jitter_ms"), m.get("rtt_ms"), m.get("local_mos"), m.get("local_inter_mos")))'
for _ in $(seq 1 200); do
  grep -q played "$work/agent_feed.out" && grep -q played "$work/far_feed.out" && break; sleep 0.1
done
echo "== the customer hangs up"
kill -TERM "$far_pid" 2>/dev/null || true
for _ in $(seq 1 100); do grep -q "call ended" "$work/sipendpointd.log" && break; sleep 0.1; done
kill $feeds 2>/dev/null || true
wait $(jobs -p | grep -v -e "^$daemon_pid\$" -e "^$kam_pid\$") 2>/dev/null || true
grep -E "incoming call|call ringing|call connecting|call established|call ended" "$work/sipendpointd.log" | sed 's/^/   /'
echo "== what each side heard (PESQ, ITU-T P.862.2 wideband)"
echo "   agent → customer: $(python3 testing/audio/score.py "$work/agent.raw" "$work/far_out.raw" wb)"
echo "   customer → agent: $(python3 testing/audio/score.py "$work/far.raw" "$work/agent_out.raw" wb)"

echo "== binding at the registrar (kamcmd ul.dump)"
kamcmd -s "unix:$work/kamailio/ctl.sock" ul.dump | grep -E "AoR|Address|Expires|User-Agent" || true

echo "== stopping sipendpointd (SIGTERM: unregisters first)"
kill -TERM "$daemon_pid"; wait "$daemon_pid" || true; daemon_pid=
tail -n 4 "$work/sipendpointd.log"
echo "== bindings left at the registrar:"
kamcmd -s "unix:$work/kamailio/ctl.sock" ul.dump | grep -E "AoR: |Address:" || echo "   none (unregistered)"
