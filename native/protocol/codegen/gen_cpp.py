"""Emits C++ for one parsed Kafka message (see schema.py).

Each struct holds the fields of all its versions; Decode/Encode/Size/ToJson
take the version and test per field whether it is present, so the code stays
proportional to the schema rather than to versions x fields.
"""

import re

from schema import INT16_MAX, Field, Message, Struct, Versions

CPP_KEYWORDS = {
    "alignas", "alignof", "and", "asm", "auto", "bool", "break", "case",
    "catch", "char", "class", "const", "continue", "default", "delete", "do",
    "double", "else", "enum", "explicit", "export", "extern", "false",
    "float", "for", "friend", "goto", "if", "inline", "int", "long",
    "mutable", "namespace", "new", "not", "operator", "or", "private",
    "protected", "public", "register", "return", "short", "signed", "sizeof",
    "static", "struct", "switch", "template", "this", "throw", "true", "try",
    "typedef", "typeid", "typename", "union", "unsigned", "using", "virtual",
    "void", "volatile", "while", "xor", "version",
}

FIXED = {
    "bool": ("bool", 1, "ReadBool", "WriteBool", "Bool"),
    "int8": ("int8_t", 1, "ReadInt8", "WriteInt8", "Int"),
    "int16": ("int16_t", 2, "ReadInt16", "WriteInt16", "Int"),
    "uint16": ("uint16_t", 2, "ReadUint16", "WriteUint16", "Int"),
    "int32": ("int32_t", 4, "ReadInt32", "WriteInt32", "Int"),
    "uint32": ("uint32_t", 4, "ReadUint32", "WriteUint32", "Int"),
    "int64": ("int64_t", 8, "ReadInt64", "WriteInt64", "Int"),
    "float64": ("double", 8, "ReadFloat64", "WriteFloat64", "Double"),
    "uuid": ("Uuid", 16, "ReadUuid", "WriteUuid", "Uuid"),
}

INT_LIMITS = {
    "int8": (-(1 << 7), (1 << 7) - 1),
    "int16": (-(1 << 15), (1 << 15) - 1),
    "uint16": (0, (1 << 16) - 1),
    "int32": (-(1 << 31), (1 << 31) - 1),
    "uint32": (0, (1 << 32) - 1),
    "int64": (-(1 << 63), (1 << 63) - 1),
}


def snake(name: str) -> str:
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()
    return s + "_" if s in CPP_KEYWORDS else s


def file_stem(msg: Message) -> str:
    return snake(msg.name).rstrip("_")


class Ctx:
    """What the code for one message needs to know."""

    def __init__(self, msg: Message):
        self.msg = msg
        self.valid = msg.valid
        # Nested struct definitions live inside the root struct.
        self.prefix = msg.name + "::"

    def qual(self, s: Struct) -> str:
        return s.name if s is self.msg.root else self.prefix + s.name

    def cond(self, v: Versions) -> str:
        """A C++ condition true for versions in `v` (within the valid range)."""
        v = v.intersect(self.valid)
        if v.empty():
            return "false"
        parts = []
        if v.lo > self.valid.lo:
            parts.append(f"version >= {v.lo}")
        if v.hi < self.valid.hi and v.hi < INT16_MAX:
            parts.append(f"version <= {v.hi}")
        return " && ".join(parts) if parts else "true"

    def flexible_cond(self) -> str:
        return self.cond(self.msg.flexible)


def present(ctx: Ctx, f: Field) -> Versions:
    """Versions in which the field is written (as a regular or tagged field)."""
    v = f.versions.intersect(ctx.valid)
    if f.tag is not None:
        v = v.intersect(f.tagged).intersect(ctx.msg.flexible)
    return v


def member(f: Field) -> str:
    return snake(f.name)


