"""Replication over virtual time: what MGN does to a source server after its agent registers.

A registered server (lifecycle NOT_READY, INITIATING) goes through the initiation steps in
docs/mgn-facts.md §1.9 order, each NOT_STARTED → IN_PROGRESS → SUCCEEDED (CREATE_SECURITY_GROUP is SKIPPED
when the server does not use the MGN default SG), then INITIAL_SYNC at its link speed,
CREATING_SNAPSHOT, and CONTINUOUS with lifecycle READY_FOR_TEST. Durations are `ReplicationTiming`
knobs; every transition happens at an exact virtual time kept in a heap, so `next_change_at` is O(1)
and a clock jump processes only what is due (1,000 servers cost their own transitions, not N per
tick). Byte counters are continuous: they are computed when a server is read, not per tick.

Whether an attempt succeeds is the network's business, not this module's: a `NetworkOracle`
(see `mgn_wave_emu.network_oracle`) is asked once per attempt, when WAIT ends, which step fails.
That step then FAILS at its end time, the server STALLS with the matching `dataReplicationError`,
and the Stalled event goes out. Without an oracle every attempt succeeds.

Events (docs/mgn-facts.md §2) go to an injected sink through a fault stage (lost, duplicated, delayed), and
are delivered on clock advances, outside the emulator's lock (the sink invokes Lambdas that call
MGN back). Choices where MGN documents nothing (⚠️):
- The oracle's verdict holds for the whole attempt; a configuration or network fixed mid-attempt
  counts at the next attempt (RetryDataReplication, StartReplication, or the automatic retry knob).
- `lagDuration` stays absent until CONTINUOUS: docs/mgn-facts.md §1.5 reads `lagDuration != null` as
  "launchable", which a server in initial sync is not.
- StopReplication keeps the lifecycle; StartReplication re-initiates and then RESCANs a server that
  had replicated before (INITIAL_SYNC from zero otherwise). RetryDataReplication re-initiates.
- Leaving STALLED (retry, stop, disconnect) emits NOT_STALLED.
"""

from __future__ import annotations

import copy
import heapq
import itertools
import logging
import math
import random
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from mgn_wave_emu.mgn.wire import MgnServiceError, service_model

if TYPE_CHECKING:
    import threading

    from mgn_wave_emu.clock import VirtualClock
    from mgn_wave_emu.mgn.emulator import MgnEmulator

logger = logging.getLogger(__name__)

# docs/mgn-facts.md §1.9 order. SETUP_FSX_PROXY is left out: the emulator replicates to EBS only.
INITIATION_STEPS: tuple[str, ...] = (
    "WAIT",
    "CREATE_SECURITY_GROUP",
    "LAUNCH_REPLICATION_SERVER",
    "BOOT_REPLICATION_SERVER",
    "AUTHENTICATE_WITH_SERVICE",
    "DOWNLOAD_REPLICATION_SOFTWARE",
    "CREATE_STAGING_DISKS",
    "ATTACH_STAGING_DISKS",
    "PAIR_REPLICATION_SERVER_WITH_AGENT",
    "CONNECT_AGENT_TO_REPLICATION_SERVER",
    "START_DATA_TRANSFER",
)
# A few virtual minutes each; 15 minutes in all, the order of what the MGN console shows.
DEFAULT_STEP_SECONDS: dict[str, int] = {
    "WAIT": 60,
    "CREATE_SECURITY_GROUP": 60,
    "LAUNCH_REPLICATION_SERVER": 120,
    "BOOT_REPLICATION_SERVER": 180,
    "AUTHENTICATE_WITH_SERVICE": 60,
    "DOWNLOAD_REPLICATION_SOFTWARE": 120,
    "CREATE_STAGING_DISKS": 60,
    "ATTACH_STAGING_DISKS": 60,
    "PAIR_REPLICATION_SERVER_WITH_AGENT": 60,
    "CONNECT_AGENT_TO_REPLICATION_SERVER": 60,
    "START_DATA_TRANSFER": 60,
}

