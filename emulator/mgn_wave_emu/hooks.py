"""One botocore `before-send` hook, registered ahead of moto's, that routes requests to our
emulated services (Lambda invoke, MGN). Everything it does not claim falls through to moto.

botocore copies `BUILTIN_HANDLERS` into each new session, so the hook is inserted at import time
and the default boto3 session is dropped on activation: clients created after that see it.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Protocol

import boto3
from botocore.handlers import BUILTIN_HANDLERS

if TYPE_CHECKING:
    from botocore.awsrequest import AWSPreparedRequest, AWSResponse


ANSWERED_URL = "https://answered-by-mgn-wave-emulator.invalid/"


class ServiceEmulator(Protocol):
    """Answers one service's requests. Returns None to let the request fall through to moto."""

    def handle(self, operation_name: str, request: AWSPreparedRequest) -> AWSResponse | None: ...


class _Router:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._services: dict[str, ServiceEmulator] = {}

    def activate(self, services: dict[str, ServiceEmulator]) -> None:
        with self._lock:
            self._services = dict(services)
        boto3.DEFAULT_SESSION = None

    def deactivate(self) -> None:
        with self._lock:
            self._services = {}

    def __call__(self, request: AWSPreparedRequest, event_name: str, **_kwargs: Any) -> AWSResponse | None:
        # event_name is "before-send.<service-id>.<OperationName>"
        _event, service_id, operation_name = event_name.split(".", 2)
        with self._lock:
            emulator = self._services.get(service_id)
        if emulator is None:
            return None
        response = emulator.handle(operation_name, request)
        if response is not None:
            # botocore runs *every* before-send handler and uses the first answer, so moto's
            # handler would still act on this request (a second SendCommand, a Lambda it cannot
            # find). Pointing the answered request at a host no moto backend serves keeps it out.
            request.url = ANSWERED_URL
        return response


router = _Router()

if not any(entry[1] is router for entry in BUILTIN_HANDLERS):
    BUILTIN_HANDLERS.insert(0, ("before-send", router))
