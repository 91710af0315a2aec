"""The preflight finding: one problem on the private path, with the fix."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Severity(StrEnum):
    BLOCKER = "BLOCKER"  # the wave cannot succeed until this is fixed
    WARNING = "WARNING"  # works today, breaks a later step or a best practice
    INFO = "INFO"  # something the operator will want to know (e.g. the endpoint names to use)


class Finding(BaseModel):
    """`{code, severity, resource, message, fix}`: the contract of docs/contracts.md §2."""

    model_config = ConfigDict(frozen=True)

    code: str
    severity: Severity
    resource: str
    message: str
    fix: str


def has_blocker(findings: list[Finding]) -> bool:
    return any(f.severity is Severity.BLOCKER for f in findings)
