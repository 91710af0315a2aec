"""The emulated AWS holds AWS's hard limits (mgn_wave_emu.limits): where AWS fails, it fails too."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from botocore.exceptions import ClientError

from mgn_wave_emu.harness import EmulatedAws
from mgn_wave_emu.hooks import current_function
from mgn_wave_emu.limits import (
    HISTORY_EVENTS,
    SEND_COMMAND_BYTES,
    STATE_PAYLOAD_BYTES,
    TASK_OUTPUT_CHARS,
    AwsLimits,
    StackNameError,
    trust_admits,
)
from mgn_wave_emu.stack import INSTALL_DOCUMENT, TEMPLATE_PATH, RuleAssertionError, load_template, resolve_stack

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

ROLE = "arn:aws:iam::123456789012:role/test"
PARAMETERS = {
    "StagingVpcId": "vpc-0abc1234",
    "StagingSubnetId": "subnet-0def5678",
    "ReplicationSecurityGroupIds": "sg-0aaa1111",
    "SourceCidrs": "10.10.0.0/16",
}
LONGEST_STACK_NAME = "m" + "-wave" * 25 + "-1"  # 128 characters, CloudFormation's maximum


@pytest.fixture
def aws() -> Iterator[EmulatedAws]:
    with EmulatedAws() as emulated:
        yield emulated


def _run_definition(aws: EmulatedAws, definition: dict[str, Any], name: str = "limits") -> Any:
    sfn = aws.client("stepfunctions")
    machine = sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)
    aws.state_machine_arn = machine["stateMachineArn"]
    return aws.run({}, name="run")


def _map_of(items: int, item_bytes: int) -> dict[str, Any]:
    """A Map whose iterations each return `item_bytes` of text, caught by States.ALL."""
    return {
        "StartAt": "Items",
        "States": {
            "Items": {"Type": "Pass", "Result": list(range(items)), "ResultPath": "$.items", "Next": "Fan"},
            "Fan": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "Big",
                    "States": {"Big": {"Type": "Pass", "Result": {"text": "x" * item_bytes}, "End": True}},
                },
                "ResultPath": None,
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Succeed"},
        },
    }


def test_map_result_over_256_kib_fails_the_execution_even_with_result_path_null(aws: EmulatedAws) -> None:
    # Given: 70 iterations of 4 KB each: the collected result is about 280 KB (ResultPath null
    # discards it only after the limit applies)
    result = _run_definition(aws, _map_of(70, 4000))
    # Then: the execution fails with States.DataLimitExceeded, which States.ALL does not catch
    assert result.status == "FAILED"
    assert result.error == "States.DataLimitExceeded"
    assert "Caught" not in result.states_entered


def test_map_result_under_256_kib_passes(aws: EmulatedAws) -> None:
    result = _run_definition(aws, _map_of(60, 4000))
    assert result.status == "SUCCEEDED"
    assert 240_000 < aws.limits.payloads.largest <= STATE_PAYLOAD_BYTES


def test_state_output_over_256_kib_fails_and_states_all_does_not_catch_it(aws: EmulatedAws) -> None:
    definition = {
        "StartAt": "Grow",
        "States": {
            "Grow": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:s3:listBuckets",  # any task: the Pass below grows
                "ResultPath": None,
                "Next": "Big",
            },
            "Big": {"Type": "Pass", "Result": {"text": "x" * STATE_PAYLOAD_BYTES}, "End": True},
        },
    }
    result = _run_definition(aws, definition)
    assert result.status == "FAILED"
    assert result.error == "States.DataLimitExceeded"


def test_history_over_its_quota_fails_the_execution(aws: EmulatedAws) -> None:
    # Given: AWS's quota is 25,000 events; the same check at 600 here, to reach it in a second
    assert aws.limits.history_events == HISTORY_EVENTS == 25_000
    aws.limits.history_events = 600
    # and a loop of two Pass states that never ends by itself
    definition = {
        "StartAt": "Ping",
        "States": {"Ping": {"Type": "Pass", "Next": "Pong"}, "Pong": {"Type": "Pass", "Next": "Ping"}},
    }
    sfn = aws.client("stepfunctions")
    machine = sfn.create_state_machine(name="loop", definition=json.dumps(definition), roleArn=ROLE)
    aws.state_machine_arn = machine["stateMachineArn"]
    result = aws.wait(aws.start({}, "loop"), timeout_seconds=300)
    # Then: AWS fails an execution whose history reaches the quota
    assert result.status == "FAILED"
    assert "reached 600 events" in (result.cause or "")
    assert 600 < len(result.events) <= 605


def test_send_task_success_output_over_256_kib_is_refused(aws: EmulatedAws) -> None:
    sfn = aws.client("stepfunctions")
    with pytest.raises(ClientError) as refused:
        sfn.send_task_success(taskToken="token", output=json.dumps("x" * TASK_OUTPUT_CHARS))
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "262144" in refused.value.response["Error"]["Message"]
    # At the limit the request reaches the service (which knows no such token)
    with pytest.raises(ClientError) as unknown:
        sfn.send_task_success(taskToken="token", output="x" * TASK_OUTPUT_CHARS)
    assert unknown.value.response["Error"]["Code"] != "ValidationException"


def test_send_command_over_64_kb_with_the_document_is_refused(aws: EmulatedAws) -> None:
    aws.deploy_scenario("seed-clean")
    assert aws.stack is not None and aws.fleet is not None
    document = aws.stack.physical_name(INSTALL_DOCUMENT)
    room = SEND_COMMAND_BYTES - len(json.dumps(aws.stack.documents[document]).encode())  # more than enough
    ssm = aws.client("ssm")
    with pytest.raises(ClientError) as refused:
        ssm.send_command(
            DocumentName=document,
            InstanceIds=[aws.fleet.node("web-1").node_id],
            Parameters={"Mode": ["probe"], "ProbeHosts": ["a" * room]},
        )
    assert refused.value.response["Error"]["Code"] == "MaxDocumentSizeExceeded"
    assert aws.fleet.ssm.commands() == []


def test_trust_policy_with_a_stack_name_pattern_misses_the_trimmed_role_name() -> None:
    # Given: the role CloudFormation generates for InstallAgents under a 40-character stack name
    stack = resolve_stack(
        load_template(), parameters=PARAMETERS, region="us-east-1", account_id="123456789012", stack_name="w" * 40
    )
    caller = stack.role_of("InstallAgentsFunction").arn
    assert len(caller.rsplit("/", 1)[1]) <= 64
    old_trust = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "ArnLike": {
                        "aws:PrincipalArn": f"arn:aws:iam::123456789012:role/{'w' * 40}-InstallAgentsFunctionRole*"
                    }
                },
            }
        ]
    }
    # Then: the pattern built from the stack name does not match the trimmed name; the template's
    # trust, which names the role's ARN, admits it and no other function's role
    assert not trust_admits(old_trust, caller, "123456789012")
    assert trust_admits(stack.roles["AgentInstallRole"].trust_policy, caller, "123456789012")
    assert not trust_admits(
        stack.roles["AgentInstallRole"].trust_policy, stack.role_of("PreflightFunction").arn, "123456789012"
    )


def test_only_install_agents_may_assume_the_install_role(aws: EmulatedAws) -> None:
    aws.deploy_scenario("seed-clean")
    assert aws.stack is not None
    role_arn = aws.stack.roles["AgentInstallRole"].arn
    sts = aws.client("sts")
    for function, allowed in (("InstallAgentsFunction", True), ("PreflightFunction", False)):
        token = current_function.set(function)
        try:
            if allowed:
                assert sts.assume_role(RoleArn=role_arn, RoleSessionName="install")["Credentials"]
            else:
                with pytest.raises(ClientError) as denied:
                    sts.assume_role(RoleArn=role_arn, RoleSessionName="install")
                assert denied.value.response["Error"]["Code"] == "AccessDenied"
        finally:
            current_function.reset(token)


def test_wave_installs_under_a_stack_name_whose_role_names_are_trimmed(aws: EmulatedAws) -> None:
    # Given: a stack name long enough that CloudFormation trims the generated role names
    built = aws.build_scenario("seed-clean")
    aws.deploy(dict(built.stack_parameters), stack_name="migration-factory-production-wave-stack")
    # When
    result = aws.run({"wave": "wave-01"})
    # Then: InstallAgents got its credentials (no AccessDenied) and the Linux nodes installed
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert not [r for r in aws.limits.refused if r[1] == "AssumeRole"]
    servers = aws.server_results(result.output)
    assert servers["app-1"]["status"] == "SUCCEEDED"


@pytest.mark.parametrize("stack_name", [LONGEST_STACK_NAME, "aws-mgn-wave", "AmazonMigration", "a"])
def test_every_stack_derived_name_is_valid_for_any_stack_name(stack_name: str) -> None:
    assert len(LONGEST_STACK_NAME) == 128
    stack = resolve_stack(
        load_template(), parameters=PARAMETERS, region="us-east-1", account_id="123456789012", stack_name=stack_name
    )
    AwsLimits.check_stack(stack)  # raises on the first name its service would refuse
    assert len(stack.state_machine_name) <= 80
    (document,) = stack.documents
    assert not document.lower().startswith(("aws", "amazon", "amzn"))


@pytest.mark.parametrize(
    ("stack_name", "refused"),
    [(LONGEST_STACK_NAME, "MigrateWaveStateMachine"), ("aws-mgn-wave", INSTALL_DOCUMENT)],
)
def test_names_derived_from_the_stack_name_are_refused_where_aws_refuses_them(
    stack_name: str, refused: str, tmp_path: Path
) -> None:
    # Given: the templates as they named them before: the state machine after the stack, and the
    # document named by CloudFormation (it starts with the nested stack's name, the parent's first)
    template = load_template()
    template["Resources"]["MigrateWaveStateMachine"]["Properties"]["Name"] = {
        "Fn::Sub": "${AWS::StackName}-MigrateWave"
    }
    location = template["Resources"]["InstallAgentDocumentStack"]["Properties"]["Location"]
    nested = load_template(TEMPLATE_PATH.parent / location)
    del nested["Resources"]["InstallAgentDocument"]["Properties"]["Name"]
    (tmp_path / location).write_text(yaml.safe_dump(nested), encoding="utf-8")
    stack = resolve_stack(
        template,
        parameters=PARAMETERS,
        region="us-east-1",
        account_id="123456789012",
        stack_name=stack_name,
        template_dir=tmp_path,
    )
    with pytest.raises(StackNameError, match=refused):
        AwsLimits.check_stack(stack)


def test_custom_ebs_encryption_without_a_key_is_refused_at_deploy() -> None:
    with pytest.raises(RuleAssertionError, match="EbsEncryptionKeyArn"):
        resolve_stack(
            load_template(),
            parameters={**PARAMETERS, "EbsEncryption": "CUSTOM"},
            region="us-east-1",
            account_id="123456789012",
        )
    key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    resolve_stack(
        load_template(),
        parameters={**PARAMETERS, "EbsEncryption": "CUSTOM", "EbsEncryptionKeyArn": key},
        region="us-east-1",
        account_id="123456789012",
    )
