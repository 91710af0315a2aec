"""SSM Run Command as the install Lambda sees it, for the fleet's nodes and our install document.

A `ServiceEmulator` for the router (key `"ssm"`). It answers SendCommand for the install document
only, the command and invocation reads for the commands it sent, and the managed-node reads for
the fleet's nodes; everything else returns None and falls through to moto.

Time is the virtual clock's. A node runs the script when SendCommand arrives (the effects, such as
an MGN registration, happen then), but the invocation reads `Pending`, then `InProgress`, until the
clock passes its simulated start and duration. `next_change_at()` says when the next status
changes, for a clock driver. What the service documents but the emulation decides (⚠️):

- an offline (ConnectionLost) node is `Delayed` until the delivery timeout (`TimeoutSeconds`,
  default 3600), then `TimedOut` / `DeliveryTimedOut`; an unknown node ID is `InvalidInstanceId`;
- `fail_delivery` makes a node `Failed` / `Undeliverable` (not counted against MaxErrors);
  `time_out` makes it `TimedOut` / `ExecutionTimedOut` after the step's timeout without running;
- a command terminated by MaxErrors shows `Cancelled` / `Terminated` on the invocations not started;
- GetCommandInvocation needs `PluginName` for this two-step document (`InvalidPluginName` without).
"""

from __future__ import annotations

import base64
import binascii
import heapq
import json
import math
import random
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from mgn_wave.agent_install.node_result import STANDARD_OUTPUT_LIMIT, NodeStatus, parse_result
from mgn_wave_emu.fleet.wire import SsmServiceError, error_response, parse_request, ssm_model, success_response

if TYPE_CHECKING:
    from collections.abc import Callable

    from botocore.awsrequest import AWSPreparedRequest, AWSResponse

    from mgn_wave_emu.clock import VirtualClock
    from mgn_wave_emu.fleet.fleet import Fleet
    from mgn_wave_emu.fleet.nodes import ManagedNode
    from mgn_wave_emu.fleet.sandbox import ScriptRun

STANDARD_ERROR_LIMIT = 8_000  # GetCommandInvocation.StandardErrorContent keeps the first 8,000 characters
PLUGIN_OUTPUT_LIMIT = 2_500  # ListCommandInvocations' CommandPlugin.Output
DEFAULT_DELIVERY_TIMEOUT_SECONDS = 3600
DELIVERY_LATENCY = timedelta(seconds=2)
WINDOWS_FAILURE_DURATION = timedelta(seconds=5)
MAX_TAGS_PER_NODE = 50
ANSWERED_URL = "https://answered-by-the-mgn-wave-fleet.invalid/"
_ERROR_DETAILS = frozenset({"Failed", "ExecutionTimedOut"})  # count against MaxErrors
_TERMINAL = frozenset({"Success", "Cancelled", "TimedOut", "Failed"})
_EXECUTION_TIMEOUT_NOTE = "mgn-wave emulator: the step ran into its execution timeout (fault knob time_out)"
_NO_POWERSHELL_NOTE = (
    "mgn-wave emulator: this fleet cannot run PowerShell, so the Windows step did not run and nothing changed "
    "on this node (agent/install-windows.ps1 is checked statically only)."
)
_INSTANCE_ID = re.compile(r"(^i-(\w{8}|\w{17})$)|(^mi-\w{17}$)")
_INFORMATION_FILTER_VALUES = {
    "PingStatus": {"Online", "ConnectionLost", "Inactive"},
    "PlatformTypes": {"Windows", "Linux", "MacOS"},
    "ResourceType": {"ManagedInstance", "EC2Instance"},
}
_INFORMATION_KEYS = frozenset(
    {"InstanceIds", "AgentVersion", "PingStatus", "PlatformTypes", "ActivationIds", "IamRole", "ResourceType"}
)


def _epoch(moment: datetime) -> float:
    return moment.timestamp()


def _iso(moment: datetime) -> str:
    # The service writes milliseconds ("…T21:12:38.264Z"), which its own StringDateTime pattern
    # refuses (one fractional digit at most); whole seconds satisfy both readers.
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class PluginOutcome:
    """One document step on one node, as it ends."""

    name: str
    status: str  # Success | Failed | TimedOut | Cancelled
    details: str
    response_code: int
    stdout: str = ""
    stderr: str = ""


