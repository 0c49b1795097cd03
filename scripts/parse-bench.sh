#!/usr/bin/env bash
# SIP parse throughput: SIPParseBench (sipendpointd's parser and typed
# headers) and sofia-sip's msg_make on the same message bytes, in one run.
# Usage: bash scripts/parse-bench.sh [SECONDS-PER-ROUND]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-1}
if ! dpkg-query -W -f='${Status}' libsofia-sip-ua-dev 2>/dev/null | grep -q "install ok installed"; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends libsofia-sip-ua-dev
fi
swift build -c release --product SIPParseBench
bench="$(swift build -c release --show-bin-path)/SIPParseBench"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bench" --dump "$work"
cc -O2 -o "$work/sofia_parse" Benchmarks/SofiaCompare/sofia_parse.c $(pkg-config --cflags --libs sofia-sip-ua)
echo "== sipendpointd (SIPCore)"
"$bench" "$seconds"
echo "== sofia-sip $(pkg-config --modversion sofia-sip-ua), msg_make (complete parse)"
echo "sofia 200 OK: $("$work/sofia_parse" "$work/ok.sip" "$seconds")"
echo "sofia REGISTER: $("$work/sofia_parse" "$work/register.sip" "$seconds")"
# The ratios, each pair run back to back: this VM's speed drifts over
# minutes, so rates taken minutes apart compare badly.
median() { sed -n 's/.*median \([0-9]*\) msg\/s.*/\1/p'; }
echo "== side by side with sofia-sip (each pair back to back)"
for pair in "ok.sip|parse+keys 200 OK" "ok.sip|parse+typed 200 OK" "register.sip|parse+validate REGISTER" "register.sip|parse+keys REGISTER"; do
  file=${pair%%|*} row=${pair#*|}
  theirs=$("$work/sofia_parse" "$work/$file" "$seconds" | median)
  ours=$("$bench" "$seconds" "$row" | median)
  echo "$row: $ours msg/s, sofia-sip $theirs msg/s: $(awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "%.2f", a / b }') x"
done
