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


# --- Metadata (flexible versions) -------------------------------------------------------------

METADATA = 3


def uvarint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def compact_string(s):
    if s is None:
        return uvarint(0)
    b = s.encode() if isinstance(s, str) else s
    return uvarint(len(b) + 1) + b


def request_header_v2(api_key, api_version, correlation_id, client_id="kop-e2e"):
    # Header v2 = v1 (client_id is a classic nullable string) + tagged fields.
    return request_header_v1(api_key, api_version, correlation_id, client_id) + uvarint(0)


def metadata_v9(correlation_id, topics, allow_auto_topic_creation):
    """Metadata v9 request; topics None asks for every topic."""
    body = bytearray()
    if topics is None:
        body += uvarint(0)
    else:
        body += uvarint(len(topics) + 1)
        for t in topics:
            body += compact_string(t) + uvarint(0)
    body += struct.pack(">???", allow_auto_topic_creation, False, False)
    body += uvarint(0)
    return frame(request_header_v2(METADATA, 9, correlation_id) + bytes(body))


class _Cursor:
    def __init__(self, data):
        self.data = data
        self.off = 0

    def take(self, fmt):
        size = struct.calcsize(fmt)
        if self.off + size > len(self.data):
            raise AssertionError(f"response truncated at byte {self.off}")
        vals = struct.unpack_from(fmt, self.data, self.off)
        self.off += size
        return vals[0] if len(vals) == 1 else vals

    def uvarint(self):
        shift = n = 0
        while True:
            b = self.take(">B")
            n |= (b & 0x7F) << shift
            if not b & 0x80:
                return n
            shift += 7
            if shift > 35:
                raise AssertionError("varint too long")

    def compact_string(self):
        n = self.uvarint()
        if n == 0:
            return None
        if self.off + n - 1 > len(self.data):
            raise AssertionError("compact string past the end")
        s = self.data[self.off:self.off + n - 1].decode("utf-8")
        self.off += n - 1
        return s

    def compact_array(self, item):
        n = self.uvarint()
        if n == 0:
            return None
        return [item() for _ in range(n - 1)]

    def skip_tags(self):
        for _ in range(self.uvarint()):
            self.uvarint()
            size = self.uvarint()
            self.off += size


def parse_metadata_v9(body):
    """Response header v1 + Metadata v9 body -> (correlation_id, dict)."""
    c = _Cursor(body)
    correlation_id = c.take(">i")
    c.skip_tags()
    out = {"throttle_time_ms": c.take(">i")}

    def broker():
        b = {"node_id": c.take(">i"), "host": c.compact_string(), "port": c.take(">i"),
             "rack": c.compact_string()}
        c.skip_tags()
        return b

    out["brokers"] = c.compact_array(broker)
    out["cluster_id"] = c.compact_string()
    out["controller_id"] = c.take(">i")

    def int32():
        return c.take(">i")

    def partition():
        p = {"error_code": c.take(">h"), "partition_index": c.take(">i"), "leader_id": c.take(">i"),
             "leader_epoch": c.take(">i"), "replica_nodes": c.compact_array(int32),
             "isr_nodes": c.compact_array(int32), "offline_replicas": c.compact_array(int32)}
        c.skip_tags()
        return p

    def topic():
        t = {"error_code": c.take(">h"), "name": c.compact_string(), "is_internal": c.take(">?"),
             "partitions": c.compact_array(partition), "topic_authorized_operations": c.take(">i")}
        c.skip_tags()
        return t

    out["topics"] = c.compact_array(topic)
    out["cluster_authorized_operations"] = c.take(">i")
    c.skip_tags()
    if c.off != len(body):
        raise AssertionError(f"{len(body) - c.off} trailing bytes after the Metadata v9 body")
    return correlation_id, out


def murmur3_32(data, seed=0):
    """Guava's Hashing.murmur3_32_fixed().hashBytes(data).asInt() (signed)."""
    c1, c2 = 0xCC9E2D51, 0x1B873593
    h = seed & 0xFFFFFFFF
    n = len(data)
    rotl = lambda x, r: ((x << r) | (x >> (32 - r))) & 0xFFFFFFFF
    for i in range(0, n - n % 4, 4):
        k = int.from_bytes(data[i:i + 4], "little")
        k = rotl((k * c1) & 0xFFFFFFFF, 15)
        h ^= (k * c2) & 0xFFFFFFFF
        h = (rotl(h, 13) * 5 + 0xE6546B64) & 0xFFFFFFFF
    tail = data[n - n % 4:]
    if tail:
        k = int.from_bytes(tail, "little")
        k = rotl((k * c1) & 0xFFFFFFFF, 15)
        h ^= (k * c2) & 0xFFFFFFFF
    h ^= n
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & 0xFFFFFFFF
    h ^= h >> 16
    return h - (1 << 32) if h & 0x80000000 else h


