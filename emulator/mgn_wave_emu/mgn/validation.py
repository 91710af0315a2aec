"""Checks a value against a botocore shape, including the limits botocore's client skips.

botocore's `ParamValidator` enforces required members, types, unknown keys and `min` only
(docs/mgn-facts.md §1.2). The service also enforces `max`, `pattern` and `enum`, so the emulator walks the
whole shape itself. The same walk checks the emulator's own responses against the output shapes.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botocore.model import ListShape, MapShape, Shape, StructureShape


@dataclass(frozen=True)
class FieldError:
    """One violation, named like the service's `fieldList` entries (`filters.sourceServerIDs`)."""

    name: str
    message: str


def validate(shape: Shape, value: Any, path: str = "") -> list[FieldError]:
    """Every way `value` breaks `shape`. Values are never echoed: tag maps are `sensitive`."""
    errors: list[FieldError] = []
    _checker(shape)(value, path, errors)
    return errors


def wire_key(member_name: str, member_shape: Shape) -> str:
    """The key a member has in a rest-json body (botocore's serializer honours `locationName`)."""
    if member_shape.serialization.get("location"):
        return member_name
    name = member_shape.serialization.get("name", member_name)
    return str(name)


# A check appends what it finds to `errors`; it is built once per shape, since the emulator checks
# every response it sends (a watch's DescribeSourceServers of a thousand servers walks ~100,000
# values) and a shape's members, limits and pattern never change.
_Check = Callable[[Any, str, list[FieldError]], None]
# By shape identity, holding the shape: botocore hands out one Shape object per member it resolved.
_CHECKS: dict[int, tuple[Shape, _Check]] = {}


def _checker(shape: Shape) -> _Check:
    cached = _CHECKS.get(id(shape))
    if cached is not None and cached[0] is shape:
        return cached[1]
    build = _BUILDERS.get(shape.type_name)
    # document/blob/timestamp shapes do not occur in the MGN operations we emulate
    check = build(shape) if build is not None else _nothing
    _CHECKS[id(shape)] = (shape, check)
    return check


def _nothing(value: Any, path: str, errors: list[FieldError]) -> None:
    del value, path, errors


def _structure(shape: Shape) -> _Check:
    struct: StructureShape = shape  # type: ignore[assignment]
    known = {wire_key(name, member): (name, member) for name, member in struct.members.items()}
    required = set(struct.required_members)

    def check(value: Any, path: str, errors: list[FieldError]) -> None:
        if not isinstance(value, dict):
            errors.append(FieldError(path, "Member must be an object"))
            return
        for key in value:
            if key not in known:
                errors.append(FieldError(_join(path, key), "Unknown member"))
        for key, (name, member) in known.items():
            member_value = value.get(key)
            if member_value is None:
                # JSON null means "absent" to the service, as it does to botocore's serializer
                if name in required:
                    errors.append(FieldError(_join(path, key), "Member must not be null"))
                continue
            _checker(member)(member_value, _join(path, key), errors)

    return check


def _list(shape: Shape) -> _Check:
    length = _length(shape)
    member: Shape = shape.member  # type: ignore[attr-defined]

    def check(value: Any, path: str, errors: list[FieldError]) -> None:
        if not isinstance(value, list):
            errors.append(FieldError(path, "Member must be a list"))
            return
        length(len(value), path, errors)
        item_check = _checker(member)
        for index, item in enumerate(value):
            item_check(item, f"{path}[{index}]", errors)

    return check


def _map(shape: Shape) -> _Check:
    length = _length(shape)
    map_shape: MapShape = shape  # type: ignore[assignment]

    def check(value: Any, path: str, errors: list[FieldError]) -> None:
        if not isinstance(value, dict):
            errors.append(FieldError(path, "Member must be a map"))
            return
        length(len(value), path, errors)
        key_check, value_check = _checker(map_shape.key), _checker(map_shape.value)
        # Entries are named without their key: MGN marks tag maps `sensitive`
        for key, item in value.items():
            key_check(key, f"{path}.key", errors)
            value_check(item, f"{path}.value", errors)

    return check


def _string(shape: Shape) -> _Check:
    enum: list[str] = getattr(shape, "enum", [])
    allowed = frozenset(enum)
    length = _length(shape)
    pattern = shape.metadata.get("pattern")
    compiled = _compiled(pattern) if pattern is not None else None

    def check(value: Any, path: str, errors: list[FieldError]) -> None:
        if not isinstance(value, str):
            errors.append(FieldError(path, "Member must be a string"))
            return
        if allowed and value not in allowed:
            errors.append(FieldError(path, f"Member must satisfy enum value set: [{', '.join(enum)}]"))
            return
        length(len(value), path, errors)
        if compiled is not None and compiled.fullmatch(value) is None:
            errors.append(FieldError(path, f"Member must satisfy regular expression pattern: {pattern}"))

    return check


def _number(shape: Shape) -> _Check:
    type_name = shape.type_name
    accepted: tuple[type, ...] = (int,) if type_name in {"integer", "long"} else (int, float)
    minimum, maximum = shape.metadata.get("min"), shape.metadata.get("max")

    def check(value: Any, path: str, errors: list[FieldError]) -> None:
        # bool is an int subclass; the service's JSON parser does not accept true for a number
        if isinstance(value, bool) or not isinstance(value, accepted):
            errors.append(FieldError(path, f"Member must be of type {type_name}"))
            return
        if minimum is not None and value < minimum:
            errors.append(FieldError(path, f"Member must have value greater than or equal to {minimum}"))
        if maximum is not None and value > maximum:
            errors.append(FieldError(path, f"Member must have value less than or equal to {maximum}"))

    return check


def _boolean(shape: Shape) -> _Check:
    del shape

    def check(value: Any, path: str, errors: list[FieldError]) -> None:
        if not isinstance(value, bool):
            errors.append(FieldError(path, "Member must be of type boolean"))

    return check


def _length(shape: Shape | ListShape | MapShape) -> Callable[[int, str, list[FieldError]], None]:
    minimum, maximum = shape.metadata.get("min"), shape.metadata.get("max")

    def check(length: int, path: str, errors: list[FieldError]) -> None:
        if minimum is not None and length < minimum:
            errors.append(FieldError(path, f"Member must have length greater than or equal to {minimum}"))
        if maximum is not None and length > maximum:
            errors.append(FieldError(path, f"Member must have length less than or equal to {maximum}"))

    return check


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        # Model patterns are Java regexes; one Python cannot compile is skipped, not guessed at
        return None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


_BUILDERS: dict[str, Callable[[Shape], _Check]] = {
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
