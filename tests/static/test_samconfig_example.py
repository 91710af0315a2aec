"""`samconfig.example.toml`, the newcomer's starting point for `sam deploy`, held to template.yaml:
every required parameter is set, no parameter is unknown, and each value passes the template's own
constraints (a typo there would only show as a failed change set in the console)."""

from __future__ import annotations

import re
import shlex
import tomllib
from typing import Any

import pytest

from mgn_wave_emu.stack import REPO_ROOT, load_template

EXAMPLE = REPO_ROOT / "samconfig.example.toml"
PARAMETERS: dict[str, dict[str, Any]] = load_template()["Parameters"]
REQUIRED = sorted(name for name, spec in PARAMETERS.items() if "Default" not in spec)


def _overrides() -> dict[str, str]:
    deploy = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))["default"]["deploy"]["parameters"]
    pairs = [item.split("=", 1) for item in shlex.split(deploy["parameter_overrides"])]
    assert all(len(pair) == 2 for pair in pairs), "every override is Key=value"
    return dict(pairs)


def test_samconfig_example_is_a_sam_cli_configuration_for_deploy() -> None:
    # When
    config = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    # Then: what `sam deploy` needs besides the parameters
    assert config["version"] == 0.1
    assert config["default"]["global"]["parameters"]["stack_name"]
    deploy = config["default"]["deploy"]["parameters"]
    assert deploy["capabilities"].split() == ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
    assert deploy["resolve_s3"] is True


def test_samconfig_example_sets_every_required_parameter() -> None:
    assert REQUIRED  # the template has required parameters: a vacuous pass is impossible
    assert sorted(set(REQUIRED) - set(_overrides())) == []


def test_samconfig_example_names_no_unknown_parameter() -> None:
    assert sorted(set(_overrides()) - set(PARAMETERS)) == []


@pytest.mark.parametrize("name", sorted(_overrides()))
def test_samconfig_example_value_passes_the_template_constraints(name: str) -> None:
    # Given
    spec = PARAMETERS[name]
    value = _overrides()[name]
    items = value.split(",") if spec["Type"].startswith("List<") or spec["Type"] == "CommaDelimitedList" else [value]
    # Then
    if "AllowedValues" in spec:
        assert value in [str(v) for v in spec["AllowedValues"]]
    if "AllowedPattern" in spec:
        assert all(re.fullmatch(spec["AllowedPattern"], item) for item in items)
    id_prefix = {"AWS::EC2::VPC::Id": "vpc-", "AWS::EC2::Subnet::Id": "subnet-"}.get(spec["Type"])
    if spec["Type"] == "List<AWS::EC2::SecurityGroup::Id>":
        id_prefix = "sg-"
    if id_prefix:
        assert all(re.fullmatch(re.escape(id_prefix) + "[0-9a-f]{8,17}", item) for item in items)


def test_readme_deploy_section_names_every_required_parameter() -> None:
    # Given
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    deploy = readme.split("\n## Deploy\n", 1)[1].split("\n## ", 1)[0]
    # Then
    for name in REQUIRED:
        assert f"`{name}`" in deploy, name
    assert "samconfig.example.toml" in deploy
    assert "sam deploy --guided" in deploy
