"""AWS's hard limits, held by the emulated AWS where moto is more lenient than AWS.

A test must fail where AWS would, so every limit the product can reach is enforced here, each with
the AWS page that states it (the same facts, with their URLs, are in docs/aws-facts.md and the
README's table "AWS limits the emulated AWS enforces"):

- Step Functions (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html):
  a state's input, output or a task's result, and a Map state's collected result, at most
  256 KiB (262,144 bytes) as UTF-8 JSON, else `States.DataLimitExceeded`; an execution's
  history at most 25,000 events, else the execution fails. moto checks state outputs and task
  results (one byte stricter, `<`), but not a Map's collected result nor the history.
- Error handling (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html):
  `States.ALL` does not catch `States.DataLimitExceeded` nor `States.Runtime`; moto's does.
- SendTaskSuccess `output` at most 262,144 characters, SendTaskFailure `cause` 32,768 and `error`
  256 (https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html,
  API_SendTaskFailure.html); StartExecution `input` 262,144
  (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html).
- SSM SendCommand: the document and its parameters at most 64 KB, else `MaxDocumentSizeExceeded`
  (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_SendCommand.html).
- IAM: `sts:AssumeRole` is allowed only when the role's trust policy admits the caller: its
  `Principal` and its `Condition` on `aws:PrincipalArn` (`ArnEquals`, `ArnLike`, `StringEquals`,
  `StringLike`) are evaluated against the caller's role ARN as CloudFormation names it
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html);
  moto never evaluates a trust policy.
- Names CloudFormation gives or the template sets: each within its service's length and pattern
  (`NAME_RULES`, each with its source), checked when the emulated stack is deployed.

One object, `AwsLimits`, owns all of it: `engine_patches()` for the ASL engine, `guard()` for the
services' requests, `check_stack()` for the names. It also measures the largest state payload it
checked (`largest_payload`), the figure `make bench` reports.
"""

from __future__ import annotations

import fnmatch
import json
import re
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from unittest import mock
from urllib.parse import parse_qs

import yaml
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders
from moto.core.botocore_stubber import MockRawResponse
from moto.stepfunctions.parser.asl.component.common.error_name import error_equals_decl
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.state import state as state_module
from moto.stepfunctions.parser.asl.component.state.exec.state_map.state_map import StateMap
from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_lambda
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service
from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager

from mgn_wave_emu.hooks import DRIVER, STATE_MACHINE, calling_principal

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from botocore.awsrequest import AWSPreparedRequest

    from mgn_wave_emu.hooks import ServiceEmulator
    from mgn_wave_emu.stack import EmulatedStack

# --- the limits, each with its source -----------------------------------------------------------

# Step Functions service quotas, "Quotas related to state machine executions": "Maximum input or
# output size for a task, state, or execution: 256 KiB of data as a UTF-8 encoded string".
STATE_PAYLOAD_BYTES = 262_144
# Same page: "Maximum execution history size: 25,000 events".
HISTORY_EVENTS = 25_000
# API_SendTaskSuccess: output, "Maximum length of 262144"; API_SendTaskFailure: cause 32768, error 256.
TASK_OUTPUT_CHARS = 262_144
TASK_CAUSE_CHARS = 32_768
TASK_ERROR_CHARS = 256
# API_StartExecution: input, "Maximum length of 262144".
EXECUTION_INPUT_CHARS = 262_144
# API_SendCommand, MaxDocumentSizeExceeded: "The size limit of a document is 64 KB." The parameters
# travel to the node inside the document's run, so they count with it.
SEND_COMMAND_BYTES = 64 * 1024

# The terminal errors `States.ALL` does not catch (Step Functions DG, "Error handling").
_UNCATCHABLE_BY_ALL = frozenset({"States.DataLimitExceeded", "States.Runtime"})


@dataclass(frozen=True)
class NameRule:
    """What a service accepts as a resource's name, and the page that says so."""

    max_length: int
    pattern: str  # the whole name must match
    source: str
    reserved_prefixes: tuple[str, ...] = ()  # case-insensitive

    def violation(self, name: str) -> str | None:
        if len(name) > self.max_length:
            return f"{len(name)} characters, more than {self.max_length}"
        if not re.fullmatch(self.pattern, name):
            return f"does not match {self.pattern}"
        for prefix in self.reserved_prefixes:
            if name.lower().startswith(prefix):
                return f"starts with {prefix!r}, a prefix reserved by AWS"
        return None


