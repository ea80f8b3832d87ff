#!/usr/bin/env python3
"""Generates the C++ Kafka codec from the schemas inside a kafka-clients jar.

Usage: generate.py --jar kafka-clients-X.jar --out DIR [--list]

Writes, under DIR:
  include/kop/protocol/messages/<name>.h   one struct per schema
  src/<name>.cc                            its Decode/Encode/Size/ToJson
  testing/<name>_testing.cc                Fill() for round-trip tests
  include/kop/protocol/api.h, src/api.cc   API table, factories, header versions
  include/kop/protocol/errors.h, src/errors.cc  Kafka's error codes
  testing/registry.cc                      every message, for tests
With --list, prints the files it would write (for CMake) and writes nothing.
"""

import argparse
import os
import re
import subprocess
import sys
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from gen_cpp import file_stem, generate  # noqa: E402
from schema import parse_message  # noqa: E402

SCHEMA_DIR = "common/message/"
ERRORS_CLASS = "org.apache.kafka.common.protocol.Errors"


# The __consumer_offsets records of the classic group coordinator, from the
# kafka-group-coordinator jar (the records of KIP-848/share/streams groups are
# not written by us).
GROUP_RECORDS = ("OffsetCommitKey", "OffsetCommitValue", "GroupMetadataKey",
                 "GroupMetadataValue")


def load_messages(jar: str, only=None):
    msgs = []
    with zipfile.ZipFile(jar) as z:
        for name in sorted(z.namelist()):
            if name.startswith(SCHEMA_DIR) and name.endswith(".json"):
                if only is not None and name[len(SCHEMA_DIR):-5] not in only:
                    continue
                text = z.read(name).decode("utf-8")
                msgs.append(parse_message(text, name))
    if not msgs:
        raise SystemExit(f"no {SCHEMA_DIR}*.json in {jar}")
    if only is not None and len(msgs) != len(only):
        raise SystemExit(f"{jar} lacks some of {', '.join(only)}")
    return msgs


def parse_errors(javap_output: str):
    """(name, code) pairs from the static initializer of Kafka's Errors enum.

    Each constant is built as: new Errors; dup; ldc "NAME"; <ordinal>; <code>;
    ldc "message"; ... so the code is the second integer after the name.
    """
    int_re = re.compile(r"\b(iconst_m1|iconst_(\d)|bipush\s+(-?\d+)|sipush\s+(-?\d+))\b")
    name_re = re.compile(r"// String ([A-Z][A-Z0-9_]*)$")
    errors = []
    lines = javap_output.splitlines()
    in_clinit = False
    pending = None
    ints = []
    for line in lines:
        if "static {};" in line:
            in_clinit = True
            continue
        if not in_clinit:
            continue
        if "class org/apache/kafka/common/protocol/Errors" in line and " new " in line:
            pending, ints = None, []
            continue
        m = name_re.search(line)
        if m and pending is None:
            pending = m.group(1)
            continue
        if pending is not None:
            m = int_re.search(line)
            if m:
                if m.group(1) == "iconst_m1":
                    v = -1
                elif m.group(2) is not None:
                    v = int(m.group(2))
                else:
                    v = int(m.group(3) or m.group(4))
                ints.append(v)
                if len(ints) == 2:
                    errors.append((pending, ints[1]))
                    pending, ints = None, []
        if "putstatic" in line and "$VALUES" in line:
            break
    return errors


def load_errors(jar: str):
    out = subprocess.run(["javap", "-c", "-p", "-classpath", jar, ERRORS_CLASS],
                         check=True, capture_output=True, text=True).stdout
    errors = parse_errors(out)
    codes = {c for _, c in errors}
    if len(errors) < 100 or len(codes) != len(errors) or 0 not in codes:
        raise SystemExit(f"could not read Kafka's error codes from {jar} "
                         f"({len(errors)} found)")
    return errors


def outputs(msgs):
    files = []
    for m in msgs:
        stem = file_stem(m)
        files += [f"include/kop/protocol/messages/{stem}.h", f"src/{stem}.cc",
                  f"testing/{stem}_testing.cc"]
    files += ["include/kop/protocol/api.h", "src/api.cc",
              "include/kop/protocol/errors.h", "src/errors.cc",
              "include/kop/protocol/all_messages.h", "testing/registry.cc"]
    return files


