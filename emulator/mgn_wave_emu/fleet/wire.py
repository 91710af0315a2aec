"""The `json` wire protocol of SSM (AWS JSON 1.1, `X-Amz-Target: AmazonSSM.<Operation>`), read from
botocore's service model.

Requests are validated against the model the way the service does it, including the limits
botocore's client skips (docs/aws-facts.md §1.2: 51 InstanceIds, a 101-character Comment pass the client):
a violation is the service's generic `ValidationException`. Errors go back as `{"__type", "message"}`
with HTTP 400, which botocore's JSON parser turns into `ClientError` with the code.
"""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any

import botocore.session
from botocore.model import NoShapeFoundError

from mgn_wave_emu.mgn.validation import validate
from mgn_wave_emu.mgn.wire import check_output, http_response

if TYPE_CHECKING:
    from botocore.awsrequest import AWSPreparedRequest, AWSResponse
    from botocore.model import OperationModel, ServiceModel

    from mgn_wave_emu.mgn.validation import FieldError

CONTENT_TYPE = "application/x-amz-json-1.1"
# Members whose real values break their own model pattern (SSM returns "PT3M" in a StringDateTime).
_UNCHECKED_OUTPUT_MEMBERS = frozenset({"ExecutionElapsedTime"})


@functools.cache
def ssm_model() -> ServiceModel:
    return botocore.session.get_session().get_service_model("ssm")


class SsmServiceError(Exception):
    """A modelled SSM error (or the service's generic ValidationException)."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def validation_exception(errors: list[FieldError]) -> SsmServiceError:
    # The service's wording; values are never echoed (SendCommand's Parameters are sensitive).
    details = "; ".join(
        f"Value at '{'.'.join(_lower_first(p) for p in e.name.split('.'))}' failed to satisfy constraint: {e.message}"
        for e in errors
    )
    noun = "error" if len(errors) == 1 else "errors"
    return SsmServiceError("ValidationException", f"{len(errors)} validation {noun} detected: {details}")


def request_body(request: AWSPreparedRequest) -> dict[str, Any]:
    raw = request.body
    if raw is not None and not isinstance(raw, bytes | bytearray | str):
        raw = raw.read()
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SsmServiceError("SerializationException", f"Malformed JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise SsmServiceError("SerializationException", "The request body must be a JSON object")
    return body


def parse_request(operation: OperationModel, request: AWSPreparedRequest) -> dict[str, Any]:
    body = request_body(request)
    if operation.input_shape is not None:
        errors = validate(operation.input_shape, body)
        if errors:
            raise validation_exception(errors)
    return body


def success_response(
    operation: OperationModel, request: AWSPreparedRequest, body: dict[str, Any], request_id: str
) -> AWSResponse:
    checked = _without_unchecked(body)
    check_output(operation.output_shape, checked, operation.name, service="ssm")
    return http_response(request, 200, {"x-amzn-RequestId": request_id}, json.dumps(body).encode(), CONTENT_TYPE)


def error_response(request: AWSPreparedRequest, error: SsmServiceError, request_id: str) -> AWSResponse:
    body: dict[str, Any] = {"__type": error.code, "message": error.message}
    try:
        shape = ssm_model().shape_for(error.code)
    except NoShapeFoundError:  # the service's generic errors (SerializationException, …)
        shape = None
    if shape is not None and "Message" in getattr(shape, "members", {}):
        body["Message"] = error.message
    return http_response(
        request, error.status, {"x-amzn-RequestId": request_id}, json.dumps(body).encode(), CONTENT_TYPE
    )


def _without_unchecked(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_unchecked(v) for k, v in value.items() if k not in _UNCHECKED_OUTPUT_MEMBERS}
    if isinstance(value, list):
        return [_without_unchecked(item) for item in value]
    return value
