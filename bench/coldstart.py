"""Handler cold init: importing each handler module and creating its boto3 clients, in a fresh
interpreter each time (so every import is cold), against `import boto3` + one client measured
the same way in the same run."""

from __future__ import annotations

import json
import os
import pkgutil
import statistics
import subprocess
import sys
from dataclasses import dataclass

import mgn_wave.handlers

REPEATS = 3
REGION = "us-east-1"

_CHILD = r"""
import json, sys, time
module_name = sys.argv[1]
region = sys.argv[2]
started = time.perf_counter()
if module_name == "boto3":
    import boto3
    imported = time.perf_counter()
    boto3.client("mgn", region_name=region)
    clients = ["mgn"]
else:
    import importlib
    module = importlib.import_module(module_name)
    imported = time.perf_counter()
    from mgn_wave.adapters import clients as factory
    makers = {name: getattr(factory, name) for name in dir(factory) if name.endswith("_client")}
    scopes = [vars(module)]
    if any(getattr(v, "__module__", "") == "mgn_wave.handlers._store" for v in vars(module).values()):
        scopes.append(vars(importlib.import_module("mgn_wave.handlers._store")))
    clients = sorted({name for scope in scopes for name, value in scope.items() if makers.get(name) is value})
    for name in clients:
        makers[name](region)
done = time.perf_counter()
print(json.dumps({"import": imported - started, "total": done - started, "clients": clients}))
"""


@dataclass
class ColdInit:
    module: str
    clients: list[str]
    import_seconds: float
    total_seconds: float


def handler_modules() -> list[str]:
    return sorted(
        f"mgn_wave.handlers.{info.name}"
        for info in pkgutil.iter_modules(mgn_wave.handlers.__path__)
        if not info.name.startswith("_")
    )


def _measure(module: str) -> ColdInit:
    environment = {
        **os.environ,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "POWERTOOLS_TRACE_DISABLED": "1",
        "POWERTOOLS_SERVICE_NAME": "bench",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    runs = []
    for _ in range(REPEATS):
        completed = subprocess.run(
            [sys.executable, "-c", _CHILD, module, REGION],
            capture_output=True,
            text=True,
            check=True,
            env=environment,
        )
        runs.append(json.loads(completed.stdout.strip().splitlines()[-1]))
    return ColdInit(
        module=module,
        clients=runs[0]["clients"],
        import_seconds=statistics.median(r["import"] for r in runs),
        total_seconds=statistics.median(r["total"] for r in runs),
    )


def measure() -> tuple[ColdInit, list[ColdInit]]:
    """(`import boto3` + one client, every handler), medians of REPEATS cold starts."""
    return _measure("boto3"), [_measure(module) for module in handler_modules()]


if __name__ == "__main__":
    baseline, handlers = measure()
    print(f"boto3 + 1 client: {baseline.total_seconds * 1000:.0f} ms")
    for item in handlers:
        ratio = item.total_seconds / baseline.total_seconds
        print(f"{item.module}: {item.total_seconds * 1000:.0f} ms ({ratio:.2f}x) clients={item.clients}")
