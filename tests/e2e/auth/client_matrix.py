"""The client matrix over the Kafka listener's security (issue 11), shared by tests/e2e/auth/run
(SASL_PLAINTEXT) and tests/e2e/tls/run (SASL_SSL, SSL, mTLS): each runner here drives one client
through produce, consume and a group commit (or an expected refusal) and reports one check.

- Java kafka-clients 3.9.2 and 4.4.0: java/SecureJavaClient.java, its security settings given as
  KEY=VALUE arguments; compiled against the classpath tests/e2e/test_java_clients.py resolves.
- franz-go 1.22.3: tests/e2e/go's -mode secure (secure.go), built as tests/e2e/test_go_client.py
  builds it.
- kcat: -P then -C of three records; a group commit with -G.
- confluent-kafka: sasl_clients.py (build/e2e-venv's python).
- leaks(): none of the suite's secrets in the broker log.
"""
import json
import os
import shutil
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
JAVA_VERSIONS = ("3.9.2", "4.4.0")
_java = {}


def _java_classes(check, version):
    """(classpath, classes dir) of SecureJavaClient against kafka-clients `version`, or None."""
    if version in _java:
        return _java[version]
    _java[version] = None
    if not all(shutil.which(t) for t in ("mvn", "java", "javac")):
        check(f"java_{version}_tools", False, "mvn, java or javac missing")
        return None
    import test_java_clients  # noqa: E402  (tests/e2e: the kafka-clients classpath, resolved once)
    try:
        cp, _ = test_java_clients.classpath(version)
    except AssertionError as e:
        check(f"java_{version}_classpath", False, str(e)[-300:])
        return None
    classes = os.path.join(test_java_clients.OUT, f"classes-secure-{version}")
    os.makedirs(classes, exist_ok=True)
    src = os.path.join(HERE, "java", "SecureJavaClient.java")
    out = subprocess.run(["javac", "-nowarn", "-d", classes, "-cp", cp, src], capture_output=True, text=True,
                         timeout=300)
    if check(f"java_{version}_client_compiles", out.returncode == 0, out.stderr[-300:]):
        _java[version] = (cp, classes)
    return _java[version]


def java(check, name, version, mode, bootstrap, topic, group, props, jvm_args=()):
    """SecureJavaClient MODE (ok | refused | denied) with the settings `props` (and JVM options
    `jvm_args`, e.g. a -D system property): one check."""
    built = _java_classes(check, version)
    if built is None:
        return False
    cp, classes = built
    args = [f"{k}={v}" for k, v in props.items()]
    p = subprocess.run(["java", "-Xmx256m", "-XX:TieredStopAtLevel=1", *jvm_args, "-cp", classes + os.pathsep + cp,
                        "SecureJavaClient", mode, bootstrap, topic, group, *args], capture_output=True, text=True,
                       timeout=240)
    lines = p.stdout.strip().splitlines()
    return check(name, p.returncode == 0 and bool(lines) and lines[-1] == "ok",
                 (" | ".join(lines[-2:]) + " " + p.stderr[-400:]).strip())


def java_sasl(mechanism, token, protocol, ca=None):
    """Java settings for PLAIN (user public/default, password token:<jwt>), OAUTHBEARER (the
    token through SecureJavaClient.TokenHandler) or SCRAM-SHA-512 (`token` is user:password)
    over `protocol`; `ca` (PEM) for SASL_SSL."""
    if mechanism == "SCRAM-SHA-512":
        user, password = token.split(":", 1)
        props = {"sasl.mechanism": mechanism,
                 "sasl.jaas.config": "org.apache.kafka.common.security.scram.ScramLoginModule required "
                                     f'username="{user}" password="{password}";'}
    elif mechanism == "PLAIN":
        props = {"sasl.mechanism": "PLAIN",
                 "sasl.jaas.config": "org.apache.kafka.common.security.plain.PlainLoginModule required "
                                     f'username="public/default" password="token:{token}";'}
    else:
        props = {"sasl.mechanism": "OAUTHBEARER",
                 "sasl.jaas.config": "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule "
                                     f'required token="{token}";',
                 "sasl.login.callback.handler.class": "SecureJavaClient$TokenHandler"}
    props["security.protocol"] = protocol
    if ca:
        props.update({"ssl.truststore.type": "PEM", "ssl.truststore.location": ca})
    return props


def java_oauth_endpoint(token_url, client_id, secret, protocol="SASL_PLAINTEXT"):
    """(settings, JVM options) for Java OAUTHBEARER with Kafka's own OAuthBearerLoginCallbackHandler
    fetching the token from `token_url` (client credentials); Kafka 3.9.1+/4.x only call URLs
    listed in the org.apache.kafka.sasl.oauthbearer.allowed.urls system property."""
    props = {"security.protocol": protocol, "sasl.mechanism": "OAUTHBEARER",
             "sasl.login.callback.handler.class":
                 "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler",
             "sasl.oauthbearer.token.endpoint.url": token_url,
             "sasl.jaas.config": "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required "
                                 f'clientId="{client_id}" clientSecret="{secret}";'}
    return props, [f"-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls={token_url}"]


