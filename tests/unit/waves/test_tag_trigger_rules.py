"""The tag trigger's pure rules: three ways to see a server join a wave, one execution name."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mgn_wave.waves.models import WAVE_NAME_PATTERN
from mgn_wave.waves.tag_trigger import execution_name_for, join_from_event, plan_reconciliation

EVENTS = Path(__file__).resolve().parents[3] / "events"
KEY = "MigrationWave"
NODE = "mi-0123456789abcdef0"


def _load(name: str) -> dict:
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))


def _cloudtrail_event_from_the_documented_samples(request_parameters: dict) -> dict:
    """The documented EventBridge envelope of a CloudTrail event, carrying the documented SSM record
    shape, with AddTagsToResource's parameters: built from the verbatim samples, not by hand."""
    envelope = _load("docs/cloudtrail-api-call-s3-create-bucket.json")
    record = _load("docs/cloudtrail-record-ssm-delete-document.json")
    envelope["source"] = "aws.ssm"
    envelope["detail"] = {
        **record,
        "eventName": "AddTagsToResource",
        "requestParameters": request_parameters,
        "resources": [],
    }
    return envelope


def test_documented_samples_have_the_fields_the_trigger_reads() -> None:
    envelope = _load("docs/cloudtrail-api-call-s3-create-bucket.json")
    record = _load("docs/cloudtrail-record-ssm-delete-document.json")
    assert envelope["detail-type"] == "AWS API Call via CloudTrail"
    assert {"eventSource", "eventName", "requestParameters"} <= set(envelope["detail"])
    assert record["eventSource"] == "ssm.amazonaws.com"
    assert _load("docs/scheduled-event.json")["detail-type"] == "Scheduled Event"


def test_tag_change_and_cloudtrail_event_for_one_node_name_one_execution() -> None:
    # Given the aws.tag event and the CloudTrail record of the same tagging (different event IDs)
    tag_event = _load("tag_trigger_wave.json")
    cloudtrail_event = _load("tag_trigger_cloudtrail_add_tags.json")
    assert tag_event["id"] != cloudtrail_event["id"]
    # When
    from_tag = join_from_event(tag_event, KEY)
    from_cloudtrail = join_from_event(cloudtrail_event, KEY)
    # Then
    assert from_tag is not None
    assert from_cloudtrail == from_tag
    assert from_tag.execution_name == execution_name_for("wave-01", NODE)
    assert (from_tag.wave, from_tag.instance_id) == ("wave-01", NODE)


@pytest.mark.parametrize(
    "parameters",
    [
        {"resourceType": "ManagedInstance", "resourceId": NODE, "tags": [{"key": KEY, "value": "wave-01"}]},
        # the API's own spelling, should CloudTrail keep it
        {"ResourceType": "ManagedInstance", "ResourceId": NODE, "Tags": [{"Key": KEY, "Value": "wave-01"}]},
    ],
)
def test_cloudtrail_event_built_from_documented_samples_joins_the_node(parameters: dict) -> None:
    joined = join_from_event(_cloudtrail_event_from_the_documented_samples(parameters), KEY)
    assert joined is not None
    assert (joined.wave, joined.instance_id) == ("wave-01", NODE)


@pytest.mark.parametrize(
    ("case", "change"),
    [
        ("another API call", lambda e: e["detail"].update(eventName="RemoveTagsFromResource")),
        ("a failed call", lambda e: e["detail"].update(errorCode="InvalidResourceId")),
        ("another resource type", lambda e: e["detail"]["requestParameters"].update(resourceType="Document")),
        ("another key", lambda e: e["detail"]["requestParameters"].update(tags=[{"key": "Owner", "value": "x"}])),
        ("no wave name", lambda e: e["detail"]["requestParameters"].update(tags=[{"key": KEY, "value": "a;b"}])),
        ("not a node ID", lambda e: e["detail"]["requestParameters"].update(resourceId="mi-12; rm -rf /")),
        ("another service", lambda e: e["detail"].update(eventSource="ec2.amazonaws.com")),
        ("another source", lambda e: e.update(source="aws.ec2")),
        ("no parameters", lambda e: e["detail"].update(requestParameters=None)),
    ],
)
def test_cloudtrail_event_that_sets_no_wave_tag_on_a_node_joins_nothing(case, change) -> None:
    event = copy.deepcopy(_load("tag_trigger_cloudtrail_add_tags.json"))
    change(event)
    assert join_from_event(event, KEY) is None, case


def test_execution_names_keep_waves_apart_that_the_name_alphabet_folds() -> None:
    assert execution_name_for("wave.01", NODE) != execution_name_for("wave-01", NODE)
    assert execution_name_for("wave-01", NODE) != execution_name_for("wave-01", "mi-0123456789abcdef1")


@settings(max_examples=300, derandomize=True)
@given(wave=st.from_regex(WAVE_NAME_PATTERN, fullmatch=True))
def test_execution_name_is_a_valid_step_functions_name_for_every_wave(wave: str) -> None:
    name = execution_name_for(wave, NODE)
    assert 1 <= len(name) <= 80
    assert re.fullmatch(r"[A-Za-z0-9_-]+", name)
    assert NODE in name


def test_reconciliation_starts_only_tagged_nodes_no_wave_has_taken() -> None:
    tagged = {
        "mi-00000000000000001": "wave-01",  # MGN knows it: some wave installed it
        "mi-00000000000000002": "wave-01",  # a running execution names it
        "mi-00000000000000003": "wave-02",  # its whole wave is running
        "mi-00000000000000004": "wave-01",  # nobody has it
        "mi-00000000000000005": "not a wave;",  # not a wave name: never started
    }
    running = [{"wave": "wave-01", "instanceIds": ["mi-00000000000000002"]}, {"wave": "wave-02"}]
    joins = plan_reconciliation(tagged, {"mi-00000000000000001"}, running)
    assert [(j.instance_id, j.wave) for j in joins] == [("mi-00000000000000004", "wave-01")]
    assert joins[0].execution_name == execution_name_for("wave-01", "mi-00000000000000004")
