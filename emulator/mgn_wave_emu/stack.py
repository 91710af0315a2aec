"""`template.yaml` read the way CloudFormation would deploy it, for the emulated AWS.

Only what the emulation needs is resolved: parameters, `Ref`, `GetAtt <Function>.Arn`, `Join`,
`Sub` over parameters and pseudo parameters. Anything else is an error, so the template cannot
grow a construct the emulation silently ignores.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO_ROOT / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """YAML loader that turns CloudFormation short forms (`!Ref X`) into their long forms."""


def _construct_intrinsic(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag_suffix}": value}


_CfnLoader.add_multi_constructor("!", _construct_intrinsic)  # type: ignore[no-untyped-call]


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        document = yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    if not isinstance(document, dict):
        raise ValueError(f"{path}: not a CloudFormation template")
    return document


@dataclass(frozen=True)
class EmulatedFunction:
    logical_id: str
    function_name: str
    arn: str
    handler: str  # "module.path.attribute"
    environment: dict[str, str]
    timeout_seconds: int
    memory_mb: int


@dataclass
class EmulatedStack:
    """The resolved stack: functions by name and ARN, the state machine definition."""

    stack_name: str
    region: str
    account_id: str
    parameters: dict[str, str]
    functions: dict[str, EmulatedFunction] = field(default_factory=dict)
    state_machine_name: str = ""
    state_machine_definition: str = ""

    def function(self, name_or_arn: str) -> EmulatedFunction:
        for function in self.functions.values():
            if name_or_arn in (function.function_name, function.arn, function.logical_id):
                return function
        raise KeyError(name_or_arn)


class _Resolver:
    def __init__(self, template: dict[str, Any], stack: EmulatedStack) -> None:
        self._resources: dict[str, Any] = template.get("Resources", {})
        # CommaDelimitedList and List<...> parameters resolve to lists, as in CloudFormation.
        self._list_parameters = {
            name
            for name, spec in template.get("Parameters", {}).items()
            if str(spec.get("Type", "")).startswith(("List<", "CommaDelimitedList"))
        }
        self._stack = stack
        self._values: dict[str, str] = {
            "AWS::Region": stack.region,
            "AWS::AccountId": stack.account_id,
            "AWS::StackName": stack.stack_name,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            **stack.parameters,
        }

    def function_name(self, logical_id: str) -> str:
        return f"{self._stack.stack_name}-{logical_id}"

    def function_arn(self, logical_id: str) -> str:
        stack = self._stack
        return f"arn:aws:lambda:{stack.region}:{stack.account_id}:function:{self.function_name(logical_id)}"

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1 and next(iter(value)).startswith(("Ref", "Fn::")):
            ((intrinsic, argument),) = value.items()
            return self._intrinsic(intrinsic, argument)
        return {key: self.resolve(item) for key, item in value.items()}

    def _intrinsic(self, intrinsic: str, argument: Any) -> Any:
        if intrinsic == "Ref":
            return self._ref(argument)
        if intrinsic == "Fn::GetAtt":
            return self._get_att(argument)
        if intrinsic == "Fn::Join":
            separator, items = argument
            resolved = self.resolve(items)
            return separator.join(resolved if isinstance(resolved, list) else [resolved])
        if intrinsic == "Fn::Sub" and isinstance(argument, str):
            return re.sub(r"\$\{([^}]+)\}", lambda m: str(self._ref(m.group(1))), argument)
        raise ValueError(f"emulated stack: intrinsic {intrinsic} is not supported here ({argument})")

    def _ref(self, name: str) -> Any:
        if name in self._values:
            value = self._values[name]
            return value.split(",") if name in self._list_parameters else value
        if self._resources.get(name, {}).get("Type") == "AWS::Serverless::Function":
            return self.function_name(name)
        raise ValueError(f"emulated stack: no value for Ref {name}; pass it as a parameter")

    def _get_att(self, argument: list[str]) -> str:
        logical_id, attribute = argument
        if (
            self._resources.get(logical_id, {}).get("Type") == "AWS::Serverless::Function"
            and attribute == "Arn"
        ):
            return self.function_arn(logical_id)
        raise ValueError(f"emulated stack: GetAtt {logical_id}.{attribute} is not supported here")


def resolve_stack(
    template: dict[str, Any],
    *,
    parameters: dict[str, str],
    region: str,
    account_id: str,
    stack_name: str = "mgn-wave",
) -> EmulatedStack:
    """Resolve parameters (with defaults), functions and the state machine of the template."""
    declared: dict[str, Any] = template.get("Parameters", {})
    unknown = set(parameters) - set(declared)
    if unknown:
        raise ValueError(f"emulated stack: unknown parameters {sorted(unknown)}")
    values: dict[str, str] = {}
    for name, spec in declared.items():
        if name in parameters:
            values[name] = parameters[name]
        elif "Default" in spec:
            values[name] = str(spec["Default"])
        else:
            raise ValueError(f"emulated stack: parameter {name} has no value and no default")
    stack = EmulatedStack(stack_name=stack_name, region=region, account_id=account_id, parameters=values)
    resolver = _Resolver(template, stack)
    function_globals: dict[str, Any] = template.get("Globals", {}).get("Function", {})
    global_env: dict[str, Any] = function_globals.get("Environment", {}).get("Variables", {})

    for logical_id, resource in template.get("Resources", {}).items():
        properties: dict[str, Any] = resource.get("Properties", {})
        if resource.get("Type") == "AWS::Serverless::Function":
            own_env = properties.get("Environment", {}).get("Variables", {})
            environment = {k: str(resolver.resolve(v)) for k, v in {**global_env, **own_env}.items()}
            stack.functions[logical_id] = EmulatedFunction(
                logical_id=logical_id,
                function_name=resolver.function_name(logical_id),
                arn=resolver.function_arn(logical_id),
                handler=str(properties.get("Handler", function_globals.get("Handler"))),
                environment=environment,
                timeout_seconds=int(properties.get("Timeout", function_globals.get("Timeout", 3))),
                memory_mb=int(properties.get("MemorySize", function_globals.get("MemorySize", 128))),
            )
        elif resource.get("Type") == "AWS::Serverless::StateMachine":
            definition = (REPO_ROOT / properties["DefinitionUri"]).read_text(encoding="utf-8")
            substitutions = resolver.resolve(properties.get("DefinitionSubstitutions", {}))
            for key, substitution in substitutions.items():
                definition = definition.replace("${" + key + "}", str(substitution))
            leftover = re.search(r"\$\{[A-Za-z0-9]+\}", definition)
            if leftover:
                raise ValueError(f"emulated stack: {leftover.group(0)} in the definition has no substitution")
            stack.state_machine_name = str(resolver.resolve(properties.get("Name", logical_id)))
            stack.state_machine_definition = definition
    return stack
