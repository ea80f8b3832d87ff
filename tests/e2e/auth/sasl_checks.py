"""SASL on the Kafka listener against the real broker (issue 11), called by tests/e2e/auth/run on a
broker with Pulsar token authentication and a SASL_PLAINTEXT listener (saslAllowedMechanisms
PLAIN,OAUTHBEARER,SCRAM-SHA-256,SCRAM-SHA-512; SCRAM itself: scram_checks.py):

- raw frames (kafka_wire): the SASL APIs are advertised only on the SASL listener; a request
  (or a frame above sasl.server.max.receive.size) before SASL closes the connection unanswered; wrong, expired, foreign-key, `nomethod` and
  malformed credentials answer SASL_AUTHENTICATION_FAILED after the failure delay, then close,
  and no request goes through; KIP-368's session_lifetime_ms follows the token's exp and past it
  the connection closes;
- kcat and confluent-kafka (build/e2e-venv, sasl_clients.py): PLAIN with `public/default` and
  `token:<jwt>` produces, consumes and commits in a group; OAUTHBEARER produces and consumes;
  a wrong token fails; Java kafka-clients 4.4.0 PLAIN through sasl.jaas.config likewise;
- the broker log has a failure line per refused attempt and none of the tokens.
"""
import os
import shutil
import socket
import struct
import subprocess
import time

import kafka_wire

SASL_HANDSHAKE = 17
SASL_AUTHENTICATE = 36
SASL_AUTHENTICATION_FAILED = 58
HERE = os.path.dirname(os.path.abspath(__file__))


def _connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def _string(s):
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def handshake(sock, correlation_id, mechanism):
    """SaslHandshake v1 -> (error_code, [mechanisms])."""
    sock.sendall(kafka_wire.frame(kafka_wire.request_header_v1(SASL_HANDSHAKE, 1, correlation_id)
                                  + _string(mechanism)))
    body = kafka_wire.read_frame(sock)
    if body is None:
        return None, []
    corr, error, count = struct.unpack_from(">ihi", body, 0)
    assert corr == correlation_id, (corr, correlation_id)
    off, names = 10, []
    for _ in range(count):
        (n,) = struct.unpack_from(">h", body, off)
        names.append(body[off + 2:off + 2 + n].decode())
        off += 2 + n
    return error, names


def authenticate(sock, correlation_id, auth_bytes):
    """SaslAuthenticate v1 -> (error_code, message, session_lifetime_ms, seconds waited), or None
    when the broker closed without answering."""
    t0 = time.monotonic()
    sock.sendall(kafka_wire.frame(kafka_wire.request_header_v1(SASL_AUTHENTICATE, 1, correlation_id)
                                  + struct.pack(">i", len(auth_bytes)) + auth_bytes))
    body = kafka_wire.read_frame(sock)
    waited = time.monotonic() - t0
    if body is None:
        return None
    corr, error, mlen = struct.unpack_from(">ihh", body, 0)
    assert corr == correlation_id, (corr, correlation_id)
    off = 8
    message = None
    if mlen >= 0:
        message = body[off:off + mlen].decode(errors="replace")
        off += mlen
    (blen,) = struct.unpack_from(">i", body, off)
    off += 4 + max(blen, 0)
    (lifetime,) = struct.unpack_from(">q", body, off)
    return error, message, lifetime, waited


def plain(user, password):
    return b"\0" + user.encode() + b"\0" + password.encode()


def metadata_answered(sock, correlation_id):
    """Sends Metadata v9 (all topics); True if answered, False if the connection closed."""
    try:
        sock.sendall(kafka_wire.metadata_v9(correlation_id, None, False))
        return kafka_wire.read_frame(sock, timeout=15) is not None
    except (ConnectionResetError, BrokenPipeError):
        return False


def api_keys(port):
    with _connect(port) as s:
        s.sendall(kafka_wire.api_versions_v0(1))
        return set(kafka_wire.parse_api_versions_v0(kafka_wire.read_frame(s))[2])


def refused_attempt(port, mechanism, auth_bytes):
    """(answer, closed, metadata went through) of one bad SASL attempt on a fresh connection."""
    with _connect(port) as s:
        error, _ = handshake(s, 1, mechanism)
        assert error == 0, f"handshake {mechanism}: {error}"
        answer = authenticate(s, 2, auth_bytes)
        through = metadata_answered(s, 3)
        return answer, kafka_wire.wait_closed(s, 5) or not through, through


