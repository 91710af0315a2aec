"""Scenario building shared by every measurement: a clean private network (seed-clean) with a
fleet of N Linux servers of one disk each, none registered with MGN before the wave."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

from mgn_wave_emu.scenario import DiskSpec, FleetServer, MgnSpec, Scenario, SubnetSpec, load_scenario

BASE_SCENARIO = "seed-clean"
WAVE = "wave-01"
# 100 Mbps (the emulator's default link) for 24 h moves about 1,006 GiB: an initial sync that
# lasts a simulated day.
DAY_OF_SYNC_GIB = 1006
SMALL_DISK_GIB = 8  # about 11 minutes of sync: for the size and wall-time measurements
# The source subnet grows to hold up to ~4,000 servers (seed-clean's is a /24).
SOURCE_SUBNET = IPv4Network("10.10.16.0/20")


def fleet_scenario(servers: int, *, disk_gib: int = SMALL_DISK_GIB, stack: dict[str, str] | None = None) -> Scenario:
    """seed-clean with `servers` Linux servers (bench-0001, ...) in wave-01, nothing registered.
    The wave may install and run every server at once (quota and concurrency >= N) unless
    `stack` says otherwise."""
    base = load_scenario(BASE_SCENARIO)
    hosts = SOURCE_SUBNET.hosts()
    first = IPv4Address(int(SOURCE_SUBNET.network_address) + 10)
    addresses = [ip for ip in hosts if ip >= first][:servers]
    if len(addresses) < servers:
        raise ValueError(f"{SOURCE_SUBNET} holds fewer than {servers} servers")
    fleet = tuple(
        FleetServer(
            name=f"bench-{i:04d}",
            platform="linux",
            private_ip=address,
            hostname=f"bench-{i:04d}.corp.example",
            disks=(DiskSpec(device="/dev/xvda", gib=disk_gib),),
        )
        for i, address in enumerate(addresses, start=1)
    )
    source = base.source.model_copy(
        update={"subnets": (SubnetSpec(name="servers", cidr=SOURCE_SUBNET, az="us-east-1a"),)}
    )
    parameters = {
        **base.stack,
        "ActiveReplicationQuota": str(max(servers, 150)),
        "ServerConcurrency": str(max(servers, 150)),
        "LogLevel": "WARNING",
        **(stack or {}),
    }
    return base.model_copy(
        update={
            "name": f"bench-{servers}",
            "fleet": fleet,
            "source": source,
            "mgn": MgnSpec(template={}, registered=(), wave=WAVE),
            "stack": parameters,
        }
    )
