#!/usr/bin/env python3
"""A TCP relay whose connections can be cut: what a NAT, an SBC or a
flaky link does to an endpoint's flow. Every connection accepted on
LISTEN is relayed to TARGET; SIGUSR1 closes all of them at once (both
sides), so the client sees its flow die and reconnects from a new source
port. Prints 'accepted N' per connection and 'cut N' per cut; exits after
SECONDS.

tcp-cutter.py LISTEN_IP LISTEN_PORT TARGET_IP TARGET_PORT SECONDS"""
import selectors, signal, socket, sys, time

lip, lport, tip, tport, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
end = time.monotonic() + seconds
listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind((lip, lport))
listener.listen(64)
sel = selectors.DefaultSelector()
sel.register(listener, selectors.EVENT_READ)
peers = {}  # socket -> its other end
accepted = cuts = 0
cut_requested = False


def request_cut(*_):
    global cut_requested
    cut_requested = True


def close_pair(s):
    other = peers.pop(s, None)
    for x in (s, other):
        if x is None:
            continue
        peers.pop(x, None)
        try:
            sel.unregister(x)
        except (KeyError, ValueError):
            pass
        x.close()


signal.signal(signal.SIGUSR1, request_cut)
print("listening", flush=True)
while time.monotonic() < end:
    if cut_requested:
        cut_requested = False
        for s in list(peers):
            if s in peers:
                close_pair(s)
        cuts += 1
        print("cut %d" % cuts, flush=True)
    for key, _ in sel.select(timeout=0.05):
        s = key.fileobj
        if s is listener:
            client, _ = listener.accept()
            upstream = socket.create_connection((tip, tport), timeout=5)
            peers[client], peers[upstream] = upstream, client
            sel.register(client, selectors.EVENT_READ)
            sel.register(upstream, selectors.EVENT_READ)
            accepted += 1
            print("accepted %d" % accepted, flush=True)
            continue
        if s not in peers:
            continue
        try:
            data = s.recv(65536)
        except OSError:
            data = b""
        if not data:
            close_pair(s)
            continue
        try:
            peers[s].sendall(data)
        except OSError:
            close_pair(s)
