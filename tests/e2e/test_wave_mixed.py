"""A mixed wave of a dozen servers (the demo's): each server gets the right verdict, the wave goes on."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from mgn_wave_emu.harness import EmulatedAws
    from mgn_wave_emu.scenario import BuiltScenario


def test_mixed_wave_gives_each_server_its_verdict(aws: EmulatedAws, deployed: Callable[[str], BuiltScenario]) -> None:
    # Given: twelve servers; web-1 registered before, batch-1 behind a firewall dropping 1500, cache-1 offline
    deployed("wave-demo")
    # When
    result = aws.run({"wave": "wave-01"})
    # Then
    servers = aws.server_results(result.output)
    verdicts = {name: (s["status"], s["stage"]) for name, s in servers.items()}
    assert verdicts.pop("web-1") == ("SKIPPED", "INSTALL")
    assert verdicts.pop("batch-1") == ("FAILED", "REPLICATION")
    assert verdicts.pop("cache-1") == ("FAILED", "RESOLVE")
    assert set(verdicts.values()) == {("SUCCEEDED", "REPLICATION")}
    assert len(verdicts) == 9
    assert "FAILED_TO_CONNECT_AGENT_TO_REPLICATION_SERVER" in servers["batch-1"]["reason"]
    assert "ConnectionLost" in servers["cache-1"]["reason"]
    assert result.output["summary"]["totals"] == {"SUCCEEDED": 9, "FAILED": 2, "SKIPPED": 1, "total": 12}


def test_wave_over_the_active_replication_quota_is_capped_with_the_reason(aws: EmulatedAws) -> None:
    # Given: a quota of 4 actively replicating servers, one (web-1) already replicating
    built = aws.build_scenario("wave-demo")
    aws.deploy({**built.stack_parameters, "ActiveReplicationQuota": "4"})
    # When
    result = aws.run({"wave": "wave-01"})
    # Then: three were installed, the other online servers were skipped with the quota as the reason
    servers = aws.server_results(result.output)
    installed = [name for name, s in servers.items() if s["stage"] in ("REPLICATION", "CONFIGURE")]
    capped = [name for name, s in servers.items() if "MGN allows 4" in s["reason"]]
    assert len(installed) == 3
    assert len(capped) == 7  # 12 servers - web-1 (registered) - cache-1 (offline) - 3 installed
    assert all("L-9A599620" in servers[name]["hint"] for name in capped)
    assert all(servers[name]["status"] == "SKIPPED" for name in capped)


def test_parent_history_does_not_grow_with_the_wave() -> None:
    # Given / When: the same flow for 4 servers and for 12
    from mgn_wave_emu.harness import EmulatedAws

    sizes = {}
    payloads = {}
    for scenario in ("seed-clean", "wave-demo"):
        with EmulatedAws() as aws:
            aws.deploy_scenario(scenario)
            result = aws.run({"wave": "wave-01"})
            sizes[scenario] = (len(result.events), aws.state_entries["AwaitReplication"])
            payloads[scenario] = aws.limits.payloads.largest
    # Then: per-server work runs in child executions; the wave's own history is the same size
    assert sizes["seed-clean"][0] == sizes["wave-demo"][0]
    assert sizes["seed-clean"][1] < sizes["wave-demo"][1]
    # and no state carries anything per server: the largest state payload (any input, output or
    # Map result, checked against 256 KiB by the emulated AWS) stays small at three times the servers
    assert max(payloads.values()) <= 32 * 1024, payloads


def test_server_concurrency_parameter_bounds_the_child_executions(aws: EmulatedAws) -> None:
    built = aws.build_scenario("seed-clean")
    aws.deploy({**built.stack_parameters, "ServerConcurrency": "3"})
    result = aws.run({"wave": "wave-01"}, name="bounded")
    sfn = aws.client("stepfunctions")
    execution_arn = next(
        e["executionArn"] for e in sfn.list_executions(stateMachineArn=aws.state_machine_arn)["executions"]
    )
    (map_run,) = sfn.list_map_runs(executionArn=execution_arn)["mapRuns"]
    assert result.status == "SUCCEEDED"
    assert sfn.describe_map_run(mapRunArn=map_run["mapRunArn"])["maxConcurrency"] == 3