def elem_type(ctx: Ctx, f: Field) -> str:
    t = f.type.base
    if t in FIXED:
        return FIXED[t][0]
    if t == "string":
        return "std::string"
    if t == "bytes":
        return "std::vector<uint8_t>"
    if t == "records":
        return "RecordsRef"
    return f.struct.name


def is_optional(f: Field) -> bool:
    """Nullable strings, bytes, arrays and structs are std::optional."""
    if f.nullable.empty():
        return False
    return f.type.array or f.type.base in ("string", "bytes") or f.type.is_struct


def cpp_type(ctx: Ctx, f: Field) -> str:
    t = elem_type(ctx, f)
    if f.type.array:
        t = f"std::vector<{t}>"
    if is_optional(f):
        t = f"std::optional<{t}>"
    return t


def int_literal(t: str, text: str) -> str:
    v = int(text, 0)
    lo, hi = INT_LIMITS[t]
    if not lo <= v <= hi:
        raise ValueError(f"default {text} out of range for {t}")
    ctype = FIXED[t][0]
    if t == "int64" and v in (lo, hi):
        return "INT64_MIN" if v == lo else "INT64_MAX"
    if t == "int32" and v == lo:
        return "INT32_MIN"
    return f"static_cast<{ctype}>({v}LL)" if t in ("int64", "uint32") else f"static_cast<{ctype}>({v})"


def default_value(ctx: Ctx, f: Field) -> str:
    """The initializer of the member ('' for a value-initialized one)."""
    d = f.default
    if d == "null":
        if f.nullable.empty() and f.type.base != "records":
            raise ValueError(f"{f.name}: null default on a non-nullable field")
        return "std::nullopt" if is_optional(f) else ""
    if f.type.array:
        # Kafka's default for an array is empty, not null.
        return f"std::vector<{elem_type(ctx, f)}>()" if is_optional(f) else ""
    t = f.type.base
    if t in INT_LIMITS:
        return int_literal(t, d) if d not in (None, "") else "0"
    if t == "bool":
        return "true" if d == "true" else "false"
    if t == "float64":
        return repr(float(d)) if d else "0.0"
    if t == "string":
        if d:
            return "std::string(" + cpp_string(d) + ")"
        return "std::string()" if is_optional(f) else ""
    if t in ("bytes",):
        return "std::vector<uint8_t>()" if is_optional(f) else ""
    if f.type.is_struct:
        return f"{f.struct.name}()" if is_optional(f) else ""
    return ""


def cpp_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def non_default(ctx: Ctx, f: Field, x: str) -> str:
    """A C++ condition true when `x` differs from the field's default."""
    d = default_value(ctx, f)
    if f.type.base == "records" and not f.type.array:
        return f"!{x}.is_null"
    if d == "std::nullopt":
        return f"{x}.has_value()"
    if f.type.array:
        return f"!{x}.empty()" if not is_optional(f) else f"(!{x}.has_value() || !{x}->empty())"
    if f.type.is_struct:
        if is_optional(f):
            return f"(!{x}.has_value() || !(*{x} == {f.struct.name}()))"
        return f"!({x} == {f.struct.name}())"
    if f.type.base in ("string", "bytes"):
        if is_optional(f):
            empty = "std::string()" if f.type.base == "string" else "std::vector<uint8_t>()"
            val = d if d else empty
            return f"(!{x}.has_value() || *{x} != {val})"
        return f"!{x}.empty()" if not d else f"{x} != {d}"
    if f.type.base == "uuid":
        return f"{x} != Uuid{{}}"
    return f"{x} != {d if d else '0'}"


def compact_expr(ctx: Ctx, f: Field) -> str:
    return "flexible" if f.flexible_allowed else "false"


def min_elem_size(ctx: Ctx, f: Field) -> str:
    t = f.type.base
    if t in FIXED:
        return str(FIXED[t][1])
    c = compact_expr(ctx, f)
    if t == "string":
        return f"({c} ? 1u : 2u)"
    if t in ("bytes", "records"):
        return f"({c} ? 1u : 4u)"
    return f"{f.struct.name}::MinSize(version)"


