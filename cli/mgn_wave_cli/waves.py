"""Running waves from a laptop: start a `MigrateWave` execution, follow it, read its outcome and report.

Pure helpers read the execution history (the state an execution is in, each server's row);
the AWS calls take injected clients and turn `ClientError` into our typed errors, so the
command line prints one readable line instead of a traceback.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from pydantic import ValidationError

from mgn_wave import ids, timeutil
from mgn_wave.adapters.errors import ACCESS_CODES, aws_call, error_code
from mgn_wave.errors import (
    AwsAccessError,
    AwsRequestError,
    AwsResourceNotFoundError,
    InvalidInputError,
    MgnWaveError,
    TransientAwsError,
)
from mgn_wave.models.findings import Finding
from mgn_wave.models.server import ServerResult, WaveSummary
from mgn_wave.models.source_server import SourceServerRecord
from mgn_wave.models.wave import validate_wave_input
from mgn_wave.replication.classifier import classify

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping

    from botocore.exceptions import ClientError
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_stepfunctions import SFNClient
    from mypy_boto3_stepfunctions.type_defs import GetExecutionHistoryInputTypeDef

    from mgn_wave.adapters.mgn import MgnAdapter
    from mgn_wave.models.verdict import ReplicationVerdict

STATE_MACHINE_OUTPUT = "StateMachineArn"  # template.yaml Outputs
FINISHED = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}
_END_EVENTS = {
    "ExecutionSucceeded": "SUCCEEDED",
    "ExecutionFailed": "FAILED",
    "ExecutionTimedOut": "TIMED_OUT",
    "ExecutionAborted": "ABORTED",
}
# The per-server states whose task output is a replication verdict (phase, progressPercent, outcome).
VERDICT_STATES = frozenset({"AwaitReplication", "PollReplication"})
# Where a server is, in the operator's words, while it has no result yet.
STEP_OF_STATE = {
    "ConfigureServer": "configuring",
    "AwaitReplication": "awaiting replication",
    "PollReplication": "polling MGN",
}
# execution-input field -> the flag an operator typed
FLAG_OF_INPUT_FIELD = {"wave": "--wave", "instanceIds": "--instance-id", "dryRun": "--dry-run", "force": "--force"}
EXECUTION_NAME_MAX = 80
# \Z, not $ (which also matches before a final newline); [0-9], not \d (any script's digits).
STATE_MACHINE_ARN_PATTERN = re.compile(rf"^{ids.STATE_MACHINE_ARN}\Z")
EXECUTION_ARN_PATTERN = re.compile(rf"^{ids.EXECUTION_ARN}\Z")
STACK_NAME_PATTERN = re.compile(rf"^([A-Za-z][-A-Za-z0-9]{{0,127}}|{ids.STACK_ARN})\Z")
_FIRST_PAGE, _NEXT_PAGES = 1000, 100  # events per history page: everything at first, then the news


# --- the execution input and its name ---------------------------------------------------------


def wave_input(*, wave: str, instance_ids: list[str] | None, dry_run: bool, force: bool) -> dict[str, Any]:
    """The execution input, validated by the model the ValidateInput Lambda uses. A bad value
    raises InvalidInputError whose field is the flag: `--instance-id #2: String should match ...`."""
    raw: dict[str, Any] = {"wave": wave}
    if instance_ids:
        raw["instanceIds"] = list(instance_ids)
    if dry_run:
        raw["dryRun"] = True
    if force:
        raw["force"] = True
    try:
        validate_wave_input(raw)
    except InvalidInputError as exc:
        name, _, index = exc.field.partition("[")
        flag = FLAG_OF_INPUT_FIELD.get(name, name)
        where = f"{flag} #{int(index.rstrip(']')) + 1}" if index else flag
        raise InvalidInputError(where, exc.problem) from None
    return raw


def execution_name(wave: str, *, now: datetime, suffix: str | None = None) -> str:
    """`wave-01-20260105T0900Z-3f9a`: readable in the console, unique, ≤80 chars of [A-Za-z0-9_-]."""
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%MZ")
    suffix = suffix if suffix is not None else secrets.token_hex(2)
    room = EXECUTION_NAME_MAX - len(stamp) - len(suffix) - 2
    safe_wave = re.sub(r"[^A-Za-z0-9_-]", "-", wave)[:room]
    return f"{safe_wave}-{stamp}-{suffix}"


def region_of(arn: str) -> str:
    """The Region field of an ARN (`arn:partition:service:region:account:...`)."""
    return arn.split(":")[3]


# --- AWS calls --------------------------------------------------------------------------------


def _denied(action: str) -> Callable[[ClientError], Exception]:
    def translate(exc: ClientError) -> Exception:
        return AwsAccessError(f"not allowed to call {action} ({error_code(exc)}): your AWS identity needs it")

    return translate


def _not_found(message: str) -> Callable[[ClientError], Exception]:
    def translate(exc: ClientError) -> Exception:
        return AwsResourceNotFoundError(f"{message} ({error_code(exc)})")

    return translate


@contextmanager
def _call(action: str, not_found: Mapping[str, str] | None = None) -> Iterator[None]:
    """One AWS call for the CLI: access denied names the caller's identity (not a Lambda role);
    `not_found` maps error codes to what is missing."""
    specific = {code: _denied(action) for code in ACCESS_CODES}
    specific |= {code: _not_found(message) for code, message in (not_found or {}).items()}
    with aws_call(action, specific):
        yield


def state_machine_arn_from_stack(cfn: CloudFormationClient, stack_name: str) -> str:
    """The stack's `StateMachineArn` output."""
    missing = f"stack {stack_name} not found in {cfn.meta.region_name}"
    with _call("cloudformation:DescribeStacks", {"ValidationError": missing}):
        stacks = cfn.describe_stacks(StackName=stack_name)["Stacks"]
    for output in stacks[0].get("Outputs", []) if stacks else []:
        if output.get("OutputKey") == STATE_MACHINE_OUTPUT and output.get("OutputValue"):
            return output["OutputValue"]
    status = stacks[0].get("StackStatus", "?") if stacks else "?"
    raise AwsResourceNotFoundError(
        f"stack {stack_name} ({status}) has no {STATE_MACHINE_OUTPUT} output: is it an mgn-wave stack?"
    )


