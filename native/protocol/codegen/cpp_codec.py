"""Decode, Encode, Size, ToJson and MinSize bodies for one generated struct.

Each body takes the version and tests per field whether it is present, so the
code stays proportional to the schema rather than to versions x fields.
"""

from cpp_types import (FIXED, Ctx, compact_expr, guard, is_optional, member,
                       min_elem_size, non_default, present, regular_fields,
                       tagged_fields)
from schema import Field, Struct


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


