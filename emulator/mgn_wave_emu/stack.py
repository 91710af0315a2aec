"""`template.yaml` read the way CloudFormation would deploy it, for the emulated AWS.

Only what the emulation needs is resolved: parameters, `Ref`, `GetAtt <Function>.Arn`, `Join`,
`Select`, `Split`, `Sub` over parameters and pseudo parameters, and nested applications
(`AWS::Serverless::Application` with a local `Location`: the nested template is deployed as its own
stack, given exactly the parameters it declares, and read only through the outputs it declares).
Anything else is an error, so the template cannot grow a construct the emulation silently ignores.

Names: a resource the template does not name gets one from CloudFormation, `<stack>-<logical
ID>-<random>`, trimmed to the service's limit by shortening the stack name and the logical ID. The
trimming is not documented (⚠️): the emulation trims deterministically, and nothing in the product
may depend on a generated name's form (a test renders them for the longest stack name).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO_ROOT / "template.yaml"
# `Ref: AWS::NoValue`: the property it is the value of is left out, as CloudFormation does
NO_VALUE: Any = object()
# The install document, as `EmulatedStack.physical_name` finds it: nested application / logical ID.
INSTALL_DOCUMENT = "InstallAgentDocumentStack/InstallAgentDocument"


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
    # VpcConfig: the function's network interfaces in these subnets with these security groups;
    # empty outside any VPC (what a connect to a private address then reaches: nothing)
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class EmulatedTable:
    logical_id: str
    table_name: str
    properties: dict[str, Any]  # AttributeDefinitions, KeySchema, ... as CloudFormation has them


@dataclass(frozen=True)
class EmulatedRule:
    """An EventBridge rule of the template: events matching `pattern` invoke `function`, or are
    sent to the SQS `queue` (logical IDs); a scheduled rule (`schedule`, no pattern) invokes
    `function` at its rate (on the virtual clock, and by hand with `EmulatedAws.fire_schedule`)."""

    name: str
    pattern: dict[str, Any]
    function: str | None = None
    queue: str | None = None
    schedule: str | None = None  # rate(...)


# Lambda's SQS event source limits (docs/aws-facts.md, "SQS event source"): BatchSize 1-10,000 for a
# standard queue, above 10 only with a batching window of at least 1 s; the window 0-300 s.
SQS_MAX_BATCH_SIZE = 10_000
SQS_MAX_BATCH_WITHOUT_WINDOW = 10
SQS_MAX_BATCHING_WINDOW_SECONDS = 300


@dataclass(frozen=True)
class EmulatedQueueSource:
    """An SQS event source mapping: the queue's messages invoke `function` in batches."""

    queue: str  # logical ID
    function: str  # logical ID
    batch_size: int
    window_seconds: int
    visibility_timeout_seconds: int
    max_receive_count: int | None  # the queue's redrive policy; None: messages are never moved


@dataclass(frozen=True)
class EmulatedSchedule:
    """An EventBridge schedule (`rate(N minutes)`) that invokes `function` every `every_seconds`."""

    function: str  # logical ID
    every_seconds: int
    rule: str = ""  # the event's name in the template (the rule `fire_schedule` names)


@dataclass(frozen=True)
class EmulatedRole:
    """An IAM role of the stack: the template's own, or the one SAM generates for a function or
    the state machine (`<logical ID>Role`)."""

    logical_id: str
    name: str
    arn: str
    trust_policy: dict[str, Any]