def kcat(args, stdin=None, timeout=60):
    return subprocess.run(["kcat", *args], input=stdin, capture_output=True, timeout=timeout)


def java_client(check, sasl_port, tokens):
    """Java kafka-clients 4.4.0, SASL/PLAIN through sasl.jaas.config (java/SaslJavaClient.java),
    compiled against the classpath tests/e2e/test_java_clients.py resolves."""
    if not all(shutil.which(t) for t in ("mvn", "java", "javac")):
        check("java_tools_available", False, "mvn, java or javac missing")
        return
    import test_java_clients  # noqa: E402  (tests/e2e: the kafka-clients classpath, resolved once)
    try:
        cp, _ = test_java_clients.classpath("4.4.0")
    except AssertionError as e:
        check("java_classpath", False, str(e)[-300:])
        return
    classes = os.path.join(test_java_clients.OUT, "classes-sasl")
    os.makedirs(classes, exist_ok=True)
    src = os.path.join(HERE, "java", "SaslJavaClient.java")
    out = subprocess.run(["javac", "-nowarn", "-d", classes, "-cp", cp, src], capture_output=True, text=True,
                         timeout=300)
    if not check("java_client_compiles", out.returncode == 0, out.stderr[-300:]):
        return
    for mode, token in (("ok", tokens["good"]), ("refused", tokens["foreign"])):
        p = subprocess.run(["java", "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", classes + os.pathsep + cp,
                            "SaslJavaClient", mode, f"127.0.0.1:{sasl_port}", f"sasl-java-{os.getpid()}",
                            f"sasl-g-java-{os.getpid()}", token], capture_output=True, text=True, timeout=240)
        lines = p.stdout.strip().splitlines()
        check(f"java_plain_{mode}", p.returncode == 0 and lines and lines[-1] == "ok",
              (" | ".join(lines[-2:]) + " " + p.stderr[-400:]).strip())