# ---- decode -------------------------------------------------------------

def decode_scalar(ctx: Ctx, f: Field, target: str, r: str, out: list, ind: str,
                  null_ok: str, optional: bool):
    """Decodes one non-array value of f's type into `target`."""
    t = f.type.base
    c = compact_expr(ctx, f)
    null_fail = f'{r}.Fail("{f.name}: null in a version where it is not nullable");'
    if t in FIXED:
        out.append(f"{ind}{target} = {r}.{FIXED[t][2]}();")
    elif t in ("string", "bytes", "records"):
        rd = "ReadStringLength" if t == "string" else "ReadBytesLength"
        out.append(f"{ind}{{")
        out.append(f"{ind}  const int32_t n = {rd}({r}, {c});")
        out.append(f"{ind}  if (n < 0) {{")
        if t == "records":
            out.append(f"{ind}    {target} = RecordsRef{{}};")
            out.append(f"{ind}    if ({r}.ok() && !({null_ok})) {null_fail}")
        elif optional:
            out.append(f"{ind}    {target}.reset();")
            out.append(f"{ind}    if ({r}.ok() && !({null_ok})) {null_fail}")
        else:
            out.append(f"{ind}    if ({r}.ok()) {null_fail}")
        out.append(f"{ind}  }} else {{")
        if t == "records":
            out.append(f"{ind}    {target} = RecordsRef::Of({r}.ReadSpan(static_cast<size_t>(n)));")
        else:
            body = "ReadStringBody" if t == "string" else "ReadBytesBody"
            out.append(f"{ind}    {target} = {body}({r}, n);")
        out.append(f"{ind}  }}")
        out.append(f"{ind}}}")
    else:  # struct
        if optional:
            out.append(f"{ind}if ({r}.ReadInt8() < 0) {{")
            out.append(f"{ind}  {target}.reset();")
            out.append(f"{ind}  if ({r}.ok() && !({null_ok})) {null_fail}")
            out.append(f"{ind}}} else {{")
            # emplace(T()) rather than emplace(): clang 14 judges a nested
            # struct with member initializers not default-constructible
            # while the enclosing class is incomplete.
            out.append(f"{ind}  {target}.emplace({f.struct.name}()).Decode({r}, version);")
            out.append(f"{ind}}}")
        else:
            out.append(f"{ind}{target}.Decode({r}, version);")


def decode_field(ctx: Ctx, f: Field, r: str, out: list, ind: str):
    x = member(f)
    null_ok = ctx.cond(f.nullable)
    if not f.type.array:
        decode_scalar(ctx, f, x, r, out, ind, null_ok, is_optional(f))
        return
    c = compact_expr(ctx, f)
    out.append(f"{ind}{{")
    out.append(f"{ind}  const int32_t n = ReadArrayLength({r}, {c}, {min_elem_size(ctx, f)});")
    out.append(f"{ind}  if (n < 0) {{")
    if is_optional(f):
        out.append(f"{ind}    {x}.reset();")
        out.append(f'{ind}    if ({r}.ok() && !({null_ok})) {r}.Fail("{f.name}: null in a version where it is not nullable");')
        out.append(f"{ind}  }} else {{")
        out.append(f"{ind}    auto& v = {x}.emplace();")
    else:
        out.append(f'{ind}    if ({r}.ok()) {r}.Fail("{f.name}: null in a version where it is not nullable");')
        out.append(f"{ind}  }} else {{")
        out.append(f"{ind}    auto& v = {x};")
        out.append(f"{ind}    v.clear();")
    out.append(f"{ind}    v.reserve(static_cast<size_t>(n));")
    out.append(f"{ind}    for (int32_t i = 0; i < n && {r}.ok(); ++i) {{")
    t = f.type.base
    if f.type.is_struct:
        out.append(f"{ind}      v.emplace_back().Decode({r}, version);")
    else:
        out.append(f"{ind}      auto& e = v.emplace_back();")
        decode_scalar(ctx, f, "e", r, out, ind + "      ", "false", False)
    out.append(f"{ind}    }}")
    out.append(f"{ind}  }}")
    out.append(f"{ind}}}")