# Each generated name's limit: CloudFormation trims a generated name to fit its service.
GENERATED_NAME_LIMITS = {
    "AWS::IAM::Role": 64,
    "AWS::Lambda::Function": 64,
    "AWS::S3::Bucket": 63,
    "AWS::SQS::Queue": 80,
    "AWS::Events::Rule": 64,
    "AWS::SNS::Topic": 256,
    "AWS::DynamoDB::Table": 255,
    "AWS::SSM::Document": 128,
    "AWS::CloudWatch::Alarm": 255,
    "AWS::StepFunctions::StateMachine": 80,
    "AWS::CloudFormation::Stack": 128,  # a nested stack's name: <parent>-<logical ID>-<random>
}
# The property that names a resource of each type, when the template sets one.
NAME_PROPERTIES = {
    "AWS::IAM::Role": "RoleName",
    "AWS::Serverless::Function": "FunctionName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::SSM::Document": "Name",
    "AWS::CloudWatch::Alarm": "AlarmName",
    "AWS::CloudWatch::Dashboard": "DashboardName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::KMS::Alias": "AliasName",
    "AWS::Serverless::StateMachine": "Name",
}
# The type a SAM resource becomes (its name rule is that of the CloudFormation type).
SAM_TYPES = {
    "AWS::Serverless::Function": "AWS::Lambda::Function",
    "AWS::Serverless::StateMachine": "AWS::StepFunctions::StateMachine",
    "AWS::Serverless::Application": "AWS::CloudFormation::Stack",
}
# A nested application takes at most 60 parameters (docs/aws-facts.md, "Nested application").
NESTED_APPLICATION_MAX_PARAMETERS = 60
# What a nested stack may hold here: the emulation deploys nothing else from one.
NESTED_RESOURCE_TYPES = frozenset({"AWS::SSM::Document"})
_LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def generated_name(stack_name: str, logical_id: str, limit: int, *, lower: bool = False) -> str:
    """A CloudFormation-style generated name: `<stack>-<logical ID>-<12 random>`, the stack name
    and then the logical ID shortened when the whole would exceed `limit`. The random part is a
    hash here, so a stack's names are the same on every run."""
    digest = hashlib.sha256(f"{stack_name}/{logical_id}".encode()).digest()
    suffix = "".join(_SUFFIX_ALPHABET[b % len(_SUFFIX_ALPHABET)] for b in digest[:12])
    room = limit - len(suffix) - 2
    stack_part, logical_part = stack_name, logical_id
    if len(stack_part) + len(logical_part) > room:
        logical_part = logical_part[: max(room // 2, room - len(stack_part))]
        stack_part = stack_part[: room - len(logical_part)]
    name = f"{stack_part}-{logical_part}-{suffix}"
    return name.lower() if lower else name


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
    queue_sources: list[EmulatedQueueSource] = field(default_factory=list)
    schedules: list[EmulatedSchedule] = field(default_factory=list)
    state_machine_name: str = ""  # MigrateWave's (the first state machine of the template)
    state_machine_definition: str = ""
    # Every state machine by logical ID: (name, definition)
    state_machines: dict[str, tuple[str, str]] = field(default_factory=dict)
    roles: dict[str, EmulatedRole] = field(default_factory=dict)  # logical ID -> role
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)  # SSM document name -> content
    # logical ID -> (type, name); a nested stack's resources as "<application>/<logical ID>"
    names: dict[str, tuple[str, str]] = field(default_factory=dict)
    nested: dict[str, EmulatedStack] = field(default_factory=dict)  # application logical ID -> stack
    outputs: dict[str, str] = field(default_factory=dict)  # the template's Outputs, resolved

    @property
    def stack_id(self) -> str:
        # A stack ID ends in a UUID unique to the stack; derived from the name here (reproducible).
        unique = uuid.uuid5(uuid.NAMESPACE_URL, f"{self.account_id}/{self.region}/{self.stack_name}")
        return f"arn:aws:cloudformation:{self.region}:{self.account_id}:stack/{self.stack_name}/{unique}"

    def physical_name(self, logical_id: str) -> str:
        """A resource's name; a nested stack's resource as "<application>/<logical ID>"."""
        return self.names[logical_id][1]

    def role_of(self, logical_id: str) -> EmulatedRole:
        """The role a function or the state machine runs with (SAM's `<logical ID>Role`)."""
        return self.roles[f"{logical_id}Role"]

    def function(self, name_or_arn: str) -> EmulatedFunction:
        for function in self.functions.values():
            if name_or_arn in (function.function_name, function.arn, function.logical_id):
                return function
        raise KeyError(name_or_arn)


class _Resolver:
    def __init__(self, template: dict[str, Any], stack: EmulatedStack, template_dir: Path = REPO_ROOT) -> None:
        self._resources: dict[str, Any] = template.get("Resources", {})
        self._template_dir = template_dir
        # CommaDelimitedList and List<...> parameters resolve to lists, as in CloudFormation.
        self._list_parameters = {
            name
            for name, spec in template.get("Parameters", {}).items()
            if str(spec.get("Type", "")).startswith(("List<", "CommaDelimitedList"))
        }
        self._stack = stack
        self._conditions: dict[str, Any] = template.get("Conditions", {})
        self._values: dict[str, str] = {
            "AWS::Region": stack.region,
            "AWS::AccountId": stack.account_id,
            "AWS::StackName": stack.stack_name,
            "AWS::StackId": stack.stack_id,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            **stack.parameters,
        }

    def resource_type(self, logical_id: str) -> str:
        """The CloudFormation type of a resource, SAM's generated roles included."""
        resource = self._resources.get(logical_id)
        if resource is None and logical_id.endswith("Role"):
            owner = self._resources.get(logical_id.removesuffix("Role"), {})
            if owner.get("Type") in SAM_TYPES and "Role" not in owner.get("Properties", {}):
                return "AWS::IAM::Role"
        if resource is None:
            raise ValueError(f"emulated stack: no resource {logical_id}")
        kind = str(resource.get("Type"))
        return SAM_TYPES.get(kind, kind)

    def resource_properties(self, logical_id: str) -> dict[str, Any]:
        properties: dict[str, Any] = self._resources.get(logical_id, {}).get("Properties", {})
        return properties

    def physical_name(self, logical_id: str) -> str:
        """The name the template sets, else the one CloudFormation generates."""
        resource = self._resources.get(logical_id, {})
        name_property = NAME_PROPERTIES.get(str(resource.get("Type")))
        explicit = resource.get("Properties", {}).get(name_property) if name_property else None
        if explicit is not None:
            return str(self.resolve(explicit))
        kind = self.resource_type(logical_id)
        limit = GENERATED_NAME_LIMITS.get(kind, 255)
        return generated_name(self._stack.stack_name, logical_id, limit, lower=kind == "AWS::S3::Bucket")

    def function_name(self, logical_id: str) -> str:
        return self.physical_name(logical_id)

    def bucket_name(self, logical_id: str) -> str:
        return self.physical_name(logical_id)

    def role_arn(self, logical_id: str) -> str:
        return f"arn:aws:iam::{self._stack.account_id}:role/{self.physical_name(logical_id)}"

    def topic_arn(self, logical_id: str) -> str:
        stack = self._stack
        return f"arn:aws:sns:{stack.region}:{stack.account_id}:{self.physical_name(logical_id)}"

    def function_arn(self, logical_id: str) -> str:
        stack = self._stack
        return f"arn:aws:lambda:{stack.region}:{stack.account_id}:function:{self.function_name(logical_id)}"

    def nested_stack(self, logical_id: str) -> EmulatedStack:
        """The stack a nested application deploys, as CloudFormation would create it (once)."""
        if logical_id in self._stack.nested:
            return self._stack.nested[logical_id]
        properties = self.resource_properties(logical_id)
        where = f"emulated stack: {logical_id}"
        location = properties.get("Location")
        if not isinstance(location, str) or "://" in location:
            raise ValueError(
                f"{where}: Location must be a local template path (what sam deploy uploads), got {location}"
            )
        path = self._template_dir / location
        if not path.is_file():
            raise ValueError(f"{where}: Location {location} is not a file next to the template")
        given = {name: self.resolve(value) for name, value in properties.get("Parameters", {}).items()}
        if len(given) > NESTED_APPLICATION_MAX_PARAMETERS:
            raise ValueError(f"{where}: {len(given)} parameters; a nested application takes at most 60")
        not_strings = sorted(name for name, value in given.items() if not isinstance(value, str))
        if not_strings:
            raise ValueError(f"{where}: nested stack parameters are strings; not {not_strings}")
        template = load_template(path)
        foreign = {
            f"{name} ({resource.get('Type')})"
            for name, resource in template.get("Resources", {}).items()
            if resource.get("Type") not in NESTED_RESOURCE_TYPES
        }
        if foreign:
            raise ValueError(f"{where}: the emulation deploys no {sorted(foreign)} from a nested stack")
        nested = resolve_stack(
            template,
            parameters=given,
            region=self._stack.region,
            account_id=self._stack.account_id,
            stack_name=self.physical_name(logical_id),
            template_dir=path.parent,
        )
        self._stack.nested[logical_id] = nested
        return nested

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1 and next(iter(value)).startswith(("Ref", "Fn::")):
            ((intrinsic, argument),) = value.items()
            return self._intrinsic(intrinsic, argument)
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}

    def _intrinsic(self, intrinsic: str, argument: Any) -> Any:  # noqa: PLR0911 - one return per intrinsic
        if intrinsic == "Ref":
            return self._ref(argument)
        if intrinsic == "Fn::GetAtt":
            return self._get_att(argument)
        if intrinsic == "Fn::Sub":
            return self._sub(argument)
        if intrinsic == "Fn::Join":
            separator, items = argument
            resolved = self.resolve(items)
            return separator.join(resolved if isinstance(resolved, list) else [resolved])
        if intrinsic == "Fn::Select":
            index, items = argument
            return self.resolve(items)[int(index)]
        if intrinsic == "Fn::If":
            condition, when_true, when_false = argument
            if condition not in self._conditions:
                raise ValueError(f"emulated stack: Fn::If names no condition {condition}")
            return self.resolve(when_true if _rule_value(self, self._conditions[condition]) else when_false)
        if intrinsic == "Fn::Split":
            separator, text = argument
            return str(self.resolve(text)).split(separator)
        raise ValueError(f"emulated stack: intrinsic {intrinsic} is not supported here ({argument})")

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        values = {name: self.resolve(value) for name, value in variables.items()}
        return re.sub(r"\$\{([^}]+)\}", lambda m: str(self._sub_value(m.group(1), values)), text)

    def _sub_value(self, name: str, variables: dict[str, Any]) -> Any:
        if name in variables:
            return variables[name]
        if "." in name:
            return self._get_att(name.split(".", 1))
        return self._ref(name)

    def _ref(self, name: str) -> Any:  # noqa: PLR0911 - one return per kind of reference
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self._values:
            value = self._values[name]
            return value.split(",") if name in self._list_parameters else value
        resource = self._resources.get(name)
        kind = resource.get("Type") if resource is not None else None
        if kind == "AWS::SNS::Topic":
            return self.topic_arn(name)
        if kind == "AWS::S3::Bucket":
            return self.bucket_name(name)
        if kind == "AWS::Serverless::Application":
            return self.nested_stack(name).stack_id  # Ref of a nested stack: its stack ID
        if resource is not None and kind == "AWS::Serverless::StateMachine":
            stack = self._stack
            return f"arn:aws:states:{stack.region}:{stack.account_id}:stateMachine:{self.physical_name(name)}"
        if resource is not None:
            # Ref of a function, table, document, ...: its name, which CloudFormation derives from
            # the stack and logical ID when the template sets none.
            return self.physical_name(name)
        raise ValueError(f"emulated stack: no value for Ref {name}; pass it as a parameter")

    def _get_att(self, argument: list[str]) -> str:
        logical_id, attribute = argument
        kind = self._resources.get(logical_id, {}).get("Type")
        if kind == "AWS::Serverless::Application" and attribute.startswith("Outputs."):
            return self._nested_output(logical_id, attribute.removeprefix("Outputs."))
        # A role SAM generates (`<Function>Role`): resource_type refuses anything else.
        if (
            logical_id not in self._resources
            and attribute == "Arn"
            and self.resource_type(logical_id) == "AWS::IAM::Role"
        ):
            return self.role_arn(logical_id)
        attributes: dict[tuple[Any, str], Any] = {
            ("AWS::Serverless::Function", "Arn"): self.function_arn,
            ("AWS::Serverless::StateMachine", "Name"): self.physical_name,
            ("AWS::S3::Bucket", "Arn"): lambda name: f"arn:aws:s3:::{self.bucket_name(name)}",
            ("AWS::SNS::Topic", "TopicName"): self.physical_name,
            ("AWS::IAM::Role", "Arn"): self.role_arn,
        }
        if (kind, attribute) not in attributes:
            raise ValueError(f"emulated stack: GetAtt {logical_id}.{attribute} is not supported here")
        return str(attributes[kind, attribute](logical_id))

    def _nested_output(self, logical_id: str, output: str) -> str:
        outputs = self.nested_stack(logical_id).outputs
        if output not in outputs:  # CloudFormation refuses the template: no such attribute
            raise ValueError(
                f"emulated stack: GetAtt {logical_id}.Outputs.{output}: the nested template has no such output"
            )
        return outputs[output]


