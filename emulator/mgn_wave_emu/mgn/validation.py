"""Checks a value against a botocore shape, including the limits botocore's client skips.

botocore's `ParamValidator` enforces required members, types, unknown keys and `min` only
(docs/aws-facts.md §1.2). The service also enforces `max`, `pattern` and `enum`, so the emulator walks the
whole shape itself. The same walk checks the emulator's own responses against the output shapes.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

    from botocore.model import ListShape, MapShape, Shape, StructureShape


@dataclass(frozen=True)
class FieldError:
    """One violation, named like the service's `fieldList` entries (`filters.sourceServerIDs`)."""

    name: str
    message: str


def validate(shape: Shape, value: Any, path: str = "") -> list[FieldError]:
    """Every way `value` breaks `shape`. Values are never echoed: tag maps are `sensitive`."""
    return list(_walk(shape, value, path))


def wire_key(member_name: str, member_shape: Shape) -> str:
    """The key a member has in a rest-json body (botocore's serializer honours `locationName`)."""
    if member_shape.serialization.get("location"):
        return member_name
    name = member_shape.serialization.get("name", member_name)
    return str(name)


def _walk(shape: Shape, value: Any, path: str) -> Iterator[FieldError]:
    checker = _CHECKERS.get(shape.type_name)
    if checker is None:
        # document/blob/timestamp shapes do not occur in the MGN operations we emulate
        return
    yield from checker(shape, value, path)


def _structure(shape: Shape, value: Any, path: str) -> Iterator[FieldError]:
    if not isinstance(value, dict):
        yield FieldError(path, "Member must be an object")
        return
    struct: StructureShape = shape  # type: ignore[assignment]
    known = {wire_key(name, member): (name, member) for name, member in struct.members.items()}
    for key in value:
        if key not in known:
            yield FieldError(_join(path, key), "Unknown member")
    for key, (name, member) in known.items():
        member_value = value.get(key)
        member_path = _join(path, key)
        if member_value is None:
            # JSON null means "absent" to the service, as it does to botocore's serializer
            if name in struct.required_members:
                yield FieldError(member_path, "Member must not be null")
            continue
        yield from _walk(member, member_value, member_path)


def _list(shape: Shape, value: Any, path: str) -> Iterator[FieldError]:
    if not isinstance(value, list):
        yield FieldError(path, "Member must be a list")
        return
    yield from _length(shape, len(value), path)
    member: Shape = shape.member  # type: ignore[attr-defined]
    for index, item in enumerate(value):
        yield from _walk(member, item, f"{path}[{index}]")


def _map(shape: Shape, value: Any, path: str) -> Iterator[FieldError]:
    if not isinstance(value, dict):
        yield FieldError(path, "Member must be a map")
        return
    yield from _length(shape, len(value), path)
    map_shape: MapShape = shape  # type: ignore[assignment]
    # Entries are named without their key: MGN marks tag maps `sensitive`
    for key, item in value.items():
        yield from _walk(map_shape.key, key, f"{path}.key")
        yield from _walk(map_shape.value, item, f"{path}.value")


def _string(shape: Shape, value: Any, path: str) -> Iterator[FieldError]:
    if not isinstance(value, str):
        yield FieldError(path, "Member must be a string")
        return
    enum: list[str] = getattr(shape, "enum", [])
    if enum and value not in enum:
        yield FieldError(path, f"Member must satisfy enum value set: [{', '.join(enum)}]")
        return
    yield from _length(shape, len(value), path)
    pattern = shape.metadata.get("pattern")
    if pattern is not None:
        compiled = _compiled(pattern)
        if compiled is not None and compiled.fullmatch(value) is None:
            yield FieldError(path, f"Member must satisfy regular expression pattern: {pattern}")


def _number(shape: Shape, value: Any, path: str) -> Iterator[FieldError]:
    integral = shape.type_name in {"integer", "long"}
    accepted: tuple[type, ...] = (int,) if integral else (int, float)
    # bool is an int subclass; the service's JSON parser does not accept true for a number
    if isinstance(value, bool) or not isinstance(value, accepted):
        yield FieldError(path, f"Member must be of type {shape.type_name}")
        return
    minimum, maximum = shape.metadata.get("min"), shape.metadata.get("max")
    if minimum is not None and value < minimum:
        yield FieldError(path, f"Member must have value greater than or equal to {minimum}")
    if maximum is not None and value > maximum:
        yield FieldError(path, f"Member must have value less than or equal to {maximum}")


def _boolean(shape: Shape, value: Any, path: str) -> Iterator[FieldError]:
    if not isinstance(value, bool):
        yield FieldError(path, "Member must be of type boolean")


def _length(shape: Shape | ListShape | MapShape, length: int, path: str) -> Iterator[FieldError]:
    minimum, maximum = shape.metadata.get("min"), shape.metadata.get("max")
    if minimum is not None and length < minimum:
        yield FieldError(path, f"Member must have length greater than or equal to {minimum}")
    if maximum is not None and length > maximum:
        yield FieldError(path, f"Member must have length less than or equal to {maximum}")


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        # Model patterns are Java regexes; one Python cannot compile is skipped, not guessed at
        return None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


_CHECKERS = {
    "structure": _structure,
    "list": _list,
    "map": _map,
    "string": _string,
    "integer": _number,
    "long": _number,
    "float": _number,
    "double": _number,
    "boolean": _boolean,
}
