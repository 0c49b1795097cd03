#!/bin/bash
# Coverage-guided fuzzing with libFuzzer (Fuzz/): builds the target with
# AddressSanitizer and libFuzzer's coverage, replays the crash regressions
# (Fuzz/regressions/TARGET/), then fuzzes for SECONDS from the seed corpus
# (Fuzz/corpus/TARGET/, plus the RFC 4475/5118 torture corpus from
# ../shared for SIP). Fails on any crash, leak, timeout or out-of-memory;
# the input that did it is kept under .build-fuzz/artifacts/.
#   bash scripts/fuzz.sh TARGET|all SECONDS [JOBS]
# TARGET: SIP SDP SDES DNS RTP HTTP Config. JOBS (default 1) fuzzes that
# many processes of each target at once (a long run on more cores).
set -euo pipefail
cd "$(dirname "$0")/.."
targets=(SIP SDP SDES DNS RTP HTTP Config)
[ $# -ge 2 ] || { echo "usage: bash scripts/fuzz.sh TARGET|all SECONDS [JOBS]   (TARGET: ${targets[*]})" >&2; exit 2; }
which=$1 seconds=$2 jobs=${3:-1}
[ "$which" = all ] || targets=("$which")
runtime=$(ls -d "$(dirname "$(readlink -f "$(command -v swiftc)")")"/../lib/clang/*/lib/linux | head -1)
build() {
  mkdir -p .build-fuzz
  # A failed build fails the run (an older binary left in .build-fuzz must not stand in for it).
  if ! SIPENDPOINTD_FUZZ=1 swift build --scratch-path .build-fuzz --product "Fuzz$1" \
      -Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp \
      -Xlinker "$runtime/libclang_rt.fuzzer_no_main-x86_64.a" -Xlinker -lstdc++ > ".build-fuzz/build-$1.log" 2>&1; then
    grep -E "error" ".build-fuzz/build-$1.log" | head -20
    echo "fuzz: Fuzz$1 did not build (.build-fuzz/build-$1.log)" >&2
    exit 1
  fi
  rm -f ".build-fuzz/build-$1.log"
}
total=0 status=0
for t in "${targets[@]}"; do
  [ -d "Fuzz/Fuzz$t" ] || { echo "fuzz: no target $t (${targets[*]})" >&2; exit 2; }
  build "$t"
  bin=.build-fuzz/debug/Fuzz$t
  work=.build-fuzz/corpus/$t artifacts=.build-fuzz/artifacts
  mkdir -p "$work" "$artifacts"
  # Every crash found so far must stay fixed.
  if compgen -G "Fuzz/regressions/$t/*" >/dev/null; then
    "$bin" -runs=1 Fuzz/regressions/"$t"/* >"$artifacts/$t-regressions.log" 2>&1 || { echo "fuzz $t: a regression input fails again:"; tail -30 "$artifacts/$t-regressions.log"; exit 1; }
  fi
  seeds=(Fuzz/corpus/"$t")
  if [ "$t" = SIP ] && [ -d ../shared/conformance/sip-torture ]; then seeds+=(../shared/conformance/sip-torture); fi
  for j in $(seq 1 "$jobs"); do
    # -timeout: one input may take at most 10 s; -rss_limit_mb: no runaway allocation.
    "$bin" "$work" "${seeds[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
      -artifact_prefix="$artifacts/$t-" -print_final_stats=1 -seed=$((RANDOM * j + 1)) >"$artifacts/$t-$j.log" 2>&1 &
  done
  for j in $(seq 1 "$jobs"); do
    if ! wait -n; then status=1; fi
  done
  runs=0
  for j in $(seq 1 "$jobs"); do
    n=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$artifacts/$t-$j.log" | grep -o '[0-9]*$' || echo 0)
    runs=$((runs + n))
    if grep -qE 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)|SUMMARY: ' "$artifacts/$t-$j.log"; then
      status=1
      echo "fuzz $t: FAILED (job $j) — input in $artifacts/$t-*; log $artifacts/$t-$j.log:"
      grep -E 'ERROR|SUMMARY|Fatal error|#[0-9]+ 0x' "$artifacts/$t-$j.log" | head -30
    fi
  done
  total=$((total + runs))
  echo "FUZZ $t: $runs executions in ${seconds} s x $jobs job(s), corpus $(ls "$work" | wc -l) inputs"
done
echo "FUZZ total: $total executions, $([ $status = 0 ] && echo "0 crashes" || echo "FAILURES (see above)")"
exit $status
