"""Checking the private path before a wave: the checks by subject (`checks/`), the evaluators they
use (`routes`, `nacl`, `policy`), the path's models (`network`: what the operator says the path is
and what EC2 says it is; `findings`; `models`: the step's report), the tag trigger's trail check
(`trail`, `trail_info`) and the flow the handler runs (`flow`).

Nothing is imported here: a Lambda handler imports only the modules of its own step, which keeps
every function's cold start close to `import boto3` (bench/coldstart.py).
"""