# Resource type -> its name rule. Generated names (no name in the template) are checked too: the
# emulated CloudFormation trims them the way CloudFormation does, so they must pass.
NAME_RULES: dict[str, NameRule] = {
    "AWS::IAM::Role": NameRule(
        64, r"[\w+=,.@-]+", "https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html"
    ),
    "AWS::Lambda::Function": NameRule(
        64, r"[a-zA-Z0-9-_]+", "https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html"
    ),
    "AWS::StepFunctions::StateMachine": NameRule(
        80,
        r"[0-9A-Za-z_-]+",
        "https://docs.aws.amazon.com/step-functions/latest/apireference/API_CreateStateMachine.html",
    ),
    "AWS::SSM::Document": NameRule(
        128,
        r"[a-zA-Z0-9_\-.]{3,128}",
        "https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_CreateDocument.html",
        reserved_prefixes=("aws", "amazon", "amzn"),
    ),
    # A nested stack's generated name (docs/aws-facts.md, "Hard limits": stack names 1-128)
    "AWS::CloudFormation::Stack": NameRule(
        128,
        r"[a-zA-Z][-a-zA-Z0-9]*",
        "https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html",
    ),
    "AWS::S3::Bucket": NameRule(
        63,
        r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]",
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html",
    ),
    "AWS::DynamoDB::Table": NameRule(
        255,
        r"[a-zA-Z0-9_.-]{3,255}",
        "https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateTable.html",
    ),
    "AWS::SNS::Topic": NameRule(
        256, r"[A-Za-z0-9_-]{1,256}", "https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html"
    ),
    "AWS::SQS::Queue": NameRule(
        80,
        r"[A-Za-z0-9_-]{1,80}",
        "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html",
    ),
    "AWS::Logs::LogGroup": NameRule(
        512,
        r"[\.\-_/#A-Za-z0-9]+",
        "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html",
    ),
    "AWS::Events::Rule": NameRule(
        64, r"[\.\-_A-Za-z0-9]+", "https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html"
    ),
    "AWS::CloudWatch::Alarm": NameRule(
        255,
        r"[^\x00-\x1f]+",
        "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html",
    ),
    "AWS::CloudWatch::Dashboard": NameRule(
        255, r"[A-Za-z0-9_-]+", "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html"
    ),
    "AWS::KMS::Alias": NameRule(
        256,
        r"alias/(?!aws/)[a-zA-Z0-9/_-]+",
        "https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html",
    ),
}


class StackNameError(ValueError):
    """A name the stack would give a resource that its service refuses: the deploy fails."""


class LimitExceeded(Exception):  # noqa: N818 - the name the engine's error says
    """Raised into the ASL engine where AWS fails an execution outright."""


def payload_bytes(value: Any) -> int:
    """A state's data as Step Functions measures it: UTF-8 JSON text."""
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), default=str)
    return len(text.encode("utf-8"))


@dataclass
class PayloadMeter:
    """The largest state payload seen (input, output, task result or Map result), and where."""

    largest: int = 0
    where: str = ""
    largest_map_result: int = 0  # a Map state's collected result, before ResultSelector/ResultPath
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def measure(self, size: int, where: str) -> None:
        with self._lock:
            if size > self.largest:
                self.largest, self.where = size, where
            if where == "map result":
                self.largest_map_result = max(self.largest_map_result, size)


# --- request-side limits ------------------------------------------------------------------------


def _json_error(code: str, message: str, url: str, status: int = 400) -> AWSResponse:
    headers = HTTPHeaders()
    headers["x-amzn-RequestId"] = "aws-limits"
    headers["x-amzn-ErrorType"] = code
    headers["Content-Type"] = "application/x-amz-json-1.1"
    return AWSResponse(url, status, headers, MockRawResponse(json.dumps({"__type": code, "message": message})))


def _query_error(code: str, message: str, url: str, status: int = 403) -> AWSResponse:
    headers = HTTPHeaders()
    headers["Content-Type"] = "text/xml"
    body = (
        f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
        "<RequestId>aws-limits</RequestId></ErrorResponse>"
    )
    return AWSResponse(url, status, headers, MockRawResponse(body))


def _body_text(request: AWSPreparedRequest) -> str:
    body = request.body
    if isinstance(body, bytes | bytearray):
        return bytes(body).decode("utf-8")
    return body if isinstance(body, str) else ""


def _too_long(field_name: str, limit: int) -> str:
    return (
        f"1 validation error detected: Value at '{field_name}' failed to satisfy constraint: "
        f"Member must have length less than or equal to {limit}"
    )


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


_ARN_OPERATORS = {"ArnEquals", "ArnLike", "StringEquals", "StringLike"}


def _matches(operator: str, pattern: str, value: str) -> bool:
    if operator in ("ArnEquals", "StringEquals"):
        return pattern == value
    # ArnLike/StringLike: * and ? wildcards, case-sensitive, no character classes.
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, flags=re.DOTALL) is not None


