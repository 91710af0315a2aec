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


@dataclass(frozen=True)
class EmulatedTable:
    logical_id: str
    table_name: str
    properties: dict[str, Any]  # AttributeDefinitions, KeySchema, ... as CloudFormation has them


@dataclass(frozen=True)
class EmulatedRule:
    """An EventBridge rule of the template: events matching `pattern` invoke `function`; a
    scheduled rule (`schedule`, no pattern) invokes it at its rate (`EmulatedAws.fire_schedule`)."""

    name: str
    pattern: dict[str, Any]
    function: str  # logical ID
    schedule: str | None = None


@dataclass
class EmulatedStack:
    """The resolved stack: functions by name and ARN, the state machine definition."""

    stack_name: str
    region: str
    account_id: str
    parameters: dict[str, str]
    functions: dict[str, EmulatedFunction] = field(default_factory=dict)
    tables: dict[str, EmulatedTable] = field(default_factory=dict)
    buckets: dict[str, dict[str, Any]] = field(default_factory=dict)  # name → CloudFormation properties
    topics: list[str] = field(default_factory=list)  # topic names
    rules: list[EmulatedRule] = field(default_factory=list)
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

    def physical_name(self, logical_id: str) -> str:
        return f"{self._stack.stack_name}-{logical_id}"

    def bucket_name(self, logical_id: str) -> str:
        return self.physical_name(logical_id).lower()  # bucket names are lower case

    def topic_arn(self, logical_id: str) -> str:
        stack = self._stack
        return f"arn:aws:sns:{stack.region}:{stack.account_id}:{self.physical_name(logical_id)}"

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
        resource = self._resources.get(name)
        kind = resource.get("Type") if resource is not None else None
        if kind == "AWS::SNS::Topic":
            return self.topic_arn(name)
        if kind == "AWS::S3::Bucket":
            return self.bucket_name(name)
        if resource is not None and kind == "AWS::Serverless::StateMachine":
            stack = self._stack
            state_machine = self.resolve(resource.get("Properties", {}).get("Name", name))
            return f"arn:aws:states:{stack.region}:{stack.account_id}:stateMachine:{state_machine}"
        if resource is not None:
            # Ref of a function, table, document, ...: its name, which CloudFormation derives from
            # the stack and logical ID when the template sets none.
            return self.physical_name(name)
        raise ValueError(f"emulated stack: no value for Ref {name}; pass it as a parameter")

    def _get_att(self, argument: list[str]) -> str:
        logical_id, attribute = argument
        if self._resources.get(logical_id, {}).get("Type") == "AWS::Serverless::Function" and attribute == "Arn":
            return self.function_arn(logical_id)
        kind = self._resources.get(logical_id, {}).get("Type")
        if kind == "AWS::S3::Bucket" and attribute == "Arn":
            return f"arn:aws:s3:::{self.bucket_name(logical_id)}"
        if kind == "AWS::SNS::Topic" and attribute == "TopicName":
            return self.physical_name(logical_id)
        if self._resources.get(logical_id, {}).get("Type") == "AWS::IAM::Role" and attribute == "Arn":
            return f"arn:aws:iam::{self._stack.account_id}:role/{self.physical_name(logical_id)}"
        raise ValueError(f"emulated stack: GetAtt {logical_id}.{attribute} is not supported here")


def _parameter_values(declared: dict[str, Any], given: dict[str, str]) -> dict[str, str]:
    unknown = set(given) - set(declared)
    if unknown:
        raise ValueError(f"emulated stack: unknown parameters {sorted(unknown)}")
    values: dict[str, str] = {}
    for name, spec in declared.items():
        if name in given:
            values[name] = given[name]
        elif "Default" in spec:
            values[name] = str(spec["Default"])
        else:
            raise ValueError(f"emulated stack: parameter {name} has no value and no default")
    return values


