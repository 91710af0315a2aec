"""LaunchWave's steps over the adapters: plain functions the thin handlers call."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from mgn_wave.adapters.mgn_launch import EXECUTION_TAG
from mgn_wave.core import timeutil
from mgn_wave.core.errors import InvalidInputError, MgnConflictError
from mgn_wave.core.source_server import SourceServerRecord
from mgn_wave.launch.models import LaunchInput, LaunchStage, ServerLaunch, Verdict
from mgn_wave.launch.plan import ACTIVE_JOB_STATUSES, next_chunks, server_launch
from mgn_wave.launch.ports import invalid_tag_finding
from mgn_wave.launch.settings import (
    launch_configuration_changes,
    launch_template_changes,
    post_launch_actions_expected,
    post_launch_actions_on,
)
from mgn_wave.launch.target import check_target
from mgn_wave.launch.verdict import (
    InstanceHealth,
    PostLaunchAction,
    instance_checks_pass,
    launch_failed,
    ports_verdict,
    post_launch_actions,
)
from mgn_wave.preflight.findings import has_blocker
from mgn_wave.preflight.network import PrivatePathTarget

if TYPE_CHECKING:
    from collections.abc import Callable

    from mgn_wave.adapters.ec2 import Ec2Adapter
    from mgn_wave.adapters.ec2_launch import Ec2LaunchAdapter
    from mgn_wave.adapters.launch_tokens import LaunchTokenStore
    from mgn_wave.adapters.mgn_launch import MgnLaunchAdapter
    from mgn_wave.adapters.tokens import CallbackAdapter
    from mgn_wave.adapters.wave_store import WaveStore
    from mgn_wave.launch.settings import LaunchTarget

_JOB_KIND = {
    LaunchStage.TEST: "StartTest",
    LaunchStage.CUTOVER: "StartCutover",
    LaunchStage.REVERT: "TerminateTargetInstances",
}


def servers_key(wave: str, execution_name: str) -> str:
    return f"launches/{wave}/{execution_name}/servers.json"


def _load(store: WaveStore, key: str) -> list[ServerLaunch]:
    return [ServerLaunch.model_validate(item) for item in store.get_list(key)]


def _save(store: WaveStore, key: str, records: list[ServerLaunch]) -> None:
    store.put_list(key, [record.dump() for record in records])


def plan(
    request: LaunchInput,
    execution_name: str,
    *,
    mgn: MgnLaunchAdapter,
    ec2: Ec2LaunchAdapter,
    network: Ec2Adapter,
    store: WaveStore,
    target: LaunchTarget,
    region: str,
    source_cidrs: tuple[str, ...],
    wave_tag_key: str,
) -> dict[str, Any]:
    """The wave's servers and what this stage does with each; for test and cutover, the target
    side's findings and the launch settings held (or, in a dry run, the drift only)."""
    servers = mgn.wave_servers(wave_tag_key, request.wave_id)
    if request.source_server_ids is not None:
        in_wave = {s["sourceServerID"] for s in servers}
        for index, server_id in enumerate(request.source_server_ids):
            if server_id not in in_wave:
                raise InvalidInputError(
                    f"sourceServerIds[{index}]", f"{server_id} is not a source server of wave {request.wave_id}"
                )
        servers = [s for s in servers if s["sourceServerID"] in set(request.source_server_ids)]
    if not servers:
        raise InvalidInputError("waveId", f"no MGN source server carries the tag {wave_tag_key}={request.wave_id}")
    records = [server_launch(server, request.stage) for server in servers]
    # A server whose port-check tag is malformed is reported before anything launches
    findings: list[dict[str, Any]] = [
        invalid_tag_finding(r.source_server_id, r.reason).model_dump(mode="json")
        for r in records
        if r.verdict is Verdict.FAILED
    ]
    settings: list[dict[str, Any]] = []
    ok = True
    if request.stage in (LaunchStage.TEST, LaunchStage.CUTOVER):
        eligible = [r for r in records if r.verdict is Verdict.PENDING]
        configurations = {r.source_server_id: mgn.get_launch_configuration(r.source_server_id) for r in eligible}
        for record in eligible:
            record.post_launch_expected = post_launch_actions_expected(
                configurations[record.source_server_id], cutover=request.stage is LaunchStage.CUTOVER
            )
        vpc_id, free_addresses = ec2.target_subnet(target.subnet_id)
        path = PrivatePathTarget.model_validate(
            {
                "region": region,
                "stagingVpcId": vpc_id,
                "stagingSubnetId": target.subnet_id,
                "replicationSgIds": list(target.security_group_ids),
                "sourceCidrs": list(source_cidrs),
            }
        )
        found = check_target(
            network.collect_network_snapshot(path),
            path,
            post_launch_actions=any(post_launch_actions_on(c) for c in configurations.values()),
            free_addresses=free_addresses,
            instances=len(eligible),
        )
        findings += [f.model_dump(mode="json") for f in found]
        ok = not has_blocker(found)
        if ok:
            settings = [
                _hold_launch_settings(
                    server_id, configuration, mgn=mgn, ec2=ec2, target=target, dry_run=request.dry_run
                )
                for server_id, configuration in configurations.items()
            ]
    key = servers_key(request.wave_id, execution_name)
    _save(store, key, records)
    # The drift report grows with the wave (a state holds 256 KiB): it goes to the wave bucket
    settings_key = f"{key.rsplit('/', 1)[0]}/launch-settings.json"
    store.put_list(settings_key, settings)
    actions: dict[str, int] = {}
    for entry in settings:
        actions[entry["action"]] = actions.get(entry["action"], 0) + 1
    return {
        "serversKey": key,
        "stage": request.stage.value,
        "dryRun": request.dry_run,
        "ok": ok,
        "findings": findings,
        "launchSettings": {"bucket": store.bucket, "key": settings_key, "actions": actions},
        "eligible": sum(1 for r in records if r.verdict is Verdict.PENDING),
        "launchJobs": request.stage is not LaunchStage.FINALIZE,
        "archive": request.archive,
    }


