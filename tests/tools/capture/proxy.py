#!/usr/bin/env python3
"""Recording TCP proxy for Kafka wire traffic (golden-frame capture).

Listens on --listen (default 127.0.0.1:29092), forwards every connection to
--upstream (default 127.0.0.1:19092) unchanged, and records each Kafka frame
(4-byte big-endian length prefix + payload) in both directions.

On SIGTERM/SIGINT (or after --idle-exit seconds without traffic once at least
one connection was seen) it writes into --out DIR:

  requests.bin   every request frame, exactly as on the wire (length prefix
                 included), in the order the proxy finished reading them,
                 over all connections
  responses.bin  the response frames, same framing, in the order of the
                 requests they answer (requests without a response skipped)
  index.tsv      header + one row per request:
                 conn correlation_id api_key api_version client_id
                 has_response request_offset response_offset
                 (client_id "(null)" for a null client id; response_offset -1
                 when has_response is 0)

Responses are matched to requests by correlation id per connection (Kafka
answers in request order per connection; acks=0 Produce gets no response).
A request still unanswered when its connection closes gets has_response 0.

Standard library only.
"""
import argparse
import os
import signal
import socket
import struct
import sys
import threading
import time


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []  # list of dicts in arrival order
        self.pending = {}  # conn -> list of request dicts awaiting a response
        self.next_conn = 0
        self.last_activity = time.monotonic()
        self.seen_conn = False
        self.active = 0

    def new_conn(self):
        with self.lock:
            c = self.next_conn
            self.next_conn += 1
            self.pending[c] = []
            self.seen_conn = True
            self.active += 1
            self.last_activity = time.monotonic()
            return c

    def end_conn(self, conn):
        with self.lock:
            self.active -= 1
            self.last_activity = time.monotonic()

    def add_request(self, conn, frame):
        body = frame[4:]
        api_key = api_version = corr = -1
        client_id = "(null)"
        if len(body) >= 8:
            api_key, api_version, corr = struct.unpack(">hhi", body[:8])
            if len(body) >= 10:
                (n,) = struct.unpack(">h", body[8:10])
                if n >= 0:
                    client_id = body[10:10 + n].decode("utf-8", "replace")
        rec = {
            "conn": conn, "corr": corr, "api_key": api_key,
            "api_version": api_version, "client_id": client_id,
            "request": frame, "response": None,
        }
        with self.lock:
            self.requests.append(rec)
            self.pending[conn].append(rec)
            self.last_activity = time.monotonic()

    def add_response(self, conn, frame):
        corr = struct.unpack(">i", frame[4:8])[0] if len(frame) >= 8 else None
        with self.lock:
            self.last_activity = time.monotonic()
            q = self.pending[conn]
            for i, rec in enumerate(q):
                if rec["corr"] == corr:
                    rec["response"] = frame
                    # Requests before it on this connection got no response
                    # (acks=0 Produce); they stay has_response=0.
                    del q[: i + 1]
                    return
            sys.stderr.write("proxy: conn %d: response with unknown correlation id %r\n" % (conn, corr))

    def write(self, out):
        os.makedirs(out, exist_ok=True)
        with self.lock:
            reqs = list(self.requests)
        roff = 0
        soff = 0
        rows = ["conn\tcorrelation_id\tapi_key\tapi_version\tclient_id\thas_response\trequest_offset\tresponse_offset"]
        with open(os.path.join(out, "requests.bin"), "wb") as fr, \
                open(os.path.join(out, "responses.bin"), "wb") as fs:
            for r in reqs:
                fr.write(r["request"])
                has = r["response"] is not None
                rows.append("\t".join(str(x) for x in (
                    r["conn"], r["corr"], r["api_key"], r["api_version"],
                    r["client_id"].replace("\t", " ").replace("\n", " "),
                    1 if has else 0, roff, soff if has else -1)))
                roff += len(r["request"])
                if has:
                    fs.write(r["response"])
                    soff += len(r["response"])
        with open(os.path.join(out, "index.tsv"), "w") as f:
            f.write("\n".join(rows) + "\n")
        return len(reqs), roff, soff


class FrameSplitter:
    def __init__(self, on_frame):
        self.buf = bytearray()
        self.on_frame = on_frame

    def feed(self, data):
        self.buf += data
        while len(self.buf) >= 4:
            (n,) = struct.unpack(">i", self.buf[:4])
            if n < 0:
                raise ValueError("negative frame length %d" % n)
            if len(self.buf) < 4 + n:
                return
            frame = bytes(self.buf[: 4 + n])
            del self.buf[: 4 + n]
            self.on_frame(frame)


def pump(src, dst, splitter, done):
    # Record before forwarding: a request must be registered before the broker
    # can possibly answer it (the response is parsed on another thread).
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            splitter.feed(data)
            dst.sendall(data)
    except (OSError, ValueError) as e:
        if not isinstance(e, OSError):
            sys.stderr.write("proxy: %s\n" % e)
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        done.set()


def handle(client, upstream_addr, rec):
    try:
        server = socket.create_connection(upstream_addr)
    except OSError as e:
        sys.stderr.write("proxy: upstream connect failed: %s\n" % e)
        client.close()
        return
    for s in (client, server):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    conn = rec.new_conn()
    d1, d2 = threading.Event(), threading.Event()
    t1 = threading.Thread(target=pump, args=(client, server, FrameSplitter(lambda f: rec.add_request(conn, f)), d1), daemon=True)
    t2 = threading.Thread(target=pump, args=(server, client, FrameSplitter(lambda f: rec.add_response(conn, f)), d2), daemon=True)
    t1.start()
    t2.start()
    t1.join()
    t2.join()
    client.close()
    server.close()
    rec.end_conn(conn)


def hostport(s):
    h, p = s.rsplit(":", 1)
    return h, int(p)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--listen", default="127.0.0.1:29092")
    ap.add_argument("--upstream", default="127.0.0.1:19092")
    ap.add_argument("--out", required=True, help="output directory for this capture session")
    ap.add_argument("--idle-exit", type=float, default=0,
                    help="exit after this many idle seconds with no open connection (0 = only on signal)")
    ap.add_argument("--ready-file", help="touch this file once listening")
    a = ap.parse_args()

    rec = Recorder()
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(hostport(a.listen))
    lsock.listen(64)
    lsock.settimeout(0.2)
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if a.ready_file:
        open(a.ready_file, "w").close()
    up = hostport(a.upstream)
    threads = []
    while not stop.is_set():
        try:
            c, _ = lsock.accept()
        except socket.timeout:
            if a.idle_exit and rec.seen_conn and rec.active == 0 and \
                    time.monotonic() - rec.last_activity > a.idle_exit:
                break
            continue
        t = threading.Thread(target=handle, args=(c, up, rec), daemon=True)
        t.start()
        threads.append(t)
    lsock.close()
    # Let in-flight frames on still-open connections drain briefly.
    deadline = time.monotonic() + 1.0
    while rec.active and time.monotonic() < deadline:
        time.sleep(0.05)
    n, rb, sb = rec.write(a.out)
    sys.stderr.write("proxy: %s: %d requests, %d request bytes, %d response bytes\n" % (a.out, n, rb, sb))


if __name__ == "__main__":
    main()
