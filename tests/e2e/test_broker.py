"""End-to-end checks against scripts/standalone's real Pulsar broker with the kop-native NAR."""
import os
import re
import socket
import struct
import threading
import time
import unittest

import kafka_wire as kw


class HandlerLoadedTest(unittest.TestCase):
    def test_protocol_handler_found_in_nar(self):
        log = kw.broker_log()
        self.assertRegex(log, r"Found protocol handler from \S+kop-native-[\w.\-]+\.nar : "
                              r"ProtocolHandlerDefinition\(name=kafka, .*handlerClass=io\.kopnative\.KafkaProtocolHandler\)")

    def test_native_library_loaded_by_nar_class_loader(self):
        log = kw.broker_log()
        self.assertRegex(log, r"kop-native: native library loaded: kop-native jni-bridge \S+ from "
                              r"libkopnative\.so via org\.apache\.pulsar\.common\.nar\.NarClassLoader")

    def test_native_libraries_mapped_from_unpacked_nar(self):
        # The JVM really runs the .so from the NAR (not a system copy), and the libraries shipped
        # beside it (RUNPATH $ORIGIN) are the ones the dynamic linker picked.
        pid = os.environ.get("KOP_E2E_BROKER_PID")
        if not pid or not os.path.exists(f"/proc/{pid}/maps"):
            self.skipTest("broker pid not known")
        with open(f"/proc/{pid}/maps") as f:
            paths = {line.split()[-1] for line in f if "/" in line.split()[-1]}
        native_dir = "/META-INF/bundled-dependencies/native/"
        kop = [p for p in paths if p.endswith("/libkopnative.so")]
        self.assertEqual(len(kop), 1, kop)
        self.assertIn(native_dir, kop[0])
        self.assertIn("/pulsar-nar/kop-native-", kop[0])
        shipped = os.listdir(os.path.dirname(kop[0]))
        for p in paths:
            if os.path.basename(p) in shipped and p != kop[0]:
                self.assertEqual(os.path.dirname(p), os.path.dirname(kop[0]), p)

    def test_listener_bound_on_configured_port(self):
        log = kw.broker_log()
        self.assertIn(f"kop-native: Kafka listener PLAINTEXT://{kw.HOST}:{kw.PORT} on /{kw.HOST}:{kw.PORT}", log)

    def test_no_error_lines_from_kop_native(self):
        errors = [l for l in kw.broker_log().splitlines()
                  if re.search(r"\sERROR\s+\[[^\]]*\]\s+(i\.k\.|io\.kopnative)", l)]
        self.assertEqual(errors, [], "kop-native logged errors")


class ApiVersionsTest(unittest.TestCase):
    def exchange_api_versions(self, correlation_id):
        with kw.connect() as s:
            s.sendall(kw.api_versions_v0(correlation_id))
            body = kw.read_frame(s)
            if body is None:
                if kw.REQUIRE_ANSWERS:
                    self.fail("broker closed the connection instead of answering ApiVersions v0")
                return None  # placeholder core: a clean close is the whole contract
            cid, err, apis = kw.parse_api_versions_v0(body)
            self.assertEqual(cid, correlation_id)
            self.assertEqual(err, 0)
            self.assertIn(kw.API_VERSIONS, apis)
            lo, hi = apis[kw.API_VERSIONS]
            self.assertEqual(lo, 0, "ApiVersions v0 must stay supported for version negotiation")
            self.assertGreaterEqual(hi, lo)
            for key, (lo, hi) in apis.items():
                self.assertGreaterEqual(key, 0)
                self.assertLessEqual(lo, hi, f"api {key}")
            return apis

    def test_api_versions_v0_answered_or_closed_cleanly(self):
        self.exchange_api_versions(0x12345678)

    def test_connection_stays_open_until_a_frame_arrives(self):
        # Distinguishes "the core closed after seeing a frame" from "the shim closes everything".
        with kw.connect() as s:
            self.assertFalse(kw.wait_closed(s, timeout=1.5), "closed before any request was sent")
            s.sendall(kw.api_versions_v0(5))
            body = kw.read_frame(s)
            if body is not None:
                self.assertEqual(kw.parse_api_versions_v0(body)[0], 5)
            elif kw.REQUIRE_ANSWERS:
                self.fail("closed instead of answering")

    def test_correlation_ids_are_echoed_on_fresh_connections(self):
        first = self.exchange_api_versions(7)
        second = self.exchange_api_versions(-2)
        self.assertEqual(first, second)


