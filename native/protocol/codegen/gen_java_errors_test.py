"""Tests of the Java KafkaErrors generator (python3 -m unittest, standard library only)."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from gen_java_errors import gen_java_errors  # noqa: E402

ERRORS = [("UNKNOWN_SERVER_ERROR", -1), ("NONE", 0), ("REBOOTSTRAP_REQUIRED", 129)]


class JavaErrorsTest(unittest.TestCase):
    def test_constants_with_kafkas_names_and_numbers(self):
        src = gen_java_errors(ERRORS)
        self.assertIn("package io.kopnative;", src)
        self.assertIn("final class KafkaErrors {", src)
        self.assertIn("    static final short UNKNOWN_SERVER_ERROR = -1;", src)
        self.assertIn("    static final short NONE = 0;", src)
        self.assertIn("    static final short REBOOTSTRAP_REQUIRED = 129;", src)
        # Kafka's declaration order, as the C++ enum.
        self.assertLess(src.index("UNKNOWN_SERVER_ERROR = -1"), src.index("NONE = 0"))

    def test_name_switch(self):
        src = gen_java_errors(ERRORS, "x.y")
        self.assertIn("package x.y;", src)
        self.assertIn('            case 129:\n                return "REBOOTSTRAP_REQUIRED";', src)
        self.assertIn('            default:\n                return "UNKNOWN_SERVER_ERROR";', src)

    @unittest.skipIf(shutil.which("javac") is None or shutil.which("java") is None, "no JDK")
    def test_compiles_and_names_codes(self):
        with tempfile.TemporaryDirectory() as d:
            pkg = os.path.join(d, "io", "kopnative")
            os.makedirs(pkg)
            with open(os.path.join(pkg, "KafkaErrors.java"), "w", encoding="utf-8") as f:
                f.write(gen_java_errors(ERRORS))
            with open(os.path.join(pkg, "Probe.java"), "w", encoding="utf-8") as f:
                f.write("package io.kopnative;\n"
                        "public class Probe {\n"
                        "    public static void main(String[] a) {\n"
                        "        System.out.println(KafkaErrors.name(KafkaErrors.REBOOTSTRAP_REQUIRED) + ' '\n"
                        "                + KafkaErrors.name((short) 0) + ' ' + KafkaErrors.name((short) 4242));\n"
                        "    }\n"
                        "}\n")
            subprocess.run(["javac", "-d", d, os.path.join(pkg, "KafkaErrors.java"),
                            os.path.join(pkg, "Probe.java")], check=True)
            out = subprocess.run(["java", "-cp", d, "io.kopnative.Probe"], check=True,
                                 capture_output=True, text=True).stdout.strip()
            self.assertEqual(out, "REBOOTSTRAP_REQUIRED NONE UNKNOWN_SERVER_ERROR")


if __name__ == "__main__":
    unittest.main()
