"""template.yaml stays small enough to read: the install document lives in its own template and
checkov's shared reasons in .checkov.yaml, so the stack's own template holds the stack."""

from __future__ import annotations

from mgn_wave_emu.stack import TEMPLATE_PATH

MAX_TEMPLATE_BYTES = 60 * 1024


def test_template_stays_within_60_kb() -> None:
    size = len(TEMPLATE_PATH.read_bytes())
    assert size <= MAX_TEMPLATE_BYTES, f"template.yaml is {size} bytes, over {MAX_TEMPLATE_BYTES}"