def write(path: str, text: str):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    # Leave unchanged files alone so the build does not recompile them
    # (the build rule declares them as byproducts, with restat).
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def gen_api(msgs):
    requests = {m.api_key: m for m in msgs if m.kind == "request"}
    responses = {m.api_key: m for m in msgs if m.kind == "response"}
    keys = sorted(requests)
    h = """// Generated by native/protocol/codegen from Kafka's schemas. Do not edit.
#ifndef KOP_PROTOCOL_API_H_
#define KOP_PROTOCOL_API_H_

#include <cstdint>
#include <memory>
#include <span>

#include "kop/protocol/message.h"

namespace kop::protocol {

// One row per API key in the pinned Kafka schemas.
struct ApiSpec {
  int16_t key;
  const char* name;       // e.g. "Produce"
  int16_t min_version;    // validVersions of the request schema
  int16_t max_version;
  int16_t first_flexible_request;   // -1: never flexible
  int16_t first_flexible_response;  // -1: never flexible
  bool broker_listener;   // served by brokers (not controller-only)
};

std::span<const ApiSpec> AllApis();
// nullptr for a key the schemas do not define.
const ApiSpec* FindApi(int16_t key);

// Fresh request / response bodies for an API key; nullptr when unknown.
std::unique_ptr<Message> NewRequest(int16_t key);
std::unique_ptr<Message> NewResponse(int16_t key);

// Request header v2 for flexible request versions, else v1.
int16_t RequestHeaderVersion(int16_t key, int16_t version);
// Response header v1 for flexible response versions, else v0. ApiVersions
// responses always use v0 so a client can read any version's header (KIP-511).
int16_t ResponseHeaderVersion(int16_t key, int16_t version);

}  // namespace kop::protocol

#endif  // KOP_PROTOCOL_API_H_
"""
    c = ["// Generated by native/protocol/codegen from Kafka's schemas. Do not edit.",
         '#include "kop/protocol/api.h"', "",
         '#include "kop/protocol/all_messages.h"', "",
         "namespace kop::protocol {", "namespace {", "",
         "constexpr ApiSpec kApis[] = {"]
    for k in keys:
        rq, rs = requests[k], responses[k]
        fq = rq.flexible.lo if not rq.flexible.empty() else -1
        fs = rs.flexible.lo if not rs.flexible.empty() else -1
        name = rq.name[:-len("Request")]
        broker = "true" if "broker" in rq.listeners else "false"
        c.append(f'    {{{k}, "{name}", {rq.valid.lo}, {rq.valid.hi}, {fq}, {fs}, {broker}}},')
    c += ["};", "", "}  // namespace", "",
          "std::span<const ApiSpec> AllApis() { return kApis; }", "",
          "const ApiSpec* FindApi(int16_t key) {",
          "  for (const ApiSpec& a : kApis) {",
          "    if (a.key == key) return &a;",
          "  }",
          "  return nullptr;",
          "}", "",
          "std::unique_ptr<Message> NewRequest(int16_t key) {",
          "  switch (key) {"]
    for k in keys:
        c.append(f"    case {k}: return std::make_unique<{requests[k].name}>();")
    c += ["    default: return nullptr;", "  }", "}", "",
          "std::unique_ptr<Message> NewResponse(int16_t key) {",
          "  switch (key) {"]
    for k in keys:
        c.append(f"    case {k}: return std::make_unique<{responses[k].name}>();")
    c += ["    default: return nullptr;", "  }", "}", "",
          "int16_t RequestHeaderVersion(int16_t key, int16_t version) {",
          "  const ApiSpec* a = FindApi(key);",
          "  return a && a->first_flexible_request >= 0 &&",
          "                 version >= a->first_flexible_request",
          "             ? 2",
          "             : 1;",
          "}", "",
          "int16_t ResponseHeaderVersion(int16_t key, int16_t version) {",
          "  if (key == 18) return 0;  // ApiVersions",
          "  const ApiSpec* a = FindApi(key);",
          "  return a && a->first_flexible_response >= 0 &&",
          "                 version >= a->first_flexible_response",
          "             ? 1",
          "             : 0;",
          "}", "",
          "}  // namespace kop::protocol", ""]
    return h, "\n".join(c)


