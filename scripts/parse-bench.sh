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
