"""The emulated stack deploys a nested application as CloudFormation would, and no more loosely:
the nested template gets exactly the parameters it declares and is read only through its outputs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
import yaml

from mgn_wave_emu.limits import AwsLimits
from mgn_wave_emu.stack import INSTALL_DOCUMENT, load_template, resolve_stack

if TYPE_CHECKING:
    from pathlib import Path

PARAMETERS = {
    "StagingVpcId": "vpc-0a11a11a11a11a11a",
    "StagingSubnetId": "subnet-0000000000000000a",
    "ReplicationSecurityGroupIds": "sg-00000000000001500",
    "SourceCidrs": "10.10.0.0/16",
}
DOCUMENT = {"schemaVersion": "2.2", "mainSteps": []}


def _nested(parameters: dict[str, Any] | None = None, resources: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "Parameters": parameters or {},
        "Resources": resources
        or {
            "Doc": {
                "Type": "AWS::SSM::Document",
                "Properties": {"Name": {"Fn::Sub": "Doc-${Suffix}"}, "Content": DOCUMENT},
            }
        },
        "Outputs": {"DocumentName": {"Value": {"Ref": "Doc"}}},
    }


def _parent(properties: dict[str, Any], reader: Any = None) -> dict[str, Any]:
    reader = reader or {"Fn::GetAtt": ["Docs", "Outputs.DocumentName"]}
    return {
        "Resources": {
            "Docs": {"Type": "AWS::Serverless::Application", "Properties": properties},
            "Reader": {
                "Type": "AWS::Serverless::Function",
                "Properties": {"Handler": "x.handler", "Environment": {"Variables": {"DOCUMENT": reader}}},
            },
        }
    }


def _resolve(tmp_path: Path, parent: dict[str, Any], nested: dict[str, Any]) -> Any:
    (tmp_path / "nested.yaml").write_text(yaml.safe_dump(nested), encoding="utf-8")
    return resolve_stack(parent, parameters={}, region="us-east-1", account_id="123456789012", template_dir=tmp_path)


def test_the_template_s_install_document_is_deployed_from_its_nested_template() -> None:
    # When
    stack = resolve_stack(load_template(), parameters=PARAMETERS, region="us-east-1", account_id="123456789012")
    # Then: one document, named in the nested stack, and InstallAgents is told that very name
    name = stack.physical_name(INSTALL_DOCUMENT)
    assert list(stack.documents) == [name]
    assert name.startswith("MgnWave-InstallAgent-")
    assert stack.functions["InstallAgentsFunction"].environment["INSTALL_DOCUMENT_NAME"] == name
    nested = stack.nested["InstallAgentDocumentStack"]
    assert nested.outputs == {"DocumentName": name}
    assert nested.stack_id != stack.stack_id  # the document's name comes from the nested stack's ID
    # And: the nested stack is named as CloudFormation names it, and no role is made up for it
    assert stack.names["InstallAgentDocumentStack"] == ("AWS::CloudFormation::Stack", nested.stack_name)
    assert nested.stack_name.startswith("mgn-wave-InstallAgentDocumentStack-")
    assert "InstallAgentDocumentStackRole" not in stack.roles
    AwsLimits.check_stack(stack)


def test_a_nested_stack_gets_its_parameters_and_gives_its_outputs(tmp_path: Path) -> None:
    # When
    stack = _resolve(
        tmp_path,
        _parent({"Location": "nested.yaml", "Parameters": {"Suffix": {"Fn::Sub": "${AWS::Region}"}}}),
        _nested({"Suffix": {"Type": "String"}}),
    )
    # Then
    assert stack.functions["Reader"].environment["DOCUMENT"] == "Doc-us-east-1"
    assert stack.documents == {"Doc-us-east-1": DOCUMENT}
    assert stack.physical_name("Docs/Doc") == "Doc-us-east-1"


@pytest.mark.parametrize(
    ("properties", "parameters", "refusal"),
    [
        ({"Location": "nested.yaml"}, {"Suffix": {"Type": "String"}}, "parameter Suffix has no value"),
        (
            {"Location": "nested.yaml", "Parameters": {"Suffix": "a", "Other": "b"}},
            {"Suffix": {"Type": "String"}},
            "unknown parameters",
        ),
        (
            {"Location": "nested.yaml", "Parameters": {"Suffix": ["a"]}},
            {"Suffix": {"Type": "String"}},
            "parameters are strings",
        ),
        ({"Location": "s3://bucket/nested.yaml"}, {}, "local template path"),
        ({"Location": "missing.yaml"}, {}, "is not a file"),
        (
            {"Location": "nested.yaml", "Parameters": {f"P{i}": "x" for i in range(61)}},
            {f"P{i}": {"Type": "String"} for i in range(61)},
            "at most 60",
        ),
    ],
    ids=["missing", "unknown", "not-a-string", "not-local", "no-file", "over-60"],
)
def test_a_nested_stack_refuses_parameters_cloudformation_would_refuse(
    tmp_path: Path, properties: dict[str, Any], parameters: dict[str, Any], refusal: str
) -> None:
    with pytest.raises(ValueError, match=refusal):
        _resolve(tmp_path, _parent(properties), _nested(parameters, None) if parameters else _nested())


def test_an_output_the_nested_template_does_not_declare_is_refused(tmp_path: Path) -> None:
    reader = {"Fn::GetAtt": ["Docs", "Outputs.DocumentArn"]}
    with pytest.raises(ValueError, match="no such output"):
        _resolve(
            tmp_path,
            _parent({"Location": "nested.yaml", "Parameters": {"Suffix": "a"}}, reader),
            _nested({"Suffix": {"Type": "String"}}),
        )


def test_a_nested_resource_the_emulation_does_not_deploy_is_refused(tmp_path: Path) -> None:
    nested = _nested(resources={"Fn": {"Type": "AWS::Serverless::Function", "Properties": {}}})
    nested["Outputs"] = {}
    with pytest.raises(ValueError, match="deploys no"):
        _resolve(tmp_path, _parent({"Location": "nested.yaml"}, reader="x"), nested)
