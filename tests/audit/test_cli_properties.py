"""Property-based: any flag values an operator can type either get past validation to the first AWS
client, or are refused - exit 1 with one line naming the flag and its allowed form (a click usage
error: exit 2, naming the flag) - never a traceback, and never with an AWS client made or an AWS
call sent. 1,000 generated cases per command, derandomized; the figures print at the end of `make test`.

Each generated value is judged by the allowed forms stated here (the stack parameters'
AllowedPattern in template.yaml and the models' documented forms), never by how it was made."""

from __future__ import annotations

import ipaddress
import operator
import os
import re
import string
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn
from unittest import mock

import botocore.client
import figures
import pytest
import typer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError
from typer.testing import CliRunner

from mgn_wave_cli.main import app

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from typer.testing import Result

EXAMPLES = 1000
COMMAND = typer.main.get_command(app)
ENV_REGION = "eu-west-1"  # AWS_REGION while the properties run: where a case without --region goes

# --- the allowed forms ------------------------------------------------------------------------

REGION = re.compile(r"[a-z]{2,4}(-[a-z]+){1,2}-[0-9]{1,2}")  # every Region botocore knows (mgn_wave.core.ids)
# AWS issues 8 or 17 hex digits; the shared models hold 8..17 (network.py), and so does this.
VPC_ID = re.compile(r"vpc-[0-9a-f]{8,17}")
SUBNET_ID = re.compile(r"subnet-[0-9a-f]{8,17}")
SG_ID = re.compile(r"sg-[0-9a-f]{8,17}")
MAX_SGS = 32
WAVE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}")
INSTANCE_ID = re.compile(r"i-[0-9a-f]{8}|i-[0-9a-f]{17}|mi-[0-9a-f]{17}")
TEMPLATE_ID = re.compile(r"rct-[0-9a-zA-Z]{17}")  # stack parameter ReplicationTemplateId
INSTANCE_TYPE = re.compile(r"[a-z0-9]+\.[a-z0-9]+")  # stack parameter ReplicationServerInstanceType
WAVE_TAG_KEY = re.compile(r"[A-Za-z0-9 _.:/+@-]{1,128}")  # stack parameter WaveTagKey
STAGE = re.compile(r"test|cutover|finalize")  # `launch STAGE` (a revert is `mgn-wave revert`)
SOURCE_SERVER_ID = re.compile(r"s-[0-9a-zA-Z]{17}")  # MGN's source server IDs (botocore mgn model)
APPROVER = re.compile(r"[A-Za-z0-9 _.@+=,-]{1,128}")
MAX_BANDWIDTH_MBPS = 10000
STACK_NAME = re.compile(
    r"[A-Za-z][-A-Za-z0-9]{0,127}"
    r"|arn:aws[a-z-]*:cloudformation:[a-z0-9-]+:[0-9]{12}:stack/[A-Za-z][-A-Za-z0-9]{0,127}/[-A-Za-z0-9]+"
)
_STATES = r"arn:aws[a-z-]*:states:[a-z0-9-]+:[0-9]{12}"
STATE_MACHINE_ARN = re.compile(_STATES + r":stateMachine:[A-Za-z0-9_.-]{1,80}")
# An execution name: no whitespace, brackets, wildcards, control or special characters (AWS's rule).
EXECUTION_ARN = re.compile(
    _STATES + r":execution:[A-Za-z0-9_.-]{1,80}:[^\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]{1,80}"
)
_INTEGER = TypeAdapter(int)  # how typer reads an int flag