LIFECYCLE_EVENT = "MGN Source Server Lifecycle State Change"
STALLED_EVENT = "MGN Source Server Data Replication Stalled Change"
EVENT_SOURCE = "aws.mgn"

_READY_OR_LATER = frozenset({"READY_FOR_TEST", "TESTING", "READY_FOR_CUTOVER", "CUTTING_OVER", "CUTOVER"})
_PAUSABLE = frozenset({"INITIAL_SYNC", "RESCAN", "BACKLOG", "CREATING_SNAPSHOT", "CONTINUOUS"})
_SYNCING = frozenset({"INITIAL_SYNC", "RESCAN"})
_MAX_RAW_ERROR = 65536  # dataReplicationError.rawError's model maximum


def step_error(step: str) -> str:
    """The `dataReplicationError.error` MGN reports when `step` fails (docs/mgn-facts.md §1.9): FAILED_TO_<step>;
    WAIT, which has no twin, reads as the agent not being seen (⚠️)."""
    return "AGENT_NOT_SEEN" if step == "WAIT" else f"FAILED_TO_{step}"


# The model must know every error the emulator can report; a renamed step fails at import.
_UNKNOWN_ERRORS = {step_error(step) for step in INITIATION_STEPS} - set(
    getattr(service_model().shape_for("DataReplicationErrorString"), "enum", [])
)
if _UNKNOWN_ERRORS:
    raise RuntimeError(f"the MGN model has no data replication errors {sorted(_UNKNOWN_ERRORS)}")


@dataclass(frozen=True)
class OracleFailure:
    """The initiation step the network makes fail, and what the network says about it (it
    becomes `dataReplicationError.rawError`)."""

    step: str
    detail: str


# fn(source server, its replication configuration) -> the failing step, or None when the
# network lets this attempt through. Both arguments are copies in the wire shape.
NetworkOracle = Callable[[Mapping[str, Any], Mapping[str, Any]], "str | OracleFailure | None"]
# Receives one EventBridge event (the dict a Lambda target gets).
EventSink = Callable[[dict[str, Any]], None]


@dataclass
class ReplicationTiming:
    """How long things take in virtual time. Change the fields before servers register."""

    step_seconds: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_STEP_SECONDS))
    link_mbps: float = 100.0  # the source ↔ AWS link when bandwidthThrottling is 0 (unthrottled)
    snapshot_seconds: int = 300  # CREATING_SNAPSHOT, after the last byte
    # A stalled initiation starts over after this long: MGN retries on its own and says when in
    # dataReplicationInitiation.nextAttemptDateTime (docs/aws-facts.md; the interval is not
    # published, ⚠️ 5 minutes here). None: a stalled server waits for RetryDataReplication.
    retry_initiation_after_seconds: int | None = 300

    def bytes_per_second(self, bandwidth_throttling_mbps: int) -> float:
        """Throttling caps the link; it never makes it faster. Mbps are 10^6 bits per second."""
        mbps = self.link_mbps
        if bandwidth_throttling_mbps > 0:
            mbps = min(mbps, bandwidth_throttling_mbps)
        return mbps * 1_000_000 / 8

    def sync_seconds(self, remaining_bytes: int, bandwidth_throttling_mbps: int = 0) -> int:
        # Whole seconds, so every transition lands on a time the API's timestamps can show.
        return math.ceil(remaining_bytes / self.bytes_per_second(bandwidth_throttling_mbps))

    def initiation_seconds(self, *, default_security_group: bool) -> int:
        skipped = set() if default_security_group else {"CREATE_SECURITY_GROUP"}
        return sum(self.step_seconds[step] for step in INITIATION_STEPS if step not in skipped)

    def seconds_to_ready(
        self, total_bytes: int, bandwidth_throttling_mbps: int = 0, *, default_security_group: bool = False
    ) -> int:
        """Registration to CONTINUOUS + READY_FOR_TEST for a server that never stalls."""
        return (
            self.initiation_seconds(default_security_group=default_security_group)
            + self.sync_seconds(total_bytes, bandwidth_throttling_mbps)
            + self.snapshot_seconds
        )


