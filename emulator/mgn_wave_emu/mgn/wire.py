"""The rest-json wire format of MGN, read from botocore's service model.

Requests are decoded the way the service would see them (URI labels, query string, JSON body);
responses are encoded the way botocore's `RestJSONParser` reads them back: the error code in the
`x-amzn-ErrorType` header, modelled members in the JSON body, header-bound members (`Retry-After`)
in headers. botocore then merges the modelled members into `ClientError.response`.
"""

from __future__ import annotations

import functools
import json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders
from moto.core.botocore_stubber import MockRawResponse

from mgn_wave_emu.mgn.validation import FieldError, validate, wire_key

if TYPE_CHECKING:
    from botocore.awsrequest import AWSPreparedRequest
    from botocore.model import OperationModel, ServiceModel, Shape, StructureShape


@functools.cache
def service_model() -> ServiceModel:
    """botocore's MGN model: the single source of operations, shapes and limits."""
    return botocore.session.get_session().get_service_model("mgn")


class MgnServiceError(Exception):
    """A modelled MGN error, raised inside the emulator and turned into an HTTP response.

    `members` are the error shape's body members; `headers` carries header-bound members."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        members: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        error_shape = error_shape_for(code)
        if error_shape is None:
            raise ValueError(f"{code} is not an error in the MGN model")
        self.code = code
        self.message = message
        self.members = members or {}
        self.headers = headers or {}
        self.status = status if status is not None else int(error_shape.metadata["error"]["httpStatusCode"])


def error_shape_for(code: str) -> StructureShape | None:
    """The modelled error shape for an error code, or None if MGN has no such error."""
    # botocore-stubs types the code as int; botocore looks it up by name
    return service_model().shape_for_error_code(code)  # type: ignore[arg-type,return-value]


def validation_error(errors: list[FieldError], reason: str = "fieldValidationFailed") -> MgnServiceError:
    """The service's ValidationException: one `fieldList` entry per violation."""
    details = "; ".join(f"Value at '{e.name}' failed to satisfy constraint: {e.message}" for e in errors)
    noun = "error" if len(errors) == 1 else "errors"
    return MgnServiceError(
        "ValidationException",
        f"{len(errors)} validation {noun} detected: {details}",
        members={
            "reason": reason,
            "fieldList": [{"name": e.name, "message": e.message} for e in errors],
        },
    )


def parse_request(operation: OperationModel, request: AWSPreparedRequest) -> dict[str, Any]:
    """The request's parameters keyed by member name, validated against the input shape."""
    shape = operation.input_shape
    if shape is None:
        return {}
    url = urlsplit(request.url)
    labels = _uri_labels(operation, url.path)
    query = parse_qs(url.query, keep_blank_values=True)
    params: dict[str, Any] = _body(request)
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire_name = member.serialization.get("name", name)
        if location == "uri" and wire_name in labels:
            params[name] = labels[wire_name]
        elif location == "querystring" and wire_name in query:
            values = query[wire_name]
            params[name] = values if member.type_name == "list" else _scalar(member, values[0])
        elif location == "header" and wire_name in request.headers:
            params[name] = _scalar(member, _text(request.headers[wire_name]))
    errors = validate(shape, params)
    if errors:
        raise validation_error(errors)
    # Operations read members by name; for MGN the JSON keys are the member names
    return {name: params[wire_key(name, m)] for name, m in shape.members.items() if wire_key(name, m) in params}


def success_response(
    operation: OperationModel, request: AWSPreparedRequest, body: dict[str, Any], request_id: str
) -> AWSResponse:
    """The modelled success status with `body`, which must satisfy the output shape."""
    check_output(operation.output_shape, body, operation.name)
    status = int(operation.http.get("responseCode", 200))
    payload = b"" if status == 204 else json.dumps(body).encode()
    return http_response(request, status, {"x-amzn-RequestId": request_id}, payload)