def _parameter_values(declared: dict[str, Any], given: dict[str, str]) -> dict[str, str]:
    unknown = set(given) - set(declared)
    if unknown:  # CloudFormation refuses a parameter the template does not declare
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
        **_vpc_config(resolver, properties.get("VpcConfig")),
    )
    for event_name, event in properties.get("Events", {}).items():
        if event.get("Type") == "EventBridgeRule":
            stack.rules.append(
                EmulatedRule(
                    name=event_name, pattern=resolver.resolve(event["Properties"]["Pattern"]), function=logical_id
                )
            )
        elif event.get("Type") == "SQS":
            stack.queue_sources.append(_queue_source(resolver, logical_id, event_name, event["Properties"]))
        elif event.get("Type") == "Schedule":
            expression = str(resolver.resolve(event["Properties"]["Schedule"]))
            _check_rate_expression(expression, f"{logical_id}.Events.{event_name}")
            stack.rules.append(EmulatedRule(name=event_name, pattern={}, function=logical_id, schedule=expression))
            stack.schedules.append(_schedule(logical_id, event_name, expression))


def _vpc_config(resolver: _Resolver, declared: Any) -> dict[str, tuple[str, ...]]:
    vpc = resolver.resolve(declared) if declared is not None else NO_VALUE
    if vpc is NO_VALUE:
        return {}
    subnets, groups = tuple(vpc.get("SubnetIds", ())), tuple(vpc.get("SecurityGroupIds", ()))
    # botocore lambda model: at most 16 subnets and 5 security groups; none would mean no VPC, never meant here
    if not 1 <= len(subnets) <= 16 or not 1 <= len(groups) <= 5 or "" in (*subnets, *groups):
        raise ValueError(f"emulated stack: VpcConfig needs 1..16 subnets and 1..5 security groups, got {vpc}")
    return {"subnet_ids": subnets, "security_group_ids": groups}


