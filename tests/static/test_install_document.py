"""The install document in template.yaml is the rendered one, and its parameters are the contract."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

import pytest

from agent.document import MAX_DOCUMENT_BYTES, main, render_document, rewrite_template
from mgn_wave.agent_install.parameters import (
    DOCUMENT_PARAMETERS,
    EXECUTION_TIMEOUT_SECONDS,
    LINUX_STEP_NAME,
    WINDOWS_STEP_NAME,
)
from mgn_wave_emu.fleet import install_document_from_template
from mgn_wave_emu.stack import REPO_ROOT, TEMPLATE_PATH, load_template

DOCUMENT = render_document()


def test_install_document_in_template_equals_a_fresh_render() -> None:
    # Given: what CloudFormation deploys (and what the emulated fleet runs)
    deployed = install_document_from_template(TEMPLATE_PATH)
    # Then
    assert deployed == DOCUMENT, "run: python -m agent.document --write template.yaml"


def test_install_document_check_command_accepts_the_committed_template() -> None:
    # When
    code = main(["--check", str(TEMPLATE_PATH)])
    # Then
    assert code == 0


def test_install_document_resource_is_a_versioned_yaml_command_document() -> None:
    # When
    resource = load_template()["Resources"]["InstallAgentDocument"]
    # Then
    assert resource["Type"] == "AWS::SSM::Document"
    assert resource["Properties"]["DocumentType"] == "Command"
    assert resource["Properties"]["DocumentFormat"] == "YAML"
    assert resource["Properties"]["UpdateMethod"] == "NewVersion"


@pytest.mark.parametrize("spec", DOCUMENT_PARAMETERS, ids=lambda s: s.name)
def test_install_document_parameter_reaches_the_node_only_as_an_environment_variable(spec: Any) -> None:
    # When
    parameter = DOCUMENT["parameters"][spec.name]
    # Then: a String, interpolated as SSM_<name>, with the Python allow-list itself
    assert parameter["type"] == "String"
    assert parameter["interpolationType"] == "ENV_VAR"
    assert parameter["allowedPattern"] == spec.pattern
    assert parameter.get("default") == spec.default
    if spec.default is not None:
        assert re.fullmatch(spec.pattern, spec.default), "a default must pass its own allow-list"


def test_install_document_runs_one_step_per_platform() -> None:
    # When
    steps = {step["name"]: step for step in DOCUMENT["mainSteps"]}
    # Then
    assert DOCUMENT["schemaVersion"] == "2.2"
    linux, windows = steps[LINUX_STEP_NAME], steps[WINDOWS_STEP_NAME]
    assert linux["action"] == "aws:runShellScript"
    assert linux["precondition"] == {"StringEquals": ["platformType", "Linux"]}
    assert windows["action"] == "aws:runPowerShellScript"
    assert windows["precondition"] == {"StringEquals": ["platformType", "Windows"]}
    for step in (linux, windows):
        assert len(step["inputs"]["runCommand"]) == 1
        assert step["inputs"]["timeoutSeconds"] == EXECUTION_TIMEOUT_SECONDS


def test_install_document_never_uses_textual_parameter_substitution() -> None:
    # Given: the agent replaces {{Name}} and {{ssm:…}} in the step inputs before running them
    text = json.dumps(DOCUMENT["mainSteps"])
    # Then: no value can ever become part of a script's text
    assert "{{" not in text


def test_install_document_fits_the_ssm_size_limit() -> None:
    assert len(json.dumps(DOCUMENT).encode()) < MAX_DOCUMENT_BYTES


def test_install_document_rewrite_replaces_only_the_lines_between_the_markers() -> None:
    # Given
    template = (
        "Resources:\n  X:\n    Properties:\n      # BEGIN GENERATED: agent/document.py\n      stale\n"
        "      # END GENERATED\n  Y: 1\n"
    )
    # When
    rewritten = rewrite_template(template, {"schemaVersion": "2.2"})
    # Then
    assert rewritten == (
        "Resources:\n  X:\n    Properties:\n      # BEGIN GENERATED: agent/document.py\n"
        "      Content:\n        schemaVersion: '2.2'\n      # END GENERATED\n  Y: 1\n"
    )


def test_install_document_module_prints_the_document_as_yaml() -> None:
    # When
    printed = subprocess.run(
        [sys.executable, "-m", "agent.document"], capture_output=True, text=True, check=True, cwd=REPO_ROOT
    ).stdout
    # Then
    assert printed.startswith("Content:\n  schemaVersion: '2.2'\n")
