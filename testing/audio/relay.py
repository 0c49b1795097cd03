#!/usr/bin/env python3
"""A user-space network impairment relay for RTP between two endpoints
(this kernel has no netem). Each endpoint advertises the relay's address for
itself in SDP (sipendpoint.policy.endpoint.public_address) and a fixed RTP
port (rtp-mux), so

    A (127.0.0.1:PA) --> relay B-side R_B:PB --> from R_A:PA --> B (127.0.0.1:PB)
    B (127.0.0.1:PB) --> relay A-side R_A:PA --> from R_B:PB --> A (127.0.0.1:PA)

and each end sees packets from the address the other advertised. Every packet
is dropped with probability LOSS, else delayed by DELAY +/- JITTER ms (uniform,
so packets reorder), from a seeded generator. Runs for SECONDS, then exits and
prints what it did.

relay.py R_A PA R_B PB DELAY_MS JITTER_MS LOSS_PERCENT SEED SECONDS"""
import heapq, random, select, signal, socket, sys, time

ra, pa, rb, pb = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
delay, jitter, loss = float(sys.argv[5]) / 1000, float(sys.argv[6]) / 1000, float(sys.argv[7]) / 100
rng = random.Random(int(sys.argv[8]))
end = time.monotonic() + float(sys.argv[9])
side_a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); side_a.bind((ra, pa))
side_b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); side_b.bind((rb, pb))
real_a, real_b = ("127.0.0.1", pa), ("127.0.0.1", pb)
queue, seq = [], 0
stats = {"a_to_b": [0, 0], "b_to_a": [0, 0]}
# Stopped early (SIGTERM at the end of a test): still say what was done.
stopping = []
signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
while not stopping:
    now = time.monotonic()
    if now >= end:
        break
    while queue and queue[0][0] <= now:
        _, _, sock, data, dest = heapq.heappop(queue)
        sock.sendto(data, dest)
    timeout = max(0, min(end - now, (queue[0][0] - now) if queue else 0.05))
    try:
        ready, _, _ = select.select([side_a, side_b], [], [], timeout)
    except InterruptedError:
        continue
    for s in ready:
        data, _ = s.recvfrom(4096)
        # Arriving at B's relay address comes from A: forward to B from A's relay address, and back.
        key, out, dest = ("a_to_b", side_a, real_b) if s is side_b else ("b_to_a", side_b, real_a)
        stats[key][0] += 1
        if rng.random() < loss:
            stats[key][1] += 1
            continue
        seq += 1
        heapq.heappush(queue, (time.monotonic() + max(0.0, delay + rng.uniform(-jitter, jitter)), seq, out, data, dest))
print("relay: a_to_b %d packets, %d dropped; b_to_a %d packets, %d dropped" % (*stats["a_to_b"], *stats["b_to_a"]), flush=True)
