"""The README's architecture diagram and state chain match the state machine and the template."""

from __future__ import annotations

import json
import re
from typing import Any

from mgn_wave_emu.stack import REPO_ROOT, load_template

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
ARCHITECTURE = README[README.index("## Architecture") :]
MERMAID = ARCHITECTURE[ARCHITECTURE.index("```mermaid") : ARCHITECTURE.index("```\n", 10) + 3]
CHAIN = ARCHITECTURE[ARCHITECTURE.index("```\nValidateInput") :]
CHAIN = CHAIN[: CHAIN.index("```\n", 4)]
ASL = json.loads((REPO_ROOT / "statemachine/migrate_wave.asl.json").read_text(encoding="utf-8"))
STATE_NAME = re.compile(r"\b[A-Z][a-z]+(?:[A-Z][a-z]+)+\??")


def _states(states: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for name, state in states.items():
        found[name] = state
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            found |= _states(processor["States"])
    return found


STATES = _states(ASL["States"])
LAMBDA_TASKS = {n for n, s in STATES.items() if str(s.get("Resource", "")).startswith("arn:aws:states:::lambda:invoke")}


def _named(text: str, name: str) -> bool:
    return re.search(rf"(?<![A-Za-z]){re.escape(name)}(?![A-Za-z?])", text) is not None


def test_readme_chain_names_every_state_and_no_other() -> None:
    missing = {name for name in STATES if not _named(CHAIN, name)}
    # a CamelCase name in the chain that is no state is a state renamed or removed
    unknown = set(STATE_NAME.findall(CHAIN)) - set(STATES)
    assert not missing, f"states the README's chain does not show: {missing}"
    assert not unknown, f"names in the README's chain that are not states: {unknown}"


def test_readme_chain_routes_each_refusal_the_asl_catches() -> None:
    refusing = {n for n, s in STATES.items() if any(c.get("Next") == "ExplainStop" for c in s.get("Catch", []))}
    line = next(line for line in CHAIN.splitlines() if "ExplainStop" in line)
    assert refusing == set(STATE_NAME.findall(line)) - {"ExplainStop"}


def test_readme_diagram_shows_every_lambda_as_built_and_nothing_later() -> None:
    functions = {
        name.removesuffix("Function")
        for name, resource in load_template()["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }
    shown = set(re.findall(r'"([A-Za-z]+) λ', MERMAID))
    assert shown >= LAMBDA_TASKS
    assert shown == functions, f"not shown: {functions - shown}; not in the template: {shown - functions}"
    assert "later" not in MERMAID
