"""checkov's exceptions stay deliberate: `make checkov` (part of `make test`) fails on any failed
check, so every check the templates do not pass is skipped with a reason, once: in .checkov.yaml
when the reason holds for every resource of the type the check looks at, else in the resource's
`Metadata`. These tests keep those skips honest without running checkov (its venv is `make
checkov`'s)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from mgn_wave_emu.stack import REPO_ROOT, load_template

RESOURCES: dict[str, Any] = load_template()["Resources"]
MAKEFILE = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
REQUIREMENTS = REPO_ROOT / "tests/audit/checkov-requirements.txt"
CONFIG_PATH = REPO_ROOT / ".checkov.yaml"
CONFIG: dict[str, Any] = yaml.safe_load(CONFIG_PATH.read_text(encoding="utf-8"))

# The checks this stack skips for every resource of one type (.checkov.yaml), with that type.
SKIPPED_FOR_EVERY = {
    "CKV_AWS_115": "AWS::Serverless::Function",  # reserved concurrency
    "CKV_AWS_117": "AWS::Serverless::Function",  # inside a VPC
    "CKV_AWS_173": "AWS::Serverless::Function",  # environment encrypted with a CMK
    "CKV_AWS_158": "AWS::Logs::LogGroup",  # log group encrypted with a CMK
}
# The checks skipped on some resources only (inline), and the one type each may be skipped on: a
# skip on another type would silence nothing, and a new kind of exception has to be added on purpose.
SKIPPABLE = {
    "CKV_AWS_116": "AWS::Serverless::Function",  # dead-letter queue (synchronously invoked functions)
    "CKV_AWS_119": "AWS::DynamoDB::Table",  # table encrypted with a CMK
    "CKV_AWS_28": "AWS::DynamoDB::Table",  # point-in-time recovery
    "CKV_AWS_18": "AWS::S3::Bucket",  # server access logging
    "CKV_AWS_27": "AWS::SQS::Queue",  # encrypted with KMS (SSE-SQS is not counted)
}
# Inline skips whose shared reason .checkov.yaml states: the inline comment says where.
REASON_IN_CONFIG = {"CKV_AWS_116"}
MIN_REASON_WORDS = 12


def _skips() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for logical_id, resource in RESOURCES.items():
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            found.append((logical_id, skip))
    return found


SKIPS = _skips()


def _config_reasons() -> dict[str, str]:
    """Each `skip-check` item of .checkov.yaml with the comment lines right above it."""
    reasons: dict[str, str] = {}
    comment: list[str] = []
    for line in CONFIG_PATH.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            comment.append(stripped.lstrip("# "))
        elif stripped.startswith("- CKV_"):
            reasons[stripped.removeprefix("- ")] = " ".join(comment)
            comment = []
        else:
            comment = []
    return reasons


def test_checkov_skips_exist() -> None:
    assert SKIPS, "no checkov skips found: was the Metadata layout changed?"


@pytest.mark.parametrize(("logical_id", "skip"), SKIPS, ids=[f"{r}-{s.get('id')}" for r, s in SKIPS])
def test_checkov_skip_is_a_known_exception_with_a_reason(logical_id: str, skip: dict[str, Any]) -> None:
    # Then: only id and comment; an id this stack accepts, on the type it applies to
    assert set(skip) == {"id", "comment"}, f"{logical_id}: {skip}"
    assert skip["id"] in SKIPPABLE, f"{logical_id}: {skip['id']} is not an accepted exception (see SKIPPABLE)"
    assert RESOURCES[logical_id]["Type"] == SKIPPABLE[skip["id"]], f"{logical_id}: {skip['id']} does not apply here"
    # And: a reason, not a placeholder; a shared one is in .checkov.yaml, and the comment says so
    if skip["id"] in REASON_IN_CONFIG:
        assert skip["comment"].endswith("(.checkov.yaml)"), f"{logical_id}: {skip['comment']}"
        assert f"- {skip['id']} (" in CONFIG_PATH.read_text(encoding="utf-8"), f"no reason for {skip['id']} there"
    else:
        words = str(skip["comment"]).split()
        assert len(words) >= MIN_REASON_WORDS, f"{logical_id} {skip['id']}: the reason is {len(words)} words"


def test_checkov_dead_letter_queue_skip_only_where_the_function_is_invoked_synchronously() -> None:
    # A function with a DeadLetterQueue passes CKV_AWS_116: a skip there would hide a regression
    for logical_id, skip in SKIPS:
        if skip["id"] == "CKV_AWS_116":
            assert "DeadLetterQueue" not in RESOURCES[logical_id]["Properties"], logical_id


def test_checkov_skips_are_not_repeated_on_a_resource() -> None:
    for logical_id, resource in RESOURCES.items():
        ids = [skip["id"] for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])]
        assert len(ids) == len(set(ids)), f"{logical_id}: {ids}"


def test_checkov_config_skips_only_the_checks_whose_reason_holds_everywhere_each_with_its_reason() -> None:
    # Then: exactly the accepted checks, none of them also inline, each with a reason above it
    assert set(CONFIG["skip-check"]) == set(SKIPPED_FOR_EVERY)
    assert not {skip["id"] for _, skip in SKIPS} & set(SKIPPED_FOR_EVERY)
    reasons = _config_reasons()
    for check in SKIPPED_FOR_EVERY:
        assert len(reasons.get(check, "").split()) >= MIN_REASON_WORDS, f".checkov.yaml {check}: {reasons.get(check)}"
    # And: both templates scanned, nothing that would let a failure pass
    assert CONFIG["file"] == ["template.yaml", "install-document.yaml"]
    assert CONFIG["framework"] == ["cloudformation"]
    assert not set(CONFIG) & {"soft-fail", "soft-fail-on", "baseline", "check", "skip-path", "skip-framework"}


def test_checkov_target_uses_the_config_and_runs_in_make_test() -> None:
    # Every exception is in .checkov.yaml or inline: no skip list, soft fail or baseline on the command line.
    recipe = MAKEFILE.split("\ncheckov:", 1)[1].split("\n\n", 1)[0]
    assert "bin/checkov --config-file .checkov.yaml" in recipe
    options = {word.split("=", 1)[0] for word in recipe.split() if word.startswith("-")}
    assert not options & {"--skip-check", "--soft-fail", "--soft-fail-on", "--baseline", "--check", "-c", "-s"}
    test_prerequisites = re.search(r"^test:(.*)$", MAKEFILE, re.MULTILINE)
    assert test_prerequisites is not None
    assert "checkov" in test_prerequisites.group(1).split()


def test_checkov_requirements_pin_every_package() -> None:
    lines = [
        line
        for line in REQUIREMENTS.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert "checkov==3.3.30" in lines
    for line in lines:
        assert re.fullmatch(r"[A-Za-z0-9._-]+==[A-Za-z0-9.+-]+", line), line
