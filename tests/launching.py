"""LaunchWave's e2e helpers, shared by the launch test files: a replicated wave on seed-clean's
stack with a launch target, an execution, its report."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mgn_wave_emu.harness import EmulatedAws, ExecutionResult

# web-1 registered before the wave (skipped by its install, replicated all the same): three MGN servers
REPLICATED = ("web-1", "app-1", "api-1")


def deploy_and_replicate(aws: EmulatedAws, *, via_migrate_wave: bool = False) -> dict[str, str]:
    """seed-clean's stack with a target, and web-1, app-1, api-1 replicated (READY_FOR_TEST): by a
    whole MigrateWave, or - faster, for the tests about launching only - registered as their agents
    would and replicated on the clock."""
    built = aws.build_scenario("seed-clean")
    ec2 = aws.client("ec2")
    vpc = built.stack_parameters["StagingVpcId"]
    group = ec2.create_security_group(GroupName="target", Description="migrated servers", VpcId=vpc)["GroupId"]
    aws.deploy(
        {**built.stack_parameters, "TargetSubnetId": built.target.staging_subnet_id, "TargetSecurityGroupIds": group}
    )
    if via_migrate_wave:
        result = aws.run({"wave": "wave-01"})
        assert result.status == "SUCCEEDED", (result.error, result.cause, result.states_entered[-5:])
    else:
        aws.mgn.set_network_oracle(None)  # the console's template (public IP) stands; no network judges it here
        for name in REPLICATED[1:]:  # web-1 is registered by the scenario already
            aws.mgn.register_source_server(hostname=f"{name}.corp.example", tags={"MigrationWave": "wave-01"})
        aws.clock.sleep(2 * 3600)
    by_hostname = {
        aws.mgn.source_server(server_id)["sourceProperties"]["identificationHints"]["hostname"]: server_id
        for server_id in aws.mgn.source_server_ids()
    }
    return {name: by_hostname[f"{name}.corp.example"] for name in REPLICATED} | {
        "subnet": built.target.staging_subnet_id,
        "sg": group,
    }


def launch(aws: EmulatedAws, execution_input: dict[str, Any], name: str) -> ExecutionResult:
    sfn = aws.client("stepfunctions")
    started = sfn.start_execution(
        stateMachineArn=aws.state_machine_arns["LaunchWaveStateMachine"], name=name, input=json.dumps(execution_input)
    )
    return aws.wait(started["executionArn"], timeout_seconds=240)


def read_report(aws: EmulatedAws, result: ExecutionResult) -> dict[str, dict[str, Any]]:
    summary = result.output["summary"]
    body = aws.client("s3").get_object(Bucket=summary["bucket"], Key=summary["jsonKey"])["Body"].read()
    return {server["sourceServerId"]: server for server in json.loads(body)["servers"]}


def launch_settings(aws: EmulatedAws, result: ExecutionResult) -> list[dict[str, Any]]:
    where = result.output["plan"]["launchSettings"]
    settings: list[dict[str, Any]] = json.loads(
        aws.client("s3").get_object(Bucket=where["bucket"], Key=where["key"])["Body"].read()
    )
    return settings


def state(aws: EmulatedAws, source_server_id: str) -> str:
    return str(aws.mgn.source_server(source_server_id)["lifeCycle"]["state"])
