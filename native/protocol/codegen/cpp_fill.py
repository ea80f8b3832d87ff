"""Generated test support: Fill() gives every present field a non-default value.

The fill functions land in the kop_protocol_testing library (tests and fuzzers
only), where the round-trip tests encode, decode and compare filled messages.
"""

from cpp_types import FIXED, INT_LIMITS, Ctx, guard, is_optional, member, present
from schema import Field, Struct


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