@dataclass
class Invocation:
    command_id: str
    node: ManagedNode
    requested_at: datetime
    start_at: datetime | None  # None: never runs on the node
    end_at: datetime  # when it reaches its final status
    final_status: str
    final_details: str
    plugins: list[PluginOutcome]
    waiting: tuple[str, str] = ("Pending", "Pending")
    run: ScriptRun | None = None

    def status_at(self, now: datetime) -> tuple[str, str]:
        if now >= self.end_at:
            return self.final_status, self.final_details
        if self.start_at is not None and now >= self.start_at:
            return "InProgress", "InProgress"
        return self.waiting

    def terminal_at(self, now: datetime) -> bool:
        return now >= self.end_at

    @property
    def response_code(self) -> int:
        codes = [p.response_code for p in self.plugins if p.status != "Success"]
        return codes[0] if codes else 0

    def changes(self) -> list[datetime]:
        return [t for t in (self.start_at, self.end_at) if t is not None]


@dataclass
class Command:
    command_id: str
    request: dict[str, Any]  # SendCommand's request, as sent
    parameters: dict[str, list[str]]  # with the document's defaults filled in
    requested_at: datetime
    timeout_seconds: int
    max_concurrency: str
    max_errors: str
    instance_ids: list[str]
    invocations: list[Invocation] = field(default_factory=list)

    def status_at(self, now: datetime) -> tuple[str, str]:
        if not self.invocations:
            return "Success", "NoInstancesInTag"
        statuses = [invocation.status_at(now) for invocation in self.invocations]
        if any(status not in _TERMINAL for status, _ in statuses):
            started = any(status not in {"Pending", "Delayed"} for status, _ in statuses)
            return ("InProgress", "InProgress") if started else ("Pending", "Pending")
        # Undeliverable invocations do not count toward Success or Failed, unless all are.
        details = {d for _, d in statuses if d != "Undeliverable"}
        for outcome, when in (
            (("Failed", "Failed"), not details or details & {*_ERROR_DETAILS, "Terminated"}),
            (("Success", "Success"), details == {"Success"}),
            (("TimedOut", "DeliveryTimedOut"), "DeliveryTimedOut" in details),
        ):
            if when:
                return outcome
        return "Cancelled", "Cancelled"


