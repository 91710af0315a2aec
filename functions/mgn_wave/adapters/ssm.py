"""SSM for the domain: managed nodes, Run Command sends and their invocations.

Owns the service limits botocore does not check (docs/mgn-facts.md §1.2, §5.2): at most 50 instance IDs
per SendCommand and per filter value list, a Comment of at most 100 characters."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mgn_wave.adapters.errors import aws_call
from mgn_wave.core.errors import InvalidInputError, NodeUnreachableError
from mgn_wave.waves.models import ManagedNode

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence
    from datetime import datetime

    from mypy_boto3_ssm import SSMClient
    from mypy_boto3_ssm.type_defs import CommandFilterTypeDef

MAX_INSTANCE_IDS = 50  # SendCommand InstanceIds, and values per DescribeInstanceInformation filter
MAX_COMMENT = 100
TERMINAL_INVOCATION_STATUSES = frozenset({"Success", "Cancelled", "TimedOut", "Failed"})


def chunks(items: Sequence[str], size: int = MAX_INSTANCE_IDS) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _node(info: Mapping[str, Any]) -> ManagedNode:
    return ManagedNode(
        instance_id=info["InstanceId"],
        platform=str(info.get("PlatformType", "")),
        online=info.get("PingStatus") == "Online",
        ping_status=str(info.get("PingStatus", "")),
        computer_name=info.get("ComputerName"),
        ip_address=info.get("IPAddress"),
    )


class SsmAdapter:
    def __init__(self, client: SSMClient) -> None:
        self._client = client

    def managed_nodes(
        self, *, instance_ids: Sequence[str] | None = None, tag: tuple[str, str] | None = None
    ) -> list[ManagedNode]:
        """The named nodes (unknown IDs are simply absent), or those carrying `tag`."""
        paginator = self._client.get_paginator("describe_instance_information")
        filter_sets: list[list[dict[str, Any]]]
        if instance_ids is not None:
            filter_sets = [[{"Key": "InstanceIds", "Values": chunk}] for chunk in chunks(instance_ids)]
        elif tag is not None:
            filter_sets = [[{"Key": f"tag:{tag[0]}", "Values": [tag[1]]}]]
        else:
            raise InvalidInputError("instance_ids", "give instance IDs or a tag to select managed nodes")
        nodes: list[ManagedNode] = []
        for filters in filter_sets:
            with aws_call("ssm:DescribeInstanceInformation"):
                for page in paginator.paginate(Filters=filters):  # type: ignore[arg-type]
                    nodes.extend(_node(info) for info in page["InstanceInformationList"])
        return nodes

    def wave_tags_of_hybrid_nodes(self, wave_tag_key: str) -> dict[str, str]:
        """Every hybrid node (`mi-…`) that carries `wave_tag_key`, with the tag's value.

        DescribeInstanceInformation filters by tag key but returns no tags, so each such node's
        tags are read with ListTagsForResource (one call per tagged node)."""
        paginator = self._client.get_paginator("describe_instance_information")
        node_ids: list[str] = []
        with aws_call("ssm:DescribeInstanceInformation"):
            for page in paginator.paginate(Filters=[{"Key": "tag-key", "Values": [wave_tag_key]}]):
                node_ids.extend(i["InstanceId"] for i in page["InstanceInformationList"] if "InstanceId" in i)
        waves: dict[str, str] = {}
        for node_id in node_ids:
            if not node_id.startswith("mi-"):
                continue  # an EC2 instance's tags are EC2's, and its aws.tag event is documented
            with aws_call("ssm:ListTagsForResource"):
                tags = self._client.list_tags_for_resource(ResourceType="ManagedInstance", ResourceId=node_id)
            value = next((t["Value"] for t in tags.get("TagList", []) if t["Key"] == wave_tag_key), None)
            if value is not None:
                waves[node_id] = value
        return waves

    def send_command(
        self,
        *,
        document_name: str,
        instance_ids: Sequence[str],
        parameters: Mapping[str, list[str]],
        comment: str,
        delivery_timeout_seconds: int = 600,
    ) -> str:
        """One SendCommand to at most 50 nodes; returns the command ID. The parameters may hold
        credentials: they are never logged here, and callers must not log them either."""
        if not 1 <= len(instance_ids) <= MAX_INSTANCE_IDS:
            raise InvalidInputError("instance_ids", f"1..{MAX_INSTANCE_IDS} per SendCommand, got {len(instance_ids)}")
        if len(comment) > MAX_COMMENT:
            raise InvalidInputError("comment", f"at most {MAX_COMMENT} characters, got {len(comment)}")
        with aws_call(
            "ssm:SendCommand",
            {"InvalidInstanceId": lambda exc: NodeUnreachableError(str(exc.response["Error"].get("Message", "")))},
        ):
            sent = self._client.send_command(
                DocumentName=document_name,
                InstanceIds=list(instance_ids),
                Parameters=dict(parameters),
                Comment=comment,
                # The version the stack deployed last. The stack updates the document with
                # UpdateMethod NewVersion; without a version SSM runs the default version, which a
                # new version need not become, so nodes could keep running the old script.
                DocumentVersion="$LATEST",
                TimeoutSeconds=delivery_timeout_seconds,
                MaxConcurrency="50",
                # One node's failure must not stop the command on the others: each server's
                # result is its own (docs/contracts.md §3).
                MaxErrors="100%",
            )
        return str(sent["Command"]["CommandId"])

    def commands_of_document(self, document_name: str, *, invoked_after: datetime) -> list[dict[str, Any]]:
        """Commands of one document sent since a moment (how a retried install finds its earlier
        sends): the service filters, so the answer does not grow with the Region's other commands."""
        filters: list[CommandFilterTypeDef] = [
            {"key": "DocumentName", "value": document_name},
            {"key": "InvokedAfter", "value": invoked_after.strftime("%Y-%m-%dT%H:%M:%SZ")},
        ]
        found: list[dict[str, Any]] = []
        with aws_call("ssm:ListCommands"):
            for page in self._client.get_paginator("list_commands").paginate(Filters=filters):
                found.extend(dict(c) for c in page["Commands"])
        return found

    def invocation_statuses(self, command_id: str) -> dict[str, str]:
        """instance ID → invocation status, for every node of the command (no output: cheap)."""
        statuses: dict[str, str] = {}
        with aws_call("ssm:ListCommandInvocations"):
            for page in self._client.get_paginator("list_command_invocations").paginate(CommandId=command_id):
                for invocation in page["CommandInvocations"]:
                    statuses[invocation["InstanceId"]] = invocation["Status"]
        return statuses

    def invocation(self, command_id: str, instance_id: str, step_name: str) -> dict[str, Any]:
        """One node's finished invocation of one document step, with its output (stdout: the first
        24,000 characters, stderr: 8,000). A document with several steps needs the step named."""
        with aws_call("ssm:GetCommandInvocation"):
            return dict(
                self._client.get_command_invocation(CommandId=command_id, InstanceId=instance_id, PluginName=step_name)
            )
