"""The Linux script's allow-list check gives the verdict of the whole-value pattern, value for value.

SSM (`allowedPattern`), Python and the Windows script match each value against its whole pattern.
The Linux script checks a list item by item (`ListForm`: item pattern, separator, most items), which
costs bash a fraction of the whole pattern's regex compilation, and any other value as a single item.
Here bash runs the script's own `allow_listed` calls, once, over a few hundred generated values
(valid values, values one mutation away, lists one item too long, values over MAX_VALUE_CHARS), and
each verdict must be `parameters.allowed`'s. A refusal names the parameter and never the value."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from agent.document import LINUX_SCRIPT
from mgn_wave.agent_install.parameters import DOCUMENT_PARAMETERS, MAX_VALUE_CHARS, DocumentParameter, allowed

SCRIPT = LINUX_SCRIPT.read_text(encoding="ascii")
# The script's own check of each parameter, as read_parameters runs it.
CALL = re.compile(r'^\s*(allow_listed (\w+) "\$(\w+)" .*) \|\| ok=0$', re.MULTILINE)
CALLS = {match[2]: (match[3], match[1]) for match in CALL.finditer(SCRIPT)}
# Characters a mutation inserts: separators, whitespace, shell metacharacters, a non-ASCII letter.
NOISE = [",", " ", "  ", ";", "\n", "\t", ".", "-", "=", "/", "A", "z", "0", "$", "`", "*", "é", "\u0660"]


@dataclass(frozen=True)
class Case:
    name: str
    value: str


def _separator(spec: DocumentParameter) -> str:
    return spec.items.separator if spec.items is not None else "\n"


@st.composite
def _valid(draw: st.DrawFn, spec: DocumentParameter) -> str:
    if spec.items is None:
        return draw(st.from_regex(spec.pattern, fullmatch=True))
    item = st.from_regex(spec.items.item_pattern, fullmatch=True)
    low = 1 if spec.items.required else 0
    return spec.items.separator.join(draw(st.lists(item, min_size=low, max_size=spec.items.max_items)))


@st.composite
def _mutated(draw: st.DrawFn, spec: DocumentParameter) -> str:
    value = draw(_valid(spec))
    separator = _separator(spec)
    kind = draw(st.sampled_from(["lead", "trail", "double", "insert", "delete", "replace"]))
    at = draw(st.integers(0, len(value)))
    if kind == "lead":
        return separator + value
    if kind == "trail":
        return value + separator
    if kind == "double":
        cut = value.find(separator, at)
        return value[:cut] + separator + value[cut:] if cut >= 0 else value + separator + separator
    if kind == "delete":
        return value[:at] + value[at + 1 :]
    noise = draw(st.sampled_from(NOISE))
    return value[:at] + noise + value[at + (kind == "replace") :]


@st.composite
def _too_many(draw: st.DrawFn, spec: DocumentParameter) -> str:
    if spec.items is None:
        return draw(_valid(spec)) + "\n" + draw(_valid(spec))
    item = st.from_regex(spec.items.item_pattern, fullmatch=True)
    count = spec.items.max_items + draw(st.integers(1, 3))
    return spec.items.separator.join(draw(st.lists(item, min_size=count, max_size=count)))


@st.composite
def _over_long(draw: st.DrawFn, spec: DocumentParameter) -> str:
    value = draw(_valid(spec)) or "a"
    # Repeated past MAX_VALUE_CHARS; the first MAX_VALUE_CHARS characters of a valid value pass too.
    long = (value * (MAX_VALUE_CHARS // len(value) + 2))[: MAX_VALUE_CHARS + draw(st.integers(-1, 2))]
    return long


def _collect(strategy: st.SearchStrategy[str], examples: int, name: str, into: list[Case]) -> None:
    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(value=strategy)
    def collect(value: str) -> None:
        if "\x00" not in value:  # an environment variable cannot hold one
            into.append(Case(name, value))

    collect()


def _cases() -> list[Case]:
    """A few hundred values, the same every run (derandomized); a list gets more than a single value."""
    cases: list[Case] = []
    for spec in DOCUMENT_PARAMETERS:
        scale = 4 if spec.items is not None else 1
        for strategy, examples in (
            (_valid(spec), 8),
            (_mutated(spec), 10),
            (_too_many(spec), 2),
            (_over_long(spec), 1),
            (st.text(max_size=30), 3),
        ):
            _collect(strategy, examples * scale, spec.name, cases)
    # The edges, always: empty, a lone separator, exactly MAX_VALUE_CHARS and one more.
    for spec in DOCUMENT_PARAMETERS:
        for value in ("", _separator(spec), "a" * MAX_VALUE_CHARS, "a" * (MAX_VALUE_CHARS + 1)):
            cases.append(Case(spec.name, value))
    return cases


def _bash_verdicts(cases: list[Case]) -> list[tuple[str, str]]:
    """Runs the script's definitions (everything but `main "$@"`), then its own allow_listed call of
    each case's parameter with the value in that call's variable; the values travel NUL-separated on
    stdin and never come back. One line per case: `ok`, or the finding's detail."""
    assert SCRIPT.rstrip().endswith('main "$@"')
    definitions = SCRIPT.rstrip().removesuffix('main "$@"')
    branches = "".join(f"    {name}) {var}=$value; {call} || ok=0 ;;\n" for name, (var, call) in CALLS.items())
    driver = (
        "trap - EXIT ERR\n"
        "while IFS= read -r -d '' name && IFS= read -r -d '' value; do\n"
        "  ok=1 finding_codes=() finding_details=()\n"
        "  case $name in\n" + branches + "  esac\n"
        "  if (( ok )); then echo ok; else printf '%s\\n' \"${finding_details[*]}\"; fi\n"
        "done\n"
    )
    stdin = b"".join(case.name.encode() + b"\0" + case.value.encode() + b"\0" for case in cases)
    run = subprocess.run(
        ["/bin/bash", "-c", definitions + driver],
        input=stdin,
        capture_output=True,
        env={"PATH": "/usr/bin:/bin"},
        check=False,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr.decode(errors="replace")[-2000:]
    lines = run.stdout.decode().splitlines()
    assert len(lines) == len(cases), run.stderr.decode(errors="replace")[-2000:]
    return list(zip([c.name for c in cases], lines, strict=True))


@pytest.fixture(scope="module")
def verdicts() -> list[tuple[Case, str]]:
    cases = _cases()
    return list(zip(cases, [line for _, line in _bash_verdicts(cases)], strict=True))


def test_install_script_checks_every_parameter_with_allow_listed() -> None:
    assert sorted(CALLS) == sorted(spec.name for spec in DOCUMENT_PARAMETERS)


def test_install_script_allow_list_verdicts_are_the_whole_patterns_on_generated_values(
    verdicts: list[tuple[Case, str]],
) -> None:
    # Given a few hundred values, valid and not, for every parameter
    # Then bash's verdict is Python's (= SSM's allowedPattern) for each, naming the first that differs
    differing = [
        (case.name, case.value[:80], line)
        for case, line in verdicts
        if (line == "ok") != allowed(case.name, case.value)
    ]
    assert differing == []
    # And the sample is not one-sided: plenty of lists pass and plenty fail (Mode has two valid values)
    for spec in DOCUMENT_PARAMETERS:
        passed = sum(1 for case, line in verdicts if case.name == spec.name and line == "ok")
        failed = sum(1 for case, line in verdicts if case.name == spec.name and line != "ok")
        least = (20, 40) if spec.items is not None else (2, 10)
        assert passed >= least[0], spec.name
        assert failed >= least[1], spec.name


def test_install_script_allow_list_refusal_names_the_parameter_never_the_value(
    verdicts: list[tuple[Case, str]],
) -> None:
    for case, line in verdicts:
        if line != "ok":
            assert line == f"{case.name} does not match its allow-list (value not shown)"