class SsmEmulator:
    """SSM for the fleet. Implements `hooks.ServiceEmulator`."""

    def __init__(self, fleet: Fleet, clock: VirtualClock, *, seed: int = 0) -> None:
        self.fleet = fleet
        self.clock = clock
        self._lock = threading.RLock()
        self._rng = random.Random(seed)
        self._commands: dict[str, Command] = {}
        # MGN's launched instances with a running SSM Agent (mgn/launch.py), for DescribeInstanceInformation
        self.launched: Callable[[list[str], datetime], list[dict[str, Any]]] | None = None
        self._requests = 0
        self._handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "SendCommand": self._send_command,
            "GetCommandInvocation": self._get_command_invocation,
            "ListCommandInvocations": self._list_command_invocations,
            "ListCommands": self._list_commands,
            "DescribeInstanceInformation": self._describe_instance_information,
            "ListTagsForResource": self._list_tags,
            "AddTagsToResource": self._add_tags,
            "RemoveTagsFromResource": self._remove_tags,
        }

    # --- the wire ---

    def handle(self, operation_name: str, request: AWSPreparedRequest) -> AWSResponse | None:
        handler = self._handlers.get(operation_name)
        if handler is None:
            return None
        operation = ssm_model().operation_model(operation_name)
        with self._lock:
            self._requests += 1
            request_id = str(uuid.UUID(int=self._requests))
            if not self._claims(operation_name, request):
                return None
            try:
                response = success_response(operation, request, handler(parse_request(operation, request)), request_id)
            except SsmServiceError as error:
                response = error_response(request, error, request_id)
            _keep_moto_out(request)
            return response

    def _claims(self, operation_name: str, request: AWSPreparedRequest) -> bool:
        """Is this request about our document, our commands or our nodes? (Else: moto's.)"""
        from mgn_wave_emu.fleet.wire import request_body  # noqa: PLC0415 - the same parse, before validation

        body = request_body(request)
        if operation_name == "SendCommand":
            name = str(body.get("DocumentName", ""))
            # Ours; or a document nobody has (moto would "run" any name, AWS answers InvalidDocument).
            return name == self.fleet.document_name or not self.fleet.document_exists_elsewhere(name)
        if operation_name in ("GetCommandInvocation", "ListCommandInvocations", "ListCommands"):
            command_id = body.get("CommandId")
            if command_id is not None:
                return command_id in self._commands
            instance_id = body.get("InstanceId")
            return instance_id is None or instance_id in self.fleet.nodes
        if operation_name in ("ListTagsForResource", "AddTagsToResource", "RemoveTagsFromResource"):
            resource_id = str(body.get("ResourceId", ""))
            return bool(body.get("ResourceType") == "ManagedInstance" and resource_id.startswith("mi-"))
        return True

    # --- SendCommand ---

    def _send_command(self, params: dict[str, Any]) -> dict[str, Any]:
        if params["DocumentName"] != self.fleet.document_name:
            raise SsmServiceError("InvalidDocument", f"Document {params['DocumentName']} does not exist")
        document = self.fleet.document_content
        version = params.get("DocumentVersion", "$DEFAULT")
        if version not in ("$DEFAULT", "$LATEST", "1"):
            raise SsmServiceError("InvalidDocumentVersion", f"Document version {version} does not exist")
        parameters = self._document_parameters(document, params.get("Parameters", {}))
        nodes = self._targets(params)
        now = self.clock.now()
        timeout = int(params.get("TimeoutSeconds", DEFAULT_DELIVERY_TIMEOUT_SECONDS))
        command = Command(
            command_id=str(uuid.UUID(int=self._rng.getrandbits(128), version=4)),
            request=params,
            parameters=parameters,
            requested_at=now,
            timeout_seconds=timeout,
            max_concurrency=params.get("MaxConcurrency", "50"),
            max_errors=params.get("MaxErrors", "0"),
            instance_ids=list(params.get("InstanceIds", [])),
        )
        self.fleet.refresh_network()
        self._schedule(command, nodes)
        self._commands[command.command_id] = command
        return {"Command": self._command_wire(command, now)}

    def _document_parameters(self, document: dict[str, Any], given: dict[str, Any]) -> dict[str, list[str]]:
        declared: dict[str, dict[str, Any]] = document.get("parameters", {})
        unknown = sorted(set(given) - set(declared))
        if unknown:
            raise SsmServiceError(
                "InvalidParameters",
                f"You can only supply values to parameters defined in the SSM document; not defined: {unknown}",
            )
        values: dict[str, list[str]] = {}
        for name, spec in declared.items():
            if name in given:
                value = given[name]
            elif "default" in spec:
                value = [spec["default"]]
            else:
                raise SsmServiceError("InvalidParameters", f"Parameter {name} is required")
            if not isinstance(value, list) or len(value) != 1 or not isinstance(value[0], str):
                raise SsmServiceError("InvalidParameters", f"Parameter {name} is a String: give exactly one value")
            pattern = spec.get("allowedPattern")
            # The value is never echoed: parameters are sensitive (they may hold credentials).
            if pattern is not None and re.fullmatch(pattern, value[0]) is None:
                raise SsmServiceError(
                    "InvalidParameters", f"Parameter value for {name} does not match the allowed pattern {pattern}"
                )
            values[name] = [value[0]]
        return values

    def _targets(self, params: dict[str, Any]) -> list[ManagedNode]:
        instance_ids: list[str] = params.get("InstanceIds", [])
        targets: list[dict[str, Any]] = params.get("Targets", [])
        if bool(instance_ids) == bool(targets):
            raise SsmServiceError("ValidationException", "Specify either InstanceIds or Targets (exactly one of them)")
        if instance_ids:
            if len(set(instance_ids)) != len(instance_ids):
                raise SsmServiceError("DuplicateInstanceId", "You can't specify a managed node ID twice")
            unknown = [i for i in instance_ids if i not in self.fleet.nodes]
            if unknown:
                raise SsmServiceError(
                    "InvalidInstanceId",
                    f"Instances [{unknown}] not in a valid state for account {self.fleet.account_id}",
                )
            return [self.fleet.nodes[i] for i in instance_ids]
        matched = list(self.fleet.nodes.values())
        for target in targets:
            key, values = target.get("Key", ""), set(target.get("Values", []))
            if key.lower() == "instanceids":
                matched = [n for n in matched if n.node_id in values]
            elif key.startswith("tag:"):
                matched = [n for n in matched if n.tags.get(key[4:]) in values]
            elif key == "tag-key":
                matched = [n for n in matched if values & set(n.tags)]
            else:
                raise SsmServiceError("ValidationException", f"mgn-wave emulator: target key {key} is not emulated")
        return matched

    def _schedule(self, command: Command, nodes: list[ManagedNode]) -> None:
        """Decide, node by node in order, when each invocation starts and how it ends, honouring
        MaxConcurrency (at most that many run at once) and MaxErrors (once more invocations have
        failed than allowed, the ones not yet started are terminated)."""
        count = len(nodes)
        concurrency = _limit(command.max_concurrency, count, minimum=1)
        allowed_errors = _limit(command.max_errors, count, minimum=0, round_up=False)
        earliest = command.requested_at + DELIVERY_LATENCY
        running: list[datetime] = []  # end times of invocations holding a concurrency slot
        failures: list[datetime] = []
        ran_ahead = self._run_ahead(command, nodes, terminable=allowed_errors < count)
        # What the S3 endpoint serves cannot change during one SendCommand: read it once.
        mirror = self.fleet.mirror() if any(node.platform == "Linux" for node in nodes) else None
        for node in nodes:
            if self.fleet.is_undeliverable(node):
                command.invocations.append(self._undeliverable(command, node, earliest))
                continue
            if not node.online:
                command.invocations.append(self._delivery_timed_out(command, node))
                continue
            while running and running[0] <= earliest:
                heapq.heappop(running)
            start = heapq.heappop(running) if len(running) >= concurrency else earliest
            if sum(1 for end in failures if end <= start) > allowed_errors:
                command.invocations.append(self._terminated(command, node, start))
                continue
            invocation = self._run(command, node, start, ran_ahead.get(node.node_id), mirror)
            command.invocations.append(invocation)
            heapq.heappush(running, invocation.end_at)
            if invocation.final_details in _ERROR_DETAILS:
                failures.append(invocation.end_at)

    def _run_ahead(self, command: Command, nodes: list[ManagedNode], *, terminable: bool) -> dict[str, ScriptRun]:
        """With the fleet's `script_workers` > 1, run the script on every node that will run it,
        several at a time, before scheduling. Not when MaxErrors could terminate an invocation
        (which node runs then depends on the ones before it)."""
        if self.fleet.script_workers <= 1 or terminable:
            return {}
        runnable = [
            node
            for node in nodes
            if node.online
            and node.platform == "Linux"
            and not self.fleet.is_undeliverable(node)
            and not self.fleet.is_execution_timeout(node)
        ]
        return self.fleet.execute_many(runnable, {k: v[0] for k, v in command.parameters.items()})

    def _run(
        self,
        command: Command,
        node: ManagedNode,
        start: datetime,
        ahead: ScriptRun | None = None,
        mirror: dict[str, dict[str, bytes] | None] | None = None,
    ) -> Invocation:
        linux, windows = self._step_names()
        own, other = (linux, windows) if node.platform == "Linux" else (windows, linux)
        if self.fleet.is_execution_timeout(node):
            timed_out = PluginOutcome(own, "TimedOut", "ExecutionTimedOut", -1, stderr=_EXECUTION_TIMEOUT_NOTE)
            end = start + timedelta(seconds=self.fleet.execution_timeout_seconds)
            return _invocation(command, node, start, end, [timed_out, _skipped(other)])
        if node.platform == "Windows":
            failed = PluginOutcome(windows, "Failed", "Failed", 1, stderr=_NO_POWERSHELL_NOTE)
            return _invocation(command, node, start, start + WINDOWS_FAILURE_DURATION, [_skipped(linux), failed])
        run = ahead or self.fleet.execute(node, {k: v[0] for k, v in command.parameters.items()}, mirror)
        status = "Success" if run.exit_code == 0 else "Failed"
        ran = PluginOutcome(
            linux,
            status,
            status,
            run.exit_code,
            stdout=run.stdout[:STANDARD_OUTPUT_LIMIT],
            stderr=run.stderr[:STANDARD_ERROR_LIMIT],
        )
        installing = parse_result(run.stdout).status in (NodeStatus.INSTALLED, NodeStatus.INSTALL_FAILED)
        duration = self.fleet.install_seconds if installing else self.fleet.probe_seconds
        invocation = _invocation(command, node, start, start + timedelta(seconds=duration), [ran, _skipped(windows)])
        invocation.run = run
        return invocation

    def _undeliverable(self, command: Command, node: ManagedNode, at: datetime) -> Invocation:
        plugins = [PluginOutcome(name, "Failed", "Undeliverable", -1) for name in self._step_names()]
        return _invocation(command, node, None, at, plugins)

    def _delivery_timed_out(self, command: Command, node: ManagedNode) -> Invocation:
        end = command.requested_at + timedelta(seconds=command.timeout_seconds)
        plugins = [PluginOutcome(name, "TimedOut", "DeliveryTimedOut", -1) for name in self._step_names()]
        return _invocation(command, node, None, end, plugins, waiting=("Delayed", "Delayed"))

    def _terminated(self, command: Command, node: ManagedNode, at: datetime) -> Invocation:
        plugins = [PluginOutcome(name, "Cancelled", "Terminated", -1) for name in self._step_names()]
        return _invocation(command, node, None, at, plugins)

    def _step_names(self) -> tuple[str, str]:
        steps = self.fleet.document_content["mainSteps"]
        linux = next(s["name"] for s in steps if s["action"] == "aws:runShellScript")
        windows = next(s["name"] for s in steps if s["action"] == "aws:runPowerShellScript")
        return linux, windows

    # --- reads ---

    def _command(self, command_id: str) -> Command:
        command = self._commands.get(command_id)
        if command is None:
            raise SsmServiceError("InvalidCommandId", f"Command {command_id} does not exist")
        return command

    def _get_command_invocation(self, params: dict[str, Any]) -> dict[str, Any]:
        command = self._command(params["CommandId"])
        invocation = next((i for i in command.invocations if i.node.node_id == params["InstanceId"]), None)
        if invocation is None:
            raise SsmServiceError("InvocationDoesNotExist", "The command ID and managed node ID match no invocation")
        plugin_name = params.get("PluginName")
        if plugin_name is None:
            # The API reference: with more than one step, the step must be named.
            raise SsmServiceError(
                "InvalidPluginName", "This document has more than one step: name the step in PluginName"
            )
        plugin = next((p for p in invocation.plugins if p.name == plugin_name), None)
        if plugin is None:
            raise SsmServiceError("InvalidPluginName", f"The document has no step named {plugin_name}")
        now = self.clock.now()
        status, details = invocation.status_at(now)
        answer: dict[str, Any] = {
            "CommandId": command.command_id,
            "InstanceId": invocation.node.node_id,
            "DocumentName": self.fleet.document_name,
            "DocumentVersion": "1",
            "PluginName": plugin.name,
            "ResponseCode": -1,
            "Status": status,
            "StatusDetails": details,
            "StandardOutputContent": "",
            "StandardOutputUrl": "",
            "StandardErrorContent": "",
            "StandardErrorUrl": "",
        }
        if "Comment" in command.request:
            answer["Comment"] = command.request["Comment"]
        if invocation.start_at is not None and now >= invocation.start_at:
            answer["ExecutionStartDateTime"] = _iso(invocation.start_at)
        if invocation.terminal_at(now):
            answer.update(
                Status=plugin.status,
                StatusDetails=plugin.details,
                ResponseCode=plugin.response_code,
                StandardOutputContent=plugin.stdout[:STANDARD_OUTPUT_LIMIT],
                StandardErrorContent=plugin.stderr[:STANDARD_ERROR_LIMIT],
            )
            if invocation.start_at is not None:
                elapsed = (invocation.end_at - invocation.start_at).total_seconds()
                answer["ExecutionEndDateTime"] = _iso(invocation.end_at)
                answer["ExecutionElapsedTime"] = f"PT{elapsed:g}S"
        return answer

    def _list_command_invocations(self, params: dict[str, Any]) -> dict[str, Any]:
        now = self.clock.now()
        commands = [self._command(params["CommandId"])] if "CommandId" in params else self._recent_commands()
        invocations = [
            invocation
            for command in commands
            for invocation in command.invocations
            if params.get("InstanceId") in (None, invocation.node.node_id)
            and _matches_filters(params.get("Filters", []), command, invocation.status_at(now)[0], now)
        ]
        page, token = _page("ListCommandInvocations", invocations, params)
        answer: dict[str, Any] = {
            "CommandInvocations": [self._invocation_wire(i, now, details=bool(params.get("Details"))) for i in page]
        }
        if token:
            answer["NextToken"] = token
        return answer

    def _invocation_wire(self, invocation: Invocation, now: datetime, *, details: bool) -> dict[str, Any]:
        command = self._commands[invocation.command_id]
        status, status_details = invocation.status_at(now)
        wire: dict[str, Any] = {
            "CommandId": command.command_id,
            "InstanceId": invocation.node.node_id,
            "InstanceName": invocation.node.computer_name,
            "DocumentName": self.fleet.document_name,
            "DocumentVersion": "1",
            "RequestedDateTime": _epoch(command.requested_at),
            "Status": status,
            "StatusDetails": status_details,
            "TraceOutput": "",
            "StandardOutputUrl": "",
            "StandardErrorUrl": "",
            "CommandPlugins": [],
        }
        if "Comment" in command.request:
            wire["Comment"] = command.request["Comment"]
        if details:
            wire["CommandPlugins"] = [_plugin_wire(p, invocation, now) for p in invocation.plugins]
        return wire

    def _list_commands(self, params: dict[str, Any]) -> dict[str, Any]:
        now = self.clock.now()
        if "CommandId" in params:
            commands = [self._command(params["CommandId"])]
        else:
            instance_id = params.get("InstanceId")
            commands = [
                c
                for c in self._recent_commands()
                if instance_id is None or any(i.node.node_id == instance_id for i in c.invocations)
            ]
        commands = [c for c in commands if _matches_filters(params.get("Filters", []), c, c.status_at(now)[0], now)]
        wires = [self._command_wire(c, now) for c in commands]
        if "CommandId" not in params and "InstanceId" not in params:
            # moto's, for documents that are not ours; a DocumentName filter naming ours leaves them out.
            named = {f["value"] for f in params.get("Filters", []) if f["key"] == "DocumentName"}
            wires += [w for w in self.fleet.other_commands() if not named or w.get("DocumentName") in named]
        page, token = _page("ListCommands", wires, params)
        answer: dict[str, Any] = {"Commands": page}
        if token:
            answer["NextToken"] = token
        return answer

    def _recent_commands(self) -> list[Command]:
        return sorted(self._commands.values(), key=lambda c: c.requested_at, reverse=True)

    def _command_wire(self, command: Command, now: datetime) -> dict[str, Any]:
        status, details = command.status_at(now)
        statuses = [i.status_at(now) for i in command.invocations]
        request = command.request
        wire: dict[str, Any] = {
            "CommandId": command.command_id,
            "DocumentName": self.fleet.document_name,
            "DocumentVersion": "1",
            "Comment": request.get("Comment", ""),
            "ExpiresAfter": _epoch(command.requested_at + timedelta(seconds=command.timeout_seconds)),
            # As the service does: SendCommand and ListCommands echo the parameters, credentials
            # included. This is the exposure README "Credentials" describes.
            "Parameters": command.parameters,
            "InstanceIds": command.instance_ids,
            "Targets": request.get("Targets", []),
            "RequestedDateTime": _epoch(command.requested_at),
            "Status": status,
            "StatusDetails": details,
            "MaxConcurrency": command.max_concurrency,
            "MaxErrors": command.max_errors,
            "TargetCount": len(command.invocations),
            "CompletedCount": sum(1 for s, _ in statuses if s in _TERMINAL),
            "ErrorCount": sum(1 for _, d in statuses if d in _ERROR_DETAILS),
            "DeliveryTimedOutCount": sum(1 for _, d in statuses if d == "DeliveryTimedOut"),
            "TimeoutSeconds": command.timeout_seconds,
        }
        for member in ("OutputS3BucketName", "OutputS3KeyPrefix", "NotificationConfig", "CloudWatchOutputConfig"):
            if member in request:
                wire[member] = request[member]
        if "ServiceRoleArn" in request:
            wire["ServiceRole"] = request["ServiceRoleArn"]
        return wire

    # --- managed nodes ---

    def _describe_instance_information(self, params: dict[str, Any]) -> dict[str, Any]:
        nodes = list(self.fleet.nodes.values())
        wanted_ec2 = [
            value
            for item in params.get("Filters", [])
            if item["Key"] == "InstanceIds"
            for value in item["Values"]
            if value.startswith("i-")
        ]
        if wanted_ec2 and self.launched is not None:
            return {"InstanceInformationList": self.launched(wanted_ec2, self.clock.now())}
        for item in params.get("InstanceInformationFilterList", []):
            nodes = _filter_nodes(nodes, item["key"], item["valueSet"])
        for item in params.get("Filters", []):
            nodes = _filter_nodes(nodes, item["Key"], item["Values"])
        now = self.clock.now()
        page, token = _page("DescribeInstanceInformation", [n.information(now) for n in nodes], params)
        answer: dict[str, Any] = {"InstanceInformationList": page}
        if token:
            answer["NextToken"] = token
        return answer

    def _node_for_tags(self, params: dict[str, Any]) -> ManagedNode:
        node = self.fleet.nodes.get(params["ResourceId"])
        if node is None:
            raise SsmServiceError("InvalidResourceId", f"The resource ID {params['ResourceId']} isn't valid")
        return node

    def _list_tags(self, params: dict[str, Any]) -> dict[str, Any]:
        node = self._node_for_tags(params)
        return {"TagList": [{"Key": k, "Value": v} for k, v in sorted(node.tags.items())]}

    def _add_tags(self, params: dict[str, Any]) -> dict[str, Any]:
        node = self._node_for_tags(params)
        tags = {**node.tags, **{t["Key"]: t["Value"] for t in params["Tags"]}}
        if len(tags) > MAX_TAGS_PER_NODE:
            raise SsmServiceError("TooManyTagsError", f"A managed node can have at most {MAX_TAGS_PER_NODE} tags")
        node.tags = tags
        return {}

    def _remove_tags(self, params: dict[str, Any]) -> dict[str, Any]:
        node = self._node_for_tags(params)
        node.tags = {k: v for k, v in node.tags.items() if k not in set(params["TagKeys"])}
        return {}

    # --- the clock driver's question ---

    def next_change_at(self) -> datetime | None:
        """The earliest moment after now at which an invocation's status changes (None: none will)."""
        now = self.clock.now()
        with self._lock:
            upcoming = [
                moment
                for command in self._commands.values()
                for invocation in command.invocations
                for moment in invocation.changes()
                if moment > now
            ]
        return min(upcoming, default=None)

    def commands(self) -> list[Command]:
        with self._lock:
            return list(self._commands.values())