# EventBridge rate expressions (the CloudWatch Events guide, "Schedule Expressions for Rules"):
# rate(value unit), a positive value; the unit singular for 1 and plural above. Cron is not used.
_RATE = re.compile(r"^rate\((?P<value>[1-9][0-9]*) (?P<unit>minute|minutes|hour|hours|day|days)\)$")


def _check_rate_expression(expression: str, where: str) -> None:
    match = _RATE.fullmatch(expression)
    if match is None or (match.group("value") == "1") != (not match.group("unit").endswith("s")):
        raise ValueError(f"emulated stack: {where}: {expression!r} is not a valid rate expression")


def _arn_target(value: Any, where: str) -> str:
    """The logical ID behind `!GetAtt X.Arn` (the only form the emulation follows)."""
    if isinstance(value, dict) and list(value) == ["Fn::GetAtt"] and value["Fn::GetAtt"][1] == "Arn":
        return str(value["Fn::GetAtt"][0])
    raise ValueError(f"emulated stack: {where}: only !GetAtt <Resource>.Arn is supported, got {value}")


def _queue_source(
    resolver: _Resolver, function: str, event_name: str, properties: dict[str, Any]
) -> EmulatedQueueSource:
    queue = _arn_target(properties["Queue"], f"{function}.Events.{event_name}.Queue")
    queue_properties = resolver.resource_properties(queue)
    if "FifoQueue" in queue_properties:
        raise ValueError(f"emulated stack: {queue}: FIFO queues are not emulated")
    batch_size = int(properties.get("BatchSize", 10))
    window = int(properties.get("MaximumBatchingWindowInSeconds", 0))
    where = f"{function}.Events.{event_name}"
    if not 0 <= window <= SQS_MAX_BATCHING_WINDOW_SECONDS:
        raise ValueError(
            f"{where}.MaximumBatchingWindowInSeconds: 0 to {SQS_MAX_BATCHING_WINDOW_SECONDS}, got {window}"
        )
    if not 1 <= batch_size <= SQS_MAX_BATCH_SIZE:
        raise ValueError(f"{where}.BatchSize: 1 to {SQS_MAX_BATCH_SIZE} for a standard queue, got {batch_size}")
    if batch_size > SQS_MAX_BATCH_WITHOUT_WINDOW and window < 1:
        raise ValueError(
            f"{where}.BatchSize: above {SQS_MAX_BATCH_WITHOUT_WINDOW} needs MaximumBatchingWindowInSeconds >= 1"
        )
    redrive = queue_properties.get("RedrivePolicy") or {}
    return EmulatedQueueSource(
        queue=queue,
        function=function,
        batch_size=batch_size,
        window_seconds=window,
        visibility_timeout_seconds=int(queue_properties.get("VisibilityTimeout", 30)),
        max_receive_count=int(redrive["maxReceiveCount"]) if "maxReceiveCount" in redrive else None,
    )