def node_id(host, port):
    """KopConfig.nodeId: murmur3_32 of host + port, made non-negative."""
    return murmur3_32(f"{host}{port}".encode()) & 0x7FFFFFFF


# --- Produce (flexible versions) and RecordBatch v2 ----------------------------------------------

PRODUCE = 0


def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C = _crc32c_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc = _CRC32C[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def varint(n):
    """Signed zig-zag varint (Kafka records)."""
    return uvarint((n << 1) ^ (n >> 63) if n < 0 else n << 1)


def _varbytes(b):
    return varint(-1) if b is None else varint(len(b)) + b


def record_batch_v2(records, base_timestamp=None, producer_id=-1, producer_epoch=-1, base_sequence=-1):
    """A magic-2 RecordBatch, uncompressed, no producer id unless given (an idempotent producer's
    batch). records: [(key, value, [(hkey, hvalue)])], bytes or None (headers: str key, bytes value)."""
    ts = int(time.time() * 1000) if base_timestamp is None else base_timestamp
    body = bytearray()
    for i, (key, value, headers) in enumerate(records):
        r = bytearray(b"\x00")  # attributes
        r += varint(0)          # timestamp delta
        r += varint(i)          # offset delta
        r += _varbytes(key) + _varbytes(value)
        r += varint(len(headers))
        for hk, hv in headers:
            r += _varbytes(hk.encode()) + _varbytes(hv)
        body += varint(len(r)) + r
    after_crc = struct.pack(">hiqqqhii", 0, len(records) - 1, ts, ts, producer_id, producer_epoch,
                            base_sequence, len(records)) + bytes(body)
    crc = crc32c(after_crc)
    tail = struct.pack(">ibI", 0, 2, crc) + after_crc  # partition leader epoch, magic, crc
    return struct.pack(">qi", 0, len(tail)) + tail


INIT_PRODUCER_ID = 22


def init_producer_id_v0(correlation_id):
    """InitProducerId v0 for an idempotent (non-transactional) producer."""
    return frame(request_header_v1(INIT_PRODUCER_ID, 0, correlation_id) + struct.pack(">hi", -1, 60000))


def parse_init_producer_id_v0(body):
    """-> (correlation_id, error_code, producer_id, producer_epoch)."""
    correlation_id, _throttle, error, producer_id, epoch = struct.unpack(">iihqh", body)
    return correlation_id, error, producer_id, epoch


def produce_v9(correlation_id, topic, partition, records, acks=-1, timeout_ms=30000):
    """Produce v9 request with one partition's records (bytes of one or more batches)."""
    body = bytearray(uvarint(0))  # transactional_id: null
    body += struct.pack(">hi", acks, timeout_ms)
    body += uvarint(2) + compact_string(topic)
    body += uvarint(2) + struct.pack(">i", partition) + uvarint(len(records) + 1) + records + uvarint(0)
    body += uvarint(0)  # topic tags
    body += uvarint(0)  # request tags
    return frame(request_header_v2(PRODUCE, 9, correlation_id) + bytes(body))


def parse_produce_v9(body):
    """Response header v1 + Produce v9 body -> (correlation_id, {(topic, partition): dict})."""
    c = _Cursor(body)
    correlation_id = c.take(">i")
    c.skip_tags()
    out = {}

    def record_error():
        idx = c.take(">i")
        msg = c.compact_string()
        c.skip_tags()
        return idx, msg

    def partition(topic):
        p = {"index": c.take(">i"), "error_code": c.take(">h"), "base_offset": c.take(">q"),
             "log_append_time_ms": c.take(">q"), "log_start_offset": c.take(">q")}
        p["record_errors"] = c.compact_array(record_error)
        p["error_message"] = c.compact_string()
        c.skip_tags()
        out[(topic, p["index"])] = p

    def topic():
        name = c.compact_string()
        c.compact_array(lambda: partition(name))
        c.skip_tags()

    c.compact_array(topic)
    out_throttle = c.take(">i")
    c.skip_tags()
    if c.off != len(body):
        raise AssertionError(f"{len(body) - c.off} trailing bytes in the Produce response")
    return correlation_id, {"throttle_time_ms": out_throttle, "partitions": out}
