"""The emulated fleet: source servers as SSM managed nodes that run the real install script."""

from __future__ import annotations

from mgn_wave_emu.fleet.fleet import INSTALL_DOCUMENT_NAME, Fleet, FleetError, install_document_from_template
from mgn_wave_emu.fleet.network import NetworkView, ScenarioNetworkView
from mgn_wave_emu.fleet.nodes import ManagedNode, node_id_for
from mgn_wave_emu.fleet.sandbox import NodeSandbox, ScriptRun
from mgn_wave_emu.fleet.ssm import SsmEmulator

__all__ = [
    "INSTALL_DOCUMENT_NAME",
    "Fleet",
    "FleetError",
    "ManagedNode",
    "NetworkView",
    "NodeSandbox",
    "ScenarioNetworkView",
    "ScriptRun",
    "SsmEmulator",
    "install_document_from_template",
    "node_id_for",
]