def start_execution(sfn: SFNClient, state_machine_arn: str, execution_input: Mapping[str, Any], name: str) -> str:
    with _call(
        "states:StartExecution",
        {
            "StateMachineDoesNotExist": f"state machine {state_machine_arn} does not exist",
            "ExecutionAlreadyExists": f"an execution named {name} exists already; start again for a new name",
        },
    ):
        started = sfn.start_execution(stateMachineArn=state_machine_arn, name=name, input=json.dumps(execution_input))
    return started["executionArn"]


def _json(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None  # a truncated (> 256 KiB) payload in the history


@dataclass(frozen=True)
class Execution:
    """One MigrateWave execution as DescribeExecution tells it."""

    arn: str
    name: str
    status: str
    started: datetime
    stopped: datetime | None
    input: dict[str, Any]
    output: dict[str, Any] | None
    error: str | None
    cause: str | None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def totals(self) -> dict[str, int] | None:
        totals = ((self.output or {}).get("summary") or {}).get("totals")
        return totals if isinstance(totals, dict) else None

    @property
    def summary(self) -> WaveSummary | None:
        """Every server's result, when the output carries them (else they are in the JSON report)."""
        raw = (self.output or {}).get("summary")
        return WaveSummary.model_validate(raw) if isinstance(raw, dict) and "servers" in raw else None

    @property
    def report(self) -> dict[str, str] | None:
        """`{bucket, jsonKey, markdownKey}` of the wave report, once it is written: under `report`
        (a Report state) or `summary` (Summarize writes it)."""
        for key in ("report", "summary"):
            location = (self.output or {}).get(key)
            if isinstance(location, dict) and {"bucket", "jsonKey", "markdownKey"} <= location.keys():
                return {k: str(location[k]) for k in ("bucket", "jsonKey", "markdownKey")}
        return None

    @property
    def names(self) -> dict[str, str]:
        """Instance ID -> computer name, from ResolveServers' output."""
        servers = ((self.output or {}).get("resolved") or {}).get("servers") or []
        return {s["instanceId"]: s["computerName"] for s in servers if s.get("computerName")}

    @property
    def blocking_findings(self) -> list[Finding]:
        """The findings a PreflightBlocked failure carries in its cause."""
        raw = _json(self.cause) if self.error == "PreflightBlocked" else None
        if not isinstance(raw, list):
            return []
        try:
            return [Finding.model_validate(item) for item in raw]
        except ValidationError:
            return []

    def as_json(
        self, state: str | None, *, summary: WaveSummary | None = None, progress: WaveProgress | None = None
    ) -> dict[str, Any]:
        document: dict[str, Any] = {
            "executionArn": self.arn,
            "name": self.name,
            "status": self.status,
            "state": state,
            "startDate": self.started.isoformat(),
            "stopDate": self.stopped.isoformat() if self.stopped else None,
            "input": self.input,
            "error": self.error,
            "cause": self.cause,
        }
        if summary is not None:
            document["summary"] = summary.model_dump(mode="json", by_alias=True)
        elif self.totals is not None:
            document["summary"] = {"totals": self.totals}
        if self.report:
            document["report"] = self.report
        if self.blocking_findings:
            document["findings"] = [f.model_dump(mode="json") for f in self.blocking_findings]
        if progress is not None and not self.finished:
            document["progress"] = {"servers": [asdict(row) for row in progress.servers], "mapRun": progress.map_counts}
        return document


def describe_execution(sfn: SFNClient, execution_arn: str) -> Execution:
    with _call("states:DescribeExecution", {"ExecutionDoesNotExist": f"execution {execution_arn} does not exist"}):
        described = sfn.describe_execution(executionArn=execution_arn)
    output = _json(described.get("output"))
    return Execution(
        arn=described["executionArn"],
        name=described["name"],
        status=described["status"],
        started=described["startDate"],
        stopped=described.get("stopDate"),
        input=_json(described.get("input")) or {},
        output=output if isinstance(output, dict) else None,
        error=described.get("error"),
        cause=described.get("cause"),
    )


def newest_execution_of_wave(sfn: SFNClient, state_machine_arn: str, wave: str) -> str:
    """The most recent execution whose input names this wave (ListExecutions is newest first)."""
    missing = {"StateMachineDoesNotExist": f"state machine {state_machine_arn} does not exist"}
    with _call("states:ListExecutions", missing):
        for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=state_machine_arn):
            for item in page["executions"]:
                described = sfn.describe_execution(executionArn=item["executionArn"])
                execution_input = _json(described.get("input"))
                if isinstance(execution_input, dict) and execution_input.get("wave") == wave:
                    return item["executionArn"]
    raise AwsResourceNotFoundError(f"no execution of wave {wave} in {state_machine_arn}")