def _hold_launch_settings(
    server_id: str,
    configuration: dict[str, Any],
    *,
    mgn: MgnLaunchAdapter,
    ec2: Ec2LaunchAdapter,
    target: LaunchTarget,
    dry_run: bool,
) -> dict[str, Any]:
    template_id = str(configuration["ec2LaunchTemplateID"])
    template_changes, new_data = launch_template_changes(ec2.default_template_data(template_id), target)
    mgn_changes = launch_configuration_changes(configuration)
    changes = [
        *({"field": k, "before": configuration.get(k), "after": v} for k, v in mgn_changes.items()),
        *template_changes,
    ]
    if not changes:
        action = "UNCHANGED"
    elif dry_run:
        action = "WOULD_UPDATE"
    else:
        action = "UPDATED"
        if mgn_changes:
            mgn.update_launch_configuration(server_id, mgn_changes)
        if template_changes:
            ec2.hold_template(template_id, new_data, "mgn-wave: private target (LaunchWave)")
    return {"resourceId": server_id, "launchTemplateId": template_id, "action": action, "changes": changes}


def start_jobs(
    stage: LaunchStage, execution_name: str, key: str, *, mgn: MgnLaunchAdapter, store: WaveStore
) -> dict[str, Any]:
    """Start as many jobs as MGN's quotas allow now. A retry finds its own jobs by their tag and
    launches nobody twice."""
    records = _load(store, key)
    jobs = mgn.describe_jobs()
    mine = [job for job in jobs if job.get("tags", {}).get(EXECUTION_TAG) == execution_name]
    taken = {p["sourceServerID"] for job in mine for p in job.get("participatingServers", [])}
    waiting = [r.source_server_id for r in records if r.verdict is Verdict.PENDING and r.source_server_id not in taken]
    if stage is LaunchStage.REVERT and waiting:
        # TerminateTargetInstances refuses TESTING servers: back to READY_FOR_TEST first
        current = {s["sourceServerID"]: s for s in mgn.describe_source_servers(waiting)}
        for server_id in waiting:
            if SourceServerRecord(current.get(server_id, {})).lifecycle != "READY_FOR_TEST":
                mgn.change_lifecycle_state(server_id, "READY_FOR_TEST")
    active = [job for job in jobs if job.get("status") in ACTIVE_JOB_STATUSES]
    started = 0
    for chunk in next_chunks(waiting, active):
        mine.append(mgn.start_jobs(_JOB_KIND[stage], chunk, execution_name))
        started += len(chunk)
    return {
        "jobIds": [job["jobID"] for job in mine if job.get("status") in ACTIVE_JOB_STATUSES],
        "waiting": len(waiting) - started,
        "startCalls": len(mine),
    }


