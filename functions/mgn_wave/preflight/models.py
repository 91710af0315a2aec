"""What the Preflight step returns: the verdict and every finding."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from mgn_wave.preflight.findings import Finding, Severity


class PreflightReport(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)

    ok: bool  # no BLOCKER: the wave may go on
    blockers: int
    warnings: int
    findings: tuple[Finding, ...] = Field(default=())

    @classmethod
    def from_findings(cls, findings: list[Finding]) -> PreflightReport:
        blockers = sum(1 for f in findings if f.severity is Severity.BLOCKER)
        warnings = sum(1 for f in findings if f.severity is Severity.WARNING)
        return cls(ok=blockers == 0, blockers=blockers, warnings=warnings, findings=tuple(findings))