def report_summary(s3: S3Client, location: Mapping[str, str]) -> WaveSummary:
    """Every server's result and the totals, from the JSON wave report."""
    report = _json(read_report(s3, location, as_json=True))
    try:
        return WaveSummary.model_validate((report or {}).get("summary"))
    except ValidationError as exc:
        raise AwsRequestError(f"s3://{location['bucket']}/{location['jsonKey']} is not a wave report: {exc}") from None


def read_report(s3: S3Client, location: Mapping[str, str], *, as_json: bool) -> str:
    key = location["jsonKey"] if as_json else location["markdownKey"]
    gone = f"the report s3://{location['bucket']}/{key} is gone"
    with _call("s3:GetObject", {"NoSuchKey": gone, "NoSuchBucket": gone}):
        body = s3.get_object(Bucket=location["bucket"], Key=key)["Body"].read()
    return body.decode("utf-8")


class HistoryReader:
    """The execution's new history events on each call, oldest first.

    Reads newest first (`reverseOrder`) and stops at the first event it has seen, so a poll costs
    one small page however long the history grows. A service that ignores `reverseOrder` (moto)
    returns pages oldest first: the filter on event IDs and the final sort make that correct too."""

    def __init__(self, sfn: SFNClient, execution_arn: str) -> None:
        self._sfn = sfn
        self._execution_arn = execution_arn
        self.last_event_id = 0

    def read_new(self) -> list[dict[str, Any]]:
        request: GetExecutionHistoryInputTypeDef = {
            "executionArn": self._execution_arn,
            "reverseOrder": True,
            "maxResults": _FIRST_PAGE if self.last_event_id == 0 else _NEXT_PAGES,
        }
        fresh: dict[int, dict[str, Any]] = {}
        missing = {"ExecutionDoesNotExist": f"execution {self._execution_arn} does not exist"}
        with _call("states:GetExecutionHistory", missing):
            while True:
                page = self._sfn.get_execution_history(**request)
                events = page["events"]
                new = [event for event in events if event["id"] > self.last_event_id]
                fresh.update((event["id"], dict(event)) for event in new)
                token = page.get("nextToken")
                if not token or len(new) < len(events):
                    break
                request["nextToken"] = token
        ordered = [fresh[event_id] for event_id in sorted(fresh)]
        if ordered:
            self.last_event_id = ordered[-1]["id"]
        return ordered


