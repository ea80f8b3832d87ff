#!/usr/bin/env python3
"""Sanity-check captured golden frames (not part of the normal test run).

  verify.py [SESSION_DIR...]      (default: every dir in tests/fixtures/frames)
  verify.py --summary             print session/api_key/api_version/count TSV

For each session: the frames in requests.bin / responses.bin tile the files
exactly, index.tsv offsets and header fields agree with the bytes, and every
response carries its request's correlation id. For sessions with a
records.json: the RecordBatches inside the Produce requests have valid CRC32C
and the codec named in records.json, and, decompressed, hold exactly the
records of records.json (gzip with the standard library, snappy with a small
decoder below, lz4 and zstd with the `lz4` / `zstd` command-line tools when
installed).
"""
import gzip
import json
import os
import shutil
import struct
import subprocess
import sys

CODECS = {0: "none", 1: "gzip", 2: "snappy", 3: "lz4", 4: "zstd"}


# ---- primitive readers ----------------------------------------------------
class R:
    def __init__(self, b, pos=0):
        self.b, self.p = b, pos

    def take(self, n):
        if n < 0 or self.p + n > len(self.b):
            raise ValueError("read past end")
        v = self.b[self.p:self.p + n]
        self.p += n
        return v

    def i8(self): return struct.unpack(">b", self.take(1))[0]
    def i16(self): return struct.unpack(">h", self.take(2))[0]
    def i32(self): return struct.unpack(">i", self.take(4))[0]
    def u32(self): return struct.unpack(">I", self.take(4))[0]
    def i64(self): return struct.unpack(">q", self.take(8))[0]

    def uvarint(self):
        shift = v = 0
        while True:
            c = self.take(1)[0]
            v |= (c & 0x7F) << shift
            if not c & 0x80:
                return v
            shift += 7

    def varint(self):
        v = self.uvarint()
        return (v >> 1) ^ -(v & 1)

    def tags(self):
        for _ in range(self.uvarint()):
            self.uvarint()
            self.take(self.uvarint())


# ---- crc32c (Castagnoli) ----------------------------------------------------
_T = []
for _n in range(256):
    _c = _n
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _T.append(_c)


