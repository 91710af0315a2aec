"""No credential anywhere it could leak after a full wave (the idea of
tests/e2e/test_wave_install.py::test_install_credentials_appear_only_in_the_command_parameters,
widened to every store a wave writes), no long-lived key in the repository, and 15-minute sessions."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from urllib.parse import parse_qs

import figures

from mgn_wave_emu.harness import EmulatedAws

REPO = Path(__file__).resolve().parents[2]
ACCESS_KEY = re.compile(rb"AKIA[0-9A-Z]{16}")
# AWS's documented example key (IAM User Guide), assembled at runtime by the tests that prove a
# long-lived key is refused, so that no AKIA-shaped literal stands in the repository at all.
DOCUMENTED_EXAMPLE = b"AKIA" + b"IOSFODNN7EXAMPLE"
# AWS samples copied verbatim (events/docs/, see events/README.md) carry the documentation's own
# placeholder keys, which end in EXAMPLE; nothing else in the repository may.
VERBATIM_AWS_SAMPLES = "events/docs/"


def _documented_placeholder(name: str, key: bytes) -> bool:
    return key == DOCUMENTED_EXAMPLE or (name.startswith(VERBATIM_AWS_SAMPLES) and key.endswith(b"EXAMPLE"))


def test_secrets_full_wave_leaves_no_credential_in_any_log_history_output_item_object_or_message() -> None:
    with EmulatedAws() as aws:
        # Given: a queue subscribed to the wave topic
        aws.deploy_scenario("seed-clean")
        assert aws.stack is not None and aws.lambdas is not None and aws.fleet is not None
        sqs, sns, s3 = aws.client("sqs"), aws.client("sns"), aws.client("s3")
        queue_url = sqs.create_queue(QueueName="wave-audit")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        (topic,) = sns.list_topics()["Topics"]
        sns.subscribe(TopicArn=topic["TopicArn"], Protocol="sqs", Endpoint=queue_arn)
        # When: a whole wave
        result = aws.run({"wave": "wave-01"})
        assert result.status == "SUCCEEDED"
        # Then: the credentials exist (in the one documented place, the SendCommand parameters) ...
        parameters = aws.fleet.ssm.commands()[0].parameters
        secrets = [parameters[name][0] for name in ("AccessKeyId", "SecretAccessKey", "SessionToken")]
        assert all(secrets)
        # ... and nowhere else
        objects = []
        for bucket in aws.stack.buckets:
            for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
                objects.append(s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read().decode())
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        places = {
            "lambda logs": aws.lambdas.logs.getvalue(),
            "execution history (parent)": json.dumps(result.events, default=str),
            "state output": json.dumps(result.output),
            "lambda results": json.dumps([i.result for i in aws.lambdas.invocations], default=str),
            "dynamodb items": json.dumps(
                [aws.client("dynamodb").scan(TableName=t.table_name)["Items"] for t in aws.stack.tables.values()]
            ),
            "s3 objects": "\n".join(objects),
            "sns messages": json.dumps(messages),
        }
        assert len(objects) >= 3  # server list, installed list, report.json, report.md
        assert messages, "the wave's SNS notification reached the queue"
        hits = [(place, secret[:4]) for place, text in places.items() for secret in secrets if secret in text]
        figures.record(
            f"\nsecrets: {len(secrets)} values x {len(places)} places ({sum(map(len, places.values()))} chars): "
            f"{len(hits)} hits"
        )
        assert hits == []


def test_secrets_install_session_lasts_at_most_900_seconds_as_requested() -> None:
    with EmulatedAws() as aws:
        aws.deploy_scenario("seed-clean")
        aws.run({"wave": "wave-01"})
        assume = aws.calls.of("sts", "AssumeRole")
        assert assume, "the wave assumed the install role"
        for call in assume:
            request = parse_qs(call.body.decode())
            assert call.principal == "InstallAgentsFunction"
            assert int(request["DurationSeconds"][0]) <= 900
            assert request["RoleArn"][0].endswith("-AgentInstallRole")
            assert "Policy" in request  # the session policy narrows the role further


def test_secrets_no_long_lived_access_key_in_any_tracked_file() -> None:
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, check=True, capture_output=True).stdout.split(b"\0")
    hits = [
        (name.decode(), key.decode())
        for name in tracked
        if name and (REPO / name.decode()).is_file()
        for key in ACCESS_KEY.findall((REPO / name.decode()).read_bytes())
        if not _documented_placeholder(name.decode(), key)
    ]
    assert len(tracked) > 50
    assert hits == []
