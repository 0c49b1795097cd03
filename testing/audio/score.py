#!/usr/bin/env python3
"""PESQ (ITU-T P.862 / P.862.2) of a degraded recording against its reference.

score.py REF.raw DEG.raw MODE   -- raw S16_LE mono 16 kHz files; MODE wb or nb
(nb resamples both to 8 kHz first). Leading silence of the recording (call set-up)
is trimmed by cross-correlation before scoring; prints
'PESQ <mode> <score> delay_ms <d> recorded_ms <r> missing_ms <m>': where the reference
starts in the recording, how long the recording is, and how much of the reference's
end it lacks (a call that ended before its speech did)."""
import sys
import numpy as np
from pesq import pesq


def load(path):
    return np.frombuffer(open(path, "rb").read(), dtype="<i2").astype(np.float64)


ref, deg, mode = load(sys.argv[1]), load(sys.argv[2]), sys.argv[3]
# Align: find where the reference starts in the recording (coarse, by energy envelopes).
env = lambda x: np.sqrt(np.convolve(x * x, np.ones(160) / 160, mode="valid")[::80])
er, ed = env(ref), env(deg)
# A start is a candidate while at least half the reference lies within the recording: a
# recording cut short (padded with silence here) is still aligned, not scored from 0.
starts = max(1, len(ed) - len(er) // 2 + 1)
padded = np.concatenate([ed - ed.mean(), np.zeros(starts + len(er) - 1 - len(ed))])
c = np.correlate(padded, er - er.mean(), mode="valid")
lag = int(np.argmax(c)) * 80
recorded, missing = len(deg), max(0, lag + len(ref) - len(deg))
deg = deg[lag:lag + len(ref)]
if len(deg) < len(ref):
    deg = np.concatenate([deg, np.zeros(len(ref) - len(deg))])
rate = 16000
if mode == "nb":
    # Low-pass (windowed sinc, 3.6 kHz) before taking every other sample.
    n = np.arange(-63, 64)
    h = np.sinc(2 * 3600 / 16000 * n) * np.hamming(len(n))
    h /= h.sum()
    ref, deg, rate = np.convolve(ref, h, "same")[::2], np.convolve(deg, h, "same")[::2], 8000
score = pesq(rate, ref, deg, mode)
print("PESQ %s %.3f delay_ms %d recorded_ms %d missing_ms %d" % (mode, score, lag * 1000 // 16000, recorded * 1000 // 16000, missing * 1000 // 16000))