def crc32c(data):
    c = 0xFFFFFFFF
    for x in data:
        c = _T[(c ^ x) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


# ---- decompression --------------------------------------------------------
def snappy_raw(b):
    r = R(b)
    n = r.uvarint()
    out = bytearray()
    while r.p < len(b):
        tag = r.take(1)[0]
        t = tag & 3
        if t == 0:
            ln = tag >> 2
            if ln >= 60:
                k = ln - 59
                ln = int.from_bytes(r.take(k), "little")
            out += r.take(ln + 1)
            continue
        if t == 1:
            ln = ((tag >> 2) & 7) + 4
            off = ((tag >> 5) << 8) | r.take(1)[0]
        elif t == 2:
            ln = (tag >> 2) + 1
            off = int.from_bytes(r.take(2), "little")
        else:
            ln = (tag >> 2) + 1
            off = int.from_bytes(r.take(4), "little")
        for _ in range(ln):
            out.append(out[-off])
    if len(out) != n:
        raise ValueError("snappy length mismatch")
    return bytes(out)


def snappy(b):
    magic = b"\x82SNAPPY\x00"
    if not b.startswith(magic):
        return snappy_raw(b)
    r = R(b, 16)  # magic + version + compatible version
    out = b""
    while r.p < len(b):
        out += snappy_raw(r.take(r.i32()))
    return out


def tool(cmd, b):
    if not shutil.which(cmd[0]):
        return None
    return subprocess.run(cmd, input=b, stdout=subprocess.PIPE, check=True).stdout


def decompress(codec, b):
    if codec == 0:
        return b
    if codec == 1:
        return gzip.decompress(b)
    if codec == 2:
        return snappy(b)
    if codec == 3:
        return tool(["lz4", "-d", "-c"], b)
    if codec == 4:
        return tool(["zstd", "-d", "-c", "-q"], b)
    raise ValueError("codec %d" % codec)


# ---- record batches -------------------------------------------------------
def batches(records_bytes):
    r = R(records_bytes)
    while r.p < len(records_bytes):
        start = r.p
        r.i64()  # base offset
        blen = r.i32()
        end = r.p + blen
        r.i32()  # partition leader epoch
        magic = r.i8()
        if magic != 2:
            raise ValueError("magic %d" % magic)
        crc = r.u32()
        if crc32c(records_bytes[r.p:end]) != crc:
            raise ValueError("bad crc32c")
        attrs = r.i16()
        r.i32()  # last offset delta
        base_ts = r.i64()
        r.i64()  # max ts
        r.i64(); r.i16(); r.i32()  # producer id, epoch, base sequence
        count = r.i32()
        payload = records_bytes[r.p:end]
        r.p = end
        data = decompress(attrs & 7, payload)
        recs = None
        if data is not None:
            recs = []
            rr = R(data)
            for _ in range(count):
                rr.varint()  # length
                rr.i8()
                tsd = rr.varint()
                rr.varint()  # offset delta
                kl = rr.varint()
                k = None if kl < 0 else rr.take(kl).decode()
                vl = rr.varint()
                v = None if vl < 0 else rr.take(vl).decode()
                hs = []
                for _ in range(rr.varint()):
                    hk = rr.take(rr.varint()).decode()
                    hl = rr.varint()
                    hs.append([hk, None if hl < 0 else rr.take(hl).decode()])
                recs.append({"key": k, "value": v, "headers": hs, "timestamp": base_ts + tsd})
            if rr.p != len(data):
                raise ValueError("trailing bytes in batch")
        yield attrs & 7, count, recs


def produce_batches(frame):
    """Yield (partition, records bytes) for each partition of a Produce request frame."""
    r = R(frame, 4)
    api_key, ver, _corr = r.i16(), r.i16(), r.i32()
    assert api_key == 0
    n = r.i16()
    if n > 0:
        r.take(n)
    flex = ver >= 9
    if flex:
        r.tags()
        tl = r.uvarint() - 1
        if tl > 0:
            r.take(tl)
    else:
        tl = r.i16()
        if tl > 0:
            r.take(tl)
    r.i16(); r.i32()  # acks, timeout
    for _ in range((r.uvarint() - 1) if flex else r.i32()):
        if ver >= 13:
            r.take(16)  # topic id
        elif flex:
            r.take(r.uvarint() - 1)
        else:
            r.take(r.i16())
        for _ in range((r.uvarint() - 1) if flex else r.i32()):
            part = r.i32()
            ln = (r.uvarint() - 1) if flex else r.i32()
            yield part, (r.take(ln) if ln >= 0 else b"")
            if flex:
                r.tags()
        if flex:
            r.tags()


# ---- session check --------------------------------------------------------
def frames(b):
    off = 0
    while off < len(b):
        (n,) = struct.unpack(">i", b[off:off + 4])
        yield off, b[off:off + 4 + n]
        off += 4 + n
    if off != len(b):
        raise ValueError("frames do not tile the file")


def check(d):
    req = open(os.path.join(d, "requests.bin"), "rb").read()
    resp = open(os.path.join(d, "responses.bin"), "rb").read()
    rows = [l.split("\t") for l in open(os.path.join(d, "index.tsv")).read().splitlines()[1:]]
    rq = dict(frames(req))
    rs = dict(frames(resp))
    if len(rq) != len(rows) or len(rs) != sum(1 for x in rows if x[5] == "1"):
        raise ValueError("frame count mismatch with index.tsv")
    produce = []
    for conn, corr, key, ver, cid, has, roff, soff in rows:
        f = rq[int(roff)]
        k, v, c = struct.unpack(">hhi", f[4:12])
        if (k, v, c) != (int(key), int(ver), int(corr)):
            raise ValueError("index row does not match request header at %s" % roff)
        if has == "1":
            if struct.unpack(">i", rs[int(soff)][4:8])[0] != c:
                raise ValueError("response correlation id mismatch at %s" % soff)
        if k == 0:
            produce.append(f)
    msg = "%d requests, %d responses" % (len(rows), len(rs))
    rj = os.path.join(d, "records.json")
    if os.path.exists(rj):
        spec = json.load(open(rj))
        want_codec = [k for k, v in CODECS.items() if v == spec["codec"]][0]
        got, unchecked = [], 0
        for f in produce:
            for _part, rb in produce_batches(f):
                for codec, count, recs in batches(rb):
                    if codec != want_codec:
                        raise ValueError("batch codec %s, records.json says %s" % (CODECS[codec], spec["codec"]))
                    if recs is None:
                        unchecked += count
                    else:
                        got += recs
        want = [{"key": x["key"], "value": x["value"], "headers": x["headers"], "timestamp": x["timestamp"]}
                for x in spec["records"]]
        if unchecked:
            msg += "; %d records not decompressed (no %s tool)" % (unchecked, spec["codec"])
        else:
            for g, w in zip(got, want):
                if w["timestamp"] is None:
                    g["timestamp"] = None
            if got != want:
                raise ValueError("produced records differ from records.json")
            msg += "; %d produced records match records.json (%s)" % (len(got), spec["codec"])
    return msg


def summary(dirs):
    print("session\tapi_key\tapi_version\trequests\tresponses")
    for d in dirs:
        counts = {}
        for row in open(os.path.join(d, "index.tsv")).read().splitlines()[1:]:
            f = row.split("\t")
            c = counts.setdefault((int(f[2]), int(f[3])), [0, 0])
            c[0] += 1
            c[1] += int(f[5])
        for (k, v), (n, r) in sorted(counts.items()):
            print("%s\t%d\t%d\t%d\t%d" % (os.path.basename(d), k, v, n, r))


def main(args):
    root = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures", "frames"))
    want_summary = args[:1] == ["--summary"]
    if want_summary:
        args = args[1:]
    dirs = args or sorted(os.path.join(root, x) for x in os.listdir(root)
                          if os.path.isfile(os.path.join(root, x, "index.tsv")))
    if want_summary:
        summary(dirs)
        return
    bad = 0
    for d in dirs:
        try:
            print("ok   %-28s %s" % (os.path.basename(d.rstrip("/")), check(d)))
        except Exception as e:  # noqa: BLE001
            bad += 1
            print("FAIL %-28s %s" % (os.path.basename(d.rstrip("/")), e))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main(sys.argv[1:])
