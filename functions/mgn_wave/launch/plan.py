"""Which servers a stage acts on, and how many of them MGN lets us launch now.

MGN's job quotas (docs/aws-facts.md, "Launching test and cutover instances"; none adjustable):
200 source servers in one job, 200 across all active jobs, 20 concurrent jobs, one active job per
source server. A wave of 1,000 servers therefore launches in ⌈1000/200⌉ = 5 jobs, one after
another, each as soon as the previous ones free their share of the 200.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mgn_wave.core.errors import InvalidInputError
from mgn_wave.core.source_server import SourceServerRecord
from mgn_wave.launch.models import LaunchStage, ServerLaunch, Verdict
from mgn_wave.launch.ports import CHECK_PORTS_TAG, check_ports_of

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

MAX_SERVERS_PER_JOB = 200
MAX_SERVERS_IN_ACTIVE_JOBS = 200
MAX_CONCURRENT_JOBS = 20
ACTIVE_JOB_STATUSES = frozenset({"PENDING", "STARTED"})

# Lifecycle states each stage starts from (the emulator enforces the same on the service side)
_STARTS_FROM: dict[LaunchStage, frozenset[str]] = {
    LaunchStage.TEST: frozenset({"READY_FOR_TEST", "TESTING", "READY_FOR_CUTOVER"}),
    LaunchStage.CUTOVER: frozenset({"READY_FOR_CUTOVER"}),
    LaunchStage.FINALIZE: frozenset({"CUTTING_OVER"}),
    LaunchStage.REVERT: frozenset({"TESTING", "READY_FOR_CUTOVER"}),
}
_NEXT_STEP: dict[LaunchStage, str] = {
    LaunchStage.TEST: "Let replication reach CONTINUOUS (READY_FOR_TEST) with the replication wave first.",
    LaunchStage.CUTOVER: "Run the test stage and let it mark the server READY_FOR_CUTOVER first.",
    LaunchStage.FINALIZE: "Run the cutover stage first; only launched cutover instances are finalized.",
    LaunchStage.REVERT: "Only servers with a test instance (TESTING or READY_FOR_CUTOVER) can be reverted.",
}


def server_launch(server: Mapping[str, Any], stage: LaunchStage) -> ServerLaunch:
    """A server's record at the start of a stage: SKIPPED with the reason when it cannot take part."""
    source_server_id = str(server["sourceServerID"])
    mgn_record = SourceServerRecord(server)
    lifecycle = mgn_record.lifecycle or ""
    record = ServerLaunch(source_server_id=source_server_id, hostname=mgn_record.hostname or "", lifecycle=lifecycle)
    launched = mgn_record.launched_instance_id
    if launched and stage in (LaunchStage.FINALIZE, LaunchStage.REVERT):
        record.instance_id = launched
        record.job_id = mgn_record.launched_job_id
        record.launch_status = "LAUNCHED"
    if mgn_record.archived:
        return _skipped(record, "archived in MGN", "Archived servers take part in no launch.")
    if lifecycle not in _STARTS_FROM[stage]:
        allowed = " or ".join(sorted(_STARTS_FROM[stage]))
        return _skipped(
            record, f"lifecycle state {lifecycle or 'unknown'}; the {stage} stage needs {allowed}", _NEXT_STEP[stage]
        )
    if stage in (LaunchStage.TEST, LaunchStage.CUTOVER) and not mgn_record.lag_duration:
        return _skipped(
            record,
            "not launchable yet: MGN reports no lagDuration (replication is not CONTINUOUS)",
            "Wait for the replication wave's verdict; a stalled server needs its replication fixed first.",
        )
    if stage in (LaunchStage.FINALIZE, LaunchStage.REVERT) and not launched:
        return _skipped(record, "no launched instance", _NEXT_STEP[stage])
    if stage is not LaunchStage.REVERT:
        try:
            record.check_ports = list(check_ports_of(server.get("tags")))
        except InvalidInputError as error:
            # Nothing is launched or finalized for a server whose check cannot be run as asked
            record.verdict = Verdict.FAILED
            record.reason = f"{error.field}: {error.problem}"
            record.hint = f"Fix or remove the tag {CHECK_PORTS_TAG} on the source server, then run the stage again."
    return record


def _skipped(record: ServerLaunch, reason: str, hint: str) -> ServerLaunch:
    record.verdict = Verdict.SKIPPED
    record.reason = reason
    record.hint = hint
    return record


def next_chunks(waiting: Sequence[str], active_jobs: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    """The jobs to start now: chunks of ≤ 200 servers that fit beside the account's active jobs
    (200 servers across them, 20 jobs). Servers already in an active job are not launched again."""
    busy_servers = {
        participant["sourceServerID"] for job in active_jobs for participant in job.get("participatingServers", [])
    }
    room = MAX_SERVERS_IN_ACTIVE_JOBS - len(busy_servers)
    jobs_left = MAX_CONCURRENT_JOBS - len(active_jobs)
    candidates = [server_id for server_id in dict.fromkeys(waiting) if server_id not in busy_servers]
    chunks: list[list[str]] = []
    while candidates and room > 0 and jobs_left > 0:
        size = min(MAX_SERVERS_PER_JOB, room, len(candidates))
        chunks.append(candidates[:size])
        candidates = candidates[size:]
        room -= size
        jobs_left -= 1
    return chunks
