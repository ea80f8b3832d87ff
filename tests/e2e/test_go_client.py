"""franz-go 1.22.3 (Go) end to end: tests/e2e/go/ is built with `go build` into build/e2e-go/
(rebuilt only when its sources change). Its default producer (idempotent) writes N records with
keys, two headers (one binary, not UTF-8) and explicit timestamps under each compression codec,
one partition per codec; a fresh client reads them back from the start in direct-partition mode
(ConsumePartitions, no group), and raw ListOffsets requests list earliest (-2) and latest (-1).
The records are a pure function of (codec, i), computed here independently of the Go program.

Go comes from scripts/deps (kop_go_env): a missing go or a failed build fails the test when
KOP_E2E_REQUIRE_ANSWERS=1 (scripts/test, CI); without it a missing go skips."""
import base64
import hashlib
import json
import os
import subprocess
import time
import unittest
import uuid

import kafka_wire as kw
from test_produce import HTTP_PORT, admin

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
GO_SRC = os.path.join(HERE, "go")
OUT = os.path.join(ROOT, "build", "e2e-go")
BINARY = os.path.join(OUT, "kop-e2e-go")
STAMP = BINARY + ".sources.sha256"
BOOTSTRAP = f"{kw.HOST}:{kw.PORT}"
CODECS = ("none", "gzip", "snappy", "lz4", "zstd")
CODEC_IDS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}
N = 1000
TOPIC = f"e2e-franz-go-{uuid.uuid4().hex[:12]}"
TS_BASE = (int(time.time()) - 3600) * 1000  # record i has CreateTime TS_BASE + 7*i


def expected_record(codec, i):
    """(key, value, headers, timestamp) of record i of a codec: what makeRecord in main.go sends."""
    key = f"key-{codec}-{i}".encode()
    value = f"value-{codec}-{i:06d}-".encode() + b"kop-native " * (i % 16)
    headers = [("index", str(i).encode()),
               ("bin", bytes([0xff, 0xfe, 0x00, 0xc3, 0x28, i & 0xff, (i >> 8) & 0xff, 0x80]))]
    return key, value, headers, TS_BASE + 7 * i


class GoUnavailable(AssertionError):
    pass


