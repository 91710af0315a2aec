"""MGN as the Lambdas see it over the wire: source servers, replication templates, per-server
replication configuration, tags. moto has no MGN; this answers the rest-json protocol from a
botocore `before-send` hook so boto3's whole serialise/parse path runs.

State is plain dicts in the wire shape (`SourceServer`, `ReplicationConfiguration`, ...), so what a
test reads with `source_server()` is exactly what `DescribeSourceServers` returns, and every
response is checked against its output shape before it leaves.
"""

from __future__ import annotations

import base64
import binascii
import collections
import copy
import functools
import json
import random
import string
import threading
import uuid
from datetime import UTC
from typing import TYPE_CHECKING, Any

import botocore.session

from mgn_wave_emu.mgn.launch import LAUNCH_HANDLERS, LaunchEngine
from mgn_wave_emu.mgn.replication import REPLICATION_HANDLERS, ReplicationEngine
from mgn_wave_emu.mgn.validation import FieldError, validate
from mgn_wave_emu.mgn.wire import (
    MgnServiceError,
    error_response,
    error_shape_for,
    parse_request,
    service_model,
    success_response,
    validation_error,
)

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from botocore.awsrequest import AWSPreparedRequest, AWSResponse

    from mgn_wave_emu.clock import VirtualClock
    from mgn_wave_emu.mgn.replication import EventFaults, EventSink, NetworkOracle

    Handler = Callable[["MgnEmulator", dict[str, Any]], dict[str, Any]]

_ID_ALPHABET = string.digits + string.ascii_lowercase
_ID_LENGTH = 17  # every MGN ID pattern is "<prefix>-[0-9a-zA-Z]{17}"
_MAX_TAGS_PER_RESOURCE = 50
_DEFAULT_DISKS = [("/dev/sda", 8 * 1024**3)]  # a scenario that names no disks gets one boot disk
_RETRY_AFTER_SECONDS = "1"
# docs/mgn-facts.md §1.3: archiving "only works for SourceServers with a lifecycle state that equals
# DISCONNECTED or CUTOVER". Deleting has no stated precondition in MGN; its sibling service DRS
# documents "must be disconnected first" (⚠️ assumed to hold for MGN too).
_ARCHIVABLE_STATES = frozenset({"DISCONNECTED", "CUTOVER"})


class RegistrationRefusedError(RuntimeError):
    """A source server cannot be registered in the emulator's current state (like an agent
    install failing against an uninitialised service)."""


def _members(shape_name: str) -> frozenset[str]:
    return frozenset(service_model().shape_for(shape_name).members)  # type: ignore[attr-defined]