def _add_function(
    stack: EmulatedStack, resolver: _Resolver, logical_id: str, properties: dict[str, Any], globals_: dict[str, Any]
) -> None:
    global_env: dict[str, Any] = globals_.get("Environment", {}).get("Variables", {})
    own_env = properties.get("Environment", {}).get("Variables", {})
    stack.functions[logical_id] = EmulatedFunction(
        logical_id=logical_id,
        function_name=resolver.function_name(logical_id),
        arn=resolver.function_arn(logical_id),
        handler=str(properties.get("Handler", globals_.get("Handler"))),
        environment={k: str(resolver.resolve(v)) for k, v in {**global_env, **own_env}.items()},
        timeout_seconds=int(properties.get("Timeout", globals_.get("Timeout", 3))),
        memory_mb=int(properties.get("MemorySize", globals_.get("MemorySize", 128))),
    )
    for event_name, event in properties.get("Events", {}).items():
        if event.get("Type") == "EventBridgeRule":
            stack.rules.append(
                EmulatedRule(
                    name=event_name, pattern=resolver.resolve(event["Properties"]["Pattern"]), function=logical_id
                )
            )
        elif event.get("Type") == "Schedule":
            expression = str(resolver.resolve(event["Properties"]["Schedule"]))
            _check_rate_expression(expression, f"{logical_id}.Events.{event_name}")
            stack.rules.append(EmulatedRule(name=event_name, pattern={}, function=logical_id, schedule=expression))


# EventBridge rate expressions (the CloudWatch Events guide, "Schedule Expressions for Rules"):
# rate(value unit), a positive value; the unit singular for 1 and plural above. Cron is not used.
_RATE = re.compile(r"^rate\((?P<value>[1-9][0-9]*) (?P<unit>minute|minutes|hour|hours|day|days)\)$")


def _check_rate_expression(expression: str, where: str) -> None:
    match = _RATE.fullmatch(expression)
    if match is None or (match.group("value") == "1") != (not match.group("unit").endswith("s")):
        raise ValueError(f"emulated stack: {where}: {expression!r} is not a valid rate expression")


def _set_state_machine(stack: EmulatedStack, resolver: _Resolver, logical_id: str, properties: dict[str, Any]) -> None:
    definition = (REPO_ROOT / properties["DefinitionUri"]).read_text(encoding="utf-8")
    substitutions = resolver.resolve(properties.get("DefinitionSubstitutions", {}))
    for key, substitution in substitutions.items():
        definition = definition.replace("${" + key + "}", str(substitution))
    leftover = re.search(r"\$\{[A-Za-z0-9]+\}", definition)
    if leftover:
        raise ValueError(f"emulated stack: {leftover.group(0)} in the definition has no substitution")
    stack.state_machine_name = str(resolver.resolve(properties.get("Name", logical_id)))
    stack.state_machine_definition = definition


def resolve_stack(
    template: dict[str, Any],
    *,
    parameters: dict[str, str],
    region: str,
    account_id: str,
    stack_name: str = "mgn-wave",
) -> EmulatedStack:
    """Resolve parameters (with defaults), functions, tables, rules and the state machine."""
    values = _parameter_values(template.get("Parameters", {}), parameters)
    stack = EmulatedStack(stack_name=stack_name, region=region, account_id=account_id, parameters=values)
    resolver = _Resolver(template, stack)
    function_globals: dict[str, Any] = template.get("Globals", {}).get("Function", {})
    for logical_id, resource in template.get("Resources", {}).items():
        properties: dict[str, Any] = resource.get("Properties", {})
        resource_type = resource.get("Type")
        if resource_type == "AWS::Serverless::Function":
            _add_function(stack, resolver, logical_id, properties, function_globals)
        elif resource_type == "AWS::DynamoDB::Table":
            stack.tables[logical_id] = EmulatedTable(
                logical_id=logical_id, table_name=resolver.physical_name(logical_id), properties=properties
            )
        elif resource_type == "AWS::S3::Bucket":
            stack.buckets[resolver.bucket_name(logical_id)] = properties
        elif resource_type == "AWS::SNS::Topic":
            stack.topics.append(resolver.physical_name(logical_id))
        elif resource_type == "AWS::Serverless::StateMachine":
            _set_state_machine(stack, resolver, logical_id, properties)
    return stack
