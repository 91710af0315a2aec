"""What template.yaml grants each role: its `Policies:` statements, with SAM's policy templates
expanded from the package's own definitions (see sam_policy_templates.json)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mgn_wave_emu.stack import load_template

SAM_TEMPLATES_PATH = Path(__file__).with_name("sam_policy_templates.json")
ROLE_TYPES = {"AWS::Serverless::Function", "AWS::Serverless::StateMachine"}
# The router's name for the state machine role (mgn_wave_emu.hooks.STATE_MACHINE) -> its logical ID.
STATE_MACHINE_LOGICAL_ID = "MigrateWaveStateMachine"


@dataclass(frozen=True)
class Grant:
    action: str
    resource_star: bool  # granted on Resource "*"
    sid: str  # the statement's Sid, or the SAM policy template's name


def sam_policy_templates() -> dict[str, Any]:
    templates: dict[str, Any] = json.loads(SAM_TEMPLATES_PATH.read_text())["Templates"]
    return templates


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statement_grants(statement: dict[str, Any], sid: str) -> list[Grant]:
    if statement.get("Effect") != "Allow":
        return []
    star = "*" in _as_list(statement.get("Resource", []))
    return [Grant(action, star, statement.get("Sid", sid)) for action in _as_list(statement["Action"])]


def _add_role_policies(template: dict[str, Any], roles: dict[str, list[Grant]]) -> None:
    """A role policy of its own on a SAM-generated role (`<Function>Role`), where the function's
    Policies would make a dependency cycle, counts as that function's grant."""
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::IAM::RolePolicy":
            continue
        role = resource["Properties"]["RoleName"]
        owner = role.get("Ref", "").removesuffix("Role") if isinstance(role, dict) else ""
        if owner not in roles:
            raise AssertionError(f"{logical_id}: attached to {role}, not to a function's or the state machine's role")
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
            roles[owner] += _statement_grants(statement, logical_id)


def grants_by_role(template: dict[str, Any] | None = None) -> dict[str, list[Grant]]:
    """Every Allow the template's `Policies:` give, per function/state machine logical ID."""
    template = template or load_template()
    sam = sam_policy_templates()
    roles: dict[str, list[Grant]] = {}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] not in ROLE_TYPES:
            continue
        grants: list[Grant] = []
        for policy in resource["Properties"].get("Policies", []):
            if not isinstance(policy, dict):
                raise AssertionError(f"{logical_id}: a managed policy by name ({policy}) cannot be measured")
            for name, body in policy.items():
                if name == "Statement":
                    for statement in body:
                        grants += _statement_grants(statement, "Statement")
                elif name in sam:
                    for statement in sam[name]["Definition"]["Statement"]:
                        grants += _statement_grants(statement, name)
                else:
                    raise AssertionError(f"{logical_id}: unknown policy template {name}")
        roles[logical_id] = grants
    _add_role_policies(template, roles)
    return roles
