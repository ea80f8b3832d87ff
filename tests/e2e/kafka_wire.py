"""Minimal Kafka wire helpers for the e2e tests (python3 standard library only)."""
import os
import socket
import struct
import time

HOST = os.environ.get("KOP_E2E_KAFKA_HOST", "127.0.0.1")
PORT = int(os.environ.get("KOP_E2E_KAFKA_PORT", "9092"))
BROKER_LOG = os.environ.get("KOP_E2E_BROKER_LOG", "")
MAX_FRAME = int(os.environ.get("KOP_E2E_MAX_FRAME", str(100 * 1024 * 1024)))
# Set to 1 once the core answers ApiVersions: a closed connection then fails the test.
REQUIRE_ANSWERS = os.environ.get("KOP_E2E_REQUIRE_ANSWERS", "0") == "1"

API_VERSIONS = 18


def connect(timeout=10.0):
    s = socket.create_connection((HOST, PORT), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def request_header_v1(api_key, api_version, correlation_id, client_id="kop-e2e"):
    cid = client_id.encode()
    return struct.pack(">hhih", api_key, api_version, correlation_id, len(cid)) + cid


def frame(payload):
    return struct.pack(">i", len(payload)) + payload


def api_versions_v0(correlation_id):
    # ApiVersions v0 has an empty body; request header v1 (client_id, no tagged fields).
    return frame(request_header_v1(API_VERSIONS, 0, correlation_id))


def recv_exact(sock, n, deadline):
    """Reads n bytes; returns fewer only if the peer closed (b'' on a clean close at once)."""
    buf = bytearray()
    while len(buf) < n:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"timed out after {len(buf)} of {n} bytes")
        sock.settimeout(remaining)
        chunk = sock.recv(n - len(buf))
        if not chunk:
            break
        buf += chunk
    return bytes(buf)


def read_frame(sock, timeout=10.0):
    """Returns the next response frame body, or None if the broker closed the connection cleanly
    before sending anything."""
    deadline = time.monotonic() + timeout
    head = recv_exact(sock, 4, deadline)
    if not head:
        return None
    if len(head) < 4:
        raise AssertionError(f"connection closed inside a length prefix ({head!r})")
    (size,) = struct.unpack(">i", head)
    if size < 4:
        raise AssertionError(f"response length {size} cannot hold a correlation id")
    body = recv_exact(sock, size, deadline)
    if len(body) != size:
        raise AssertionError(f"connection closed after {len(body)} of {size} response bytes")
    return body


def wait_closed(sock, timeout=10.0):
    """True if the peer closes (FIN or RST) within timeout, reading and discarding anything."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError):
            return True
        if not chunk:
            return True
    return False


def parse_api_versions_v0(body):
    """Response header v0 + ApiVersions v0 body -> (correlation_id, error_code, {key: (min, max)})."""
    off = 0

    def take(fmt):
        nonlocal off
        size = struct.calcsize(fmt)
        if off + size > len(body):
            raise AssertionError(f"ApiVersions response truncated at byte {off}")
        vals = struct.unpack_from(fmt, body, off)
        off += size
        return vals

    (correlation_id,) = take(">i")
    (error_code,) = take(">h")
    (count,) = take(">i")
    if count < 0 or count > 1000:
        raise AssertionError(f"implausible api_keys count {count}")
    apis = {}
    for _ in range(count):
        key, lo, hi = take(">hhh")
        if key in apis:
            raise AssertionError(f"api key {key} listed twice")
        apis[key] = (lo, hi)
    if off != len(body):
        raise AssertionError(f"{len(body) - off} trailing bytes after the ApiVersions v0 body")
    return correlation_id, error_code, apis


def broker_log():
    with open(BROKER_LOG, encoding="utf-8", errors="replace") as f:
        return f.read()
