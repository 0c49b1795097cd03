#!/bin/bash
# The two speech samples every audio check uses (the call tests, the demo,
# scripts/impair-bench.sh), made with espeak-ng: the agent (male voice) and
# the customer (female voice), written to DIR as agent.raw and far.raw —
# 16 kHz S16_LE mono — plus agent.8k.raw and far.8k.raw for G.711.
#   bash testing/audio/speech.sh DIR
set -euo pipefail
dir=$1
espeak-ng -v en -s 150 -w "$dir/agent.wav" "Hello, this is the agent speaking. Your order number is four five six, and the parcel will arrive on Tuesday morning."
espeak-ng -v en+f3 -s 150 -w "$dir/far.wav" "Good afternoon. I am calling about my account. Could you please check the last payment that I made last week?"
for n in agent far; do
  sox "$dir/$n.wav" -r 16000 -c 1 -b 16 -e signed-integer "$dir/$n.raw"
  sox "$dir/$n.wav" -r 8000 -c 1 -b 16 -e signed-integer "$dir/$n.8k.raw"
done