def gen_errors(errors):
    h = ["// Generated from Kafka's org.apache.kafka.common.protocol.Errors. Do not edit.",
         "#ifndef KOP_PROTOCOL_ERRORS_H_", "#define KOP_PROTOCOL_ERRORS_H_", "",
         "#include <cstdint>", "", "namespace kop::protocol {", "",
         "// Kafka's error codes, with Kafka's names and numbers.",
         "enum class ErrorCode : int16_t {"]
    for name, code in errors:
        h.append(f"  {name} = {code},")
    h += ["};", "",
          "// Kafka's name for a code (\"UNKNOWN_SERVER_ERROR\" for unknown codes).",
          "const char* ErrorName(int16_t code);",
          "inline const char* ErrorName(ErrorCode code) {",
          "  return ErrorName(static_cast<int16_t>(code));",
          "}",
          "constexpr int16_t Code(ErrorCode e) { return static_cast<int16_t>(e); }",
          "", "}  // namespace kop::protocol", "", "#endif  // KOP_PROTOCOL_ERRORS_H_", ""]
    c = ["// Generated from Kafka's org.apache.kafka.common.protocol.Errors. Do not edit.",
         '#include "kop/protocol/errors.h"', "", "namespace kop::protocol {", "",
         "const char* ErrorName(int16_t code) {", "  switch (code) {"]
    for name, code in errors:
        c.append(f'    case {code}: return "{name}";')
    c += ['    default: return "UNKNOWN_SERVER_ERROR";', "  }", "}", "",
          "}  // namespace kop::protocol", ""]
    return "\n".join(h), "\n".join(c)


def gen_all(msgs):
    lines = ["// Generated. Do not edit.", "#ifndef KOP_PROTOCOL_ALL_MESSAGES_H_",
             "#define KOP_PROTOCOL_ALL_MESSAGES_H_", ""]
    for m in msgs:
        lines.append(f'#include "kop/protocol/messages/{file_stem(m)}.h"')
    lines += ["", "#endif  // KOP_PROTOCOL_ALL_MESSAGES_H_", ""]
    return "\n".join(lines)


def gen_registry(msgs):
    c = ["// Generated. Do not edit.", '#include "kop/protocol/all_messages.h"',
         '#include "kop/protocol/testing.h"', "",
         "namespace kop::protocol::testing {", ""]
    for m in msgs:
        c.append(f"void Fill({m.name}& x, int16_t version, Rng& rng, int depth);")
    c += ["", "std::span<const MessageKind> AllMessages() {",
          "  static const MessageKind kAll[] = {"]
    for m in msgs:
        key = m.api_key if m.api_key is not None else -1
        c.append(f'      {{"{m.name}", "{m.kind}", {key}, {m.valid.lo}, {m.valid.hi},')
        c.append(f"       [] {{ return std::unique_ptr<Message>(new {m.name}()); }},")
        c.append(f"       [](Message& x, int16_t v, Rng& rng) {{ Fill(static_cast<{m.name}&>(x), v, rng, 0); }}}},")
    c += ["  };", "  return kAll;", "}", "", "}  // namespace kop::protocol::testing", ""]
    return "\n".join(c)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jar", required=True)
    ap.add_argument("--group-jar",
                    help="kafka-group-coordinator jar: __consumer_offsets records")
    ap.add_argument("--out", required=True)
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()
    msgs = [m for m in load_messages(args.jar) if not m.valid.empty()]
    if args.group_jar:
        msgs += load_messages(args.group_jar, GROUP_RECORDS)
    if args.list:
        print(";".join(os.path.join(args.out, f) for f in outputs(msgs)))
        return
    inc = os.path.join(args.out, "include/kop/protocol")
    for m in msgs:
        h, c, t = generate(m)
        stem = file_stem(m)
        write(os.path.join(inc, "messages", stem + ".h"), h)
        write(os.path.join(args.out, "src", stem + ".cc"), c)
        write(os.path.join(args.out, "testing", stem + "_testing.cc"), t)
    h, c = gen_api(msgs)
    write(os.path.join(inc, "api.h"), h)
    write(os.path.join(args.out, "src/api.cc"), c)
    h, c = gen_errors(load_errors(args.jar))
    write(os.path.join(inc, "errors.h"), h)
    write(os.path.join(args.out, "src/errors.cc"), c)
    write(os.path.join(inc, "all_messages.h"), gen_all(msgs))
    write(os.path.join(args.out, "testing/registry.cc"), gen_registry(msgs))


if __name__ == "__main__":
    main()