def trust_admits(trust_policy: Mapping[str, Any], caller_arn: str, account_id: str) -> bool:
    """Whether a role's trust policy lets `caller_arn` (a role ARN) call sts:AssumeRole.

    Evaluated like IAM for what the template can say: an explicit Deny wins; an Allow statement
    applies when its action covers sts:AssumeRole, its AWS principal is the caller's ARN or the
    caller's account, and every condition on `aws:PrincipalArn` holds. Any other condition key or
    operator is refused as unsupported (never silently ignored)."""
    allowed = False
    for statement in _as_list(trust_policy.get("Statement", [])):
        actions = _as_list(statement.get("Action", []))
        if not any(fnmatch.fnmatchcase("sts:AssumeRole", a) for a in actions):
            continue
        principals = statement.get("Principal", {})
        aws_principals = _as_list(principals.get("AWS", [])) if isinstance(principals, dict) else [principals]
        account_root = {f"arn:aws:iam::{account_id}:root", account_id, "*"}
        if not any(p == caller_arn or p in account_root for p in aws_principals):
            continue
        if not _conditions_hold(statement.get("Condition", {}), caller_arn):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = True
    return allowed


def _conditions_hold(conditions: Mapping[str, Any], caller_arn: str) -> bool:
    for operator, tests in conditions.items():
        if operator not in _ARN_OPERATORS:
            raise NotImplementedError(f"trust policy condition operator {operator} is not emulated")
        for key, patterns in tests.items():
            if key.lower() != "aws:principalarn":
                raise NotImplementedError(f"trust policy condition key {key} is not emulated")
            if not any(_matches(operator, str(p), caller_arn) for p in _as_list(patterns)):
                return False
    return True


@dataclass
class _Guard:
    """A ServiceEmulator in front of a service: refuses what breaks a limit, else hands the request
    on (to the service's own emulator, or to moto when there is none)."""

    limits: AwsLimits
    service_id: str
    inner: ServiceEmulator | None

    def handle(self, operation_name: str, request: AWSPreparedRequest) -> AWSResponse | None:
        refusal = self.limits.refusal(self.service_id, operation_name, request)
        if refusal is not None:
            return refusal
        return self.inner.handle(operation_name, request) if self.inner is not None else None


