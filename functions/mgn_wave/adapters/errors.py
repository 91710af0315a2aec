"""Translation of botocore errors into our typed errors, by error code, for the adapters that
share the common cases (throttling and 5xx are transient, access denied is not retryable)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError, ConnectionError, ReadTimeoutError

from mgn_wave.errors import AwsAccessError, AwsRequestError, TransientAwsError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

TRANSIENT_CODES = frozenset(
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
)
ACCESS_CODES = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "NotAuthorized"})


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


@contextmanager
def aws_call(action: str, specific: Mapping[str, Callable[[ClientError], Exception]] | None = None) -> Iterator[None]:
    """Run one AWS call (all its pages); `specific` maps error codes the caller cares about."""
    try:
        yield
    except ClientError as exc:
        code = error_code(exc)
        message = str(exc.response.get("Error", {}).get("Message", ""))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        if specific and code in specific:
            raise specific[code](exc) from exc
        if code in TRANSIENT_CODES or status >= 500:
            raise TransientAwsError(f"{action}: {code} {message}".strip()) from exc
        if code in ACCESS_CODES:
            raise AwsAccessError(f"not allowed to call {action} ({code}): grant it to this function's role") from exc
        raise AwsRequestError(f"{action} failed: {code}: {message}") from exc
    except (ConnectionError, ReadTimeoutError) as exc:
        raise TransientAwsError(f"{action} could not reach the endpoint: {exc}") from exc