def run(check, ports, sign, venv_python, broker_log):
    """`ports`: (plaintext, sasl); `sign(claims, foreign=False)`: an HS256 token with the broker's
    key (or another one)."""
    plain_port, sasl_port = ports
    now = int(time.time())
    tokens = {
        "good": sign({"sub": "alice", "exp": now + 3600}),
        "expired": sign({"sub": "alice", "exp": now - 60}),
        "foreign": sign({"sub": "alice"}, foreign=True),
    }
    good = tokens["good"]

    keys = api_keys(sasl_port)
    check("sasl_apis_on_sasl_listener", {17, 36} <= keys, f"ApiVersions lists {sorted(keys)}")
    keys = api_keys(plain_port)
    check("no_sasl_apis_on_plaintext_listener", not ({17, 36} & keys), f"ApiVersions lists {sorted(keys)}")

    with _connect(sasl_port) as s:
        through = metadata_answered(s, 1)
        check("metadata_before_sasl_closes", not through, "Metadata before SaslHandshake is not answered")

    with _connect(sasl_port) as s:
        # A 600 kB frame before SASL: refused at its length prefix (sasl.server.max.receive.size).
        s.sendall(struct.pack(">ihhi", 600_000, 3, 0, 1))
        check("big_frame_before_sasl_closes", kafka_wire.wait_closed(s, 10), "600000-byte length prefix")

    with _connect(sasl_port) as s:
        error, names = handshake(s, 1, "GSSAPI")
        check("unsupported_mechanism_refused",
              error == 33 and names == ["PLAIN", "OAUTHBEARER", "SCRAM-SHA-256", "SCRAM-SHA-512"],
              f"error {error}, mechanisms {names}")

    with _connect(sasl_port) as s:
        error, _ = handshake(s, 1, "PLAIN")
        answer = authenticate(s, 2, plain("public/default", "token:" + good))
        check("raw_plain_authenticates", answer is not None and answer[0] == 0, f"{answer}")
        check("raw_metadata_after_sasl", metadata_answered(s, 3), "Metadata is served once authenticated")

    bad = {
        "wrong_key_token": ("PLAIN", plain("public", "token:" + tokens["foreign"])),
        "expired_token": ("PLAIN", plain("public", "token:" + tokens["expired"])),
        "nomethod_password": ("PLAIN", plain("public", good)),
        "garbage_token": ("PLAIN", plain("public", "token:not-a-jwt")),
        "unknown_provider": ("PLAIN", plain("public", "basic:alice:pw")),
        "bad_tenant_name": ("PLAIN", plain("pub lic", "token:" + good)),
        "oauth_wrong_key": ("OAUTHBEARER", b"n,,\x01auth=Bearer " + tokens["foreign"].encode() + b"\x01\x01"),
    }
    for name, (mechanism, auth_bytes) in bad.items():
        answer, closed, through = refused_attempt(sasl_port, mechanism, auth_bytes)
        ok = (answer is not None and answer[0] == SASL_AUTHENTICATION_FAILED and closed and not through
              and answer[3] >= 0.08)
        if name == "nomethod_password":
            ok = ok and "token:<jwt>" in (answer[1] or "")
        check(f"refused_{name}", ok, f"answer {answer}, closed {closed}, request went through {through}")

    tokens["expiring"] = sign({"sub": "alice", "exp": int(time.time()) + 4})
    with _connect(sasl_port) as s:
        handshake(s, 1, "PLAIN")
        answer = authenticate(s, 2, plain("public/default", "token:" + tokens["expiring"]))
        lifetime = answer[2] if answer else -1
        check("kip368_session_lifetime", answer is not None and answer[0] == 0 and 0 < lifetime <= 5000,
              f"session_lifetime_ms {lifetime}")
        check("served_before_expiry", metadata_answered(s, 3), "Metadata before the token expires")
        time.sleep(max(0, lifetime / 1000) + 1.5)
        check("closed_after_expiry", not metadata_answered(s, 4), "Metadata after the session lifetime")

    # kcat (librdkafka): PLAIN produce and consume; a wrong token fails.
    topic = f"sasl-kcat-{os.getpid()}"
    common = ["-b", f"127.0.0.1:{sasl_port}", "-X", "security.protocol=SASL_PLAINTEXT", "-X",
              "sasl.mechanisms=PLAIN", "-X", "sasl.username=public/default"]
    if shutil.which("kcat"):
        p = kcat([*common, "-X", f"sasl.password=token:{good}", "-P", "-t", topic], b"k1\nk2\nk3\n")
        check("kcat_plain_produce", p.returncode == 0, p.stderr.decode(errors="replace")[-300:])
        p = kcat([*common, "-X", f"sasl.password=token:{good}", "-C", "-t", topic, "-o", "beginning", "-e", "-c",
                  "3", "-q"])
        got = p.stdout.decode(errors="replace").split()
        check("kcat_plain_consume", got == ["k1", "k2", "k3"], f"rc {p.returncode}, got {got}")
        p = kcat([*common, "-X", f"sasl.password=token:{tokens['foreign']}", "-L", "-m", "10"], timeout=30)
        check("kcat_wrong_token_fails", p.returncode != 0, f"rc {p.returncode}")
    else:
        check("kcat_available", False, "kcat is not installed")

    # confluent-kafka: PLAIN with a group and commits; OAUTHBEARER.
    if venv_python and os.path.exists(venv_python):
        script = os.path.join(HERE, "sasl_clients.py")
        for mode, token in (("plain", good), ("oauth", good)):
            p = subprocess.run([venv_python, script, mode, f"127.0.0.1:{sasl_port}", f"sasl-{mode}-{os.getpid()}",
                                f"sasl-g-{mode}-{os.getpid()}", token], capture_output=True, timeout=180)
            out = p.stdout.decode(errors="replace").strip().splitlines()
            check(f"confluent_{mode}", p.returncode == 0 and out and out[-1] == "ok",
                  (out[-1] if out else "") + " " + p.stderr.decode(errors="replace")[-400:])
    else:
        check("confluent_kafka_available", False, f"no {venv_python}")

    java_client(check, sasl_port, tokens)

    text = broker_log()
    leaked = [name for name, tok in tokens.items() if tok.split(".")[-1] in text or tok in text]
    check("no_token_in_broker_log", not leaked, f"leaked: {leaked}")
    failures = [line for line in text.splitlines() if "SASL authentication failed for /127.0.0.1" in line]
    check("failures_logged_once_each", len(failures) >= len(bad),
          f"{len(failures)} failure lines for {len(bad)} refused attempts (+ kcat's)")
    check("nomethod_failure_logged",
          any("mechanism PLAIN" in line and "token:<jwt>" in line for line in failures), "reason in the log line")