class MgnEmulator:
    """The MGN service for one account and Region. Implements `hooks.ServiceEmulator`."""

    def __init__(
        self,
        clock: VirtualClock,
        account_id: str = "123456789012",
        region: str = "us-east-1",
        *,
        initialized: bool = True,
        seed: int = 0,
    ) -> None:
        self.clock = clock
        self.account_id = account_id
        self.region = region
        self.calls: collections.Counter[str] = collections.Counter()
        self._lock = threading.RLock()
        self._initialized = initialized
        self._rng = random.Random(seed)
        self._partition = _partition(region)
        self._requests = 0
        self._servers: dict[str, dict[str, Any]] = {}
        self._configs: dict[str, dict[str, Any]] = {}
        self._templates: dict[str, dict[str, Any]] = {}
        self._by_arn: dict[str, dict[str, Any]] = {}  # tagged resources: servers and templates
        self._busy: set[str] = set()
        self._faults: dict[str, collections.deque[tuple[str, dict[str, Any]]]] = collections.defaultdict(
            collections.deque
        )
        # Fields a server's configuration inherits from the template: the ones both shapes share
        self._template_settings = _members("ReplicationConfigurationTemplate") & _members("ReplicationConfiguration")
        # Registered servers replicate as the virtual clock moves (mgn/replication.py)
        self.replication: ReplicationEngine = ReplicationEngine(
            clock=clock,
            account_id=account_id,
            region=region,
            servers=self._servers,
            configs=self._configs,
            lock=self._lock,
            lookup=self._server,
        )
        # Test and cutover launches, termination, finalisation (mgn/launch.py)
        self.launch: LaunchEngine = LaunchEngine(self, clock=clock, replication=self.replication)

    # ---- the wire -------------------------------------------------------------------------

    def handle(self, operation_name: str, request: AWSPreparedRequest) -> AWSResponse | None:
        """Answers one MGN request. Every call is counted, including rejected ones."""
        operation = service_model().operation_model(operation_name)
        with self._lock:
            self.calls[operation_name] += 1
            self._requests += 1
            self.replication.catch_up()
            self.launch.run_until(self.clock.now())
            request_id = str(uuid.UUID(int=self._requests))
            try:
                body = self._dispatch(operation_name, request)
            except MgnServiceError as error:
                return error_response(request, error, request_id)
            return success_response(operation, request, body, request_id)

    def _dispatch(self, operation_name: str, request: AWSPreparedRequest) -> dict[str, Any]:
        faults = self._faults.get(operation_name)
        if faults:
            raise self._injected(*faults.popleft())
        handler = _HANDLERS.get(operation_name)
        if handler is None:
            # A modelled, non-retryable answer: the SDK and the state machine stop at once,
            # and the message says the gap is in the emulator, not in the request.
            raise MgnServiceError(
                "ValidationException",
                f"mgn-wave emulator: {operation_name} is not emulated",
                members={"reason": "unknownOperation", "fieldList": []},
            )
        operation = service_model().operation_model(operation_name)
        # Request validation comes before any account or resource check, as in AWS front ends (⚠️)
        params = parse_request(operation, request)
        # The model says which operations raise it: not the three tag operations, for instance
        raises_uninitialized = any(e.name == "UninitializedAccountException" for e in operation.error_shapes)
        if not self._initialized and raises_uninitialized:
            raise MgnServiceError(
                "UninitializedAccountException",
                f"Account {self.account_id} is not initialized for Application Migration Service in {self.region}",
            )
        return handler(self, params)

    def _injected(self, code: str, members: dict[str, Any]) -> MgnServiceError:
        message = f"{code} injected by the mgn-wave emulator fault knob"
        headers = {}
        if code in {"ThrottlingException", "InternalServerException"}:
            # Both model `retryAfterSeconds` as the HTTP Retry-After header
            headers["Retry-After"] = _RETRY_AFTER_SECONDS
        return MgnServiceError(code, message, members=members, headers=headers)

    # ---- operations -----------------------------------------------------------------------

    def _initialize_service(self, params: dict[str, Any]) -> dict[str, Any]:
        self._initialized = True
        return {}

    def _describe_source_servers(self, params: dict[str, Any]) -> dict[str, Any]:
        filters = params.get("filters", {})
        # An empty list filters nothing out (⚠️ the usual AWS reading; not documented for MGN)
        wanted = {
            key: set(filters[name])
            for key, name in (
                ("sourceServerID", "sourceServerIDs"),
                ("replicationType", "replicationTypes"),
                ("applicationID", "applicationIDs"),
            )
            if filters.get(name)
        }
        states = filters.get("lifeCycleStates") or None
        archived = filters.get("isArchived")
        matches = [
            server
            for server in self._servers.values()
            if all(server.get(key) in allowed for key, allowed in wanted.items())
            and (states is None or server["lifeCycle"]["state"] in states)
            and (archived is None or server["isArchived"] is archived)
        ]
        self.replication.refresh(matches)
        return self._page("DescribeSourceServers", matches, params)

    def _describe_templates(self, params: dict[str, Any]) -> dict[str, Any]:
        ids = params.get("replicationConfigurationTemplateIDs")
        if ids:
            # The model lists ResourceNotFound for this operation; an unknown ID is its only cause
            for template_id in ids:
                self._template(template_id)
            found = [self._templates[template_id] for template_id in dict.fromkeys(ids)]
        else:
            found = list(self._templates.values())
        return self._page("DescribeReplicationConfigurationTemplates", found, params)

    def _create_template(self, params: dict[str, Any]) -> dict[str, Any]:
        template_id = self._new_id("rct")
        template = {
            "replicationConfigurationTemplateID": template_id,
            "arn": self._arn("replication-configuration-template", template_id),
            "tags": {},
            **copy.deepcopy(params),
        }
        self._templates[template_id] = template
        self._by_arn[template["arn"]] = template
        return template

    def _update_template(self, params: dict[str, Any]) -> dict[str, Any]:
        template = self._template(params["replicationConfigurationTemplateID"])
        # `arn` is accepted by the model but identifies nothing new; the ID is authoritative
        changes = {k: v for k, v in params.items() if k not in {"replicationConfigurationTemplateID", "arn"}}
        template.update(copy.deepcopy(changes))
        return template

    def _delete_template(self, params: dict[str, Any]) -> dict[str, Any]:
        template = self._template(params["replicationConfigurationTemplateID"])
        del self._templates[template["replicationConfigurationTemplateID"]]
        del self._by_arn[template["arn"]]
        return {}

    def _get_replication_configuration(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._configs[self._server(params["sourceServerID"])["sourceServerID"]]

    def _update_replication_configuration(self, params: dict[str, Any]) -> dict[str, Any]:
        server_id = self._server(params["sourceServerID"])["sourceServerID"]
        if server_id in self._busy:
            raise MgnServiceError(
                "ConflictException",
                f"Source server {server_id} is busy; its replication configuration cannot change now",
                members={"resourceId": server_id, "resourceType": "SourceServer"},
            )
        # accountID selects the account (global view); it is not a setting
        changes = {k: v for k, v in params.items() if k not in {"sourceServerID", "accountID"}}
        self._configs[server_id].update(copy.deepcopy(changes))
        return self._configs[server_id]

    def _mark_as_archived(self, params: dict[str, Any]) -> dict[str, Any]:
        server = self._server(params["sourceServerID"])
        self._require_state(server, "archived")
        server["isArchived"] = True
        return server

    def _delete_source_server(self, params: dict[str, Any]) -> dict[str, Any]:
        server = self._server(params["sourceServerID"])
        if server["dataReplicationInfo"]["dataReplicationState"] != "DISCONNECTED":
            self._require_state(server, "deleted")
        server_id = server["sourceServerID"]
        del self._servers[server_id], self._configs[server_id], self._by_arn[server["arn"]]
        self._busy.discard(server_id)
        return {}

    def _tag_resource(self, params: dict[str, Any]) -> dict[str, Any]:
        resource = self._tagged(params["resourceArn"])
        merged = {**resource["tags"], **params["tags"]}
        if len(merged) > _MAX_TAGS_PER_RESOURCE:
            # The model bounds one request's map; the per-resource total is the service's rule
            raise validation_error([FieldError("tags", f"A resource can have at most {_MAX_TAGS_PER_RESOURCE} tags")])
        resource["tags"] = merged
        return {}

    def _untag_resource(self, params: dict[str, Any]) -> dict[str, Any]:
        resource = self._tagged(params["resourceArn"])
        for key in params["tagKeys"]:
            resource["tags"].pop(key, None)
        return {}

    def _list_tags(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"tags": self._tagged(params["resourceArn"])["tags"]}

    # ---- lookups and helpers --------------------------------------------------------------

    def _server(self, server_id: str) -> dict[str, Any]:
        server = self._servers.get(server_id)
        if server is None:
            raise _not_found(server_id, "SourceServer")
        return server

    def _template(self, template_id: str) -> dict[str, Any]:
        template = self._templates.get(template_id)
        if template is None:
            raise _not_found(template_id, "ReplicationConfigurationTemplate")
        return template

    def _tagged(self, arn: str) -> dict[str, Any]:
        resource = self._by_arn.get(arn)
        if resource is None:
            raise _not_found(arn, "Resource")
        return resource

    def _require_state(self, server: dict[str, Any], verb: str) -> None:
        state = server["lifeCycle"]["state"]
        if state not in _ARCHIVABLE_STATES:
            raise MgnServiceError(
                "ConflictException",
                f"Source server {server['sourceServerID']} is in lifecycle state {state}; it can be "
                f"{verb} only when {' or '.join(sorted(_ARCHIVABLE_STATES))}",
                members={"resourceId": server["sourceServerID"], "resourceType": "SourceServer"},
            )

    def _page(self, operation_name: str, items: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
        # Offsets in an opaque token bound to the operation, so a token from one listing is
        # rejected by another, as the service rejects foreign tokens.
        start = 0
        token = params.get("nextToken")
        if token:
            start = _token_offset(token, operation_name)
        size = params.get("maxResults", 1000)
        page: dict[str, Any] = {"items": items[start : start + size]}
        if start + size < len(items):
            page["nextToken"] = _token(operation_name, start + size)
        return page

    def _new_id(self, prefix: str) -> str:
        while True:
            candidate = f"{prefix}-{''.join(self._rng.choices(_ID_ALPHABET, k=_ID_LENGTH))}"
            if candidate not in self._servers and candidate not in self._templates:
                return candidate

    def _arn(self, resource_type: str, resource_id: str) -> str:
        return f"arn:{self._partition}:mgn:{self.region}:{self.account_id}:{resource_type}/{resource_id}"

    def _now(self) -> str:
        return _iso(self.clock.now())

    # ---- Python-side API for tests and scenario builders ---------------------------------

    def register_source_server(
        self,
        *,
        hostname: str,
        user_provided_id: str | None = None,
        aws_instance_id: str | None = None,
        tags: dict[str, str] | None = None,
        disks: list[tuple[str, int]] | None = None,
        lifecycle_state: str = "NOT_READY",
        data_replication_state: str = "INITIATING",
    ) -> str:
        """What a successful agent install does: adds a source server whose replication
        configuration is a copy of the (oldest) template's settings at this moment.
        `disks` are `(device name, bytes)`, the first being the boot disk. Returns the ID."""
        with self._lock:
            if not self._initialized:
                raise RegistrationRefusedError(f"MGN is not initialized in {self.region}; the agent cannot register")
            if not self._templates:
                raise RegistrationRefusedError(
                    "no replication configuration template exists; create one before registering servers"
                )
            server_id = self._new_id("s")
            disks = _DEFAULT_DISKS if disks is None else disks
            server = self._new_server(
                server_id,
                hostname=hostname,
                user_provided_id=user_provided_id,
                aws_instance_id=aws_instance_id,
                tags=dict(tags or {}),
                disks=disks,
                lifecycle_state=lifecycle_state,
                data_replication_state=data_replication_state,
            )
            errors = validate(service_model().shape_for("SourceServer"), server)
            if errors:
                raise ValueError("; ".join(f"{e.name}: {e.message}" for e in errors))
            template = next(iter(self._templates.values()))
            config = {
                "sourceServerID": server_id,
                "name": hostname,
                **{k: copy.deepcopy(v) for k, v in template.items() if k in self._template_settings},
                "replicatedDisks": [
                    {"deviceName": device, "isBootDisk": index == 0, "stagingDiskType": "AUTO"}
                    for index, (device, _) in enumerate(disks)
                ],
            }
            self._servers[server_id] = server
            self._configs[server_id] = config
            self._by_arn[server["arn"]] = server
            self.replication.track(server_id)
            return server_id

    def _new_server(
        self,
        server_id: str,
        *,
        hostname: str,
        user_provided_id: str | None,
        aws_instance_id: str | None,
        tags: dict[str, str],
        disks: list[tuple[str, int]],
        lifecycle_state: str,
        data_replication_state: str,
    ) -> dict[str, Any]:
        now = self._now()
        hints: dict[str, Any] = {"hostname": hostname}
        if aws_instance_id is not None:
            hints["awsInstanceID"] = aws_instance_id
        server: dict[str, Any] = {
            "sourceServerID": server_id,
            "arn": self._arn("source-server", server_id),
            "isArchived": False,
            "tags": tags,
            "replicationType": "AGENT_BASED",
            "lifeCycle": {"state": lifecycle_state, "addedToServiceDateTime": now},
            "dataReplicationInfo": {
                "dataReplicationState": data_replication_state,
                "replicatedDisks": [
                    {
                        "deviceName": device,
                        "totalStorageBytes": size,
                        "replicatedStorageBytes": 0,
                        "rescannedStorageBytes": 0,
                        "backloggedStorageBytes": 0,
                    }
                    for device, size in disks
                ],
            },
            "sourceProperties": {
                "lastUpdatedDateTime": now,
                "identificationHints": hints,
                "disks": [{"deviceName": device, "bytes": size} for device, size in disks],
            },
        }
        if user_provided_id is not None:
            server["userProvidedID"] = user_provided_id
        return server

    def source_server(self, source_server_id: str) -> dict[str, Any]:
        """A copy of the server as `DescribeSourceServers` returns it."""
        with self._lock:
            server = self._server_or_key_error(source_server_id)
            self.replication.refresh([server])
            return copy.deepcopy(server)

    def replication_configuration(self, source_server_id: str) -> dict[str, Any]:
        """A copy of the server's configuration as `GetReplicationConfiguration` returns it."""
        with self._lock:
            self._server_or_key_error(source_server_id)
            return copy.deepcopy(self._configs[source_server_id])

    def source_server_id_by_hostname(self, hostname: str) -> str | None:
        """The oldest unarchived source server whose identification hints name `hostname`.
        Read in place, without a copy per server: the fleet asks it for each agent that
        registers, and copying every server each time made a large wave's installs quadratic."""
        with self._lock:
            if self._servers:
                self.replication.refresh([])  # the same moment as a describe would see
            for server_id, server in self._servers.items():
                hints = server.get("sourceProperties", {}).get("identificationHints", {})
                if hints.get("hostname") == hostname and not server.get("isArchived"):
                    return server_id
            return None

    def source_server_ids(self) -> list[str]:
        """Every source server's ID, in registration order."""
        with self._lock:
            return list(self._servers)

    def templates(self) -> list[dict[str, Any]]:
        """Copies of the replication configuration templates, oldest first."""
        with self._lock:
            return copy.deepcopy(list(self._templates.values()))

    def mark_busy(self, source_server_id: str) -> None:
        """Makes `UpdateReplicationConfiguration` on this server answer ConflictException."""
        with self._lock:
            self._server_or_key_error(source_server_id)
            self._busy.add(source_server_id)

    def throttle(self, operation_name: str, times: int) -> None:
        """The next `times` calls of the operation answer ThrottlingException (Retry-After: 1)."""
        self.inject_error(operation_name, "ThrottlingException", times)

    def inject_error(
        self, operation_name: str, error_code: str, times: int = 1, *, members: dict[str, Any] | None = None
    ) -> None:
        """The next `times` calls of the operation answer the modelled error `error_code`
        (e.g. AccessDeniedException, InternalServerException) before any other check.
        `members` fills the error shape's body members (e.g. a ValidationException's `reason`)."""
        if error_shape_for(error_code) is None:
            raise ValueError(f"{error_code} is not an error in the MGN model")
        if operation_name not in service_model().operation_names:
            raise ValueError(f"{operation_name} is not an MGN operation")
        with self._lock:
            self._faults[operation_name].extend([(error_code, dict(members or {}))] * times)

    # ---- replication over virtual time (mgn/replication.py) -------------------------------

    def set_network_oracle(self, oracle: NetworkOracle | None) -> None:
        """`oracle(server, replication_configuration)` names the initiation step the network
        makes fail (or an `OracleFailure` with the network's words), or None; asked once per
        attempt. None: every attempt succeeds."""
        self.replication.set_network_oracle(oracle)

    def set_event_sink(self, sink: EventSink | None) -> None:
        """Where the MGN EventBridge events go (one event dict per call), after `event_faults`."""
        self.replication.set_event_sink(sink)

    def event_faults(
        self, *, lose: float = 0.0, duplicate: int = 1, delay_seconds: float = 0.0, seed: int = 0
    ) -> EventFaults:
        """Best-effort delivery: lose events with probability `lose`, deliver each `duplicate`
        times, `delay_seconds` of virtual time late. Deterministic for a `seed`."""
        return self.replication.event_faults(lose=lose, duplicate=duplicate, delay_seconds=delay_seconds, seed=seed)

    def next_change_at(self) -> datetime | None:
        """When a server next changes on its own or an event is due; None if nothing will."""
        times = [at for at in (self.replication.next_change_at(), self.launch.next_change_at()) if at is not None]
        return min(times) if times else None

    def _server_or_key_error(self, source_server_id: str) -> dict[str, Any]:
        server = self._servers.get(source_server_id)
        if server is None:
            raise KeyError(f"no source server {source_server_id}")
        return server


@functools.cache
def _partition(region: str) -> str:
    # "aws", "aws-cn", "aws-us-gov": ARNs must carry the Region's partition
    return botocore.session.get_session().get_partition_for_region(region)


def _not_found(resource_id: str, resource_type: str) -> MgnServiceError:
    return MgnServiceError(
        "ResourceNotFoundException",
        f"{resource_type} {resource_id} was not found",
        members={"resourceId": resource_id, "resourceType": resource_type},
    )


def _token(operation_name: str, offset: int) -> str:
    raw = json.dumps({"op": operation_name, "offset": offset}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _token_offset(token: str, operation_name: str) -> int:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token.encode()))
        if decoded["op"] == operation_name and isinstance(decoded["offset"], int):
            return int(decoded["offset"])
    except (binascii.Error, ValueError, KeyError, TypeError):
        pass
    raise validation_error([FieldError("nextToken", "Invalid pagination token")])


def _iso(moment: datetime) -> str:
    # The model's ISO8601DatetimeString pattern requires UTC with a literal "Z"
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_HANDLERS: dict[str, Handler] = {
    "InitializeService": MgnEmulator._initialize_service,
    "DescribeSourceServers": MgnEmulator._describe_source_servers,
    "DescribeReplicationConfigurationTemplates": MgnEmulator._describe_templates,
    "CreateReplicationConfigurationTemplate": MgnEmulator._create_template,
    "UpdateReplicationConfigurationTemplate": MgnEmulator._update_template,
    "DeleteReplicationConfigurationTemplate": MgnEmulator._delete_template,
    "GetReplicationConfiguration": MgnEmulator._get_replication_configuration,
    "UpdateReplicationConfiguration": MgnEmulator._update_replication_configuration,
    "MarkAsArchived": MgnEmulator._mark_as_archived,
    **REPLICATION_HANDLERS,
    **LAUNCH_HANDLERS,
    "DeleteSourceServer": MgnEmulator._delete_source_server,
    "TagResource": MgnEmulator._tag_resource,
    "UntagResource": MgnEmulator._untag_resource,
    "ListTagsForResource": MgnEmulator._list_tags,
}