class FramingTest(unittest.TestCase):
    def assert_broker_still_accepts(self):
        with kw.connect() as s:
            s.sendall(kw.api_versions_v0(99))
            body = kw.read_frame(s)
            if body is not None:
                cid, err, _ = kw.parse_api_versions_v0(body)
                self.assertEqual((cid, err), (99, 0))
            elif kw.REQUIRE_ANSWERS:
                self.fail("no answer after an oversized frame on another connection")

    def assert_prefix_closes(self, size_prefix, trailing=b"x" * 64):
        with kw.connect() as s:
            s.sendall(size_prefix + trailing)
            start = time.monotonic()
            self.assertTrue(kw.wait_closed(s, timeout=10.0), "broker kept the connection open")
            self.assertLess(time.monotonic() - start, 10.0)

    def test_2gib_length_prefix_closes_connection(self):
        before = kw.broker_log().count("request frame larger than kafkaMaxFrameSize")
        self.assert_prefix_closes(struct.pack(">I", 0x80000000))
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if kw.broker_log().count("request frame larger than kafkaMaxFrameSize") > before:
                break
            time.sleep(0.1)
        else:
            self.fail("no log line for the oversized frame")
        self.assert_broker_still_accepts()

    def test_negative_length_prefix_closes_connection(self):
        self.assert_prefix_closes(struct.pack(">i", -1))
        self.assert_broker_still_accepts()

    def test_one_byte_over_max_frame_size_closes_connection(self):
        self.assert_prefix_closes(struct.pack(">i", kw.MAX_FRAME + 1))
        self.assert_broker_still_accepts()

    def test_partial_frame_then_disconnect_leaves_broker_healthy(self):
        for _ in range(5):
            with kw.connect() as s:
                s.sendall(struct.pack(">i", 1000) + b"y" * 100)
        self.assert_broker_still_accepts()

    def test_concurrent_connections(self):
        errors = []

        def worker(i):
            try:
                with kw.connect() as s:
                    s.sendall(kw.api_versions_v0(1000 + i))
                    body = kw.read_frame(s)
                    if body is not None:
                        cid, err, _ = kw.parse_api_versions_v0(body)
                        if (cid, err) != (1000 + i, 0):
                            errors.append(f"conn {i}: correlation {cid} error {err}")
                    elif kw.REQUIRE_ANSWERS:
                        errors.append(f"conn {i}: closed without an answer")
            except Exception as e:  # noqa: BLE001 - collected and asserted below
                errors.append(f"conn {i}: {e!r}")

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(32)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        self.assertEqual(errors, [])


if __name__ == "__main__":
    unittest.main()


class HostileRequestTest(unittest.TestCase):
    """Frames that are well framed but wrong: the core answers as Kafka does
    (close, or the KIP-511 ApiVersions fallback) and the broker keeps serving."""

    def assert_closed_and_healthy(self, payload):
        with kw.connect() as s:
            s.sendall(kw.frame(payload))
            self.assertTrue(kw.wait_closed(s, timeout=10.0), "connection left open")
        FramingTest.assert_broker_still_accepts(self)

    def test_unknown_api_key_closes(self):
        self.assert_closed_and_healthy(kw.request_header_v1(0x7ABC, 0, 1))

    def test_unsupported_version_of_served_api_closes(self):
        self.assert_closed_and_healthy(kw.request_header_v1(3, 99, 1) + b"\xff\xff\xff\xff")

    def test_truncated_body_closes(self):
        # Metadata v1 announcing 1000 topics with 2 bytes behind the count.
        self.assert_closed_and_healthy(kw.request_header_v1(3, 1, 1) + struct.pack(">i", 1000) + b"\x00\x01")

    def test_random_bytes_close(self):
        import random
        rnd = random.Random(1234)
        for _ in range(20):
            payload = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 300)))
            with kw.connect() as s:
                s.sendall(kw.frame(payload))
                # Either closed, or answered (a random ApiVersions/Metadata
                # that happens to parse); never a hang or a dead broker.
                kw.wait_closed(s, timeout=2.0)
        FramingTest.assert_broker_still_accepts(self)

    def test_newer_api_versions_gets_v0_unsupported_version(self):
        with kw.connect() as s:
            s.sendall(kw.frame(kw.request_header_v1(18, 99, 4242) + b"\x00\x01\x02"))
            body = kw.read_frame(s)
            self.assertIsNotNone(body, "no answer to ApiVersions v99")
            cid, err, apis = kw.parse_api_versions_v0(body)
            self.assertEqual(cid, 4242)
            self.assertEqual(err, 35)  # UNSUPPORTED_VERSION
            self.assertEqual(list(apis), [18])
            self.assertEqual(apis[18][0], 0)