def check_jobs(
    stage: LaunchStage, execution_name: str, key: str, *, mgn: MgnLaunchAdapter, store: WaveStore
) -> dict[str, Any]:
    """Each server's launch status from this execution's jobs; failed launches get their verdict."""
    records = {r.source_server_id: r for r in _load(store, key)}
    mine = [job for job in mgn.describe_jobs() if job.get("tags", {}).get(EXECUTION_TAG) == execution_name]
    for job in mine:
        for participant in job.get("participatingServers", []):
            record = records.get(participant["sourceServerID"])
            if record is None or record.verdict is not Verdict.PENDING:
                continue
            record.job_id = job["jobID"]
            record.launch_status = participant.get("launchStatus")
            record.instance_id = participant.get("launchedEc2InstanceID") or record.instance_id
            if record.launch_status == "FAILED":
                launch_failed(record, stage.value)
            elif record.launch_status == "TERMINATED" and stage is LaunchStage.REVERT:
                record.verdict = Verdict.REVERTED
                record.reason = f"test instance {record.instance_id} terminated; back to READY_FOR_TEST"
    _save(store, key, list(records.values()))
    taken = {p["sourceServerID"] for job in mine for p in job.get("participatingServers", [])}
    return {
        "done": all(job.get("status") == "COMPLETED" for job in mine),
        "waiting": sum(1 for r in records.values() if r.verdict is Verdict.PENDING and r.source_server_id not in taken),
    }


def park_for_jobs(
    task_token: str,
    execution: str,
    job_ids: list[str],
    ttl_seconds: int,
    *,
    mgn: MgnLaunchAdapter,
    tokens: LaunchTokenStore,
    callbacks: CallbackAdapter,
) -> bool:
    """Complete at once when the jobs are done; else leave the token under each running job for
    the Launch Result event handler. True when completed now."""
    from mgn_wave.adapters.launch_tokens import job_key  # noqa: PLC0415 - keeps the module list small

    running = [job["jobID"] for job in mgn.describe_jobs(job_ids) if job.get("status") != "COMPLETED"]
    if not running:
        callbacks.complete(task_token, {"jobsDone": True})
        return True
    for job_id in running:
        tokens.put(job_key(job_id), execution, task_token, ttl_seconds)
    return False


def on_launch_result(
    job_id: str, *, mgn: MgnLaunchAdapter, tokens: LaunchTokenStore, callbacks: CallbackAdapter
) -> int:
    """A Launch Result event: when its job has completed, wake every execution waiting on it, once."""
    from mgn_wave.adapters.launch_tokens import job_key  # noqa: PLC0415

    waiting = tokens.waiting(job_key(job_id))
    if not waiting:
        return 0  # nobody waits, or a duplicated event after the wake-up
    jobs = mgn.describe_jobs([job_id])
    if not jobs or jobs[0].get("status") != "COMPLETED":
        return 0  # other servers of the job are still launching
    completed = 0
    for execution, _token, _expires in waiting:
        token = tokens.take(job_key(job_id), execution)
        if token is not None:
            completed += callbacks.complete(token, {"jobsDone": True})
    return completed


# Servers probed per check: one PortProbe invocation (its bound); the others wait for the next check
MAX_PROBED_PER_CHECK = 50


def check_instances(
    key: str,
    check_deadline: str | None,
    settle_seconds: int,
    *,
    ec2: Ec2LaunchAdapter,
    ping: Callable[[list[str]], dict[str, str]],
    mgn: MgnLaunchAdapter,
    probe: Callable[[list[tuple[str, str, list[int]]]], dict[str, tuple[int, ...]]],
    store: WaveStore,
) -> dict[str, Any]:
    """Judge every launched instance still undecided: EC2 status checks, SSM ping, the post-launch
    actions MGN ran, then the ports of the server's check. Those still starting (or whose actions
    still run) wait until the grace period (from the first check) is over."""
    now = timeutil.utcnow()
    deadline = datetime.fromisoformat(check_deadline) if check_deadline else now + timedelta(seconds=settle_seconds)
    settled = now >= deadline
    records = _load(store, key)
    undecided = [r for r in records if r.verdict is Verdict.PENDING and r.launch_status == "LAUNCHED" and r.instance_id]
    ids = [str(r.instance_id) for r in undecided]
    health = ec2.instance_health(ids) if ids else {}
    pings = ping(ids) if ids else {}
    actions = _post_launch_statuses(mgn, undecided)
    to_probe: list[ServerLaunch] = []
    for record in undecided:
        seen = health.get(str(record.instance_id))
        judged = (
            InstanceHealth(
                seen[0],
                seen[1],
                seen[2],
                pings.get(str(record.instance_id)),
                actions.get((str(record.job_id), record.source_server_id), ()),
            )
            if seen
            else None
        )
        if not instance_checks_pass(record, judged, settled=settled):
            continue
        if record.check_ports:
            to_probe.append(record)
        else:
            ports_verdict(record, ())
    _probe_ports(to_probe[:MAX_PROBED_PER_CHECK], ec2=ec2, probe=probe)
    _save(store, key, records)
    pending = sum(1 for r in undecided if r.verdict is Verdict.PENDING)
    return {"pending": pending, "checkDeadline": deadline.isoformat()}


