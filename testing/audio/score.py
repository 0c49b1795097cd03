#!/usr/bin/env python3
"""PESQ (ITU-T P.862 / P.862.2) of a degraded recording against its reference.

score.py REF.raw DEG.raw MODE   -- raw S16_LE mono 16 kHz files; MODE wb or nb
(nb resamples both to 8 kHz first). Leading silence of the recording (call set-up)
is trimmed by cross-correlation before scoring; prints 'PESQ <mode> <score> delay_ms <d>'."""
import sys
import numpy as np
from pesq import pesq


def load(path):
    return np.frombuffer(open(path, "rb").read(), dtype="<i2").astype(np.float64)


ref, deg, mode = load(sys.argv[1]), load(sys.argv[2]), sys.argv[3]
# Align: find where the reference starts in the recording (coarse, by energy envelopes).
env = lambda x: np.sqrt(np.convolve(x * x, np.ones(160) / 160, mode="valid")[::80])
er, ed = env(ref), env(deg)
if len(ed) <= len(er):
    lag = 0
else:
    c = np.correlate(ed - ed.mean(), er - er.mean(), mode="valid")
    lag = int(np.argmax(c)) * 80
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
print("PESQ %s %.3f delay_ms %d" % (mode, score, lag * 1000 // 16000))