# ---- encode / size ------------------------------------------------------

def encode_scalar(ctx: Ctx, f: Field, x: str, out: list, ind: str, null_ok: str,
                  optional: bool, size_var=None):
    """Writes (or, with size_var, sizes) one non-array value."""
    t = f.type.base
    c = compact_expr(ctx, f)
    err = (f'return absl::InvalidArgumentError("{ctx.msg.name}.{f.name}: '
           f'null in a version where it is not nullable");')
    if t in FIXED:
        if size_var:
            out.append(f"{ind}{size_var} += {FIXED[t][1]};")
        else:
            out.append(f"{ind}w.{FIXED[t][3]}({x});")
        return
    if t in ("string", "bytes", "records"):
        ln = "StringLength" if t == "string" else "BytesLength"
        if t == "records":
            is_null, val = f"{x}.is_null", f"{x}.data"
        elif optional:
            is_null, val = f"!{x}.has_value()", f"(*{x})"
        else:
            is_null, val = "false", x
        if is_null != "false":
            out.append(f"{ind}if ({is_null}) {{")
            if size_var:
                out.append(f"{ind}  {size_var} += {ln}Size({c}, -1);")
            else:
                out.append(f"{ind}  if (!({null_ok})) {err}")
                out.append(f"{ind}  Write{ln}(w, {c}, -1);")
            out.append(f"{ind}}} else {{")
            ind2 = ind + "  "
        else:
            ind2 = ind
        n = f"static_cast<int32_t>({val}.size())"
        if size_var:
            out.append(f"{ind2}{size_var} += {ln}Size({c}, {n}) + {val}.size();")
        else:
            if t == "string":
                out.append(f"{ind2}if (!{c} && {val}.size() > 32767) "
                           f'return absl::InvalidArgumentError("{ctx.msg.name}.{f.name}: string longer than 32767 bytes");')
            out.append(f"{ind2}Write{ln}(w, {c}, {n});")
            if t == "bytes":
                out.append(f"{ind2}w.WriteSpan(Bytes({val}));")
            else:
                out.append(f"{ind2}w.WriteSpan({val});")
        if is_null != "false":
            out.append(f"{ind}}}")
        return
    # struct
    if optional:
        out.append(f"{ind}if (!{x}.has_value()) {{")
        if size_var:
            out.append(f"{ind}  {size_var} += 1;")
        else:
            out.append(f"{ind}  if (!({null_ok})) {err}")
            out.append(f"{ind}  w.WriteInt8(-1);")
        out.append(f"{ind}}} else {{")
        if size_var:
            out.append(f"{ind}  {size_var} += 1 + {x}->Size(version);")
        else:
            out.append(f"{ind}  w.WriteInt8(1);")
            out.append(f"{ind}  if (absl::Status s = {x}->Encode(w, version); !s.ok()) return s;")
        out.append(f"{ind}}}")
    elif size_var:
        out.append(f"{ind}{size_var} += {x}.Size(version);")
    else:
        out.append(f"{ind}if (absl::Status s = {x}.Encode(w, version); !s.ok()) return s;")


