"""The parameter contract of the install document: every value that can reach a shell on a source
server is defined here, once.

The install Lambda builds an `InstallParameters` and sends `to_document_parameters()` as
SendCommand's `Parameters`. The same allow-list patterns are

- checked here, in Python, before anything is sent;
- the `allowedPattern` of each parameter of the SSM document (`agent/document.py` renders them from
  `DOCUMENT_PARAMETERS`, so the document cannot drift from this module), which SSM checks before
  the command reaches a node;
- copied verbatim into `agent/install-linux.sh` and `agent/install-windows.ps1`, which check every
  value again on the node before using it (a static test holds the copies equal to these). The
  Linux script checks a list-valued parameter item by item (`ListForm`): it holds the item
  patterns, and the whole-value patterns are built from them here.

The patterns use only what Python `re`, POSIX ERE (bash `[[ =~ ]]` under `LC_ALL=C`), Go `regexp`
(the SSM Agent) and .NET agree on: explicit ASCII classes (never `\\d`/`\\w`, which match Unicode
digits and letters in Python), bounded repeats of at most 1000 (Go's limit), `^…$` anchors.
Values arrive on the node as environment variables (`interpolationType: ENV_VAR`), never as text
pasted into the script, so the allow-lists are a second wall, not the only one.

What the node answers is `node_result.py`.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from mgn_wave.core import ids
from mgn_wave.core.errors import InvalidInputError

if TYPE_CHECKING:
    from collections.abc import Mapping

# --- allow-list patterns -----------------------------------------------------------------------


@dataclass(frozen=True)
class ListForm:
    """A list-valued parameter: items that each match `item`, joined by `separator`, at most
    `max_items` of them; empty unless `required`. No item can contain the separator, so a value
    splits one way only, and checking it item by item gives the whole pattern's verdict.

    Why both forms: bash compiles a regex each time `[[ =~ ]]` runs, and glibc expands a bounded
    repeat of a group by copying it, so the whole-value pattern of a list (the item repeated up
    to `max_items` times) costs tens of milliseconds per check on a node, one item about one. The
    Linux script splits the value and checks each item with `item_pattern`; the document's
    `allowedPattern`, Python and the Windows script use `pattern`."""

    item: str  # unanchored
    separator: str
    max_items: int
    required: bool = False

    @property
    def item_pattern(self) -> str:
        return "^" + self.item + "$"

    @property
    def pattern(self) -> str:
        items = self.item + "(" + self.separator + self.item + "){0," + str(self.max_items - 1) + "}"
        return "^" + items + "$" if self.required else "^(" + items + ")?$"


# Building blocks (not parameters themselves).
_OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"  # no leading zeros: bash reads 010 as octal
_IPV4 = _OCTET + r"(\." + _OCTET + "){3}"
_LABEL = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_DNS_NAME = _LABEL + r"(\." + _LABEL + "){1,7}"
_REGION = ids.REGION
_VPCE_LABEL = "vpce-[0-9a-f]{8,17}-[a-z0-9]{8}"  # vpce-<endpoint id>-<suffix>
_AWS_DOMAIN = r"amazonaws\.com(\.cn)?"
_AWS_NAME = "(" + _LABEL + r"\.){1,6}" + _AWS_DOMAIN  # hosts entries may pin AWS names only
_CIDR = _IPV4 + "/([0-9]|[12][0-9]|3[0-2])"
# A tag starts with a letter or digit so that no tag can be read as an installer flag (`--x=y`).
_TAG = "[A-Za-z0-9][A-Za-z0-9_.:/+@-]{0,127}=[A-Za-z0-9_.:/+@-]{0,255}"

IPV4_PATTERN = "^" + _IPV4 + "$"  # the script checks every address `getent` answers with this
MODE_PATTERN = "^(probe|install)$"
REGION_PATTERN = "^" + _REGION + "$"
S3_ENDPOINT_PATTERN = "^" + _VPCE_LABEL + r"\.s3\." + _REGION + r"\.vpce\." + _AWS_DOMAIN + "$"
# What the installer's --s3-endpoint gets (README "Installing the agent"; docs/aws-facts.md "The
# installer's --s3-endpoint"): `installer-bucket` (the default) is the bucket-qualified name
# `aws-application-migration-service-<region>.bucket.<S3Endpoint>`, the one form proven in the field;
# `bucket` is `bucket.<S3Endpoint>`, the S3 guide's endpoint URL for SDK clients; `regional` is the
# bare `<S3Endpoint>`, which S3's published DNS entries (`*.vpce-…` only) do not answer.
S3_ENDPOINT_FORM_PATTERN = "^(installer-bucket|bucket|regional)$"
MGN_ENDPOINT_PATTERN = "^(" + _VPCE_LABEL + r"\.mgn\." + _REGION + r"\.vpce\." + _AWS_DOMAIN + ")?$"
HOSTS_ENTRIES = ListForm(_IPV4 + " " + _AWS_NAME, ",", 8)
HOSTS_ENTRIES_PATTERN = HOSTS_ENTRIES.pattern
HOSTS_ENTRY_PATTERN = HOSTS_ENTRIES.item_pattern
_NODE_ID = ids.NODE_ID
# The SSM Agent gives every command it runs AWS_SSM_INSTANCE_ID (amazon-ssm-agent executers.go):
# the script checks it with NODE_ID_PATTERN and uses it when UserProvidedId is empty, so that one
# SendCommand can serve 50 nodes, each registering under its own node ID.
NODE_ID_PATTERN = "^" + _NODE_ID + "$"
USER_PROVIDED_ID_PATTERN = "^(" + _NODE_ID + ")?$"
WAVE_TAGS = ListForm(_TAG, " ", 10)
WAVE_TAGS_PATTERN = WAVE_TAGS.pattern
WAVE_TAG_PATTERN = WAVE_TAGS.item_pattern
PROBE_HOSTS = ListForm(_DNS_NAME, ",", 8)
PROBE_HOSTS_PATTERN = PROBE_HOSTS.pattern
PROBE_HOST_PATTERN = PROBE_HOSTS.item_pattern
EXPECTED_CIDRS = ListForm(_CIDR, ",", 8, required=True)
EXPECTED_CIDRS_PATTERN = EXPECTED_CIDRS.pattern
EXPECTED_CIDR_PATTERN = EXPECTED_CIDRS.item_pattern
MIN_FREE_DISK_MIB_PATTERN = "^(0|[1-9][0-9]{0,6})$"  # no leading zeros: bash arithmetic reads 010 as octal
# Credentials (README "Credentials"): the install Lambda assumes the install role for 900 s with a
# session policy and sends the three values as ENV_VAR document parameters, the least-exposing
# delivery the sources allow: SSM documents cannot reference SecureString parameters (SSM UG "About
# Systems Manager parameters"; the agent refuses them in {{ssm:…}}, parameterstore.go), and ENV_VAR
# keeps them out of the script text the agent writes to disk (_script.sh). They remain visible in
# the command's Parameters (ListCommands, SSM console, EventBridge command events) while SSM keeps
# the command, and in the node's process list while the installer runs (its only documented way
# to take them is flags). Temporary (STS) credentials only: docs/contracts.md §5 allows no AKIA… keys.
ACCESS_KEY_ID_PATTERN = "^(ASIA[A-Z0-9]{16})?$"
SECRET_ACCESS_KEY_PATTERN = "^([A-Za-z0-9/+]{40})?$"  # noqa: S105 - a pattern, not a secret
# No upper bound in the pattern (Go allows repeats up to 1000 only): MAX_VALUE_CHARS bounds it.
SESSION_TOKEN_PATTERN = "^([A-Za-z0-9/+=]{16,})?$"  # noqa: S105 - a pattern, not a secret

MAX_VALUE_CHARS = 8192  # the scripts refuse longer values before running any regex on them
DEFAULT_MIN_FREE_DISK_MIB = 2048
DEFAULT_S3_ENDPOINT_FORM = "installer-bucket"
S3_ENDPOINT_FORMS = ("installer-bucket", "bucket", "regional")
# ExpectedCidrs are the endpoints' subnets, so RFC 1918 space: never loopback (a pin of 127.0.0.1
# would hand the installer's traffic to whatever listens locally), link-local or public. The
# scripts check the same ranges.
PRIVATE_NETWORKS = (
    ipaddress.IPv4Network("10.0.0.0/8"),
    ipaddress.IPv4Network("172.16.0.0/12"),
    ipaddress.IPv4Network("192.168.0.0/16"),
)
MIN_SSM_AGENT_VERSION = "3.3.2746.0"  # the first SSM Agent that exports ENV_VAR parameters

# --- the document's shape, shared with agent/document.py and the emulated fleet --------------------
LINUX_STEP_NAME = "InstallOnLinux"
WINDOWS_STEP_NAME = "InstallOnWindows"
# GetCommandInvocation needs PluginName for a document with more than one step.
STEP_NAME_BY_PLATFORM = {"Linux": LINUX_STEP_NAME, "Windows": WINDOWS_STEP_NAME}
EXECUTION_TIMEOUT_SECONDS = 1800  # per step on the node; the installer takes minutes, not hours
INSTALLER_BUCKET_PREFIX = "aws-application-migration-service"
HASHES_BUCKET_PREFIX = "aws-application-migration-service-hashes"
LINUX_INSTALLER_KEY = "latest/linux/aws-replication-installer-init"
WINDOWS_INSTALLER_KEY = "latest/windows/AwsReplicationWindowsInstaller.exe"


@dataclass(frozen=True)
class DocumentParameter:
    """One parameter of the SSM document: its name (also the `SSM_<name>` variable on the node),
    its allow-list, and its default (None: SendCommand must give it)."""

    name: str
    field: str  # the InstallParameters field
    pattern: str
    form: str  # the allowed form, in words, for error messages and the document's description
    default: str | None = None
    sensitive: bool = False
    items: ListForm | None = None  # a list: the form `pattern` is built from


DOCUMENT_PARAMETERS: tuple[DocumentParameter, ...] = (
    DocumentParameter("Mode", "mode", MODE_PATTERN, "'probe' (checks only) or 'install'"),
    DocumentParameter("Region", "region", REGION_PATTERN, "an AWS Region code like us-east-1"),
    DocumentParameter(
        "S3Endpoint",
        "s3_endpoint",
        S3_ENDPOINT_PATTERN,
        "the regional DNS name of the S3 interface endpoint, like "
        "vpce-0123456789abcdef0-abcdefgh.s3.us-east-1.vpce.amazonaws.com",
    ),
    DocumentParameter(
        "S3EndpointForm",
        "s3_endpoint_form",
        S3_ENDPOINT_FORM_PATTERN,
        "the name the installer gets as --s3-endpoint: 'installer-bucket' "
        "(aws-application-migration-service-<region>.bucket.<S3Endpoint>), 'bucket' (bucket.<S3Endpoint>) "
        "or 'regional' (<S3Endpoint> itself)",
        default="installer-bucket",
    ),
    DocumentParameter(
        "MgnEndpoint",
        "mgn_endpoint",
        MGN_ENDPOINT_PATTERN,
        "empty, or the endpoint-specific DNS name of the mgn interface endpoint, like "
        "vpce-0123456789abcdef0-abcdefgh.mgn.us-east-1.vpce.amazonaws.com",
        default="",
    ),
    DocumentParameter(
        "HostsEntries",
        "hosts_entries",
        HOSTS_ENTRIES_PATTERN,
        "empty, or up to 8 'IP NAME' pairs separated by commas, NAME under amazonaws.com, like "
        "'192.168.128.10 mgn.us-east-1.amazonaws.com'",
        default="",
        items=HOSTS_ENTRIES,
    ),
    DocumentParameter(
        "UserProvidedId",
        "user_provided_id",
        USER_PROVIDED_ID_PATTERN,
        "empty (each node registers under its own SSM node ID), or a node ID: i- and 8 or 17 hex digits, "
        "or mi- and 17 hex digits",
        default="",
    ),
    DocumentParameter(
        "WaveTags",
        "wave_tags",
        WAVE_TAGS_PATTERN,
        "empty, or up to 10 KEY=VALUE tags separated by spaces; KEY starts with a letter or digit; "
        "letters, digits and _ . : / + @ - only",
        default="",
        items=WAVE_TAGS,
    ),
    DocumentParameter(
        "ProbeHosts",
        "probe_hosts",
        PROBE_HOSTS_PATTERN,
        "empty, or up to 8 lower-case DNS names separated by commas (the node adds the installer, "
        "hash and mgn hosts itself)",
        default="",
        items=PROBE_HOSTS,
    ),
    DocumentParameter(
        "ExpectedCidrs",
        "expected_cidrs",
        EXPECTED_CIDRS_PATTERN,
        "1 to 8 private IPv4 networks (inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16) separated by "
        "commas, like 192.168.128.0/25 (the subnets of the endpoints' network interfaces)",
        items=EXPECTED_CIDRS,
    ),
    DocumentParameter(
        "MinFreeDiskMiB",
        "min_free_disk_mib",
        MIN_FREE_DISK_MIB_PATTERN,
        "a whole number of MiB from 0 to 9999999, without leading zeros",
        default=str(DEFAULT_MIN_FREE_DISK_MIB),
    ),
    DocumentParameter(
        "AccessKeyId",
        "access_key_id",
        ACCESS_KEY_ID_PATTERN,
        "empty (probe), or a temporary access key ID: ASIA and 16 upper-case letters or digits",
        default="",
        sensitive=True,
    ),
    DocumentParameter(
        "SecretAccessKey",
        "secret_access_key",
        SECRET_ACCESS_KEY_PATTERN,
        "empty (probe), or a secret access key of 40 characters A-Z a-z 0-9 / +",
        default="",
        sensitive=True,
    ),
    DocumentParameter(
        "SessionToken",
        "session_token",
        SESSION_TOKEN_PATTERN,
        f"empty (probe), or a session token of 16 to {MAX_VALUE_CHARS} characters A-Z a-z 0-9 / + =",
        default="",
        sensitive=True,
    ),
)
_BY_FIELD = {p.field: p for p in DOCUMENT_PARAMETERS}
_BY_NAME = {p.name: p for p in DOCUMENT_PARAMETERS}
_COMPILED = {p.name: re.compile(p.pattern) for p in DOCUMENT_PARAMETERS}


def allowed(name: str, value: str) -> bool:
    """Does `value` pass the allow-list of document parameter `name`? (SSM's check, in Python.)"""
    return len(value) <= MAX_VALUE_CHARS and _COMPILED[name].fullmatch(value) is not None


def _join(value: Any, separator: str) -> Any:
    if isinstance(value, list | tuple):
        return separator.join(str(item) for item in value)
    return value


def _region_of(endpoint_name: str, service: str) -> str:
    # vpce-…-….<service>.<region>.vpce.amazonaws.com
    return endpoint_name.split(f".{service}.", 1)[1].split(".", 1)[0]


class InstallParameters(BaseModel):
    """What the install Lambda sends to one node. Build it with `parse_install_parameters`.

    List-valued parameters may be given as lists (`ProbeHosts`, `ExpectedCidrs`), `WaveTags` as a
    mapping, `HostsEntries` as a mapping of name → IP; they are stored in the document's string form.
    Credentials are `SecretStr`: they never appear in `repr`, logs or error messages."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, hide_input_in_errors=True)

    mode: str = Field(alias="Mode")
    region: str = Field(alias="Region")
    s3_endpoint: str = Field(alias="S3Endpoint")
    s3_endpoint_form: str = Field(default=DEFAULT_S3_ENDPOINT_FORM, alias="S3EndpointForm")
    mgn_endpoint: str = Field(default="", alias="MgnEndpoint")
    hosts_entries: str = Field(default="", alias="HostsEntries")
    user_provided_id: str = Field(default="", alias="UserProvidedId")
    wave_tags: str = Field(default="", alias="WaveTags")
    probe_hosts: str = Field(default="", alias="ProbeHosts")
    expected_cidrs: str = Field(alias="ExpectedCidrs")
    min_free_disk_mib: int = Field(default=DEFAULT_MIN_FREE_DISK_MIB, alias="MinFreeDiskMiB")
    access_key_id: SecretStr = Field(default=SecretStr(""), alias="AccessKeyId")
    secret_access_key: SecretStr = Field(default=SecretStr(""), alias="SecretAccessKey")
    session_token: SecretStr = Field(default=SecretStr(""), alias="SessionToken")

    _SECRET_FIELDS: ClassVar[tuple[str, ...]] = ("access_key_id", "secret_access_key", "session_token")

    @field_validator("*", mode="before")
    @classmethod
    def _allow_listed(cls, value: Any, info: ValidationInfo) -> Any:
        spec = _BY_FIELD[str(info.field_name)]
        if spec.field == "wave_tags" and isinstance(value, dict):
            value = " ".join(f"{k}={v}" for k, v in value.items())
        elif spec.field == "hosts_entries" and isinstance(value, dict):
            value = ",".join(f"{ip} {name}" for name, ip in value.items())
        elif spec.field in ("probe_hosts", "expected_cidrs", "hosts_entries"):
            value = _join(value, ",")
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if isinstance(value, int) and not isinstance(value, bool) and spec.field == "min_free_disk_mib":
            value = str(value)
        # Never echo the value: it may be a credential, or a payload meant for a shell.
        if not isinstance(value, str) or not allowed(spec.name, value):
            raise ValueError(f"must be {spec.form}")
        if spec.field == "session_token" and len(value) > MAX_VALUE_CHARS:
            raise ValueError(f"must be {spec.form}")
        return value

    @field_validator("expected_cidrs")
    @classmethod
    def _private_networks(cls, value: str) -> str:
        for cidr in value.split(","):
            network = ipaddress.IPv4Network(cidr, strict=False)
            if str(network) != cidr or not any(network.subnet_of(p) for p in PRIVATE_NETWORKS):
                raise ValueError(f"must be {_BY_FIELD['expected_cidrs'].form}; {cidr} is not")
        return value

    @field_validator("wave_tags")
    @classmethod
    def _tag_keys(cls, value: str) -> str:
        keys = [tag.split("=", 1)[0] for tag in value.split()]
        if any(key.lower().startswith("aws:") for key in keys):
            raise ValueError("must not use the reserved tag prefix aws:")
        if len(set(keys)) != len(keys):
            raise ValueError("must not name a tag key twice")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> InstallParameters:
        # Raised as our typed error: these rules span fields, and the message names the field.
        if _region_of(self.s3_endpoint, "s3") != self.region:
            raise InvalidInputError("S3Endpoint", f"must be an endpoint in {self.region} (the Region)")
        if self.mgn_endpoint and _region_of(self.mgn_endpoint, "mgn") != self.region:
            raise InvalidInputError("MgnEndpoint", f"must be an endpoint in {self.region} (the Region)")
        given = [bool(getattr(self, f).get_secret_value()) for f in self._SECRET_FIELDS]
        if any(given) and not all(given):
            raise InvalidInputError("AccessKeyId", "AccessKeyId, SecretAccessKey and SessionToken go together")
        if self.mode == "install" and not all(given):
            raise InvalidInputError(
                "AccessKeyId", "install mode needs temporary credentials: AccessKeyId, SecretAccessKey, SessionToken"
            )
        networks = [ipaddress.IPv4Network(c) for c in self.expected_cidrs.split(",")]
        for name, ip in self.hosts():
            if not any(ipaddress.IPv4Address(ip) in n for n in networks):
                raise InvalidInputError("HostsEntries", f"{name} must point inside ExpectedCidrs, not at {ip}")
        names = [name for name, _ in self.hosts()]
        if len(set(names)) != len(names):
            raise InvalidInputError("HostsEntries", "must name each host once")
        return self

    # --- views ---

    def hosts(self) -> list[tuple[str, str]]:
        """`HostsEntries` as (name, IP) pairs."""
        pairs = [entry.split(" ", 1) for entry in self.hosts_entries.split(",") if entry]
        return [(name, ip) for ip, name in pairs]

    def installer_host(self) -> str:
        return f"{INSTALLER_BUCKET_PREFIX}-{self.region}.bucket.{self.s3_endpoint}"

    def hashes_host(self) -> str:
        return f"{HASHES_BUCKET_PREFIX}-{self.region}.bucket.{self.s3_endpoint}"

    def installer_s3_endpoint(self) -> str:
        """The value of the installer's `--s3-endpoint`, in the form `S3EndpointForm` names."""
        return installer_s3_endpoint(self.region, self.s3_endpoint, self.s3_endpoint_form)

    def mgn_host(self) -> str:
        """The name the installer calls MGN at: `--endpoint`, else the Region's default name."""
        return self.mgn_endpoint or f"mgn.{self.region}.amazonaws.com"

    def probed_hosts(self) -> list[str]:
        """Every name the node probes: ProbeHosts, then the installer and hash hosts, the installer's
        `--s3-endpoint` and the mgn host."""
        names = [*(h for h in self.probe_hosts.split(",") if h), self.installer_host(), self.hashes_host()]
        names += [self.installer_s3_endpoint(), self.mgn_host()]
        return list(dict.fromkeys(names))

    def to_document_parameters(self) -> dict[str, list[str]]:
        """SendCommand's `Parameters`. Holds the credentials in clear: send it, never log it."""
        return {p.name: [self._text(p)] for p in DOCUMENT_PARAMETERS}

    def redacted_document_parameters(self) -> dict[str, list[str]]:
        """The same with every credential replaced, for logs and reports."""
        return {p.name: ["[REDACTED]" if p.sensitive and self._text(p) else self._text(p)] for p in DOCUMENT_PARAMETERS}

    def _text(self, spec: DocumentParameter) -> str:
        value = getattr(self, spec.field)
        return value.get_secret_value() if isinstance(value, SecretStr) else str(value)


def installer_s3_endpoint(region: str, s3_endpoint: str, form: str) -> str:
    """The installer's `--s3-endpoint` for the S3 interface endpoint's regional name `s3_endpoint`."""
    if form == "bucket":
        return f"bucket.{s3_endpoint}"
    if form == "regional":
        return s3_endpoint
    return f"{INSTALLER_BUCKET_PREFIX}-{region}.bucket.{s3_endpoint}"


def parse_install_parameters(data: Mapping[str, Any]) -> InstallParameters:
    """Validate `data` (keys: the document's names or the field names), or raise InvalidInputError
    naming the first bad parameter and its allowed form. Values are never echoed."""
    if not isinstance(data, dict):
        raise InvalidInputError("(input)", f"must be a mapping of document parameters, got {type(data).__name__}")
    try:
        return InstallParameters.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = str(first["loc"][0]) if first["loc"] else ""
        spec = _BY_FIELD.get(loc) or _BY_NAME.get(loc)
        field = spec.name if spec else (loc or "(input)")
        if first["type"] == "extra_forbidden":
            problem = "unknown parameter; the document has: " + ", ".join(_BY_NAME)
        elif first["type"] == "missing":
            problem = f"required; must be {spec.form}" if spec else "required"
        else:
            problem = str(first["msg"]).removeprefix("Value error, ")
        raise InvalidInputError(field, problem) from None
