"""The one translation of botocore errors into our typed errors, by error code.

Each service has a code table (`ServiceErrors`): which of its codes mean "try again" (throttling,
internal errors), "not allowed", "does not exist", and which have a typed error of their own. The
order of the questions is the same for every service: a code the call itself cares about, the
service's own typed codes, not found, denied, transient, then any 5xx as transient. A code with no
meaning is an `AwsRequestError`, except where the table says the raw `ClientError` propagates
(MGN: a code without a contract with the state machine must not be mistaken for one).
Connection failures and read timeouts (after the SDK's own retries) are transient everywhere.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import ClientError, ConnectionError, ReadTimeoutError

from mgn_wave.errors import (
    AwsAccessError,
    AwsRequestError,
    AwsResourceNotFoundError,
    MgnConflictError,
    MgnRequestRejectedError,
    TransientAwsError,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping


@dataclass(frozen=True)
class ServiceErrors:
    """What one service's error codes mean to us."""

    transient: frozenset[str]
    denied: frozenset[str]
    not_found: frozenset[str] = frozenset()
    denied_prefixes: tuple[str, ...] = ()
    # code -> (the ClientError, the action "service:Operation") -> the service's own typed error
    typed: Mapping[str, Callable[[ClientError, str], Exception]] = field(default_factory=dict)
    unknown_propagates: bool = False

    def is_denied(self, code: str) -> bool:
        return code in self.denied or any(code.startswith(prefix) for prefix in self.denied_prefixes)


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _message(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Message", ""))


def _members(exc: ClientError) -> Mapping[str, Any]:
    # botocore merges the error shape's modelled members (reason, fieldList, resourceId,
    # retryAfterSeconds, ...) into `response` next to "Error"; the stubs only type the generic part.
    return cast("Mapping[str, Any]", exc.response)


def _operation(action: str) -> str:
    return action.partition(":")[2] or action


def _mgn_rejected(exc: ClientError, action: str) -> Exception:
    members = _members(exc)
    fields = [(str(f.get("name", "")), str(f.get("message", ""))) for f in members.get("fieldList") or []]
    return MgnRequestRejectedError(_operation(action), _message(exc), str(members.get("reason", "unknown")), fields)


def _mgn_conflict(exc: ClientError, action: str) -> Exception:
    return MgnConflictError(f"MGN {_operation(action)} conflicts with the resource's current state: {_message(exc)}")


# --- the code tables ---------------------------------------------------------------------------

# Services whose adapters share the common cases: SSM, STS, DynamoDB, S3, Step Functions.
COMMON_ERRORS = ServiceErrors(
    transient=frozenset(
        {
            "ThrottlingException",
            "Throttling",
            "TooManyRequestsException",
            "RequestLimitExceeded",
            "ProvisionedThroughputExceededException",
            "RequestThrottled",
            "InternalServerError",
            "InternalServerException",
            "InternalError",
            "InternalFailure",
            "ServiceUnavailable",
            "RequestTimeout",
        }
    ),
    denied=frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "NotAuthorized"}),
)
# EC2 (the preflight's reads): a missing VPC, subnet, SG or prefix list is the operator's to fix.
EC2_ERRORS = ServiceErrors(
    transient=frozenset(
        {
            "RequestLimitExceeded",
            "Throttling",
            "ThrottlingException",
            "InternalError",
            "InternalFailure",
            "ServiceUnavailable",
            "Unavailable",
            "RequestTimeout",
        }
    ),
    denied=frozenset({"UnauthorizedOperation", "AuthFailure"}),
    denied_prefixes=("AccessDenied",),
    not_found=frozenset(
        {
            "InvalidVpcID.NotFound",
            "InvalidSubnetID.NotFound",
            "InvalidGroup.NotFound",
            "InvalidGroupId.NotFound",
            "InvalidPrefixListID.NotFound",
            "InvalidPrefixListId.NotFound",
        }
    ),
)
# MGN's modelled errors (botocore mgn model; docs/mgn-facts.md §1.10). UninitializedAccountException
# needs the Region for its how-to, so the MGN adapter maps it per call.
MGN_ERRORS = ServiceErrors(
    transient=frozenset({"ThrottlingException", "InternalServerException"}),
    denied=frozenset({"AccessDeniedException"}),
    not_found=frozenset({"ResourceNotFoundException"}),
    typed={"ValidationException": _mgn_rejected, "ConflictException": _mgn_conflict},
    unknown_propagates=True,
)
# Kept for the CLI, which names its own fix for a denied call.
TRANSIENT_CODES = COMMON_ERRORS.transient
ACCESS_CODES = COMMON_ERRORS.denied


def translate(  # noqa: PLR0911 - one answer per question, asked in order
    exc: ClientError,
    action: str,
    codes: ServiceErrors = COMMON_ERRORS,
    *,
    specific: Mapping[str, Callable[[ClientError], Exception]] | None = None,
    resource: str = "",
    denied_fix: str = "grant it to this function's role",
) -> Exception | None:
    """The typed error for one failed call, or None when the service's table lets it propagate.

    `resource` names what the call was about, for a not-found message ("staging VPC vpc-…");
    without it the service's own `resourceType`/`resourceId` members name it."""
    code = error_code(exc)
    message = _message(exc)
    members = _members(exc)
    status = int(members.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    if specific and code in specific:
        return specific[code](exc)
    if code in codes.typed:
        return codes.typed[code](exc, action)
    if code in codes.not_found:
        named = resource or f"{members.get('resourceType', 'resource')} {members.get('resourceId', '')}".strip()
        return AwsResourceNotFoundError(f"{named} does not exist ({code} from {action}: {message})")
    if codes.is_denied(code):
        return AwsAccessError(f"not allowed to call {action} ({code}): {denied_fix}")
    if code in codes.transient or status >= 500:
        retry_after = members.get("retryAfterSeconds")
        hint = f" (the service asks to retry after {retry_after} s)" if retry_after is not None else ""
        return TransientAwsError(f"{action} failed transiently ({code or status}){hint}: {message}")
    if codes.unknown_propagates:
        return None
    return AwsRequestError(f"{action} failed ({code}): {message}")


@contextmanager
def aws_call(
    action: str,
    specific: Mapping[str, Callable[[ClientError], Exception]] | None = None,
    *,
    codes: ServiceErrors = COMMON_ERRORS,
    resource: str = "",
    denied_fix: str = "grant it to this function's role",
) -> Iterator[None]:
    """Run one AWS call (all its pages); `specific` maps error codes the caller cares about."""
    try:
        yield
    except ClientError as exc:
        error = translate(exc, action, codes, specific=specific, resource=resource, denied_fix=denied_fix)
        if error is None:
            raise
        raise error from exc
    except (ConnectionError, ReadTimeoutError) as exc:
        raise TransientAwsError(f"{action} could not reach the endpoint: {exc}") from exc