def encode_field(ctx: Ctx, f: Field, out: list, ind: str, size_var=None):
    x = member(f)
    null_ok = ctx.cond(f.nullable)
    if not f.type.array:
        encode_scalar(ctx, f, x, out, ind, null_ok, is_optional(f), size_var)
        return
    c = compact_expr(ctx, f)
    err = (f'return absl::InvalidArgumentError("{ctx.msg.name}.{f.name}: '
           f'null in a version where it is not nullable");')
    if is_optional(f):
        out.append(f"{ind}if (!{x}.has_value()) {{")
        if size_var:
            out.append(f"{ind}  {size_var} += ArrayLengthSize({c}, -1);")
        else:
            out.append(f"{ind}  if (!({null_ok})) {err}")
            out.append(f"{ind}  WriteArrayLength(w, {c}, -1);")
        out.append(f"{ind}}} else {{")
        v = f"(*{x})"
        ind2 = ind + "  "
    else:
        v = x
        ind2 = ind
    n = f"static_cast<int32_t>({v}.size())"
    if size_var:
        out.append(f"{ind2}{size_var} += ArrayLengthSize({c}, {n});")
    else:
        out.append(f"{ind2}WriteArrayLength(w, {c}, {n});")
    if f.type.base in FIXED and size_var:
        out.append(f"{ind2}{size_var} += {v}.size() * {FIXED[f.type.base][1]};")
    else:
        out.append(f"{ind2}for (const auto& e : {v}) {{")
        encode_scalar(ctx, f, "e", out, ind2 + "  ", "false", False, size_var)
        out.append(f"{ind2}}}")
    if is_optional(f):
        out.append(f"{ind}}}")


def json_scalar(ctx: Ctx, f: Field, x: str, out: list, ind: str, optional: bool):
    t = f.type.base
    if optional:
        out.append(f"{ind}if (!{x}.has_value()) {{")
        out.append(f"{ind}  j.Null();")
        out.append(f"{ind}}} else {{")
        json_scalar(ctx, f, f"(*{x})", out, ind + "  ", False)
        out.append(f"{ind}}}")
        return
    if t in FIXED:
        out.append(f"{ind}j.{FIXED[t][4]}({x});")
    elif t == "string":
        out.append(f"{ind}j.String({x});")
    elif t == "bytes":
        out.append(f"{ind}j.Base64(Bytes({x}));")
    elif t == "records":
        out.append(f"{ind}j.Records({x});")
    else:
        out.append(f"{ind}{x}.ToJson(j, version);")


def json_field(ctx: Ctx, f: Field, out: list, ind: str):
    x = member(f)
    out.append(f'{ind}j.Key("{f.name}");')
    if not f.type.array:
        json_scalar(ctx, f, x, out, ind, is_optional(f))
        return
    if is_optional(f):
        out.append(f"{ind}if (!{x}.has_value()) {{")
        out.append(f"{ind}  j.Null();")
        out.append(f"{ind}}} else {{")
        v, ind2 = f"(*{x})", ind + "  "
    else:
        v, ind2 = x, ind
    out.append(f"{ind2}j.BeginArray();")
    out.append(f"{ind2}for (const auto& e : {v}) {{")
    json_scalar(ctx, f, "e", out, ind2 + "  ", False)
    out.append(f"{ind2}}}")
    out.append(f"{ind2}j.EndArray();")
    if is_optional(f):
        out.append(f"{ind}}}")


# ---- struct bodies ------------------------------------------------------

def regular_fields(s: Struct):
    return [f for f in s.fields if f.tag is None]


def tagged_fields(s: Struct):
    return sorted((f for f in s.fields if f.tag is not None), key=lambda f: f.tag)


def guard(ctx: Ctx, v: Versions) -> str:
    c = ctx.cond(v)
    return c