def _invocation(
    command: Command,
    node: ManagedNode,
    start: datetime | None,
    end: datetime,
    plugins: list[PluginOutcome],
    *,
    waiting: tuple[str, str] = ("Pending", "Pending"),
) -> Invocation:
    """An invocation whose final status follows from its steps: the first step that did not
    succeed decides (a skipped step succeeds)."""
    failed = next((p for p in plugins if p.status != "Success"), None)
    status, details = (failed.status, failed.details) if failed else ("Success", "Success")
    return Invocation(command.command_id, node, command.requested_at, start, end, status, details, plugins, waiting)


def _keep_moto_out(request: AWSPreparedRequest) -> None:
    """botocore runs every `before-send` handler and takes the first answer, so moto's handler would
    still act on a request we answered: record a second SendCommand, or raise NotImplementedError
    for DescribeInstanceInformation and ListCommandInvocations, which moto lacks. Pointing the
    answered request at a host no moto backend serves makes moto's handler pass."""
    request.url = ANSWERED_URL  # the router does this for every emulator too; kept for direct callers


def _skipped(name: str) -> PluginOutcome:
    platform = "Windows" if "Windows" in name else "Linux"
    precondition = f"'\"StringEquals\": [platformType, {platform}]'"
    output = f"Step execution skipped due to unsatisfied preconditions: {precondition}. Step name: {name}"
    return PluginOutcome(name, "Success", "Success", 0, stdout=output)


