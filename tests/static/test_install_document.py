"""The install document in install-document.yaml is the rendered one, template.yaml nests that
template, and the document's parameters are the contract."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest
import tree_sitter
import tree_sitter_bash
import tree_sitter_powershell
import yaml

from agent.document import (
    GENERATED_HEADER,
    LINUX_SCRIPT,
    MAX_DOCUMENT_BYTES,
    NESTED_TEMPLATE,
    PARAMETER_ROOM_BYTES,
    WINDOWS_SCRIPT,
    main,
    render_content_yaml,
    render_document,
    render_nested_template,
)
from mgn_wave.agent_install.parameters import (
    DOCUMENT_PARAMETERS,
    EXECUTION_TIMEOUT_SECONDS,
    LINUX_STEP_NAME,
    MAX_VALUE_CHARS,
    WINDOWS_STEP_NAME,
)
from mgn_wave_emu.fleet import install_document_from_template
from mgn_wave_emu.stack import REPO_ROOT, TEMPLATE_PATH, load_template

if TYPE_CHECKING:
    from pathlib import Path

DOCUMENT = render_document()
APPLICATION = "InstallAgentDocumentStack"


def test_install_document_in_its_template_equals_a_fresh_render() -> None:
    # Given: what CloudFormation deploys (and what the emulated fleet runs)
    deployed = install_document_from_template(NESTED_TEMPLATE)
    # Then
    assert deployed == DOCUMENT, "run: python -m agent.document --write"


def test_install_document_check_command_accepts_the_committed_template() -> None:
    assert main(["--check"]) == 0


def test_install_document_resource_is_a_versioned_yaml_command_document() -> None:
    # When
    resource = load_template(NESTED_TEMPLATE)["Resources"]["InstallAgentDocument"]
    # Then
    assert resource["Type"] == "AWS::SSM::Document"
    assert resource["Properties"]["DocumentType"] == "Command"
    assert resource["Properties"]["DocumentFormat"] == "YAML"
    assert resource["Properties"]["UpdateMethod"] == "NewVersion"


def test_template_nests_the_install_document_and_reads_its_name_from_the_output() -> None:
    # Given
    template = load_template()
    nested = load_template(NESTED_TEMPLATE)
    application = template["Resources"][APPLICATION]
    # Then: a local nested application (sam deploy uploads it) that needs no parameters
    assert application["Type"] == "AWS::Serverless::Application"
    assert TEMPLATE_PATH.parent / application["Properties"]["Location"] == NESTED_TEMPLATE
    assert not nested.get("Parameters") and not application["Properties"].get("Parameters")
    assert nested["Outputs"]["DocumentName"]["Value"] == {"Ref": "InstallAgentDocument"}
    # And: InstallAgents is told that name and may send exactly that document
    install = template["Resources"]["InstallAgentsFunction"]["Properties"]
    output = {"Fn::GetAtt": [APPLICATION, "Outputs.DocumentName"]}
    assert install["Environment"]["Variables"]["INSTALL_DOCUMENT_NAME"] == output
    assert f"document/${{{APPLICATION}.Outputs.DocumentName}}" in json.dumps(install["Policies"])


def test_install_document_write_creates_the_template_and_refuses_a_file_it_did_not_generate(tmp_path: Path) -> None:
    # Given
    fresh, foreign = tmp_path / "install-document.yaml", tmp_path / "template.yaml"
    foreign.write_text("Resources: {}\n", encoding="utf-8")
    # When
    created = main(["--write", str(fresh)])
    refused = main(["--write", str(foreign)])
    # Then
    assert created == 0 and fresh.read_text(encoding="utf-8") == render_nested_template(DOCUMENT)
    assert fresh.read_text(encoding="utf-8").startswith(GENERATED_HEADER)
    assert refused == 2 and foreign.read_text(encoding="utf-8") == "Resources: {}\n"
    assert main(["--check", str(foreign)]) == 1


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


def test_install_document_leaves_room_for_the_parameters_under_the_ssm_size_limit() -> None:
    # SSM counts the document and a SendCommand's parameters against one 64 KB quota, in either
    # form CloudFormation could store the document: a session token of MAX_VALUE_CHARS must fit
    for stored in (json.dumps(DOCUMENT), render_content_yaml(DOCUMENT), yaml.safe_dump(DOCUMENT)):
        assert len(stored.encode()) + PARAMETER_ROOM_BYTES <= MAX_DOCUMENT_BYTES
    assert PARAMETER_ROOM_BYTES > MAX_VALUE_CHARS


@pytest.mark.parametrize(
    ("source", "language"),
    [(LINUX_SCRIPT, tree_sitter_bash.language), (WINDOWS_SCRIPT, tree_sitter_powershell.language)],
    ids=["linux", "windows"],
)
def test_install_document_runs_each_script_as_written_less_its_comments(source: Path, language: Any) -> None:
    # Given: the script a node runs (the document's) and its source in agent/
    step = next(s for s in DOCUMENT["mainSteps"] if s["name"] == STEP_BY_SOURCE[source.name])
    deployed = step["inputs"]["runCommand"][0]
    parser = tree_sitter.Parser(tree_sitter.Language(language()))
    # Then: the same program, token for token (a `#` line inside a string would differ here)
    assert _tokens(parser, deployed) == _tokens(parser, source.read_text(encoding="ascii"))
    # and a comment names where the commented source is
    assert f"agent/{source.name}" in deployed.splitlines()[0] + deployed.splitlines()[1]
    assert len(deployed) < len(source.read_text(encoding="ascii")) * 0.9


STEP_BY_SOURCE = {LINUX_SCRIPT.name: LINUX_STEP_NAME, WINDOWS_SCRIPT.name: WINDOWS_STEP_NAME}


def _tokens(parser: tree_sitter.Parser, text: str) -> list[str]:
    """The script's leaves, comments left out."""
    leaves: list[str] = []
    stack = [parser.parse(text.encode()).root_node]
    while stack:
        node = stack.pop()
        if node.type == "comment":
            continue
        if node.child_count == 0:
            leaves.append(node.text.decode() if node.text is not None else "")
        stack.extend(reversed(node.children))
    return leaves


def test_install_document_module_prints_the_document_as_yaml() -> None:
    # When
    printed = subprocess.run(
        [sys.executable, "-m", "agent.document"], capture_output=True, text=True, check=True, cwd=REPO_ROOT
    ).stdout
    # Then
    assert printed.startswith("Content:\n  schemaVersion: '2.2'\n")