def gen_decode(ctx: Ctx, s: Struct, out: list):
    q = ctx.qual(s)
    out.append(f"void {q}::Decode(Reader& r, int16_t version) {{")
    out.append("  (void)version;")
    out.append(f"  const bool flexible = {ctx.flexible_cond()};")
    out.append("  (void)flexible;")
    for f in regular_fields(s):
        c = guard(ctx, present(ctx, f))
        if c == "false":
            continue
        if c == "true":
            decode_field(ctx, f, "r", out, "  ")
        else:
            out.append(f"  if ({c}) {{")
            decode_field(ctx, f, "r", out, "    ")
            out.append("  }")
    out.append("  if (!flexible || !r.ok()) return;")
    out.append("  unknown_tagged_fields.clear();")
    out.append("  const uint32_t num_tags = r.ReadUnsignedVarint();")
    out.append("  for (uint32_t i = 0; i < num_tags && r.ok(); ++i) {")
    out.append("    const uint32_t tag = r.ReadUnsignedVarint();")
    out.append("    const uint32_t size = r.ReadUnsignedVarint();")
    out.append("    Bytes data = r.ReadSpan(size);")
    out.append("    if (!r.ok()) return;")
    tagged = tagged_fields(s)
    if tagged:
        out.append("    switch (tag) {")
        for f in tagged:
            c = guard(ctx, present(ctx, f))
            out.append(f"      case {f.tag}:")
            out.append(f"        if ({c}) {{")
            out.append("          Reader t(data);")
            decode_field(ctx, f, "t", out, "          ")
            out.append("          if (!t.ok()) {")
            out.append(f'            r.Fail("tagged field {f.name}: " + t.error().what);')
            out.append("          } else if (t.remaining() != 0) {")
            out.append(f'            r.Fail("tagged field {f.name}: trailing bytes");')
            out.append("          }")
            out.append("          continue;")
            out.append("        }")
            out.append("        break;")
        out.append("      default:")
        out.append("        break;")
        out.append("    }")
    out.append("    unknown_tagged_fields.push_back(")
    out.append("        RawTaggedField{tag, std::vector<uint8_t>(data.begin(), data.end())});")
    out.append("  }")
    out.append("}")
    out.append("")


def cannot_write(ctx: Ctx, f: Field) -> str:
    return (f'    return absl::InvalidArgumentError("{ctx.msg.name}.{f.name} '
            f'cannot be written in version " + std::to_string(version));')


def gen_encode(ctx: Ctx, s: Struct, out: list, size_mode: bool):
    q = ctx.qual(s)
    sv = "n" if size_mode else None
    if size_mode:
        out.append(f"size_t {q}::Size(int16_t version) const {{")
        out.append("  size_t n = 0;")
        out.append("  (void)version;")
    else:
        out.append(f"absl::Status {q}::Encode(Writer& w, int16_t version) const {{")
    out.append("  (void)version;")
    out.append(f"  const bool flexible = {ctx.flexible_cond()};")
    out.append("  (void)flexible;")
    for f in regular_fields(s):
        c = guard(ctx, present(ctx, f))
        absent_check = None
        if not size_mode and not f.ignorable:
            absent_check = non_default(ctx, f, member(f))
        if c == "true":
            encode_field(ctx, f, out, "  ", sv)
        elif c != "false":
            out.append(f"  if ({c}) {{")
            encode_field(ctx, f, out, "    ", sv)
            if absent_check:
                out.append(f"  }} else if ({absent_check}) {{")
                out.append(cannot_write(ctx, f))
            out.append("  }")
        elif absent_check:
            out.append(f"  if ({absent_check}) {{")
            out.append(cannot_write(ctx, f))
            out.append("  }")
    if not size_mode:
        for f in tagged_fields(s):
            if not f.ignorable:
                c = guard(ctx, present(ctx, f))
                out.append(f"  if (!({c}) && {non_default(ctx, f, member(f))}) {{")
                out.append(cannot_write(ctx, f))
                out.append("  }")
    # Tagged fields: count, then each known tag merged in order with unknown ones.
    tagged = tagged_fields(s)
    out.append("  if (flexible) {")
    out.append("    uint32_t num_tags = static_cast<uint32_t>(unknown_tagged_fields.size());")
    for f in tagged:
        c = guard(ctx, present(ctx, f))
        out.append(f"    const bool has_{member(f).rstrip('_')} = ({c}) && {non_default(ctx, f, member(f))};")
        out.append(f"    num_tags += has_{member(f).rstrip('_')} ? 1 : 0;")
    if size_mode:
        out.append("    n += UnsignedVarintSize(num_tags);")
    else:
        out.append("    w.WriteUnsignedVarint(num_tags);")
    out.append("    size_t u = 0;")
    for f in tagged:
        if f.tag > 0:
            out.append(f"    while (u < unknown_tagged_fields.size() && unknown_tagged_fields[u].tag < {f.tag}) {{")
            if size_mode:
                out.append("      n += RawTaggedFieldSize(unknown_tagged_fields[u++]);")
            else:
                out.append("      WriteRawTaggedField(w, unknown_tagged_fields[u++]);")
            out.append("    }")
        out.append(f"    if (has_{member(f).rstrip('_')}) {{")
        out.append("      size_t tn = 0;")
        encode_field(ctx, f, out, "      ", "tn")
        if size_mode:
            out.append(f"      n += UnsignedVarintSize({f.tag}) + UnsignedVarintSize(tn) + tn;")
        else:
            out.append(f"      w.WriteUnsignedVarint({f.tag});")
            out.append("      w.WriteUnsignedVarint(static_cast<uint32_t>(tn));")
            encode_field(ctx, f, out, "      ", None)
        out.append("    }")
    out.append("    while (u < unknown_tagged_fields.size()) {")
    if size_mode:
        out.append("      n += RawTaggedFieldSize(unknown_tagged_fields[u++]);")
    else:
        out.append("      WriteRawTaggedField(w, unknown_tagged_fields[u++]);")
    out.append("    }")
    out.append("  }")
    out.append("  return n;" if size_mode else "  return absl::OkStatus();")
    out.append("}")
    out.append("")