# What the refusal must say about the allowed form, per flag (any one of them).
FORM_HINTS = {
    "--region": ("like 'us-east-1'",),
    "--staging-vpc": ("'vpc-' followed by",),
    "--staging-subnet": ("'subnet-' followed by",),
    "--replication-sg": ("'sg-' followed by", f"1..{MAX_SGS}", "twice"),
    "--source-cidr": ("CIDR form", "twice"),
    "--wave": ("should match pattern", "needed with"),
    "--instance-id": ("should match pattern",),
    "--bandwidth-mbps": (f"less than or equal to {MAX_BANDWIDTH_MBPS}", "greater than or equal to 0", "valid integer"),
    "--template-id": ("'rct-' followed by",),
    "--instance-type": ("instance type like",),
    "--wave-tag-key": ("1..128 of",),
    "--stack-name": ("a letter, then letters, digits", "give exactly one"),
    "--state-machine-arn": ("stateMachine:<name>", "give exactly one"),
    "--execution-arn": ("execution:<state machine>:<name>", "give it alone"),
    "STAGE": ("is not test, cutover or finalize",),
    "WAVE": ("should match pattern", "is not a wave name"),
    "--source-server-id": ("should match pattern",),
    "--approver": ("1..128 of",),
}
USAGE_HINTS = ("Missing option", "Invalid value")
_REFUSAL = re.compile(r"error: (--[a-z-]+|[A-Z]+(?=:))")
_USAGE = re.compile(r"(?:Missing option|Invalid value for) '(--[a-z-]+)'")


def _cidr(value: str) -> ipaddress.IPv4Network | None:
    try:
        return ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        return None


def _region_of(arn: str) -> str | None:
    """An ARN's Region field (what a valid ARN's client is made for)."""
    fields = arn.split(":")
    return fields[3] if len(fields) > 3 else None


def _integer(value: str) -> int | None:
    try:
        return _INTEGER.validate_python(value)
    except ValidationError:
        return None


# --- values: valid ones, valid ones mangled, and hostile text ---------------------------------

# What a slip of the keyboard or an attacker adds: shell metacharacters, whitespace, rich markup,
# look-alike and invisible unicode, non-ASCII digits. argv cannot hold NUL; nothing here does.
_AFFIXES = (
    *(";", "|", "&", "$", "(", ")", "`", "'", '"', "\\", "$(id)", "`id`", "; rm -rf /", "&& reboot"),
    *(" ", "\n", "\t", "\r", "\u00a0", "\u2028", "\u200b", "-", "/", ":", "*", "..", "%s", "{}"),
    *("[/x]", "[bold]", "[", "é", "\u0130", "\u0661", "\uff10", "\U0001f600"),
)
_TEXT = st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), max_size=40)
_SHELL = st.lists(st.sampled_from(_AFFIXES), min_size=1, max_size=6).map("".join)
_LONG = st.builds(operator.mul, st.sampled_from(("a", "0", "é;", "vpc-", " ", "[/x]")), st.integers(81, 4000))
HOSTILE = st.one_of(st.just(""), _TEXT, _SHELL, _LONG)


@st.composite
def _mangled(draw: st.DrawFn, valid: st.SearchStrategy[str]) -> str:
    value = draw(valid)
    affix = draw(st.sampled_from(_AFFIXES))
    at = draw(st.integers(0, len(value)))
    how = draw(st.sampled_from(("prefix", "suffix", "infix", "cut", "upper", "double")))
    mangled = {
        "prefix": affix + value,
        "suffix": value + affix,
        "infix": value[:at] + affix + value[at:],
        "cut": value[:at],
        "upper": value.upper(),
        "double": value + value,
    }
    return mangled[how]


