"""Static checks that keep template.yaml, the ASL and the Lambda package consistent."""

from __future__ import annotations

import ast
import importlib
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities.idempotency import exceptions as idempotency_exceptions

from mgn_wave.core import errors
from mgn_wave_emu.stack import REPO_ROOT, load_template

TEMPLATE = load_template()
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
FUNCTIONS = {k: v for k, v in RESOURCES.items() if v["Type"] == "AWS::Serverless::Function"}
STATE_MACHINES = {k: v for k, v in RESOURCES.items() if v["Type"] == "AWS::Serverless::StateMachine"}
# errors of optimized integrations, and the Lambda runtime's own (a crash, a timeout)
BUILTIN_ERROR_PREFIXES = ("States.", "Lambda.", "SNS.", "DynamoDB.", "Runtime.", "Sandbox.")
# errors raised by a library in our handlers, by the class name Step Functions sees
LIBRARY_ERRORS = {"IdempotencyAlreadyInProgressError": idempotency_exceptions}


def _definition(resource: dict[str, Any]) -> str:
    return (REPO_ROOT / resource["Properties"]["DefinitionUri"]).read_text(encoding="utf-8")


def _error_names(node: Any) -> set[str]:
    names: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "ErrorEquals":
                names.update(value)
            else:
                names |= _error_names(value)
    elif isinstance(node, list):
        for item in node:
            names |= _error_names(item)
    return names


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_function_handler_resolves_to_a_callable(logical_id: str) -> None:
    module_name, attribute = FUNCTIONS[logical_id]["Properties"]["Handler"].rsplit(".", 1)
    assert callable(getattr(importlib.import_module(module_name), attribute))


@pytest.mark.parametrize("logical_id", sorted(STATE_MACHINES))
def test_state_machine_substitutions_match_the_definition(logical_id: str) -> None:
    # Given
    resource = STATE_MACHINES[logical_id]
    used = set(re.findall(r"\$\{([A-Za-z0-9]+)\}", _definition(resource)))
    # Then: every placeholder is substituted and no substitution is dead
    assert used == set(resource["Properties"]["DefinitionSubstitutions"])


@pytest.mark.parametrize("logical_id", sorted(STATE_MACHINES))
def test_state_machine_catches_only_errors_that_exist(logical_id: str) -> None:
    # Retry/Catch match on our exception class names: a renamed class must fail here, not in production.
    names = _error_names(json.loads(_definition(STATE_MACHINES[logical_id])))
    ours = {n for n in names if not n.startswith(BUILTIN_ERROR_PREFIXES)}
    assert ours, "expected at least one of our typed errors in Retry/Catch"
    for name in ours:
        home = LIBRARY_ERRORS.get(name, errors)
        assert isinstance(getattr(home, name, None), type), f"{name} is not a class in {home.__name__}"


def _lambda_tasks(states: dict[str, Any]) -> dict[str, dict[str, Any]]:
    tasks: dict[str, dict[str, Any]] = {}
    for name, state in states.items():
        if state["Type"] == "Task" and state["Resource"].startswith("arn:aws:states:::lambda:invoke"):
            tasks[name] = state
        if state["Type"] == "Map":
            tasks |= _lambda_tasks(state["ItemProcessor"]["States"])
    return tasks


MIGRATE_WAVE = json.loads(_definition(STATE_MACHINES["MigrateWaveStateMachine"]))


def test_install_agents_outwaits_the_idempotency_record_of_a_crashed_attempt() -> None:
    # A crashed InstallAgents leaves its idempotency record INPROGRESS until the attempt's start
    # plus the function timeout; every retry before then is refused as in progress. The retrier
    # for that refusal must wait longer in total, or a crash right after SendCommand fails the wave.
    retriers = _lambda_tasks(MIGRATE_WAVE["States"])["InstallAgents"]["Retry"]
    in_progress = next(r for r in retriers if "IdempotencyAlreadyInProgressError" in r["ErrorEquals"])
    waits = [
        min(
            in_progress["IntervalSeconds"] * in_progress.get("BackoffRate", 2.0) ** attempt,
            in_progress.get("MaxDelaySeconds", 10**9),
        )
        for attempt in range(in_progress["MaxAttempts"])
    ]
    timeout = FUNCTIONS["InstallAgentsFunction"]["Properties"]["Timeout"]
    assert sum(waits) > timeout, f"retries wait {sum(waits)} s in all, the function may run {timeout} s"


