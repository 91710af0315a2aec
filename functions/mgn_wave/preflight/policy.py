"""A small evaluator for VPC endpoint policies: enough IAM to say "this request is denied".

Endpoint policies are resource-style IAM policies. The rules implemented here are the ones the
preflight needs: an explicit Deny wins; otherwise a matching Allow allows; otherwise the request
is implicitly denied. No policy document at all means full access (what AWS attaches by default).

Simplifications, chosen so the preflight never claims more than it can see:
- A statement applies to "anyone" only with `Principal: "*"` or `{"AWS": "*"}`; a statement that
  names specific principals (or uses `NotPrincipal`) is treated as not applying, because the
  preflight cannot know which principal the agent or the replication server will be.
- `Condition` blocks are assumed to hold: we cannot evaluate request context offline.
- A statement without `Resource`/`NotResource` or `Action`/`NotAction` is malformed and ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from enum import StrEnum
from functools import lru_cache
from typing import Any


class Decision(StrEnum):
    ALLOW = "allow"
    EXPLICIT_DENY = "explicit deny"
    IMPLICIT_DENY = "implicit deny"


@lru_cache(maxsize=512)
def _glob(pattern: str, *, case_sensitive: bool) -> re.Pattern[str]:
    # IAM wildcards: `*` is any run of characters, `?` exactly one; everything else is literal.
    body = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.compile(f"^{body}$", 0 if case_sensitive else re.IGNORECASE)


def _as_list(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence):
        return [str(v) for v in value]
    return None


def _matches_any(patterns: list[str], value: str, *, case_sensitive: bool) -> bool:
    return any(_glob(p, case_sensitive=case_sensitive).match(value) for p in patterns)


def _principal_is_anyone(statement: Mapping[str, Any]) -> bool:
    if "NotPrincipal" in statement:
        return False
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        aws = _as_list(principal.get("AWS"))
        return aws is not None and "*" in aws
    return False


def _element_matches(statement: Mapping[str, Any], key: str, value: str, *, case_sensitive: bool) -> bool | None:
    """True/False when the statement's `key`/`Not<key>` decides; None when it has neither."""
    positive = _as_list(statement.get(key))
    if positive is not None:
        return _matches_any(positive, value, case_sensitive=case_sensitive)
    negative = _as_list(statement.get(f"Not{key}"))
    if negative is not None:
        return not _matches_any(negative, value, case_sensitive=case_sensitive)
    return None


def _statement_applies(statement: Mapping[str, Any], action: str, resource: str) -> bool:
    if not _principal_is_anyone(statement):
        return False
    # Action names are case-insensitive in IAM; ARNs are case-sensitive.
    action_match = _element_matches(statement, "Action", action, case_sensitive=False)
    resource_match = _element_matches(statement, "Resource", resource, case_sensitive=True)
    return bool(action_match) and bool(resource_match)


def _statements(policy: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    raw = policy.get("Statement")
    if isinstance(raw, Mapping):
        return [raw]
    if isinstance(raw, Sequence) and not isinstance(raw, str):
        return [s for s in raw if isinstance(s, Mapping)]
    return []


def evaluate(policy: Mapping[str, Any] | None, action: str, resource: str) -> Decision:
    """Decide whether `policy` lets anyone perform `action` on `resource`."""
    if policy is None:
        return Decision.ALLOW
    allowed = False
    for statement in _statements(policy):
        if not _statement_applies(statement, action, resource):
            continue
        effect = str(statement.get("Effect", ""))
        if effect == "Deny":
            return Decision.EXPLICIT_DENY
        if effect == "Allow":
            allowed = True
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY
