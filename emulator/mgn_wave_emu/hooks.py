"""One botocore `before-send` hook, registered ahead of moto's, that routes requests to our
emulated services (Lambda invoke, MGN). Everything it does not claim falls through to moto.

botocore copies `BUILTIN_HANDLERS` into each new session, so the hook is inserted at import time
and the default boto3 session is dropped on activation: clients created after that see it.

Because every request passes here, the router also keeps the two audit instruments:
- a `CallRecorder`: which principal (the Lambda function running, the state machine's own
  integrations, or the test driver) made which call, so tests can measure least privilege;
- a `FaultPlan`: a seeded fraction of each service's calls answered with that service's throttling
  error or a 5xx before any emulator or moto sees them, or answered late; and a function's
  invocation killed right after a given call of it succeeded (a Lambda crash).
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import random
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

import boto3
import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders
from botocore.handlers import BUILTIN_HANDLERS
from moto.core.botocore_stubber import MockRawResponse

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from contextlib import AbstractContextManager

    from botocore.awsrequest import AWSPreparedRequest
    from botocore.model import ServiceModel


ANSWERED_URL = "https://answered-by-mgn-wave-emulator.invalid/"


class ServiceEmulator(Protocol):
    """Answers one service's requests. Returns None to let the request fall through to moto."""

    def handle(self, operation_name: str, request: AWSPreparedRequest) -> AWSResponse | None: ...


# The logical ID of the emulated Lambda function whose handler is running (set by LambdaRouter
# around the handler call). A contextvar: new threads (an execution's worker, the clock driver)
# start without it, so their calls are never attributed to a function by accident.
current_function: contextvars.ContextVar[str | None] = contextvars.ContextVar("current_function", default=None)

# The principal whose request an emulated service is answering (the router sets it around the
# service's handler, where `current_function` already says "the emulated world").
calling_principal: contextvars.ContextVar[str | None] = contextvars.ContextVar("calling_principal", default=None)

STATE_MACHINE = "StateMachine"  # the state machine role: its own integrations (invoke, putItem, ...)
DRIVER = "driver"  # the test or harness itself: never audited, never faulted
# Set while an emulated service answers a request: what it calls in turn (an emulated source server
# downloading the installer during SendCommand) is the emulated world's doing, not the caller's.
_EMULATED_SERVICE = "emulated-service"


@contextlib.contextmanager
def emulated_world() -> Iterator[None]:
    """What the emulation reads inside a handler's call (the port probe's network, read from
    moto) is the emulated world's doing: neither audited as the function's nor faulted."""
    handling = current_function.set(_EMULATED_SERVICE)
    try:
        yield
    finally:
        current_function.reset(handling)


# moto's ASL engine signs its service integrations with this access key (moto's boto_client_for).
_ENGINE_CREDENTIAL = "Credential=ak/"

# botocore's service ID (hyphenized, as in event names) -> the IAM service prefix, where they differ.
_IAM_PREFIX = {"sfn": "states"}
# botocore operation -> IAM action, where the names differ (Service Authorization Reference).
_IAM_ACTION = {
    ("lambda", "Invoke"): "lambda:InvokeFunction",
    ("s3", "ListObjectsV2"): "s3:ListBucket",
    ("s3", "ListObjects"): "s3:ListBucket",
    ("s3", "HeadBucket"): "s3:ListBucket",
    ("s3", "HeadObject"): "s3:GetObject",
    ("s3", "ListObjectVersions"): "s3:ListBucketVersions",
}


def iam_action(service_id: str, operation_name: str) -> str:
    """The IAM action that authorizes a botocore operation (`ec2:DescribeVpcs`, `lambda:InvokeFunction`)."""
    special = _IAM_ACTION.get((service_id, operation_name))
    if special is not None:
        return special
    return f"{_IAM_PREFIX.get(service_id, service_id)}:{operation_name}"


