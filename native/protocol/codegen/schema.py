"""Reads Kafka's message schemas (common/message/*.json) into a small model.

The schema format is documented in Kafka's common/message/README.md. The
parser is strict: an attribute it does not know fails the build, so a new
upstream attribute is looked at rather than silently ignored.
"""

import json
import re
from dataclasses import dataclass, field
from typing import Optional

INT16_MAX = 32767

PRIMITIVES = {
    "bool", "int8", "int16", "uint16", "int32", "uint32", "int64", "float64",
    "string", "uuid", "bytes", "records",
}

MESSAGE_KEYS = {
    "apiKey", "type", "listeners", "name", "validVersions", "deprecatedVersions",
    "flexibleVersions", "latestVersionUnstable", "commonStructs", "fields",
}
FIELD_KEYS = {
    "name", "type", "versions", "nullableVersions", "default", "ignorable",
    "mapKey", "entityType", "about", "tag", "taggedVersions",
    "flexibleVersions", "zeroCopy", "fields",
}


class SchemaError(Exception):
    pass


@dataclass(frozen=True)
class Versions:
    """An inclusive version range; empty when lo > hi."""
    lo: int
    hi: int

    @staticmethod
    def parse(text: Optional[str]) -> "Versions":
        if text is None or text == "none":
            return Versions(0, -1)
        text = text.strip()
        m = re.fullmatch(r"(\d+)\+", text)
        if m:
            return Versions(int(m.group(1)), INT16_MAX)
        m = re.fullmatch(r"(\d+)-(\d+)", text)
        if m:
            return Versions(int(m.group(1)), int(m.group(2)))
        m = re.fullmatch(r"(\d+)", text)
        if m:
            return Versions(int(m.group(1)), int(m.group(1)))
        raise SchemaError(f"bad version range {text!r}")

    def empty(self) -> bool:
        return self.lo > self.hi

    def contains(self, v: int) -> bool:
        return self.lo <= v <= self.hi

    def intersect(self, other: "Versions") -> "Versions":
        return Versions(max(self.lo, other.lo), min(self.hi, other.hi))

    def covers(self, other: "Versions") -> bool:
        return other.empty() or (self.lo <= other.lo and other.hi <= self.hi)


@dataclass
class FieldType:
    """`base` is a primitive name or a struct name; `array` marks []T."""
    base: str
    array: bool = False

    @staticmethod
    def parse(text: str) -> "FieldType":
        if text.startswith("[]"):
            return FieldType(text[2:], True)
        return FieldType(text, False)

    @property
    def is_struct(self) -> bool:
        return self.base not in PRIMITIVES


@dataclass
class Field:
    name: str
    type: FieldType
    versions: Versions
    nullable: Versions
    default: Optional[str]
    ignorable: bool
    tag: Optional[int]
    tagged: Versions
    # False for the one field Kafka keeps non-compact in flexible versions
    # (RequestHeader.ClientId).
    flexible_allowed: bool
    about: str
    struct: Optional["Struct"] = None  # element struct for struct types


@dataclass
class Struct:
    name: str
    fields: list = field(default_factory=list)


@dataclass
class Message:
    name: str
    kind: str  # request | response | header | data
    api_key: Optional[int]
    valid: Versions
    flexible: Versions
    listeners: list
    latest_unstable: bool
    root: Struct = None
    structs: list = field(default_factory=list)  # nested, dependency order


def strip_comments(text: str) -> str:
    """Removes // comments outside strings (the schemas are JSON + comments)."""
    out = []
    i = 0
    in_string = False
    while i < len(text):
        c = text[i]
        if in_string:
            out.append(c)
            if c == "\\" and i + 1 < len(text):
                out.append(text[i + 1])
                i += 2
                continue
            if c == '"':
                in_string = False
        elif c == '"':
            in_string = True
            out.append(c)
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = len(text) if j < 0 else j
            continue
        else:
            out.append(c)
        i += 1
    return "".join(out)


def _default_text(v):
    """Defaults appear as JSON strings, numbers or booleans; keep text."""
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _parse_field(d: dict, msg: Message, structs: dict, where: str) -> Field:
    unknown = set(d) - FIELD_KEYS
    if unknown:
        raise SchemaError(f"{where}: unknown field attributes {sorted(unknown)}")
    ftype = FieldType.parse(d["type"])
    versions = Versions.parse(d["versions"])
    tag = d.get("tag")
    tagged = Versions.parse(d.get("taggedVersions"))
    if tag is not None and tagged.empty():
        raise SchemaError(f"{where}.{d['name']}: tag without taggedVersions")
    flex = d.get("flexibleVersions")
    if flex not in (None, "none"):
        raise SchemaError(f"{where}.{d['name']}: unsupported flexibleVersions {flex}")
    f = Field(
        name=d["name"],
        type=ftype,
        versions=versions,
        nullable=Versions.parse(d.get("nullableVersions")),
        default=_default_text(d.get("default")),
        ignorable=bool(d.get("ignorable", False)),
        tag=tag,
        tagged=tagged,
        flexible_allowed=flex is None,
        about=d.get("about", ""),
    )
    if ftype.is_struct:
        if "fields" in d:
            s = Struct(ftype.base)
            s.fields = [_parse_field(c, msg, structs, f"{where}.{f.name}")
                        for c in d["fields"]]
            if ftype.base in structs:
                raise SchemaError(f"{where}: duplicate struct {ftype.base}")
            structs[ftype.base] = s
            msg.structs.append(s)
            f.struct = s
        else:
            f.struct = ftype.base  # a commonStruct, resolved later
    elif "fields" in d:
        raise SchemaError(f"{where}.{f.name}: fields on primitive type")
    return f


def parse_message(text: str, origin: str = "?") -> Message:
    d = json.loads(strip_comments(text))
    unknown = set(d) - MESSAGE_KEYS
    if unknown:
        raise SchemaError(f"{origin}: unknown message attributes {sorted(unknown)}")
    msg = Message(
        name=d["name"],
        kind=d["type"],
        api_key=d.get("apiKey"),
        valid=Versions.parse(d["validVersions"]),
        flexible=Versions.parse(d.get("flexibleVersions")),
        listeners=d.get("listeners", []),
        latest_unstable=bool(d.get("latestVersionUnstable", False)),
    )
    structs = {}
    common = []
    for c in d.get("commonStructs", []):
        s = Struct(c["name"])
        structs[s.name] = s
        common.append((s, c))
    for s, c in common:
        s.fields = [_parse_field(f, msg, structs, f"{origin}.{s.name}")
                    for f in c["fields"]]
    msg.root = Struct(msg.name)
    msg.root.fields = [_parse_field(f, msg, structs, origin)
                       for f in d.get("fields", [])]

    def resolve(s: Struct):
        for f in s.fields:
            if isinstance(f.struct, str):
                if f.struct not in structs:
                    raise SchemaError(f"{origin}: unknown struct {f.struct}")
                f.struct = structs[f.struct]
    for s in [msg.root] + list(structs.values()):
        resolve(s)
    # Declaration order: every struct after the structs its fields use.
    ordered, seen = [], set()

    def visit(s: Struct):
        if s.name in seen:
            return
        seen.add(s.name)
        for f in s.fields:
            if f.struct is not None:
                visit(f.struct)
        ordered.append(s)
    for s in structs.values():
        visit(s)
    msg.structs = ordered
    return msg