def _plugin_wire(plugin: PluginOutcome, invocation: Invocation, now: datetime) -> dict[str, Any]:
    if not invocation.terminal_at(now):
        running = invocation.start_at is not None and now >= invocation.start_at
        return {"Name": plugin.name, "Status": "InProgress" if running else "Pending", "ResponseCode": -1, "Output": ""}
    output = plugin.stdout
    if plugin.stderr:
        output += "\n----------ERROR-------\n" + plugin.stderr
    wire: dict[str, Any] = {
        "Name": plugin.name,
        "Status": plugin.status,
        "StatusDetails": plugin.details,
        "ResponseCode": plugin.response_code,
        "Output": output[:PLUGIN_OUTPUT_LIMIT],
        "StandardOutputUrl": "",
        "StandardErrorUrl": "",
    }
    if invocation.start_at is not None:
        wire["ResponseStartDateTime"] = _epoch(invocation.start_at)
        wire["ResponseFinishDateTime"] = _epoch(invocation.end_at)
    return wire


def _limit(value: str, count: int, *, minimum: int, round_up: bool = True) -> int:
    """MaxConcurrency/MaxErrors: a number, or a percentage of the targets (⚠️ rounding not documented)."""
    if value.endswith("%"):
        share = count * int(value[:-1]) / 100
        return max(minimum, math.ceil(share) if round_up else math.floor(share))
    return max(minimum, int(value))


