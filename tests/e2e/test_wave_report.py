"""The wave report lands in the wave bucket (encrypted, versioned, private), and the topic hears."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    import pytest

    from mgn_wave_emu.harness import EmulatedAws
    from mgn_wave_emu.scenario import BuiltScenario


def test_wave_report_json_and_markdown_in_the_bucket_and_a_notification(
    aws: EmulatedAws, deployed: Callable[[str], BuiltScenario]
) -> None:
    # Given: a queue subscribed to the wave topic, as an operator's mail or chat hook would be
    deployed("seed-clean")
    assert aws.stack is not None
    (topic,) = aws.stack.topics
    sns, sqs, s3 = aws.client("sns"), aws.client("sqs"), aws.client("s3")
    topic_arn = f"arn:aws:sns:{aws.region}:{aws.account_id}:{topic}"
    queue_url = sqs.create_queue(QueueName="operators")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    # When
    result = aws.run({"wave": "wave-01"}, name="report-run")
    # Then: both documents, encrypted, in a versioned private bucket
    location = result.output["summary"]
    bucket = location["bucket"]
    report = json.loads(s3.get_object(Bucket=bucket, Key=location["jsonKey"])["Body"].read())
    markdown = s3.get_object(Bucket=bucket, Key=location["markdownKey"])["Body"].read().decode()
    assert report["summary"]["totals"] == result.output["summary"]["totals"]
    assert report["replicationSettings"]["template"]["action"] == "UPDATED"
    for key in (location["jsonKey"], location["markdownKey"]):
        assert s3.head_object(Bucket=bucket, Key=key)["ServerSideEncryption"] == "AES256"
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert all(s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"].values())
    assert markdown.startswith("# Wave `wave-01`")
    for server in report["summary"]["servers"]:
        assert f"`{server['instanceId']}`" in markdown
    # and the topic told the operators the totals and where the report is
    (message,) = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    text = json.loads(message["Body"])["Message"]
    assert text.startswith("Wave wave-01: 2 succeeded, 1 failed, 1 skipped of 4 servers.")
    assert f"s3://{bucket}/{location['markdownKey']}" in text


def test_results_recorded_by_the_state_machine_expire_like_the_python_writers(
    aws: EmulatedAws, deployed: Callable[[str], BuiltScenario]
) -> None:
    # Given
    deployed("seed-clean")
    assert aws.stack is not None
    # When
    result = aws.run({"wave": "wave-01"})
    # Then: every result item carries the TTL attribute the table expires items by, the state
    # machine's RecordResult (REPLICATION stage) as well as the functions' writes
    table = aws.stack.tables["StateTable"]
    ttl_attribute = table.properties["TimeToLiveSpecification"]["AttributeName"]
    items = aws.client("dynamodb").scan(TableName=table.table_name)["Items"]
    results = [i for i in items if i["pk"]["S"].startswith("RESULT#")]
    stages = {json.loads(i["result"]["S"])["stage"] for i in results}
    assert "REPLICATION" in stages
    assert all(ttl_attribute in i for i in results), [i["sk"]["S"] for i in results if ttl_attribute not in i]
    now = aws.clock.now().timestamp()
    for item in results:
        days = (int(item[ttl_attribute]["N"]) - now) / 86_400
        assert 89 < days < 95, (item["sk"]["S"], days)
    assert result.status == "SUCCEEDED"


def test_a_failed_configuration_reports_the_error_message_without_the_stack_trace(
    aws: EmulatedAws, deployed: Callable[[str], BuiltScenario], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given: ConfigureServer fails for every server with an error of its own
    from mgn_wave.handlers import configure_server

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("replication configuration of the server is locked by another job")

    monkeypatch.setattr(configure_server, "configure_server", refuse)
    deployed("seed-clean")
    # When
    result = aws.run({"wave": "wave-01"})
    # Then: the report's reason is the message, not the runtime's JSON with its stack trace
    configured = [s for s in aws.server_results(result.output).values() if s["stage"] == "CONFIGURE"]
    assert configured
    for server in configured:
        assert server["status"] == "FAILED"
        assert server["reason"] == "replication configuration of the server is locked by another job"


def test_nothing_per_server_travels_back_through_the_maps_result(
    aws: EmulatedAws, deployed: Callable[[str], BuiltScenario]
) -> None:
    # Given
    deployed("seed-clean")
    # When
    result = aws.run({"wave": "wave-01"})
    # Then: the Map's result is where the Map Run's results went (ResultWriter), not the children's
    # outputs (about 2 KB a server before: 150 servers reached Step Functions' 256 KiB)
    assert result.status == "SUCCEEDED"
    assert 0 < aws.limits.payloads.largest_map_result < 600
    # and the drift report left the state: a count and a key instead of a line per server
    assert set(result.output["replicationSettings"]) == {
        "dryRun",
        "template",
        "serversChecked",
        "serversChanged",
        "reportKey",
    }
