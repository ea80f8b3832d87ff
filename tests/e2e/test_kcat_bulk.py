"""kcat bulk end to end: for each compression codec, `kcat -P -z <codec>` produces 10,000 records with
keys and two headers to a fresh single-partition topic, and `kcat -C -o beginning -e -J` reads them
back: exactly 10,000 records, offsets 0..9999 contiguous, keys, values and headers identical.

kcat 1.7 cannot set per-message timestamps: librdkafka stamps each record with its CreateTime when
kcat hands it over, so every consumed timestamp must be a CreateTime inside the produce run's
wall-clock window."""
import json
import math
import shutil
import subprocess
import time
import unittest
import uuid

import kafka_wire as kw
from test_produce import HTTP_PORT, admin

BROKER = f"{kw.HOST}:{kw.PORT}"
CODECS = ("none", "gzip", "snappy", "lz4", "zstd")
N = 10_000


def records(codec):
    """[(key, value)] of a codec's run; the values are UTF-8 with non-ASCII characters, and
    repetitive enough to compress."""
    return [(f"key-{codec}-{i}", f"value-{codec}-{i:05d}-\u00e9\u20ac-" + "kop" * (i % 13)) for i in range(N)]


def headers(codec):
    """The headers kcat puts on every record (-H name=value: split at the first '=')."""
    return [("codec", codec), ("note", "a=b c")]


@unittest.skipUnless(HTTP_PORT, "KOP_E2E_HTTP_PORT not set")
@unittest.skipUnless(shutil.which("kcat"), "kcat not installed")
class KcatBulkTest(unittest.TestCase):
    def run_codec(self, codec):
        topic = f"e2e-kcat-bulk-{codec}-{uuid.uuid4().hex[:12]}"
        admin("PUT", f"/{topic}/partitions", "1")
        sent = records(codec)
        hdrs = headers(codec)
        args = ["kcat", "-b", BROKER, "-P", "-t", topic, "-p", "0", "-z", codec, "-K", "\\t",
                "-X", "message.timeout.ms=60000"]
        for name, value in hdrs:
            args += ["-H", f"{name}={value}"]
        data = "".join(f"{k}\t{v}\n" for k, v in sent).encode()
        window_start = math.floor(time.time() * 1000)
        started = time.monotonic()
        out = subprocess.run(args, input=data, capture_output=True, timeout=120)
        produce_s = time.monotonic() - started
        window_end = math.ceil(time.time() * 1000)
        self.assertEqual(out.returncode, 0, f"kcat -P -z {codec}: {out.stderr.decode(errors='replace')[-2000:]}")

        started = time.monotonic()
        out = subprocess.run(["kcat", "-b", BROKER, "-C", "-t", topic, "-p", "0", "-o", "beginning", "-e", "-J"],
                             capture_output=True, timeout=180)
        consume_s = time.monotonic() - started
        self.assertEqual(out.returncode, 0, f"kcat -C: {out.stderr.decode(errors='replace')[-2000:]}")
        got = [json.loads(line) for line in out.stdout.decode("utf-8").splitlines() if line.strip()]
        print(f"\n  {codec}: produced {N} in {produce_s:.1f} s, consumed {len(got)} in {consume_s:.1f} s",
              end=" ", flush=True)

        self.assertEqual(len(got), N, f"{codec}: record count")
        self.assertEqual([m["offset"] for m in got], list(range(N)), f"{codec}: offsets")
        flat_headers = [x for pair in hdrs for x in pair]
        for m in got:
            i = m["offset"]
            key, value = sent[i]
            self.assertEqual((m["partition"], m["key"], m["payload"]), (0, key, value), f"{codec} offset {i}")
            self.assertEqual(m.get("headers"), flat_headers, f"{codec} offset {i}: headers")
            self.assertEqual(m["tstype"], "create", f"{codec} offset {i}: timestamp type")
            self.assertTrue(window_start <= m["ts"] <= window_end,
                            f"{codec} offset {i}: CreateTime {m['ts']} outside the produce window "
                            f"[{window_start}, {window_end}]")


def _codec_test(codec):
    def test(self):
        self.run_codec(codec)
    test.__doc__ = f"kcat -z {codec}: {N} records with keys and headers, read back identical (offsets 0..{N - 1})"
    return test


for _c in CODECS:
    setattr(KcatBulkTest, f"test_{_c}", _codec_test(_c))


if __name__ == "__main__":
    unittest.main()
