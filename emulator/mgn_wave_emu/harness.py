"""The emulated AWS in one object: moto (executing the real ASL), the Lambda router, the MGN
emulator and the virtual clock, with the stack from `template.yaml` deployed into it."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self
from unittest import mock

import boto3
from moto import mock_aws
from moto.events.models import EventPattern
from moto.moto_api._internal import mock_random
from moto.stepfunctions.parser.asl.component.state.state import CommonStateField
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication

from mgn_wave.adapters import tcp
from mgn_wave.adapters.cloudtrail import CloudTrailAdapter
from mgn_wave.core import timeutil
from mgn_wave_emu.callback_patch import callback_patches
from mgn_wave_emu.clock import ClockDriver, VirtualClock
from mgn_wave_emu.engine_patches import engine_patches
from mgn_wave_emu.event_sources import EventSources
from mgn_wave_emu.fleet import Fleet
from mgn_wave_emu.hooks import CallRecorder, FaultPlan, ServiceEmulator, router
from mgn_wave_emu.lambda_router import LambdaRouter
from mgn_wave_emu.limits import AwsLimits
from mgn_wave_emu.mgn import MgnEmulator
from mgn_wave_emu.network_oracle import build_network_oracle
from mgn_wave_emu.port_oracle import PROBE_FUNCTION, PortOracle
from mgn_wave_emu.scenario import BuiltScenario, Scenario, build_scenario, load_scenario
from mgn_wave_emu.stack import INSTALL_DOCUMENT, TEMPLATE_PATH, EmulatedStack, load_template, resolve_stack

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from datetime import datetime
    from pathlib import Path
    from types import TracebackType

    from mgn_wave_emu.mgn.replication import NetworkOracle, OracleFailure

ACCOUNT_ID = "123456789012"  # moto's default account
GIB = 1024**3
# What the MGN console sets up on first use ("Replication template reference"): public IP for
# data replication, a public IP on replication servers, the MGN default security group.
CONSOLE_DEFAULT_TEMPLATE: dict[str, Any] = {
    "associateDefaultSecurityGroup": True,
    "replicationServerInstanceType": "t3.small",
    "useDedicatedReplicationServer": False,
    "defaultLargeStagingDiskType": "GP3",
    "ebsEncryption": "DEFAULT",
    "bandwidthThrottling": 0,
    "dataPlaneRouting": "PUBLIC_IP",
    "createPublicIP": True,
    "stagingAreaTags": {},
}
TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


@dataclass
class ExecutionResult:
    status: str
    output: Any
    error: str | None
    cause: str | None
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def states_entered(self) -> list[str]:
        return [
            event["stateEnteredEventDetails"]["name"] for event in self.events if "stateEnteredEventDetails" in event
        ]


class EmulatedAws:
    """Context manager: `with EmulatedAws() as aws: aws.deploy(parameters); aws.run({...})`."""

    def __init__(
        self,
        *,
        region: str = "us-east-1",
        clock: VirtualClock | None = None,
        mgn_initialized: bool = True,
        seed: int = 0,
    ) -> None:
        self.region = region
        self.seed = seed
        self.account_id = ACCOUNT_ID
        self.clock = clock or VirtualClock()
        self.mgn = MgnEmulator(self.clock, ACCOUNT_ID, region, initialized=mgn_initialized)
        self.lambdas: LambdaRouter | None = None
        self.fleet: Fleet | None = None
        self.network_oracle: NetworkOracle | None = None  # the scenario's source servers behind SSM
        self.stack: EmulatedStack | None = None
        self.event_sources: EventSources | None = None  # schedules and SQS event sources, once deployed
        self.state_machine_arn = ""
        self.state_machine_arns: dict[str, str] = {}
        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        self._patches: list[Any] = []
        self.state_entries: Counter[str] = Counter()  # state name -> times entered, all executions
        self.limits = AwsLimits(lambda: self.stack)  # AWS's hard limits, which moto does not hold
        # When the emulated services change state on their own; the clock driver jumps to these.
        self.horizons: list[Callable[[], datetime | None]] = []
        # Set whenever an execution ends: `wait` blocks on it instead of polling DescribeExecution,
        # whose serialization cost the emulation about 40 % of its CPU at 20 polls a second.
        self._execution_ended = threading.Event()
        self._clients: dict[str, Any] = {}
        self._clients_lock = threading.Lock()

    def __enter__(self) -> Self:
        self._mock.start()
        # moto draws resource IDs (vpc-…, vpce-…, sg-…) from one generator: seeded, a scenario
        # gets the same IDs every run, so the demo's output and a failing test's IDs repeat.
        mock_random.seed(self.seed)
        clock = self.clock

        entries = self.state_entries
        original_eval_body = CommonStateField._eval_body

        def counting_eval_body(state: CommonStateField, env: Any) -> None:
            entries[state.name] += 1
            original_eval_body(state, env)

        original_terminated = BaseExecutionWorkerCommunication.terminated
        execution_ended = self._execution_ended

        def terminated_and_told(communication: BaseExecutionWorkerCommunication) -> None:
            original_terminated(communication)
            execution_ended.set()

        def wait_in_virtual_time(_self: WaitFunction, env: Any, wait_seconds: int) -> None:
            if wait_seconds > 0 and env.is_running():
                clock.sleep(wait_seconds, interrupt=env.program_state_event)

        self._patches = [
            # A Wait state measures what it waited in real time (time.time) and would wait again:
            # it waits once, on the virtual clock. Every other wait of the engine (retry
            # intervals, task timeouts, task tokens, Map and Parallel joins) is put on the clock
            # by engine_patches().
            mock.patch.object(WaitFunction, "_wait_interval", wait_in_virtual_time),
            # Count every state entered, in parent and child executions alike: a Distributed Map's
            # children are not listed by the local engine, but their transitions cost the same.
            mock.patch.object(CommonStateField, "_eval_body", counting_eval_body),
            mock.patch.object(BaseExecutionWorkerCommunication, "terminated", terminated_and_told),
            # The emulated Lambda runtime's wall clock is the virtual one (deadlines, TTLs, timings).
            mock.patch.object(timeutil, "utcnow", clock.now),
            # No X-Ray daemon here: the emulated functions run with tracing off.
            mock.patch.dict("os.environ", {"AWS_DEFAULT_REGION": self.region, "POWERTOOLS_TRACE_DISABLED": "1"}),
            # The port probe's TCP connects reach the emulated target VPC, not this machine's network
            mock.patch.object(tcp, "port_open", self._port_oracle().port_open),
            *engine_patches(clock),
            *self.limits.engine_patches(),
            *callback_patches(),  # a task token answers once (callback_patch.py)
        ]
        for patch in self._patches:
            patch.start()
        # The engine logs every failed state at ERROR with its whole parse tree; the execution
        # history already says what failed.
        logging.getLogger("moto.stepfunctions").setLevel(logging.CRITICAL)
        self._activate()
        # A lambda, not the bound method: a scenario may replace the MGN emulator.
        self.horizons.append(lambda: self.mgn.next_change_at())  # noqa: PLW0108
        # The stack's schedules and SQS batches run on the virtual clock too (event_sources.py).
        self.horizons.append(lambda: self.event_sources.next_due() if self.event_sources else None)
        clock.on_advance(lambda now: self.event_sources.on_advance(now) if self.event_sources else None)
        self._driver = ClockDriver(self.clock, self.horizons)
        self._driver.start()
        return self

    def _port_oracle(self) -> PortOracle:
        return PortOracle(
            self.client("ec2"),
            self.clock,
            function=lambda: self.stack.functions.get(PROBE_FUNCTION) if self.stack else None,
            faults=lambda: self.mgn.launch.faults,
        )

    def _activate(self) -> None:
        # MGN's events reach the stack's EventBridge rules (the deliveries run on the clock driver).
        self.mgn.set_event_sink(self._deliver)
        services: dict[str, ServiceEmulator] = {"mgn": self.mgn}
        if self.lambdas is not None:
            services["lambda"] = self.lambdas
        if self.fleet is not None:
            services["ssm"] = self.fleet.ssm
        router.activate(self.limits.guard(services))

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._driver.stop()
        router.deactivate()
        if self.fleet is not None:
            self.fleet.close()
        for patch in reversed(self._patches):
            patch.stop()
        self._mock.stop()

    @property
    def calls(self) -> CallRecorder:
        """Every AWS call made since this emulated AWS started, with the principal that made it."""
        return router.recorder

    def inject_faults(self, plan: FaultPlan | None) -> None:
        """Answer a seeded fraction of the functions' and the state machine's calls with faults."""
        if plan is not None:
            plan.hold_clock = self.clock.busy  # a delayed call is work in progress, not idleness
        router.fault_plan = plan

    def client(self, service: str) -> Any:
        """The test driver's client of `service` (one per service: clients are thread-safe). Made
        once because making one reads the whole of `os.environ` (botocore's proxy lookup), which a
        Lambda invocation on another thread changes as it starts and ends."""
        with self._clients_lock:
            made = self._clients.get(service)
            if made is None:
                made = self._clients[service] = boto3.client(service, region_name=self.region)  # type: ignore[call-overload]
            return made

    def deploy(
        self, parameters: dict[str, str], template_path: Path = TEMPLATE_PATH, stack_name: str = "mgn-wave"
    ) -> EmulatedStack:
        """Deploy the template's functions (routed in process) and its state machine (into moto)."""
        stack = resolve_stack(
            load_template(template_path),
            parameters=parameters,
            region=self.region,
            account_id=ACCOUNT_ID,
            stack_name=stack_name,
            template_dir=template_path.parent,
        )
        self.limits.check_stack(stack)
        if self.fleet is not None:  # the stack names its install document
            self.fleet.document_name = stack.physical_name(INSTALL_DOCUMENT)
        self.stack = stack
        self.lambdas = LambdaRouter(stack, self.clock)
        self.event_sources = EventSources(stack, self.lambdas, self.clock)
        # The tag reconciliation starts waves of its own for tagged nodes: a test fires it by hand
        # (fire_schedule), so each test sees only the executions it starts.
        self.event_sources.paused_schedules.add("TagReconcileFunction")
        self._activate()
        self._create_tables(stack)
        self._create_buckets_and_topics(stack)
        role_arn = f"arn:aws:iam::{ACCOUNT_ID}:role/{stack.stack_name}-StateMachineRole"
        created = self.client("stepfunctions").create_state_machine(
            name=stack.state_machine_name, definition=stack.state_machine_definition, roleArn=role_arn
        )
        self.state_machine_arn = created["stateMachineArn"]
        # The other state machines (LaunchWave), by logical ID, with the same role name scheme
        for logical_id, (name, definition) in stack.state_machines.items():
            if name == stack.state_machine_name:
                self.state_machine_arns[logical_id] = self.state_machine_arn
                continue
            other = self.client("stepfunctions").create_state_machine(
                name=name,
                definition=definition,
                roleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/{stack.stack_name}-{logical_id}Role",
            )
            self.state_machine_arns[logical_id] = other["stateMachineArn"]
        return stack

    def build_scenario(self, scenario: Scenario | str) -> BuiltScenario:
        """Create a scenario's networks in moto and what MGN already holds in the emulator."""
        if isinstance(scenario, str):
            scenario = load_scenario(scenario)
        if scenario.region != self.region:
            raise ValueError(f"scenario region {scenario.region} differs from the emulated {self.region}")
        built = build_scenario(scenario, self.client("ec2"))
        if not scenario.mgn.initialized:
            self.mgn = MgnEmulator(self.clock, ACCOUNT_ID, self.region, initialized=False)
        self.network_oracle = build_network_oracle(self.client("ec2"), built, self.clock)
        self.mgn.set_network_oracle(self.network_oracle)
        self.fleet = Fleet.build(
            scenario,
            built,
            clock=self.clock,
            mgn=self.mgn,
            ec2=self.client("ec2"),
            s3=self.client("s3"),
            account_id=ACCOUNT_ID,
        )
        self.horizons.append(self.fleet.next_change_at)
        # Launched test and cutover instances register with SSM like any EC2 instance with an agent
        self.fleet.ssm.launched = self.mgn.launch.ssm_information
        self._activate()
        self._seed_mgn(scenario, built)
        if scenario.cloudtrail:
            self._trail()
        blocked = [server.name for server in scenario.fleet if server.onprem_blocks_1500]
        if blocked:
            self.block_on_premises(*blocked)
        return built

    def _trail(self) -> None:
        """The account's trail: multi-Region, logging, management events (its default selectors)."""
        bucket = f"aws-cloudtrail-logs-{ACCOUNT_ID}-emulated"
        s3 = self.client("s3")
        if self.region == "us-east-1":
            s3.create_bucket(Bucket=bucket)
        else:
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": self.region})
        cloudtrail = self.client("cloudtrail")
        cloudtrail.create_trail(Name="management-events", S3BucketName=bucket, IsMultiRegionTrail=True)
        cloudtrail.start_logging(Name="management-events")

    def _trail_records_api_calls(self) -> bool:
        trails = CloudTrailAdapter(self.client("cloudtrail")).trails()
        return any(t.is_logging and t.logs_management_writes for t in trails)

    def _seed_mgn(self, scenario: Scenario, built: BuiltScenario) -> None:
        """A template as an operator left it, and agents installed before this wave (registered
        with their managed-node ID as the installer's --user-provided-id would have)."""
        spec = scenario.mgn
        if not spec.initialized:
            return
        if spec.template is not None:
            settings = {
                **CONSOLE_DEFAULT_TEMPLATE,
                "stagingAreaSubnetId": built.target.staging_subnet_id,
                "replicationServersSecurityGroupsIDs": list(built.target.replication_sg_ids),
                **spec.template,
            }
            self.client("mgn").create_replication_configuration_template(**settings)
        wave_tag_key = built.stack_parameters.get("WaveTagKey", "MigrationWave")
        fleet = {server.name: server for server in scenario.fleet}
        for name in spec.registered:
            server = fleet[name]
            self.mgn.register_source_server(
                hostname=server.hostname,
                user_provided_id=self.fleet.node(name).node_id if self.fleet else None,
                tags={wave_tag_key: spec.wave},
                disks=[(disk.device, disk.gib * GIB) for disk in server.disks],
            )

    def block_on_premises(self, *fleet_names: str) -> None:
        """A firewall in the data centre (outside anything AWS can see) drops TCP 1500 from these
        servers: the preflight passes, and their replication stalls connecting to the replication server."""
        assert self.fleet is not None, "build a scenario first"
        blocked = {self.fleet.node(name).computer_name for name in fleet_names}
        network = self.network_oracle
        assert network is not None

        def oracle(server: Mapping[str, Any], configuration: Mapping[str, Any]) -> str | OracleFailure | None:
            hints = server.get("sourceProperties", {}).get("identificationHints", {})
            if hints.get("hostname") in blocked:
                return "CONNECT_AGENT_TO_REPLICATION_SERVER"
            return network(server, configuration)

        self.mgn.set_network_oracle(oracle)

    def wave_report(self, output: dict[str, Any]) -> dict[str, Any]:
        """The JSON wave report an execution's output points at."""
        summary = output["summary"]
        body = self.client("s3").get_object(Bucket=summary["bucket"], Key=summary["jsonKey"])["Body"].read()
        report: dict[str, Any] = json.loads(body)
        return report

    def server_results(self, output: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """The wave report's server results keyed by the fleet's names (web-1, ...)."""
        names = {node.node_id: node.name for node in self.fleet.nodes.values()} if self.fleet else {}
        servers = self.wave_report(output)["summary"]["servers"]
        return {names.get(s["instanceId"], s["instanceId"]): s for s in servers}

    def deploy_scenario(self, scenario: Scenario | str) -> BuiltScenario:
        built = self.build_scenario(scenario)
        self.deploy(dict(built.stack_parameters))
        return built

    def _create_tables(self, stack: EmulatedStack) -> None:
        """The template's DynamoDB tables, created from the template so tests cannot drift from it."""
        dynamodb = self.client("dynamodb")
        for table in stack.tables.values():
            properties = table.properties
            dynamodb.create_table(
                TableName=table.table_name,
                AttributeDefinitions=properties["AttributeDefinitions"],
                KeySchema=properties["KeySchema"],
                BillingMode=properties.get("BillingMode", "PAY_PER_REQUEST"),
            )
            if "TimeToLiveSpecification" in properties:
                dynamodb.update_time_to_live(
                    TableName=table.table_name, TimeToLiveSpecification=properties["TimeToLiveSpecification"]
                )

    def _deliver(self, event: dict[str, Any]) -> None:
        self.put_event(event, at_once=False)

    def _create_buckets_and_topics(self, stack: EmulatedStack) -> None:
        s3 = self.client("s3")
        for name, properties in stack.buckets.items():
            s3.create_bucket(Bucket=name)
            if "VersioningConfiguration" in properties:
                s3.put_bucket_versioning(Bucket=name, VersioningConfiguration=properties["VersioningConfiguration"])
            if "PublicAccessBlockConfiguration" in properties:
                s3.put_public_access_block(
                    Bucket=name, PublicAccessBlockConfiguration=properties["PublicAccessBlockConfiguration"]
                )
            if "BucketEncryption" in properties:
                # CloudFormation's shape differs from the API's in names only.
                rules = [
                    {"ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"]}
                    for rule in properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
                ]
                s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
        sns = self.client("sns")
        for topic in stack.topics:
            sns.create_topic(Name=topic)

    def put_event(self, event: dict[str, Any], *, at_once: bool = True) -> int:
        """EventBridge for the stack's rules: every rule whose pattern matches invokes its function
        or sends the event to its SQS queue. Returns the number of deliveries.

        MGN's events (`at_once=False`) invoke a function asynchronously as Lambda does, on the
        virtual clock (event_sources.py: delivery latency, retries, duplicates). A test's own
        event (`at_once=True`) runs the function in the caller's thread, so it can look at the
        result right after."""
        if self.stack is None or self.lambdas is None:
            return 0
        if event.get("detail-type") == "AWS API Call via CloudTrail" and not self._trail_records_api_calls():
            return 0  # EventBridge gets these only through a logging trail (docs/aws-facts.md)
        delivered = 0
        for rule in self.stack.rules:
            if rule.schedule is None and EventPattern.load(json.dumps(rule.pattern)).matches_event(event):
                if rule.queue is not None and self.event_sources is not None:
                    self.event_sources.send(rule.queue, event)
                elif rule.function is not None and not at_once and self.event_sources is not None:
                    self.event_sources.invoke_async(rule.function, event)
                elif rule.function is not None:
                    self.lambdas.invoke(self.stack.functions[rule.function], event)
                delivered += 1
        return delivered

    def fire_schedule(self, rule_name: str) -> Any:
        """One tick of a scheduled rule: its function gets the documented "Scheduled Event"
        (events/docs/scheduled-event.json); returns its invocation (result, or error)."""
        assert self.stack is not None and self.lambdas is not None, "deploy first"
        rule = next(r for r in self.stack.rules if r.name == rule_name and r.schedule is not None)
        assert rule.function is not None, f"{rule_name} invokes no function"
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": ACCOUNT_ID,
            "time": self.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self.region,
            "resources": [f"arn:aws:events:{self.region}:{ACCOUNT_ID}:rule/{self.stack.stack_name}-{rule.name}"],
            "detail": {},
        }
        self.lambdas.invoke(self.stack.functions[rule.function], event)
        return self.lambdas.of(rule.function)[-1]

    def start(self, execution_input: dict[str, Any], name: str) -> str:
        sfn = self.client("stepfunctions")
        started = sfn.start_execution(
            stateMachineArn=self.state_machine_arn, name=name, input=json.dumps(execution_input)
        )
        return str(started["executionArn"])

    def wait(self, execution_arn: str, timeout_seconds: float = 120) -> ExecutionResult:
        """Block (in real time) until the execution ends; the virtual clock runs on its own."""
        sfn = self.client("stepfunctions")
        deadline = time.monotonic() + timeout_seconds
        while True:
            self._execution_ended.clear()
            described = sfn.describe_execution(executionArn=execution_arn)
            if described["status"] in TERMINAL:
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{execution_arn} still {described['status']} after {timeout_seconds}s")
            # Woken by the end of any execution (a wave's children end too: it looks again).
            self._execution_ended.wait(min(remaining, 1.0))
        events: list[dict[str, Any]] = []
        for page in sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn):
            events.extend(page["events"])
        output = described.get("output")
        return ExecutionResult(
            status=described["status"],
            output=json.loads(output) if output else None,
            error=described.get("error"),
            cause=described.get("cause"),
            events=events,
        )

    def run(self, execution_input: dict[str, Any], name: str = "run-1") -> ExecutionResult:
        return self.wait(self.start(execution_input, name))