@dataclass(frozen=True)
class EventFaults:
    """Best-effort delivery (docs/mgn-facts.md §2), made repeatable: each event is lost with probability
    `lose`, else delivered `duplicate` times (same id, as EventBridge retries do), each
    `delay_seconds` of virtual time after it happened."""

    lose: float = 0.0
    duplicate: int = 1
    delay_seconds: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0.0 <= self.lose <= 1.0:
            raise ValueError(f"lose: a probability in [0, 1], got {self.lose}")
        if self.duplicate < 1:
            raise ValueError(f"duplicate: deliveries per event, at least 1, got {self.duplicate}")
        if self.delay_seconds < 0:
            raise ValueError(f"delay_seconds: must be >= 0, got {self.delay_seconds}")


@dataclass
class _Sync:
    """One stretch of copying: bytes grow linearly from `done_at_start` at `bytes_per_second`."""

    started: datetime
    bytes_per_second: float
    done_at_start: int
    total: int
    counter: str  # replicatedStorageBytes (initial sync) or rescannedStorageBytes (rescan)


@dataclass
class _Replica:
    """What the emulator tracks beside the wire-shape server dict."""

    generation: int = 0  # bumped by every API action, so transitions scheduled before it go stale
    step: int = 0  # index of the step in progress in the attempt's steps
    failure: OracleFailure | None = None
    sync: _Sync | None = None
    paused_state: str | None = None
    rescan: bool = False  # the next sync re-reads disks that were replicated before
    announced_ready: bool = False  # the Lifecycle event goes out only the first time


@dataclass(order=True)
class _Transition:
    at: datetime
    seq: int
    server_id: str = field(compare=False)
    generation: int = field(compare=False)
    action: str = field(compare=False)


@dataclass(order=True)
class _Delivery:
    at: datetime
    seq: int
    event: dict[str, Any] = field(compare=False)


