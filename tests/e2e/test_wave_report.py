"""The wave report lands in the wave bucket (encrypted, versioned, private), and the topic hears."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

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
