"""What the node answers: the install script's one machine-readable last line,
`MGN_WAVE_RESULT {json}` (the scripts print it; `parse_result` reads it back into a `NodeResult`),
its statuses and the stable codes of its findings. What is sent to the node is `parameters.py`."""

from __future__ import annotations

import json
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mgn_wave.core import ids

RESULT_MARKER = "MGN_WAVE_RESULT"
STANDARD_OUTPUT_LIMIT = 24_000  # GetCommandInvocation keeps the first 24,000 characters (docs/mgn-facts.md §5.2)


class NodeStatus(StrEnum):
    PROBE_OK = "PROBE_OK"  # every check passed (probe mode)
    PROBE_FAILED = "PROBE_FAILED"  # a check failed; nothing was downloaded or changed
    INSTALLED = "INSTALLED"  # the installer ran and printed the source server ID
    INSTALL_FAILED = "INSTALL_FAILED"  # the installer (or a step around it) failed
    CHECKSUM_MISMATCH = "CHECKSUM_MISMATCH"  # the download's SHA-512 differs; it was deleted unrun
    DOWNLOAD_FAILED = "DOWNLOAD_FAILED"  # the installer or its hash could not be downloaded
    PARAMETERS_REJECTED = "PARAMETERS_REJECTED"  # the node's own allow-lists refused a value
    NO_RESULT = "NO_RESULT"  # no readable result line (output cut, or the script did not finish)


# Stable codes of the node's findings.
SOURCE_DNS_NOT_PRIVATE = "SOURCE_DNS_NOT_PRIVATE"  # a name resolves outside ExpectedCidrs
SOURCE_DNS_UNRESOLVED = "SOURCE_DNS_UNRESOLVED"  # a name does not resolve at all
SOURCE_443_BLOCKED = "SOURCE_443_BLOCKED"  # no TCP 443 connection to an address of a name
SOURCE_DISK_LOW = "SOURCE_DISK_LOW"  # less free disk than MinFreeDiskMiB
SOURCE_NOT_ROOT = "SOURCE_NOT_ROOT"  # the installer needs root
SOURCE_TOOL_MISSING = "SOURCE_TOOL_MISSING"  # curl, sha512sum, getent, timeout … missing
SOURCE_SSM_AGENT_TOO_OLD = "SOURCE_SSM_AGENT_TOO_OLD"  # no SSM_<name> variables: agent < 3.3.2746.0
PARAMETER_REJECTED = "PARAMETER_REJECTED"  # a value failed the node's allow-list (value not shown)
NODE_FINDING_CODES: tuple[str, ...] = (
    SOURCE_DNS_NOT_PRIVATE,
    SOURCE_DNS_UNRESOLVED,
    SOURCE_443_BLOCKED,
    SOURCE_DISK_LOW,
    SOURCE_NOT_ROOT,
    SOURCE_TOOL_MISSING,
    SOURCE_SSM_AGENT_TOO_OLD,
    PARAMETER_REJECTED,
)


class NodeFinding(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    code: str = Field(pattern="^[A-Z][A-Z0-9_]{2,63}$")
    detail: str = Field(max_length=500)


class NodeResult(BaseModel):
    """The node's answer: `{status, sourceServerId, findings: [{code, detail}], reason}`."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    status: NodeStatus
    source_server_id: str | None = Field(default=None, alias="sourceServerId", pattern=ids.full(ids.SOURCE_SERVER_ID))
    findings: tuple[NodeFinding, ...] = Field(default=(), max_length=50)
    reason: str = Field(default="", max_length=1000)

    @property
    def succeeded(self) -> bool:
        return self.status in (NodeStatus.PROBE_OK, NodeStatus.INSTALLED)

    @property
    def codes(self) -> list[str]:
        return [f.code for f in self.findings]


def _no_result(reason: str) -> NodeResult:
    return NodeResult(status=NodeStatus.NO_RESULT, reason=reason)


def parse_result(stdout: str) -> NodeResult:
    """The node's result from its standard output (`GetCommandInvocation.StandardOutputContent`).

    SSM keeps only the first 24,000 characters, so a long output loses its *end*: the script keeps
    its own output short and prints the result line last. Only a line that *starts* with the
    marker counts (the script prefixes every echoed installer line), and the last one wins.
    Never raises: a cut, missing or malformed line is `NO_RESULT` with the reason."""
    for raw_line in reversed(stdout.splitlines()):
        line = raw_line.rstrip("\r")
        if not line.startswith(RESULT_MARKER + " "):
            continue
        try:
            data = json.loads(line[len(RESULT_MARKER) + 1 :])
        except ValueError:
            return _no_result("the result line is cut short or is not JSON")
        if not isinstance(data, dict):
            return _no_result("the result line is not a JSON object")
        try:
            return NodeResult.model_validate(data)
        except ValidationError as exc:
            where = ".".join(str(p) for p in exc.errors()[0]["loc"])
            return _no_result(f"the result line breaks the contract at {where or 'the top level'}")
    if len(stdout) >= STANDARD_OUTPUT_LIMIT:
        return _no_result(f"no result line: the output reached SSM's {STANDARD_OUTPUT_LIMIT}-character cap")
    return _no_result("no result line: the script did not finish (or this is not its output)")