def _filter_nodes(nodes: list[ManagedNode], key: str, values: list[str]) -> list[ManagedNode]:
    wanted = set(values)
    if key.startswith("tag:"):
        return [n for n in nodes if n.tags.get(key[4:]) in wanted]
    if key == "tag-key":
        return [n for n in nodes if wanted & set(n.tags)]
    if key not in _INFORMATION_KEYS and key != "AssociationStatus":
        raise SsmServiceError("InvalidFilterKey", f"The filter key {key} isn't valid")
    if key == "InstanceIds" and any(not _INSTANCE_ID.match(v) for v in values):
        raise SsmServiceError("InvalidInstanceInformationFilterValue", "An InstanceIds filter value isn't a node ID")
    allowed = _INFORMATION_FILTER_VALUES.get(key)
    if allowed is not None and not wanted <= allowed:
        raise SsmServiceError("InvalidInstanceInformationFilterValue", f"{key} accepts only {sorted(allowed)}")
    attribute: dict[str, Callable[[ManagedNode], str]] = {
        "InstanceIds": lambda n: n.node_id,
        "AgentVersion": lambda n: n.agent_version,
        "PingStatus": lambda n: n.ping_status,
        "PlatformTypes": lambda n: n.platform,
        "ActivationIds": lambda n: n.activation_id,
        "IamRole": lambda n: "SSMServiceRole",
        "ResourceType": lambda n: "ManagedInstance",
        "AssociationStatus": lambda n: "",
    }
    read = attribute[key]
    return [n for n in nodes if read(n) in wanted]


