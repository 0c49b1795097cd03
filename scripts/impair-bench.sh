#!/bin/bash
# The receive path under a modelled network, scored with PESQ: the two
# speech samples the call tests use (espeak-ng), encoded, sent through
# MediaBench's seeded network model (DELAY ± JITTER ms, LOSS % each packet)
# and played by the stream's own Playout; mean PESQ over SEEDS seeds.
#   bash scripts/impair-bench.sh [DELAY JITTER LOSS [SEEDS]]   (default 40 20 3 6)
# Needs espeak-ng, sox and the pesq module (scripts/setup.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
delay=${1:-40} jitter=${2:-20} loss=${3:-3} seeds=${4:-6}
swift build -c release --product MediaBench >/dev/null
bench=$(swift build -c release --show-bin-path)/MediaBench
work=$(mktemp -d /tmp/impair-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
bash testing/audio/speech.sh "$work"
score() { python3 testing/audio/score.py "$@" | cut -d' ' -f3; }
# opus-red / pcma-red: with RFC 2198 redundancy, as two sipendpointd send while
# the far end reports loss (Opus then keeps its lean CELT encoder).
for codec in opus-lean opus opus-red pcma pcma-red; do
  conds=("$delay 0 0" "$delay $jitter $loss")
  # Lean (CELT) is what a call settles on while the far end reports no loss: scored clean only.
  [ $codec = opus-lean ] && conds=("$delay 0 0")
  case $codec in *-red) conds=("$delay $jitter $loss");; esac
  red=$(case $codec in *-red) echo 1;; esac)
  for cond in "${conds[@]}"; do
    line="$codec ($cond: delay jitter loss%):"
    for n in agent far; do
      total=0
      for seed in $(seq 1 "$seeds"); do
        if [ ${codec%-red} != pcma ]; then
          RED=$red OPUS_LEAN=$(case $codec in opus-lean|opus-red) echo 1;; esac) "$bench" impair opus "$work/$n.raw" "$work/out.raw" $cond "$seed" 0 >"$work/log"
          s=$(score "$work/$n.raw" "$work/out.raw" wb)
        else
          RED=$red "$bench" impair pcma "$work/$n.8k.raw" "$work/out8.raw" $cond "$seed" 0 >"$work/log"
          sox -t raw -r 8000 -e signed -b 16 -c 1 "$work/out8.raw" -t raw -r 16000 "$work/out.raw"
          s=$(score "$work/$n.raw" "$work/out.raw" nb)
        fi
        total=$(python3 -c "print($total + $s)")
      done
      line="$line $n PESQ-$([ ${codec%-red} = pcma ] && echo NB || echo WB) $(python3 -c "print('%.2f' % ($total / $seeds))")"
    done
    echo "$line  [last seed: $(cut -d: -f2- "$work/log")]"
  done
done
