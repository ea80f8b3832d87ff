"""Java kafka-clients end to end (3.9.2 and 4.4.0): tests/e2e/java/E2eClient.java produces with a
non-idempotent producer under each compression codec and reads back in assign mode (seek,
beginningOffsets, endOffsets), runs the default idempotent producer, and creates, describes, grows and
deletes a topic with the AdminClient. The classpath of each
version is resolved once with Maven (offline first) and cached under build/e2e-java/."""
import os
import shutil
import subprocess
import unittest

import kafka_wire as kw
from test_produce import HTTP_PORT, SUFFIX, admin, api_versions

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
JAVA_DIR = os.path.join(HERE, "java")
OUT = os.path.join(ROOT, "build", "e2e-java")
SOURCE = os.path.join(JAVA_DIR, "src", "main", "java", "E2eClient.java")
VERSIONS = ("3.9.2", "4.4.0")
COMPRESSIONS = ("none", "gzip", "snappy", "lz4", "zstd")
INIT_PRODUCER_ID = 22
CREATE_TOPICS, DELETE_TOPICS, CREATE_PARTITIONS = 19, 20, 37
BOOTSTRAP = f"{kw.HOST}:{kw.PORT}"
HAVE_TOOLS = all(shutil.which(t) for t in ("mvn", "java", "javac"))

# Scenarios that fail because of something the broker does not serve yet: (version, scenario)
# -> reason. They are skipped, not passed.
KNOWN_BROKER_GAPS = {}

_built = {}


def classpath(version):
    """Resolves (once) and returns the kafka-clients classpath of a version, and compiles
    E2eClient.java against it; -> (classpath, classes dir)."""
    if version in _built:
        return _built[version]
    os.makedirs(OUT, exist_ok=True)
    cp_file = os.path.join(OUT, f"cp-{version}.txt")
    pom = os.path.join(JAVA_DIR, "pom.xml")
    if not os.path.exists(cp_file) or os.path.getmtime(cp_file) < os.path.getmtime(pom):
        base = ["mvn", "-q", "-B", "-f", pom, f"-Dkafka.version={version}",
                "dependency:build-classpath", f"-Dmdep.outputFile={cp_file}"]
        offline = subprocess.run(base[:1] + ["-o"] + base[1:], capture_output=True, text=True, timeout=300)
        if offline.returncode != 0:
            online = subprocess.run(base, capture_output=True, text=True, timeout=600)
            if online.returncode != 0:
                raise AssertionError(f"mvn could not resolve kafka-clients {version}: {online.stdout[-2000:]}")
    with open(cp_file) as f:
        cp = f.read().strip()
    classes = os.path.join(OUT, f"classes-{version}")
    stamp = os.path.join(classes, "E2eClient.class")
    if not os.path.exists(stamp) or os.path.getmtime(stamp) < os.path.getmtime(SOURCE):
        os.makedirs(classes, exist_ok=True)
        out = subprocess.run(["javac", "-nowarn", "-d", classes, "-cp", cp, SOURCE], capture_output=True, text=True,
                             timeout=300)
        if out.returncode != 0:
            raise AssertionError(f"javac against kafka-clients {version} failed: {out.stderr}")
    _built[version] = (cp, classes)
    return _built[version]


def run_client(version, *args):
    """-> (exit code, the client's last OK/FAIL line)."""
    cp, classes = classpath(version)
    out = subprocess.run(["java", "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", classes + os.pathsep + cp,
                          "E2eClient", BOOTSTRAP, *args], capture_output=True, text=True, timeout=240)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith(("OK", "FAIL"))]
    return out.returncode, (lines[-1] if lines else f"no result line; stderr: {out.stderr[-2000:]}")


@unittest.skipUnless(HTTP_PORT, "KOP_E2E_HTTP_PORT not set")
@unittest.skipUnless(HAVE_TOOLS, "mvn, java or javac not installed")
class JavaClientsTest(unittest.TestCase):
    pass


def _topic(version, scenario):
    return f"e2e-java-{version.replace('.', '')}-{scenario}-{SUFFIX}"


def _plain_test(version, compression):
    def test(self):
        gap = KNOWN_BROKER_GAPS.get((version, compression))
        if gap:
            self.skipTest(gap)
        topic = _topic(version, compression)
        admin("PUT", f"/{topic}/partitions", "1")
        code, line = run_client(version, "plain", topic, compression)
        self.assertEqual(code, 0, f"kafka-clients {version}, {compression}: {line}")
    test.__doc__ = f"kafka-clients {version}: 50 records, compression {compression}, read back in assign mode"
    return test


def _idempotent_test(version):
    def test(self):
        gap = KNOWN_BROKER_GAPS.get((version, "idempotent"))
        if gap:
            self.skipTest(gap)
        apis = api_versions()
        if INIT_PRODUCER_ID not in apis:
            self.skipTest("InitProducerId (api key 22) is not advertised in ApiVersions yet")
        topic = _topic(version, "idempotent")
        admin("PUT", f"/{topic}/partitions", "1")
        code, line = run_client(version, "idempotent", topic)
        self.assertEqual(code, 0, f"kafka-clients {version}, idempotent producer: {line}")
    test.__doc__ = f"kafka-clients {version}: default idempotent producer, 20 records, read back"
    return test


def _admin_test(version):
    def test(self):
        gap = KNOWN_BROKER_GAPS.get((version, "admin"))
        if gap:
            self.skipTest(gap)
        apis = api_versions()
        missing = [k for k in (CREATE_TOPICS, DELETE_TOPICS, CREATE_PARTITIONS) if k not in apis]
        if missing and not kw.REQUIRE_ANSWERS:
            self.skipTest(f"api keys {missing} are not advertised in ApiVersions")
        topic = _topic(version, "admin")
        code, line = run_client(version, "admin", topic)
        self.assertEqual(code, 0, f"kafka-clients {version}, AdminClient: {line}")
        self.assertNotIn(f"persistent://public/default/{topic}", admin("GET", "/partitioned"),
                         "the deleted topic is still a partitioned topic in Pulsar")
    test.__doc__ = (f"kafka-clients {version}: AdminClient creates (3 partitions), describes, lists, "
                    "re-creates (TopicExistsException), grows to 5 and deletes a topic")
    return test


for _v in VERSIONS:
    _tag = "v" + _v.replace(".", "_")
    for _c in COMPRESSIONS:
        setattr(JavaClientsTest, f"test_{_tag}_{_c}", _plain_test(_v, _c))
    setattr(JavaClientsTest, f"test_{_tag}_idempotent", _idempotent_test(_v))
    setattr(JavaClientsTest, f"test_{_tag}_admin", _admin_test(_v))


if __name__ == "__main__":
    unittest.main()
