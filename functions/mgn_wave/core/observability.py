"""One place for Logger, Tracer and Metrics. Names come from the `Globals` environment in
`template.yaml` (POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE), never from literals."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
# Only botocore makes network calls here; patching every library X-Ray knows imports requests,
# httplib and more on each cold start (~20 ms) for nothing.
tracer = Tracer(patch_modules=("botocore",))
metrics = Metrics()
