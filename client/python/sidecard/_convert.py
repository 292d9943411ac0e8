"""Turns protocol messages into plain Python values, and short names into enum labels.

The dictionaries keep the proto field names and include every field (unset
scalars as their defaults, unset sub-messages as ``None``); 64-bit integers are
``int``; enum values are short lower-case names (``SIDECAR_FORMAT_BIN`` ->
``"bin"``, ``CLEANUP_ACTION_WOULD_REMOVE`` -> ``"would_remove"``, the
``..._UNSPECIFIED`` value -> ``None``); a ``FilePath`` becomes one ``str`` that is
the exact file name (``os.fsdecode`` of its raw bytes, so even a non-UTF-8 name
round-trips through ``os.fsencode``).
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from google.protobuf.message import Message

_FILE_PATH = "sidecar.v1.FilePath"


def _enum_prefix(enum: EnumDescriptor) -> str:
    """`SidecarFormat` -> `SIDECAR_FORMAT_`: the prefix of the enum's value names."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", enum.name).upper() + "_"


def enum_name(enum: EnumDescriptor, number: int) -> str | int | None:
    """The short name of an enum value; None for UNSPECIFIED, the number if unknown."""
    value = enum.values_by_number.get(number)
    if value is None:
        return number
    name = value.name.removeprefix(_enum_prefix(enum)).lower()
    return None if name == "unspecified" else name


def enum_choices(enum: EnumDescriptor) -> list[str]:
    """The short names a caller may use for an enum (every value but UNSPECIFIED)."""
    names = [enum_name(enum, value.number) for value in enum.values]
    return [name for name in names if isinstance(name, str)]


def enum_label(enum: EnumDescriptor, name: str, what: str) -> str:
    """The full label of the enum value called `name` (short, any case), as message
    constructors accept it (`"delete"` -> `"CLEANUP_MODE_DELETE"`); ValueError if none."""
    label = _enum_prefix(enum) + name.strip().upper()
    if label not in enum.values_by_name or label.endswith("_UNSPECIFIED"):
        raise ValueError(f"{what} {name!r} is not one of {', '.join(enum_choices(enum))}")
    return label


def file_path(message: Message) -> str | None:
    """A FilePath as one str: the exact bytes decoded like os.fsdecode; None if empty."""
    if message.raw_path:
        return os.fsdecode(message.raw_path)
    return message.path or None


def _is_map(field: FieldDescriptor) -> bool:
    return field.type == FieldDescriptor.TYPE_MESSAGE and bool(
        field.message_type.GetOptions().map_entry
    )


def _value(field: FieldDescriptor, value: Any) -> Any:
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        if field.message_type.full_name == _FILE_PATH:
            return file_path(value)
        return to_dict(value)
    if field.type == FieldDescriptor.TYPE_ENUM:
        return enum_name(field.enum_type, value)
    return value


def to_dict(message: Message) -> dict[str, Any]:
    """Converts a message (recursively) into a dict as the module docstring describes."""
    out: dict[str, Any] = {}
    descriptor: Descriptor = message.DESCRIPTOR
    for field in descriptor.fields:
        value = getattr(message, field.name)
        if _is_map(field):
            value_field = field.message_type.fields_by_name["value"]
            out[field.name] = {key: _value(value_field, item) for key, item in value.items()}
        elif field.label == FieldDescriptor.LABEL_REPEATED:
            out[field.name] = [_value(field, item) for item in value]
        elif field.type == FieldDescriptor.TYPE_MESSAGE and not message.HasField(field.name):
            out[field.name] = None
        else:
            out[field.name] = _value(field, value)
    return out


def batch(
    response: Message, items_field: str
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Splits one message of a streamed call into its items and its summary (if last)."""
    items = [to_dict(item) for item in getattr(response, items_field)]
    summary = to_dict(response.summary) if response.HasField("summary") else None
    return items, summary


def export_batch(response: Message) -> tuple[list[bytes], dict[str, Any] | None]:
    """Splits one Export message into its chunk of output text and its summary (if last)."""
    chunks = [response.chunk] if response.chunk else []
    summary = to_dict(response.summary) if response.HasField("summary") else None
    return chunks, summary


def read_result(response: Message) -> dict[str, Any]:
    """A ReadSidecarResponse as a dict whose `document` is the parsed document ({} if none)."""
    result = to_dict(response)
    result["document"] = json.loads(result.pop("document_json") or "{}")
    return result
