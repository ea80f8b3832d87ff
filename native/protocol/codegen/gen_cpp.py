"""Emits C++ for one parsed Kafka message (see schema.py).

Each struct holds the fields of all its versions; Decode/Encode/Size/ToJson
take the version and test per field whether it is present, so the code stays
proportional to the schema rather than to versions x fields.

This module writes the declarations and assembles the three generated files;
cpp_types.py holds the type vocabulary, cpp_codec.py the read/write bodies and
cpp_fill.py the test support.
"""

from cpp_codec import gen_decode, gen_encode, gen_json, gen_min_size
from cpp_fill import gen_fill
from cpp_types import FIXED, Ctx, cpp_type, default_value, file_stem, member
# Kept importable from here for the generators that predate the split.
from cpp_types import snake  # noqa: F401
from schema import Message, Struct


def gen_struct_decl(ctx: Ctx, s: Struct, out: list, ind: str, root: bool):
    if root:
        out.append(f"{ind}struct {s.name} final : public Message {{")
    else:
        out.append(f"{ind}struct {s.name} {{")
    i2 = ind + "  "
    if root:
        m = ctx.msg
        if m.api_key is not None:
            out.append(f"{i2}static constexpr int16_t kApiKey = {m.api_key};")
        out.append(f"{i2}static constexpr int16_t kMinVersion = {m.valid.lo};")
        out.append(f"{i2}static constexpr int16_t kMaxVersion = {m.valid.hi};")
        flex = m.flexible.lo if not m.flexible.empty() else -1
        out.append(f"{i2}// -1: no flexible version.")
        out.append(f"{i2}static constexpr int16_t kFirstFlexibleVersion = {flex};")
        out.append("")
        for ns in ctx.msg.structs:
            gen_struct_decl(ctx, ns, out, i2, False)
    for f in s.fields:
        about = f.about.replace("\n", " ").strip()
        if about:
            out.append(f"{i2}// {about}")
        d = default_value(ctx, f)
        init = f" = {d}" if d else ""
        if d == "" and (f.type.base in FIXED and not f.type.array):
            init = "{}"
        out.append(f"{i2}{cpp_type(ctx, f)} {member(f)}{init};")
    out.append(f"{i2}std::vector<RawTaggedField> unknown_tagged_fields;")
    out.append("")
    ov = " override" if root else ""
    out.append(f"{i2}void Decode(Reader& r, int16_t version){ov};")
    out.append(f"{i2}absl::Status Encode(Writer& w, int16_t version) const{ov};")
    out.append(f"{i2}size_t Size(int16_t version) const{ov};")
    out.append(f"{i2}void ToJson(JsonWriter& j, int16_t version) const{ov};")
    if root:
        out.append(f'{i2}const char* type_name() const override {{ return "{s.name}"; }}')
    out.append(f"{i2}// Smallest possible encoding in `version`; bounds array counts.")
    out.append(f"{i2}static size_t MinSize(int16_t version);")
    out.append(f"{i2}bool operator==(const {s.name}&) const = default;")
    out.append(f"{ind}}};")
    out.append("")


def generate(msg: Message):
    """Returns (header text, source text, testing source text)."""
    ctx = Ctx(msg)
    stem = file_stem(msg)
    guard_name = f"KOP_PROTOCOL_MESSAGES_{stem.upper()}_H_"
    h = [
        "// Generated from Kafka's " + msg.name + ".json by native/protocol/codegen. Do not edit.",
        f"#ifndef {guard_name}",
        f"#define {guard_name}",
        "",
        "#include <cstdint>",
        "#include <optional>",
        "#include <string>",
        "#include <vector>",
        "",
        '#include "kop/protocol/message.h"',
        "",
        "namespace kop::protocol {",
        "",
    ]
    gen_struct_decl(ctx, msg.root, h, "", True)
    h += ["}  // namespace kop::protocol", "", f"#endif  // {guard_name}", ""]

    c = [
        "// Generated from Kafka's " + msg.name + ".json by native/protocol/codegen. Do not edit.",
        f'#include "kop/protocol/messages/{stem}.h"',
        "",
        "namespace kop::protocol {",
        "",
    ]
    for s in msg.structs + [msg.root]:
        gen_decode(ctx, s, c)
        gen_encode(ctx, s, c, size_mode=False)
        gen_encode(ctx, s, c, size_mode=True)
        gen_json(ctx, s, c)
        gen_min_size(ctx, s, c)
    c += ["}  // namespace kop::protocol", ""]

    t = [
        "// Generated test support for " + msg.name + ". Do not edit.",
        f'#include "kop/protocol/messages/{stem}.h"',
        '#include "kop/protocol/testing.h"',
        "",
        "namespace kop::protocol::testing {",
        "",
    ]
    for s in msg.structs + [msg.root]:
        gen_fill(ctx, s, t)
    t += ["}  // namespace kop::protocol::testing", ""]
    return "\n".join(h), "\n".join(c), "\n".join(t)
