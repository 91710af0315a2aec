"""TCP connects from where the function runs: the port probe's only contact with the launched
instances. Not an AWS call, but kept behind this adapter like every other network call so the
emulated AWS can answer it (the target VPC's security groups and network ACLs, what listens)."""

from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

# A port behind a security group that drops the SYN never answers: the timeout bounds each attempt.
CONNECT_TIMEOUT_SECONDS = 3.0
# Connects at once: 50 servers x 10 ports all dropped take ⌈500/50⌉ x 3 s = 30 s, half the timeout.
MAX_PARALLEL_CONNECTS = 50


def port_open(address: str, port: int, timeout: float = CONNECT_TIMEOUT_SECONDS) -> bool:
    """True when a TCP handshake with address:port completes within `timeout`."""
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return True
    except OSError:  # refused, unreachable, timed out
        return False


def closed_ports(targets: Sequence[tuple[str, Sequence[int]]]) -> list[tuple[int, ...]]:
    """For each (address, ports), the ports that did not answer, in the order asked."""
    attempts = [(address, port) for address, ports in targets for port in ports]
    with ThreadPoolExecutor(max_workers=max(1, min(MAX_PARALLEL_CONNECTS, len(attempts)))) as pool:
        answered = list(pool.map(lambda attempt: port_open(*attempt), attempts))
    results: list[tuple[int, ...]] = []
    index = 0
    for _address, ports in targets:
        results.append(
            tuple(port for port, ok in zip(ports, answered[index : index + len(ports)], strict=True) if not ok)
        )
        index += len(ports)
    return results
