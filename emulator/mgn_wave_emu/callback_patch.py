"""A task token answers once, as on AWS: moto's engine keeps a completed task's callback
endpoint and lets a second SendTaskSuccess overwrite its outcome and report success; Step
Functions refuses it (the task no longer exists). Its own refusal for a timed-out or abandoned
task (`TaskDoesNotExist()`, `TaskTimedOut()`) cannot even be built (their constructor wants a
message) and reaches the caller as a TypeError. Here both answer with the modelled error, so the
tests that must prove no task is completed twice can see it."""

from __future__ import annotations

from typing import Any
from unittest import mock

from moto.core.exceptions import AWSError
from moto.stepfunctions.parser.asl.eval.callback.callback import (
    CallbackConsumerTimeout,
    CallbackEndpoint,
    CallbackPoolManager,
)


class TaskDoesNotExistError(AWSError):  # type: ignore[misc]  # moto ships no type hints here
    TYPE = "TaskDoesNotExist"
    STATUS = 400


class TaskTimedOutError(AWSError):  # type: ignore[misc]
    TYPE = "TaskTimedOut"
    STATUS = 400


def _notify_once(original: Any) -> Any:
    def notify(manager: CallbackPoolManager, callback_id: str, outcome: Any) -> bool:
        endpoint: CallbackEndpoint | None = manager.get(callback_id)
        if endpoint is not None and endpoint.consumer_error is not None:
            if isinstance(endpoint.consumer_error, CallbackConsumerTimeout):
                raise TaskTimedOutError("Task Timed Out: the task's timeout passed before this answer")
            raise TaskDoesNotExistError("Task does not exist anymore")
        if endpoint is not None and endpoint.get_outcome() is not None:
            raise TaskDoesNotExistError("Task does not exist anymore: it was already completed")
        return bool(original(manager, callback_id, outcome))

    return notify


def callback_patches() -> list[Any]:
    """Patches (not started): a task token's endpoint accepts one outcome."""
    return [mock.patch.object(CallbackPoolManager, "notify", _notify_once(CallbackPoolManager.notify))]
