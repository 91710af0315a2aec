"""Turn pydantic's validation errors into our typed error that names the field."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from mgn_wave.core.errors import InvalidInputError

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

ModelT = TypeVar("ModelT", bound=BaseModel)


def _field_name(model: type[BaseModel], error: ErrorDetails) -> str:
    """The field as the caller spelt it (the alias), with list positions: `instanceIds[3]`."""
    name = ""
    for part in error["loc"]:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            field = model.model_fields.get(str(part)) if not name else None
            spelt = field.alias if field and field.alias else str(part)
            name += f".{spelt}" if name else spelt
    return name or "(input)"


def _problem(model: type[BaseModel], error: ErrorDetails) -> str:
    if error["type"] == "extra_forbidden":
        allowed = ", ".join(f.alias or n for n, f in model.model_fields.items())
        return f"unknown field; allowed fields are: {allowed}"
    if error["type"] == "missing":
        return "required field is missing"
    return str(error["msg"])


def parse_model(model: type[ModelT], data: Any) -> ModelT:
    """Validate `data` as `model`, or raise InvalidInputError naming the first bad field."""
    if not isinstance(data, dict):
        raise InvalidInputError("(input)", f"must be a JSON object, got {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InvalidInputError(_field_name(model, first), _problem(model, first)) from None


def first_error(model: type[BaseModel], exc: ValidationError) -> tuple[str, str]:
    """`(python field name, message)` of the first error, for callers that name fields their own
    way (an environment variable, a CLI flag)."""
    first = exc.errors()[0]
    loc = str(first["loc"][0]) if first["loc"] else ""
    name = next((n for n, f in model.model_fields.items() if loc in (n, f.alias)), loc)
    return name, str(first["msg"]).removeprefix("Value error, ")
