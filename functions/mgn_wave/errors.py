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