def gen_json(ctx: Ctx, s: Struct, out: list):
    q = ctx.qual(s)
    out.append(f"void {q}::ToJson(JsonWriter& j, int16_t version) const {{")
    out.append("  (void)version;")
    out.append("  j.BeginObject();")
    for f in s.fields:
        c = guard(ctx, present(ctx, f))
        if c == "false":
            continue
        if c == "true":
            json_field(ctx, f, out, "  ")
        else:
            out.append(f"  if ({c}) {{")
            json_field(ctx, f, out, "    ")
            out.append("  }")
    out.append("  if (!unknown_tagged_fields.empty()) {")
    out.append('    j.Key("_unknown_tagged_fields");')
    out.append("    j.TaggedFields(unknown_tagged_fields);")
    out.append("  }")
    out.append("  j.EndObject();")
    out.append("}")
    out.append("")


def min_size_table(ctx: Ctx, s: Struct) -> list:
    """Smallest encoding of the struct per valid version (bounds array counts)."""
    sizes = []
    for v in range(ctx.valid.lo, ctx.valid.hi + 1):
        flexible = ctx.msg.flexible.contains(v)
        n = 1 if flexible else 0  # tag buffer count
        for f in regular_fields(s):
            if not f.versions.contains(v):
                continue
            compact = flexible and f.flexible_allowed
            t = f.type.base
            if f.type.array or t in ("bytes", "records"):
                n += 1 if compact else 4
            elif t == "string":
                n += 1 if compact else 2
            elif t in FIXED:
                n += FIXED[t][1]
            elif not f.nullable.contains(v):
                sub = Ctx(ctx.msg)
                n += min_size_table(sub, f.struct)[v - ctx.valid.lo]
            else:
                n += 1
        sizes.append(n)
    return sizes


def gen_min_size(ctx: Ctx, s: Struct, out: list):
    q = ctx.qual(s)
    table = min_size_table(ctx, s)
    out.append(f"size_t {q}::MinSize(int16_t version) {{")
    out.append(f"  static constexpr uint16_t kSizes[] = {{{', '.join(map(str, table))}}};")
    out.append(f"  const int index = version - {ctx.valid.lo};")
    out.append(f"  return index >= 0 && index < {len(table)} ? kSizes[index] : 1;")
    out.append("}")
    out.append("")


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