# --- what the history says -------------------------------------------------------------------


@dataclass
class ServerRow:
    """One server of the wave as far as the history (and MGN) tell."""

    instance_id: str
    name: str | None = None
    source_server_id: str | None = None
    step: str = "found"  # where it is while it has no result
    phase: str | None = None  # the replication phase, once known
    progress_percent: float | None = None  # initial sync, once known
    status: str | None = None  # the wave's verdict: SUCCEEDED | FAILED | SKIPPED once decided
    reason: str = ""
    # Stalled while MGN retries on its own: the error, when MGN tries again, and what to check.
    stalled_error: str | None = None
    next_attempt: str | None = None
    stall_hint: str = ""


@dataclass
class _Entered:
    name: str
    instance_id: str | None  # set for the states of one server's iteration


@dataclass
class WaveProgress:
    """Folds history events, in order, into the execution's state and a row per server."""

    state: str | None = None  # the last state entered
    status: str | None = None  # how the execution ended, once it has
    rows: dict[str, ServerRow] = field(default_factory=dict)
    # A Distributed Map runs each server as a child execution, outside this history: its counts
    # (DescribeMapRun `itemCounts`) say how far it is.
    map_run_arn: str | None = None
    map_run_open: bool = False
    map_counts: dict[str, int] | None = None
    _maps: list[str] = field(default_factory=list)
    _entered: dict[int, _Entered] = field(default_factory=dict)
    _owner: dict[int, int] = field(default_factory=dict)  # event ID -> ID of its state's Entered event

    @property
    def finished(self) -> bool:
        return self.status is not None

    @property
    def where(self) -> str | None:
        """`ForEachServer > AwaitReplication` inside a Map, else the state itself."""
        if self._maps and self.state and self.state != self._maps[0]:
            return f"{self._maps[0]} > {self.state}"
        return self.state

    @property
    def map_done(self) -> str | None:
        """`3 of 4 servers done (1 failed)` while a Distributed Map runs."""
        counts = self.map_counts
        if not counts or not counts.get("total"):
            return None
        done = sum(counts.get(k, 0) for k in ("succeeded", "failed", "timedOut", "aborted"))
        failed = done - counts.get("succeeded", 0)
        return f"{done} of {counts['total']} servers done" + (f" ({failed} failed)" if failed else "")

    @property
    def servers(self) -> list[ServerRow]:
        return sorted(self.rows.values(), key=lambda row: (row.name or "~", row.instance_id))

    def apply(self, events: Iterable[Mapping[str, Any]]) -> None:
        for event in events:
            self._apply(event)

    def _apply(self, event: Mapping[str, Any]) -> None:
        event_id, kind = int(event["id"]), str(event["type"])
        if "stateEnteredEventDetails" in event:
            self._enter(event_id, kind, event["stateEnteredEventDetails"])
            return
        self._owner[event_id] = self._owner.get(int(event.get("previousEventId", 0)), 0)
        entered = self._entered.get(self._owner[event_id])
        if kind in _END_EVENTS:
            self.status = _END_EVENTS[kind]
        elif kind == "MapRunStarted":
            self.map_run_arn = str(event["mapRunStartedEventDetails"]["mapRunArn"])
            self.map_run_open = True
        elif kind in ("MapRunSucceeded", "MapRunFailed", "MapRunAborted"):
            self.map_run_open = False
        elif "stateExitedEventDetails" in event:
            self._exit(kind, entered, event["stateExitedEventDetails"])
        elif kind == "TaskSucceeded" and entered is not None:
            self._task_output(entered, _json(event["taskSucceededEventDetails"].get("output")))

    def _enter(self, event_id: int, kind: str, details: Mapping[str, Any]) -> None:
        name = str(details["name"])
        self.state = name
        self._owner[event_id] = event_id
        # Inside a Map an input is one server's item (small); at the top level it is the whole wave.
        item = _json(details.get("input")) if self._maps else None
        instance_id = item.get("instanceId") if isinstance(item, dict) else None
        self._entered[event_id] = _Entered(name, instance_id)
        if kind == "MapStateEntered":
            self._maps.append(name)
        if isinstance(item, dict) and instance_id:
            row = self._step(instance_id, STEP_OF_STATE.get(name, name))
            row.source_server_id = row.source_server_id or item.get("sourceServerId")

    def _exit(self, kind: str, entered: _Entered | None, details: Mapping[str, Any]) -> None:
        if kind == "MapStateExited" and self._maps:
            self._maps.pop()
        if entered is not None and entered.instance_id:
            output = _json(details.get("output"))
            if isinstance(output, dict) and {"instanceId", "status", "stage"} <= output.keys():
                self._result(output)

    def _task_output(self, entered: _Entered, output: Any) -> None:
        if isinstance(output, dict) and "Payload" in output and "StatusCode" in output:
            output = output["Payload"]  # lambda:invoke wraps the function's answer
        if not isinstance(output, dict):
            return
        if entered.instance_id and entered.name in VERDICT_STATES:
            self._verdict(self._row(entered.instance_id), output, decides=True)
            return
        for server in output.get("servers") or []:  # ResolveServers (managed nodes), Summarize (results)
            if isinstance(server, dict) and "status" in server:
                self._result(server)
            elif isinstance(server, dict) and server.get("instanceId"):
                self._row(server["instanceId"]).name = server.get("computerName")
        for command in output.get("commands") or []:  # InstallAgents
            for instance_id in command.get("instanceIds") or []:
                self._step(instance_id, "installing agent")
        for installed in output.get("installed") or []:  # CheckInstalls
            self._step(installed["instanceId"], "agent installed").source_server_id = installed.get("sourceServerId")
        for result in output.get("results") or []:  # servers that end before replication, with the reason
            self._result(result)

    def _row(self, instance_id: str) -> ServerRow:
        return self.rows.setdefault(instance_id, ServerRow(instance_id))

    def _step(self, instance_id: str, step: str) -> ServerRow:
        row = self._row(instance_id)
        if row.status is None:
            row.step = step
        return row

    @staticmethod
    def _verdict(row: ServerRow, verdict: Mapping[str, Any], *, decides: bool) -> None:
        if row.status is not None:
            return
        row.phase = verdict.get("phase") or row.phase
        if verdict.get("progressPercent") is not None:
            row.progress_percent = float(verdict["progressPercent"])
        if decides and verdict.get("outcome") in ("SUCCEEDED", "FAILED"):
            row.status = str(verdict["outcome"])
            row.reason = str(verdict.get("reason") or "")

    def _result(self, raw: Mapping[str, Any]) -> None:
        try:
            result = ServerResult.model_validate(raw)
        except ValidationError:
            return
        row = self._row(result.instance_id)
        row.status = result.status.value
        row.step = result.stage.value
        row.phase = result.phase or row.phase
        row.source_server_id = result.source_server_id or row.source_server_id
        row.reason = result.reason

    def apply_mgn(self, server: Mapping[str, Any], verdict: ReplicationVerdict) -> None:
        """What MGN says of one of the wave's source servers: its phase and sync %. The verdict
        column stays the state machine's; MGN's view only shows how far replication is."""
        record = SourceServerRecord(server)
        instance_id = record.user_provided_id
        row = self.rows.get(instance_id) if instance_id else None
        row = row or next((r for r in self.rows.values() if r.source_server_id == verdict.source_server_id), None)
        if row is None and instance_id:
            row = self._step(instance_id, "in MGN")
        if row is None:
            return  # a server without the managed-node ID the installer sets: not ours to show
        row.name = row.name or record.hostname
        row.source_server_id = row.source_server_id or verdict.source_server_id
        self._verdict(row, verdict.model_dump(mode="json", by_alias=True), decides=False)
        retrying = verdict.next_attempt_date_time is not None and verdict.data_replication_error is not None
        row.stalled_error = (
            verdict.data_replication_error.error if retrying and verdict.data_replication_error else None
        )
        row.next_attempt = timeutil.iso(verdict.next_attempt_date_time) if verdict.next_attempt_date_time else None
        row.stall_hint = verdict.hint if retrying else ""


