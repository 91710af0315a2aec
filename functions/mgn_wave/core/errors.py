"""Typed errors. Class names are part of the state machine's contract: `Retry`/`Catch` match them."""

from __future__ import annotations


class MgnWaveError(Exception):
    """Base of every error this package raises on purpose."""


class InvalidInputError(MgnWaveError):
    """Input that breaks its contract. The message names the field and the allowed form."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


class ConfigurationError(MgnWaveError):
    """A missing or malformed environment variable / stack parameter."""


class TransientAwsError(MgnWaveError):
    """Throttling or a 5xx after the SDK's own retries: the state machine retries with backoff."""


class AwsAccessError(MgnWaveError):
    """AccessDenied/UnauthorizedOperation: retrying will not help; the role lacks a permission."""


class AwsResourceNotFoundError(MgnWaveError):
    """A resource named by configuration or input does not exist."""


class MgnNotInitializedError(MgnWaveError):
    """MGN has not been initialised in this Region (UninitializedAccountException)."""


class MgnRequestRejectedError(MgnWaveError):
    """MGN answered ValidationException: the request breaks a service-side rule (a limit, an enum,
    an ID pattern). Retrying the same request will not help; the message names each field."""

    def __init__(self, operation: str, message: str, reason: str, fields: list[tuple[str, str]]) -> None:
        self.operation = operation
        self.reason = reason
        self.fields = fields
        listed = "; ".join(f"{name}: {problem}" for name, problem in fields)
        super().__init__(f"MGN rejected {operation} ({reason}): {message}" + (f" [fields: {listed}]" if listed else ""))


class MgnConflictError(MgnWaveError):
    """MGN answered ConflictException: the resource is in a state that forbids the change now
    (e.g. a source server that is busy). It may succeed later; the state machine decides."""


class AmbiguousTemplateError(MgnWaveError):
    """Several replication templates exist and no stack parameter says which one to enforce."""


class GuardrailViolationError(MgnWaveError):
    """Writing the replication settings would break the private path; nothing was written."""


class AwsRequestError(MgnWaveError):
    """An AWS error that is neither transient, a missing permission, nor a missing resource
    (e.g. a malformed request): retrying will not help and the message names the call."""


class NodeUnreachableError(MgnWaveError):
    """SSM cannot deliver a command to a node (not managed, offline, or not in a valid state)."""


class PrivatePathIncompleteError(MgnWaveError):
    """An endpoint the install needs is missing (the preflight would have reported it)."""
