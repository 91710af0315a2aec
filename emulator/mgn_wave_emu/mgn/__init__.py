"""The MGN emulator: botocore's MGN model served from a `before-send` hook (moto has no MGN)."""

from __future__ import annotations

from mgn_wave_emu.mgn.emulator import MgnEmulator, RegistrationRefusedError
from mgn_wave_emu.mgn.wire import MgnServiceError

__all__ = ["MgnEmulator", "MgnServiceError", "RegistrationRefusedError"]
