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
from pathlib import Path

import mgn_wave.handlers

REPEATS = 3
REGION = "us-east-1"

_CHILD = r"""
import json, sys, time
module_name = sys.argv[1]
region = sys.argv[2]
started = time.perf_counter()
if module_name.startswith("boto3"):
    # "boto3" = `import boto3` + one mgn client; "boto3:ec2,ssm" = `import boto3` + those clients
    import boto3
    imported = time.perf_counter()
    clients = module_name.partition(":")[2].split(",") if ":" in module_name else ["mgn"]
    for service in clients:
        boto3.client(service, region_name=region)
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


# our client factories (mgn_wave.adapters.clients) → the boto3 service each creates
SERVICE_BY_FACTORY = {
    "dynamodb_client": "dynamodb",
    "ec2_client": "ec2",
    "mgn_client": "mgn",
    "s3_client": "s3",
    "sfn_client": "stepfunctions",
    "ssm_client": "ssm",
    "sts_client": "sts",
}


@dataclass
class ColdInit:
    module: str
    clients: list[str]
    import_seconds: float
    total_seconds: float
    # `import boto3` + the same clients, fresh interpreter, same run: what any handler doing this
    # function's AWS work pays before its first line; None for the baselines themselves
    same_clients_seconds: float | None = None


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
        # The Lambda runtime's own variables: Powertools and the X-Ray SDK take their Lambda path
        # (tracing on, as deployed with `Tracing: Active`; no sampling-rules client). Outside
        # Lambda the X-Ray SDK would create an X-Ray client at import, ~100 ms no function pays.
        "LAMBDA_TASK_ROOT": str(Path.cwd()),
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
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
    """(`import boto3` + one client, every handler with its same-clients baseline), medians of
    REPEATS cold starts."""
    handlers = [_measure(module) for module in handler_modules()]
    for item in handlers:
        services = sorted(SERVICE_BY_FACTORY[name] for name in item.clients)
        item.same_clients_seconds = _measure("boto3:" + ",".join(services)).total_seconds if services else None
    return _measure("boto3"), handlers


if __name__ == "__main__":
    baseline, handlers = measure()
    print(f"boto3 + 1 client: {baseline.total_seconds * 1000:.0f} ms")
    for item in handlers:
        ratio = item.total_seconds / baseline.total_seconds
        same = f"{item.total_seconds / item.same_clients_seconds:.2f}x" if item.same_clients_seconds else "-"
        print(f"{item.module}: {item.total_seconds * 1000:.0f} ms ({ratio:.2f}x; same clients {same}) {item.clients}")
