"""checkov's exceptions stay deliberate: `make checkov` (part of `make test`) fails on any failed check,
so every check the template does not pass is skipped in its resource's `Metadata`, with a reason.
These tests keep those skips honest without running checkov (its venv is `make checkov`'s)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from mgn_wave_emu.stack import REPO_ROOT, load_template

RESOURCES: dict[str, Any] = load_template()["Resources"]
MAKEFILE = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
REQUIREMENTS = REPO_ROOT / "tests/audit/checkov-requirements.txt"

# The checks this stack skips, and the one resource type each may be skipped on: a skip on another
# type would silence nothing, and a new kind of exception has to be added here on purpose.
SKIPPABLE = {
    "CKV_AWS_115": "AWS::Serverless::Function",  # reserved concurrency
    "CKV_AWS_116": "AWS::Serverless::Function",  # dead-letter queue (synchronously invoked functions)
    "CKV_AWS_117": "AWS::Serverless::Function",  # inside a VPC
    "CKV_AWS_173": "AWS::Serverless::Function",  # environment encrypted with a CMK
    "CKV_AWS_158": "AWS::Logs::LogGroup",  # log group encrypted with a CMK
    "CKV_AWS_119": "AWS::DynamoDB::Table",  # table encrypted with a CMK
    "CKV_AWS_28": "AWS::DynamoDB::Table",  # point-in-time recovery
    "CKV_AWS_18": "AWS::S3::Bucket",  # server access logging
    "CKV_AWS_27": "AWS::SQS::Queue",  # encrypted with KMS (SSE-SQS is not counted)
}
MIN_REASON_WORDS = 12


def _skips() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for logical_id, resource in RESOURCES.items():
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            found.append((logical_id, skip))
    return found


SKIPS = _skips()


def test_checkov_skips_exist() -> None:
    assert SKIPS, "no checkov skips found: was the Metadata layout changed?"


@pytest.mark.parametrize(("logical_id", "skip"), SKIPS, ids=[f"{r}-{s.get('id')}" for r, s in SKIPS])
def test_checkov_skip_is_a_known_exception_with_a_reason(logical_id: str, skip: dict[str, Any]) -> None:
    # Then: only id and comment; an id this stack accepts, on the type it applies to
    assert set(skip) == {"id", "comment"}, f"{logical_id}: {skip}"
    assert skip["id"] in SKIPPABLE, f"{logical_id}: {skip['id']} is not an accepted exception (see SKIPPABLE)"
    assert RESOURCES[logical_id]["Type"] == SKIPPABLE[skip["id"]], f"{logical_id}: {skip['id']} does not apply here"
    # And: a reason, not a placeholder
    words = str(skip["comment"]).split()
    assert len(words) >= MIN_REASON_WORDS, f"{logical_id} {skip['id']}: the reason is {len(words)} words"


def test_checkov_skips_are_not_repeated_on_a_resource() -> None:
    for logical_id, resource in RESOURCES.items():
        ids = [skip["id"] for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])]
        assert len(ids) == len(set(ids)), f"{logical_id}: {ids}"


def test_checkov_target_skips_nothing_globally_and_runs_in_make_test() -> None:
    # Every exception is inline, next to its resource: no skip list, soft fail or baseline on the command line.
    recipe = MAKEFILE.split("\ncheckov:", 1)[1].split("\n\n", 1)[0]
    assert "bin/checkov --file template.yaml" in recipe
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
