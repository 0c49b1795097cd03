#!/usr/bin/env python3
"""Paced audio for ALSA `type file` PCMs (no sound card here).

feed FIFO RAW SECONDS [GO]
                       -- writes RAW (S16_LE mono, 16 kHz) into FIFO, one 20 ms
                          chunk every 20 ms, then silence, for SECONDS in all;
                          with GO (a path), silence until GO exists, then RAW:
                          a speaker who starts talking once the call is up at
                          both ends. Prints 'played' once RAW and 1 s of silence
                          after it are written (time enough for the speech to be
                          heard at the far end: hang up then, while the feed
                          still talks, as a microphone that went quiet would not
                          end either).
drain FIFO OUT SECONDS -- reads FIFO one 20 ms chunk every 20 ms (as a sound
                          card would), appending to OUT, for SECONDS.
Both open the FIFO first (blocking until the other side opens it) and keep
time with a monotonic clock, so they never drift or burst."""
import os, sys, time

RATE = 16000
CHUNK = RATE // 50 * 2  # 20 ms of S16_LE mono


def paced(seconds, step):
    start = time.monotonic()
    n = 0
    while n * 0.02 < seconds:
        step(n)
        n += 1
        delay = start + n * 0.02 - time.monotonic()
        if delay > 0:
            time.sleep(delay)


def feed(fifo, raw, seconds, go=None):
    # A microphone that keeps talking: when the reader closes the FIFO (the
    # endpoint moving to another device), the feed waits for the next reader
    # and goes on from the present moment, dropping what nobody heard.
    data = open(raw, "rb").read()
    played = len(data) // CHUNK + 50  # chunks: the speech and 1 s after it
    fd = os.open(fifo, os.O_WRONLY)
    start = time.monotonic()
    n = 0
    talk = None  # the chunk at which the speech began
    try:
        while n * 0.02 < seconds:
            if talk is None and (go is None or os.path.exists(go)):
                talk = n
            if talk is not None and played is not None and n - talk >= played:
                print("played", flush=True)
                played = None
            chunk = b"" if talk is None else data[(n - talk) * CHUNK:(n - talk + 1) * CHUNK]
            try:
                os.write(fd, chunk + b"\0" * (CHUNK - len(chunk)))
            except BrokenPipeError:
                os.close(fd)
                fd = reopen(fifo, start + seconds)
                if fd is None:
                    return  # nobody opened it again before the feed's time ran out
                n = int((time.monotonic() - start) / 0.02)
                continue
            n += 1
            delay = start + n * 0.02 - time.monotonic()
            if delay > 0:
                time.sleep(delay)
    finally:
        if fd is not None:
            os.close(fd)


def reopen(fifo, deadline):
    # The next reader, polled every 10 ms until `deadline` (a plain blocking
    # open would wait forever once the call is over).
    while time.monotonic() < deadline:
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            os.set_blocking(fd, True)
            return fd
        except OSError:  # ENXIO: no reader yet
            time.sleep(0.01)
    return None


def drain(fifo, out, seconds):
    # Blocks until the player opens the FIFO, then takes exactly one chunk
    # per 20 ms: the player is held to real time by the full pipe, as by a sound card.
    fd = os.open(fifo, os.O_RDONLY)
    with open(out, "wb") as f:
        def step(n):
            b = b""
            while len(b) < CHUNK:
                part = os.read(fd, CHUNK - len(b))
                if not part:
                    raise EOFError
                b += part
            f.write(b)
        try:
            paced(seconds, step)
        except EOFError:
            pass
    os.close(fd)


if __name__ == "__main__":
    mode, fifo, path, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    if mode == "feed":
        feed(fifo, path, seconds, sys.argv[5] if len(sys.argv) > 5 else None)
    else:
        drain(fifo, path, seconds)