def error_response(request: AWSPreparedRequest, error: MgnServiceError, request_id: str) -> AWSResponse:
    """The error as the service sends it; botocore reads the code from `x-amzn-ErrorType`."""
    body = {"message": error.message, **error.members}
    error_shape = error_shape_for(error.code)
    if error_shape is not None and "code" in error_shape.members:
        body["code"] = error.code
    check_output(error_shape, {**body, **_header_members(error_shape, error.headers)}, error.code)
    headers = {"x-amzn-ErrorType": error.code, "x-amzn-RequestId": request_id, **error.headers}
    return http_response(request, error.status, headers, json.dumps(body).encode())


def http_response(
    request: AWSPreparedRequest,
    status: int,
    headers: dict[str, str],
    payload: bytes,
    content_type: str = "application/json",
) -> AWSResponse:
    """An HTTP answer that botocore parses as if the service sent it. Shared by every emulator that
    answers from the `before-send` hook (rest-json MGN here, json SSM in `mgn_wave_emu.fleet`)."""
    all_headers = HTTPHeaders()
    for name, value in {
        "Content-Type": content_type,
        "Content-Length": str(len(payload)),
        **headers,
    }.items():
        all_headers[name] = value
    return AWSResponse(request.url, status, all_headers, MockRawResponse(payload))


def check_output(shape: Shape | None, body: dict[str, Any], what: str, service: str = "mgn") -> None:
    """Raise if `body` does not fit `shape`: a response that breaks its shape is a bug in the emulator,
    not a service answer, so it fails loudly instead of botocore silently dropping the field."""
    if shape is None:
        return
    errors = validate(shape, body)
    if errors:
        listed = "; ".join(f"{e.name}: {e.message}" for e in errors)
        raise AssertionError(f"mgn-wave {service} emulator produced an invalid {what} response: {listed}")


_response = http_response
_check_output = check_output


def _header_members(shape: StructureShape | None, headers: dict[str, str]) -> dict[str, Any]:
    if shape is None:
        return {}
    found: dict[str, Any] = {}
    for name, member in shape.members.items():
        header = member.serialization.get("name")
        if member.serialization.get("location") == "header" and header in headers:
            found[name] = _scalar(member, headers[header])
    return found


@functools.cache
def _uri_pattern(request_uri: str) -> re.Pattern[str]:
    # "/tags/{resourceArn}" -> "/tags/(?P<resourceArn>[^/]+)"; a greedy label "{key+}" spans "/"
    path = request_uri.split("?", 1)[0]
    regex = ""
    for literal, label, greedy in re.findall(r"([^{]*)(?:\{(\w+)(\+?)\})?", path):
        regex += re.escape(literal)
        if label:
            regex += f"(?P<{label}>{'.+' if greedy else '[^/]+'})"
    return re.compile(regex)


def _uri_labels(operation: OperationModel, path: str) -> dict[str, str]:
    match = _uri_pattern(operation.http["requestUri"]).fullmatch(path)
    if match is None:
        raise validation_error([FieldError("requestUri", f"Path does not match {operation.http['requestUri']}")])
    return {label: unquote(value) for label, value in match.groupdict().items()}


def _body(request: AWSPreparedRequest) -> dict[str, Any]:
    raw = request.body
    if raw is not None and not isinstance(raw, (bytes, bytearray, str)):
        raw = raw.read()
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise validation_error([FieldError("body", f"Malformed JSON: {exc}")], reason="cannotParse") from exc
    if not isinstance(body, dict):
        raise validation_error([FieldError("body", "Must be a JSON object")], reason="cannotParse")
    return body


def _scalar(member: Shape, text: str) -> Any:
    if member.type_name in {"integer", "long"}:
        try:
            return int(text)
        except ValueError:
            return text  # left as text so validation reports the wrong type
    if member.type_name == "boolean":
        return {"true": True, "false": False}.get(text, text)
    return text


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value