@dataclass(frozen=True)
class RecordedCall:
    principal: str  # a function's logical ID, STATE_MACHINE or DRIVER
    service_id: str
    operation_name: str
    body: bytes  # the request body (small requests only; enough to audit e.g. AssumeRole)
    faulted: str | None = None  # the error code the fault plan answered with, if any

    @property
    def action(self) -> str:
        return iam_action(self.service_id, self.operation_name)

    @property
    def actions(self) -> set[str]:
        """Every IAM action AWS authorizes for this call: its own, and mgn:TagResource for a
        job created with tags (MGN User Guide, "Grant permission to tag resources during
        creation": tags on a resource-creating action are authorized as mgn:TagResource too)."""
        found = {self.action}
        if (self.service_id, self.operation_name) in _TAG_ON_CREATE and _carries_tags(self.body):
            found.add("mgn:TagResource")
        return found


_BODY_KEPT = 16 * 1024
_TAG_ON_CREATE = frozenset({("mgn", "StartTest"), ("mgn", "StartCutover"), ("mgn", "TerminateTargetInstances")})


def _carries_tags(body: bytes) -> bool:
    try:
        return bool(json.loads(body or b"{}").get("tags"))
    except ValueError:
        return False


class CallRecorder:
    """Every request the router saw, attributed to the principal that made it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: list[RecordedCall] = []

    def record(self, call: RecordedCall) -> None:
        with self._lock:
            self.calls.append(call)

    def clear(self) -> None:
        with self._lock:
            self.calls = []

    def actions_by_principal(self, *, include_driver: bool = False) -> dict[str, set[str]]:
        with self._lock:
            calls = list(self.calls)
        used: dict[str, set[str]] = {}
        for call in calls:
            if call.principal != DRIVER or include_driver:
                used.setdefault(call.principal, set()).update(call.actions)
        return used

    def of(self, service_id: str, operation_name: str) -> list[RecordedCall]:
        with self._lock:
            return [c for c in self.calls if (c.service_id, c.operation_name) == (service_id, operation_name)]


def _principal(request: AWSPreparedRequest) -> str:
    function = current_function.get()
    if function == _EMULATED_SERVICE:
        return DRIVER
    if function is not None:
        return function
    authorization = request.headers.get("Authorization", b"")
    if isinstance(authorization, bytes):
        authorization = authorization.decode("latin-1")
    return STATE_MACHINE if _ENGINE_CREDENTIAL in authorization else DRIVER


def _body(request: AWSPreparedRequest) -> bytes:
    raw = request.body
    if isinstance(raw, str):
        return raw.encode()[:_BODY_KEPT]
    if isinstance(raw, bytes | bytearray):
        return bytes(raw[:_BODY_KEPT])
    return b""  # a stream (S3 uploads): not kept


# --- fault injection --------------------------------------------------------------------------

# botocore's service ID -> its service name for the loader, where they differ.
_SERVICE_NAME = {"sfn": "stepfunctions"}
# In the order we prefer them when a model names several (botocore's standard retry treats all
# of these as throttling).
_THROTTLING_CODES = (
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "SlowDown",
)
# What a service answers when its model names no throttling error (EC2 and STS model no errors).
_PROTOCOL_THROTTLING = {
    "ec2": ("RequestLimitExceeded", 503),
    "query": ("Throttling", 400),
    "rest-xml": ("SlowDown", 503),
    "json": ("ThrottlingException", 400),
    "rest-json": ("ThrottlingException", 429),
}
_PROTOCOL_SERVER_ERROR = {
    "ec2": ("InternalError", 500),
    "query": ("InternalFailure", 500),
    "rest-xml": ("InternalError", 500),
    "json": ("InternalServerError", 500),
    "rest-json": ("InternalServerException", 500),
}


@cache
def _service_model(service_id: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(_SERVICE_NAME.get(service_id, service_id))


@cache
def throttling_error(service_id: str) -> tuple[str, int]:
    """The (code, HTTP status) a service throttles with, as its botocore model names them."""
    model = _service_model(service_id)
    modeled: dict[str, int] = {}
    for shape in model.error_shapes:
        error = shape.metadata.get("error", {})
        modeled[error.get("code", shape.name)] = int(error.get("httpStatusCode", 400))
    for code in _THROTTLING_CODES:
        if code in modeled:
            return code, modeled[code]
    return _PROTOCOL_THROTTLING[model.protocol]


def server_error(service_id: str) -> tuple[str, int]:
    return _PROTOCOL_SERVER_ERROR[_service_model(service_id).protocol]


def error_response(service_id: str, code: str, status: int, url: str) -> AWSResponse:
    """An error response in the service's protocol, as botocore's parser for it expects."""
    protocol = _service_model(service_id).protocol
    message = f"injected by the fault plan: {code}"
    headers = HTTPHeaders()
    headers["x-amzn-RequestId"] = "fault-plan"
    if protocol in ("json", "rest-json"):
        headers["x-amzn-ErrorType"] = code
        headers["Content-Type"] = "application/x-amz-json-1.1" if protocol == "json" else "application/json"
        body = json.dumps({"__type": code, "message": message})
    elif protocol == "ec2":
        headers["Content-Type"] = "text/xml"
        body = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
            "<RequestID>fault-plan</RequestID></Response>"
        )
    elif protocol == "query":
        headers["Content-Type"] = "text/xml"
        kind = "Receiver" if status >= 500 else "Sender"
        body = (
            f"<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message></Error>"
            "<RequestId>fault-plan</RequestId></ErrorResponse>"
        )
    else:  # rest-xml (S3)
        headers["Content-Type"] = "application/xml"
        body = f"<Error><Code>{code}</Code><Message>{message}</Message><RequestId>fault-plan</RequestId></Error>"
    return AWSResponse(url, status, headers, MockRawResponse(body))


class LambdaRuntimeExit(BaseException):
    """The function's process died (a crash, an OOM kill): raised into the handler right after the
    call the fault plan names, and turned by the Lambda router into the runtime's function error.
    A BaseException so that nothing in the handler (`except Exception`, Powertools' idempotency
    clean-up) sees it: a dead process runs no except clause."""

    def __init__(self, call: RecordedCall) -> None:
        super().__init__(f"{call.principal} died right after {call.action}")
        self.call = call


@dataclass
class FaultPlan:
    """Faults for the audited principals (functions and the state machine), never the driver, so a
    test's own setup and assertions see a healthy AWS. Deterministic for a seed and an order of calls.

    - `throttle`, `server_errors`: per service ID (`mgn`, `ec2`, `sfn`, ...), the fraction of calls
      answered with the service's throttling error, and with a 5xx;
    - `slow`: per service ID, the fraction of calls answered `slow_seconds` late (real seconds, a
      uniform draw in the range; the virtual clock holds still meanwhile: on AWS such a delay is
      nothing next to a wave's minutes, here it shuffles the threads' interleaving);
    - `crash_after`: per IAM action (`ssm:SendCommand`), how many times a function's call of it
      kills the function's invocation right after the call *succeeded* (the service did the work;
      the function never sees the answer), as the runtime reports a crashed process."""

    throttle: dict[str, float] = field(default_factory=dict)
    server_errors: dict[str, float] = field(default_factory=dict)
    slow: dict[str, float] = field(default_factory=dict)
    slow_seconds: tuple[float, float] = (0.02, 0.05)
    crash_after: dict[str, int] = field(default_factory=dict)
    seed: int = 0
    injected: list[RecordedCall] = field(default_factory=list)  # answered with an error
    delayed: list[RecordedCall] = field(default_factory=list)  # answered late
    crashed: list[RecordedCall] = field(default_factory=list)  # the calls right after which a function died
    # Holds the virtual clock still while a call is delayed (EmulatedAws.inject_faults sets it).
    hold_clock: Callable[[], AbstractContextManager[object]] = nullcontext

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        # Its own stream: adding slowness to a plan keeps the errors it draws.
        self._slow_random = random.Random(f"{self.seed}/slow")
        self._lock = threading.Lock()
        self._crashes_left = dict(self.crash_after)

    def decide(self, service_id: str) -> tuple[str, int] | None:
        throttle = self.throttle.get(service_id, 0.0)
        errors = self.server_errors.get(service_id, 0.0)
        if not throttle and not errors:
            return None
        with self._lock:
            draw = self._random.random()
        if draw < throttle:
            return throttling_error(service_id)
        if draw < throttle + errors:
            return server_error(service_id)
        return None

    def delay(self, service_id: str) -> float:
        """Real seconds to hold this call back (0: none)."""
        fraction = self.slow.get(service_id, 0.0)
        if not fraction:
            return 0.0
        with self._lock:
            if self._slow_random.random() >= fraction:
                return 0.0
            return self._slow_random.uniform(*self.slow_seconds)

    def crash_due(self, action: str) -> bool:
        """Whether a function dies right after this successful call (counts the crash)."""
        with self._lock:
            left = self._crashes_left.get(action, 0)
            if left <= 0:
                return False
            self._crashes_left[action] = left - 1
            return True


class _Router:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._services: dict[str, ServiceEmulator] = {}
        self.recorder = CallRecorder()
        self.fault_plan: FaultPlan | None = None

    def activate(self, services: dict[str, ServiceEmulator]) -> None:
        with self._lock:
            self._services = dict(services)
        boto3.DEFAULT_SESSION = None

    def deactivate(self) -> None:
        with self._lock:
            self._services = {}
        self.fault_plan = None
        self.recorder.clear()

    def __call__(self, request: AWSPreparedRequest, event_name: str, **_kwargs: Any) -> AWSResponse | None:
        # event_name is "before-send.<service-id>.<OperationName>"
        _event, service_id, operation_name = event_name.split(".", 2)
        principal = _principal(request)
        plan = self.fault_plan if principal != DRIVER else None
        fault = plan.decide(service_id) if plan is not None else None
        call = RecordedCall(principal, service_id, operation_name, _body(request), fault[0] if fault else None)
        self.recorder.record(call)
        delay = plan.delay(service_id) if plan is not None else 0.0
        if delay and plan is not None:
            plan.delayed.append(call)
            with plan.hold_clock():
                time.sleep(delay)
        if fault is not None and plan is not None:
            plan.injected.append(call)
            answer = error_response(service_id, *fault, url=request.url)
            request.url = ANSWERED_URL  # as below: keep moto's handler off an answered request
            return answer
        with self._lock:
            emulator = self._services.get(service_id)
        if emulator is None:
            return None
        handling = current_function.set(_EMULATED_SERVICE)  # the Lambda emulator sets the function inside
        caller = calling_principal.set(principal)
        try:
            response = emulator.handle(operation_name, request)
        finally:
            calling_principal.reset(caller)
            current_function.reset(handling)
        if response is not None:
            # botocore runs *every* before-send handler and uses the first answer, so moto's
            # handler would still act on this request (a second SendCommand, a Lambda it cannot
            # find). Pointing the answered request at a host no moto backend serves keeps it out.
            request.url = ANSWERED_URL
        return response

    def after_call(self, http_response: AWSResponse, event_name: str, **_kwargs: Any) -> None:
        """After the SDK's last attempt of a call: a function the fault plan says dies right after
        this call, when the call succeeded, dies here (before it reads the answer)."""
        plan = self.fault_plan
        function = current_function.get()
        if plan is None or function is None or function == _EMULATED_SERVICE or not plan.crash_after:
            return
        if http_response.status_code >= 300:
            return
        _event, service_id, operation_name = event_name.split(".", 2)
        call = RecordedCall(function, service_id, operation_name, b"")
        if plan.crash_due(call.action):
            plan.crashed.append(call)
            raise LambdaRuntimeExit(call)


router = _Router()

if not any(entry[1] is router for entry in BUILTIN_HANDLERS):
    BUILTIN_HANDLERS.insert(0, ("before-send", router))
if not any(getattr(entry[1], "__self__", None) is router for entry in BUILTIN_HANDLERS):
    BUILTIN_HANDLERS.append(("after-call", router.after_call))
