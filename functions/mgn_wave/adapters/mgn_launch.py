"""MGN's launch calls (test, cutover, terminate, finalize, lifecycle, jobs, launch configurations),
with the same ID checks, chunking and error translation as `MgnAdapter`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mgn_wave.adapters.mgn import MgnAdapter, _check_id, _checked_ids, _without_metadata
from mgn_wave.errors import InvalidInputError
from mgn_wave.ids import JOB_ID, SOURCE_SERVER_ID
from mgn_wave.models.mgn import MAX_RESULTS
from mgn_wave.models.source_server import SourceServerRecord

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from mypy_boto3_mgn.type_defs import DescribeJobsRequestTypeDef

MAX_SERVERS_PER_JOB = 200  # StartTest/StartCutover/TerminateTargetInstances: sourceServerIDs 1..200
MAX_JOB_IDS_PER_CALL = 1000  # DescribeJobs filters.jobIDs
# The tag every job of one LaunchWave execution carries, so a retried step finds what it started.
EXECUTION_TAG = "mgn-wave:execution"
_LAUNCH_CONFIGURATION_FIELDS = frozenset({"launchDisposition", "copyPrivateIp", "copyTags", "bootMode"})


class MgnLaunchAdapter(MgnAdapter):
    @staticmethod
    def check_job_id(field: str, job_id: str) -> None:
        _check_id(field, job_id, JOB_ID)

    def start_jobs(self, kind: str, source_server_ids: Sequence[str], execution_name: str) -> dict[str, Any]:
        """One StartTest / StartCutover / TerminateTargetInstances job for ≤ 200 servers."""
        ids = _checked_ids("source_server_ids", source_server_ids, SOURCE_SERVER_ID)
        if not 1 <= len(ids) <= MAX_SERVERS_PER_JOB:
            raise InvalidInputError("source_server_ids", f"1..{MAX_SERVERS_PER_JOB} servers per job, got {len(ids)}")
        tags = {EXECUTION_TAG: execution_name[:256]}
        calls = {
            "StartTest": self._client.start_test,
            "StartCutover": self._client.start_cutover,
            "TerminateTargetInstances": self._client.terminate_target_instances,
        }
        if kind not in calls:
            raise InvalidInputError("kind", f"one of {', '.join(calls)}, got {kind!r}")
        with self._translated(kind):
            job = calls[kind](sourceServerIDs=ids, tags=tags)["job"]
        return dict(job)

    def describe_jobs(self, job_ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """The named jobs, or every job in the account (newest first), all pages."""
        ids = _checked_ids("job_ids", job_ids, JOB_ID) if job_ids is not None else None
        if ids is not None and not ids:
            return []
        jobs: list[dict[str, Any]] = []
        chunks = (
            [ids[i : i + MAX_JOB_IDS_PER_CALL] for i in range(0, len(ids), MAX_JOB_IDS_PER_CALL)] if ids else [None]
        )
        for chunk in chunks:
            request: DescribeJobsRequestTypeDef = {"maxResults": MAX_RESULTS}
            if chunk is not None:
                request["filters"] = {"jobIDs": chunk}
            while True:
                with self._translated("DescribeJobs"):
                    page = self._client.describe_jobs(**request)
                jobs.extend(dict(job) for job in page["items"])
                if not page.get("nextToken"):
                    break
                request["nextToken"] = page["nextToken"]
        return jobs

    def change_lifecycle_state(self, source_server_id: str, state: str) -> dict[str, Any]:
        _check_id("source_server_id", source_server_id, SOURCE_SERVER_ID)
        if state not in {"READY_FOR_TEST", "READY_FOR_CUTOVER", "CUTOVER"}:
            raise InvalidInputError("state", f"READY_FOR_TEST, READY_FOR_CUTOVER or CUTOVER, got {state!r}")
        with self._translated("ChangeServerLifeCycleState"):
            server = self._client.change_server_life_cycle_state(
                sourceServerID=source_server_id,
                lifeCycle={"state": state},  # type: ignore[typeddict-item]
            )
        return _without_metadata(server)

    def finalize_cutover(self, source_server_id: str) -> dict[str, Any]:
        _check_id("source_server_id", source_server_id, SOURCE_SERVER_ID)
        with self._translated("FinalizeCutover"):
            return _without_metadata(self._client.finalize_cutover(sourceServerID=source_server_id))

    def mark_as_archived(self, source_server_id: str) -> dict[str, Any]:
        _check_id("source_server_id", source_server_id, SOURCE_SERVER_ID)
        with self._translated("MarkAsArchived"):
            return _without_metadata(self._client.mark_as_archived(sourceServerID=source_server_id))

    def get_launch_configuration(self, source_server_id: str) -> dict[str, Any]:
        _check_id("source_server_id", source_server_id, SOURCE_SERVER_ID)
        with self._translated("GetLaunchConfiguration"):
            return _without_metadata(self._client.get_launch_configuration(sourceServerID=source_server_id))

    def update_launch_configuration(self, source_server_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        _check_id("source_server_id", source_server_id, SOURCE_SERVER_ID)
        unknown = sorted(set(changes) - _LAUNCH_CONFIGURATION_FIELDS)
        if unknown:
            raise InvalidInputError(
                f"changes.{unknown[0]}", f"one of {', '.join(sorted(_LAUNCH_CONFIGURATION_FIELDS))}"
            )
        with self._translated("UpdateLaunchConfiguration"):
            updated = self._client.update_launch_configuration(sourceServerID=source_server_id, **changes)
        return _without_metadata(updated)

    def wave_servers(self, wave_tag_key: str, wave: str) -> list[dict[str, Any]]:
        """The wave's source servers: tagged `<wave tag key>=<wave>` (by the agent's --tags)."""
        return [dict(s) for s in self.describe_source_servers() if SourceServerRecord(s).tags.get(wave_tag_key) == wave]
