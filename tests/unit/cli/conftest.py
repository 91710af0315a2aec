"""Execution histories built event by event, shaped like the ones Step Functions (and the local
engine) write: `previousEventId` chains a task's events to the state that ran it, which is how
the CLI tells whose output a `TaskSucceeded` is. Fakes stand in for Step Functions and MGN."""

from __future__ import annotations

import json
from typing import Any

import pytest

GIB = 1024**3


class History:
    """`enter` a state, then `task`/`exit` it; iterations of a Map interleave like parallel branches."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def _add(self, kind: str, previous: int, details: dict[str, Any] | None = None) -> int:
        event: dict[str, Any] = {"id": len(self.events) + 1, "type": kind, "previousEventId": previous}
        event.update(details or {})
        self.events.append(event)
        return int(event["id"])

    @property
    def last(self) -> int:
        return len(self.events)

    def started(self, execution_input: dict[str, Any]) -> int:
        return self._add(
            "ExecutionStarted", 0, {"executionStartedEventDetails": {"input": json.dumps(execution_input)}}
        )

    def enter(self, name: str, state_input: Any = None, *, kind: str = "Task", after: int | None = None) -> int:
        details = {"name": name, "input": json.dumps(state_input if state_input is not None else {})}
        return self._add(
            f"{kind}StateEntered", self.last if after is None else after, {"stateEnteredEventDetails": details}
        )

    def task(self, entered: int, output: Any, *, lambda_invoke: bool = True) -> int:
        """Scheduled, started, succeeded: the output as lambda:invoke (wrapped) or a callback (as is)."""
        scheduled = self._add("TaskScheduled", entered)
        started = self._add("TaskStarted", scheduled)
        text = output if isinstance(output, str) else json.dumps(output)
        if lambda_invoke and not isinstance(output, str):
            text = json.dumps({"StatusCode": 200, "ExecutedVersion": "$LATEST", "Payload": output})
        return self._add("TaskSucceeded", started, {"taskSucceededEventDetails": {"output": text}})

    def timed_out(self, entered: int) -> int:
        """A task that ran out of time (AwaitReplication's fallback to a poll)."""
        started = self._add("TaskStarted", self._add("TaskScheduled", entered))
        return self._add("TaskTimedOut", started, {"taskTimedOutEventDetails": {"error": "States.Timeout"}})

    def exit(self, name: str, previous: int, output: Any = None, *, kind: str = "Task") -> int:
        details = {"name": name, "output": json.dumps(output if output is not None else {})}
        return self._add(f"{kind}StateExited", previous, {"stateExitedEventDetails": details})

    def run_task(self, name: str, output: Any, state_input: Any = None) -> None:
        entered = self.enter(name, state_input)
        self.exit(name, self.task(entered, output))

    def add(self, kind: str, details: dict[str, Any] | None = None) -> int:
        return self._add(kind, self.last, details)


@pytest.fixture
def history() -> History:
    history = History()
    history.started({"wave": "wave-01"})
    return history


class FakeSfn:
    """`get_execution_history` over a list of events, with Step Functions' paging and order —
    or, `honours_order=False`, like moto: everything, oldest first, in one page."""

    def __init__(self, events: list[dict[str, Any]], *, honours_order: bool = True) -> None:
        self.events = events
        self.honours_order = honours_order
        self.requests: list[dict[str, Any]] = []

    def get_execution_history(self, **request: Any) -> dict[str, Any]:
        self.requests.append(request)
        if not self.honours_order:
            return {"events": list(self.events)}
        ordered = list(reversed(self.events)) if request.get("reverseOrder") else list(self.events)
        start = int(request.get("nextToken") or 0)
        size = int(request.get("maxResults") or 100)
        page: dict[str, Any] = {"events": ordered[start : start + size]}
        if start + size < len(ordered):
            page["nextToken"] = str(start + size)
        return page


class FakeMgn:
    """`MgnAdapter.describe_source_servers` over a list of SourceServer dicts, or an error."""

    def __init__(self, servers: list[dict[str, Any]], error: Exception | None = None) -> None:
        self.servers = servers
        self.error = error
        self.calls = 0

    def describe_source_servers(self, source_server_ids: list[str] | None = None) -> list[dict[str, Any]]:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return [s for s in self.servers if source_server_ids is None or s["sourceServerID"] in source_server_ids]


def syncing_server(
    source_server_id: str, instance_id: str, hostname: str, *, percent: int, tags: dict[str, str]
) -> dict[str, Any]:
    """A SourceServer in its initial sync, `percent` of its one 100 GiB disk copied."""
    return {
        "sourceServerID": source_server_id,
        "userProvidedID": instance_id,
        "isArchived": False,
        "tags": tags,
        "sourceProperties": {"identificationHints": {"hostname": hostname}},
        "lifeCycle": {"state": "NOT_READY", "addedToServiceDateTime": "2026-01-05T09:00:00Z"},
        "dataReplicationInfo": {
            "dataReplicationState": "INITIAL_SYNC",
            "replicatedDisks": [
                {"deviceName": "/dev/sda", "totalStorageBytes": 100 * GIB, "replicatedStorageBytes": percent * GIB}
            ],
        },
    }


@pytest.fixture
def fake_sfn() -> type[FakeSfn]:
    return FakeSfn


@pytest.fixture
def fake_mgn() -> type[FakeMgn]:
    return FakeMgn


@pytest.fixture
def mgn_server() -> Any:
    return syncing_server