_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86_400}


def _schedule(function: str, event_name: str, expression: str) -> EmulatedSchedule:
    """The schedule of a rate expression `_check_rate_expression` accepted."""
    match = _RATE.fullmatch(expression)
    if match is None:
        raise ValueError(f"emulated stack: {function}.Events.{event_name}: {expression!r} is not a valid rate()")
    every = int(match.group("value")) * _UNIT_SECONDS[match.group("unit").rstrip("s")]
    return EmulatedSchedule(function=function, every_seconds=every, rule=event_name)


def _set_state_machine(stack: EmulatedStack, resolver: _Resolver, logical_id: str, properties: dict[str, Any]) -> None:
    definition = (REPO_ROOT / properties["DefinitionUri"]).read_text(encoding="utf-8")
    substitutions = resolver.resolve(properties.get("DefinitionSubstitutions", {}))
    for key, substitution in substitutions.items():
        definition = definition.replace("${" + key + "}", str(substitution))
    leftover = re.search(r"\$\{[A-Za-z0-9]+\}", definition)
    if leftover:
        raise ValueError(f"emulated stack: {leftover.group(0)} in the definition has no substitution")
    name = resolver.physical_name(logical_id)
    stack.state_machines[logical_id] = (name, definition)
    if not stack.state_machine_name:
        stack.state_machine_name = name
        stack.state_machine_definition = definition