def _matches_filters(filters: list[dict[str, str]], command: Command, status: str, now: datetime) -> bool:
    for item in filters:
        key, value = item["key"], item["value"]
        if key == "Status" and status != value:
            return False
        if key == "DocumentName" and value != command.request.get("DocumentName"):
            return False
        if key == "ExecutionStage" and value != ("Complete" if status in _TERMINAL else "Executing"):
            return False
        if key in ("InvokedAfter", "InvokedBefore"):
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if (key == "InvokedAfter") != (command.requested_at >= moment):
                return False
    return True


def _page(operation: str, items: list[Any], params: dict[str, Any]) -> tuple[list[Any], str | None]:
    start = 0
    token = params.get("NextToken")
    if token:
        try:
            decoded = json.loads(base64.urlsafe_b64decode(token.encode()))
            if decoded["op"] != operation or not isinstance(decoded["offset"], int):
                raise ValueError(token)
            start = decoded["offset"]
        except (binascii.Error, ValueError, KeyError, TypeError):
            raise SsmServiceError("InvalidNextToken", "The specified token isn't valid") from None
    size = int(params.get("MaxResults", 50))
    page = items[start : start + size]
    if start + size < len(items):
        return page, base64.urlsafe_b64encode(json.dumps({"op": operation, "offset": start + size}).encode()).decode()
    return page, None