def current_state(events: Iterable[Mapping[str, Any]]) -> str | None:
    """The state the execution is in: the last `*StateEntered` event's state."""
    progress = WaveProgress()
    progress.apply(events)
    return progress.state


def server_rows(events: Iterable[Mapping[str, Any]]) -> list[ServerRow]:
    """A row per server the history knows: where it is, its phase and sync %, its verdict."""
    progress = WaveProgress()
    progress.apply(events)
    return progress.servers


def latest_state(sfn: SFNClient, execution_arn: str) -> str | None:
    """The last state entered, reading the history from its end."""
    request: GetExecutionHistoryInputTypeDef = {"executionArn": execution_arn, "reverseOrder": True, "maxResults": 50}
    with _call("states:GetExecutionHistory", {"ExecutionDoesNotExist": f"execution {execution_arn} does not exist"}):
        while True:
            page = sfn.get_execution_history(**request)
            entered = [e for e in page["events"] if "stateEnteredEventDetails" in e]
            if entered:
                return max(entered, key=lambda e: e["id"])["stateEnteredEventDetails"]["name"]
            if not page.get("nextToken"):
                return None
            request["nextToken"] = page["nextToken"]


def refresh_map_run(sfn: SFNClient, progress: WaveProgress) -> None:
    """The Distributed Map's item counts, while it runs (and once more when it has ended)."""
    if progress.map_run_arn is None or (progress.map_counts is not None and not progress.map_run_open):
        return
    with _call("states:DescribeMapRun"):
        counts = sfn.describe_map_run(mapRunArn=progress.map_run_arn)["itemCounts"]
    progress.map_counts = dict(cast("Mapping[str, int]", counts))