def _add_names(stack: EmulatedStack, resolver: _Resolver, logical_id: str, resource: dict[str, Any]) -> None:
    """Every name the stack gives: the resource's own, its SAM-generated role and rules, its roles'
    trust policies, and the SSM documents' content."""
    kind = str(resource.get("Type"))
    properties: dict[str, Any] = resource.get("Properties", {})
    if kind in NAME_PROPERTIES or kind in GENERATED_NAME_LIMITS or kind == "AWS::Serverless::Application":
        stack.names[logical_id] = (resolver.resource_type(logical_id), resolver.physical_name(logical_id))
    if kind == "AWS::IAM::Role":
        stack.roles[logical_id] = EmulatedRole(
            logical_id,
            resolver.physical_name(logical_id),
            resolver.role_arn(logical_id),
            resolver.resolve(properties.get("AssumeRolePolicyDocument", {})),
        )
    if kind in ("AWS::Serverless::Function", "AWS::Serverless::StateMachine") and "Role" not in properties:
        role_id = f"{logical_id}Role"
        trust = _LAMBDA_TRUST if kind == "AWS::Serverless::Function" else {}
        stack.roles[role_id] = EmulatedRole(role_id, resolver.physical_name(role_id), resolver.role_arn(role_id), trust)
        stack.names[role_id] = ("AWS::IAM::Role", resolver.physical_name(role_id))
    for event_name, event in properties.get("Events", {}).items():
        if event.get("Type") == "EventBridgeRule":
            rule_id = f"{logical_id}{event_name}"
            stack.names[rule_id] = (
                "AWS::Events::Rule",
                generated_name(stack.stack_name, rule_id, GENERATED_NAME_LIMITS["AWS::Events::Rule"]),
            )
    if kind == "AWS::SSM::Document":
        stack.documents[resolver.physical_name(logical_id)] = properties.get("Content", {})
    if kind == "AWS::Serverless::Application":
        nested = resolver.nested_stack(logical_id)
        stack.documents.update(nested.documents)  # SSM documents are the account's, not the stack's
        for nested_id, named in nested.names.items():
            stack.names[f"{logical_id}/{nested_id}"] = named


