"""The one home of Region, ID and ARN forms, and everything that checks one against it."""

from __future__ import annotations

import re
from ipaddress import IPv4Network

import botocore.session
import pytest

from mgn_wave import ids
from mgn_wave.errors import InvalidInputError
from mgn_wave.install.parameters import REGION_PATTERN, S3_ENDPOINT_PATTERN
from mgn_wave.models.network import PrivatePathTarget
from mgn_wave.models.wave import validate_wave_input
from mgn_wave.replication.classifier import source_server_ids_of as source_servers_of
from mgn_wave_cli.main import FORM_OF_FLAG


def _botocore_regions() -> list[str]:
    partitions = botocore.session.get_session().get_data("partitions")["partitions"]
    return sorted(r for p in partitions for r in p["regions"] if not r.startswith("aws"))


BOTOCORE_REGIONS = _botocore_regions()
# (the last: a Region whose digit is an Arabic-Indic one, which `\d` would take)
NOT_REGIONS = ["", "us-east", "useast-1", "us-east-100", "US-EAST-1", "us-a-b-c-1", "us-east-1\n", "us-east-\u0661"]


def test_ids_region_accepts_every_region_botocore_knows() -> None:
    # Given every Region of every partition botocore ships (a new shape fails here on upgrade)
    assert {"us-east-1", "ap-southeast-3", "cn-north-1", "us-gov-west-1", "us-isob-east-1"} <= set(BOTOCORE_REGIONS)
    # Then each is a Region by our one pattern
    assert [r for r in BOTOCORE_REGIONS if not re.fullmatch(ids.REGION, r)] == []


@pytest.mark.parametrize("value", NOT_REGIONS)
def test_ids_region_refuses_what_no_region_looks_like(value: str) -> None:
    assert re.fullmatch(ids.REGION, value) is None


@pytest.mark.parametrize("region", ["us-gov-west-1", "us-isob-east-1", "eusc-de-east-1"])
def test_ids_region_is_the_same_for_the_preflight_the_install_document_and_the_cli(region: str) -> None:
    # Given a Region with a qualifier word
    target = PrivatePathTarget(
        region=region,
        staging_vpc_id="vpc-0abc1234",
        staging_subnet_id="subnet-0def5678",
        replication_sg_ids=("sg-0aaa1111",),
        source_cidrs=(IPv4Network("10.10.0.0/16"),),
    )
    # Then the preflight model, the document's allow-lists and the CLI all take it
    assert target.region == region
    assert re.fullmatch(REGION_PATTERN, region)
    assert re.fullmatch(S3_ENDPOINT_PATTERN, f"vpce-0abc1234def567890-abcd1234.s3.{region}.vpce.amazonaws.com")
    cli_region, _ = FORM_OF_FLAG["--region"]
    assert cli_region.fullmatch(region)
    assert not cli_region.fullmatch(f"{region}-x")


@pytest.mark.parametrize("value", ["us-a-b-c-1", "us-east-1; rm -rf /"])
def test_ids_region_refused_by_the_preflight_model_and_the_document(value: str) -> None:
    with pytest.raises(ValueError, match="region"):
        PrivatePathTarget(
            region=value,
            staging_vpc_id="vpc-0abc1234",
            staging_subnet_id="subnet-0def5678",
            replication_sg_ids=("sg-0aaa1111",),
            source_cidrs=(IPv4Network("10.10.0.0/16"),),
        )
    assert re.fullmatch(REGION_PATTERN, value) is None


def test_ids_source_server_arn_reads_an_mgn_event_in_any_partition() -> None:
    # Given MGN events about servers in two partitions, and a resource that is not a source server
    event = {
        "source": "aws.mgn",
        "resources": [
            "arn:aws:mgn:us-west-2:111122223333:source-server/s-12345678901234567",
            "arn:aws-us-gov:mgn:us-gov-west-1:111122223333:source-server/s-abcdefghijABCDEFG",
            "arn:aws:mgn:us-west-2:111122223333:job/mgnjob-12345678901234567",
            "arn:aws:mgn:not a region:111122223333:source-server/s-12345678901234567",
        ],
    }
    # Then exactly the two source servers are read
    assert source_servers_of(event) == ["s-12345678901234567", "s-abcdefghijABCDEFG"]


@pytest.mark.parametrize(
    ("value", "ok"),
    [("i-0123abcd", True), ("i-0123456789abcdef0", True), ("mi-0123456789abcdef0", True), ("i-0123456789", False)],
)
def test_ids_node_id_is_the_wave_inputs_form(value: str, ok: bool) -> None:
    assert bool(re.fullmatch(ids.NODE_ID, value)) is ok
    if ok:
        assert validate_wave_input({"wave": "w1", "instanceIds": [value]}).instance_ids == (value,)
    else:
        with pytest.raises(InvalidInputError, match="instanceIds"):
            validate_wave_input({"wave": "w1", "instanceIds": [value]})