class AwsLimits:
    """The limits above, for one EmulatedAws."""

    def __init__(self, stack: Callable[[], EmulatedStack | None]) -> None:
        self._stack = stack
        self.payloads = PayloadMeter()
        self.refused: list[tuple[str, str, str]] = []  # (service, operation, why)
        self.history_events = HISTORY_EVENTS  # a test may lower it to reach it quickly

    # -- the ASL engine ---------------------------------------------------------------------------

    def engine_patches(self) -> list[Any]:
        """Patches (not started) for moto's ASL engine."""
        meter = self.payloads

        def within_quota(value: Any) -> bool:
            size = payload_bytes(value)
            meter.measure(size, "state")
            return size <= STATE_PAYLOAD_BYTES

        original_map = StateMap._eval_execution

        def map_with_collected_result_limit(state: StateMap, env: Any) -> None:
            original_map(state, env)
            # Without a ResultWriter the collected child outputs are the Map's result, and the
            # 256 KiB limit applies to it before any ResultSelector or ResultPath.
            if env.stack:
                meter.measure(payload_bytes(env.stack[-1]), "map result")
            if state.result_writer is None and env.stack:
                state._verify_size_quota(env=env, value=env.stack[-1])

        original_equals = error_equals_decl.ErrorEqualsDecl._eval_body

        def states_all_spares_terminal_errors(decl: Any, env: Any) -> None:
            error_name = env.stack[-1]
            name = error_name.error_name if isinstance(error_name, StatesErrorName) else str(error_name)
            original_equals(decl, env)
            if name in _UNCATCHABLE_BY_ALL and env.stack[-1] is True and not _names(decl, name):
                env.stack[-1] = False

        original_add_event = EventManager.add_event
        limits = self

        def add_event_within_history_limit(manager: EventManager, *args: Any, **kwargs: Any) -> Any:
            result = original_add_event(manager, *args, **kwargs)
            # Each execution has its own manager (a Distributed Map's children too): one history each.
            if len(manager._history_event_list) == limits.history_events + 1:
                raise LimitExceeded(
                    f"The execution history reached {limits.history_events} events, the Step Functions "
                    "quota: the execution fails."
                )
            return result

        return [
            mock.patch.object(state_module, "is_within_size_quota", within_quota),
            mock.patch.object(state_task_lambda, "is_within_size_quota", within_quota),
            mock.patch.object(state_task_service, "is_within_size_quota", within_quota),
            mock.patch.object(StateMap, "_eval_execution", map_with_collected_result_limit),
            mock.patch.object(error_equals_decl.ErrorEqualsDecl, "_eval_body", states_all_spares_terminal_errors),
            mock.patch.object(EventManager, "add_event", add_event_within_history_limit),
        ]

    # -- requests ---------------------------------------------------------------------------------

    def guard(self, services: Mapping[str, ServiceEmulator]) -> dict[str, ServiceEmulator]:
        """The router's services with the request-side limits in front of them."""
        guarded: dict[str, ServiceEmulator] = dict(services)
        for service_id in ("sfn", "ssm", "sts"):
            guarded[service_id] = _Guard(self, service_id, services.get(service_id))
        return guarded

    def refusal(self, service_id: str, operation_name: str, request: AWSPreparedRequest) -> AWSResponse | None:
        why = self._why_refused(service_id, operation_name, request)
        if why is None:
            return None
        code, message = why
        self.refused.append((service_id, operation_name, message))
        if service_id == "sts":
            return _query_error(code, message, request.url)
        return _json_error(code, message, request.url)

    def _why_refused(self, service_id: str, operation_name: str, request: AWSPreparedRequest) -> tuple[str, str] | None:
        if service_id == "sfn":
            return self._sfn(operation_name, json.loads(_body_text(request) or "{}"))
        if service_id == "ssm" and operation_name == "SendCommand":
            return self._send_command(json.loads(_body_text(request) or "{}"))
        if service_id == "sts" and operation_name == "AssumeRole":
            params = {k: v[0] for k, v in parse_qs(_body_text(request)).items()}
            return self._assume_role(params.get("RoleArn", ""))
        return None

    @staticmethod
    def _sfn(operation_name: str, params: dict[str, Any]) -> tuple[str, str] | None:
        limits = {
            "SendTaskSuccess": {"output": TASK_OUTPUT_CHARS},
            "SendTaskFailure": {"cause": TASK_CAUSE_CHARS, "error": TASK_ERROR_CHARS},
            "StartExecution": {"input": EXECUTION_INPUT_CHARS},
        }.get(operation_name, {})
        for name, limit in limits.items():
            if len(str(params.get(name, ""))) > limit:
                return "ValidationException", _too_long(name, limit)
        return None

    def _send_command(self, params: dict[str, Any]) -> tuple[str, str] | None:
        stack = self._stack()
        document = stack.documents.get(str(params.get("DocumentName", ""))) if stack is not None else None
        if document is None:
            return None  # not ours: the service answers InvalidDocument
        size = _stored_size(document) + len(json.dumps(params.get("Parameters", {})).encode("utf-8"))
        if size > SEND_COMMAND_BYTES:
            return (
                "MaxDocumentSizeExceeded",
                f"The document and its parameters are {size} bytes; the size limit of a document is 64 KB.",
            )
        return None

    def _assume_role(self, role_arn: str) -> tuple[str, str] | None:
        stack = self._stack()
        caller = calling_principal.get()
        if stack is None or caller in (None, DRIVER):
            return None  # the test driver is the account's administrator
        role = next((r for r in stack.roles.values() if r.arn == role_arn), None)
        if role is None:
            return None  # not a role of this stack: moto answers
        caller_role = stack.role_of(STATE_MACHINE_LOGICAL_ID if caller == STATE_MACHINE else caller)
        if trust_admits(role.trust_policy, caller_role.arn, stack.account_id):
            return None
        return (
            "AccessDenied",
            f"User: {caller_role.arn}/{caller} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
        )

    # -- names ------------------------------------------------------------------------------------

    @staticmethod
    def check_stack(stack: EmulatedStack) -> None:
        """Every name the stack gives a resource is one its service accepts, else the deploy fails."""
        problems = []
        for logical_id, (resource_type, name) in sorted(stack.names.items()):
            rule = NAME_RULES.get(resource_type)
            violation = rule.violation(name) if rule is not None else None
            if rule is not None and violation is not None:
                problems.append(f"{logical_id} ({resource_type}) {name!r}: {violation} ({rule.source})")
        if problems:
            raise StackNameError(f"stack {stack.stack_name!r}: " + "; ".join(problems))


STATE_MACHINE_LOGICAL_ID = "MigrateWaveStateMachine"
# A document's stored size by its identity (holding the document): YAML-dumping the install
# document took a quarter of a second, once per SendCommand of 50 nodes.
_STORED_SIZES: dict[int, tuple[Any, int]] = {}


def _stored_size(document: Any) -> int:
    """The document as stored (the template deploys it as YAML, longer than its JSON): the larger."""
    known = _STORED_SIZES.get(id(document))
    if known is not None and known[0] is document:
        return known[1]
    size = max(len(json.dumps(document).encode("utf-8")), len(yaml.safe_dump(document).encode("utf-8")))
    _STORED_SIZES[id(document)] = (document, size)
    return size


def _names(decl: Any, error_name: str) -> bool:
    """Whether a Retry/Catch names this error itself (not through States.ALL)."""
    return any(getattr(name, "error_name", None) == error_name for name in decl.error_names)