class RuleAssertionError(ValueError):
    """A template Rule refused the parameters: CloudFormation creates or changes nothing."""


def _rule_value(resolver: _Resolver, value: Any) -> Any:
    """The rule functions the template uses (CloudFormation's "Rule functions")."""
    if isinstance(value, dict) and len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Fn::Equals":
            left, right = (_rule_value(resolver, item) for item in argument)
            return left == right
        if function == "Fn::Not":
            return not _rule_value(resolver, argument[0])
        if function == "Fn::And":
            return all(_rule_value(resolver, item) for item in argument)
        if function == "Fn::Or":
            return any(_rule_value(resolver, item) for item in argument)
        if function == "Fn::Contains":
            haystack, needle = (_rule_value(resolver, item) for item in argument)
            return needle in haystack
    return resolver.resolve(value)


def check_rules(template: dict[str, Any], resolver: _Resolver) -> None:
    for name, rule in template.get("Rules", {}).items():
        if "RuleCondition" in rule and not _rule_value(resolver, rule["RuleCondition"]):
            continue
        for assertion in rule.get("Assertions", []):
            if not _rule_value(resolver, assertion["Assert"]):
                raise RuleAssertionError(f"Template rule {name}: {assertion.get('AssertDescription', '')}".strip())


def resolve_stack(
    template: dict[str, Any],
    *,
    parameters: dict[str, str],
    region: str,
    account_id: str,
    stack_name: str = "mgn-wave",
    template_dir: Path = REPO_ROOT,
) -> EmulatedStack:
    """Resolve parameters (with defaults), functions, tables, rules, the state machines, nested
    stacks (their templates relative to `template_dir`) and the outputs."""
    values = _parameter_values(template.get("Parameters", {}), parameters)
    stack = EmulatedStack(stack_name=stack_name, region=region, account_id=account_id, parameters=values)
    resolver = _Resolver(template, stack, template_dir)
    check_rules(template, resolver)
    function_globals: dict[str, Any] = template.get("Globals", {}).get("Function", {})
    for logical_id, resource in template.get("Resources", {}).items():
        properties: dict[str, Any] = resource.get("Properties", {})
        resource_type = resource.get("Type")
        _add_names(stack, resolver, logical_id, resource)
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
        elif resource_type == "AWS::Events::Rule" and "EventPattern" in properties:
            for target in properties.get("Targets", []):
                queue = _arn_target(target["Arn"], f"{logical_id}.Targets")
                stack.rules.append(
                    EmulatedRule(name=logical_id, pattern=resolver.resolve(properties["EventPattern"]), queue=queue)
                )
    stack.outputs = {
        name: str(resolver.resolve(output["Value"])) for name, output in template.get("Outputs", {}).items()
    }
    return stack
