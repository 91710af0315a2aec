"""The emulated fleet: the scenario's source servers as SSM managed nodes that run the real install
script, with SSM in front of them and the MGN emulator behind them.

`Fleet.build(...)` (the harness calls it from `build_scenario`) creates

- a hybrid managed node per scenario server (`nodes`, by `mi-…` ID);
- the network the nodes see (`network`, a `NetworkView` over the built scenario);
- the two MGN buckets in emulated S3 (`aws-application-migration-service-<region>` with a fake
  installer, `…-hashes-<region>` with its real SHA-512), which the nodes download through the S3
  interface endpoint like the real ones;
- the SSM emulator (`ssm`, for the router's `"ssm"` key), which runs the install document's own
  Linux step, read from `template.yaml`'s `InstallAgentDocument` (not a copy of the script).

Fault knobs: `fail_delivery`, `time_out`, `set_free_disk`, `set_uid`,
`override_dns`, `tamper_installer`.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import shutil
import tempfile
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from mgn_wave.install.parameters import (
    EXECUTION_TIMEOUT_SECONDS,
    HASHES_BUCKET_PREFIX,
    INSTALLER_BUCKET_PREFIX,
    LINUX_INSTALLER_KEY,
    S3_ENDPOINT_FORMS,
    WINDOWS_INSTALLER_KEY,
    installer_s3_endpoint,
)
from mgn_wave.preflight.policy import Decision, evaluate
from mgn_wave_emu.fleet.network import ScenarioNetworkView
from mgn_wave_emu.fleet.nodes import ManagedNode, nodes_from_scenario
from mgn_wave_emu.fleet.sandbox import FAKE_INSTALLER, NodeSandbox, RegistrationRequest, ScriptRun, shim_text
from mgn_wave_emu.fleet.ssm import SsmEmulator
from mgn_wave_emu.mgn import RegistrationRefusedError

if TYPE_CHECKING:
    from datetime import datetime

    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_s3 import S3Client

    from mgn_wave_emu.clock import VirtualClock
    from mgn_wave_emu.fleet.network import NetworkView
    from mgn_wave_emu.mgn import MgnEmulator
    from mgn_wave_emu.scenario import BuiltScenario, Scenario

TEMPLATE_PATH = Path(__file__).resolve().parents[3] / "template.yaml"
DOCUMENT_BEGIN_MARKER = "# BEGIN GENERATED: agent/document.py"
DOCUMENT_END_MARKER = "# END GENERATED"
# How the emulated stack names the InstallAgentDocument resource: `<stack name>-<logical ID>`,
# as it names its other resources.
INSTALL_DOCUMENT_NAME = "mgn-wave-InstallAgentDocument"
GIB = 1024**3
PROBE_SECONDS = 20
INSTALL_SECONDS = 180


class FleetError(RuntimeError):
    """The fleet cannot be built or asked as requested (a test or scenario bug)."""


def install_document_from_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The `Content` between the generated markers of `template.yaml` (what the stack deploys)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    begin = next((i for i, line in enumerate(lines) if line.strip().startswith(DOCUMENT_BEGIN_MARKER)), None)
    end = next((i for i, line in enumerate(lines) if line.strip() == DOCUMENT_END_MARKER), None)
    if begin is None or end is None or end <= begin:
        raise FleetError(f"{path}: no generated InstallAgentDocument Content (run python -m agent.document --write)")
    block = yaml.safe_load(textwrap.dedent("\n".join(lines[begin + 1 : end])))
    if not isinstance(block, dict) or not isinstance(block.get("Content"), dict):
        raise FleetError(f"{path}: the generated block holds no Content mapping")
    content: dict[str, Any] = block["Content"]
    return content


def fake_installer() -> bytes:
    return shim_text(FAKE_INSTALLER)


class Fleet:
    """The scenario's source servers behind SSM. Build it with `Fleet.build`."""

    def __init__(
        self,
        *,
        nodes: list[ManagedNode],
        network: NetworkView,
        clock: VirtualClock,
        mgn: MgnEmulator,
        s3: S3Client,
        region: str,
        account_id: str,
        document: dict[str, Any],
        document_name: str = INSTALL_DOCUMENT_NAME,
        root: Path | None = None,
    ) -> None:
        self.nodes: dict[str, ManagedNode] = {node.node_id: node for node in nodes}
        self.network = network
        self.clock = clock
        self.mgn = mgn
        self.region = region
        self.account_id = account_id
        self.document_content = copy.deepcopy(document)
        self.document_name = document_name
        self.probe_seconds = PROBE_SECONDS
        self.install_seconds = INSTALL_SECONDS
        self.execution_timeout_seconds = EXECUTION_TIMEOUT_SECONDS
        # Speed knob (benchmarks): how many nodes of one SendCommand run the real script at the
        # same time, in real time. 1 (the default) runs them one after another. Only used when no
        # invocation of the command can be terminated by MaxErrors; same script, same effects.
        self.script_workers = 1
        self._s3 = s3
        self._owns_root = root is None
        self._root = Path(tempfile.mkdtemp(prefix="mgn-wave-fleet-")) if root is None else root
        self._sandboxes: dict[str, NodeSandbox] = {}
        self._undeliverable: set[str] = set()
        self._execution_timeouts: set[str] = set()
        self._registered: dict[str, str] = {}  # node ID → source server ID
        self._publish_installers()
        self.ssm = SsmEmulator(self, clock)

    @classmethod
    def build(
        cls,
        scenario: Scenario,
        built: BuiltScenario,
        *,
        clock: VirtualClock,
        mgn: MgnEmulator,
        ec2: EC2Client,
        s3: S3Client,
        account_id: str,
        document: dict[str, Any] | None = None,
        document_name: str = INSTALL_DOCUMENT_NAME,
        root: Path | None = None,
    ) -> Fleet:
        wave_tag_key = built.stack_parameters.get("WaveTagKey", "MigrationWave")
        return cls(
            nodes=nodes_from_scenario(scenario, wave_tag_key=wave_tag_key, registered_at=clock.now()),
            network=ScenarioNetworkView(scenario, built, ec2),
            clock=clock,
            mgn=mgn,
            s3=s3,
            region=scenario.region,
            account_id=account_id,
            document=document if document is not None else install_document_from_template(),
            document_name=document_name,
            root=root,
        )

    def close(self) -> None:
        if self._owns_root:
            shutil.rmtree(self._root, ignore_errors=True)

    # --- lookups ---

    def node(self, name_or_id: str) -> ManagedNode:
        """A node by its scenario name or its `mi-…` ID."""
        for node in self.nodes.values():
            if name_or_id in (node.name, node.node_id):
                return node
        raise FleetError(f"no fleet node {name_or_id!r}; nodes: {sorted(n.name for n in self.nodes.values())}")

    def sandbox(self, name_or_id: str) -> NodeSandbox:
        node = self.node(name_or_id)
        if node.node_id not in self._sandboxes:
            self._sandboxes[node.node_id] = NodeSandbox(self._root, node)
        return self._sandboxes[node.node_id]

    def linux_script(self) -> str:
        """The document's Linux step, as the SSM Agent writes it to `_script.sh`."""
        step = next(s for s in self.document_content["mainSteps"] if s["action"] == "aws:runShellScript")
        return "\n".join(step["inputs"]["runCommand"])

    def next_change_at(self) -> datetime | None:
        return self.ssm.next_change_at()

    # --- running the script ---

    def refresh_network(self) -> None:
        refresh = getattr(self.network, "refresh", None)
        if callable(refresh):
            refresh()

    def execute(
        self, node: ManagedNode, parameters: dict[str, str], mirror: dict[str, dict[str, bytes] | None] | None = None
    ) -> ScriptRun:
        """Run the document's Linux step on `node` with these document parameter values, as the
        SSM Agent would: `SSM_<name>` variables, unless the agent predates ENV_VAR interpolation.
        `mirror`: the buckets as `mirror()` read them for this command (read here if not given)."""
        return self._run_script(node, self._prepare(node, parameters, mirror), parameters)

    def execute_many(self, nodes: list[ManagedNode], parameters: dict[str, str]) -> dict[str, ScriptRun]:
        """`execute` on each node, the scripts `script_workers` at a time (each in its own sandbox;
        the node's world is prepared first, one node after another). By node ID."""
        # The buckets cannot change during one SendCommand: read them once, not once per node.
        mirror = self.mirror()
        prepared = [(node, self._prepare(node, parameters, mirror)) for node in nodes]
        with ThreadPoolExecutor(max_workers=max(1, self.script_workers)) as pool:
            runs = list(pool.map(lambda item: self._run_script(item[0], item[1], parameters), prepared))
        return {node.node_id: run for (node, _), run in zip(prepared, runs, strict=True)}

    def _prepare(
        self, node: ManagedNode, parameters: dict[str, str], mirror: dict[str, dict[str, bytes] | None] | None = None
    ) -> NodeSandbox:
        sandbox = self.sandbox(node.node_id)
        sandbox.prepare(
            dns={name: self.network.resolve(name) for name in _names_to_resolve(parameters, sandbox)},
            reachable=self._reachable(node, parameters, sandbox),
            mirror=self.mirror() if mirror is None else mirror,
        )
        return sandbox

    def _run_script(self, node: ManagedNode, sandbox: NodeSandbox, parameters: dict[str, str]) -> ScriptRun:
        environment = parameters if _supports_env_var(node.agent_version) else {}
        return sandbox.run(
            self.linux_script(), environment, lambda request: self._register(node, request), region=self.region
        )

    def _reachable(self, node: ManagedNode, parameters: dict[str, str], sandbox: NodeSandbox) -> set[tuple[str, int]]:
        addresses = {a for name in _names_to_resolve(parameters, sandbox) for a in self.network.resolve(name)}
        addresses |= {ip for ip, _ in _hosts_entries(parameters.get("HostsEntries", ""))}
        addresses |= {ip for ip, _ in _hosts_file_entries(sandbox)}
        return {(a, 443) for a in addresses if self.network.reachable(node.ip_address, a, 443)}

    def mirror(self) -> dict[str, dict[str, bytes] | None]:
        """The MGN buckets as the S3 interface endpoint serves them (None: its policy denies)."""
        policy = self._s3_interface_policy()
        mirror: dict[str, dict[str, bytes] | None] = {}
        for bucket in (f"{INSTALLER_BUCKET_PREFIX}-{self.region}", f"{HASHES_BUCKET_PREFIX}-{self.region}"):
            if evaluate(policy, "s3:GetObject", f"arn:aws:s3:::{bucket}/latest/linux/x") is not Decision.ALLOW:
                mirror[bucket] = None
                continue
            objects: dict[str, bytes] = {}
            for item in self._s3.list_objects_v2(Bucket=bucket).get("Contents", []):
                objects[item["Key"]] = self._s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            mirror[bucket] = objects
        return mirror

    def _s3_interface_policy(self) -> dict[str, Any] | None:
        snapshot = getattr(self.network, "snapshot", None)
        if snapshot is None:
            return None
        name = f"com.amazonaws.{self.region}.s3"
        endpoint = next(
            (e for e in snapshot.endpoints if e.service_name == name and e.endpoint_type == "Interface"), None
        )
        return endpoint.policy if endpoint is not None else None

    def _register(self, node: ManagedNode, request: RegistrationRequest) -> tuple[bool, str]:
        if request.region != self.mgn.region:
            return False, f"this emulation has MGN in {self.mgn.region} only, not {request.region}"
        known = self._registered.get(node.node_id) or self._registered_by_hostname(node)
        if known is not None:
            # Re-running the installer on a server keeps its source server (the agent knows the
            # machine); a server registered before the fleet existed is found by its hostname.
            self._registered[node.node_id] = known
            return True, known
        try:
            server_id = self.mgn.register_source_server(
                hostname=node.computer_name,
                user_provided_id=request.user_provided_id or None,
                tags=request.tags,
                disks=[(device, gib * GIB) for device, gib in node.disks],
            )
        except RegistrationRefusedError as refused:
            return False, str(refused)
        self._registered[node.node_id] = server_id
        return True, server_id

    def _registered_by_hostname(self, node: ManagedNode) -> str | None:
        for server_id in self.mgn.source_server_ids():
            server = self.mgn.source_server(server_id)
            hints = server.get("sourceProperties", {}).get("identificationHints", {})
            if hints.get("hostname") == node.computer_name and not server.get("isArchived"):
                return server_id
        return None

    def source_server_id(self, name_or_id: str) -> str | None:
        """The source server the node's agent registered, if any."""
        return self._registered.get(self.node(name_or_id).node_id)

    # --- emulated S3 ---

    def _publish_installers(self) -> None:
        for bucket in (f"{INSTALLER_BUCKET_PREFIX}-{self.region}", f"{HASHES_BUCKET_PREFIX}-{self.region}"):
            arguments: dict[str, Any] = {"Bucket": bucket}
            if self.region != "us-east-1":
                arguments["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
            # A second fleet in the same emulated account publishes over the first one's buckets.
            with contextlib.suppress(self._s3.exceptions.BucketAlreadyOwnedByYou):
                self._s3.create_bucket(**arguments)
        self.publish_installer(fake_installer())
        windows = b"MZ mgn-wave emulated Windows installer (never run)\n"
        self._put(INSTALLER_BUCKET_PREFIX, WINDOWS_INSTALLER_KEY, windows)
        self._put(HASHES_BUCKET_PREFIX, WINDOWS_INSTALLER_KEY + ".sha512", _sha512_line(windows))

    def publish_installer(self, body: bytes) -> None:
        """Publish `body` as the Linux installer with its SHA-512, as AWS publishes a release."""
        self._put(INSTALLER_BUCKET_PREFIX, LINUX_INSTALLER_KEY, body)
        self._put(HASHES_BUCKET_PREFIX, LINUX_INSTALLER_KEY + ".sha512", _sha512_line(body))

    def tamper_installer(self, body: bytes = b"#!/bin/bash\necho tampered\n") -> None:
        """Fault knob: replace the installer object but not its published SHA-512."""
        self._put(INSTALLER_BUCKET_PREFIX, LINUX_INSTALLER_KEY, body)

    def _put(self, prefix: str, key: str, body: bytes) -> None:
        self._s3.put_object(Bucket=f"{prefix}-{self.region}", Key=key, Body=body)

    # --- fault knobs ---

    def fail_delivery(self, name_or_id: str) -> None:
        """The node's next invocations are `Undeliverable`."""
        self._undeliverable.add(self.node(name_or_id).node_id)

    def time_out(self, name_or_id: str) -> None:
        """The node's next invocations run into the step's execution timeout (the script does not run)."""
        self._execution_timeouts.add(self.node(name_or_id).node_id)

    def heal(self, name_or_id: str) -> None:
        """Undo `fail_delivery` and `time_out`."""
        node_id = self.node(name_or_id).node_id
        self._undeliverable.discard(node_id)
        self._execution_timeouts.discard(node_id)

    def set_free_disk(self, name_or_id: str, mib: int) -> None:
        self.node(name_or_id).free_disk_mib = mib

    def set_uid(self, name_or_id: str, uid: int) -> None:
        self.node(name_or_id).uid = uid

    def set_hosts_lookup(self, name_or_id: str, order: str) -> None:
        """nsswitch's hosts order on the node: "files dns" (default) or "dns files"."""
        if order not in ("files dns", "dns files"):
            raise FleetError(f"hosts lookup order must be 'files dns' or 'dns files', not {order!r}")
        self.node(name_or_id).hosts_lookup = order

    def override_dns(self, name: str, addresses: list[str] | None) -> None:
        """The sources' DNS answers `addresses` for `name` ([]: NXDOMAIN; None: undo)."""
        override = getattr(self.network, "override_dns", None)
        if not callable(override):
            raise FleetError("this network view cannot override DNS answers")
        override(name, addresses)

    def is_undeliverable(self, node: ManagedNode) -> bool:
        return node.node_id in self._undeliverable

    def is_execution_timeout(self, node: ManagedNode) -> bool:
        return node.node_id in self._execution_timeouts

    def document_exists_elsewhere(self, name: str) -> bool:
        """Is `name` an AWS-owned document (AWS-RunShellScript, …) or one created in moto?"""
        if name.startswith(("AWS", "Amazon", "arn:")):
            return True
        try:
            from moto.ssm.models import ssm_backends  # noqa: PLC0415 - only the emulation needs it
        except ImportError:  # pragma: no cover
            return True
        return name in ssm_backends[self.account_id][self.region]._documents

    def other_commands(self) -> list[dict[str, Any]]:
        """moto's commands (documents that are not ours), in the wire shape, for ListCommands."""
        try:
            from moto.ssm.models import ssm_backends  # noqa: PLC0415 - only the emulation needs it
        except ImportError:  # pragma: no cover
            return []
        commands = []
        for command in ssm_backends[self.account_id][self.region]._commands:
            raw = command.response_object()
            wire = {k: v for k, v in raw.items() if v != "" and k not in ("OutputS3Region",)}
            for key in ("ExpiresAfter", "RequestedDateTime"):
                if key in wire:
                    wire[key] = wire[key].timestamp()
            commands.append(wire)
        return commands


def _supports_env_var(agent_version: str) -> bool:
    def parts(version: str) -> tuple[int, ...]:
        return tuple(int(p) for p in version.split("."))

    return parts(agent_version) >= (3, 3, 2746, 0)


def _sha512_line(body: bytes) -> bytes:
    return hashlib.sha512(body).hexdigest().encode() + b"\n"


def _hosts_entries(value: str) -> list[tuple[str, str]]:
    pairs = [entry.split(" ", 1) for entry in value.split(",") if " " in entry]
    return [(ip, name) for ip, name in pairs]


def _hosts_file_entries(sandbox: NodeSandbox) -> list[tuple[str, str]]:
    entries = []
    for line in sandbox.hosts_file.read_text().splitlines():
        fields = line.split("#", 1)[0].split()
        entries += [(fields[0], name) for name in fields[1:]]
    return entries


def _names_to_resolve(parameters: dict[str, str], sandbox: NodeSandbox) -> list[str]:
    """Every name the script and the fake installer may look up, from the parameters (read
    leniently: the script refuses bad values itself)."""
    region = parameters.get("Region", "")
    s3_endpoint = parameters.get("S3Endpoint", "")
    names = [h for h in parameters.get("ProbeHosts", "").split(",") if h]
    names += [
        f"{INSTALLER_BUCKET_PREFIX}-{region}.bucket.{s3_endpoint}",
        f"{HASHES_BUCKET_PREFIX}-{region}.bucket.{s3_endpoint}",
        # every form the installer's --s3-endpoint may take; the network answers each as AWS DNS
        # would (the bare endpoint name: no answer)
        *(installer_s3_endpoint(region, s3_endpoint, form) for form in S3_ENDPOINT_FORMS),
        f"s3.{region}.amazonaws.com",
        f"mgn.{region}.amazonaws.com",
    ]
    if parameters.get("MgnEndpoint"):
        names.append(parameters["MgnEndpoint"])
    names += [name for _, name in _hosts_entries(parameters.get("HostsEntries", ""))]
    names += [name for _, name in _hosts_file_entries(sandbox)]
    return list(dict.fromkeys(n for n in names if n and " " not in n))
