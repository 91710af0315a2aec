"""The wave: its input, its servers, its results and the report's place in the wave bucket."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from mgn_wave.adapters.wave_store import RESULT_TTL_SECONDS
from mgn_wave.core import timeutil
from mgn_wave.core.server_result import ServerResult, Stage
from mgn_wave.waves.models import ResolvedWave, WaveServers

if TYPE_CHECKING:
    from mgn_wave.adapters.ssm import SsmAdapter
    from mgn_wave.adapters.wave_store import WaveStore
    from mgn_wave.waves.models import WaveInput


SUPPORTED_PLATFORMS = frozenset({"Linux", "Windows"})


def resolve_servers(wave_input: WaveInput, *, wave_tag_key: str, deadline_hours: int, ssm: SsmAdapter) -> ResolvedWave:
    """The wave's servers as SSM managed nodes: named in the input, else tagged with the wave.
    A server that cannot take part becomes a result that says why."""
    if wave_input.instance_ids is not None:
        nodes = ssm.managed_nodes(instance_ids=wave_input.instance_ids)
    else:
        nodes = ssm.managed_nodes(tag=(wave_tag_key, wave_input.wave))
    found = {node.instance_id: node for node in nodes}
    results = [
        ServerResult.failed(
            instance_id,
            Stage.RESOLVE,
            f"{instance_id} is not an SSM managed node in this Region",
            "Register it with SSM (hybrid activation for on-premises servers) and check that the ssm, "
            "ssmmessages and ec2messages endpoints are reachable from it.",
        )
        for instance_id in (wave_input.instance_ids or ())
        if instance_id not in found
    ]
    servers = []
    for node in found.values():
        if not node.online:
            results.append(
                ServerResult.failed(
                    node.instance_id,
                    Stage.RESOLVE,
                    f"the SSM Agent on {node.instance_id} is {node.ping_status}, so Run Command cannot reach it",
                    "Start the SSM Agent and check TCP 443 from the server to the ssm, ssmmessages and "
                    "ec2messages endpoints.",
                )
            )
        elif node.platform not in SUPPORTED_PLATFORMS:
            results.append(
                ServerResult.skipped(
                    node.instance_id,
                    Stage.RESOLVE,
                    f"platform {node.platform} is not supported by the AWS Replication Agent",
                )
            )
        else:
            servers.append(node)
    deadline = timeutil.utcnow() + timedelta(hours=deadline_hours)
    return ResolvedWave(
        servers=tuple(servers), results=tuple(results), deadline=deadline, wait_seconds=deadline_hours * 3600
    )


def resolve_wave(
    wave_input: WaveInput,
    execution_name: str,
    *,
    wave_tag_key: str,
    deadline_hours: int,
    server_concurrency: int,
    ssm: SsmAdapter,
    store: WaveStore,
) -> WaveServers:
    """The wave's servers into the wave bucket (the state carries only where they are), and the
    servers that cannot take part into the results table."""
    resolved = resolve_servers(wave_input, wave_tag_key=wave_tag_key, deadline_hours=deadline_hours, ssm=ssm)
    key = wave_key(wave_input.wave, execution_name, "servers.json")
    store.put_list(key, [node.model_dump(mode="json", by_alias=True) for node in resolved.servers])
    store.record(execution_name, resolved.results, result_expiry())
    return WaveServers(
        servers_key=key,
        server_count=len(resolved.servers),
        deadline=resolved.deadline,
        wait_seconds=resolved.wait_seconds,
        server_concurrency=server_concurrency,
        results_expire_at=result_expiry(written_at=resolved.deadline),
    )


def wave_key(wave: str, execution_name: str, name: str) -> str:
    """Where an execution keeps its lists and its report in the wave bucket."""
    return f"waves/{wave}/{execution_name}/{name}"


def result_expiry(written_at: datetime | None = None) -> int:
    """The TTL of a server's result item (epoch seconds): the one rule for every writer of results,
    the Lambda functions' and the state machine's RecordResult alike."""
    return int((written_at or timeutil.utcnow()).timestamp()) + RESULT_TTL_SECONDS
