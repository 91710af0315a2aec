"""The baseline to beat: the same state machine with a plain 5-minute poll loop instead of the
event-driven wait. Built here from the shipped definition (never shipped, never in template.yaml):
`ConfigureServer → PollEvery5Minutes (Wait 300) → PollReplication → Decided? ─WAITING→ PollEvery5Minutes`."""

from __future__ import annotations

import copy
import json
from typing import Any

POLL_WAIT_STATE = "PollEvery5Minutes"
POLL_DECIDED_STATE = "Decided?"
POLL_SECONDS = 300


def polling_definition(shipped: str | dict[str, Any], poll_seconds: int = POLL_SECONDS) -> str:
    """The shipped (resolved) ASL with AwaitReplication replaced by a Wait → PollReplication →
    Decided? loop. Every other state, its retries and catches stay as shipped."""
    definition: dict[str, Any] = copy.deepcopy(json.loads(shipped) if isinstance(shipped, str) else shipped)
    child = definition["States"]["ForEachServer"]["ItemProcessor"]
    states: dict[str, Any] = child["States"]
    if "AwaitReplication" not in states or "PollReplication" not in states:
        raise ValueError("the shipped definition has no AwaitReplication/PollReplication to replace")
    del states["AwaitReplication"]
    states[POLL_WAIT_STATE] = {
        "Type": "Wait",
        "Comment": "bench baseline: poll MGN every 5 minutes",
        "Seconds": poll_seconds,
        "Next": "PollReplication",
    }
    # The shipped PollReplication is the deadline's final verdict; here it loops while WAITING.
    states["PollReplication"]["Next"] = POLL_DECIDED_STATE
    states[POLL_DECIDED_STATE] = {
        "Type": "Choice",
        "Choices": [{"Variable": "$.verdict.outcome", "StringEquals": "WAITING", "Next": POLL_WAIT_STATE}],
        "Default": "ServerResult",
    }
    for state in states.values():
        if state.get("Next") == "AwaitReplication":
            state["Next"] = POLL_WAIT_STATE
        for choice in state.get("Choices", []):
            if choice.get("Next") == "AwaitReplication":
                choice["Next"] = POLL_WAIT_STATE
    text = json.dumps(definition)
    if '"AwaitReplication"' in text:
        raise ValueError("AwaitReplication is still referenced in the baseline definition")
    return text
