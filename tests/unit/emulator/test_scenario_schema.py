"""Scenario files: the shipped ones load, and a bad file is refused naming the key."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

import pytest
import yaml

from mgn_wave_emu.scenario import ScenarioError, load_scenario, parse_scenario, shipped_scenarios

if TYPE_CHECKING:
    from pathlib import Path


def _seed() -> dict:
    from importlib import resources

    text = (resources.files("mgn_wave_emu.scenarios") / "seed-clean.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def test_shipped_scenarios_include_the_seed_pair() -> None:
    # Given / When
    names = shipped_scenarios()
    # Then
    assert {"seed-clean", "seed-misconfigured"} <= set(names)


@pytest.mark.parametrize("name", ["seed-clean", "seed-misconfigured"])
def test_load_scenario_shipped_name_validates(name) -> None:
    # Given / When
    scenario = load_scenario(name)
    # Then
    assert scenario.name == name
    assert scenario.region == "us-east-1"
    assert scenario.fleet


def test_load_scenario_by_path_reads_the_file(tmp_path: Path) -> None:
    # Given
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump({**_seed(), "name": "mine"}), encoding="utf-8")
    # When
    scenario = load_scenario(path)
    # Then
    assert scenario.name == "mine"


def test_load_scenario_unknown_name_lists_shipped_ones() -> None:
    # Given / When / Then
    with pytest.raises(ScenarioError, match="seed-clean"):
        load_scenario("no-such-scenario")


def _broken(path: list, value) -> dict:
    data = copy.deepcopy(_seed())
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("case", "data", "named_key"),
    [
        ("unknown top-level key", {**_seed(), "stagign": {}}, "stagign"),
        ("bad region", _broken(["region"], "Tokyo"), "region"),
        (
            "staging subnet not defined",
            _broken(["staging", "staging_subnet"], "nope"),
            "staging.staging_subnet",
        ),
        (
            "fleet IP outside the source",
            _broken(["fleet", 0, "private_ip"], "192.168.128.10"),
            "fleet[0].private_ip",
        ),
        ("fleet platform", _broken(["fleet", 0, "platform"], "solaris"), "fleet[0].platform"),
        ("disk size", _broken(["fleet", 0, "disks", 0, "gib"], 0), "fleet[0].disks[0].gib"),
        ("derived stack parameter", _broken(["stack"], {"StagingVpcId": "vpc-1"}), "stack"),
        (
            "unknown SG in a rule",
            _broken(["staging", "security_groups", 1, "ingress", 0, "from"], ["sg:nope"]),
            "staging.security_groups.mgn-endpoint.ingress",
        ),
        (
            "bad peer",
            _broken(["staging", "security_groups", 0, "ingress", 0, "from"], ["10.10.0.1/16"]),
            "staging.security_groups[0].ingress[0].from",
        ),
        ("bad ports", _broken(["staging", "security_groups", 0, "ingress", 0, "ports"], "high"), "ports"),
        (
            "endpoint on an unknown route table",
            _broken(["staging", "endpoints", 0, "route_tables"], ["nope"]),
            "staging.endpoints.s3-gateway.route_tables",
        ),
        (
            "subnet outside the VPC",
            _broken(["staging", "subnets", 0, "cidr"], "10.99.0.0/24"),
            "staging.subnets.staging",
        ),
        ("unknown expected code", _broken(["expected_codes"], ["NOT_A_CODE"]), "expected_codes"),
    ],
)
def test_parse_scenario_bad_file_error_names_key(case, data, named_key) -> None:
    # Given / When
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data, "broken.yaml")
    # Then
    message = str(caught.value)
    assert message.startswith("broken.yaml: "), case
    assert named_key in message, message