class ReplicationEngine:
    """Replication for one `MgnEmulator`: it shares the emulator's server and configuration dicts
    and its lock, and registers itself as a listener of the virtual clock."""

    def __init__(
        self,
        *,
        clock: VirtualClock,
        account_id: str,
        region: str,
        servers: dict[str, dict[str, Any]],
        configs: dict[str, dict[str, Any]],
        lock: threading.RLock,
        lookup: Callable[[str], dict[str, Any]],
    ) -> None:
        self.clock = clock
        self.timing = ReplicationTiming()
        self.emitted: list[dict[str, Any]] = []  # every event, before the fault stage
        # When each was sent, to the microsecond (an event's `time` has whole seconds)
        self.emitted_at: list[datetime] = []
        self.delivery_failures: list[tuple[dict[str, Any], Exception]] = []
        self._account_id = account_id
        self._region = region
        self._servers = servers
        self._configs = configs
        self._lock = lock
        self._lookup = lookup
        self._replicas: dict[str, _Replica] = {}
        self._agenda: list[_Transition] = []
        self._deliveries: list[_Delivery] = []
        self._seq = itertools.count()
        self._oracle: NetworkOracle | None = None
        self._sink: EventSink | None = None
        self._faults = EventFaults()
        self._fault_rng = random.Random(0)
        self._id_rng = random.Random(0)
        clock.on_advance(self.on_advance)

    # ---- knobs ---------------------------------------------------------------------------

    def set_network_oracle(self, oracle: NetworkOracle | None) -> None:
        with self._lock:
            self._oracle = oracle

    def set_event_sink(self, sink: EventSink | None) -> None:
        with self._lock:
            self._sink = sink

    def event_faults(
        self, *, lose: float = 0.0, duplicate: int = 1, delay_seconds: float = 0.0, seed: int = 0
    ) -> EventFaults:
        with self._lock:
            self._faults = EventFaults(lose=lose, duplicate=duplicate, delay_seconds=delay_seconds, seed=seed)
            self._fault_rng = random.Random(seed)
            return self._faults

    # ---- time ----------------------------------------------------------------------------

    def next_change_at(self) -> datetime | None:
        """The earliest virtual time at which a server changes state or an event is delivered
        on its own; None when nothing will. May be <= now when something is due."""
        with self._lock:
            while self._agenda and self._is_stale(self._agenda[0]):
                heapq.heappop(self._agenda)
            times = [queue[0].at for queue in (self._agenda, self._deliveries) if queue]
            return min(times) if times else None

    def on_advance(self, now: datetime) -> None:
        """Clock listener: run every transition due by `now`, in time order, then deliver the
        events due by `now` outside the lock."""
        with self._lock:
            self._run_until(now)
        self.flush_events()

    def catch_up(self) -> None:
        """Run what is due by the clock's `now` (a request can arrive between the clock moving
        and its listeners running). Events wait for the next delivery."""
        with self._lock:
            self._run_until(self.clock.now())

    def flush_events(self) -> int:
        """Deliver every event due by the clock's `now`; returns how many were delivered."""
        with self._lock:
            now = self.clock.now()
            due = []
            while self._deliveries and self._deliveries[0].at <= now:
                due.append(heapq.heappop(self._deliveries).event)
            sink = self._sink
        for event in due:
            if sink is None:
                break
            try:
                sink(copy.deepcopy(event))
            except Exception as exc:
                # A failing target is EventBridge's problem, not MGN's: record it, carry on.
                logger.exception("mgn-wave emulator: event sink failed for %s", event["detail-type"])
                self.delivery_failures.append((event, exc))
        return len(due) if sink is not None else 0

    def refresh(self, servers: list[dict[str, Any]]) -> None:
        """Bring continuous counters (bytes, elapsed replication) of `servers` up to now."""
        with self._lock:
            now = self.clock.now()
            self._run_until(now)
            for server in servers:
                replica = self._replicas.get(server["sourceServerID"])
                if replica is None:
                    continue
                if replica.sync is not None:
                    self._copy_bytes(server, replica.sync, now)
                life = server["lifeCycle"]
                if server["dataReplicationInfo"]["dataReplicationState"] == "CONTINUOUS":
                    first_byte = life.get("firstByteDateTime")
                    if first_byte:
                        life["elapsedReplicationDuration"] = iso_duration(now - _parse(first_byte))

    # ---- registration and the API --------------------------------------------------------

    def track(self, server_id: str) -> None:
        """A server just registered. One the agent installed (NOT_READY, INITIATING) starts
        replicating now; any other state is a fixture a test placed, and stays until an API call."""
        with self._lock:
            server = self._servers[server_id]
            replica = self._replica(server_id)
            state = server["dataReplicationInfo"]["dataReplicationState"]
            lifecycle = server["lifeCycle"]["state"]
            replica.announced_ready = lifecycle in _READY_OR_LATER
            if lifecycle == "NOT_READY" and state == "INITIATING":
                self._new_attempt(server, replica, self.clock.now())

    def start(self, server_id: str) -> dict[str, Any]:
        with self._lock:
            server, replica, now = self._for_action(server_id)
            self._require(server, {"STOPPED"}, "started")
            # Data replicated before is re-read (RESCAN); a sync cut short starts from zero
            had_replicated = "lastSnapshotDateTime" in server["dataReplicationInfo"]
            self._new_attempt(server, replica, now, rescan=had_replicated)
            return server

    def stop(self, server_id: str) -> dict[str, Any]:
        with self._lock:
            server, replica, now = self._for_action(server_id)
            info = server["dataReplicationInfo"]
            if info["dataReplicationState"] == "DISCONNECTED":
                raise conflict(server, "it is disconnected from the service")
            if info["dataReplicationState"] != "STOPPED":
                self._halt(server, replica, now, "STOPPED")
            return server

    def pause(self, server_id: str) -> dict[str, Any]:
        with self._lock:
            server, replica, now = self._for_action(server_id)
            self._require(server, _PAUSABLE, "paused")
            replica.paused_state = server["dataReplicationInfo"]["dataReplicationState"]
            self._halt(server, replica, now, "PAUSED")
            return server

    def resume(self, server_id: str) -> dict[str, Any]:
        with self._lock:
            server, replica, now = self._for_action(server_id)
            self._require(server, {"PAUSED"}, "resumed")
            replica.generation += 1
            paused = replica.paused_state or "CONTINUOUS"
            if paused in _SYNCING:
                self._start_sync(server, replica, now, state=paused)
            elif paused == "CREATING_SNAPSHOT":
                self._snapshot(server, replica, now)
            else:
                # Paused while continuous (or catching up): the agent sends what queued meanwhile
                server["dataReplicationInfo"]["lagDuration"] = "PT0S"
                self._set_state(server, "CONTINUOUS", now)
            return server

    def retry(self, server_id: str) -> dict[str, Any]:
        with self._lock:
            server, replica, now = self._for_action(server_id)
            state = server["dataReplicationInfo"]["dataReplicationState"]
            if state != "STALLED":
                # docs/mgn-facts.md §1.3: "will not work if the SourceServer is not stalled or is in a
                # DISCONNECTED or STOPPED state". The model gives this operation no
                # ConflictException, so the refusal is a ValidationException.
                raise MgnServiceError(
                    "ValidationException",
                    f"Source server {server_id} is {state}; data replication can be retried only when it is STALLED",
                    members={"reason": "other", "fieldList": []},
                )
            self._new_attempt(server, replica, now, rescan=replica.rescan)
            return server

    def disconnect(self, server_id: str) -> dict[str, Any]:
        with self._lock:
            server, replica, now = self._for_action(server_id)
            if server["lifeCycle"]["state"] == "DISCONNECTED":
                raise conflict(server, "it is already disconnected")
            self._halt(server, replica, now, "DISCONNECTED")
            server["lifeCycle"]["state"] = "DISCONNECTED"
            return server

    def end_replication(self, server_id: str, at: datetime) -> None:
        """FinalizeCutover: replication stops for good (DISCONNECTED data replication)."""
        with self._lock:
            server = self._lookup(server_id)
            self._halt(server, self._replica(server_id), at, "DISCONNECTED")

    # ---- transitions ---------------------------------------------------------------------

    def _run_until(self, now: datetime) -> None:
        while self._agenda and self._agenda[0].at <= now:
            transition = heapq.heappop(self._agenda)
            if self._is_stale(transition):
                continue
            server = self._servers[transition.server_id]
            replica = self._replicas[transition.server_id]
            at = transition.at
            if transition.action == "step":
                self._finish_step(server, replica, at)
            elif transition.action == "synced":
                self._finish_sync(server, replica, at)
            elif transition.action == "snapshot":
                self._finish_snapshot(server, replica, at)
            else:  # "retry": the automatic retry of a stalled initiation
                self._new_attempt(server, replica, at, rescan=replica.rescan)

    def _is_stale(self, transition: _Transition) -> bool:
        replica = self._replicas.get(transition.server_id)
        if transition.server_id not in self._servers:
            self._replicas.pop(transition.server_id, None)  # deleted server
            return True
        return replica is None or replica.generation != transition.generation

    def _schedule(self, server: dict[str, Any], replica: _Replica, at: datetime, action: str) -> None:
        heapq.heappush(
            self._agenda,
            _Transition(at, next(self._seq), server["sourceServerID"], replica.generation, action),
        )

    def _new_attempt(self, server: dict[str, Any], replica: _Replica, at: datetime, *, rescan: bool = False) -> None:
        replica.generation += 1
        replica.step = 0
        replica.failure = None
        replica.sync = None
        replica.rescan = rescan
        info = server["dataReplicationInfo"]
        for key in ("dataReplicationError", "etaDateTime", "lagDuration"):
            info.pop(key, None)
        if not rescan:
            # A first sync (or one after its data was dropped) copies everything again
            for disk in info["replicatedDisks"]:
                disk["replicatedStorageBytes"] = 0
        steps = [{"name": name, "status": "NOT_STARTED"} for name in INITIATION_STEPS]
        steps[0]["status"] = "IN_PROGRESS"
        info["dataReplicationInitiation"] = {"startDateTime": iso(at), "steps": steps}
        self._set_state(server, "INITIATING", at)
        self._schedule(server, replica, at + self._duration(steps[0]["name"]), "step")

    def _finish_step(self, server: dict[str, Any], replica: _Replica, at: datetime) -> None:
        steps = server["dataReplicationInfo"]["dataReplicationInitiation"]["steps"]
        current = steps[replica.step]
        if replica.step == 0:
            replica.failure = self._ask_oracle(server)
        failure = replica.failure
        if failure is not None and failure.step == current["name"]:
            self._stall(server, replica, at, failure)
            return
        current["status"] = "SUCCEEDED"
        following = replica.step + 1
        while following < len(steps) and self._skipped(server, steps[following]["name"], failure):
            steps[following]["status"] = "SKIPPED"
            following += 1
        if following == len(steps):
            self._start_sync(server, replica, at, state="RESCAN" if replica.rescan else "INITIAL_SYNC")
            return
        steps[following]["status"] = "IN_PROGRESS"
        replica.step = following
        self._schedule(server, replica, at + self._duration(steps[following]["name"]), "step")

    def _skipped(self, server: dict[str, Any], step: str, failure: OracleFailure | None) -> bool:
        # Without the MGN default SG there is no security group for MGN to create (⚠️ the
        # emulator's reading; MGN documents no SKIPPED rule). A step the network fails runs.
        config = self._configs[server["sourceServerID"]]
        uses_default_sg = config.get("associateDefaultSecurityGroup", True)
        return step == "CREATE_SECURITY_GROUP" and not uses_default_sg and not (failure and failure.step == step)

    def _stall(self, server: dict[str, Any], replica: _Replica, at: datetime, failure: OracleFailure) -> None:
        info = server["dataReplicationInfo"]
        initiation = info["dataReplicationInitiation"]
        initiation["steps"][replica.step]["status"] = "FAILED"
        info["dataReplicationError"] = {
            "error": step_error(failure.step),
            "rawError": failure.detail[:_MAX_RAW_ERROR],
        }
        self._set_state(server, "STALLED", at)
        retry_after = self.timing.retry_initiation_after_seconds
        if retry_after is not None:
            next_attempt = at + timedelta(seconds=retry_after)
            initiation["nextAttemptDateTime"] = iso(next_attempt)
            self._schedule(server, replica, next_attempt, "retry")

    def _start_sync(self, server: dict[str, Any], replica: _Replica, at: datetime, *, state: str) -> None:
        info = server["dataReplicationInfo"]
        counter = "rescannedStorageBytes" if state == "RESCAN" else "replicatedStorageBytes"
        disks = info["replicatedDisks"]
        if state == "RESCAN" and replica.sync is None and replica.paused_state != "RESCAN":
            for disk in disks:
                disk["rescannedStorageBytes"] = 0  # a new rescan reads from the first block
        total = sum(disk["totalStorageBytes"] for disk in disks)
        done = sum(min(disk[counter], disk["totalStorageBytes"]) for disk in disks)
        throttle = int(self._configs[server["sourceServerID"]].get("bandwidthThrottling", 0))
        ends = at + timedelta(seconds=self.timing.sync_seconds(total - done, throttle))
        replica.sync = _Sync(at, self.timing.bytes_per_second(throttle), done, total, counter)
        replica.paused_state = None
        server["lifeCycle"].setdefault("firstByteDateTime", iso(at))
        info["etaDateTime"] = iso(ends)
        self._set_state(server, state, at)
        self._schedule(server, replica, ends, "synced")

    def _finish_sync(self, server: dict[str, Any], replica: _Replica, at: datetime) -> None:
        info = server["dataReplicationInfo"]
        counter = replica.sync.counter if replica.sync else "replicatedStorageBytes"
        for disk in info["replicatedDisks"]:
            disk[counter] = disk["totalStorageBytes"]
        replica.sync = None
        info.pop("etaDateTime", None)
        self._snapshot(server, replica, at)

    def _snapshot(self, server: dict[str, Any], replica: _Replica, at: datetime) -> None:
        replica.paused_state = None
        self._set_state(server, "CREATING_SNAPSHOT", at)
        self._schedule(server, replica, at + timedelta(seconds=self.timing.snapshot_seconds), "snapshot")

    def _finish_snapshot(self, server: dict[str, Any], replica: _Replica, at: datetime) -> None:
        info = server["dataReplicationInfo"]
        life = server["lifeCycle"]
        info["lastSnapshotDateTime"] = iso(at)
        info["lagDuration"] = "PT0S"
        first_byte = life.get("firstByteDateTime")
        if first_byte:
            life["elapsedReplicationDuration"] = iso_duration(at - _parse(first_byte))
        replica.rescan = False
        self._set_state(server, "CONTINUOUS", at)
        if life["state"] == "NOT_READY":
            life["state"] = "READY_FOR_TEST"
        if life["state"] == "READY_FOR_TEST" and not replica.announced_ready:
            # docs/mgn-facts.md §2: sent "only when a server reaches READY_FOR_TEST for the first time"
            replica.announced_ready = True
            self._emit(server, LIFECYCLE_EVENT, "READY_FOR_TEST", at)

    def _halt(self, server: dict[str, Any], replica: _Replica, at: datetime, state: str) -> None:
        """Stop whatever runs (stop, pause, disconnect), keeping the bytes copied so far."""
        if replica.sync is not None:
            self._copy_bytes(server, replica.sync, at)
        replica.generation += 1
        replica.sync = None
        info = server["dataReplicationInfo"]
        for key in ("etaDateTime", "lagDuration"):
            info.pop(key, None)
        self._set_state(server, state, at)

    def _set_state(self, server: dict[str, Any], state: str, at: datetime) -> None:
        info = server["dataReplicationInfo"]
        before = info["dataReplicationState"]
        info["dataReplicationState"] = state
        if before != state and "STALLED" in (before, state):
            self._emit(server, STALLED_EVENT, "STALLED" if state == "STALLED" else "NOT_STALLED", at)

    # ---- the network oracle --------------------------------------------------------------

    def _ask_oracle(self, server: dict[str, Any]) -> OracleFailure | None:
        if self._oracle is None:
            return None
        config = self._configs[server["sourceServerID"]]
        try:
            answer = self._oracle(copy.deepcopy(server), copy.deepcopy(config))
            if answer is None:
                return None
            failure = answer if isinstance(answer, OracleFailure) else OracleFailure(answer, f"{answer} failed")
            if failure.step not in INITIATION_STEPS:
                raise ValueError(f"{failure.step!r} is not an initiation step; expected one of {INITIATION_STEPS}")
        except Exception as exc:
            # Visible in the server's own error instead of killing the clock's thread
            logger.exception("mgn-wave emulator: the network oracle failed")
            return OracleFailure("WAIT", f"mgn-wave emulator: the network oracle raised {type(exc).__name__}: {exc}")
        return failure

    # ---- events --------------------------------------------------------------------------

    def _emit(self, server: dict[str, Any], detail_type: str, state: str, at: datetime) -> None:
        self.emit(server, detail_type, {"state": state}, at)

    def emit(self, server: dict[str, Any], detail_type: str, detail: dict[str, Any], at: datetime) -> None:
        """One event about `server` through the fault stage (launch results use it too)."""
        event = {
            "version": "0",
            "id": str(uuid.UUID(int=self._id_rng.getrandbits(128), version=4)),
            "detail-type": detail_type,
            "source": EVENT_SOURCE,
            "account": self._account_id,
            "time": iso(at),
            "region": self._region,
            "resources": [server["arn"]],
            "detail": dict(detail),
        }
        self.emitted.append(event)
        self.emitted_at.append(at)
        if self._sink is None:
            return
        faults = self._faults
        if faults.lose and self._fault_rng.random() < faults.lose:
            return
        deliver_at = at + timedelta(seconds=faults.delay_seconds)
        for _ in range(faults.duplicate):
            heapq.heappush(self._deliveries, _Delivery(deliver_at, next(self._seq), event))

    # ---- helpers -------------------------------------------------------------------------

    def _replica(self, server_id: str) -> _Replica:
        return self._replicas.setdefault(server_id, _Replica())

    def _for_action(self, server_id: str) -> tuple[dict[str, Any], _Replica, datetime]:
        now = self.clock.now()
        self._run_until(now)
        server = self._lookup(server_id)
        return server, self._replica(server_id), now

    def _require(self, server: dict[str, Any], states: set[str] | frozenset[str], verb: str) -> None:
        state = server["dataReplicationInfo"]["dataReplicationState"]
        if state not in states:
            raise conflict(
                server,
                f"its data replication state is {state}; it can be {verb} only when {' or '.join(sorted(states))}",
            )

    def _duration(self, step: str) -> timedelta:
        return timedelta(seconds=self.timing.step_seconds[step])

    @staticmethod
    def _copy_bytes(server: dict[str, Any], sync: _Sync, now: datetime) -> None:
        if sync.total == 0:
            return
        elapsed = max(0.0, (now - sync.started).total_seconds())
        done = min(sync.total, sync.done_at_start + int(elapsed * sync.bytes_per_second))
        for disk in server["dataReplicationInfo"]["replicatedDisks"]:
            # Disks replicate side by side: each one the same share of its size
            disk[sync.counter] = disk["totalStorageBytes"] * done // sync.total


