"""A per-node sandbox that runs the real Linux install script with `bash`.

The script is the document's own `runCommand` text, run the way the SSM Agent runs it
(`sh -c <path to _script.sh>`, so its `#!/bin/bash` line decides). Its world is a directory:

    <root>/<node id>/
        shims/    first on PATH: getent, curl, id, df, mgn-wave-tcp-probe, and emulated-node.sh,
                  which they and the fake installer source (package data)
        etc/hosts the node's hosts file (MGN_WAVE_HOSTS_FILE)
        tmp/      TMPDIR: the script's work directory goes here and must be gone afterwards
        state/    what the shims answer from (dns.tsv, tcp.tsv, uid, free_kib, disks, mirror/),
                  what they record (curl.log, installer-calls/), and the fake installer's
                  registration request/response files (MGN_WAVE_SHIM_STATE)

Nothing the script receives comes from the host's environment: the variables are the document
parameters (`SSM_<Name>`), PATH, HOME, TMPDIR and the two sandbox variables.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from pathlib import Path

    from mgn_wave_emu.fleet.nodes import ManagedNode

SHIM_PACKAGE = "mgn_wave_emu.fleet"
PATH_SHIMS = ("getent", "curl", "id", "df", "mgn-wave-tcp-probe")
# What the shims and the fake installer source: the node's uid, resolver and network (no process per
# lookup or connection).
SHIM_LIBRARY = "emulated-node.sh"
FAKE_INSTALLER = "fake-aws-replication-installer-init"
SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
RUN_TIMEOUT_SECONDS = 60.0  # real seconds: a script that hangs here is a bug, not a slow network
_POLL_SECONDS = 0.003
# Writing a script and starting one never overlap: a fork made while another thread has its
# _script.sh open for writing keeps that descriptor until exec, and the other script's exec then
# fails with "Text file busy" (seen with several script workers).
_SPAWN_LOCK = threading.Lock()


def shim_text(name: str) -> bytes:
    return (resources.files(SHIM_PACKAGE) / "shims" / name).read_bytes()


@dataclass(frozen=True)
class RegistrationRequest:
    """What the fake installer asks the emulated MGN to register."""

    region: str
    user_provided_id: str
    endpoint: str
    tags: dict[str, str]


@dataclass
class ScriptRun:
    """One run of the script on one node."""

    exit_code: int
    stdout: str
    stderr: str
    installer_calls: list[list[str]] = field(default_factory=list)  # arguments, credentials as [secret]
    curl_calls: list[str] = field(default_factory=list)
    source_server_id: str | None = None
    timed_out: bool = False


class NodeSandbox:
    def __init__(self, root: Path, node: ManagedNode) -> None:
        self.node = node
        self.root = root / node.node_id
        self.shims = self.root / "shims"
        self.state = self.root / "state"
        self.tmp = self.root / "tmp"
        self.hosts_file = self.root / "etc" / "hosts"
        for folder in (self.shims, self.state, self.tmp, self.hosts_file.parent, self.root / "home"):
            folder.mkdir(parents=True, exist_ok=True)
        for name in PATH_SHIMS:
            target = self.shims / name
            target.write_bytes(shim_text(name))
            target.chmod(0o755)
        (self.shims / SHIM_LIBRARY).write_bytes(shim_text(SHIM_LIBRARY))
        self.hosts_file.write_text("127.0.0.1   localhost localhost.localdomain\n::1         localhost6\n")
        self.run_history: list[ScriptRun] = []
        self._request_file = self.state / "registration-request"

    # --- the node's world ---

    def prepare(
        self,
        *,
        dns: Mapping[str, list[str]],
        reachable: set[tuple[str, int]],
        mirror: Mapping[str, Mapping[str, bytes] | None],
    ) -> None:
        """Write what the shims answer: DNS names (`*.suffix` for wildcards), open `(address, port)`
        pairs, and the S3 objects the endpoint serves, by bucket (None: access denied)."""
        lines = [f"{name} {' '.join(addresses)}" for name, addresses in dns.items() if addresses]
        (self.state / "dns.tsv").write_text("\n".join(lines) + "\n")
        (self.state / "tcp.tsv").write_text("".join(f"{a} {p}\n" for a, p in sorted(reachable)))
        (self.state / "uid").write_text(f"{self.node.uid}\n")
        (self.state / "hosts-lookup").write_text(f"{self.node.hosts_lookup}\n")
        (self.state / "free_kib").write_text(f"{self.node.free_disk_mib * 1024}\n")
        (self.state / "disks").write_text("".join(f"{device} {gib}\n" for device, gib in self.node.disks))
        mirror_root = self.state / "mirror"
        shutil.rmtree(mirror_root, ignore_errors=True)
        for bucket, objects in mirror.items():
            folder = mirror_root / bucket
            folder.mkdir(parents=True)
            if objects is None:
                (folder / ".access-denied").touch()
                continue
            for key, body in objects.items():
                path = folder / key
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(body)

    # --- running ---

    def run(
        self,
        script: str,
        parameters: Mapping[str, str],
        register: Callable[[RegistrationRequest], tuple[bool, str]],
        *,
        region: str = "us-east-1",
        launcher: Sequence[str] = (),
    ) -> ScriptRun:
        """Run `script` with `SSM_<name>` for each parameter (already the node's environment
        values: an agent older than 3.3.2746.0 would pass none) and the variables the SSM Agent
        gives every command (AWS_SSM_INSTANCE_ID, AWS_SSM_REGION_NAME: executers.go). Answers the
        fake installer's registration request through `register` while the script runs. `launcher`:
        a command the script runs under (bench.install_script counts its processes with strace)."""
        for stale in ("curl.log", "registration-request", "registration-response", "stdout", "stderr"):
            (self.state / stale).unlink(missing_ok=True)
        shutil.rmtree(self.state / "installer-calls", ignore_errors=True)
        (self.state / "installer-calls").mkdir()  # the fake installer's call log: no mkdir process per call
        script_path = self.state / "_script.sh"
        with _SPAWN_LOCK:
            script_path.write_text(script)
        script_path.chmod(0o700)
        environment = {
            "PATH": f"{self.shims}:{SYSTEM_PATH}",
            "HOME": str(self.root / "home"),
            "TMPDIR": str(self.tmp),
            "MGN_WAVE_HOSTS_FILE": str(self.hosts_file),
            "MGN_WAVE_SHIM_STATE": str(self.state),
            "AWS_SSM_INSTANCE_ID": self.node.node_id,
            "AWS_SSM_REGION_NAME": region,
            **{f"SSM_{name}": value for name, value in parameters.items()},
        }
        server_id: str | None = None
        with (self.state / "stdout").open("wb") as stdout, (self.state / "stderr").open("wb") as stderr:
            # As the SSM Agent does it (runshellscript.go): `sh -c <script path>`.
            with _SPAWN_LOCK:
                process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell string from input
                    [*launcher, "/bin/sh", "-c", str(script_path)],
                    cwd=self.root / "home",
                    env=environment,
                    stdin=subprocess.DEVNULL,
                    stdout=stdout,
                    stderr=stderr,
                )
            deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
            timed_out = False
            while process.poll() is None:
                server_id = self._answer_registration(register) or server_id
                if time.monotonic() > deadline:
                    process.kill()
                    timed_out = True
                    break
                time.sleep(_POLL_SECONDS)
            process.wait()
        run = ScriptRun(
            exit_code=process.returncode,
            stdout=(self.state / "stdout").read_text(errors="replace"),
            stderr=(self.state / "stderr").read_text(errors="replace"),
            installer_calls=self._installer_calls(),
            curl_calls=self._lines("curl.log"),
            source_server_id=server_id,
            timed_out=timed_out,
        )
        self.run_history.append(run)
        return run

    def _answer_registration(self, register: Callable[[RegistrationRequest], tuple[bool, str]]) -> str | None:
        # Asked every few milliseconds while a script runs: one stat of a path built once.
        request_file = self._request_file
        if not request_file.exists():
            return None
        fields: dict[str, str] = {}
        tags: dict[str, str] = {}
        for line in request_file.read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == "tag":
                tag_key, _, tag_value = value.partition("=")
                tags[tag_key] = tag_value
            else:
                fields[key] = value
        request_file.unlink()
        ok, detail = register(
            RegistrationRequest(
                region=fields.get("region", ""),
                user_provided_id=fields.get("user-provided-id", ""),
                endpoint=fields.get("endpoint", ""),
                tags=tags,
            )
        )
        partial = self.state / "registration-response.tmp"
        partial.write_text(f"{'ok' if ok else 'error'} {detail}\n")
        partial.replace(self.state / "registration-response")
        return detail if ok else None

    def _installer_calls(self) -> list[list[str]]:
        folder = self.state / "installer-calls"
        if not folder.is_dir():
            return []
        return [path.read_text().splitlines() for path in sorted(folder.iterdir())]

    def _lines(self, name: str) -> list[str]:
        path = self.state / name
        return path.read_text().splitlines() if path.exists() else []

    def leftovers(self) -> list[Path]:
        """What the script left in TMPDIR (must be nothing)."""
        return sorted(self.tmp.iterdir())
