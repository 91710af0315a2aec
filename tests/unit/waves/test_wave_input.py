"""The MigrateWave execution input contract (docs/contracts.md §1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mgn_wave.core.errors import InvalidInputError
from mgn_wave.waves.models import validate_wave_input

EVENTS = Path(__file__).resolve().parents[3] / "events"


def test_validate_wave_input_minimal_wave_gets_safe_defaults() -> None:
    # Given / When
    wave_input = validate_wave_input({"wave": "wave-01"})
    # Then: nothing optional turns on by itself
    assert wave_input.wave == "wave-01"
    assert wave_input.instance_ids is None
    assert wave_input.dry_run is False
    assert wave_input.force is False


def test_validate_wave_input_sample_with_overrides_round_trips_in_camel_case() -> None:
    event = json.loads((EVENTS / "validate_input_overrides.json").read_text())
    dumped = validate_wave_input(event).model_dump(mode="json", by_alias=True)
    assert dumped == event


@pytest.mark.parametrize(
    ("event", "field", "allowed"),
    [
        ({}, "wave", "required"),
        ({"wave": ""}, "wave", "^[A-Za-z0-9]"),
        ({"wave": "wave 01; rm -rf /"}, "wave", "pattern"),
        ({"wave": "w", "instanceIds": []}, "instanceIds", "at least 1"),
        ({"wave": "w", "instanceIds": ["i-0123456789abcdef0", "i-12"]}, "instanceIds[1]", "pattern"),
        ({"wave": "w", "instanceIds": ["i-0123456789abcdef0; reboot"]}, "instanceIds[0]", "pattern"),
        ({"wave": "w", "dryRun": "yes"}, "dryRun", "boolean"),
        ({"wave": "w", "force": 1}, "force", "boolean"),
        ({"wave": "w", "dryrun": True}, "dryrun", "allowed fields are: wave, instanceIds, dryRun, force"),
    ],
)
def test_validate_wave_input_bad_field_is_named_with_allowed_form(event: dict, field: str, allowed: str) -> None:
    with pytest.raises(InvalidInputError) as raised:
        validate_wave_input(event)
    assert raised.value.field == field
    assert allowed in str(raised.value)


def test_validate_wave_input_not_an_object_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="JSON object"):
        validate_wave_input(["wave-01"])


def test_validate_wave_input_over_1000_servers_is_refused() -> None:
    ids = [f"i-{n:017x}" for n in range(1001)]
    with pytest.raises(InvalidInputError) as raised:
        validate_wave_input({"wave": "big", "instanceIds": ids})
    assert raised.value.field == "instanceIds"