def go_env():
    """The environment for the go command: scripts/deps' kop_go_env puts a go >= 1.26 first on PATH
    (or sets GOTOOLCHAIN for a go >= 1.21). Raises GoUnavailable when there is none."""
    script = 'source "$1/scripts/deps" && kop_go_env && printf "%s\\0%s" "$PATH" "${GOTOOLCHAIN:-}"'
    out = subprocess.run(["bash", "-c", script, "bash", ROOT], capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise GoUnavailable("no Go >= 1.26 (nor a go >= 1.21 to fetch it): run scripts/test, or source "
                            f"scripts/deps and call kop_ensure_go. {out.stderr[-500:]}")
    path, toolchain = out.stdout.split("\0")
    env = dict(os.environ, PATH=path)
    if toolchain:
        env["GOTOOLCHAIN"] = toolchain
    return env


def sources_hash():
    h = hashlib.sha256()
    for name in sorted(os.listdir(GO_SRC)):
        if name.endswith(".go") or name in ("go.mod", "go.sum"):
            with open(os.path.join(GO_SRC, name), "rb") as f:
                h.update(name.encode() + b"\0" + f.read() + b"\0")
    return h.hexdigest()


def build():
    """Builds build/e2e-go/kop-e2e-go unless it is current with tests/e2e/go/."""
    digest = sources_hash()
    if os.path.exists(BINARY) and os.path.exists(STAMP):
        with open(STAMP) as f:
            if f.read().strip() == digest:
                return
    env = go_env()
    os.makedirs(OUT, exist_ok=True)
    tmp = f"{BINARY}.tmp-{os.getpid()}"
    started = time.monotonic()
    out = subprocess.run(["go", "build", "-buildvcs=false", "-trimpath", "-o", tmp, "."], cwd=GO_SRC, env=env,
                         capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        raise AssertionError(f"go build of tests/e2e/go failed (exit {out.returncode}): {out.stderr[-3000:]}")
    os.replace(tmp, BINARY)
    with open(STAMP, "w") as f:
        f.write(digest + "\n")
    print(f"\n  built {os.path.relpath(BINARY, ROOT)} in {time.monotonic() - started:.1f} s", flush=True)


def run_client(mode, timeout=300):
    """-> the JSON lines the client printed for -mode."""
    out = subprocess.run([BINARY, "-bootstrap", BOOTSTRAP, "-topic", TOPIC, "-n", str(N), "-codecs", ",".join(CODECS),
                          "-ts-base", str(TS_BASE), "-timeout", "90s", "-mode", mode],
                         capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise AssertionError(f"kop-e2e-go -mode {mode} exited {out.returncode}: {out.stderr[-3000:]}")
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


_state = {}


def state():
    """Builds, creates the topic, produces, consumes and lists offsets once; -> the results. Every
    test calls it, so a missing go or a failed build fails (or skips) each test, not a class setup."""
    if "error" in _state:
        raise _state["error"]
    if "results" in _state:
        return _state["results"]
    try:
        build()
        admin("PUT", f"/{TOPIC}/partitions", str(len(CODECS)))
        results = {}
        started = time.monotonic()
        results["produce"] = run_client("produce")
        results["consume"] = run_client("consume")
        results["offsets"] = run_client("offsets", timeout=120)
        versions = [e["versions"] for e in results["offsets"] if e["event"] == "versions"]
        print(f"\n  franz-go: {len(CODECS)} x {N} records produced, consumed and listed in "
              f"{time.monotonic() - started:.1f} s; negotiated versions: "
              f"{json.dumps(versions[0] if versions else None, sort_keys=True)}", flush=True)
    except GoUnavailable as e:
        _state["error"] = e if kw.REQUIRE_ANSWERS else unittest.SkipTest(str(e))
        raise _state["error"] from None
    except Exception as e:
        _state["error"] = e
        raise
    _state["results"] = results
    return results


@unittest.skipUnless(HTTP_PORT, "KOP_E2E_HTTP_PORT not set")
class FranzGoTest(unittest.TestCase):
    def test_idempotent_produce_offsets(self):
        """The default (idempotent) producer: every record acknowledged, offsets 0..N-1 in order."""
        produced = {e["codec"]: e for e in state()["produce"] if e["event"] == "produced"}
        self.assertEqual(sorted(produced), sorted(CODECS))
        for p, codec in enumerate(CODECS):
            e = produced[codec]
            self.assertEqual(e["errors"], [], f"{codec}: produce errors")
            self.assertEqual(e["offsets"], list(range(N)), f"{codec}: acknowledged offsets")
            self.assertEqual(set(e["partitions"]), {p}, codec)
            self.assertGreaterEqual(e["producer_id"], 0, f"{codec}: the producer was not idempotent")

    def test_list_offsets_earliest_and_latest(self):
        got = {e["partition"]: e for e in state()["offsets"] if e["event"] == "offsets"}
        errors = [e for e in state()["offsets"] if e["event"] == "offsets_error"]
        self.assertEqual(errors, [])
        for p, codec in enumerate(CODECS):
            e = got.get(p)
            self.assertIsNotNone(e, f"partition {p} missing from ListOffsets")
            self.assertEqual((e["error_earliest"], e["earliest"]), (0, 0), f"{codec}: ListOffsets -2 (earliest)")
            self.assertEqual((e["error_latest"], e["latest"]), (0, N), f"{codec}: ListOffsets -1 (latest)")

    def test_consume_errors_and_count(self):
        summary = [e for e in state()["consume"] if e["event"] == "consumed"]
        self.assertEqual(len(summary), 1, "the consumer printed no summary")
        self.assertEqual(summary[0]["errors"], [], "fetch errors")
        self.assertEqual(summary[0]["count"], N * len(CODECS))


def _consume_test(p, codec):
    def test(self):
        records = [e for e in state()["consume"] if e["event"] == "record" and e["p"] == p]
        self.assertEqual([r["o"] for r in records], list(range(N)), f"{codec}: offsets of partition {p}")
        seen_codecs, seen_ids = set(), set()
        for r in records:
            i = r["o"]
            key, value, headers, ts = expected_record(codec, i)
            got_headers = [(h["k"], base64.b64decode(h["v"] or "")) for h in r["h"]]
            self.assertEqual(base64.b64decode(r["k"] or ""), key, f"{codec} offset {i}: key")
            self.assertEqual(base64.b64decode(r["v"] or ""), value, f"{codec} offset {i}: value")
            self.assertEqual(got_headers, headers, f"{codec} offset {i}: headers")
            self.assertEqual((r["ts_type"], r["ts"]), (0, ts), f"{codec} offset {i}: (CreateTime, timestamp)")
            seen_codecs.add(r["compression"])
            seen_ids.add(r["producer_id"])
        # The broker rebuilds fetched batches from Pulsar entries: their codec and producer id need
        # not be the producer's. Shown for the record, not asserted.
        print(f"\n  {codec}: fetched batches with codecs {sorted(seen_codecs)} (produced {CODEC_IDS[codec]}), "
              f"producer ids {sorted(seen_ids)}", end=" ", flush=True)
    test.__doc__ = (f"{codec}: {N} records read back from the start (ConsumePartitions): offsets 0..{N - 1}, "
                    "keys, values, binary headers, CreateTime timestamps identical")
    return test


for _p, _c in enumerate(CODECS):
    setattr(FranzGoTest, f"test_consume_{_c}", _consume_test(_p, _c))


if __name__ == "__main__":
    unittest.main()