def wild(valid: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Mostly near misses and hostile text; now and then a valid value."""
    return st.one_of(_mangled(valid), HOSTILE, _mangled(valid), HOSTILE, valid)


# Valid values, built from a few cheap draws (a regex drawn character by character is slow).
_ALNUM = string.ascii_letters + string.digits
_BASE62 = string.digits + string.ascii_letters


def _hex_id(*forms: tuple[str, int]) -> st.SearchStrategy[str]:
    """`prefix` + `width` hex digits, for each (prefix, width) form."""
    return st.builds(
        lambda form, n: f"{form[0]}{n % 16 ** form[1]:0{form[1]}x}", st.sampled_from(forms), st.integers(0, 16**17 - 1)
    )


def _base62(n: int, width: int) -> str:
    digits = []
    for _ in range(width):
        n, digit = divmod(n, 62)
        digits.append(_BASE62[digit])
    return "".join(digits)


def _name(first: str, rest: str, max_size: int) -> st.SearchStrategy[str]:
    return st.builds(operator.add, st.sampled_from(first), st.text(rest, max_size=max_size))


VALID_REGION = st.sampled_from(
    ("us-east-1", "eu-west-2", "ap-northeast-1", "us-gov-west-1", "il-central-1", "eusc-de-east-1")
) | (
    st.builds(
        "{}-{}-{}".format,
        st.sampled_from(("us", "eu", "ap", "sa", "ca", "me", "af", "mx", "xx")),
        st.sampled_from(("east", "west", "north", "south", "central", "southeast", "gov-west", "isob-east")),
        st.integers(0, 99),
    )
)
VALID_VPC = _hex_id(("vpc-", 8), ("vpc-", 17))
VALID_SUBNET = _hex_id(("subnet-", 8), ("subnet-", 17))
VALID_SG = _hex_id(("sg-", 8), ("sg-", 17))
VALID_CIDR = st.builds(
    lambda ip, prefix: str(ipaddress.IPv4Network((ip, prefix), strict=False)),
    st.integers(0, 2**32 - 1),
    st.integers(0, 32),
)
VALID_WAVE = st.sampled_from(("wave-01", "W1", "cutover.2026-01_b", "w" * 80)) | _name(_ALNUM, _ALNUM + "._-", 79)
VALID_INSTANCE_ID = _hex_id(("i-", 8), ("i-", 17), ("mi-", 17))
VALID_TEMPLATE_ID = st.integers(0, 62**17 - 1).map(lambda n: "rct-" + _base62(n, 17))
VALID_INSTANCE_TYPE = st.sampled_from(("t3.small", "m5.large", "c6i.xlarge", "r5.24xlarge")) | st.builds(
    "{}.{}".format,
    st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=6),
    st.sampled_from(("nano", "2xlarge", "metal")),
)
VALID_WAVE_TAG_KEY = st.sampled_from(("MigrationWave", "migration:wave", "team/wave", "Wave @ 1", "k" * 128)) | (
    st.text(_ALNUM + " _.:/+@-", min_size=1, max_size=40)
)
VALID_BANDWIDTH = st.integers(0, MAX_BANDWIDTH_MBPS).map(str)
VALID_STAGE = st.sampled_from(("test", "cutover", "finalize"))
VALID_SOURCE_SERVER_ID = st.integers(0, 62**17 - 1).map(lambda n: "s-" + _base62(n, 17))
VALID_APPROVER = st.sampled_from(("alice", "ops@example.com", "Jane Doe", "a" * 128)) | st.text(
    _ALNUM + " _.@+=,-", min_size=1, max_size=40
)
_ACCOUNT = st.integers(0, 10**12 - 1).map("{:012d}".format)
_PARTITION = st.sampled_from(("aws", "aws-us-gov", "aws-cn"))
_MACHINE_NAME = st.sampled_from(("mgn-wave-MigrateWave", "m")) | _name(_ALNUM, _ALNUM + "_.-", 79)
VALID_STATE_MACHINE_ARN = st.builds(
    "arn:{}:states:{}:{}:stateMachine:{}".format, _PARTITION, VALID_REGION, _ACCOUNT, _MACHINE_NAME
)
VALID_EXECUTION_ARN = st.builds(
    "arn:{}:states:{}:{}:execution:{}:{}".format,
    _PARTITION,
    VALID_REGION,
    _ACCOUNT,
    _MACHINE_NAME,
    st.sampled_from(("wave-01-20260105T0900Z-3f9a", "vågen-1", "x" * 80)) | _name(_ALNUM, _ALNUM + "_-.@!=+", 79),
)
VALID_STACK_NAME = _name(string.ascii_letters, _ALNUM + "-", 127) | st.builds(
    "arn:{}:cloudformation:{}:{}:stack/{}/{}".format,
    _PARTITION,
    VALID_REGION,
    _ACCOUNT,
    st.just("mgn-wave"),
    st.uuids().map(str),
)
_NOT_QUITE_INTEGERS = ("1_000", " 7 ", "+5", "7.0", "7.5", "1e3", "0x10", "\u0661\u0662", "-0", "--1", "1,000")
WILD_BANDWIDTH = st.one_of(
    wild(VALID_BANDWIDTH), st.integers(-(10**30), 10**30).map(str), st.sampled_from(_NOT_QUITE_INTEGERS)
)


# --- a case: the argv, and what the allowed forms say must happen --------------------------------


@dataclass(frozen=True)
class Case:
    argv: tuple[str, ...]
    usage_errors: frozenset[str]  # flags click itself must refuse (missing, not an integer): exit 2
    refusals: frozenset[str]  # flags whose value is outside its allowed form: exit 1
    first_client: tuple[str, str | None]  # (service, region) of the first AWS client, when all is valid


class _Flags:
    """Draws a case's `--flag=value` arguments: valid, but for the few flags the case made wild
    (none in about a third of the cases), which get near misses and hostile text. Records the
    flags whose values are outside their allowed form."""

    def __init__(self, draw: st.DrawFn, command: str, flags: tuple[str, ...]) -> None:
        self.draw = draw
        self.wild = frozenset(draw(st.sets(st.sampled_from(flags), max_size=3)))
        self.argv: list[str] = [command]
        self.usage_errors: set[str] = set()
        self.refusals: set[str] = set()
        self.positionals: list[str] = []

    def _add(self, flag: str, value: str) -> None:
        self.argv.append(f"{flag}={value}")

    def value(
        self, flag: str, valid: st.SearchStrategy[str], form: re.Pattern[str], *, optional: bool = False
    ) -> str | None:
        """A flag given once (an optional one, unless wild, maybe not at all); None if not given."""
        if optional and flag not in self.wild and self.draw(st.booleans()):
            return None
        value = self.draw(wild(valid) if flag in self.wild else valid)
        self._add(flag, value)
        if form.fullmatch(value) is None:
            self.refusals.add(flag)
        return value

    def values(self, flag: str, valid: st.SearchStrategy[str], *, required: bool = True) -> list[str]:
        """A repeatable flag: 1..3 distinct valid values (none, if optional), or, wild, any."""
        if flag in self.wild:
            values = self.draw(st.lists(wild(valid), max_size=3))
        else:
            values = self.draw(st.lists(valid, min_size=1 if required else 0, max_size=3, unique=True))
        for value in values:
            self._add(flag, value)
        if required and not values:
            self.usage_errors.add(flag)
        return values

    def switch(self, flag: str) -> None:
        if self.draw(st.booleans()):
            self.argv.append(flag)

    def positional(self, name: str, valid: st.SearchStrategy[str], form: re.Pattern[str]) -> str:
        """An argument (after `--`, so text that starts with '-' stays an argument, as a shell passes it)."""
        value = self.draw(wild(valid) if name in self.wild else valid)
        self.positionals.append(value)
        if form.fullmatch(value) is None:
            self.refusals.add(name)
        return value

    def case(self, first_client: tuple[str, str | None]) -> Case:
        argv = (*self.argv, "--", *self.positionals) if self.positionals else tuple(self.argv)
        return Case(argv, frozenset(self.usage_errors), frozenset(self.refusals), first_client)


NETWORK_FLAGS = ("--staging-vpc", "--staging-subnet", "--replication-sg", "--source-cidr", "--region")


def _staging_network(flags: _Flags) -> str | None:
    """The staging network flags; the Region the case's client is made in."""
    flags.value("--staging-vpc", VALID_VPC, VPC_ID)
    flags.value("--staging-subnet", VALID_SUBNET, SUBNET_ID)
    if "--replication-sg" in flags.wild and flags.draw(st.booleans()):  # one too many
        sgs = flags.draw(st.lists(VALID_SG, min_size=MAX_SGS + 1, max_size=MAX_SGS + 1, unique=True))
        flags.argv.extend(f"--replication-sg={sg}" for sg in sgs)
    else:
        sgs = flags.values("--replication-sg", VALID_SG)
    if sgs and not (len(sgs) <= MAX_SGS and len(set(sgs)) == len(sgs) and all(SG_ID.fullmatch(sg) for sg in sgs)):
        flags.refusals.add("--replication-sg")
    networks = [_cidr(cidr) for cidr in flags.values("--source-cidr", VALID_CIDR)]
    if None in networks or len(set(networks)) != len(networks):
        flags.refusals.add("--source-cidr")
    return flags.value("--region", VALID_REGION, REGION, optional=True) or ENV_REGION


@st.composite
def preflight_cases(draw: st.DrawFn) -> Case:
    flags = _Flags(draw, "preflight", NETWORK_FLAGS)
    region = _staging_network(flags)
    flags.switch("--json")
    return flags.case(("ec2", region))


TEMPLATE_FLAGS = (*NETWORK_FLAGS, "--wave", "--template-id", "--instance-type", "--wave-tag-key", "--bandwidth-mbps")


def _template_cases(*, dry_run: bool) -> st.SearchStrategy[Case]:
    @st.composite
    def cases(draw: st.DrawFn) -> Case:
        flags = _Flags(draw, "template", TEMPLATE_FLAGS)
        flags.value("--wave", VALID_WAVE, WAVE)
        region = _staging_network(flags)
        flags.value("--template-id", VALID_TEMPLATE_ID, TEMPLATE_ID, optional=True)
        flags.value("--instance-type", VALID_INSTANCE_TYPE, INSTANCE_TYPE, optional=True)
        flags.value("--wave-tag-key", VALID_WAVE_TAG_KEY, WAVE_TAG_KEY, optional=True)
        if "--bandwidth-mbps" in flags.wild or draw(st.booleans()):
            bandwidth = draw(WILD_BANDWIDTH if "--bandwidth-mbps" in flags.wild else VALID_BANDWIDTH)
            flags.argv.append(f"--bandwidth-mbps={bandwidth}")
            mbps = _integer(bandwidth)
            if mbps is None:
                flags.usage_errors.add("--bandwidth-mbps")
            elif not 0 <= mbps <= MAX_BANDWIDTH_MBPS:
                flags.refusals.add("--bandwidth-mbps")
        if dry_run:
            flags.argv.append("--dry-run")
        flags.switch("--json")
        # MigrateWave's MGN client is made first (the EC2 one follows it).
        return flags.case(("mgn", region))

    return cases()


def _state_machine(flags: _Flags, region: str | None) -> tuple[str, str | None]:
    """--stack-name or --state-machine-arn (wild: or both, or neither); the first client's (service, Region)."""
    given = flags.draw(
        st.sampled_from(
            ("stack", "machine", "both", "neither") if "--stack-name" in flags.wild else ("stack", "machine")
        )
    )
    stack = flags.value("--stack-name", VALID_STACK_NAME, STACK_NAME) if given in ("stack", "both") else None
    machine = (
        flags.value("--state-machine-arn", VALID_STATE_MACHINE_ARN, STATE_MACHINE_ARN)
        if given in ("machine", "both")
        else None
    )
    if (stack is None) == (machine is None):
        flags.refusals.update({"--stack-name", "--state-machine-arn"})
    if machine is not None:
        return ("stepfunctions", _region_of(machine))
    return ("cloudformation", region)


START_FLAGS = ("--wave", "--instance-id", "--region", "--stack-name", "--state-machine-arn", "--wave-tag-key")


@st.composite
def start_cases(draw: st.DrawFn) -> Case:
    flags = _Flags(draw, "start", START_FLAGS)
    flags.value("--wave", VALID_WAVE, WAVE)
    for instance_id in flags.values("--instance-id", VALID_INSTANCE_ID, required=False):
        if INSTANCE_ID.fullmatch(instance_id) is None:
            flags.refusals.add("--instance-id")
    region = flags.value("--region", VALID_REGION, REGION, optional=True)
    first_client = _state_machine(flags, region)
    flags.value("--wave-tag-key", VALID_WAVE_TAG_KEY, WAVE_TAG_KEY, optional=True)
    for switch in ("--dry-run", "--force", "--json"):
        flags.switch(switch)
    return flags.case(first_client)


EXECUTION_FLAGS = ("--execution-arn", "--wave", "--region", "--stack-name", "--state-machine-arn")


def _execution_cases(command: str) -> st.SearchStrategy[Case]:
    @st.composite
    def cases(draw: st.DrawFn) -> Case:
        flags = _Flags(draw, command, EXECUTION_FLAGS)
        region = flags.value("--region", VALID_REGION, REGION, optional=True)
        flags.switch("--json")
        if draw(st.booleans()):  # --execution-arn, alone or (wild) with --wave or --stack-name too
            arn = flags.value("--execution-arn", VALID_EXECUTION_ARN, EXECUTION_ARN)
            extra = draw(st.sampled_from((None, "--wave", "--stack-name"))) if "--execution-arn" in flags.wild else None
            if extra is not None:
                flags.argv.append(f"{extra}={draw(VALID_WAVE if extra == '--wave' else VALID_STACK_NAME)}")
                flags.refusals.add("--execution-arn")
            return flags.case(("stepfunctions", _region_of(arn or "")))
        # --wave with --stack-name or --state-machine-arn (wild: --wave may be missing)
        if "--wave" in flags.wild and draw(st.booleans()):
            flags.refusals.add("--wave")
        else:
            flags.value("--wave", VALID_WAVE, WAVE)
        return flags.case(_state_machine(flags, region))

    return cases()


LAUNCH_FLAGS = ("STAGE", "WAVE", "--source-server-id", "--region", "--stack-name")


def _launch_stack(flags: _Flags) -> tuple[str, str | None]:
    """--region (optional) and --stack-name: the stack's outputs name LaunchWave and the state table."""
    region = flags.value("--region", VALID_REGION, REGION, optional=True)
    flags.value("--stack-name", VALID_STACK_NAME, STACK_NAME)
    if flags.argv[0] != "approve":  # approve prints no JSON
        flags.switch("--json")
    return ("cloudformation", region)


@st.composite
def launch_cases(draw: st.DrawFn) -> Case:
    flags = _Flags(draw, "launch", LAUNCH_FLAGS)
    flags.positional("STAGE", VALID_STAGE, STAGE)
    flags.positional("WAVE", VALID_WAVE, WAVE)
    for server_id in flags.values("--source-server-id", VALID_SOURCE_SERVER_ID, required=False):
        if SOURCE_SERVER_ID.fullmatch(server_id) is None:
            flags.refusals.add("--source-server-id")
    for switch in ("--dry-run", "--archive"):
        flags.switch(switch)
    return flags.case(_launch_stack(flags))


@st.composite
def revert_cases(draw: st.DrawFn) -> Case:
    flags = _Flags(draw, "revert", ("WAVE", "--region", "--stack-name"))
    flags.positional("WAVE", VALID_WAVE, WAVE)
    return flags.case(_launch_stack(flags))


@st.composite
def approve_cases(draw: st.DrawFn) -> Case:
    flags = _Flags(draw, "approve", ("WAVE", "--approver", "--region", "--stack-name"))
    flags.positional("WAVE", VALID_WAVE, WAVE)
    flags.value("--approver", VALID_APPROVER, APPROVER, optional=True)
    return flags.case(_launch_stack(flags))


# --- the guard: no AWS client, no AWS call ----------------------------------------------------


class AwsReached(Exception):  # noqa: N818 - a signal, not an error
    """Raised where the CLI first makes an AWS client: everything before it was validation."""


@dataclass
class AwsGuard:
    clients: list[tuple[str, str | None]]
    calls: list[str]

    def client(self, service: str, *_: Any, region_name: str | None = None, **__: Any) -> NoReturn:
        self.clients.append((service, region_name))
        raise AwsReached(service)

    def api_call(self, operation: str) -> NoReturn:
        self.calls.append(operation)
        raise AwsReached(operation)


@pytest.fixture
def aws_guard() -> Iterator[AwsGuard]:
    """boto3.client records and refuses; any API call on any client (the backstop) too; and the
    environment points nowhere real, with fake credentials."""
    guard = AwsGuard(clients=[], calls=[])

    def make_api_call(_client: object, operation: str, _params: object) -> NoReturn:
        guard.api_call(operation)

    environment = {
        "AWS_REGION": ENV_REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    with (
        mock.patch.dict(os.environ, environment),
        mock.patch("boto3.client", guard.client),
        mock.patch.object(botocore.client.BaseClient, "_make_api_call", make_api_call),
    ):
        yield guard


# --- the property ------------------------------------------------------------------------------


def _named_flag(text: str) -> str | None:
    match = _REFUSAL.search(text) or _USAGE.search(text)
    return match.group(1) if match else None


def _judge(case: Case, result: Result, guard: AwsGuard) -> str:
    """What happened to one case, asserted against what its flags' forms say; the outcome's name."""
    text = " ".join(result.output.split())  # rich wraps at 80 columns
    where = f"argv={list(case.argv)!r}\noutput={result.output!r}"
    # Then: never a traceback, whatever the input
    assert "Traceback" not in result.output, where
    assert result.exception is None or isinstance(result.exception, SystemExit | AwsReached), (
        f"unhandled {result.exception!r}\n{where}"
    )
    assert not guard.calls, f"AWS called: {guard.calls}\n{where}"
    expected = case.usage_errors or case.refusals
    if not expected:
        # Then: every value valid - past validation, to the first AWS client, in the right Region
        assert isinstance(result.exception, AwsReached), where
        assert guard.clients == [case.first_client], where
        return "accepted"
    # Then: refused before any AWS client, naming a bad flag and its allowed form
    assert not guard.clients, f"AWS client made for bad input: {guard.clients}\n{where}"
    flag = _named_flag(text)
    assert flag in expected, f"expected one of {sorted(expected)} named\n{where}"
    if case.usage_errors:
        assert result.exit_code == 2, where  # click's usage error
        assert any(hint in text for hint in USAGE_HINTS), where
        return "usage"
    assert result.exit_code == 1, where  # the CLI's documented "error"
    assert any(hint in text for hint in FORM_HINTS[flag]), f"{flag}'s allowed form not stated\n{where}"
    return "refused"


COMMANDS: dict[str, Callable[[], st.SearchStrategy[Case]]] = {
    "preflight": preflight_cases,
    "template": lambda: _template_cases(dry_run=False),
    "template --dry-run": lambda: _template_cases(dry_run=True),
    "start": start_cases,
    "status": lambda: _execution_cases("status"),
    "report": lambda: _execution_cases("report"),
    "launch": launch_cases,
    "revert": revert_cases,
    "approve": approve_cases,
}


@pytest.mark.parametrize("command", COMMANDS)
def test_properties_any_flags_reach_aws_valid_or_are_refused_naming_the_flag(command: str, aws_guard: AwsGuard) -> None:
    runner = CliRunner()
    outcomes: Counter[str] = Counter()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=COMMANDS[command]())
    def check(case: Case) -> None:
        # Given: flags typed by an operator - or an attacker
        aws_guard.clients.clear()
        aws_guard.calls.clear()
        # When
        result = runner.invoke(app, list(case.argv))
        # Then
        outcomes[_judge(case, result, aws_guard)] += 1

    # typer.testing makes the click command anew per invoke (~4 ms); made once, it is the same one.
    with mock.patch("typer.testing._get_command", lambda _app: COMMAND):
        check()
    cases = sum(outcomes.values())
    figures.record(
        f"\ncli-properties: {command} {cases} cases, {outcomes['refused']} refused naming the flag and "
        f"its form (exit 1), {outcomes['usage']} click usage errors naming the flag (exit 2), "
        f"{outcomes['accepted']} accepted (reached AWS only past validation), 0 unhandled, "
        "0 AWS clients or calls on bad input"
    )
    assert cases >= EXAMPLES
    assert outcomes["accepted"] and outcomes["refused"]