@pytest.mark.parametrize("task", sorted(_lambda_tasks(MIGRATE_WAVE["States"])))
def test_every_lambda_task_retries_a_crashed_runtime(task: str) -> None:
    # A runtime that died (out of memory, killed, timed out) says nothing about the next attempt.
    retried = _error_names(_lambda_tasks(MIGRATE_WAVE["States"])[task].get("Retry", []))
    assert {"Lambda.Unknown", "Runtime.ExitError", "Sandbox.Timedout"} <= retried


def _runtime_imports(tree: ast.Module) -> set[str]:
    """Top-level module names imported at runtime (imports under `if TYPE_CHECKING:` are not)."""
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            node.body = []  # typing-only: never executed in the Lambda
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return {root for root in roots if root not in sys.stdlib_module_names}


def test_lambda_package_imports_only_what_it_ships() -> None:
    # The Lambda build contains functions/ and functions/requirements.txt, nothing else.
    shipped = {"mgn_wave", "boto3", "botocore", "aws_lambda_powertools", "pydantic", "pydantic_core"}
    for path in (REPO_ROOT / "functions").rglob("*.py"):
        third_party = _runtime_imports(ast.parse(path.read_text(encoding="utf-8")))
        assert third_party <= shipped, f"{path}: imports {third_party - shipped} at runtime"


def test_lambda_requirements_pin_the_project_versions() -> None:
    pyproject = (REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for line in (REPO_ROOT / "functions/requirements.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            assert f'"{line}"' in pyproject, f"functions/requirements.txt pins {line}; pyproject.toml differs"


def test_every_function_has_a_bounded_log_group() -> None:
    for logical_id, resource in FUNCTIONS.items():
        group_ref = resource["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert "RetentionInDays" in RESOURCES[group_ref]["Properties"], logical_id


def test_events_folder_holds_valid_json() -> None:
    for path in Path(REPO_ROOT / "events").glob("*.json"):
        json.loads(path.read_text(encoding="utf-8"))


def test_dashboard_body_is_valid_json_once_substituted() -> None:
    body = RESOURCES["WavesDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    dashboard = json.loads(re.sub(r"\$\{[^}]+\}", "x", body))
    titles = [widget["properties"]["title"] for widget in dashboard["widgets"]]
    assert titles == ["Servers per wave", "MigrateWave executions"]


def test_summarize_metrics_are_the_ones_the_dashboard_searches() -> None:
    from mgn_wave.handlers.summarize import METRIC_OF_STATUS

    body = RESOURCES["WavesDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    for metric in METRIC_OF_STATUS.values():
        assert metric in body


SAMPLE_EVENT_MODELS = {
    "validate_input_wave.json": "mgn_wave.waves.models:WaveInput",
    "validate_input_overrides.json": "mgn_wave.waves.models:WaveInput",
    "resolve_servers.json": "mgn_wave.handlers.resolve_servers:ResolveRequest",
    "install_agents.json": "mgn_wave.handlers.install_agents:InstallRequest",
    "check_installs.json": "mgn_wave.handlers.check_installs:CheckRequest",
    "await_replication.json": "mgn_wave.handlers.await_replication:AwaitRequest",
    "poll_replication.json": "mgn_wave.handlers.poll_replication:PollRequest",
    "summarize.json": "mgn_wave.handlers.summarize:SummarizeRequest",
    "park_launch_token_jobs.json": "mgn_wave.handlers.park_launch_token:ParkRequest",
    "launch_wave_test.json": "mgn_wave.launch.models:LaunchInput",
}


@pytest.mark.parametrize(("sample", "model_path"), sorted(SAMPLE_EVENT_MODELS.items()))
def test_sample_event_is_valid_input_of_its_function(sample: str, model_path: str) -> None:
    # `sam local invoke -e events/<sample>` must not fail on the event's shape.
    module_name, class_name = model_path.split(":")
    model = getattr(importlib.import_module(module_name), class_name)
    model.model_validate(json.loads((REPO_ROOT / "events" / sample).read_text(encoding="utf-8")))