# ---- test support: fill every present field with a non-default value -----

def fill_scalar(ctx: Ctx, f: Field, x: str, out: list, ind: str, null_ok: str, optional: bool):
    t = f.type.base
    if optional:
        out.append(f"{ind}if (({null_ok}) && rng.Chance(4)) {{")
        out.append(f"{ind}  {x}.reset();")
        out.append(f"{ind}}} else {{")
        init = f"{ctx.qual(f.struct)}()" if f.type.is_struct and not f.type.array else ""
        out.append(f"{ind}  {x}.emplace({init});")
        fill_scalar(ctx, f, f"(*{x})", out, ind + "  ", null_ok, False)
        out.append(f"{ind}}}")
        return
    if t == "bool":
        out.append(f"{ind}{x} = rng.Chance(2);")
    elif t in INT_LIMITS:
        out.append(f"{ind}{x} = static_cast<{FIXED[t][0]}>(rng.Next());")
    elif t == "float64":
        out.append(f"{ind}{x} = static_cast<double>(rng.Next() % 100000) / 8.0;")
    elif t == "uuid":
        out.append(f"{ind}{x} = rng.NextUuid();")
    elif t == "string":
        out.append(f"{ind}{x} = rng.NextString();")
    elif t == "bytes":
        out.append(f"{ind}{x} = rng.NextBytes();")
    elif t == "records":
        out.append(f"{ind}{x} = ({null_ok}) && rng.Chance(4) ? RecordsRef{{}} : SampleRecords();")
    else:
        out.append(f"{ind}Fill({x}, version, rng, depth + 1);")


def fill_field(ctx: Ctx, f: Field, out: list, ind: str):
    x = "x." + member(f)
    null_ok = ctx.cond(f.nullable)
    if not f.type.array:
        fill_scalar(ctx, f, x, out, ind, null_ok, is_optional(f))
        return
    if is_optional(f):
        out.append(f"{ind}if (({null_ok}) && rng.Chance(4)) {{")
        out.append(f"{ind}  {x}.reset();")
        out.append(f"{ind}  return;")
        out.append(f"{ind}}}")
        v = f"{x}.emplace()"
    else:
        v = x
    out.append(f"{ind}{{")
    out.append(f"{ind}  auto& v = {v};")
    out.append(f"{ind}  v.clear();")
    out.append(f"{ind}  const int count = depth > 3 ? 0 : static_cast<int>(rng.Next() % 3);")
    out.append(f"{ind}  for (int i = 0; i < count; ++i) {{")
    out.append(f"{ind}    auto& e = v.emplace_back();")
    fill_scalar(ctx, f, "e", out, ind + "    ", "false", False)
    out.append(f"{ind}  }}")
    out.append(f"{ind}}}")


def gen_fill(ctx: Ctx, s: Struct, out: list):
    q = ctx.qual(s)
    out.append(f"void Fill({q}& x, int16_t version, Rng& rng, int depth) {{")
    out.append("  (void)version; (void)rng; (void)depth;")
    out.append(f"  const bool flexible = {ctx.flexible_cond()};")
    out.append("  (void)flexible;")
    for f in s.fields:
        c = guard(ctx, present(ctx, f))
        if c == "false":
            continue
        out.append(f"  if ({c}) [&] {{")
        body = []
        fill_field(ctx, f, body, "    ")
        out += body
        out.append("  }();")
    out.append("  if (flexible && rng.Chance(5)) {")
    out.append("    x.unknown_tagged_fields.push_back(RawTaggedField{")
    out.append("        static_cast<uint32_t>(1000 + rng.Next() % 100), rng.NextBytes()});")
    out.append("  }")
    out.append("}")
    out.append("")