def conflict(server: dict[str, Any], why: str) -> MgnServiceError:
    """MGN's ConflictException about one source server (replication and launch alike)."""
    return MgnServiceError(
        "ConflictException",
        f"Source server {server['sourceServerID']} cannot do that now: {why}",
        members={"resourceId": server["sourceServerID"], "resourceType": "SourceServer"},
    )


def iso(moment: datetime) -> str:
    """MGN's timestamp form: UTC with a literal Z, whole seconds."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_duration(span: timedelta) -> str:
    """An ISO-8601 duration like PT2H23M10S (MGN's lagDuration, elapsedReplicationDuration)."""
    seconds = max(0, int(span.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    text = "".join(f"{value}{unit}" for value, unit in ((hours, "H"), (minutes, "M"), (seconds, "S")) if value)
    return f"PT{text or '0S'}"


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# The operations that drive replication, for the emulator's handler table.
REPLICATION_HANDLERS: dict[str, Callable[[MgnEmulator, dict[str, Any]], dict[str, Any]]] = {
    "StartReplication": lambda emulator, params: emulator.replication.start(params["sourceServerID"]),
    "StopReplication": lambda emulator, params: emulator.replication.stop(params["sourceServerID"]),
    "PauseReplication": lambda emulator, params: emulator.replication.pause(params["sourceServerID"]),
    "ResumeReplication": lambda emulator, params: emulator.replication.resume(params["sourceServerID"]),
    "RetryDataReplication": lambda emulator, params: emulator.replication.retry(params["sourceServerID"]),
    "DisconnectFromService": lambda emulator, params: emulator.replication.disconnect(params["sourceServerID"]),
}
