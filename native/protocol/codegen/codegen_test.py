"""Tests of the codec generator (python3 -m unittest, standard library only)."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cpp_codec import min_size_table  # noqa: E402
from cpp_types import Ctx, snake  # noqa: E402
from gen_cpp import generate  # noqa: E402
from generate import parse_errors  # noqa: E402
from schema import SchemaError, Versions, parse_message, strip_comments  # noqa: E402

TOY = """
// A comment with "quotes" and // more
{
  "apiKey": 99, "type": "request", "name": "ToyRequest",
  "validVersions": "0-3", "flexibleVersions": "2+",
  "fields": [
    { "name": "Url", "type": "string", "versions": "0+", "about": "http://x // not a comment" },
    { "name": "Items", "type": "[]Item", "versions": "0+", "fields": [
      { "name": "Id", "type": "int32", "versions": "0+" },
      { "name": "Note", "type": "string", "versions": "1+", "nullableVersions": "1+", "default": "null" }
    ]},
    { "name": "Extra", "type": "int64", "versions": "2+", "tag": 0, "taggedVersions": "2+", "default": "-1" }
  ]
}
"""


class VersionsTest(unittest.TestCase):
    def test_forms(self):
        self.assertEqual(Versions.parse("3+"), Versions(3, 32767))
        self.assertEqual(Versions.parse("0-12"), Versions(0, 12))
        self.assertEqual(Versions.parse("5"), Versions(5, 5))
        self.assertTrue(Versions.parse("none").empty())
        self.assertTrue(Versions.parse(None).empty())
        with self.assertRaises(SchemaError):
            Versions.parse("1-")


class SchemaTest(unittest.TestCase):
    def test_comments_outside_strings_only(self):
        self.assertEqual(strip_comments('{"a": "x // y"} // z').strip(), '{"a": "x // y"}')

    def test_parse_toy(self):
        m = parse_message(TOY, "toy")
        self.assertEqual(m.api_key, 99)
        self.assertEqual(m.flexible, Versions(2, 32767))
        self.assertEqual([f.name for f in m.root.fields], ["Url", "Items", "Extra"])
        self.assertEqual(m.root.fields[2].tag, 0)
        self.assertEqual([s.name for s in m.structs], ["Item"])

    def test_unknown_attribute_fails_loudly(self):
        bad = TOY.replace('"about": "http', '"surprise": 1, "about": "http')
        with self.assertRaises(SchemaError):
            parse_message(bad, "toy")

    def test_min_sizes(self):
        m = parse_message(TOY, "toy")
        ctx = Ctx(m)
        # v0: int16 string length + int32 array count; v2: compact + tag buffer.
        self.assertEqual(min_size_table(ctx, m.root), [6, 6, 3, 3])
        item = m.structs[0]
        self.assertEqual(min_size_table(ctx, item), [4, 6, 6, 6])


class EmitTest(unittest.TestCase):
    def test_names(self):
        self.assertEqual(snake("ThrottleTimeMs"), "throttle_time_ms")
        self.assertEqual(snake("TopicID"), "topic_id")
        self.assertEqual(snake("Delete"), "delete_")

    def test_generated_code_mentions_every_field(self):
        h, c, t = generate(parse_message(TOY, "toy"))
        for member in ("url", "items", "extra", "note"):
            self.assertIn(member, h)
        self.assertIn("ReadArrayLength", c)
        self.assertIn("case 0:", c)  # the tagged field
        self.assertIn("Fill(", t)


class ErrorsTest(unittest.TestCase):
    def test_parses_javap_static_initializer(self):
        javap = """
  static {};
    Code:
       0: new           #1                  // class org/apache/kafka/common/protocol/Errors
       3: dup
       4: ldc_w         #590                // String UNKNOWN_SERVER_ERROR
       7: iconst_0
       8: iconst_m1
       9: ldc_w         #591                // String The server experienced an error.
      23: new           #1                  // class org/apache/kafka/common/protocol/Errors
      26: dup
      27: ldc_w         #600                // String NONE
      30: iconst_1
      31: iconst_0
      32: aconst_null
      40: new           #1                  // class org/apache/kafka/common/protocol/Errors
      43: dup
      44: ldc_w         #601                // String REBOOTSTRAP_REQUIRED
      47: sipush        130
      50: sipush        129
      53: ldc_w         #602                // String Client must rebootstrap.
      60: putstatic     #9                  // Field $VALUES:[Lorg/apache/kafka/common/protocol/Errors;
"""
        self.assertEqual(parse_errors(javap),
                         [("UNKNOWN_SERVER_ERROR", -1), ("NONE", 0), ("REBOOTSTRAP_REQUIRED", 129)])


if __name__ == "__main__":
    unittest.main()
