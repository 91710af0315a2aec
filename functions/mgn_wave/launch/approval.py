"""A cutover waits for an operator's approval: the task token waits in the state table under the
wave; approving takes it (once) and completes the task."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mgn_wave.adapters.launch_tokens import approval_key

if TYPE_CHECKING:
    from mgn_wave.adapters.launch_tokens import LaunchTokenStore
    from mgn_wave.adapters.tokens import CallbackAdapter


def approve(wave: str, approver: str, *, tokens: LaunchTokenStore, callbacks: CallbackAdapter) -> int:
    """Approve every cutover of `wave` waiting now; 0 when none waits (already approved, expired
    or never asked). A second approval finds nothing: it acts once."""
    approved = 0
    for execution, _token, _expires in tokens.waiting(approval_key(wave)):
        token = tokens.take(approval_key(wave), execution)
        if token is not None:
            approved += callbacks.complete(token, {"approvedBy": approver[:128]})
    return approved