_go = {}


def franz_go(check, name, bootstrap, topic, group, args, expect="ok"):
    """tests/e2e/go -mode secure with `args` (-sasl, -token, -tls-*): produce 5, consume them in
    `group`, commit, read the commit back; expect "ok", or an error naming `expect` before any
    record is produced."""
    if "binary" not in _go:
        import test_go_client  # noqa: E402  (tests/e2e: builds build/e2e-go/kop-e2e-go when stale)
        try:
            test_go_client.build()
            _go["binary"] = test_go_client.BINARY
        except AssertionError as e:
            _go["binary"] = None
            check("franz_go_builds", False, str(e)[-400:])
    if not _go["binary"]:
        return False
    p = subprocess.run([_go["binary"], "-mode", "secure", "-bootstrap", bootstrap, "-topic", topic, "-group", group,
                        "-n", "5", "-timeout", "60s", *args], capture_output=True, text=True, timeout=120)
    lines = [ln for ln in p.stdout.splitlines() if ln.strip()]
    try:
        res = json.loads(lines[-1])
    except (IndexError, ValueError):
        return check(name, False, f"rc {p.returncode}: {p.stderr[-400:]}")
    if expect == "ok":
        ok = (not res["error"] and res["produced"] == 5 and res["consumed"] == [f"go-{i}" for i in range(5)]
              and res["committed"] == 5)
    else:
        ok = expect in (res["error"] or "") and res["produced"] == 0
    return check(name, ok, json.dumps(res)[:400])


def kcat(check, name, bootstrap, xopts, topic, group):
    """kcat: -P of three records, -C of them from the beginning, and a -G member that commits."""
    if not shutil.which("kcat"):
        return check(f"{name}_kcat_available", False, "kcat is not installed")
    common = ["-b", bootstrap]
    for opt in xopts:
        common += ["-X", opt]
    run = lambda args, stdin=None: subprocess.run(["kcat", *common, *args], input=stdin, capture_output=True,  # noqa
                                                  timeout=60)
    p = run(["-P", "-t", topic], b"k1\nk2\nk3\n")
    if not check(f"{name}_produce", p.returncode == 0, p.stderr.decode(errors="replace")[-300:]):
        return False
    p = run(["-C", "-t", topic, "-o", "beginning", "-e", "-c", "3", "-q"])
    got = p.stdout.decode(errors="replace").split()
    check(f"{name}_consume", got == ["k1", "k2", "k3"], f"rc {p.returncode}, got {got}")
    # -G: a group member; -e exits at the end, and kcat commits (auto commit) on its way out.
    p = run(["-G", group, "-X", "auto.offset.reset=earliest", "-e", "-q", topic])
    got = p.stdout.decode(errors="replace").split()
    if not check(f"{name}_group", p.returncode == 0 and got == ["k1", "k2", "k3"],
                 f"rc {p.returncode}, got {got} {p.stderr.decode(errors='replace')[-200:]}"):
        return False
    p = run(["-G", group, "-X", "auto.offset.reset=earliest", "-e", "-q", topic])
    got = p.stdout.decode(errors="replace").split()
    return check(f"{name}_group_resumes_after_commit", p.returncode == 0 and got == [],
                 f"a second member of the group read {got} (rc {p.returncode})")


def confluent(check, name, venv_python, mode, bootstrap, topic, group, token, extra=None):
    """sasl_clients.py MODE (plain | oauth | ssl | denied) with `extra` settings over its defaults."""
    if not (venv_python and os.path.exists(venv_python)):
        return check(f"{name}_confluent_available", False, f"no {venv_python}")
    p = subprocess.run([venv_python, os.path.join(HERE, "sasl_clients.py"), mode, bootstrap, topic, group, token,
                        json.dumps(extra or {})], capture_output=True, timeout=180)
    out = p.stdout.decode(errors="replace").strip().splitlines()
    return check(name, p.returncode == 0 and bool(out) and out[-1] == "ok",
                 (out[-1] if out else "") + " " + p.stderr.decode(errors="replace")[-400:])


def leaks(secrets, text):
    """Names of the secrets (name -> value) that appear in `text`; a JWT also by its signature."""
    found = []
    for name, value in secrets.items():
        needles = [value] + ([value.split(".")[-1]] if value.count(".") == 2 else [])
        if any(n and n in text for n in needles):
            found.append(name)
    return found
