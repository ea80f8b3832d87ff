"""C++ types and value expressions for the generated Kafka codec.

The vocabulary the other generator modules share: the C++ type of each schema
type (FIXED, INT_LIMITS), member names (snake), the per-message context that
turns a version range into a C++ condition (Ctx), and the expressions for a
field's default and "differs from its default" test.
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



def regular_fields(s: Struct):
    return [f for f in s.fields if f.tag is None]


def tagged_fields(s: Struct):
    return sorted((f for f in s.fields if f.tag is not None), key=lambda f: f.tag)


def guard(ctx: Ctx, v: Versions) -> str:
    c = ctx.cond(v)
    return c