def load_progress(sfn: SFNClient, execution_arn: str) -> WaveProgress:
    progress = WaveProgress()
    progress.apply(HistoryReader(sfn, execution_arn).read_new())
    refresh_map_run(sfn, progress)
    return progress


# --- following a running execution ---------------------------------------------------------------


class MgnLiveProgress:
    """Phase and sync % straight from MGN (DescribeSourceServers) for the wave's source servers —
    tagged with the wave by the installer, or known from the history. The history has a verdict
    only once a server is decided or a fallback poll ran, and none at all when the servers run as a
    Distributed Map's child executions. Turns itself off when the operator may not read MGN."""

    def __init__(
        self,
        mgn: MgnAdapter,
        *,
        wave: str,
        wave_tag_key: str,
        every_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._mgn = mgn
        self._wave = wave
        self._wave_tag_key = wave_tag_key
        self._every = every_seconds
        self._clock = clock
        self._last: float | None = None
        self.note: str | None = None  # why live progress is off

    def refresh(self, progress: WaveProgress) -> None:
        now = self._clock()
        if self.note or progress.finished or (self._last is not None and now - self._last < self._every):
            return
        self._last = now
        known = {row.source_server_id for row in progress.rows.values() if row.source_server_id}
        try:
            # No tag filter in the API: one page of up to 1,000 servers per call, every `every_seconds`.
            servers = self._mgn.describe_source_servers()
        except TransientAwsError:
            return  # next round
        except MgnWaveError as exc:
            self.note = f"no live sync % from MGN: {exc}"
            return
        for server in servers:
            record = SourceServerRecord(server)
            in_wave = record.tags.get(self._wave_tag_key) == self._wave
            if record.archived or not (in_wave or record.source_server_id in known):
                continue
            progress.apply_mgn(server, classify(server, now=timeutil.utcnow()))


def follow(
    sfn: SFNClient,
    execution_arn: str,
    *,
    poll_seconds: float,
    on_progress: Callable[[WaveProgress], None],
    live: MgnLiveProgress | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[Execution, WaveProgress]:
    """Poll the history until the execution ends; `on_progress` sees every round."""
    reader = HistoryReader(sfn, execution_arn)
    progress = WaveProgress()
    while True:
        progress.apply(reader.read_new())
        refresh_map_run(sfn, progress)
        if live is not None:
            live.refresh(progress)
        on_progress(progress)
        if progress.finished:
            return describe_execution(sfn, execution_arn), progress
        sleep(poll_seconds)