def _post_launch_statuses(
    mgn: MgnLaunchAdapter, records: list[ServerLaunch]
) -> dict[tuple[str, str], tuple[PostLaunchAction, ...]]:
    """(job ID, source server ID) -> the post-launch actions DescribeJobs reports for it."""
    job_ids = sorted({str(r.job_id) for r in records if r.job_id})
    if not job_ids:
        return {}
    return {
        (str(job["jobID"]), str(participant["sourceServerID"])): post_launch_actions(participant)
        for job in mgn.describe_jobs(job_ids)
        for participant in job.get("participatingServers", [])
    }


def _probe_ports(
    records: list[ServerLaunch],
    *,
    ec2: Ec2LaunchAdapter,
    probe: Callable[[list[tuple[str, str, list[int]]]], dict[str, tuple[int, ...]]],
) -> None:
    if not records:
        return
    addresses = ec2.private_addresses([str(r.instance_id) for r in records])
    targets = [
        (str(r.instance_id), addresses[str(r.instance_id)], r.check_ports)
        for r in records
        if str(r.instance_id) in addresses
    ]
    closed = probe(targets) if targets else {}
    for record in records:
        # No answer about an instance (no private address any more) counts as every port closed
        ports_verdict(record, closed.get(str(record.instance_id), tuple(record.check_ports)))


def conclude(
    stage: LaunchStage,
    wave: str,
    execution_name: str,
    key: str,
    *,
    archive: bool,
    mgn: MgnLaunchAdapter,
    store: WaveStore,
) -> dict[str, Any]:
    """The stage's last step for each passing server, then the report. A failed instance is
    reported, never finalized."""
    records = _load(store, key)
    for record in records:
        if record.verdict is Verdict.PENDING:
            record.verdict = Verdict.FAILED
            record.reason = record.reason or f"no result before the checks ended (launch status {record.launch_status})"
            record.hint = record.hint or "See the MGN job log of this server's launch."
        if record.verdict is not Verdict.PASSED:
            continue
        try:
            if stage is LaunchStage.TEST:
                _settle_state(
                    mgn, record, "READY_FOR_CUTOVER", lambda r: mgn.change_lifecycle_state(r, "READY_FOR_CUTOVER")
                )
                record.reason += "; marked READY_FOR_CUTOVER"
            else:
                _settle_state(mgn, record, "CUTOVER", mgn.finalize_cutover)
                record.reason += "; cutover finalized"
                if archive:
                    mgn.mark_as_archived(record.source_server_id)
                    record.reason += "; archived"
        except MgnConflictError as exc:
            record.verdict = Verdict.FAILED
            record.reason = str(exc)
            record.hint = "The server changed state in MGN meanwhile; look at it in the MGN console."
    _save(store, key, records)
    totals = {verdict.value: sum(1 for r in records if r.verdict is verdict) for verdict in Verdict}
    totals["total"] = len(records)
    report = {
        "wave": wave,
        "stage": stage.value,
        "execution": execution_name,
        "totals": totals,
        "servers": [r.dump() for r in records],
    }
    prefix = key.rsplit("/", 1)[0]
    store.put_text(f"{prefix}/report.json", json.dumps(report, indent=2), "application/json")
    store.put_text(f"{prefix}/report.md", report_markdown(report), "text/markdown")
    return {
        "wave": wave,
        "stage": stage.value,
        "totals": totals,
        "bucket": store.bucket,
        "jsonKey": f"{prefix}/report.json",
        "markdownKey": f"{prefix}/report.md",
    }


def _settle_state(mgn: MgnLaunchAdapter, record: ServerLaunch, wanted: str, action: Callable[[str], Any]) -> None:
    # A retried step finds the server already there: nothing to do twice
    current = mgn.describe_source_servers([record.source_server_id])
    if current and SourceServerRecord(current[0]).lifecycle == wanted:
        return
    action(record.source_server_id)


def report_markdown(report: dict[str, Any]) -> str:
    totals = report["totals"]
    lines = [
        f"# Wave `{report['wave']}`: {report['stage']} launch",
        "",
        "| passed | failed | skipped | reverted | total |",
        "| ---: | ---: | ---: | ---: | ---: |",
        f"| {totals['PASSED']} | {totals['FAILED']} | {totals['SKIPPED']} | {totals['REVERTED']} | {totals['total']} |",
        "",
        "| server | source server | stage | verdict | instance | reason | what to check |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for server in report["servers"]:
        cells = [
            server["hostname"] or "-",
            f"`{server['sourceServerId']}`",
            report["stage"].upper(),
            f"**{server['verdict']}**",
            f"`{server['instanceId']}`" if server.get("instanceId") else "-",
            server["reason"].replace("|", "\\|"),
            server["hint"].replace("|", "\\|"),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
