"""`lambda:Invoke` routed in process to the handlers `template.yaml` names.

A handler's exception becomes a Lambda *function error* (`X-Amz-Function-Error: Unhandled`,
payload `{errorType, errorMessage, stackTrace}`), exactly what the Python runtime returns, so the
state machine's `Retry`/`Catch` match on our exception class names as they do on AWS. A crashed
process (the fault plan's `crash_after`) is the function error the Lambda service reports for it,
`Runtime.ExitError`, with no stack trace: no except clause of the handler ran.

The runtime's clock is the virtual one: the context's remaining time counts down to the
invocation's deadline (start + the function's timeout), and Powertools' idempotency reads the
virtual time too (its in-progress records expire at that deadline, as on AWS).
"""

from __future__ import annotations

import datetime as _datetime
import importlib
import io
import json
import logging
import os
import sys
import threading
import traceback
import types
import uuid
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders
from moto.core.botocore_stubber import MockRawResponse

from mgn_wave_emu.hooks import LambdaRuntimeExit, current_function

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from botocore.awsrequest import AWSPreparedRequest

    from mgn_wave_emu.clock import VirtualClock
    from mgn_wave_emu.stack import EmulatedFunction, EmulatedStack


@dataclass
class LambdaContext:
    """The attributes of the runtime's context object that handlers and Powertools read."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    timeout_seconds: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "emulated"
    # The runtime's clock and the invocation's deadline (None: the whole timeout always remains).
    now: Callable[[], _datetime.datetime] | None = None
    deadline: _datetime.datetime | None = None

    def get_remaining_time_in_millis(self) -> int:
        if self.now is None or self.deadline is None:
            return self.timeout_seconds * 1000
        return max(int((self.deadline - self.now()).total_seconds() * 1000), 0)


_EXECUTED = {"X-Amz-Executed-Version": "$LATEST"}


class LambdaLogs(io.StringIO):
    """Where the emulated functions' log lines go: CloudWatch Logs on AWS, this buffer here.
    (Keeps the demo's terminal clean and lets tests read every line a function wrote.)"""

    @property
    def lines(self) -> list[str]:
        return self.getvalue().splitlines()


@dataclass(frozen=True)
class Invocation:
    function_name: str
    event: Any
    error_type: str | None
    result: Any = None
    started: _datetime.datetime | None = None  # on the virtual clock


# Powertools modules that read the wall clock (`dt.datetime.now()`) to stamp and expire records.
_POWERTOOLS_CLOCK_MODULES = (
    "aws_lambda_powertools.utilities.idempotency.base",
    "aws_lambda_powertools.utilities.idempotency.persistence.base",
    "aws_lambda_powertools.utilities.idempotency.persistence.datarecord",
    "aws_lambda_powertools.utilities.idempotency.persistence.dynamodb",
)


def _virtual_datetime_module(now: Callable[[], _datetime.datetime]) -> types.ModuleType:
    """The `datetime` module, but `datetime.now()` is the virtual clock's (naive local time, or in
    the zone asked for, as the real one)."""

    class VirtualDatetime(_datetime.datetime):
        @classmethod
        def now(cls, tz: _datetime.tzinfo | None = None) -> VirtualDatetime:
            return cls.fromtimestamp(now().timestamp(), tz)

    module = types.ModuleType("datetime", "the datetime module on the emulated Lambda runtime's clock")
    module.__dict__.update({k: v for k, v in vars(_datetime).items() if not k.startswith("__")})
    module.datetime = VirtualDatetime  # type: ignore[attr-defined]
    return module


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """`os.environ` with `values` set while a handler runs, then exactly as it was (what
    `mock.patch.dict` does, without clearing and refilling every variable: a tenth of a short
    invocation's CPU went to that)."""
    saved = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        for added in os.environ.keys() - saved.keys():
            del os.environ[added]
        for name, value in saved.items():
            if os.environ.get(name) != value:
                os.environ[name] = value


def _response(url: str, status: int, payload: Any, headers: dict[str, str]) -> AWSResponse:
    http_headers = HTTPHeaders()
    for name, value in headers.items():
        http_headers[name] = value
    return AWSResponse(url, status, http_headers, MockRawResponse(json.dumps(payload, default=str)))


class LambdaRouter:
    """Runs one invocation at a time: handlers read `os.environ`, which is process-wide, and the
    emulated functions of one stack have different environments."""

    def __init__(self, stack: EmulatedStack, clock: VirtualClock) -> None:
        self._stack = stack
        self._clock = clock
        self.logs = LambdaLogs()
        self._lock = threading.RLock()
        self.invocations: list[Invocation] = []
        self._datetime = _virtual_datetime_module(clock.now)

    def handle(self, operation_name: str, request: AWSPreparedRequest) -> AWSResponse | None:
        if operation_name != "Invoke":
            return None  # everything else (CreateFunction, ...) is moto's
        # URL: https://lambda.<region>.amazonaws.com/2015-03-31/functions/<name-or-arn>/invocations
        name = unquote(request.url.split("/functions/", 1)[1].split("/", 1)[0])
        try:
            function = self._stack.function(name)
        except KeyError:
            error = {"message": f"Function not found: {name}", "Type": "User"}
            return _response(request.url, 404, error, {"x-amzn-ErrorType": "ResourceNotFoundException"})
        raw = request.body
        event = json.loads(raw) if isinstance(raw, bytes | str) and raw else {}
        return self.invoke(function, event, request.url)

    def of(self, logical_id: str) -> list[Invocation]:
        """The invocations of one function of the stack."""
        name = self._stack.functions[logical_id].function_name
        return [invocation for invocation in self.invocations if invocation.function_name == name]

    def invoke(self, function: EmulatedFunction, event: Any, url: str = "") -> AWSResponse:
        with self._lock, self._clock.busy():
            started = self._clock.now()
            context = LambdaContext(
                function_name=function.function_name,
                invoked_function_arn=function.arn,
                memory_limit_in_mb=function.memory_mb,
                timeout_seconds=function.timeout_seconds,
                now=self._clock.now,
                deadline=started + _datetime.timedelta(seconds=function.timeout_seconds),
            )
            environment = {
                **function.environment,
                "AWS_REGION": self._stack.region,
                "AWS_DEFAULT_REGION": self._stack.region,
                "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
            }
            # What a function prints (Powertools' metrics, a stray print) goes to its logs, as
            # the runtime sends stdout and stderr to CloudWatch Logs.
            with _environment(environment), redirect_stdout(self.logs), redirect_stderr(self.logs):
                # Imported under the function's environment, as the runtime does at cold start
                # (Powertools reads POWERTOOLS_SERVICE_NAME when the module creates its Logger).
                handler = self._load(function.handler)
                self._capture_logs(environment.get("POWERTOOLS_SERVICE_NAME"))
                # The router attributes every AWS call the handler makes to this function's role.
                running = current_function.set(function.logical_id)
                try:
                    with self._runtime_clock():
                        result = handler(event, context)
                except LambdaRuntimeExit:
                    # The process died: the runtime reports it, nothing of the handler's.
                    self.invocations.append(
                        Invocation(function.function_name, event, "Runtime.ExitError", started=started)
                    )
                    message = f"RequestId: {context.aws_request_id} Error: Runtime exited with error: signal: killed"
                    print(f"{message}\nRuntime.ExitError", file=self.logs)
                    crashed = {"errorType": "Runtime.ExitError", "errorMessage": message}
                    return _response(url, 200, crashed, {**_EXECUTED, "X-Amz-Function-Error": "Unhandled"})
                except Exception as exc:
                    self.invocations.append(
                        Invocation(function.function_name, event, type(exc).__name__, started=started)
                    )
                    payload: dict[str, Any] = {
                        "errorType": type(exc).__name__,
                        "errorMessage": str(exc),
                        "stackTrace": traceback.format_tb(exc.__traceback__),
                    }
                    return _response(url, 200, payload, {**_EXECUTED, "X-Amz-Function-Error": "Unhandled"})
                finally:
                    current_function.reset(running)
            self.invocations.append(Invocation(function.function_name, event, None, result, started))
            return _response(url, 200, result, _EXECUTED)

    @contextmanager
    def _runtime_clock(self) -> Iterator[None]:
        """Powertools' idempotency on the virtual clock while a handler runs (one at a time)."""
        patched = [
            module
            for name in _POWERTOOLS_CLOCK_MODULES
            if (module := sys.modules.get(name)) is not None and getattr(module, "dt", None) is _datetime
        ]
        for module in patched:
            setattr(module, "dt", self._datetime)  # noqa: B010 - a module attribute mypy cannot see
        try:
            yield
        finally:
            for module in patched:
                setattr(module, "dt", _datetime)  # noqa: B010

    def _capture_logs(self, service_name: str | None) -> None:
        # Powertools' Logger writes through a StreamHandler on the stdlib logger named after the
        # service; point it at our buffer, as the Lambda runtime points stdout at CloudWatch.
        if not service_name:
            return
        for log_handler in logging.getLogger(service_name).handlers:
            if isinstance(log_handler, logging.StreamHandler) and log_handler.stream is not self.logs:
                log_handler.setStream(self.logs)

    @staticmethod
    def _load(handler_path: str) -> Callable[[Any, LambdaContext], Any]:
        module_name, attribute = handler_path.rsplit(".", 1)
        handler: Callable[[Any, LambdaContext], Any] = getattr(importlib.import_module(module_name), attribute)
        return handler
